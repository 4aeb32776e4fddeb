/*
 * ops.c — the operator table and the helpers operators share (see ops.h).
 *
 * The table is the concatenation of the group arrays, built once (pthread_once) into a flat
 * array so that nn_node.op is a plain index. Lookup is a linear scan by name; it runs only
 * at load time, once per node.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

#define MAX_OPS 512

static const nn_op_def *table[MAX_OPS];
static int table_n;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_build(void) {
    const nn_op_def *groups[] = {nn_ops_conv, nn_ops_linear, nn_ops_convt, nn_ops_nn, nn_ops_elementwise, nn_ops_shape};
    for (size_t gi = 0; gi < sizeof groups / sizeof groups[0]; gi++)
        for (const nn_op_def *d = groups[gi]; d->name; d++)
            if (table_n < MAX_OPS) table[table_n++] = d;
}

static int domain_is_default(const char *d) { return !d || !*d || !strcmp(d, "ai.onnx"); }

const nn_op_def *nn_op_lookup(const char *op_type, const char *domain) {
    pthread_once(&table_once, table_build);
    for (int i = 0; i < table_n; i++) {
        const nn_op_def *d = table[i];
        if (strcmp(d->name, op_type)) continue;
        if (domain_is_default(d->domain) ? domain_is_default(domain) : (domain && !strcmp(d->domain, domain)))
            return d;
    }
    return NULL;
}

const nn_op_def *nn_op_get(int index) {
    pthread_once(&table_once, table_build);
    return index >= 0 && index < table_n ? table[index] : NULL;
}

int nn_op_index(const nn_op_def *def) {
    pthread_once(&table_once, table_build);
    for (int i = 0; i < table_n; i++)
        if (table[i] == def) return i;
    return -1;
}

fsift_status nn_op_error(const nn_kctx *k, fsift_status s, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fsift_error(s, "%s (node '%s'): %s", k->node->op_type, k->node->name, msg);
}

fsift_status nn_act_parse(const nn_kctx *k, nn_act *act) {
    const char *s = nn_attr_str(k->node, "activation", NULL);
    *act = NN_ACT_NONE;
    if (!s || !*s || !strcmp(s, "NONE")) return FSIFT_OK;
    if (!strcmp(s, "RELU")) *act = NN_ACT_RELU;
    else if (!strcmp(s, "RELU6")) *act = NN_ACT_RELU6;
    else if (!strcmp(s, "RELU_N1_TO_1")) *act = NN_ACT_RELU_N1_TO_1;
    else if (!strcmp(s, "TANH")) *act = NN_ACT_TANH;
    else return nn_op_error(k, FSIFT_E_UNSUPPORTED, "fused activation '%s' not supported", s);
    return FSIFT_OK;
}

fsift_status nn_act_parse_slope(const nn_kctx *k, int64_t channels, nn_act *act, const float **slope) {
    *slope = NULL;
    const char *s = nn_attr_str(k->node, "activation", NULL);
    if (!s || strcmp(s, "PRELU")) return nn_act_parse(k, act);
    const nn_attr *a = nn_attr_find(k->node, "activation_slope");
    const nn_value *v = a && a->type == NN_ATTR_TENSOR && a->i >= 0 && a->i < k->g->n_vals ? &k->g->vals[a->i] : NULL;
    if (!v || v->kind != NN_VAL_CONST || v->dtype != FSIFT_DTYPE_FLOAT32 || v->rank != 1 || v->dims[0] != channels)
        return nn_op_error(k, FSIFT_E_FORMAT, "fused PRELU needs activation_slope, a float32 constant [%lld]",
                           (long long)channels);
    *act = NN_ACT_PRELU;
    *slope = v->data;
    return FSIFT_OK;
}

void nn_act_apply(float *x, int64_t n, nn_act act) {
    switch (act) {
    case NN_ACT_NONE: return;
    case NN_ACT_RELU:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] > 0.f ? x[i] : 0.f;
        return;
    case NN_ACT_RELU6:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] < 0.f ? 0.f : (x[i] > 6.f ? 6.f : x[i]);
        return;
    case NN_ACT_RELU_N1_TO_1:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] < -1.f ? -1.f : (x[i] > 1.f ? 1.f : x[i]);
        return;
    case NN_ACT_TANH:
        for (int64_t i = 0; i < n; i++) x[i] = tanhf(x[i]);
        return;
    case NN_ACT_PRELU: /* needs the slopes: applied by the op's kernels */
        return;
    }
}

fsift_status nn_axis(const nn_kctx *k, int64_t axis, int rank, int *out) {
    int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= (rank ? rank : 1))
        return nn_op_error(k, FSIFT_E_SHAPE, "axis %lld out of range for rank %d", (long long)axis, rank);
    *out = (int)a;
    return FSIFT_OK;
}

void nn_set_out(nn_kctx *k, int i, int dtype, int rank, const int64_t *dims) {
    nn_tensor *t = k->out[i];
    if (!t) return;
    t->dtype = dtype;
    t->rank = rank;
    for (int d = 0; d < rank; d++) t->dims[d] = dims[d];
}

int64_t nn_get_int(const nn_tensor *t, int64_t i) {
    switch (t->dtype) {
    case FSIFT_DTYPE_INT64: return ((const int64_t *)t->data)[i];
    case FSIFT_DTYPE_INT32: return ((const int32_t *)t->data)[i];
    case FSIFT_DTYPE_UINT8: return ((const uint8_t *)t->data)[i];
    case FSIFT_DTYPE_INT8: return ((const int8_t *)t->data)[i];
    case FSIFT_DTYPE_INT16: return ((const int16_t *)t->data)[i];
    case FSIFT_DTYPE_UINT16: return ((const uint16_t *)t->data)[i];
    case FSIFT_DTYPE_UINT32: return ((const uint32_t *)t->data)[i];
    case FSIFT_DTYPE_UINT64: return (int64_t)((const uint64_t *)t->data)[i];
    case FSIFT_DTYPE_BOOL: return ((const uint8_t *)t->data)[i] != 0;
    default: return 0;
    }
}

fsift_status nn_broadcast_shape(const nn_kctx *k, int ra, const int64_t *da, int rb,
                                const int64_t *db, int *rout, int64_t *dout) {
    int r = ra > rb ? ra : rb;
    for (int i = 0; i < r; i++) {
        int64_t a = i < r - ra ? 1 : da[i - (r - ra)];
        int64_t b = i < r - rb ? 1 : db[i - (r - rb)];
        if (a != b && a != 1 && b != 1) {
            char sa[128], sb[128];
            return nn_op_error(k, FSIFT_E_SHAPE, "shapes %s and %s cannot be broadcast",
                               nn_shape_str(ra, da, sa, sizeof sa), nn_shape_str(rb, db, sb, sizeof sb));
        }
        dout[i] = a == 1 ? b : a;
    }
    *rout = r;
    return FSIFT_OK;
}

typedef struct par_arg {
    nn_range_fn fn;
    void *arg;
    int64_t n;
} par_arg;

static void par_body(void *p, int ith, int nth) {
    par_arg *a = p;
    int64_t b, e;
    fsift_split_range(a->n, ith, nth, &b, &e);
    if (b < e) a->fn(a->arg, b, e);
}

void nn_parallel(const nn_kctx *k, int64_t n, int64_t grain, nn_range_fn fn, void *arg) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int nth = k->nthreads > 0 ? k->nthreads : 1;
    if (!k->pool || nth == 1 || n < 2 * grain) {
        fn(arg, 0, n);
        return;
    }
    int64_t max_th = n / grain;
    if (max_th < nth) nth = (int)max_th;
    par_arg a = {fn, arg, n};
    fsift_pool_run(k->pool, par_body, &a, nth);
}
