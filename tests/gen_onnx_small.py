#!/usr/bin/python3
"""gen_onnx_small.py OUT_DIR — writes the small ONNX models that tests/test_onnx_load.c checks.

Each model exercises one loader feature the way real exporters write it (python3-onnx's
helper functions): raw vs typed initializer data for every dtype, Constant nodes, attributes
of every supported type, dynamic input dims, initializers listed as graph inputs, external
data, subgraph attributes (If), and a few malformed graphs. The checker is not run, since
some models are broken on purpose. The expected values are fixed here and in the C test.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(OUT, exist_ok=True)


def save(model, name, opset=13, ir=8):
    model.ir_version = ir
    del model.opset_import[:]
    model.opset_import.extend([helper.make_opsetid("", opset)])
    model.producer_name = "gen_onnx_small"
    model.producer_version = "1.0"
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(model.SerializeToString())


def vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


# 1. raw initializer + Add + Relu
b = np.array([[1.5, -2.0, 3.25]], dtype=np.float32)
g = helper.make_graph(
    [helper.make_node("Add", ["X", "B"], ["S"], name="add0"),
     helper.make_node("Relu", ["S"], ["Y"], name="relu0")],
    "raw_add", [vi("X", TensorProto.FLOAT, [1, 3])], [vi("Y", TensorProto.FLOAT, [1, 3])],
    initializer=[numpy_helper.from_array(b, "B")])
save(helper.make_model(g), "raw_add.onnx")

# 2. typed-field initializers of every dtype (no nodes: outputs are the constants), some also
#    listed in graph.input the way old exporters did
typed = [
    ("f32", TensorProto.FLOAT, [2], [1.5, -0.25]),
    ("f64", TensorProto.DOUBLE, [2], [2.5, -1e300]),
    ("i64", TensorProto.INT64, [3], [-5, 0, 1 << 40]),
    ("i32", TensorProto.INT32, [2], [-7, 123456]),
    ("i16", TensorProto.INT16, [2], [-300, 300]),
    ("i8", TensorProto.INT8, [3], [-128, -1, 127]),
    ("u8", TensorProto.UINT8, [2], [0, 255]),
    ("u16", TensorProto.UINT16, [2], [1, 65535]),
    ("b", TensorProto.BOOL, [3], [True, False, True]),
    ("f16", TensorProto.FLOAT16, [2], np.array([1.0, -2.0], dtype=np.float16).view(np.uint16).tolist()),
    ("u32", TensorProto.UINT32, [1], [4000000000]),
    ("u64", TensorProto.UINT64, [1], [18000000000000000000]),
    ("scalar", TensorProto.FLOAT, [], [42.0]),
    ("empty", TensorProto.FLOAT, [0, 3], []),
]
inits = []
for name, dt, dims, vals in typed:
    if dt == TensorProto.FLOAT16:
        t = TensorProto(name=name, data_type=dt, dims=dims)
        t.int32_data.extend(vals)
    else:
        t = helper.make_tensor(name, dt, dims, vals, raw=False)
    inits.append(t)
raw_i16 = numpy_helper.from_array(np.array([[-1, 2], [3, -4]], dtype=np.int16), "raw_i16")
inits.append(raw_i16)
outs = [vi(n, dt, d) for n, dt, d, _ in typed] + [vi("raw_i16", TensorProto.INT16, [2, 2])]
g = helper.make_graph([], "typed", [vi("f32", TensorProto.FLOAT, [2]), vi("i64", TensorProto.INT64, [3])],
                      outs, initializer=inits)
save(helper.make_model(g), "typed_consts.onnx", ir=3)

# 3. Constant nodes of every kind
t = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "ignored_name")
g = helper.make_graph(
    [helper.make_node("Constant", [], ["c_tensor"], value=t),
     helper.make_node("Constant", [], ["c_float"], value_float=0.5),
     helper.make_node("Constant", [], ["c_floats"], value_floats=[1.0, 2.0, 3.0]),
     helper.make_node("Constant", [], ["c_int"], value_int=-9),
     helper.make_node("Constant", [], ["c_ints"], value_ints=[4, 5]),
     helper.make_node("Add", ["X", "c_tensor"], ["Y"])],
    "constants", [vi("X", TensorProto.FLOAT, [2, 3])],
    [vi("Y", TensorProto.FLOAT, [2, 3]), vi("c_float", TensorProto.FLOAT, []),
     vi("c_floats", TensorProto.FLOAT, [3]), vi("c_int", TensorProto.INT64, []),
     vi("c_ints", TensorProto.INT64, [2])])
save(helper.make_model(g), "constant_nodes.onnx", opset=12)

# 4. attributes of every supported type (extra ones ride on a Relu, which ignores them)
w = np.ones((4, 3, 3, 3), dtype=np.float32)
relu = helper.make_node("Relu", ["C"], ["R"], name="relu_attrs")
relu.attribute.extend([
    helper.make_attribute("a_int", 7),
    helper.make_attribute("a_float", 0.125),
    helper.make_attribute("a_string", b"hello"),
    helper.make_attribute("a_ints", [1, -2, 3]),
    helper.make_attribute("a_floats", [0.5, 1.5]),
    helper.make_attribute("a_strings", [b"x", b"yz"]),
    helper.make_attribute("a_tensor", helper.make_tensor("t", TensorProto.INT64, [2], [3, 4])),
])
g = helper.make_graph(
    [helper.make_node("Conv", ["X", "W"], ["C"], name="conv0", kernel_shape=[3, 3],
                      pads=[1, 1, 1, 1], strides=[2, 2], group=1, dilations=[1, 1]),
     relu,
     helper.make_node("LeakyRelu", ["R"], ["Y"], name="leaky", alpha=0.2)],
    "attrs", [vi("X", TensorProto.FLOAT, [1, 3, 8, 8])], [vi("Y", TensorProto.FLOAT, None)],
    initializer=[numpy_helper.from_array(w, "W")])
save(helper.make_model(g), "attrs.onnx", opset=11)

# 5. dynamic input dims: dim_param, dim_value, absent dim; opset 7 and 18 variants
for opset in (7, 18):
    x = vi("X", TensorProto.FLOAT, ["batch", 3, None])
    g = helper.make_graph([helper.make_node("Relu", ["X"], ["Y"])], "dyn", [x],
                          [vi("Y", TensorProto.FLOAT, None)])
    save(helper.make_model(g), "dynamic_opset%d.onnx" % opset, opset=opset)

# 6. external data (with a non-zero offset), and one that escapes the folder
ext = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
with open(os.path.join(OUT, "external.bin"), "wb") as f:
    f.write(b"\0" * 16 + ext.tobytes())
for name, loc in (("external.onnx", "external.bin"), ("external_dotdot.onnx", "../external.bin"),
                  ("external_abs.onnx", "/etc/passwd"), ("external_missing.onnx", "nope.bin")):
    t = TensorProto(name="E", data_type=TensorProto.FLOAT, dims=[4])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", loc), ("offset", "16"), ("length", "16")):
        e = t.external_data.add()
        e.key, e.value = k, v
    g = helper.make_graph([helper.make_node("Add", ["X", "E"], ["Y"])], "ext",
                          [vi("X", TensorProto.FLOAT, [4])], [vi("Y", TensorProto.FLOAT, [4])],
                          initializer=[t])
    save(helper.make_model(g), name)

# 7. subgraph attribute (If)
then_g = helper.make_graph([helper.make_node("Identity", ["X"], ["t"])], "then", [],
                           [vi("t", TensorProto.FLOAT, [1])])
else_g = helper.make_graph([helper.make_node("Neg", ["X"], ["e"])], "else", [],
                           [vi("e", TensorProto.FLOAT, [1])])
g = helper.make_graph([helper.make_node("If", ["cond"], ["Y"], name="if0", then_branch=then_g,
                                        else_branch=else_g)],
                      "if", [vi("cond", TensorProto.BOOL, []), vi("X", TensorProto.FLOAT, [1])],
                      [vi("Y", TensorProto.FLOAT, [1])])
save(helper.make_model(g), "if.onnx")

# 8. malformed graphs
def simple(nodes, name, inputs=("X",), outputs=("Y",), **kw):
    g = helper.make_graph(nodes, name, [vi(i, TensorProto.FLOAT, [2]) for i in inputs],
                          [vi(o, TensorProto.FLOAT, [2]) for o in outputs], **kw)
    save(helper.make_model(g), name + ".onnx")

simple([helper.make_node("FooBar", ["X"], ["Y"], name="foo")], "unsupported_op")
simple([helper.make_node("Relu", ["B"], ["A"]), helper.make_node("Relu", ["A"], ["B"]),
        helper.make_node("Add", ["A", "X"], ["Y"])], "cycle")
simple([helper.make_node("Relu", ["X"], ["Y"], name="r1"),
        helper.make_node("Relu", ["X"], ["Y"], name="r2")], "produced_twice")
simple([helper.make_node("Add", ["X", "nowhere"], ["Y"])], "undefined_input")
simple([helper.make_node("Relu", ["X"], ["Y"])], "opset_too_new")
m = onnx.load(os.path.join(OUT, "opset_too_new.onnx"))
save(m, "opset_too_new.onnx", opset=99)

# 9. the optional-input convention: empty names
g = helper.make_graph([helper.make_node("Clip", ["X", "", "M"], ["Y"])], "optional",
                      [vi("X", TensorProto.FLOAT, [3])], [vi("Y", TensorProto.FLOAT, [3])],
                      initializer=[numpy_helper.from_array(np.array(1.0, dtype=np.float32), "M")])
save(helper.make_model(g), "optional_input.onnx")

# 10. com.microsoft domain op (kept, rejected by finalize as unsupported)
n = helper.make_node("FusedGemm", ["X", "X"], ["Y"], domain="com.microsoft")
g = helper.make_graph([n], "ms", [vi("X", TensorProto.FLOAT, [2])], [vi("Y", TensorProto.FLOAT, [2])])
m = helper.make_model(g)
m.opset_import.extend([helper.make_opsetid("com.microsoft", 1)])
with open(os.path.join(OUT, "ms_domain.onnx"), "wb") as f:
    m.ir_version = 8
    f.write(m.SerializeToString())

print("wrote models to", OUT)
