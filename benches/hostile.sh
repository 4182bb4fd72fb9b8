#!/usr/bin/env bash
# The hostile inputs of issue 10 at full size: wall time, peak RSS, exit status, output size
# and reported messages of the release `scan` example for each row of the issue's table.
# Run by hand; the table goes in the CHANGELOG.
#
#   benches/hostile.sh                  # every row, the issue's sizes
#   SCALE=0.1 benches/hostile.sh        # smaller inputs
#   LIMIT=120 benches/hostile.sh        # kill a scan after this many seconds (default 120)
#   benches/hostile.sh many-tags wide-h # some rows only
#
# Needs GNU time (/usr/bin/time -v). Inputs are generated once into $DIR
# (examples/gen_hostile.rs, the generators of tests/kit/src/hostile.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${SCALE:-1.0}"
LIMIT="${LIMIT:-120}"
DIR="${BENCH_DIR:-target/bench-hostile}"
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time)" >&2; exit 2; }
cargo build --release --quiet --example scan --example gen_hostile
SCAN=target/release/examples/scan
if [ ! -f "$DIR/.scale-$SCALE" ]; then
  rm -rf "$DIR" && mkdir -p "$DIR"
  target/release/examples/gen_hostile "$DIR" "$SCALE" > "$DIR/sizes"
  touch "$DIR/.scale-$SCALE"
fi
rows=("$@")
if [ ${#rows[@]} -eq 0 ]; then
  mapfile -t rows < <(awk '{print $1}' "$DIR/sizes"); rows+=(keys-dev-zero)
fi
printf '| input | bytes | wall s | peak RSS MiB | exit | reports | output bytes |\n|---|---:|---:|---:|---:|---:|---:|\n'
for row in "${rows[@]}"; do
  args=()
  if [ "$row" = keys-dev-zero ]; then
    input="$DIR/duplicate-ids.mbox"; args=(--keys /dev/zero)
  else
    input="$DIR/$row.mbox"; [ -f "$input" ] || input="$DIR/$row.zip"
    [ -f "$DIR/$row.keymap" ] && args=(--keys "$DIR/$row.keymap")
  fi
  bytes=$(stat -c %s "$input")
  set +e
  /usr/bin/time -v -o "$DIR/$row.time" timeout -s KILL "$LIMIT" \
    "$SCAN" "${args[@]}" "$input" > "$DIR/$row.jsonl" 2> "$DIR/$row.err"
  status=$?
  set -e
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; printf "%.1f", s}' "$DIR/$row.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$DIR/$row.time")
  reports=$(wc -l < "$DIR/$row.jsonl")
  out=$(stat -c %s "$DIR/$row.jsonl")
  [ "$status" -eq 137 ] && status="killed after ${LIMIT} s"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$row" "$bytes" "$wall" "$rss" "$status" "$reports" "$out"
done
