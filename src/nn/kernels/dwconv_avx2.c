/*
 * dwconv_avx2.c — depthwise convolution kernels for AVX2+FMA (8 floats per vector; border
 * masks are integer vectors used with vmaskmov, which never touches masked-off memory). The
 * kernels themselves are in dwconv_tmpl.h; this file only defines the vector vocabulary they
 * are written in. Called only when fsift_cpu says AVX2+FMA is usable; no state.
 */
#include "conv_impl.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#define DW_VL 8
#define DW_NV 4
#define DW_PX 8
#define DW_NAME(x) x##_avx2
typedef __m256 dw_vec;
typedef __m256i dw_mask;

static inline dw_vec dw_zero(void) { return _mm256_setzero_ps(); }
static inline dw_vec dw_set1(float f) { return _mm256_set1_ps(f); }
static inline dw_vec dw_fma(dw_vec a, dw_vec b, dw_vec c) { return _mm256_fmadd_ps(a, b, c); }
static inline dw_vec dw_add(dw_vec a, dw_vec b) { return _mm256_add_ps(a, b); }
static inline dw_vec dw_mul(dw_vec a, dw_vec b) { return _mm256_mul_ps(a, b); }
static inline dw_vec dw_clamp(dw_vec v, dw_vec lo, dw_vec hi) {
    return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
}
static inline dw_vec dw_prelu(dw_vec v, dw_vec s) {
    return _mm256_blendv_ps(v, _mm256_mul_ps(v, s), _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
}
static inline dw_vec dw_loadu(const float *p) { return _mm256_loadu_ps(p); }
static inline void dw_storeu(float *p, dw_vec v) { _mm256_storeu_ps(p, v); }
static inline dw_mask dw_mask_range(int64_t lo, int64_t hi) {
    if (lo < 0) lo = 0;
    if (hi > 8) hi = 8;
    if (hi < lo) hi = lo;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i ge = _mm256_cmpgt_epi32(lane, _mm256_set1_epi32((int)lo - 1));
    __m256i lt = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)hi), lane);
    return _mm256_and_si256(ge, lt);
}
static inline dw_mask dw_mask_bits(uint32_t bits) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i b = _mm256_srlv_epi32(_mm256_set1_epi32((int)bits), lane);
    return _mm256_cmpeq_epi32(_mm256_and_si256(b, _mm256_set1_epi32(1)), _mm256_set1_epi32(1));
}
static inline dw_mask dw_mask_and(dw_mask a, dw_mask b) { return _mm256_and_si256(a, b); }
static inline dw_vec dw_loadm(const float *p, dw_mask m) { return _mm256_maskload_ps(p, m); }
static inline void dw_storem(float *p, dw_mask m, dw_vec v) { _mm256_maskstore_ps(p, m, v); }
static inline dw_vec dw_load2(const float *p, dw_mask m0, dw_mask m1) {
    __m256 a = _mm256_maskload_ps(p, m0), b = _mm256_maskload_ps(p + 8, m1);
    /* [a0 a2 b0 b2 a4 a6 b4 b6] -> [a0 a2 a4 a6 b0 b2 b4 b6] */
    __m256 e = _mm256_shuffle_ps(a, b, 0x88);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8));
}
static inline dw_vec dw_even(dw_vec a, dw_vec b) {
    __m256 e = _mm256_shuffle_ps(a, b, 0x88);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8));
}
static inline dw_vec dw_odd(dw_vec a, dw_vec b) {
    __m256 o = _mm256_shuffle_ps(a, b, 0xDD);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xD8));
}
static inline dw_vec dw_gather(const float *p, int64_t s, dw_mask m) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i idx = _mm256_mullo_epi32(lane, _mm256_set1_epi32((int)s));
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), p, idx, _mm256_castsi256_ps(m), 4);
}

#include "dwconv_tmpl.h"

#else
void nn_dw_nchw_avx2(const nn_conv_params *p, const float *x, const float *w, const float *b,
                     float *y, int64_t begin, int64_t end, const nn_dw_epi *ex) {
    (void)p; (void)x; (void)w; (void)b; (void)y; (void)begin; (void)end; (void)ex;
}
void nn_dw_nhwc_avx2(const nn_conv_params *p, const float *x, const float *wp, const float *b,
                     float *y, int64_t begin, int64_t end, const nn_dw_epi *ex) {
    (void)p; (void)x; (void)wp; (void)b; (void)y; (void)begin; (void)end; (void)ex;
}
#endif
