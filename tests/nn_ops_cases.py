#!/usr/bin/python3
"""Single-operator ONNX models for the "nn" operator group (pools, normalisations, softmax,
reductions, resize, pad), written for tests/script_nn_ops_ort.sh, which runs each through
facesift and ONNX Runtime and compares.

    nn_ops_cases.py OUT_DIR

For every case writes OUT_DIR/<name>.onnx and OUT_DIR/<name>.in0.npy (float32 uniform in
[-1, 1], fixed seed). The cases target what the ONNX backend node tests do not cover or where
ONNX Runtime's behaviour is the reference: ceil_mode windows past the end, count_include_pad
with ceil_mode, dilated pools, opset-10 Resize and Upsample rules, every coordinate
transformation with scales and sizes, downsampling, tf_crop_and_resize, opset-18 axes and
keep_aspect_ratio_policy, opset < 13 Softmax coercion, reductions over every axis pattern,
negative pads. Prints one line per case.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
RNG = np.random.default_rng(11)


def f32(name, a):
    return nh.from_array(np.asarray(a, dtype=np.float32), name)


def i64(name, a):
    return nh.from_array(np.asarray(a, dtype=np.int64), name)


def case(name, op, shape, opset=13, inits=(), inputs=None, n_out=1, **attrs):
    """One node: input 'x' (float32, shape) then the named initializers in `inputs`."""
    ins = ['x'] + list(inputs or [])
    outs = ['y%d' % i for i in range(n_out)]
    node = h.make_node(op, ins, outs, **attrs)
    g = h.make_graph([node], name, [h.make_tensor_value_info('x', T.FLOAT, shape)],
                     [h.make_tensor_value_info(o, T.INT64 if op.startswith('Arg') else T.FLOAT, None)
                      for o in outs],
                     initializer=list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid('', opset)])
    m.ir_version = 8
    onnx.save(m, os.path.join(OUT, name + '.onnx'))
    x = RNG.uniform(-1, 1, shape).astype(np.float32)
    np.save(os.path.join(OUT, name + '.in0.npy'), x)
    print(name)


# ---- pools -----------------------------------------------------------------------------
case('maxpool_ceil_k3s2p1', 'MaxPool', [1, 3, 10, 10], kernel_shape=[3, 3], strides=[2, 2],
     pads=[1, 1, 1, 1], ceil_mode=1)
case('maxpool_ceil_k2s2', 'MaxPool', [1, 2, 7, 9], kernel_shape=[2, 2], strides=[2, 2],
     ceil_mode=1)
case('maxpool_dil', 'MaxPool', [1, 2, 9, 11], kernel_shape=[3, 3], dilations=[2, 3],
     pads=[2, 1, 2, 2])
case('maxpool_same_upper_s2', 'MaxPool', [2, 3, 11, 8], kernel_shape=[3, 3], strides=[2, 2],
     auto_pad='SAME_UPPER')
case('maxpool_1d', 'MaxPool', [2, 3, 17], kernel_shape=[4], strides=[3], pads=[1, 2])
case('maxpool_3d', 'MaxPool', [1, 2, 5, 6, 7], kernel_shape=[2, 3, 2], strides=[1, 2, 2])
case('maxpool_k5s1p2', 'MaxPool', [1, 4, 13, 13], kernel_shape=[5, 5], pads=[2, 2, 2, 2])
case('avgpool_ceil_incpad', 'AveragePool', [1, 3, 10, 10], kernel_shape=[3, 3],
     strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1)
case('avgpool_ceil_excpad', 'AveragePool', [1, 3, 10, 10], kernel_shape=[3, 3],
     strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)
case('avgpool_same_lower', 'AveragePool', [1, 3, 9, 10], kernel_shape=[2, 3], strides=[2, 1],
     auto_pad='SAME_LOWER')
case('avgpool_3d_pads', 'AveragePool', [1, 2, 6, 5, 7], kernel_shape=[3, 3, 3],
     pads=[1, 1, 1, 1, 1, 1], count_include_pad=1)
case('globalmaxpool', 'GlobalMaxPool', [2, 5, 7, 3])
case('globalavgpool_1d', 'GlobalAveragePool', [2, 70, 33])

# ---- normalisations --------------------------------------------------------------------
C = 6
bn = [f32('s', RNG.uniform(0.5, 1.5, C)), f32('b', RNG.uniform(-1, 1, C)),
      f32('m', RNG.uniform(-0.5, 0.5, C)), f32('v', RNG.uniform(0.2, 2, C))]
case('batchnorm_4d', 'BatchNormalization', [2, C, 5, 4], opset=15, inits=bn,
     inputs=['s', 'b', 'm', 'v'], epsilon=1e-3)
case('batchnorm_2d', 'BatchNormalization', [3, C], opset=15, inits=bn,
     inputs=['s', 'b', 'm', 'v'])
case('batchnorm_opset9', 'BatchNormalization', [1, C, 3, 3], opset=9, inits=bn,
     inputs=['s', 'b', 'm', 'v'])
case('instancenorm', 'InstanceNormalization', [2, C, 7, 5], inits=bn[:2], inputs=['s', 'b'],
     epsilon=1e-4)
D = 24
ln = [f32('s', RNG.uniform(0.5, 1.5, D)), f32('b', RNG.uniform(-1, 1, D))]
case('layernorm_last', 'LayerNormalization', [2, 7, D], opset=17, inits=ln, inputs=['s', 'b'],
     n_out=3)
ln2 = [f32('s', RNG.uniform(0.5, 1.5, (7, D)))]
case('layernorm_axis1_nobias', 'LayerNormalization', [2, 7, D], opset=17, inits=ln2,
     inputs=['s'], axis=1, epsilon=1e-3)
case('lpnorm_p2_axis1', 'LpNormalization', [2, 5, 6], axis=1)
case('lpnorm_p1_last', 'LpNormalization', [3, 70], p=1)

# ---- softmax ---------------------------------------------------------------------------
case('softmax_opset11_axis1', 'Softmax', [2, 3, 4, 5], opset=11)
case('softmax_opset11_axis2', 'Softmax', [2, 3, 4, 5], opset=11, axis=2)
case('logsoftmax_opset11', 'LogSoftmax', [3, 4, 5], opset=11)
case('softmax_axis1', 'Softmax', [2, 3, 70, 5], axis=1)
case('logsoftmax_axis0', 'LogSoftmax', [4, 3, 5], axis=0)
case('softmax_rows', 'Softmax', [12, 77, 77])

# ---- reductions ------------------------------------------------------------------------
shape = [2, 3, 4, 5]
for op in ['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1',
           'ReduceL2', 'ReduceSumSquare', 'ReduceLogSumExp']:
    for axes in ([1], [-1], [0, 2], [1, 2, 3], [0, 1, 3]):
        nm = '%s_%s' % (op.lower(), '_'.join(str(a).replace('-', 'm') for a in axes))
        if op == 'ReduceSum':
            case(nm, op, shape, inits=[i64('axes', axes)], inputs=['axes'], keepdims=0)
        else:
            case(nm, op, shape, axes=axes)
case('reducemean_opset18_input', 'ReduceMean', shape, opset=18, inits=[i64('axes', [2, 3])],
     inputs=['axes'])
case('reducemax_all', 'ReduceMax', shape, keepdims=0)
case('argmax_axis2_last', 'ArgMax', shape, axis=2, select_last_index=1)
case('argmin_axis1_nokeep', 'ArgMin', shape, axis=-3, keepdims=0)

# ---- resize / upsample ------------------------------------------------------------------
X = [1, 3, 6, 8]
case('resize10_nearest_down', 'Resize', X, opset=10, inits=[f32('scales', [1, 1, 0.6, 0.7])],
     inputs=['scales'], mode='nearest')
case('resize10_nearest_up', 'Resize', X, opset=10, inits=[f32('scales', [1, 1, 2.5, 1.5])],
     inputs=['scales'], mode='nearest')
case('resize10_linear_up', 'Resize', X, opset=10, inits=[f32('scales', [1, 1, 2, 3])],
     inputs=['scales'], mode='linear')
case('resize10_linear_down', 'Resize', X, opset=10, inits=[f32('scales', [1, 1, 0.5, 0.5])],
     inputs=['scales'], mode='linear')
case('upsample9_linear', 'Upsample', X, opset=9, inits=[f32('scales', [1, 1, 2, 3])],
     inputs=['scales'], mode='linear')
case('upsample7_nearest', 'Upsample', X, opset=7, scales=[1.0, 1.0, 3.0, 2.0])
for ct in ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric']:
    for mode in ['linear', 'cubic', 'nearest']:
        for tag, s in [('up', [1, 1, 2, 1.5]), ('down', [1, 1, 0.5, 0.75])]:
            case('resize13_%s_%s_%s' % (mode, ct, tag), 'Resize', X, opset=13,
                 inits=[f32('roi', []), f32('scales', s)], inputs=['roi', 'scales'],
                 mode=mode, coordinate_transformation_mode=ct)
        case('resize13_%s_%s_sizes' % (mode, ct), 'Resize', X, opset=13,
             inits=[f32('roi', []), f32('scales', []), i64('sizes', [1, 3, 9, 5])],
             inputs=['roi', 'scales', 'sizes'], mode=mode, coordinate_transformation_mode=ct)
for nm in ['round_prefer_ceil', 'floor', 'ceil']:
    case('resize13_nearest_%s' % nm, 'Resize', X, opset=13,
         inits=[f32('roi', []), f32('scales', []), i64('sizes', [1, 3, 13, 11])],
         inputs=['roi', 'scales', 'sizes'], mode='nearest', nearest_mode=nm)
case('resize13_nearest_align_ceil', 'Resize', [1, 2, 3, 5], opset=13,
     inits=[f32('roi', []), f32('scales', []), i64('sizes', [1, 2, 7, 13])],
     inputs=['roi', 'scales', 'sizes'], mode='nearest', nearest_mode='round_prefer_ceil',
     coordinate_transformation_mode='align_corners')
case('resize13_nearest_tf_half_pixel', 'Resize', X, opset=13,
     inits=[f32('roi', []), f32('scales', [1, 1, 1.7, 0.6])], inputs=['roi', 'scales'],
     mode='nearest', coordinate_transformation_mode='tf_half_pixel_for_nn')
case('resize13_cubic_exclude', 'Resize', X, opset=13,
     inits=[f32('roi', []), f32('scales', [1, 1, 1.5, 2])], inputs=['roi', 'scales'],
     mode='cubic', exclude_outside=1, cubic_coeff_a=-0.5)
for mode in ['nearest', 'linear']:
    case('resize13_crop_%s' % mode, 'Resize', X, opset=13,
         inits=[f32('roi', [0, 0, 0.1, -0.2, 1, 1, 0.8, 1.1]), f32('scales', []),
                i64('sizes', [1, 3, 5, 7])],
         inputs=['roi', 'scales', 'sizes'], mode=mode,
         coordinate_transformation_mode='tf_crop_and_resize', extrapolation_value=0.5)
case('resize18_axes_linear', 'Resize', X, opset=18,
     inits=[f32('roi', []), f32('scales', []), i64('sizes', [10, 4])],
     inputs=['roi', 'scales', 'sizes'], mode='linear', axes=[2, 3])
case('resize18_not_larger', 'Resize', X, opset=18,
     inits=[f32('roi', []), f32('scales', []), i64('sizes', [1, 3, 12, 12])],
     inputs=['roi', 'scales', 'sizes'], mode='linear', keep_aspect_ratio_policy='not_larger')
case('resize18_not_smaller', 'Resize', X, opset=18,
     inits=[f32('roi', []), f32('scales', []), i64('sizes', [1, 3, 12, 12])],
     inputs=['roi', 'scales', 'sizes'], mode='nearest', keep_aspect_ratio_policy='not_smaller')

# ---- pad -------------------------------------------------------------------------------
P = [2, 3, 4, 5]
for mode in ['constant', 'reflect', 'edge']:
    case('pad_%s' % mode, 'Pad', P, inits=[i64('pads', [0, 1, 2, 3, 1, 0, 3, 2])],
         inputs=['pads'], mode=mode)
case('pad_negative', 'Pad', P, inits=[i64('pads', [0, -1, 2, -2, 0, 1, -1, 3]),
                                      f32('cv', 1.5)], inputs=['pads', 'cv'])
case('pad_opset2', 'Pad', P, opset=2, pads=[0, 0, 1, 1, 0, 0, 2, 0], value=-2.0)
case('pad_opset18_axes', 'Pad', P, opset=18,
     inits=[i64('pads', [1, 2, 0, 1]), f32('cv', 0.25), i64('axes', [1, -1])],
     inputs=['pads', 'cv', 'axes'])
