#!/usr/bin/env bash
# Compare the reader with what users would otherwise run, on one realistic ~1 GiB mbox.
# Run by hand (takes a few minutes; needs ~2 GiB free in $BENCH_DIR):
#
#   benches/compare.sh                        # 1 GiB dump, seed 1
#   SIZE=256M SEED=7 benches/compare.sh        # another size or seed
#   BENCH_DIR=/path/with/space benches/compare.sh
#   PIN=1 REPEAT=10 benches/compare.sh         # pin to CPU 0, more runs
#   GEN_ARGS="--max-body 8K --multipart 0" benches/compare.sh   # many small messages
#
# Steps: build the examples in release mode; generate the dump with examples/gen_dump.rs
# (fixed seed: bodies from 1 KB to several MB, multipart with base64 attachments, quoted
# `>From ` lines) unless it already exists; read it once to warm the page cache; then time,
# each in turn with a warm cache (every command is single-threaded):
#
#   mailsleuth mmap     scan --count-only PATH           (split + header index, slice path)
#   mailsleuth stream   scan --count-only --stream PATH  (split + header index, streaming path)
#   memchr count        memchr_count PATH                (`From ` at line starts; the limit)
#   grep                grep -c '^From ' PATH
#   mail-parser         mailparser_count PATH            (mail_parser::mailbox::mbox::MessageIterator)
#   python mailbox      len(mailbox.mbox(PATH).keys())
#
# and print, for each, the best wall-clock time and the best CPU time (user + system) of
# $REPEAT runs (default 5; Python once, PY_REPEAT to change), GB/s (10^9 bytes per second)
# for both, ratios to mailsleuth's mmap path, the message count each reports, and the peak
# RSS (GNU time's maximum resident set size; for the mmap path it counts the mapped file's
# page-cache pages, which are shared and not allocated by the process). CPU time is the
# fairer figure on a busy machine; wall-clock time is what a user waits.
# Targets (issue 2): split + index >= 2 GB/s on one core, streaming peak RSS < 64 MiB.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
SIZE="${SIZE:-1G}"
SEED="${SEED:-1}"
BENCH_DIR="${BENCH_DIR:-$here/target/compare}"
PY="${PYTHON:-python3}"
mkdir -p "$BENCH_DIR"
GEN_ARGS="${GEN_ARGS:-}"
tag="$(printf '%s' "$GEN_ARGS" | tr -c 'A-Za-z0-9' '_')"
dump="$BENCH_DIR/dump-$SIZE-seed$SEED${tag:+-$tag}.mbox"

echo "== build" >&2
cargo build --release --quiet --example scan --example gen_dump --example memchr_count --example mailparser_count
bin="${CARGO_TARGET_DIR:-$here/target}/release/examples"

if [ ! -s "$dump" ]; then
    echo "== generate $dump" >&2
    # shellcheck disable=SC2086 # GEN_ARGS is a list of options
    "$bin/gen_dump" --seed "$SEED" $GEN_ARGS "$SIZE" "$dump.tmp" 2>"$dump.stats"
    mv "$dump.tmp" "$dump"
fi
cat "$dump.stats" >&2 || true
expected="$(grep -o 'messages=[0-9]*' "$dump.stats" | cut -d= -f2 || true)"
bytes="$(stat -c %s "$dump")"

echo "== warm the page cache" >&2
cat "$dump" >/dev/null
cat "$dump" >/dev/null

if [ ! -x /usr/bin/time ]; then
    echo "compare: /usr/bin/time (GNU time) is needed for CPU time and peak RSS: apt-get install time" >&2
    exit 1
fi
# PIN=1 pins every command to CPU 0 (taskset). Off by default: on a shared machine a pinned
# process waits for that one core; every command here is single-threaded anyway.
pin=()
if [ "${PIN:-0}" = 1 ] && command -v taskset >/dev/null; then
    pin=(taskset -c 0)
fi

results="$BENCH_DIR/results.tsv"
: >"$results"
# run NAME COMMAND...: run a command $REPEAT times; record the best wall-clock time, the
# best CPU time (user + system: what the work costs, whatever else the machine is doing),
# the count it printed first, and its peak RSS.
REPEAT="${REPEAT:-5}"
run() {
    local name="$1"
    shift
    local best="" cpu_best="" count="" rss="" out tfile
    out="$(mktemp)"
    tfile="$(mktemp)"
    for _ in $(seq "$REPEAT"); do
        if ! /usr/bin/time -o "$tfile" -f '%e %U %S %M' "${pin[@]}" "$@" >"$out" 2>/dev/null; then
            echo "compare: $name failed" >&2
            rm -f "$out" "$tfile"
            return 0
        fi
        local wall user sys cpu
        read -r wall user sys rss <"$tfile"
        cpu="$(echo "$user + $sys" | bc -l)"
        if [ -z "$best" ] || [ "$(echo "$wall < $best" | bc -l)" = 1 ]; then best="$wall"; fi
        if [ -z "$cpu_best" ] || [ "$(echo "$cpu < $cpu_best" | bc -l)" = 1 ]; then cpu_best="$cpu"; fi
        count="$(grep -o -m1 '^[0-9]*' "$out" || true)"
    done
    rm -f "$out" "$tfile"
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$best" "$cpu_best" "${count:-?}" "${rss:-?}" >>"$results"
    echo "   $name: ${best}s wall, ${cpu_best}s CPU" >&2
}

load="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== run (best of $REPEAT; load average $load)" >&2
run "mailsleuth mmap" "$bin/scan" --count-only "$dump"
run "mailsleuth stream" "$bin/scan" --count-only --stream "$dump"
run "memchr count" "$bin/memchr_count" "$dump"
run "grep -c '^From '" grep -c '^From ' "$dump"
run "mail-parser MessageIterator" "$bin/mailparser_count" "$dump"
REPEAT="${PY_REPEAT:-1}" run "python mailbox.mbox" "$PY" -c 'import mailbox, sys; print(len(mailbox.mbox(sys.argv[1]).keys()))' "$dump"

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "dump: $dump ($bytes bytes, $expected messages generated, seed $SEED${GEN_ARGS:+, $GEN_ARGS})"
echo
echo "load average before the runs: $load"
echo
awk -F'\t' -v bytes="$bytes" '
    NR == 1 { base = $2; cbase = $3 }
    { rows[NR] = $0; n = NR }
    END {
        printf "%-28s %8s %7s %13s %8s %7s %13s %9s %10s\n", "tool", "wall s", "GB/s", "wall vs mmap", "CPU s", "GB/s", "CPU vs mmap", "messages", "peak RSS"
        for (i = 1; i <= n; i++) {
            split(rows[i], f, "\t")
            rss = (f[5] == "?") ? "?" : sprintf("%.1f MiB", f[5] / 1024)
            printf "%-28s %8.2f %7.2f %13s %8.2f %7.2f %13s %9s %10s\n", f[1], f[2], bytes / f[2] / 1e9, ratio(f[2], base), f[3], (f[3] > 0 ? bytes / f[3] / 1e9 : 0), ratio(f[3], cbase), f[4], rss
        }
    }
    function ratio(t, b) {
        if (t == b) return "1"
        if (t > b) return sprintf("%.2fx slower", t / b)
        return sprintf("%.2fx faster", b / t)
    }' "$results"
got="$(head -n1 "$results" | cut -f4)"
if [ -n "$expected" ] && [ "$got" != "$expected" ]; then
    echo "compare: mailsleuth counted $got messages, the generator wrote $expected" >&2
    exit 1
fi
