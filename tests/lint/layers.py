#!/usr/bin/env python3
"""The core's layers (README "Layout"), each a folder of mod_habitual/core/
with its public headers under include/habitual/ of the same name:

  base    errors, JSON, dates, text, CSV, crypto, validation, the log port,
          HTML escaping, the urlencoded form: needs nothing else
  store   the store and its drivers, the schema, the access log's chain, the
          writer, the view cache: needs base
  domain  the procedure, the rules, who may see what, the case and its
          letters, the reads: needs base and store, never a store driver
  web     pages, forms, components, charts, the multipart parser, the router:
          needs base and domain; never the store (it reads through domain)
  app     one request, one transaction (service.c) and the route table
          (steps.c): may use every layer

A file may include only its own layer's headers and those its layer needs.
Fails on any other include."""
import re
import sys
from pathlib import Path

NEEDS = {
    "base": {"base"},
    "store": {"base", "store"},
    "domain": {"base", "store", "domain"},
    "web": {"base", "domain", "web"},
    "app": {"base", "store", "domain", "web", "app"},
}
NEVER = {"domain": {"store/store_drivers.h"}}
INCLUDE = re.compile(r'^\s*#\s*include\s+"(?:habitual/)?(base|store|domain|web|app)/([a-z_]+\.h)"', re.M)


def layer_of(path, root):
    parts = path.relative_to(root).parts
    return parts[0] if len(parts) > 1 and parts[0] in NEEDS else None


def main(argv):
    repo = Path(argv[1] if len(argv) > 1 else ".")
    problems = []
    roots = [repo / "mod_habitual" / "core", repo / "include" / "habitual"]
    for root in roots:
        for path in sorted(root.rglob("*.[ch]")):
            layer = layer_of(path, root)
            if layer is None:
                if root.name == "core" and not path.name.startswith("."):
                    problems.append("%s: not in a layer's folder" % path)
                continue
            for m in INCLUDE.finditer(path.read_text()):
                target, header = m.group(1), m.group(2)
                line = path.read_text().count("\n", 0, m.start()) + 1
                if target not in NEEDS[layer]:
                    problems.append("%s:%d: %s includes %s/%s (%s needs only %s)" % (
                        path, line, layer, target, header, layer, ", ".join(sorted(NEEDS[layer]))))
                elif "%s/%s" % (target, header) in NEVER.get(layer, ()):
                    problems.append("%s:%d: %s includes %s/%s" % (path, line, layer, target, header))
    for p in problems:
        print(p)
    print("layer lint: %d problem(s)" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
