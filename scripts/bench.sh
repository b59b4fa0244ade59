#!/usr/bin/env bash
# Builds the optimised binaries and runs the benchmark (bench/run.py).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target licentiad micro_bench
exec python3 bench/run.py "$@"
