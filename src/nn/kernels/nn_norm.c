/*
 * nn_norm.c — normalisation operators: BatchNormalization (inference), InstanceNormalization,
 * LayerNormalization (opset 17, with the optional Mean/InvStdDev outputs) and LpNormalization
 * (p = 1 or 2; TFLite's L2_NORMALIZATION maps here).
 *
 * How it works: every op views its input as [outer, n, inner] around the normalised axis or
 * axes and runs independent rows or planes in parallel.
 *   BatchNormalization folds scale/B/mean/var into y = x * a[c] + b[c] (a and b computed at
 *     run time into scratch, so non-constant statistics work too); layout="NHWC" puts C last.
 *     training_mode=1 and spatial=0 are unsupported; the running-statistics outputs of old
 *     opsets, if present, receive the input mean and var unchanged.
 *   InstanceNormalization and LayerNormalization compute mean and variance in two passes
 *     (mean, then the mean of squared deviations), which is exact to float rounding even when
 *     the mean is large compared with the spread.
 *   LpNormalization divides by the p-norm along one axis; a zero norm gives zeros.
 *
 * Threading: run splits rows/planes across k->pool with nn_parallel; state is read-only.
 */
#include "nn_group.h"

/* ---- BatchNormalization ------------------------------------------------------------------ */

typedef struct bn_state {
    int nhwc;
    int64_t outer, C, inner; /* NCHW: [N, C, inner]; NHWC: [outer, C] with inner = 1 */
    float eps;
    int copy_stats;          /* old-opset statistics outputs to fill */
} bn_state;

fsift_status nn_batchnorm_infer(nn_kctx *k) {
    fsift_status s;
    for (int i = 0; i < 5; i++)
        if ((s = nn_want_f32(k, i))) return s;
    if (nn_attr_int(k->node, "training_mode", 0) != 0)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "training_mode=1 not supported");
    if (nn_attr_int(k->node, "spatial", 1) == 0)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "spatial=0 not supported");
    const nn_tensor *x = k->in[0];
    int nhwc = nn_layout_nhwc(k);
    if (nhwc < 0) return nn_op_error(k, FSIFT_E_UNSUPPORTED, "unknown layout attribute");
    if (x->rank < 2)
        return nn_op_error(k, FSIFT_E_SHAPE, "input rank %d, need at least 2", x->rank);
    bn_state *st = nn_kctx_alloc(k, sizeof *st);
    if (!st) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    st->nhwc = nhwc;
    st->eps = nn_attr_float(k->node, "epsilon", 1e-5f);
    int64_t n = fsift_tensor_numel(x);
    if (n < 0) return nn_op_error(k, FSIFT_E_SHAPE, "bad input shape");
    if (nhwc) {
        st->C = x->dims[x->rank - 1];
        st->outer = st->C ? n / st->C : 0;
        st->inner = 1;
    } else {
        st->outer = x->dims[0];
        st->C = x->dims[1];
        st->inner = nn_numel(x->rank - 2, x->dims + 2);
    }
    for (int i = 1; i < 5; i++)
        if (fsift_tensor_numel(k->in[i]) != st->C)
            return nn_op_error(k, FSIFT_E_SHAPE, "input %d has %lld elements, expected C=%lld",
                               i, (long long)fsift_tensor_numel(k->in[i]), (long long)st->C);
    nn_set_out(k, 0, FSIFT_DTYPE_FLOAT32, x->rank, x->dims);
    for (int i = 1; i < k->n_out && i < 5; i++) {
        if (!k->out[i]) continue;
        const nn_tensor *src = k->in[i == 1 || i == 3 ? 3 : 4]; /* mean or var */
        nn_set_out(k, i, FSIFT_DTYPE_FLOAT32, src->rank, src->dims);
        st->copy_stats = 1;
    }
    k->scratch_bytes = 2 * (size_t)st->C * sizeof(float);
    k->state = st;
    return FSIFT_OK;
}

typedef struct bn_job {
    const bn_state *st;
    const float *x, *a, *b;
    float *y;
} bn_job;

static void bn_rows(void *arg, int64_t b, int64_t e) {
    const bn_job jb_ = *(const bn_job *)arg, *jb = &jb_; /* own copy: see nn_group.h */
    const bn_state *st = jb->st;
    const float *restrict A = jb->a, *restrict B = jb->b;
    if (st->nhwc) {
        const int64_t C = st->C;
        for (int64_t r = b; r < e; r++) {
            const float *restrict x = jb->x + r * C;
            float *restrict y = jb->y + r * C;
            int64_t c = 0;
            for (; c + NN_VB <= C; c += NN_VB)
                for (int j = 0; j < NN_VB; j++) y[c + j] = x[c + j] * A[c + j] + B[c + j];
            for (; c < C; c++) y[c] = x[c] * A[c] + B[c];
        }
        return;
    }
    const int64_t inner = st->inner;
    for (int64_t p = b; p < e; p++) {
        const int64_t c = p % st->C;
        nn_vaffine_f32(jb->y + p * inner, jb->x + p * inner, A[c], B[c], inner);
    }
}

fsift_status nn_batchnorm_run(nn_kctx *k) {
    const bn_state *st = k->state;
    const float *scale = k->in[1]->data, *bias = k->in[2]->data;
    const float *mean = k->in[3]->data, *var = k->in[4]->data;
    float *a = k->scratch, *b = a + st->C;
    for (int64_t c = 0; c < st->C; c++) {
        a[c] = scale[c] / sqrtf(var[c] + st->eps);
        b[c] = bias[c] - mean[c] * a[c];
    }
    bn_job jb = {st, k->in[0]->data, a, b, k->out[0]->data};
    if (st->nhwc)
        nn_parallel(k, st->outer, 1 + 16384 / (st->C + 1), bn_rows, &jb);
    else
        nn_parallel(k, st->outer * st->C, 1 + 16384 / (st->inner + 1), bn_rows, &jb);
    if (st->copy_stats)
        for (int i = 1; i < k->n_out && i < 5; i++)
            if (k->out[i])
                memcpy(k->out[i]->data, k->in[i == 1 || i == 3 ? 3 : 4]->data,
                       (size_t)st->C * sizeof(float));
    return FSIFT_OK;
}

/* ---- InstanceNormalization --------------------------------------------------------------- */

typedef struct in_state {
    int64_t C, inner;
    float eps;
} in_state;

fsift_status nn_instnorm_infer(nn_kctx *k) {
    fsift_status s;
    for (int i = 0; i < 3; i++)
        if ((s = nn_want_f32(k, i))) return s;
    const nn_tensor *x = k->in[0];
    if (x->rank < 3)
        return nn_op_error(k, FSIFT_E_SHAPE, "input rank %d, need at least 3", x->rank);
    in_state *st = nn_kctx_alloc(k, sizeof *st);
    if (!st) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    st->C = x->dims[1];
    st->inner = nn_numel(x->rank - 2, x->dims + 2);
    st->eps = nn_attr_float(k->node, "epsilon", 1e-5f);
    for (int i = 1; i < 3; i++)
        if (fsift_tensor_numel(k->in[i]) != st->C)
            return nn_op_error(k, FSIFT_E_SHAPE, "input %d must have C=%lld elements", i,
                               (long long)st->C);
    nn_set_out(k, 0, FSIFT_DTYPE_FLOAT32, x->rank, x->dims);
    k->state = st;
    return FSIFT_OK;
}

typedef struct in_job {
    const in_state *st;
    const float *x, *scale, *bias;
    float *y;
} in_job;

static void in_planes(void *arg, int64_t b, int64_t e) {
    const in_job jb_ = *(const in_job *)arg, *jb = &jb_; /* own copy: see nn_group.h */
    const int64_t n = jb->st->inner;
    for (int64_t p = b; p < e; p++) {
        const float *restrict x = jb->x + p * n;
        float *restrict y = jb->y + p * n;
        const float mean = n ? nn_sum_f32(x, n) / (float)n : 0.f;
        const float var = n ? nn_sumsqdev_f32(x, n, mean) / (float)n : 0.f;
        const int64_t c = p % jb->st->C;
        const float a = jb->scale[c] / sqrtf(var + jb->st->eps);
        nn_vaffine_f32(y, x, a, jb->bias[c] - mean * a, n);
    }
}

fsift_status nn_instnorm_run(nn_kctx *k) {
    const in_state *st = k->state;
    in_job jb = {st, k->in[0]->data, k->in[1]->data, k->in[2]->data, k->out[0]->data};
    nn_parallel(k, k->in[0]->dims[0] * st->C, 1 + 16384 / (st->inner + 1), in_planes, &jb);
    return FSIFT_OK;
}

/* ---- LayerNormalization ------------------------------------------------------------------ */

typedef struct ln_state {
    int64_t rows, D;
    float eps;
    int scale_one, bias_one; /* broadcast a single value */
} ln_state;

/* Checks that t (Scale or B) broadcasts to the normalised shape dims[axis:]: either one
 * element, or the same trailing dims (leading 1s allowed). */
static fsift_status ln_check_param(const nn_kctx *k, const nn_tensor *t, const nn_tensor *x,
                                   int axis, int *one) {
    int64_t n = fsift_tensor_numel(t);
    *one = n == 1;
    if (n == 1) return FSIFT_OK;
    int nr = x->rank - axis;
    int lead = t->rank - nr;
    for (int i = 0; i < t->rank; i++) {
        int64_t want = i < lead ? 1 : x->dims[axis + i - lead];
        if (i < lead ? t->dims[i] != 1 : t->dims[i] != want)
            return nn_op_error(k, FSIFT_E_UNSUPPORTED,
                               "Scale/B shape must equal the normalised shape");
    }
    if (lead < 0)
        for (int i = 0; i < -lead; i++)
            if (x->dims[axis + i] != 1)
                return nn_op_error(k, FSIFT_E_UNSUPPORTED,
                                   "Scale/B shape must equal the normalised shape");
    return FSIFT_OK;
}

fsift_status nn_layernorm_infer(nn_kctx *k) {
    fsift_status s;
    if ((s = nn_want_f32(k, 0)) || (s = nn_want_f32(k, 1))) return s;
    const nn_tensor *x = k->in[0], *bias = nn_in_opt(k, 2);
    if (bias && (s = nn_want_f32(k, 2))) return s;
    int axis;
    if (x->rank < 1) return nn_op_error(k, FSIFT_E_SHAPE, "input must have rank >= 1");
    if ((s = nn_axis(k, nn_attr_int(k->node, "axis", -1), x->rank, &axis))) return s;
    ln_state *st = nn_kctx_alloc(k, sizeof *st);
    if (!st) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    st->rows = nn_numel(axis, x->dims);
    st->D = nn_numel(x->rank - axis, x->dims + axis);
    st->eps = nn_attr_float(k->node, "epsilon", 1e-5f);
    if ((s = ln_check_param(k, k->in[1], x, axis, &st->scale_one))) return s;
    if (bias && (s = ln_check_param(k, bias, x, axis, &st->bias_one))) return s;
    nn_set_out(k, 0, FSIFT_DTYPE_FLOAT32, x->rank, x->dims);
    int64_t sd[NN_MAX_RANK];
    for (int i = 0; i < x->rank; i++) sd[i] = i < axis ? x->dims[i] : 1;
    for (int i = 1; i < 3 && i < k->n_out; i++)
        if (k->out[i]) nn_set_out(k, i, FSIFT_DTYPE_FLOAT32, x->rank, sd);
    k->state = st;
    return FSIFT_OK;
}

typedef struct ln_job {
    const ln_state *st;
    const float *x, *scale, *bias;
    float *y, *mean, *inv;
} ln_job;

static void ln_rows(void *arg, int64_t b, int64_t e) {
    const ln_job jb_ = *(const ln_job *)arg, *jb = &jb_; /* own copy: see nn_group.h */
    const ln_state *st = jb->st;
    const int64_t D = st->D;
    for (int64_t r = b; r < e; r++) {
        const float *restrict x = jb->x + r * D;
        float *restrict y = jb->y + r * D;
        const float mean = D ? nn_sum_f32(x, D) / (float)D : 0.f;
        const float sq = nn_sumsqdev_f32(x, D, mean);
        const float inv = 1.f / sqrtf((D ? sq / (float)D : 0.f) + st->eps);
        if (jb->mean) jb->mean[r] = mean;
        if (jb->inv) jb->inv[r] = inv;
        const float *restrict sc = jb->scale;
        const float *restrict bi = jb->bias;
        if (!st->scale_one && bi && !st->bias_one) {
            int64_t i = 0;
            for (; i + NN_VB <= D; i += NN_VB)
                for (int j = 0; j < NN_VB; j++)
                    y[i + j] = (x[i + j] - mean) * inv * sc[i + j] + bi[i + j];
            for (; i < D; i++) y[i] = (x[i] - mean) * inv * sc[i] + bi[i];
        } else {
            for (int64_t i = 0; i < D; i++) {
                float v = (x[i] - mean) * inv * sc[st->scale_one ? 0 : i];
                y[i] = bi ? v + bi[st->bias_one ? 0 : i] : v;
            }
        }
    }
}

fsift_status nn_layernorm_run(nn_kctx *k) {
    const ln_state *st = k->state;
    const nn_tensor *bias = nn_in_opt(k, 2);
    ln_job jb = {st,
                 k->in[0]->data,
                 k->in[1]->data,
                 bias ? bias->data : NULL,
                 k->out[0]->data,
                 k->n_out > 1 && k->out[1] ? k->out[1]->data : NULL,
                 k->n_out > 2 && k->out[2] ? k->out[2]->data : NULL};
    nn_parallel(k, st->rows, 1 + 16384 / (st->D + 1), ln_rows, &jb);
    return FSIFT_OK;
}

/* ---- LpNormalization --------------------------------------------------------------------- */

typedef struct lp_state {
    int64_t outer, n, inner;
    int p;
} lp_state;

fsift_status nn_lpnorm_infer(nn_kctx *k) {
    fsift_status s;
    if ((s = nn_want_f32(k, 0))) return s;
    const nn_tensor *x = k->in[0];
    int axis;
    if (x->rank < 1) return nn_op_error(k, FSIFT_E_SHAPE, "input must have rank >= 1");
    if ((s = nn_axis(k, nn_attr_int(k->node, "axis", -1), x->rank, &axis))) return s;
    lp_state *st = nn_kctx_alloc(k, sizeof *st);
    if (!st) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    int64_t p = nn_attr_int(k->node, "p", 2);
    if (p != 1 && p != 2)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "p=%lld not supported (1 or 2)",
                           (long long)p);
    st->p = (int)p;
    st->outer = nn_numel(axis, x->dims);
    st->n = x->dims[axis];
    st->inner = nn_numel(x->rank - axis - 1, x->dims + axis + 1);
    nn_set_out(k, 0, FSIFT_DTYPE_FLOAT32, x->rank, x->dims);
    k->state = st;
    return FSIFT_OK;
}

#define LP_BLOCK 64 /* inner positions normalised together (columns of a strided axis) */

typedef struct lp_job {
    const lp_state *st;
    const float *x;
    float *y;
    int64_t nblk; /* blocks per outer index */
} lp_job;

/* Items are (outer index, block of LP_BLOCK inner positions). */
static void lp_items(void *arg, int64_t b, int64_t e) {
    const lp_job jb_ = *(const lp_job *)arg, *jb = &jb_; /* own copy: see nn_group.h */
    const lp_state *st = jb->st;
    const int64_t n = st->n, inner = st->inner;
    for (int64_t it = b; it < e; it++) {
        const int64_t o = it / jb->nblk, j0 = (it % jb->nblk) * LP_BLOCK;
        const int64_t w = inner - j0 < LP_BLOCK ? inner - j0 : LP_BLOCK;
        const float *x = jb->x + o * n * inner + j0;
        float *y = jb->y + o * n * inner + j0;
        float acc[LP_BLOCK] = {0};
        for (int64_t i = 0; i < n; i++) {
            const float *restrict r = x + i * inner;
            if (st->p == 2)
                for (int64_t j = 0; j < w; j++) acc[j] += r[j] * r[j];
            else
                for (int64_t j = 0; j < w; j++) acc[j] += fabsf(r[j]);
        }
        for (int64_t j = 0; j < w; j++) {
            float nrm = st->p == 2 ? sqrtf(acc[j]) : acc[j];
            acc[j] = nrm > 0.f ? 1.f / nrm : 0.f;
        }
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < w; j++) y[i * inner + j] = x[i * inner + j] * acc[j];
    }
}

/* Contiguous rows (inner == 1). */
static void lp_rows(void *arg, int64_t b, int64_t e) {
    const lp_job jb_ = *(const lp_job *)arg, *jb = &jb_; /* own copy: see nn_group.h */
    const int64_t n = jb->st->n;
    for (int64_t r = b; r < e; r++) {
        const float *restrict x = jb->x + r * n;
        float *restrict y = jb->y + r * n;
        float acc = 0.f;
        if (jb->st->p == 2)
            acc = nn_sumsqdev_f32(x, n, 0.f);
        else
            for (int64_t i = 0; i < n; i++) acc += fabsf(x[i]);
        float nrm = jb->st->p == 2 ? sqrtf(acc) : acc;
        nn_vaffine_f32(y, x, nrm > 0.f ? 1.f / nrm : 0.f, 0.f, n);
    }
}

fsift_status nn_lpnorm_run(nn_kctx *k) {
    const lp_state *st = k->state;
    lp_job jb = {st, k->in[0]->data, k->out[0]->data, (st->inner + LP_BLOCK - 1) / LP_BLOCK};
    if (st->inner == 1)
        nn_parallel(k, st->outer, 1 + 16384 / (st->n + 1), lp_rows, &jb);
    else
        nn_parallel(k, st->outer * jb.nblk, 1 + 16384 / (st->n * LP_BLOCK + 1), lp_items, &jb);
    return FSIFT_OK;
}
