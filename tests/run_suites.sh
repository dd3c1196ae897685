#!/bin/bash
# make test's runner: each argument is a group of suites (make targets, space
# separated); the groups run one after another, the suites of one group at
# the same time.  Every suite runs, even after a failure.  A group of one is
# shown as it runs; a group of several writes each suite's output to
# tests/.runs/SUITE.log and shows it whole, suite by suite, when the group
# ends.  Last come each runner's summary line and the exit code of each.
#
# Why groups: an integration suite spends about half its time waiting on its
# servers (one request at a time, each a round trip through httpd, slapd and
# the database): under one suite, 2 cores were measured 40-60% idle, and the
# SQLite and PostgreSQL suites together took 5.7 and 7.9 minutes against 5.4
# and 7.5 alone.
set -uo pipefail
cd "$(dirname "$0")/.."

MAKE=${MAKE:-make}
RUNS=tests/.runs
SUMMARY_RE='^[0-9]+%: Checks|[0-9]+ (passed|failed|errors?|skipped)|lint: |^fuzz replay: '
mkdir -p "$RUNS"
: > tests/.summary
status=0

summarise() { # suite rc
    local line
    line=$(grep -E "$SUMMARY_RE" "$RUNS/$1.log" | tail -n 1)
    echo "$1: ${line:-no summary line} (exit $2)" >> tests/.summary
    [ "$2" = 0 ] || status=1
}

for group in "$@"; do
    read -r -a suites <<< "$group"
    if [ "${#suites[@]}" = 1 ]; then
        echo "== ${suites[0]}"
        $MAKE --no-print-directory "${suites[0]}" 2>&1 | tee "$RUNS/${suites[0]}.log"
        summarise "${suites[0]}" "${PIPESTATUS[0]}"
        continue
    fi
    echo "== ${suites[*]} (at the same time)"
    pids=()
    for suite in "${suites[@]}"; do
        $MAKE --no-print-directory "$suite" > "$RUNS/$suite.log" 2>&1 &
        pids+=("$!")
    done
    for i in "${!suites[@]}"; do
        wait "${pids[$i]}"
        rc=$?
        echo "== ${suites[$i]}"
        cat "$RUNS/${suites[$i]}.log"
        summarise "${suites[$i]}" "$rc"
    done
done
echo "== summary"
cat tests/.summary
exit $status
