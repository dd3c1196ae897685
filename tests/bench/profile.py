#!/usr/bin/python3
"""Where the time of one endpoint goes: the benchmark's server under a
profiler, driven by wrk.

    profile.py --tool callgrind|strace|perf [--endpoint notices|case|write|me|static]
               [--db tests/bench/.data/cases-10000.db] [--seconds 10] [--connections 8]

callgrind  httpd -X (one process) under valgrind --tool=callgrind; only the
           requests are counted (--toggle-collect on httpd's request
           processing); prints instructions per request and the top functions
           by inclusive cost (callgrind_annotate).  Needs valgrind.
strace     strace -c -f on every httpd child during the load: system calls per
           request (fdatasync, pread64, nanosleep of SQLite's busy handler ...).
perf       perf record -e cpu-clock -g on every httpd child (a software clock:
           hardware counters may be missing in a VM); top symbols and DSOs.

The database is a copy of a generated one (run run_bench.py or gen_db.py
first); the server is configured as in run_bench.py.  Extra environment for
httpd (e.g. LD_PRELOAD of a what-if shim) can be given with --env K=V."""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_bench as rb  # noqa: E402
from run_bench import rig  # noqa: E402

import datetime as dt  # noqa: E402
import requests  # noqa: E402


def endpoint_args(site, endpoint, n_cases, lua_dir, today):
    """(url, headers, script) for wrk."""
    bob, carol = rb.auth_header("bob"), rb.auth_header("carol")
    if endpoint == "static":
        return site.base + "/static.txt", {}, None
    if endpoint == "me":
        return site.base + "/habitual/api/me", {"Authorization": bob}, None
    if endpoint == "notices":
        return site.base + "/habitual/api/notices", {"Authorization": bob}, None
    if endpoint == "case":
        ids = list(range(1, n_cases + 1))
        random.Random(7).shuffle(ids)
        return site.base, {}, rb.lua_script(os.path.join(lua_dir, "case.lua"),
                                            ["/habitual/api/cases/%d" % i for i in ids[:1000]], "GET",
                                            {"Authorization": carol})
    if endpoint == "write":
        token = requests.get(site.base + "/habitual/api/me", auth=("carol", rig.PASSWORD),
                             timeout=60).json()["csrf_token"]
        ids = rb.open_case_ids(site.db, today, random.Random(7), 1000)
        return site.base, {}, rb.lua_script(os.path.join(lua_dir, "write.lua"),
                                            ["/habitual/api/cases/%d/contacts" % i for i in ids], "POST",
                                            {"Authorization": carol, "Content-Type": "application/json",
                                             "X-CSRF-Token": token}, json.dumps(rb.contact_body(today)))
    raise SystemExit("unknown endpoint %s" % endpoint)


def wrk(url, headers, script, threads, connections, seconds):
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, "--latency", "--timeout", "30s"]
    for k, v in headers.items():
        cmd += ["-H", "%s: %s" % (k, v)]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    res = subprocess.run(cmd, capture_output=True, text=True)
    return rb.parse_wrk(res.stdout), res.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tool", choices=["callgrind", "strace", "perf"], required=True)
    ap.add_argument("--endpoint", default="notices", choices=["notices", "case", "write", "me", "static"])
    ap.add_argument("--db", default=os.path.join(HERE, ".data", "cases-10000.db"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=None, help="default 32 (callgrind: 4)")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--env", action="append", default=[], help="K=V for httpd's environment")
    ap.add_argument("--tmpfs", action="store_true", help="database copy on /dev/shm")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--stock-mpm", action="store_true",
                    help="Debian's stock mpm_event.conf (strace, perf; callgrind is one process anyway)")
    a = ap.parse_args()
    rb.OPTIONS["stock_mpm"] = a.stock_mpm and a.tool != "callgrind"
    if not os.path.exists(a.db):
        sys.exit("%s is missing: generate it with gen_db.py or run_bench.py" % a.db)
    with open(a.db + ".json") as f:
        n_cases = json.load(f)["cases"]
    today = dt.date.today().isoformat()
    conns = a.connections or (4 if a.tool == "callgrind" else 32)
    workdir = tempfile.mkdtemp(prefix="habitual-profile-")
    os.chmod(workdir, 0o755)
    db_dir = tempfile.mkdtemp(prefix="habitual-profile-", dir="/dev/shm") if a.tmpfs else os.path.join(workdir, "db")
    lua_dir = os.path.join(workdir, "lua")
    os.makedirs(lua_dir)
    slapd = rig.Slapd(workdir).start()
    site = rb.Site("prof", workdir, slapd, a.db, db_dir, "sha1", start=False)
    env = site.httpd.env()
    for kv in a.env:
        k, v = kv.split("=", 1)
        env[k] = v
    proc = None
    try:
        if a.tool == "callgrind":
            outdir = os.path.join(workdir, "callgrind")
            os.makedirs(outdir)
            os.chmod(outdir, 0o777)
            cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=%s/callgrind.out" % outdir,
                   "--collect-atstart=no", "--toggle-collect=ap_process_request",
                   "--toggle-collect=ap_process_async_request", "--toggle-collect=ap_process_request_after_handler",
                   "/usr/sbin/apache2", "-X", "-f", site.httpd.conf]
        else:
            cmd = ["/usr/sbin/apache2", "-f", site.httpd.conf, "-DFOREGROUND"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        rig._STARTED.append(proc)
        site.httpd.proc = proc
        if not rig.wait_port(site.httpd.port, proc, timeout=120):
            sys.exit("httpd did not start: %s" % site.httpd.read_error_log())
        if a.tool == "callgrind" and rig.run_as_root():
            # valgrind created its output file as root; httpd writes it at exit as www-data
            import pwd
            u = pwd.getpwnam("www-data")
            for f in os.listdir(outdir):
                os.chown(os.path.join(outdir, f), u.pw_uid, u.pw_gid)
        url, headers, script = endpoint_args(site, a.endpoint, n_cases, lua_dir, today)
        # warm-up: LDAP cache, SQLite, second child process
        w, _ = wrk(url, headers, script, a.threads, conns, 3 if a.tool != "callgrind" else 5)
        print("warm-up: %d requests" % w["requests"], flush=True)

        if a.tool == "callgrind":
            r, text = wrk(url, headers, script, a.threads, conns, a.seconds)
            print(text)
            proc.terminate()
            proc.wait(120)
            outs = [os.path.join(outdir, f) for f in os.listdir(outdir)]
            # every request httpd processed (warm-up and abandoned ones too) was counted
            with open(os.path.join(site.httpd.dir, "access.log")) as f:
                total_requests = sum(1 for _ in f)
            ann = subprocess.run(["callgrind_annotate", "--inclusive=yes"] + outs, capture_output=True,
                                 text=True).stdout
            m = re.search(r"^([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", ann, re.M)
            total = int(m.group(1).replace(",", "")) if m else 0
            print("callgrind: %s instructions in %d requests (all httpd processed, from its access.log): "
                  "%.0f instructions/request"
                  % (format(total, ","), total_requests, total / max(total_requests, 1)))
            lines = [l for l in ann.splitlines() if re.match(r"^\s*[\d,]+ \(", l)]
            print("\n".join(lines[:a.top]))
            if a.keep:
                print("callgrind output: %s" % outs)
        else:
            pids = site.pids()
            if a.tool == "strace":
                st = os.path.join(workdir, "strace.txt")
                tr = subprocess.Popen(["strace", "-c", "-f", "-o", st] + sum((["-p", str(p)] for p in pids), []),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1)
                r, text = wrk(url, headers, script, a.threads, conns, a.seconds)
                tr.terminate()
                tr.wait(30)
                print(text)
                with open(st) as f:
                    summary = f.read()
                print("strace -c over %d requests (per request = calls / requests):" % r["requests"])
                for line in summary.splitlines():
                    m = re.match(r"^\s*([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(?:(\d+)\s+)?(\w+)$", line)
                    if m:
                        print("%s   %6.2f/req" % (line, int(m.group(4)) / max(r["requests"], 1)))
                    else:
                        print(line)
            else:
                data = os.path.join(workdir, "perf.data")
                pr = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "2000", "-g", "-o", data, "-p",
                                       ",".join(str(p) for p in pids)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1)
                r, text = wrk(url, headers, script, a.threads, conns, a.seconds)
                pr.send_signal(2)
                pr.wait(60)
                print(text)
                rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--children", "--sort", "sym",
                                      "-g", "none", "--percent-limit", "1"], capture_output=True, text=True).stdout
                print("inclusive (children), the module's and httpd's own functions:")
                print("\n".join(l for l in rep.splitlines() if re.search(r"\] (hab_|ap_|sqlite3_step|"
                                                                         r"util_ldap|apr_thread|json_)", l))[:4000])
                for sort in ("dso", "dso,sym"):
                    rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort,
                                          "-g", "none", "--percent-limit", "0.7"], capture_output=True, text=True).stdout
                    print("\n".join(l for l in rep.splitlines() if l and not l.startswith("#"))[:6000])
    finally:
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        slapd.stop()
        if not a.keep:
            shutil.rmtree(workdir, ignore_errors=True)
            if a.tmpfs:
                shutil.rmtree(db_dir, ignore_errors=True)
        else:
            print("kept %s" % workdir)


if __name__ == "__main__":
    main()
