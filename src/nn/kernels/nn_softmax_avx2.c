/*
 * nn_softmax_avx2.c — AVX2+FMA exponentials for Softmax/LogSoftmax (nn_softmax.c calls these
 * when fsift_cpu reports avx2_fma; the build compiles *_avx2.c files with -mavx2 -mfma).
 *
 * exp(v) = 2^k * p(r) with k = round(v / ln 2) and r = v - k ln 2 (ln 2 split in two parts
 * for an exact product), p the degree-7 Cephes polynomial on |r| <= ln2/2: relative error
 * about 2e-7, against expf's 1 ulp. v is clamped to [-87.3, 88.38] so 2^k stays a normal
 * float (an input of -inf, a masked attention score, yields ~1e-38 rather than 0, which no
 * normalised sum can tell apart); NaN passes through. Tails use masked loads and stores, so
 * every element takes the same vector path.
 */
#include <immintrin.h>

#include "nn_group.h"

static inline __m256 exp_ps(__m256 v) {
    const __m256 lo = _mm256_set1_ps(-87.3f), hi = _mm256_set1_ps(88.3762f);
    v = _mm256_max_ps(lo, v); /* operand order: a NaN in v is returned unchanged */
    v = _mm256_min_ps(hi, v);
    __m256 k = _mm256_round_ps(_mm256_mul_ps(v, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), v);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.f)));
    __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127));
    e = _mm256_slli_epi32(e, 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

static inline __m256i tail_mask(int64_t left) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)left), idx);
}

static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

float nn_max_scaled_avx2(const float *x, int64_t n, float beta) {
    const __m256 b = _mm256_set1_ps(beta);
    __m256 m = _mm256_set1_ps(-INFINITY);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) m = _mm256_max_ps(_mm256_mul_ps(b, _mm256_loadu_ps(x + i)), m);
    float out[8];
    _mm256_storeu_ps(out, m);
    float r = -INFINITY;
    for (int j = 0; j < 8; j++) r = out[j] > r ? out[j] : r;
    for (; i < n; i++) r = beta * x[i] > r ? beta * x[i] : r;
    return r;
}

float nn_exp_row_avx2(float *y, const float *x, int64_t n, float beta, float m, int store) {
    const __m256 b = _mm256_set1_ps(beta), mv = _mm256_set1_ps(m);
    __m256 sum = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = exp_ps(_mm256_fmsub_ps(b, _mm256_loadu_ps(x + i), mv));
        if (store) _mm256_storeu_ps(y + i, e);
        sum = _mm256_add_ps(sum, e);
    }
    if (i < n) {
        __m256i mask = tail_mask(n - i);
        __m256 e = exp_ps(_mm256_fmsub_ps(b, _mm256_maskload_ps(x + i, mask), mv));
        e = _mm256_and_ps(e, _mm256_castsi256_ps(mask));
        if (store) _mm256_maskstore_ps(y + i, mask, e);
        sum = _mm256_add_ps(sum, e);
    }
    return hsum(sum);
}

void nn_exp_cols_avx2(float *y, const float *x, int64_t n, float beta, const float *m,
                      float *sum, int store) {
    const __m256 b = _mm256_set1_ps(beta);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 e = exp_ps(_mm256_fmsub_ps(b, _mm256_loadu_ps(x + j), _mm256_loadu_ps(m + j)));
        if (store) _mm256_storeu_ps(y + j, e);
        _mm256_storeu_ps(sum + j, _mm256_add_ps(_mm256_loadu_ps(sum + j), e));
    }
    if (j < n) {
        __m256i mask = tail_mask(n - j);
        __m256 e = exp_ps(_mm256_fmsub_ps(b, _mm256_maskload_ps(x + j, mask),
                                          _mm256_maskload_ps(m + j, mask)));
        if (store) _mm256_maskstore_ps(y + j, mask, e);
        _mm256_maskstore_ps(sum + j, mask, _mm256_add_ps(_mm256_maskload_ps(sum + j, mask), e));
    }
}
