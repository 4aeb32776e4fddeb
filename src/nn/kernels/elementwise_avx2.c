/*
 * elementwise_avx2.c — AVX2+FMA versions of the transcendental elementwise kernels that
 * dominate transformer MLPs: Erf and Gelu (erf form), Exp and Sigmoid (QuickGELU is
 * x * Sigmoid(1.702 x)). Compiled with -mavx2 -mfma (CMake, by file name) and called only
 * when fsift_cpu_get() reports AVX2+FMA (elementwise_unary.c dispatches).
 *
 * erf: the rational approximation of elementwise_unary.c's erf_fast (x * P(x^2) / Q(x^2) on
 * |x| <= 3.925, ±1 beyond), evaluated with FMA; about 4e-7 relative error.
 * exp: x = n ln2 + r with |r| <= ln2/2 (Cody–Waite split of ln2), e^r by its degree-7 Taylor
 * polynomial (truncation below 1e-8 relative), times 2^n built in the exponent bits, as
 * 2 * 2^(n-1) so that n = 128 does not overflow the bit trick; x > ln(FLT_MAX) gives +inf,
 * x < -87.3 gives 0 (float32's subnormal range is flushed), NaN stays NaN. About 2 ulp.
 * Tails (n % 8 elements) go through the same vector code via a small buffer, so every
 * element gets the same result whatever the split across threads.
 *
 * Threading: pure functions of their inputs.
 */
#include <immintrin.h>
#include <string.h>

#include "elementwise.h"

static inline __m256 erf8(__m256 x) {
    const __m256 lim = _mm256_set1_ps(3.925f);
    /* operand order keeps NaN: max/min return the second operand when one is NaN */
    __m256 c = _mm256_min_ps(lim, _mm256_max_ps(_mm256_sub_ps(_mm256_setzero_ps(), lim), x));
    __m256 t = _mm256_mul_ps(c, c);
    __m256 p = _mm256_set1_ps(1.9869331069344298e-08f);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.9566050468711182e-06f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.4217616990208626e-04f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(3.7193864118307830e-03f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(5.0631865859031677e-02f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(2.0036992430686951e-01f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.1283791065216064e+00f));
    __m256 q = _mm256_set1_ps(9.6001732163131240e-04f);
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(1.4390445314347744e-02f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(1.1518197506666183e-01f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(5.1090484857559204e-01f));
    q = _mm256_fmadd_ps(q, t, _mm256_set1_ps(1.0f));
    __m256 r = _mm256_div_ps(_mm256_mul_ps(c, p), q);
    /* |x| >= lim: exactly ±1 */
    const __m256 sign = _mm256_set1_ps(-0.f);
    __m256 ax = _mm256_andnot_ps(sign, x);
    __m256 one = _mm256_or_ps(_mm256_and_ps(sign, x), _mm256_set1_ps(1.f));
    return _mm256_blendv_ps(r, one, _mm256_cmp_ps(ax, lim, _CMP_GE_OQ));
}

static inline __m256 exp8(__m256 x) {
    const __m256 hi = _mm256_set1_ps(88.72283f), lo = _mm256_set1_ps(-87.3f); /* ln(FLT_MAX) */
    __m256 c = _mm256_min_ps(hi, _mm256_max_ps(lo, x)); /* NaN kept */
    __m256 n = _mm256_round_ps(_mm256_mul_ps(c, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    /* r = c - n ln2 in two steps (ln2 = 0.693359375 - 2.12194440e-4) */
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), c);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.f / 5040.f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 720.f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 120.f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 24.f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 6.f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
    /* 2^(n-1) from the exponent bits (n - 1 in [-127, 127]; NaN lanes are fixed below) */
    __m256i e = _mm256_cvtps_epi32(_mm256_sub_ps(n, _mm256_set1_ps(1.f)));
    e = _mm256_slli_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(127)), 23);
    __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, _mm256_set1_ps(2.f)), _mm256_castsi256_ps(e));
    y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
    y = _mm256_blendv_ps(y, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

static inline __m256 gelu8(__m256 x) {
    __m256 e = erf8(_mm256_mul_ps(x, _mm256_set1_ps(0.70710678f)));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_add_ps(_mm256_set1_ps(1.f), e));
}

static inline __m256 sigmoid8(__m256 x) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_add_ps(_mm256_set1_ps(1.f), e));
}

#define MAP8(name, F)                                                                        \
    void name(const float *x, float *y, int64_t n) {                                         \
        int64_t i = 0;                                                                       \
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, F(_mm256_loadu_ps(x + i)));       \
        if (i < n) {                                                                         \
            float buf[8] = {0};                                                              \
            memcpy(buf, x + i, sizeof(float) * (size_t)(n - i));                             \
            _mm256_storeu_ps(buf, F(_mm256_loadu_ps(buf)));                                  \
            memcpy(y + i, buf, sizeof(float) * (size_t)(n - i));                             \
        }                                                                                    \
    }

MAP8(nn_ew_erf_avx2, erf8)
MAP8(nn_ew_gelu_avx2, gelu8)
MAP8(nn_ew_exp_avx2, exp8)
MAP8(nn_ew_sigmoid_avx2, sigmoid8)
