/*
 * conv_impl.h — convolution internals shared by conv.c (the operators), conv_ref.c (the
 * plain-loop reference) and the depthwise kernels dwconv*.c. Internal to src/nn/kernels.
 *
 * A convolution is described once, by nn_conv_params, after conv.c has parsed and checked
 * the node's attributes and shapes; 1-D convolutions are 2-D ones with H = kh = 1.
 * Layouts: NCHW (ONNX): x [N,C,H,W], w [M,C/group,kh,kw], y [N,M,OH,OW].
 *          NHWC (graphs made from TFLite): x [N,H,W,C], w [M,kh,kw,C/group], y [N,OH,OW,M].
 * Bias (optional) is [M]; the activation is applied after the bias (and after a fused
 * residual, see ops.h). The kernels here apply clamp activations only; conv.c applies TANH
 * and PRELU itself where a kernel cannot.
 */
#ifndef FSIFT_NN_KERNELS_CONV_IMPL_H
#define FSIFT_NN_KERNELS_CONV_IMPL_H

#include "gemm.h"

typedef struct nn_conv_params {
    int nhwc;
    int64_t N, C, H, W;  /* input */
    int64_t M, OH, OW;   /* output channels and size */
    int64_t group;
    int64_t kh, kw, sh, sw, dh, dw;
    int64_t pt, pl;      /* begin pads (the end pads are implied by OH, OW) */
    nn_act act;          /* NN_ACT_PRELU: conv.c keeps the slopes */
} nn_conv_params;

/* The reference convolution (plain loops): y = act(conv(x, w) + b). b may be NULL. */
void nn_conv_ref(const nn_conv_params *p, const float *x, const float *w, const float *b,
                 float *y);

/* Reference for Gemm-like tasks (see gemm.h). */
void nn_gemm_ref(const nn_gemm_task *t);

/* ---- depthwise convolution (group == C, M == C * mult) -------------------------------- */

/* Weights for the NHWC depthwise kernels, packed at load: [kh*kw][M] (tap-major, channels
 * contiguous). From w [M,kh,kw,1] (NHWC) or [M,1,kh,kw] (NCHW). */
void nn_dw_pack_nhwc(const nn_conv_params *p, const float *w, float *dst);

/* Extras the depthwise kernels fuse into their stores (NULL: none): PRELU slopes [M] (used
 * when p->act is NN_ACT_PRELU) and a residual laid out like y, added before the activation. */
typedef struct nn_dw_epi {
    const float *slope;
    const float *res;
} nn_dw_epi;

/* Runs planes/pixel rows [begin, end) of a depthwise convolution for `isa` (AVX2 or
 * AVX-512). NCHW: the range is over N*M output planes; w is the raw [M,1,kh,kw] weight.
 * NHWC: the range is over N*OH output rows; w is packed with nn_dw_pack_nhwc and mult must
 * be 1. Clamp-type activations, PRELU and the residual (ex) are fused; TANH must be applied
 * by the caller. */
void nn_dw_nchw_avx2(const nn_conv_params *p, const float *x, const float *w, const float *b,
                     float *y, int64_t begin, int64_t end, const nn_dw_epi *ex);
void nn_dw_nchw_avx512(const nn_conv_params *p, const float *x, const float *w, const float *b,
                       float *y, int64_t begin, int64_t end, const nn_dw_epi *ex);
void nn_dw_nhwc_avx2(const nn_conv_params *p, const float *x, const float *wp, const float *b,
                     float *y, int64_t begin, int64_t end, const nn_dw_epi *ex);
void nn_dw_nhwc_avx512(const nn_conv_params *p, const float *x, const float *wp, const float *b,
                       float *y, int64_t begin, int64_t end, const nn_dw_epi *ex);

/* Clamp bounds of an activation (TANH and NONE: -inf, inf). */
static inline void nn_act_bounds(nn_act act, float *lo, float *hi) {
    *lo = -INFINITY;
    *hi = INFINITY;
    if (act == NN_ACT_RELU) *lo = 0.f;
    else if (act == NN_ACT_RELU6) { *lo = 0.f; *hi = 6.f; }
    else if (act == NN_ACT_RELU_N1_TO_1) { *lo = -1.f; *hi = 1.f; }
}

#endif
