"""Issue 14 item 4, evidence attached: a file uploaded with a description
(POST api/cases/{id}/evidence, the file as the body), stored in chunks,
downloaded byte-identical by case officers only (404 for everyone else, as
the file), as an attachment with nosniff; its type told by its content;
over HabitualEvidenceMaxBytes 413 with nothing stored; its SHA-256 in the
access-log entry; in sar (beside the bundle) and gone with purge; the httpd
child's memory does not grow by the file's size.  Both engines."""

import hashlib
import json
import os

import pytest

from helpers_procedure import (
    WRITTEN_ONLY, active_case, add_contact, case_file, expect_refusal, ok, raise_case, today, iso, warn,
)

MiB = 1024 * 1024
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(600)
EMAIL = (b"From: Pat Customer <pat@example.org>\r\nTo: complaints@council.example\r\n"
         b"Subject: again\r\nMessage-ID: <1@example.org>\r\n\r\nThe bins were not collected again.\r\n")


def upload(rig, cid, data, user="carol", ctype="application/octet-stream", description="A letter from the customer.",
           filename="letter.pdf", contact=None):
    q = []
    if description is not None:
        q.append(("description", description))
    if filename is not None:
        q.append(("filename", filename))
    if contact is not None:
        q.append(("contact", str(contact)))
    return rig.as_user(user).post("api/cases/%d/evidence" % cid, data=data, params=q,
                                  headers={"Content-Type": ctype}, timeout=120)


def download(rig, cid, eid, user="carol"):
    return rig.as_user(user).get("api/cases/%d/evidence/%d" % (cid, eid), timeout=120)


def log_actions(rig, cid):
    return [r["action"] for r in rig.db.query("SELECT action FROM access_log WHERE case_id = ? ORDER BY seq", (cid,))]


def test_a_file_is_stored_in_chunks_and_downloaded_byte_identical(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    out = ok(upload(rig, cid, PDF), 201)
    ev = out["evidence"]
    assert ev["sha256"] == hashlib.sha256(PDF).hexdigest() and ev["size"] == len(PDF)
    assert ev["content_type"] == "application/pdf" and set(out) == {"id", "status", "evidence"}
    r = download(rig, cid, ev["id"])
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"] == 'attachment; filename="letter.pdf"'
    assert r.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in r.headers["Content-Security-Policy"]
    # its fingerprint is in the tamper-evident log entry; the read is logged
    actions = log_actions(rig, cid)
    assert "case.evidence sha256=%s" % ev["sha256"] in actions and "case.evidence.read" in actions
    listed = case_file(rig, cid)["evidence"]
    assert [(e["id"], e["filename"], e["uploaded_by"]) for e in listed] == [(ev["id"], "letter.pdf", "carol")]
    assert "Evidence" in rig.as_user("carol").get("cases/%d" % cid).text


def test_large_files_stream_in_bounded_memory_and_over_the_limit_is_413(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    big = b"%PDF-1.7\n" + os.urandom(9 * MiB)
    ok(upload(rig, cid, PDF), 201)                              # warm the child up first
    before = rig.httpd.child_memory_kib()
    ev = ok(upload(rig, cid, big, filename="scan.pdf"), 201)["evidence"]
    after_upload = rig.httpd.child_memory_kib()
    r = download(rig, cid, ev["id"])
    after_download = rig.httpd.child_memory_kib()
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == ev["sha256"] == \
        hashlib.sha256(big).hexdigest()
    n_chunks = rig.db.scalar("SELECT count(*) FROM evidence_chunks WHERE evidence_id = ?", (ev["id"],))
    assert n_chunks == (len(big) + 192 * 1024 - 1) // (192 * 1024)
    if not rig.httpd.asan:                                     # ASan keeps freed memory in quarantine
        grown = {k: (after_upload[k] - before[k], after_download[k] - after_upload[k]) for k in before}
        print("httpd child memory growth, KiB (upload, download) of a 9 MiB file:", grown)
        assert grown["VmHWM"][0] < 4 * 1024 and grown["VmHWM"][1] < 4 * 1024, grown
    # 11 MiB: refused before anything is stored
    counts = rig.db.counts()
    r = upload(rig, cid, b"%PDF-1.7\n" + b"\0" * (11 * MiB))
    assert r.status_code == 413 and r.json()["error"]["code"] == "too-large", r.text
    assert rig.db.counts() == counts


def test_a_file_is_judged_by_its_content(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    for body, ctype in ((b"<html><script>alert(1)</script></html>", "image/png"),
                        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/svg+xml"),
                        (b"\x7fELF\x02\x01\x01" + b"\0" * 100, "application/pdf")):
        err = expect_refusal(rig, lambda: upload(rig, cid, body, ctype=ctype, filename="x.png"), 415,
                             "unsupported-type")
        assert "PDF" in err["message"]
    # what it says it is does not matter; what it is does
    assert ok(upload(rig, cid, PNG, ctype="application/pdf", filename="photo.png"), 201)["evidence"][
        "content_type"] == "image/png"
    assert ok(upload(rig, cid, EMAIL, ctype="text/plain", filename="mail.eml"), 201)["evidence"][
        "content_type"] == "message/rfc822"
    assert ok(upload(rig, cid, "Notes of the call, £5 owed.\n".encode(), filename="notes.txt"), 201)["evidence"][
        "content_type"].startswith("text/plain")
    # a name that could not be a header or a path is made safe
    ev = ok(upload(rig, cid, PDF, filename='../"evil"\r\n.pdf'), 201)["evidence"]
    assert download(rig, cid, ev["id"]).headers["Content-Disposition"] == 'attachment; filename="__evil___.pdf"'


def test_who_may_attach_and_who_may_download(shared_rig):
    rig = shared_rig
    cid = active_case(rig, restrictions=[WRITTEN_ONLY])
    # a notice holder attaches what came with the call they took, and still sees nothing of the file
    ev = ok(upload(rig, cid, EMAIL, user="olive", filename="mail.eml"), 201)["evidence"]
    for user in ("olive", "alice", "audrey"):                  # a chief officer, the referrer, staff
        r = download(rig, cid, ev["id"], user=user)
        assert r.status_code == 404 and PDF not in r.content, (user, r.status_code)
    for user in ("carol", "molly", "chris"):
        assert download(rig, cid, ev["id"], user=user).content == EMAIL
    expect_refusal(rig, lambda: download(rig, cid, 987654321), 404)
    expect_refusal(rig, lambda: upload(rig, cid, PDF, user="audrey"), 404)     # no notice
    # the referrer while the case is a referral, not after
    referral = raise_case(rig)
    ok(upload(rig, referral, PDF, user="alice"), 201)
    warn(rig, referral)
    expect_refusal(rig, lambda: upload(rig, referral, PDF, user="alice"), 403)


def test_bad_requests_change_nothing(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    expect_refusal(rig, lambda: upload(rig, cid, PDF, description=None), 422, "missing-field", field="description")
    expect_refusal(rig, lambda: upload(rig, cid, PDF, filename=None), 422, "missing-field", field="filename")
    expect_refusal(rig, lambda: upload(rig, cid, b""), 400, "invalid-field", field="file")
    expect_refusal(rig, lambda: upload(rig, cid, PDF, contact=987654), 422, "unknown-entry", field="contact")
    r = rig.as_user("carol").post("api/cases/%d/evidence" % cid, data=PDF, token=False,
                                  params={"description": "x", "filename": "x.pdf"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "bad-csrf-token"
    # linked to a contact of the chronology
    contact = add_contact(rig, cid)["contact_id"]
    ev = ok(upload(rig, cid, PDF, contact=contact), 201)["evidence"]
    [listed] = [e for e in case_file(rig, cid)["evidence"] if e["id"] == ev["id"]]
    assert listed["contact_id"] == contact


def test_evidence_is_in_the_subject_access_request_and_purged_with_the_case(own_rig, tmp_path):
    rig = own_rig
    cid = active_case(rig)
    ev = ok(upload(rig, cid, PNG, filename="photo.png", description="Photo of the notice."), 201)["evidence"]
    ref = case_file(rig, cid)["person"]["reference"]
    files = tmp_path / "bundle"
    files.mkdir()
    doc = json.loads(rig.admin("sar", ref, "--evidence-dir", str(files)).stdout)
    [case] = doc["cases"]
    [held] = case["evidence"]
    assert held["sha256"] == ev["sha256"] and held["description"] == "Photo of the notice."
    [written] = os.listdir(files)
    assert written == "case-%d-evidence-%d-photo.png" % (cid, ev["id"])
    assert (files / written).read_bytes() == PNG
    ok(rig.as_user("carol").post("api/cases/%d/review" % cid, {"recommendation": "remove",
                                                               "report": "Settled.", "monitoring_officer": "molly"}))
    ok(rig.as_user("chris").post("api/cases/%d/review/decision" % cid, {"outcome": "remove", "reasons": "Settled."}))
    assert rig.admin("purge", "--ended-years", "0").returncode == 0
    assert rig.db.scalar("SELECT count(*) FROM evidence WHERE case_id = ?", (cid,)) == 0
    assert rig.db.scalar("SELECT count(*) FROM evidence_chunks WHERE evidence_id = ?", (ev["id"],)) == 0


@pytest.mark.parametrize("value", ["0", "1023", "2000000000", "10MB"])
def test_bad_evidence_limit_stops_httpd_at_start(workdir, value):
    import rig as rigmod
    httpd = rigmod.Httpd(workdir, 1, extra_location="    HabitualEvidenceMaxBytes %s\n" % value)
    started, out = httpd.start(expect_failure=True)
    assert not started
    assert "HabitualEvidenceMaxBytes: '%s' is not a number of bytes from 1024 to 1073741824" % value in out, out


@pytest.mark.parametrize("own_rig", [{"extra_location": "    HabitualEvidenceMaxBytes 4096\n"}], indirect=True)
def test_habitual_evidence_max_bytes_sets_the_limit(own_rig):
    cid = active_case(own_rig)
    ok(upload(own_rig, cid, b"%PDF-1.4\n" + b"x" * 4000), 201)
    r = upload(own_rig, cid, b"%PDF-1.4\n" + b"x" * 4096)
    assert r.status_code == 413
    # without a Content-Length (chunked): the same limit, counted as it comes
    r = own_rig.as_user("carol").post("api/cases/%d/evidence" % cid, params={"description": "x", "filename": "x.pdf"},
                                      data=iter([b"%PDF-1.4\n", b"y" * 5000]))
    assert r.status_code == 413


# ---- the page's form (multipart/form-data, GOV.UK file upload) ----

def test_the_page_form_attaches_a_file(shared_rig):
    rig = shared_rig
    cid = active_case(rig)
    carol = rig.as_user("carol")
    assert "cases/%d/evidence" % cid in carol.get("cases/%d" % cid).text           # "Attach evidence"
    form = carol.get("cases/%d/evidence" % cid)
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    assert 'class="govuk-file-upload' in form.text and 'type="file"' in form.text
    # no file chosen (a browser sends an empty filename): the form again, saying so; nothing stored
    counts = rig.db.counts()
    empty = carol.session.post(carol.url("cases/%d/evidence" % cid), allow_redirects=False, timeout=30,
                               data={"csrf_token": carol.token(), "description": "The letter."},
                               files={"file": ("", b"", "application/octet-stream")})
    assert empty.status_code == 422 and "Choose the file to attach" in empty.text
    assert rig.db.counts() == counts
    # a forged token: refused, nothing stored
    forged = carol.session.post(carol.url("cases/%d/evidence" % cid), allow_redirects=False, timeout=30,
                                data={"csrf_token": "x", "description": "The letter."},
                                files={"file": ("letter.pdf", PDF, "application/pdf")})
    assert forged.status_code == 403 and rig.db.counts() == counts
    done = carol.session.post(carol.url("cases/%d/evidence" % cid), allow_redirects=False, timeout=30,
                              data={"csrf_token": carol.token(), "description": "The customer's letter."},
                              files={"file": ("letter of 3 March.pdf", PDF, "application/pdf")})
    assert done.status_code == 303 and done.headers["Location"].endswith("cases/%d?done=evidence" % cid), done.text
    [ev] = [e for e in case_file(rig, cid)["evidence"] if e["description"] == "The customer's letter."]
    assert ev["filename"] == "letter of 3 March.pdf" and ev["sha256"] == hashlib.sha256(PDF).hexdigest()
    page = carol.get("cases/%d?done=evidence" % cid).text
    assert "Evidence attached" in page and "api/cases/%d/evidence/%d" % (cid, ev["id"]) in page
    assert download(rig, cid, ev["id"]).content == PDF


@pytest.mark.parametrize("own_rig", [{"extra_location": "    HabitualEvidenceMaxBytes 4096\n"}], indirect=True)
def test_a_form_of_endless_empty_parts_is_refused(own_rig):
    """Sent chunked (no Content-Length), a page's form is bounded as a whole,
    boundaries and part headers too: 413, nothing stored."""
    cid = active_case(own_rig)
    carol = own_rig.as_user("carol")
    part = b'--b0\r\nContent-Disposition: form-data; name="x"\r\n\r\n\r\n'
    counts = own_rig.db.counts()
    r = carol.session.post(carol.url("cases/%d/evidence" % cid), timeout=60, allow_redirects=False,
                           headers={"Content-Type": "multipart/form-data; boundary=b0"},
                           data=(part * 1000 for _ in range(100)))          # about 5 MB, chunked
    assert r.status_code == 413, (r.status_code, r.text[:200])
    assert own_rig.db.counts() == counts
