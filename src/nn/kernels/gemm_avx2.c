/*
 * gemm_avx2.c — the AVX2+FMA SGEMM micro-kernel: a 6×16 tile of C in 12 ymm registers.
 *
 * Each k step loads one 16-float row of the packed B panel (two ymm), broadcasts 6 values of
 * the packed A panel and issues 12 FMAs; 12 accumulators + 2 B vectors + 1 broadcast fit the
 * 16 ymm registers. The body is always inlined with a compile-time row count and
 * instantiated for mr = 1..6. Right-edge tiles use AVX2 masked loads/stores; a C with
 * non-unit column stride goes through a tile buffer and a scalar epilogue doing the same
 * operations in the same order.
 *
 * Compiled with -mavx2 -mfma (CMake's rule for *_avx2.c); called only when fsift_cpu says
 * AVX2+FMA is usable. Thread-safe: no state.
 */
#include "gemm.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#define MR 6
#define NR 16

static void epi_scalar(const float *tile, int mr, int nr, float *c, int64_t rs, int64_t cs,
                       const nn_ukr_epi *e) {
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) {
            float *p = c + i * rs + j * cs;
            float v = tile[i * NR + j] * e->alpha;
            if (e->load_c) v += *p;
            if (e->brow) v += e->brow[i];
            if (e->bcol) v += e->bcol[j];
            if (v < e->lo) v = e->lo;
            if (v > e->hi) v = e->hi;
            *p = v;
        }
}

static inline __m256i lane_mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline __attribute__((always_inline)) void
ukr_body(const int mr, int64_t kc, const float *pa, const float *pb, float *c, int64_t rs,
         int64_t cs, int nr, const nn_ukr_epi *e) {
    __m256 x[MR], y[MR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++)
        if (i < mr) {
            x[i] = _mm256_setzero_ps();
            y[i] = _mm256_setzero_ps();
        }
    for (int64_t k = 0; k < kc; k++) {
        __m256 b0 = _mm256_loadu_ps(pb), b1 = _mm256_loadu_ps(pb + 8);
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++)
            if (i < mr) {
                __m256 a = _mm256_broadcast_ss(pa + i);
                x[i] = _mm256_fmadd_ps(a, b0, x[i]);
                y[i] = _mm256_fmadd_ps(a, b1, y[i]);
            }
        pa += MR;
        pb += NR;
    }
    if (cs != 1) {
        float tile[MR * NR];
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++)
            if (i < mr) {
                _mm256_storeu_ps(tile + i * NR, x[i]);
                _mm256_storeu_ps(tile + i * NR + 8, y[i]);
            }
        epi_scalar(tile, mr, nr, c, rs, cs, e);
        return;
    }
    const int full = nr == NR;
    const __m256i m0 = lane_mask(nr), m1 = lane_mask(nr - 8);
    const __m256 va = _mm256_set1_ps(e->alpha);
    const int clamp = e->lo > -INFINITY || e->hi < INFINITY;
    const __m256 lo = _mm256_set1_ps(e->lo), hi = _mm256_set1_ps(e->hi);
    __m256 bc0 = _mm256_setzero_ps(), bc1 = _mm256_setzero_ps();
    if (e->bcol) {
        bc0 = _mm256_maskload_ps(e->bcol, m0);
        bc1 = _mm256_maskload_ps(e->bcol + 8, m1);
    }
    const int alpha1 = e->alpha == 1.f;
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++)
        if (i < mr) {
            float *ci = c + i * rs;
            __m256 v0 = x[i], v1 = y[i];
            if (!alpha1) {
                v0 = _mm256_mul_ps(v0, va);
                v1 = _mm256_mul_ps(v1, va);
            }
            if (e->load_c) {
                if (full) {
                    v0 = _mm256_add_ps(v0, _mm256_loadu_ps(ci));
                    v1 = _mm256_add_ps(v1, _mm256_loadu_ps(ci + 8));
                } else {
                    v0 = _mm256_add_ps(v0, _mm256_maskload_ps(ci, m0));
                    v1 = _mm256_add_ps(v1, _mm256_maskload_ps(ci + 8, m1));
                }
            }
            if (e->brow) {
                __m256 b = _mm256_broadcast_ss(e->brow + i);
                v0 = _mm256_add_ps(v0, b);
                v1 = _mm256_add_ps(v1, b);
            }
            if (e->bcol) {
                v0 = _mm256_add_ps(v0, bc0);
                v1 = _mm256_add_ps(v1, bc1);
            }
            if (clamp) {
                v0 = _mm256_min_ps(hi, _mm256_max_ps(lo, v0));
                v1 = _mm256_min_ps(hi, _mm256_max_ps(lo, v1));
            }
            if (full) {
                _mm256_storeu_ps(ci, v0);
                _mm256_storeu_ps(ci + 8, v1);
            } else {
                _mm256_maskstore_ps(ci, m0, v0);
                _mm256_maskstore_ps(ci + 8, m1, v1);
            }
        }
}

#define UKR(n)                                                                               \
    static void ukr_##n(int64_t kc, const float *pa, const float *pb, float *c, int64_t rs,  \
                        int64_t cs, int nr, const nn_ukr_epi *e) {                           \
        ukr_body(n, kc, pa, pb, c, rs, cs, nr, e);                                           \
    }
UKR(1) UKR(2) UKR(3) UKR(4) UKR(5) UKR(6)

typedef void (*ukr_n_fn)(int64_t, const float *, const float *, float *, int64_t, int64_t, int,
                         const nn_ukr_epi *);
static const ukr_n_fn ukr_table[MR] = {ukr_1, ukr_2, ukr_3, ukr_4, ukr_5, ukr_6};

static void ukr_avx2(int64_t kc, const float *pa, const float *pb, float *c, int64_t rs,
                     int64_t cs, int mr, int nr, const nn_ukr_epi *e) {
    ukr_table[mr - 1](kc, pa, pb, c, rs, cs, nr, e);
}

const nn_gemm_kernel nn_gemm_kernel_avx2 = {NN_ISA_AVX2, MR, NR, ukr_avx2};

#else
const nn_gemm_kernel nn_gemm_kernel_avx2 = {NN_ISA_AVX2, 6, 16, 0};
#endif
