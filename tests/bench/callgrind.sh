#!/bin/sh
# Instruction count of the engine per 64-frame block (16 voices: 8 binaural,
# 8 noise), measured with callgrind: exactly repeatable on a noisy machine,
# so a change that makes the hot path slower shows in review.
#
#   tests/bench/callgrind.sh LULL_BENCH_BINARY [--update]
#
# Compares against tests/bench/callgrind-counts.txt; --update rewrites it.
set -eu
bench=$1
here=$(cd "$(dirname "$0")" && pwd)
counts="$here/callgrind-counts.txt"
blocks=3000
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=lull_engine_process \
    "$bench" --kernel "$blocks" >/dev/null 2>&1
ir=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
per_block=$((ir / blocks))
per_frame=$((per_block / 64))
echo "callgrind: lull_engine_process, 16 voices: $per_block instructions per 64-frame block ($per_frame per frame)"
if [ "${2:-}" = "--update" ]; then
    printf 'mixer16_per_block %s\n' "$per_block" > "$counts"
    echo "callgrind: wrote $counts"
elif [ -f "$counts" ]; then
    was=$(awk '/^mixer16_per_block/ { print $2 }' "$counts")
    echo "callgrind: recorded $was; now $per_block ($(awk -v a="$per_block" -v b="$was" 'BEGIN { printf "%+.1f%%", (a - b) * 100 / b }'))"
fi
