#!/usr/bin/env bash
# What `scan --html` costs on a large dump: the scan's wall time with and without the report
# (best of RUNS, alternating), the page's size, and how long headless Chromium takes to load
# it (`--screenshot`: load, script and first paint) and to load and serialize its whole DOM
# (`--dump-dom`). Run by hand; prints one line per measurement.
#
#   benches/html_report.sh                       # a generated dump of 500 MB (about 90,000 messages)
#   DUMP=/path/dump.mbox KEYS=/path/keys.keymap benches/html_report.sh
#
# The generated dump: seed 1, bodies up to 8 KiB, no multipart, 60 % with real DKIM
# signatures of the test keys, 4 % of those tampered (examples/gen_dump.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
SIZE="${SIZE:-500M}"
DUMP="${DUMP:-${TMPDIR:-/tmp}/mailsleuth-html-$SIZE.mbox}"
KEYS="${KEYS:-$DUMP.keymap}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

cargo build --quiet --release --example scan --example gen_dump
if [ ! -s "$DUMP" ]; then
  echo "generating $DUMP ($SIZE)"
  target/release/examples/gen_dump --seed 1 --max-body 8192 --multipart 0 --signed 60 \
    --keymap "$KEYS" "$SIZE" "$DUMP"
fi
scan=target/release/examples/scan
keys=()
[ -s "$KEYS" ] && keys=(--keys "$KEYS")

secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$@"; }
best_plain=999999
best_html=999999
for run in $(seq "$RUNS"); do
  a=$(date +%s.%N); "$scan" "${keys[@]}" "$DUMP" >"$out/plain.jsonl" 2>"$out/plain.err"; b=$(date +%s.%N)
  t=$(secs "$a" "$b"); echo "run $run: scan            $t s"
  best_plain=$(python3 -c "print(min($best_plain, $t))")
  a=$(date +%s.%N); "$scan" "${keys[@]}" --html "$out/r.html" "$DUMP" >"$out/html.jsonl" 2>"$out/html.err"; b=$(date +%s.%N)
  t=$(secs "$a" "$b"); echo "run $run: scan --html     $t s"
  best_html=$(python3 -c "print(min($best_html, $t))")
done
cmp -s "$out/plain.jsonl" "$out/html.jsonl" && echo "JSON output: identical with and without --html"
grep -E "^scanned|verdicts:" "$out/html.err"
python3 -c "print(f'scan: best {$best_plain:.2f} s, with --html best {$best_html:.2f} s: ratio {$best_html / $best_plain:.3f}')"
size=$(stat -c %s "$out/r.html")
python3 -c "print(f'page: {$size} bytes ({$size / 1048576:.1f} MiB)')"

if command -v chromium >/dev/null 2>&1; then
  chrome() {
    chromium --headless --no-sandbox --disable-gpu --disable-quic --disable-background-networking \
      --disable-component-update --disable-sync --no-first-run \
      --user-data-dir="$(mktemp -d -p "$out")" "$@" 2>/dev/null
  }
  a=$(date +%s.%N); chrome --window-size=1400,1800 --screenshot="$out/shot.png" "file://$out/r.html" >/dev/null; b=$(date +%s.%N)
  echo "chromium --screenshot (load, script, first paint): $(secs "$a" "$b") s"
  a=$(date +%s.%N); chrome --dump-dom "file://$out/r.html" >"$out/dom.html"; b=$(date +%s.%N)
  echo "chromium --dump-dom (load, script, whole DOM serialized): $(secs "$a" "$b") s"
  printf '<html><body><p>empty</p></body></html>' >"$out/empty.html"
  a=$(date +%s.%N); chrome --dump-dom "file://$out/empty.html" >/dev/null; b=$(date +%s.%N)
  echo "chromium --dump-dom of an empty page (start-up): $(secs "$a" "$b") s"
  grep -o 'id="f-count"[^<]*<' "$out/dom.html" | head -1
else
  echo "chromium not installed: render time not measured"
fi
