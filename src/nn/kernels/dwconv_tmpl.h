/*
 * dwconv_tmpl.h — the depthwise convolution kernels, written once over a small vector
 * vocabulary and included by dwconv_avx2.c and dwconv_avx512.c, which define it (the
 * DW_* macros and dw_* inline functions below) for their instruction set.
 *
 * NCHW (ONNX models, e.g. BlazeFace): each output plane is computed row by row, vectorised
 * along the row: DW_NV vectors of output pixels at a time, each with two accumulators (even
 * and odd taps) so that several independent FMA chains hide the FMA latency. The input row
 * segment for a tap is one vector load for stride 1, two loads and a deinterleave for stride
 * 2, and a gather for larger strides; near the borders the loads are masked to the valid
 * input columns (padding reads as zero without ever touching memory outside the row).
 *
 * NHWC (graphs from TFLite, e.g. MobileFaceNet): vectorised across channels, with the
 * weights packed tap-major ([kh*kw][C]) so that a tap's weights are one contiguous vector;
 * DW_PX output pixels of a row are computed together (independent FMA chains, the weight
 * vector loaded once per tap). Pixel groups whose taps all fall inside the image skip every
 * bounds check.
 *
 * The including file defines: DW_VL (floats per vector), dw_vec, dw_mask, dw_zero, dw_set1,
 * dw_fma, dw_add, dw_clamp, dw_loadu, dw_storeu, dw_mask_range(lo, hi) (lanes lo <= l < hi),
 * dw_loadm, dw_storem, dw_load2 (stride-2 deinterleave of 2*DW_VL floats with raw masks),
 * dw_gather, DW_NV, DW_PX and DW_NAME(x) (the function name suffix).
 */

/* Loads lanes l: row[ix0 + l*s] where 0 <= ix0 + l*s < W, zero elsewhere. */
static inline dw_vec dw_load_row(const float *row, int64_t ix0, int64_t s, int64_t W) {
    if (s == 1) {
        if (ix0 >= 0 && ix0 + DW_VL <= W) return dw_loadu(row + ix0);
        return dw_loadm(row + ix0, dw_mask_range(-ix0, W - ix0));
    }
    if (s == 2) {
        if (ix0 >= 0 && ix0 + 2 * DW_VL <= W) return dw_load2(row + ix0, dw_mask_range(0, DW_VL), dw_mask_range(0, DW_VL));
        return dw_load2(row + ix0, dw_mask_range(-ix0, W - ix0), dw_mask_range(-ix0 - DW_VL, W - ix0 - DW_VL));
    }
    int64_t lo = ix0 >= 0 ? 0 : (-ix0 + s - 1) / s;
    int64_t hi = W - 1 - ix0 < 0 ? 0 : (W - 1 - ix0) / s + 1;
    return dw_gather(row + ix0, s, dw_mask_range(lo, hi));
}

void DW_NAME(nn_dw_nchw)(const nn_conv_params *p, const float *x, const float *w, const float *b,
                         float *y, int64_t begin, int64_t end) {
    const int64_t mult = p->M / p->C, taps = p->kh * p->kw, opix = p->OH * p->OW;
    float flo, fhi;
    nn_act_bounds(p->act, &flo, &fhi);
    const int clamp = flo > -INFINITY || fhi < INFINITY;
    const dw_vec vlo = dw_set1(flo), vhi = dw_set1(fhi);
    for (int64_t plane = begin; plane < end; plane++) {
        const int64_t n = plane / p->M, m = plane % p->M, c = m / mult;
        const float *xp = x + (n * p->C + c) * p->H * p->W;
        const float *wp = w + m * taps;
        float *yp = y + plane * opix;
        const dw_vec vb = dw_set1(b ? b[m] : 0.f);
        for (int64_t oy = 0; oy < p->OH; oy++) {
            float *yr = yp + oy * p->OW;
            const int64_t iy0 = oy * p->sh - p->pt;
            for (int64_t ox0 = 0; ox0 < p->OW; ox0 += DW_NV * DW_VL) {
                dw_vec acc0[DW_NV], acc1[DW_NV];
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
                            for (int v = 0; v < DW_NV; v++)
                                acc1[v] = dw_fma(wv, dw_load_row(row, ixb + (int64_t)v * DW_VL * p->sw, p->sw, p->W), acc1[v]);
                        } else {
                            for (int v = 0; v < DW_NV; v++)
                                acc0[v] = dw_fma(wv, dw_load_row(row, ixb + (int64_t)v * DW_VL * p->sw, p->sw, p->W), acc0[v]);
                        }
                        parity ^= 1;
                    }
                }
                for (int v = 0; v < DW_NV; v++) {
                    int64_t o = ox0 + (int64_t)v * DW_VL;
                    if (o >= p->OW) break;
                    dw_vec r = dw_add(acc0[v], acc1[v]);
                    if (clamp) r = dw_clamp(r, vlo, vhi);
                    if (o + DW_VL <= p->OW)
                        dw_storeu(yr + o, r);
                    else
                        dw_storem(yr + o, dw_mask_range(0, p->OW - o), r);
                }
            }
        }
    }
}

void DW_NAME(nn_dw_nhwc)(const nn_conv_params *p, const float *x, const float *wp, const float *b,
                         float *y, int64_t begin, int64_t end) {
    const int64_t C = p->C;
    float flo, fhi;
    nn_act_bounds(p->act, &flo, &fhi);
    const int clamp = flo > -INFINITY || fhi < INFINITY;
    const dw_vec vlo = dw_set1(flo), vhi = dw_set1(fhi);
    for (int64_t rowi = begin; rowi < end; rowi++) {
        const int64_t n = rowi / p->OH, oy = rowi % p->OH;
        const float *xn = x + n * p->H * p->W * C;
        float *yr = y + rowi * p->OW * C;
        const int64_t iy0 = oy * p->sh - p->pt;
        for (int64_t ox0 = 0; ox0 < p->OW; ox0 += DW_PX) {
            const int64_t npx = p->OW - ox0 < DW_PX ? p->OW - ox0 : DW_PX;
            const int64_t ixf = ox0 * p->sw - p->pl;                                 /* first */
            const int64_t ixl = (ox0 + npx - 1) * p->sw - p->pl + (p->kw - 1) * p->dw; /* last */
            const int interior = npx == DW_PX && ixf >= 0 && ixl < p->W;
            for (int64_t c0 = 0; c0 < C; c0 += DW_VL) {
                const int full = c0 + DW_VL <= C;
                const dw_mask cm = dw_mask_range(0, C - c0);
                dw_vec acc[DW_PX];
                const dw_vec vb = b ? (full ? dw_loadu(b + c0) : dw_loadm(b + c0, cm)) : dw_zero();
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
                    dw_vec r = acc[q];
                    if (clamp) r = dw_clamp(r, vlo, vhi);
                    float *yo = yr + (ox0 + q) * C + c0;
                    if (full)
                        dw_storeu(yo, r);
                    else
                        dw_storem(yo, cm, r);
                }
            }
        }
    }
}
