#!/bin/sh
# jack_server.sh start|stop NAME DIR - a JACK server on the dummy driver (a
# paced, real audio backend on a machine without a sound card) for the live
# tests.  ctest runs `start` as a fixture set-up and `stop` as its clean-up;
# the tests find the server through JACK_DEFAULT_SERVER=NAME.
set -eu
cmd=$1 name=$2 dir=$3
pidfile=$dir/jackd-$name.pid
log=$dir/jackd-$name.log

stop_pid() {
    pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    # jackd takes about 1.6 s to exit cleanly.
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -KILL "$pid" 2>/dev/null || true
}

case $cmd in
start)
    command -v jackd >/dev/null || { echo "jackd is not installed (package jackd2)" >&2; exit 1; }
    mkdir -p "$dir"
    # A server left over from an interrupted run goes first.
    if [ -f "$pidfile" ]; then stop_pid "$(cat "$pidfile")"; fi
    # setsid and closed pipes: ctest would otherwise wait for jackd's output.
    # Server options before -d (-R real-time, -P priority), driver options
    # after it (-r rate, -p period frames).
    setsid jackd -R -P 70 -n "$name" -d dummy -r 48000 -p 64 </dev/null >"$log" 2>&1 &
    echo $! >"$pidfile"
    if ! jack_wait -s "$name" -w -t 10 >/dev/null 2>&1; then
        echo "the JACK server '$name' did not start; its log:" >&2
        cat "$log" >&2
        exit 1
    fi
    echo "JACK server '$name' running (dummy driver, 48000 Hz, 64-frame periods)"
    ;;
stop)
    if [ -f "$pidfile" ]; then
        stop_pid "$(cat "$pidfile")"
        rm -f "$pidfile"
    fi
    ;;
*)
    echo "usage: jack_server.sh start|stop NAME DIR" >&2
    exit 2
    ;;
esac
