/*
 * shape_copy.c — operators that copy blocks of their inputs into a new arrangement: Concat,
 * Split, Expand and Tile.
 *
 * Concat and Split see each tensor as [outer, axis, inner]: one contiguous block of
 * dim(axis) * inner elements per outer index and input/output, copied with memcpy (split
 * across the pool by outer index when there are many). Concat also honours the TFLite
 * "activation" extension attribute (float32). Expand is a broadcast copy through the
 * elementwise broadcast iterator (elementwise.h), which collapses axes so that each span is
 * either a memcpy of a row or a fill of one repeated element. Tile copies each input row
 * repeatedly into the output rows that hold it.
 *
 * Shapes that come from inputs (Split's split, Expand's shape, Tile's repeats) must be known
 * at plan time; every resulting shape is checked against the limits in shape.h.
 *
 * Threading: reentrant; workers write disjoint parts of the output.
 */
#include <string.h>

#include "elementwise.h"
#include "shape.h"

/* ---- Concat ------------------------------------------------------------------------------ */

static fsift_status concat_axis(const nn_kctx *k, int *axis) {
    const nn_attr *a = nn_attr_find(k->node, "axis");
    if (!a && k->opset >= 4) return nn_op_error(k, FSIFT_E_FORMAT, "attribute 'axis' is missing");
    return nn_axis(k, a ? a->i : 1, k->in[0]->rank, axis); /* Concat-1: default 1 */
}

fsift_status nn_sh_infer_Concat(nn_kctx *k) {
    fsift_status s = nn_shape_need_out(k);
    if (s) return s;
    if (k->n_in < 1) return nn_op_error(k, FSIFT_E_FORMAT, "needs at least one input");
    for (int i = 0; i < k->n_in; i++) {
        s = nn_shape_need_in(k, i, "data");
        if (s) return s;
    }
    const nn_tensor *x0 = k->in[0];
    if (x0->rank < 1) return nn_op_error(k, FSIFT_E_SHAPE, "inputs must have rank >= 1");
    if (!fsift_dtype_size(x0->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported", fsift_dtype_name(x0->dtype));
    int axis;
    s = concat_axis(k, &axis);
    if (s) return s;
    int64_t dims[NN_MAX_RANK];
    memcpy(dims, x0->dims, sizeof dims);
    dims[axis] = 0;
    for (int i = 0; i < k->n_in; i++) {
        const nn_tensor *t = k->in[i];
        char b1[160], b2[160];
        if (t->dtype != x0->dtype)
            return nn_op_error(k, FSIFT_E_SHAPE, "input %d has dtype %s, input 0 has %s", i,
                               fsift_dtype_name(t->dtype), fsift_dtype_name(x0->dtype));
        int same = t->rank == x0->rank;
        for (int d = 0; same && d < t->rank; d++)
            if (d != axis && t->dims[d] != x0->dims[d]) same = 0;
        if (!same)
            return nn_op_error(k, FSIFT_E_SHAPE, "input %d shape %s does not match %s on axis %d", i,
                               nn_shape_str(t->rank, t->dims, b1, sizeof b1),
                               nn_shape_str(x0->rank, x0->dims, b2, sizeof b2), axis);
        dims[axis] += t->dims[axis];
        if (dims[axis] > NN_MAX_DIM) return nn_op_error(k, FSIFT_E_LIMIT, "concatenated axis too large");
    }
    nn_act act;
    s = nn_act_parse(k, &act);
    if (s) return s;
    if (act != NN_ACT_NONE && x0->dtype != FSIFT_DTYPE_FLOAT32)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "fused activation needs float32");
    nn_set_out(k, 0, x0->dtype, x0->rank, dims);
    return FSIFT_OK;
}

typedef struct concat_job {
    const nn_kctx *k;
    size_t out_row;            /* output bytes per outer index */
    size_t rowb[NN_MAX_IO];    /* bytes per outer index of each input */
    char *dst;
} concat_job;

static void concat_range(void *arg, int64_t b, int64_t e) {
    const concat_job *j = arg;
    const nn_kctx *k = j->k;
    for (int64_t o = b; o < e; o++) {
        char *d = j->dst + (size_t)o * j->out_row;
        for (int i = 0; i < k->n_in; i++) {
            if (!j->rowb[i]) continue; /* empty input: its data may be NULL */
            memcpy(d, (const char *)k->in[i]->data + (size_t)o * j->rowb[i], j->rowb[i]);
            d += j->rowb[i];
        }
    }
}

typedef struct act_job {
    float *x;
    nn_act act;
} act_job;

static void act_range(void *arg, int64_t b, int64_t e) {
    const act_job *j = arg;
    nn_act_apply(j->x + b, e - b, j->act);
}

fsift_status nn_sh_run_Concat(nn_kctx *k) {
    int axis;
    fsift_status s = concat_axis(k, &axis);
    if (s) return s;
    nn_act act;
    s = nn_act_parse(k, &act);
    if (s) return s;
    nn_tensor *out = k->out[0];
    size_t es = fsift_dtype_size(out->dtype);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++) outer *= out->dims[d];
    for (int d = axis + 1; d < out->rank; d++) inner *= out->dims[d];
    concat_job j;
    j.k = k;
    j.dst = out->data;
    j.out_row = (size_t)(out->dims[axis] * inner) * es;
    for (int i = 0; i < k->n_in; i++) j.rowb[i] = (size_t)(k->in[i]->dims[axis] * inner) * es;
    if (outer == 1) {
        char *d = j.dst;
        for (int i = 0; i < k->n_in; i++) {
            nn_shape_copy(k, d, k->in[i]->data, j.rowb[i]);
            d += j.rowb[i];
        }
    } else if (j.out_row > 0) {
        nn_parallel(k, outer, (int64_t)(65536 / j.out_row) + 1, concat_range, &j);
    }
    if (act != NN_ACT_NONE) {
        act_job aj = {out->data, act};
        nn_parallel(k, fsift_tensor_numel(out), 32768, act_range, &aj);
    }
    return FSIFT_OK;
}

/* ---- Split ----------------------------------------------------------------------------------- */

static fsift_status split_sizes(const nn_kctx *k, int *axis, int64_t *sizes) {
    const nn_tensor *x = k->in[0];
    fsift_status s = nn_axis(k, nn_attr_int(k->node, "axis", 0), x->rank, axis);
    if (s) return s;
    const int64_t dim = x->dims[*axis];
    const int n = k->n_out;
    int cnt = 0, have = 0;
    if (k->opset >= 13) {
        if (k->n_in > 1 && k->in[1]) {
            s = nn_shape_read_ints(k, 1, "split", sizes, NN_MAX_IO, &cnt);
            if (s) return s;
            have = 1;
        }
    } else {
        const int64_t *a = nn_attr_ints(k->node, "split", &cnt);
        if (a) {
            if (cnt > NN_MAX_IO) return nn_op_error(k, FSIFT_E_LIMIT, "too many splits (%d)", cnt);
            memcpy(sizes, a, sizeof(int64_t) * (size_t)cnt);
            have = 1;
        }
    }
    if (have) {
        if (cnt != n)
            return nn_op_error(k, FSIFT_E_SHAPE, "split has %d entries for %d outputs", cnt, n);
        int64_t sum = 0;
        for (int i = 0; i < n; i++) {
            if (sizes[i] < 0 || sizes[i] > NN_MAX_DIM)
                return nn_op_error(k, FSIFT_E_SHAPE, "split[%d] = %lld is invalid", i, (long long)sizes[i]);
            sum += sizes[i];
        }
        if (sum != dim)
            return nn_op_error(k, FSIFT_E_SHAPE, "splits sum to %lld, axis %d has %lld",
                               (long long)sum, *axis, (long long)dim);
        return FSIFT_OK;
    }
    const nn_attr *no = nn_attr_find(k->node, "num_outputs");
    if (no) {
        if (no->i != n)
            return nn_op_error(k, FSIFT_E_SHAPE, "num_outputs %lld but %d outputs", (long long)no->i, n);
        int64_t chunk = (dim + n - 1) / n;
        for (int i = 0; i < n; i++) {
            int64_t left = dim - chunk * i;
            sizes[i] = left < 0 ? 0 : (left < chunk ? left : chunk);
        }
        return FSIFT_OK;
    }
    if (dim % n)
        return nn_op_error(k, FSIFT_E_SHAPE, "axis %d of size %lld does not split into %d equal parts",
                           *axis, (long long)dim, n);
    for (int i = 0; i < n; i++) sizes[i] = dim / n;
    return FSIFT_OK;
}

fsift_status nn_sh_infer_Split(nn_kctx *k) {
    fsift_status s = nn_shape_need_in(k, 0, "input");
    if (s) return s;
    const nn_tensor *x = k->in[0];
    if (k->n_out < 1) return nn_op_error(k, FSIFT_E_FORMAT, "needs at least one output");
    if (x->rank < 1) return nn_op_error(k, FSIFT_E_SHAPE, "input must have rank >= 1");
    if (!fsift_dtype_size(x->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported", fsift_dtype_name(x->dtype));
    int axis;
    int64_t sizes[NN_MAX_IO];
    s = split_sizes(k, &axis, sizes);
    if (s) return s;
    for (int i = 0; i < k->n_out; i++) {
        int64_t d[NN_MAX_RANK];
        memcpy(d, x->dims, sizeof d);
        d[axis] = sizes[i];
        nn_set_out(k, i, x->dtype, x->rank, d);
    }
    return FSIFT_OK;
}

typedef struct split_job {
    const nn_kctx *k;
    size_t in_row;
    size_t rowb[NN_MAX_IO];
    size_t pre[NN_MAX_IO];
} split_job;

static void split_range(void *arg, int64_t b, int64_t e) {
    const split_job *j = arg;
    const nn_kctx *k = j->k;
    const char *src = k->in[0]->data;
    for (int64_t o = b; o < e; o++)
        for (int i = 0; i < k->n_out; i++)
            if (k->out[i] && j->rowb[i])
                memcpy((char *)k->out[i]->data + (size_t)o * j->rowb[i],
                       src + (size_t)o * j->in_row + j->pre[i], j->rowb[i]);
}

fsift_status nn_sh_run_Split(nn_kctx *k) {
    int axis;
    int64_t sizes[NN_MAX_IO];
    fsift_status s = split_sizes(k, &axis, sizes);
    if (s) return s;
    const nn_tensor *x = k->in[0];
    size_t es = fsift_dtype_size(x->dtype);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++) outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++) inner *= x->dims[d];
    split_job j;
    j.k = k;
    j.in_row = (size_t)(x->dims[axis] * inner) * es;
    size_t pre = 0;
    for (int i = 0; i < k->n_out; i++) {
        j.rowb[i] = (size_t)(sizes[i] * inner) * es;
        j.pre[i] = pre;
        pre += j.rowb[i];
    }
    if (outer == 1) {
        for (int i = 0; i < k->n_out; i++)
            if (k->out[i]) nn_shape_copy(k, k->out[i]->data, (const char *)x->data + j.pre[i], j.rowb[i]);
    } else if (j.in_row > 0) {
        nn_parallel(k, outer, (int64_t)(65536 / j.in_row) + 1, split_range, &j);
    }
    return FSIFT_OK;
}

/* ---- Expand ---------------------------------------------------------------------------- */

static fsift_status expand_shape(nn_kctx *k, int *r, int64_t *dims) {
    int64_t shape[NN_MAX_RANK];
    int n;
    fsift_status s = nn_shape_read_ints(k, 1, "shape", shape, NN_MAX_RANK, &n);
    if (s) return s;
    for (int i = 0; i < n; i++)
        if (shape[i] < 0 || shape[i] > NN_MAX_DIM)
            return nn_op_error(k, FSIFT_E_SHAPE, "shape[%d] = %lld is invalid", i, (long long)shape[i]);
    const nn_tensor *x = k->in[0];
    s = nn_broadcast_shape(k, x->rank, x->dims, n, shape, r, dims);
    if (s) return s;
    return nn_shape_check_out(k, *r, dims);
}

fsift_status nn_sh_infer_Expand(nn_kctx *k) {
    fsift_status s = nn_shape_need_in(k, 0, "input");
    if (!s) s = nn_shape_need_out(k);
    if (s) return s;
    if (!fsift_dtype_size(k->in[0]->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                           fsift_dtype_name(k->in[0]->dtype));
    int r;
    int64_t dims[NN_MAX_RANK];
    s = expand_shape(k, &r, dims);
    if (s) return s;
    nn_set_out(k, 0, k->in[0]->dtype, r, dims);
    return FSIFT_OK;
}

typedef struct expand_job {
    const char *src;
    char *dst;
    size_t es;
    int inner;
} expand_job;

#define FILL(T)                                                                              \
    do {                                                                                     \
        T v;                                                                                 \
        memcpy(&v, s, sizeof v);                                                             \
        T *dp = (T *)d;                                                                      \
        for (int64_t i = 0; i < n; i++) dp[i] = v;                                           \
    } while (0)

static void expand_span(void *arg, int64_t o, const int64_t *off, int64_t n) {
    const expand_job *j = arg;
    const char *s = j->src + (size_t)off[0] * j->es;
    char *d = j->dst + (size_t)o * j->es;
    if (j->inner) {
        memcpy(d, s, (size_t)n * j->es);
        return;
    }
    switch (j->es) {
    case 1: memset(d, *s, (size_t)n); break;
    case 2: FILL(uint16_t); break;
    case 4: FILL(uint32_t); break;
    default: FILL(uint64_t); break;
    }
}

/* out = x broadcast to out's shape (any dtype) */
static void broadcast_copy(const nn_kctx *k, const nn_tensor *x, nn_tensor *out) {
    const nn_tensor *ops[1] = {x};
    nn_bcast bc;
    nn_bcast_init(&bc, out->rank, out->dims, 1, ops);
    expand_job j = {x->data, out->data, fsift_dtype_size(x->dtype), nn_bcast_inner(&bc, 0)};
    nn_bcast_run(k, &bc, 65536, expand_span, &j);
}

fsift_status nn_sh_run_Expand(nn_kctx *k) {
    broadcast_copy(k, k->in[0], k->out[0]);
    return FSIFT_OK;
}

/* ---- Tile ---------------------------------------------------------------------------------- */

static fsift_status tile_dims(nn_kctx *k, int64_t *dims) {
    const nn_tensor *x = k->in[0];
    int64_t rep[NN_MAX_RANK];
    int n;
    fsift_status s = nn_shape_read_ints(k, 1, "repeats", rep, NN_MAX_RANK, &n);
    if (s) return s;
    if (n != x->rank)
        return nn_op_error(k, FSIFT_E_SHAPE, "repeats has %d entries for rank %d", n, x->rank);
    for (int i = 0; i < n; i++) {
        if (rep[i] < 0) return nn_op_error(k, FSIFT_E_SHAPE, "repeats[%d] = %lld is negative", i, (long long)rep[i]);
        dims[i] = nn_shape_mul(x->dims[i], rep[i]);
        if (dims[i] < 0 || dims[i] > NN_MAX_DIM)
            return nn_op_error(k, FSIFT_E_LIMIT, "tiled dim %d is too large", i);
    }
    return nn_shape_check_out(k, n, dims);
}

fsift_status nn_sh_infer_Tile(nn_kctx *k) {
    fsift_status s = nn_shape_need_in(k, 0, "input");
    if (!s) s = nn_shape_need_out(k);
    if (s) return s;
    if (!fsift_dtype_size(k->in[0]->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                           fsift_dtype_name(k->in[0]->dtype));
    int64_t dims[NN_MAX_RANK];
    s = tile_dims(k, dims);
    if (s) return s;
    nn_set_out(k, 0, k->in[0]->dtype, k->in[0]->rank, dims);
    return FSIFT_OK;
}

typedef struct tile_job {
    const nn_tensor *x, *o;
    size_t es;
    int64_t ist[NN_MAX_RANK]; /* input strides (elements) */
} tile_job;

/* rows b..e of the output (all axes but the last) */
static void tile_range(void *arg, int64_t b, int64_t e) {
    const tile_job *j = arg;
    const nn_tensor *x = j->x, *o = j->o;
    const int r = o->rank;
    const int64_t ow = o->dims[r - 1], iw = x->dims[r - 1];
    const size_t rowb = (size_t)iw * j->es;
    int64_t c[NN_MAX_RANK], rem = b;
    for (int d = r - 2; d >= 0; d--) {
        c[d] = rem % o->dims[d];
        rem /= o->dims[d];
    }
    for (int64_t row = b; row < e; row++) {
        int64_t off = 0;
        for (int d = 0; d < r - 1; d++) off += (c[d] % x->dims[d]) * j->ist[d];
        const char *s = (const char *)x->data + (size_t)off * j->es;
        char *dst = (char *)o->data + (size_t)(row * ow) * j->es;
        for (int64_t w = 0; w < ow; w += iw, dst += rowb) memcpy(dst, s, rowb);
        for (int d = r - 2; d >= 0; d--) {
            if (++c[d] < o->dims[d]) break;
            c[d] = 0;
        }
    }
}

fsift_status nn_sh_run_Tile(nn_kctx *k) {
    const nn_tensor *x = k->in[0];
    nn_tensor *o = k->out[0];
    int64_t total = fsift_tensor_numel(o);
    if (total <= 0) return FSIFT_OK;
    size_t es = fsift_dtype_size(x->dtype);
    if (o->rank == 0) {
        memcpy(o->data, x->data, es);
        return FSIFT_OK;
    }
    tile_job j = {x, o, es, {0}};
    int64_t s = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
        j.ist[d] = s;
        s *= x->dims[d];
    }
    int64_t ow = o->dims[o->rank - 1];
    nn_parallel(k, total / ow, (int64_t)(65536 / ((size_t)ow * es)) + 1, tile_range, &j);
    return FSIFT_OK;
}
