/*
 * dwconv_avx512.c — depthwise convolution kernels for AVX-512 (16 floats per vector, k-mask
 * registers for the borders). The kernels themselves are in dwconv_tmpl.h; this file only
 * defines the vector vocabulary they are written in. Called only when fsift_cpu says
 * AVX-512 is usable; no state.
 */
#include "conv_impl.h"

#if defined(__AVX512F__) && defined(__FMA__)
#include <immintrin.h>

#define DW_VL 16
#define DW_NV 2
#define DW_PX 4
#define DW_NAME(x) x##_avx512
typedef __m512 dw_vec;
typedef __mmask16 dw_mask;

static inline dw_vec dw_zero(void) { return _mm512_setzero_ps(); }
static inline dw_vec dw_set1(float f) { return _mm512_set1_ps(f); }
static inline dw_vec dw_fma(dw_vec a, dw_vec b, dw_vec c) { return _mm512_fmadd_ps(a, b, c); }
static inline dw_vec dw_add(dw_vec a, dw_vec b) { return _mm512_add_ps(a, b); }
static inline dw_vec dw_mul(dw_vec a, dw_vec b) { return _mm512_mul_ps(a, b); }
/* max(lo, v) first: a NaN in v stays NaN */
static inline dw_vec dw_clamp(dw_vec v, dw_vec lo, dw_vec hi) {
    return _mm512_min_ps(hi, _mm512_max_ps(lo, v));
}
static inline dw_vec dw_prelu(dw_vec v, dw_vec s) {
    return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), v, s);
}
static inline dw_vec dw_loadu(const float *p) { return _mm512_loadu_ps(p); }
static inline void dw_storeu(float *p, dw_vec v) { _mm512_storeu_ps(p, v); }
static inline dw_mask dw_mask_range(int64_t lo, int64_t hi) {
    /* branch-free: bits [max(lo,0), min(hi,16)) */
    unsigned int h = hi >= 16 ? 0xFFFFu : hi <= 0 ? 0u : (1u << hi) - 1u;
    unsigned int l = lo >= 16 ? 0xFFFFu : lo <= 0 ? 0u : (1u << lo) - 1u;
    return (dw_mask)(h & ~l);
}
static inline dw_mask dw_mask_bits(uint32_t bits) { return (dw_mask)bits; }
static inline dw_mask dw_mask_and(dw_mask a, dw_mask b) { return (dw_mask)(a & b); }
static inline dw_vec dw_loadm(const float *p, dw_mask m) { return _mm512_maskz_loadu_ps(m, p); }
static inline void dw_storem(float *p, dw_mask m, dw_vec v) { _mm512_mask_storeu_ps(p, m, v); }
static inline dw_vec dw_load2(const float *p, dw_mask m0, dw_mask m1) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    __m512 a = _mm512_maskz_loadu_ps(m0, p), b = _mm512_maskz_loadu_ps(m1, p + 16);
    return _mm512_permutex2var_ps(a, even, b);
}
static inline dw_vec dw_even(dw_vec a, dw_vec b) {
    const __m512i idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(a, idx, b);
}
static inline dw_vec dw_odd(dw_vec a, dw_vec b) {
    const __m512i idx = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    return _mm512_permutex2var_ps(a, idx, b);
}
static inline dw_vec dw_gather(const float *p, int64_t s, dw_mask m) {
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512i idx = _mm512_mullo_epi32(lane, _mm512_set1_epi32((int)s));
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, p, 4);
}

#include "dwconv_tmpl.h"

#else
void nn_dw_nchw_avx512(const nn_conv_params *p, const float *x, const float *w, const float *b,
                       float *y, int64_t begin, int64_t end, const nn_dw_epi *ex) {
    (void)p; (void)x; (void)w; (void)b; (void)y; (void)begin; (void)end; (void)ex;
}
void nn_dw_nhwc_avx512(const nn_conv_params *p, const float *x, const float *wp, const float *b,
                       float *y, int64_t begin, int64_t end, const nn_dw_epi *ex) {
    (void)p; (void)x; (void)wp; (void)b; (void)y; (void)begin; (void)end; (void)ex;
}
#endif
