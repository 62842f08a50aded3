#!/bin/sh
# test_sbg_cli.sh LULL SBG_DIR - the lull command on SBaGen schedules: check,
# render and convert by extension and with --format sbg; the converted
# script renders the same file bit for bit; errors exit 2 with file:line:col
# and leave no output behind.
set -u
LULL=${1:?usage: test_sbg_cli.sh PATH/TO/lull SBG_DIR}
DIR=${2:?usage: test_sbg_cli.sh PATH/TO/lull SBG_DIR}
T=$(mktemp -d "${TMPDIR:-/tmp}/lull-sbg-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAILED: $*" >&2; fails=$((fails + 1)); }

"$LULL" check "$DIR/binaural.sbg" >"$T/check.out" 2>&1 || fail "check binaural.sbg: $(cat "$T/check.out")"
grep -q "length 4:30" "$T/check.out" || fail "check: no length 4:30 in: $(cat "$T/check.out")"
grep -q "ch1_left" "$T/check.out" || fail "check: voices not listed"

# render by extension; convert into another folder; render the conversion
# (24-bit WAV: float WAVs carry a time stamp in their PEAK chunk)
"$LULL" render -q "$DIR/slide.sbg" -o "$T/a.wav" --rate 8000 || fail "render slide.sbg"
mkdir "$T/sub"
"$LULL" convert -q "$DIR/slide.sbg" -o "$T/sub/slide.lull" || fail "convert slide.sbg"
grep -q "^## A slide over the whole period with ->" "$T/sub/slide.lull" || fail "## comment not kept"
"$LULL" render -q "$T/sub/slide.lull" -o "$T/b.wav" --rate 8000 || fail "render slide.lull"
cmp -s "$T/a.wav" "$T/b.wav" || fail "the converted script renders differently"

# --format sbg on a name that does not say so
cp "$DIR/compound.sbg" "$T/compound.txt"
"$LULL" check -q --format sbg "$T/compound.txt" || fail "check --format sbg"
"$LULL" render -q --format sbg "$T/compound.txt" -o "$T/c.wav" --rate 8000 || fail "render --format sbg"
"$LULL" check -q "$T/compound.txt" 2>/dev/null && fail "a .txt schedule read as lull should fail"
"$LULL" convert --format sbg "$T/compound.txt" -o - >"$T/c.lull" 2>/dev/null || fail "convert to stdout"
grep -q "^title" "$T/c.lull" || fail "convert -o -: no script on stdout"
"$LULL" convert "$T/compound.txt" -o "$T/x.lull" 2>/dev/null
[ $? -eq 2 ] || fail "convert of a file not named .sbg without --format should exit 2"

# an error: exit 2, file:line:column, nothing written
printf 'a: 200+4/10\nNOW b\n' >"$T/bad.sbg"
"$LULL" render "$T/bad.sbg" -o "$T/bad.wav" 2>"$T/err"
[ $? -eq 2 ] || fail "render of a bad schedule should exit 2"
grep -q "bad.sbg:2:5: error: 'b' is not a defined tone-set" "$T/err" || fail "error text: $(cat "$T/err")"
[ -e "$T/bad.wav" ] && fail "a failed render left a file"
"$LULL" convert "$T/bad.sbg" -o "$T/bad.lull" 2>/dev/null
[ $? -eq 2 ] || fail "convert of a bad schedule should exit 2"
[ -e "$T/bad.lull" ] && fail "a failed convert left a file"

[ $fails -eq 0 ] && echo "test_sbg_cli: all checks passed"
exit $((fails > 0))
