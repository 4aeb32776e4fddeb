/*
 * nn_group.h — internal to the "nn" operator group (pools, normalisations, softmax,
 * reductions, resize, pad): the infer/run entry points each nn_*.c file exports for the
 * group table in nn.c, and small helpers those files share.
 *
 * One infer/run pair may serve several ONNX op types (MaxPool and AveragePool share the pool
 * code); infer looks at k->node->op_type and records what it decided in k->state, so run never
 * compares strings.
 */
#ifndef FSIFT_NN_KERNELS_NN_GROUP_H
#define FSIFT_NN_KERNELS_NN_GROUP_H

#include <string.h>

#include "../ops.h"

/* nn_pool.c: MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool */
fsift_status nn_pool_infer(nn_kctx *k);
fsift_status nn_pool_run(nn_kctx *k);
/* nn_norm.c: BatchNormalization, InstanceNormalization, LayerNormalization, LpNormalization */
fsift_status nn_batchnorm_infer(nn_kctx *k);
fsift_status nn_batchnorm_run(nn_kctx *k);
fsift_status nn_instnorm_infer(nn_kctx *k);
fsift_status nn_instnorm_run(nn_kctx *k);
fsift_status nn_layernorm_infer(nn_kctx *k);
fsift_status nn_layernorm_run(nn_kctx *k);
fsift_status nn_lpnorm_infer(nn_kctx *k);
fsift_status nn_lpnorm_run(nn_kctx *k);
/* nn_softmax.c: Softmax, LogSoftmax */
fsift_status nn_softmax_infer(nn_kctx *k);
fsift_status nn_softmax_run(nn_kctx *k);
/* nn_reduce.c: Reduce{Mean,Sum,Max,Min,Prod,L1,L2,SumSquare,LogSum,LogSumExp}, ArgMax, ArgMin */
fsift_status nn_reduce_infer(nn_kctx *k);
fsift_status nn_reduce_run(nn_kctx *k);
fsift_status nn_argminmax_infer(nn_kctx *k);
fsift_status nn_argminmax_run(nn_kctx *k);
/* nn_resize.c: Resize, Upsample */
fsift_status nn_resize_infer(nn_kctx *k);
fsift_status nn_resize_run(nn_kctx *k);
/* nn_pad.c: Pad */
fsift_status nn_pad_infer(nn_kctx *k);
fsift_status nn_pad_run(nn_kctx *k);

/* The op's input i, or NULL when absent (index past n_in or an empty optional input). */
static inline nn_tensor *nn_in_opt(const nn_kctx *k, int i) {
    return i < k->n_in ? k->in[i] : NULL;
}

/* Error unless input i is present and float32 (FSIFT_E_UNSUPPORTED for other dtypes, so the
 * conformance runner reports a skip). */
static inline fsift_status nn_want_f32(const nn_kctx *k, int i) {
    const nn_tensor *t = nn_in_opt(k, i);
    if (!t) return nn_op_error(k, FSIFT_E_SHAPE, "input %d is missing", i);
    if (t->dtype != FSIFT_DTYPE_FLOAT32)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported (input %d)",
                           fsift_dtype_name(t->dtype), i);
    return FSIFT_OK;
}

/* 1 if the node's "layout" attribute is "NHWC", 0 if absent or "NCHW"; -1 otherwise. */
static inline int nn_layout_nhwc(const nn_kctx *k) {
    const char *s = nn_attr_str(k->node, "layout", "NCHW");
    if (strcmp(s, "NHWC") == 0) return 1;
    if (strcmp(s, "NCHW") == 0) return 0;
    return -1;
}

/* *r = a * b for a, b >= 0; returns 0 (and leaves *r unspecified) on int64 overflow or a
 * negative operand. */
static inline int nn_mul_ok(int64_t a, int64_t b, int64_t *r) {
    if (a < 0 || b < 0) return 0;
    return !__builtin_mul_overflow(a, b, r);
}

#endif
