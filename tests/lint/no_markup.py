#!/usr/bin/env python3
"""No HTML in the core's C strings: the pages' and letters' markup lives in
mod_habitual/templates (embedded at build time), where it can be read and
changed as HTML.  A string literal with a tag in it ('<' and a letter, '/'
or '!') fails, outside generated files and the one place that looks for
markup in uploads (evidence_type.c: judging a file by its content)."""
import re
import sys
from pathlib import Path

GENERATED = {"schema_sql.c", "schema_sql_pgsql.c", "templates.c", "letter_templates.c"}
LOOKS_FOR_MARKUP = {"evidence_type.c"}
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
TAG = re.compile(r"<[A-Za-z/!]")


def main(argv):
    repo = Path(argv[1] if len(argv) > 1 else ".")
    problems = []
    for path in sorted((repo / "mod_habitual" / "core").rglob("*.c")):
        if path.name in GENERATED or path.name in LOOKS_FOR_MARKUP:
            continue
        text = path.read_text(encoding="utf-8")
        # comments blanked but their line ends kept, so line numbers hold
        code = COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
        for m in STRING.finditer(code):
            if TAG.search(m.group(0)):
                line = code.count("\n", 0, m.start()) + 1
                problems.append("%s:%d: markup in a C string: %s" % (
                    path.relative_to(repo), line, m.group(0)[:60]))
    for p in problems:
        print(p)
    print("markup lint: %d C string(s) with markup" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
