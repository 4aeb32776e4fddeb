#!/usr/bin/python3
"""Validate the TFLite NumPy interpreter (tflite_np.py) against ONNX Runtime.

Each TFLite model is translated operator by operator into an equivalent ONNX graph (NHWC
tensors kept as they are; each CONV_2D / DEPTHWISE_CONV_2D / pool becomes
Transpose -> Conv/MaxPool/AveragePool with TFLite's explicit padding -> Transpose), the same
random input is run through tflite_np and through ort_run.js, and the outputs are compared
with compare.py's normalised error. Two independent paths (our kernels vs ORT's, sharing
only the flatbuffer reader) agreeing is the evidence that the interpreter is right.

    check_tflite_np.py [--tol 1e-4] [--keep DIR] MODEL.tflite[:N,H,W,C] ...

An optional :N,H,W,C suffix runs the model at another input size (P-Net is fully
convolutional). Exit 0 when every model agrees, 1 otherwise.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tflite_np as T  # noqa: E402
from compare import compare  # noqa: E402


def to_onnx(m, in_shapes):
    nodes, inits = [], []
    names = {}
    counter = [0]

    def fresh(prefix):
        counter[0] += 1
        return "%s_%d" % (prefix, counter[0])

    def const(arr, prefix="c"):
        name = fresh(prefix)
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def tname(i):
        if i in names:
            return names[i]
        t = m.tensors[i]
        if t.data is None:
            raise ValueError("tensor %d read before written" % i)
        names[i] = const(t.data, "w%d" % i)
        return names[i]

    def act(x, a):
        if a == T.ACT_NONE:
            return x
        y = fresh("act")
        if a == T.ACT_RELU:
            nodes.append(helper.make_node("Relu", [x], [y]))
        elif a == T.ACT_RELU6:
            nodes.append(helper.make_node("Clip", [x, const(np.float32(0)), const(np.float32(6))], [y]))
        else:
            raise NotImplementedError("activation %d" % a)
        return y

    def nchw_op(x, in_shape, op_type, attrs, extra_inputs, kh, kw, sh, sw, dh, dw, padding):
        _, h, w, _ = in_shape
        oh, pt = T.out_size_and_pad(h, kh, sh, dh, padding)
        ow, pl = T.out_size_and_pad(w, kw, sw, dw, padding)
        pb = max((oh - 1) * sh + (kh - 1) * dh + 1 - h - pt, 0)
        pr = max((ow - 1) * sw + (kw - 1) * dw + 1 - w - pl, 0)
        a = fresh("nchw")
        nodes.append(helper.make_node("Transpose", [x], [a], perm=[0, 3, 1, 2]))
        b = fresh(op_type)
        nodes.append(helper.make_node(op_type, [a] + extra_inputs, [b], pads=[pt, pl, pb, pr],
                                      strides=[sh, sw], **attrs))
        c = fresh("nhwc")
        nodes.append(helper.make_node("Transpose", [b], [c], perm=[0, 2, 3, 1]))
        return c, (in_shape[0], oh, ow)

    shapes = {}
    graph_inputs = []
    for ti, shp in zip(m.inputs, in_shapes):
        names[ti] = "in%d" % len(graph_inputs)
        shapes[ti] = tuple(shp)
        graph_inputs.append(helper.make_tensor_value_info(names[ti], TensorProto.FLOAT, list(shp)))

    # Static shapes (needed for TFLite's explicit padding and for RESHAPE) come from one
    # run of the interpreter on zeros: shape logic is not what this check is about.
    shape_of = {}

    def run_shapes():
        vals = {}
        for ti, s in zip(m.inputs, in_shapes):
            vals[ti] = np.zeros(s, np.float32)

        def get(i):
            return vals[i] if i in vals else m.tensors[i].data

        for op in m.ops:
            res = T.KERNELS[op.name](m, op, [get(i) if i >= 0 else None for i in op.inputs])
            if not isinstance(res, (list, tuple)):
                res = [res]
            for ti, r in zip(op.outputs, res):
                vals[ti] = np.asarray(r)
                shape_of[ti] = np.asarray(r).shape

    run_shapes()
    for ti, s in zip(m.inputs, in_shapes):
        shape_of[ti] = tuple(s)

    for op in m.ops:
        ins = op.inputs
        out = op.outputs[0]
        if op.name == "CONV_2D":
            o = T.read_options(op.options, T.CONV2D_OPTIONS)
            wt = m.tensors[ins[1]].data
            oc, kh, kw, ic = wt.shape
            extra = [const(wt.transpose(0, 3, 1, 2).astype(np.float32))]
            if len(ins) > 2 and ins[2] >= 0:
                extra.append(tname(ins[2]))
            y, _ = nchw_op(tname(ins[0]), shape_of[ins[0]], "Conv",
                           {"dilations": [o["dilation_h"], o["dilation_w"]], "kernel_shape": [kh, kw]},
                           extra, kh, kw, o["stride_h"], o["stride_w"], o["dilation_h"], o["dilation_w"],
                           o["padding"])
            names[out] = act(y, o["act"])
        elif op.name == "DEPTHWISE_CONV_2D":
            o = T.read_options(op.options, T.DEPTHWISE_OPTIONS)
            wt = m.tensors[ins[1]].data
            _, kh, kw, oc = wt.shape
            ic = shape_of[ins[0]][3]
            extra = [const(wt[0].transpose(2, 0, 1)[:, None, :, :].astype(np.float32))]
            if len(ins) > 2 and ins[2] >= 0:
                extra.append(tname(ins[2]))
            y, _ = nchw_op(tname(ins[0]), shape_of[ins[0]], "Conv",
                           {"dilations": [o["dilation_h"], o["dilation_w"]], "kernel_shape": [kh, kw],
                            "group": ic},
                           extra, kh, kw, o["stride_h"], o["stride_w"], o["dilation_h"], o["dilation_w"],
                           o["padding"])
            names[out] = act(y, o["act"])
        elif op.name in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
            o = T.read_options(op.options, T.POOL2D_OPTIONS)
            kh, kw = o["filter_h"], o["filter_w"]
            attrs = {"kernel_shape": [kh, kw]}
            if op.name == "AVERAGE_POOL_2D":
                attrs["count_include_pad"] = 0
            y, _ = nchw_op(tname(ins[0]), shape_of[ins[0]],
                           "MaxPool" if op.name == "MAX_POOL_2D" else "AveragePool", attrs, [],
                           kh, kw, o["stride_h"], o["stride_w"], 1, 1, o["padding"])
            names[out] = act(y, o["act"])
        elif op.name == "FULLY_CONNECTED":
            o = T.read_options(op.options, T.FC_OPTIONS)
            wt = m.tensors[ins[1]].data
            r = fresh("flat")
            nodes.append(helper.make_node("Reshape", [tname(ins[0]), const(np.array([-1, wt.shape[1]], np.int64))], [r]))
            y = fresh("fc")
            gin = [r, tname(ins[1])] + ([tname(ins[2])] if len(ins) > 2 and ins[2] >= 0 else [])
            nodes.append(helper.make_node("Gemm", gin, [y], transB=1))
            y = act(y, o["act"])
            if o["keep_num_dims"]:
                z = fresh("fcshape")
                nodes.append(helper.make_node("Reshape", [y, const(np.array(shape_of[out], np.int64))], [z]))
                y = z
            names[out] = y
        elif op.name in ("ADD", "SUB", "MUL", "DIV"):
            o = T.read_options(op.options, T.ACT_ONLY_OPTIONS)
            y = fresh(op.name.lower())
            nodes.append(helper.make_node(op.name.capitalize(), [tname(ins[0]), tname(ins[1])], [y]))
            names[out] = act(y, o["act"])
        elif op.name in ("NEG", "RELU", "ABS", "EXP", "TANH", "LOGISTIC"):
            onnx_op = {"NEG": "Neg", "RELU": "Relu", "ABS": "Abs", "EXP": "Exp", "TANH": "Tanh",
                       "LOGISTIC": "Sigmoid"}[op.name]
            y = fresh(onnx_op)
            nodes.append(helper.make_node(onnx_op, [tname(ins[0])], [y]))
            names[out] = y
        elif op.name in ("SUM", "REDUCE_MAX", "MEAN"):
            keep = T.read_options(op.options, T.REDUCER_OPTIONS)["keep_dims"]
            axes = [int(v) for v in np.asarray(m.tensors[ins[1]].data).reshape(-1)]
            y = fresh("reduce")
            onnx_op = {"SUM": "ReduceSum", "REDUCE_MAX": "ReduceMax", "MEAN": "ReduceMean"}[op.name]
            if onnx_op == "ReduceSum":
                nodes.append(helper.make_node(onnx_op, [tname(ins[0]), const(np.array(axes, np.int64))], [y],
                                              keepdims=int(keep)))
            else:
                nodes.append(helper.make_node(onnx_op, [tname(ins[0])], [y], axes=axes, keepdims=int(keep)))
            names[out] = y
        elif op.name == "RESHAPE":
            y = fresh("reshape")
            nodes.append(helper.make_node("Reshape", [tname(ins[0]), const(np.array(shape_of[out], np.int64))], [y]))
            names[out] = y
        elif op.name == "SOFTMAX":
            beta = T.read_options(op.options, T.SOFTMAX_OPTIONS)["beta"]
            s = fresh("scaled")
            nodes.append(helper.make_node("Mul", [tname(ins[0]), const(np.float32(beta))], [s]))
            y = fresh("softmax")
            nodes.append(helper.make_node("Softmax", [s], [y], axis=-1))
            names[out] = y
        elif op.name == "CONCATENATION":
            o = T.read_options(op.options, T.CONCAT_OPTIONS)
            y = fresh("concat")
            nodes.append(helper.make_node("Concat", [tname(i) for i in ins], [y], axis=o["axis"]))
            names[out] = act(y, o["act"])
        elif op.name == "PRELU":
            y = fresh("prelu")
            nodes.append(helper.make_node("PRelu", [tname(ins[0]), tname(ins[1])], [y]))
            names[out] = y
        elif op.name == "PAD":
            pads = np.asarray(m.tensors[ins[1]].data).astype(np.int64).reshape(-1, 2)
            y = fresh("pad")
            nodes.append(helper.make_node("Pad", [tname(ins[0]), const(np.concatenate([pads[:, 0], pads[:, 1]]))], [y]))
            names[out] = y
        else:
            raise NotImplementedError("no ONNX translation for %s" % op.name)

    outputs = []
    for i, ti in enumerate(m.outputs):
        y = "out%d" % i
        nodes.append(helper.make_node("Identity", [names[ti]], [y]))
        outputs.append(helper.make_tensor_value_info(y, TensorProto.FLOAT, list(shape_of[ti])))
    g = helper.make_graph(nodes, "tflite_translation", graph_inputs, outputs, inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--keep", help="keep the translated .onnx and the .npy files here")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    work = args.keep or tempfile.mkdtemp(prefix="fsift-tflcheck.")
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    ok = True
    for spec in args.models:
        path, _, shp = spec.partition(":")
        m = T.TFLiteModel.load(path)
        in_shapes = [list(d[1]) for d in m.input_details()]
        if shp:
            in_shapes = [[int(v) for v in shp.split(",")]]
        base = os.path.join(work, os.path.splitext(os.path.basename(path))[0])
        onnx.save(to_onnx(m, in_shapes), base + ".onnx")
        ins = []
        for k, s in enumerate(in_shapes):
            p = "%s.in%d.npy" % (base, k)
            np.save(p, rng.uniform(-1, 1, s).astype(np.float32))
            ins.append(p)
        outs_np = m.run([np.load(p) for p in ins])
        r = subprocess.run(["node", os.path.join(HERE, "ort_run.js"), base + ".onnx"] + ins + ["-o", base + ".ort"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("%s: ORT failed: %s" % (spec, r.stderr.strip()))
            ok = False
            continue
        for i, a in enumerate(outs_np):
            b = np.load(os.path.join(base + ".ort", "%d.npy" % i))
            err = compare(a, b) if a.shape == b.shape else float("inf")
            good = err <= args.tol
            ok &= good
            print("%-40s out %d %-4s err %.3e shape %s" % (os.path.basename(path) + (":" + shp if shp else ""), i,
                                                           "ok" if good else "FAIL", err, list(a.shape)))
    if not args.keep:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    print("check_tflite_np: %s" % ("tflite_np agrees with ONNX Runtime" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
