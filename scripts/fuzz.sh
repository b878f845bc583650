#!/usr/bin/env bash
# Runs cargo-fuzz targets for a fixed time each and prints one Markdown table row per target
# (target, seconds, executions, crashes) for docs/fuzzing.md.
#   scripts/fuzz.sh SECONDS TARGET...      (all targets when none are named)
# Needs cargo-fuzz; the fuzz workspace builds with RUSTC_BOOTSTRAP=1 on the stable toolchain.
# Crashes are kept under fuzz/artifacts/TARGET/; turn each into a regression test.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:?seconds per target}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(ls fuzz_targets | sed 's/\.rs$//')
fi
export RUSTC_BOOTSTRAP=1
# Build once, then run the binaries themselves (sources changed meanwhile do not rebuild).
[ -n "${TROVE_FUZZ_NO_BUILD:-}" ] || cargo fuzz build -O
bin=target/x86_64-unknown-linux-gnu/release
for t in "${targets[@]}"; do
    log=$(mktemp)
    mkdir -p "corpus/$t" "artifacts/$t"
    before=$(ls "artifacts/$t" | wc -l)
    # -rss_limit_mb: a parser that needs more memory than this on a small input is a finding.
    "$bin/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$secs" \
        -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 > "$log" 2>&1 || true
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    after=$(ls "artifacts/$t" | wc -l)
    echo "| $t | $secs | ${execs:-?} | $((after - before)) |"
    rm -f "$log"
done
