#!/usr/bin/env bash
# Set-up and demo: build trove, generate a small synthetic Spanish mail leak, ingest it into a
# case and print the completeness report. Re-runnable: it starts from a clean demo/ folder.
set -euo pipefail
cd "$(dirname "$0")"

cargo build --release --locked
TROVE=./target/release/trove
rm -rf demo
$TROVE synth demo/leak --messages 3000 --seed 7
$TROVE init demo/caso
$TROVE ingest demo/caso demo/leak --source SEDENA-DEMO
$TROVE report demo/caso
echo
echo "Try: $TROVE status demo/caso; $TROVE show demo/caso 1"
