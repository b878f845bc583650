#!/usr/bin/env bash
# Set-up and demo: build trove, generate a small synthetic Spanish mail leak, ingest it into a
# case and print the completeness report. Re-runnable: it starts from a clean demo/ folder.
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/setup-extract.sh   # Tesseract + Spanish, pdftotext, libpdfium.so (only what is missing)
cargo build --release --locked
TROVE=./target/release/trove
rm -rf demo
$TROVE synth demo/leak --messages 3000 --seed 7
$TROVE init demo/caso
$TROVE ingest demo/caso demo/leak --source SEDENA-DEMO   # messages, then text from every attachment
$TROVE ocr demo/caso                                      # the deferred OCR stage (scans and photos)
$TROVE report demo/caso
echo
echo "Try: $TROVE status demo/caso; $TROVE show demo/caso 1; $TROVE search demo/caso 'kind:attachment oficio' --facets"
echo "Web app: TROVE_PASSWORD=change-me-now $TROVE user --data demo/server add admin --role admin && $TROVE serve demo/caso --data demo/server   # then open http://127.0.0.1:8080"
