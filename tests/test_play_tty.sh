#!/bin/sh
# test_play_tty.sh LULL - `lull play` on a terminal: `script` gives it a
# pseudo-terminal, and keys are typed into it: space (pause), space
# (resume), n (next section), - (volume down 1 dB), q (fade out, quit).  The
# redrawn status line must show each change, and lull must exit 0.
set -u
LULL=${1:?usage: test_play_tty.sh PATH/TO/lull}
: "${JACK_DEFAULT_SERVER:?run by ctest with the jack_server fixture}"
command -v script >/dev/null || { echo "script(1) not found (bsdutils)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/lull-tty-XXXXXX")
trap 'rm -rf "$T"' EXIT
printf 'title "Terminal"\nvoice d binaural carrier=250Hz beat=5Hz gain=-14dB\n0:00 section "One"\n0:10 section "Two"\n1:00 end\n' >"$T/s.lull"

(sleep 1.5; printf ' '; sleep 0.7; printf ' '; sleep 0.5; printf 'n'; sleep 0.5; printf '%s' '-'
 sleep 0.5; printf 'q'; sleep 3) |
    TERM=xterm script -qfc "'$LULL' play --api jack '$T/s.lull'; echo EXIT=\$?" "$T/typescript" >/dev/null

# One status line per redraw, escape sequences and all.
tr '\r' '\n' <"$T/typescript" >"$T/lines"
failures=0
expect() {
    grep -qF -- "$1" "$T/lines" || { echo "FAILED: the display never showed '$1'"; failures=$((failures + 1)); }
}
expect "Terminal"            # the title
expect ">  One"              # playing, first section
expect "|| One"              # space: paused
expect ">  Two"              # n: next section
expect "vol -1 dB"           # -: one dB down
expect "(stopped early)"     # q: summary after the fade
expect "EXIT=0"
if [ $failures -ne 0 ]; then
    echo "--- what the terminal showed:"
    grep -a "One\|Two\|EXIT\|lull" "$T/lines" | uniq | tail -20
    exit 1
fi
echo ok
