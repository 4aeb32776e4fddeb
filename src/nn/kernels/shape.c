/*
 * shape.c — the operator group nn_ops_shape (see ../ops.h), the helpers its files share
 * (shape.h), and the operators that only relabel a shape or make a constant: Reshape,
 * Flatten, Squeeze, Unsqueeze (copies of the input under a new shape), Shape and Size
 * (NN_OP_SHAPE_ONLY: always folded at plan time), Constant, ConstantOfShape and Range.
 *
 * The other shape operators live in shape_transpose.c (Transpose, DepthToSpace,
 * SpaceToDepth), shape_copy.c (Concat, Split, Expand, Tile) and shape_index.c (Slice,
 * Gather, GatherElements, GatherND, ScatterND, OneHot, Trilu).
 *
 * Inputs that determine an output shape (Reshape's shape, Unsqueeze's axes, Range's bounds,
 * ConstantOfShape's shape) must be known at plan time; otherwise infer returns
 * FSIFT_E_UNSUPPORTED. Every shape they describe is validated before use (see shape.h).
 *
 * Threading: reentrant; large copies are split across the pool.
 */
#include <string.h>

#include "shape.h"

/* ---- shared helpers --------------------------------------------------------------------- */

fsift_status nn_shape_need_in(const nn_kctx *k, int i, const char *what) {
    if (i >= k->n_in || !k->in[i])
        return nn_op_error(k, FSIFT_E_FORMAT, "input %d (%s) is missing", i, what);
    return FSIFT_OK;
}

fsift_status nn_shape_need_out(const nn_kctx *k) {
    if (k->n_out < 1 || !k->out[0]) return nn_op_error(k, FSIFT_E_FORMAT, "output is missing");
    return FSIFT_OK;
}

fsift_status nn_shape_read_ints(const nn_kctx *k, int i, const char *what, int64_t *vals,
                                int max, int *count) {
    fsift_status s = nn_shape_need_in(k, i, what);
    if (s) return s;
    const nn_tensor *t = k->in[i];
    if (t->dtype != FSIFT_DTYPE_INT64 && t->dtype != FSIFT_DTYPE_INT32)
        return nn_op_error(k, FSIFT_E_SHAPE, "%s must be int64 or int32, not %s", what,
                           fsift_dtype_name(t->dtype));
    if (t->rank > 1) return nn_op_error(k, FSIFT_E_SHAPE, "%s must be 1-D, has rank %d", what, t->rank);
    if (!t->data)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "%s must be known at plan time (a constant)", what);
    int64_t n = fsift_tensor_numel(t);
    if (n < 0 || n > max)
        return nn_op_error(k, FSIFT_E_LIMIT, "%s has %lld entries (at most %d)", what, (long long)n, max);
    for (int64_t j = 0; j < n; j++) vals[j] = nn_get_int(t, j);
    *count = (int)n;
    return FSIFT_OK;
}

int64_t nn_shape_mul(int64_t a, int64_t b) {
    if (a < 0 || b < 0) return -1;
    if (a == 0 || b == 0) return 0;
    if (a > INT64_MAX / b) return -1;
    return a * b;
}

fsift_status nn_shape_check_out(const nn_kctx *k, int rank, const int64_t *dims) {
    char buf[160];
    if (rank < 0 || rank > NN_MAX_RANK)
        return nn_op_error(k, FSIFT_E_LIMIT, "output rank %d exceeds %d", rank, NN_MAX_RANK);
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || dims[i] > NN_MAX_DIM)
            return nn_op_error(k, FSIFT_E_LIMIT, "output dim %d is %lld", i, (long long)dims[i]);
        n = nn_shape_mul(n, dims[i]);
        if (n < 0 || n > NN_SHAPE_MAX_NUMEL)
            return nn_op_error(k, FSIFT_E_LIMIT, "output shape %s has more than %lld elements",
                               nn_shape_str(rank, dims, buf, sizeof buf),
                               (long long)NN_SHAPE_MAX_NUMEL);
    }
    return FSIFT_OK;
}

typedef struct copy_job {
    char *dst;
    const char *src;
} copy_job;

static void copy_range(void *arg, int64_t b, int64_t e) {
    const copy_job *j = arg;
    memcpy(j->dst + b, j->src + b, (size_t)(e - b));
}

void nn_shape_copy(const nn_kctx *k, void *dst, const void *src, size_t bytes) {
    if (!bytes || dst == src) return;
    copy_job j = {dst, src};
    nn_parallel(k, (int64_t)bytes, (int64_t)1 << 20, copy_range, &j);
}

/* Copies input 0 to output 0 (the run of every pure relabelling op). */
static fsift_status run_copy(nn_kctx *k) {
    const nn_tensor *x = k->in[0];
    int64_t n = fsift_tensor_numel(x);
    if (n > 0) nn_shape_copy(k, k->out[0]->data, x->data, (size_t)n * fsift_dtype_size(x->dtype));
    return FSIFT_OK;
}

static fsift_status need_data_in(const nn_kctx *k) {
    fsift_status s = nn_shape_need_in(k, 0, "data");
    if (!s) s = nn_shape_need_out(k);
    if (s) return s;
    if (!fsift_dtype_size(k->in[0]->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                           fsift_dtype_name(k->in[0]->dtype));
    return FSIFT_OK;
}

/* ---- Reshape ------------------------------------------------------------------------------ */

fsift_status nn_sh_infer_Reshape(nn_kctx *k) {
    fsift_status s = need_data_in(k);
    if (s) return s;
    const nn_tensor *x = k->in[0];
    int64_t shape[NN_MAX_RANK];
    int n = 0;
    if (k->opset < 5 && k->n_in < 2) {
        const int64_t *a = nn_attr_ints(k->node, "shape", &n);
        if (!a) return nn_op_error(k, FSIFT_E_FORMAT, "attribute 'shape' is missing");
        if (n > NN_MAX_RANK)
            return nn_op_error(k, FSIFT_E_LIMIT, "shape has %d entries (at most %d)", n, NN_MAX_RANK);
        memcpy(shape, a, sizeof(int64_t) * (size_t)n);
    } else {
        s = nn_shape_read_ints(k, 1, "shape", shape, NN_MAX_RANK, &n);
        if (s) return s;
    }
    int allowzero = (int)nn_attr_int(k->node, "allowzero", 0);
    int64_t dims[NN_MAX_RANK];
    int neg = -1;
    int64_t known = 1;
    char b1[160], b2[160];
    for (int i = 0; i < n; i++) {
        int64_t v = shape[i];
        if (v == 0 && !allowzero) {
            if (i >= x->rank)
                return nn_op_error(k, FSIFT_E_SHAPE, "shape[%d] = 0 copies a dim the input %s lacks",
                                   i, nn_shape_str(x->rank, x->dims, b1, sizeof b1));
            v = x->dims[i];
        } else if (v == -1) {
            if (neg >= 0) return nn_op_error(k, FSIFT_E_SHAPE, "shape has more than one -1");
            if (allowzero) {
                for (int j = 0; j < n; j++)
                    if (shape[j] == 0)
                        return nn_op_error(k, FSIFT_E_SHAPE, "allowzero=1 with both 0 and -1 in shape");
            }
            neg = i;
            dims[i] = 1;
            continue;
        } else if (v < 0 || v > NN_MAX_DIM) {
            return nn_op_error(k, FSIFT_E_SHAPE, "invalid shape[%d] = %lld", i, (long long)v);
        }
        dims[i] = v;
        known = nn_shape_mul(known, v);
        if (known < 0) return nn_op_error(k, FSIFT_E_LIMIT, "shape too large");
    }
    int64_t total = fsift_tensor_numel(x);
    if (neg >= 0) {
        if (known == 0 || total % known)
            return nn_op_error(k, FSIFT_E_SHAPE, "cannot reshape %s to %s",
                               nn_shape_str(x->rank, x->dims, b1, sizeof b1),
                               nn_shape_str(n, shape, b2, sizeof b2));
        dims[neg] = total / known;
    } else if (known != total) {
        return nn_op_error(k, FSIFT_E_SHAPE, "cannot reshape %s (%lld elements) to %s",
                           nn_shape_str(x->rank, x->dims, b1, sizeof b1), (long long)total,
                           nn_shape_str(n, dims, b2, sizeof b2));
    }
    nn_set_out(k, 0, x->dtype, n, dims);
    return FSIFT_OK;
}
fsift_status nn_sh_run_Reshape(nn_kctx *k) { return run_copy(k); }

/* ---- Flatten -------------------------------------------------------------------------- */

fsift_status nn_sh_infer_Flatten(nn_kctx *k) {
    fsift_status s = need_data_in(k);
    if (s) return s;
    const nn_tensor *x = k->in[0];
    int64_t axis = nn_attr_int(k->node, "axis", 1);
    if (axis < 0) axis += x->rank;
    if (axis < 0 || axis > x->rank)
        return nn_op_error(k, FSIFT_E_SHAPE, "axis %lld out of range for rank %d",
                           (long long)nn_attr_int(k->node, "axis", 1), x->rank);
    int64_t d[2] = {1, 1};
    for (int i = 0; i < x->rank; i++) d[i >= axis] *= x->dims[i];
    nn_set_out(k, 0, x->dtype, 2, d);
    return FSIFT_OK;
}
fsift_status nn_sh_run_Flatten(nn_kctx *k) { return run_copy(k); }

/* ---- Squeeze / Unsqueeze -------------------------------------------------------------------- */

/* Axes from the attribute (opset < 13) or input 1 (opset >= 13); *present = 0 if none. */
static fsift_status read_axes(const nn_kctx *k, int64_t *axes, int max, int *n, int *present) {
    *n = 0;
    *present = 0;
    if (k->opset < 13) {
        const int64_t *a = nn_attr_ints(k->node, "axes", n);
        if (!a) return FSIFT_OK;
        if (*n > max) return nn_op_error(k, FSIFT_E_LIMIT, "too many axes (%d)", *n);
        memcpy(axes, a, sizeof(int64_t) * (size_t)*n);
        *present = 1;
        return FSIFT_OK;
    }
    if (k->n_in < 2 || !k->in[1]) return FSIFT_OK;
    *present = 1;
    return nn_shape_read_ints(k, 1, "axes", axes, max, n);
}

fsift_status nn_sh_infer_Squeeze(nn_kctx *k) {
    fsift_status s = need_data_in(k);
    if (s) return s;
    const nn_tensor *x = k->in[0];
    int64_t axes[NN_MAX_RANK];
    int n, present;
    s = read_axes(k, axes, NN_MAX_RANK, &n, &present);
    if (s) return s;
    int drop[NN_MAX_RANK] = {0};
    if (!present) {
        for (int i = 0; i < x->rank; i++) drop[i] = x->dims[i] == 1;
    } else {
        for (int i = 0; i < n; i++) {
            int a;
            s = nn_axis(k, axes[i], x->rank, &a);
            if (s) return s;
            if (x->dims[a] != 1)
                return nn_op_error(k, FSIFT_E_SHAPE, "cannot squeeze axis %d of size %lld", a,
                                   (long long)x->dims[a]);
            drop[a] = 1;
        }
    }
    int64_t dims[NN_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++)
        if (!drop[i]) dims[r++] = x->dims[i];
    nn_set_out(k, 0, x->dtype, r, dims);
    return FSIFT_OK;
}
fsift_status nn_sh_run_Squeeze(nn_kctx *k) { return run_copy(k); }

fsift_status nn_sh_infer_Unsqueeze(nn_kctx *k) {
    fsift_status s = need_data_in(k);
    if (s) return s;
    const nn_tensor *x = k->in[0];
    int64_t axes[NN_MAX_RANK];
    int n, present;
    s = read_axes(k, axes, NN_MAX_RANK, &n, &present);
    if (s) return s;
    if (!present) return nn_op_error(k, FSIFT_E_FORMAT, "axes are missing");
    int r = x->rank + n;
    if (r > NN_MAX_RANK)
        return nn_op_error(k, FSIFT_E_LIMIT, "output rank %d exceeds %d", r, NN_MAX_RANK);
    int ins[NN_MAX_RANK] = {0};
    for (int i = 0; i < n; i++) {
        int a;
        s = nn_axis(k, axes[i], r, &a);
        if (s) return s;
        if (ins[a]) return nn_op_error(k, FSIFT_E_SHAPE, "axis %d repeated", a);
        ins[a] = 1;
    }
    int64_t dims[NN_MAX_RANK];
    for (int i = 0, j = 0; i < r; i++) dims[i] = ins[i] ? 1 : x->dims[j++];
    nn_set_out(k, 0, x->dtype, r, dims);
    return FSIFT_OK;
}
fsift_status nn_sh_run_Unsqueeze(nn_kctx *k) { return run_copy(k); }

/* ---- Shape, Size (depend only on the input's shape) ------------------------------------ */

static void shape_range(const nn_kctx *k, int rank, int64_t *start, int64_t *end) {
    int64_t s = nn_attr_int(k->node, "start", 0), e = nn_attr_int(k->node, "end", rank);
    if (s < 0) s += rank;
    if (e < 0) e += rank;
    s = s < 0 ? 0 : (s > rank ? rank : s);
    e = e < 0 ? 0 : (e > rank ? rank : e);
    *start = s;
    *end = e > s ? e : s;
}

fsift_status nn_sh_infer_Shape(nn_kctx *k) {
    fsift_status s = nn_shape_need_in(k, 0, "data");
    if (!s) s = nn_shape_need_out(k);
    if (s) return s;
    int64_t b, e;
    shape_range(k, k->in[0]->rank, &b, &e);
    int64_t d = e - b;
    nn_set_out(k, 0, FSIFT_DTYPE_INT64, 1, &d);
    return FSIFT_OK;
}
fsift_status nn_sh_run_Shape(nn_kctx *k) {
    int64_t b, e;
    shape_range(k, k->in[0]->rank, &b, &e);
    int64_t *o = k->out[0]->data;
    for (int64_t i = b; i < e; i++) o[i - b] = k->in[0]->dims[i];
    return FSIFT_OK;
}

fsift_status nn_sh_infer_Size(nn_kctx *k) {
    fsift_status s = nn_shape_need_in(k, 0, "data");
    if (!s) s = nn_shape_need_out(k);
    if (s) return s;
    nn_set_out(k, 0, FSIFT_DTYPE_INT64, 0, NULL);
    return FSIFT_OK;
}
fsift_status nn_sh_run_Size(nn_kctx *k) {
    *(int64_t *)k->out[0]->data = fsift_tensor_numel(k->in[0]);
    return FSIFT_OK;
}

/* ---- Constant ---------------------------------------------------------------------------- */

/* The constant's dtype, shape and bytes from whichever value attribute is set. */
static fsift_status constant_value(const nn_kctx *k, int *dtype, int *rank, int64_t *dims,
                                   const void **data) {
    const nn_node *n = k->node;
    const nn_attr *a;
    if ((a = nn_attr_find(n, "value")) && a->type == NN_ATTR_TENSOR) {
        if (a->i < 0 || a->i >= k->g->n_vals || k->g->vals[a->i].kind != NN_VAL_CONST)
            return nn_op_error(k, FSIFT_E_FORMAT, "attribute 'value' is not a constant tensor");
        const nn_value *v = &k->g->vals[a->i];
        *dtype = v->dtype;
        *rank = v->rank;
        memcpy(dims, v->dims, sizeof(int64_t) * (size_t)v->rank);
        *data = v->data;
        return FSIFT_OK;
    }
    if ((a = nn_attr_find(n, "value_float")) && a->type == NN_ATTR_FLOAT) {
        *dtype = FSIFT_DTYPE_FLOAT32;
        *rank = 0;
        *data = &a->f;
        return FSIFT_OK;
    }
    if ((a = nn_attr_find(n, "value_int")) && a->type == NN_ATTR_INT) {
        *dtype = FSIFT_DTYPE_INT64;
        *rank = 0;
        *data = &a->i;
        return FSIFT_OK;
    }
    if ((a = nn_attr_find(n, "value_floats")) && a->type == NN_ATTR_FLOATS) {
        *dtype = FSIFT_DTYPE_FLOAT32;
        *rank = 1;
        dims[0] = a->n;
        *data = a->floats;
        return FSIFT_OK;
    }
    if ((a = nn_attr_find(n, "value_ints")) && a->type == NN_ATTR_INTS) {
        *dtype = FSIFT_DTYPE_INT64;
        *rank = 1;
        dims[0] = a->n;
        *data = a->ints;
        return FSIFT_OK;
    }
    return nn_op_error(k, FSIFT_E_UNSUPPORTED,
                       "needs a value, value_float(s) or value_int(s) attribute");
}

fsift_status nn_sh_infer_Constant(nn_kctx *k) {
    fsift_status s = nn_shape_need_out(k);
    if (s) return s;
    int dt, r;
    int64_t dims[NN_MAX_RANK];
    const void *data;
    s = constant_value(k, &dt, &r, dims, &data);
    if (s) return s;
    if (!fsift_dtype_size(dt))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported", fsift_dtype_name(dt));
    nn_set_out(k, 0, dt, r, dims);
    return FSIFT_OK;
}
fsift_status nn_sh_run_Constant(nn_kctx *k) {
    int dt, r;
    int64_t dims[NN_MAX_RANK];
    const void *data;
    fsift_status s = constant_value(k, &dt, &r, dims, &data);
    if (s) return s;
    int64_t n = nn_numel(r, dims);
    if (n > 0) memcpy(k->out[0]->data, data, (size_t)n * fsift_dtype_size(dt));
    return FSIFT_OK;
}

/* ---- ConstantOfShape ------------------------------------------------------------------------ */

/* The fill value (dtype and up to 8 bytes); float32 0 by default. */
static fsift_status cos_value(const nn_kctx *k, int *dtype, const void **bytes) {
    static const float zero = 0.f;
    const nn_attr *a = nn_attr_find(k->node, "value");
    *dtype = FSIFT_DTYPE_FLOAT32;
    *bytes = &zero;
    if (!a) return FSIFT_OK;
    if (a->type != NN_ATTR_TENSOR || a->i < 0 || a->i >= k->g->n_vals ||
        k->g->vals[a->i].kind != NN_VAL_CONST)
        return nn_op_error(k, FSIFT_E_FORMAT, "attribute 'value' is not a constant tensor");
    const nn_value *v = &k->g->vals[a->i];
    if (!fsift_dtype_size(v->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported", fsift_dtype_name(v->dtype));
    if (nn_numel(v->rank, v->dims) != 1)
        return nn_op_error(k, FSIFT_E_FORMAT, "attribute 'value' must have one element");
    *dtype = v->dtype;
    *bytes = v->data;
    return FSIFT_OK;
}

fsift_status nn_sh_infer_ConstantOfShape(nn_kctx *k) {
    fsift_status s = nn_shape_need_out(k);
    if (s) return s;
    int64_t dims[NN_MAX_RANK];
    int n;
    s = nn_shape_read_ints(k, 0, "shape", dims, NN_MAX_RANK, &n);
    if (s) return s;
    for (int i = 0; i < n; i++)
        if (dims[i] < 0) return nn_op_error(k, FSIFT_E_SHAPE, "shape[%d] = %lld is negative", i, (long long)dims[i]);
    s = nn_shape_check_out(k, n, dims);
    if (s) return s;
    int dt;
    const void *v;
    s = cos_value(k, &dt, &v);
    if (s) return s;
    nn_set_out(k, 0, dt, n, dims);
    return FSIFT_OK;
}

fsift_status nn_sh_run_ConstantOfShape(nn_kctx *k) {
    int dt;
    const void *v;
    fsift_status s = cos_value(k, &dt, &v);
    if (s) return s;
    nn_tensor *o = k->out[0];
    int64_t n = fsift_tensor_numel(o);
    size_t es = fsift_dtype_size(dt);
    char *p = o->data;
    for (int64_t i = 0; i < n; i++) memcpy(p + (size_t)i * es, v, es);
    return FSIFT_OK;
}

/* ---- Range ----------------------------------------------------------------------------------- */

static int range_dtype_ok(int dt) {
    return dt == FSIFT_DTYPE_FLOAT32 || dt == FSIFT_DTYPE_FLOAT64 || dt == FSIFT_DTYPE_INT16 ||
           dt == FSIFT_DTYPE_INT32 || dt == FSIFT_DTYPE_INT64;
}

/* Number of elements; error if delta is 0 or the count exceeds the cap. */
static fsift_status range_count(const nn_kctx *k, int64_t *count) {
    const nn_tensor *st = k->in[0], *li = k->in[1], *de = k->in[2];
    if (st->dtype == FSIFT_DTYPE_FLOAT32 || st->dtype == FSIFT_DTYPE_FLOAT64) {
        double a = st->dtype == FSIFT_DTYPE_FLOAT32 ? *(const float *)st->data : *(const double *)st->data;
        double b = st->dtype == FSIFT_DTYPE_FLOAT32 ? *(const float *)li->data : *(const double *)li->data;
        double d = st->dtype == FSIFT_DTYPE_FLOAT32 ? *(const float *)de->data : *(const double *)de->data;
        if (d == 0 || d != d || a != a || b != b)
            return nn_op_error(k, FSIFT_E_SHAPE, "delta is zero or a bound is NaN");
        double n = ceil((b - a) / d);
        if (!(n <= (double)NN_SHAPE_MAX_NUMEL))
            return nn_op_error(k, FSIFT_E_LIMIT, "output would have more than %lld elements",
                               (long long)NN_SHAPE_MAX_NUMEL);
        *count = n > 0 ? (int64_t)n : 0;
        return FSIFT_OK;
    }
    int64_t a = nn_get_int(st, 0), b = nn_get_int(li, 0), d = nn_get_int(de, 0);
    if (d == 0) return nn_op_error(k, FSIFT_E_SHAPE, "delta is zero");
    uint64_t diff, step;
    if (d > 0) {
        if (b <= a) { *count = 0; return FSIFT_OK; }
        diff = (uint64_t)b - (uint64_t)a;
        step = (uint64_t)d;
    } else {
        if (b >= a) { *count = 0; return FSIFT_OK; }
        diff = (uint64_t)a - (uint64_t)b;
        step = (uint64_t)0 - (uint64_t)d;
    }
    uint64_t n = diff / step + (diff % step != 0);
    if (n > (uint64_t)NN_SHAPE_MAX_NUMEL)
        return nn_op_error(k, FSIFT_E_LIMIT, "output would have more than %lld elements",
                           (long long)NN_SHAPE_MAX_NUMEL);
    *count = (int64_t)n;
    return FSIFT_OK;
}

fsift_status nn_sh_infer_Range(nn_kctx *k) {
    static const char *names[3] = {"start", "limit", "delta"};
    fsift_status s = nn_shape_need_out(k);
    if (s) return s;
    for (int i = 0; i < 3; i++) {
        s = nn_shape_need_in(k, i, names[i]);
        if (s) return s;
        const nn_tensor *t = k->in[i];
        if (t->dtype != k->in[0]->dtype)
            return nn_op_error(k, FSIFT_E_SHAPE, "%s has dtype %s, start has %s", names[i],
                               fsift_dtype_name(t->dtype), fsift_dtype_name(k->in[0]->dtype));
        if (fsift_tensor_numel(t) != 1)
            return nn_op_error(k, FSIFT_E_SHAPE, "%s must be a scalar", names[i]);
    }
    if (!range_dtype_ok(k->in[0]->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                           fsift_dtype_name(k->in[0]->dtype));
    for (int i = 0; i < 3; i++)
        if (!k->in[i]->data)
            return nn_op_error(k, FSIFT_E_UNSUPPORTED,
                               "%s must be known at plan time (the output size depends on it)",
                               names[i]);
    int64_t n;
    s = range_count(k, &n);
    if (s) return s;
    nn_set_out(k, 0, k->in[0]->dtype, 1, &n);
    return FSIFT_OK;
}

fsift_status nn_sh_run_Range(nn_kctx *k) {
    nn_tensor *o = k->out[0];
    int64_t n = o->dims[0];
    const nn_tensor *st = k->in[0], *de = k->in[2];
    switch (o->dtype) {
    case FSIFT_DTYPE_FLOAT32: {
        float a = *(const float *)st->data, d = *(const float *)de->data;
        float *y = o->data;
        for (int64_t i = 0; i < n; i++) y[i] = a + (float)i * d;
        break;
    }
    case FSIFT_DTYPE_FLOAT64: {
        double a = *(const double *)st->data, d = *(const double *)de->data;
        double *y = o->data;
        for (int64_t i = 0; i < n; i++) y[i] = a + (double)i * d;
        break;
    }
    default: { /* integers: computed in uint64 (wraps, no overflow), stored narrowed */
        uint64_t a = (uint64_t)nn_get_int(st, 0), d = (uint64_t)nn_get_int(de, 0);
        for (int64_t i = 0; i < n; i++) {
            uint64_t v = a + (uint64_t)i * d;
            if (o->dtype == FSIFT_DTYPE_INT64) ((int64_t *)o->data)[i] = (int64_t)v;
            else if (o->dtype == FSIFT_DTYPE_INT32) ((int32_t *)o->data)[i] = (int32_t)v;
            else ((int16_t *)o->data)[i] = (int16_t)v;
        }
        break;
    }
    }
    return FSIFT_OK;
}

/* ---- the group table ------------------------------------------------------------------- */

#define SH_ENTRY(name, flags) {#name, "", flags, NULL, nn_sh_infer_##name, nn_sh_run_##name},

const nn_op_def nn_ops_shape[] = {
    SH_ENTRY(Reshape, 0)
    SH_ENTRY(Flatten, 0)
    SH_ENTRY(Squeeze, 0)
    SH_ENTRY(Unsqueeze, 0)
    SH_ENTRY(Shape, NN_OP_SHAPE_ONLY)
    SH_ENTRY(Size, NN_OP_SHAPE_ONLY)
    SH_ENTRY(Constant, 0)
    SH_ENTRY(ConstantOfShape, 0)
    SH_ENTRY(Range, 0)
    SH_ENTRY(Transpose, 0)
    SH_ENTRY(DepthToSpace, 0)
    SH_ENTRY(SpaceToDepth, 0)
    SH_ENTRY(Concat, 0)
    SH_ENTRY(Split, 0)
    SH_ENTRY(Expand, 0)
    SH_ENTRY(Tile, 0)
    SH_ENTRY(Slice, 0)
    SH_ENTRY(Gather, 0)
    SH_ENTRY(GatherElements, 0)
    SH_ENTRY(GatherND, 0)
    SH_ENTRY(ScatterND, 0)
    SH_ENTRY(OneHot, 0)
    SH_ENTRY(Trilu, 0)
    {0},
};
