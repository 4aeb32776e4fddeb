#!/usr/bin/python3
"""Check every operator of tflite_np.py against the real TFLite runtime (WASM, tflite_run.js)
on small single-operator models written with tflite_write.py.

    check_tflite_ops.py [--tol 1e-5] [--keep DIR]

Each case is one .tflite file with a random float32 input (constants random too); the two
runtimes' outputs must agree within tol (compare.py's normalised error). The real model
files exercise only part of the interpreter; this covers the rest (pools with SAME padding,
depthwise multipliers, dilation, DEQUANTIZE of float16/int8, PAD, CONCATENATION, SOFTMAX beta,
PRELU broadcasting, RESIZE_BILINEAR modes, fused activations, ...). Exit 0 when all agree.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tflite_np as T  # noqa: E402
import tflite_write as W  # noqa: E402
from compare import compare  # noqa: E402

F32 = np.float32


def cases(rng):
    """Yields (name, bytes, [input arrays])."""
    def rnd(*shape, lo=-1.0, hi=1.0):
        return rng.uniform(lo, hi, shape).astype(F32)

    def single(name, op, in_shape, out_shape, consts=(), opts=None, extra_inputs_first=False, x=None):
        b = W.ModelBuilder()
        xi = b.tensor("x", in_shape)
        cins = [b.tensor("c%d" % i, c.shape, c.dtype, data=c) if c is not None else -1 for i, c in enumerate(consts)]
        y = b.tensor("y", out_shape)
        b.op(op, (cins + [xi]) if extra_inputs_first else ([xi] + cins), [y], opts)
        return name, b.finish([xi], [y]), [rnd(*in_shape) if x is None else x]

    for pad in ("SAME", "VALID"):
        for stride in (1, 2):
            h = 9
            oh = (h + stride - 1) // stride if pad == "SAME" else (h - 3) // stride + 1
            yield single("conv3x3_%s_s%d" % (pad, stride), "CONV_2D", [1, h, h + 2, 3],
                         [1, oh, (h + 2 + stride - 1) // stride if pad == "SAME" else (h + 2 - 3) // stride + 1, 5],
                         [rnd(5, 3, 3, 3), rnd(5)], W.conv2d(pad, stride, "RELU6"))
    yield single("conv_dilated", "CONV_2D", [1, 10, 10, 2], [1, 10, 10, 4], [rnd(4, 3, 3, 2), rnd(4)],
                 W.conv2d("SAME", 1, None, dilation=2))
    # (This TFLite build refuses a float CONV_2D without bias: "conv.cc:380 has_bias was not true".)
    yield single("conv1x1_batch2", "CONV_2D", [2, 5, 5, 8], [2, 5, 5, 6], [rnd(6, 1, 1, 8), rnd(6)], W.conv2d("VALID", 1))
    yield single("depthwise_m1_s2_same", "DEPTHWISE_CONV_2D", [1, 8, 7, 4], [1, 4, 4, 4], [rnd(1, 3, 3, 4), rnd(4)],
                 W.depthwise("SAME", 2, 1, "RELU"))
    yield single("depthwise_m2_valid", "DEPTHWISE_CONV_2D", [1, 6, 6, 3], [1, 4, 4, 6], [rnd(1, 3, 3, 6), rnd(6)],
                 W.depthwise("VALID", 1, 2))
    yield single("maxpool3_s2_same", "MAX_POOL_2D", [1, 9, 8, 3], [1, 5, 4, 3], opts=W.pool(3, 2, "SAME"))
    yield single("maxpool2_s2_valid", "MAX_POOL_2D", [1, 9, 8, 3], [1, 4, 4, 3], opts=W.pool(2, 2, "VALID"))
    yield single("avgpool3_s2_same", "AVERAGE_POOL_2D", [1, 9, 8, 3], [1, 5, 4, 3], opts=W.pool(3, 2, "SAME"))
    yield single("avgpool7_valid", "AVERAGE_POOL_2D", [1, 7, 7, 16], [1, 1, 1, 16], opts=W.pool(7, 1, "VALID"))
    yield single("fc", "FULLY_CONNECTED", [1, 2, 3, 4], [1, 7], [rnd(7, 24), rnd(7)], W.fully_connected("RELU"))
    yield single("fc_keepdims", "FULLY_CONNECTED", [2, 3, 5], [2, 3, 4], [rnd(4, 5), None], W.fully_connected(None, True))
    for act in (None, "RELU", "RELU6", "RELU_N1_TO_1", "TANH"):
        yield single("add_bcast_%s" % act, "ADD", [1, 4, 4, 3], [1, 4, 4, 3], [rnd(3, lo=-3, hi=3)],
                     W.binary("ADD", act))
    yield single("mul_bcast", "MUL", [1, 4, 4, 3], [1, 4, 4, 3], [rnd(1, 1, 3)], W.binary("MUL"))
    yield single("sub_rev", "SUB", [1, 4, 4, 3], [1, 4, 4, 3], [rnd(1, 4, 1, 3)], W.binary("SUB"), extra_inputs_first=True)
    yield single("div", "DIV", [2, 3], [2, 3], [rnd(2, 3, lo=0.5, hi=2.0)], W.binary("DIV"))
    for op in ("NEG", "RELU", "RELU6", "LOGISTIC", "TANH", "ABS", "EXP"):
        yield single(op.lower(), op, [1, 3, 4, 5], [1, 3, 4, 5], x=rnd(1, 3, 4, 5, lo=-8, hi=8))
    yield single("prelu_channel", "PRELU", [1, 4, 4, 3], [1, 4, 4, 3], [rnd(1, 1, 3)])
    yield single("prelu_full", "PRELU", [1, 4, 4, 3], [1, 4, 4, 3], [rnd(4, 4, 3)])
    yield single("reshape_tensor", "RESHAPE", [2, 3, 4], [6, 4], [np.array([6, 4], np.int32)], W.reshape([6, 4]))
    yield single("reshape_minus1", "RESHAPE", [2, 3, 4], [2, 12], [np.array([2, -1], np.int32)], W.reshape([2, -1]))
    yield single("softmax", "SOFTMAX", [2, 10], [2, 10], opts=W.softmax(1.0), x=rnd(2, 10, lo=-5, hi=5))
    yield single("softmax_beta", "SOFTMAX", [1, 3, 7], [1, 3, 7], opts=W.softmax(0.5))
    yield single("pad", "PAD", [1, 3, 3, 2], [1, 6, 4, 2], [np.array([[0, 0], [1, 2], [0, 1], [0, 0]], np.int32)])
    yield single("padv2", "PADV2", [1, 3, 3, 2], [1, 5, 5, 2],
                 [np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32), np.array([0.25], F32).reshape(())])
    yield single("transpose", "TRANSPOSE", [2, 3, 4], [4, 2, 3], [np.array([2, 0, 1], np.int32)])
    for name, op, keep, axes, shp in (("mean_hw", "MEAN", True, [1, 2], [1, 1, 1, 3]),
                                      ("sum_last", "SUM", False, [-1], [1, 4, 4]),
                                      ("reduce_max", "REDUCE_MAX", True, [3], [1, 4, 4, 1]),
                                      ("reduce_min", "REDUCE_MIN", False, [1], [1, 4, 3])):
        yield single(name, op, [1, 4, 4, 3], shp, [np.array(axes, np.int32)], W.reducer(keep))
    for ac, hp in ((False, False), (True, False), (False, True)):
        yield single("resize_bilinear_ac%d_hp%d" % (ac, hp), "RESIZE_BILINEAR", [1, 5, 4, 2], [1, 9, 7, 2],
                     [np.array([9, 7], np.int32)], W.resize_bilinear(ac, hp))
    yield single("resize_bilinear_down", "RESIZE_BILINEAR", [1, 8, 8, 1], [1, 3, 5, 1],
                 [np.array([3, 5], np.int32)], W.resize_bilinear(False, True))

    # CONCATENATION of the input with a constant, and a negative axis. (TFLite refuses a fused
    # activation on a float CONCATENATION: "concatenation.cc:135 params->activation != None".)
    for axis in (3, -3):
        b = W.ModelBuilder()
        x = b.tensor("x", [1, 2, 3, 4])
        c = b.tensor("c", [1, 2, 3, 4], data=rnd(1, 2, 3, 4))
        out_shape = [1, 2, 3, 8] if axis == 3 else [1, 4, 3, 4]
        y = b.tensor("y", out_shape)
        b.op("CONCATENATION", [x, c], [y], W.concatenation(axis))
        yield "concat_axis%d" % axis, b.finish([x], [y]), [rnd(1, 2, 3, 4)]

    # DEQUANTIZE: float16, int8 per-tensor, int8 per-channel weights feeding an ADD / CONV
    b = W.ModelBuilder()
    x = b.tensor("x", [2, 6])
    c16 = b.tensor("c16", [2, 6], np.float16, data=rnd(2, 6).astype(np.float16))
    cf = b.tensor("cf", [2, 6])
    y = b.tensor("y", [2, 6])
    b.op("DEQUANTIZE", [c16], [cf])
    b.op("ADD", [x, cf], [y], W.binary("ADD"))
    yield "dequantize_fp16", b.finish([x], [y]), [rnd(2, 6)]

    b = W.ModelBuilder()
    x = b.tensor("x", [1, 5, 5, 3])
    q = rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    wq = b.tensor("wq", [4, 3, 3, 3], np.int8, data=q, scale=[0.01, 0.02, 0.005, 0.03], zero_point=[0, 0, 0, 0], qdim=0)
    wf = b.tensor("wf", [4, 3, 3, 3])
    bias = b.tensor("bias", [4], data=rnd(4))
    y = b.tensor("y", [1, 5, 5, 4])
    b.op("DEQUANTIZE", [wq], [wf])
    b.op("CONV_2D", [x, wf, bias], [y], W.conv2d("SAME", 1))
    yield "dequantize_int8_per_channel_conv", b.finish([x], [y]), [rnd(1, 5, 5, 3)]

    b = W.ModelBuilder()
    x = b.tensor("x", [3, 4])
    q = rng.integers(0, 256, (3, 4)).astype(np.uint8)
    cq = b.tensor("cq", [3, 4], np.uint8, data=q, scale=0.05, zero_point=128)
    cf = b.tensor("cf", [3, 4])
    y = b.tensor("y", [3, 4])
    b.op("DEQUANTIZE", [cq], [cf])
    b.op("MUL", [x, cf], [y], W.binary("MUL"))
    yield "dequantize_uint8_per_tensor", b.finish([x], [y]), [rnd(3, 4)]

    # two inputs, two outputs, ops chained
    b = W.ModelBuilder()
    x0 = b.tensor("x0", [1, 4, 4, 2])
    x1 = b.tensor("x1", [1, 4, 4, 2])
    s = b.tensor("s", [1, 4, 4, 2])
    p = b.tensor("p", [1, 2, 2, 2])
    b.op("ADD", [x0, x1], [s], W.binary("ADD", "RELU"))
    b.op("MAX_POOL_2D", [s], [p], W.pool(2, 2, "VALID"))
    yield "two_in_two_out", b.finish([x0, x1], [s, p]), [rnd(1, 4, 4, 2), rnd(1, 4, 4, 2)]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("--keep", help="keep the .tflite and .npy files here")
    args = ap.parse_args(argv)
    work = args.keep or tempfile.mkdtemp(prefix="fsift-tflops.")
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(11)
    ok = True
    n = 0
    try:
        for name, data, xs in cases(rng):
            path = os.path.join(work, name + ".tflite")
            with open(path, "wb") as f:
                f.write(data)
            ins = []
            for i, x in enumerate(xs):
                p = os.path.join(work, "%s.in%d.npy" % (name, i))
                np.save(p, x)
                ins.append(p)
            try:
                ours = T.TFLiteModel.load(path).run(xs)
            except Exception as e:  # report and go on
                print("%-36s FAIL tflite_np: %s" % (name, e))
                ok = False
                continue
            r = subprocess.run(["node", os.path.join(HERE, "tflite_run.js"), path] + ins + ["-o", os.path.join(work, name)],
                               capture_output=True, text=True)
            if r.returncode != 0:
                why = [ln for ln in r.stderr.splitlines() if "ERROR" in ln or "error" in ln]
                print("%-36s FAIL TFLite WASM: %s" % (name, " | ".join(why)))
                ok = False
                continue
            errs = []
            for i, a in enumerate(ours):
                ref = np.load(os.path.join(work, name, "%d.npy" % i))
                errs.append(compare(a, ref) if a.shape == ref.shape else float("inf"))
            good = max(errs) <= args.tol
            ok &= good
            n += 1
            print("%-36s %s err %.2e" % (name, "ok  " if good else "FAIL", max(errs)))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("check_tflite_ops: %d cases, %s" % (n, "tflite_np agrees with TFLite" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
