#!/usr/bin/env bash
# The behaviour proof of a refactor: ingest the shared corpora with one trove binary and keep
# what it reports, so that two binaries (before and after) can be compared with `diff -r`.
#   scripts/report-snapshot.sh BIN OUT      (then: diff -r OUT_BEFORE OUT_AFTER)
# Every corpus is ingested into a case of its own (mail, outlook, docs) with extraction and the
# index; the report, the full report (--all) and the status are written as JSON with the
# fields that differ between any two runs (times, durations, item ids, paths of the case, and the
# hits of a page, whose order among equal scores follows item ids) removed; facets and totals stay.
set -euo pipefail
bin=$(readlink -f "$1"); out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
corpora=$root/../shared/corpora
[ -d "$corpora" ] || { echo "$corpora is missing" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
scrub() { python3 -c '
import json, sys
VOLATILE = {"started", "finished", "started_at", "finished_at", "seconds", "elapsed", "duration",
            "elapsed_seconds", "time", "at", "created", "path_of_case", "case", "log", "log_file", "rate", "per_second",
            # item ids depend on which worker thread finished first; pages of equal scores follow them
            "id", "parent_id", "item", "took_ms", "next", "hits"}
def walk(v):
    if isinstance(v, dict):
        return {k: walk(x) for k, x in v.items() if k not in VOLATILE}
    if isinstance(v, list):
        return [walk(x) for x in v]
    return v
print(json.dumps(walk(json.load(sys.stdin)), indent=1, sort_keys=True, ensure_ascii=False))'; }
for corpus in mail outlook docs; do
  case=$work/$corpus
  "$bin" init "$case" > /dev/null
  "$bin" ingest "$case" "$corpora/$corpus" --source "$corpus" --quiet --json > /dev/null || true
  "$bin" report "$case" --json | scrub > "$out/$corpus.report.json"
  "$bin" report "$case" --json --all | scrub > "$out/$corpus.report-all.json"
  "$bin" status "$case" --json | scrub > "$out/$corpus.status.json"
  for q in 'kind:message' 'kind:attachment' 'kind:document' 'lang:es' 'has:attachment'; do
    printf '%s\t%s\n' "$q" "$("$bin" count "$case" "$q")"
  done > "$out/$corpus.counts.tsv"
  "$bin" search "$case" 'kind:message' --json --facets --limit 10 | scrub > "$out/$corpus.search.json"
done
echo "wrote $out"
