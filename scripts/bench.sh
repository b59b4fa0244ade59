#!/usr/bin/env bash
# Builds the optimised binaries, starts a throwaway PostgreSQL cluster and
# runs the benchmark (bench/run.py) on SQLite and on PostgreSQL with one and
# two instances. Extra arguments go to bench/run.py.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target licentiad micro_bench
pg_dir=$(mktemp -d /tmp/licentia-pg.XXXXXX)
chmod 755 "$pg_dir"
trap 'scripts/pg-cluster.sh stop "$pg_dir/cluster"; rm -rf "$pg_dir"' EXIT
pg_url=$(scripts/pg-cluster.sh start "$pg_dir/cluster")
python3 bench/run.py --postgres "$pg_url" "$@"
