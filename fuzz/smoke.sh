#!/usr/bin/env bash
# Fuzz smoke test: run every fuzz target for a short while on its seed corpus.
#
#   fuzz/smoke.sh                 # every target, 30 s each
#   FUZZ_SECONDS=5 fuzz/smoke.sh  # shorter
#   fuzz/smoke.sh split headers   # some targets only
#
# Works on stable Rust (`--sanitizer none`). Installs cargo-fuzz if it is missing. Seeds in
# fuzz/seeds/<target>/ are copied to a scratch corpus, so the committed seeds never change.
# Every target runs; the exit status is non-zero if any of them crashed (libFuzzer leaves the
# input in fuzz/artifacts/<target>/ and the reproduce command is printed).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."
seconds="${FUZZ_SECONDS:-30}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "smoke: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

scratch="$(mktemp -d "${TMPDIR:-/tmp}/mailsleuth-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# Build everything once, so the time limit is spent fuzzing.
cargo fuzz build --sanitizer none

status=0
for target in "${targets[@]}"; do
    corpus="$scratch/$target"
    mkdir -p "$corpus"
    if [ -d "fuzz/seeds/$target" ]; then
        cp -r "fuzz/seeds/$target/." "$corpus/"
    fi
    log="$scratch/$target.log"
    echo "smoke: $target for ${seconds}s" >&2
    if cargo fuzz run --sanitizer none "$target" "$corpus" -- \
        -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then
        runs="$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
        echo "smoke: $target ok (${runs:-?} executions)" >&2
    else
        echo "smoke: $target FAILED; last lines of its log:" >&2
        grep -A4 -m1 'panicked at' "$log" | cut -c1-2000 >&2 || true
        grep -A3 -m1 'Failing input' "$log" >&2 || true
        grep -m1 -A1 'Reproduce with' "$log" >&2 || tail -n 20 "$log" >&2
        status=1
    fi
done
exit "$status"
