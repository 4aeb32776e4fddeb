/*
 * test_nn_ops.c — the "nn" operator group (src/nn/kernels/nn*.c): pools, normalisations,
 * softmax, reductions, arg-extremes, resize and pad.
 *
 * Each case builds a one-node graph with the graph.h builder (parameters such as pads, axes
 * and scales as constants), runs it through a session and compares with values worked out by
 * hand, or, for larger random inputs, with a naive reference written here (NHWC against NCHW
 * through a transposition, the row fast paths of the reductions against the generic walk).
 * Error cases check that bad attributes and unsupported features give the right status rather
 * than a crash. The ONNX backend node tests (test_onnx_node) are the main oracle; these cover
 * the attribute edges and the TFLite extensions that the node tests do not.
 */
#include "facesift/facesift.h"
#include "harness.h"
#include "nn/exec.h"
#include "nn/graph.h"

/* ---- one-node graph runner ---------------------------------------------------------------- */

typedef struct tin {
    int dtype, rank;
    int64_t dims[8];
    const void *data;
    int is_const; /* constant (known at plan time) rather than a graph input */
} tin;

typedef struct tattr {
    const char *name;
    int type; /* NN_ATTR_INT, FLOAT, STRING, INTS, FLOATS; 0 ends the list */
    int64_t i;
    float f;
    const char *s;
    int n;
    const int64_t *ints;
    const float *floats;
} tattr;

#define A_INT(nm, v) {nm, NN_ATTR_INT, v, 0, NULL, 0, NULL, NULL}
#define A_FLOAT(nm, v) {nm, NN_ATTR_FLOAT, 0, v, NULL, 0, NULL, NULL}
#define A_STR(nm, v) {nm, NN_ATTR_STRING, 0, 0, v, 0, NULL, NULL}
#define A_INTS(nm, arr) {nm, NN_ATTR_INTS, 0, 0, NULL, (int)(sizeof arr / sizeof arr[0]), arr, NULL}
#define A_FLOATS(nm, arr) {nm, NN_ATTR_FLOATS, 0, 0, NULL, (int)(sizeof arr / sizeof arr[0]), NULL, arr}

#define MAX_OUT 3

typedef struct tout {
    fsift_tensor t[MAX_OUT]; /* data malloc'd (free with tout_free) */
    int n;
} tout;

static void tout_free(tout *o) {
    for (int i = 0; i < o->n; i++) free(o->t[i].data);
    o->n = 0;
}

/* Runs op (opset) on the inputs (NULL data + rank -1 = absent optional input) with attrs,
 * producing n_out outputs (want[i] = 0 leaves output i absent); nthreads workers. */
static fsift_status run_op_t(const char *op, int64_t opset, int n_in, const tin *ins,
                             const tattr *attrs, int n_out, const int *want, int nthreads,
                             tout *res) {
    nn_graph *g;
    fsift_status st = nn_graph_new(&g);
    if (st) return st;
    g->opset = opset;
    int in_idx[8], out_idx[MAX_OUT];
    fsift_tensor feeds[8];
    int nfeed = 0;
    for (int i = 0; i < n_in; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "in%d", i);
        if (ins[i].rank < 0) {
            in_idx[i] = -1;
            continue;
        }
        if (ins[i].is_const) {
            int64_t n = nn_numel(ins[i].rank, ins[i].dims);
            size_t nb = (size_t)n * fsift_dtype_size(ins[i].dtype);
            st = nn_graph_add_const(g, nm, ins[i].dtype, ins[i].rank, ins[i].dims, ins[i].data,
                                    nb, &in_idx[i]);
        } else {
            st = nn_graph_value(g, nm, &in_idx[i]);
            if (!st)
                st = nn_graph_add_input(g, in_idx[i], ins[i].dtype, ins[i].rank, ins[i].dims,
                                        NULL);
            fsift_tensor *f = &feeds[nfeed++];
            f->dtype = ins[i].dtype;
            f->rank = ins[i].rank;
            memcpy(f->dims, ins[i].dims, sizeof f->dims);
            f->data = (void *)ins[i].data;
        }
        if (st) goto done;
    }
    for (int i = 0; i < n_out; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "out%d", i);
        if (want && !want[i]) {
            out_idx[i] = -1;
            continue;
        }
        if ((st = nn_graph_value(g, nm, &out_idx[i]))) goto done;
        if ((st = nn_graph_add_output(g, out_idx[i]))) goto done;
    }
    int nd;
    if ((st = nn_graph_add_node(g, op, "", "n0", n_in, in_idx, n_out, out_idx, &nd))) goto done;
    for (const tattr *a = attrs; a && a->name; a++) {
        switch (a->type) {
        case NN_ATTR_INT: st = nn_node_set_int(g, nd, a->name, a->i); break;
        case NN_ATTR_FLOAT: st = nn_node_set_float(g, nd, a->name, a->f); break;
        case NN_ATTR_STRING: st = nn_node_set_string(g, nd, a->name, a->s, strlen(a->s)); break;
        case NN_ATTR_INTS: st = nn_node_set_ints(g, nd, a->name, a->ints, a->n); break;
        case NN_ATTR_FLOATS: st = nn_node_set_floats(g, nd, a->name, a->floats, a->n); break;
        }
        if (st) goto done;
    }
    if ((st = nn_graph_finalize(g))) goto done;
    fsift_model *m;
    st = nn_model_from_graph(g, &m);
    g = NULL;
    if (st) return st;
    fsift_session *s;
    if ((st = fsift_session_new(m, nthreads, &s))) {
        fsift_model_free(m);
        return st;
    }
    st = fsift_session_run(s, feeds, nfeed);
    res->n = 0;
    for (int i = 0; !st && i < fsift_model_num_outputs(m); i++) {
        fsift_tensor o;
        if ((st = fsift_session_output(s, i, &o))) break;
        size_t nb = (size_t)fsift_tensor_numel(&o) * fsift_dtype_size(o.dtype);
        res->t[i] = o;
        res->t[i].data = malloc(nb ? nb : 1);
        if (nb) memcpy(res->t[i].data, o.data, nb);
        res->n++;
    }
    fsift_session_free(s);
    fsift_model_free(m);
    return st;
done:
    nn_graph_free(g);
    return st;
}

static fsift_status run_op(const char *op, int64_t opset, int n_in, const tin *ins,
                           const tattr *attrs, tout *res) {
    return run_op_t(op, opset, n_in, ins, attrs, 1, NULL, 1, res);
}

static tin f32in(int rank, const int64_t *dims, const float *data) {
    tin t = {FSIFT_DTYPE_FLOAT32, rank, {0}, data, 0};
    memcpy(t.dims, dims, (size_t)rank * sizeof(int64_t));
    return t;
}

static tin i64const(int n, const int64_t *data) {
    tin t = {FSIFT_DTYPE_INT64, 1, {n}, data, 1};
    return t;
}

static tin f32const(int n, const float *data) {
    tin t = {FSIFT_DTYPE_FLOAT32, 1, {n}, data, 1};
    return t;
}

static const tin ABSENT = {0, -1, {0}, NULL, 0};

static void check_shape(const fsift_tensor *t, int rank, const int64_t *dims) {
    CHECK(t->rank == rank);
    for (int i = 0; i < rank && i < t->rank; i++)
        CHECK_MSG(t->dims[i] == dims[i], "dim %d: %lld vs %lld", i, (long long)t->dims[i],
                  (long long)dims[i]);
}

static void check_f32(const fsift_tensor *t, const float *want, int64_t n, float tol) {
    CHECK(t->dtype == FSIFT_DTYPE_FLOAT32);
    CHECK(fsift_tensor_numel(t) == n);
    if (t->dtype != FSIFT_DTYPE_FLOAT32 || fsift_tensor_numel(t) != n) return;
    const float *g = t->data;
    for (int64_t i = 0; i < n; i++)
        CHECK_MSG(fabsf(g[i] - want[i]) <= tol * fmaxf(1.f, fabsf(want[i])),
                  "element %lld: got %g, want %g", (long long)i, g[i], want[i]);
}

static uint32_t rng_state = 12345;
static float frand(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)(rng_state >> 8) / (float)(1 << 24) * 2.f - 1.f;
}

/* NCHW -> NHWC */
static void to_nhwc(const float *x, float *y, int64_t N, int64_t C, int64_t H, int64_t W) {
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t w = 0; w < W; w++)
                    y[((n * H + h) * W + w) * C + c] = x[((n * C + c) * H + h) * W + w];
}

/* ---- pools -------------------------------------------------------------------------------- */

static void test_maxpool_basic(void) {
    float x[16];
    for (int i = 0; i < 16; i++) x[i] = (float)(i + 1);
    int64_t d[4] = {1, 1, 4, 4}, ks[2] = {2, 2};
    tin in = f32in(4, d, x);
    tattr at[] = {A_INTS("kernel_shape", ks), A_INTS("strides", ks), {0}};
    tout o = {0};
    CHECK_OK(run_op("MaxPool", 13, 1, &in, at, &o));
    if (o.n) {
        int64_t od[4] = {1, 1, 2, 2};
        check_shape(&o.t[0], 4, od);
        float want[4] = {6, 8, 14, 16};
        check_f32(&o.t[0], want, 4, 0);
    }
    tout_free(&o);
}

static void test_maxpool_ceil_mode(void) {
    float x[25];
    for (int i = 0; i < 25; i++) x[i] = (float)i;
    int64_t d[4] = {1, 1, 5, 5}, ks[2] = {2, 2};
    tin in = f32in(4, d, x);
    tattr at[] = {A_INTS("kernel_shape", ks), A_INTS("strides", ks), A_INT("ceil_mode", 1), {0}};
    tout o = {0};
    CHECK_OK(run_op("MaxPool", 13, 1, &in, at, &o));
    if (o.n) {
        int64_t od[4] = {1, 1, 3, 3};
        check_shape(&o.t[0], 4, od);
        float want[9] = {6, 8, 9, 16, 18, 19, 21, 23, 24};
        check_f32(&o.t[0], want, 9, 0);
    }
    tout_free(&o);
    /* ceil_mode must not create a window that starts in the end padding: 4 wide, k=2, s=2,
     * pad end 1: (4 + 1 - 2) / 2 = 1.5 -> ceil 2 + 1 = 3, but window 2 would start at 4 -> 2 */
    int64_t d2[4] = {1, 1, 1, 4}, k2[2] = {1, 2}, s2[2] = {1, 2}, p2[4] = {0, 0, 0, 1};
    float x2[4] = {1, 5, 2, 7};
    tin in2 = f32in(4, d2, x2);
    tattr at2[] = {A_INTS("kernel_shape", k2), A_INTS("strides", s2), A_INTS("pads", p2),
                   A_INT("ceil_mode", 1), {0}};
    CHECK_OK(run_op("MaxPool", 13, 1, &in2, at2, &o));
    if (o.n) {
        int64_t od[4] = {1, 1, 1, 2};
        check_shape(&o.t[0], 4, od);
        float want[2] = {5, 7};
        check_f32(&o.t[0], want, 2, 0);
    }
    tout_free(&o);
}

static void test_maxpool_same_and_indices(void) {
    /* 1x1x3x3, k=2, s=1, SAME_UPPER: pad at the end, output 3x3 */
    float x[9] = {1, 2, 3, 4, 9, 6, 7, 8, 5};
    int64_t d[4] = {1, 1, 3, 3}, ks[2] = {2, 2};
    tin in = f32in(4, d, x);
    tattr at[] = {A_INTS("kernel_shape", ks), A_STR("auto_pad", "SAME_UPPER"), {0}};
    tout o = {0};
    CHECK_OK(run_op_t("MaxPool", 13, 1, &in, at, 2, NULL, 1, &o));
    if (o.n == 2) {
        float want[9] = {9, 9, 6, 9, 9, 6, 8, 8, 5};
        check_f32(&o.t[0], want, 9, 0);
        CHECK(o.t[1].dtype == FSIFT_DTYPE_INT64);
        const int64_t *ix = o.t[1].data;
        int64_t wi[9] = {4, 4, 5, 4, 4, 5, 7, 7, 8};
        for (int i = 0; i < 9; i++) CHECK_MSG(ix[i] == wi[i], "index %d: %lld", i, (long long)ix[i]);
    }
    tout_free(&o);
    /* SAME_LOWER puts the extra pad at the beginning */
    tattr at2[] = {A_INTS("kernel_shape", ks), A_STR("auto_pad", "SAME_LOWER"), {0}};
    CHECK_OK(run_op("MaxPool", 13, 1, &in, at2, &o));
    if (o.n) {
        float want[9] = {1, 2, 3, 4, 9, 9, 7, 9, 9};
        check_f32(&o.t[0], want, 9, 0);
    }
    tout_free(&o);
}

static void test_avgpool_pads(void) {
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    int64_t d[4] = {1, 1, 3, 3}, ks[2] = {3, 3}, pads[4] = {1, 1, 1, 1};
    tin in = f32in(4, d, x);
    tattr at[] = {A_INTS("kernel_shape", ks), A_INTS("pads", pads), {0}};
    tout o = {0};
    CHECK_OK(run_op("AveragePool", 11, 1, &in, at, &o));
    if (o.n) {
        float want[9] = {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7};
        check_f32(&o.t[0], want, 9, 1e-6f);
    }
    tout_free(&o);
    tattr at2[] = {A_INTS("kernel_shape", ks), A_INTS("pads", pads),
                   A_INT("count_include_pad", 1), {0}};
    CHECK_OK(run_op("AveragePool", 11, 1, &in, at2, &o));
    if (o.n) {
        float want[9] = {12 / 9.f, 21 / 9.f, 16 / 9.f, 27 / 9.f, 5, 33 / 9.f,
                         24 / 9.f, 39 / 9.f, 28 / 9.f};
        check_f32(&o.t[0], want, 9, 1e-6f);
    }
    tout_free(&o);
    /* ceil_mode with count_include_pad: a window past the padded end divides by the part
     * inside input + padding (ONNX Runtime's rule) */
    float x2[5] = {1, 2, 3, 4, 5};
    int64_t d2[3] = {1, 1, 5}, k2[1] = {2};
    tin in2 = f32in(3, d2, x2);
    tattr at3[] = {A_INTS("kernel_shape", k2), A_INTS("strides", k2), A_INT("ceil_mode", 1),
                   A_INT("count_include_pad", 1), {0}};
    CHECK_OK(run_op("AveragePool", 11, 1, &in2, at3, &o));
    if (o.n) {
        float want[3] = {1.5f, 3.5f, 5};
        check_f32(&o.t[0], want, 3, 1e-6f);
    }
    tout_free(&o);
}

static void test_pool_activation(void) {
    float x[4] = {-4, 10, 2, 8};
    int64_t d[4] = {1, 1, 2, 2}, ks[2] = {1, 1};
    tin in = f32in(4, d, x);
    tattr at[] = {A_INTS("kernel_shape", ks), A_STR("activation", "RELU6"), {0}};
    tout o = {0};
    CHECK_OK(run_op("AveragePool", 13, 1, &in, at, &o));
    if (o.n) {
        float want[4] = {0, 6, 2, 6};
        check_f32(&o.t[0], want, 4, 0);
    }
    tout_free(&o);
    tattr bad[] = {A_INTS("kernel_shape", ks), A_STR("activation", "SWISH"), {0}};
    CHECK(run_op("MaxPool", 13, 1, &in, bad, &o) != FSIFT_OK);
    tout_free(&o);
}

/* NHWC pools against NCHW on transposed data: channel counts below, at and between
 * multiples of 4 and 16 (the NHWC max pool runs blocks of 4 or 16 channels, the last one
 * overlapping),
 * 3x3 stride 2 with padding and MTCNN P-Net's 2x2 stride 2. */
static void test_pool_nhwc(void) {
    enum { N = 2, CMAX = 20, H = 7, W = 6 };
    static float x[N * CMAX * H * W], xt[N * CMAX * H * W];
    static const int64_t chans[] = {5, 3, 10, 16, 20};
    for (int ci = 0; ci < 5; ci++)
        for (int geo = 0; geo < 2; geo++) {
            const int64_t C = chans[ci];
            for (int i = 0; i < N * C * H * W; i++) x[i] = frand();
            to_nhwc(x, xt, N, C, H, W);
            int64_t dn[4] = {N, C, H, W}, dt[4] = {N, H, W, C};
            int64_t ks[2] = {3, 3}, st[2] = {2, 2}, pads[4] = {1, 1, 1, 0};
            if (geo) ks[0] = ks[1] = 2, pads[0] = pads[1] = pads[2] = 0;
            const char *ops[3] = {"MaxPool", "AveragePool", "GlobalAveragePool"};
            for (int op = 0; op < 3; op++) {
                tattr an[] = {A_INTS("kernel_shape", ks), A_INTS("strides", st), A_INTS("pads", pads), {0}};
                tattr ah[] = {A_INTS("kernel_shape", ks), A_INTS("strides", st), A_INTS("pads", pads),
                              A_STR("layout", "NHWC"), {0}};
                tattr gn[] = {{0}};
                tattr gh[] = {A_STR("layout", "NHWC"), {0}};
                tin a = f32in(4, dn, x), b = f32in(4, dt, xt);
                tout o1 = {0}, o2 = {0};
                CHECK_OK(run_op(ops[op], 13, 1, &a, op == 2 ? gn : an, &o1));
                CHECK_OK(run_op_t(ops[op], 13, 1, &b, op == 2 ? gh : ah, 1, NULL, 2, &o2));
                if (o1.n && o2.n) {
                    const fsift_tensor *t1 = &o1.t[0], *t2 = &o2.t[0];
                    CHECK(t2->dims[1] == t1->dims[2] && t2->dims[2] == t1->dims[3] && t2->dims[3] == C);
                    int64_t oh = t1->dims[2], ow = t1->dims[3];
                    float *tr = malloc(sizeof(float) * (size_t)(N * C * oh * ow));
                    to_nhwc(t1->data, tr, N, C, oh, ow);
                    check_f32(t2, tr, N * C * oh * ow, 1e-6f);
                    free(tr);
                }
                tout_free(&o1);
                tout_free(&o2);
            }
        }
}

static void test_global_pools(void) {
    float x[2 * 3 * 2] = {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6};
    int64_t d[4] = {2, 3, 2, 1};
    tin in = f32in(4, d, x);
    tout o = {0};
    CHECK_OK(run_op("GlobalAveragePool", 13, 1, &in, NULL, &o));
    if (o.n) {
        int64_t od[4] = {2, 3, 1, 1};
        check_shape(&o.t[0], 4, od);
        float want[6] = {1.5f, 3.5f, 5.5f, -1.5f, -3.5f, -5.5f};
        check_f32(&o.t[0], want, 6, 1e-6f);
    }
    tout_free(&o);
    CHECK_OK(run_op("GlobalMaxPool", 13, 1, &in, NULL, &o));
    if (o.n) {
        float want[6] = {2, 4, 6, -1, -3, -5};
        check_f32(&o.t[0], want, 6, 0);
    }
    tout_free(&o);
}

static void test_pool_errors(void) {
    float x[16] = {0};
    int64_t d[4] = {1, 1, 4, 4};
    tin in = f32in(4, d, x);
    tout o = {0};
    int64_t big[2] = {5, 5}, huge[2] = {(int64_t)1 << 62, 1}, neg[4] = {-1, 0, 0, 0};
    int64_t k2[2] = {2, 2}, one[1] = {2};
    tattr a1[] = {A_INTS("kernel_shape", big), {0}};
    CHECK(run_op("MaxPool", 13, 1, &in, a1, &o) == FSIFT_E_SHAPE);
    tattr a2[] = {A_INTS("kernel_shape", huge), {0}};
    CHECK(run_op("MaxPool", 13, 1, &in, a2, &o) != FSIFT_OK);
    tattr a3[] = {A_INTS("kernel_shape", k2), A_INTS("pads", neg), {0}};
    CHECK(run_op("MaxPool", 13, 1, &in, a3, &o) != FSIFT_OK);
    tattr a4[] = {A_INTS("kernel_shape", one), {0}};
    CHECK(run_op("AveragePool", 13, 1, &in, a4, &o) == FSIFT_E_SHAPE);
    tattr a5[] = {{0}};
    CHECK(run_op("MaxPool", 13, 1, &in, a5, &o) != FSIFT_OK);
    tattr a6[] = {A_INTS("kernel_shape", k2), A_INTS("dilations", huge), {0}};
    CHECK(run_op("MaxPool", 13, 1, &in, a6, &o) != FSIFT_OK);
    /* float64 input: unsupported, not a crash */
    double xd[16] = {0};
    tin ind = {FSIFT_DTYPE_FLOAT64, 4, {1, 1, 4, 4}, xd, 0};
    tattr a7[] = {A_INTS("kernel_shape", k2), {0}};
    CHECK(run_op("MaxPool", 13, 1, &ind, a7, &o) == FSIFT_E_UNSUPPORTED);
    tout_free(&o);
}

/* ---- normalisations ----------------------------------------------------------------------- */

static void test_batchnorm(void) {
    /* 1-D features [N, C] */
    float x[6] = {1, 2, 3, 4, 5, 6};
    float sc[3] = {1, 2, 0.5f}, b[3] = {0, 1, -1}, mean[3] = {2, 3, 4}, var[3] = {4, 1, 0.25f};
    int64_t d[2] = {2, 3};
    tin ins[5] = {f32in(2, d, x), f32const(3, sc), f32const(3, b), f32const(3, mean),
                  f32const(3, var)};
    tattr at[] = {A_FLOAT("epsilon", 0.f), {0}};
    tout o = {0};
    CHECK_OK(run_op("BatchNormalization", 15, 5, ins, at, &o));
    if (o.n) {
        float want[6] = {(1 - 2) / 2.f, (2 - 3) * 2.f + 1, (3 - 4) / 0.5f * 0.5f - 1,
                         (4 - 2) / 2.f, (5 - 3) * 2.f + 1, (6 - 4) / 0.5f * 0.5f - 1};
        check_f32(&o.t[0], want, 6, 1e-6f);
    }
    tout_free(&o);
    /* NCHW with spatial dims, and NHWC */
    float x4[2 * 3 * 2] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, xt[12];
    int64_t d4[4] = {2, 3, 2, 1}, d4t[4] = {2, 2, 1, 3};
    to_nhwc(x4, xt, 2, 3, 2, 1);
    ins[0] = f32in(4, d4, x4);
    tout o2 = {0};
    CHECK_OK(run_op("BatchNormalization", 15, 5, ins, at, &o));
    ins[0] = f32in(4, d4t, xt);
    tattr ath[] = {A_FLOAT("epsilon", 0.f), A_STR("layout", "NHWC"), {0}};
    CHECK_OK(run_op("BatchNormalization", 15, 5, ins, ath, &o2));
    if (o.n && o2.n) {
        const float *y = o.t[0].data;
        CHECK_NEAR(y[0], (1 - 2) / 2.f, 1e-6);
        CHECK_NEAR(y[3], (4 - 3) * 2.f + 1, 1e-6);
        float tr[12];
        to_nhwc(y, tr, 2, 3, 2, 1);
        check_f32(&o2.t[0], tr, 12, 1e-6f);
    }
    tout_free(&o);
    tout_free(&o2);
    tattr tm[] = {A_INT("training_mode", 1), {0}};
    CHECK(run_op("BatchNormalization", 15, 5, ins, tm, &o) == FSIFT_E_UNSUPPORTED);
    tout_free(&o);
    ins[1] = f32const(2, sc);
    CHECK(run_op("BatchNormalization", 15, 5, ins, at, &o) == FSIFT_E_SHAPE);
    tout_free(&o);
}

static void test_instancenorm(void) {
    float x[8] = {1, 2, 3, 4, 10, 10, 10, 10};
    float sc[2] = {2, 1}, b[2] = {1, 0};
    int64_t d[3] = {1, 2, 4};
    tin ins[3] = {f32in(3, d, x), f32const(2, sc), f32const(2, b)};
    tout o = {0};
    CHECK_OK(run_op("InstanceNormalization", 13, 3, ins, NULL, &o)); /* epsilon 1e-5 */
    if (o.n) {
        float s = 1.f / sqrtf(1.25f + 1e-5f);
        float want[8] = {1 - 3 * s, 1 - s, 1 + s, 1 + 3 * s, 0, 0, 0, 0};
        check_f32(&o.t[0], want, 8, 1e-5f);
    }
    tout_free(&o);
}

static void test_layernorm(void) {
    float x[8] = {1, 2, 3, 4, -1, -1, 1, 1};
    float sc[4] = {1, 1, 2, 2}, b[4] = {0, 0, 1, 1};
    int64_t d[2] = {2, 4};
    tin ins[3] = {f32in(2, d, x), f32const(4, sc), f32const(4, b)};
    tattr at[] = {A_FLOAT("epsilon", 0.f), A_INT("axis", -1), {0}};
    tout o = {0};
    int want_all[3] = {1, 1, 1};
    CHECK_OK(run_op_t("LayerNormalization", 17, 3, ins, at, 3, want_all, 1, &o));
    if (o.n == 3) {
        float s = 1.f / sqrtf(1.25f);
        float want[8] = {-1.5f * s, -0.5f * s, 2 * 0.5f * s + 1, 2 * 1.5f * s + 1,
                         -1, -1, 3, 3};
        check_f32(&o.t[0], want, 8, 1e-5f);
        int64_t md[2] = {2, 1};
        check_shape(&o.t[1], 2, md);
        float wm[2] = {2.5f, 0}, wi[2] = {s, 1};
        check_f32(&o.t[1], wm, 2, 1e-6f);
        check_f32(&o.t[2], wi, 2, 1e-5f);
    }
    tout_free(&o);
    /* axis 0 normalises everything; no bias; scale shaped like the whole input */
    int64_t d2[2] = {2, 4};
    float sc2[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    tin s2 = {FSIFT_DTYPE_FLOAT32, 2, {2, 4}, sc2, 1};
    tin ins2[2] = {f32in(2, d2, x), s2};
    tattr at2[] = {A_INT("axis", -2), A_FLOAT("epsilon", 0.f), {0}};
    CHECK_OK(run_op("LayerNormalization", 17, 2, ins2, at2, &o));
    if (o.n) {
        double m = 0, v = 0;
        for (int i = 0; i < 8; i++) m += x[i] / 8.0;
        for (int i = 0; i < 8; i++) v += (x[i] - m) * (x[i] - m);
        v /= 8;
        float want[8];
        for (int i = 0; i < 8; i++) want[i] = (float)((x[i] - m) / sqrt(v));
        check_f32(&o.t[0], want, 8, 1e-5f);
    }
    tout_free(&o);
}

static void test_lpnorm(void) {
    float x[6] = {3, 4, 0, 0, -1, 1};
    int64_t d[2] = {3, 2};
    tin in = f32in(2, d, x);
    tout o = {0};
    CHECK_OK(run_op("LpNormalization", 13, 1, &in, NULL, &o));
    if (o.n) {
        float want[6] = {0.6f, 0.8f, 0, 0, -1 / sqrtf(2.f), 1 / sqrtf(2.f)};
        check_f32(&o.t[0], want, 6, 1e-6f);
    }
    tout_free(&o);
    tattr at[] = {A_INT("p", 1), A_INT("axis", 0), {0}};
    CHECK_OK(run_op("LpNormalization", 13, 1, &in, at, &o));
    if (o.n) {
        float want[6] = {0.75f, 0.8f, 0, 0, -0.25f, 0.2f};
        check_f32(&o.t[0], want, 6, 1e-6f);
    }
    tout_free(&o);
    tattr bad[] = {A_INT("p", 3), {0}};
    CHECK(run_op("LpNormalization", 13, 1, &in, bad, &o) == FSIFT_E_UNSUPPORTED);
    tout_free(&o);
}

/* ---- softmax ------------------------------------------------------------------------------ */

static void softmax_ref(const float *x, float *y, int n, int stride, float beta, int lg) {
    double m = -INFINITY, s = 0;
    for (int i = 0; i < n; i++) m = fmax(m, beta * x[i * stride]);
    for (int i = 0; i < n; i++) s += exp(beta * x[i * stride] - m);
    for (int i = 0; i < n; i++)
        y[i * stride] = lg ? (float)(beta * x[i * stride] - m - log(s))
                           : (float)(exp(beta * x[i * stride] - m) / s);
}

static void test_softmax_axes(void) {
    enum { A = 2, B = 3, C = 4 };
    float x[A * B * C], want[A * B * C];
    for (int i = 0; i < A * B * C; i++) x[i] = frand() * 5;
    int64_t d[3] = {A, B, C};
    tin in = f32in(3, d, x);
    tout o = {0};
    for (int lg = 0; lg < 2; lg++) {
        const char *op = lg ? "LogSoftmax" : "Softmax";
        /* opset 13, default axis -1 */
        CHECK_OK(run_op(op, 13, 1, &in, NULL, &o));
        for (int r = 0; r < A * B; r++) softmax_ref(x + r * C, want + r * C, C, 1, 1, lg);
        if (o.n) check_f32(&o.t[0], want, A * B * C, 1e-5f);
        tout_free(&o);
        /* opset 13, axis 1 (strided) */
        tattr a1[] = {A_INT("axis", 1), {0}};
        CHECK_OK(run_op(op, 13, 1, &in, a1, &o));
        for (int a = 0; a < A; a++)
            for (int c = 0; c < C; c++) softmax_ref(x + a * B * C + c, want + a * B * C + c, B, C, 1, lg);
        if (o.n) check_f32(&o.t[0], want, A * B * C, 1e-5f);
        tout_free(&o);
        /* opset 11, default axis 1: coerced to [A, B*C] */
        CHECK_OK(run_op(op, 11, 1, &in, NULL, &o));
        for (int a = 0; a < A; a++) softmax_ref(x + a * B * C, want + a * B * C, B * C, 1, 1, lg);
        if (o.n) check_f32(&o.t[0], want, A * B * C, 1e-5f);
        tout_free(&o);
        /* TFLite beta, negative axis */
        tattr ab[] = {A_FLOAT("beta", 0.5f), A_INT("axis", -3), {0}};
        CHECK_OK(run_op(op, 13, 1, &in, ab, &o));
        for (int r = 0; r < B * C; r++) softmax_ref(x + r, want + r, A, B * C, 0.5f, lg);
        if (o.n) check_f32(&o.t[0], want, A * B * C, 1e-5f);
        tout_free(&o);
    }
    /* large numbers: log-softmax keeps precision */
    float xl[4] = {10000, 10001, 10002, 10003};
    int64_t dl[2] = {1, 4};
    tin inl = f32in(2, dl, xl);
    CHECK_OK(run_op("LogSoftmax", 13, 1, &inl, NULL, &o));
    if (o.n) {
        float w[4] = {-3.4401897f, -2.4401897f, -1.4401897f, -0.4401897f};
        check_f32(&o.t[0], w, 4, 1e-6f);
    }
    tout_free(&o);
    tattr bad[] = {A_INT("axis", 3), {0}};
    CHECK(run_op("Softmax", 13, 1, &in, bad, &o) != FSIFT_OK);
    tout_free(&o);
}

/* Long rows and wide strided blocks take the vector exponential (AVX2 where present); masked
 * scores (-inf) must come out as 0. */
static void test_softmax_long(void) {
    enum { R = 3, N = 77, A = 2, B = 20, C = 37 };
    static float x[R * N], want[R * N], x2[A * B * C], want2[A * B * C];
    for (int i = 0; i < R * N; i++) x[i] = frand() * 10;
    for (int i = 0; i < A * B * C; i++) x2[i] = frand() * 10;
    int64_t d[2] = {R, N}, d2[3] = {A, B, C};
    for (int lg = 0; lg < 2; lg++) {
        const char *op = lg ? "LogSoftmax" : "Softmax";
        for (int i = 40; i < N; i++) x[N + i] = lg ? -1e30f : -INFINITY; /* row 1 masked */
        for (int r = 0; r < R; r++) softmax_ref(x + r * N, want + r * N, N, 1, 1, lg);
        tin in = f32in(2, d, x);
        tout o = {0};
        CHECK_OK(run_op(op, 13, 1, &in, NULL, &o));
        if (o.n) check_f32(&o.t[0], want, R * N, 1e-5f);
        tout_free(&o);
        tattr ab[] = {A_FLOAT("beta", 0.7f), A_INT("axis", 1), {0}};
        for (int a = 0; a < A; a++)
            for (int c = 0; c < C; c++)
                softmax_ref(x2 + a * B * C + c, want2 + a * B * C + c, B, C, 0.7f, lg);
        tin in2 = f32in(3, d2, x2);
        CHECK_OK(run_op(op, 13, 1, &in2, ab, &o));
        if (o.n) check_f32(&o.t[0], want2, A * B * C, 1e-5f);
        tout_free(&o);
    }
}

/* ---- reductions --------------------------------------------------------------------------- */

/* Naive reduction over the axes flagged in red[] of a [d0,d1,d2,d3] tensor (keepdims). */
static void reduce_ref(const float *x, const int64_t *d, const int *red, int kind, float *y) {
    int64_t od[4];
    for (int i = 0; i < 4; i++) od[i] = red[i] ? 1 : d[i];
    int64_t on = od[0] * od[1] * od[2] * od[3];
    for (int64_t o = 0; o < on; o++) {
        int64_t oi[4], t = o;
        for (int i = 3; i >= 0; i--) {
            oi[i] = t % od[i];
            t /= od[i];
        }
        double acc = kind == 2 ? -INFINITY : kind == 3 ? 1 : 0;
        int64_t cnt = 0;
        for (int64_t a = 0; a < d[0]; a++)
            for (int64_t b = 0; b < d[1]; b++)
                for (int64_t c = 0; c < d[2]; c++)
                    for (int64_t e = 0; e < d[3]; e++) {
                        int64_t ii[4] = {a, b, c, e};
                        int ok = 1;
                        for (int i = 0; i < 4; i++) ok &= red[i] || ii[i] == oi[i];
                        if (!ok) continue;
                        double v = x[((a * d[1] + b) * d[2] + c) * d[3] + e];
                        cnt++;
                        if (kind == 0 || kind == 1) acc += v;
                        else if (kind == 2) acc = fmax(acc, v);
                        else if (kind == 3) acc *= v;
                        else if (kind == 4) acc += v * v;
                    }
        y[o] = (float)(kind == 1 ? acc / (double)cnt : kind == 4 ? sqrt(acc) : acc);
    }
}

static void test_reduce_patterns(void) {
    enum { D0 = 2, D1 = 3, D2 = 4, D3 = 5 };
    static float x[D0 * D1 * D2 * D3], want[D0 * D1 * D2 * D3];
    for (int i = 0; i < D0 * D1 * D2 * D3; i++) x[i] = 1.f + 0.5f * frand();
    int64_t d[4] = {D0, D1, D2, D3};
    const char *ops[5] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceProd", "ReduceL2"};
    /* every subset of axes: row fast path ([outer, R, inner]) and the generic walk */
    for (int mask = 1; mask < 16; mask++) {
        int red[4];
        int64_t axes[4];
        int na = 0;
        for (int i = 0; i < 4; i++) {
            red[i] = (mask >> i) & 1;
            if (red[i]) axes[na++] = i - 4; /* negative axes */
        }
        for (int k = 0; k < 5; k++) {
            tin ins[2] = {f32in(4, d, x), i64const(na, axes)};
            tattr at[] = {A_INTS("axes", axes), {0}};
            at[0].n = na;
            tout o = {0};
            /* ReduceSum takes axes as an input from opset 13, the others from 18 */
            if (k == 0) CHECK_OK(run_op(ops[k], 13, 2, ins, NULL, &o));
            else if (k == 1) CHECK_OK(run_op(ops[k], 18, 2, ins, NULL, &o));
            else CHECK_OK(run_op(ops[k], 13, 1, ins, at, &o));
            reduce_ref(x, d, red, k, want);
            int64_t on = 1;
            for (int i = 0; i < 4; i++) on *= red[i] ? 1 : d[i];
            if (o.n) {
                CHECK(o.t[0].rank == 4);
                CHECK_MSG(1, "mask %d op %s", mask, ops[k]);
                check_f32(&o.t[0], want, on, 1e-5f);
            }
            tout_free(&o);
        }
    }
}

static void test_reduce_attrs(void) {
    float x[6] = {1, 2, 3, 4, 5, 6};
    int64_t d[2] = {2, 3}, ax1[1] = {1};
    tin in = f32in(2, d, x);
    tout o = {0};
    tattr a1[] = {A_INTS("axes", ax1), A_INT("keepdims", 0), {0}};
    CHECK_OK(run_op("ReduceMean", 13, 1, &in, a1, &o));
    if (o.n) {
        int64_t od[1] = {2};
        check_shape(&o.t[0], 1, od);
        float w[2] = {2, 5};
        check_f32(&o.t[0], w, 2, 1e-6f);
    }
    tout_free(&o);
    /* no axes: reduce everything, keepdims -> [1,1] */
    CHECK_OK(run_op("ReduceSumSquare", 13, 1, &in, NULL, &o));
    if (o.n) {
        int64_t od[2] = {1, 1};
        check_shape(&o.t[0], 2, od);
        float w[1] = {91};
        check_f32(&o.t[0], w, 1, 1e-6f);
    }
    tout_free(&o);
    /* empty axes input with noop_with_empty_axes: identity */
    tin ins[2] = {in, {FSIFT_DTYPE_INT64, 1, {0}, ax1, 1}};
    tattr a2[] = {A_INT("noop_with_empty_axes", 1), {0}};
    CHECK_OK(run_op("ReduceSum", 13, 2, ins, a2, &o));
    if (o.n) check_f32(&o.t[0], x, 6, 0);
    tout_free(&o);
    /* int64 reductions */
    int64_t xi[6] = {3, -2, 7, 1, 1, 1};
    tin ini = {FSIFT_DTYPE_INT64, 2, {2, 3}, xi, 0};
    tattr a3[] = {A_INTS("axes", ax1), {0}};
    CHECK_OK(run_op("ReduceMax", 13, 1, &ini, a3, &o));
    if (o.n) {
        CHECK(o.t[0].dtype == FSIFT_DTYPE_INT64);
        const int64_t *y = o.t[0].data;
        CHECK(y[0] == 7 && y[1] == 1);
    }
    tout_free(&o);
    CHECK_OK(run_op("ReduceProd", 13, 1, &ini, NULL, &o));
    if (o.n) CHECK(((const int64_t *)o.t[0].data)[0] == -42);
    tout_free(&o);
    /* errors */
    int64_t rep[2] = {1, -1};
    tattr a4[] = {A_INTS("axes", rep), {0}};
    CHECK(run_op("ReduceMean", 13, 1, &in, a4, &o) == FSIFT_E_SHAPE);
    tout_free(&o);
    /* axes fed as a graph input: the session plans with its values */
    tin dyn[2] = {in, {FSIFT_DTYPE_INT64, 1, {1}, ax1, 0}};
    CHECK_OK(run_op("ReduceSum", 13, 2, dyn, NULL, &o));
    if (o.n) {
        float w[2] = {6, 15};
        check_f32(&o.t[0], w, 2, 0);
    }
    tout_free(&o);
    CHECK(run_op("ReduceL1", 13, 1, &ini, NULL, &o) == FSIFT_E_UNSUPPORTED);
    tout_free(&o);
    /* log-sum-exp of large values */
    float xl[2] = {1000, 1000};
    int64_t dl[1] = {2};
    tin inl = f32in(1, dl, xl);
    CHECK_OK(run_op("ReduceLogSumExp", 13, 1, &inl, NULL, &o));
    if (o.n) CHECK_NEAR(((float *)o.t[0].data)[0], 1000 + log(2.0), 1e-3);
    tout_free(&o);
}

static void test_argmax(void) {
    float x[6] = {1, 5, 5, 7, 2, 7};
    int64_t d[2] = {2, 3};
    tin in = f32in(2, d, x);
    tout o = {0};
    tattr a1[] = {A_INT("axis", -1), A_INT("keepdims", 0), {0}};
    CHECK_OK(run_op("ArgMax", 13, 1, &in, a1, &o));
    if (o.n) {
        CHECK(o.t[0].dtype == FSIFT_DTYPE_INT64 && o.t[0].rank == 1);
        const int64_t *y = o.t[0].data;
        CHECK(y[0] == 1 && y[1] == 0);
    }
    tout_free(&o);
    tattr a2[] = {A_INT("axis", 1), A_INT("select_last_index", 1), {0}};
    CHECK_OK(run_op("ArgMax", 13, 1, &in, a2, &o));
    if (o.n) {
        int64_t od[2] = {2, 1};
        check_shape(&o.t[0], 2, od);
        const int64_t *y = o.t[0].data;
        CHECK(y[0] == 2 && y[1] == 2);
    }
    tout_free(&o);
    int32_t xi[6] = {4, 1, 9, 0, 3, -2};
    tin ini = {FSIFT_DTYPE_INT32, 2, {2, 3}, xi, 0};
    CHECK_OK(run_op("ArgMin", 13, 1, &ini, NULL, &o)); /* axis 0 */
    if (o.n) {
        const int64_t *y = o.t[0].data;
        CHECK(y[0] == 1 && y[1] == 0 && y[2] == 1);
    }
    tout_free(&o);
}

/* ---- resize ------------------------------------------------------------------------------- */

static void test_resize_nearest(void) {
    float x[4] = {1, 2, 3, 4};
    int64_t d[4] = {1, 1, 2, 2};
    float sc[4] = {1, 1, 2, 2};
    tin ins[3] = {f32in(4, d, x), ABSENT, f32const(4, sc)};
    tattr at[] = {A_STR("coordinate_transformation_mode", "asymmetric"),
                  A_STR("nearest_mode", "floor"), {0}};
    tout o = {0};
    CHECK_OK(run_op("Resize", 13, 3, ins, at, &o));
    if (o.n) {
        int64_t od[4] = {1, 1, 4, 4};
        check_shape(&o.t[0], 4, od);
        float w[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
        check_f32(&o.t[0], w, 16, 0);
    }
    tout_free(&o);
    /* Upsample opset 9 (scales input) and opset 7 (attribute) give the same */
    tin up[2] = {f32in(4, d, x), f32const(4, sc)};
    CHECK_OK(run_op("Upsample", 9, 2, up, NULL, &o));
    if (o.n) {
        float w[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
        check_f32(&o.t[0], w, 16, 0);
    }
    tout_free(&o);
    tattr a7[] = {A_FLOATS("scales", sc), {0}};
    CHECK_OK(run_op("Upsample", 7, 1, up, a7, &o));
    if (o.n) CHECK(o.t[0].dims[3] == 4 && ((float *)o.t[0].data)[5] == 1);
    tout_free(&o);
    /* int64 data (nearest copies any dtype), sizes input, half_pixel + round_prefer_floor */
    int64_t xi[3] = {10, 20, 30};
    int64_t sz[1] = {6};
    tin ii[4] = {{FSIFT_DTYPE_INT64, 1, {3}, xi, 0}, ABSENT, ABSENT, i64const(1, sz)};
    CHECK_OK(run_op("Resize", 13, 4, ii, NULL, &o));
    if (o.n) {
        const int64_t *y = o.t[0].data;
        /* x_orig = (o + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, 1.75, 2.25 */
        int64_t w[6] = {10, 10, 20, 20, 30, 30};
        for (int i = 0; i < 6; i++) CHECK_MSG(y[i] == w[i], "%d: %lld", i, (long long)y[i]);
    }
    tout_free(&o);
}

static void test_resize_linear(void) {
    float x[4] = {1, 2, 3, 4};
    int64_t d[4] = {1, 1, 2, 2};
    int64_t sz[4] = {1, 1, 4, 4};
    tin ins[4] = {f32in(4, d, x), ABSENT, ABSENT, i64const(4, sz)};
    tattr at[] = {A_STR("mode", "linear"), {0}};
    tout o = {0};
    CHECK_OK(run_op("Resize", 13, 4, ins, at, &o));
    if (o.n) {
        /* half_pixel: rows at -0.25, 0.25, 0.75, 1.25 -> clamped weights */
        float w[16] = {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f,
                       2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4};
        check_f32(&o.t[0], w, 16, 1e-6f);
    }
    tout_free(&o);
    tattr ac[] = {A_STR("mode", "linear"), A_STR("coordinate_transformation_mode", "align_corners"), {0}};
    int64_t sz3[4] = {1, 1, 3, 3};
    ins[3] = i64const(4, sz3);
    CHECK_OK(run_op("Resize", 13, 4, ins, ac, &o));
    if (o.n) {
        float w[9] = {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4};
        check_f32(&o.t[0], w, 9, 1e-6f);
    }
    tout_free(&o);
}

/* layout=NHWC with 2-value sizes equals NCHW resize transposed. */
static void test_resize_nhwc(void) {
    enum { N = 1, C = 3, H = 5, W = 4 };
    float x[N * C * H * W], xt[N * C * H * W];
    for (int i = 0; i < N * C * H * W; i++) x[i] = frand();
    to_nhwc(x, xt, N, C, H, W);
    int64_t dn[4] = {N, C, H, W}, dt[4] = {N, H, W, C};
    int64_t szn[4] = {N, C, 8, 7}, szt[2] = {8, 7};
    const char *modes[3] = {"nearest", "linear", "cubic"};
    for (int m = 0; m < 3; m++) {
        tin a[4] = {f32in(4, dn, x), ABSENT, ABSENT, i64const(4, szn)};
        tin b[4] = {f32in(4, dt, xt), ABSENT, ABSENT, i64const(2, szt)};
        tattr an[] = {A_STR("mode", modes[m]), {0}};
        tattr ah[] = {A_STR("mode", modes[m]), A_STR("layout", "NHWC"), {0}};
        tout o1 = {0}, o2 = {0};
        CHECK_OK(run_op("Resize", 13, 4, a, an, &o1));
        CHECK_OK(run_op("Resize", 13, 4, b, ah, &o2));
        if (o1.n && o2.n) {
            int64_t od[4] = {N, 8, 7, C};
            check_shape(&o2.t[0], 4, od);
            float tr[N * C * 8 * 7];
            to_nhwc(o1.t[0].data, tr, N, C, 8, 7);
            check_f32(&o2.t[0], tr, N * C * 8 * 7, 1e-6f);
        }
        tout_free(&o1);
        tout_free(&o2);
    }
}

/* Separable: resizing both axes at once (one shrinking, one growing, so the passes run in
 * the opposite order to the axes) equals resizing one axis after the other. */
static void test_resize_mixed(void) {
    enum { H = 6, W = 40, OH = 25, OW = 7 };
    float x[H * W];
    for (int i = 0; i < H * W; i++) x[i] = frand();
    int64_t d[4] = {1, 1, H, W}, both[4] = {1, 1, OH, OW}, honly[4] = {1, 1, OH, W};
    const char *modes[2] = {"linear", "cubic"};
    for (int m = 0; m < 2; m++) {
        tattr at[] = {A_STR("mode", modes[m]), {0}};
        tin a[4] = {f32in(4, d, x), ABSENT, ABSENT, i64const(4, both)};
        tin h1[4] = {f32in(4, d, x), ABSENT, ABSENT, i64const(4, honly)};
        tout o = {0}, oh = {0}, ow = {0};
        CHECK_OK(run_op("Resize", 13, 4, a, at, &o));
        CHECK_OK(run_op("Resize", 13, 4, h1, at, &oh));
        if (oh.n) {
            int64_t dh[4] = {1, 1, OH, W};
            tin w1[4] = {f32in(4, dh, oh.t[0].data), ABSENT, ABSENT, i64const(4, both)};
            CHECK_OK(run_op("Resize", 13, 4, w1, at, &ow));
        }
        if (o.n && ow.n) check_f32(&o.t[0], ow.t[0].data, OH * OW, 1e-5f);
        tout_free(&o);
        tout_free(&oh);
        tout_free(&ow);
    }
}

static void test_resize_errors(void) {
    float x[4] = {1, 2, 3, 4};
    int64_t d[4] = {1, 1, 2, 2};
    float sc[4] = {1, 1, 2, 2}, bad[4] = {1, 1, -2, 2}, huge[4] = {1, 1, 1e9f, 1e9f};
    tout o = {0};
    tin ins[3] = {f32in(4, d, x), ABSENT, f32const(4, sc)};
    tattr aa[] = {A_INT("antialias", 1), A_STR("mode", "linear"), {0}};
    CHECK(run_op("Resize", 18, 3, ins, aa, &o) == FSIFT_E_UNSUPPORTED);
    tattr am[] = {A_STR("mode", "lanczos"), {0}};
    CHECK(run_op("Resize", 13, 3, ins, am, &o) == FSIFT_E_UNSUPPORTED);
    ins[2] = f32const(4, bad);
    CHECK(run_op("Resize", 13, 3, ins, NULL, &o) != FSIFT_OK);
    ins[2] = f32const(4, huge);
    CHECK(run_op("Resize", 13, 3, ins, NULL, &o) != FSIFT_OK);
    ins[2] = f32const(3, sc);
    CHECK(run_op("Resize", 13, 3, ins, NULL, &o) == FSIFT_E_SHAPE);
    tin dyn[3] = {f32in(4, d, x), ABSENT, {FSIFT_DTYPE_FLOAT32, 1, {4}, sc, 0}};
    CHECK_OK(run_op("Resize", 13, 3, dyn, NULL, &o)); /* scales as a graph input */
    if (o.n) CHECK(o.t[0].dims[2] == 4 && o.t[0].dims[3] == 4);
    tout_free(&o);
}

/* ---- pad ---------------------------------------------------------------------------------- */

static void test_pad_modes(void) {
    float x[6] = {1, 2, 3, 4, 5, 6};
    int64_t d[2] = {2, 3}, pads[4] = {0, 2, 1, 1};
    float cv[1] = {9};
    tin ins[3] = {f32in(2, d, x), i64const(4, pads), {FSIFT_DTYPE_FLOAT32, 0, {0}, cv, 1}};
    tout o = {0};
    CHECK_OK(run_op("Pad", 13, 3, ins, NULL, &o));
    if (o.n) {
        int64_t od[2] = {3, 6};
        check_shape(&o.t[0], 2, od);
        float w[18] = {9, 9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9, 9, 9, 9, 9, 9, 9};
        check_f32(&o.t[0], w, 18, 0);
    }
    tout_free(&o);
    tattr ar[] = {A_STR("mode", "reflect"), {0}};
    CHECK_OK(run_op("Pad", 13, 2, ins, ar, &o));
    if (o.n) {
        float w[18] = {3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2};
        check_f32(&o.t[0], w, 18, 0);
    }
    tout_free(&o);
    tattr ae[] = {A_STR("mode", "edge"), {0}};
    CHECK_OK(run_op("Pad", 13, 2, ins, ae, &o));
    if (o.n) {
        float w[18] = {1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6, 4, 4, 4, 5, 6, 6};
        check_f32(&o.t[0], w, 18, 0);
    }
    tout_free(&o);
    /* wrap (opset 19) */
    int64_t pw[4] = {0, 2, 0, 1};
    tin iw[2] = {f32in(2, d, x), i64const(4, pw)};
    tattr aw[] = {A_STR("mode", "wrap"), {0}};
    CHECK_OK(run_op("Pad", 19, 2, iw, aw, &o));
    if (o.n) {
        float w[12] = {2, 3, 1, 2, 3, 1, 5, 6, 4, 5, 6, 4};
        check_f32(&o.t[0], w, 12, 0);
    }
    tout_free(&o);
    /* negative pads crop; opset 10 attributes */
    int64_t crop[4] = {0, -1, 0, 1};
    tattr a10[] = {A_INTS("pads", crop), A_FLOAT("value", -1.f), {0}};
    CHECK_OK(run_op("Pad", 10, 1, ins, a10, &o));
    if (o.n) {
        float w[6] = {2, 3, -1, 5, 6, -1};
        check_f32(&o.t[0], w, 6, 0);
    }
    tout_free(&o);
    /* opset 18 axes input, int64 data */
    int64_t xi[6] = {1, 2, 3, 4, 5, 6}, ax[1] = {-1}, p1[2] = {1, 0};
    tin i18[4] = {{FSIFT_DTYPE_INT64, 2, {2, 3}, xi, 0}, i64const(2, p1), ABSENT, i64const(1, ax)};
    CHECK_OK(run_op("Pad", 18, 4, i18, NULL, &o));
    if (o.n) {
        CHECK(o.t[0].dtype == FSIFT_DTYPE_INT64 && o.t[0].dims[1] == 4);
        const int64_t *y = o.t[0].data;
        int64_t w[8] = {0, 1, 2, 3, 0, 4, 5, 6};
        for (int i = 0; i < 8; i++) CHECK(y[i] == w[i]);
    }
    tout_free(&o);
    /* errors */
    int64_t neg[4] = {0, -5, 0, 0};
    ins[1] = i64const(4, neg);
    CHECK(run_op("Pad", 13, 2, ins, NULL, &o) == FSIFT_E_SHAPE);
    ins[1] = i64const(3, pads);
    CHECK(run_op("Pad", 13, 2, ins, NULL, &o) == FSIFT_E_SHAPE);
    tout_free(&o);
}

/* ---- threads ------------------------------------------------------------------------------ */

/* Results with 1 and 3 workers are identical (each output is computed by one worker). */
static void test_threads_agree(void) {
    enum { N = 2, C = 16, H = 20, W = 20 };
    static float x[N * C * H * W];
    for (int i = 0; i < N * C * H * W; i++) x[i] = frand();
    int64_t d[4] = {N, C, H, W}, ks[2] = {3, 3}, st[2] = {2, 2}, ax[2] = {2, 3};
    tin in = f32in(4, d, x);
    struct {
        const char *op;
        tattr at[3];
    } cases[] = {
        {"MaxPool", {A_INTS("kernel_shape", ks), A_INTS("strides", st), {0}}},
        {"AveragePool", {A_INTS("kernel_shape", ks), A_INTS("strides", st), {0}}},
        {"Softmax", {A_INT("axis", 1), {0}}},
        {"ReduceMean", {A_INTS("axes", ax), {0}}},
        {"LpNormalization", {A_INT("axis", 1), {0}}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tout o1 = {0}, o3 = {0};
        CHECK_OK(run_op_t(cases[c].op, 13, 1, &in, cases[c].at, 1, NULL, 1, &o1));
        CHECK_OK(run_op_t(cases[c].op, 13, 1, &in, cases[c].at, 1, NULL, 3, &o3));
        if (o1.n && o3.n) {
            int64_t n = fsift_tensor_numel(&o1.t[0]);
            CHECK_MSG(memcmp(o1.t[0].data, o3.t[0].data, (size_t)n * 4) == 0, "%s", cases[c].op);
        }
        tout_free(&o1);
        tout_free(&o3);
    }
}

int main(void) {
    RUN(test_maxpool_basic);
    RUN(test_maxpool_ceil_mode);
    RUN(test_maxpool_same_and_indices);
    RUN(test_avgpool_pads);
    RUN(test_pool_activation);
    RUN(test_pool_nhwc);
    RUN(test_global_pools);
    RUN(test_pool_errors);
    RUN(test_batchnorm);
    RUN(test_instancenorm);
    RUN(test_layernorm);
    RUN(test_lpnorm);
    RUN(test_softmax_axes);
    RUN(test_softmax_long);
    RUN(test_reduce_patterns);
    RUN(test_reduce_attrs);
    RUN(test_argmax);
    RUN(test_resize_nearest);
    RUN(test_resize_linear);
    RUN(test_resize_nhwc);
    RUN(test_resize_mixed);
    RUN(test_resize_errors);
    RUN(test_pad_modes);
    RUN(test_threads_agree);
    return test_summary();
}
