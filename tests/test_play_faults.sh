#!/bin/sh
# test_play_faults.sh LULL FAULT_LIB - `lull play` under faults, as a user
# would see it (issue 7).  FAULT_LIB (tests/fault_inject.c) is preloaded into
# the real lull command to make one clip file's reads stall, or its audio
# callback slow; busy loops load every core.  Each run must play to its end
# (exit 0) and say what went wrong in its summary: clip audio that was not
# ready (counted, with the seconds of silence) and late callbacks (every one
# the test caused, at least).  Plays on the JACK dummy server of the
# jack_server fixture.  test_live_faults checks the same faults sample by
# sample through the player API.
set -u

LULL=${1:?usage: test_play_faults.sh PATH/TO/lull PATH/TO/fault_inject.so}
FAULT=${2:?usage: test_play_faults.sh PATH/TO/lull PATH/TO/fault_inject.so}
case $LULL in /*) ;; *) LULL=$(pwd)/$LULL ;; esac
case $FAULT in /*) ;; *) FAULT=$(pwd)/$FAULT ;; esac
: "${JACK_DEFAULT_SERVER:?run by ctest with the jack_server fixture}"
# A sanitizer build's runtime must come first; the preloaded library is
# plain C with no allocations of its own to check.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

T=$(mktemp -d "${TMPDIR:-/tmp}/lull-faults-XXXXXX")
hogs=""
cleanup() {
    for h in $hogs; do kill "$h" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1

failures=0
fail() {
    failures=$((failures + 1))
    echo "FAILED: $*" >&2
}
has() {
    grep -qF -- "$2" "$1" || fail "$1 lacks '$2': $(cat "$1")"
}
# field FILE NAME: the number after NAME in the fault library's report.
field() {
    sed -n "s/^$2 //p" "$1"
}

sox -n -r 48000 -c 1 -b 16 speech.wav synth 6 sine 1000 vol 0.5 || { echo "sox failed" >&2; exit 1; }
cat >clip.lull <<'LULL'
title "Faults"
voice drone binaural carrier=200Hz beat=10Hz gain=-14dB
voice talk clip
0:00.5 talk play "speech.wav"
0:08 end
LULL
cat >tones.lull <<'LULL'
title "Load"
voice drone binaural carrier=200Hz beat=10Hz gain=-14dB
voice bed noise color=pink gain=-28dB
voice hum monaural carrier=120Hz beat=4Hz gain=-20dB
0:04 end
LULL

# ---------------------------------------------------- a stalled loader
# Reads of the clip block for 4 s once, 2 s into it (past what the script's
# check reads).  The summary says how much clip audio was silence: at least
# the stall (at 75 % speed) minus the loader's 1.37 s ring.
LD_PRELOAD=$FAULT LULL_FAULT_FILE=speech.wav LULL_FAULT_AT=192044 LULL_FAULT_STALL_MS=4000 \
    LULL_FAULT_REPORT=$T/stall.txt "$LULL" play --api jack clip.lull >out.txt 2>err.txt
code=$?
cat err.txt
[ "$code" -eq 0 ] || fail "stalled loader: exit $code"
[ "$(field stall.txt stalls)" = 1 ] || fail "the stall did not happen: $(cat stall.txt)"
has err.txt "played 'Faults' for 0:08"
has err.txt "clips were not decoded in time"
silent=$(sed -n 's/.*(\([0-9.]*\) s of clip audio played as silence.*/\1/p' err.txt)
awk -v s="${silent:-0}" 'BEGIN { exit !(s >= 0.75 * 4.0 - 1.37 && s <= 6.0) }' ||
    fail "stalled loader: ${silent:-no} seconds of silence reported"

# ------------------------------------------------------ a slow callback
# Every 40th callback busy-waits 8 ms (six 64-frame blocks): the summary
# counts at least every one of them as late, and the session plays on.
LD_PRELOAD=$FAULT LULL_FAULT_CB_SPIN_US=8000 LULL_FAULT_CB_EVERY=40 LULL_FAULT_REPORT=$T/cb.txt \
    "$LULL" play --api jack tones.lull >out.txt 2>err.txt
code=$?
cat err.txt
[ "$code" -eq 0 ] || fail "slow callback: exit $code"
has err.txt "played 'Load' for 0:04"
slowed=$(field cb.txt slowed_callbacks)
late=$(sed -n 's/.* \([0-9][0-9]*\) late callback.*/\1/p' err.txt)
[ "${slowed:-0}" -ge 10 ] || fail "slow callback: only ${slowed:-0} callbacks slowed"
[ "${late:-0}" -ge "${slowed:-0}" ] || fail "slow callback: $slowed made late, the summary says ${late:-none}"

# ------------------------------------------- other processes hog the CPU
# One busy loop per core and one more, for the whole session: it plays to
# the end, and the summary states its xruns and late callbacks (whatever
# they are on this machine: they are measured, not assumed).
n=$(nproc 2>/dev/null || echo 2)
i=0
while [ $i -le "$n" ]; do
    sh -c 'while :; do :; done' &
    hogs="$hogs $!"
    i=$((i + 1))
done
"$LULL" play --api jack tones.lull >out.txt 2>err.txt
code=$?
for h in $hogs; do kill "$h" 2>/dev/null; done
hogs=""
cat err.txt
[ "$code" -eq 0 ] || fail "under CPU load: exit $code"
has err.txt "played 'Load' for 0:04"
grep -Eq '[0-9]+ xruns?, [0-9]+ late callbacks? \(slowest [0-9]+% of its time\)' err.txt ||
    fail "under CPU load: no xrun and late-callback counts in the summary"

# -------------------------------------------------- a clip that is a FIFO
# Refused when the script loads (it could block the loader forever).
mkfifo pipe.wav
printf 'voice talk clip\n0:00 talk play "pipe.wav"\n0:01 end\n' >fifo.lull
"$LULL" play --api jack fifo.lull >out.txt 2>err.txt
code=$?
[ "$code" -eq 2 ] || fail "a FIFO clip: exit $code, expected 2"
has err.txt "fifo.lull:2:"
has err.txt "not a regular file"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "ok"
