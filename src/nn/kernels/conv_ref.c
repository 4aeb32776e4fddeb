/*
 * conv_ref.c — reference (plain-loop) convolution and GEMM: the oracle the SIMD paths are
 * tested against, and what runs when no SIMD level is usable (FSIFT_CPU=generic).
 *
 * Written to be obviously correct first: the convolution is the textbook sum over
 * (channel-in-group, ky, kx) for every output element, with explicit bounds checks for the
 * padding, in the same index order for both layouts. Sums are accumulated in double and
 * rounded once, so the oracle's own rounding error is far below the SIMD paths' (which
 * accumulate in float, like ONNX Runtime) and comparisons measure the fast paths only.
 */
#include <string.h>

#include "conv_impl.h"

void nn_conv_ref(const nn_conv_params *p, const float *x, const float *w, const float *b,
                 float *y) {
    const int64_t cg = p->C / p->group, mg = p->M / p->group;
    const int64_t opix = p->OH * p->OW;
    for (int64_t n = 0; n < p->N; n++)
        for (int64_t m = 0; m < p->M; m++) {
            const int64_t g = m / mg;
            for (int64_t oy = 0; oy < p->OH; oy++)
                for (int64_t ox = 0; ox < p->OW; ox++) {
                    double acc = 0.0;
                    for (int64_t c = 0; c < cg; c++) {
                        const int64_t ci = g * cg + c;
                        for (int64_t ky = 0; ky < p->kh; ky++) {
                            const int64_t iy = oy * p->sh - p->pt + ky * p->dh;
                            if (iy < 0 || iy >= p->H) continue;
                            for (int64_t kx = 0; kx < p->kw; kx++) {
                                const int64_t ix = ox * p->sw - p->pl + kx * p->dw;
                                if (ix < 0 || ix >= p->W) continue;
                                float xv, wv;
                                if (p->nhwc) {
                                    xv = x[((n * p->H + iy) * p->W + ix) * p->C + ci];
                                    wv = w[((m * p->kh + ky) * p->kw + kx) * cg + c];
                                } else {
                                    xv = x[((n * p->C + ci) * p->H + iy) * p->W + ix];
                                    wv = w[((m * cg + c) * p->kh + ky) * p->kw + kx];
                                }
                                acc += (double)xv * wv;
                            }
                        }
                    }
                    float v = (float)acc;
                    if (b) v += b[m];
                    v = nn_act_one(v, p->act);
                    if (p->nhwc)
                        y[(n * opix + oy * p->OW + ox) * p->M + m] = v;
                    else
                        y[(n * p->M + m) * opix + oy * p->OW + ox] = v;
                }
        }
}

/* Element of an operand (A: (row, k); B: (k, col)); see gemm.h for the views. */
static float ref_at(const nn_gemm_src *s, int as_b, int64_t row, int64_t k) {
    if (s->kind == NN_GEMM_DENSE)
        return as_b ? s->p[k * s->rs + row * s->cs] : s->p[row * s->rs + k * s->cs];
    const nn_conv_geom *g = s->geom;
    int64_t img = 0, pix = row, c, ky, kx;
    if (g->nhwc) {
        int64_t opix = g->OH * g->OW;
        img = row / opix;
        pix = row % opix;
        c = k % g->C;
        ky = (k / g->C) / g->kw;
        kx = (k / g->C) % g->kw;
    } else {
        c = k / (g->kh * g->kw);
        ky = (k / g->kw) % g->kh;
        kx = k % g->kw;
    }
    int64_t iy = (pix / g->OW) * g->sh - g->pt + ky * g->dh;
    int64_t ix = (pix % g->OW) * g->sw - g->pl + kx * g->dw;
    if (iy < 0 || iy >= g->H || ix < 0 || ix >= g->W) return 0.f;
    if (g->nhwc) return s->p[img * g->img_stride + (iy * g->W + ix) * g->ctot + c];
    return s->p[(c * g->H + iy) * g->W + ix];
}

void nn_gemm_ref(const nn_gemm_task *t) {
    for (int64_t i = 0; i < t->M; i++)
        for (int64_t j = 0; j < t->N; j++) {
            double acc = 0.0;
            for (int64_t k = 0; k < t->K; k++) acc += (double)ref_at(&t->a, 0, i, k) * ref_at(&t->b, 1, j, k);
            float *c = t->c + i * t->rs_c + j * t->cs_c;
            float v = (float)acc * t->alpha;
            if (t->accumulate) v += *c;
            if (t->bias) v += t->bias[t->bias_per_col ? j : i];
            if (t->res) v += t->res[i * t->rs_c + j * t->cs_c];
            if (v < t->lo) v = t->lo;
            if (v > t->hi) v = t->hi;
            if (t->slope && v < 0.f) v *= t->slope[t->slope_per_col ? j : i];
            *c = v;
        }
}
