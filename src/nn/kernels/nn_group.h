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

/* Largest per-axis lookup table an op builds at plan time (bytes, all axes together): tables
 * grow with the output's extent along each axis, and a hostile pad or scale must not make
 * infer allocate gigabytes before the planner has checked the output size. */
#define NN_TABLE_MAX_BYTES ((int64_t)1 << 28)

/* Range functions (nn_parallel) start by copying their job struct into a local: the job
 * lives on the submitting thread's stack next to that thread's own hot variables, and a
 * worker that re-reads it inside its loops (the compiler must, whenever an output pointer
 * may alias it) makes the cache line bounce between cores (a 2-thread bilinear Resize took
 * 0.82 ms against 0.91 ms on 1 thread that way; 0.37 ms with the copy). */

/* nn_softmax_avx2.c (call only when k->cpu->avx2_fma): max of beta * x; y = exp(beta * x - m)
 * (stored if store) returning the sum; column form: y[j] = exp(beta * x[j] - m[j]),
 * sum[j] += y[j]. */
float nn_max_scaled_avx2(const float *x, int64_t n, float beta);
float nn_exp_row_avx2(float *y, const float *x, int64_t n, float beta, float m, int store);
void nn_exp_cols_avx2(float *y, const float *x, int64_t n, float beta, const float *m,
                      float *sum, int store);

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

/* Vector helpers. The loops work in fixed blocks of NN_VB floats so that GCC's -O2
 * vectoriser (which skips loops that would need a scalar epilogue) and clang both turn them
 * into SIMD code; the tail runs scalar. Reductions keep NN_VB partial results, so their
 * rounding differs from a left-to-right sum by float reassociation only. */
#define NN_VB 16

static inline float nn_sum_f32(const float *restrict x, int64_t n) {
    if (n < NN_VB) { /* short rows: skip the partial sums */
        float s = 0.f;
        for (int64_t i = 0; i < n; i++) s += x[i];
        return s;
    }
    float acc[NN_VB] = {0};
    int64_t i = 0;
    for (; i + NN_VB <= n; i += NN_VB)
        for (int j = 0; j < NN_VB; j++) acc[j] += x[i + j];
    float s = 0.f;
    for (int j = 0; j < NN_VB; j++) s += acc[j];
    for (; i < n; i++) s += x[i];
    return s;
}

/* Sum of (x - m)^2. */
static inline float nn_sumsqdev_f32(const float *restrict x, int64_t n, float m) {
    if (n < NN_VB) {
        float s = 0.f;
        for (int64_t i = 0; i < n; i++) s += (x[i] - m) * (x[i] - m);
        return s;
    }
    float acc[NN_VB] = {0};
    int64_t i = 0;
    for (; i + NN_VB <= n; i += NN_VB)
        for (int j = 0; j < NN_VB; j++) acc[j] += (x[i + j] - m) * (x[i + j] - m);
    float s = 0.f;
    for (int j = 0; j < NN_VB; j++) s += acc[j];
    for (; i < n; i++) s += (x[i] - m) * (x[i] - m);
    return s;
}

/* max(m0, x[0..n)). */
static inline float nn_max_f32(const float *restrict x, int64_t n, float m0) {
    if (n < NN_VB) {
        for (int64_t i = 0; i < n; i++) m0 = x[i] > m0 ? x[i] : m0;
        return m0;
    }
    float acc[NN_VB];
    for (int j = 0; j < NN_VB; j++) acc[j] = m0;
    int64_t i = 0;
    for (; i + NN_VB <= n; i += NN_VB)
        for (int j = 0; j < NN_VB; j++) acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
    float s = m0;
    for (int j = 0; j < NN_VB; j++) s = acc[j] > s ? acc[j] : s;
    for (; i < n; i++) s = x[i] > s ? x[i] : s;
    return s;
}

/* y = max(y, x) */
static inline void nn_vmax_f32(float *restrict y, const float *restrict x, int64_t n) {
    int64_t i = 0;
    for (; i + NN_VB <= n; i += NN_VB)
        for (int j = 0; j < NN_VB; j++) y[i + j] = x[i + j] > y[i + j] ? x[i + j] : y[i + j];
    for (; i < n; i++) y[i] = x[i] > y[i] ? x[i] : y[i];
}

/* y += x */
static inline void nn_vadd_f32(float *restrict y, const float *restrict x, int64_t n) {
    int64_t i = 0;
    for (; i + NN_VB <= n; i += NN_VB)
        for (int j = 0; j < NN_VB; j++) y[i + j] += x[i + j];
    for (; i < n; i++) y[i] += x[i];
}

/* y = x * a + b */
static inline void nn_vaffine_f32(float *restrict y, const float *restrict x, float a, float b,
                                  int64_t n) {
    int64_t i = 0;
    for (; i + NN_VB <= n; i += NN_VB)
        for (int j = 0; j < NN_VB; j++) y[i + j] = x[i + j] * a + b;
    for (; i < n; i++) y[i] = x[i] * a + b;
}

/* y = x0 * w0 + x1 * w1 */
static inline void nn_vlerp_f32(float *restrict y, const float *restrict x0, float w0,
                                const float *restrict x1, float w1, int64_t n) {
    int64_t i = 0;
    for (; i + NN_VB <= n; i += NN_VB)
        for (int j = 0; j < NN_VB; j++) y[i + j] = x0[i + j] * w0 + x1[i + j] * w1;
    for (; i < n; i++) y[i] = x0[i] * w0 + x1[i] * w1;
}

/* y += x * w */
static inline void nn_vaxpy_f32(float *restrict y, const float *restrict x, float w, int64_t n) {
    int64_t i = 0;
    for (; i + NN_VB <= n; i += NN_VB)
        for (int j = 0; j < NN_VB; j++) y[i + j] += x[i + j] * w;
    for (; i < n; i++) y[i] += x[i] * w;
}

/* y = x * a */
static inline void nn_vscale_f32(float *restrict y, float a, int64_t n) {
    int64_t i = 0;
    for (; i + NN_VB <= n; i += NN_VB)
        for (int j = 0; j < NN_VB; j++) y[i + j] *= a;
    for (; i < n; i++) y[i] *= a;
}

/* *r = a * b for a, b >= 0; returns 0 (and leaves *r unspecified) on int64 overflow or a
 * negative operand. */
static inline int nn_mul_ok(int64_t a, int64_t b, int64_t *r) {
    if (a < 0 || b < 0) return 0;
    return !__builtin_mul_overflow(a, b, r);
}

#endif
