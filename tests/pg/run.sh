#!/bin/bash
# Smoke test of the PostgreSQL store: starts a private PostgreSQL (initdb into
# a temporary directory, pg_ctl on a free loopback port, as the postgres user
# when run as root), builds tests/pg/pg_smoke.c against the core and the pgsql
# driver, runs it, then stops the server and removes the directory.  Leaves
# nothing running.  Usage: tests/pg/run.sh   (from anywhere; PG_SMOKE_CFLAGS
# replaces -O2, e.g. "-g -O1 -fsanitize=address,undefined")
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

need_packages() {
    command -v pg_config >/dev/null && pkg-config --exists libpq && pg_bin >/dev/null
}

pg_bin() {
    local d
    for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
        [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
    done
    return 1
}

if ! need_packages; then
    if [ "$(id -u)" != 0 ]; then
        echo "run.sh: needs libpq-dev and postgresql: apt-get install -y libpq-dev postgresql" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libpq-dev postgresql
fi
PGBIN=$(pg_bin)

# initdb refuses to run as root: the server's files belong to postgres.
as_pg() {
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}

T=$(mktemp -d /tmp/habitual-pg.XXXXXX)
DATA=$T/pg/data SOCK=$T/pg/sock LOG=$T/pg/log
cleanup() {
    local rc=$?
    if [ -f "$DATA/postmaster.pid" ]; then
        local pid
        pid=$(head -n1 "$DATA/postmaster.pid")
        as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 20 stop >/dev/null 2>&1 ||
            as_pg "$PGBIN/pg_ctl" -D "$DATA" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
        # The postmaster we started, by its PID, should both stops fail.
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

chmod 711 "$T"
mkdir -p "$T/pg" "$SOCK" "$T/build"
[ "$(id -u)" = 0 ] && chown -R postgres: "$T/pg"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$PGBIN/initdb" -D "$DATA" -A trust --no-locale -E UTF8 >"$T/initdb.log" 2>&1 ||
    { cat "$T/initdb.log"; exit 1; }
START="$PGBIN/pg_ctl -D $DATA -l $LOG -w -o '-p $PORT -k $SOCK -c listen_addresses=127.0.0.1' start"
STOP="$PGBIN/pg_ctl -D $DATA -m fast -w stop"
if [ "$(id -u)" = 0 ]; then
    export PG_SMOKE_START="cd / && runuser -u postgres -- sh -c \"$START\" >/dev/null"
    export PG_SMOKE_STOP="cd / && runuser -u postgres -- sh -c \"$STOP\" >/dev/null"
else
    export PG_SMOKE_START="cd / && $START >/dev/null" PG_SMOKE_STOP="cd / && $STOP >/dev/null"
fi
sh -c "$PG_SMOKE_START"
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres habitual_smoke

# The core as it is, except audit.c with "user" quoted and its bare "? IS
# NULL" cast to TEXT (the changes the lead makes in the core; a no-op once
# made), and the SQLite schema embedded into the build directory: the smoke
# test applies schema/pgsql itself.
sed -e 's/seq, at, user, roles/seq, at, \\"user\\", roles/' \
    -e 's/(? IS NULL OR \(user\|\\"user\\"\) = ?)/(CAST(? AS TEXT) IS NULL OR \\"user\\" = ?)/' \
    mod_habitual/core/store/audit.c >"$T/build/audit.c"
if ! grep -q 'seq, at, \\"user\\", roles' "$T/build/audit.c" ||
   ! grep -q '(CAST(? AS TEXT) IS NULL OR \\"user\\" = ?)' "$T/build/audit.c"; then
    echo "run.sh: audit.c's SQL changed shape; update the sed above" >&2
    exit 1
fi
sh mod_habitual/core/embed.sh schema schema "$T/build/schema_sql.c"
mkdir -p "$T/build/web" "$T/build/domain"
sh mod_habitual/core/embed.sh templates mod_habitual/templates "$T/build/templates.c" "$T/build/web/templates.h"
sh mod_habitual/core/embed.sh templates mod_habitual/templates/letters "$T/build/letter_templates.c" \
    "$T/build/domain/letter_templates.h"
CORE=$(ls mod_habitual/core/*/*.c | grep -v -e '/audit\.c$' -e '/schema_sql\.c$' -e '/web/templates\.c$' \
    -e '/letter_templates\.c$')
# shellcheck disable=SC2086,SC2046
gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror ${PG_SMOKE_CFLAGS:--O2} -Iinclude -I"$T/build" -Imod_habitual/core \
    $(apr-1-config --includes --cppflags) $(pkg-config --cflags libpq) \
    tests/pg/pg_smoke.c $CORE "$T/build/audit.c" "$T/build/schema_sql.c" "$T/build/templates.c" "$T/build/letter_templates.c" \
    $(apr-1-config --link-ld) -ljansson -lsqlite3 -lcrypto $(pkg-config --libs libpq) \
    -o "$T/build/pg_smoke"

"$T/build/pg_smoke" "host=127.0.0.1 port=$PORT dbname=habitual_smoke user=postgres" \
    schema/pgsql/001_init.sql
