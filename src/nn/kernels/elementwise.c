/*
 * elementwise.c — the operator group nn_ops_elementwise (see ../ops.h) and what its files
 * share: the broadcast iterator and scalar conversions declared in elementwise.h.
 *
 * The kernels live in elementwise_binary.c (broadcasting binary, variadic, Pow, PRelu,
 * Where), elementwise_unary.c (activations and math functions, Clip, IsNaN/IsInf) and
 * elementwise_cast.c (Cast, CastLike, Identity, Dropout).
 *
 * Broadcast iteration (nn_bcast_*): the output's flat index range is split across workers;
 * each worker turns its start index into coordinates over the collapsed axes once, then
 * alternates "call the span kernel on the rest of the innermost row" and "carry the
 * coordinates", keeping each operand's element offset up to date incrementally. So the
 * per-element cost is the span kernel's inner loop only; the per-row cost is a few adds.
 *
 * Threading: reentrant; no global state.
 */
#include <string.h>

#include "elementwise.h"

void nn_bcast_init(nn_bcast *b, int rank, const int64_t *dims, int nops,
                   const nn_tensor *const *ops) {
    int64_t st[NN_BCAST_MAX_OPS][NN_MAX_RANK];
    memset(b, 0, sizeof *b);
    b->nops = nops;
    b->total = 1;
    for (int i = 0; i < rank; i++) b->total *= dims[i];
    /* full-rank strides of each operand over the output axes (0 where broadcast) */
    for (int k = 0; k < nops; k++) {
        const nn_tensor *t = ops[k];
        int off = rank - t->rank;
        int64_t s = 1;
        for (int i = rank - 1; i >= 0; i--) {
            int j = i - off;
            if (j < 0 || t->dims[j] == 1) {
                st[k][i] = 0;
            } else {
                st[k][i] = s;
                s *= t->dims[j];
            }
        }
    }
    /* drop size-1 axes; merge an axis into the previous group when, for every operand, the
     * group's stride equals this axis' stride times its size */
    int r = 0;
    for (int i = 0; i < rank; i++) {
        if (dims[i] == 1) continue;
        int merge = r > 0;
        for (int k = 0; k < nops && merge; k++)
            if (b->st[k][r - 1] != st[k][i] * dims[i]) merge = 0;
        if (merge) {
            b->dims[r - 1] *= dims[i];
            for (int k = 0; k < nops; k++) b->st[k][r - 1] = st[k][i];
        } else {
            b->dims[r] = dims[i];
            for (int k = 0; k < nops; k++) b->st[k][r] = st[k][i];
            r++;
        }
    }
    if (r == 0) {
        b->dims[0] = 1;
        for (int k = 0; k < nops; k++) b->st[k][0] = 0;
        r = 1;
    }
    b->rank = r;
}

typedef struct bcast_job {
    const nn_bcast *b;
    nn_bcast_span span;
    void *arg;
} bcast_job;

static void bcast_range(void *p, int64_t begin, int64_t end) {
    const bcast_job *job = p;
    const nn_bcast *b = job->b;
    const int r = b->rank, in = r - 1, nops = b->nops;
    int64_t c[NN_MAX_RANK], off[NN_BCAST_MAX_OPS] = {0};
    int64_t rem = begin;
    for (int i = r - 1; i >= 0; i--) {
        c[i] = rem % b->dims[i];
        rem /= b->dims[i];
        for (int k = 0; k < nops; k++) off[k] += c[i] * b->st[k][i];
    }
    const int64_t D = b->dims[in];
    int64_t pos = begin;
    while (pos < end) {
        int64_t n = D - c[in];
        if (n > end - pos) n = end - pos;
        job->span(job->arg, pos, off, n);
        pos += n;
        if (pos >= end) break;
        /* the row is finished (n reached its end): carry */
        for (int k = 0; k < nops; k++) off[k] -= c[in] * b->st[k][in];
        c[in] = 0;
        for (int j = in - 1; j >= 0; j--) {
            c[j]++;
            for (int k = 0; k < nops; k++) off[k] += b->st[k][j];
            if (c[j] < b->dims[j]) break;
            for (int k = 0; k < nops; k++) off[k] -= c[j] * b->st[k][j];
            c[j] = 0;
        }
    }
}

void nn_bcast_run(const nn_kctx *k, const nn_bcast *b, int64_t grain, nn_bcast_span span,
                  void *arg) {
    if (b->total <= 0) return;
    bcast_job job = {b, span, arg};
    nn_parallel(k, b->total, grain, bcast_range, &job);
}

/* ---- scalar conversions ------------------------------------------------------------------ */

double nn_ew_load_f64(const void *p, int dt, int64_t i) {
    switch (dt) {
    case FSIFT_DTYPE_FLOAT32: return ((const float *)p)[i];
    case FSIFT_DTYPE_FLOAT64: return ((const double *)p)[i];
    case FSIFT_DTYPE_FLOAT16: return fsift_f16_to_f32(((const uint16_t *)p)[i]);
    case FSIFT_DTYPE_INT8: return ((const int8_t *)p)[i];
    case FSIFT_DTYPE_INT16: return ((const int16_t *)p)[i];
    case FSIFT_DTYPE_INT32: return ((const int32_t *)p)[i];
    case FSIFT_DTYPE_INT64: return (double)((const int64_t *)p)[i];
    case FSIFT_DTYPE_UINT8: return ((const uint8_t *)p)[i];
    case FSIFT_DTYPE_UINT16: return ((const uint16_t *)p)[i];
    case FSIFT_DTYPE_UINT32: return ((const uint32_t *)p)[i];
    case FSIFT_DTYPE_UINT64: return (double)((const uint64_t *)p)[i];
    case FSIFT_DTYPE_BOOL: return ((const uint8_t *)p)[i] != 0;
    default: return 0;
    }
}

/* Saturating double -> integer conversion in [lo, hi] (hi exclusive bound as a double that
 * is exactly representable: 2^(bits-1) or 2^bits). */
#define SAT(v, lo, hi_excl, T) ((v) != (v) ? (T)0 : (v) <= (lo) ? (T)(lo) : (v) >= (hi_excl) ? (T)((hi_excl) - 1) : (T)(v))

void nn_ew_store_f64(void *p, int dt, int64_t i, double v) {
    switch (dt) {
    case FSIFT_DTYPE_FLOAT32: ((float *)p)[i] = (float)v; break;
    case FSIFT_DTYPE_FLOAT64: ((double *)p)[i] = v; break;
    case FSIFT_DTYPE_FLOAT16: ((uint16_t *)p)[i] = fsift_f32_to_f16((float)v); break;
    case FSIFT_DTYPE_INT8: ((int8_t *)p)[i] = SAT(v, -128.0, 128.0, int8_t); break;
    case FSIFT_DTYPE_INT16: ((int16_t *)p)[i] = SAT(v, -32768.0, 32768.0, int16_t); break;
    case FSIFT_DTYPE_INT32: ((int32_t *)p)[i] = SAT(v, -2147483648.0, 2147483648.0, int32_t); break;
    case FSIFT_DTYPE_INT64: {
        int64_t r;
        if (v != v) r = 0;
        else if (v <= -9223372036854775808.0) r = INT64_MIN;
        else if (v >= 9223372036854775808.0) r = INT64_MAX;
        else r = (int64_t)v;
        ((int64_t *)p)[i] = r;
        break;
    }
    case FSIFT_DTYPE_UINT8: ((uint8_t *)p)[i] = SAT(v, 0.0, 256.0, uint8_t); break;
    case FSIFT_DTYPE_UINT16: ((uint16_t *)p)[i] = SAT(v, 0.0, 65536.0, uint16_t); break;
    case FSIFT_DTYPE_UINT32: ((uint32_t *)p)[i] = SAT(v, 0.0, 4294967296.0, uint32_t); break;
    case FSIFT_DTYPE_UINT64: {
        uint64_t r;
        if (v != v || v <= 0) r = 0;
        else if (v >= 18446744073709551616.0) r = UINT64_MAX;
        else r = (uint64_t)v;
        ((uint64_t *)p)[i] = r;
        break;
    }
    case FSIFT_DTYPE_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    default: break;
    }
}

/* ---- the group table ------------------------------------------------------------------- */

#define EW_ENTRY(name) {#name, "", 0, NULL, nn_ew_infer_##name, nn_ew_run_##name},

const nn_op_def nn_ops_elementwise[] = {
    NN_EW_BINARY_OPS(EW_ENTRY)
    EW_ENTRY(Sum)
    EW_ENTRY(Mean)
    EW_ENTRY(Pow)
    EW_ENTRY(PRelu)
    EW_ENTRY(Where)
    NN_EW_UNARY_OPS(EW_ENTRY)
    EW_ENTRY(Clip)
    EW_ENTRY(IsNaN)
    EW_ENTRY(IsInf)
    EW_ENTRY(Cast)
    EW_ENTRY(CastLike)
    EW_ENTRY(Identity)
    EW_ENTRY(Dropout)
    {"Gelu", "com.microsoft", 0, NULL, nn_ew_infer_Gelu, nn_ew_run_Gelu},
    {0},
};
