#!/usr/bin/env bash
# The recognizer's input (alignment + normalisation + layout) of `facesift analyze` against
# skimage SimilarityTransform + cv2.warpAffine + REFERENCE.md's normalisation, for
# MobileFaceNet (embedded set) and an ArcFace-shaped ONNX (antelopev2 path):
# tests/face_embed_oracle.py. Exits 77 with the reason when models or Python modules are missing.
set -euo pipefail
ROOT=${FSIFT_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=${FSIFT_BIN:-$ROOT/build/facesift}
MODELS=${FSIFT_MODELS_DIR:-$ROOT/models}
PY=/usr/bin/python3
[ -f "$MODELS/mobilefacenet/MobileFaceNet.tflite" ] || { echo "SKIP: $MODELS/mobilefacenet/MobileFaceNet.tflite missing (run scripts/fetch-models.sh)"; exit 77; }
[ -x "$PY" ] || { echo "SKIP: $PY not found"; exit 77; }
"$PY" -c 'import numpy, onnx, PIL, cv2, skimage' 2>/dev/null || { echo "SKIP: python3 numpy/onnx/PIL/cv2/skimage missing (Debian python3-numpy python3-onnx python3-pil python3-opencv python3-skimage)"; exit 77; }
[ -x "$BIN" ] || { echo "facesift binary $BIN not built" >&2; exit 1; }
export FSIFT_MODELS_DIR=$MODELS
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$PY" "$ROOT/tests/face_embed_oracle.py" "$BIN" "$WORK" "$MODELS"
