#!/bin/sh
# test_play_cli.sh LULL - `lull play` and `lull devices` as a user runs them,
# without a terminal, on the JACK dummy server of the jack_server fixture
# (JACK_DEFAULT_SERVER names it): the one-line summary, --stop-after (the
# frames played match the time asked), --loop, Ctrl-C (fades out, exit 0),
# and the one-line errors for an unsupported rate, an unknown device and no
# device at all (with ALSA's and JACK's chatter silenced).
set -u

LULL=${1:?usage: test_play_cli.sh PATH/TO/lull}
case $LULL in /*) ;; *) LULL=$(pwd)/$LULL ;; esac
: "${JACK_DEFAULT_SERVER:?run by ctest with the jack_server fixture}"

T=$(mktemp -d "${TMPDIR:-/tmp}/lull-play-XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

failures=0
fail() {
    failures=$((failures + 1))
    echo "FAILED: $*" >&2
}
run() {
    want=$1
    shift
    "$LULL" "$@" >out.txt 2>err.txt
    got=$?
    [ "$got" -eq "$want" ] || fail "lull $* exited $got, expected $want; stderr: $(cat err.txt)"
}
has() {
    grep -qF -- "$2" "$1" || fail "$1 lacks '$2': $(cat "$1")"
}
# one_line FILE: exactly one line (the error, and no backend noise).
one_line() {
    n=$(wc -l <"$1")
    [ "$n" -eq 1 ] || fail "$1 has $n lines, expected one: $(cat "$1")"
}

cat >long.lull <<'EOF'
title "Play test"
voice drone binaural carrier=200Hz beat=10Hz gain=-14dB
voice bed   noise color=pink gain=-28dB
0:00 section "One"
0:05 section "Two"
1:00 end
EOF
cat >short.lull <<'EOF'
title "Short"
voice drone binaural carrier=250Hz beat=5Hz gain=-14dB
0:01 end
EOF

# devices: JACK's system output is there.
run 0 devices
has out.txt "system"
has out.txt "JACK"

# A whole (short) session without a terminal: quiet, then one summary line.
run 0 play --api jack short.lull
one_line err.txt
has err.txt "played 'Short' for 0:01"
has err.txt "JACK"
[ -s out.txt ] && fail "play wrote to stdout: $(cat out.txt)"

# --stop-after: ends on time (the summary counts frames sent to the device).
run 0 play --api jack --stop-after 2s long.lull
has err.txt "played 'Play test' for 0:02"
# --loop: a 1 s session looped, stopped after 3 s.
run 0 play --api jack --loop --stop-after 3s short.lull
has err.txt "for 0:03"
# -q: nothing at all.
# --loudness measures first and starts at the trim that reaches the target
# (short.lull's drone alone measures about -17 LUFS: -23 needs about -6 dB).
run 0 play --api jack --loudness -23 short.lull
has err.txt "measured"
grep -qE "volume -[0-9]" err.txt || fail "--loudness -23 did not turn the volume down: $(cat err.txt)"
run 2 play --api jack --loudness loud short.lull
run 0 play -q --api jack --stop-after 1s short.lull
[ -s err.txt ] && fail "play -q printed: $(cat err.txt)"

# --start-at: waits for the time of day, then plays.  Three seconds ahead
# (at least two whole seconds after rounding to the second), then the 1 s
# session: the run takes at least 3 s.
at=$(date -d '+3 seconds' +%H:%M:%S)
t0=$(date +%s.%N)
run 0 play --api jack --start-at "$at" short.lull
t1=$(date +%s.%N)
has err.txt "played 'Short' for 0:01"
took=$(awk "BEGIN { print $t1 - $t0 }")
awk "BEGIN { exit !($took >= 3.0) }" || fail "--start-at $at did not wait: the run took $took s"

# Ctrl-C: a one-second fade, then exit 0 with the summary.
"$LULL" play --api jack long.lull >out.txt 2>err.txt &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid
got=$?
[ "$got" -eq 0 ] || fail "Ctrl-C: exit $got, expected 0: $(cat err.txt)"
has err.txt "(stopped early)"
has err.txt "for 0:0" # about 1.5 s played + the 1 s fade, not the minute

# Errors: one line each, exit 1.
run 1 play --api jack --rate 44100 short.lull
one_line err.txt
has err.txt "cannot play at 44100 Hz"
run 1 play --api jack --device no-such-device short.lull
one_line err.txt
has err.txt "no output device matches 'no-such-device'"
run 1 play --api nosuchapi short.lull
has err.txt "no audio system called 'nosuchapi'"

# Usage errors: exit 2.
run 2 play --stop-after 45 short.lull
has err.txt "--stop-after expects a duration"
run 2 play --start-at 25:00 short.lull
has err.txt "--start-at expects a time of day"
run 2 play --latency 0 short.lull
run 2 play
run 2 play --bogus short.lull
run 0 play --help
has out.txt "--stop-after"

# No device at all: no JACK server by that name, and an ALSA configuration
# whose only device is a sound card that is not there.  (A configuration
# with no device at all trips an assertion inside PortAudio 19.6.)  One line,
# no ALSA/JACK chatter, exit 1.
printf 'pcm.!default { type hw card 99 }\n' >empty-alsa.conf
JACK_DEFAULT_SERVER=lull-no-such-server-$$ ALSA_CONFIG_PATH=$T/empty-alsa.conf \
    "$LULL" play short.lull >out.txt 2>err.txt
got=$?
[ "$got" -eq 1 ] || fail "no device: exit $got, expected 1"
one_line err.txt
has err.txt "no audio output device found"
has err.txt "lull render"
JACK_DEFAULT_SERVER=lull-no-such-server-$$ ALSA_CONFIG_PATH=$T/empty-alsa.conf \
    "$LULL" devices >out.txt 2>err.txt
got=$?
[ "$got" -eq 1 ] || fail "devices with no device: exit $got, expected 1"
one_line err.txt

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo ok
