#!/usr/bin/env bash
# fuzz/make_corpus.sh — regenerates the ONNX seed corpus fuzz/corpus/onnx/ with Debian's
# python3-onnx: a handful of tiny valid models (a few hundred bytes to a few KiB each) that
# between them use raw and typed initializers, Constant nodes, attributes of each type,
# dynamic dims, shape arithmetic that the planner folds, and opsets 7, 9, 11, 13 and 17, so that
# the fuzzer starts from inputs that reach deep into the loader and the planner.
# The files are committed; rerun this only to change them.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)/corpus/onnx"
mkdir -p "$out"
/usr/bin/python3 - "$out" <<'PY'
import os, sys
import numpy as np
from onnx import TensorProto as T, helper as h, numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(1)

def save(name, nodes, inputs, outputs, inits=(), opset=13):
    g = h.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = h.make_model(g, producer_name="make_corpus", opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 8 if opset >= 15 else 7
    with open(os.path.join(out, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())

def vi(n, t, s):
    return h.make_tensor_value_info(n, t, s)

def w(name, *shape):
    return nh.from_array(rng.standard_normal(shape).astype(np.float32), name)

save("add_raw", [h.make_node("Add", ["X", "B"], ["Y"])],
     [vi("X", T.FLOAT, [1, 3])], [vi("Y", T.FLOAT, [1, 3])], [w("B", 1, 3)])

save("conv_pool_gemm", [
    h.make_node("Conv", ["X", "W", "Bc"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    h.make_node("Relu", ["c"], ["r"]),
    h.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
    h.make_node("GlobalAveragePool", ["p"], ["g"]),
    h.make_node("Flatten", ["g"], ["f"]),
    h.make_node("Gemm", ["f", "Wg", "Bg"], ["Y"], transB=1)],
    [vi("X", T.FLOAT, [1, 2, 6, 6])], [vi("Y", T.FLOAT, [1, 4])],
    [w("W", 3, 2, 3, 3), w("Bc", 3), w("Wg", 4, 3), w("Bg", 4)], opset=11)

save("constants_reshape", [
    h.make_node("Constant", [], ["shape"], value_ints=[2, 3]),
    h.make_node("Constant", [], ["k"], value_float=2.0),
    h.make_node("Reshape", ["X", "shape"], ["r"]),
    h.make_node("Transpose", ["r"], ["t"], perm=[1, 0]),
    h.make_node("Mul", ["t", "k"], ["m"]),
    h.make_node("Concat", ["m", "m"], ["Y"], axis=0)],
    [vi("X", T.FLOAT, [6])], [vi("Y", T.FLOAT, [6, 2])], opset=13)

save("typed_gather_cast", [
    h.make_node("Gather", ["X", "idx"], ["g"], axis=1),
    h.make_node("Cast", ["i32"], ["c"], to=T.FLOAT),
    h.make_node("Add", ["g", "c"], ["Y"])],
    [vi("X", T.FLOAT, [2, 4])], [vi("Y", T.FLOAT, [2, 2])],
    [h.make_tensor("idx", T.INT64, [2], [3, 0]),
     h.make_tensor("i32", T.INT32, [2], [-1, 7])], opset=13)

save("dynamic_shape_chain", [
    h.make_node("Shape", ["X"], ["s"]),
    h.make_node("Gather", ["s", "zero"], ["n"], axis=0),
    h.make_node("Unsqueeze", ["n", "ax"], ["nu"]),
    h.make_node("Concat", ["nu", "minus1"], ["ns"], axis=0),
    h.make_node("Reshape", ["X", "ns"], ["f"]),
    h.make_node("Softmax", ["f"], ["Y"], axis=-1)],
    [vi("X", T.FLOAT, ["N", 3, "H", "W"])], [vi("Y", T.FLOAT, ["N", None])],
    [h.make_tensor("zero", T.INT64, [], [0]), h.make_tensor("ax", T.INT64, [1], [0]),
     h.make_tensor("minus1", T.INT64, [1], [-1])], opset=13)

save("slice_pad_clip", [
    h.make_node("Slice", ["X", "st", "en", "axs"], ["s"]),
    h.make_node("Pad", ["s", "pads"], ["p"], mode="constant"),
    h.make_node("Clip", ["p", "lo", "hi"], ["c"]),
    h.make_node("Split", ["c"], ["Y", "Z"], axis=1)],
    [vi("X", T.FLOAT, [1, 4, 5])], [vi("Y", T.FLOAT, None), vi("Z", T.FLOAT, None)],
    [h.make_tensor("st", T.INT64, [1], [1]), h.make_tensor("en", T.INT64, [1], [4]),
     h.make_tensor("axs", T.INT64, [1], [2]),
     h.make_tensor("pads", T.INT64, [6], [0, 0, 1, 0, 0, 1]),
     h.make_tensor("lo", T.FLOAT, [], [-0.5]), h.make_tensor("hi", T.FLOAT, [], [0.5])],
    opset=13)

save("layernorm_matmul", [
    h.make_node("LayerNormalization", ["X", "g", "b"], ["n"], axis=-1, epsilon=1e-5),
    h.make_node("MatMul", ["n", "Wm"], ["m"]),
    h.make_node("Erf", ["m"], ["Y"])],
    [vi("X", T.FLOAT, [1, 2, 4])], [vi("Y", T.FLOAT, [1, 2, 3])],
    [w("g", 4), w("b", 4), w("Wm", 4, 3)], opset=17)

save("opset9_bn_upsample", [
    h.make_node("BatchNormalization", ["X", "s", "bb", "mu", "var"], ["n"], epsilon=1e-5),
    h.make_node("Upsample", ["n", "scales"], ["u"], mode="nearest"),
    h.make_node("PRelu", ["u", "slope"], ["Y"])],
    [vi("X", T.FLOAT, [1, 2, 3, 3])], [vi("Y", T.FLOAT, None)],
    [w("s", 2), w("bb", 2), w("mu", 2), nh.from_array(np.ones(2, np.float32), "var"),
     h.make_tensor("scales", T.FLOAT, [4], [1, 1, 2, 2]), w("slope", 2, 1, 1)], opset=9)

save("opset7_broadcast", [
    h.make_node("Mul", ["X", "s"], ["m"]),
    h.make_node("Add", ["m", "b"], ["a"]),
    h.make_node("Sigmoid", ["a"], ["Y"])],
    [vi("X", T.FLOAT, [2, 3])], [vi("Y", T.FLOAT, [2, 3])], [w("s", 3), w("b", 1, 1)], opset=7)
PY
ls -l "$out"
