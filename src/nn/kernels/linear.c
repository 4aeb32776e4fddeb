/*
 * linear.c — operator group nn_ops_linear (see ../ops.h): Gemm and MatMul on the register-tiled
 * GEMM kernels (gemm.h), weights packed as conv_common.h describes.
 *
 * Gemm: Y = alpha·A'·B' + beta·C (C broadcast to [M,N]); C as a row or column vector with
 *   beta = 1 becomes the fused bias, otherwise Y is prefilled with beta·C and accumulated.
 * MatMul: NumPy semantics (1-D operands, batch broadcasting). When B has no batch (the
 *   weight case), A's batch is folded into M: one GEMM. Otherwise one GEMM per batch
 *   element. int32/int64 MatMul use plain loops with wrap-around arithmetic. An optional
 *   input 2 (the graph optimiser's extension, ops.h) is a bias [N] added before the
 *   activation.
 *
 * Threads: GEMMs go through nn_gemm_batch (one fork/join per batch of tasks).
 */
#include <stdlib.h>
#include <string.h>

#include "conv_common.h"

/* ---- Gemm ------------------------------------------------------------------------------ */

enum { C_NONE = 0, C_BIAS_COL, C_BIAS_ROW, C_FILL };

typedef struct gemm_state {
    int64_t M, N, K;
    int ta, tb;
    float alpha, beta;
    int cmode;
    int64_t cm, cn;       /* C broadcast shape [cm, cn] */
    nn_act act;
    const float *slope;   /* NN_ACT_PRELU: [N] */
    nn_isa isa;
    const nn_gemm_kernel *kern;
    const float *bpk;
} gemm_state;

static fsift_status gemm_pack(nn_graph *g, nn_node *n) {
    if (n->n_in < 2 || n->in[1] < 0) return FSIFT_OK;
    const nn_value *bv = &g->vals[n->in[1]];
    if (bv->kind != NN_VAL_CONST || bv->dtype != FSIFT_DTYPE_FLOAT32 || bv->rank != 2) return FSIFT_OK;
    nn_isa isa = nn_isa_for(NULL);
    if (isa == NN_ISA_REF) return FSIFT_OK;
    int tb = nn_attr_int(n, "transB", 0) != 0;
    int64_t K = tb ? bv->dims[1] : bv->dims[0], N = tb ? bv->dims[0] : bv->dims[1];
    if (K < 1 || N < 1) return FSIFT_OK;
    wpack *pk = conv_wpack_new(isa, WK_GEMM_B, 1, N, K, bv->data, tb ? 1 : N, tb ? K : 1, NULL);
    if (pk) {
        n->packed = pk;
        n->packed_free = conv_wpack_free;
    }
    return FSIFT_OK;
}

static fsift_status gemm_infer(nn_kctx *k) {
    if (k->n_in < 2 || !k->in[0] || !k->in[1]) return nn_op_error(k, FSIFT_E_FORMAT, "needs inputs A and B");
    fsift_status st;
    if ((st = conv_check_f32(k, 0, "A")) || (st = conv_check_f32(k, 1, "B"))) return st;
    const nn_tensor *a = k->in[0], *bt = k->in[1], *c = k->n_in > 2 ? k->in[2] : NULL;
    if (c && (st = conv_check_f32(k, 2, "C"))) return st;
    if (a->rank != 2 || bt->rank != 2)
        return nn_op_error(k, FSIFT_E_SHAPE, "A and B must be matrices (ranks %d, %d)", a->rank, bt->rank);
    gemm_state *s = nn_kctx_alloc(k, sizeof *s);
    if (!s) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    k->state = s;
    s->ta = nn_attr_int(k->node, "transA", 0) != 0;
    s->tb = nn_attr_int(k->node, "transB", 0) != 0;
    s->alpha = nn_attr_float(k->node, "alpha", 1.f);
    s->beta = nn_attr_float(k->node, "beta", 1.f);
    s->M = s->ta ? a->dims[1] : a->dims[0];
    s->K = s->ta ? a->dims[0] : a->dims[1];
    int64_t kb = s->tb ? bt->dims[1] : bt->dims[0];
    s->N = s->tb ? bt->dims[0] : bt->dims[1];
    if ((st = nn_act_parse_slope(k, s->N, &s->act, &s->slope))) return st;
    if (kb != s->K)
        return nn_op_error(k, FSIFT_E_SHAPE, "inner dimensions differ: A gives K=%lld, B gives %lld",
                           (long long)s->K, (long long)kb);
    if (s->M > MAX_GEMM_DIM || s->N > MAX_GEMM_DIM || s->K > MAX_GEMM_DIM)
        return nn_op_error(k, FSIFT_E_LIMIT, "matrix too large");
    s->cmode = C_NONE;
    if (c && s->beta != 0.f) {
        int64_t cm = 1, cn = 1;
        if (c->rank == 1) cn = c->dims[0];
        else if (c->rank == 2) {
            cm = c->dims[0];
            cn = c->dims[1];
        } else if (c->rank != 0)
            return nn_op_error(k, FSIFT_E_SHAPE, "C must have rank 0, 1 or 2");
        if ((cm != 1 && cm != s->M) || (cn != 1 && cn != s->N))
            return nn_op_error(k, FSIFT_E_SHAPE, "C [%lld,%lld] cannot be broadcast to [%lld,%lld]",
                               (long long)cm, (long long)cn, (long long)s->M, (long long)s->N);
        s->cm = cm;
        s->cn = cn;
        if (s->beta == 1.f && cm == 1 && cn == s->N) s->cmode = C_BIAS_COL;
        else if (s->beta == 1.f && cn == 1 && cm == s->M) s->cmode = C_BIAS_ROW;
        else s->cmode = C_FILL;
    }
    int64_t od[2] = {s->M, s->N};
    nn_set_out(k, 0, FSIFT_DTYPE_FLOAT32, 2, od);
    s->isa = conv_isa(k);
    s->kern = nn_gemm_kernel_for(s->isa);
    k->scratch_bytes = 0;
    if (s->kern) {
        s->bpk = conv_wpack_get(k, s->isa, WK_GEMM_B, 1, s->N, s->K, bt->data, s->tb ? 1 : s->N,
                           s->tb ? s->K : 1, NULL, &(size_t){0});
        size_t per = nn_gemm_scratch_per_thread(s->kern, s->M, s->N, s->K);
        if (!conv_scratch_ok(per, conv_threads(k), &k->scratch_bytes))
            return nn_op_error(k, FSIFT_E_LIMIT, "scratch too large");
    }
    return FSIFT_OK;
}

static fsift_status gemm_run(nn_kctx *k) {
    const gemm_state *s = k->state;
    const float *a = k->in[0]->data, *b = k->in[1]->data;
    const float *c = k->n_in > 2 && k->in[2] ? k->in[2]->data : NULL;
    float *y = k->out[0]->data;
    if (s->M == 0 || s->N == 0) return FSIFT_OK;
    nn_gemm_task t;
    memset(&t, 0, sizeof t);
    t.M = s->M;
    t.N = s->N;
    t.K = s->K;
    t.alpha = s->alpha;
    nn_act_bounds(s->act, &t.lo, &t.hi);
    t.slope = s->slope;
    t.slope_per_col = 1;
    t.a = (nn_gemm_src){NN_GEMM_DENSE, a, s->ta ? 1 : s->K, s->ta ? s->M : 1, NULL, 0};
    if (s->bpk) t.b = (nn_gemm_src){NN_GEMM_PACKED, s->bpk, 0, 0, NULL, 0};
    else t.b = (nn_gemm_src){NN_GEMM_DENSE, b, s->tb ? 1 : s->N, s->tb ? s->K : 1, NULL, 0};
    t.c = y;
    t.rs_c = s->N;
    t.cs_c = 1;
    if (s->cmode == C_BIAS_COL || s->cmode == C_BIAS_ROW) {
        t.bias = c;
        t.bias_per_col = s->cmode == C_BIAS_COL;
    } else if (s->cmode == C_FILL) {
        for (int64_t i = 0; i < s->M; i++)
            for (int64_t j = 0; j < s->N; j++)
                y[i * s->N + j] = s->beta * c[(s->cm == 1 ? 0 : i) * s->cn + (s->cn == 1 ? 0 : j)];
        t.accumulate = 1;
    }
    if (!s->kern) {
        t.b = (nn_gemm_src){NN_GEMM_DENSE, b, s->tb ? 1 : s->N, s->tb ? s->K : 1, NULL, 0};
        nn_gemm_ref(&t);
    } else {
        nn_gemm_batch(s->kern, &t, 1, k->pool, k->nthreads, k->scratch, k->scratch_bytes);
    }
    if (s->act == NN_ACT_TANH) nn_act_apply(y, s->M * s->N, NN_ACT_TANH);
    return FSIFT_OK;
}

/* ---- MatMul ---------------------------------------------------------------------------- */

typedef struct matmul_state {
    int dtype;
    int64_t M, N, K;
    int nb;                          /* batch rank of the output */
    int64_t bdims[NN_MAX_RANK];      /* output batch dims */
    int64_t astr[NN_MAX_RANK];       /* A offset per batch index step (0 = broadcast) */
    int64_t bstr[NN_MAX_RANK];
    int64_t batch;                   /* product of bdims */
    int collapse;                    /* B has no batch: A's batch folded into M */
    nn_act act;
    const float *slope;              /* NN_ACT_PRELU: [N] */
    nn_isa isa;
    const nn_gemm_kernel *kern;
    const float *bpk;
    nn_gemm_task *tasks;
} matmul_state;

/* B's matrix part: [K,N] (rank >= 2) or [K] (as [K,1]); 1 if B has no batch (all ones). */
static int matmul_b_flat(int rank, const int64_t *dims, int64_t *K, int64_t *N) {
    if (rank < 1) return 0;
    if (rank == 1) {
        *K = dims[0];
        *N = 1;
        return 1;
    }
    *K = dims[rank - 2];
    *N = dims[rank - 1];
    for (int i = 0; i < rank - 2; i++)
        if (dims[i] != 1) return 0;
    return 1;
}

static fsift_status matmul_pack(nn_graph *g, nn_node *n) {
    if (n->n_in < 2 || n->in[1] < 0) return FSIFT_OK;
    const nn_value *bv = &g->vals[n->in[1]];
    if (bv->kind != NN_VAL_CONST || bv->dtype != FSIFT_DTYPE_FLOAT32) return FSIFT_OK;
    int64_t K, N;
    if (!matmul_b_flat(bv->rank, bv->dims, &K, &N) || K < 1 || N < 1) return FSIFT_OK;
    nn_isa isa = nn_isa_for(NULL);
    if (isa == NN_ISA_REF) return FSIFT_OK;
    wpack *pk = conv_wpack_new(isa, WK_GEMM_B, 1, N, K, bv->data, N, 1, NULL);
    if (pk) {
        n->packed = pk;
        n->packed_free = conv_wpack_free;
    }
    return FSIFT_OK;
}

static fsift_status matmul_infer(nn_kctx *k) {
    if (k->n_in < 2 || !k->in[0] || !k->in[1]) return nn_op_error(k, FSIFT_E_FORMAT, "needs inputs A and B");
    const nn_tensor *a = k->in[0], *b = k->in[1];
    if (a->dtype != b->dtype)
        return nn_op_error(k, FSIFT_E_SHAPE, "A is %s, B is %s", fsift_dtype_name(a->dtype),
                           fsift_dtype_name(b->dtype));
    if (a->dtype != FSIFT_DTYPE_FLOAT32 && a->dtype != FSIFT_DTYPE_INT32 && a->dtype != FSIFT_DTYPE_INT64)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported", fsift_dtype_name(a->dtype));
    if (a->rank < 1 || b->rank < 1) return nn_op_error(k, FSIFT_E_SHAPE, "operands must have rank >= 1");
    matmul_state *s = nn_kctx_alloc(k, sizeof *s);
    if (!s) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    k->state = s;
    s->dtype = a->dtype;
    fsift_status st;
    s->M = a->rank == 1 ? 1 : a->dims[a->rank - 2];
    s->K = a->dims[a->rank - 1];
    int64_t kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
    s->N = b->rank == 1 ? 1 : b->dims[b->rank - 1];
    if ((st = nn_act_parse_slope(k, s->N, &s->act, &s->slope))) return st;
    if (s->act == NN_ACT_PRELU && (b->rank == 1 || s->dtype != FSIFT_DTYPE_FLOAT32))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "fused PRELU needs a float32 B of rank >= 2");
    if (k->n_in > 3) return nn_op_error(k, FSIFT_E_FORMAT, "%d inputs, at most 3 (A, B, bias)", k->n_in);
    if (k->n_in > 2 && k->in[2]) { /* the optimiser's bias extension (ops.h) */
        const nn_tensor *c = k->in[2];
        if (b->rank < 2 || s->dtype != FSIFT_DTYPE_FLOAT32 || c->dtype != FSIFT_DTYPE_FLOAT32 || c->rank != 1 ||
            c->dims[0] != s->N)
            return nn_op_error(k, FSIFT_E_SHAPE, "bias must be float32 [%lld] with a float32 B of rank >= 2",
                               (long long)s->N);
    }
    if (kb != s->K)
        return nn_op_error(k, FSIFT_E_SHAPE, "inner dimensions differ: %lld vs %lld", (long long)s->K, (long long)kb);
    int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
    int nb = ra > rb ? ra : rb;
    s->nb = nb;
    int64_t astep, bstep;
    if (!conv_mul_ok(s->M, s->K, &astep) || !conv_mul_ok(s->K, s->N, &bstep))
        return nn_op_error(k, FSIFT_E_LIMIT, "matrix too large");
    /* strides from the innermost batch dim outwards */
    int64_t as = astep, bs = bstep;
    s->batch = 1;
    for (int i = nb - 1; i >= 0; i--) {
        int ia = i - (nb - ra), ib = i - (nb - rb);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return nn_op_error(k, FSIFT_E_SHAPE, "batch dims %lld and %lld cannot be broadcast",
                               (long long)da, (long long)db);
        s->bdims[i] = da > db ? da : (db > da ? db : da);
        if (da == 0 || db == 0) s->bdims[i] = 0;
        s->astr[i] = da == 1 ? 0 : as;
        s->bstr[i] = db == 1 ? 0 : bs;
        if (!conv_mul_ok(as, da, &as) || !conv_mul_ok(bs, db, &bs) || !conv_mul_ok(s->batch, s->bdims[i], &s->batch))
            return nn_op_error(k, FSIFT_E_LIMIT, "tensor too large");
    }
    int64_t od[NN_MAX_RANK];
    int orank = 0;
    for (int i = 0; i < nb; i++) od[orank++] = s->bdims[i];
    if (a->rank > 1) od[orank++] = s->M;
    if (b->rank > 1) od[orank++] = s->N;
    nn_set_out(k, 0, s->dtype, orank, od);
    int64_t bk, bn;
    s->collapse = matmul_b_flat(b->rank, b->dims, &bk, &bn);
    k->scratch_bytes = 0;
    if (s->dtype != FSIFT_DTYPE_FLOAT32) return FSIFT_OK;
    s->isa = conv_isa(k);
    s->kern = nn_gemm_kernel_for(s->isa);
    if (!s->kern) return FSIFT_OK;
    if (s->collapse)
        s->bpk = conv_wpack_get(k, s->isa, WK_GEMM_B, 1, s->N, s->K, b->data, s->N, 1, NULL, &(size_t){0});
    s->tasks = nn_kctx_alloc(k, TASK_CHUNK * sizeof *s->tasks);
    if (!s->tasks) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    int64_t m = s->M;
    if (s->collapse && !conv_mul_ok(s->M, s->batch, &m)) return nn_op_error(k, FSIFT_E_LIMIT, "tensor too large");
    size_t per = nn_gemm_scratch_per_thread(s->kern, m, s->N, s->K);
    if (!conv_scratch_ok(per, conv_threads(k), &k->scratch_bytes))
        return nn_op_error(k, FSIFT_E_LIMIT, "scratch too large");
    return FSIFT_OK;
}

/* Offsets of A and B for batch index idx. */
static void matmul_offsets(const matmul_state *s, int64_t idx, int64_t *ao, int64_t *bo) {
    int64_t oa = 0, ob = 0;
    for (int i = s->nb - 1; i >= 0; i--) {
        int64_t d = s->bdims[i];
        int64_t q = idx % d;
        idx /= d;
        oa += q * s->astr[i];
        ob += q * s->bstr[i];
    }
    *ao = oa;
    *bo = ob;
}

#define MATMUL_INT(T, UT)                                                                    \
    static void matmul_##T(const matmul_state *s, const T *a, const T *b, T *y) {            \
        for (int64_t bi = 0; bi < s->batch; bi++) {                                          \
            int64_t ao, bo;                                                                  \
            matmul_offsets(s, bi, &ao, &bo);                                                 \
            T *yb = y + bi * s->M * s->N;                                                    \
            for (int64_t i = 0; i < s->M; i++)                                               \
                for (int64_t j = 0; j < s->N; j++) {                                         \
                    UT acc = 0;                                                              \
                    for (int64_t kk = 0; kk < s->K; kk++)                                    \
                        acc += (UT)a[ao + i * s->K + kk] * (UT)b[bo + kk * s->N + j];        \
                    yb[i * s->N + j] = (T)acc;                                               \
                }                                                                            \
        }                                                                                    \
    }
MATMUL_INT(int32_t, uint32_t)
MATMUL_INT(int64_t, uint64_t)

static fsift_status matmul_run(nn_kctx *k) {
    const matmul_state *s = k->state;
    const void *a = k->in[0]->data, *b = k->in[1]->data;
    const float *bias = k->n_in > 2 && k->in[2] ? k->in[2]->data : NULL;
    void *y = k->out[0]->data;
    if (s->batch == 0 || s->M == 0 || s->N == 0) return FSIFT_OK;
    if (s->dtype == FSIFT_DTYPE_INT32) {
        matmul_int32_t(s, a, b, y);
        return FSIFT_OK;
    }
    if (s->dtype == FSIFT_DTYPE_INT64) {
        matmul_int64_t(s, a, b, y);
        return FSIFT_OK;
    }
    const float *af = a, *bf = b;
    float *yf = y;
    float lo, hi;
    nn_act_bounds(s->act, &lo, &hi);
    nn_gemm_task one, *tasks = s->tasks ? s->tasks : &one;
    const int64_t ntasks = s->collapse ? 1 : s->batch;
    const int64_t chunk = s->tasks ? TASK_CHUNK : 1;
    for (int64_t t0 = 0; t0 < ntasks; t0 += chunk) {
        int64_t cnt = ntasks - t0 < chunk ? ntasks - t0 : chunk;
        for (int64_t i = 0; i < cnt; i++) {
            nn_gemm_task *t = &tasks[i];
            memset(t, 0, sizeof *t);
            int64_t ao = 0, bo = 0;
            if (!s->collapse) matmul_offsets(s, t0 + i, &ao, &bo);
            t->M = s->collapse ? s->M * s->batch : s->M;
            t->N = s->N;
            t->K = s->K;
            t->alpha = 1.f;
            t->lo = lo;
            t->hi = hi;
            t->slope = s->slope;
            t->slope_per_col = 1;
            t->bias = bias;
            t->bias_per_col = 1;
            t->a = (nn_gemm_src){NN_GEMM_DENSE, af + ao, s->K, 1, NULL, 0};
            if (s->bpk) t->b = (nn_gemm_src){NN_GEMM_PACKED, s->bpk, 0, 0, NULL, 0};
            else t->b = (nn_gemm_src){NN_GEMM_DENSE, bf + bo, s->N, 1, NULL, 0};
            t->c = yf + (t0 + i) * s->M * s->N;
            t->rs_c = s->N;
            t->cs_c = 1;
        }
        if (s->kern)
            nn_gemm_batch(s->kern, tasks, cnt, k->pool, k->nthreads, k->scratch, k->scratch_bytes);
        else
            for (int64_t i = 0; i < cnt; i++) nn_gemm_ref(&tasks[i]);
    }
    if (s->act == NN_ACT_TANH) nn_act_apply(yf, s->batch * s->M * s->N, NN_ACT_TANH);
    return FSIFT_OK;
}

const nn_op_def nn_ops_linear[] = {
    {"Gemm", "", 0, gemm_pack, gemm_infer, gemm_run},
    {"MatMul", "", 0, matmul_pack, matmul_infer, matmul_run},
    {0},
};
