"""Issue 2: `make run` serves GET /habitual/api/me for a demo user.

Runs what `make run` runs (tests/rig/demo.py, after the build `make test` has
already done) on a free port and a directory of its own, signs in as demo
users, and stops it as Ctrl-C would (SIGINT): nothing is left listening.
The demo is SQLite's whatever engine this suite runs on."""

import os
import signal
import subprocess
import sys
import shutil
import tempfile
import time

import requests

import rig
from helpers_faults import port_closed

DEMO = os.path.join(rig.ROOT, "tests", "rig", "demo.py")


def wait_for_line(proc, text, timeout=60):
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError("the demo did not say %r:\n%s" % (text, "".join(seen)))


def test_make_run_serves_api_me_for_demo_users_and_stops_cleanly():
    port = rig.free_port()
    workdir = tempfile.mkdtemp(prefix="habitual-demo-test-")
    os.chmod(workdir, 0o755)  # httpd's children (www-data) read below it
    env = dict(os.environ, HABITUAL_PORT=str(port), HABITUAL_DB="sqlite3",
               HABITUAL_DEMO_DIR=os.path.join(workdir, "demo"))
    proc = subprocess.Popen([sys.executable, DEMO], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, cwd=rig.ROOT)
    try:
        wait_for_line(proc, "demo is running:  http://127.0.0.1:%d/habitual/" % port)
        wait_for_line(proc, "Press Ctrl-C to stop.")
        base = "http://127.0.0.1:%d/habitual" % port
        me = requests.get(base + "/api/me", auth=("carol", rig.PASSWORD), timeout=10)
        assert me.status_code == 200, me.text
        assert me.json()["user"] == "carol" and me.json()["roles"] == ["staff", "cem"]
        chris = requests.get(base + "/api/me", auth=("chris", rig.PASSWORD), timeout=10).json()
        assert "chief-executive" in chris["roles"]
        assert requests.get(base + "/api/me", auth=("ghost", rig.PASSWORD), timeout=10).status_code == 403
        # the demo's cases are there: bob holds a notice
        assert requests.get(base + "/api/notices", auth=("bob", rig.PASSWORD), timeout=10).json()["notices"]
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
        assert "stopped slapd and httpd." in out
        assert port_closed(port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
