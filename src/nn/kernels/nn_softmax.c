/*
 * nn_softmax.c — Softmax and LogSoftmax, with the TFLite extension attribute beta
 * (softmax(beta * x)).
 *
 * Axis semantics follow the opset: before opset 13 the input is coerced to 2-D at `axis`
 * (default 1) and each row of prod(dims[axis:]) elements is normalised; from opset 13 only the
 * single axis `axis` (default -1) is. Either way the tensor is viewed as [outer, n, inner] with
 * n the normalised length. Contiguous rows (inner == 1, the usual [T, D] case) run one row per
 * work item: max, sum of exp(v - max), then scale (or subtract log(sum)). A strided axis runs
 * one (outer, block of 64 columns) per item with per-column max and sum kept on the stack.
 * With AVX2+FMA the exponentials come from nn_softmax_avx2.c (a polynomial, ~2e-7 relative
 * error); otherwise from expf.
 *
 * Threading: items are split across k->pool with nn_parallel; state is read-only.
 */
#include <float.h>

#include "nn_group.h"

typedef struct sm_state {
    int64_t outer, n, inner;
    float beta;
    int log;
} sm_state;

fsift_status nn_softmax_infer(nn_kctx *k) {
    fsift_status s;
    if ((s = nn_want_f32(k, 0))) return s;
    const nn_tensor *x = k->in[0];
    sm_state *st = nn_kctx_alloc(k, sizeof *st);
    if (!st) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    st->log = strcmp(k->node->op_type, "LogSoftmax") == 0;
    st->beta = nn_attr_float(k->node, "beta", 1.f);
    int old = k->opset < 13;
    int axis;
    if (x->rank == 0) {
        st->outer = st->n = st->inner = 1;
    } else {
        if ((s = nn_axis(k, nn_attr_int(k->node, "axis", old ? 1 : -1), x->rank, &axis)))
            return s;
        st->outer = nn_numel(axis, x->dims);
        if (old) {
            st->n = nn_numel(x->rank - axis, x->dims + axis);
            st->inner = 1;
        } else {
            st->n = x->dims[axis];
            st->inner = nn_numel(x->rank - axis - 1, x->dims + axis + 1);
        }
    }
    nn_set_out(k, 0, FSIFT_DTYPE_FLOAT32, x->rank, x->dims);
    k->state = st;
    return FSIFT_OK;
}

typedef struct sm_job {
    const sm_state *st;
    const float *x;
    float *y;
    int64_t nblk;
    int avx2; /* use nn_softmax_avx2.c */
} sm_job;

/* y = (beta * x - m) - ls: m subtracted first, as m + ls would round away small outputs */
static void sm_log_out(float *restrict y, const float *restrict x, int64_t n, float beta,
                       float m, float ls) {
    int64_t i = 0;
    for (; i + NN_VB <= n; i += NN_VB)
        for (int j = 0; j < NN_VB; j++) y[i + j] = (beta * x[i + j] - m) - ls;
    for (; i < n; i++) y[i] = (beta * x[i] - m) - ls;
}

static void sm_rows(void *arg, int64_t b, int64_t e) {
    const sm_job jb_ = *(const sm_job *)arg, *jb = &jb_; /* own copy: see nn_group.h */
    const sm_state *st = jb->st;
    const int64_t n = st->n;
    const float beta = st->beta;
    for (int64_t r = b; r < e; r++) {
        const float *restrict x = jb->x + r * n;
        float *restrict y = jb->y + r * n;
        float m = -INFINITY, sum = 0.f;
        if (jb->avx2 && n >= 16) { /* short rows: the scalar loop has less overhead */
            m = nn_max_scaled_avx2(x, n, beta);
            sum = nn_exp_row_avx2(y, x, n, beta, m, !st->log);
        } else {
            if (beta == 1.f) {
                m = nn_max_f32(x, n, -INFINITY);
            } else {
                for (int64_t i = 0; i < n; i++) {
                    float v = beta * x[i];
                    m = v > m ? v : m;
                }
            }
            for (int64_t i = 0; i < n; i++) {
                float v = expf(beta * x[i] - m);
                if (!st->log) y[i] = v;
                sum += v;
            }
        }
        if (st->log) sm_log_out(y, x, n, beta, m, logf(sum));
        else nn_vscale_f32(y, 1.f / sum, n);
    }
}

#define SM_BLOCK 64

static void sm_cols(void *arg, int64_t b, int64_t e) {
    const sm_job jb_ = *(const sm_job *)arg, *jb = &jb_; /* own copy: see nn_group.h */
    const sm_state *st = jb->st;
    const int64_t n = st->n, inner = st->inner;
    const float beta = st->beta;
    for (int64_t it = b; it < e; it++) {
        const int64_t o = it / jb->nblk, j0 = (it % jb->nblk) * SM_BLOCK;
        const int64_t w = inner - j0 < SM_BLOCK ? inner - j0 : SM_BLOCK;
        const float *x = jb->x + o * n * inner + j0;
        float *y = jb->y + o * n * inner + j0;
        float m[SM_BLOCK], sum[SM_BLOCK];
        for (int64_t j = 0; j < w; j++) {
            m[j] = -INFINITY;
            sum[j] = 0.f;
        }
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < w; j++) {
                float v = beta * x[i * inner + j];
                m[j] = v > m[j] ? v : m[j];
            }
        for (int64_t i = 0; i < n; i++) {
            if (jb->avx2 && w >= 8) {
                nn_exp_cols_avx2(y + i * inner, x + i * inner, w, beta, m, sum, !st->log);
                continue;
            }
            for (int64_t j = 0; j < w; j++) {
                float v = expf(beta * x[i * inner + j] - m[j]);
                if (!st->log) y[i * inner + j] = v;
                sum[j] += v;
            }
        }
        if (st->log) {
            for (int64_t j = 0; j < w; j++) sum[j] = logf(sum[j]);
            for (int64_t i = 0; i < n; i++)
                for (int64_t j = 0; j < w; j++)
                    y[i * inner + j] = (beta * x[i * inner + j] - m[j]) - sum[j];
        } else {
            for (int64_t j = 0; j < w; j++) sum[j] = 1.f / sum[j];
            for (int64_t i = 0; i < n; i++)
                for (int64_t j = 0; j < w; j++) y[i * inner + j] *= sum[j];
        }
    }
}

fsift_status nn_softmax_run(nn_kctx *k) {
    const sm_state *st = k->state;
    sm_job jb = {st, k->in[0]->data, k->out[0]->data, (st->inner + SM_BLOCK - 1) / SM_BLOCK,
                 k->cpu && k->cpu->avx2_fma};
    if (st->inner == 1)
        nn_parallel(k, st->outer, 1 + 8192 / (st->n + 1), sm_rows, &jb);
    else
        nn_parallel(k, st->outer * jb.nblk, 1 + 8192 / (st->n * SM_BLOCK + 1), sm_cols, &jb);
    return FSIFT_OK;
}
