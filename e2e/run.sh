#!/usr/bin/env bash
# The browser tests of the web app: real headless Chromium (Debian's) against `trove serve`.
# Builds nothing: uses ./target/release/trove (cargo build --release -p trove-cli first).
# Needs: Debian packages chromium and nodejs + npm (Node 18 or later); npm packages from
# e2e/package-lock.json (playwright-core only, which downloads no browser).
# Writes the screenshots to docs/screenshots/.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
bin=${TROVE_BIN:-$root/target/release/trove}
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$bin" ] || { echo "e2e: $bin is missing; run: cargo build --release -p trove-cli" >&2; exit 1; }
[ -x "$chromium" ] || { echo "e2e: $chromium is missing; run: apt-get install -y chromium" >&2; exit 1; }
command -v node >/dev/null || { echo "e2e: node is missing; run: apt-get install -y nodejs npm" >&2; exit 1; }
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
export TROVE_BIN="$bin" CHROMIUM="$chromium"
exec node --test --test-concurrency=1 --test-reporter=spec tests/*.test.mjs
