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
 * The direct convolution tile (convk) reads the B operand straight from an NCHW image row
 * (see gemm.h); tiles that touch the left or right border use vmaskmov loads so padding
 * reads as zero, interior tiles plain loads; full interior tiles of 1×1 stride-1
 * convolutions take a loop over channels alone.
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
            if (e->res) v += e->res[i * rs + j * cs];
            if (v < e->lo) v = e->lo;
            if (v > e->hi) v = e->hi;
            if (e->srow && v < 0.f) v *= e->srow[i];
            if (e->scol && v < 0.f) v *= e->scol[j];
            *p = v;
        }
}

static inline __m256i lane_mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Epilogue and store of an mr×nr tile held in x[i] (columns 0..7) and y[i] (8..15). */
static inline __attribute__((always_inline)) void
store_tile(const int mr, const __m256 *x, const __m256 *y, float *c, int64_t rs, int64_t cs,
           int nr, const nn_ukr_epi *e) {
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
    __m256 sc0 = _mm256_setzero_ps(), sc1 = _mm256_setzero_ps();
    if (e->scol) {
        sc0 = _mm256_maskload_ps(e->scol, m0);
        sc1 = _mm256_maskload_ps(e->scol + 8, m1);
    }
    const int prelu = e->srow || e->scol;
    const __m256 zero = _mm256_setzero_ps();
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
            if (e->res) {
                const float *ri = e->res + i * rs;
                if (full) {
                    v0 = _mm256_add_ps(v0, _mm256_loadu_ps(ri));
                    v1 = _mm256_add_ps(v1, _mm256_loadu_ps(ri + 8));
                } else {
                    v0 = _mm256_add_ps(v0, _mm256_maskload_ps(ri, m0));
                    v1 = _mm256_add_ps(v1, _mm256_maskload_ps(ri + 8, m1));
                }
            }
            if (clamp) {
                v0 = _mm256_min_ps(hi, _mm256_max_ps(lo, v0));
                v1 = _mm256_min_ps(hi, _mm256_max_ps(lo, v1));
            }
            if (prelu) {
                __m256 s0 = sc0, s1 = sc1;
                if (e->srow) s0 = s1 = _mm256_broadcast_ss(e->srow + i);
                v0 = _mm256_blendv_ps(v0, _mm256_mul_ps(v0, s0), _mm256_cmp_ps(v0, zero, _CMP_LT_OQ));
                v1 = _mm256_blendv_ps(v1, _mm256_mul_ps(v1, s1), _mm256_cmp_ps(v1, zero, _CMP_LT_OQ));
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
    store_tile(mr, x, y, c, rs, cs, nr, e);
}

/* lanes l (0..7) with lo <= l < hi, as an integer mask vector */
static inline __m256i lane_range(int64_t lo, int64_t hi) {
    if (lo < 0) lo = 0;
    if (hi > 8) hi = 8;
    if (hi < lo) hi = lo;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_and_si256(_mm256_cmpgt_epi32(lane, _mm256_set1_epi32((int)lo - 1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32((int)hi), lane));
}

/* stride-2 deinterleave: the even floats of [a, b] */
static inline __m256 even8(__m256 a, __m256 b) {
    __m256 e = _mm256_shuffle_ps(a, b, 0x88);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8));
}

/* Direct convolution tile (see gemm.h and gemm_avx512.c); `edge` selects masked loads for
 * tiles that touch the left or right border. */
static inline __attribute__((always_inline)) void convk_body(const int mr, const int edge,
                                                             const int half, const nn_convk_args *a) {
    __m256 x[MR], y[MR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++)
        if (i < mr) {
            x[i] = _mm256_setzero_ps();
            y[i] = _mm256_setzero_ps();
        }
    const int64_t W = a->W, H = a->H, kw = a->kw, sw = a->sw;
    __m256i mk[NN_CONVK_MAX_KW][4];
    if (edge)
        for (int64_t kx = 0; kx < kw; kx++) {
            int64_t ix = a->ix0 + kx * a->dw;
            for (int q = 0; q < 4; q++) mk[kx][q] = lane_range(-ix - 8 * q, W - ix - 8 * q);
        }
    const float *pa = a->pa;
    for (int64_t ch = 0; ch < a->C; ch++) {
        const float *plane = a->x + ch * H * W;
        for (int64_t ky = 0; ky < a->kh; ky++) {
            const int64_t iy = a->iy0 + ky * a->dh;
            if (iy < 0 || iy >= H) {
                pa += kw * MR;
                continue;
            }
            const float *row = plane + iy * W + a->ix0;
            for (int64_t kx = 0; kx < kw; kx++) {
                const float *p = row + kx * a->dw;
                __m256 b0, b1;
                if (sw == 1) {
                    if (edge) {
                        b0 = _mm256_maskload_ps(p, mk[kx][0]);
                        b1 = half ? b0 : _mm256_maskload_ps(p + 8, mk[kx][1]);
                    } else {
                        b0 = _mm256_loadu_ps(p);
                        b1 = half ? b0 : _mm256_loadu_ps(p + 8);
                    }
                } else {
                    __m256 q0, q1, q2 = _mm256_setzero_ps(), q3 = _mm256_setzero_ps();
                    if (edge) {
                        q0 = _mm256_maskload_ps(p, mk[kx][0]);
                        q1 = _mm256_maskload_ps(p + 8, mk[kx][1]);
                        if (!half) {
                            q2 = _mm256_maskload_ps(p + 16, mk[kx][2]);
                            q3 = _mm256_maskload_ps(p + 24, mk[kx][3]);
                        }
                    } else {
                        q0 = _mm256_loadu_ps(p);
                        q1 = _mm256_loadu_ps(p + 8);
                        q2 = _mm256_loadu_ps(p + 16);
                        q3 = _mm256_loadu_ps(p + 24);
                    }
                    b0 = even8(q0, q1);
                    b1 = half ? b0 : even8(q2, q3);
                }
#pragma GCC unroll 6
                for (int i = 0; i < MR; i++)
                    if (i < mr) {
                        __m256 av = _mm256_broadcast_ss(pa + i);
                        x[i] = _mm256_fmadd_ps(av, b0, x[i]);
                        if (!half) y[i] = _mm256_fmadd_ps(av, b1, y[i]);
                    }
                pa += MR;
            }
        }
    }
    store_tile(mr, x, y, a->c, a->rs, 1, a->nr, &a->e);
}

/* The direct tile of a 1×1 stride-1 convolution whose 16 pixels all lie inside the row (the
 * common pointwise case): per input channel two plain loads, no masks or tap loops. */
static inline __attribute__((always_inline)) void convk_1x1_body(const int mr, const nn_convk_args *a) {
    __m256 x[MR], y[MR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++)
        if (i < mr) {
            x[i] = _mm256_setzero_ps();
            y[i] = _mm256_setzero_ps();
        }
    const int64_t plane = a->H * a->W;
    const float *p = a->x + a->iy0 * a->W + a->ix0, *pa = a->pa;
    for (int64_t ch = 0; ch < a->C; ch++, p += plane, pa += MR) {
        const __m256 b0 = _mm256_loadu_ps(p), b1 = _mm256_loadu_ps(p + 8);
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++)
            if (i < mr) {
                __m256 av = _mm256_broadcast_ss(pa + i);
                x[i] = _mm256_fmadd_ps(av, b0, x[i]);
                y[i] = _mm256_fmadd_ps(av, b1, y[i]);
            }
    }
    store_tile(mr, x, y, a->c, a->rs, 1, a->nr, &a->e);
}

/* Indirect GEMM tile (see gemm.h): A values are broadcast straight from the pixels. */
static inline __attribute__((always_inline)) void ind_body(const int mr, const nn_ind_args *a) {
    __m256 x[MR], y[MR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++)
        if (i < mr) {
            x[i] = _mm256_setzero_ps();
            y[i] = _mm256_setzero_ps();
        }
    const float *pb = a->pb;
    const int64_t C = a->C, cstride = a->cstride;
    for (int64_t t = 0; t < a->taps; t++) {
        const float *r[MR];
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++)
            if (i < mr) r[i] = a->rows[t * MR + i];
        for (int64_t ch = 0, o = 0; ch < C; ch++, o += cstride) {
            __m256 b0 = _mm256_loadu_ps(pb), b1 = _mm256_loadu_ps(pb + NR / 2);
#pragma GCC unroll 6
            for (int i = 0; i < MR; i++)
                if (i < mr) {
                    __m256 av = _mm256_broadcast_ss(r[i] + o);
                    x[i] = _mm256_fmadd_ps(av, b0, x[i]);
                    y[i] = _mm256_fmadd_ps(av, b1, y[i]);
                }
            pb += NR;
        }
    }
    store_tile(mr, x, y, a->c, a->rs, a->cs, a->nr, &a->e);
}

/* Row-vector product over up to NN_GEMV_PANELS panels (see gemm.h): per k, one broadcast of
 * a[k] and two FMAs per panel, every panel its own pair of accumulator chains and its own
 * sequential weight stream. */
static inline __attribute__((always_inline)) void gemv_body(const int np, const nn_gemv_args *g) {
    __m256 x[NN_GEMV_PANELS], y[NN_GEMV_PANELS];
    const float *p[NN_GEMV_PANELS];
#pragma GCC unroll 8
    for (int q = 0; q < NN_GEMV_PANELS; q++)
        if (q < np) {
            x[q] = _mm256_setzero_ps();
            y[q] = _mm256_setzero_ps();
            p[q] = g->pb + q * g->pstride;
        }
    const float *a = g->a;
    for (int64_t k = 0; k < g->K; k++) {
        const __m256 av = _mm256_set1_ps(a[k]);
#pragma GCC unroll 8
        for (int q = 0; q < NN_GEMV_PANELS; q++)
            if (q < np) {
                x[q] = _mm256_fmadd_ps(av, _mm256_loadu_ps(p[q] + k * NR), x[q]);
                y[q] = _mm256_fmadd_ps(av, _mm256_loadu_ps(p[q] + k * NR + NR / 2), y[q]);
            }
    }
#pragma GCC unroll 8
    for (int q = 0; q < NN_GEMV_PANELS; q++)
        if (q < np) {
            nn_ukr_epi e = g->e;
            if (e.bcol) e.bcol += q * NR;
            if (e.scol) e.scol += q * NR;
            if (e.res) e.res += q * NR;
            store_tile(1, &x[q], &y[q], g->c + q * NR, 0, 1, q == np - 1 ? g->nr : NR, &e);
        }
}

static void gemv_1(const nn_gemv_args *g) { gemv_body(1, g); }
static void gemv_2(const nn_gemv_args *g) { gemv_body(2, g); }
static void gemv_3(const nn_gemv_args *g) { gemv_body(3, g); }
static void gemv_4(const nn_gemv_args *g) { gemv_body(4, g); }

/* 16 ymm registers hold the accumulators of at most 4 panels (8 chains + a and a load): more
 * panels go 4 at a time. */
static void gemv_avx2(const nn_gemv_args *g) {
    static const nn_gemv_fn tab[4] = {gemv_1, gemv_2, gemv_3, gemv_4};
    nn_gemv_args h = *g;
    for (int q0 = 0; q0 < g->np; q0 += 4) {
        h.np = g->np - q0 < 4 ? g->np - q0 : 4;
        h.nr = q0 + h.np == g->np ? g->nr : NR;
        h.pb = g->pb + q0 * g->pstride;
        h.c = g->c + q0 * NR;
        h.e = g->e;
        if (h.e.bcol) h.e.bcol += q0 * NR;
        if (h.e.scol) h.e.scol += q0 * NR;
        if (h.e.res) h.e.res += q0 * NR;
        tab[h.np - 1](&h);
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

#define IND(n) \
    static void ind_##n(const nn_ind_args *a) { ind_body(n, a); }
IND(1) IND(2) IND(3) IND(4) IND(5) IND(6)

static const nn_ukr_ind_fn ind_table[MR] = {ind_1, ind_2, ind_3, ind_4, ind_5, ind_6};

static void ukr_ind_avx2(const nn_ind_args *a) { ind_table[a->mr - 1](a); }

#define CONVK(n)                                                                             \
    static void convk_##n(const nn_convk_args *a) { convk_body(n, 0, 0, a); }               \
    static void convk_edge_##n(const nn_convk_args *a) { convk_body(n, 1, 0, a); }          \
    static void convk_half_##n(const nn_convk_args *a) { convk_body(n, 1, 1, a); }
CONVK(1) CONVK(2) CONVK(3) CONVK(4) CONVK(5) CONVK(6)

static const nn_convk_fn convk_table[3][MR] = {
    {convk_1, convk_2, convk_3, convk_4, convk_5, convk_6},
    {convk_edge_1, convk_edge_2, convk_edge_3, convk_edge_4, convk_edge_5, convk_edge_6},
    {convk_half_1, convk_half_2, convk_half_3, convk_half_4, convk_half_5, convk_half_6}};

#define CONVK1(n) \
    static void convk1_##n(const nn_convk_args *a) { convk_1x1_body(n, a); }
CONVK1(1) CONVK1(2) CONVK1(3) CONVK1(4) CONVK1(5) CONVK1(6)

static const nn_convk_fn convk1_table[MR] = {convk1_1, convk1_2, convk1_3, convk1_4, convk1_5, convk1_6};

static void convk_avx2(const nn_convk_args *a) {
    if (a->kh == 1 && a->kw == 1 && a->sw == 1 && a->nr == NR && a->ix0 >= 0 && a->ix0 + NR <= a->W &&
        a->iy0 >= 0 && a->iy0 < a->H) {
        convk1_table[a->mr - 1](a);
        return;
    }
    /* interior: every tap of all NR pixels inside the row */
    const int64_t span = (NR - 1) * a->sw + (a->kw - 1) * a->dw + 1 + (a->sw == 2 ? 1 : 0);
    const int edge = a->ix0 < 0 || a->ix0 + span > a->W;
    convk_table[a->nr <= 8 ? 2 : edge][a->mr - 1](a); /* row tails of <= 8 pixels: one vector */
}

const nn_gemm_kernel nn_gemm_kernel_avx2 = {NN_ISA_AVX2, MR, NR, ukr_avx2, convk_avx2, NR, ukr_ind_avx2, gemv_avx2};

#else
const nn_gemm_kernel nn_gemm_kernel_avx2 = {NN_ISA_AVX2, 6, 16, 0, 0, 16, 0, 0};
#endif
