#!/usr/bin/env bash
# conv_layers.sh BUILD_DIR [THREADS] [ITERS] — single-node Conv/Gemm models on the shapes that
# dominate the target models (SCRFD-10G, ArcFace R100, BlazeFace), each timed on facesift
# (bench/bench_model.c) and on ONNX Runtime (bench/ort_bench.js) in the same run, interleaved.
# Prints one row per layer: min and median ms of both and the ratio of minimums (facesift /
# ORT; < 1 is faster). The machine may be shared: minimums are the least disturbed runs.
# Models are written by python3-onnx into a temporary folder (random weights, seeded).
set -euo pipefail
BUILD=${1:?usage: conv_layers.sh BUILD_DIR [THREADS] [ITERS]}
THREADS=${2:-1}
ITERS=${3:-40}
SRC=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

/usr/bin/python3 - "$TMP" <<'EOF'
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
out = sys.argv[1]
rng = np.random.default_rng(3)
# name, C, H, W, M, k, stride, pad, group
layers = [
    ("scrfd_stem_3x3s2_3-28_640", 3, 640, 640, 28, 3, 2, 1, 1),
    ("scrfd_3x3_28-28_320", 28, 320, 320, 28, 3, 1, 1, 1),
    ("scrfd_3x3_56-56_160", 56, 160, 160, 56, 3, 1, 1, 1),
    ("scrfd_3x3s2_56-88_160", 56, 160, 160, 88, 3, 2, 1, 1),
    ("scrfd_3x3_88-88_80", 88, 80, 80, 88, 3, 1, 1, 1),
    ("scrfd_1x1_224-56_40", 224, 40, 40, 56, 1, 1, 0, 1),
    ("arcface_3x3_64-64_112", 64, 112, 112, 64, 3, 1, 1, 1),
    ("arcface_3x3_128-128_28", 128, 28, 28, 128, 3, 1, 1, 1),
    ("arcface_3x3_256-256_14", 256, 14, 14, 256, 3, 1, 1, 1),
    ("arcface_3x3_512-512_7", 512, 7, 7, 512, 3, 1, 1, 1),
    ("blazeface_5x5s2_3-24_256", 3, 256, 256, 24, 5, 2, 2, 1),
    ("blazeface_1x1_24-24_128", 24, 128, 128, 24, 1, 1, 0, 1),
    ("blazeface_dw3x3_24_128", 24, 128, 128, 24, 3, 1, 1, 24),
    ("blazeface_dw3x3s2_24_128", 24, 128, 128, 24, 3, 2, 1, 24),
    ("blazeface_dw3x3_96_16", 96, 16, 16, 96, 3, 1, 1, 96),
    ("blazeface_dw3x3_96_8", 96, 8, 8, 96, 3, 1, 1, 96),
]
for name, C, H, W, M, k, s, p, g in layers:
    w = numpy_helper.from_array(rng.uniform(-0.1, 0.1, (M, C // g, k, k)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.uniform(-0.1, 0.1, (M,)).astype(np.float32), "b")
    node = helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[k, k], strides=[s, s],
                            pads=[p, p, p, p], group=g)
    relu = helper.make_node("Relu", ["c"], ["y"])
    oh = (H + 2 * p - k) // s + 1
    ow = (W + 2 * p - k) // s + 1
    graph = helper.make_graph([node, relu], name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, C, H, W])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, M, oh, ow])], [w, b])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, f"{out}/{name}.onnx")
# ArcFace's last Gemm
w = numpy_helper.from_array(rng.uniform(-0.01, 0.01, (512, 25088)).astype(np.float32), "w")
b = numpy_helper.from_array(rng.uniform(-0.1, 0.1, (512,)).astype(np.float32), "b")
node = helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)
graph = helper.make_graph([node], "fc", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 25088])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 512])], [w, b])
m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 8
onnx.save(m, f"{out}/arcface_fc_25088-512.onnx")
EOF

printf "%-28s %9s %9s %9s %9s %7s\n" layer fs_min fs_med ort_min ort_med ratio
for f in "$TMP"/*.onnx; do
    name=$(basename "$f" .onnx)
    fs=$("$BUILD/bench/bench_model" "$f" --threads "$THREADS" --warmup 5 --iters "$ITERS")
    ort=$(node "$SRC/bench/ort_bench.js" "$f" --threads "$THREADS" --warmup 5 --iters "$ITERS")
    /usr/bin/python3 - "$name" "$fs" "$ort" <<'EOF'
import json, sys
a, b = json.loads(sys.argv[2]), json.loads(sys.argv[3])
print("%-28s %9.3f %9.3f %9.3f %9.3f %7.2f" % (sys.argv[1], a["min_ms"], a["median_ms"], b["min_ms"], b["median_ms"],
                                               a["min_ms"] / b["min_ms"]))
EOF
done
