/*
 * gemm_avx512.c — the AVX-512 SGEMM micro-kernel: a 14×32 tile of C in 28 zmm registers.
 *
 * Each k step loads one 32-float row of the packed B panel (two zmm) and broadcasts the 14
 * values of the packed A panel (folded into the FMAs as embedded broadcasts), i.e. 28 FMAs
 * for 2 vector loads + 14 scalar loads. One body, always inlined with a compile-time row
 * count, is instantiated for every mr in 1..14, so bottom-edge tiles cost only their rows.
 * Right-edge tiles (nr < 32) use masked loads/stores of C; a C with non-unit column stride
 * (a transposed store) goes through a small tile buffer and a scalar epilogue that performs
 * the same operations in the same order, so results do not depend on the path.
 *
 * The direct convolution tile (convk) is the same register tile with the B operand read
 * straight from an NCHW image row instead of a packed panel: per tap, two (stride 1) or four
 * (stride 2, then a permute keeps the even pixels) loads masked to the image's columns, so
 * padding costs nothing and no im2col copy is made. Full tiles of 1×1 and 3×3 stride-1
 * convolutions whose taps all lie inside the image take plain loops with unmasked loads.
 *
 * Compiled with -mavx512f… (CMake's rule for *_avx512.c); called only when fsift_cpu says
 * AVX-512 is usable. Thread-safe: no state.
 */
#include "gemm.h"

#if defined(__AVX512F__) && defined(__FMA__)
#include <immintrin.h>

#define MR 14
#define NR 32

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

/* Epilogue and store of an mr×nr tile held in x[i] (columns 0..15) and y[i] (16..31). */
static inline __attribute__((always_inline)) void
store_tile(const int mr, const __m512 *x, const __m512 *y, float *c, int64_t rs, int64_t cs,
           int nr, const nn_ukr_epi *e) {
    if (cs != 1) {
        float tile[MR * NR];
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++)
            if (i < mr) {
                _mm512_storeu_ps(tile + i * NR, x[i]);
                _mm512_storeu_ps(tile + i * NR + 16, y[i]);
            }
        epi_scalar(tile, mr, nr, c, rs, cs, e);
        return;
    }
    __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1u);
    __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1u) : 0;
    const __m512 va = _mm512_set1_ps(e->alpha);
    const int clamp = e->lo > -INFINITY || e->hi < INFINITY;
    const __m512 lo = _mm512_set1_ps(e->lo), hi = _mm512_set1_ps(e->hi);
    __m512 bc0 = _mm512_setzero_ps(), bc1 = _mm512_setzero_ps();
    if (e->bcol) {
        bc0 = _mm512_maskz_loadu_ps(m0, e->bcol);
        bc1 = _mm512_maskz_loadu_ps(m1, e->bcol + 16);
    }
    __m512 sc0 = _mm512_setzero_ps(), sc1 = _mm512_setzero_ps();
    if (e->scol) {
        sc0 = _mm512_maskz_loadu_ps(m0, e->scol);
        sc1 = _mm512_maskz_loadu_ps(m1, e->scol + 16);
    }
    const int prelu = e->srow || e->scol;
    const __m512 zero = _mm512_setzero_ps();
    const int alpha1 = e->alpha == 1.f;
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++)
        if (i < mr) {
            float *ci = c + i * rs;
            __m512 v0 = x[i], v1 = y[i];
            if (!alpha1) {
                v0 = _mm512_mul_ps(v0, va);
                v1 = _mm512_mul_ps(v1, va);
            }
            if (e->load_c) {
                v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, ci));
                v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, ci + 16));
            }
            if (e->brow) {
                __m512 b = _mm512_set1_ps(e->brow[i]);
                v0 = _mm512_add_ps(v0, b);
                v1 = _mm512_add_ps(v1, b);
            }
            if (e->bcol) {
                v0 = _mm512_add_ps(v0, bc0);
                v1 = _mm512_add_ps(v1, bc1);
            }
            if (e->res) {
                const float *ri = e->res + i * rs;
                v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, ri));
                v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, ri + 16));
            }
            if (clamp) {
                /* max(lo, v): a NaN in v stays NaN */
                v0 = _mm512_min_ps(hi, _mm512_max_ps(lo, v0));
                v1 = _mm512_min_ps(hi, _mm512_max_ps(lo, v1));
            }
            if (prelu) {
                __m512 s0 = sc0, s1 = sc1;
                if (e->srow) s0 = s1 = _mm512_set1_ps(e->srow[i]);
                v0 = _mm512_mask_mul_ps(v0, _mm512_cmp_ps_mask(v0, zero, _CMP_LT_OQ), v0, s0);
                v1 = _mm512_mask_mul_ps(v1, _mm512_cmp_ps_mask(v1, zero, _CMP_LT_OQ), v1, s1);
            }
            _mm512_mask_storeu_ps(ci, m0, v0);
            _mm512_mask_storeu_ps(ci + 16, m1, v1);
        }
}

static inline __attribute__((always_inline)) void
ukr_body(const int mr, int64_t kc, const float *pa, const float *pb, float *c, int64_t rs,
         int64_t cs, int nr, const nn_ukr_epi *e) {
    __m512 x[MR], y[MR];
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++)
        if (i < mr) {
            x[i] = _mm512_setzero_ps();
            y[i] = _mm512_setzero_ps();
        }
    for (int64_t k = 0; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(pb), b1 = _mm512_loadu_ps(pb + 16);
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++)
            if (i < mr) {
                __m512 a = _mm512_set1_ps(pa[i]);
                x[i] = _mm512_fmadd_ps(a, b0, x[i]);
                y[i] = _mm512_fmadd_ps(a, b1, y[i]);
            }
        pa += MR;
        pb += NR;
    }
    store_tile(mr, x, y, c, rs, cs, nr, e);
}

/* lanes l (0..15) with lo <= l < hi */
static inline __mmask16 lane_range(int64_t lo, int64_t hi) {
    if (lo < 0) lo = 0;
    if (hi > 16) hi = 16;
    if (hi <= lo) return 0;
    return (__mmask16)((hi >= 16 ? 0xFFFFu : (1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/* Direct convolution tile (see gemm.h): the k loop walks (c, ky, kx) and loads the 32 input
 * pixels of each tap straight from the image row, masked to the image. Stride 2 loads 64
 * consecutive floats and keeps the even ones. */
static inline __attribute__((always_inline)) void convk_body(const int mr, const int half,
                                                             const nn_convk_args *a) {
    __m512 x[MR], y[MR];
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++)
        if (i < mr) {
            x[i] = _mm512_setzero_ps();
            y[i] = _mm512_setzero_ps();
        }
    const int64_t W = a->W, H = a->H, kw = a->kw, sw = a->sw;
    __mmask16 mk[NN_CONVK_MAX_KW][4];
    for (int64_t kx = 0; kx < kw; kx++) {
        int64_t ix = a->ix0 + kx * a->dw;
        for (int q = 0; q < 4; q++) mk[kx][q] = lane_range(-ix - 16 * q, W - ix - 16 * q);
    }
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
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
                __m512 b0, b1;
                if (sw == 1) {
                    b0 = _mm512_maskz_loadu_ps(mk[kx][0], p);
                    b1 = half ? b0 : _mm512_maskz_loadu_ps(mk[kx][1], p + 16);
                } else {
                    __m512 q0 = _mm512_maskz_loadu_ps(mk[kx][0], p), q1 = _mm512_maskz_loadu_ps(mk[kx][1], p + 16);
                    b0 = _mm512_permutex2var_ps(q0, even, q1);
                    if (half) {
                        b1 = b0;
                    } else {
                        __m512 q2 = _mm512_maskz_loadu_ps(mk[kx][2], p + 32);
                        __m512 q3 = _mm512_maskz_loadu_ps(mk[kx][3], p + 48);
                        b1 = _mm512_permutex2var_ps(q2, even, q3);
                    }
                }
#pragma GCC unroll 14
                for (int i = 0; i < MR; i++)
                    if (i < mr) {
                        __m512 av = _mm512_set1_ps(pa[i]);
                        x[i] = _mm512_fmadd_ps(av, b0, x[i]);
                        if (!half) y[i] = _mm512_fmadd_ps(av, b1, y[i]);
                    }
                pa += MR;
            }
        }
    }
    store_tile(mr, x, y, a->c, a->rs, 1, a->nr, &a->e); /* y is ignored when nr <= 16 */
}

/* The direct tile of a 1×1 stride-1 convolution whose 32 pixels all lie inside the row (the
 * common pointwise case): per input channel two plain loads, no masks or tap loops. */
static inline __attribute__((always_inline)) void convk_1x1_body(const int mr, const nn_convk_args *a) {
    __m512 x[MR], y[MR];
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++)
        if (i < mr) {
            x[i] = _mm512_setzero_ps();
            y[i] = _mm512_setzero_ps();
        }
    const int64_t plane = a->H * a->W;
    const float *p = a->x + a->iy0 * a->W + a->ix0, *pa = a->pa;
    for (int64_t ch = 0; ch < a->C; ch++, p += plane, pa += MR) {
        const __m512 b0 = _mm512_loadu_ps(p), b1 = _mm512_loadu_ps(p + 16);
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++)
            if (i < mr) {
                __m512 av = _mm512_set1_ps(pa[i]);
                x[i] = _mm512_fmadd_ps(av, b0, x[i]);
                y[i] = _mm512_fmadd_ps(av, b1, y[i]);
            }
    }
    store_tile(mr, x, y, a->c, a->rs, 1, a->nr, &a->e);
}

/* The direct tile of a 3×3 stride-1 convolution (dilation 1) whose taps all lie inside the
 * image: per input channel nine taps of two plain loads each, unrolled. */
static inline __attribute__((always_inline)) void convk_3x3_body(const int mr, const nn_convk_args *a) {
    __m512 x[MR], y[MR];
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++)
        if (i < mr) {
            x[i] = _mm512_setzero_ps();
            y[i] = _mm512_setzero_ps();
        }
    const int64_t W = a->W, plane = a->H * W;
    const float *p = a->x + a->iy0 * W + a->ix0, *pa = a->pa;
    for (int64_t ch = 0; ch < a->C; ch++, p += plane) {
#pragma GCC unroll 3
        for (int ky = 0; ky < 3; ky++)
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++, pa += MR) {
                const float *q = p + ky * W + kx;
                const __m512 b0 = _mm512_loadu_ps(q), b1 = _mm512_loadu_ps(q + 16);
#pragma GCC unroll 14
                for (int i = 0; i < MR; i++)
                    if (i < mr) {
                        __m512 av = _mm512_set1_ps(pa[i]);
                        x[i] = _mm512_fmadd_ps(av, b0, x[i]);
                        y[i] = _mm512_fmadd_ps(av, b1, y[i]);
                    }
            }
    }
    store_tile(mr, x, y, a->c, a->rs, 1, a->nr, &a->e);
}

/* Indirect GEMM tile (see gemm.h): A values are broadcast straight from the pixels. width 0:
 * the full 32 columns; 1 (nr <= 16, e.g. the 10 or 16 output channels of MTCNN's P-Net): only
 * the first vector of each row, half the FMAs; 2 (nr <= 8, e.g. P-Net's 2- and 4-channel 1x1
 * heads): 256-bit accumulators, which cores that split 512-bit FMAs in two (AMD Zen 4) run
 * at twice the rate. */
static inline __attribute__((always_inline)) void ind_body(const int mr, const int width, const nn_ind_args *a) {
    __m512 x[MR], y[MR];
    __m256 q[MR];
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++)
        if (i < mr) {
            if (width == 2) q[i] = _mm256_setzero_ps();
            else x[i] = _mm512_setzero_ps();
            if (width == 0) y[i] = _mm512_setzero_ps();
        }
    const float *pb = a->pb;
    const int64_t C = a->C, cstride = a->cstride;
    for (int64_t t = 0; t < a->taps; t++) {
        const float *r[MR];
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++)
            if (i < mr) r[i] = a->rows[t * MR + i];
        for (int64_t ch = 0, o = 0; ch < C; ch++, o += cstride) {
            if (width == 2) {
                const __m256 b = _mm256_loadu_ps(pb);
#pragma GCC unroll 14
                for (int i = 0; i < MR; i++)
                    if (i < mr) q[i] = _mm256_fmadd_ps(_mm256_set1_ps(r[i][o]), b, q[i]);
            } else {
                __m512 b0 = _mm512_loadu_ps(pb), b1 = width ? b0 : _mm512_loadu_ps(pb + NR / 2);
#pragma GCC unroll 14
                for (int i = 0; i < MR; i++)
                    if (i < mr) {
                        __m512 av = _mm512_set1_ps(r[i][o]);
                        x[i] = _mm512_fmadd_ps(av, b0, x[i]);
                        if (!width) y[i] = _mm512_fmadd_ps(av, b1, y[i]);
                    }
            }
            pb += NR;
        }
    }
    if (width == 2) {
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++)
            if (i < mr) x[i] = _mm512_zextps256_ps512(q[i]);
    }
    store_tile(mr, x, width ? x : y, a->c, a->rs, a->cs, a->nr, &a->e);
}

/* Row-vector product over up to NN_GEMV_PANELS panels (see gemm.h): per k, one broadcast of
 * a[k] and two FMAs per panel, every panel its own pair of accumulator chains and its own
 * sequential weight stream. */
static inline __attribute__((always_inline)) void gemv_body(const int np, const nn_gemv_args *g) {
    __m512 x[NN_GEMV_PANELS], y[NN_GEMV_PANELS];
    const float *p[NN_GEMV_PANELS];
#pragma GCC unroll 8
    for (int q = 0; q < NN_GEMV_PANELS; q++)
        if (q < np) {
            x[q] = _mm512_setzero_ps();
            y[q] = _mm512_setzero_ps();
            p[q] = g->pb + q * g->pstride;
        }
    const float *a = g->a;
    for (int64_t k = 0; k < g->K; k++) {
        const __m512 av = _mm512_set1_ps(a[k]);
#pragma GCC unroll 8
        for (int q = 0; q < NN_GEMV_PANELS; q++)
            if (q < np) {
                x[q] = _mm512_fmadd_ps(av, _mm512_loadu_ps(p[q] + k * NR), x[q]);
                y[q] = _mm512_fmadd_ps(av, _mm512_loadu_ps(p[q] + k * NR + NR / 2), y[q]);
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
static void gemv_5(const nn_gemv_args *g) { gemv_body(5, g); }
static void gemv_6(const nn_gemv_args *g) { gemv_body(6, g); }
static void gemv_7(const nn_gemv_args *g) { gemv_body(7, g); }
static void gemv_8(const nn_gemv_args *g) { gemv_body(8, g); }

static void gemv_avx512(const nn_gemv_args *g) {
    static const nn_gemv_fn tab[NN_GEMV_PANELS] = {gemv_1, gemv_2, gemv_3, gemv_4, gemv_5, gemv_6, gemv_7, gemv_8};
    tab[g->np - 1](g);
}

#define UKR(n)                                                                               \
    static void ukr_##n(int64_t kc, const float *pa, const float *pb, float *c, int64_t rs,  \
                        int64_t cs, int nr, const nn_ukr_epi *e) {                           \
        ukr_body(n, kc, pa, pb, c, rs, cs, nr, e);                                           \
    }
UKR(1) UKR(2) UKR(3) UKR(4) UKR(5) UKR(6) UKR(7) UKR(8) UKR(9) UKR(10) UKR(11) UKR(12) UKR(13)
UKR(14)

typedef void (*ukr_n_fn)(int64_t, const float *, const float *, float *, int64_t, int64_t, int,
                         const nn_ukr_epi *);
static const ukr_n_fn ukr_table[MR] = {ukr_1, ukr_2,  ukr_3,  ukr_4,  ukr_5,  ukr_6,  ukr_7,
                                       ukr_8, ukr_9, ukr_10, ukr_11, ukr_12, ukr_13, ukr_14};

static void ukr_avx512(int64_t kc, const float *pa, const float *pb, float *c, int64_t rs,
                       int64_t cs, int mr, int nr, const nn_ukr_epi *e) {
    ukr_table[mr - 1](kc, pa, pb, c, rs, cs, nr, e);
}

#define IND(n)                                                            \
    static void ind_##n(const nn_ind_args *a) { ind_body(n, 0, a); }      \
    static void ind_h##n(const nn_ind_args *a) { ind_body(n, 1, a); }     \
    static void ind_q##n(const nn_ind_args *a) { ind_body(n, 2, a); }
IND(1) IND(2) IND(3) IND(4) IND(5) IND(6) IND(7) IND(8) IND(9) IND(10) IND(11) IND(12) IND(13) IND(14)

static const nn_ukr_ind_fn ind_table[3][MR] = {
    {ind_1, ind_2, ind_3, ind_4, ind_5, ind_6, ind_7, ind_8, ind_9, ind_10, ind_11, ind_12, ind_13, ind_14},
    {ind_h1, ind_h2, ind_h3, ind_h4, ind_h5, ind_h6, ind_h7, ind_h8, ind_h9, ind_h10, ind_h11, ind_h12, ind_h13,
     ind_h14},
    {ind_q1, ind_q2, ind_q3, ind_q4, ind_q5, ind_q6, ind_q7, ind_q8, ind_q9, ind_q10, ind_q11, ind_q12, ind_q13,
     ind_q14}};

static void ukr_ind_avx512(const nn_ind_args *a) {
    ind_table[a->nr <= NR / 4 ? 2 : a->nr <= NR / 2][a->mr - 1](a);
}

#define CONVK(n)                                                                             \
    static void convk_##n(const nn_convk_args *a) { convk_body(n, 0, a); }                  \
    static void convk_half_##n(const nn_convk_args *a) { convk_body(n, 1, a); }
CONVK(1) CONVK(2) CONVK(3) CONVK(4) CONVK(5) CONVK(6) CONVK(7) CONVK(8) CONVK(9) CONVK(10)
CONVK(11) CONVK(12) CONVK(13) CONVK(14)

static const nn_convk_fn convk_table[2][MR] = {
    {convk_1, convk_2, convk_3, convk_4, convk_5, convk_6, convk_7, convk_8, convk_9, convk_10,
     convk_11, convk_12, convk_13, convk_14},
    {convk_half_1, convk_half_2, convk_half_3, convk_half_4, convk_half_5, convk_half_6,
     convk_half_7, convk_half_8, convk_half_9, convk_half_10, convk_half_11, convk_half_12,
     convk_half_13, convk_half_14}};

#define CONVK1(n) \
    static void convk1_##n(const nn_convk_args *a) { convk_1x1_body(n, a); }
CONVK1(1) CONVK1(2) CONVK1(3) CONVK1(4) CONVK1(5) CONVK1(6) CONVK1(7) CONVK1(8) CONVK1(9) CONVK1(10)
CONVK1(11) CONVK1(12) CONVK1(13) CONVK1(14)

static const nn_convk_fn convk1_table[MR] = {convk1_1, convk1_2,  convk1_3,  convk1_4,  convk1_5,
                                             convk1_6, convk1_7,  convk1_8,  convk1_9,  convk1_10,
                                             convk1_11, convk1_12, convk1_13, convk1_14};

#define CONVK3(n) \
    static void convk3_##n(const nn_convk_args *a) { convk_3x3_body(n, a); }
CONVK3(1) CONVK3(2) CONVK3(3) CONVK3(4) CONVK3(5) CONVK3(6) CONVK3(7) CONVK3(8) CONVK3(9) CONVK3(10)
CONVK3(11) CONVK3(12) CONVK3(13) CONVK3(14)

static const nn_convk_fn convk3_table[MR] = {convk3_1, convk3_2,  convk3_3,  convk3_4,  convk3_5,
                                             convk3_6, convk3_7,  convk3_8,  convk3_9,  convk3_10,
                                             convk3_11, convk3_12, convk3_13, convk3_14};

static void convk_avx512(const nn_convk_args *a) {
    const int inside = a->sw == 1 && a->nr == NR && a->ix0 >= 0 && a->iy0 >= 0;
    if (inside && a->kh == 1 && a->kw == 1 && a->ix0 + NR <= a->W && a->iy0 < a->H) {
        convk1_table[a->mr - 1](a);
        return;
    }
    if (inside && a->kh == 3 && a->kw == 3 && a->dh == 1 && a->dw == 1 && a->ix0 + NR + 2 <= a->W &&
        a->iy0 + 3 <= a->H) {
        convk3_table[a->mr - 1](a);
        return;
    }
    convk_table[a->nr <= 16][a->mr - 1](a); /* tiles of at most 16 pixels (row tails): one vector per row */
}

const nn_gemm_kernel nn_gemm_kernel_avx512 = {NN_ISA_AVX512, MR, NR, ukr_avx512, convk_avx512, NR, ukr_ind_avx512,
                                                gemv_avx512};

#else
const nn_gemm_kernel nn_gemm_kernel_avx512 = {NN_ISA_AVX512, 14, 32, 0, 0, 32, 0, 0};
#endif
