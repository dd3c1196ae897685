#!/usr/bin/env python3
"""APR's formatter (apr_psprintf, ap_log_*error, ap_rprintf, and our
hab_err_* which use it) does not know C99's %lld, %zu, %jd or %hhd, yet gcc's
format check accepts them: the wrong argument is read and httpd crashes.
This check fails the build on any such conversion inside those calls."""
import re
import sys
from pathlib import Path

CALLS = re.compile(r"\b(apr_psprintf|apr_pvsprintf|apr_snprintf|ap_rprintf|ap_log_rerror|"
                   r"ap_log_error|ap_log_perror|hab_err_make|hab_err_field|hab_err_bad_request)\s*\(")
BAD = re.compile(r"%[-+ #0-9.*]*(ll|z|j|hh|t)[diouxXn]")

def calls(text):
    for m in CALLS.finditer(text):
        depth, i = 0, m.end() - 1
        while i < len(text):
            c = text[i]
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    break
            elif c == '"':
                i += 1
                while i < len(text) and text[i] != '"':
                    i += 2 if text[i] == "\\" else 1
            i += 1
        yield m.group(1), text.count("\n", 0, m.start()) + 1, text[m.start():i]

def main(roots):
    problems = []
    for root in roots:
        for path in sorted(Path(root).rglob("*.c")):
            if ".build" in path.parts or ".libs" in path.parts:
                continue
            for name, line, call in calls(path.read_text()):
                for lit in re.findall(r'"((?:[^"\\]|\\.)*)"', call):
                    if BAD.search(lit):
                        problems.append("%s:%d: %s with C99 conversion in \"%s\"" % (path, line, name, lit))
                if "JSON_INTEGER_FORMAT" in call:
                    problems.append("%s:%d: %s with JSON_INTEGER_FORMAT (it is %%lld)" % (path, line, name))
    for p in problems:
        print(p)
    print("apr format lint: %d problem(s)" % len(problems))
    return 1 if problems else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["mod_habitual", "admin"]))
