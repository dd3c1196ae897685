#!/usr/bin/env python3
"""One gate for "not found": hab_access_load in core/domain/access.c is
the only core function that answers 404 for a case.  Any other
hab_err_not_found() in the core must say, on its line, that it is not about
a case ("/* not a case: WHY */": no such route, page, grant, letter or log
entry, or figures that are 404 as the list is); and access.c must still
hold the gate.  A deliberate breach makes this fail:

    python3 tests/lint/one_gate.py mod_habitual/core
"""
import re
import sys
from pathlib import Path

CALL = re.compile(r"\bhab_err_not_found\s*\(")


def problems(core):
    found = []
    gate = (core / "domain" / "access.c").read_text()
    if not re.search(r"hab_err_t \*hab_access_load\(", gate) or not CALL.search(gate):
        found.append("%s: the gate hab_access_load (with its 404) is missing" % (core / "domain" / "access.c"))
    for path in sorted(core.rglob("*.c")):
        if path.name in ("access.c", "error.c"):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if CALL.search(line) and "/* not a case:" not in line:
                found.append("%s:%d: a 404 outside the gate (hab_access_load), or say "
                             "\"/* not a case: why */\": %s" % (path, n, line.strip()))
    return found


def main(argv):
    core = Path(argv[1] if len(argv) > 1 else "mod_habitual/core")
    found = problems(core)
    for p in found:
        print(p)
    print("one gate lint: %d problem(s)" % len(found))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
