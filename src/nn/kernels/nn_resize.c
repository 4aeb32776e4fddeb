/*
 * nn_resize.c — Resize (opsets 10–19) and the deprecated Upsample (opsets 7–9), which maps
 * onto the same code.
 *
 * Supported: mode nearest (nearest_mode round_prefer_floor, round_prefer_ceil, floor, ceil;
 * before opset 11 ORT's "simple" rule), linear (n-linear over every resized axis) and cubic
 * (cubic_coeff_a, exclude_outside); coordinate_transformation_mode half_pixel,
 * half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn
 * and tf_crop_and_resize (roi, extrapolation_value); scales or sizes (opset 18: axes,
 * keep_aspect_ratio_policy). scales/sizes/roi must be known at plan time. antialias=1 is
 * unsupported. Extension layout="NHWC" (TFLite): scales/sizes with 2 values apply to axes 1
 * and 2 of [N,H,W,C]; with rank values they are used as given.
 *
 * Coordinates: x_original is computed in float with ONNX Runtime's expressions (so nearest
 * ties and crop boundaries round as there); with scales, align_corners divides by the
 * unrounded resized length scale * length as the ONNX reference does (it matters only when
 * that product is not whole), with sizes by the output length; neighbours outside the input
 * repeat the edge (or, with exclude_outside, get zero weight and the rest is renormalised).
 *
 * How it works: infer builds, for every axis, a table giving each output index its input taps
 * (1 for nearest, 2 linear, 4 cubic) and weights; index -1 marks a point outside the crop box
 * (the output is extrapolation_value). Nearest is one N-d gather (any dtype: it copies
 * elements). Linear and cubic run one separable 1-D pass per axis whose table is not the
 * identity (shrinking axes first, so intermediates stay small), viewing the tensor as
 * [outer, L, inner] -> [outer, L', inner]; intermediate results go to scratch (two ping-pong
 * buffers), the last pass writes the output.
 *
 * Threading: rows of each pass are split across k->pool with nn_parallel; state is read-only.
 */
#include <float.h>

#include "nn_group.h"

enum { RS_NEAREST, RS_LINEAR, RS_CUBIC };
enum {
    CT_HALF_PIXEL, CT_HALF_PIXEL_SYM, CT_PYTORCH, CT_ALIGN, CT_ASYM, CT_TF_NN, CT_CROP
};
enum { NM_ROUND_FLOOR, NM_ROUND_CEIL, NM_FLOOR, NM_CEIL, NM_SIMPLE };

typedef struct rs_axis {
    int64_t in, out;
    int identity;
    int64_t *idx; /* out * taps input indices; -1 = outside the crop box */
    float *w;     /* out * taps weights */
} rs_axis;

typedef struct rs_state {
    int mode, rank, taps;
    size_t esize;
    float ev; /* extrapolation_value */
    rs_axis ax[NN_MAX_RANK];
    int npass, pass_axis[NN_MAX_RANK];
    int64_t pass_in[NN_MAX_RANK][NN_MAX_RANK]; /* dims before each pass */
    size_t buf_elems;                           /* elements of each scratch buffer */
} rs_state;

static void cubic_coeffs(double r, double A, double c[4]) {
    c[0] = ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A;
    c[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
    c[2] = ((A + 2) * (1 - r) - (A + 3)) * (1 - r) * (1 - r) + 1;
    c[3] = ((A * ((1 - r) + 1) - 5 * A) * ((1 - r) + 1) + 8 * A) * ((1 - r) + 1) - 4 * A;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Fills one axis's table. scale: output/input; roi0/roi1: crop box (tf_crop_and_resize). */
static void rs_fill_axis(rs_axis *a, int mode, int taps, int ct, int nm, double scale,
                         int from_sizes, double roi0, double roi1, double cubic_a,
                         int exclude) {
    const int64_t in = a->in, out = a->out;
    /* float arithmetic in ONNX Runtime's order, so that ties in nearest rounding and crop
     * boundaries fall the same way */
    const float sc = (float)scale, inf1 = (float)(in - 1);
    /* resized length: the output length when sizes were given, else the reference's
     * unrounded scale * length */
    const float outw = from_sizes ? (float)out : sc * (float)in;
    const float r0 = (float)roi0, r1 = (float)roi1;
    a->identity = in == out;
    for (int64_t o = 0; o < out; o++) {
        const float x = (float)o;
        float xo;
        switch (ct) {
        case CT_ALIGN: xo = outw == 1.f ? 0.f : x * inf1 / (outw - 1.f); break;
        case CT_ASYM: xo = x / sc; break;
        case CT_TF_NN: xo = (x + 0.5f) / sc; break;
        case CT_PYTORCH: xo = out > 1 ? (x + 0.5f) / sc - 0.5f : 0.f; break;
        case CT_CROP:
            xo = out > 1 ? r0 * inf1 + (x * (r1 - r0) * inf1) / (float)(out - 1)
                         : 0.5f * (r0 + r1) * inf1;
            break;
        case CT_HALF_PIXEL_SYM: {
            float adj = (float)out / outw, center = (float)in / 2.f;
            xo = center * (1.f - adj) + ((x + 0.5f) / sc - 0.5f);
            break;
        }
        default: xo = (x + 0.5f) / sc - 0.5f; break;
        }
        int64_t *idx = a->idx + o * taps;
        float *w = a->w + o * taps;
        if (ct == CT_CROP && (xo < 0.f || xo > inf1 || !(xo == xo))) {
            for (int t = 0; t < taps; t++) {
                idx[t] = -1;
                w[t] = 0.f;
            }
            a->identity = 0;
            continue;
        }
        if (!(xo > -1e15f && xo < 1e15f)) xo = 0.f; /* non-finite or absurd: clamp below */
        double fl = floor((double)xo), r = (double)xo - fl;
        int64_t x0 = (int64_t)fl;
        if (mode == RS_NEAREST) {
            int64_t i;
            if (r == 0.0) i = x0;
            else if (nm == NM_ROUND_FLOOR) i = r <= 0.5 ? x0 : x0 + 1;
            else if (nm == NM_ROUND_CEIL) i = r < 0.5 ? x0 : x0 + 1;
            else if (nm == NM_FLOOR) i = x0;
            else if (nm == NM_CEIL) i = x0 + 1;
            else i = scale < 1.0 ? x0 + 1 : x0; /* simple: ceil when downsampling */
            idx[0] = clamp64(i, 0, in - 1);
            w[0] = 1.f;
        } else if (mode == RS_LINEAR) {
            idx[0] = clamp64(x0, 0, in - 1);
            idx[1] = clamp64(x0 + 1, 0, in - 1);
            w[0] = (float)(1.0 - r);
            w[1] = (float)r;
        } else {
            double c[4], sum = 0.0;
            cubic_coeffs(r, cubic_a, c);
            for (int t = 0; t < 4; t++) {
                int64_t i = x0 - 1 + t;
                if (exclude && (i < 0 || i >= in)) c[t] = 0.0;
                sum += c[t];
                idx[t] = clamp64(i, 0, in - 1);
            }
            for (int t = 0; t < 4; t++) w[t] = (float)(exclude && sum != 0.0 ? c[t] / sum : c[t]);
        }
        /* identity check: all weight on index o */
        double wo = 0.0;
        int other = 0;
        for (int t = 0; t < taps; t++) {
            if (idx[t] == o) wo += w[t];
            else if (w[t] != 0.f) other = 1;
        }
        if (other || wo != 1.0) a->identity = 0;
    }
}

/* Reads a float tensor element (float32 scales/roi). */
static double rs_getf(const nn_tensor *t, int64_t i) {
    return (double)((const float *)t->data)[i];
}

fsift_status nn_resize_infer(nn_kctx *k) {
    const nn_node *nd = k->node;
    const nn_tensor *x = nn_in_opt(k, 0);
    if (!x) return nn_op_error(k, FSIFT_E_SHAPE, "input X is missing");
    const int upsample = strcmp(nd->op_type, "Upsample") == 0;
    const int old = upsample || k->opset < 11;
    const int rank = x->rank;
    if (rank < 1) return nn_op_error(k, FSIFT_E_SHAPE, "input must have rank >= 1");
    if (nn_attr_int(nd, "antialias", 0) != 0)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "antialias=1 not supported");

    const char *ms = nn_attr_str(nd, "mode", "nearest");
    int mode;
    if (strcmp(ms, "nearest") == 0) mode = RS_NEAREST;
    else if (strcmp(ms, "linear") == 0 || strcmp(ms, "bilinear") == 0) mode = RS_LINEAR;
    else if (strcmp(ms, "cubic") == 0 && !old) mode = RS_CUBIC;
    else return nn_op_error(k, FSIFT_E_UNSUPPORTED, "mode '%s' not supported", ms);
    const int taps = mode == RS_NEAREST ? 1 : mode == RS_LINEAR ? 2 : 4;
    if (mode != RS_NEAREST && x->dtype != FSIFT_DTYPE_FLOAT32)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                           fsift_dtype_name(x->dtype));
    size_t esize = fsift_dtype_size(x->dtype);
    if (esize != 1 && esize != 2 && esize != 4 && esize != 8)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                           fsift_dtype_name(x->dtype));

    int ct = CT_ASYM, nm = NM_SIMPLE;
    if (!old) {
        const char *cs = nn_attr_str(nd, "coordinate_transformation_mode", "half_pixel");
        static const char *const ctn[] = {"half_pixel", "half_pixel_symmetric",
                                          "pytorch_half_pixel", "align_corners", "asymmetric",
                                          "tf_half_pixel_for_nn", "tf_crop_and_resize"};
        ct = -1;
        for (int i = 0; i < 7; i++)
            if (strcmp(cs, ctn[i]) == 0) ct = i;
        if (ct < 0)
            return nn_op_error(k, FSIFT_E_UNSUPPORTED,
                               "coordinate_transformation_mode '%s' not supported", cs);
        const char *ns = nn_attr_str(nd, "nearest_mode", "round_prefer_floor");
        static const char *const nmn[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                          "ceil"};
        nm = -1;
        for (int i = 0; i < 4; i++)
            if (strcmp(ns, nmn[i]) == 0) nm = i;
        if (nm < 0) return nn_op_error(k, FSIFT_E_UNSUPPORTED, "nearest_mode '%s'", ns);
    }
    if (ct == CT_CROP && x->dtype != FSIFT_DTYPE_FLOAT32)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "tf_crop_and_resize needs float32");

    /* which inputs hold roi / scales / sizes */
    const nn_tensor *roi = NULL, *scales = NULL, *sizes = NULL;
    const float *scale_attr = NULL;
    int n_scale_attr = 0;
    if (upsample && k->opset < 9) {
        scale_attr = nn_attr_floats(nd, "scales", &n_scale_attr);
        if (!scale_attr) return nn_op_error(k, FSIFT_E_FORMAT, "attribute scales is required");
    } else if (old) {
        scales = nn_in_opt(k, 1);
        if (!scales) return nn_op_error(k, FSIFT_E_FORMAT, "input scales is required");
    } else {
        roi = nn_in_opt(k, 1);
        scales = nn_in_opt(k, 2);
        sizes = nn_in_opt(k, 3);
    }
    if (scales && fsift_tensor_numel(scales) == 0) scales = NULL;
    if (sizes && fsift_tensor_numel(sizes) == 0) sizes = NULL;
    if (roi && fsift_tensor_numel(roi) == 0) roi = NULL;
    if (scales && sizes) return nn_op_error(k, FSIFT_E_FORMAT, "both scales and sizes given");
    if (!scales && !sizes && !scale_attr)
        return nn_op_error(k, FSIFT_E_FORMAT, "one of scales and sizes is required");
    if (scales && scales->dtype != FSIFT_DTYPE_FLOAT32)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "scales must be float32");
    if (sizes && sizes->dtype != FSIFT_DTYPE_INT64 && sizes->dtype != FSIFT_DTYPE_INT32)
        return nn_op_error(k, FSIFT_E_FORMAT, "sizes must be int64");
    if ((scales && !scales->data) || (sizes && !sizes->data) ||
        (roi && ct == CT_CROP && !roi->data))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED,
                           "scales/sizes/roi must be known at plan time");

    /* axes the scales/sizes/roi refer to */
    int axes[NN_MAX_RANK], nax = rank;
    for (int i = 0; i < rank; i++) axes[i] = i;
    int cnt = 0;
    const int64_t *aa = nn_attr_ints(nd, "axes", &cnt);
    int64_t given = scale_attr ? n_scale_attr
                    : scales  ? fsift_tensor_numel(scales)
                              : fsift_tensor_numel(sizes);
    int nhwc = nn_layout_nhwc(k);
    if (nhwc < 0) return nn_op_error(k, FSIFT_E_UNSUPPORTED, "unknown layout attribute");
    if (aa) {
        if (cnt < 1 || cnt > rank) return nn_op_error(k, FSIFT_E_SHAPE, "bad axes attribute");
        int seen[NN_MAX_RANK] = {0};
        for (int i = 0; i < cnt; i++) {
            fsift_status s = nn_axis(k, aa[i], rank, &axes[i]);
            if (s) return s;
            if (seen[axes[i]]++) return nn_op_error(k, FSIFT_E_SHAPE, "axes repeat");
        }
        nax = cnt;
    } else if (nhwc && rank == 4 && given == 2) {
        axes[0] = 1;
        axes[1] = 2;
        nax = 2;
    }
    if (given != nax)
        return nn_op_error(k, FSIFT_E_SHAPE, "scales/sizes have %lld values, expected %d",
                           (long long)given, nax);
    if (roi && ct == CT_CROP) {
        if (roi->dtype != FSIFT_DTYPE_FLOAT32)
            return nn_op_error(k, FSIFT_E_UNSUPPORTED, "roi must be float32");
        if (fsift_tensor_numel(roi) != 2 * nax)
            return nn_op_error(k, FSIFT_E_SHAPE, "roi must have %d values", 2 * nax);
    }

    rs_state *st = nn_kctx_alloc(k, sizeof *st);
    if (!st) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    st->mode = mode;
    st->rank = rank;
    st->taps = taps;
    st->esize = esize;
    st->ev = nn_attr_float(nd, "extrapolation_value", 0.f);

    double scl[NN_MAX_RANK], r0[NN_MAX_RANK], r1[NN_MAX_RANK];
    int64_t od[NN_MAX_RANK];
    for (int i = 0; i < rank; i++) {
        scl[i] = 1.0;
        r0[i] = 0.0;
        r1[i] = 1.0;
        od[i] = x->dims[i];
    }
    if (roi && ct == CT_CROP)
        for (int i = 0; i < nax; i++) {
            r0[axes[i]] = rs_getf(roi, i);
            r1[axes[i]] = rs_getf(roi, nax + i);
        }
    if (sizes) {
        const char *pol = nn_attr_str(nd, "keep_aspect_ratio_policy", "stretch");
        int policy = strcmp(pol, "not_larger") == 0 ? 1 : strcmp(pol, "not_smaller") == 0 ? 2 : 0;
        if (!policy && strcmp(pol, "stretch") != 0)
            return nn_op_error(k, FSIFT_E_UNSUPPORTED, "keep_aspect_ratio_policy '%s'", pol);
        double common = policy == 1 ? INFINITY : 0.0;
        for (int i = 0; i < nax; i++) {
            int64_t v = nn_get_int(sizes, i), in = x->dims[axes[i]];
            if (v < 0 || v > NN_MAX_DIM)
                return nn_op_error(k, FSIFT_E_SHAPE, "sizes[%d] = %lld out of range", i,
                                   (long long)v);
            if (in == 0) continue;
            double s = (double)v / (double)in;
            scl[axes[i]] = s;
            od[axes[i]] = v;
            if (policy == 1 && s < common) common = s;
            if (policy == 2 && s > common) common = s;
        }
        if (policy)
            for (int i = 0; i < nax; i++) {
                int64_t in = x->dims[axes[i]];
                if (in == 0) continue;
                double len = nearbyint(common * (double)in);
                if (!(len >= 0.0 && len <= (double)NN_MAX_DIM))
                    return nn_op_error(k, FSIFT_E_SHAPE, "output size out of range on axis %d",
                                       axes[i]);
                scl[axes[i]] = common;
                od[axes[i]] = (int64_t)len;
            }
    } else {
        for (int i = 0; i < nax; i++) {
            double s = scale_attr ? (double)scale_attr[i] : rs_getf(scales, i);
            if (!(s > 0.0) || s > 1e9)
                return nn_op_error(k, FSIFT_E_SHAPE, "scale %g not supported", s);
            int a = axes[i];
            double len = (double)x->dims[a] * (ct == CT_CROP ? (r1[a] - r0[a]) : 1.0) * s;
            if (!(len >= 0.0) || len > (double)NN_MAX_DIM)
                return nn_op_error(k, FSIFT_E_SHAPE, "output size out of range on axis %d", a);
            scl[a] = s;
            od[a] = (int64_t)floor(len);
        }
    }
    int64_t onum = nn_numel(rank, od);
    if (onum < 0) return nn_op_error(k, FSIFT_E_LIMIT, "output too large");
    nn_set_out(k, 0, x->dtype, rank, od);
    k->state = st;
    if (onum == 0) {
        st->npass = -1; /* nothing to do */
        return FSIFT_OK;
    }
    int64_t tab = 0;
    for (int i = 0; i < rank; i++) tab += od[i];
    if (tab * taps * (int64_t)(sizeof(int64_t) + sizeof(float)) > NN_TABLE_MAX_BYTES)
        return nn_op_error(k, FSIFT_E_LIMIT, "output too large");
    double cubic_a = nn_attr_float(nd, "cubic_coeff_a", -0.75f);
    int exclude = nn_attr_int(nd, "exclude_outside", 0) != 0;
    for (int i = 0; i < rank; i++) {
        rs_axis *a = &st->ax[i];
        a->in = x->dims[i];
        a->out = od[i];
        size_t n = (size_t)od[i] * (size_t)taps;
        a->idx = nn_kctx_alloc(k, n * sizeof(int64_t));
        a->w = nn_kctx_alloc(k, n * sizeof(float));
        if (!a->idx || !a->w) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
        rs_fill_axis(a, mode, taps, ct, nm, scl[i], sizes != NULL, r0[i], r1[i], cubic_a,
                     exclude);
    }
    if (mode == RS_NEAREST) return FSIFT_OK;

    /* separable passes over non-identity axes, shrinking axes first (then growing ones by
     * increasing ratio) so that no intermediate is larger than it must be; scratch holds the
     * intermediates */
    int order[NN_MAX_RANK], nord = 0;
    for (int i = 0; i < rank; i++) {
        if (st->ax[i].identity) continue;
        int j = nord++;
        /* insertion by out/in, compared as out_i * in_j < out_j * in_i (exact in double) */
        while (j > 0 && (double)od[i] * (double)x->dims[order[j - 1]] <
                            (double)od[order[j - 1]] * (double)x->dims[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    int64_t cur[NN_MAX_RANK];
    for (int i = 0; i < rank; i++) cur[i] = x->dims[i];
    st->npass = 0;
    size_t maxbuf = 0;
    for (int q = 0; q < nord; q++) {
        const int i = order[q];
        memcpy(st->pass_in[st->npass], cur, sizeof cur);
        st->pass_axis[st->npass++] = i;
        cur[i] = od[i];
        int64_t n = nn_numel(rank, cur);
        if (n < 0) return nn_op_error(k, FSIFT_E_LIMIT, "intermediate too large");
        if ((size_t)n > maxbuf) maxbuf = (size_t)n;
    }
    st->buf_elems = maxbuf;
    int nbuf = st->npass >= 3 ? 2 : st->npass == 2 ? 1 : 0;
    if (nbuf && maxbuf > (SIZE_MAX / 4 - 64) / sizeof(float))
        return nn_op_error(k, FSIFT_E_LIMIT, "intermediate too large");
    size_t bytes = (maxbuf * sizeof(float) + 63) & ~(size_t)63;
    k->scratch_bytes = (size_t)nbuf * bytes;
    st->buf_elems = bytes / sizeof(float);
    return FSIFT_OK;
}

/* ---- nearest: one N-d gather ---------------------------------------------------------- */

typedef struct rs_gather {
    const rs_state *st;
    const char *x;
    char *y;
    int64_t in_stride[NN_MAX_RANK];
    int64_t rows, last_out;
} rs_gather;

static void rs_nearest_rows(void *arg, int64_t b, int64_t e) {
    const rs_gather *g = arg; /* on the submitter's stack: copy what the loop reads */
    const rs_state *st = g->st;
    const int L = st->rank - 1;
    const rs_axis *al = &st->ax[L];
    const size_t es = st->esize;
    const float ev = st->ev;
    const int64_t W = g->last_out;
    const char *const xs = g->x;
    char *const ys = g->y;
    int64_t stride[NN_MAX_RANK];
    memcpy(stride, g->in_stride, sizeof stride);
    const int64_t *restrict ix = al->idx;
    for (int64_t r = b; r < e; r++) {
        int64_t t = r, off = 0;
        int outside = 0;
        for (int i = L - 1; i >= 0; i--) {
            const rs_axis *a = &st->ax[i];
            int64_t o = t % a->out;
            t /= a->out;
            int64_t ii = a->idx[o];
            if (ii < 0) outside = 1;
            off += ii * stride[i];
        }
        char *y = ys + (size_t)(r * W) * es;
        if (outside) {
            for (int64_t j = 0; j < W; j++) ((float *)y)[j] = ev;
            continue;
        }
        const char *x = xs + (size_t)off * es;
        if (al->identity) {
            memcpy(y, x, (size_t)W * es);
            continue;
        }
        switch (es) {
        case 4: {
            float *restrict yf = (float *)y;
            const float *restrict xf = (const float *)x;
            for (int64_t j = 0; j < W; j++) yf[j] = ix[j] < 0 ? ev : xf[ix[j]];
            break;
        }
        case 1:
            for (int64_t j = 0; j < W; j++) y[j] = x[ix[j]];
            break;
        case 2:
            for (int64_t j = 0; j < W; j++) ((uint16_t *)y)[j] = ((const uint16_t *)x)[ix[j]];
            break;
        default:
            for (int64_t j = 0; j < W; j++) ((uint64_t *)y)[j] = ((const uint64_t *)x)[ix[j]];
            break;
        }
    }
}

/* ---- linear / cubic: one 1-D pass per axis -------------------------------------------- */

typedef struct rs_pass {
    const rs_state *st;
    const rs_axis *a;
    const float *x;
    float *y;
    int64_t L, Lo, inner;
} rs_pass;

/* Last axis (inner == 1): items are outer rows. */
static void rs_pass_last(void *arg, int64_t b, int64_t e) {
    /* job fields copied to locals: the job lives on the submitting thread's stack, and
     * re-reading it in the loop (y may alias it as far as the compiler knows) would bounce
     * that cache line between cores */
    const rs_pass *p = arg;
    const int T = p->st->taps;
    const int64_t *restrict idx = p->a->idx;
    const float *restrict w = p->a->w;
    const float ev = p->st->ev;
    const int64_t L = p->L, Lo = p->Lo;
    const float *const xs = p->x;
    float *const ys = p->y;
    for (int64_t r = b; r < e; r++) {
        const float *restrict x = xs + r * L;
        float *restrict y = ys + r * Lo;
        if (T == 2) {
            for (int64_t o = 0; o < Lo; o++) {
                const int64_t i0 = idx[2 * o], i1 = idx[2 * o + 1];
                y[o] = i0 < 0 ? ev : w[2 * o] * x[i0] + w[2 * o + 1] * x[i1];
            }
            continue;
        }
        for (int64_t o = 0; o < Lo; o++) {
            const int64_t *ii = idx + o * T;
            const float *ww = w + o * T;
            if (ii[0] < 0) {
                y[o] = ev;
                continue;
            }
            float acc = 0.f;
            for (int t = 0; t < T; t++) acc += ww[t] * x[ii[t]];
            y[o] = acc;
        }
    }
}

/* Inner axis: items are output rows (outer index, output position), inner contiguous. */
static void rs_pass_mid(void *arg, int64_t b, int64_t e) {
    const rs_pass *p = arg;
    const int T = p->st->taps;
    const int64_t inner = p->inner, L = p->L, Lo = p->Lo;
    const int64_t *const idx = p->a->idx;
    const float *const wt = p->a->w;
    const float ev = p->st->ev;
    const float *const xs = p->x;
    float *const ys = p->y;
    for (int64_t r = b; r < e; r++) {
        const int64_t ob = r / Lo, o = r % Lo;
        const int64_t *ii = idx + o * T;
        const float *ww = wt + o * T;
        float *restrict y = ys + r * inner;
        if (ii[0] < 0) {
            for (int64_t j = 0; j < inner; j++) y[j] = ev;
            continue;
        }
        const float *xb = xs + ob * L * inner;
        nn_vlerp_f32(y, xb + ii[0] * inner, ww[0], xb + ii[1] * inner, ww[1], inner);
        for (int t = 2; t < T; t++) nn_vaxpy_f32(y, xb + ii[t] * inner, ww[t], inner);
    }
}

fsift_status nn_resize_run(nn_kctx *k) {
    const rs_state *st = k->state;
    if (st->npass < 0) return FSIFT_OK;
    const nn_tensor *x = k->in[0];
    if (st->mode == RS_NEAREST) {
        rs_gather g = {.st = st, .x = x->data, .y = k->out[0]->data};
        int64_t s = 1;
        for (int i = st->rank - 1; i >= 0; i--) {
            g.in_stride[i] = s;
            s *= st->ax[i].in;
        }
        g.last_out = st->ax[st->rank - 1].out;
        g.rows = 1;
        for (int i = 0; i < st->rank - 1; i++) g.rows *= st->ax[i].out;
        nn_parallel(k, g.rows, 1 + 16384 / (g.last_out + 1), rs_nearest_rows, &g);
        return FSIFT_OK;
    }
    if (st->npass == 0) {
        int64_t n = fsift_tensor_numel(x);
        memcpy(k->out[0]->data, x->data, (size_t)n * sizeof(float));
        return FSIFT_OK;
    }
    float *bufs[2] = {k->scratch, k->scratch ? (float *)k->scratch + st->buf_elems : NULL};
    const float *src = x->data;
    for (int p = 0; p < st->npass; p++) {
        const int a = st->pass_axis[p];
        const int64_t *dims = st->pass_in[p];
        float *dst = p == st->npass - 1 ? (float *)k->out[0]->data : bufs[p & 1];
        rs_pass ps = {st, &st->ax[a], src, dst, dims[a], st->ax[a].out, 1};
        int64_t outer = 1;
        for (int i = 0; i < a; i++) outer *= dims[i];
        for (int i = a + 1; i < st->rank; i++) ps.inner *= dims[i];
        if (ps.inner == 1)
            nn_parallel(k, outer, 1 + 16384 / (ps.Lo * st->taps + 1), rs_pass_last, &ps);
        else
            nn_parallel(k, outer * ps.Lo, 1 + 16384 / (ps.inner * st->taps + 1), rs_pass_mid,
                        &ps);
        src = dst;
    }
    return FSIFT_OK;
}
