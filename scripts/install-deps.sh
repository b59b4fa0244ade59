#!/usr/bin/env bash
# Installs every build, test and benchmark dependency of Licentia: Debian
# packages with apt-get, and the console's browser-test driver
# (playwright-core, pinned in tests/console/package-lock.json) with npm.
# Idempotent: packages already present are not reinstalled, the package
# lists are refreshed only when something is missing, and npm runs only
# when the lock file changed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsodium-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev
  libssl-dev libcli11-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  libbenchmark-dev wrk curl python3 sqlite3 clang-format postgresql
  clang libclang-rt-14-dev nodejs chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's nodejs comes without npm; other builds of it bring their own.
if ! command -v npm >/dev/null; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

# The browser tests' npm packages, exactly as locked.
console_tests="$(dirname "$0")/../tests/console"
stamp="$console_tests/node_modules/.licentia-lock"
if ! cmp -s "$console_tests/package-lock.json" "$stamp" 2>/dev/null; then
  echo "install-deps: npm ci in tests/console"
  (cd "$console_tests" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$console_tests/package-lock.json" "$stamp"
fi
echo "install-deps: done"
