#!/usr/bin/env bash
# Check that the test oracles work here and agree with each other (under a minute):
#   - tflite_np.py (NumPy TFLite interpreter) vs the real TFLite runtime (tflite_run.js,
#     WASM) on the four MTCNN/MobileFaceNet files, and vs ONNX Runtime on an operator-by-
#     operator ONNX translation (check_tflite_np.py), P-Net also at another input size;
#   - every operator of tflite_np.py vs TFLite WASM on single-operator files written by
#     tflite_write.py (check_tflite_ops.py);
#   - gen_graphs.py: every generated model runs in ONNX Runtime and the equivalent ones agree;
#   - ort_run.js on both BlazeFace files.
# Needs scripts/fetch-models.sh and scripts/setup-oracles.sh first. Exit 1 on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3
O=tests/oracle
TMP="$(mktemp -d "${TMPDIR:-/tmp}/fsift-oracles.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

rand() {  # rand FILE DIMS  -> uniform [-1,1] float32 array of shape DIMS (comma-separated)
    "$PY" -c 'import sys, numpy as np
np.save(sys.argv[1], np.random.default_rng(7).uniform(-1, 1, [int(d) for d in sys.argv[2].split(",")]).astype(np.float32))' "$1" "$2"
}

echo "== tflite_np.py vs TFLite WASM runtime (tflite_run.js)"
for spec in mtcnn/pnet:1,1280,960,3 mtcnn/rnet:1,24,24,3 mtcnn/onet:1,48,48,3 mobilefacenet/MobileFaceNet:2,112,112,3; do
    m="${spec%%:*}"; n="$(basename "$m")"
    rand "$TMP/$n.in0.npy" "${spec#*:}"
    node "$O/tflite_run.js" "models/$m.tflite" "$TMP/$n.in0.npy" -o "$TMP/$n.wasm" >/dev/null 2>"$TMP/$n.log" || { cat "$TMP/$n.log" >&2; exit 1; }
    "$PY" "$O/tflite_run.py" "models/$m.tflite" "$TMP/$n.in0.npy" -o "$TMP/$n.np" >/dev/null
    echo "-- $n"
    "$PY" "$O/compare.py" "$TMP/$n.np" "$TMP/$n.wasm" --tol 1e-4
done

echo "== tflite_np.py vs ONNX Runtime on a translation of each model"
"$PY" "$O/check_tflite_np.py" models/mtcnn/pnet.tflite:1,120,100,3 models/mtcnn/rnet.tflite \
    models/mtcnn/onet.tflite models/mobilefacenet/MobileFaceNet.tflite

echo "== tflite_np.py vs TFLite WASM on single-operator models (tflite_write.py)"
"$PY" "$O/check_tflite_ops.py"

echo "== gen_graphs.py models in ONNX Runtime"
"$PY" "$O/gen_graphs.py" "$TMP/graphs" --check

echo "== ort_run.js on BlazeFace"
rand "$TMP/bf128.npy" 1,128,128,3
rand "$TMP/bf256.npy" 1,256,256,3
node "$O/ort_run.js" models/blazeface/face_detection_front_128x128_barracuda.onnx "$TMP/bf128.npy" -o "$TMP/bf128"
node "$O/ort_run.js" models/blazeface/face_detection_back_256x256_barracuda.onnx "$TMP/bf256.npy" -o "$TMP/bf256"

echo "oracle self-check: all checks passed"
