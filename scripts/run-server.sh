#!/usr/bin/env bash
# Installs what Licentia needs, builds it, and starts licentiad on its
# embedded SQLite database. Extra arguments go to licentiad, e.g.
#   scripts/run-server.sh --listen 0.0.0.0:8470 --data-dir /var/lib/licentia
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target licentiad licentia
echo "Starting licentiad (Ctrl-C stops it). The admin CLI is build/release/src/cli/licentia."
exec build/release/src/server/licentiad "$@"
