#!/bin/sh
# Turns schema/NNN_name.sql into a C table of migrations, so the admin tool
# and the module carry the schema they were built with.
# Usage: DIR OUT [SUFFIX]  (the table is hab_migrations<SUFFIX>)
set -eu
dir=$1 out=$2 sfx=${3:-}
{
  echo '/* Generated from the SQL files in schema/ by embed_schema.sh: do not edit. */'
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
