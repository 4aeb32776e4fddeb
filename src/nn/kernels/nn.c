/*
 * nn.c — the "nn" operator group table nn_ops_nn (see ../ops.h): pools, normalisations,
 * softmax, reductions, resize and pad. The kernels live in nn_pool.c, nn_norm.c,
 * nn_softmax.c, nn_reduce.c, nn_resize.c and nn_pad.c; several op types share one infer/run
 * pair, which tells them apart by k->node->op_type (see nn_group.h).
 */
#include "nn_group.h"

#define NN_OP(name, fam) {name, "", 0, NULL, nn_##fam##_infer, nn_##fam##_run}

const nn_op_def nn_ops_nn[] = {
    NN_OP("MaxPool", pool),
    NN_OP("AveragePool", pool),
    NN_OP("GlobalAveragePool", pool),
    NN_OP("GlobalMaxPool", pool),
    NN_OP("BatchNormalization", batchnorm),
    NN_OP("InstanceNormalization", instnorm),
    NN_OP("LayerNormalization", layernorm),
    NN_OP("LpNormalization", lpnorm),
    NN_OP("Softmax", softmax),
    NN_OP("LogSoftmax", softmax),
    NN_OP("ReduceMean", reduce),
    NN_OP("ReduceSum", reduce),
    NN_OP("ReduceMax", reduce),
    NN_OP("ReduceMin", reduce),
    NN_OP("ReduceProd", reduce),
    NN_OP("ReduceL1", reduce),
    NN_OP("ReduceL2", reduce),
    NN_OP("ReduceSumSquare", reduce),
    NN_OP("ReduceLogSum", reduce),
    NN_OP("ReduceLogSumExp", reduce),
    NN_OP("ArgMax", argminmax),
    NN_OP("ArgMin", argminmax),
    NN_OP("Resize", resize),
    NN_OP("Upsample", resize),
    NN_OP("Pad", pad),
    {0},
};
