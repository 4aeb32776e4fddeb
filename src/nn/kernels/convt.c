/*
 * convt.c — operator group nn_ops_convt (see ../ops.h): ConvTranspose, 1 to 3 spatial dims,
 * NCHW, plain loops (not in the hot path of any target model).
 */
#include <stdlib.h>
#include <string.h>

#include "conv_common.h"

/* ---- ConvTranspose --------------------------------------------------------------------- */

/* 1 to 3 spatial dims, NCHW, plain loops: every input element scatters its products into
 * the output (out = in*stride - pad_begin + k*dilation). Not in the hot path of any target
 * model, so it stays the simple reference. */
typedef struct convt_state {
    int nsp;
    int64_t N, C, M, group;
    int64_t in[3], k[3], s[3], d[3], pb[3], out[3];
    nn_act act;
} convt_state;

static fsift_status convt_infer(nn_kctx *k) {
    if (k->n_in < 2 || !k->in[0] || !k->in[1]) return nn_op_error(k, FSIFT_E_FORMAT, "needs inputs X and W");
    fsift_status st;
    if ((st = conv_check_f32(k, 0, "X")) || (st = conv_check_f32(k, 1, "W"))) return st;
    if (k->n_in > 2 && k->in[2] && (st = conv_check_f32(k, 2, "B"))) return st;
    const nn_node *n = k->node;
    if (strcmp(nn_attr_str(n, "layout", "NCHW"), "NCHW"))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "layout '%s' not supported", nn_attr_str(n, "layout", ""));
    const nn_tensor *x = k->in[0], *w = k->in[1];
    if (x->rank < 3 || x->rank > 5) return nn_op_error(k, FSIFT_E_UNSUPPORTED, "X of rank %d not supported", x->rank);
    if (w->rank != x->rank) return nn_op_error(k, FSIFT_E_SHAPE, "W has rank %d, X rank %d", w->rank, x->rank);
    convt_state *s = nn_kctx_alloc(k, sizeof *s);
    if (!s) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    k->state = s;
    if ((st = nn_act_parse(k, &s->act))) return st;
    const int nsp = x->rank - 2;
    s->nsp = nsp;
    s->N = x->dims[0];
    s->C = x->dims[1];
    s->group = nn_attr_int(n, "group", 1);
    if (s->group < 1 || s->group > s->C || s->C % s->group || w->dims[0] != s->C)
        return nn_op_error(k, FSIFT_E_SHAPE, "W [%lld,...] does not match %lld input channels in %lld groups",
                           (long long)w->dims[0], (long long)s->C, (long long)s->group);
    if (!conv_mul_ok(w->dims[1], s->group, &s->M) || s->M < 1) return nn_op_error(k, FSIFT_E_SHAPE, "bad W");
    int cnt;
    const int64_t *ks = nn_attr_ints(n, "kernel_shape", &cnt);
    if (ks && cnt != nsp) return nn_op_error(k, FSIFT_E_SHAPE, "kernel_shape has %d values", cnt);
    const int64_t *st_ = nn_attr_ints(n, "strides", &cnt);
    if (st_ && cnt != nsp) return nn_op_error(k, FSIFT_E_SHAPE, "strides has %d values", cnt);
    const int64_t *dl = nn_attr_ints(n, "dilations", &cnt);
    if (dl && cnt != nsp) return nn_op_error(k, FSIFT_E_SHAPE, "dilations has %d values", cnt);
    const int64_t *pads = nn_attr_ints(n, "pads", &cnt);
    if (pads && cnt != 2 * nsp) return nn_op_error(k, FSIFT_E_SHAPE, "pads has %d values", cnt);
    const int64_t *op = nn_attr_ints(n, "output_padding", &cnt);
    if (op && cnt != nsp) return nn_op_error(k, FSIFT_E_SHAPE, "output_padding has %d values", cnt);
    const int64_t *os = nn_attr_ints(n, "output_shape", &cnt);
    if (os && cnt != nsp && cnt != nsp + 2) return nn_op_error(k, FSIFT_E_SHAPE, "output_shape has %d values", cnt);
    if (os && cnt == nsp + 2) os += 2;
    const char *ap = nn_attr_str(n, "auto_pad", "NOTSET");
    int same = !strcmp(ap, "SAME_UPPER") ? 1 : !strcmp(ap, "SAME_LOWER") ? 2 : 0;
    if (!same && strcmp(ap, "NOTSET") && strcmp(ap, "VALID") && *ap)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "auto_pad '%s' not supported", ap);
    int64_t od[5] = {s->N, s->M};
    for (int i = 0; i < 3; i++) {
        s->in[i] = s->k[i] = s->s[i] = s->d[i] = s->out[i] = 1;
        s->pb[i] = 0;
    }
    for (int i = 0; i < nsp; i++) {
        s->in[i] = x->dims[2 + i];
        s->k[i] = w->dims[2 + i];
        if (ks && ks[i] != s->k[i]) return nn_op_error(k, FSIFT_E_SHAPE, "kernel_shape does not match W");
        s->s[i] = st_ ? st_[i] : 1;
        s->d[i] = dl ? dl[i] : 1;
        int64_t opad = op ? op[i] : 0;
        if (s->s[i] < 1 || s->s[i] > MAX_ATTR_VAL || s->d[i] < 1 || s->d[i] > MAX_ATTR_VAL || opad < 0 ||
            opad > MAX_ATTR_VAL || s->k[i] < 1)
            return nn_op_error(k, FSIFT_E_UNSUPPORTED, "strides, dilations and output_padding out of range");
        int64_t ext, full;
        if (!conv_mul_ok(s->d[i], s->k[i] - 1, &ext) || !conv_mul_ok(s->s[i], s->in[i] > 0 ? s->in[i] - 1 : 0, &full))
            return nn_op_error(k, FSIFT_E_LIMIT, "output too large");
        full += opad + ext + 1; /* output size without padding */
        if (os || same) {
            int64_t o = os ? os[i] : s->in[i] * s->s[i];
            if (o < 0 || o > NN_MAX_DIM) return nn_op_error(k, FSIFT_E_SHAPE, "bad output_shape");
            /* the spec's split, with Python's floor division (a negative total, i.e. an
             * output larger than the natural one, grows at the end) */
            int64_t total = full - o, half = total >= 0 ? total / 2 : -((-total + 1) / 2);
            s->pb[i] = same == 1 ? half : total - half;
            s->out[i] = o;
        } else {
            int64_t b = pads && strcmp(ap, "VALID") ? pads[i] : 0, e = pads && strcmp(ap, "VALID") ? pads[nsp + i] : 0;
            if (b < 0 || e < 0 || b > MAX_ATTR_VAL || e > MAX_ATTR_VAL)
                return nn_op_error(k, FSIFT_E_UNSUPPORTED, "pads out of range");
            s->pb[i] = b;
            s->out[i] = full - b - e;
            if (s->out[i] < 0) return nn_op_error(k, FSIFT_E_SHAPE, "pads larger than the output");
        }
        od[2 + i] = s->out[i];
    }
    if (k->n_in > 2 && k->in[2] && (k->in[2]->rank != 1 || k->in[2]->dims[0] != s->M))
        return nn_op_error(k, FSIFT_E_SHAPE, "B must be [%lld]", (long long)s->M);
    nn_set_out(k, 0, FSIFT_DTYPE_FLOAT32, x->rank, od);
    return FSIFT_OK;
}

static fsift_status convt_run(nn_kctx *k) {
    const convt_state *s = k->state;
    const float *x = k->in[0]->data, *w = k->in[1]->data;
    const float *b = k->n_in > 2 && k->in[2] ? k->in[2]->data : NULL;
    float *y = k->out[0]->data;
    const int64_t cg = s->C / s->group, mg = s->M / s->group;
    const int64_t ipix = s->in[0] * s->in[1] * s->in[2], opix = s->out[0] * s->out[1] * s->out[2];
    const int64_t kpix = s->k[0] * s->k[1] * s->k[2];
    for (int64_t n = 0; n < s->N; n++)
        for (int64_t m = 0; m < s->M; m++) {
            float *yp = y + (n * s->M + m) * opix;
            for (int64_t o = 0; o < opix; o++) yp[o] = b ? b[m] : 0.f;
            const int64_t g = m / mg, mm = m % mg;
            for (int64_t c = g * cg; c < (g + 1) * cg; c++) {
                const float *xp = x + (n * s->C + c) * ipix, *wp = w + (c * mg + mm) * kpix;
                for (int64_t i0 = 0; i0 < s->in[0]; i0++)
                    for (int64_t i1 = 0; i1 < s->in[1]; i1++)
                        for (int64_t i2 = 0; i2 < s->in[2]; i2++) {
                            const float xv = xp[(i0 * s->in[1] + i1) * s->in[2] + i2];
                            for (int64_t k0 = 0; k0 < s->k[0]; k0++) {
                                const int64_t o0 = i0 * s->s[0] - s->pb[0] + k0 * s->d[0];
                                if (o0 < 0 || o0 >= s->out[0]) continue;
                                for (int64_t k1 = 0; k1 < s->k[1]; k1++) {
                                    const int64_t o1 = i1 * s->s[1] - s->pb[1] + k1 * s->d[1];
                                    if (o1 < 0 || o1 >= s->out[1]) continue;
                                    for (int64_t k2 = 0; k2 < s->k[2]; k2++) {
                                        const int64_t o2 = i2 * s->s[2] - s->pb[2] + k2 * s->d[2];
                                        if (o2 < 0 || o2 >= s->out[2]) continue;
                                        yp[(o0 * s->out[1] + o1) * s->out[2] + o2] +=
                                            xv * wp[(k0 * s->k[1] + k1) * s->k[2] + k2];
                                    }
                                }
                            }
                        }
            }
            nn_act_apply(yp, opix, s->act);
        }
    return FSIFT_OK;
}

const nn_op_def nn_ops_convt[] = {
    {"ConvTranspose", "", 0, NULL, convt_infer, convt_run},
    {0},
};
