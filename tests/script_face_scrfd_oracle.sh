#!/usr/bin/env bash
# SCRFD decoding + NMS of `facesift analyze --models antelopev2:DIR` against an independent
# NumPy implementation of REFERENCE.md (tests/face_scrfd_oracle.py) on SCRFD-10G-shaped
# random-weight graphs whose heads are scaled to give detector-like outputs. Needs python3
# with numpy, onnx and PIL (Debian python3-numpy, python3-onnx, python3-pil) and skimage's
# astronaut.png (python3-skimage); exits 77 with the reason when one is missing.
set -euo pipefail
ROOT=${FSIFT_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=${FSIFT_BIN:-$ROOT/build/facesift}
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY not found"; exit 77; }
"$PY" -c 'import numpy, onnx, PIL' 2>/dev/null || { echo "SKIP: python3 numpy/onnx/PIL missing (apt-get install python3-numpy python3-onnx python3-pil)"; exit 77; }
[ -f /usr/lib/python3/dist-packages/skimage/data/astronaut.png ] || { echo "SKIP: skimage's astronaut.png missing (apt-get install python3-skimage)"; exit 77; }
[ -x "$BIN" ] || { echo "facesift binary $BIN not built" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$PY" "$ROOT/tests/face_scrfd_oracle.py" "$BIN" "$WORK"
