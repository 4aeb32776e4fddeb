/*
 * nn_reduce.c — ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2,
 * ReduceSumSquare, ReduceLogSum, ReduceLogSumExp, ArgMax and ArgMin.
 *
 * Axes come from the "axes" input when the node has one (ReduceSum from opset 13, the others
 * from 18; it must be known at plan time) and from the "axes" attribute otherwise; no axes
 * means all axes, or the identity when noop_with_empty_axes=1. keepdims keeps reduced axes as
 * size 1.
 *
 * How it works: infer merges neighbouring axes that are both reduced or both kept, so the
 * input becomes an alternating list of kept/reduced groups. The common shape
 * [outer, R, inner] with inner kept (a channel mean, a reduction over axis 1) accumulates
 * whole rows into the output row, contiguous and vectorisable; every other shape walks each
 * output element's reduced positions with an odometer whose innermost run is the last reduced
 * group (contiguous when that group is the last axis, as for spatial means). Float reductions
 * accumulate in float; ReduceLogSumExp subtracts the maximum first. ReduceSum, ReduceMean,
 * ReduceMax, ReduceMin, ReduceProd also take int32/int64 (int64 accumulation, truncating mean).
 *
 * ArgMax/ArgMin (float32, int32, int64 input; int64 output) view the input as
 * [outer, n, inner]; select_last_index picks the last of equal extremes.
 *
 * Threading: output elements (or row blocks) are split across k->pool with nn_parallel.
 */
#include <float.h>

#include "nn_group.h"

enum {
    RED_SUM, RED_MEAN, RED_MAX, RED_MIN, RED_PROD, RED_L1, RED_L2, RED_SUMSQ, RED_LOGSUM,
    RED_LOGSUMEXP
};

static const struct {
    const char *name;
    int kind;
    int ints; /* int32/int64 supported */
} red_ops[] = {
    {"ReduceSum", RED_SUM, 1},        {"ReduceMean", RED_MEAN, 1},
    {"ReduceMax", RED_MAX, 1},        {"ReduceMin", RED_MIN, 1},
    {"ReduceProd", RED_PROD, 1},      {"ReduceL1", RED_L1, 0},
    {"ReduceL2", RED_L2, 0},          {"ReduceSumSquare", RED_SUMSQ, 0},
    {"ReduceLogSum", RED_LOGSUM, 0},  {"ReduceLogSumExp", RED_LOGSUMEXP, 0},
};

typedef struct red_state {
    int kind, dtype, noop;
    int ng;                       /* groups after merging */
    int64_t gsize[NN_MAX_RANK];   /* elements per group */
    int64_t gstride[NN_MAX_RANK]; /* input stride of a group step */
    int gred[NN_MAX_RANK];        /* 1 if the group is reduced */
    int64_t R;                    /* reduced elements per output element */
    int64_t nout;                 /* output elements */
    int64_t outer, inner;         /* fast path [outer, R, inner] if inner > 0 */
} red_state;

fsift_status nn_reduce_infer(nn_kctx *k) {
    const nn_tensor *x = nn_in_opt(k, 0);
    if (!x) return nn_op_error(k, FSIFT_E_SHAPE, "input is missing");
    red_state *st = nn_kctx_alloc(k, sizeof *st);
    if (!st) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    int found = 0;
    for (size_t i = 0; i < sizeof red_ops / sizeof red_ops[0]; i++)
        if (strcmp(k->node->op_type, red_ops[i].name) == 0) {
            st->kind = red_ops[i].kind;
            found = 1;
            if (x->dtype != FSIFT_DTYPE_FLOAT32 &&
                !(red_ops[i].ints &&
                  (x->dtype == FSIFT_DTYPE_INT32 || x->dtype == FSIFT_DTYPE_INT64)))
                return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                                   fsift_dtype_name(x->dtype));
        }
    if (!found) return nn_op_error(k, FSIFT_E_INTERNAL, "not a reduction");
    st->dtype = x->dtype;

    /* axes */
    int red[NN_MAX_RANK] = {0}, naxes = 0;
    const nn_tensor *ax = nn_in_opt(k, 1);
    if (ax) {
        if (ax->dtype != FSIFT_DTYPE_INT64 && ax->dtype != FSIFT_DTYPE_INT32)
            return nn_op_error(k, FSIFT_E_SHAPE, "axes must be int64");
        if (!ax->data)
            return nn_op_error(k, FSIFT_E_UNSUPPORTED, "axes must be known at plan time");
        int64_t n = fsift_tensor_numel(ax);
        if (n < 0 || n > x->rank)
            return nn_op_error(k, FSIFT_E_SHAPE, "too many axes (%lld)", (long long)n);
        for (int64_t i = 0; i < n; i++) {
            int a;
            fsift_status s = nn_axis(k, nn_get_int(ax, i), x->rank, &a);
            if (s) return s;
            if (red[a]) return nn_op_error(k, FSIFT_E_SHAPE, "axis %d repeated", a);
            red[a] = 1;
            naxes++;
        }
    } else {
        int cnt = 0;
        const int64_t *a = nn_attr_ints(k->node, "axes", &cnt);
        if (cnt > x->rank) return nn_op_error(k, FSIFT_E_SHAPE, "too many axes (%d)", cnt);
        for (int i = 0; i < cnt; i++) {
            int v;
            fsift_status s = nn_axis(k, a[i], x->rank, &v);
            if (s) return s;
            if (red[v]) return nn_op_error(k, FSIFT_E_SHAPE, "axis %d repeated", v);
            red[v] = 1;
            naxes++;
        }
    }
    int keep = nn_attr_int(k->node, "keepdims", 1) != 0;
    if (naxes == 0) {
        if (nn_attr_int(k->node, "noop_with_empty_axes", 0) != 0) {
            st->noop = 1;
            nn_set_out(k, 0, x->dtype, x->rank, x->dims);
            k->state = st;
            return FSIFT_OK;
        }
        for (int i = 0; i < x->rank; i++) red[i] = 1;
    }
    int64_t od[NN_MAX_RANK];
    int orank = 0;
    for (int i = 0; i < x->rank; i++) {
        if (!red[i]) od[orank++] = x->dims[i];
        else if (keep) od[orank++] = 1;
    }
    nn_set_out(k, 0, x->dtype, orank, od);

    /* merge axes into groups; size-1 axes join any group */
    st->R = 1;
    st->nout = 1;
    st->ng = 0;
    for (int i = 0; i < x->rank; i++) {
        int64_t d = x->dims[i];
        if (red[i]) st->R *= d;
        else st->nout *= d;
        if (d == 1) continue;
        if (st->ng > 0 && st->gred[st->ng - 1] == red[i]) {
            st->gsize[st->ng - 1] *= d;
        } else {
            st->gred[st->ng] = red[i];
            st->gsize[st->ng] = d;
            st->ng++;
        }
    }
    int64_t stride = 1;
    for (int g = st->ng - 1; g >= 0; g--) {
        st->gstride[g] = stride;
        stride *= st->gsize[g];
    }
    /* [outer, R, inner] with a kept inner group */
    int nred = 0;
    for (int g = 0; g < st->ng; g++) nred += st->gred[g];
    st->inner = 0;
    if (nred == 1 && st->ng >= 2 && !st->gred[st->ng - 1]) {
        st->inner = st->gsize[st->ng - 1];
        st->outer = st->ng == 3 ? st->gsize[0] : 1;
    }
    k->state = st;
    return FSIFT_OK;
}

typedef struct red_job {
    const red_state *st;
    const void *x;
    void *y;
} red_job;

static float red_finish(int kind, float acc, float m, int64_t R) {
    switch (kind) {
    case RED_MEAN: return R ? acc / (float)R : NAN;
    case RED_L2: return sqrtf(acc);
    case RED_LOGSUM: return logf(acc);
    case RED_LOGSUMEXP: return m + logf(acc);
    default: return acc;
    }
}

static float red_init(int kind) {
    switch (kind) {
    case RED_PROD: return 1.f;
    case RED_MAX: return -INFINITY;
    case RED_MIN: return INFINITY;
    default: return 0.f;
    }
}

/* Accumulates n elements x[i * s] into acc (pass 1: everything; for LogSumExp pass 0 finds
 * the maximum and pass 1 sums exp(v - m)). */
static float red_run_f32(int kind, int pass, const float *restrict x, int64_t n, int64_t s,
                         float acc, float m) {
    if (s == 1) { /* contiguous run: vectorised helpers */
        switch (kind) {
        case RED_SUM: case RED_MEAN: case RED_LOGSUM: return acc + nn_sum_f32(x, n);
        case RED_L2: case RED_SUMSQ: return acc + nn_sumsqdev_f32(x, n, 0.f);
        case RED_MAX: return nn_max_f32(x, n, acc);
        case RED_LOGSUMEXP:
            if (pass == 0) return nn_max_f32(x, n, acc);
            break;
        default: break;
        }
    }
    switch (kind) {
    case RED_SUM: case RED_MEAN: case RED_LOGSUM:
        for (int64_t i = 0; i < n; i++) acc += x[i * s];
        break;
    case RED_L1:
        for (int64_t i = 0; i < n; i++) acc += fabsf(x[i * s]);
        break;
    case RED_L2: case RED_SUMSQ:
        for (int64_t i = 0; i < n; i++) acc += x[i * s] * x[i * s];
        break;
    case RED_PROD:
        for (int64_t i = 0; i < n; i++) acc *= x[i * s];
        break;
    case RED_MAX:
        for (int64_t i = 0; i < n; i++) acc = x[i * s] > acc ? x[i * s] : acc;
        break;
    case RED_MIN:
        for (int64_t i = 0; i < n; i++) acc = x[i * s] < acc ? x[i * s] : acc;
        break;
    case RED_LOGSUMEXP:
        if (pass == 0)
            for (int64_t i = 0; i < n; i++) acc = x[i * s] > acc ? x[i * s] : acc;
        else
            for (int64_t i = 0; i < n; i++) acc += expf(x[i * s] - m);
        break;
    }
    return acc;
}

/* Generic path: output elements [b, e), each walking its reduced positions. */
static void red_generic(void *arg, int64_t b, int64_t e) {
    const red_job jb_ = *(const red_job *)arg, *jb = &jb_; /* own copy: see nn_group.h */
    const red_state *st = jb->st;
    const int ng = st->ng;
    /* kept and reduced groups, outermost first */
    int kg[NN_MAX_RANK], rg[NN_MAX_RANK], nk = 0, nr = 0;
    for (int g = 0; g < ng; g++) {
        if (st->gred[g]) rg[nr++] = g;
        else kg[nk++] = g;
    }
    const int64_t run_n = nr ? st->gsize[rg[nr - 1]] : 1;
    const int64_t run_s = nr ? st->gstride[rg[nr - 1]] : 1;
    const int is_f = st->dtype == FSIFT_DTYPE_FLOAT32, is64 = st->dtype == FSIFT_DTYPE_INT64;
    for (int64_t o = b; o < e; o++) {
        int64_t base = 0, t = o;
        for (int i = nk - 1; i >= 0; i--) {
            base += (t % st->gsize[kg[i]]) * st->gstride[kg[i]];
            t /= st->gsize[kg[i]];
        }
        const int passes = st->kind == RED_LOGSUMEXP ? 2 : 1;
        float facc = 0.f, m = 0.f;
        int64_t iacc = st->kind == RED_PROD ? 1 : 0;
        int first = 1;
        for (int pass = passes == 2 ? 0 : 1; pass < 2; pass++) {
            if (is_f) facc = pass == 0 ? -INFINITY : (passes == 2 ? 0.f : red_init(st->kind));
            int64_t idx[NN_MAX_RANK] = {0};
            int64_t nrun = st->R / (run_n ? run_n : 1);
            if (run_n == 0) nrun = 0;
            for (int64_t q = 0; q < nrun; q++) {
                int64_t off = base;
                for (int i = 0; i < nr - 1; i++) off += idx[i] * st->gstride[rg[i]];
                if (is_f) {
                    facc = red_run_f32(st->kind, pass, (const float *)jb->x + off, run_n, run_s,
                                       facc, m);
                } else {
                    for (int64_t i = 0; i < run_n; i++) {
                        int64_t v = is64 ? ((const int64_t *)jb->x)[off + i * run_s]
                                         : ((const int32_t *)jb->x)[off + i * run_s];
                        switch (st->kind) {
                        case RED_SUM: case RED_MEAN: iacc += v; break;
                        case RED_PROD: iacc *= v; break;
                        case RED_MAX: iacc = first || v > iacc ? v : iacc; break;
                        case RED_MIN: iacc = first || v < iacc ? v : iacc; break;
                        }
                        first = 0;
                    }
                }
                for (int i = nr - 2; i >= 0; i--) { /* odometer over outer reduced groups */
                    if (++idx[i] < st->gsize[rg[i]]) break;
                    idx[i] = 0;
                }
            }
            if (pass == 0) m = facc;
        }
        if (is_f) {
            ((float *)jb->y)[o] = red_finish(st->kind, facc, m, st->R);
        } else {
            if (st->kind == RED_MEAN) iacc = st->R ? iacc / st->R : 0;
            if (is64) ((int64_t *)jb->y)[o] = iacc;
            else ((int32_t *)jb->y)[o] = (int32_t)iacc;
        }
    }
}

#define RED_BLOCK 256

/* Fast path [outer, R, inner], float: items are (outer index, block of inner columns). */
static void red_rows(void *arg, int64_t b, int64_t e) {
    const red_job jb_ = *(const red_job *)arg, *jb = &jb_; /* own copy: see nn_group.h */
    const red_state *st = jb->st;
    const int64_t R = st->R, inner = st->inner, nblk = (inner + RED_BLOCK - 1) / RED_BLOCK;
    const int kind = st->kind;
    for (int64_t it = b; it < e; it++) {
        const int64_t o = it / nblk, j0 = (it % nblk) * RED_BLOCK;
        const int64_t w = inner - j0 < RED_BLOCK ? inner - j0 : RED_BLOCK;
        const float *x = (const float *)jb->x + o * R * inner + j0;
        float *restrict y = (float *)jb->y + o * inner + j0;
        float m[RED_BLOCK];
        if (kind == RED_LOGSUMEXP) {
            for (int64_t j = 0; j < w; j++) m[j] = -INFINITY;
            for (int64_t i = 0; i < R; i++) {
                const float *restrict r = x + i * inner;
                for (int64_t j = 0; j < w; j++) m[j] = r[j] > m[j] ? r[j] : m[j];
            }
        }
        const float init = kind == RED_LOGSUMEXP ? 0.f : red_init(kind);
        for (int64_t j = 0; j < w; j++) y[j] = init;
        for (int64_t i = 0; i < R; i++) {
            const float *restrict r = x + i * inner;
            switch (kind) {
            case RED_SUM: case RED_MEAN: case RED_LOGSUM:
                nn_vadd_f32(y, r, w);
                break;
            case RED_L1:
                for (int64_t j = 0; j < w; j++) y[j] += fabsf(r[j]);
                break;
            case RED_L2: case RED_SUMSQ:
                for (int64_t j = 0; j < w; j++) y[j] += r[j] * r[j];
                break;
            case RED_PROD:
                for (int64_t j = 0; j < w; j++) y[j] *= r[j];
                break;
            case RED_MAX:
                nn_vmax_f32(y, r, w);
                break;
            case RED_MIN:
                for (int64_t j = 0; j < w; j++) y[j] = r[j] < y[j] ? r[j] : y[j];
                break;
            case RED_LOGSUMEXP:
                for (int64_t j = 0; j < w; j++) y[j] += expf(r[j] - m[j]);
                break;
            }
        }
        if (kind == RED_MEAN || kind == RED_L2 || kind == RED_LOGSUM || kind == RED_LOGSUMEXP)
            for (int64_t j = 0; j < w; j++)
                y[j] = red_finish(kind, y[j], kind == RED_LOGSUMEXP ? m[j] : 0.f, R);
    }
}

fsift_status nn_reduce_run(nn_kctx *k) {
    const red_state *st = k->state;
    const nn_tensor *x = k->in[0];
    if (st->noop) {
        int64_t n = fsift_tensor_numel(x);
        if (n > 0) memcpy(k->out[0]->data, x->data, (size_t)n * fsift_dtype_size(x->dtype));
        return FSIFT_OK;
    }
    red_job jb = {st, x->data, k->out[0]->data};
    if (st->inner > 0 && st->dtype == FSIFT_DTYPE_FLOAT32) {
        int64_t nblk = (st->inner + RED_BLOCK - 1) / RED_BLOCK;
        nn_parallel(k, st->outer * nblk, 1 + 16384 / (st->R * RED_BLOCK + 1), red_rows, &jb);
    } else {
        nn_parallel(k, st->nout, 1 + 16384 / (st->R + 1), red_generic, &jb);
    }
    return FSIFT_OK;
}

/* ---- ArgMax / ArgMin --------------------------------------------------------------------- */

typedef struct arg_state {
    int max, last, dtype;
    int64_t outer, n, inner;
} arg_state;

fsift_status nn_argminmax_infer(nn_kctx *k) {
    const nn_tensor *x = nn_in_opt(k, 0);
    if (!x) return nn_op_error(k, FSIFT_E_SHAPE, "input is missing");
    if (x->dtype != FSIFT_DTYPE_FLOAT32 && x->dtype != FSIFT_DTYPE_INT32 &&
        x->dtype != FSIFT_DTYPE_INT64)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                           fsift_dtype_name(x->dtype));
    if (x->rank < 1) return nn_op_error(k, FSIFT_E_SHAPE, "input must have rank >= 1");
    arg_state *st = nn_kctx_alloc(k, sizeof *st);
    if (!st) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    st->max = strcmp(k->node->op_type, "ArgMax") == 0;
    st->last = nn_attr_int(k->node, "select_last_index", 0) != 0;
    st->dtype = x->dtype;
    int axis;
    fsift_status s = nn_axis(k, nn_attr_int(k->node, "axis", 0), x->rank, &axis);
    if (s) return s;
    if (x->dims[axis] == 0 && nn_numel(x->rank, x->dims) != 0)
        return nn_op_error(k, FSIFT_E_SHAPE, "cannot take the arg-extreme of an empty axis");
    st->outer = nn_numel(axis, x->dims);
    st->n = x->dims[axis];
    st->inner = nn_numel(x->rank - axis - 1, x->dims + axis + 1);
    int keep = nn_attr_int(k->node, "keepdims", 1) != 0;
    int64_t od[NN_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (i != axis) od[r++] = x->dims[i];
        else if (keep) od[r++] = 1;
    }
    nn_set_out(k, 0, FSIFT_DTYPE_INT64, r, od);
    k->state = st;
    return FSIFT_OK;
}

typedef struct arg_job {
    const arg_state *st;
    const void *x;
    int64_t *y;
} arg_job;

/* One output element per item: scans n values with stride inner. */
#define ARG_SCAN(NAME, T)                                                                    \
    static void NAME(void *arg, int64_t b, int64_t e) {                                      \
        const arg_job jb_ = *(const arg_job *)arg, *jb = &jb_;                               \
        const arg_state *st = jb->st;                                                        \
        const int64_t n = st->n, inner = st->inner;                                          \
        const T *const xs = (const T *)jb->x;                                                \
        int64_t *const ys = jb->y;                                                           \
        for (int64_t o = b; o < e; o++) {                                                    \
            const T *x = xs + (o / inner) * n * inner + o % inner;                           \
            T best = x[0];                                                                   \
            int64_t bi = 0;                                                                  \
            for (int64_t i = 1; i < n; i++) {                                                \
                T v = x[i * inner];                                                          \
                int better = st->max ? (st->last ? v >= best : v > best)                     \
                                     : (st->last ? v <= best : v < best);                    \
                if (better) {                                                                \
                    best = v;                                                                \
                    bi = i;                                                                  \
                }                                                                            \
            }                                                                                \
            ys[o] = bi;                                                                      \
        }                                                                                    \
    }

ARG_SCAN(arg_f32, float)
ARG_SCAN(arg_i32, int32_t)
ARG_SCAN(arg_i64, int64_t)

fsift_status nn_argminmax_run(nn_kctx *k) {
    const arg_state *st = k->state;
    arg_job jb = {st, k->in[0]->data, k->out[0]->data};
    if (st->n == 0) return FSIFT_OK;
    nn_range_fn fn = st->dtype == FSIFT_DTYPE_FLOAT32 ? arg_f32
                     : st->dtype == FSIFT_DTYPE_INT32 ? arg_i32
                                                      : arg_i64;
    nn_parallel(k, st->outer * st->inner, 1 + 16384 / (st->n + 1), fn, &jb);
    return FSIFT_OK;
}
