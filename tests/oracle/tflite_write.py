"""Write small TFLite flatbuffers from Python, for tests (single-operator models, loader and
fuzzer seeds). The counterpart of tflite_np.py's reader, with the same field ids.

The FlatBuffers layout is written front to back: each table's vtable, then the table with
placeholder offsets, then its children, whose positions are patched into the placeholders
(FlatBuffers offsets only point forward, so children must come after their parent). Scalars
are aligned to their size, vectors to 4 bytes and their element size, Buffer.data to 16.

    from tflite_write import ModelBuilder
    b = ModelBuilder()
    x = b.tensor("x", [1, 8, 8, 3])
    w = b.tensor("w", [4, 3, 3, 3], data=np.ones((4, 3, 3, 3), np.float32))
    y = b.tensor("y", [1, 8, 8, 4])
    b.op("CONV_2D", [x, w, -1], [y], conv2d(padding="SAME", stride=1))
    open("m.tflite", "wb").write(b.finish(inputs=[x], outputs=[y]))
"""

import struct

import numpy as np

import tflite_np as T

OP_CODES = {name: code for code, name in T.BUILTIN_OPS.items()}
TYPE_CODES = {np.dtype(v): k for k, v in T.TENSOR_TYPES.items()}

# union BuiltinOptions: member index (1-based; 0 is NONE), in schema.fbs order
OPTIONS_TYPE = {
    "Conv2DOptions": 1, "DepthwiseConv2DOptions": 2, "Pool2DOptions": 5, "FullyConnectedOptions": 8,
    "SoftmaxOptions": 9, "ConcatenationOptions": 10, "AddOptions": 11, "ResizeBilinearOptions": 15,
    "ReshapeOptions": 17, "MulOptions": 21, "PadOptions": 22, "TransposeOptions": 26, "ReducerOptions": 27,
    "SubOptions": 28, "DivOptions": 29, "ExpOptions": 33, "DequantizeOptions": 38, "NegOptions": 42,
    "PadV2Options": 43, "AbsOptions": 78,
}

PADDING = {"SAME": T.PADDING_SAME, "VALID": T.PADDING_VALID}
ACT = {None: T.ACT_NONE, "RELU": T.ACT_RELU, "RELU_N1_TO_1": T.ACT_RELU_N1_TO_1, "RELU6": T.ACT_RELU6,
       "TANH": T.ACT_TANH}


class Table:
    """fields: {field id: (kind, value)}; kinds: a struct format char for scalars, 'table',
    'vec:<fmt>' for scalar vectors, 'vec:table', 'string', 'bytes16' (ubyte vector aligned 16)."""

    def __init__(self, **_):
        self.fields = {}

    def set(self, fid, kind, value):
        self.fields[fid] = (kind, value)
        return self


def options(type_name, spec, **values):
    t = Table()
    for name, v in values.items():
        fid, fmt, _ = spec[name]
        t.set(fid, fmt, v)
    return type_name, t


def conv2d(padding="SAME", stride=1, act=None, dilation=1):
    return options("Conv2DOptions", T.CONV2D_OPTIONS, padding=PADDING[padding], stride_w=stride, stride_h=stride,
                   act=ACT[act], dilation_w=dilation, dilation_h=dilation)


def depthwise(padding="SAME", stride=1, multiplier=1, act=None, dilation=1):
    return options("DepthwiseConv2DOptions", T.DEPTHWISE_OPTIONS, padding=PADDING[padding], stride_w=stride,
                   stride_h=stride, depth_multiplier=multiplier, act=ACT[act], dilation_w=dilation, dilation_h=dilation)


def pool(filter_size, stride, padding="SAME", act=None):
    return options("Pool2DOptions", T.POOL2D_OPTIONS, padding=PADDING[padding], stride_w=stride, stride_h=stride,
                   filter_w=filter_size, filter_h=filter_size, act=ACT[act])


def fully_connected(act=None, keep_num_dims=False):
    return options("FullyConnectedOptions", T.FC_OPTIONS, act=ACT[act], keep_num_dims=int(keep_num_dims))


def softmax(beta=1.0):
    return options("SoftmaxOptions", T.SOFTMAX_OPTIONS, beta=beta)


def concatenation(axis, act=None):
    return options("ConcatenationOptions", T.CONCAT_OPTIONS, axis=axis, act=ACT[act])


def binary(kind, act=None):
    return options({"ADD": "AddOptions", "MUL": "MulOptions", "SUB": "SubOptions", "DIV": "DivOptions"}[kind],
                   T.ACT_ONLY_OPTIONS, act=ACT[act])


def reducer(keep_dims):
    return options("ReducerOptions", T.REDUCER_OPTIONS, keep_dims=int(keep_dims))


def resize_bilinear(align_corners=False, half_pixel_centers=False):
    return options("ResizeBilinearOptions", T.RESIZE_BILINEAR_OPTIONS, align_corners=int(align_corners),
                   half_pixel_centers=int(half_pixel_centers))


def reshape(new_shape):
    return "ReshapeOptions", Table().set(0, "vec:i", list(new_shape))


class Writer:
    def __init__(self):
        self.buf = bytearray()

    def align(self, n):
        while len(self.buf) % n:
            self.buf.append(0)

    def pos(self):
        return len(self.buf)

    def put(self, fmt, *vals):
        self.buf += struct.pack("<" + fmt, *vals)

    def patch_uoffset(self, at, target):
        assert target > at
        struct.pack_into("<I", self.buf, at, target - at)

    def write_table(self, t):
        """Writes vtable + table + children; returns the table's position."""
        inline = []   # (fid, kind, value, size)
        for fid, (kind, value) in sorted(t.fields.items()):
            size = struct.calcsize("<" + kind) if len(kind) == 1 else 4
            inline.append((fid, kind, value, size))
        # table layout: soffset (4) then fields, largest first so each is naturally aligned
        layout = []
        off = 4
        for fid, kind, value, size in sorted(inline, key=lambda f: -f[3]):
            while off % size:
                off += 1
            layout.append((fid, kind, value, size, off))
            off += size
        table_size = off
        max_align = max([4] + [f[3] for f in inline])
        nfields = (max(t.fields) + 1) if t.fields else 0
        vt = [0] * nfields
        for fid, _, _, _, o in layout:
            vt[fid] = o
        self.align(2)
        vt_pos = self.pos()
        self.put("HH", 4 + 2 * nfields, table_size)
        for o in vt:
            self.put("H", o)
        self.align(max_align)
        tpos = self.pos()
        self.buf += bytes(table_size)
        struct.pack_into("<i", self.buf, tpos, tpos - vt_pos)
        refs = []
        for fid, kind, value, size, o in layout:
            if len(kind) == 1:
                struct.pack_into("<" + kind, self.buf, tpos + o, value)
            else:
                refs.append((tpos + o, kind, value))
        for at, kind, value in refs:
            self.patch_uoffset(at, self.write_ref(kind, value))
        return tpos

    def write_ref(self, kind, value):
        if kind == "table":
            return self.write_table(value)
        if kind == "string":
            data = value.encode("utf-8")
            self.align(4)
            p = self.pos()
            self.put("I", len(data))
            self.buf += data + b"\0"
            return p
        if kind == "bytes16":
            data = bytes(value)
            # the vector's length word sits just before 16-aligned data
            while (self.pos() + 4) % 16:
                self.buf.append(0)
            p = self.pos()
            self.put("I", len(data))
            self.buf += data
            return p
        if kind == "vec:table":
            self.align(4)
            p = self.pos()
            self.put("I", len(value))
            slots = []
            for _ in value:
                slots.append(self.pos())
                self.put("I", 0)
            for slot, t in zip(slots, value):
                self.patch_uoffset(slot, self.write_table(t))
            return p
        if kind.startswith("vec:"):
            fmt = kind[4:]
            size = struct.calcsize("<" + fmt)
            while (self.pos() + 4) % max(size, 4):
                self.buf.append(0)
            p = self.pos()
            self.put("I", len(value))
            if value:
                self.put("%d%s" % (len(value), fmt), *value)
            return p
        raise ValueError(kind)


class ModelBuilder:
    def __init__(self):
        self.tensors = []
        self.buffers = [b""]
        self.opcodes = []
        self.ops = []

    def tensor(self, name, shape, dtype=np.float32, data=None, scale=None, zero_point=None, qdim=0):
        """Adds a tensor; data (a NumPy array) makes it a constant. Returns its index."""
        t = Table()
        t.set(T.T_SHAPE, "vec:i", [int(d) for d in shape])
        t.set(T.T_TYPE, "b", TYPE_CODES[np.dtype(dtype)])
        t.set(T.T_NAME, "string", name)
        if data is not None:
            arr = np.array(data, dtype=dtype, order="C")   # (ascontiguousarray would make 0-d 1-d)
            assert list(arr.shape) == list(shape), (arr.shape, shape)
            self.buffers.append(arr.astype(arr.dtype.newbyteorder("<")).tobytes())
            t.set(T.T_BUFFER, "I", len(self.buffers) - 1)
        if scale is not None:
            q = Table()
            q.set(T.Q_SCALE, "vec:f", [float(s) for s in np.atleast_1d(scale)])
            q.set(T.Q_ZERO_POINT, "vec:q", [int(z) for z in np.atleast_1d(0 if zero_point is None else zero_point)])
            q.set(T.Q_DIM, "i", qdim)
            t.set(T.T_QUANT, "table", q)
        self.tensors.append(t)
        return len(self.tensors) - 1

    def op(self, name, inputs, outputs, opts=None):
        code = OP_CODES[name]
        if code not in self.opcodes:
            self.opcodes.append(code)
        o = Table()
        o.set(T.OP_OPCODE_INDEX, "I", self.opcodes.index(code))
        o.set(T.OP_INPUTS, "vec:i", list(inputs))
        o.set(T.OP_OUTPUTS, "vec:i", list(outputs))
        if opts is not None:
            type_name, tab = opts
            o.set(T.OP_OPTIONS_TYPE, "B", OPTIONS_TYPE[type_name])
            o.set(T.OP_OPTIONS, "table", tab)
        self.ops.append(o)

    def finish(self, inputs, outputs, description="facesift test model"):
        sg = Table()
        sg.set(T.SG_TENSORS, "vec:table", self.tensors)
        sg.set(T.SG_INPUTS, "vec:i", list(inputs))
        sg.set(T.SG_OUTPUTS, "vec:i", list(outputs))
        sg.set(T.SG_OPERATORS, "vec:table", self.ops)
        sg.set(T.SG_NAME, "string", "main")
        codes = []
        for c in self.opcodes:
            oc = Table()
            oc.set(T.OPCODE_DEPRECATED_BUILTIN, "b", min(c, 127))
            oc.set(T.OPCODE_VERSION, "i", 1)
            oc.set(T.OPCODE_BUILTIN, "i", c)
            codes.append(oc)
        bufs = []
        for data in self.buffers:
            b = Table()
            if data:
                b.set(T.BUF_DATA, "bytes16", data)
            bufs.append(b)
        m = Table()
        m.set(T.MODEL_VERSION, "I", 3)
        m.set(T.MODEL_OPERATOR_CODES, "vec:table", codes)
        m.set(T.MODEL_SUBGRAPHS, "vec:table", [sg])
        m.set(T.MODEL_DESCRIPTION, "string", description)
        m.set(T.MODEL_BUFFERS, "vec:table", bufs)
        w = Writer()
        w.put("I", 0)          # root offset, patched below
        w.buf += b"TFL3"       # file identifier
        root = w.write_table(m)
        struct.pack_into("<I", w.buf, 0, root)
        w.align(16)
        return bytes(w.buf)
