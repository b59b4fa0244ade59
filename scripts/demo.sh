#!/usr/bin/env bash
# The reserve activation code in under a minute: a local licentiad with a
# simulated clock, a vendor issuing codes, and a device that activates, adds
# a reserve, and moves to it by itself when its license ends.
#
#   scripts/demo.sh            installs and builds what it needs, then runs
#   LICENTIAD=... LICENTIA=... scripts/demo.sh   uses these binaries instead
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${LICENTIAD:-}" ] || [ -z "${LICENTIA:-}" ]; then
  scripts/install-deps.sh >/dev/null
  cmake --preset release >/dev/null
  cmake --build --preset release --target licentiad licentia >/dev/null
  LICENTIAD=build/release/src/server/licentiad
  LICENTIA=build/release/src/cli/licentia
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s#$LICENTIA#licentia#"; "$@"; }

"$LICENTIAD" --listen 127.0.0.1:0 --data-dir "$work/data" --port-file "$work/port" \
  --admin-token-file "$work/token" --test-clock --no-request-log >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || { cat "$work/server.log"; exit 1; }

export LICENTIA_SERVER="http://127.0.0.1:$(cat "$work/port")"
export LICENTIA_ADMIN_TOKEN="$(cat "$work/token")"
export LICENTIA_PRODUCT=photo LICENTIA_APP_VERSION=22.1
export LICENTIA_STATE_DIR="$work/device" LICENTIA_PUBLIC_KEY="$(cat "$work/data/signing.pub")"

say "The vendor defines a product and issues two one-year codes"
run "$LICENTIA" admin product create photo --name "Photo Studio" --version 22.1
current=$("$LICENTIA" admin codes issue --product photo --term-days 365 --max-devices 3 | tail -1 | cut -d, -f2)
reserve=$("$LICENTIA" admin codes issue --product photo --term-days 365 --max-devices 3 | tail -1 | cut -d, -f2)
echo "first code:  $current"
echo "second code: $reserve"

say "The user activates the first code in the application"
run "$LICENTIA" activate "$current"

say "...and adds the second as the reserve code"
run "$LICENTIA" reserve add "$reserve"

say "Eleven months pass: the license has a month left"
run "$LICENTIA" admin test-clock --advance-days 335
run "$LICENTIA" sync

say "Another month passes: the license ends, and the device moves to the reserve by itself"
run "$LICENTIA" admin test-clock --advance-days 31
run "$LICENTIA" sync

say "The application's check: licensed, with no gap"
run "$LICENTIA" check

say "What the vendor sees"
run "$LICENTIA" admin events --product photo
