#!/usr/bin/env bash
# Installs what Licentia needs, builds it and runs every test: formatting,
# Clang's thread-safety analysis over every library and program, the
# optimised build's unit, integration and end-to-end tests (the server
# suites on SQLite and on a throwaway PostgreSQL cluster), then the same
# tests under AddressSanitizer + UndefinedBehaviorSanitizer, then each
# libFuzzer target for a short while (scripts/fuzz.sh). A one-round run of
# the benchmark checks that it still works (its numbers are not checked).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Paths relative to the checkout let ccache reuse objects across clones.
export CCACHE_BASEDIR="$PWD"

echo "== clang-format"
scripts/check-format.sh

# Clang's thread-safety analysis over every library and program: a use of
# GUARDED_BY state without its lock fails the build (-Werror). A file that
# breaks that rule must fail to compile, or the check checks nothing.
echo "== Clang thread-safety analysis"
cmake --preset thread-safety >/dev/null
cmake --build --preset thread-safety
if clang++ -std=c++20 -fsyntax-only -Wthread-safety -Werror -Isrc \
    tests/thread_safety/unguarded_access.cc 2>/dev/null; then
  echo "thread-safety: an unguarded access compiled; the analysis is off" >&2
  exit 1
fi

# A throwaway PostgreSQL cluster for the suites that also run on PostgreSQL;
# always stopped, whatever happens.
pg_dir=$(mktemp -d /tmp/licentia-pg.XXXXXX)
chmod 755 "$pg_dir"
trap 'scripts/pg-cluster.sh stop "$pg_dir/cluster"; rm -rf "$pg_dir"' EXIT
LICENTIA_TEST_POSTGRES_URL=$(scripts/pg-cluster.sh start "$pg_dir/cluster")
export LICENTIA_TEST_POSTGRES_URL
echo "== PostgreSQL test cluster at $LICENTIA_TEST_POSTGRES_URL"

echo "== release build and tests"
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release

# The benchmark itself must keep working (wrk, its Lua scripts, the setup
# through the admin API, the tables); one short round, numbers unchecked.
echo "== benchmark smoke run"
python3 bench/run.py --rounds 1 --seconds 1 --codes 2000 --sweep 16 \
  --postgres "$LICENTIA_TEST_POSTGRES_URL" >/dev/null
python3 bench/paired.py --rounds 1 --seconds 1 --codes 2000 \
  a=build/release/src/server/licentiad b=build/release/src/server/licentiad \
  >/dev/null

echo "== ASan/UBSan build and tests"
cmake --preset asan >/dev/null
cmake --build --preset asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --preset asan

echo "== fuzz targets (Clang, ASan/UBSan), 15 s each"
scripts/fuzz.sh 15
