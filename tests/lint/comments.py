#!/usr/bin/env python3
"""Comments say what the code does and why, for whoever reads it next: none
names an issue or a finding of the tracker ("issue 12", "finding 4"), and
none points at a "SPEC §N" that is not in the repository (the README is the
contract).  Fails on any C or header file (generated ones aside) whose
comments do."""
import re
import sys
from pathlib import Path

COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
NAMES_A_PROCESS = re.compile(r"\b(issue|finding)\s+#?\d+|\bSPEC\s*§", re.I)


def comments(text):
    """(line, text) of each comment, string literals left out."""
    code = re.sub(r'"(?:[^"\\\n]|\\.)*"', lambda m: " " * len(m.group(0)), text)
    for m in COMMENT.finditer(code):
        yield code.count("\n", 0, m.start()) + 1, text[m.start():m.end()]


def main(roots):
    problems = []
    for root in roots:
        for path in sorted(Path(root).rglob("*.[ch]")):
            if ".build" in path.parts or path.name.startswith("schema_sql"):
                continue
            for line, comment in comments(path.read_text()):
                for m in NAMES_A_PROCESS.finditer(comment):
                    at = line + comment.count("\n", 0, m.start())
                    problems.append("%s:%d: a comment names %r" % (path, at, m.group(0)))
    for p in problems:
        print(p)
    print("comment lint: %d problem(s)" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["mod_habitual", "include", "admin", "tests/unit", "tests/fuzz"]))
