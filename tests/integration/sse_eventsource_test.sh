#!/usr/bin/env bash
# Runs sse_eventsource_test.cjs (server-sent events through the `eventsource` npm package).
# The package is installed once into <deps dir> (under the build tree); without node, npm or
# network access to the npm registry the test is skipped (exit 77), not failed.
#
# Usage: sse_eventsource_test.sh <path to the cairn binary> <deps dir>
set -euo pipefail

CAIRN=${1:?usage: $0 <cairn binary> <deps dir>}
DEPS=${2:?usage: $0 <cairn binary> <deps dir>}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are not installed (scripts/install-deps.sh installs them)"
  exit 77
fi
if [[ ! -f "$DEPS/node_modules/eventsource/package.json" ]]; then
  mkdir -p "$DEPS"
  # eventsource 3 runs on Node 18 (Debian 12); 4 needs Node 20.
  if ! (cd "$DEPS" && timeout 180 npm install --no-save --no-audit --no-fund --no-package-lock \
          --fetch-retries=1 --fetch-retry-mintimeout=1000 --fetch-retry-maxtimeout=3000 \
          eventsource@3 >"$DEPS/npm-install.log" 2>&1); then
    echo "SKIP: npm could not install the eventsource package (no network?):"
    tail -n 5 "$DEPS/npm-install.log"
    exit 77
  fi
fi
exec node "$(dirname "$0")/sse_eventsource_test.cjs" "$CAIRN" "$DEPS"
