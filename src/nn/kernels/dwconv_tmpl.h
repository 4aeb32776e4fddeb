/*
 * dwconv_tmpl.h — the depthwise convolution kernels, written once over a small vector
 * vocabulary and included by dwconv_avx2.c and dwconv_avx512.c, which define it (the
 * DW_* macros and dw_* inline functions below) for their instruction set.
 *
 * NCHW (ONNX models, e.g. BlazeFace): each output plane is computed row by row, vectorised
 * along the row. 3×3 kernels with stride 1 or 2 (the common case) keep the nine weights in
 * registers and compute interior blocks of DW_VL outputs with plain loads (stride 2: two
 * loads and even/odd deinterleaves per input row); blocks at the borders, and every other
 * kernel size, stride or dilation, use the general path: DW_NV vectors at a time, two
 * accumulators (even and odd taps), loads masked to the valid input columns (stride 1 and 2)
 * or gathers (larger strides), so padding reads as zero without touching memory outside the
 * row.
 *
 * NHWC (graphs from TFLite, e.g. MobileFaceNet): vectorised across channels, with the
 * weights packed tap-major ([kh*kw][C]) so that a tap's weights are one contiguous vector.
 * 3×3 (dilation 1) full channel vectors keep the nine weight vectors in registers and walk
 * the output row; other shapes and the channel tail compute DW_PX output pixels together
 * (independent FMA chains, the weight vector loaded once per tap).
 *
 * Independent output blocks carry no dependency from one to the next, so the out-of-order
 * core overlaps their FMA chains.
 *
 * Epilogue: every store goes through dw_finish / dw_finish_m: + residual (when the Conv has
 * one; read at the output's offset), clamp, PRELU (NCHW: the plane's slope; NHWC: the channel
 * block's slopes) — the same order as the GEMM tiles (gemm.h).
 *
 * The including file defines: DW_VL (floats per vector), dw_vec, dw_mask, dw_zero, dw_set1,
 * dw_fma, dw_mul, dw_add, dw_clamp, dw_prelu (v < 0 ? v * s : v), dw_loadu, dw_storeu, dw_mask_range(lo, hi) (lanes lo <= l < hi),
 * dw_loadm, dw_storem, dw_load2 (stride-2 deinterleave of 2*DW_VL floats with raw masks),
 * dw_even / dw_odd (even / odd floats of two vectors), dw_mask_bits (a mask from a lane
 * bitmap), dw_mask_and, dw_gather, DW_NV, DW_PX and
 * DW_NAME(x) (the function name suffix).
 */

/* What the stores apply after the sums. */
typedef struct dw_ep {
    int clamp, prelu;
    dw_vec lo, hi;
    dw_vec slope;        /* PRELU: NCHW, the plane's slope; NHWC, set per channel block */
    const float *slopes; /* PRELU: [M] */
    const float *res;    /* residual laid out like y0 (NULL: none) */
    const float *y0;
} dw_ep;

static inline dw_ep dw_ep_make(const nn_conv_params *p, const nn_dw_epi *x, float *y) {
    dw_ep e;
    float flo, fhi;
    nn_act_bounds(p->act, &flo, &fhi);
    e.clamp = flo > -INFINITY || fhi < INFINITY;
    e.lo = dw_set1(flo);
    e.hi = dw_set1(fhi);
    e.slopes = x && p->act == NN_ACT_PRELU ? x->slope : NULL;
    e.prelu = e.slopes != NULL;
    e.slope = dw_zero();
    e.res = x ? x->res : NULL;
    e.y0 = y;
    return e;
}

/* r finished for a full vector stored at y */
static inline dw_vec dw_finish(const dw_ep *e, dw_vec r, const float *y) {
    if (e->res) r = dw_add(r, dw_loadu(e->res + (y - e->y0)));
    if (e->clamp) r = dw_clamp(r, e->lo, e->hi);
    if (e->prelu) r = dw_prelu(r, e->slope);
    return r;
}

/* the same for the lanes of m */
static inline dw_vec dw_finish_m(const dw_ep *e, dw_vec r, const float *y, dw_mask m) {
    if (e->res) r = dw_add(r, dw_loadm(e->res + (y - e->y0), m));
    if (e->clamp) r = dw_clamp(r, e->lo, e->hi);
    if (e->prelu) r = dw_prelu(r, e->slope);
    return r;
}

/* Loads lanes l: row[ix0 + l*s] where 0 <= ix0 + l*s < W, zero elsewhere. */
static inline dw_vec dw_load_row(const float *row, int64_t ix0, int64_t s, int64_t W) {
    if (s == 1) {
        if (ix0 >= 0 && ix0 + DW_VL <= W) return dw_loadu(row + ix0);
        return dw_loadm(row + ix0, dw_mask_range(-ix0, W - ix0));
    }
    if (s == 2) {
        if (ix0 >= 0 && ix0 + 2 * DW_VL <= W)
            return dw_load2(row + ix0, dw_mask_range(0, DW_VL), dw_mask_range(0, DW_VL));
        return dw_load2(row + ix0, dw_mask_range(-ix0, W - ix0), dw_mask_range(-ix0 - DW_VL, W - ix0 - DW_VL));
    }
    int64_t lo = ix0 >= 0 ? 0 : (-ix0 + s - 1) / s;
    int64_t hi = W - 1 - ix0 < 0 ? 0 : (W - 1 - ix0) / s + 1;
    return dw_gather(row + ix0, s, dw_mask_range(lo, hi));
}

/* One vector of outputs (row oy, columns ox0..ox0+DW_VL-1) of a plane, any kernel shape. */
static inline dw_vec dw_nchw_one(const nn_conv_params *p, const float *xp, const float *wp, dw_vec vb,
                                 int64_t oy, int64_t ox0) {
    dw_vec acc0 = vb, acc1 = dw_zero();
    int parity = 0;
    for (int64_t ky = 0; ky < p->kh; ky++) {
        const int64_t iy = oy * p->sh - p->pt + ky * p->dh;
        if (iy < 0 || iy >= p->H) continue;
        const float *row = xp + iy * p->W;
        for (int64_t kx = 0; kx < p->kw; kx++) {
            dw_vec v = dw_load_row(row, ox0 * p->sw - p->pl + kx * p->dw, p->sw, p->W);
            if (parity) acc1 = dw_fma(dw_set1(wp[ky * p->kw + kx]), v, acc1);
            else acc0 = dw_fma(dw_set1(wp[ky * p->kw + kx]), v, acc0);
            parity ^= 1;
        }
    }
    return dw_add(acc0, acc1);
}

static inline void dw_store_out(float *yr, int64_t o, int64_t OW, dw_vec r, const dw_ep *e) {
    if (o + DW_VL <= OW) {
        dw_storeu(yr + o, dw_finish(e, r, yr + o));
    } else {
        const dw_mask m = dw_mask_range(0, OW - o);
        dw_storem(yr + o, m, dw_finish_m(e, r, yr + o, m));
    }
}

/* Load masks of a 3×3 border block whose first tap reads input column x0: stride 1: one per
 * kx; stride 2: the four raw vectors (two at +0, two at +2). */
static inline void dw_3x3_masks(int64_t x0, int64_t W, int64_t s, dw_mask *m) {
    if (s == 1) {
        for (int kx = 0; kx < 3; kx++) m[kx] = dw_mask_range(-x0 - kx, W - x0 - kx);
        m[3] = m[2];
    } else {
        m[0] = dw_mask_range(-x0, W - x0);
        m[1] = dw_mask_range(-x0 - DW_VL, W - x0 - DW_VL);
        m[2] = dw_mask_range(-x0 - 2, W - x0 - 2);
        m[3] = dw_mask_range(-x0 - 2 - DW_VL, W - x0 - 2 - DW_VL);
    }
}

/* 3×3 border block (or a row with a missing input row, NULL): loads masked with m. */
static inline dw_vec dw_3x3_edge(const float *const *rows, int64_t x0, int64_t s, const dw_mask *m,
                                 const dw_vec *wk, dw_vec vb) {
    dw_vec acc[3] = {vb, dw_zero(), dw_zero()};
#pragma GCC unroll 3
    for (int ky = 0; ky < 3; ky++) {
        if (!rows[ky]) continue;
        const float *q = rows[ky] + x0;
        if (s == 1) {
            acc[ky] = dw_fma(wk[3 * ky], dw_loadm(q, m[0]), acc[ky]);
            acc[ky] = dw_fma(wk[3 * ky + 1], dw_loadm(q + 1, m[1]), acc[ky]);
            acc[ky] = dw_fma(wk[3 * ky + 2], dw_loadm(q + 2, m[2]), acc[ky]);
        } else {
            dw_vec lo = dw_loadm(q, m[0]), hi = dw_loadm(q + DW_VL, m[1]);
            dw_vec lo2 = dw_loadm(q + 2, m[2]), hi2 = dw_loadm(q + 2 + DW_VL, m[3]);
            acc[ky] = dw_fma(wk[3 * ky], dw_even(lo, hi), acc[ky]);
            acc[ky] = dw_fma(wk[3 * ky + 1], dw_odd(lo, hi), acc[ky]);
            acc[ky] = dw_fma(wk[3 * ky + 2], dw_even(lo2, hi2), acc[ky]);
        }
    }
    return dw_add(dw_add(acc[0], acc[1]), acc[2]);
}

/* 3×3 stride 1 "same" (pads 1) on planes narrower than a vector whose width divides it:
 * each vector holds DW_VL / W whole output rows, the plane read as one flat array with
 * loads masked to valid rows (a contiguous lane range) and columns (a per-kx pattern). */
static void dw_nchw_3x3_flat(const nn_conv_params *p, const float *xp, const dw_vec *wk, dw_vec vb, float *yp,
                             const dw_mask *colm, const dw_ep *ep) {
    const int64_t W = p->W, H = p->H, R = DW_VL / W, n = H * W;
    for (int64_t oy0 = 0; oy0 < H; oy0 += R) {
        dw_vec acc[3] = {vb, dw_zero(), dw_zero()};
#pragma GCC unroll 3
        for (int ky = 0; ky < 3; ky++) {
            /* lanes whose input row oy0 + l/W + ky - 1 lies in [0, H) */
            const int64_t lo = (1 - ky - oy0) * W, hi = (H + 1 - ky - oy0) * W;
            const dw_mask rm = dw_mask_range(lo, hi);
            const float *q = xp + (oy0 + ky - 1) * W - 1;
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++)
                acc[ky] = dw_fma(wk[3 * ky + kx], dw_loadm(q + kx, dw_mask_and(rm, colm[kx])), acc[ky]);
        }
        dw_vec r = dw_add(dw_add(acc[0], acc[1]), acc[2]);
        const int64_t o = oy0 * W;
        dw_store_out(yp, o, n, r, ep);
    }
}

#define DW_EDGE_CACHE 8 /* border blocks per row whose masks are computed once per call */

/* What a 3×3 call computes once for all its planes: the block layout of a row and the masks
 * of its border blocks (they depend only on the column). */
typedef struct dw3_geom {
    int flat;                    /* dw_nchw_3x3_flat applies */
    dw_mask colm[3];             /* flat: column masks per kx */
    int64_t need, olo, ohi;      /* interior blocks: olo <= ox0 <= ohi */
    int64_t nblk, nleft, first_right, ne;
    dw_mask em[DW_EDGE_CACHE][4];
} dw3_geom;

static void dw3_setup(const nn_conv_params *p, dw3_geom *g) {
    const int64_t s = p->sw, W = p->W, OW = p->OW;
    g->flat = s == 1 && p->sh == 1 && p->pt == 1 && p->pl == 1 && OW == W && p->OH == p->H && W < DW_VL &&
              DW_VL % W == 0;
    if (g->flat) {
        for (int kx = 0; kx < 3; kx++) {
            uint32_t bits = 0;
            for (int l = 0; l < DW_VL; l++) {
                int64_t c = l % W + kx - 1;
                if (c >= 0 && c < W) bits |= 1u << l;
            }
            g->colm[kx] = dw_mask_bits(bits);
        }
        return;
    }
    /* input floats a block reads from its first column: stride 1: DW_VL + 2; stride 2: two
     * pairs of vectors starting at +0 and +2 */
    g->need = s == 1 ? DW_VL + 2 : 2 * DW_VL + 2;
    /* interior blocks: x0 = ox0*s - pl >= 0, x0 + need <= W, ox0 + DW_VL <= OW */
    int64_t olo = (p->pl + s - 1) / s;
    olo = (olo + DW_VL - 1) / DW_VL * DW_VL;
    int64_t ohi = W - g->need + p->pl < 0 ? -1 : (W - g->need + p->pl) / s; /* last ox0 allowed */
    if (ohi > OW - DW_VL) ohi = OW - DW_VL;
    if (ohi < olo) ohi = olo - DW_VL; /* no interior block: all are borders */
    g->olo = olo;
    g->ohi = ohi;
    g->nblk = (OW + DW_VL - 1) / DW_VL;
    g->nleft = olo / DW_VL;
    g->first_right = ohi < olo ? g->nleft : ohi / DW_VL + 1;
    g->ne = 0;
    for (int64_t bi = 0; bi < g->nblk && g->ne < DW_EDGE_CACHE; bi++)
        if (bi < g->nleft || bi >= g->first_right) dw_3x3_masks(bi * DW_VL * s - p->pl, W, s, g->em[g->ne++]);
}

/* 3×3, dilation 1, stride 1 or 2: one plane. Each output row is split into border blocks
 * (masked loads) and a run of interior blocks (plain loads, three independent sums). */
static void dw_nchw_3x3(const nn_conv_params *p, const dw3_geom *g, const float *xp, const float *wp, dw_vec vb,
                        float *yp, const dw_ep *ep) {
    const dw_vec wk[9] = {dw_set1(wp[0]), dw_set1(wp[1]), dw_set1(wp[2]), dw_set1(wp[3]), dw_set1(wp[4]),
                          dw_set1(wp[5]), dw_set1(wp[6]), dw_set1(wp[7]), dw_set1(wp[8])};
    const int64_t s = p->sw, W = p->W, OW = p->OW;
    if (g->flat) {
        dw_nchw_3x3_flat(p, xp, wk, vb, yp, g->colm, ep);
        return;
    }
    const dw_vec w0 = wk[0], w1 = wk[1], w2 = wk[2], w3 = wk[3], w4 = wk[4];
    const dw_vec w5 = wk[5], w6 = wk[6], w7 = wk[7], w8 = wk[8];
    const int64_t ohi = g->ohi, nblk = g->nblk, nleft = g->nleft, first_right = g->first_right, ne = g->ne;
    for (int64_t oy = 0; oy < p->OH; oy++) {
        float *yr = yp + oy * OW;
        const int64_t iy = oy * p->sh - p->pt;
        const float *rows[3];
        for (int ky = 0; ky < 3; ky++) rows[ky] = iy + ky >= 0 && iy + ky < p->H ? xp + (iy + ky) * W : NULL;
        const int full = rows[0] && rows[1] && rows[2];
        int64_t e = 0;
        for (int64_t bi = 0; bi < nblk; bi++) {
            const int64_t ox0 = bi * DW_VL, x0 = ox0 * s - p->pl;
            if (bi >= nleft && bi < first_right && full) {
                /* a run of interior blocks */
                const float *r0 = rows[0] - p->pl, *r1 = rows[1] - p->pl, *r2 = rows[2] - p->pl;
                int64_t o = ox0;
                if (s == 1) {
                    for (; o <= ohi; o += DW_VL) {
                        dw_vec a0 = dw_fma(w0, dw_loadu(r0 + o), vb);
                        dw_vec a1 = dw_mul(w3, dw_loadu(r1 + o));
                        dw_vec a2 = dw_mul(w6, dw_loadu(r2 + o));
                        a0 = dw_fma(w1, dw_loadu(r0 + o + 1), a0);
                        a1 = dw_fma(w4, dw_loadu(r1 + o + 1), a1);
                        a2 = dw_fma(w7, dw_loadu(r2 + o + 1), a2);
                        a0 = dw_fma(w2, dw_loadu(r0 + o + 2), a0);
                        a1 = dw_fma(w5, dw_loadu(r1 + o + 2), a1);
                        a2 = dw_fma(w8, dw_loadu(r2 + o + 2), a2);
                        dw_vec r = dw_add(dw_add(a0, a1), a2);
                        dw_storeu(yr + o, dw_finish(ep, r, yr + o));
                    }
                } else {
                    for (; o <= ohi; o += DW_VL) {
                        const int64_t x = 2 * o;
                        dw_vec lo = dw_loadu(r0 + x), hi = dw_loadu(r0 + x + DW_VL);
                        dw_vec lo2 = dw_loadu(r0 + x + 2), hi2 = dw_loadu(r0 + x + 2 + DW_VL);
                        dw_vec a0 = dw_fma(w0, dw_even(lo, hi), vb);
                        a0 = dw_fma(w1, dw_odd(lo, hi), a0);
                        a0 = dw_fma(w2, dw_even(lo2, hi2), a0);
                        lo = dw_loadu(r1 + x), hi = dw_loadu(r1 + x + DW_VL);
                        lo2 = dw_loadu(r1 + x + 2), hi2 = dw_loadu(r1 + x + 2 + DW_VL);
                        dw_vec a1 = dw_mul(w3, dw_even(lo, hi));
                        a1 = dw_fma(w4, dw_odd(lo, hi), a1);
                        a1 = dw_fma(w5, dw_even(lo2, hi2), a1);
                        lo = dw_loadu(r2 + x), hi = dw_loadu(r2 + x + DW_VL);
                        lo2 = dw_loadu(r2 + x + 2), hi2 = dw_loadu(r2 + x + 2 + DW_VL);
                        dw_vec a2 = dw_mul(w6, dw_even(lo, hi));
                        a2 = dw_fma(w7, dw_odd(lo, hi), a2);
                        a2 = dw_fma(w8, dw_even(lo2, hi2), a2);
                        dw_vec r = dw_add(dw_add(a0, a1), a2);
                        dw_storeu(yr + o, dw_finish(ep, r, yr + o));
                    }
                }
                bi = first_right - 1;
                continue;
            }
            dw_mask mloc[4];
            const dw_mask *m;
            const int border = bi < nleft || bi >= first_right;
            if (border && e < ne) {
                m = g->em[e];
            } else {
                dw_3x3_masks(x0, W, s, mloc);
                m = mloc;
            }
            if (border) e++;
            dw_store_out(yr, ox0, OW, dw_3x3_edge(rows, x0, s, m, wk, vb), ep);
        }
    }
}

void DW_NAME(nn_dw_nchw)(const nn_conv_params *p, const float *x, const float *w, const float *b,
                         float *y, int64_t begin, int64_t end, const nn_dw_epi *ex) {
    const int64_t mult = p->M / p->C, taps = p->kh * p->kw, opix = p->OH * p->OW;
    dw_ep epv = dw_ep_make(p, ex, y);
    const dw_ep *ep = &epv;
    const int k3 = p->kh == 3 && p->kw == 3 && p->dh == 1 && p->dw == 1 && (p->sw == 1 || p->sw == 2);
    dw3_geom g3;
    if (k3) dw3_setup(p, &g3);
    for (int64_t plane = begin; plane < end; plane++) {
        const int64_t n = plane / p->M, m = plane % p->M, c = m / mult;
        const float *xp = x + (n * p->C + c) * p->H * p->W;
        const float *wp = w + m * taps;
        float *yp = y + plane * opix;
        const dw_vec vb = dw_set1(b ? b[m] : 0.f);
        if (epv.prelu) epv.slope = dw_set1(epv.slopes[m]);
        if (k3) {
            dw_nchw_3x3(p, &g3, xp, wp, vb, yp, ep);
            continue;
        }
        for (int64_t oy = 0; oy < p->OH; oy++) {
            float *yr = yp + oy * p->OW;
            const int64_t iy0 = oy * p->sh - p->pt;
            for (int64_t ox0 = 0; ox0 < p->OW; ox0 += DW_NV * DW_VL) {
                dw_vec acc0[DW_NV], acc1[DW_NV];
#pragma GCC unroll 8
                for (int v = 0; v < DW_NV; v++) {
                    acc0[v] = vb;
                    acc1[v] = dw_zero();
                }
                int parity = 0;
                for (int64_t ky = 0; ky < p->kh; ky++) {
                    const int64_t iy = iy0 + ky * p->dh;
                    if (iy < 0 || iy >= p->H) continue;
                    const float *row = xp + iy * p->W;
                    for (int64_t kx = 0; kx < p->kw; kx++) {
                        const dw_vec wv = dw_set1(wp[ky * p->kw + kx]);
                        const int64_t ixb = ox0 * p->sw - p->pl + kx * p->dw;
                        if (parity) {
#pragma GCC unroll 8
                            for (int v = 0; v < DW_NV; v++)
                                acc1[v] = dw_fma(wv, dw_load_row(row, ixb + (int64_t)v * DW_VL * p->sw, p->sw, p->W),
                                                 acc1[v]);
                        } else {
#pragma GCC unroll 8
                            for (int v = 0; v < DW_NV; v++)
                                acc0[v] = dw_fma(wv, dw_load_row(row, ixb + (int64_t)v * DW_VL * p->sw, p->sw, p->W),
                                                 acc0[v]);
                        }
                        parity ^= 1;
                    }
                }
#pragma GCC unroll 8
                for (int v = 0; v < DW_NV; v++) {
                    int64_t o = ox0 + (int64_t)v * DW_VL;
                    if (o >= p->OW) break;
                    dw_store_out(yr, o, p->OW, dw_add(acc0[v], acc1[v]), ep);
                }
            }
        }
    }
}

/* NHWC 3×3 (dilation 1), one full channel vector c0 of output row (n, oy). */
static void dw_nhwc_3x3_row(const nn_conv_params *p, const float *xn, const float *wp, const float *b,
                            float *yr, int64_t oy, int64_t c0, const dw_ep *ep) {
    const int64_t C = p->C, W = p->W, s = p->sw;
    const dw_vec w0 = dw_loadu(wp + 0 * C + c0), w1 = dw_loadu(wp + 1 * C + c0), w2 = dw_loadu(wp + 2 * C + c0);
    const dw_vec w3 = dw_loadu(wp + 3 * C + c0), w4 = dw_loadu(wp + 4 * C + c0), w5 = dw_loadu(wp + 5 * C + c0);
    const dw_vec w6 = dw_loadu(wp + 6 * C + c0), w7 = dw_loadu(wp + 7 * C + c0), w8 = dw_loadu(wp + 8 * C + c0);
    const dw_vec vb = b ? dw_loadu(b + c0) : dw_zero();
    const int64_t iy = oy * p->sh - p->pt;
    const float *r0 = iy >= 0 && iy < p->H ? xn + iy * W * C + c0 : NULL;
    const float *r1 = iy + 1 >= 0 && iy + 1 < p->H ? xn + (iy + 1) * W * C + c0 : NULL;
    const float *r2 = iy + 2 >= 0 && iy + 2 < p->H ? xn + (iy + 2) * W * C + c0 : NULL;
    for (int64_t ox = 0; ox < p->OW; ox++) {
        const int64_t x0 = ox * s - p->pl;
        dw_vec a0 = vb, a1 = dw_zero(), a2 = dw_zero();
        if (x0 >= 0 && x0 + 2 < W) {
            const int64_t o = x0 * C;
            if (r0) {
                a0 = dw_fma(w0, dw_loadu(r0 + o), a0);
                a0 = dw_fma(w1, dw_loadu(r0 + o + C), a0);
                a0 = dw_fma(w2, dw_loadu(r0 + o + 2 * C), a0);
            }
            if (r1) {
                a1 = dw_fma(w3, dw_loadu(r1 + o), a1);
                a1 = dw_fma(w4, dw_loadu(r1 + o + C), a1);
                a1 = dw_fma(w5, dw_loadu(r1 + o + 2 * C), a1);
            }
            if (r2) {
                a2 = dw_fma(w6, dw_loadu(r2 + o), a2);
                a2 = dw_fma(w7, dw_loadu(r2 + o + C), a2);
                a2 = dw_fma(w8, dw_loadu(r2 + o + 2 * C), a2);
            }
        } else {
            const dw_vec wk[9] = {w0, w1, w2, w3, w4, w5, w6, w7, w8};
            const float *rows[3] = {r0, r1, r2};
            for (int ky = 0; ky < 3; ky++) {
                if (!rows[ky]) continue;
                for (int kx = 0; kx < 3; kx++) {
                    const int64_t ix = x0 + kx;
                    if (ix < 0 || ix >= W) continue;
                    a0 = dw_fma(wk[ky * 3 + kx], dw_loadu(rows[ky] + ix * C), a0);
                }
            }
        }
        dw_vec r = dw_add(dw_add(a0, a1), a2);
        dw_storeu(yr + ox * C + c0, dw_finish(ep, r, yr + ox * C + c0));
    }
}

void DW_NAME(nn_dw_nhwc)(const nn_conv_params *p, const float *x, const float *wp, const float *b,
                         float *y, int64_t begin, int64_t end, const nn_dw_epi *ex) {
    const int64_t C = p->C;
    dw_ep epv = dw_ep_make(p, ex, y);
    const dw_ep *ep = &epv;
    const int k3 = p->kh == 3 && p->kw == 3 && p->dh == 1 && p->dw == 1;
    for (int64_t rowi = begin; rowi < end; rowi++) {
        const int64_t n = rowi / p->OH, oy = rowi % p->OH;
        const float *xn = x + n * p->H * p->W * C;
        float *yr = y + rowi * p->OW * C;
        const int64_t iy0 = oy * p->sh - p->pt;
        for (int64_t c0 = 0; c0 < C; c0 += DW_VL) {
            const int full = c0 + DW_VL <= C;
            const dw_mask cm = dw_mask_range(0, C - c0);
            if (epv.prelu) epv.slope = full ? dw_loadu(epv.slopes + c0) : dw_loadm(epv.slopes + c0, cm);
            if (k3 && full) {
                dw_nhwc_3x3_row(p, xn, wp, b, yr, oy, c0, ep);
                continue;
            }
            const dw_vec vb = b ? (full ? dw_loadu(b + c0) : dw_loadm(b + c0, cm)) : dw_zero();
            for (int64_t ox0 = 0; ox0 < p->OW; ox0 += DW_PX) {
                const int64_t npx = p->OW - ox0 < DW_PX ? p->OW - ox0 : DW_PX;
                const int64_t ixf = ox0 * p->sw - p->pl;                                 /* first */
                const int64_t ixl = (ox0 + npx - 1) * p->sw - p->pl + (p->kw - 1) * p->dw; /* last */
                const int interior = npx == DW_PX && ixf >= 0 && ixl < p->W;
                dw_vec acc[DW_PX];
                for (int q = 0; q < DW_PX; q++) acc[q] = vb;
                for (int64_t ky = 0; ky < p->kh; ky++) {
                    const int64_t iy = iy0 + ky * p->dh;
                    if (iy < 0 || iy >= p->H) continue;
                    const float *xrow = xn + iy * p->W * C + c0;
                    const float *wrow = wp + ky * p->kw * C + c0;
                    for (int64_t kx = 0; kx < p->kw; kx++) {
                        const float *wk = wrow + kx * C;
                        const dw_vec wv = full ? dw_loadu(wk) : dw_loadm(wk, cm);
                        const int64_t ixk = ixf + kx * p->dw;
                        if (interior && full) {
                            for (int q = 0; q < DW_PX; q++)
                                acc[q] = dw_fma(wv, dw_loadu(xrow + (ixk + q * p->sw) * C), acc[q]);
                        } else {
                            for (int q = 0; q < npx; q++) {
                                const int64_t ix = ixk + q * p->sw;
                                if (ix < 0 || ix >= p->W) continue;
                                const float *xs = xrow + ix * C;
                                acc[q] = dw_fma(wv, full ? dw_loadu(xs) : dw_loadm(xs, cm), acc[q]);
                            }
                        }
                    }
                }
                for (int q = 0; q < npx; q++) {
                    float *yo = yr + (ox0 + q) * C + c0;
                    if (full)
                        dw_storeu(yo, dw_finish(ep, acc[q], yo));
                    else
                        dw_storem(yo, cm, dw_finish_m(ep, acc[q], yo, cm));
                }
            }
        }
    }
}
