#!/bin/sh
# test_plot.sh - `lull plot` draws a session as an SVG that a browser loads
# without errors, with its elements where the script puts them.  Headless
# Chromium (installed by tools/setup-deps) lays the picture out; the checks
# run in the page (tests/plot_check.js) against the script's own numbers.
# usage: test_plot.sh LULL SOURCE_DIR   (KEEP=1 keeps the work folder to look at)
set -eu
lull=$1
src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/lull-plot.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v chromium >/dev/null 2>&1 || fail "chromium is not installed (tools/setup-deps installs it)"

chrome() {
    # A fresh profile each time; nothing talks to the network.
    rm -rf "$work/profile"
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$work/profile" "$@" 2>>"$work/chrome.log"
}

cat >"$work/p.lull" <<'LULL'
lull 1
title "Plot check <&>"
voice tone binaural carrier=150Hz beat=12Hz gain=-10dB
voice hiss noise color=brown gain=-30dB
0:00 master fade-in 10s
0:30 tone beat=4Hz over 60s
0:45 section "Second"
1:00 tone carrier=250Hz over 30s
1:30 hiss gain=-20dB over 30s
2:00 section "Third"
2:30 master fade-out 30s
3:00 end
LULL

check_plot() {
    script=$1
    expect=$2
    "$lull" plot -q "$script" -o "$work/p.svg" || fail "lull plot $script"
    python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$work/p.svg" ||
        fail "$script: the SVG is not well-formed XML"

    # 1. The SVG on its own: Chromium parses it as an SVG document.
    chrome --dump-dom "file://$work/p.svg" >"$work/dom.txt" || fail "chromium could not load the SVG"
    grep -q '<svg' "$work/dom.txt" || fail "$script: chromium shows no <svg>"
    ! grep -qi 'parsererror\|error on line' "$work/dom.txt" || fail "$script: chromium reports a parse error"

    # 2. The checks, in a page holding the SVG inline.
    {
        printf '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><script>\n'
        printf 'window.LOAD_ERRORS = [];\nwindow.onerror = function (m) { window.LOAD_ERRORS.push(String(m)); };\n'
        printf 'var EXPECT = %s;\n</script></head><body>\n' "$expect"
        sed '1{/^<?xml/d}' "$work/p.svg"
        printf '<script>\n'
        cat "$src/tests/plot_check.js"
        printf '</script>\n</body></html>\n'
    } >"$work/page.html"
    chrome --dump-dom "file://$work/page.html" >"$work/page-dom.txt" || fail "chromium could not load the page"
    python3 - "$work/page-dom.txt" "$script" <<'PY'
import html, json, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
m = (re.findall(r"<pre id=\"result\">(.*?)</pre>", dom, re.S) or [None])[-1]
if m is None:
    sys.exit("FAIL: %s: the checks did not run (no result in the page)" % sys.argv[2])
r = json.loads(html.unescape(m))
for e in r["errors"]:
    print("FAIL: %s: %s" % (sys.argv[2], e), file=sys.stderr)
print("%s: %d checks in Chromium, %d failed" % (sys.argv[2], r["checks"], len(r["errors"])))
sys.exit(1 if r["errors"] or r["checks"] < 20 else 0)
PY
}

# What the script says, in numbers (seconds, Hz, dB, linear level).
check_plot "$work/p.lull" '{
  "length_sec": 180, "voices": ["tone", "hiss"], "beat_rows": 1, "clips": [],
  "sections": [{"name": "Second", "start_sec": 45}, {"name": "Third", "start_sec": 120}],
  "curves": [
    {"id": "beat-0",    "points": [[15, 12], [60, 8], [75, 6], [120, 4], [170, 4]]},
    {"id": "carrier-0", "points": [[20, 150], [75, 200], [100, 250], [175, 250]]},
    {"id": "gain-0",    "points": [[5, -10], [100, -10]]},
    {"id": "gain-1",    "points": [[20, -30], [85, -30], [105, -25], [120, -20], [170, -20]]},
    {"id": "master-level", "points": [[0, 0], [5, 0.5], [60, 1], [165, 0.5]]}
  ]}'

# Every tone kind: binaural and monaural (carrier, beat), isochronic (tone,
# pulse rate on the beat axis), noise and the breathing pacer.
cat >"$work/all.lull" <<'LULL'
title "Every voice"
voice bi   binaural carrier=200Hz beat=10Hz gain=-18dB
voice mono monaural carrier=300Hz beat=6Hz gain=-24dB
voice iso  isochronic tone=180Hz rate=3Hz gain=-22dB
voice bed  noise color=pink gain=-30dB
voice pace pacer rate=6/min gain=-26dB
0:00 master fade-in 5s
0:10 iso rate=12Hz over 30s
0:20 section "A"
0:40 master fade-out 20s
1:00 end
LULL
check_plot "$work/all.lull" '{
  "length_sec": 60, "voices": ["bi", "mono", "iso", "bed", "pace"], "beat_rows": 3, "clips": [],
  "sections": [{"name": "A", "start_sec": 20}],
  "curves": [
    {"id": "beat-0", "points": [[30, 10]]},
    {"id": "beat-1", "points": [[30, 6]]},
    {"id": "carrier-2", "points": [[30, 180]]},
    {"id": "beat-2", "points": [[5, 3], [25, 7.5], [45, 12]]},
    {"id": "gain-3", "points": [[30, -30]]},
    {"id": "master-level", "points": [[2.5, 0.5], [30, 1], [50, 0.5]]}
  ]}'

# The default session, with whatever it holds (29 narration clips), from info --json.
session=$src/scripts/pmr-back/pmr-back.lull   # the default session (Makefile), with clips
expect=$("$lull" info --json "$session" | python3 -c '
import json, sys
d = json.load(sys.stdin)
kinds = [v["kind"] for v in d["voices"]]
print(json.dumps({
    "length_sec": d["duration_sec"], "voices": [v["name"] for v in d["voices"]],
    "beat_rows": sum(1 for v in d["voices"] if any(p["name"] in ("beat", "rate") for p in v["params"])),
    "sections": d["sections"], "clips": d["clips"]["items"], "curves": []}))')
check_plot "$session" "$expect"
echo "plots check out"
