/*
 * test_optimize.c — the load-time graph optimiser (src/nn/optimize.c) and the fused epilogues
 * it relies on (PRELU slopes and the Conv residual input in conv.c and the GEMM/conv tiles).
 *
 * Graph tests: each case is a small graph made with the graph.h builder, built twice from the
 * same seed and finalized once with fusion and once with FSIFT_NO_FUSE=1 (the environment
 * variable is read by each nn_graph_finalize, so both run in this process). The fused graph
 * must have the expected number of nodes, and every output must match the unfused graph's
 * within max|a-b| <= 1e-5 * max(1, max|b|) on random inputs, at 1 and 2 threads. Positive
 * cases cover each rule (BatchNormalization / Mul / Add folds into Conv and Gemm; Relu, Clip,
 * LeakyRelu and PRelu into Conv, Gemm and MatMul; residual Adds of the output's shape, of a
 * shape that broadcasts into it, and of one that enlarges it; both TFLite PReLU spellings;
 * the written-out softmax); negative cases (an intermediate used twice or a graph output,
 * non-constant BN parameters, Clip(0, 5), slopes that are not per-channel, a Conv that already
 * has an activation, patterns with the wrong operand or axis) must leave the graph alone.
 *
 * Kernel tests: a Conv node carrying a residual input and a fused activation (PRELU, RELU6,
 * TANH, none) is run through infer/run at every CPU level this machine has, on shapes that
 * take each algorithm (direct tiles, 1×1 flat rows, packed GEMM, NCHW and NHWC indirect tiles,
 * depthwise, grouped), against a naive convolution + bias + residual + activation. Gemm and
 * MatMul with PRELU likewise, including M = 1 (the row-vector kernel).
 */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/facesift.h"
#include "harness.h"
#include "kernel_harness.h"
#include "nn/exec.h"
#include "nn/graph.h"
#include "nn/kernels/conv_impl.h"

static uint64_t rng;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static float runi(float lo, float hi) { return lo + (hi - lo) * (float)((double)(rnd() % 1000001) / 1000000.0); }

#define DIMS(...) (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__}

/* ---- a tiny graph builder ------------------------------------------------------------------ */

typedef struct gb {
    nn_graph *g;
} gb;

static int gval(gb *b, const char *name) {
    int i = -1;
    CHECK_OK(nn_graph_value(b->g, name, &i));
    return i;
}

static int ginput(gb *b, const char *name, int rank, const int64_t *dims) {
    int v = gval(b, name);
    CHECK_OK(nn_graph_add_input(b->g, v, FSIFT_DTYPE_FLOAT32, rank, dims, NULL));
    return v;
}

static int gconstv(gb *b, const char *name, int rank, const int64_t *dims, const float *data) {
    int v = -1;
    int64_t n = nn_numel(rank, dims);
    CHECK_OK(nn_graph_add_const(b->g, name, FSIFT_DTYPE_FLOAT32, rank, dims, data, (size_t)n * 4, &v));
    return v;
}

static int gconst(gb *b, const char *name, int rank, const int64_t *dims, float lo, float hi) {
    int64_t n = nn_numel(rank, dims);
    float *d = malloc((size_t)(n + 1) * 4);
    for (int64_t i = 0; i < n; i++) d[i] = runi(lo, hi);
    int v = gconstv(b, name, rank, dims, d);
    free(d);
    return v;
}

static int gconst_i64(gb *b, const char *name, int64_t val) {
    int v = -1;
    int64_t d[1] = {1};
    CHECK_OK(nn_graph_add_const(b->g, name, FSIFT_DTYPE_INT64, 1, d, &val, 8, &v));
    return v;
}

static int gscalar(gb *b, const char *name, float val) {
    int v = -1;
    CHECK_OK(nn_graph_add_const(b->g, name, FSIFT_DTYPE_FLOAT32, 0, NULL, &val, 4, &v));
    return v;
}

/* Adds node op(in...) -> value `out`; returns the node index. */
static int gnode(gb *b, const char *op, const char *out, int n_in, const int *in) {
    int o = gval(b, out), ni = -1;
    char name[64];
    snprintf(name, sizeof name, "%s_%s", op, out);
    CHECK_OK(nn_graph_add_node(b->g, op, "", name, n_in, in, 1, &o, &ni));
    return ni;
}
#define NODE(b, op, out, ...) gnode(b, op, out, (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)), (int[]){__VA_ARGS__})

static void gout(gb *b, const char *name) { CHECK_OK(nn_graph_add_output(b->g, gval(b, name))); }

static void set_ints(gb *b, int ni, const char *name, int n, const int64_t *v) {
    CHECK_OK(nn_node_set_ints(b->g, ni, name, v, n));
}
static void set_str(gb *b, int ni, const char *name, const char *s) {
    CHECK_OK(nn_node_set_string(b->g, ni, name, s, strlen(s)));
}

/* Conv: x -> out, weight [M, C/group, k, k] (NHWC: [M, k, k, C/group]), optional bias. */
static int gconv(gb *b, const char *x, const char *out, int64_t C, int64_t M, int64_t k, int64_t group, int bias,
                 int nhwc, int64_t pad) {
    char wn[64], bn[64];
    snprintf(wn, sizeof wn, "%s_w", out);
    snprintf(bn, sizeof bn, "%s_b", out);
    int w = nhwc ? gconst(b, wn, DIMS(M, k, k, C / group), -0.5f, 0.5f) : gconst(b, wn, DIMS(M, C / group, k, k), -0.5f, 0.5f);
    int bv = bias ? gconst(b, bn, DIMS(M), -0.3f, 0.3f) : -1;
    int ins[3] = {gval(b, x), w, bv};
    int ni = gnode(b, "Conv", out, bias ? 3 : 2, ins);
    set_ints(b, ni, "pads", 4, (int64_t[]){pad, pad, pad, pad});
    if (group != 1) CHECK_OK(nn_node_set_int(b->g, ni, "group", group));
    if (nhwc) set_str(b, ni, "layout", "NHWC");
    return ni;
}

static int gbn(gb *b, const char *x, const char *out, int64_t M, int nhwc) {
    char n[4][64];
    const char *sfx[4] = {"s", "b", "m", "v"};
    int v[4];
    for (int i = 0; i < 4; i++) snprintf(n[i], sizeof n[i], "%s_%s", out, sfx[i]);
    v[0] = gconst(b, n[0], DIMS(M), 0.5f, 1.5f);
    v[1] = gconst(b, n[1], DIMS(M), -0.2f, 0.2f);
    v[2] = gconst(b, n[2], DIMS(M), -0.2f, 0.2f);
    v[3] = gconst(b, n[3], DIMS(M), 0.5f, 2.0f);
    int ni = NODE(b, "BatchNormalization", out, gval(b, x), v[0], v[1], v[2], v[3]);
    CHECK_OK(nn_node_set_float(b->g, ni, "epsilon", 1e-3f));
    if (nhwc) set_str(b, ni, "layout", "NHWC");
    return ni;
}

/* ---- building, running and comparing ------------------------------------------------------- */

typedef void (*build_fn)(gb *b);

typedef struct run_out {
    int n_nodes, n_out;
    fsift_tensor out[8];
    char ops[256];
} run_out;

static void run_free(run_out *r) {
    for (int i = 0; i < r->n_out; i++) free(r->out[i].data);
    memset(r, 0, sizeof *r);
}

/* Builds (seeded), finalizes with or without fusion, runs on seeded random inputs. */
static int build_run(build_fn f, int opset, int fuse, int nthreads, run_out *r) {
    memset(r, 0, sizeof *r);
    rng = 0x9E3779B97F4A7C15ull;
    nn_graph *g = NULL;
    CHECK_OK(nn_graph_new(&g));
    g->opset = opset;
    g->format = FSIFT_MODEL_ONNX;
    gb b = {g};
    f(&b);
    if (fuse) unsetenv("FSIFT_NO_FUSE");
    else setenv("FSIFT_NO_FUSE", "1", 1);
    fsift_status st = nn_graph_finalize(g);
    unsetenv("FSIFT_NO_FUSE");
    CHECK_MSG(st == FSIFT_OK, "finalize: %s", fsift_last_error());
    if (st) {
        nn_graph_free(g);
        return 0;
    }
    fsift_model *m = NULL;
    CHECK_OK(nn_model_from_graph(g, &m));
    if (!m) return 0;
    r->n_nodes = m->g->n_nodes;
    size_t ol = 0;
    for (int i = 0; i < m->g->n_nodes && ol + 40 < sizeof r->ops; i++)
        ol += (size_t)snprintf(r->ops + ol, sizeof r->ops - ol, "%s%s", i ? " " : "", m->g->nodes[i].op_type);
    fsift_session *s = NULL;
    CHECK_OK(fsift_session_new(m, nthreads, &s));
    int nin = fsift_model_num_inputs(m);
    fsift_tensor in[8];
    rng = 0x243F6A8885A308D3ull;
    for (int i = 0; i < nin && i < 8; i++) {
        fsift_io_info info;
        CHECK_OK(fsift_model_input(m, i, &info));
        in[i].dtype = FSIFT_DTYPE_FLOAT32;
        in[i].rank = info.rank;
        memcpy(in[i].dims, info.dims, sizeof info.dims);
        int64_t n = fsift_tensor_numel(&in[i]);
        float *d = malloc((size_t)(n + 1) * 4);
        for (int64_t k = 0; k < n; k++) d[k] = runi(-2.f, 2.f);
        in[i].data = d;
    }
    st = s ? fsift_session_run(s, in, nin) : FSIFT_E_INTERNAL;
    CHECK_MSG(st == FSIFT_OK, "run: %s", fsift_last_error());
    if (!st) {
        r->n_out = fsift_model_num_outputs(m);
        for (int i = 0; i < r->n_out && i < 8; i++) {
            fsift_tensor o;
            CHECK_OK(fsift_session_output(s, i, &o));
            r->out[i] = o;
            size_t nb = (size_t)fsift_tensor_numel(&o) * fsift_dtype_size(o.dtype);
            r->out[i].data = malloc(nb + 4);
            memcpy(r->out[i].data, o.data, nb);
        }
    }
    for (int i = 0; i < nin && i < 8; i++) free(in[i].data);
    fsift_session_free(s);
    fsift_model_free(m);
    return st == FSIFT_OK;
}

/* When set, the fused graph's node types in order (space-separated) must equal it. */
static const char *expect_ops;

/* Runs a case fused and unfused; checks node counts (-1: don't check) and outputs. */
static void check_case(const char *name, build_fn f, int opset, int want_fused, int want_plain) {
    for (int nth = 1; nth <= 2; nth++) {
        run_out a, b;
        int oka = build_run(f, opset, 1, nth, &a), okb = build_run(f, opset, 0, nth, &b);
        if (oka && okb) {
            if (nth == 1) {
                if (want_fused >= 0)
                    CHECK_MSG(a.n_nodes == want_fused, "%s: %d nodes fused (%s), expected %d", name, a.n_nodes, a.ops,
                              want_fused);
                if (want_plain >= 0)
                    CHECK_MSG(b.n_nodes == want_plain, "%s: %d nodes unfused (%s), expected %d", name, b.n_nodes,
                              b.ops, want_plain);
            }
            if (nth == 1 && expect_ops)
                CHECK_MSG(!strcmp(a.ops, expect_ops), "%s: fused ops '%s', expected '%s'", name, a.ops, expect_ops);
            CHECK_MSG(a.n_out == b.n_out, "%s: %d vs %d outputs", name, a.n_out, b.n_out);
            for (int i = 0; i < a.n_out && i < b.n_out; i++) {
                const fsift_tensor *x = &a.out[i], *y = &b.out[i];
                int same = x->rank == y->rank && x->dtype == y->dtype;
                for (int d = 0; same && d < x->rank; d++) same = x->dims[d] == y->dims[d];
                CHECK_MSG(same, "%s: output %d shapes differ", name, i);
                if (!same) continue;
                int64_t n = fsift_tensor_numel(x);
                double e = 0, mx = 1;
                const float *p = x->data, *q = y->data;
                for (int64_t k = 0; k < n; k++) {
                    double d = fabs((double)p[k] - q[k]);
                    if (!(d <= e)) e = d;
                    if (fabs(q[k]) > mx) mx = fabs(q[k]);
                }
                CHECK_MSG(e <= 1e-5 * mx, "%s (%d threads): output %d differs by %g (max %g)", name, nth, i, e, mx);
            }
        }
        if (nth == 1 && oka && strncmp(name, "random", 6)) fprintf(stderr, "  %-28s fused: %s\n", name, a.ops);
        run_free(&a);
        run_free(&b);
    }
    expect_ops = NULL;
}

/* ---- positive cases ---------------------------------------------------------------------- */

static void b_conv_bn_relu(gb *b) {
    ginput(b, "x", DIMS(1, 3, 9, 11));
    gconv(b, "x", "c", 3, 8, 3, 1, 1, 0, 1);
    gbn(b, "c", "bn", 8, 0);
    NODE(b, "Relu", "y", gval(b, "bn"));
    gout(b, "y");
}

static void b_conv_nobias_bn_clip6(gb *b) {
    ginput(b, "x", DIMS(2, 7, 6, 5));
    gconv(b, "x", "c", 5, 6, 3, 1, 0, 1, 1);
    gbn(b, "c", "bn", 6, 1);
    NODE(b, "Clip", "y", gval(b, "bn"), gscalar(b, "lo", 0.f), gscalar(b, "hi", 6.f));
    gout(b, "y");
}

static void b_clip_attrs(gb *b) { /* opset 10: Clip bounds as attributes */
    ginput(b, "x", DIMS(1, 4, 8, 8));
    gconv(b, "x", "c", 4, 8, 3, 1, 1, 0, 1);
    int n = NODE(b, "Clip", "y", gval(b, "c"));
    CHECK_OK(nn_node_set_float(b->g, n, "min", 0.f));
    CHECK_OK(nn_node_set_float(b->g, n, "max", 6.f));
    gout(b, "y");
}

static void b_leaky(gb *b) {
    ginput(b, "x", DIMS(1, 4, 8, 9));
    gconv(b, "x", "c", 4, 8, 3, 1, 1, 0, 1);
    int n = NODE(b, "LeakyRelu", "y", gval(b, "c"));
    CHECK_OK(nn_node_set_float(b->g, n, "alpha", 0.2f));
    gout(b, "y");
}

static void b_conv_bn_prelu(gb *b) { /* IResNet: Conv → BN → PRelu [M,1,1] */
    ginput(b, "x", DIMS(2, 6, 10, 7));
    gconv(b, "x", "c", 6, 16, 3, 1, 0, 0, 1);
    gbn(b, "c", "bn", 16, 0);
    NODE(b, "PRelu", "y", gval(b, "bn"), gconst(b, "slope", DIMS(16, 1, 1), 0.1f, 0.3f));
    gout(b, "y");
}

static void b_gemm_bn_prelu(gb *b) {
    ginput(b, "x", DIMS(3, 20));
    int n = NODE(b, "Gemm", "g", gval(b, "x"), gconst(b, "w", DIMS(16, 20), -0.5f, 0.5f),
                 gconst(b, "c", DIMS(16), -0.1f, 0.1f));
    CHECK_OK(nn_node_set_int(b->g, n, "transB", 1));
    CHECK_OK(nn_node_set_float(b->g, n, "alpha", 0.7f));
    CHECK_OK(nn_node_set_float(b->g, n, "beta", 1.3f));
    gbn(b, "g", "bn", 16, 0);
    NODE(b, "PRelu", "y", gval(b, "bn"), gconst(b, "slope", DIMS(16), 0.1f, 0.3f));
    gout(b, "y");
}

static void b_gemm_add_relu(gb *b) { /* Gemm without C, then a bias Add */
    ginput(b, "x", DIMS(2, 9));
    NODE(b, "Gemm", "g", gval(b, "x"), gconst(b, "w", DIMS(9, 12), -0.5f, 0.5f));
    NODE(b, "Add", "a", gval(b, "g"), gconst(b, "bias", DIMS(1, 12), -0.5f, 0.5f));
    NODE(b, "Relu", "y", gval(b, "a"));
    gout(b, "y");
}

static void b_matmul_prelu(gb *b) { /* MatMul → PRelu; MatMul → Add(bias) → Relu; 1-D A */
    ginput(b, "x", DIMS(2, 3, 20));
    NODE(b, "MatMul", "m", gval(b, "x"), gconst(b, "w", DIMS(20, 12), -0.5f, 0.5f));
    NODE(b, "PRelu", "y", gval(b, "m"), gconst(b, "slope", DIMS(12), -0.3f, 0.3f));
    NODE(b, "MatMul", "m2", gval(b, "y"), gconst(b, "w2", DIMS(12, 5), -0.5f, 0.5f));
    NODE(b, "Add", "a2", gconst(b, "bias2", DIMS(5), -0.5f, 0.5f), gval(b, "m2"));
    NODE(b, "Relu", "y2", gval(b, "a2"));
    gout(b, "y2");
    ginput(b, "v", DIMS(7));
    NODE(b, "MatMul", "m3", gval(b, "v"), gconst(b, "w3", DIMS(7, 4), -0.5f, 0.5f));
    NODE(b, "Add", "y3", gval(b, "m3"), gconst(b, "bias3", DIMS(4), -0.5f, 0.5f));
    gout(b, "y3");
}

static void n_matmul_bias_2d(gb *b) { /* [1,N] could enlarge a 1-D product: not folded */
    ginput(b, "v", DIMS(7));
    NODE(b, "MatMul", "m", gval(b, "v"), gconst(b, "w", DIMS(7, 4), -0.5f, 0.5f));
    NODE(b, "Add", "y", gval(b, "m"), gconst(b, "bias", DIMS(1, 4), -0.5f, 0.5f));
    gout(b, "y");
}

static void b_residual_relu(gb *b) { /* Conv → Add(conv, r) → Relu, and Add(r, conv) → PRelu */
    ginput(b, "x", DIMS(1, 8, 10, 12));
    ginput(b, "r", DIMS(1, 16, 10, 12));
    gconv(b, "x", "c", 8, 16, 3, 1, 1, 0, 1);
    NODE(b, "Add", "a", gval(b, "c"), gval(b, "r"));
    NODE(b, "Relu", "y", gval(b, "a"));
    gconv(b, "y", "c2", 16, 16, 1, 1, 1, 0, 0);
    NODE(b, "Add", "a2", gval(b, "y"), gval(b, "c2"));
    NODE(b, "PRelu", "y2", gval(b, "a2"), gconst(b, "slope", DIMS(1, 16, 1, 1), 0.1f, 0.3f));
    gout(b, "y2");
}

static void b_residual_deep(gb *b) { /* >= 128 channels: NCHW indirect tiles */
    ginput(b, "x", DIMS(1, 128, 7, 7));
    gconv(b, "x", "c", 128, 64, 3, 1, 1, 0, 1);
    gconv(b, "x", "d", 128, 64, 1, 1, 1, 0, 0);
    NODE(b, "Add", "a", gval(b, "c"), gval(b, "d"));
    NODE(b, "Relu", "y", gval(b, "a"));
    gout(b, "y");
}

static void b_residual_nhwc_dw(gb *b) { /* NHWC pointwise + residual; depthwise + PRelu */
    ginput(b, "x", DIMS(2, 5, 7, 16));
    gconv(b, "x", "c", 16, 16, 1, 1, 1, 1, 0);
    NODE(b, "Add", "a", gval(b, "c"), gval(b, "x"));
    gconv(b, "a", "d", 16, 16, 3, 16, 1, 1, 1);
    NODE(b, "PRelu", "y", gval(b, "d"), gconst(b, "slope", DIMS(16), 0.1f, 0.3f));
    gconv(b, "y", "e", 16, 16, 3, 16, 1, 1, 1);
    NODE(b, "Add", "a2", gval(b, "e"), gval(b, "y"));
    NODE(b, "Relu", "y2", gval(b, "a2"));
    gout(b, "y2");
}

static void b_residual_dw_nchw(gb *b) {
    ginput(b, "x", DIMS(1, 12, 9, 13));
    gconv(b, "x", "d", 12, 12, 3, 12, 1, 0, 1);
    NODE(b, "Add", "a", gval(b, "x"), gval(b, "d"));
    NODE(b, "LeakyRelu", "y", gval(b, "a"));
    gout(b, "y");
}

static void b_residual_bcast(gb *b) {
    ginput(b, "x", DIMS(1, 4, 5, 6));
    ginput(b, "r1", DIMS(8, 1, 1));     /* broadcasts into the output */
    ginput(b, "r2", DIMS(2, 8, 5, 6));  /* enlarges it (batch 1 → 2) */
    gconv(b, "x", "c", 4, 8, 3, 1, 1, 0, 1);
    NODE(b, "Add", "a", gval(b, "c"), gval(b, "r1"));
    NODE(b, "Relu", "y1", gval(b, "a"));
    gconv(b, "x", "c2", 4, 8, 3, 1, 1, 0, 1);
    NODE(b, "Add", "a2", gval(b, "r2"), gval(b, "c2"));
    NODE(b, "PRelu", "y2", gval(b, "a2"), gconst(b, "slope", DIMS(8, 1, 1), 0.1f, 0.3f));
    gout(b, "y1");
    gout(b, "y2");
}

/* TFLite MobileFaceNet: relu(x) + C * (x - |x|) */
static void b_tfl_prelu_abs(gb *b) {
    ginput(b, "x", DIMS(2, 6, 7, 8));
    gconv(b, "x", "c", 8, 12, 3, 1, 1, 1, 1);
    int c = gval(b, "c");
    NODE(b, "Relu", "r", c);
    NODE(b, "Abs", "ab", c);
    NODE(b, "Sub", "s", c, gval(b, "ab"));
    NODE(b, "Mul", "m", gconst(b, "alpha", DIMS(12), 0.05f, 0.15f), gval(b, "s"));
    NODE(b, "Add", "y", gval(b, "r"), gval(b, "m"));
    gout(b, "y");
}

/* TFLite MTCNN: relu(x) + C * -relu(-x), on an NHWC Conv and on a Gemm; and relu(x) +
 * C * relu(-x) with C = -alpha on an NCHW Conv (C shaped [M,1,1]) */
static void b_tfl_prelu_neg(gb *b) {
    ginput(b, "x", DIMS(1, 9, 9, 3));
    gconv(b, "x", "c", 3, 10, 3, 1, 1, 1, 0);
    int c = gval(b, "c");
    NODE(b, "Relu", "r", c);
    NODE(b, "Neg", "n1", c);
    NODE(b, "Relu", "r2", gval(b, "n1"));
    NODE(b, "Neg", "n2", gval(b, "r2"));
    NODE(b, "Mul", "m", gconst(b, "alpha", DIMS(10), 0.1f, 0.3f), gval(b, "n2"));
    NODE(b, "Add", "y", gval(b, "r"), gval(b, "m"));
    NODE(b, "Reshape", "f", gval(b, "y"), gconst_i64(b, "shape", -1));
    gout(b, "y");
    ginput(b, "v", DIMS(2, 30));
    int n = NODE(b, "Gemm", "g", gval(b, "v"), gconst(b, "w", DIMS(16, 30), -0.3f, 0.3f), gconst(b, "gb", DIMS(16), -0.1f, 0.1f));
    CHECK_OK(nn_node_set_int(b->g, n, "transB", 1));
    int gv = gval(b, "g");
    NODE(b, "Relu", "gr", gv);
    NODE(b, "Neg", "gn1", gv);
    NODE(b, "Relu", "gr2", gval(b, "gn1"));
    NODE(b, "Neg", "gn2", gval(b, "gr2"));
    NODE(b, "Mul", "gm", gval(b, "gn2"), gconst(b, "galpha", DIMS(16), 0.1f, 0.3f));
    NODE(b, "Add", "gy", gval(b, "gm"), gval(b, "gr"));
    gout(b, "gy");
    ginput(b, "u", DIMS(1, 3, 6, 6));
    gconv(b, "u", "k", 3, 5, 3, 1, 1, 0, 1);
    int k = gval(b, "k");
    NODE(b, "Relu", "kr", k);
    NODE(b, "Neg", "kn1", k);
    NODE(b, "Relu", "kr2", gval(b, "kn1"));
    NODE(b, "Mul", "km", gconst(b, "kalpha", DIMS(5, 1, 1), -0.3f, -0.1f), gval(b, "kr2"));
    NODE(b, "Add", "ky", gval(b, "kr"), gval(b, "km"));
    gout(b, "ky");
}

/* Written-out softmax over a Gemm's rows (axes attribute / input) and an NHWC Conv's channels */
static void b_softmax(gb *b) {
    ginput(b, "x", DIMS(3, 10));
    int n = NODE(b, "Gemm", "g", gval(b, "x"), gconst(b, "w", DIMS(10, 6), -1.f, 1.f));
    (void)n;
    int g = gval(b, "g");
    n = NODE(b, "ReduceMax", "mx", g);
    set_ints(b, n, "axes", 1, (int64_t[]){1});
    NODE(b, "Sub", "d", g, gval(b, "mx"));
    NODE(b, "Exp", "e", gval(b, "d"));
    NODE(b, "ReduceSum", "s", gval(b, "e"), gconst_i64(b, "ax", -1));
    NODE(b, "Div", "y", gval(b, "e"), gval(b, "s"));
    gout(b, "y");
    ginput(b, "u", DIMS(1, 4, 5, 3));
    gconv(b, "u", "c", 3, 2, 1, 1, 1, 1, 0);
    int c = gval(b, "c");
    n = NODE(b, "ReduceMax", "cmx", c);
    set_ints(b, n, "axes", 1, (int64_t[]){3});
    NODE(b, "Sub", "cd", c, gval(b, "cmx"));
    NODE(b, "Exp", "ce", gval(b, "cd"));
    NODE(b, "ReduceSum", "cs", gval(b, "ce"), gconst_i64(b, "cax", 3));
    NODE(b, "Div", "cy", gval(b, "ce"), gval(b, "cs"));
    gout(b, "cy");
}

static void b_affine(gb *b) { /* Conv (no bias) → Mul(scalar) → Add([M,1,1]) → Relu */
    ginput(b, "x", DIMS(1, 3, 8, 8));
    gconv(b, "x", "c", 3, 6, 3, 1, 0, 0, 1);
    NODE(b, "Mul", "m", gval(b, "c"), gscalar(b, "k", 1.7f));
    NODE(b, "Add", "a", gconst(b, "bias", DIMS(6, 1, 1), -0.5f, 0.5f), gval(b, "m"));
    NODE(b, "Relu", "y", gval(b, "a"));
    gout(b, "y");
}

static void test_positive(void) {
    check_case("conv_bn_relu", b_conv_bn_relu, 13, 1, 3);
    check_case("conv_nobias_bn_clip6 (NHWC)", b_conv_nobias_bn_clip6, 13, 1, 3);
    check_case("clip_attrs (opset 10)", b_clip_attrs, 10, 1, 2);
    check_case("leaky", b_leaky, 13, 1, 2);
    check_case("conv_bn_prelu", b_conv_bn_prelu, 13, 1, 3);
    check_case("gemm_bn_prelu", b_gemm_bn_prelu, 13, 1, 3);
    check_case("gemm_add_relu", b_gemm_add_relu, 13, 1, 3);
    check_case("matmul_prelu", b_matmul_prelu, 13, 3, 7);
    expect_ops = "Conv Conv";
    check_case("residual_relu", b_residual_relu, 13, 2, 6);
    check_case("residual_deep", b_residual_deep, 13, 2, 4);
    check_case("residual_nhwc_dw", b_residual_nhwc_dw, 13, 3, 7);
    check_case("residual_dw_nchw", b_residual_dw_nchw, 13, 1, 3);
    check_case("residual_bcast", b_residual_bcast, 13, 2, 6);
    expect_ops = "Conv";
    check_case("tfl_prelu_abs", b_tfl_prelu_abs, 13, 1, 6);
    expect_ops = "Conv Reshape Gemm Conv";
    check_case("tfl_prelu_neg", b_tfl_prelu_neg, 13, 4, 21);
    expect_ops = "Gemm Softmax Conv Softmax";
    check_case("softmax", b_softmax, 13, 4, 12);
    check_case("affine", b_affine, 13, 1, 4);
}

/* ---- negative cases: nothing may change ----------------------------------------------------- */

static void n_conv_is_output(gb *b) {
    ginput(b, "x", DIMS(1, 3, 6, 6));
    gconv(b, "x", "c", 3, 4, 3, 1, 1, 0, 1);
    NODE(b, "Relu", "y", gval(b, "c"));
    gout(b, "c");
    gout(b, "y");
}

static void n_two_consumers(gb *b) {
    ginput(b, "x", DIMS(1, 3, 6, 6));
    gconv(b, "x", "c", 3, 4, 3, 1, 1, 0, 1);
    NODE(b, "Relu", "y", gval(b, "c"));
    NODE(b, "Sigmoid", "z", gval(b, "c"));
    gbn(b, "z", "bn", 4, 0);
    gout(b, "y");
    gout(b, "bn");
}

static void n_bn_nonconst(gb *b) {
    ginput(b, "x", DIMS(1, 3, 6, 6));
    ginput(b, "scale", DIMS(4));
    gconv(b, "x", "c", 3, 4, 3, 1, 1, 0, 1);
    int n = NODE(b, "BatchNormalization", "y", gval(b, "c"), gval(b, "scale"), gconst(b, "bb", DIMS(4), 0, 1),
                 gconst(b, "bm", DIMS(4), 0, 1), gconst(b, "bv", DIMS(4), 0.5f, 1));
    (void)n;
    gout(b, "y");
}

static void n_clip5(gb *b) {
    ginput(b, "x", DIMS(1, 3, 6, 6));
    gconv(b, "x", "c", 3, 4, 3, 1, 1, 0, 1);
    NODE(b, "Clip", "y", gval(b, "c"), gscalar(b, "lo", 0.f), gscalar(b, "hi", 5.f));
    gout(b, "y");
}

static void n_prelu_not_channel(gb *b) {
    ginput(b, "x", DIMS(1, 3, 6, 5));
    gconv(b, "x", "c", 3, 5, 3, 1, 1, 0, 1);
    NODE(b, "PRelu", "y", gval(b, "c"), gconst(b, "slope", DIMS(1, 1, 5), 0.1f, 0.3f)); /* per column */
    gout(b, "y");
}

static void n_act_then_bn(gb *b) { /* a Conv that already has an activation */
    ginput(b, "x", DIMS(1, 3, 6, 6));
    int n = gconv(b, "x", "c", 3, 4, 3, 1, 1, 0, 1);
    set_str(b, n, "activation", "RELU");
    gbn(b, "c", "bn", 4, 0);
    NODE(b, "Add", "y", gval(b, "bn"), gval(b, "x2"));
    ginput(b, "x2", DIMS(1, 4, 6, 6));
    gout(b, "y");
}

static void n_pattern_wrong(gb *b) { /* relu(x) + C*(x - |z|); relu(x) + C[5,1]*(x - |x|) */
    ginput(b, "x", DIMS(1, 6, 5, 8));
    gconv(b, "x", "c", 8, 5, 3, 1, 1, 1, 1);
    gconv(b, "x", "z", 8, 5, 3, 1, 1, 1, 1);
    int c = gval(b, "c");
    NODE(b, "Relu", "r", c);
    NODE(b, "Abs", "ab", gval(b, "z"));
    NODE(b, "Sub", "s", c, gval(b, "ab"));
    NODE(b, "Mul", "m", gconst(b, "alpha", DIMS(5), 0.05f, 0.15f), gval(b, "s"));
    NODE(b, "Add", "y", gval(b, "r"), gval(b, "m"));
    gout(b, "y");
    gconv(b, "x", "u", 8, 5, 3, 1, 1, 1, 1);
    int u = gval(b, "u");
    NODE(b, "Relu", "ur", u);
    NODE(b, "Abs", "uab", u);
    NODE(b, "Sub", "us", u, gval(b, "uab"));
    NODE(b, "Mul", "um", gconst(b, "ualpha", DIMS(5, 1), 0.05f, 0.15f), gval(b, "us"));
    NODE(b, "Add", "uy", gval(b, "ur"), gval(b, "um"));
    gout(b, "uy");
}

static void n_softmax_axes(gb *b) {
    ginput(b, "x", DIMS(3, 10));
    NODE(b, "Gemm", "g", gval(b, "x"), gconst(b, "w", DIMS(10, 6), -1.f, 1.f));
    int g = gval(b, "g");
    int n = NODE(b, "ReduceMax", "mx", g);
    set_ints(b, n, "axes", 1, (int64_t[]){1});
    NODE(b, "Sub", "d", g, gval(b, "mx"));
    NODE(b, "Exp", "e", gval(b, "d"));
    NODE(b, "ReduceSum", "s", gval(b, "e"), gconst_i64(b, "ax", 0));
    NODE(b, "Div", "y", gval(b, "e"), gval(b, "s"));
    gout(b, "y");
}

static void n_residual_after_act(gb *b) {
    ginput(b, "x", DIMS(1, 3, 6, 6));
    ginput(b, "r", DIMS(1, 4, 6, 6));
    int n = gconv(b, "x", "c", 3, 4, 3, 1, 1, 0, 1);
    set_str(b, n, "activation", "RELU6");
    NODE(b, "Add", "y", gval(b, "c"), gval(b, "r"));
    NODE(b, "Add", "y2", gval(b, "y"), gval(b, "y"));
    gout(b, "y2");
}

static void n_add_same(gb *b) {
    ginput(b, "x", DIMS(1, 3, 6, 6));
    gconv(b, "x", "c", 3, 4, 3, 1, 1, 0, 1);
    NODE(b, "Add", "y", gval(b, "c"), gval(b, "c"));
    gout(b, "y");
}

static void n_dynamic_weight(gb *b) { /* LeakyRelu needs the channel count: not known */
    ginput(b, "x", DIMS(1, 3, 6, 6));
    ginput(b, "w0", DIMS(4, 3, 3, 3));
    NODE(b, "Identity", "w", gval(b, "w0"));
    NODE(b, "Conv", "c", gval(b, "x"), gval(b, "w"));
    int n = NODE(b, "LeakyRelu", "y", gval(b, "c"));
    CHECK_OK(nn_node_set_float(b->g, n, "alpha", 0.1f));
    gout(b, "y");
}

static void test_negative(void) {
    check_case("conv_is_output", n_conv_is_output, 13, 2, 2);
    check_case("two_consumers", n_two_consumers, 13, 4, 4);
    check_case("bn_nonconst", n_bn_nonconst, 13, 2, 2);
    check_case("clip5", n_clip5, 13, 2, 2);
    check_case("prelu_not_channel", n_prelu_not_channel, 13, 2, 2);
    check_case("act_then_bn", n_act_then_bn, 13, 3, 3);
    check_case("pattern_wrong", n_pattern_wrong, 13, 13, 13);
    check_case("softmax_axes", n_softmax_axes, 13, 6, 6);
    check_case("residual_after_act", n_residual_after_act, 13, 3, 3);
    check_case("add_same", n_add_same, 13, 2, 2);
    check_case("dynamic_weight", n_dynamic_weight, 13, 3, 3);
    check_case("matmul_bias_2d", n_matmul_bias_2d, 13, 2, 2);
}

/* Fused nodes must keep the optimiser's invariants when graphs are reloaded many times with
 * random structure: chains of Conv / BN / activations / Adds with random sharing. */
static int rand_graph_seed;
static void b_random(gb *b) {
    uint64_t save = rng;
    rng = 0xD1B54A32D192ED03ull ^ (uint64_t)rand_graph_seed * 0x9E3779B97F4A7C15ull;
    const int64_t C = 6;
    ginput(b, "x", DIMS(1, C, 5, 7));
    char cur[32] = "x", name[32];
    int nvals = 1;
    char vals[24][32];
    strcpy(vals[0], "x");
    for (int i = 0; i < 14; i++) {
        snprintf(name, sizeof name, "v%d", i);
        int kind = (int)(rnd() % 7);
        const char *src = rnd() % 3 ? cur : vals[rnd() % (uint32_t)nvals];
        char sname[40];
        snprintf(sname, sizeof sname, "s_%s", name);
        const int64_t k = 1 + 2 * (int64_t)(rnd() % 2);
        switch (kind) {
        case 0: gconv(b, src, name, C, C, k, 1, (int)(rnd() % 2), 0, k / 2); break;
        case 1: gbn(b, src, name, C, 0); break;
        case 2: NODE(b, "Relu", name, gval(b, src)); break;
        case 3: NODE(b, "Add", name, gval(b, src), gval(b, vals[rnd() % (uint32_t)nvals])); break;
        case 4: NODE(b, "PRelu", name, gval(b, src), gconst(b, sname, DIMS(C, 1, 1), 0.1f, 0.3f)); break;
        case 5: NODE(b, "Clip", name, gval(b, src), gscalar(b, "", 0.f), gscalar(b, "", 6.f)); break;
        default: gconv(b, src, name, C, C, 3, C, 1, 0, 1); break;
        }
        strcpy(cur, name);
        if (nvals < 24) strcpy(vals[nvals++], name);
        if (rnd() % 5 == 0) gout(b, name);
    }
    gout(b, cur);
    rng = save;
}

static void test_random_graphs(void) {
    for (int i = 0; i < 40; i++) {
        rand_graph_seed = i;
        char nm[32];
        snprintf(nm, sizeof nm, "random_%d", i);
        check_case(nm, b_random, 13, -1, -1);
    }
}

/* ---- kernel level: fused epilogues at every CPU level ---------------------------------------- */

static fsift_cpu levels[3];
static int nlevels;

static void init_levels(void) {
    const fsift_cpu *c = fsift_cpu_get();
    memset(levels, 0, sizeof levels);
    nlevels = 1; /* generic */
    if (c->avx2_fma) {
        levels[nlevels].avx2_fma = 1;
        nlevels++;
    }
    if (c->avx512f) levels[nlevels++] = *c;
}

/* Runs node ni via infer/run with a hand-made context (kernel_harness.h). */
static fsift_status run_node(nn_graph *g, int ni, const fsift_cpu *cpu, nn_tensor *const *in, int n_in,
                             nn_tensor *out, fsift_pool *pool, int nth) {
    kh_call c = {.g = g, .node = &g->nodes[ni], .cpu = cpu, .pool = pool, .nthreads = nth, .n_in = n_in};
    for (int i = 0; i < n_in; i++) c.in[i] = in[i];
    c.out[0] = out;
    return kh_run(&c);
}

typedef struct kcase {
    int nhwc;
    int64_t N, C, H, W, M, group, k, stride, pad;
    const char *act; /* NULL, "PRELU", "RELU6", "TANH" */
    int res;         /* 0 none, 1 output's shape, 2 [M,1,1] / [M] broadcast */
} kcase;

static float kact(float v, const char *act, float slope) {
    if (!act) return v;
    if (!strcmp(act, "PRELU")) return v < 0 ? v * slope : v;
    if (!strcmp(act, "RELU6")) return v < 0 ? 0 : v > 6 ? 6 : v;
    if (!strcmp(act, "TANH")) return tanhf(v);
    return v;
}

static void run_kcase(const kcase *c, fsift_pool *pool) {
    const int64_t cg = c->C / c->group, mg = c->M / c->group;
    const int64_t OH = (c->H + 2 * c->pad - c->k) / c->stride + 1, OW = (c->W + 2 * c->pad - c->k) / c->stride + 1;
    const int64_t xn = c->N * c->C * c->H * c->W, wn = c->M * cg * c->k * c->k, yn = c->N * c->M * OH * OW;
    float *x = malloc((size_t)xn * 4), *w = malloc((size_t)wn * 4), *b = malloc((size_t)c->M * 4);
    float *sl = malloc((size_t)c->M * 4), *r = malloc((size_t)yn * 4), *ref = malloc((size_t)yn * 4);
    for (int64_t i = 0; i < xn; i++) x[i] = runi(-1, 1);
    for (int64_t i = 0; i < wn; i++) w[i] = runi(-1, 1);
    for (int64_t i = 0; i < c->M; i++) b[i] = runi(-1, 1);
    for (int64_t i = 0; i < c->M; i++) sl[i] = runi(-0.5f, 0.5f);
    for (int64_t i = 0; i < yn; i++) r[i] = runi(-2, 2);
    nn_graph *g;
    CHECK_OK(nn_graph_new(&g));
    int vx = -1, vw = -1, vb = -1, vr = -1, vy = -1, vs = -1, ni = -1;
    CHECK_OK(nn_graph_value(g, "x", &vx));
    CHECK_OK(nn_graph_value(g, "r", &vr));
    CHECK_OK(nn_graph_value(g, "y", &vy));
    int64_t xd[4], wd[4], rd[4];
    if (c->nhwc) {
        memcpy(xd, (int64_t[]){c->N, c->H, c->W, c->C}, sizeof xd);
        memcpy(wd, (int64_t[]){c->M, c->k, c->k, cg}, sizeof wd);
        memcpy(rd, (int64_t[]){c->N, OH, OW, c->M}, sizeof rd);
    } else {
        memcpy(xd, (int64_t[]){c->N, c->C, c->H, c->W}, sizeof xd);
        memcpy(wd, (int64_t[]){c->M, cg, c->k, c->k}, sizeof wd);
        memcpy(rd, (int64_t[]){c->N, c->M, OH, OW}, sizeof rd);
    }
    int rrank = 4;
    if (c->res == 2) { /* one value per channel, broadcast */
        if (c->nhwc) {
            rrank = 1;
            rd[0] = c->M;
        } else {
            rrank = 3;
            rd[0] = c->M;
            rd[1] = rd[2] = 1;
        }
    }
    CHECK_OK(nn_graph_add_input(g, vx, FSIFT_DTYPE_FLOAT32, 4, xd, NULL));
    CHECK_OK(nn_graph_add_input(g, vr, FSIFT_DTYPE_FLOAT32, rrank, rd, NULL));
    CHECK_OK(nn_graph_add_const(g, "w", FSIFT_DTYPE_FLOAT32, 4, wd, w, (size_t)wn * 4, &vw));
    CHECK_OK(nn_graph_add_const(g, "b", FSIFT_DTYPE_FLOAT32, 1, (int64_t[]){c->M}, b, (size_t)c->M * 4, &vb));
    CHECK_OK(nn_graph_add_const(g, "s", FSIFT_DTYPE_FLOAT32, 1, (int64_t[]){c->M}, sl, (size_t)c->M * 4, &vs));
    int ins[4] = {vx, vw, vb, c->res ? vr : -1};
    CHECK_OK(nn_graph_add_node(g, "Conv", "", "conv", 4, ins, 1, &vy, &ni));
    CHECK_OK(nn_node_set_ints(g, ni, "pads", (int64_t[]){c->pad, c->pad, c->pad, c->pad}, 4));
    CHECK_OK(nn_node_set_ints(g, ni, "strides", (int64_t[]){c->stride, c->stride}, 2));
    if (c->group != 1) CHECK_OK(nn_node_set_int(g, ni, "group", c->group));
    if (c->nhwc) CHECK_OK(nn_node_set_string(g, ni, "layout", "NHWC", 4));
    if (c->act) CHECK_OK(nn_node_set_string(g, ni, "activation", c->act, strlen(c->act)));
    if (c->act && !strcmp(c->act, "PRELU")) CHECK_OK(nn_node_set_tensor(g, ni, "activation_slope", vs));
    CHECK_OK(nn_graph_add_output(g, vy));
    g->opset = 13;
    setenv("FSIFT_NO_FUSE", "1", 1);
    CHECK_OK(nn_graph_finalize(g));
    unsetenv("FSIFT_NO_FUSE");
    /* naive reference */
    double premax = 1;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t m = 0; m < c->M; m++)
            for (int64_t oy = 0; oy < OH; oy++)
                for (int64_t ox = 0; ox < OW; ox++) {
                    double acc = 0;
                    const int64_t gi = m / mg;
                    for (int64_t ci = 0; ci < cg; ci++)
                        for (int64_t ky = 0; ky < c->k; ky++)
                            for (int64_t kx = 0; kx < c->k; kx++) {
                                int64_t iy = oy * c->stride - c->pad + ky, ix = ox * c->stride - c->pad + kx;
                                if (iy < 0 || iy >= c->H || ix < 0 || ix >= c->W) continue;
                                int64_t C = gi * cg + ci;
                                float xv = c->nhwc ? x[((n * c->H + iy) * c->W + ix) * c->C + C]
                                                   : x[((n * c->C + C) * c->H + iy) * c->W + ix];
                                float wv = c->nhwc ? w[((m * c->k + ky) * c->k + kx) * cg + ci]
                                                   : w[((m * cg + ci) * c->k + ky) * c->k + kx];
                                acc += (double)xv * wv;
                            }
                    int64_t o = c->nhwc ? ((n * OH + oy) * OW + ox) * c->M + m : ((n * c->M + m) * OH + oy) * OW + ox;
                    float v = (float)acc + b[m];
                    if (c->res == 1) v += r[o];
                    if (c->res == 2) v += r[m];
                    if (fabs(v) > premax) premax = fabs(v);
                    ref[o] = kact(v, c->act, sl[m]);
                }
    nn_tensor xt = {FSIFT_DTYPE_FLOAT32, 4, {0}, x}, wt = {FSIFT_DTYPE_FLOAT32, 4, {0}, g->vals[vw].data};
    nn_tensor bt = {FSIFT_DTYPE_FLOAT32, 1, {c->M}, b}, rt = {FSIFT_DTYPE_FLOAT32, rrank, {0}, r};
    memcpy(xt.dims, xd, sizeof xd);
    memcpy(wt.dims, wd, sizeof wd);
    memcpy(rt.dims, rd, sizeof rd);
    nn_tensor *in[4] = {&xt, &wt, &bt, c->res ? &rt : NULL};
    for (int l = 0; l < nlevels; l++) {
        nn_tensor out;
        fsift_status st = run_node(g, ni, &levels[l], in, 4, &out, pool, 1 + (int)(rnd() % 2));
        CHECK_MSG(st == FSIFT_OK, "%s", fsift_last_error());
        if (st) continue;
        CHECK(fsift_tensor_numel(&out) == yn);
        double e = 0;
        for (int64_t i = 0; i < yn; i++) {
            double d = fabs((double)((float *)out.data)[i] - ref[i]);
            if (!(d <= e)) e = d;
        }
        CHECK_MSG(e / premax <= 1e-5, "%s N%lld C%lld %lldx%lld M%lld g%lld k%lld s%lld act %s res %d level %d: err %g",
                  c->nhwc ? "NHWC" : "NCHW", (long long)c->N, (long long)c->C, (long long)c->H, (long long)c->W,
                  (long long)c->M, (long long)c->group, (long long)c->k, (long long)c->stride,
                  c->act ? c->act : "-", c->res, l, e / premax);
        free(out.data);
    }
    nn_graph_free(g);
    free(x); free(w); free(b); free(sl); free(r); free(ref);
}

static void test_fused_kernels(void) {
    init_levels();
    fsift_pool *pool = NULL;
    CHECK_OK(fsift_pool_new(2, &pool));
    static const kcase shapes[] = {
        {0, 1, 8, 12, 40, 16, 1, 3, 1, 1, NULL, 0},   /* direct tiles */
        {0, 2, 5, 7, 80, 17, 1, 3, 1, 1, NULL, 0},    /* 3×3 tiles with every tap inside */
        {0, 1, 3, 6, 70, 9, 1, 3, 1, 0, NULL, 0},     /* ... unpadded */
        {0, 2, 8, 9, 9, 12, 1, 1, 1, 0, NULL, 0},     /* 1×1 as one flat row */
        {0, 1, 8, 5, 5, 40, 1, 3, 1, 1, NULL, 0},     /* short rows: packed GEMM */
        {0, 1, 128, 7, 7, 64, 1, 3, 1, 1, NULL, 0},   /* NCHW indirect, padded copy */
        {0, 1, 128, 9, 9, 64, 1, 3, 2, 0, NULL, 0},   /* NCHW indirect, strided */
        {1, 2, 16, 6, 7, 24, 1, 3, 1, 1, NULL, 0},    /* NHWC indirect */
        {1, 1, 16, 7, 7, 40, 1, 1, 1, 0, NULL, 0},    /* NHWC 1×1 */
        {0, 1, 12, 9, 13, 12, 12, 3, 1, 1, NULL, 0},  /* depthwise NCHW */
        {1, 2, 20, 8, 6, 20, 20, 3, 2, 1, NULL, 0},   /* depthwise NHWC */
        {0, 2, 6, 7, 8, 9, 3, 3, 1, 1, NULL, 0},      /* grouped */
    };
    static const char *acts[] = {NULL, "PRELU", "RELU6", "TANH"};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int a = 0; a < 4; a++)
            for (int res = 0; res < 3; res++) {
                if (res == 0 && a != 1) continue; /* plain activations are test_conv's */
                kcase c = shapes[i];
                c.act = acts[a];
                c.res = res;
                run_kcase(&c, pool);
            }
    fsift_pool_free(pool);
}

/* Gemm and MatMul with PRELU at every level, on shapes that take the packed GEMM and the
 * row-vector kernel (M = 1: 1 to 8 panels per call, partial last panels), with bias, an
 * accumulated C (beta != 1) and 1 or 2 workers */
static void one_gemm_case(int op, int64_t M, int64_t K, int64_t N, float beta, fsift_pool *pool) {
    float *a = malloc((size_t)(M * K + 1) * 4), *bw = malloc((size_t)(K * N + 1) * 4), *cb = malloc((size_t)N * 4);
    float *sl = malloc((size_t)N * 4), *ref = malloc((size_t)(M * N + 1) * 4);
    for (int64_t i = 0; i < M * K; i++) a[i] = runi(-1, 1);
    for (int64_t i = 0; i < K * N; i++) bw[i] = runi(-1, 1);
    for (int64_t i = 0; i < N; i++) cb[i] = runi(-1, 1);
    for (int64_t i = 0; i < N; i++) sl[i] = runi(-0.5f, 0.5f);
    nn_graph *g;
    CHECK_OK(nn_graph_new(&g));
    int va = -1, vb = -1, vc = -1, vs = -1, vy = -1, ni = -1;
    CHECK_OK(nn_graph_value(g, "a", &va));
    CHECK_OK(nn_graph_value(g, "y", &vy));
    CHECK_OK(nn_graph_add_input(g, va, FSIFT_DTYPE_FLOAT32, 2, (int64_t[]){M, K}, NULL));
    CHECK_OK(nn_graph_add_const(g, "b", FSIFT_DTYPE_FLOAT32, 2, (int64_t[]){K, N}, bw, (size_t)(K * N * 4), &vb));
    CHECK_OK(nn_graph_add_const(g, "c", FSIFT_DTYPE_FLOAT32, 1, (int64_t[]){N}, cb, (size_t)N * 4, &vc));
    CHECK_OK(nn_graph_add_const(g, "s", FSIFT_DTYPE_FLOAT32, 1, (int64_t[]){N}, sl, (size_t)N * 4, &vs));
    int ins[3] = {va, vb, vc};
    CHECK_OK(nn_graph_add_node(g, op ? "MatMul" : "Gemm", "", "g", op ? 2 : 3, ins, 1, &vy, &ni));
    if (!op && beta != 1.f) CHECK_OK(nn_node_set_float(g, ni, "beta", beta));
    CHECK_OK(nn_node_set_string(g, ni, "activation", "PRELU", 5));
    CHECK_OK(nn_node_set_tensor(g, ni, "activation_slope", vs));
    CHECK_OK(nn_graph_add_output(g, vy));
    g->opset = 13;
    CHECK_OK(nn_graph_finalize(g));
    double mx = 1;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double acc = 0;
            for (int64_t k = 0; k < K; k++) acc += (double)a[i * K + k] * bw[k * N + j];
            float v = (float)acc + (op ? 0.f : beta * cb[j]);
            if (fabs(v) > mx) mx = fabs(v);
            ref[i * N + j] = v < 0 ? v * sl[j] : v;
        }
    nn_tensor at = {FSIFT_DTYPE_FLOAT32, 2, {M, K}, a}, bt = {FSIFT_DTYPE_FLOAT32, 2, {K, N}, g->vals[vb].data};
    nn_tensor ct = {FSIFT_DTYPE_FLOAT32, 1, {N}, cb};
    nn_tensor *in[3] = {&at, &bt, &ct};
    for (int l = 0; l < nlevels; l++) {
        nn_tensor out;
        fsift_status st = run_node(g, ni, &levels[l], in, op ? 2 : 3, &out, pool, 1 + (int)(rnd() % 2));
        CHECK_MSG(st == FSIFT_OK, "%s", fsift_last_error());
        if (st) continue;
        double e = 0;
        for (int64_t i = 0; i < M * N; i++) e = fmax(e, fabs((double)((float *)out.data)[i] - ref[i]));
        CHECK_MSG(e / mx <= 1e-5, "%s M%lld K%lld N%lld beta %g PRELU level %d: err %g", op ? "MatMul" : "Gemm",
                  (long long)M, (long long)K, (long long)N, beta, l, e / mx);
        free(out.data);
    }
    nn_graph_free(g);
    free(a); free(bw); free(cb); free(sl); free(ref);
}

static void test_fused_gemm(void) {
    init_levels();
    fsift_pool *pool = NULL;
    CHECK_OK(fsift_pool_new(2, &pool));
    static const int64_t shapes[][3] = {{5, 37, 19}, {1, 300, 1}, {1, 70, 33}, {1, 129, 300}, {1, 64, 257},
                                        {1, 1000, 520}, {2, 80, 100}, {1, 3, 16}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int op = 0; op < 2; op++) {
            one_gemm_case(op, shapes[i][0], shapes[i][1], shapes[i][2], 1.f, pool);
            if (!op) one_gemm_case(op, shapes[i][0], shapes[i][1], shapes[i][2], 0.5f, pool);
        }
    fsift_pool_free(pool);
}

/* A PRELU without its slopes, or with the wrong count, is an error naming the problem */
static void test_bad_slope(void) {
    nn_graph *g;
    CHECK_OK(nn_graph_new(&g));
    int vx = -1, vw = -1, vs = -1, vy = -1, ni = -1;
    CHECK_OK(nn_graph_value(g, "x", &vx));
    CHECK_OK(nn_graph_value(g, "y", &vy));
    CHECK_OK(nn_graph_add_input(g, vx, FSIFT_DTYPE_FLOAT32, 4, (int64_t[]){1, 2, 4, 4}, NULL));
    float w[8 * 2] = {0}, s[3] = {0};
    CHECK_OK(nn_graph_add_const(g, "w", FSIFT_DTYPE_FLOAT32, 4, (int64_t[]){8, 2, 1, 1}, w, sizeof w, &vw));
    CHECK_OK(nn_graph_add_const(g, "s", FSIFT_DTYPE_FLOAT32, 1, (int64_t[]){3}, s, sizeof s, &vs));
    int ins[2] = {vx, vw};
    CHECK_OK(nn_graph_add_node(g, "Conv", "", "c", 2, ins, 1, &vy, &ni));
    CHECK_OK(nn_node_set_string(g, ni, "activation", "PRELU", 5));
    CHECK_OK(nn_graph_add_output(g, vy));
    g->opset = 13;
    CHECK_OK(nn_graph_finalize(g));
    float xd[32] = {0};
    nn_tensor xt = {FSIFT_DTYPE_FLOAT32, 4, {1, 2, 4, 4}, xd}, wt = {FSIFT_DTYPE_FLOAT32, 4, {8, 2, 1, 1}, w};
    nn_tensor *in[2] = {&xt, &wt};
    nn_tensor out;
    fsift_cpu cpu;
    memset(&cpu, 0, sizeof cpu);
    fsift_status st = run_node(g, ni, &cpu, in, 2, &out, NULL, 1);
    CHECK(st == FSIFT_E_FORMAT && strstr(fsift_last_error(), "activation_slope"));
    CHECK_OK(nn_node_set_tensor(g, ni, "activation_slope", vs)); /* 3 slopes for 8 channels */
    st = run_node(g, ni, &cpu, in, 2, &out, NULL, 1);
    CHECK(st == FSIFT_E_FORMAT);
    /* nn_act_parse (ops that cannot apply slopes) refuses PRELU */
    nn_kctx k;
    memset(&k, 0, sizeof k);
    k.g = g;
    k.node = &g->nodes[ni];
    nn_act act;
    CHECK(nn_act_parse(&k, &act) == FSIFT_E_UNSUPPORTED);
    nn_graph_free(g);
}

/* The real models, when fetched: node counts after fusion. */
static void test_models(void) {
    static const struct {
        const char *path;
        int nodes;
    } models[] = {
        {"mtcnn/onet.tflite", 13},
        {"mtcnn/pnet.tflite", 7},
        {"mobilefacenet/MobileFaceNet.tflite", 53},
        {"blazeface/face_detection_front_128x128_barracuda.onnx", 71},
    };
    const char *dir = test_env("FSIFT_MODELS_DIR", "models");
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, models[i].path);
        FILE *f = fopen(path, "rb");
        if (!f) {
            fprintf(stderr, "  SKIP %s (scripts/fetch-models.sh)\n", path);
            continue;
        }
        fclose(f);
        fsift_model *m = NULL;
        CHECK_OK(fsift_model_load(path, &m));
        if (!m) continue;
        CHECK_MSG(m->g->n_nodes == models[i].nodes, "%s: %d nodes, expected %d", models[i].path, m->g->n_nodes,
                  models[i].nodes);
        fsift_model_free(m);
    }
}

int main(void) {
    unsetenv("FSIFT_NO_FUSE");
    RUN(test_positive);
    RUN(test_negative);
    RUN(test_random_graphs);
    RUN(test_fused_kernels);
    RUN(test_fused_gemm);
    RUN(test_bad_slope);
    RUN(test_models);
    return test_summary();
}
