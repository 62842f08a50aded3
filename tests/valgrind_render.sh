#!/bin/sh
# valgrind_render.sh LULL - valgrind memcheck over `lull check` and a render
# with every voice kind, to WAV, FLAC and Ogg, with the loudness summary, and
# of a clip session (a looping bed, a resampled ducking voice): no invalid
# read or write, no use of uninitialised memory, no definite leak.  Run by tools/check-all on the
# plain (uninstrumented) build.
set -u
LULL=${1:?usage: valgrind_render.sh PATH/TO/lull}
command -v valgrind >/dev/null 2>&1 || { echo "valgrind_render: valgrind not found (tools/setup-deps --check-all)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/lull-vg-XXXXXX")
trap 'rm -rf "$T"' EXIT

cat >"$T/all.lull" <<'LULL'
title "every voice"
voice b binaural carrier=200Hz beat=10Hz gain=-20dB
voice n noise color=pink gain=-30dB
voice m monaural carrier=300Hz beat=6Hz gain=-24dB
voice i isochronic tone=250Hz rate=8Hz gain=-26dB
voice p pacer inhale=1s exhale=1s gain=-26dB
voice t tone freq=440Hz gain=-30dB pan=0.3
voice c bell freq=528Hz decay=1s gain=-24dB
voice s spin width=400 rate=0.5Hz gain=-30dB
0:00 master fade-in 0.5s
0:00.2 c strike=1
0:00.5 b beat=4Hz over 1s
+0.2s n gain=-20dB
1s section "two"
1.5s c strike=2
0:02 m carrier=250Hz over 1s
0:02.5 master fade-out 0.5s
0:03 end
LULL

failures=0
# vg NAME ARGS...: lull under memcheck; its log in $T/NAME.log.
vg() {
    name=$1
    shift
    valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --log-file="$T/$name.log" "$LULL" "$@" >"$T/$name.out" 2>&1
    rc=$?
    if [ $rc -ne 0 ] || [ -s "$T/$name.log" ]; then
        echo "FAILED: lull $* under valgrind (exit $rc):"
        cat "$T/$name.log" "$T/$name.out"
        failures=$((failures + 1))
    else
        echo "ok: lull $*"
    fi
}
vg check check "$T/all.lull"
vg wav render -q "$T/all.lull" -o "$T/all.wav"
vg flac render -q "$T/all.lull" -o "$T/all.flac" --rate 44100
vg ogg render -q "$T/all.lull" -o "$T/all.ogg"
# Without -q: the loudness summary's meter thread.
vg summary render "$T/all.lull" -o "$T/summary.wav"
# Clips: a looping bed replayed from the loop cache (read in place after its
# first pass), a ducking voice resampled from 44.1 kHz, the loader thread.
cat >"$T/clips.lull" <<'LULL'
title "clips"
voice bed clip gain=-12dB
voice guide clip duck=-8dB
voice b binaural carrier=200Hz beat=6Hz gain=-24dB
0:00 bed play "all.wav" loop fade=0.5s
0:01 guide play "all.flac"
0:05 guide play "all.flac"
0:09 end
LULL
vg clips render "$T/clips.lull" -o "$T/clips.wav"
exit $failures
