/*
 * nn_pad.c — Pad (ONNX opsets 2–19): modes constant, reflect, edge and wrap; pads as
 * attributes (opset < 11) or as an input known at plan time (opset >= 11, with the optional
 * axes input of opset 18); constant value from the `value` attribute or the constant_value
 * input (read at run time). Any fixed-size dtype: padding only copies elements.
 *
 * Negative pads crop. Each axis is handled as "crop, then pad": the kept input range is
 * [cb, n - ce) and output index o reads kept index o - pb mapped into range by the mode
 * (reflect without repeating the edge, edge by clamping, wrap modulo the kept length); outside
 * it, constant mode writes the constant.
 *
 * How it works: infer builds, per axis, the table output index -> input index (-1 =
 * constant). run walks output rows (all axes but the last): a row whose outer index maps to -1
 * is filled with the constant, otherwise the last axis is copied: one memcpy for the kept
 * middle part, the table for the padded ends.
 *
 * Threading: rows are split across k->pool with nn_parallel; state is read-only.
 */
#include "nn_group.h"

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

typedef struct pad_state {
    int rank;
    size_t esize;
    unsigned char value[8];      /* constant from the attribute (or zero) */
    int value_input;             /* read the constant from input 2 at run time */
    int64_t in[NN_MAX_RANK], out[NN_MAX_RANK];
    int64_t *tab[NN_MAX_RANK];   /* out[i] entries */
    int64_t mid_out, mid_in, mid_len; /* last axis: contiguous copy [mid_out, +mid_len) */
} pad_state;

/* Stores v converted to dtype into b. */
static void pad_store(int dtype, double v, unsigned char *b) {
    switch (dtype) {
    case FSIFT_DTYPE_FLOAT32: { float f = (float)v; memcpy(b, &f, 4); break; }
    case FSIFT_DTYPE_FLOAT64: memcpy(b, &v, 8); break;
    case FSIFT_DTYPE_FLOAT16: { uint16_t h = fsift_f32_to_f16((float)v); memcpy(b, &h, 2); break; }
    case FSIFT_DTYPE_BOOL: b[0] = v != 0.0; break;
    default: {
        /* integers: saturate into int64, then keep the low bytes (little-endian) */
        int64_t i = v != v ? 0 : v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v;
        uint64_t u = (uint64_t)i;
        for (int j = 0; j < 8; j++) b[j] = (unsigned char)(u >> (8 * j));
        break;
    }
    }
}

fsift_status nn_pad_infer(nn_kctx *k) {
    const nn_tensor *x = nn_in_opt(k, 0);
    if (!x) return nn_op_error(k, FSIFT_E_SHAPE, "input is missing");
    size_t es = fsift_dtype_size(x->dtype);
    if (es != 1 && es != 2 && es != 4 && es != 8)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                           fsift_dtype_name(x->dtype));
    const int rank = x->rank;
    const char *ms = nn_attr_str(k->node, "mode", "constant");
    int mode = strcmp(ms, "constant") == 0  ? PAD_CONSTANT
               : strcmp(ms, "reflect") == 0 ? PAD_REFLECT
               : strcmp(ms, "edge") == 0    ? PAD_EDGE
               : strcmp(ms, "wrap") == 0    ? PAD_WRAP
                                            : -1;
    if (mode < 0) return nn_op_error(k, FSIFT_E_UNSUPPORTED, "mode '%s' not supported", ms);
    pad_state *st = nn_kctx_alloc(k, sizeof *st);
    if (!st) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    st->rank = rank;
    st->esize = es;

    int64_t pb[NN_MAX_RANK] = {0}, pe[NN_MAX_RANK] = {0};
    int axes[NN_MAX_RANK], nax = rank;
    for (int i = 0; i < rank; i++) axes[i] = i;
    const nn_tensor *pt = nn_in_opt(k, 1);
    if (k->opset < 11 && !pt) {
        int cnt = 0;
        const int64_t *p = nn_attr_ints(k->node, "pads", &cnt);
        if (!p && cnt == 0 && rank > 0)
            return nn_op_error(k, FSIFT_E_FORMAT, "attribute pads is required");
        if (cnt != 2 * rank)
            return nn_op_error(k, FSIFT_E_SHAPE, "pads has %d values, expected %d", cnt,
                               2 * rank);
        for (int i = 0; i < rank; i++) {
            pb[i] = p[i];
            pe[i] = p[rank + i];
        }
        pad_store(x->dtype, nn_attr_float(k->node, "value", 0.f), st->value);
    } else {
        if (!pt) return nn_op_error(k, FSIFT_E_FORMAT, "input pads is required");
        if (pt->dtype != FSIFT_DTYPE_INT64 && pt->dtype != FSIFT_DTYPE_INT32)
            return nn_op_error(k, FSIFT_E_SHAPE, "pads must be int64");
        if (!pt->data)
            return nn_op_error(k, FSIFT_E_UNSUPPORTED, "pads must be known at plan time");
        const nn_tensor *at = nn_in_opt(k, 3);
        if (at) {
            if (!at->data)
                return nn_op_error(k, FSIFT_E_UNSUPPORTED, "axes must be known at plan time");
            if (at->dtype != FSIFT_DTYPE_INT64 && at->dtype != FSIFT_DTYPE_INT32)
                return nn_op_error(k, FSIFT_E_SHAPE, "axes must be int64");
            int64_t n = fsift_tensor_numel(at);
            if (n < 0 || n > rank) return nn_op_error(k, FSIFT_E_SHAPE, "too many axes");
            int seen[NN_MAX_RANK] = {0};
            for (int64_t i = 0; i < n; i++) {
                fsift_status s = nn_axis(k, nn_get_int(at, i), rank, &axes[i]);
                if (s) return s;
                if (seen[axes[i]]++) return nn_op_error(k, FSIFT_E_SHAPE, "axes repeat");
            }
            nax = (int)n;
        }
        if (fsift_tensor_numel(pt) != 2 * nax)
            return nn_op_error(k, FSIFT_E_SHAPE, "pads has %lld values, expected %d",
                               (long long)fsift_tensor_numel(pt), 2 * nax);
        for (int i = 0; i < nax; i++) {
            pb[axes[i]] = nn_get_int(pt, i);
            pe[axes[i]] = nn_get_int(pt, nax + i);
        }
        const nn_tensor *cv = nn_in_opt(k, 2);
        if (cv && mode == PAD_CONSTANT) {
            if (cv->dtype != x->dtype)
                return nn_op_error(k, FSIFT_E_SHAPE, "constant_value dtype differs from data");
            if (fsift_tensor_numel(cv) != 1)
                return nn_op_error(k, FSIFT_E_SHAPE, "constant_value must be one value");
            st->value_input = 1;
        }
    }

    for (int i = 0; i < rank; i++) {
        const int64_t n = x->dims[i];
        if (pb[i] < -NN_MAX_DIM || pb[i] > NN_MAX_DIM || pe[i] < -NN_MAX_DIM ||
            pe[i] > NN_MAX_DIM)
            return nn_op_error(k, FSIFT_E_SHAPE, "pad on axis %d out of range", i);
        int64_t o = n + pb[i] + pe[i];
        if (o < 0 || o > NN_MAX_DIM)
            return nn_op_error(k, FSIFT_E_SHAPE, "padded size %lld on axis %d", (long long)o, i);
        st->in[i] = n;
        st->out[i] = o;
    }
    int64_t onum = nn_numel(rank, st->out);
    if (onum < 0) return nn_op_error(k, FSIFT_E_LIMIT, "output too large");
    nn_set_out(k, 0, x->dtype, rank, st->out);
    k->state = st;
    if (onum == 0) return FSIFT_OK;
    int64_t tab = 0;
    for (int i = 0; i < rank; i++) tab += st->out[i];
    if (tab * (int64_t)sizeof(int64_t) > NN_TABLE_MAX_BYTES)
        return nn_op_error(k, FSIFT_E_LIMIT, "output too large");

    for (int i = 0; i < rank; i++) {
        const int64_t cb = pb[i] < 0 ? -pb[i] : 0, ce = pe[i] < 0 ? -pe[i] : 0;
        const int64_t p = pb[i] > 0 ? pb[i] : 0;
        const int64_t kept = st->in[i] - cb - ce;
        if (kept <= 0 && mode != PAD_CONSTANT)
            return nn_op_error(k, FSIFT_E_SHAPE, "mode %s needs a non-empty axis %d", ms, i);
        st->tab[i] = nn_kctx_alloc(k, (size_t)st->out[i] * sizeof(int64_t));
        if (!st->tab[i]) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
        for (int64_t o = 0; o < st->out[i]; o++) {
            int64_t j = o - p, v;
            if (j >= 0 && j < kept) {
                v = j;
            } else if (mode == PAD_CONSTANT) {
                v = -1;
            } else if (mode == PAD_EDGE || (mode == PAD_REFLECT && kept == 1)) {
                v = j < 0 ? 0 : kept - 1;
            } else if (mode == PAD_WRAP) {
                v = ((j % kept) + kept) % kept;
            } else {
                int64_t per = 2 * (kept - 1);
                v = ((j % per) + per) % per;
                if (v >= kept) v = per - v;
            }
            st->tab[i][o] = v < 0 ? -1 : v + cb;
        }
    }
    if (rank > 0) {
        const int L = rank - 1;
        const int64_t cb = pb[L] < 0 ? -pb[L] : 0, ce = pe[L] < 0 ? -pe[L] : 0;
        const int64_t kept = st->in[L] - cb - ce;
        st->mid_out = pb[L] > 0 ? pb[L] : 0;
        st->mid_in = cb;
        st->mid_len = kept > 0 ? kept : 0;
    }
    return FSIFT_OK;
}

typedef struct pad_job {
    const pad_state *st;
    const unsigned char *x;
    unsigned char *y;
    const unsigned char *value;
    int64_t in_stride[NN_MAX_RANK];
    int64_t last_out;
} pad_job;

static void pad_fill(unsigned char *y, int64_t n, const unsigned char *v, size_t es) {
    int zero = 1;
    for (size_t i = 0; i < es; i++) zero &= v[i] == 0;
    if (zero) {
        memset(y, 0, (size_t)n * es);
        return;
    }
    for (int64_t i = 0; i < n; i++) memcpy(y + (size_t)i * es, v, es);
}

static void pad_rows(void *arg, int64_t b, int64_t e) {
    const pad_job jb_ = *(const pad_job *)arg, *jb = &jb_; /* own copy: see nn_group.h */
    const pad_state *st = jb->st;
    const int L = st->rank - 1;
    const size_t es = st->esize;
    const int64_t W = jb->last_out;
    const int64_t *lt = st->tab[L];
    for (int64_t r = b; r < e; r++) {
        int64_t t = r, off = 0;
        int outside = 0;
        for (int i = L - 1; i >= 0; i--) {
            int64_t o = t % st->out[i];
            t /= st->out[i];
            int64_t ii = st->tab[i][o];
            if (ii < 0) outside = 1;
            off += ii * jb->in_stride[i];
        }
        unsigned char *y = jb->y + (size_t)(r * W) * es;
        if (outside) {
            pad_fill(y, W, jb->value, es);
            continue;
        }
        /* an empty input maps nothing (every table entry is -1): never form x then */
        const unsigned char *x = jb->x ? jb->x + (size_t)off * es : NULL;
        for (int64_t j = 0; j < st->mid_out && j < W; j++) {
            if (lt[j] < 0) memcpy(y + j * es, jb->value, es);
            else memcpy(y + j * es, x + lt[j] * es, es);
        }
        if (st->mid_len > 0)
            memcpy(y + st->mid_out * es, x + st->mid_in * es, (size_t)st->mid_len * es);
        for (int64_t j = st->mid_out + st->mid_len; j < W; j++) {
            if (lt[j] < 0) memcpy(y + j * es, jb->value, es);
            else memcpy(y + j * es, x + lt[j] * es, es);
        }
    }
}

fsift_status nn_pad_run(nn_kctx *k) {
    const pad_state *st = k->state;
    const nn_tensor *x = k->in[0];
    int64_t onum = nn_numel(st->rank, st->out);
    if (onum == 0) return FSIFT_OK;
    if (st->rank == 0) {
        memcpy(k->out[0]->data, x->data, st->esize);
        return FSIFT_OK;
    }
    pad_job jb = {.st = st, .x = x->data, .y = k->out[0]->data, .value = st->value};
    if (st->value_input) jb.value = k->in[2]->data;
    int64_t s = 1;
    for (int i = st->rank - 1; i >= 0; i--) {
        jb.in_stride[i] = s;
        s *= st->in[i];
    }
    jb.last_out = st->out[st->rank - 1];
    nn_parallel(k, onum / jb.last_out, 1 + 65536 / (jb.last_out * (int64_t)st->esize + 1),
                pad_rows, &jb);
    return FSIFT_OK;
}
