/*
 * nn_pool.c — MaxPool, AveragePool, GlobalMaxPool and GlobalAveragePool (ONNX semantics, any
 * opset), for NCHW data with 1 to 3 spatial axes and, through the TFLite extension attribute
 * layout="NHWC", for channels-last data.
 *
 * How it works: infer parses kernel_shape/strides/dilations/pads/auto_pad/ceil_mode, works
 * out the output size per spatial axis and, for every output position of every axis, the
 * first input coordinate its window touches inside the input, how many taps fall inside
 * (padding is never read) and the AveragePool divisor factor (taps inside the input, or inside
 * input + padding with count_include_pad=1). Windows are boxes, so a window is the product of
 * its per-axis ranges and run needs no bounds checks. Spatial ranks below 3 are padded with
 * leading size-1 axes, so one 3-D loop nest serves 1-D, 2-D and 3-D pooling.
 *
 * NCHW float runs one (n, c) plane per work item, one output row at a time: each input row
 * under the window is folded into the output row, with the whole-window interior of the row
 * done by constant-trip loops (stride 1: shifted vector passes) and only the border outputs
 * going through the tables. Global pools reduce each plane with vector sums. NHWC runs one
 * output pixel (all channels, contiguous vector ops) per item. MaxPool also accepts
 * int8/uint8 (opset 12) on NCHW and can write the optional Indices output (flat input
 * offsets, storage_order 0 or 1) through a plain per-output loop. The fused "activation"
 * extension is applied to float outputs.
 *
 * Threading: run splits planes or pixels across k->pool with nn_parallel; state is read-only.
 */
#include <float.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "nn_group.h"

#define POOL_NS 3 /* spatial axes handled by the loop nest */

enum { POOL_MAX, POOL_AVG, POOL_GMAX, POOL_GAVG };

typedef struct pool_state {
    int kind, nhwc, dtype, storage_order;
    nn_act act;
    int64_t N, C;
    int64_t in[POOL_NS], out[POOL_NS], d[POOL_NS];
    int64_t k2, s2, pb2;          /* innermost axis: kernel, stride, begin pad */
    int64_t full_lo, full_hi;     /* innermost outputs whose window lies inside the input */
    int64_t in_plane, out_plane; /* products of in[] and out[] */
    /* per axis and output position: first tap's input coordinate, taps inside the input,
     * AveragePool divisor factor */
    int64_t *start[POOL_NS], *ntap[POOL_NS], *div[POOL_NS];
} pool_state;

/* Reads an INTS attribute of exactly n values in [lo, hi] into v, or fills def if absent. */
static fsift_status pool_ints(const nn_kctx *k, const char *name, int n, int64_t def,
                              int64_t lo, int64_t hi, int64_t *v) {
    int cnt = 0;
    const int64_t *a = nn_attr_ints(k->node, name, &cnt);
    if (!a) {
        for (int i = 0; i < n; i++) v[i] = def;
        return FSIFT_OK;
    }
    if (cnt != n)
        return nn_op_error(k, FSIFT_E_SHAPE, "attribute %s has %d values, expected %d", name,
                           cnt, n);
    for (int i = 0; i < n; i++) {
        if (a[i] < lo || a[i] > hi)
            return nn_op_error(k, FSIFT_E_FORMAT, "attribute %s[%d] = %lld out of range", name,
                               i, (long long)a[i]);
        v[i] = a[i];
    }
    return FSIFT_OK;
}

fsift_status nn_pool_infer(nn_kctx *k) {
    const char *op = k->node->op_type;
    int kind = strcmp(op, "MaxPool") == 0         ? POOL_MAX
               : strcmp(op, "AveragePool") == 0   ? POOL_AVG
               : strcmp(op, "GlobalMaxPool") == 0 ? POOL_GMAX
                                                  : POOL_GAVG;
    const nn_tensor *x = nn_in_opt(k, 0);
    if (!x) return nn_op_error(k, FSIFT_E_SHAPE, "input X is missing");
    int f32 = x->dtype == FSIFT_DTYPE_FLOAT32;
    int i8 = x->dtype == FSIFT_DTYPE_INT8 || x->dtype == FSIFT_DTYPE_UINT8;
    if (!f32 && !(i8 && kind == POOL_MAX))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                           fsift_dtype_name(x->dtype));
    int nhwc = nn_layout_nhwc(k);
    if (nhwc < 0) return nn_op_error(k, FSIFT_E_UNSUPPORTED, "unknown layout attribute");
    int ns = x->rank - 2;
    if (ns < 1 || ns > POOL_NS)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "input rank %d not supported (3 to 5)",
                           x->rank);
    if (nhwc && !f32)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "layout NHWC needs float32");

    pool_state *st = nn_kctx_alloc(k, sizeof *st);
    if (!st) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    st->kind = kind;
    st->nhwc = nhwc;
    st->dtype = x->dtype;
    fsift_status s = nn_act_parse(k, &st->act);
    if (s) return s;
    st->N = x->dims[0];
    st->C = nhwc ? x->dims[x->rank - 1] : x->dims[1];
    const int64_t *sp = x->dims + (nhwc ? 1 : 2); /* spatial dims */

    int64_t kern[POOL_NS], str[POOL_NS], dil[POOL_NS], pads[2 * POOL_NS];
    int64_t pb[POOL_NS], pe[POOL_NS];
    int off = POOL_NS - ns; /* leading padding axes */
    for (int i = 0; i < POOL_NS; i++) {
        st->in[i] = i < off ? 1 : sp[i - off];
        kern[i] = str[i] = dil[i] = 1;
        pb[i] = pe[i] = 0;
    }
    int ceil_mode = 0, include_pad = 0;
    if (kind == POOL_GMAX || kind == POOL_GAVG) {
        for (int i = off; i < POOL_NS; i++) kern[i] = st->in[i];
    } else {
        int cnt = 0;
        if (!nn_attr_ints(k->node, "kernel_shape", &cnt))
            return nn_op_error(k, FSIFT_E_FORMAT, "attribute kernel_shape is required");
        if ((s = pool_ints(k, "kernel_shape", ns, 1, 1, NN_MAX_DIM, kern + off))) return s;
        if ((s = pool_ints(k, "strides", ns, 1, 1, NN_MAX_DIM, str + off))) return s;
        if ((s = pool_ints(k, "dilations", ns, 1, 1, NN_MAX_DIM, dil + off))) return s;
        if ((s = pool_ints(k, "pads", 2 * ns, 0, 0, NN_MAX_DIM, pads))) return s;
        for (int i = 0; i < ns; i++) {
            pb[off + i] = pads[i];
            pe[off + i] = pads[ns + i];
        }
        ceil_mode = (int)nn_attr_int(k->node, "ceil_mode", 0) != 0;
        include_pad = kind == POOL_AVG && nn_attr_int(k->node, "count_include_pad", 0) != 0;
        st->storage_order = (int)nn_attr_int(k->node, "storage_order", 0);
        if (st->storage_order != 0 && st->storage_order != 1)
            return nn_op_error(k, FSIFT_E_FORMAT, "storage_order must be 0 or 1");
        const char *ap = nn_attr_str(k->node, "auto_pad", "NOTSET");
        int same = 0;
        if (strcmp(ap, "SAME_UPPER") == 0) same = 1;
        else if (strcmp(ap, "SAME_LOWER") == 0) same = 2;
        else if (strcmp(ap, "VALID") == 0) same = 3;
        else if (strcmp(ap, "NOTSET") != 0 && ap[0])
            return nn_op_error(k, FSIFT_E_FORMAT, "unknown auto_pad '%s'", ap);
        for (int i = off; i < POOL_NS && same; i++) {
            int64_t dk;
            if (!nn_mul_ok(kern[i] - 1, dil[i], &dk) || dk >= NN_MAX_DIM)
                return nn_op_error(k, FSIFT_E_FORMAT, "dilated kernel too large");
            dk += 1;
            if (same == 3) {
                pb[i] = pe[i] = 0;
            } else {
                int64_t o = (st->in[i] + str[i] - 1) / str[i];
                int64_t tot = (o - 1) * str[i] + dk - st->in[i];
                if (tot < 0) tot = 0;
                pb[i] = same == 1 ? tot / 2 : tot - tot / 2;
                pe[i] = tot - pb[i];
            }
        }
    }
    int64_t dk[POOL_NS];
    for (int i = 0; i < POOL_NS; i++) {
        if (!nn_mul_ok(kern[i] - 1, dil[i], &dk[i]) || dk[i] >= NN_MAX_DIM)
            return nn_op_error(k, FSIFT_E_FORMAT, "dilated kernel too large");
        dk[i] += 1;
        int64_t tot = st->in[i] + pb[i] + pe[i] - dk[i];
        if (tot < 0)
            return nn_op_error(k, FSIFT_E_SHAPE,
                               "kernel (%lld) larger than the padded input (%lld) on axis %d",
                               (long long)dk[i], (long long)(st->in[i] + pb[i] + pe[i]),
                               i - off);
        int64_t o = (ceil_mode ? (tot + str[i] - 1) / str[i] : tot / str[i]) + 1;
        /* a window may not start in the end padding */
        if (ceil_mode && (o - 1) * str[i] >= st->in[i] + pb[i]) o--;
        st->out[i] = o;
        st->d[i] = dil[i];
    }

    int64_t odims[NN_MAX_RANK];
    for (int i = 0; i < x->rank; i++) odims[i] = x->dims[i];
    for (int i = 0; i < ns; i++) odims[(nhwc ? 1 : 2) + i] = st->out[off + i];
    nn_set_out(k, 0, x->dtype, x->rank, odims);
    int with_idx = k->n_out > 1 && k->out[1] != NULL;
    if (with_idx) {
        if (kind != POOL_MAX || nhwc)
            return nn_op_error(k, FSIFT_E_UNSUPPORTED, "Indices output only for NCHW MaxPool");
        nn_set_out(k, 1, FSIFT_DTYPE_INT64, x->rank, odims);
    }
    int64_t onum = nn_numel(x->rank, odims);
    if (onum < 0) return nn_op_error(k, FSIFT_E_LIMIT, "output too large");
    st->in_plane = st->in[0] * st->in[1] * st->in[2];
    st->out_plane = st->out[0] * st->out[1] * st->out[2];
    if (onum == 0) return FSIFT_OK;
    if (nn_numel(x->rank, x->dims) == 0)
        return nn_op_error(k, FSIFT_E_SHAPE, "empty input with a non-empty output");
    if ((st->out[0] + st->out[1] + st->out[2]) * 3 * (int64_t)sizeof(int64_t) >
        NN_TABLE_MAX_BYTES)
        return nn_op_error(k, FSIFT_E_LIMIT, "output too large");

    for (int i = 0; i < POOL_NS; i++) {
        int64_t o = st->out[i];
        st->start[i] = nn_kctx_alloc(k, 3 * (size_t)o * sizeof(int64_t));
        if (!st->start[i]) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
        st->ntap[i] = st->start[i] + o;
        st->div[i] = st->start[i] + 2 * o;
        int64_t n = st->in[i], d = dil[i], K = kern[i];
        for (int64_t j = 0; j < o; j++) {
            int64_t ws = j * str[i] - pb[i];
            int64_t lo = ws >= 0 ? 0 : (-ws + d - 1) / d;
            int64_t hi = n > ws ? (n - ws + d - 1) / d : 0;
            if (hi > K) hi = K;
            int64_t cnt = hi > lo ? hi - lo : 0;
            st->start[i][j] = ws + lo * d;
            st->ntap[i][j] = cnt;
            if (include_pad) {
                int64_t lim = n + pe[i]; /* taps before the end of the padding */
                int64_t h2 = lim > ws ? (lim - ws + d - 1) / d : 0;
                st->div[i][j] = h2 > K ? K : h2;
            } else {
                st->div[i][j] = cnt;
            }
        }
    }
    st->k2 = kern[2];
    st->s2 = str[2];
    st->pb2 = pb[2];
    st->full_lo = st->full_hi = 0;
    for (int64_t j = 0; j < st->out[2]; j++) {
        if (st->ntap[2][j] != kern[2] || st->start[2][j] != j * str[2] - pb[2]) continue;
        if (st->full_hi == 0) st->full_lo = j;
        st->full_hi = j + 1;
    }
    k->state = st;
    return FSIFT_OK;
}

typedef struct pool_job {
    const pool_state *st;
    const void *x;
    void *y;
    int64_t *idx;
} pool_job;

/* MaxPool over NCHW planes [b, e) for element type T; optional flat indices. */
#define POOL_MAX_NCHW(NAME, T, LOWEST)                                                       \
    static void NAME(void *arg, int64_t b, int64_t e) {                                      \
        const pool_job jb_ = *(const pool_job *)arg, *jb = &jb_;                             \
        const pool_state *st = jb->st;                                                       \
        const int64_t in1 = st->in[1], in2 = st->in[2];                                      \
        const int64_t d0 = st->d[0], d1 = st->d[1], d2 = st->d[2];                           \
        for (int64_t p = b; p < e; p++) {                                                    \
            const T *x = (const T *)jb->x + p * st->in_plane;                                \
            T *y = (T *)jb->y + p * st->out_plane;                                           \
            int64_t *yi = jb->idx ? jb->idx + p * st->out_plane : NULL;                      \
            for (int64_t o0 = 0; o0 < st->out[0]; o0++) {                                    \
                const int64_t s0 = st->start[0][o0], n0 = st->ntap[0][o0];                   \
                for (int64_t o1 = 0; o1 < st->out[1]; o1++) {                                \
                    const int64_t s1 = st->start[1][o1], n1 = st->ntap[1][o1];               \
                    for (int64_t o2 = 0; o2 < st->out[2]; o2++) {                            \
                        const int64_t s2 = st->start[2][o2], n2 = st->ntap[2][o2];           \
                        T m = LOWEST;                                                        \
                        int64_t mi = -1;                                                     \
                        for (int64_t t0 = 0; t0 < n0; t0++) {                                \
                            const int64_t p0 = s0 + t0 * d0;                                 \
                            for (int64_t t1 = 0; t1 < n1; t1++) {                            \
                                const int64_t p1 = s1 + t1 * d1;                             \
                                const T *r = x + (p0 * in1 + p1) * in2 + s2;                 \
                                if (!yi) {                                                   \
                                    for (int64_t t2 = 0; t2 < n2; t2++) {                    \
                                        T v = r[t2 * d2];                                    \
                                        m = v > m ? v : m;                                   \
                                    }                                                        \
                                    continue;                                                \
                                }                                                            \
                                for (int64_t t2 = 0; t2 < n2; t2++) {                        \
                                    T v = r[t2 * d2];                                        \
                                    if (mi < 0 || v > m) {                                   \
                                        int64_t p2 = s2 + t2 * d2;                           \
                                        m = v;                                               \
                                        mi = st->storage_order                               \
                                                 ? p0 + st->in[0] * (p1 + in1 * p2)          \
                                                 : (p0 * in1 + p1) * in2 + p2;               \
                                    }                                                        \
                                }                                                            \
                            }                                                                \
                        }                                                                    \
                        *y++ = m;                                                            \
                        if (yi) *yi++ = (mi < 0 ? 0 : mi) + p * st->in_plane;                \
                    }                                                                        \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }

POOL_MAX_NCHW(pool_max_f32, float, -FLT_MAX)
POOL_MAX_NCHW(pool_max_u8, uint8_t, 0)
POOL_MAX_NCHW(pool_max_i8, int8_t, INT8_MIN)

/* One input row r folded into output row y (max or sum over the innermost-axis taps).
 * Borders use the tables; the interior [full_lo, full_hi) has whole windows at
 * o * s2 - pb2 + j * d, and common kernel widths get constant trip counts. */
static inline void pool_row_core(float *restrict y, const float *restrict r, int64_t lo,
                                 int64_t hi, int64_t s, int64_t c0, int64_t K, int64_t d,
                                 int is_max) {
    for (int64_t o = lo; o < hi; o++) {
        const float *p = r + (o * s + c0);
        float m = p[0];
        if (is_max) {
            for (int64_t j = 1; j < K; j++) m = p[j * d] > m ? p[j * d] : m;
            y[o] = m > y[o] ? m : y[o];
        } else {
            for (int64_t j = 1; j < K; j++) m += p[j * d];
            y[o] += m;
        }
    }
}

static void pool_row(const pool_state *st, float *restrict y, const float *restrict r,
                     int is_max) {
    const int64_t d = st->d[2];
    for (int64_t o = 0; o < st->out[2]; o++) {
        if (o == st->full_lo && st->full_hi > st->full_lo) o = st->full_hi;
        if (o >= st->out[2]) break;
        const int64_t s0 = st->start[2][o], n = st->ntap[2][o];
        float m = is_max ? -FLT_MAX : 0.f;
        for (int64_t t = 0; t < n; t++) {
            float v = r[s0 + t * d];
            m = is_max ? (v > m ? v : m) : m + v;
        }
        y[o] = is_max ? (m > y[o] ? m : y[o]) : y[o] + m;
    }
    const int64_t lo = st->full_lo, hi = st->full_hi, s = st->s2, c0 = -st->pb2;
    if (hi <= lo) return;
    if (d == 1 && s == 1) { /* stride 1: K shifted whole-row passes, vectorised */
        for (int64_t j = 0; j < st->k2; j++) {
            if (is_max) nn_vmax_f32(y + lo, r + lo + c0 + j, hi - lo);
            else nn_vadd_f32(y + lo, r + lo + c0 + j, hi - lo);
        }
        return;
    }
    if (d == 1 && st->k2 == 2 && s == 2) pool_row_core(y, r, lo, hi, 2, c0, 2, 1, is_max);
    else if (d == 1 && st->k2 == 3 && s == 2) pool_row_core(y, r, lo, hi, 2, c0, 3, 1, is_max);
    else if (d == 1 && st->k2 == 3 && s == 1) pool_row_core(y, r, lo, hi, 1, c0, 3, 1, is_max);
    else if (d == 1 && st->k2 == 2 && s == 1) pool_row_core(y, r, lo, hi, 1, c0, 2, 1, is_max);
    else pool_row_core(y, r, lo, hi, s, c0, st->k2, d, is_max);
}

/* Float MaxPool/AveragePool over NCHW planes [b, e), one output row at a time. */
static void pool_rows_f32(void *arg, int64_t b, int64_t e) {
    const pool_job jb_ = *(const pool_job *)arg, *jb = &jb_; /* own copy: see nn_group.h */
    const pool_state *st = jb->st;
    const int is_max = st->kind == POOL_MAX;
    const int64_t in1 = st->in[1], in2 = st->in[2], out2 = st->out[2];
    for (int64_t p = b; p < e; p++) {
        const float *x = (const float *)jb->x + p * st->in_plane;
        float *yp = (float *)jb->y + p * st->out_plane;
        for (int64_t o0 = 0; o0 < st->out[0]; o0++) {
            const int64_t s0 = st->start[0][o0], n0 = st->ntap[0][o0];
            for (int64_t o1 = 0; o1 < st->out[1]; o1++) {
                const int64_t s1 = st->start[1][o1], n1 = st->ntap[1][o1];
                float *restrict y = yp + (o0 * st->out[1] + o1) * out2;
                const float init = is_max ? -FLT_MAX : 0.f;
                for (int64_t o = 0; o < out2; o++) y[o] = init;
                for (int64_t t0 = 0; t0 < n0; t0++)
                    for (int64_t t1 = 0; t1 < n1; t1++)
                        pool_row(st, y,
                                 x + ((s0 + t0 * st->d[0]) * in1 + s1 + t1 * st->d[1]) * in2,
                                 is_max);
                if (!is_max) {
                    /* interior: one divisor, applied as a reciprocal; borders divide */
                    const int64_t dv01 = st->div[0][o0] * st->div[1][o1];
                    const int64_t lo = st->full_lo, hi = st->full_hi;
                    for (int64_t o = 0; o < out2; o++) {
                        if (o == lo && hi > lo) o = hi;
                        if (o >= out2) break;
                        int64_t dv = dv01 * st->div[2][o];
                        y[o] = dv > 0 ? y[o] / (float)dv : 0.f;
                    }
                    if (hi > lo) {
                        int64_t dv = dv01 * st->div[2][lo];
                        nn_vscale_f32(y + lo, dv > 0 ? 1.f / (float)dv : 0.f, hi - lo);
                    }
                }
                if (st->act) nn_act_apply(y, out2, st->act);
            }
        }
    }
}

/* Global pools over NCHW planes [b, e). */
static void pool_global_nchw(void *arg, int64_t b, int64_t e) {
    const pool_job jb_ = *(const pool_job *)arg, *jb = &jb_; /* own copy: see nn_group.h */
    const pool_state *st = jb->st;
    const int64_t S = st->in_plane;
    for (int64_t p = b; p < e; p++) {
        const float *x = (const float *)jb->x + p * S;
        float v = st->kind == POOL_GMAX ? nn_max_f32(x, S, -FLT_MAX)
                                        : (S ? nn_sum_f32(x, S) / (float)S : 0.f);
        ((float *)jb->y)[p] = nn_act_one(v, st->act);
    }
}

/* Global pools, NHWC: items are (n, block of 256 channels). */
static void pool_global_nhwc(void *arg, int64_t b, int64_t e) {
    const pool_job jb_ = *(const pool_job *)arg, *jb = &jb_; /* own copy: see nn_group.h */
    const pool_state *st = jb->st;
    const int64_t S = st->in_plane, C = st->C, nblk = (C + 255) / 256;
    for (int64_t it = b; it < e; it++) {
        const int64_t n = it / nblk, c0 = (it % nblk) * 256;
        const int64_t w = C - c0 < 256 ? C - c0 : 256;
        const float *x = (const float *)jb->x + n * S * C + c0;
        float *y = (float *)jb->y + n * C + c0;
        if (st->kind == POOL_GMAX) {
            for (int64_t c = 0; c < w; c++) y[c] = -FLT_MAX;
            for (int64_t s = 0; s < S; s++) nn_vmax_f32(y, x + s * C, w);
        } else {
            for (int64_t c = 0; c < w; c++) y[c] = 0.f;
            for (int64_t s = 0; s < S; s++) nn_vadd_f32(y, x + s * C, w);
            nn_vscale_f32(y, S ? 1.f / (float)S : 0.f, w);
        }
        if (st->act) nn_act_apply(y, w, st->act);
    }
}

/* Four floats as one value (GCC/clang vector extension: SSE registers on x86-64, generic
 * code elsewhere), so a block's running maxima stay in registers across the window. */
typedef float pool_v4 __attribute__((vector_size(16)));
typedef int32_t pool_v4i __attribute__((vector_size(16)));

static inline pool_v4 pool_v4_load(const float *p) {
    pool_v4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* x > a ? x : a per lane (a NaN in x keeps a, as nn_vmax_f32): SSE's MAXPS with x first
 * is exactly that; elsewhere a compare and a bitwise select. */
static inline pool_v4 pool_v4_max(pool_v4 a, pool_v4 x) {
#if defined(__SSE__)
    return (pool_v4)_mm_max_ps((__m128)x, (__m128)a);
#else
    pool_v4i m = x > a;
    return (pool_v4)(((pool_v4i)x & m) | ((pool_v4i)a & ~m));
#endif
}

/* 2-D max pooling of one NHWC output pixel y (pool_nhwc_f32's locals): per block of 4*V
 * channels, the window's maximum in V registers, one store. A channel count that is not a
 * multiple of 4*V (>= 4*V) ends with a block overlapping the one before (max is idempotent). */
#define POOL_MAX_BLOCKS(V)                                                                  \
    do {                                                                                    \
        const float *xw = x + (s0 * in1 + s1) * in2 * C + s2 * C;                           \
        const int64_t rstep = st->d[1] * in2 * C, cstep = st->d[2] * C;                     \
        for (int64_t c0 = 0;; c0 += 4 * (V)) {                                              \
            if (c0 > C - 4 * (V)) c0 = C - 4 * (V);                                         \
            pool_v4 a[V];                                                                   \
            _Pragma("GCC unroll 4") for (int q = 0; q < (V); q++) a[q] = (pool_v4){init, init, init, init}; \
            for (int64_t t1 = 0; t1 < n1; t1++) {                                           \
                const float *xr = xw + t1 * rstep + c0;                                     \
                for (int64_t t2 = 0; t2 < n2; t2++, xr += cstep)                            \
                    _Pragma("GCC unroll 4") for (int q = 0; q < (V); q++)                   \
                        a[q] = pool_v4_max(a[q], pool_v4_load(xr + 4 * q));                 \
            }                                                                               \
            memcpy(y + c0, a, sizeof a);                                                    \
            if (c0 == C - 4 * (V)) break;                                                   \
        }                                                                                   \
    } while (0)

/* NHWC: one output pixel (C contiguous channels) per item; the items of a range are walked
 * in order, so only the first one's coordinates need divisions. */
static void pool_nhwc_f32(void *arg, int64_t b, int64_t e) {
    const pool_job jb_ = *(const pool_job *)arg, *jb = &jb_; /* own copy: see nn_group.h */
    const pool_state *st = jb->st;
    const int64_t C = st->C, in1 = st->in[1], in2 = st->in[2];
    const int is_max = st->kind == POOL_MAX || st->kind == POOL_GMAX;
    const float init = is_max ? -FLT_MAX : 0.f;
    int64_t o2 = b % st->out[2], t = b / st->out[2];
    int64_t o1 = t % st->out[1];
    t /= st->out[1];
    int64_t o0 = t % st->out[0], n = t / st->out[0];
    for (int64_t r = b; r < e; r++) {
        const float *x = (const float *)jb->x + n * st->in_plane * C;
        float *restrict y = (float *)jb->y + r * C;
        const int64_t s0 = st->start[0][o0], n0 = st->ntap[0][o0];
        const int64_t s1 = st->start[1][o1], n1 = st->ntap[1][o1];
        const int64_t s2 = st->start[2][o2], n2 = st->ntap[2][o2];
        if (is_max && n0 == 1 && C >= 16) {
            POOL_MAX_BLOCKS(4);
        } else if (is_max && n0 == 1 && C >= 4) {
            POOL_MAX_BLOCKS(1);
        } else {
            for (int64_t c = 0; c < C; c++) y[c] = init;
            for (int64_t t0 = 0; t0 < n0; t0++)
                for (int64_t t1 = 0; t1 < n1; t1++)
                    for (int64_t t2 = 0; t2 < n2; t2++) {
                        const float *restrict xp =
                            x + (((s0 + t0 * st->d[0]) * in1 + s1 + t1 * st->d[1]) * in2 + s2 +
                                 t2 * st->d[2]) * C;
                        if (is_max) nn_vmax_f32(y, xp, C);
                        else nn_vadd_f32(y, xp, C);
                    }
            if (!is_max) {
                int64_t dv = st->div[0][o0] * st->div[1][o1] * st->div[2][o2];
                nn_vscale_f32(y, dv > 0 ? 1.f / (float)dv : 0.f, C);
            }
        }
        if (st->act) nn_act_apply(y, C, st->act);
        if (++o2 == st->out[2]) {
            o2 = 0;
            if (++o1 == st->out[1]) {
                o1 = 0;
                if (++o0 == st->out[0]) o0 = 0, n++;
            }
        }
    }
}

fsift_status nn_pool_run(nn_kctx *k) {
    const pool_state *st = k->state;
    if (!st) return FSIFT_OK; /* empty output */
    pool_job jb = {st, k->in[0]->data, k->out[0]->data,
                   k->n_out > 1 && k->out[1] ? (int64_t *)k->out[1]->data : NULL};
    const int global = st->kind == POOL_GMAX || st->kind == POOL_GAVG;
    if (st->nhwc) {
        if (global) {
            int64_t nblk = (st->C + 255) / 256;
            nn_parallel(k, st->N * nblk, 1 + 16384 / (st->in_plane * 256 + 1),
                        pool_global_nhwc, &jb);
        } else {
            int64_t taps = st->in_plane / (st->out_plane > 0 ? st->out_plane : 1) + 1;
            nn_parallel(k, st->N * st->out_plane, 1 + 16384 / (taps * st->C + 1),
                        pool_nhwc_f32, &jb);
        }
        return FSIFT_OK;
    }
    const int64_t planes = st->N * st->C, grain = 1 + 16384 / (st->in_plane + 1);
    if (st->dtype != FSIFT_DTYPE_FLOAT32 || jb.idx) {
        nn_range_fn fn = st->dtype == FSIFT_DTYPE_UINT8  ? pool_max_u8
                         : st->dtype == FSIFT_DTYPE_INT8 ? pool_max_i8
                                                         : pool_max_f32;
        nn_parallel(k, planes, grain, fn, &jb);
        if (st->act && st->dtype == FSIFT_DTYPE_FLOAT32)
            nn_act_apply(jb.y, planes * st->out_plane, st->act);
    } else if (global) {
        nn_parallel(k, planes, grain, pool_global_nchw, &jb);
    } else {
        nn_parallel(k, planes, grain, pool_rows_f32, &jb);
    }
    return FSIFT_OK;
}
