#!/usr/bin/env bash
# Regenerates the screenshots of docs/console.md (docs/console/*.png): runs
# the console's browser tests (tests/console) against a freshly built
# licentiad with LICENTIA_SCREENSHOT_DIR set, so that each picture shows the
# pages exactly as the tests click through them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
export CCACHE_BASEDIR="$PWD"
cmake --preset release >/dev/null
cmake --build --preset release --target licentiad licentia >/dev/null
mkdir -p docs/console
LICENTIA_SCREENSHOT_DIR="$PWD/docs/console" \
LICENTIAD_PATH="$PWD/build/release/src/server/licentiad" \
LICENTIA_CLI_PATH="$PWD/build/release/src/cli/licentia" \
  node --test tests/console/console.test.mjs >/dev/null
ls docs/console/*.png
