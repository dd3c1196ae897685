#!/bin/sh
# Check the page mocks (mod_habitual/assets/mock/*.html) as served pages, under the
# pages' real Content-Security-Policy: axe-core WCAG 2.2 A/AA, CSP, console, sub-resources;
# with JavaScript, without it, on a phone-sized screen, and the letter as printed.
# Screenshots go to tests/browser/screenshots/ (or $SCREENSHOTS).
#
#   sh tests/browser/check_mocks.sh
#
# Needs: npm ci in tests/browser and in mod_habitual/assets, then mod_habitual/assets/build.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
assets=$(cd "$here/../../mod_habitual/assets" && pwd)
shots=${SCREENSHOTS:-$here/screenshots}
mkdir -p "$shots"
[ -f "$assets/dist/habitual.css" ] || { echo "check_mocks: build the assets first: sh $assets/build.sh" >&2; exit 2; }

log=$(mktemp)
node "$here/serve_static.js" "$assets" 0 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"' EXIT INT TERM
i=0
while ! grep -q '^listening ' "$log"; do
    i=$((i + 1)); [ $i -lt 100 ] || { cat "$log" >&2; exit 2; }
    sleep 0.1
done
base=$(sed -n 's/^listening //p' "$log")

passed=0; failed=0
check() {  # NAME URL-PATH [axe_check options]
    name=$1; url=$base$2; shift 2
    echo "== $name"
    if node "$here/axe_check.js" "$url" --screenshot "$shots/$name.png" "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
}
for page in "$assets"/mock/*.html; do
    m=$(basename "$page" .html)
    check "mock-$m" "mock/$m.html"
    check "mock-$m-nojs" "mock/$m.html" --no-js
    check "mock-$m-mobile" "mock/$m.html" --width 375
done
check "mock-letter-print" "mock/letter.html" --print
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
