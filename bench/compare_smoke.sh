#!/usr/bin/env bash
# Runs bench/compare in quick mode (connections 1 and 10, 1 s runs) so that it cannot rot.
# Asserts only that every system answered: a nonzero rate of events for each of Redis, PostgreSQL
# and Cairn in the table (so Cairn's PING row alone, which writes nothing, does not count). The
# figures mean nothing at this size.
#
#   bench/compare_smoke.sh [path-to-cairn]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(mktemp -d "${TMPDIR:-/tmp}/cairn-compare-smoke-XXXXXX")"
trap 'rm -rf "$out"' EXIT
[ -n "${1:-}" ] && export COMPARE_CAIRN="$1"
COMPARE_QUICK=1 COMPARE_OUT="$out" "$here/compare" >"$out/table.md"
for sys in Redis PostgreSQL Cairn; do
  # Table rows: | system | workload | connections | requests/s | events/s | ...
  if ! awk -F'|' -v s="$sys" '{gsub(/ /, "", $2); r = $6; gsub(/[ ,]/, "", r)}
                               $2 == s && r ~ /^[0-9.]+$/ && r + 0 > 0 {found = 1}
                               END {exit !found}' "$out/table.md"; then
    echo "compare smoke: $sys did not answer" >&2
    cat "$out/table.md" >&2
    exit 1
  fi
done
[ -s "$out/benchmarks-compare.md" ] || { echo "compare smoke: no report written" >&2; exit 1; }
echo "compare smoke: ok"
