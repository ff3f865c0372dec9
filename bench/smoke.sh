#!/usr/bin/env bash
# Runs every benchmark with tiny inputs so that none of them rots. Asserts only that each
# one runs to completion; the figures mean nothing at this size.
set -euo pipefail
bin="$1"
dir="$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-smoke-XXXXXX")"
trap 'rm -rf "$dir"' EXIT
CAIRN_BENCH_DIR="$dir" "$bin/append_bench" --benchmark_min_time=0.01 \
  --benchmark_filter='BM_CairnBatched|BM_RocksDbSyncBatch/real_time/threads:2' >/dev/null
"$bin/crypto_bench" --benchmark_min_time=0.01 >/dev/null
"$bin/chain_bench" --benchmark_min_time=0.01 >/dev/null
"$bin/scale_bench" generate --dir "$dir/scale" --streams 20000 --segment-mb 1 --crash 2>/dev/null \
  || [ $? -eq 137 ]
"$bin/scale_bench" open --dir "$dir/scale" --segment-mb 1 | grep -q "^open:"
"$bin/scale_bench" occ --dir "$dir/scale" --streams 20000 --samples 2000 --writes 2000 \
  --segment-mb 1 2>/dev/null | grep -q "^ratio"
"$bin/sync_bench" "$dir" 20 1 | grep -q "written with zeros"
echo "bench smoke: ok"
