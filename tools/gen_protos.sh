#!/usr/bin/env bash
# Regenerates the Python stubs in alcor/v1/ from protos/: the one command for
# generated code. With an argument, writes into that directory instead (used
# by `make check-gen` to detect drift).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
dest=${1:-.}
rm -rf "$dest/alcor/v1"
mkdir -p "$dest/alcor/v1"
"$PY" -m grpc_tools.protoc -I protos \
  --python_out="$dest" --pyi_out="$dest" --grpc_python_out="$dest" \
  protos/alcor/v1/*.proto
for f in "$dest"/alcor/v1/*.py "$dest"/alcor/v1/*.pyi; do
  { echo "# DO NOT EDIT: generated from protos/ by tools/gen_protos.sh"; cat "$f"; } > "$f.tmp"
  mv "$f.tmp" "$f"
done
cat > "$dest/alcor/__init__.py" <<'PYEOF'
# DO NOT EDIT: generated package. alcor.v1 holds the Python stubs generated
# from protos/alcor/v1 by tools/gen_protos.sh.
PYEOF
cp "$dest/alcor/__init__.py" "$dest/alcor/v1/__init__.py"
