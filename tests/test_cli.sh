#!/bin/sh
# test_cli.sh LULL [REFERENCE.md] - the lull command: help and version, exit codes and
# messages for bad usage, `check` on good and bad scripts, `render` to every
# format (checked with soxi), and that a failed or interrupted render leaves
# no file and no temporary file behind and never touches an existing output.
#
# Run by ctest with the path of the lull binary (and of scripts/README.md,
# whose examples must pass `lull check`).  Needs sox (soxi), which
# tools/setup-deps installs.
set -u

LULL=${1:?usage: test_cli.sh PATH/TO/lull}
case $LULL in /*) ;; *) LULL=$(pwd)/$LULL ;; esac
REF=${2:-}
case $REF in /* | '') ;; *) REF=$(pwd)/$REF ;; esac
command -v soxi >/dev/null 2>&1 || { echo "test_cli: soxi not found (install sox: tools/setup-deps)"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/lull-cli-XXXXXX")
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1

failures=0
fail() {
    failures=$((failures + 1))
    echo "FAILED: $*" >&2
}

# run EXPECTED_STATUS ARGS...: run lull, stdout in out.txt, stderr in err.txt.
run() {
    want=$1
    shift
    "$LULL" "$@" >out.txt 2>err.txt
    got=$?
    [ "$got" -eq "$want" ] || fail "lull $* exited $got, expected $want; stderr: $(cat err.txt)"
}

# has FILE TEXT: FILE contains TEXT (fixed string).
has() {
    grep -qF -- "$2" "$1" || fail "$1 lacks '$2': $(cat "$1")"
}

# no_leftovers DIR: nothing named *.lull-* (a render's temporary file) in DIR.
no_leftovers() {
    left=$(find "$1" -maxdepth 1 -name '.*.lull-*' 2>/dev/null)
    [ -z "$left" ] || fail "temporary file left behind: $left"
}

cat >good.lull <<'EOF'
title "CLI test"
voice drone binaural carrier=200Hz beat=10Hz gain=-14dB
voice bed   noise color=pink gain=-26dB
0:00   master fade-in 0.5s
0:00.5 drone beat=6Hz over 1s
1.5s   section "Feet"
+0.5s  master fade-out 0.5s
0:03   end
EOF

printf 'voice drone binaural\n0:01 drnoe gain=-3dB\n0:02 drone carrier=200dB\n0:03 end\n' >bad.lull

# ------------------------------------------------------- help and version
for a in --help -h help; do
    run 0 $a
    has out.txt "usage: lull"
    has out.txt "render"
    has out.txt "check"
done
run 0 --version
grep -Eq '^lull [0-9]+\.[0-9]+\.[0-9]+' out.txt || fail "--version printed: $(cat out.txt)"
for c in render check; do
    run 0 $c --help
    has out.txt "usage: lull $c"
    run 0 $c -h
done
has out.txt "--quiet"

# -------------------------------------------------------------- bad usage
run 2
has err.txt "usage: lull"
run 2 --frobnicate
has err.txt "unknown option '--frobnicate'"
run 2 frobnicate
has err.txt "unknown command 'frobnicate'"
run 2 check
has err.txt "which session?"
run 2 check good.lull bad.lull
has err.txt "one session at a time"
run 2 check --frob good.lull
has err.txt "unknown option '--frob'"
run 2 render
has err.txt "which session?"
run 2 render good.lull
has err.txt "-o OUT"
run 2 render good.lull -o
has err.txt "needs a value"
run 2 render --frob good.lull -o x.wav
has err.txt "unknown option '--frob'"
run 2 render good.lull -o x.wav --bits 12
has err.txt "--bits expects 16, 24 or 32f"
run 2 render good.lull -o x.wav --rate fast
has err.txt "--rate expects a whole number"
run 2 render good.lull -o x.wav --rate 1000
has err.txt "--rate"
run 2 render good.lull -o x.wav --seed lots
has err.txt "--seed expects a whole number"
# Numbers on the command line are plain decimals, as in scripts: no hex,
# octal, exponent, nan or negative seed slips through as something else.
for bad in "--seed 0x10" "--seed -1" "--seed 99999999999999999999999" "--loudness 0x10" \
    "--loudness nan" "--true-peak -1e0" "--rate 0x100"; do
    # shellcheck disable=SC2086 # the option and its value, split on purpose
    run 2 render good.lull -o x.wav $bad
    has err.txt "${bad%% *} expects"
done
[ ! -e x.wav ] || fail "a refused option left x.wav"
run 2 play good.lull --volume nan
has err.txt "--volume expects decibels"
run 2 play good.lull --volume 0x3
has err.txt "--volume expects decibels"
run 2 play good.lull --stop-after infm
has err.txt "--stop-after expects a duration"
run 2 play good.lull --stop-after 0x10m
has err.txt "--stop-after expects a duration"
run 2 render good.lull -o x.wav --format mp3
has err.txt "--format expects wav, flac or ogg"
run 2 render good.lull -o x.mp3
has err.txt "cannot tell the format of 'x.mp3'"
mkdir adir.wav
run 2 render good.lull -o adir.wav
has err.txt "is a folder"
{ [ -e x.wav ] || [ -e x.mp3 ]; } && fail "a usage error wrote a file"
no_leftovers .

# ------------------------------------------------------------------ check
run 0 check good.lull
has out.txt '"CLI test"'
has out.txt "length 0:03"
has out.txt "drone"
has out.txt "binaural"
has out.txt "Feet"
has out.txt "ok"
run 0 check -q good.lull
[ -s out.txt ] && fail "check -q printed: $(cat out.txt)"
run 2 check bad.lull
[ -s out.txt ] && fail "check of a bad script printed on stdout: $(cat out.txt)"
has err.txt "bad.lull:2:6: error: unknown voice 'drnoe'"
has err.txt "bad.lull:3:23: error: bad unit 'dB'"
# The line and a caret under the column (two spaces of indent, then col-1).
grep -qx '  0:01 drnoe gain=-3dB' err.txt || fail "source line not shown: $(cat err.txt)"
grep -qx '       ^' err.txt || fail "caret not under column 6: $(cat err.txt)"
grep -qx '                        ^' err.txt || fail "caret not under column 23: $(cat err.txt)"
# No colour codes when stderr is not a terminal.
grep -q "$(printf '\033')" err.txt && fail "colour codes in a file"
run 2 check missing.lull
has err.txt "missing.lull"

# ----------------------------------------------------------------- render
# soxi_is FILE FLAG VALUE
soxi_is() {
    # (soxi warns about libsndfile's float WAV fmt chunk on stderr)
    v=$(soxi "$2" "$1" 2>/dev/null)
    [ "$v" = "$3" ] || fail "soxi $2 $1 gave '$v', expected '$3'"
}

run 0 render good.lull -o out24.wav
has err.txt "wrote out24.wav"
soxi_is out24.wav -t wav
soxi_is out24.wav -r 48000
soxi_is out24.wav -c 2
soxi_is out24.wav -b 24
soxi_is out24.wav -s 144000
run 0 render good.lull -o out16.wav --bits 16 -q
[ -s err.txt ] && fail "render -q printed: $(cat err.txt)"
soxi_is out16.wav -b 16
soxi_is out16.wav -s 144000
run 0 render good.lull -o out32.wav --bits 32f
soxi_is out32.wav -b 32
soxi_is out32.wav -e "Floating Point PCM"
soxi_is out32.wav -s 144000
run 0 render good.lull -o out.flac
soxi_is out.flac -t flac
soxi_is out.flac -b 24
soxi_is out.flac -s 144000
run 0 render good.lull -o out.ogg --rate 44100
soxi_is out.ogg -t vorbis
soxi_is out.ogg -r 44100
soxi_is out.ogg -c 2
soxi_is out.ogg -s 132300
run 0 render good.lull -o noext --format flac
soxi_is noext -t flac
run 0 render good.lull -o out.WAV
soxi_is out.WAV -t wav
# --sync (wait for the disk) writes the same file; over an existing one too.
run 0 render good.lull -o outsync.wav --sync -q
cmp -s out16.wav outsync.wav && fail "--sync wrote the 16-bit file"
run 0 render good.lull -o outsync.wav --sync --bits 16 -q
cmp -s out16.wav outsync.wav || fail "render --sync differs from the same render without it"
# The files hold sound: the fade-in peak is reached, nothing clips.
for f in out24.wav out16.wav out32.wav out.flac out.ogg; do
    peak=$(sox "$f" -n stat 2>&1 | awk '/Maximum amplitude/ { print $3 }')
    awk -v p="$peak" 'BEGIN { exit !(p > 0.1 && p < 1.0) }' || fail "$f peaks at '$peak'"
done
# The title is in the file's metadata (sox shows it for FLAC and Ogg).
soxi -a out.flac | grep -qx "title=CLI test" || fail "title not in the FLAC's comments: $(soxi -a out.flac)"
soxi -a out.ogg | grep -qix "title=CLI test" || fail "title not in the Ogg's comments: $(soxi -a out.ogg)"
# Renders are reproducible for a seed, and the seed changes the noise.
run 0 render good.lull -o again.wav
cmp -s out24.wav again.wav || fail "two renders with the default seed differ"
run 0 render good.lull -o seeded.wav --seed 7
cmp -s out24.wav seeded.wav && fail "--seed 7 gave the default seed's noise"
no_leftovers .

# No progress bar when stderr is not a terminal ...
run 0 render good.lull -o p.wav
tr -d '\n' <err.txt | grep -q "$(printf '\r')" && fail "carriage return in a non-terminal stderr"
grep -q 'elapsed' err.txt && fail "progress bar in a non-terminal stderr: $(cat err.txt)"
# ... and there is one when it is (script(1) gives lull a terminal).
if command -v script >/dev/null 2>&1; then
    script -qec "'$LULL' render good.lull -o tty.wav" /dev/null >tty.txt 2>&1
    grep -q 'elapsed' tty.txt || fail "no progress bar on a terminal: $(cat tty.txt)"
fi

# ------------------------------------------------ failures leave no trace
sum() { cksum <"$1"; }

run 1 render good.lull -o nowhere/out.wav
has err.txt "nowhere"
[ -e nowhere ] && fail "render created the missing folder"

if [ "$(id -u)" -ne 0 ]; then
    mkdir ro
    chmod 555 ro
    run 1 render good.lull -o ro/out.wav
    [ -z "$(ls -A ro)" ] || fail "files in the read-only folder: $(ls -A ro)"
    chmod 755 ro
else
    # root writes through file modes: /proc is a folder no one can add to.
    run 1 render good.lull -o /proc/lull-test-out.wav
    [ -e /proc/lull-test-out.wav ] && fail "wrote into /proc"
fi
run 1 render good.lull -o float.flac --bits 32f
has err.txt "FLAC"
[ -e float.flac ] && fail "a failed FLAC render left float.flac"
no_leftovers .

# An existing output survives every failure untouched.
printf 'precious contents\n' >keep.wav
before=$(sum keep.wav)
run 2 render bad.lull -o keep.wav
run 2 render good.lull -o keep.wav --bits 9
run 1 render good.lull -o keep.wav --format flac --bits 32f
[ "$(sum keep.wav)" = "$before" ] || fail "keep.wav changed after failed renders"
no_leftovers .

# A render that runs out of file size mid-way (ulimit -f) fails cleanly.
printf 'voice a binaural\nvoice b noise\n1:00:00 end\n' >long.lull
(ulimit -f 2048; exec "$LULL" render -q long.lull -o keep.wav) >out.txt 2>err.txt
got=$?
[ "$got" -eq 1 ] || fail "render past the file size limit exited $got, expected 1: $(cat err.txt)"
[ "$(sum keep.wav)" = "$before" ] || fail "keep.wav changed after a failed write"
no_leftovers .

# Interrupted with SIGINT: exit 130, no temporary file, original intact.
"$LULL" render -q long.lull -o keep.wav >out.txt 2>err.txt &
pid=$!
# Wait for the temporary file to exist and grow, then interrupt.
i=0
while [ $i -lt 200 ]; do
    tmp=$(find . -maxdepth 1 -name '.keep.wav.lull-*' -size +64k 2>/dev/null)
    [ -n "$tmp" ] && break
    sleep 0.05
    i=$((i + 1))
done
[ -n "$tmp" ] || fail "no growing temporary file .keep.wav.lull-* during the render"
kill -INT $pid
wait $pid
got=$?
[ "$got" -eq 130 ] || fail "interrupted render exited $got, expected 130"
has err.txt "interrupted"
[ "$(sum keep.wav)" = "$before" ] || fail "keep.wav changed after an interrupted render"
no_leftovers .
# SIGTERM likewise (128 + 15).
"$LULL" render -q long.lull -o new.wav >out.txt 2>err.txt &
pid=$!
i=0
while [ $i -lt 200 ] && [ -z "$(find . -maxdepth 1 -name '.new.wav.lull-*' -size +64k)" ]; do
    sleep 0.05
    i=$((i + 1))
done
kill -TERM $pid
wait $pid
got=$?
[ "$got" -eq 143 ] || fail "terminated render exited $got, expected 143"
[ -e new.wav ] && fail "a terminated render left new.wav"
no_leftovers .

# A successful render replaces an existing file.
run 0 render good.lull -o keep.wav
soxi_is keep.wav -s 144000

# The language reference's examples are valid scripts.
if [ -n "$REF" ]; then
    awk '/^## A complete example/ { f = 1 } f && /^```$/ { n++; next } f && n == 1' "$REF" >example.lull
    [ -s example.lull ] || fail "no complete example in $REF"
    run 0 check example.lull
    has out.txt "length 25:00"
    awk '!f && /^```$/ { f = 1; next } f && /^```$/ { exit } f' "$REF" >first.lull
    run 0 check first.lull
    has out.txt "length 20:00"
fi

if [ $failures -ne 0 ]; then
    echo "test_cli: $failures failure(s)" >&2
    exit 1
fi
echo "test_cli: ok"
