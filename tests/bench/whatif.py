#!/usr/bin/python3
"""Measure design options before writing them: the same benchmark endpoints
against the unchanged module, with whatif/whatif.so (LD_PRELOAD) changing how
it uses SQLite.  One httpd per variant, each on its own copy of the database,
interleaved round by round with the static file of the baseline as the ratio's
denominator.

    whatif.py [--db tests/bench/.data/cases-10000.db] [--rounds 2] [--duration 10]
              [--endpoints notices,case,write] [--variants base,query,query+mmap,...]

Variants (see whatif/whatif.c for the switches):
  base              the module as built
  query             notices query from the user's grants and referrals (reads.c)
  mmap              PRAGMA mmap_size=2 GiB on every connection
  query+mmap        both
  query+mmap+normal both, and synchronous=NORMAL instead of FULL
  query+mmap+tmpfs  both, database on tmpfs (no disk sync at all: the bound for
                    any commit batching)
  mutex             BEGIN IMMEDIATE behind a process-wide mutex (writers queue on
                    a futex instead of polling SQLite's lock)
  query+mmap+mutex  ...
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_bench as rb  # noqa: E402
from run_bench import rig, out, med  # noqa: E402

import datetime as dt  # noqa: E402
import requests  # noqa: E402

SHIM = os.path.join(HERE, "whatif", "whatif.so")
MMAP = "PRAGMA mmap_size=2147483648;"
VARIANTS = {
    "base": ({}, False),
    "query": ({"HABITUAL_WHATIF_NOTICES": "1"}, False),
    "mmap": ({"HABITUAL_WHATIF_PRAGMAS": MMAP}, False),
    "query+mmap": ({"HABITUAL_WHATIF_NOTICES": "1", "HABITUAL_WHATIF_PRAGMAS": MMAP}, False),
    "query+mmap+normal": ({"HABITUAL_WHATIF_NOTICES": "1", "HABITUAL_WHATIF_PRAGMAS": MMAP,
                           "HABITUAL_WHATIF_SYNC": "NORMAL"}, False),
    "query+mmap+tmpfs": ({"HABITUAL_WHATIF_NOTICES": "1", "HABITUAL_WHATIF_PRAGMAS": MMAP}, True),
    "mutex": ({"HABITUAL_WHATIF_WRITER_MUTEX": "1"}, False),
    "query+mmap+mutex": ({"HABITUAL_WHATIF_NOTICES": "1", "HABITUAL_WHATIF_PRAGMAS": MMAP,
                          "HABITUAL_WHATIF_WRITER_MUTEX": "1"}, False),
    "query+mmap+normal+mutex": ({"HABITUAL_WHATIF_NOTICES": "1", "HABITUAL_WHATIF_PRAGMAS": MMAP,
                                 "HABITUAL_WHATIF_SYNC": "NORMAL", "HABITUAL_WHATIF_WRITER_MUTEX": "1"}, False),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=os.path.join(HERE, ".data", "cases-10000.db"))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--endpoints", default="notices,case,write")
    ap.add_argument("--variants", default="base,query,query+mmap,query+mmap+normal,query+mmap+tmpfs")
    a = ap.parse_args()
    if not os.path.exists(SHIM):
        subprocess.run(["make", "-s", "-C", os.path.join(HERE, "whatif")], check=True)
    with open(a.db + ".json") as f:
        n_cases = json.load(f)["cases"]
    today = dt.date.today().isoformat()
    variants = a.variants.split(",")
    endpoints = a.endpoints.split(",")
    out("== what-if, %s: %s on %s (%d cases), wrk -t%d -c%d, %d s x %d round(s), load %s"
        % (time.strftime("%Y-%m-%d %H:%M:%S %Z"), rig.MODULE, a.db, n_cases, a.threads, a.connections,
           a.duration, a.rounds, rb.loadavg()))
    workdir = tempfile.mkdtemp(prefix="habitual-whatif-")
    os.chmod(workdir, 0o755)
    shm_dirs, sites = [], {}
    slapd = rig.Slapd(workdir).start()
    try:
        for v in variants:
            env_extra, tmpfs = VARIANTS[v]
            if tmpfs:
                d = tempfile.mkdtemp(prefix="habitual-whatif-", dir="/dev/shm")
                os.chmod(d, 0o755)
                shm_dirs.append(d)
                db_dir = os.path.join(d, "db")
            else:
                db_dir = os.path.join(workdir, "db-" + v.replace("+", "-"))
            s = rb.Site(v.replace("+", "-"), workdir, slapd, a.db, db_dir, "sha1", start=False)
            env = s.httpd.env()
            if env_extra:
                env.update(env_extra)
                env["LD_PRELOAD"] = (SHIM + " " + env.get("LD_PRELOAD", "")).strip()
            s.httpd.env = (lambda e: (lambda: e))(env)
            s.httpd.start()
            sites[v] = s
        # every variant must still answer what the baseline answers
        bob = ("bob", rig.PASSWORD)
        answers = {v: requests.get(s.base + "/habitual/api/notices", auth=bob, timeout=120).json()
                   for v, s in sites.items()}
        first = answers[variants[0]]
        for v, ans in answers.items():
            if ans != first:
                a_ids = [n["case_id"] for n in first["notices"]]
                b_ids = [n["case_id"] for n in ans["notices"]] if "notices" in ans else ans
                sys.exit("variant %s answers api/notices differently: %r vs %r" % (v, a_ids, b_ids))
        out("all variants answer api/notices identically (%d notices)" % len(first["notices"]))
        lua_dir = os.path.join(workdir, "lua")
        os.makedirs(lua_dir)
        eps = []
        base_site = sites[variants[0]]
        static = rb.Endpoint("static", "static file", base_site, base_site.base + "/static.txt")
        for v, s in sites.items():
            tag = v.replace("+", "-")
            for e in endpoints:
                if e == "notices":
                    eps.append(rb.Endpoint(e, "notices   [%s]" % v, s, s.base + "/habitual/api/notices",
                                           headers={"Authorization": rb.auth_header("bob")}, audited=True))
                elif e == "case":
                    ids = list(range(1, n_cases + 1))
                    random.Random(7).shuffle(ids)
                    script = rb.lua_script(os.path.join(lua_dir, "case-%s.lua" % tag),
                                           ["/habitual/api/cases/%d" % i for i in ids[:1000]], "GET",
                                           {"Authorization": rb.auth_header("carol")})
                    eps.append(rb.Endpoint(e, "case read [%s]" % v, s, s.base, script=script, audited=True))
                elif e == "write":
                    token = requests.get(s.base + "/habitual/api/me", auth=("carol", rig.PASSWORD),
                                         timeout=60).json()["csrf_token"]
                    ids = rb.open_case_ids(s.db, today, random.Random(7), 1000)
                    script = rb.lua_script(os.path.join(lua_dir, "write-%s.lua" % tag),
                                           ["/habitual/api/cases/%d/contacts" % i for i in ids], "POST",
                                           {"Authorization": rb.auth_header("carol"),
                                            "Content-Type": "application/json", "X-CSRF-Token": token},
                                           json.dumps(rb.contact_body(today)))
                    eps.append(rb.Endpoint(e, "write     [%s]" % v, s, s.base, script=script, audited=True))
                elif e == "me":
                    eps.append(rb.Endpoint(e, "api/me    [%s]" % v, s, s.base + "/habitual/api/me",
                                           headers={"Authorization": rb.auth_header("bob")}))
        for ep in [static] + eps:
            ep.run(a, a.warmup, record=False)
        for rnd in range(a.rounds):
            out("-- round %d" % (rnd + 1))
            for ep in [static] + eps:
                r = ep.run(a, a.duration)
                out("  %-36s %8.0f req/s  p50 %8.2f ms  p99 %8.2f ms  %7.0f us CPU/req  non-2xx %d  load %s"
                    % (ep.label, r["rps"], r["p50"], r["p99"], r["cpu_us"], r["non2xx"] + r["errors"], r["load"]))
        srps = [r["rps"] for r in static.results]
        out("\n| %-36s | %8s | %8s | %8s | %6s | %10s |" % ("variant", "req/s", "p50 ms", "p99 ms", "ratio",
                                                           "CPU us/req"))
        out("|%s|%s|%s|%s|%s|%s|" % ("-" * 38, "-" * 10, "-" * 10, "-" * 10, "-" * 8, "-" * 12))
        for ep in [static] + eps:
            out("| %-36s | %8.0f | %8.2f | %8.2f | %6.3f | %10.0f |" % (
                ep.label, med([r["rps"] for r in ep.results]), med([r["p50"] for r in ep.results]),
                med([r["p99"] for r in ep.results]), med([r["rps"] / s for r, s in zip(ep.results, srps)]),
                med([r["cpu_us"] for r in ep.results])))
        for v, s in sites.items():
            errs = s.error_lines()
            if errs:
                out("%s: %d error lines: %s" % (v, len(errs), " | ".join(errs[:3])))
        for s in sites.values():
            s.stop()
        res = rig.admin(sites[variants[-1]].db, "verify-audit", check=False)
        out("verify-audit of the last variant's database: %s" % (res.stdout.strip() or res.stderr.strip()))
    finally:
        for s in sites.values():
            s.stop()
        slapd.stop()
        for d in shm_dirs:
            shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
