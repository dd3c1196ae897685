#!/usr/bin/env python3
"""`make run`: the demo.  A private slapd and httpd on 127.0.0.1 with a demo
directory of users for every role and a fresh database, until Ctrl-C."""

import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rig  # noqa: E402

# HABITUAL_DEMO_DIR: the test of `make run` gives it a directory of its own
DEMO_DIR = os.environ.get("HABITUAL_DEMO_DIR") or os.path.join(rig.ROOT, "tests", ".demo")


def main():
    # Ctrl-C (SIGINT) stops the demo even when it was started with SIGINT
    # ignored, as a script's background job is (make test runs its suites
    # so) and an ignored signal stays ignored across exec.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    port = int(os.environ.get("HABITUAL_PORT", "8080"))
    try:
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
    except OSError:
        port = rig.free_port()
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    demo = rig.Rig(workdir=DEMO_DIR, port=port, ldap_timeouts=True,
                   extra_location="    HabitualCouncilName \"Example Borough Council\"")
    try:
        seed = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed_demo.py")
        if os.path.exists(seed):
            import importlib.util
            spec = importlib.util.spec_from_file_location("seed_demo", seed)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            mod.seed(demo)
        base = demo.httpd.base()
        print()
        print("mod_habitual demo is running:  %s/" % base)
        print("  JSON API, e.g.:  curl -u carol:%s %s/api/me" % (rig.PASSWORD, base))
        print()
        print("Sign in with any of these (password for all: %s):" % rig.PASSWORD)
        for uid, (name, groups) in sorted(rig.USERS.items()):
            roles = ["staff"] + [r for r, g in rig.ROLE_GROUPS.items() if g in groups]
            print("  %-8s %-18s %s" % (uid, name, ", ".join(roles)))
        print("  %-8s %-18s %s" % ("ghost", "(no LDAP entry)", "no role: 403 everywhere"))
        print()
        print("Database: %s   Error log: %s" % (demo.db, demo.httpd.error_log))
        print("Press Ctrl-C to stop.")
        sys.stdout.flush()
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while demo.httpd.proc.poll() is None and demo.slapd.proc.poll() is None:
            time.sleep(0.5)
        print("a server stopped unexpectedly; see %s" % demo.httpd.error_log)
    except KeyboardInterrupt:
        print("\nstopping...")
    finally:
        demo.stop(keep=True)
        print("stopped slapd and httpd.")


if __name__ == "__main__":
    main()
