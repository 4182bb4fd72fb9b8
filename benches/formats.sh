#!/usr/bin/env bash
# Reading a compressed dump costs decompression plus the reader, nothing more: `scan` on a
# gzip- (and xz-) compressed mbox against `zcat | scan -`, decompression alone and the reader
# alone on the plain mbox, with hyperfine. Run by hand; results in BENCHMARKS.md.
#
#   benches/formats.sh                 # 128 MiB dump (criterion profile, seed 11), 5 runs each
#   SIZE=512M RUNS=10 benches/formats.sh
#   BENCH_DIR=/path/with/space benches/formats.sh
#
# Prints, for each command, the mean wall-clock time and the mean CPU time (user + system)
# with their ratio to the piped equivalent, and checks that every variant reports the same
# messages (`--count-only` lines, and the full scans' JSON Lines apart from `source`).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE="${SIZE:-128M}"
RUNS="${RUNS:-5}"
SEED="${SEED:-11}"
DIR="${BENCH_DIR:-target/bench-formats}"
mkdir -p "$DIR"
for tool in hyperfine gzip zcat xz xzcat python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

cargo build --release --quiet --example scan --example gen_dump
SCAN=target/release/examples/scan
DUMP="$DIR/dump-$SIZE-$SEED.mbox"
if [ ! -f "$DUMP" ]; then
  target/release/examples/gen_dump --bench --seed "$SEED" --signed 60 --keymap "$DUMP.keymap" "$SIZE" "$DUMP"
fi
[ -f "$DUMP.gz" ] || gzip -6 -k -c "$DUMP" > "$DUMP.gz"
[ -f "$DUMP.xz" ] || xz -6 -k -c -T1 "$DUMP" > "$DUMP.xz"
ls -l "$DUMP" "$DUMP.gz" "$DUMP.xz"
cat "$DUMP" "$DUMP.gz" "$DUMP.xz" > /dev/null # warm the page cache

# Same messages whichever way the dump comes in.
plain=$("$SCAN" --count-only "$DUMP")
for variant in "$SCAN --count-only $DUMP.gz" "zcat $DUMP.gz | $SCAN --count-only -" \
               "$SCAN --count-only $DUMP.xz" "xzcat $DUMP.xz | $SCAN --count-only -"; do
  got=$(bash -c "$variant")
  [ "$got" = "$plain" ] || { echo "MISMATCH: $variant: $got (plain: $plain)" >&2; exit 1; }
done
echo "every variant: $plain"

run() { # name, then commands
  local name=$1; shift
  hyperfine --runs "$RUNS" --warmup 1 --style basic --export-json "$DIR/$name.json" "$@" >&2
}

run count \
  -n "zcat > /dev/null" "zcat $DUMP.gz > /dev/null" \
  -n "count plain" "$SCAN --count-only $DUMP" \
  -n "count .gz" "$SCAN --count-only $DUMP.gz" \
  -n "zcat | count -" "zcat $DUMP.gz | $SCAN --count-only -" \
  -n "count - < .gz" "$SCAN --count-only - < $DUMP.gz" \
  -n "xzcat > /dev/null" "xzcat $DUMP.xz > /dev/null" \
  -n "count .xz" "$SCAN --count-only $DUMP.xz" \
  -n "xzcat | count -" "xzcat $DUMP.xz | $SCAN --count-only -"

run scan \
  -n "scan plain" "$SCAN --keys $DUMP.keymap $DUMP > $DIR/plain.jsonl" \
  -n "scan .gz" "$SCAN --keys $DUMP.keymap $DUMP.gz > $DIR/gz.jsonl" \
  -n "zcat | scan -" "zcat $DUMP.gz | $SCAN --keys $DUMP.keymap - > $DIR/piped.jsonl"

python3 - "$DIR" "$DUMP" <<'EOF'
import json, sys
d, dump = sys.argv[1], sys.argv[2]
rows = {}
for name in ("count", "scan"):
    for r in json.load(open(f"{d}/{name}.json"))["results"]:
        rows[r["command"]] = (r["mean"], r["user"] + r["system"])
def show(name, base=None):
    wall, cpu = rows[name]
    text = f"  {name:<20} wall {wall:7.3f} s  cpu {cpu:7.3f} s"
    if base:
        bw, bc = rows[base]
        text += f"   vs {base}: wall x{wall / bw:.2f}, cpu x{cpu / bc:.2f}"
    print(text)
print("split and index headers (--count-only):")
for name, base in [("zcat > /dev/null", None), ("count plain", None),
                   ("count .gz", "zcat | count -"), ("zcat | count -", None),
                   ("count - < .gz", "zcat | count -"),
                   ("xzcat > /dev/null", None), ("count .xz", "xzcat | count -"),
                   ("xzcat | count -", None)]:
    show(name, base)
print("full scan (every check, DKIM on every signature, all cores):")
for name, base in [("scan plain", None), ("scan .gz", "zcat | scan -"), ("zcat | scan -", None)]:
    show(name, base)
# The reports are the same apart from the source (`dump.mbox.gz!` and `-!`).
def lines(path):
    out = []
    for l in open(path):
        r = json.loads(l); r.pop("source"); out.append(r)
    return out
plain, gz, piped = (lines(f"{d}/{n}.jsonl") for n in ("plain", "gz", "piped"))
assert plain == gz == piped, "the full scans differ"
print(f"full scans: {len(plain)} reports, identical apart from source")
EOF
