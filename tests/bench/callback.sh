#!/bin/sh
# callback.sh LULL-BENCH-CALLBACK [SECONDS] - the callback benchmark at 64 and
# 256 frames: for each period a JACK server of its own on the dummy driver
# is started, the benchmark runs against it, and the server is stopped.
set -eu
BIN=${1:?usage: callback.sh PATH/TO/lull-bench-callback [SECONDS]}
SECONDS_EACH=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d "${TMPDIR:-/tmp}/lull-bench-XXXXXX")
NAME=lull-bench-$$
# (the server is usually gone by then: a failed kill must not fail the run)
trap 'pid=$(cat "$DIR/jackd.pid" 2>/dev/null) && kill "$pid" 2>/dev/null || true; rm -rf "$DIR"' EXIT
for period in 64 256; do
    setsid jackd -R -P 70 -n "$NAME" -d dummy -r 48000 -p "$period" </dev/null >"$DIR/jackd.log" 2>&1 &
    echo $! >"$DIR/jackd.pid"
    jack_wait -s "$NAME" -w -t 10 >/dev/null 2>&1
    JACK_DEFAULT_SERVER=$NAME "$BIN" --seconds "$SECONDS_EACH" "$HERE/../.."
    kill "$(cat "$DIR/jackd.pid")"
    jack_wait -s "$NAME" -q -t 10 >/dev/null 2>&1 || true
    sleep 1
done
