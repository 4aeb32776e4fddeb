#!/usr/bin/python3
"""Generate small random-weight ONNX models shaped like the real ones facesift must run.

    gen_graphs.py OUTDIR [--check] [--list]

Writes OUTDIR/NAME.onnx and OUTDIR/NAME.in0.npy (a random input of the model's input shape;
NAME.in1.npy ... for more inputs) for each model below. Everything is seeded: two runs give
byte-identical files. Built with python3-onnx's helper API and NumPy only; each model is
checked with onnx.checker (full check, with shape inference).

  scrfd_like            SCRFD-10G-shaped detector with keypoints, opset 11, input
                        [1,3,640,640]: ResNet-ish backbone (Conv/BatchNormalization/Relu,
                        MaxPool, residual Add) to strides 8/16/32, FPN-ish neck (1x1 lateral
                        Conv, Resize nearest x2, Add), per-stride heads; 9 outputs in
                        insightface order: scores (Sigmoid) s8,s16,s32 [N*2,1], boxes [N*2,4]
                        (with SCRFD's learned Mul scale), kps [N*2,10]; each head output is
                        NCHW Conv -> Transpose(0,2,3,1) -> Reshape(-1,C) as real exports are.
  scrfd_like_folded     the same network with every BatchNormalization folded into its Conv
                        (what torch.onnx export in eval mode produces); same outputs.
  scrfd_like_dyn        scrfd_like_folded with symbolic input dims [1,3,"h","w"]; its
                        in0.npy is [1,3,320,480].
  arcface_like          IResNet-shaped recognizer (glintr100-like), opset 11, input
                        [1,3,112,112]: Conv/BN/PRelu stem, 4 stages x 2 IBasicBlocks
                        (BN-Conv-BN-PRelu-Conv(stride)-BN + Conv1x1/BN downsample, Add),
                        BN, Flatten, Gemm to 512, BatchNormalization on the [1,512] features.
  clip_image_op14/_op17 CLIP ViT image tower on 64x64 with patch 16 (17 tokens, width 32,
                        4 heads, 2 blocks): patch Conv (no bias), Reshape/Transpose, class
                        token Concat, position Add, ln_pre, attention as
                        MatMul/Add/Mul(scale)/Reshape/Transpose/MatMul/Softmax/MatMul, MLP with
                        QuickGELU x*Sigmoid(1.702x) in block 0 and erf GELU (Div/Erf/Add/Mul)
                        in block 1, ln_post on the class token (Gather), projection MatMul to
                        16. op14: LayerNorm as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add;
                        op17: LayerNormalization. Same weights in both: same outputs.
  clip_text_op14/_op17  CLIP text tower, int64 input_ids [1,77], vocabulary 49408, width 32:
                        token Gather, position Add, 2 causal blocks, ln_final, pooling at the
                        end token as torch exports x[arange(B), ids.argmax(-1)]
                        (ArgMax, Shape/Gather/Range, Mul/Add, Flatten, Gather, Reshape),
                        projection MatMul to 16. Causal mask: a constant [77,77] initializer
                        (-inf above the diagonal) in op14; built with ops in op17
                        (Shape/Gather/Range/Unsqueeze/Less/Where, position table Sliced to
                        the sequence length).
  clip_text_op14_b2/_op17_b2  the same text towers with a batch-2 input [2,77].

--check runs every model with ONNX Runtime (tests/oracle/ort_run.js; needs
scripts/setup-oracles.sh) and checks the equivalences above (BN vs folded, op14 vs op17,
batch 2 vs two batch-1 runs, dynamic vs static at 640x640). --list prints each model's
operator counts.
"""

import argparse
import collections
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20260701
VOCAB = 49408
SOT, EOT = 49406, 49407


class Graph:
    """A tiny builder: named nodes and initializers with automatic unique names."""

    def __init__(self, name):
        self.name = name
        self.nodes = []
        self.inits = []
        self.inputs = []
        self.outputs = []
        self.counts = collections.Counter()

    def fresh(self, prefix):
        self.counts[prefix] += 1
        return "%s_%d" % (prefix, self.counts[prefix])

    def const(self, arr, prefix="const"):
        name = self.fresh(prefix)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def i64(self, vals, prefix="shape"):
        return self.const(np.asarray(vals, dtype=np.int64), prefix)

    def f32(self, vals, prefix="const"):
        return self.const(np.asarray(vals, dtype=np.float32), prefix)

    def op(self, op_type, inputs, n_out=1, name=None, **attrs):
        outs = [self.fresh(name or op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=self.fresh("n_" + op_type), **attrs))
        return outs[0] if n_out == 1 else outs

    def input(self, name, elem, shape):
        self.inputs.append(helper.make_tensor_value_info(name, elem, shape))
        return name

    def output(self, src, name, elem, shape):
        """Make tensor `src` (a node output) a graph output called `name` (no Identity node)."""
        for n in self.nodes:
            for seq in (n.input, n.output):
                for i, v in enumerate(seq):
                    if v == src:
                        seq[i] = name
        self.outputs.append(helper.make_tensor_value_info(name, elem, shape))

    def model(self, opset, ir_version=None):
        g = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="facesift-gen_graphs", producer_version="1")
        if ir_version is not None:
            m.ir_version = ir_version
        onnx.checker.check_model(m, full_check=True)
        return m


# --- weights --------------------------------------------------------------------------------

def conv_w(rng, cout, cin, k, groups=1):
    fan_in = (cin // groups) * k * k
    return (rng.standard_normal((cout, cin // groups, k, k)) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def bn_params(rng, c):
    return {
        "scale": rng.uniform(0.5, 1.0, c).astype(np.float32),
        "bias": rng.normal(0.0, 0.1, c).astype(np.float32),
        "mean": rng.normal(0.0, 0.1, c).astype(np.float32),
        "var": rng.uniform(0.5, 2.0, c).astype(np.float32),
    }


BN_EPS = 1e-5


def fold_bn(w, b, bn):
    """Fold BatchNormalization (eval mode) into the preceding Conv's weight and bias."""
    k = bn["scale"].astype(np.float64) / np.sqrt(bn["var"].astype(np.float64) + BN_EPS)
    w2 = (w.astype(np.float64) * k[:, None, None, None]).astype(np.float32)
    b0 = np.zeros(w.shape[0]) if b is None else b.astype(np.float64)
    b2 = ((b0 - bn["mean"]) * k + bn["bias"]).astype(np.float32)
    return w2, b2


# --- SCRFD-like ------------------------------------------------------------------------------

class ConvBN:
    """Conv (+ BatchNormalization) weights, emitted either as two nodes or folded."""

    def __init__(self, rng, cin, cout, k, stride=1, bias=False):
        self.w = conv_w(rng, cout, cin, k)
        self.b = rng.normal(0, 0.05, cout).astype(np.float32) if bias else None
        self.bn = bn_params(rng, cout)
        self.k, self.stride = k, stride

    def emit(self, g, x, fold):
        pad = self.k // 2
        attrs = dict(kernel_shape=[self.k, self.k], strides=[self.stride] * 2, pads=[pad] * 4)
        if fold:
            w, b = fold_bn(self.w, self.b, self.bn)
            return g.op("Conv", [x, g.const(w, "conv_w"), g.const(b, "conv_b")], **attrs)
        ins = [x, g.const(self.w, "conv_w")] + ([g.const(self.b, "conv_b")] if self.b is not None else [])
        y = g.op("Conv", ins, **attrs)
        bn = self.bn
        return g.op("BatchNormalization", [y, g.const(bn["scale"], "bn_scale"), g.const(bn["bias"], "bn_bias"),
                                           g.const(bn["mean"], "bn_mean"), g.const(bn["var"], "bn_var")],
                    epsilon=BN_EPS)


class Conv:
    def __init__(self, rng, cin, cout, k, stride=1, std=None):
        self.w = conv_w(rng, cout, cin, k) if std is None else (rng.standard_normal((cout, cin, k, k)) * std).astype(np.float32)
        self.b = rng.normal(0, 0.05, cout).astype(np.float32)
        self.k, self.stride = k, stride

    def emit(self, g, x):
        pad = self.k // 2
        return g.op("Conv", [x, g.const(self.w, "conv_w"), g.const(self.b, "conv_b")],
                    kernel_shape=[self.k, self.k], strides=[self.stride] * 2, pads=[pad] * 4)


def scrfd_weights(rng):
    W = {}
    W["stem"] = ConvBN(rng, 3, 8, 3, 2)                 # /2
    chans = [(8, 16), (16, 16), (16, 32), (32, 32)]      # stage1 /4 (after maxpool), /8, /16, /32
    for s, (cin, cout) in enumerate(chans):
        stride = 1 if s == 0 else 2
        W["s%d_a" % s] = ConvBN(rng, cin, cout, 3, stride)
        W["s%d_b" % s] = ConvBN(rng, cout, cout, 3, 1)
        W["s%d_down" % s] = ConvBN(rng, cin, cout, 1, stride)
    for lvl, cin in zip((3, 4, 5), (16, 32, 32)):
        W["lat%d" % lvl] = Conv(rng, cin, 16, 1)
        W["fpn%d" % lvl] = ConvBN(rng, 16, 16, 3, 1)
    for stride in (8, 16, 32):
        W["head%d" % stride] = ConvBN(rng, 16, 16, 3, 1)
        W["cls%d" % stride] = Conv(rng, 16, 2 * 1, 3, std=0.05)
        W["reg%d" % stride] = Conv(rng, 16, 2 * 4, 3, std=0.05)
        W["kps%d" % stride] = Conv(rng, 16, 2 * 10, 3, std=0.05)
        W["scale%d" % stride] = np.float32(rng.uniform(0.8, 1.2))
    return W


def build_scrfd(W, fold, dynamic):
    g = Graph("scrfd_like")
    hw = ["h", "w"] if dynamic else [640, 640]
    x = g.input("input.1", TensorProto.FLOAT, [1, 3] + hw)
    y = g.op("Relu", [W["stem"].emit(g, x, fold)])
    y = g.op("MaxPool", [y], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])   # /4
    feats = []
    for s in range(4):
        a = g.op("Relu", [W["s%d_a" % s].emit(g, y, fold)])
        b = W["s%d_b" % s].emit(g, a, fold)
        d = W["s%d_down" % s].emit(g, y, fold)
        y = g.op("Relu", [g.op("Add", [b, d])])
        if s >= 1:
            feats.append(y)                                  # strides 8, 16, 32
    lat = {lvl: W["lat%d" % lvl].emit(g, f) for lvl, f in zip((3, 4, 5), feats)}
    roi = g.f32(np.zeros(0, np.float32), "roi")
    scales = g.f32([1.0, 1.0, 2.0, 2.0], "scales")

    def up(t):
        return g.op("Resize", [t, roi, scales], mode="nearest", coordinate_transformation_mode="asymmetric",
                    nearest_mode="floor")

    p5 = lat[5]
    p4 = g.op("Add", [lat[4], up(p5)])
    p3 = g.op("Add", [lat[3], up(p4)])
    outs = {}
    for stride, p, lvl in ((8, p3, 3), (16, p4, 4), (32, p5, 5)):
        f = g.op("Relu", [W["fpn%d" % lvl].emit(g, p, fold)])
        h = g.op("Relu", [W["head%d" % stride].emit(g, f, fold)])

        def flat(t, c):
            t = g.op("Transpose", [t], perm=[0, 2, 3, 1])
            return g.op("Reshape", [t, g.i64([-1, c])])

        outs[("score", stride)] = g.op("Sigmoid", [flat(W["cls%d" % stride].emit(g, h), 1)])
        reg = g.op("Mul", [W["reg%d" % stride].emit(g, h), g.f32(W["scale%d" % stride], "scale")])
        outs[("bbox", stride)] = flat(reg, 4)
        outs[("kps", stride)] = flat(W["kps%d" % stride].emit(g, h), 10)
    for kind, c in (("score", 1), ("bbox", 4), ("kps", 10)):
        for stride in (8, 16, 32):
            n = "N%d" % stride if dynamic else (640 // stride) ** 2 * 2
            g.output(outs[(kind, stride)], "%s_%d" % (kind, stride), TensorProto.FLOAT, [n, c])
    return g.model(11, ir_version=6)


# --- ArcFace-like (IResNet) --------------------------------------------------------------------

def build_arcface(rng):
    g = Graph("arcface_like")
    x = g.input("input.1", TensorProto.FLOAT, [1, 3, 112, 112])

    def bn(t, c, prefix="bn"):
        p = bn_params(rng, c)
        return g.op("BatchNormalization", [t, g.const(p["scale"], prefix + "_scale"), g.const(p["bias"], prefix + "_bias"),
                                           g.const(p["mean"], prefix + "_mean"), g.const(p["var"], prefix + "_var")],
                    epsilon=BN_EPS)

    def conv(t, cin, cout, k, stride):
        return g.op("Conv", [t, g.const(conv_w(rng, cout, cin, k), "conv_w")], kernel_shape=[k, k],
                    strides=[stride, stride], pads=[k // 2] * 4)

    def prelu(t, c):
        return g.op("PRelu", [t, g.const(rng.uniform(0.1, 0.3, (c, 1, 1)).astype(np.float32), "prelu_slope")])

    c0 = 8
    y = prelu(bn(conv(x, 3, c0, 3, 1), c0), c0)
    cin = c0
    for cout in (8, 16, 16, 32):
        for blk in range(2):
            stride = 2 if blk == 0 else 1
            t = bn(y, cin)
            t = conv(t, cin, cout, 3, 1)
            t = bn(t, cout)
            t = prelu(t, cout)
            t = conv(t, cout, cout, 3, stride)
            t = bn(t, cout)
            if stride != 1 or cin != cout:
                sc = bn(conv(y, cin, cout, 1, stride), cout)
            else:
                sc = y
            y = g.op("Add", [t, sc])
            cin = cout
    y = bn(y, cin)                                   # bn2
    y = g.op("Flatten", [y], axis=1)                 # [1, 32*7*7]
    nin = cin * 7 * 7
    fc_w = (rng.standard_normal((512, nin)) * np.sqrt(1.0 / nin)).astype(np.float32)
    y = g.op("Gemm", [y, g.const(fc_w, "fc_w"), g.const(rng.normal(0, 0.05, 512).astype(np.float32), "fc_b")],
             alpha=1.0, beta=1.0, transB=1)
    y = bn(y, 512, "features")
    g.output(y, "683", TensorProto.FLOAT, [1, 512])
    return g.model(11, ir_version=6)


# --- CLIP towers ------------------------------------------------------------------------------

def clip_block_weights(rng, width):
    def lin(nin, nout):
        return ((rng.standard_normal((nin, nout)) * np.sqrt(1.0 / nin)).astype(np.float32),
                rng.normal(0, 0.02, nout).astype(np.float32))

    def ln(c):
        return (rng.uniform(0.8, 1.2, c).astype(np.float32), rng.normal(0, 0.05, c).astype(np.float32))

    return {"ln1": ln(width), "q": lin(width, width), "k": lin(width, width), "v": lin(width, width),
            "o": lin(width, width), "ln2": ln(width), "fc1": lin(width, 4 * width), "fc2": lin(4 * width, width)}


def layer_norm(g, x, gamma, beta, opset, eps=1e-5):
    if opset >= 17:
        return g.op("LayerNormalization", [x, g.const(gamma, "ln_w"), g.const(beta, "ln_b")], axis=-1, epsilon=eps)
    mean = g.op("ReduceMean", [x], axes=[-1], keepdims=1)
    d = g.op("Sub", [x, mean])
    var = g.op("ReduceMean", [g.op("Pow", [d, g.f32(2.0, "two")])], axes=[-1], keepdims=1)
    den = g.op("Sqrt", [g.op("Add", [var, g.f32(eps, "eps")])])
    y = g.op("Div", [d, den])
    return g.op("Add", [g.op("Mul", [y, g.const(gamma, "ln_w")]), g.const(beta, "ln_b")])


def linear(g, x, wb):
    return g.op("Add", [g.op("MatMul", [x, g.const(wb[0], "fc_w")]), g.const(wb[1], "fc_b")])


def gelu_erf(g, x):
    e = g.op("Erf", [g.op("Div", [x, g.f32(np.sqrt(2.0), "sqrt2")])])
    return g.op("Mul", [g.op("Mul", [x, g.op("Add", [e, g.f32(1.0, "one")])]), g.f32(0.5, "half")])


def quick_gelu(g, x):
    return g.op("Mul", [x, g.op("Sigmoid", [g.op("Mul", [x, g.f32(1.702, "qg")])])])


def clip_block(g, x, w, heads, width, opset, mask, act):
    dh = width // heads
    h = layer_norm(g, x, *w["ln1"], opset)
    q = g.op("Mul", [linear(g, h, w["q"]), g.f32(dh ** -0.5, "attn_scale")])
    k = linear(g, h, w["k"])
    v = linear(g, h, w["v"])
    split = g.i64([0, 0, heads, dh])                 # [B, L, W] -> [B, L, H, Dh]; 0 copies the dim
    q = g.op("Transpose", [g.op("Reshape", [q, split])], perm=[0, 2, 1, 3])
    k = g.op("Transpose", [g.op("Reshape", [k, split])], perm=[0, 2, 3, 1])
    v = g.op("Transpose", [g.op("Reshape", [v, split])], perm=[0, 2, 1, 3])
    s = g.op("MatMul", [q, k])                       # [B, H, L, L]
    if mask is not None:
        s = g.op("Add", [s, mask])
    p = g.op("Softmax", [s], axis=-1)
    a = g.op("MatMul", [p, v])                       # [B, H, L, Dh]
    a = g.op("Reshape", [g.op("Transpose", [a], perm=[0, 2, 1, 3]), g.i64([0, 0, width])])
    x = g.op("Add", [x, linear(g, a, w["o"])])
    h = layer_norm(g, x, *w["ln2"], opset)
    h = linear(g, act(g, linear(g, h, w["fc1"])), w["fc2"])
    return g.op("Add", [x, h])


def clip_image_weights(rng, width=32, patch=16, size=64, embed=16, blocks=2):
    n = (size // patch) ** 2 + 1
    return {
        "width": width, "patch": patch, "size": size, "embed": embed, "heads": 4,
        "conv": conv_w(rng, width, 3, patch),
        "cls": rng.normal(0, 0.5, width).astype(np.float32),
        "pos": rng.normal(0, 0.5, (n, width)).astype(np.float32),
        "ln_pre": (rng.uniform(0.8, 1.2, width).astype(np.float32), rng.normal(0, 0.05, width).astype(np.float32)),
        "blocks": [clip_block_weights(rng, width) for _ in range(blocks)],
        "ln_post": (rng.uniform(0.8, 1.2, width).astype(np.float32), rng.normal(0, 0.05, width).astype(np.float32)),
        "proj": (rng.standard_normal((width, embed)) * width ** -0.5).astype(np.float32),
    }


def build_clip_image(W, opset):
    g = Graph("clip_image")
    width, patch, size = W["width"], W["patch"], W["size"]
    x = g.input("pixel_values", TensorProto.FLOAT, [1, 3, size, size])
    y = g.op("Conv", [x, g.const(W["conv"], "patch_w")], kernel_shape=[patch, patch], strides=[patch, patch])
    y = g.op("Reshape", [y, g.i64([1, width, -1])])
    y = g.op("Transpose", [y], perm=[0, 2, 1])                      # [1, N, W]
    y = g.op("Concat", [g.const(W["cls"].reshape(1, 1, width), "class_embedding"), y], axis=1)
    y = g.op("Add", [y, g.const(W["pos"], "positional_embedding")])
    y = layer_norm(g, y, *W["ln_pre"], opset)
    for i, bw in enumerate(W["blocks"]):
        y = clip_block(g, y, bw, W["heads"], width, opset, None, quick_gelu if i % 2 == 0 else gelu_erf)
    cls = g.op("Gather", [y, g.i64(0, "cls_index")], axis=1)        # [1, W]
    cls = layer_norm(g, cls, *W["ln_post"], opset)
    out = g.op("MatMul", [cls, g.const(W["proj"], "proj")])
    g.output(out, "image_embeds", TensorProto.FLOAT, [1, W["embed"]])
    return g.model(opset, ir_version=8)


def clip_text_weights(rng, width=32, ctx=77, embed=16, blocks=2):
    return {
        "width": width, "ctx": ctx, "embed": embed, "heads": 4,
        "tok": (rng.standard_normal((VOCAB, width)) * 0.5).astype(np.float32),
        "pos": rng.normal(0, 0.5, (ctx, width)).astype(np.float32),
        "blocks": [clip_block_weights(rng, width) for _ in range(blocks)],
        "ln_final": (rng.uniform(0.8, 1.2, width).astype(np.float32), rng.normal(0, 0.05, width).astype(np.float32)),
        "proj": (rng.standard_normal((width, embed)) * width ** -0.5).astype(np.float32),
    }


def build_clip_text(W, opset, batch):
    g = Graph("clip_text")
    width, ctx = W["width"], W["ctx"]
    ids = g.input("input_ids", TensorProto.INT64, [batch, ctx])
    y = g.op("Gather", [g.const(W["tok"], "token_embedding"), ids], axis=0)     # [B, L, W]
    if opset >= 17:
        # Position table sliced to the sequence length and a causal mask built with ops, as
        # exports with a dynamic sequence length do.
        L = g.op("Gather", [g.op("Shape", [ids]), g.i64([1], "dim1")], axis=0)  # [1]
        pos = g.op("Slice", [g.const(W["pos"], "positional_embedding"), g.i64([0], "zero"), L, g.i64([0], "axis0")])
        y = g.op("Add", [y, pos])
        Ls = g.op("Squeeze", [L, g.i64([0], "axes")])
        r = g.op("Range", [g.i64(0, "start"), Ls, g.i64(1, "delta")])
        row = g.op("Unsqueeze", [r, g.i64([1], "axes")])                          # [L, 1]
        col = g.op("Unsqueeze", [r, g.i64([0], "axes")])                          # [1, L]
        future = g.op("Less", [row, col])                                         # j > i
        mask = g.op("Where", [future, g.f32(-np.inf, "neg_inf"), g.f32(0.0, "zero_f")])
    else:
        y = g.op("Add", [y, g.const(W["pos"], "positional_embedding")])
        m = np.triu(np.full((ctx, ctx), -np.inf, dtype=np.float32), 1)
        mask = g.const(m, "causal_mask")
    for i, bw in enumerate(W["blocks"]):
        y = clip_block(g, y, bw, W["heads"], width, opset, mask, quick_gelu if i % 2 == 0 else gelu_erf)
    y = layer_norm(g, y, *W["ln_final"], opset)
    # x[torch.arange(B), ids.argmax(-1)] as torch.onnx exports advanced indexing:
    eot = g.op("ArgMax", [ids], axis=-1, keepdims=0)                             # [B]
    shp = g.op("Shape", [y])
    B = g.op("Gather", [shp, g.i64(0, "dim0")], axis=0)                           # scalar
    Ld = g.op("Gather", [shp, g.i64([1], "dim1")], axis=0)                        # [1]
    ar = g.op("Range", [g.i64(0, "start"), B, g.i64(1, "delta")])                 # [B]
    flat_idx = g.op("Add", [eot, g.op("Mul", [ar, Ld])])
    xf = g.op("Flatten", [g.op("Transpose", [y], perm=[0, 1, 2])], axis=2)       # [B*L, W]
    pooled = g.op("Gather", [xf, flat_idx], axis=0)                               # [B, W]
    Wd = g.op("Gather", [shp, g.i64([2], "dim2")], axis=0)
    pooled = g.op("Reshape", [pooled, g.op("Concat", [g.i64([-1], "minus1"), Wd], axis=0)])
    out = g.op("MatMul", [pooled, g.const(W["proj"], "proj")])
    g.output(out, "text_embeds", TensorProto.FLOAT, [batch, W["embed"]])
    return g.model(opset, ir_version=8)


def token_ids(rng, batch, ctx=77):
    ids = np.zeros((batch, ctx), dtype=np.int64)
    for b in range(batch):
        n = int(rng.integers(3, 20))
        ids[b, 0] = SOT
        ids[b, 1:n + 1] = rng.integers(256, SOT - 1000, n)
        ids[b, n + 1] = EOT
    return ids


# --- driver -------------------------------------------------------------------------------------

def build_all():
    """Returns [(name, ModelProto, [inputs])] in a fixed order."""
    rng = np.random.default_rng(SEED)
    out = []
    Ws = scrfd_weights(rng)
    x640 = rng.uniform(-1, 1, (1, 3, 640, 640)).astype(np.float32)
    out.append(("scrfd_like", build_scrfd(Ws, fold=False, dynamic=False), [x640]))
    out.append(("scrfd_like_folded", build_scrfd(Ws, fold=True, dynamic=False), [x640]))
    out.append(("scrfd_like_dyn", build_scrfd(Ws, fold=True, dynamic=True),
                [rng.uniform(-1, 1, (1, 3, 320, 480)).astype(np.float32)]))
    out.append(("arcface_like", build_arcface(rng), [rng.uniform(-1, 1, (1, 3, 112, 112)).astype(np.float32)]))
    Wi = clip_image_weights(rng)
    img = rng.standard_normal((1, 3, 64, 64)).astype(np.float32)
    out.append(("clip_image_op14", build_clip_image(Wi, 14), [img]))
    out.append(("clip_image_op17", build_clip_image(Wi, 17), [img]))
    Wt = clip_text_weights(rng)
    ids1 = token_ids(rng, 1)
    ids2 = token_ids(rng, 2)
    for opset in (14, 17):
        out.append(("clip_text_op%d" % opset, build_clip_text(Wt, opset, 1), [ids1]))
        out.append(("clip_text_op%d_b2" % opset, build_clip_text(Wt, opset, 2), [ids2]))
    return out


def save_atomic_bytes(path, data):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def npy_bytes(arr):
    import io
    b = io.BytesIO()
    np.save(b, arr, allow_pickle=False)
    return b.getvalue()


def op_counts(m):
    return collections.Counter(n.op_type for n in m.graph.node)


def run_ort(outdir, name, inputs, tmp, opt="all"):
    d = os.path.join(tmp, "%s.%s.%d" % (name, opt, len(os.listdir(tmp))))
    r = subprocess.run(["node", os.path.join(HERE, "ort_run.js"), os.path.join(outdir, name + ".onnx")] +
                       inputs + ["-o", d, "--opt", opt], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("ORT failed on %s: %s" % (name, r.stderr.strip()))
    outs = []
    i = 0
    while os.path.exists(os.path.join(d, "%d.npy" % i)):
        outs.append(np.load(os.path.join(d, "%d.npy" % i)))
        i += 1
    return outs


def check(outdir, models):
    from compare import compare
    ok = True
    res = {}
    with tempfile.TemporaryDirectory(prefix="fsift-gen.") as tmp:
        for name, m, ins in models:
            paths = [os.path.join(outdir, "%s.in%d.npy" % (name, i)) for i in range(len(ins))]
            import time
            t = time.time()
            res[name] = run_ort(outdir, name, paths, tmp)
            dt = time.time() - t
            finite = all(np.isfinite(o).all() for o in res[name])
            print("ORT %-20s %d outputs %s  (%.2f s incl. node start)%s" % (
                name, len(res[name]), " ".join("x".join(map(str, o.shape)) for o in res[name]), dt,
                "" if finite else "  NON-FINITE"))
            ok &= finite
        # scrfd_like_dyn at 640x640 must equal the static model: run it on the static input.
        res["scrfd_like_dyn@640"] = run_ort(outdir, "scrfd_like_dyn", [os.path.join(outdir, "scrfd_like.in0.npy")], tmp)
        # ORT fuses the decomposed LayerNorm/GELU patterns at the default optimisation level;
        # compare the op14 and op17 graphs once more with its graph optimisations disabled.
        for name in ("clip_image_op14", "clip_image_op17", "clip_text_op14", "clip_text_op17"):
            res[name + "@noopt"] = run_ort(outdir, name, [os.path.join(outdir, name + ".in0.npy")], tmp, "disabled")

    def same(a_name, b_name, a, b, tol=1e-4):
        nonlocal ok
        errs = [compare(x, y) if x.shape == y.shape else float("inf") for x, y in zip(a, b)]
        good = len(a) == len(b) and max(errs) <= tol
        ok &= good
        print("check %-45s %s max err %.2e" % ("%s == %s" % (a_name, b_name), "ok" if good else "FAIL", max(errs)))

    same("scrfd_like_folded", "scrfd_like", res["scrfd_like_folded"], res["scrfd_like"])
    same("scrfd_like_dyn@640", "scrfd_like", res["scrfd_like_dyn@640"], res["scrfd_like"])
    same("clip_image_op17", "clip_image_op14", res["clip_image_op17"], res["clip_image_op14"])
    same("clip_text_op17", "clip_text_op14", res["clip_text_op17"], res["clip_text_op14"])
    same("clip_text_op17_b2", "clip_text_op14_b2", res["clip_text_op17_b2"], res["clip_text_op14_b2"])
    same("clip_image_op17@noopt", "clip_image_op14@noopt", res["clip_image_op17@noopt"], res["clip_image_op14@noopt"])
    same("clip_text_op17@noopt", "clip_text_op14@noopt", res["clip_text_op17@noopt"], res["clip_text_op14@noopt"])
    same("clip_image_op14@noopt", "clip_image_op14", res["clip_image_op14@noopt"], res["clip_image_op14"])
    same("clip_text_op14@noopt", "clip_text_op14", res["clip_text_op14@noopt"], res["clip_text_op14"])
    # Batch-2 rows must equal batch-1 runs of each row.
    with tempfile.TemporaryDirectory(prefix="fsift-gen.") as tmp:
        ids2 = np.load(os.path.join(outdir, "clip_text_op14_b2.in0.npy"))
        rows = []
        for b in range(2):
            p = os.path.join(tmp, "row%d.npy" % b)
            np.save(p, ids2[b:b + 1])
            rows.append(run_ort(outdir, "clip_text_op14", [p], tmp)[0])
        same("clip_text_op14_b2", "2 x clip_text_op14", res["clip_text_op14_b2"], [np.concatenate(rows)])
    # Sanity of value ranges: sigmoid scores in (0,1), no constant outputs.
    for o in res["scrfd_like"][:3]:
        ok &= bool((o > 0).all() and (o < 1).all() and o.std() > 1e-3)
    for name in ("arcface_like", "clip_image_op14", "clip_text_op14", "clip_text_op14_b2"):
        ok &= bool(res[name][0].std() > 1e-3)
    ok &= bool(np.abs(res["clip_text_op14_b2"][0][0] - res["clip_text_op14_b2"][0][1]).max() > 1e-3)
    return ok


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--check", action="store_true", help="run every model with ONNX Runtime and check equivalences")
    ap.add_argument("--list", action="store_true", help="print each model's operator counts")
    args = ap.parse_args(argv)
    os.makedirs(args.outdir, exist_ok=True)
    models = build_all()
    for name, m, ins in models:
        save_atomic_bytes(os.path.join(args.outdir, name + ".onnx"), m.SerializeToString())
        for i, x in enumerate(ins):
            save_atomic_bytes(os.path.join(args.outdir, "%s.in%d.npy" % (name, i)), npy_bytes(x))
        size = os.path.getsize(os.path.join(args.outdir, name + ".onnx"))
        print("wrote %-20s opset %d, %d nodes, %.1f KiB" % (name, m.opset_import[0].version, len(m.graph.node), size / 1024))
        if args.list:
            print("    " + " ".join("%s:%d" % kv for kv in sorted(op_counts(m).items())))
    if args.check:
        if not check(args.outdir, models):
            print("gen_graphs: check FAILED")
            return 1
        print("gen_graphs: all models run in ONNX Runtime and agree where they should")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
