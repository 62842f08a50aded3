#!/bin/sh
# test_cli_manners.sh - the lull command's everyday manners: exit codes
# (0 ok, 1 runtime failure, 2 usage or script error), errors on stderr and
# nothing on stdout, --quiet/--verbose, NO_COLOR, `info` and valid
# `info --json`, `render -o -` into a pipe, and `render --loudness` checked
# by an independent meter.
# usage: test_cli_manners.sh LULL MEASURE_LOUDNESS SOURCE_DIR
set -u
lull=$1
meter=$2
src=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/lull-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# run EXPECTED_STATUS CMD... : stdout -> $work/out, stderr -> $work/err
run() {
    want=$1; shift
    "$@" >"$work/out" 2>"$work/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want; stderr: $(head -c 400 "$work/err")"
}
stdout_empty() { [ ! -s "$work/out" ] || fail "$1: printed on stdout: $(head -c 200 "$work/out")"; }
stderr_has() { grep -q -- "$1" "$work/err" || fail "stderr lacks '$1': $(head -c 400 "$work/err")"; }

cat >"$work/s.lull" <<'LULL'
lull 1
title "Manners \"quoted\" & <tagged>"
voice drone binaural carrier=220Hz beat=7Hz gain=-16dB
voice bed   noise color=brown gain=-28dB
0:00   master fade-in 3s
0:04   section "Middle"
0:05   drone beat=5Hz over 8s
0:15   section "Late"
0:17   master fade-out 3s
0:20   end
LULL
printf 'voice a binaural\n0:10 a beat=99Hz\n' >"$work/bad.lull"

# ---- exit codes, and errors on stderr only
run 2 "$lull";                          stdout_empty "no arguments"; stderr_has usage
run 0 "$lull" --help;                   grep -q '^commands:' "$work/out" || fail "--help on stdout"
run 0 "$lull" --version;                grep -q '^lull [0-9]' "$work/out" || fail "--version"
run 2 "$lull" frobnicate;               stdout_empty "unknown command"; stderr_has "unknown command"
run 2 "$lull" render --bogus x.lull;    stdout_empty "unknown option"; stderr_has "unknown option"
run 2 "$lull" render "$work/s.lull";    stdout_empty "no -o"; stderr_has "-o"
run 2 "$lull" info;                     stdout_empty "info without a session"
run 2 "$lull" plot "$work/s.lull";      stdout_empty "plot without -o"
run 2 "$lull" info "$work/missing.lull"; stdout_empty "missing script"; stderr_has missing.lull
run 2 "$lull" render "$work/bad.lull" -o "$work/x.wav"; stdout_empty "script error"
stderr_has "bad.lull:2:"
[ ! -e "$work/x.wav" ] || fail "a script error left a file"
run 2 "$lull" render "$work/s.lull" -o "$work/x.wav" --loudness loud; stderr_has "--loudness"
run 2 "$lull" render "$work/s.lull" -o "$work/x.wav" --true-peak 3;   stderr_has "--true-peak"
run 1 "$lull" render "$work/s.lull" -o "$work/no/such/dir/x.wav"; stdout_empty "unwritable"
stderr_has "no/such/dir"
for c in render check info plot; do
    run 0 "$lull" $c --help; grep -q "usage: lull $c" "$work/out" || fail "lull $c --help"
done

# ---- --quiet, the summary, --verbose
run 0 "$lull" render -q "$work/s.lull" -o "$work/q.wav"
[ ! -s "$work/err" ] && [ ! -s "$work/out" ] || fail "--quiet printed something"
run 0 "$lull" render "$work/s.lull" -o "$work/a.wav"
grep -Eq '^loudness -?[0-9.]+ LUFS integrated, range [0-9.]+ LU, true peak -?[0-9.]+ dBTP$' "$work/err" ||
    fail "render summary lacks loudness: $(cat "$work/err")"
cmp -s "$work/q.wav" "$work/a.wav" || fail "--quiet changed the output"
run 0 "$lull" render --verbose "$work/s.lull" -o "$work/v.wav" --loudness -20
stderr_has "measured .* LUFS"

# ---- NO_COLOR: under a terminal errors are coloured, unless NO_COLOR is set
if command -v script >/dev/null 2>&1; then
    esc=$(printf '\033')
    script -qec "'$lull' render '$work/bad.lull' -o '$work/x.wav'" /dev/null >"$work/tty" 2>&1
    grep -q "$esc\[" "$work/tty" || fail "no colour on a terminal"
    NO_COLOR=1 script -qec "'$lull' render '$work/bad.lull' -o '$work/x.wav'" /dev/null >"$work/tty" 2>&1
    ! grep -q "$esc\[" "$work/tty" || fail "colour despite NO_COLOR"
    grep -q "bad.lull:2:" "$work/tty" || fail "error missing under the terminal: $(cat "$work/tty")"
    # WAV never goes to a terminal.
    script -qec "'$lull' render '$work/s.lull' -o -" /dev/null >"$work/tty" 2>&1
    grep -q "terminal" "$work/tty" || fail "render -o - to a terminal was not refused"
fi

# ---- info, info --json
run 0 "$lull" info "$work/s.lull"
for want in 'title: *Manners' 'length: *0:20' 'version 1 (stated)' 'drone *binaural' 'bed *noise' \
            '0:04 *Middle' '0:15 *Late' 'clips: *0'; do
    grep -q "$want" "$work/out" || fail "info lacks '$want'"
done
run 0 "$lull" info --json "$work/s.lull"
python3 -m json.tool "$work/out" >/dev/null 2>"$work/json.err" || fail "info --json is not JSON: $(cat "$work/json.err")"
python3 - "$work/out" <<'PY' || fail "info --json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["title"] == 'Manners "quoted" & <tagged>', d["title"]
assert d["duration_sec"] == 20, d["duration_sec"]
assert d["language_version"] == 1 and d["language_version_stated"] is True
assert [v["name"] for v in d["voices"]] == ["drone", "bed"]
p = {x["name"]: x for x in d["voices"][0]["params"]}
assert p["carrier"]["value"] == 220 and p["carrier"]["unit"] == "Hz", p
assert p["gain"]["value"] == -16 and p["gain"]["unit"] == "dB", p
assert {x["name"]: x["value"] for x in d["voices"][1]["params"]}["color"] == "brown"
assert [(s["name"], s["start_sec"]) for s in d["sections"]] == [("Middle", 4), ("Late", 15)]
assert d["clips"]["count"] == len(d["clips"]["items"]) and d["clips"]["total_sec"] >= 0
PY
run 0 "$lull" info -j "$src/scripts/unwind/unwind.lull"
python3 -m json.tool "$work/out" >/dev/null || fail "info -j on the default session"

# ---- render -o - : a WAV stream for pipes, the same samples as a file
"$lull" render -q "$work/s.lull" -o - >"$work/stream.wav" 2>"$work/err" || fail "render -o - failed: $(cat "$work/err")"
sox "$work/a.wav" -t raw -e signed -b 24 "$work/a.raw" && sox "$work/stream.wav" -t raw -e signed -b 24 "$work/s.raw" ||
    fail "sox cannot read the WAV stream"
cmp -s "$work/a.raw" "$work/s.raw" || fail "the stream's samples differ from the file's"
len=$("$lull" render -q "$work/s.lull" -o - | sox -t wav - -n stat 2>&1 | awk '/^Length/ { print $3 }')
[ "$len" = "20.000000" ] || fail "piped into sox: length '$len', expected 20.000000"
"$lull" render -q "$work/s.lull" -o - --bits 16 | sox -t wav - -n stat 2>"$work/stat" || fail "16-bit stream"
"$lull" render -q "$work/s.lull" -o - --bits 32f | sox -t wav - -n stat 2>"$work/stat" || fail "float stream"
grep -q '^Length (seconds): *20.000000' "$work/stat" || fail "float stream length: $(cat "$work/stat")"
run 2 "$lull" render "$work/s.lull" -o - --format flac; stderr_has "WAV only"

# ---- --loudness: the written file, measured independently
for target in -16 -23; do
    run 0 "$lull" render "$work/s.lull" -o "$work/n$target.wav" --loudness "$target" --true-peak -1
    set -- $("$meter" "$work/n$target.wav")
    awk -v l="$1" -v tp="$3" -v t="$target" 'BEGIN { d = l - t; if (d < 0) d = -d; exit !(d <= 0.1 && tp <= -1.0) }' ||
        fail "--loudness $target: measured $1 LUFS, true peak $3 dBTP"
    echo "--loudness $target --true-peak -1: measured $1 LUFS integrated, $3 dBTP true peak"
    # The summary reports what the meter finds.
    printf '%s\n' "$(cat "$work/err")" | grep -q "loudness $(printf '%.1f' "$1") LUFS" ||
        fail "summary disagrees with the meter ($1): $(cat "$work/err")"
done
"$lull" render -q "$work/s.lull" --loudness -20 -o - | "$meter" - >"$work/m" || fail "loudness through a pipe"
awk '{ d = $1 + 20; if (d < 0) d = -d; exit !(d <= 0.1) }' "$work/m" || fail "--loudness -20 through a pipe: $(cat "$work/m")"
# Short and long options do the same thing.
"$lull" render --quiet "$work/s.lull" --loudness=-20 --output="$work/long.wav" --bits=16 &&
    "$lull" render -q "$work/s.lull" --loudness -20 -o "$work/short.wav" -b 16 && cmp -s "$work/long.wav" "$work/short.wav" ||
    fail "-q/-o/-b and --quiet/--output=/--bits= differ"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "all command-line checks passed"
