#!/usr/bin/env bash
# Fails if any C/C++ file is not clang-formatted (.clang-format, Google-based).
# With --fix, formats them in place.
set -euo pipefail
cd "$(dirname "$0")/.."
# Tracked and new (untracked, not ignored) files alike.
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cc' '*.h' '*.c')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
clang-format --dry-run -Werror "${files[@]}"
echo "clang-format: ${#files[@]} files formatted"
