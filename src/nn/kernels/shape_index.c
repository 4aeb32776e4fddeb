/*
 * shape_index.c — operators that address elements by computed positions: Slice, Gather,
 * GatherElements, GatherND, ScatterND, OneHot and Trilu.
 *
 * Every index that comes from tensor data is checked before it is used: a Gather index
 * outside [-dim, dim) is an error naming the index and its position, never an out-of-bounds
 * read. Indices known at plan time are checked in infer already; the rest at run time, in a
 * pass over the indices before any output is written.
 *
 * Slice follows ONNX's clamping rules (negative starts/ends count from the end; starts and
 * ends are clamped to the axis, to [0, dim-1] / [-1, dim-1] for negative steps) and computes
 * each axis' length with overflow-free arithmetic, so huge or extreme starts/ends/steps are
 * harmless. Its copy walks output rows and memcpys the innermost axis when its step is 1.
 *
 * Threading: reentrant; Slice and Gather split their rows across the pool.
 */
#include <string.h>

#include "elementwise.h"
#include "shape.h"

static fsift_status need_dtype(const nn_kctx *k, const nn_tensor *t) {
    if (!fsift_dtype_size(t->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported", fsift_dtype_name(t->dtype));
    return FSIFT_OK;
}

static fsift_status need_index_dtype(const nn_kctx *k, const nn_tensor *t, const char *what) {
    if (t->dtype != FSIFT_DTYPE_INT64 && t->dtype != FSIFT_DTYPE_INT32)
        return nn_op_error(k, FSIFT_E_SHAPE, "%s must be int64 or int32, not %s", what,
                           fsift_dtype_name(t->dtype));
    return FSIFT_OK;
}

static int64_t prod(const int64_t *d, int from, int to) {
    int64_t p = 1;
    for (int i = from; i < to; i++) p *= d[i];
    return p;
}

/* ---- Slice --------------------------------------------------------------------------------- */

typedef struct slice_par {
    int64_t start[NN_MAX_RANK], step[NN_MAX_RANK], len[NN_MAX_RANK];
} slice_par;

/* starts/ends/axes/steps list i: attribute (opset < 10) or input (opset >= 10) */
static fsift_status slice_list(const nn_kctx *k, int input, const char *name, int64_t *v,
                               int *n, int *present) {
    *present = 0;
    *n = 0;
    if (k->opset < 10) {
        if (input == 4) return FSIFT_OK; /* no steps before opset 10 */
        const int64_t *a = nn_attr_ints(k->node, name, n);
        if (!a) return FSIFT_OK;
        if (*n > NN_MAX_RANK) return nn_op_error(k, FSIFT_E_SHAPE, "%s has %d entries", name, *n);
        memcpy(v, a, sizeof(int64_t) * (size_t)*n);
        *present = 1;
        return FSIFT_OK;
    }
    if (input >= k->n_in || !k->in[input]) return FSIFT_OK;
    *present = 1;
    return nn_shape_read_ints(k, input, name, v, NN_MAX_RANK, n);
}

static fsift_status slice_params(const nn_kctx *k, slice_par *p) {
    const nn_tensor *x = k->in[0];
    const int r = x->rank;
    int64_t st[NN_MAX_RANK], en[NN_MAX_RANK], ax[NN_MAX_RANK], sp[NN_MAX_RANK];
    int ns, ne, na, nsp, ps, pe, pa, psp;
    fsift_status s;
    if ((s = slice_list(k, 1, "starts", st, &ns, &ps)) || (s = slice_list(k, 2, "ends", en, &ne, &pe)) ||
        (s = slice_list(k, 3, "axes", ax, &na, &pa)) || (s = slice_list(k, 4, "steps", sp, &nsp, &psp)))
        return s;
    if (!ps || !pe) return nn_op_error(k, FSIFT_E_FORMAT, "starts and ends are required");
    if (ne != ns || (pa && na != ns) || (psp && nsp != ns))
        return nn_op_error(k, FSIFT_E_SHAPE, "starts, ends, axes and steps differ in length");
    if (ns > r) return nn_op_error(k, FSIFT_E_SHAPE, "%d slice entries for rank %d", ns, r);
    int seen[NN_MAX_RANK] = {0};
    for (int a = 0; a < r; a++) {
        p->start[a] = 0;
        p->step[a] = 1;
        p->len[a] = x->dims[a];
    }
    for (int i = 0; i < ns; i++) {
        int a = i;
        if (pa) {
            s = nn_axis(k, ax[i], r, &a);
            if (s) return s;
        }
        if (seen[a]) return nn_op_error(k, FSIFT_E_SHAPE, "axis %d repeated", a);
        seen[a] = 1;
        int64_t step = psp ? sp[i] : 1, dim = x->dims[a], b = st[i], e = en[i];
        if (step == 0) return nn_op_error(k, FSIFT_E_SHAPE, "step for axis %d is 0", a);
        if (b < 0) b += dim;
        if (e < 0) e += dim;
        uint64_t diff = 0, m;
        if (step > 0) {
            b = b < 0 ? 0 : (b > dim ? dim : b);
            e = e < 0 ? 0 : (e > dim ? dim : e);
            if (e > b) diff = (uint64_t)(e - b);
            m = (uint64_t)step;
        } else {
            b = b < 0 ? 0 : (b > dim - 1 ? dim - 1 : b);
            e = e < -1 ? -1 : (e > dim - 1 ? dim - 1 : e);
            if (b > e) diff = (uint64_t)(b - e);
            m = (uint64_t)0 - (uint64_t)step;
        }
        int64_t len = dim == 0 ? 0 : (int64_t)(diff / m + (diff % m != 0));
        p->start[a] = len ? b : 0;
        p->step[a] = len > 1 ? step : 1;
        p->len[a] = len;
    }
    return FSIFT_OK;
}

fsift_status nn_sh_infer_Slice(nn_kctx *k) {
    fsift_status s = nn_shape_need_in(k, 0, "data");
    if (!s) s = nn_shape_need_out(k);
    if (!s) s = need_dtype(k, k->in[0]);
    if (s) return s;
    if (k->in[0]->rank < 1) return nn_op_error(k, FSIFT_E_SHAPE, "data must have rank >= 1");
    slice_par p;
    s = slice_params(k, &p);
    if (s) return s;
    nn_set_out(k, 0, k->in[0]->dtype, k->in[0]->rank, p.len);
    return FSIFT_OK;
}

typedef struct slice_job {
    const nn_tensor *x, *o;
    size_t es;
    int64_t ist[NN_MAX_RANK];
    slice_par p;
} slice_job;

#define STRIDED(T)                                                                           \
    do {                                                                                     \
        const T *sp = (const T *)src;                                                        \
        T *dp = (T *)dst;                                                                    \
        for (int64_t i = 0; i < w; i++) dp[i] = sp[i * step];                                \
    } while (0)

static void slice_range(void *arg, int64_t b, int64_t e) {
    const slice_job *j = arg;
    const int r = j->o->rank, L = r - 1;
    const int64_t w = j->o->dims[L], step = j->p.step[L];
    int64_t c[NN_MAX_RANK], rem = b;
    for (int d = L - 1; d >= 0; d--) {
        c[d] = rem % j->o->dims[d];
        rem /= j->o->dims[d];
    }
    for (int64_t row = b; row < e; row++) {
        int64_t off = j->p.start[L] * j->ist[L];
        for (int d = 0; d < L; d++) off += (j->p.start[d] + c[d] * j->p.step[d]) * j->ist[d];
        const char *src = (const char *)j->x->data + (size_t)off * j->es;
        char *dst = (char *)j->o->data + (size_t)(row * w) * j->es;
        if (step == 1) {
            memcpy(dst, src, (size_t)w * j->es);
        } else {
            switch (j->es) {
            case 1: STRIDED(uint8_t); break;
            case 2: STRIDED(uint16_t); break;
            case 4: STRIDED(uint32_t); break;
            default: STRIDED(uint64_t); break;
            }
        }
        for (int d = L - 1; d >= 0; d--) {
            if (++c[d] < j->o->dims[d]) break;
            c[d] = 0;
        }
    }
}

fsift_status nn_sh_run_Slice(nn_kctx *k) {
    slice_job j;
    fsift_status s = slice_params(k, &j.p);
    if (s) return s;
    j.x = k->in[0];
    j.o = k->out[0];
    j.es = fsift_dtype_size(j.x->dtype);
    int64_t total = fsift_tensor_numel(j.o);
    if (total <= 0) return FSIFT_OK;
    int64_t st = 1;
    for (int d = j.x->rank - 1; d >= 0; d--) {
        j.ist[d] = st;
        st *= j.x->dims[d];
    }
    int64_t w = j.o->dims[j.o->rank - 1];
    nn_parallel(k, total / w, (int64_t)(65536 / ((size_t)w * j.es)) + 1, slice_range, &j);
    return FSIFT_OK;
}

/* ---- Gather ------------------------------------------------------------------------------ */

/* Checks every index of t against [-dim, dim). */
static fsift_status check_indices(const nn_kctx *k, const nn_tensor *t, int64_t dim, int axis) {
    int64_t n = fsift_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        int64_t v = nn_get_int(t, i);
        if (v < -dim || v >= dim)
            return nn_op_error(k, FSIFT_E_SHAPE,
                               "index %lld (at position %lld) is out of range for axis %d of size %lld",
                               (long long)v, (long long)i, axis, (long long)dim);
    }
    return FSIFT_OK;
}

static fsift_status gather_axis(const nn_kctx *k, int *axis) {
    return nn_axis(k, nn_attr_int(k->node, "axis", 0), k->in[0]->rank, axis);
}

fsift_status nn_sh_infer_Gather(nn_kctx *k) {
    fsift_status s = nn_shape_need_in(k, 0, "data");
    if (!s) s = nn_shape_need_in(k, 1, "indices");
    if (!s) s = nn_shape_need_out(k);
    if (!s) s = need_dtype(k, k->in[0]);
    if (!s) s = need_index_dtype(k, k->in[1], "indices");
    if (s) return s;
    const nn_tensor *x = k->in[0], *ind = k->in[1];
    if (x->rank < 1) return nn_op_error(k, FSIFT_E_SHAPE, "data must have rank >= 1");
    int axis;
    s = gather_axis(k, &axis);
    if (s) return s;
    int r = x->rank - 1 + ind->rank;
    if (r > NN_MAX_RANK) return nn_op_error(k, FSIFT_E_LIMIT, "output rank %d exceeds %d", r, NN_MAX_RANK);
    int64_t d[NN_MAX_RANK];
    int n = 0;
    for (int i = 0; i < axis; i++) d[n++] = x->dims[i];
    for (int i = 0; i < ind->rank; i++) d[n++] = ind->dims[i];
    for (int i = axis + 1; i < x->rank; i++) d[n++] = x->dims[i];
    s = nn_shape_check_out(k, r, d);
    if (s) return s;
    if (ind->data) {
        s = check_indices(k, ind, x->dims[axis], axis);
        if (s) return s;
    }
    nn_set_out(k, 0, x->dtype, r, d);
    return FSIFT_OK;
}

typedef struct gather_job {
    const nn_tensor *x, *ind;
    char *dst;
    int64_t nidx, D;
    size_t row; /* bytes per index (inner elements * es) */
} gather_job;

static void gather_range(void *arg, int64_t b, int64_t e) {
    const gather_job *j = arg;
    for (int64_t w = b; w < e; w++) {
        int64_t o = w / j->nidx, i = w % j->nidx;
        int64_t v = nn_get_int(j->ind, i);
        if (v < 0) v += j->D;
        memcpy(j->dst + (size_t)w * j->row,
               (const char *)j->x->data + (size_t)(o * j->D + v) * j->row, j->row);
    }
}

fsift_status nn_sh_run_Gather(nn_kctx *k) {
    const nn_tensor *x = k->in[0], *ind = k->in[1];
    int axis;
    fsift_status s = gather_axis(k, &axis);
    if (!s) s = check_indices(k, ind, x->dims[axis], axis);
    if (s) return s;
    gather_job j = {x, ind, k->out[0]->data, fsift_tensor_numel(ind), x->dims[axis],
                    (size_t)prod(x->dims, axis + 1, x->rank) * fsift_dtype_size(x->dtype)};
    int64_t outer = prod(x->dims, 0, axis);
    if (j.row == 0 || j.nidx == 0 || outer == 0) return FSIFT_OK;
    nn_parallel(k, outer * j.nidx, (int64_t)(65536 / j.row) + 1, gather_range, &j);
    return FSIFT_OK;
}

/* ---- GatherElements ---------------------------------------------------------------------------- */

fsift_status nn_sh_infer_GatherElements(nn_kctx *k) {
    fsift_status s = nn_shape_need_in(k, 0, "data");
    if (!s) s = nn_shape_need_in(k, 1, "indices");
    if (!s) s = nn_shape_need_out(k);
    if (!s) s = need_dtype(k, k->in[0]);
    if (!s) s = need_index_dtype(k, k->in[1], "indices");
    if (s) return s;
    const nn_tensor *x = k->in[0], *ind = k->in[1];
    if (x->rank < 1 || ind->rank != x->rank)
        return nn_op_error(k, FSIFT_E_SHAPE, "data (rank %d) and indices (rank %d) need the same rank >= 1",
                           x->rank, ind->rank);
    int axis;
    s = gather_axis(k, &axis);
    if (s) return s;
    for (int d = 0; d < x->rank; d++)
        if (d != axis && ind->dims[d] > x->dims[d])
            return nn_op_error(k, FSIFT_E_SHAPE, "indices dim %d (%lld) exceeds data's (%lld)", d,
                               (long long)ind->dims[d], (long long)x->dims[d]);
    if (ind->data) {
        s = check_indices(k, ind, x->dims[axis], axis);
        if (s) return s;
    }
    nn_set_out(k, 0, x->dtype, ind->rank, ind->dims);
    return FSIFT_OK;
}

fsift_status nn_sh_run_GatherElements(nn_kctx *k) {
    const nn_tensor *x = k->in[0], *ind = k->in[1];
    int axis;
    fsift_status s = gather_axis(k, &axis);
    if (!s) s = check_indices(k, ind, x->dims[axis], axis);
    if (s) return s;
    const int r = x->rank;
    const size_t es = fsift_dtype_size(x->dtype);
    int64_t xst[NN_MAX_RANK], c[NN_MAX_RANK] = {0}, st = 1;
    for (int d = r - 1; d >= 0; d--) {
        xst[d] = st;
        st *= x->dims[d];
    }
    int64_t n = fsift_tensor_numel(ind);
    char *dst = k->out[0]->data;
    for (int64_t i = 0; i < n; i++) {
        int64_t v = nn_get_int(ind, i);
        if (v < 0) v += x->dims[axis];
        int64_t off = 0;
        for (int d = 0; d < r; d++) off += (d == axis ? v : c[d]) * xst[d];
        memcpy(dst + (size_t)i * es, (const char *)x->data + (size_t)off * es, es);
        for (int d = r - 1; d >= 0; d--) {
            if (++c[d] < ind->dims[d]) break;
            c[d] = 0;
        }
    }
    return FSIFT_OK;
}

/* ---- GatherND, ScatterND ---------------------------------------------------------------------- */

/* Shared geometry of the ND ops: data [B..., K..., S...], indices [B..., M..., kk]. */
typedef struct nd_geom {
    int b, kk;
    int64_t B, M, S;          /* batches, index tuples per batch, elements per slice */
    int64_t batch_stride;     /* data elements per batch */
    int64_t kst[NN_MAX_RANK]; /* data strides of the kk indexed axes */
} nd_geom;

static fsift_status nd_geometry(const nn_kctx *k, const nn_tensor *x, const nn_tensor *ind,
                                int b, nd_geom *g) {
    const int r = x->rank, q = ind->rank;
    if (r < 1 || q < 1)
        return nn_op_error(k, FSIFT_E_SHAPE, "data and indices need rank >= 1");
    if (b < 0 || b >= (q < r ? q : r))
        return nn_op_error(k, FSIFT_E_SHAPE, "batch_dims %d is invalid", b);
    for (int d = 0; d < b; d++)
        if (x->dims[d] != ind->dims[d])
            return nn_op_error(k, FSIFT_E_SHAPE, "batch dim %d differs (%lld vs %lld)", d,
                               (long long)x->dims[d], (long long)ind->dims[d]);
    int64_t kk = ind->dims[q - 1];
    if (kk < 0 || kk > r - b)
        return nn_op_error(k, FSIFT_E_SHAPE, "index tuples of length %lld for data rank %d",
                           (long long)kk, r);
    g->b = b;
    g->kk = (int)kk;
    g->B = prod(x->dims, 0, b);
    g->M = prod(ind->dims, b, q - 1);
    g->S = prod(x->dims, b + g->kk, r);
    g->batch_stride = prod(x->dims, b, r);
    for (int t = 0; t < g->kk; t++) g->kst[t] = prod(x->dims, b + t + 1, r);
    return FSIFT_OK;
}

/* Data element offset of tuple (bi, m), or an error for an out-of-range index. */
static fsift_status nd_offset(const nn_kctx *k, const nn_tensor *x, const nn_tensor *ind,
                              const nd_geom *g, int64_t bi, int64_t m, int64_t *off) {
    int64_t base = (bi * g->M + m) * g->kk, o = bi * g->batch_stride;
    for (int t = 0; t < g->kk; t++) {
        int64_t dim = x->dims[g->b + t], v = nn_get_int(ind, base + t);
        if (v < -dim || v >= dim)
            return nn_op_error(k, FSIFT_E_SHAPE,
                               "index %lld (at position %lld) is out of range for axis %d of size %lld",
                               (long long)v, (long long)(base + t), g->b + t, (long long)dim);
        if (v < 0) v += dim;
        o += v * g->kst[t];
    }
    *off = o;
    return FSIFT_OK;
}

fsift_status nn_sh_infer_GatherND(nn_kctx *k) {
    fsift_status s = nn_shape_need_in(k, 0, "data");
    if (!s) s = nn_shape_need_in(k, 1, "indices");
    if (!s) s = nn_shape_need_out(k);
    if (!s) s = need_dtype(k, k->in[0]);
    if (!s) s = need_index_dtype(k, k->in[1], "indices");
    if (s) return s;
    const nn_tensor *x = k->in[0], *ind = k->in[1];
    nd_geom g;
    s = nd_geometry(k, x, ind, (int)nn_attr_int(k->node, "batch_dims", 0), &g);
    if (s) return s;
    int r = ind->rank - 1 + x->rank - g.b - g.kk;
    if (r > NN_MAX_RANK) return nn_op_error(k, FSIFT_E_LIMIT, "output rank %d exceeds %d", r, NN_MAX_RANK);
    int64_t d[NN_MAX_RANK];
    int n = 0;
    for (int i = 0; i < ind->rank - 1; i++) d[n++] = ind->dims[i];
    for (int i = g.b + g.kk; i < x->rank; i++) d[n++] = x->dims[i];
    s = nn_shape_check_out(k, r, d);
    if (s) return s;
    nn_set_out(k, 0, x->dtype, r, d);
    return FSIFT_OK;
}

fsift_status nn_sh_run_GatherND(nn_kctx *k) {
    const nn_tensor *x = k->in[0], *ind = k->in[1];
    nd_geom g;
    fsift_status s = nd_geometry(k, x, ind, (int)nn_attr_int(k->node, "batch_dims", 0), &g);
    if (s) return s;
    const size_t es = fsift_dtype_size(x->dtype), row = (size_t)g.S * es;
    char *dst = k->out[0]->data;
    for (int64_t bi = 0; bi < g.B; bi++)
        for (int64_t m = 0; m < g.M; m++) {
            int64_t off;
            s = nd_offset(k, x, ind, &g, bi, m, &off);
            if (s) return s;
            memcpy(dst + (size_t)(bi * g.M + m) * row, (const char *)x->data + (size_t)off * es, row);
        }
    return FSIFT_OK;
}

typedef enum scat_red { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN } scat_red;

static fsift_status scatter_reduction(const nn_kctx *k, scat_red *red) {
    const char *s = nn_attr_str(k->node, "reduction", "none");
    if (!strcmp(s, "none")) *red = RED_NONE;
    else if (!strcmp(s, "add")) *red = RED_ADD;
    else if (!strcmp(s, "mul")) *red = RED_MUL;
    else if (!strcmp(s, "max")) *red = RED_MAX;
    else if (!strcmp(s, "min")) *red = RED_MIN;
    else return nn_op_error(k, FSIFT_E_UNSUPPORTED, "reduction '%s' not supported", s);
    return FSIFT_OK;
}

fsift_status nn_sh_infer_ScatterND(nn_kctx *k) {
    fsift_status s = nn_shape_need_in(k, 0, "data");
    if (!s) s = nn_shape_need_in(k, 1, "indices");
    if (!s) s = nn_shape_need_in(k, 2, "updates");
    if (!s) s = nn_shape_need_out(k);
    if (!s) s = need_dtype(k, k->in[0]);
    if (!s) s = need_index_dtype(k, k->in[1], "indices");
    if (s) return s;
    const nn_tensor *x = k->in[0], *ind = k->in[1], *up = k->in[2];
    scat_red red;
    s = scatter_reduction(k, &red);
    if (s) return s;
    if (red != RED_NONE && x->dtype != FSIFT_DTYPE_FLOAT32)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "reduction on dtype %s not supported",
                           fsift_dtype_name(x->dtype));
    if (up->dtype != x->dtype)
        return nn_op_error(k, FSIFT_E_SHAPE, "updates dtype %s differs from data's %s",
                           fsift_dtype_name(up->dtype), fsift_dtype_name(x->dtype));
    nd_geom g;
    s = nd_geometry(k, x, ind, 0, &g);
    if (s) return s;
    /* updates: indices.shape[:-1] + data.shape[kk:] */
    int ur = ind->rank - 1 + x->rank - g.kk, ok = ur == up->rank;
    for (int i = 0; ok && i < ind->rank - 1; i++) ok = up->dims[i] == ind->dims[i];
    for (int i = 0; ok && i < x->rank - g.kk; i++) ok = up->dims[ind->rank - 1 + i] == x->dims[g.kk + i];
    if (!ok) {
        char b1[160];
        return nn_op_error(k, FSIFT_E_SHAPE, "updates shape %s does not fit indices and data",
                           nn_shape_str(up->rank, up->dims, b1, sizeof b1));
    }
    nn_set_out(k, 0, x->dtype, x->rank, x->dims);
    return FSIFT_OK;
}

fsift_status nn_sh_run_ScatterND(nn_kctx *k) {
    const nn_tensor *x = k->in[0], *ind = k->in[1], *up = k->in[2];
    nd_geom g;
    scat_red red;
    fsift_status s = nd_geometry(k, x, ind, 0, &g);
    if (!s) s = scatter_reduction(k, &red);
    if (s) return s;
    const size_t es = fsift_dtype_size(x->dtype);
    /* validate every tuple before writing */
    for (int64_t m = 0; m < g.M; m++) {
        int64_t off;
        s = nd_offset(k, x, ind, &g, 0, m, &off);
        if (s) return s;
    }
    char *dst = k->out[0]->data;
    memcpy(dst, x->data, (size_t)fsift_tensor_numel(x) * es);
    for (int64_t m = 0; m < g.M; m++) {
        int64_t off;
        nd_offset(k, x, ind, &g, 0, m, &off);
        const char *u = (const char *)up->data + (size_t)(m * g.S) * es;
        if (red == RED_NONE) {
            memcpy(dst + (size_t)off * es, u, (size_t)g.S * es);
            continue;
        }
        float *o = (float *)dst + off;
        const float *uf = (const float *)u;
        for (int64_t i = 0; i < g.S; i++) {
            switch (red) {
            case RED_ADD: o[i] += uf[i]; break;
            case RED_MUL: o[i] *= uf[i]; break;
            case RED_MAX: o[i] = o[i] > uf[i] ? o[i] : uf[i]; break;
            default: o[i] = o[i] < uf[i] ? o[i] : uf[i]; break;
            }
        }
    }
    return FSIFT_OK;
}

/* ---- OneHot ------------------------------------------------------------------------------------ */

static int numeric(int dt) { return nn_dtype_is_float(dt) || nn_dtype_is_int(dt); }

fsift_status nn_sh_infer_OneHot(nn_kctx *k) {
    fsift_status s = nn_shape_need_in(k, 0, "indices");
    if (!s) s = nn_shape_need_in(k, 1, "depth");
    if (!s) s = nn_shape_need_in(k, 2, "values");
    if (!s) s = nn_shape_need_out(k);
    if (s) return s;
    const nn_tensor *ind = k->in[0], *dep = k->in[1], *val = k->in[2];
    if (!numeric(ind->dtype) || !numeric(dep->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "indices and depth must be numeric");
    if (fsift_tensor_numel(dep) != 1) return nn_op_error(k, FSIFT_E_SHAPE, "depth must be a scalar");
    if (fsift_tensor_numel(val) != 2 || val->rank != 1)
        return nn_op_error(k, FSIFT_E_SHAPE, "values must be [off, on]");
    s = need_dtype(k, val);
    if (s) return s;
    if (!dep->data)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "depth must be known at plan time (a constant)");
    double dd = nn_ew_load_f64(dep->data, dep->dtype, 0);
    if (!(dd >= 1 && dd <= (double)NN_MAX_DIM))
        return nn_op_error(k, FSIFT_E_SHAPE, "depth %g is invalid", dd);
    int r = ind->rank + 1;
    if (r > NN_MAX_RANK) return nn_op_error(k, FSIFT_E_LIMIT, "output rank %d exceeds %d", r, NN_MAX_RANK);
    int axis;
    s = nn_axis(k, nn_attr_int(k->node, "axis", -1), r, &axis);
    if (s) return s;
    int64_t d[NN_MAX_RANK];
    for (int i = 0, j = 0; i < r; i++) d[i] = i == axis ? (int64_t)dd : ind->dims[j++];
    s = nn_shape_check_out(k, r, d);
    if (s) return s;
    nn_set_out(k, 0, val->dtype, r, d);
    return FSIFT_OK;
}

fsift_status nn_sh_run_OneHot(nn_kctx *k) {
    const nn_tensor *ind = k->in[0], *val = k->in[2];
    nn_tensor *o = k->out[0];
    int axis;
    fsift_status s = nn_axis(k, nn_attr_int(k->node, "axis", -1), o->rank, &axis);
    if (s) return s;
    const int64_t depth = o->dims[axis], inner = prod(ind->dims, axis, ind->rank);
    const size_t es = fsift_dtype_size(val->dtype);
    const char *off = val->data, *on = (const char *)val->data + es;
    int64_t n = fsift_tensor_numel(o), ni = fsift_tensor_numel(ind);
    char *y = o->data;
    for (int64_t i = 0; i < n; i++) memcpy(y + (size_t)i * es, off, es);
    for (int64_t i = 0; i < ni; i++) {
        double v = nn_ew_load_f64(ind->data, ind->dtype, i);
        if (!(v > -(double)depth - 1 && v < (double)depth)) continue;
        int64_t idx = (int64_t)v;
        if (idx < 0) idx += depth;
        if (idx < 0 || idx >= depth) continue;
        int64_t oo = i / inner, ii = i % inner;
        memcpy(y + (size_t)((oo * depth + idx) * inner + ii) * es, on, es);
    }
    return FSIFT_OK;
}

/* ---- Trilu --------------------------------------------------------------------------------------- */

fsift_status nn_sh_infer_Trilu(nn_kctx *k) {
    fsift_status s = nn_shape_need_in(k, 0, "input");
    if (!s) s = nn_shape_need_out(k);
    if (!s) s = need_dtype(k, k->in[0]);
    if (s) return s;
    const nn_tensor *x = k->in[0];
    if (x->rank < 2) return nn_op_error(k, FSIFT_E_SHAPE, "input must have rank >= 2");
    if (k->n_in > 1 && k->in[1]) {
        s = need_index_dtype(k, k->in[1], "k");
        if (s) return s;
        if (fsift_tensor_numel(k->in[1]) != 1) return nn_op_error(k, FSIFT_E_SHAPE, "k must be a scalar");
    }
    nn_set_out(k, 0, x->dtype, x->rank, x->dims);
    return FSIFT_OK;
}

fsift_status nn_sh_run_Trilu(nn_kctx *k) {
    const nn_tensor *x = k->in[0];
    const int upper = nn_attr_int(k->node, "upper", 1) != 0;
    const int64_t N = x->dims[x->rank - 2], M = x->dims[x->rank - 1];
    int64_t kv = k->n_in > 1 && k->in[1] ? nn_get_int(k->in[1], 0) : 0;
    const int64_t lim = N + M + 1; /* beyond this, k changes nothing: keep i + k in range */
    kv = kv < -lim ? -lim : (kv > lim ? lim : kv);
    const size_t es = fsift_dtype_size(x->dtype);
    const int64_t mats = N > 0 && M > 0 ? fsift_tensor_numel(x) / (N * M) : 0;
    const char *src = x->data;
    char *dst = k->out[0]->data;
    for (int64_t b = 0; b < mats; b++)
        for (int64_t i = 0; i < N; i++) {
            size_t row = (size_t)((b * N + i) * M) * es;
            /* kept columns: upper j >= i + k; lower j <= i + k */
            int64_t lo = upper ? i + kv : 0, hi = upper ? M : i + kv + 1;
            lo = lo < 0 ? 0 : (lo > M ? M : lo);
            hi = hi < lo ? lo : (hi > M ? M : hi);
            memset(dst + row, 0, (size_t)M * es);
            if (hi > lo) memcpy(dst + row + (size_t)lo * es, src + row + (size_t)lo * es, (size_t)(hi - lo) * es);
        }
    return FSIFT_OK;
}
