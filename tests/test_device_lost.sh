#!/bin/sh
# test_device_lost.sh LULL JACK_SERVER_SH NAME DIR - the output goes away in
# the middle of a session: `lull play` runs on a JACK server of its own, the
# server is shut down after a second and a half, and lull must stop by
# itself with a one-line message and exit 1 (not hang, not crash).
set -u
LULL=${1:?} JACKSH=${2:?} NAME=${3:?} DIR=${4:?}
T=$(mktemp -d "${TMPDIR:-/tmp}/lull-lost-XXXXXX")
trap 'sh "$JACKSH" stop "$NAME" "$DIR" >/dev/null 2>&1; rm -rf "$T"' EXIT

printf 'title "Lost"\nvoice d binaural carrier=220Hz beat=6Hz gain=-14dB\n1:00 end\n' >"$T/s.lull"
sh "$JACKSH" start "$NAME" "$DIR" || exit 1
JACK_DEFAULT_SERVER=$NAME "$LULL" play --api jack "$T/s.lull" >"$T/out" 2>"$T/err" &
pid=$!
sleep 1.5
sh "$JACKSH" stop "$NAME" "$DIR"
wait $pid
got=$?
failures=0
if [ "$got" -ne 1 ]; then
    echo "FAILED: lull exited $got after the device went away, expected 1: $(cat "$T/err")"
    failures=1
fi
if ! grep -q "stopped during playback" "$T/err"; then
    echo "FAILED: no device-lost message: $(cat "$T/err")"
    failures=1
fi
n=$(wc -l <"$T/err")
if [ "$n" -ne 1 ]; then
    echo "FAILED: $n lines on stderr, expected one: $(cat "$T/err")"
    failures=1
fi
[ $failures -eq 0 ] && echo "ok: $(cat "$T/err")"
exit $failures
