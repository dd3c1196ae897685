#!/bin/sh
# Embeds text the module is built with as C, so the admin tool and the module
# carry exactly what they were built from.
#
#   embed.sh schema DIR OUT [SUFFIX]
#       schema/NNN_name.sql -> a table of migrations (hab_migrations<SUFFIX>).
#   embed.sh templates DIR OUT_C OUT_H
#       DIR/*.html -> one string per template (OUT_H names the layer's
#       folder and file the generated C includes, e.g. core/web/templates.h).  A file holds templates, each
#       starting at a line "<!-- template: NAME -->" (NAME: a-z, 0-9, _) and
#       running to the next such line.  Lines before the first are a comment.
#       Each line loses its leading white space and its line end, so markup
#       can be indented without a byte of it reaching the page: a space that
#       matters at a line's end is written there.  The C name is
#       hab_tpl_NAME; a name used twice stops the build.
set -eu

schema() {
  dir=$1 out=$2 sfx=${3:-}
  {
    echo '/* Generated from the SQL files in schema/ by embed.sh: do not edit. */'
    echo '#include "store/schema_embedded.h"'
    echo "const hab_migration_t hab_migrations$sfx[] = {"
    for f in "$dir"/[0-9][0-9][0-9]_*.sql; do
      base=$(basename "$f")
      num=$(echo "$base" | sed 's/^0*\([0-9][0-9]*\)_.*/\1/')
      printf '    {%s, "%s",\n' "$num" "$base"
      sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/     "/' -e 's/$/\\n"/' "$f"
      echo '    },'
    done
    echo '};'
    echo "const int hab_migration_count$sfx = (int)(sizeof(hab_migrations$sfx) / sizeof(hab_migrations$sfx[0]));"
  } > "$out.tmp"
  mv "$out.tmp" "$out"
}

templates() {
  dir=$1 out_c=$2 out_h=$3
  include="$(basename "$(dirname "$out_h")")/$(basename "$out_h")"
  guard=HABITUAL_$(basename "$out_h" .h | tr 'a-z' 'A-Z')_H
  awk -v out_c="$out_c.tmp" -v out_h="$out_h.tmp" -v dir="$dir" -v include="$include" \
      -v guard="$guard" '
    function close_block() {
      if (name != "") print (empty ? "    \"\";" : "    ;") > out_c
      name = ""
    }
    BEGIN {
      print "/* Generated from the .html files in " dir " by embed.sh: do not edit. */" > out_c
      print "#include \"" include "\"" > out_c
      print "/* Generated from the .html files in " dir " by embed.sh: do not edit.\n * Each template, filled by hab_tpl() (habitual/base/template.h). */" > out_h
      print "#ifndef " guard "\n#define " guard > out_h
    }
    FNR == 1 { close_block() }
    /^<!-- template: / {
      close_block()
      n = $0
      sub(/^<!-- template: /, "", n); sub(/ -->[ \t\r]*$/, "", n)
      if (n !~ /^[a-z][a-z0-9_]*$/) { printf "%s:%d: bad template name \"%s\"\n", FILENAME, FNR, n > "/dev/stderr"; bad = 1; exit 1 }
      if (n in seen) { printf "%s:%d: template \"%s\" is also in %s\n", FILENAME, FNR, n, seen[n] > "/dev/stderr"; bad = 1; exit 1 }
      seen[n] = FILENAME
      name = n; empty = 1
      printf "\nconst char hab_tpl_%s[] =\n", name > out_c
      printf "extern const char hab_tpl_%s[];\n", name > out_h
      next
    }
    name != "" {
      line = $0
      sub(/\r$/, "", line); sub(/^[ \t]+/, "", line)
      if (line == "") next
      gsub(/\\/, "\\\\", line); gsub(/"/, "\\\"", line)
      printf "    \"%s\"\n", line > out_c
      empty = 0
    }
    END {
      if (bad) exit 1
      close_block()
      print "\n#endif" > out_h
    }
  ' "$dir"/*.html
  mv "$out_c.tmp" "$out_c"
  mv "$out_h.tmp" "$out_h"
}

what=$1; shift
case "$what" in
  schema) schema "$@" ;;
  templates) templates "$@" ;;
  *) echo "usage: embed.sh schema DIR OUT [SUFFIX] | templates DIR OUT_C OUT_H" >&2; exit 2 ;;
esac
