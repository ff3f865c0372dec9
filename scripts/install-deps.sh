#!/usr/bin/env bash
# Installs the Debian 12 packages Cairn needs to build, test and benchmark.
# Idempotent and quiet: a no-op when everything is present.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config clang lld
  # engine
  liburing-dev librocksdb-dev librust-blake3-dev libxxhash-dev libzstd-dev libjemalloc-dev
  libssl-dev libfmt-dev libspdlog-dev libcli11-dev libtomlplusplus-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev libclang-rt-14-dev
  # server: JSON, and the peers and clients the tests and benchmarks drive
  libsimdjson-dev libhiredis-dev redis-server redis-tools curl
  # server: JSON Schema validation (header-only)
  libvalijson-dev rapidjson-dev
  # server-sent events test: the eventsource npm package under Node (npm below)
  nodejs
  # peer comparison (bench/compare): PostgreSQL 15 and pgbench, plots
  postgresql gnuplot-nox
)
# Debian's npm, unless an npm is already there (Node builds from elsewhere bundle their own and
# conflict with Debian's package).
command -v npm >/dev/null || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
