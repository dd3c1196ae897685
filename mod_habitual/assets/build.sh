#!/bin/sh
# Build mod_habitual's page assets into dist/ (run from anywhere).
#
#   sh mod_habitual/assets/build.sh        (or: npm run build, in mod_habitual/assets)
#
# Needs node_modules (npm ci). Environment:
#   HABITUAL_ASSET_URL   prefix of url()s in the CSS; default "" = relative to the
#                        CSS file, which works under any mount (<mount>/assets/).
#
# dist/ afterwards:
#   habitual.css            GOV.UK Frontend + our styles, screen and print
#   govuk-frontend.min.js   GOV.UK Frontend's ES module (+ .map)
#   init.js                 ES module: imports it and calls initAll()
#   supported.js            classic script: adds the body classes GOV.UK Frontend keys on
#   VERSIONS                what it was built from
# No images or fonts: the CSS uses none (the footer crest is mapped to `none`).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

gf=node_modules/govuk-frontend/dist/govuk
sass=node_modules/sass/sass.js
if [ ! -f "$gf/govuk-frontend.min.js" ] || [ ! -f "$sass" ]; then
    echo "build.sh: node_modules missing: run 'npm ci' in $here" >&2
    exit 1
fi

rm -rf dist.tmp
mkdir dist.tmp

# Sass: govuk-frontend 6 is imported with @import and global built-ins, which current dart-sass
# deprecates; those warnings come from the dependency and are quietened. Warnings
# from habitual.scss itself still show.
mkdir dist.tmp/src
printf '$habitual-asset-url: "%s";\n@import "habitual";\n' "${HABITUAL_ASSET_URL:-}" > dist.tmp/src/entry.scss
node "$sass" --load-path=. --load-path=node_modules \
    --style=compressed --no-source-map --quiet-deps \
    --silence-deprecation=import --silence-deprecation=global-builtin \
    dist.tmp/src/entry.scss dist.tmp/habitual.css
rm -r dist.tmp/src

cp "$gf/govuk-frontend.min.js" "$gf/govuk-frontend.min.js.map" dist.tmp/
cp src/init.js src/supported.js dist.tmp/

# Guard the "no GOV.UK branding" promise.
if grep -q 'GDS Transport\|govuk-crest\|@font-face' dist.tmp/habitual.css; then
    echo "build.sh: habitual.css mentions GDS Transport, the crest or a font face" >&2
    exit 1
fi

gfv=$(node -p 'require("./node_modules/govuk-frontend/package.json").version')
sv=$(node -p 'require("./node_modules/sass/package.json").version')
printf 'govuk-frontend %s\nsass %s\nasset-url "%s"\n' "$gfv" "$sv" "${HABITUAL_ASSET_URL:-}" > dist.tmp/VERSIONS

rm -rf dist
mv dist.tmp dist
echo "built $here/dist (govuk-frontend $gfv, sass $sv)"
