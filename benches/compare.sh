#!/usr/bin/env bash
# mailsleuth measured against its peers on one realistic ~1 GiB mbox, in one run, with a soak
# test of the full scan. Run by hand (takes several minutes; needs ~2.5 GiB free in $BENCH_DIR,
# and PyPI the first time, for dkimpy). Results: BENCHMARKS.md.
#
#   benches/compare.sh                        # 1 GiB dump, seed 1, 60 % of messages signed
#   SIZE=256M SEED=7 benches/compare.sh        # another size or seed
#   BENCH_DIR=/path/with/space benches/compare.sh
#   PIN=1 REPEAT=10 benches/compare.sh         # pin to CPU 0, more runs of the reading tools
#   GEN_ARGS="--max-body 8K --multipart 0" benches/compare.sh   # many small messages
#   SIGNED= benches/compare.sh                 # the dump of before: 40 % fake signatures
#   DKIMPY=0 benches/compare.sh                # skip dkimpy (no PyPI)
#   DUMP=target/ham.mbox benches/compare.sh    # an existing mailbox (real mail: see
#                                              # benches/real_dump.sh), no generator
#   BEFORE_REV=af5f5dc benches/compare.sh      # also time the scan of that commit, in one run
#
# Steps:
#  1. build the examples in release mode;
#  2. generate the dump with examples/gen_dump.rs unless it exists (fixed seed: bodies 1 KB to
#     several MB, multipart with base64 attachments, quoted `>From ` lines; with SIGNED=60,
#     60 % of the messages carry a real DKIM-Signature of their From domain made with the
#     project's test keys, RSA-2048/RSA-1024/Ed25519, relaxed and simple, some with l=, and
#     TAMPERED=4 % of those are altered after signing), its keymap (DUMP.keymap) and the
#     generator's own counts (DUMP.stats: messages, total message length, expected passes);
#  3. install dkimpy 1.1.8 and PyNaCl 1.6.2 into a venv under target/ (once);
#  4. read the dump twice to warm the page cache, then time, each in turn:
#
#   read + index (every command single-threaded; best of $REPEAT, Python of $PY_REPEAT):
#     mailsleuth mmap     scan --count-only PATH           (split + header index, slice path)
#     mailsleuth stream   scan --count-only --stream PATH  (split + header index, streaming path)
#     memchr count        memchr_count PATH                (`From ` at line starts; the limit)
#     grep                grep -c '^From ' PATH
#     mail-parser         mailparser_count PATH            (mail_parser's MessageIterator)
#     python mailbox      len(mailbox.mbox(PATH).keys())
#   full forensic scan (best of $SCAN_REPEAT; dkimpy of $DKIMPY_REPEAT):
#     scan --keys DUMP.keymap PATH                      every check, DKIM on every signature,
#                                                       JSON Lines to a file; all cores
#     RAYON_NUM_THREADS=1 scan --keys ...               the same on one analysis thread (the
#                                                       example has no thread option; the
#                                                       scanner's default pool size is rayon's,
#                                                       which reads RAYON_NUM_THREADS)
#     scan --stream --keys ..., and with RAYON_NUM_THREADS=1   the streaming input path
#     dkimpy              benches/dkimpy_verify.py: mailbox.mbox, then dkim.DKIM(msg).verify()
#                         on every signed message, keys from DUMP.keymap (offline)
#
# and print, for each, the best wall-clock time and the best CPU time (user + system, from GNU
# time), GB/s (10^9 bytes of the whole dump per second) for both, ratios, and memory: GNU
# time's maximum resident set size (for a memory-mapped input it counts the mapped file's
# page-cache pages, which are shared and reclaimable, not allocated by the process), and the
# peaks of RssAnon (allocated memory: heap, stacks) and RssFile sampled every 10 ms from
# /proc by benches/memwatch.py in one extra, untimed run of each mailsleuth command ("-": not
# sampled, or the command ended before the first sample). CPU time is the fairer figure on a busy machine; wall-clock
# time is what a user waits.
#
#  5. soak test: every full scan's JSON Lines must hold as many lines as the generator wrote
#     messages, the sum of their `length` fields must equal the generator's total message
#     length, the number of first signatures that pass must equal the generator's expected
#     passes, the summary must report the whole file and no error, the exit status must be 0,
#     and the four variants must print byte-identical reports. Any mismatch fails the script.
#     dkimpy's verdicts are compared with mailsleuth's message by message; disagreements are
#     listed (and make the script exit 3 at the end, after the tables).
#
# With DUMP=PATH the mailbox is taken as it is (no generator, no keys unless KEYMAP=FILE):
# the soak test then checks that every variant counts the messages `--count-only` counts,
# that the lengths of the reports add up to the same sum in every variant, that each
# summary accounts for the whole file, and that the reports are byte-identical.
#
# With BEFORE_REV=REV the script also builds the scan example of that commit (a worktree and
# a target directory under $BENCH_DIR, the current examples/stage_costs.rs copied in) and
# times its full scan beside today's: "before" and "after" ratios from one run. Every run
# ends with the cost per message of each stage (examples/stage_costs.rs, one thread, the
# first $STAGE_MIB MiB of the dump), for the current code and for BEFORE_REV.
#
# Targets (issues 2, 5 and 14): read + index >= 2 GB/s on one core, >= 40x Python's
# mailbox; full scan >= 400 MB/s on 2 cores and >= 10x Python's mailbox merely indexing;
# DKIM verification >= 10x dkimpy; peak memory < 256 MiB on the 1 GiB dump whatever the
# input path (mapped file pages aside), the streaming scan of standard input included.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
SIZE="${SIZE:-1G}"
SEED="${SEED:-1}"
SIGNED="${SIGNED-60}"
TAMPERED="${TAMPERED:-4}"
BENCH_DIR="${BENCH_DIR:-$here/target/compare}"
PY="${PYTHON:-python3}"
DKIMPY="${DKIMPY:-1}"
mkdir -p "$BENCH_DIR"
GEN_ARGS="${GEN_ARGS:-}"
tag="$(printf '%s' "$GEN_ARGS" | tr -c 'A-Za-z0-9' '_')"
sign_tag="${SIGNED:+-signed$SIGNED-t$TAMPERED}"
dump="$BENCH_DIR/dump-$SIZE-seed$SEED$sign_tag${tag:+-$tag}.mbox"
keymap="$dump.keymap"
real=0
if [ -n "${DUMP:-}" ]; then
    # An existing mailbox: no generator; keys only if given.
    real=1
    dump="$(cd "$(dirname "$DUMP")" && pwd)/$(basename "$DUMP")"
    keymap="${KEYMAP:-}"
    SIGNED="${KEYMAP:+given}"
fi
STAGE_MIB="${STAGE_MIB:-128}"

for tool in /usr/bin/time bc sha256sum; do
    if ! command -v "$tool" >/dev/null; then
        echo "compare: $tool is needed (GNU time: apt-get install time)" >&2
        exit 1
    fi
done

echo "== build" >&2
cargo build --release --quiet --example scan --example gen_dump --example memchr_count --example mailparser_count --example stage_costs
bin="${CARGO_TARGET_DIR:-$here/target}/release/examples"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo '+changes')"
before_bin=""
if [ -n "${BEFORE_REV:-}" ]; then
    echo "== build the scan of $BEFORE_REV" >&2
    before_src="$BENCH_DIR/before-src"
    rm -rf "$before_src"
    git worktree prune
    git worktree add --force --detach "$before_src" "$BEFORE_REV" >/dev/null
    # The same measurement code for both, when the current stage_costs.rs builds against the
    # former commit's API; else that commit's own.
    cp examples/stage_costs.rs "$before_src/examples/stage_costs.rs"
    if ! (cd "$before_src" && CARGO_TARGET_DIR="$BENCH_DIR/before-target" cargo build --release --quiet --example scan --example stage_costs 2>/dev/null); then
        echo "   (examples/stage_costs.rs does not build against $BEFORE_REV: its own is used)" >&2
        (cd "$before_src" && git checkout -- examples/stage_costs.rs &&
            CARGO_TARGET_DIR="$BENCH_DIR/before-target" cargo build --release --quiet --example scan --example stage_costs)
    fi
    before_bin="$BENCH_DIR/before-target/release/examples"
    before_commit="$(git rev-parse --short "$BEFORE_REV")"
fi

if [ "$real" = 1 ]; then
    [ -s "$dump" ] || { echo "compare: DUMP=$dump is not a non-empty file" >&2; exit 1; }
    : >"$dump.stats.tmp"
    messages="$("$bin/scan" --count-only "$dump" | grep -o -m1 '^[0-9]*')"
    echo "messages=$messages (counted by scan --count-only; an existing mailbox, not generated)" >"$dump.stats"
    rm -f "$dump.stats.tmp"
elif [ ! -s "$dump" ]; then
    echo "== generate $dump" >&2
    sign_args=()
    if [ -n "$SIGNED" ]; then
        sign_args=(--signed "$SIGNED" --tampered "$TAMPERED" --keymap "$keymap")
    fi
    start="$(date +%s.%N)"
    # shellcheck disable=SC2086 # GEN_ARGS is a list of options
    "$bin/gen_dump" --seed "$SEED" "${sign_args[@]}" $GEN_ARGS "$SIZE" "$dump.tmp" 2>"$dump.stats"
    echo "gen_seconds=$(echo "$(date +%s.%N) - $start" | bc -l | xargs printf '%.1f')" >>"$dump.stats"
    mv "$dump.tmp" "$dump"
fi
cat "$dump.stats" >&2
stat_of() { grep -o "\b$1=[0-9.]*" "$dump.stats" | head -n1 | cut -d= -f2 || true; }
expected="$(stat_of messages)"
expected_length="$(stat_of message_bytes)"
expected_signed="$(stat_of signed)"
expected_pass="$(stat_of expected_pass)"
bytes="$(stat -c %s "$dump")"

venv="${DKIMPY_VENV:-$here/target/dkimpy-venv}"
if [ "$real" = 1 ] && [ -z "$keymap" ]; then DKIMPY=0; fi
if [ "$DKIMPY" = 1 ] && [ -n "$SIGNED" ]; then
    if ! "$venv/bin/python" -c 'import dkim, nacl' 2>/dev/null; then
        echo "== install dkimpy into $venv" >&2
        "$PY" -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check 'dkimpy==1.1.8' 'pynacl==1.6.2'
    fi
    dkimpy_version="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("dkimpy"))')"
fi

echo "== warm the page cache" >&2
cat "$dump" >/dev/null
cat "$dump" >/dev/null

# PIN=1 pins every command to CPU 0 (taskset): then "all cores" is one core. Off by default.
pin=()
if [ "${PIN:-0}" = 1 ] && command -v taskset >/dev/null; then
    pin=(taskset -c 0)
fi

results="$BENCH_DIR/results.tsv"
: >"$results"
failures=0
# run [--keep FILE] [--fatal] [--mem] SECTION NAME COMMAND...: run a command $REPEAT times;
# record the best wall-clock time, the best CPU time (user + system), the count it printed
# first, and its peak RSS (GNU time; the largest of all runs). --mem adds one more run, not
# timed, beside benches/memwatch.py, for the peaks of RssAnon and RssFile (sampling /proc
# costs the other core a little, so it stays out of the timed runs). --keep keeps the stdout
# of the last run in FILE (and its stderr in FILE.err); --fatal makes a non-zero exit status
# end the script.
REPEAT="${REPEAT:-5}"
run() {
    local keep="" fatal=0 mem=0
    while :; do
        case "$1" in
        --keep) keep="$2"; shift 2 ;;
        --fatal) fatal=1; shift ;;
        --mem) mem=1; shift ;;
        *) break ;;
        esac
    done
    local section="$1" name="$2"
    shift 2
    local best="" cpu_best="" count="" rss=0 anon=0 file=0 out err tfile mfile
    out="${keep:-$(mktemp)}"
    err="${keep:+$keep.err}"
    err="${err:-$(mktemp)}"
    tfile="$(mktemp)"
    mfile="$(mktemp)"
    local runs="$REPEAT"
    if [ "$mem" = 1 ]; then runs=$((REPEAT + 1)); fi
    for i in $(seq "$runs"); do
        local status=0 tp mp=""
        /usr/bin/time -o "$tfile" -f '%e %U %S %M' "${pin[@]}" "$@" >"$out" 2>"$err" &
        tp=$!
        if [ "$i" -gt "$REPEAT" ]; then
            "$PY" "$here/benches/memwatch.py" "$tp" >"$mfile" &
            mp=$!
        fi
        wait "$tp" || status=$?
        if [ -n "$mp" ]; then wait "$mp" || true; fi
        if [ "$status" != 0 ]; then
            echo "compare: $name failed (exit status $status; stderr in $err)" >&2
            tail -n 5 "$err" >&2
            if [ "$fatal" = 1 ]; then exit 1; fi
            failures=$((failures + 1))
            rm -f "$tfile" "$mfile"
            return 0
        fi
        local wall user sys r a f cpu
        read -r wall user sys r <"$tfile"
        if [ "$r" -gt "$rss" ]; then rss="$r"; fi
        if [ -n "$mp" ]; then
            a="$(grep -o 'rss_anon_kb=[0-9]*' "$mfile" | cut -d= -f2)"
            f="$(grep -o 'rss_file_kb=[0-9]*' "$mfile" | cut -d= -f2)"
            anon="${a:-0}"
            file="${f:-0}"
            continue
        fi
        cpu="$(echo "$user + $sys" | bc -l)"
        if [ -z "$best" ] || [ "$(echo "$wall < $best" | bc -l)" = 1 ]; then best="$wall"; fi
        if [ -z "$cpu_best" ] || [ "$(echo "$cpu < $cpu_best" | bc -l)" = 1 ]; then cpu_best="$cpu"; fi
        count="$(grep -o -m1 '^[0-9]*' "$out" || true)"
    done
    if [ -z "$keep" ]; then rm -f "$out" "$err"; fi
    rm -f "$tfile" "$mfile"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$section" "$name" "$best" "$cpu_best" "${count:--}" "$rss" "$anon" "$file" >>"$results"
    local extra=""
    if [ "$mem" = 1 ]; then extra=", RssAnon $((anon / 1024)) MiB"; fi
    echo "   $name: ${best}s wall, ${cpu_best}s CPU, peak RSS $((rss / 1024)) MiB$extra" >&2
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== read + index (best of $REPEAT; load average $load_before)" >&2
run --fatal --mem read "mailsleuth mmap" "$bin/scan" --count-only --mmap "$dump"
run --fatal --mem read "mailsleuth stream" "$bin/scan" --count-only --stream "$dump"
run read "memchr count" "$bin/memchr_count" "$dump"
run read "grep -c '^From '" grep -c '^From ' "$dump"
run read "mail-parser MessageIterator" "$bin/mailparser_count" "$dump"
REPEAT="${PY_REPEAT:-1}" run read "python mailbox.mbox" "$PY" -c 'import mailbox, sys; print(len(mailbox.mbox(sys.argv[1]).keys()))' "$dump"

scan_keys=()
if [ -n "$SIGNED" ]; then scan_keys=(--keys "$keymap"); fi
out_dir="$BENCH_DIR/reports"
rm -rf "$out_dir"
mkdir -p "$out_dir"
load_scan="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== full forensic scan (best of ${SCAN_REPEAT:-5}; load average $load_scan)" >&2
REPEAT="${SCAN_REPEAT:-5}" run --fatal --mem --keep "$out_dir/mmap-all.jsonl" scan "mailsleuth full, mmap, all cores" \
    "$bin/scan" --mmap "${scan_keys[@]}" "$dump"
REPEAT="${SCAN_REPEAT:-5}" run --fatal --mem --keep "$out_dir/mmap-1.jsonl" scan "mailsleuth full, mmap, 1 thread" \
    env RAYON_NUM_THREADS=1 "$bin/scan" --mmap "${scan_keys[@]}" "$dump"
REPEAT="${SCAN_REPEAT:-5}" run --fatal --mem --keep "$out_dir/stream-all.jsonl" scan "mailsleuth full, stream, all cores" \
    "$bin/scan" --stream "${scan_keys[@]}" "$dump"
REPEAT="${SCAN_REPEAT:-5}" run --fatal --mem --keep "$out_dir/stream-1.jsonl" scan "mailsleuth full, stream, 1 thread" \
    env RAYON_NUM_THREADS=1 "$bin/scan" --stream "${scan_keys[@]}" "$dump"
REPEAT="${SCAN_REPEAT:-5}" run --fatal --mem --keep "$out_dir/stdin-all.jsonl" scan "mailsleuth full, stdin pipe, all cores" \
    sh -c 'scan="$1"; file="$2"; shift 2; cat "$file" | "$scan" "$@" -' sh "$bin/scan" "$dump" "${scan_keys[@]}"
if [ -n "$before_bin" ]; then
    REPEAT="${SCAN_REPEAT:-5}" run --mem --keep "$out_dir/before-stream-all.jsonl" scan "before ($before_commit): full, stream, all cores" \
        "$before_bin/scan" --stream "${scan_keys[@]}" "$dump"
    REPEAT="${SCAN_REPEAT:-5}" run --keep "$out_dir/before-stream-1.jsonl" scan "before ($before_commit): full, stream, 1 thread" \
        env RAYON_NUM_THREADS=1 "$before_bin/scan" --stream "${scan_keys[@]}" "$dump"
fi
if [ "$DKIMPY" = 1 ] && [ -n "$SIGNED" ]; then
    REPEAT="${DKIMPY_REPEAT:-1}" run --keep "$out_dir/dkimpy.txt" scan "dkimpy $dkimpy_version (verify signed)" \
        "$venv/bin/python" "$here/benches/dkimpy_verify.py" "$keymap" "$dump" "$out_dir/dkimpy-results.txt"
fi
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- soak test ---------------------------------------------------------------------------
soak_fail=0
soak() { echo "SOAK FAILURE: $*" >&2; soak_fail=1; }
soak_lines=()
first_sum=""
for v in "mailsleuth mmap" "mailsleuth stream"; do
    got="$(awk -F'\t' -v n="$v" '$1 == "read" && $2 == n { print $5 }' "$results")"
    [ "$got" = "$expected" ] || soak "$v --count-only: $got messages, the generator wrote $expected"
done
for v in mmap-all mmap-1 stream-all stream-1 stdin-all; do
    report="$out_dir/$v.jsonl"
    check="$("$PY" "$here/benches/check_scan.py" "$report")"
    soak_lines+=("$v: $check")
    got_messages="$(grep -o 'messages=[0-9]*' <<<"$check" | cut -d= -f2)"
    got_length="$(grep -o 'length_sum=[0-9]*' <<<"$check" | cut -d= -f2)"
    got_pass="$(grep -o 'dkim_pass=[0-9]*' <<<"$check" | cut -d= -f2)"
    got_signed="$(grep -o ' signed=[0-9]*' <<<"$check" | cut -d= -f2)"
    [ "$got_messages" = "$expected" ] || soak "$v: $got_messages JSON lines, the generator wrote $expected messages"
    if [ "$real" = 1 ] && [ -z "$expected_length" ]; then expected_length="$got_length"; fi
    [ "$got_length" = "$expected_length" ] || soak "$v: sum of length is $got_length, the generator wrote $expected_length bytes of messages"
    if [ -n "$SIGNED" ]; then
        [ "$got_signed" = "$expected_signed" ] || soak "$v: $got_signed messages with a signature, the generator signed $expected_signed"
        [ "$got_pass" = "$expected_pass" ] || soak "$v: $got_pass first signatures pass, the generator expects $expected_pass"
    fi
    summary_line="$(grep -m1 '^scanned ' "$report.err" || true)"
    [ "$summary_line" = "scanned $expected messages in $bytes bytes" ] || soak "$v: summary says '$summary_line', expected 'scanned $expected messages in $bytes bytes'"
    if grep -q 'could not be read\|^scan: ' "$report.err"; then soak "$v: the scan reported errors: $(grep -m3 'could not be read\|^scan: ' "$report.err")"; fi
    # Standard input's reports name their source "-": compared apart from that.
    if [ "$v" = stdin-all ]; then
        sum="$(sed 's|"source":"-"|"source":"'"$dump"'"|' "$report" | sha256sum | cut -c1-64)"
        [ "$sum" = "$first_sum" ] || soak "$v: report differs from mmap-all's apart from the source name"
        continue
    fi
    sum="$(sha256sum <"$report" | cut -c1-64)"
    if [ -z "$first_sum" ]; then first_sum="$sum"; elif [ "$sum" != "$first_sum" ]; then soak "$v: report differs from mmap-all's ($sum vs $first_sum)"; fi
done
agreement=""
disagreements=0
if [ -f "$out_dir/dkimpy.txt" ]; then
    agreement="$("$PY" "$here/benches/check_scan.py" "$out_dir/mmap-all.jsonl" "$out_dir/dkimpy-results.txt" 2>"$out_dir/disagreements.txt")"
    disagreements="$(grep -o 'disagreements=[0-9]*' <<<"$agreement" | cut -d= -f2)"
fi

# ---- report ------------------------------------------------------------------------------
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
echo "commit: $commit; $(rustc --version)"
echo "dump: $dump ($bytes bytes, $expected messages, seed $SEED${SIGNED:+, signed $SIGNED %, tampered $TAMPERED % of those}${GEN_ARGS:+, $GEN_ARGS})"
echo "generator: $(tr '\n' ' ' <"$dump.stats")"
echo "load average (1, 5, 15 min): $load_before before reading, $load_scan before the full scans, $load_after after"
echo
fmt_table() {
    # $1: section; $2: name of the reference row
    awk -F'\t' -v bytes="$bytes" -v sec="$1" -v refname="$2" '
        $1 == sec { rows[++n] = $0; if ($2 == refname) { base = $3; cbase = $4 } }
        END {
            printf "%-36s %7s %6s %14s %7s %6s %14s %9s %9s %9s %9s\n", "tool", "wall s", "GB/s", "wall ratio", "CPU s", "GB/s", "CPU ratio", "messages", "max RSS", "RssAnon", "RssFile"
            for (i = 1; i <= n; i++) {
                split(rows[i], f, "\t")
                printf "%-36s %7.2f %6.3f %14s %7.2f %6.3f %14s %9s %9s %9s %9s\n", f[2], f[3], bytes / f[3] / 1e9, ratio(f[3], base), f[4], (f[4] > 0 ? bytes / f[4] / 1e9 : 0), ratio(f[4], cbase), f[5], mib(f[6]), mib(f[7]), mib(f[8])
            }
        }
        function mib(k) { return k > 0 ? sprintf("%.1f MiB", k / 1024) : "-" }
        function ratio(t, b) {
            if (t == b) return "1"
            if (t > b) return sprintf("%.2fx slower", t / b)
            return sprintf("%.2fx faster", b / t)
        }' "$results"
}
echo "read + index, ratios to mailsleuth mmap:"
fmt_table read "mailsleuth mmap"
echo
echo "full forensic scan, ratios to mailsleuth all cores (mmap):"
fmt_table scan "mailsleuth full, mmap, all cores"
echo
# Headline ratios and targets.
awk -F'\t' -v bytes="$bytes" -v signed="${expected_signed:-0}" '
    { wall[$2] = $3; cpu[$2] = $4; rss[$2] = $6; anon[$2] = $7; sec[$2] = $1 }
    $2 ~ /^dkimpy/ { dk = $2 }
    END {
        m = "mailsleuth mmap"; p = "python mailbox.mbox"
        a = "mailsleuth full, mmap, all cores"; o = "mailsleuth full, mmap, 1 thread"
        printf "targets:\n"
        verdict("read + index (mmap) >= 2 GB/s on one core", bytes / wall[m] / 1e9, 2, "GB/s wall", bytes / cpu[m] / 1e9, "GB/s CPU")
        if (p in wall) verdict("read + index >= 40x Python mailbox", wall[p] / wall[m], 40, "x wall", cpu[p] / cpu[m], "x CPU")
        verdict("full scan >= 400 MB/s on all cores (" nproc() ")", bytes / wall[a] / 1e6, 400, "MB/s wall", bytes / cpu[a] / 1e6, "MB/s CPU")
        s = "mailsleuth full, stream, all cores"
        if (p in wall) verdict("full scan (stream, all cores) >= 10x Python mailbox", wall[p] / wall[s], 10, "x wall", cpu[p] / cpu[s], "x CPU")
        for (k in wall) if (k ~ /^before .*stream, all cores/) {
            printf "  %-52s %.2fx wall, %.2fx CPU (%s)\n", "full scan (stream, all cores) against before", wall[k] / wall[s], cpu[k] / cpu[s], k
            if (p in wall) printf "  %-52s %.2fx wall, %.2fx CPU\n", "before: full scan against Python mailbox", wall[p] / wall[k], cpu[p] / cpu[k]
        }
        i = "mailsleuth full, stdin pipe, all cores"
        if (i in rss) printf "  %-52s %s (%.1f MiB max RSS, %.1f MiB RssAnon)\n", "streaming scan of standard input < 256 MiB", (rss[i] / 1024 < 256 && anon[i] / 1024 < 256) ? "MET" : "NOT MET", rss[i] / 1024, anon[i] / 1024
        if (dk != "") {
            verdict("full scan >= 10x dkimpy (all cores)", wall[dk] / wall[a], 10, "x wall", cpu[dk] / cpu[a], "x CPU")
            verdict("full scan >= 10x dkimpy (1 thread)", wall[dk] / wall[o], 10, "x wall", cpu[dk] / cpu[o], "x CPU")
            printf "  signed messages per second: mailsleuth 1 thread %.0f (full scan, CPU), dkimpy %.0f (CPU)\n", signed / cpu[o], signed / cpu[dk]
        }
        maxanon = 0; maxrss = 0
        for (k in sec) if (k ~ /^mailsleuth/) {
            if (anon[k] > maxanon) { maxanon = anon[k]; an = k }
            if (k ~ /stream/ && rss[k] > maxrss) { maxrss = rss[k]; rn = k }
        }
        if (an == "") an = "not sampled: runs too short"
        printf "  %-52s %s (%.1f MiB RssAnon, %s; streaming max RSS %.1f MiB, %s)\n", "peak memory < 256 MiB (mapped pages aside)", (maxanon / 1024 < 256 && maxrss / 1024 < 256) ? "MET" : "NOT MET", maxanon / 1024, an, maxrss / 1024, rn
    }
    function nproc(   c, line) { c = 0; while ((getline line < "/proc/cpuinfo") > 0) if (line ~ /^processor/) c++; return c }
    function verdict(what, v, target, unit, v2, unit2) {
        printf "  %-52s %s (%.2f %s, %.2f %s)\n", what, (v >= target ? "MET" : "NOT MET"), v, unit, v2, unit2
    }' "$results"
echo
echo "soak test (generator: $expected messages, $expected_length bytes of messages${SIGNED:+, $expected_signed signed, $expected_pass expected to pass}):"
for l in "${soak_lines[@]}"; do echo "  $l"; done
if [ "$soak_fail" = 0 ]; then
    echo "  PASSED: line counts, length sums${SIGNED:+, expected passes}, summaries and exit statuses match; the four reports are byte-identical"
else
    echo "  FAILED (see above)"
fi
echo
echo "cost per message of each stage (one thread, the first $STAGE_MIB MiB; load average $(cut -d' ' -f1-3 /proc/loadavg)):"
echo "  now ($commit):"
"$bin/stage_costs" "$dump" "$STAGE_MIB" 3 | sed 's/^/    /'
if [ -n "$before_bin" ]; then
    echo "  before ($before_commit):"
    "$before_bin/stage_costs" "$dump" "$STAGE_MIB" 3 | sed 's/^/    /'
fi
if [ -n "$agreement" ]; then
    echo
    echo "dkimpy against mailsleuth (first signature of each signed message): $(head -n1 "$out_dir/dkimpy.txt")"
    echo "  mailsleuth: $agreement"
    if [ "$disagreements" = 0 ]; then
        echo "  AGREE on every signed message"
    else
        echo "  DISAGREE on $disagreements messages ($out_dir/disagreements.txt):"
        head -n 10 "$out_dir/disagreements.txt" | sed 's/^/    /'
    fi
    grep '^dkimpy:' "$out_dir/dkimpy.txt.err" | sed 's/^/  /' || true
fi
if [ "$soak_fail" != 0 ]; then exit 1; fi
if [ "$failures" != 0 ]; then
    echo "compare: $failures peer commands failed (above)" >&2
    exit 2
fi
if [ "$disagreements" != 0 ]; then exit 3; fi
