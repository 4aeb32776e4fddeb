"""A small NumPy interpreter for TFLite flatbuffers, used as a test oracle.

facesift's own TFLite loader and kernels are checked against this file. It is deliberately
independent of them: a hand-written FlatBuffers reader (no flatbuffers package), the TFLite
schema's field ids written out below, and each operator written the plain NumPy way
(im2col + matmul in float64, results rounded to float32 per operator).

Field ids follow tensorflow/compiler/mlir/lite/schema/schema.fbs (TFLite schema version 3,
3a-3c additions included). A field's id is its position in the table declaration; a union
field takes two ids (its `_type` byte first, then the value).

Supported operators: the ones the embedded default models use and a few trivial
neighbours. What the real files contain (read with this module):
    MTCNN P/R/O-Net: CONV_2D MAX_POOL_2D FULLY_CONNECTED (R/O), PReLU written out as
        RELU/NEG/MUL/ADD, softmax written out as REDUCE_MAX/SUB/EXP/SUM/DIV
    MobileFaceNet: CONV_2D DEPTHWISE_CONV_2D RESHAPE, PReLU written out as RELU/ABS/SUB/MUL/ADD
Full list:
    ABS ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEQUANTIZE DIV EXP
    FULLY_CONNECTED LOGISTIC MAX_POOL_2D MEAN MUL NEG PAD PADV2 PRELU REDUCE_MAX REDUCE_MIN
    RELU RELU6 RESHAPE RESIZE_BILINEAR SOFTMAX SUB SUM TANH TRANSPOSE
Quantized (int8/uint8) arithmetic is not supported: only float32 graphs, with float16 or
int8 weights that a DEQUANTIZE turns into float32. Every kernel is checked against the real
TFLite runtime by check_tflite_ops.py (single-operator files written by tflite_write.py).

Usage as a library:
    m = TFLiteModel.load("onet.tflite")
    outs = m.run([x])           # list of numpy arrays in subgraph output order
    m.op_names()                # operator names in execution order
"""

import struct

import numpy as np

# --- schema constants -------------------------------------------------------------------

# enum BuiltinOperator (only the names we print or run; others are shown by number)
BUILTIN_OPS = {
    0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D",
    5: "DEPTH_TO_SPACE", 6: "DEQUANTIZE", 9: "FULLY_CONNECTED", 11: "L2_NORMALIZATION",
    14: "LOGISTIC", 17: "MAX_POOL_2D", 18: "MUL", 19: "RELU", 21: "RELU6", 22: "RESHAPE",
    23: "RESIZE_BILINEAR", 25: "SOFTMAX", 28: "TANH", 32: "CUSTOM", 34: "PAD", 36: "GATHER",
    39: "TRANSPOSE", 40: "MEAN", 74: "SUM", 82: "REDUCE_MAX", 89: "REDUCE_MIN", 101: "ABS", 41: "SUB", 42: "DIV", 43: "SQUEEZE", 45: "STRIDED_SLICE",
    47: "EXP", 54: "PRELU", 55: "MAXIMUM", 57: "MINIMUM", 59: "NEG", 60: "PADV2",
    97: "RESIZE_NEAREST_NEIGHBOR", 114: "QUANTIZE", 117: "HARD_SWISH", 126: "BATCH_MATMUL",
}

# enum TensorType
TENSOR_TYPES = {
    0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_,
    7: np.int16, 9: np.int8, 10: np.float64, 12: np.uint64, 15: np.uint32, 16: np.uint16,
}

# table Model
MODEL_VERSION, MODEL_OPERATOR_CODES, MODEL_SUBGRAPHS, MODEL_DESCRIPTION, MODEL_BUFFERS = 0, 1, 2, 3, 4
# table OperatorCode
OPCODE_DEPRECATED_BUILTIN, OPCODE_CUSTOM, OPCODE_VERSION, OPCODE_BUILTIN = 0, 1, 2, 3
# table SubGraph
SG_TENSORS, SG_INPUTS, SG_OUTPUTS, SG_OPERATORS, SG_NAME = 0, 1, 2, 3, 4
# table Tensor
T_SHAPE, T_TYPE, T_BUFFER, T_NAME, T_QUANT, T_IS_VARIABLE, T_SPARSITY, T_SHAPE_SIGNATURE = range(8)
# table QuantizationParameters
Q_MIN, Q_MAX, Q_SCALE, Q_ZERO_POINT, Q_DETAILS_TYPE, Q_DETAILS, Q_DIM = range(7)
# table Operator (builtin_options is a union: _type at 3, value at 4)
OP_OPCODE_INDEX, OP_INPUTS, OP_OUTPUTS, OP_OPTIONS_TYPE, OP_OPTIONS = 0, 1, 2, 3, 4
# table Buffer
BUF_DATA, BUF_OFFSET, BUF_SIZE = 0, 1, 2

# Option tables: field name -> (id, kind, default)
CONV2D_OPTIONS = {"padding": (0, "b", 0), "stride_w": (1, "i", 0), "stride_h": (2, "i", 0),
                  "act": (3, "b", 0), "dilation_w": (4, "i", 1), "dilation_h": (5, "i", 1)}
DEPTHWISE_OPTIONS = {"padding": (0, "b", 0), "stride_w": (1, "i", 0), "stride_h": (2, "i", 0),
                     "depth_multiplier": (3, "i", 0), "act": (4, "b", 0),
                     "dilation_w": (5, "i", 1), "dilation_h": (6, "i", 1)}
POOL2D_OPTIONS = {"padding": (0, "b", 0), "stride_w": (1, "i", 0), "stride_h": (2, "i", 0),
                  "filter_w": (3, "i", 0), "filter_h": (4, "i", 0), "act": (5, "b", 0)}
FC_OPTIONS = {"act": (0, "b", 0), "weights_format": (1, "b", 0), "keep_num_dims": (2, "B", 0)}
SOFTMAX_OPTIONS = {"beta": (0, "f", 0.0)}
CONCAT_OPTIONS = {"axis": (0, "i", 0), "act": (1, "b", 0)}
ACT_ONLY_OPTIONS = {"act": (0, "b", 0)}          # AddOptions, MulOptions, SubOptions, DivOptions
REDUCER_OPTIONS = {"keep_dims": (0, "B", 0)}
RESIZE_BILINEAR_OPTIONS = {"align_corners": (2, "B", 0), "half_pixel_centers": (3, "B", 0)}

PADDING_SAME, PADDING_VALID = 0, 1
ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6, ACT_TANH = 0, 1, 2, 3, 4


class FormatError(Exception):
    pass


# --- a minimal FlatBuffers reader ---------------------------------------------------------

class Table:
    """A FlatBuffers table at byte position `pos` of `buf`."""

    def __init__(self, buf, pos):
        self.buf = buf
        self.pos = pos
        if pos < 0 or pos + 4 > len(buf):
            raise FormatError("table offset out of range")
        vt = pos - struct.unpack_from("<i", buf, pos)[0]
        if vt < 0 or vt + 4 > len(buf):
            raise FormatError("vtable offset out of range")
        vt_size, _ = struct.unpack_from("<HH", buf, vt)
        self.vt = vt
        self.nfields = max(0, (vt_size - 4) // 2)

    def _field_pos(self, fid):
        if fid >= self.nfields:
            return None
        off = struct.unpack_from("<H", self.buf, self.vt + 4 + 2 * fid)[0]
        return None if off == 0 else self.pos + off

    def scalar(self, fid, fmt, default=0):
        p = self._field_pos(fid)
        return default if p is None else struct.unpack_from("<" + fmt, self.buf, p)[0]

    def _indirect(self, fid):
        p = self._field_pos(fid)
        if p is None:
            return None
        return p + struct.unpack_from("<I", self.buf, p)[0]

    def table(self, fid):
        p = self._indirect(fid)
        return None if p is None else Table(self.buf, p)

    def vector_raw(self, fid):
        """(start, length) of a vector field, or None."""
        p = self._indirect(fid)
        if p is None:
            return None
        n = struct.unpack_from("<I", self.buf, p)[0]
        return p + 4, n

    def vector(self, fid, fmt):
        v = self.vector_raw(fid)
        if v is None:
            return []
        start, n = v
        size = struct.calcsize("<" + fmt)
        if start + n * size > len(self.buf):
            raise FormatError("vector out of range")
        return list(struct.unpack_from("<%d%s" % (n, fmt), self.buf, start))

    def bytes(self, fid):
        v = self.vector_raw(fid)
        if v is None:
            return None
        start, n = v
        if start + n > len(self.buf):
            raise FormatError("byte vector out of range")
        return self.buf[start:start + n]

    def string(self, fid):
        b = self.bytes(fid)
        return None if b is None else bytes(b).decode("utf-8", "replace")

    def tables(self, fid):
        v = self.vector_raw(fid)
        if v is None:
            return []
        start, n = v
        out = []
        for i in range(n):
            p = start + 4 * i
            out.append(Table(self.buf, p + struct.unpack_from("<I", self.buf, p)[0]))
        return out


def read_options(tab, spec):
    out = {}
    for name, (fid, fmt, default) in spec.items():
        out[name] = default if tab is None else tab.scalar(fid, fmt, default)
    return out


# --- model ---------------------------------------------------------------------------------

class TensorInfo:
    def __init__(self, index, name, shape, dtype, data, scale, zero_point, qdim):
        self.index = index
        self.name = name
        self.shape = shape
        self.dtype = dtype
        self.data = data          # numpy array for constants, else None
        self.scale = scale
        self.zero_point = zero_point
        self.qdim = qdim


class OpInfo:
    def __init__(self, name, code, inputs, outputs, options):
        self.name = name
        self.code = code
        self.inputs = inputs
        self.outputs = outputs
        self.options = options    # Table or None


class TFLiteModel:
    def __init__(self, buf):
        self.buf = buf
        if len(buf) < 8:
            raise FormatError("file too small")
        if bytes(buf[4:8]) != b"TFL3":
            raise FormatError("not a TFLite file (identifier %r)" % bytes(buf[4:8]))
        root = Table(buf, struct.unpack_from("<I", buf, 0)[0])
        self.version = root.scalar(MODEL_VERSION, "I")
        self.description = root.string(MODEL_DESCRIPTION)
        self.opcodes = []
        for oc in root.tables(MODEL_OPERATOR_CODES):
            dep = oc.scalar(OPCODE_DEPRECATED_BUILTIN, "b", 0)
            new = oc.scalar(OPCODE_BUILTIN, "i", 0)
            code = max(dep, new)   # as TFLite's GetBuiltinCode: the larger of the two fields
            name = BUILTIN_OPS.get(code, "BUILTIN_%d" % code)
            if code == 32:
                name = "CUSTOM:" + (oc.string(OPCODE_CUSTOM) or "")
            self.opcodes.append((code, name))
        buffers = root.tables(MODEL_BUFFERS)
        subgraphs = root.tables(MODEL_SUBGRAPHS)
        if not subgraphs:
            raise FormatError("no subgraph")
        sg = subgraphs[0]
        self.tensors = []
        for i, t in enumerate(sg.tables(SG_TENSORS)):
            shape = t.vector(T_SHAPE, "i")
            ttype = t.scalar(T_TYPE, "b", 0)
            if ttype not in TENSOR_TYPES:
                raise FormatError("tensor %d: unsupported type %d" % (i, ttype))
            dtype = np.dtype(TENSOR_TYPES[ttype])
            bidx = t.scalar(T_BUFFER, "I", 0)
            data = None
            if 0 < bidx < len(buffers):
                raw = buffers[bidx].bytes(BUF_DATA)
                if raw is None:
                    off = buffers[bidx].scalar(BUF_OFFSET, "Q", 0)
                    size = buffers[bidx].scalar(BUF_SIZE, "Q", 0)
                    if off > 1:
                        raw = buf[off:off + size]
                if raw is not None and len(raw) > 0:
                    n = int(np.prod(shape)) if shape else 1
                    if len(raw) != n * dtype.itemsize:
                        raise FormatError("tensor %d: buffer has %d bytes, shape %s needs %d"
                                          % (i, len(raw), shape, n * dtype.itemsize))
                    data = np.frombuffer(bytes(raw), dtype=dtype.newbyteorder("<")).reshape(shape)
            q = t.table(T_QUANT)
            scale = q.vector(Q_SCALE, "f") if q else []
            zp = q.vector(Q_ZERO_POINT, "q") if q else []
            qdim = q.scalar(Q_DIM, "i", 0) if q else 0
            self.tensors.append(TensorInfo(i, t.string(T_NAME), shape, dtype, data, scale, zp, qdim))
        self.inputs = sg.vector(SG_INPUTS, "i")
        self.outputs = sg.vector(SG_OUTPUTS, "i")
        self.ops = []
        for o in sg.tables(SG_OPERATORS):
            idx = o.scalar(OP_OPCODE_INDEX, "I", 0)
            if idx >= len(self.opcodes):
                raise FormatError("operator uses opcode %d of %d" % (idx, len(self.opcodes)))
            code, name = self.opcodes[idx]
            self.ops.append(OpInfo(name, code, o.vector(OP_INPUTS, "i"), o.vector(OP_OUTPUTS, "i"),
                                   o.table(OP_OPTIONS)))

    @classmethod
    def load(cls, path):
        with open(path, "rb") as f:
            return cls(memoryview(f.read()))

    def op_names(self):
        return [op.name for op in self.ops]

    def input_details(self):
        return [(self.tensors[i].name, self.tensors[i].shape, self.tensors[i].dtype) for i in self.inputs]

    def output_details(self):
        return [(self.tensors[i].name, self.tensors[i].shape, self.tensors[i].dtype) for i in self.outputs]

    def run(self, inputs):
        if len(inputs) != len(self.inputs):
            raise ValueError("model has %d inputs, %d given" % (len(self.inputs), len(inputs)))
        vals = {}
        for ti, x in zip(self.inputs, inputs):
            t = self.tensors[ti]
            x = np.asarray(x)
            if x.dtype != t.dtype:
                raise ValueError("input %r: dtype %s, model wants %s" % (t.name, x.dtype, t.dtype))
            if len(x.shape) != len(t.shape):
                raise ValueError("input %r: rank %d, model wants shape %s" % (t.name, x.ndim, t.shape))
            vals[ti] = x

        def get(i):
            if i < 0:
                return None
            if i in vals:
                return vals[i]
            t = self.tensors[i]
            if t.data is None:
                raise FormatError("tensor %d (%s) read before it is written" % (i, t.name))
            return t.data

        for n, op in enumerate(self.ops):
            fn = KERNELS.get(op.name)
            if fn is None:
                raise NotImplementedError("operator %s is not supported by tflite_np" % op.name)
            args = [get(i) for i in op.inputs]
            res = fn(self, op, args)
            if not isinstance(res, (list, tuple)):
                res = [res]
            for ti, r in zip(op.outputs, res):
                vals[ti] = np.ascontiguousarray(r.astype(self.tensors[ti].dtype, copy=False))
        return [vals[i] if i in vals else get(i) for i in self.outputs]


# --- kernels -------------------------------------------------------------------------------

def activation(x, act):
    if act == ACT_NONE:
        return x
    if act == ACT_RELU:
        return np.maximum(x, 0)
    if act == ACT_RELU_N1_TO_1:
        return np.clip(x, -1, 1)
    if act == ACT_RELU6:
        return np.clip(x, 0, 6)
    if act in (ACT_TANH, 5):
        # TFLite's float kernels clamp with CalculateActivationRange, which knows only the
        # RELU family: a fused TANH or SIGN_BIT is ignored (checked against TFLite itself).
        return x
    raise NotImplementedError("fused activation %d" % act)


def out_size_and_pad(size, k, stride, dilation, padding):
    """TFLite's ComputePaddingHeightWidth: (output size, padding before)."""
    eff = (k - 1) * dilation + 1
    if padding == PADDING_SAME:
        out = (size + stride - 1) // stride
    elif padding == PADDING_VALID:
        out = (size - eff + stride) // stride
    else:
        raise FormatError("padding %d" % padding)
    total = max((out - 1) * stride + eff - size, 0)
    return out, total // 2


def patches(x, kh, kw, sh, sw, dh, dw, padding, pad_value=0.0):
    """im2col: x [N,H,W,C] -> ([N,OH,OW,KH,KW,C] view, valid-mask [OH,OW,KH,KW])."""
    n, h, w, c = x.shape
    oh, pt = out_size_and_pad(h, kh, sh, dh, padding)
    ow, pl = out_size_and_pad(w, kw, sw, dw, padding)
    need_h = (oh - 1) * sh + (kh - 1) * dh + 1
    need_w = (ow - 1) * sw + (kw - 1) * dw + 1
    pb = max(need_h - h - pt, 0)
    pr = max(need_w - w - pl, 0)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=pad_value)
    mask = np.pad(np.ones((h, w), dtype=bool), ((pt, pb), (pl, pr)))
    out = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
    valid = np.empty((oh, ow, kh, kw), dtype=bool)
    for i in range(kh):
        for j in range(kw):
            hs = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
            ws = slice(j * dw, j * dw + (ow - 1) * sw + 1, sw)
            out[:, :, :, i, j, :] = xp[:, hs, ws, :]
            valid[:, :, i, j] = mask[hs, ws]
    return out, valid


def k_conv2d(m, op, a):
    o = read_options(op.options, CONV2D_OPTIONS)
    x, wt, b = a[0], a[1], a[2] if len(a) > 2 else None
    oc, kh, kw, ic = wt.shape
    if x.shape[3] != ic:
        raise ValueError("CONV_2D: input has %d channels, filter wants %d" % (x.shape[3], ic))
    p, _ = patches(x.astype(np.float64), kh, kw, o["stride_h"], o["stride_w"],
                   o["dilation_h"], o["dilation_w"], o["padding"])
    n, oh, ow = p.shape[:3]
    y = p.reshape(n * oh * ow, kh * kw * ic) @ wt.astype(np.float64).reshape(oc, -1).T
    if b is not None:
        y = y + b.astype(np.float64)
    return activation(y.reshape(n, oh, ow, oc), o["act"]).astype(np.float32)


def k_depthwise(m, op, a):
    o = read_options(op.options, DEPTHWISE_OPTIONS)
    x, wt, b = a[0], a[1], a[2] if len(a) > 2 else None
    _, kh, kw, oc = wt.shape
    ic = x.shape[3]
    mult = oc // ic
    if mult * ic != oc:
        raise ValueError("DEPTHWISE_CONV_2D: %d output channels for %d input channels" % (oc, ic))
    p, _ = patches(x.astype(np.float64), kh, kw, o["stride_h"], o["stride_w"],
                   o["dilation_h"], o["dilation_w"], o["padding"])
    p = np.repeat(p, mult, axis=5)        # output channel c reads input channel c // mult
    y = np.einsum("nhwijc,ijc->nhwc", p, wt[0].astype(np.float64))
    if b is not None:
        y = y + b.astype(np.float64)
    return activation(y, o["act"]).astype(np.float32)


def k_pool(kind):
    def run(m, op, a):
        o = read_options(op.options, POOL2D_OPTIONS)
        x = a[0].astype(np.float64)
        fill = -np.inf if kind == "max" else 0.0
        p, valid = patches(x, o["filter_h"], o["filter_w"], o["stride_h"], o["stride_w"], 1, 1,
                           o["padding"], fill)
        if kind == "max":
            y = p.max(axis=(3, 4))
        else:   # TFLite divides by the number of in-bounds elements
            cnt = valid.sum(axis=(2, 3)).astype(np.float64)
            y = p.sum(axis=(3, 4)) / cnt[None, :, :, None]
        return activation(y, o["act"]).astype(np.float32)
    return run


def k_fully_connected(m, op, a):
    o = read_options(op.options, FC_OPTIONS)
    if o["weights_format"] != 0:
        raise NotImplementedError("FULLY_CONNECTED shuffled weights")
    x, wt, b = a[0], a[1], a[2] if len(a) > 2 else None
    nout, nin = wt.shape
    x2 = x.astype(np.float64).reshape(-1, nin)
    y = x2 @ wt.astype(np.float64).T
    if b is not None:
        y = y + b.astype(np.float64)
    y = activation(y, o["act"])
    if o["keep_num_dims"]:
        y = y.reshape(tuple(x.shape[:-1]) + (nout,))
    return y.astype(np.float32)


def k_binary(fn):
    def run(m, op, a):
        o = read_options(op.options, ACT_ONLY_OPTIONS)
        y = fn(a[0].astype(np.float64), a[1].astype(np.float64))
        return activation(y, o["act"])
    return run


def k_reshape(m, op, a):
    x = a[0]
    shape = None
    if len(a) > 1 and a[1] is not None:
        shape = [int(v) for v in np.asarray(a[1]).reshape(-1)]
    elif op.options is not None and op.options.vector_raw(0) is not None:
        shape = op.options.vector(0, "i")
    else:
        shape = list(m.tensors[op.outputs[0]].shape)
    return x.reshape(shape)


def k_softmax(m, op, a):
    beta = read_options(op.options, SOFTMAX_OPTIONS)["beta"]
    x = a[0].astype(np.float64) * beta
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def k_concat(m, op, a):
    o = read_options(op.options, CONCAT_OPTIONS)
    axis = o["axis"]
    return activation(np.concatenate(a, axis=axis), o["act"])


def k_pad(m, op, a):
    x, pads = a[0], np.asarray(a[1]).astype(np.int64).reshape(-1, 2)
    value = 0
    if len(a) > 2 and a[2] is not None:
        value = np.asarray(a[2]).reshape(-1)[0]
    return np.pad(x, [tuple(p) for p in pads], constant_values=value)


def k_prelu(m, op, a):
    x, alpha = a[0].astype(np.float64), a[1].astype(np.float64)
    return np.where(x >= 0, x, x * alpha)


def k_dequantize(m, op, a):
    x = a[0]
    t = m.tensors[op.inputs[0]]
    if x.dtype == np.float16:
        return x.astype(np.float32)
    scale = np.asarray(t.scale, dtype=np.float64)
    zp = np.asarray(t.zero_point if t.zero_point else [0], dtype=np.float64)
    if scale.size > 1:    # per-channel along quantized_dimension
        shape = [1] * x.ndim
        shape[t.qdim] = -1
        scale = scale.reshape(shape)
        zp = zp.reshape(shape) if zp.size > 1 else zp
    return ((x.astype(np.float64) - zp) * scale).astype(np.float32)


def k_reduce(fn):
    def run(m, op, a):
        keep = read_options(op.options, REDUCER_OPTIONS)["keep_dims"]
        axes = tuple(int(v) for v in np.asarray(a[1]).reshape(-1))
        return fn(a[0].astype(np.float64), axis=axes, keepdims=bool(keep))
    return run


def k_resize_bilinear(m, op, a):
    o = read_options(op.options, RESIZE_BILINEAR_OPTIONS)
    x = a[0].astype(np.float64)
    oh, ow = [int(v) for v in np.asarray(a[1]).reshape(-1)]
    n, h, w, c = x.shape

    def coords(out, inn):
        if o["align_corners"] and out > 1:
            s = (inn - 1) / (out - 1)
        else:
            s = inn / out
        i = np.arange(out, dtype=np.float64)
        src = (i + 0.5) * s - 0.5 if o["half_pixel_centers"] else i * s
        lo = np.floor(src)
        frac = src - lo
        lo_c = np.clip(lo, 0, inn - 1).astype(np.int64)
        hi_c = np.clip(lo + 1, 0, inn - 1).astype(np.int64)
        if o["half_pixel_centers"]:
            frac = np.where(src < 0, 0.0, frac)
            lo_c = np.where(src < 0, 0, lo_c)
        return lo_c, hi_c, frac

    y0, y1, fy = coords(oh, h)
    x0, x1, fx = coords(ow, w)
    top = x[:, y0][:, :, x0] * (1 - fx)[None, None, :, None] + x[:, y0][:, :, x1] * fx[None, None, :, None]
    bot = x[:, y1][:, :, x0] * (1 - fx)[None, None, :, None] + x[:, y1][:, :, x1] * fx[None, None, :, None]
    return top * (1 - fy)[None, :, None, None] + bot * fy[None, :, None, None]


KERNELS = {
    "ADD": k_binary(np.add),
    "SUB": k_binary(np.subtract),
    "MUL": k_binary(np.multiply),
    "DIV": k_binary(np.divide),
    "AVERAGE_POOL_2D": k_pool("avg"),
    "MAX_POOL_2D": k_pool("max"),
    "CONCATENATION": k_concat,
    "CONV_2D": k_conv2d,
    "DEPTHWISE_CONV_2D": k_depthwise,
    "DEQUANTIZE": k_dequantize,
    "FULLY_CONNECTED": k_fully_connected,
    "LOGISTIC": lambda m, op, a: 1.0 / (1.0 + np.exp(-a[0].astype(np.float64))),
    "NEG": lambda m, op, a: -a[0],
    "RELU": lambda m, op, a: np.maximum(a[0], 0),
    "RELU6": lambda m, op, a: np.clip(a[0], 0, 6),
    "TANH": lambda m, op, a: np.tanh(a[0].astype(np.float64)),
    "PAD": k_pad,
    "PADV2": k_pad,
    "PRELU": k_prelu,
    "RESHAPE": k_reshape,
    "SOFTMAX": k_softmax,
    "TRANSPOSE": lambda m, op, a: np.transpose(a[0], [int(v) for v in np.asarray(a[1]).reshape(-1)]),
    "MEAN": k_reduce(np.mean),
    "SUM": k_reduce(np.sum),
    "REDUCE_MAX": k_reduce(np.max),
    "REDUCE_MIN": k_reduce(np.min),
    "ABS": lambda m, op, a: np.abs(a[0]),
    "EXP": lambda m, op, a: np.exp(a[0].astype(np.float64)),
    "RESIZE_BILINEAR": k_resize_bilinear,
}
