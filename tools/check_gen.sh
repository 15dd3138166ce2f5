#!/usr/bin/env bash
# Fails when the committed stubs in alcor/ differ from what protos/ generate.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash tools/gen_protos.sh "$tmp" >/dev/null
if ! diff -r -x __pycache__ "$tmp/alcor" alcor >/dev/null; then
  echo "generated stubs drifted from protos/: run 'make protos' and commit" >&2
  diff -r -x __pycache__ "$tmp/alcor" alcor | head -20 >&2
  exit 1
fi
echo "generated stubs match protos/"
