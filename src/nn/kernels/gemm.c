/*
 * gemm.c — the GEMM driver: level selection, operand packing (dense, strided, and the
 * implicit im2col views of NCHW and NHWC convolutions), cache blocking and threading. The
 * arithmetic happens in the micro-kernels of gemm_avx2.c / gemm_avx512.c; see gemm.h for
 * the design.
 *
 * Blocking: for each worker's rectangle of C, columns go in blocks of NC (a packed B block
 * of KC×NC floats, kept in L2), depths in blocks of at most KC (split evenly, so that K =
 * 300 becomes two blocks of 150 rather than 256 + 44), rows in blocks of MC (a packed A
 * block). Within a block, the loop over MR-row panels is outside the loop over NR-column
 * panels, so one A panel stays in L1 while B panels stream from L2. The first depth block
 * stores (or accumulates into existing C when asked), the others accumulate; only the last
 * adds the bias and clamps.
 *
 * Operands packed at load (PACKED) cover the whole matrix with full-K panels; a block is a
 * pointer into them. Everything else is packed per block into the worker's scratch.
 *
 * Threading: one fork/join per nn_gemm_batch. With many tasks (at least twice the workers),
 * each worker takes whole tasks; otherwise each task's panels are split into a grid of
 * rectangles chosen to minimise the largest rectangle, preferring to split along the side
 * whose operand would otherwise be packed twice. Results do not depend on the split: every
 * C element is always summed over the same depth blocks in the same order.
 */
#include <math.h>
#include <string.h>

#include "gemm.h"

/* Depth block: an A micro-panel (MR×KC) plus the B micro-panel streamed past it
 * (KC×NR) should fit L1 together (AVX-512: 14×128 + 128×32 floats = 23 KiB; AVX2: 6×256 +
 * 256×16 = 22 KiB); the B block (KC×NC) and the A block (MC×KC) share L2. */
#define KC_AVX512 128
#define KC_AVX2 256
#define MC_PANELS_AVX512 12
#define MC_PANELS_AVX2 24
#define NC_AVX512 1024
#define NC_AVX2 512

/* Least work (flops) that justifies waking one more worker (a fork/join costs microseconds
 * on an idle machine and much more when the cores are shared). */
#define FLOPS_PER_THREAD 1000000.0

nn_isa nn_isa_for(const fsift_cpu *cpu) {
    if (!cpu) cpu = fsift_cpu_get();
    if (cpu->avx512f && cpu->avx2_fma && nn_gemm_kernel_avx512.ukr) return NN_ISA_AVX512;
    if (cpu->avx2_fma && nn_gemm_kernel_avx2.ukr) return NN_ISA_AVX2;
    return NN_ISA_REF;
}

const char *nn_isa_name(nn_isa isa) {
    switch (isa) {
    case NN_ISA_AVX512: return "avx512";
    case NN_ISA_AVX2: return "avx2";
    default: return "generic";
    }
}

const nn_gemm_kernel *nn_gemm_kernel_for(nn_isa isa) {
    if (isa == NN_ISA_AVX512 && nn_gemm_kernel_avx512.ukr) return &nn_gemm_kernel_avx512;
    if (isa == NN_ISA_AVX2 && nn_gemm_kernel_avx2.ukr) return &nn_gemm_kernel_avx2;
    return NULL;
}

/* ---- packing -------------------------------------------------------------------------- */

/* Copies one row of an NCHW im2col view: for output row oy (fixed iy = oy*sh + off_y) and
 * output columns ox in [ox0, ox0 + n), x index = ox*sw + off_x, with stride `dstride`
 * between consecutive destination elements. */
static void im2col_seg(const float *plane, const nn_conv_geom *g, int64_t iy, int64_t off_x,
                       int64_t ox0, int64_t n, float *dst, int64_t dstride) {
    if (iy < 0 || iy >= g->H) {
        for (int64_t t = 0; t < n; t++) dst[t * dstride] = 0.f;
        return;
    }
    const float *row = plane + iy * g->W;
    /* valid ox: 0 <= ox*sw + off_x < W */
    int64_t lo = off_x >= 0 ? 0 : (-off_x + g->sw - 1) / g->sw;
    int64_t hi = g->W - 1 - off_x < 0 ? 0 : (g->W - 1 - off_x) / g->sw + 1;
    int64_t a = ox0, e = ox0 + n;
    int64_t t = 0;
    for (; a < e && a < lo; a++, t++) dst[t * dstride] = 0.f;
    int64_t ve = e < hi ? e : hi;
    if (g->sw == 1 && dstride == 1) {
        if (ve > a) {
            memcpy(dst + t, row + a + off_x, (size_t)(ve - a) * sizeof(float));
            t += ve - a;
            a = ve;
        }
    } else {
        const float *s = row + a * g->sw + off_x;
        for (; a < ve; a++, t++, s += g->sw) dst[t * dstride] = *s;
    }
    for (; a < e; a++, t++) dst[t * dstride] = 0.f;
}

/* B block from an NCHW conv view: columns [j0, j0+ncols) (pixels), depths [k0, k0+kc)
 * (k = (c, ky, kx)), into panels of NR; dst panel stride kc*NR. */
static void pack_b_conv_nchw(const nn_gemm_src *s, int NR, int64_t j0, int64_t ncols, int64_t k0,
                             int64_t kc, float *dst) {
    const nn_conv_geom *g = s->geom;
    int64_t khw = g->kh * g->kw, plane_sz = g->H * g->W;
    for (int64_t p = 0; p * NR < ncols; p++) {
        int64_t jb = j0 + p * NR;
        int64_t nv = ncols - p * NR < NR ? ncols - p * NR : NR;
        float *d = dst + p * kc * NR;
        int64_t oyb = jb / g->OW, oxb = jb % g->OW;
        int64_t k = k0;
        int64_t c = k / khw, r = k % khw, ky = r / g->kw, kx = r % g->kw;
        for (int64_t kk = 0; kk < kc; kk++, k++) {
            const float *plane = s->p + c * plane_sz;
            int64_t off_y = ky * g->dh - g->pt, off_x = kx * g->dw - g->pl;
            float *dd = d + kk * NR;
            int64_t oy = oyb, ox = oxb, t = 0;
            while (t < nv) {
                int64_t n = g->OW - ox;
                if (n > nv - t) n = nv - t;
                im2col_seg(plane, g, oy * g->sh + off_y, off_x, ox, n, dd + t, 1);
                t += n;
                ox = 0;
                oy++;
            }
            for (; t < NR; t++) dd[t] = 0.f;
            if (++kx == g->kw) {
                kx = 0;
                if (++ky == g->kh) {
                    ky = 0;
                    c++;
                }
            }
        }
    }
}

/* A block from an NHWC conv view: rows [i0, i0+nrows) (pixels over the batch), depths
 * [k0, k0+kc) (k = (ky, kx, c)), into panels of MR; dst panel stride kc*MR. */
static void pack_a_conv_nhwc(const nn_gemm_src *s, int MR, int64_t i0, int64_t nrows, int64_t k0,
                             int64_t kc, float *dst) {
    const nn_conv_geom *g = s->geom;
    int64_t opix = g->OH * g->OW;
    for (int64_t p = 0; p * MR < nrows; p++) {
        float *d = dst + p * kc * MR;
        int64_t nv = nrows - p * MR < MR ? nrows - p * MR : MR;
        for (int64_t r = 0; r < MR; r++) {
            if (r >= nv) {
                for (int64_t kk = 0; kk < kc; kk++) d[kk * MR + r] = 0.f;
                continue;
            }
            int64_t i = i0 + p * MR + r;
            int64_t img = i / opix, pix = i % opix;
            int64_t oy = pix / g->OW, ox = pix % g->OW;
            const float *base = s->p + img * g->img_stride;
            int64_t k = k0, kk = 0;
            while (kk < kc) {
                int64_t tap = k / g->C, c = k % g->C;
                int64_t ky = tap / g->kw, kx = tap % g->kw;
                int64_t n = g->C - c;
                if (n > kc - kk) n = kc - kk;
                int64_t iy = oy * g->sh - g->pt + ky * g->dh, ix = ox * g->sw - g->pl + kx * g->dw;
                float *dd = d + kk * MR + r;
                if (iy < 0 || iy >= g->H || ix < 0 || ix >= g->W) {
                    for (int64_t t = 0; t < n; t++) dd[t * MR] = 0.f;
                } else {
                    const float *src = base + (iy * g->W + ix) * g->ctot + c;
                    for (int64_t t = 0; t < n; t++) dd[t * MR] = src[t];
                }
                kk += n;
                k += n;
            }
        }
    }
}

/* Generic element access of an operand (A: (row, k); B: (k, col) with row = col). */
static float src_at(const nn_gemm_src *s, int as_b, int64_t row, int64_t k) {
    if (s->kind == NN_GEMM_DENSE)
        return as_b ? s->p[k * s->rs + row * s->cs] : s->p[row * s->rs + k * s->cs];
    const nn_conv_geom *g = s->geom;
    if (!g->nhwc) { /* B: k = (c, ky, kx), row = pixel */
        int64_t khw = g->kh * g->kw;
        int64_t c = k / khw, ky = (k % khw) / g->kw, kx = k % g->kw;
        int64_t oy = row / g->OW, ox = row % g->OW;
        int64_t iy = oy * g->sh - g->pt + ky * g->dh, ix = ox * g->sw - g->pl + kx * g->dw;
        if (iy < 0 || iy >= g->H || ix < 0 || ix >= g->W) return 0.f;
        return s->p[(c * g->H + iy) * g->W + ix];
    }
    int64_t opix = g->OH * g->OW;
    int64_t img = row / opix, pix = row % opix;
    int64_t oy = pix / g->OW, ox = pix % g->OW;
    int64_t tap = k / g->C, c = k % g->C;
    int64_t iy = oy * g->sh - g->pt + (tap / g->kw) * g->dh;
    int64_t ix = ox * g->sw - g->pl + (tap % g->kw) * g->dw;
    if (iy < 0 || iy >= g->H || ix < 0 || ix >= g->W) return 0.f;
    return s->p[img * g->img_stride + (iy * g->W + ix) * g->ctot + c];
}

/* Packs rows [r0, r0+nrows) × depths [k0, k0+kc) of an operand into panels of R. For B,
 * "rows" are columns of B. Panels beyond nrows are zero-filled. */
static void pack_block(const nn_gemm_src *s, int as_b, int R, int64_t r0, int64_t nrows,
                       int64_t k0, int64_t kc, float *dst) {
    if (s->kind == NN_GEMM_CONV) {
        if (as_b && !s->geom->nhwc) {
            pack_b_conv_nchw(s, R, r0, nrows, k0, kc, dst);
            return;
        }
        if (!as_b && s->geom->nhwc) {
            pack_a_conv_nhwc(s, R, r0, nrows, k0, kc, dst);
            return;
        }
        /* other orientations only through the generic accessor (not used by conv.c) */
        for (int64_t p = 0; p * R < nrows; p++) {
            float *d = dst + p * kc * R;
            for (int64_t kk = 0; kk < kc; kk++)
                for (int r = 0; r < R; r++) {
                    int64_t row = r0 + p * R + r;
                    d[kk * R + r] = p * R + r < nrows ? src_at(s, as_b, row, k0 + kk) : 0.f;
                }
        }
        return;
    }
    /* dense: element (row, k) at p[row*rstride + k*kstride] */
    int64_t rstride = as_b ? s->cs : s->rs, kstride = as_b ? s->rs : s->cs;
    for (int64_t p = 0; p * R < nrows; p++) {
        float *d = dst + p * kc * R;
        int64_t nv = nrows - p * R < R ? nrows - p * R : R;
        const float *base = s->p + (r0 + p * R) * rstride + k0 * kstride;
        if (rstride == 1) {
            for (int64_t kk = 0; kk < kc; kk++) {
                const float *src = base + kk * kstride;
                float *dd = d + kk * R;
                memcpy(dd, src, (size_t)nv * sizeof(float));
                for (int64_t r = nv; r < R; r++) dd[r] = 0.f;
            }
        } else {
            for (int64_t r = 0; r < nv; r++) {
                const float *src = base + r * rstride;
                float *dd = d + r;
                if (kstride == 1)
                    for (int64_t kk = 0; kk < kc; kk++) dd[kk * R] = src[kk];
                else
                    for (int64_t kk = 0; kk < kc; kk++) dd[kk * R] = src[kk * kstride];
            }
            for (int64_t r = nv; r < R; r++)
                for (int64_t kk = 0; kk < kc; kk++) d[kk * R + r] = 0.f;
        }
    }
}

size_t nn_gemm_packed_floats(int64_t rows, int64_t K, int R) {
    if (rows < 0 || K < 0 || R <= 0) return 0;
    uint64_t panels = ((uint64_t)rows + (uint64_t)R - 1) / (uint64_t)R;
    uint64_t per = (uint64_t)K * (uint64_t)R;
    if (per && panels > UINT64_MAX / per) return 0;
    uint64_t n = panels * per;
    if (n > (uint64_t)SIZE_MAX / sizeof(float)) return 0;
    return (size_t)n;
}

void nn_gemm_pack(const nn_gemm_kernel *kern, int as_b, const nn_gemm_src *src, int64_t rows,
                  int64_t K, float *dst) {
    pack_block(src, as_b, as_b ? kern->nr : kern->mr, 0, rows, 0, K, dst);
}

int nn_gemm_balanced_ph(const nn_gemm_kernel *kern, int64_t rows) {
    if (rows <= 0) return kern->mr;
    int64_t np = (rows + kern->mr - 1) / kern->mr;
    return (int)((rows + np - 1) / np);
}

size_t nn_gemm_packed_a_floats(const nn_gemm_kernel *kern, int64_t rows, int64_t K, int ph) {
    if (ph < 1 || ph > kern->mr) return 0;
    size_t per = nn_gemm_packed_floats(ph, K, kern->mr); /* one panel */
    uint64_t panels = ((uint64_t)(rows < 0 ? 0 : rows) + (uint64_t)ph - 1) / (uint64_t)ph;
    if (per && panels > SIZE_MAX / per) return 0;
    return per * (size_t)panels;
}

void nn_gemm_pack_a(const nn_gemm_kernel *kern, const nn_gemm_src *src, int64_t rows, int64_t K, int ph,
                    float *dst) {
    const int MR = kern->mr;
    for (int64_t r0 = 0, p = 0; r0 < rows; r0 += ph, p++) {
        int64_t nv = rows - r0 < ph ? rows - r0 : ph;
        pack_block(src, 0, MR, r0, nv, 0, K, dst + (size_t)p * (size_t)K * (size_t)MR);
    }
}

/* ---- blocking ------------------------------------------------------------------------- */

static int64_t mc_rows(const nn_gemm_kernel *kern) {
    return (int64_t)kern->mr * (kern->isa == NN_ISA_AVX512 ? MC_PANELS_AVX512 : MC_PANELS_AVX2);
}

static int64_t nc_cols(const nn_gemm_kernel *kern) {
    int64_t n = (kern->isa == NN_ISA_AVX512 ? NC_AVX512 : NC_AVX2) / kern->nr;
    return (n < 1 ? 1 : n) * kern->nr;
}

/* Depth block: K split evenly into blocks of at most KC (up to 1.5×KC stays one block:
 * another pass over C costs more than a slightly larger panel). */
static int64_t kc_block(const nn_gemm_kernel *kern, int64_t M, int64_t K) {
    int64_t kmax = kern->isa == NN_ISA_AVX512 ? KC_AVX512 : KC_AVX2;
    /* a few rows (matrix-vector products): B is streamed once from memory, best in long
     * sequential panels, so K is not blocked */
    if (M <= 4 && K <= ((int64_t)1 << 20)) return K < 1 ? 1 : K;
    if (K <= kmax + kmax / 2) return K < 1 ? 1 : K;
    int64_t nb = (K + kmax - 1) / kmax;
    return (K + nb - 1) / nb;
}

static int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

size_t nn_gemm_scratch_per_thread(const nn_gemm_kernel *kern, int64_t M, int64_t N, int64_t K) {
    if (!kern) return 0;
    int64_t kc = kc_block(kern, M, K);
    int64_t mc = mc_rows(kern), nc = nc_cols(kern);
    int64_t mr = round_up(M, kern->mr), nr = round_up(N, kern->nr);
    if (mr < mc) mc = mr;
    if (nr < nc) nc = nr;
    size_t a = (size_t)round_up(mc * kc * (int64_t)sizeof(float), 64);
    size_t b = (size_t)round_up(nc * kc * (int64_t)sizeof(float), 64);
    return a + b;
}

/* ---- the serial blocked algorithm on one rectangle ------------------------------------- */

static void epilogue_only(const nn_gemm_task *t, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    /* K == 0: C = alpha*0 (+ C) (+ bias), clamped */
    for (int64_t i = m0; i < m1; i++)
        for (int64_t j = n0; j < n1; j++) {
            float *c = t->c + i * t->rs_c + j * t->cs_c;
            float v = t->accumulate ? *c : 0.f;
            if (t->bias) v += t->bias[t->bias_per_col ? j : i];
            if (t->res) v += t->res[i * t->rs_c + j * t->cs_c];
            if (v < t->lo) v = t->lo;
            if (v > t->hi) v = t->hi;
            if (t->slope && v < 0.f) v *= t->slope[t->slope_per_col ? j : i];
            *c = v;
        }
}

/* One row against B packed at load (full-depth panels): the row-vector kernel, a few panels
 * at a time. */
static void gemv_row(const nn_gemm_kernel *kern, const nn_gemm_task *t, int64_t m, int64_t n0, int64_t n1) {
    const int NR = kern->nr;
    nn_gemv_args g;
    memset(&g, 0, sizeof g);
    g.K = t->K;
    g.a = t->a.p + m * t->a.rs;
    g.pstride = t->K * NR;
    g.e.alpha = t->alpha;
    g.e.load_c = t->accumulate;
    g.e.lo = t->lo;
    g.e.hi = t->hi;
    g.e.brow = t->bias && !t->bias_per_col ? t->bias + m : NULL;
    g.e.srow = t->slope && !t->slope_per_col ? t->slope + m : NULL;
    for (int64_t j = n0; j < n1; j += (int64_t)NN_GEMV_PANELS * NR) {
        const int64_t cols = n1 - j < (int64_t)NN_GEMV_PANELS * NR ? n1 - j : (int64_t)NN_GEMV_PANELS * NR;
        g.np = (int)((cols + NR - 1) / NR);
        g.nr = (int)(cols - (int64_t)(g.np - 1) * NR);
        g.pb = t->b.p + (j / NR) * t->K * NR;
        g.c = t->c + m * t->rs_c + j;
        g.e.bcol = t->bias && t->bias_per_col ? t->bias + j : NULL;
        g.e.scol = t->slope && t->slope_per_col ? t->slope + j : NULL;
        g.e.res = t->res ? t->res + m * t->rs_c + j : NULL;
        kern->gemv(&g);
    }
}

static void gemm_rect(const nn_gemm_kernel *kern, const nn_gemm_task *t, int64_t m0, int64_t m1,
                      int64_t n0, int64_t n1, float *abuf, float *bbuf) {
    if (m0 >= m1 || n0 >= n1) return;
    if (t->K == 0) {
        epilogue_only(t, m0, m1, n0, n1);
        return;
    }
    if (t->M == 1 && kern->gemv && t->b.kind == NN_GEMM_PACKED && t->a.kind == NN_GEMM_DENSE && t->a.cs == 1 &&
        t->cs_c == 1 && kc_block(kern, t->M, t->K) >= t->K) {
        gemv_row(kern, t, m0, n0, n1);
        return;
    }
    const int NR = kern->nr;
    /* rows per A panel: MR, or the panel height of an A packed at load */
    const int MR = t->a.kind == NN_GEMM_PACKED && t->a.ph > 0 ? t->a.ph : kern->mr, MRS = kern->mr;
    const int64_t K = t->K, KCB = kc_block(kern, t->M, K), NC = nc_cols(kern);
    const int64_t MC = mc_rows(kern) / kern->mr * MR;
    nn_ukr_epi e;
    e.alpha = t->alpha;
    for (int64_t jc = n0; jc < n1; jc += NC) {
        int64_t nc = n1 - jc < NC ? n1 - jc : NC;
        for (int64_t pc = 0; pc < K; pc += KCB) {
            int64_t kc = K - pc < KCB ? K - pc : KCB;
            int last = pc + kc >= K;
            const float *bp;
            int64_t bstride;
            if (t->b.kind == NN_GEMM_PACKED) {
                bp = t->b.p + (jc / NR) * K * NR + pc * NR;
                bstride = K * NR;
            } else {
                pack_block(&t->b, 1, NR, jc, nc, pc, kc, bbuf);
                bp = bbuf;
                bstride = kc * NR;
            }
            e.load_c = t->accumulate || pc > 0;
            e.lo = last ? t->lo : -INFINITY;
            e.hi = last ? t->hi : INFINITY;
            e.res = NULL;
            e.srow = e.scol = NULL;
            for (int64_t ic = m0; ic < m1; ic += MC) {
                int64_t mc = m1 - ic < MC ? m1 - ic : MC;
                const float *ap;
                int64_t astride;
                if (t->a.kind == NN_GEMM_PACKED) {
                    ap = t->a.p + (ic / MR) * K * MRS + pc * MRS;
                    astride = K * MRS;
                } else {
                    pack_block(&t->a, 0, MR, ic, mc, pc, kc, abuf);
                    ap = abuf;
                    astride = kc * MRS;
                }
                for (int64_t ir = 0; ir < mc; ir += MR) {
                    int mr = (int)(mc - ir < MR ? mc - ir : MR);
                    const float *pa = ap + (ir / MR) * astride;
                    e.brow = (last && t->bias && !t->bias_per_col) ? t->bias + ic + ir : NULL;
                    e.srow = (last && t->slope && !t->slope_per_col) ? t->slope + ic + ir : NULL;
                    for (int64_t jr = 0; jr < nc; jr += NR) {
                        int nr = (int)(nc - jr < NR ? nc - jr : NR);
                        e.bcol = (last && t->bias && t->bias_per_col) ? t->bias + jc + jr : NULL;
                        e.scol = (last && t->slope && t->slope_per_col) ? t->slope + jc + jr : NULL;
                        const int64_t off = (ic + ir) * t->rs_c + (jc + jr) * t->cs_c;
                        float *c = t->c + off;
                        e.res = last && t->res ? t->res + off : NULL;
                        kern->ukr(kc, pa, bp + (jr / NR) * bstride, c, t->rs_c, t->cs_c, mr, nr, &e);
                    }
                }
            }
        }
    }
}

/* ---- threading ------------------------------------------------------------------------ */

/* Chooses a tm×tn grid (tm*tn <= nth) for a task. */
/* Rows per A panel of a task. */
static int task_ph(const nn_gemm_kernel *kern, const nn_gemm_task *t) {
    return t->a.kind == NN_GEMM_PACKED && t->a.ph > 0 ? t->a.ph : kern->mr;
}

static void split_grid(const nn_gemm_kernel *kern, const nn_gemm_task *t, int nth, int *tm, int *tn) {
    const int ph = task_ph(kern, t);
    int64_t mu = (t->M + ph - 1) / ph, nu = (t->N + kern->nr - 1) / kern->nr;
    double best = -1;
    *tm = *tn = 1;
    /* prefer splitting N when A is packed at load (each worker packs only its own B
     * columns), M otherwise */
    int prefer_n = t->a.kind == NN_GEMM_PACKED || t->b.kind != NN_GEMM_PACKED;
    for (int a = 1; a <= nth; a++) {
        int b = nth / a;
        if (a > mu || b > nu) {
            if (a > mu) continue;
            b = (int)(nu < b ? nu : b);
        }
        double rows = (double)((mu + a - 1) / a) * ph;
        double cols = (double)((nu + b - 1) / b) * kern->nr;
        double cost = rows * cols;
        int better = best < 0 || cost < best * 0.999 ||
                     (cost <= best * 1.001 && (prefer_n ? b > *tn : a > *tm));
        if (better) {
            best = cost;
            *tm = a;
            *tn = b;
        }
    }
}

typedef struct batch_job {
    const nn_gemm_kernel *kern;
    const nn_gemm_task *tasks;
    int64_t count;
    unsigned char *scratch;
    size_t per_thread;
    int whole; /* workers take whole tasks */
    int nth_used;
} batch_job;

static void run_task_part(const batch_job *j, const nn_gemm_task *t, int ith, int nth, float *abuf,
                          float *bbuf) {
    if (nth == 1) {
        gemm_rect(j->kern, t, 0, t->M, 0, t->N, abuf, bbuf);
        return;
    }
    int tm, tn;
    split_grid(j->kern, t, nth, &tm, &tn);
    if (ith >= tm * tn) return;
    int im = ith / tn, in = ith % tn;
    const int ph = task_ph(j->kern, t);
    int64_t mu = (t->M + ph - 1) / ph, nu = (t->N + j->kern->nr - 1) / j->kern->nr;
    int64_t mb, me, nb, ne;
    fsift_split_range(mu, im, tm, &mb, &me);
    fsift_split_range(nu, in, tn, &nb, &ne);
    mb *= ph;
    me *= ph;
    nb *= j->kern->nr;
    ne *= j->kern->nr;
    if (me > t->M) me = t->M;
    if (ne > t->N) ne = t->N;
    gemm_rect(j->kern, t, mb, me, nb, ne, abuf, bbuf);
}

static void batch_body(void *arg, int ith, int nth) {
    const batch_job *j = arg;
    unsigned char *mine = j->scratch + (size_t)ith * j->per_thread;
    for (int64_t i = 0; i < j->count; i++) {
        const nn_gemm_task *t = &j->tasks[i];
        if (j->whole) {
            int64_t b, e;
            fsift_split_range(j->count, ith, nth, &b, &e);
            if (i < b || i >= e) continue;
        }
        int64_t kc = kc_block(j->kern, t->M, t->K);
        int64_t mc = mc_rows(j->kern), mr = round_up(t->M, j->kern->mr);
        if (mr < mc) mc = mr;
        float *abuf = (float *)mine;
        float *bbuf = (float *)(mine + (size_t)round_up(mc * kc * (int64_t)sizeof(float), 64));
        run_task_part(j, t, j->whole ? 0 : ith, j->whole ? 1 : nth, abuf, bbuf);
    }
}

void nn_gemm_batch(const nn_gemm_kernel *kern, const nn_gemm_task *tasks, int64_t count,
                   fsift_pool *pool, int nthreads, void *scratch, size_t scratch_bytes) {
    if (count <= 0) return;
    size_t per = 0;
    double flops = 0;
    int64_t max_units = 0;
    for (int64_t i = 0; i < count; i++) {
        const nn_gemm_task *t = &tasks[i];
        size_t s = nn_gemm_scratch_per_thread(kern, t->M, t->N, t->K);
        if (s > per) per = s;
        flops += 2.0 * (double)t->M * (double)t->N * (double)(t->K ? t->K : 1);
        int64_t u = ((t->M + kern->mr - 1) / kern->mr) * ((t->N + kern->nr - 1) / kern->nr);
        if (u > max_units) max_units = u;
    }
    FSIFT_ASSERT(per <= scratch_bytes);
    int nth = nthreads < 1 ? 1 : nthreads;
    if (!pool) nth = 1;
    if (per && (size_t)nth > scratch_bytes / per) nth = (int)(scratch_bytes / per);
    double by_work = flops / FLOPS_PER_THREAD;
    if (by_work < nth) nth = by_work < 1 ? 1 : (int)by_work;
    if (nth < 1) nth = 1;
    batch_job j = {kern, tasks, count, scratch, per, 0, nth};
    j.whole = count >= 2 * (int64_t)nth;
    if (!j.whole && (int64_t)nth > max_units * count) nth = (int)(max_units * count);
    if (nth <= 1) {
        batch_body(&j, 0, 1);
        return;
    }
    fsift_pool_run(pool, batch_body, &j, nth);
}
