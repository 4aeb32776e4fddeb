/*
 * conv_common.h — helpers shared by the GEMM-based operator files conv.c, linear.c and
 * convt.c (implemented in conv_common.c). Internal to src/nn/kernels.
 */
#ifndef FSIFT_NN_KERNELS_CONV_COMMON_H
#define FSIFT_NN_KERNELS_CONV_COMMON_H

#include "conv_impl.h"

#define TASK_CHUNK 256          /* GEMM tasks handed to one nn_gemm_batch call */
#define MAX_ATTR_VAL ((int64_t)1 << 24)
#define MAX_GEMM_DIM ((int64_t)1 << 40)

/* Weights packed for one kernel: per group, `rows` GEMM rows (or columns) × K, or the
 * tap-major depthwise layout. */
enum {
    WK_GEMM_A = 1,  /* A panels of a dense operand */
    WK_GEMM_B = 2,  /* B panels of a dense operand */
    WK_DW_NHWC = 3, /* depthwise, tap-major */
    WK_GEMM_BT = 4  /* B panels of NCHW conv weights with k = (tap, channel) (rs = taps) */
};

typedef struct wpack {
    nn_isa isa;
    int kind;
    int64_t group, rows, K;
    size_t gstride;  /* floats per group */
    float *data;     /* 64-byte aligned */
} wpack;

/* *out = a·b; 0 when a or b is negative or the product overflows or exceeds 64·MAX_GEMM_DIM. */
int conv_mul_ok(int64_t a, int64_t b, int64_t *out);
/* Workers the session may run the node with (the executor sets nthreads before run; at
 * plan time it may not be known yet, then the number of online CPUs bounds it). */
int conv_threads(const nn_kctx *k);
nn_isa conv_isa(const nn_kctx *k);
/* A load-time pack (owned by the node; free with conv_wpack_free). NULL when not worth it
 * or out of memory. GEMM kinds: group g's source is dense at w + g*rows*K with strides
 * (rs, cs) as an A (rows × K) or B (K × rows) operand; dwp describes a depthwise weight. */
wpack *conv_wpack_new(nn_isa isa, int kind, int64_t group, int64_t rows, int64_t K,
                      const float *w, int64_t rs, int64_t cs, const nn_conv_params *dwp);
void conv_wpack_free(void *ptr);
/* The packed data usable for (isa, kind, shape): the node's load-time pack, or a pack made
 * now in plan memory when the weight is known (w != NULL); NULL: pack per block at run. */
const float *conv_wpack_get(nn_kctx *k, nn_isa isa, int kind, int64_t group, int64_t rows,
                            int64_t K, const float *w, int64_t rs, int64_t cs,
                            const nn_conv_params *dwp, size_t *gstride);
/* FSIFT_E_UNSUPPORTED unless input i is float32. */
fsift_status conv_check_f32(const nn_kctx *k, int i, const char *what);
/* *total = per·nth scratch bytes; 0 if that would overflow. */
int conv_scratch_ok(size_t per, int nth, size_t *total);

#endif
