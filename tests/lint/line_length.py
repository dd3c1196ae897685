#!/usr/bin/env python3
"""No line of C over 100 columns (characters, not bytes) outside generated
files: the module, its headers, the admin tool and the C tests."""
import sys
from pathlib import Path

LIMIT = 100
ROOTS = ["mod_habitual", "include", "admin", "tests"]
GENERATED = {"schema_sql.c", "schema_sql_pgsql.c", "templates.c", "templates.h",
             "letter_templates.c", "letter_templates.h"}


def skipped(path):
    parts = set(path.parts)
    return (path.name in GENERATED or "node_modules" in parts
            or any(p.startswith(".") for p in path.parts))


def main(argv):
    repo = Path(argv[1] if len(argv) > 1 else ".")
    problems = []
    for root in ROOTS:
        for path in sorted((repo / root).rglob("*.[ch]")):
            rel = path.relative_to(repo)
            if skipped(rel):
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if len(line) > LIMIT:
                    problems.append("%s:%d: %d columns" % (rel, n, len(line)))
    for p in problems:
        print(p)
    print("line-length lint: %d line(s) over %d columns" % (len(problems), LIMIT))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
