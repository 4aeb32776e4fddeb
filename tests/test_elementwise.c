/*
 * test_elementwise.c — the elementwise operator group (src/nn/kernels/elementwise*.c).
 *
 * Each case drives one operator directly through its nn_op_def: it fills an nn_kctx by hand
 * (input tensors, a node with attributes), calls infer, allocates the outputs, calls run on a
 * two-thread pool, and compares with a naive reference written here: an N-D broadcast walk
 * for the binary ops (same shape, scalar, per-channel, last-axis and general shapes, sized so
 * that the work is split across threads), libm in double for the unary functions (1e-6
 * relative), and hand-worked values for the integer edges (wrapping, division by zero,
 * Python vs C modulo), Cast's truncation and saturation, Clip's bounds and the fused TFLite
 * activation. Error cases check statuses: shapes that do not broadcast, mixed dtypes,
 * unsupported dtypes. The ONNX node tests (test_onnx_node) are the main oracle.
 */
#include <stdint.h>

#include "facesift/core.h"
#include "harness.h"
#include "kernel_harness.h"
#include "nn/graph.h"
#include "nn/ops.h"

static fsift_pool *g_pool;

/* ---- driving one op by hand --------------------------------------------------------------- */

typedef struct opcall {
    const char *op;
    const char *domain;
    int64_t opset;
    nn_attr attrs[8];
    int n_attr;
    nn_tensor in[8];
    int n_in;
    int absent[8];     /* input i absent (NULL) */
    int unknown[8];    /* input i not known at plan time (data hidden from infer) */
    nn_tensor out[4];
    int n_out;
} opcall;

static void attr_int(opcall *c, const char *name, int64_t v) {
    nn_attr *a = &c->attrs[c->n_attr++];
    memset(a, 0, sizeof *a);
    a->name = name;
    a->type = NN_ATTR_INT;
    a->i = v;
}
static void attr_float(opcall *c, const char *name, float v) {
    nn_attr *a = &c->attrs[c->n_attr++];
    memset(a, 0, sizeof *a);
    a->name = name;
    a->type = NN_ATTR_FLOAT;
    a->f = v;
}
static void attr_str(opcall *c, const char *name, const char *v) {
    nn_attr *a = &c->attrs[c->n_attr++];
    memset(a, 0, sizeof *a);
    a->name = name;
    a->type = NN_ATTR_STRING;
    a->s = v;
    a->s_len = strlen(v);
}

static nn_tensor tens(int dtype, int rank, const int64_t *dims, void *data) {
    nn_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = dtype;
    t.rank = rank;
    for (int i = 0; i < rank; i++) t.dims[i] = dims[i];
    t.data = data;
    return t;
}

/* infer (with unknown inputs' data hidden), allocate outputs, run. Output data is malloc'd
 * (free with call_free). Returns the first failing status. */
static fsift_status call_op(opcall *c) {
    const nn_op_def *def = nn_op_lookup(c->op, c->domain ? c->domain : "");
    if (!def) return fsift_error(FSIFT_E_UNSUPPORTED, "no op %s", c->op);
    nn_node node;
    memset(&node, 0, sizeof node);
    node.name = "t";
    node.op_type = c->op;
    node.domain = c->domain ? c->domain : "";
    node.n_attr = c->n_attr;
    node.attrs = c->attrs;
    kh_call k = {.def = def, .g = NULL, .node = &node, .opset = c->opset ? c->opset : 17, .pool = g_pool,
                 .n_in = c->n_in, .n_out = c->n_out};
    for (int i = 0; i < c->n_in; i++) {
        k.in[i] = c->absent[i] ? NULL : &c->in[i];
        k.hide[i] = c->unknown[i];
    }
    for (int i = 0; i < c->n_out; i++) k.out[i] = &c->out[i];
    return kh_run(&k);
}

static void call_free(opcall *c) {
    for (int i = 0; i < c->n_out; i++) {
        free(c->out[i].data);
        c->out[i].data = NULL;
    }
}

static uint32_t rng_state = 12345;
static float frand(float lo, float hi) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)(rng_state >> 8) / (float)(1u << 24);
}
static float *frand_buf(int64_t n, float lo, float hi) {
    float *p = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) p[i] = frand(lo, hi);
    return p;
}

/* Element offset in a tensor of shape (r, d) of output coordinate c (rank ro), NumPy rules. */
static int64_t bcast_off(int r, const int64_t *d, int ro, const int64_t *c) {
    int64_t off = 0;
    for (int i = 0; i < r; i++) {
        int64_t ci = d[i] == 1 ? 0 : c[ro - r + i];
        off = off * d[i] + ci;
    }
    return off;
}

static int next_coord(int r, const int64_t *d, int64_t *c) {
    for (int i = r - 1; i >= 0; i--) {
        if (++c[i] < d[i]) return 1;
        c[i] = 0;
    }
    return 0;
}

/* ---- binary broadcasting vs a naive N-D walk ------------------------------------------------ */

typedef struct shp {
    int ra;
    int64_t a[6];
    int rb;
    int64_t b[6];
} shp;

static double ref_bin(const char *op, double x, double y) {
    if (!strcmp(op, "Add")) return x + y;
    if (!strcmp(op, "Sub")) return x - y;
    if (!strcmp(op, "Mul")) return x * y;
    if (!strcmp(op, "Div")) return x / y;
    if (!strcmp(op, "Max")) return x > y ? x : y;
    if (!strcmp(op, "Min")) return x < y ? x : y;
    if (!strcmp(op, "Pow")) return pow(x, y);
    if (!strcmp(op, "PRelu")) return x < 0 ? x * y : x;
    return 0;
}

static void test_binary_broadcast(void) {
    static const shp cases[] = {
        {4, {2, 16, 64, 64}, 4, {2, 16, 64, 64}}, /* same shape, split across threads */
        {4, {2, 16, 64, 64}, 0, {0}},             /* scalar */
        {0, {0}, 3, {3, 5, 7}},                   /* scalar on the left */
        {4, {2, 16, 64, 64}, 3, {16, 1, 1}},      /* per-channel */
        {4, {1, 16, 1, 1}, 4, {2, 16, 64, 64}},   /* per-channel on the left */
        {3, {4, 77, 512}, 1, {512}},              /* last axis */
        {4, {2, 1, 4, 1}, 3, {3, 1, 5}},          /* both broadcast */
        {5, {2, 3, 1, 5, 1}, 5, {1, 3, 4, 1, 6}},
        {2, {0, 3}, 1, {3}},                      /* empty */
        {1, {1}, 1, {1}},
        {2, {300, 1}, 2, {1, 300}},               /* outer product, many short rows */
    };
    static const char *ops[] = {"Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const shp *s = &cases[ci];
        int64_t na = nn_numel(s->ra, s->a), nb = nn_numel(s->rb, s->b);
        float *a = frand_buf(na, 0.5f, 2.f), *b = frand_buf(nb, -2.f, 2.f);
        for (size_t oi = 0; oi < sizeof ops / sizeof ops[0]; oi++) {
            opcall c;
            memset(&c, 0, sizeof c);
            c.op = ops[oi];
            c.n_in = 2;
            c.n_out = 1;
            c.in[0] = tens(FSIFT_DTYPE_FLOAT32, s->ra, s->a, a);
            c.in[1] = tens(FSIFT_DTYPE_FLOAT32, s->rb, s->b, b);
            CHECK_OK(call_op(&c));
            nn_tensor *o = &c.out[0];
            int ro = s->ra > s->rb ? s->ra : s->rb;
            CHECK(o->rank == ro);
            int64_t n = fsift_tensor_numel(o), cc[8] = {0}, bad = 0;
            for (int64_t i = 0; i < n; i++) {
                double x = a[bcast_off(s->ra, s->a, ro, cc)], y = b[bcast_off(s->rb, s->b, ro, cc)];
                double want = (float)ref_bin(ops[oi], x, y), got = ((float *)o->data)[i];
                if (!(fabs(got - want) <= 1e-6 * fmax(1, fabs(want)))) {
                    if (!bad++)
                        fprintf(stderr, "%s case %zu at %lld: %g vs %g\n", ops[oi], ci,
                                (long long)i, got, want);
                }
                next_coord(o->rank, o->dims, cc);
            }
            CHECK(bad == 0);
            call_free(&c);
        }
        free(a);
        free(b);
    }
}

static void test_variadic(void) {
    int64_t d0[3] = {2, 3, 4}, d1[1] = {4}, d2[2] = {3, 1};
    float *a = frand_buf(24, -1, 1), *b = frand_buf(4, -1, 1), *e = frand_buf(3, -1, 1);
    static const char *ops[] = {"Sum", "Mean", "Max", "Min"};
    for (int oi = 0; oi < 4; oi++) {
        opcall c;
        memset(&c, 0, sizeof c);
        c.op = ops[oi];
        c.n_in = 3;
        c.n_out = 1;
        c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d1, b); /* smallest first: output is larger */
        c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 3, d0, a);
        c.in[2] = tens(FSIFT_DTYPE_FLOAT32, 2, d2, e);
        CHECK_OK(call_op(&c));
        CHECK(c.out[0].rank == 3 && c.out[0].dims[0] == 2 && c.out[0].dims[2] == 4);
        const float *y = c.out[0].data;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int l = 0; l < 4; l++) {
                    double v0 = b[l], v1 = a[(i * 3 + j) * 4 + l], v2 = e[j], w;
                    if (oi <= 1) w = (v0 + v1 + v2) / (oi ? 3 : 1);
                    else if (oi == 2) w = fmax(v0, fmax(v1, v2));
                    else w = fmin(v0, fmin(v1, v2));
                    CHECK_NEAR(y[(i * 3 + j) * 4 + l], w, 1e-6);
                }
        call_free(&c);
    }
    /* one input: a copy */
    opcall c;
    memset(&c, 0, sizeof c);
    c.op = "Max";
    c.n_in = 1;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 3, d0, a);
    CHECK_OK(call_op(&c));
    CHECK(!memcmp(c.out[0].data, a, sizeof(float) * 24));
    call_free(&c);
    free(a);
    free(b);
    free(e);
}

static void test_int_edges(void) {
    int64_t d[1] = {6};
    int32_t a[6] = {INT32_MAX, INT32_MIN, 7, -7, 7, 5};
    int32_t b[6] = {1, -1, 0, 2, -2, 3};
    opcall c;
    /* Add wraps */
    memset(&c, 0, sizeof c);
    c.op = "Add";
    c.n_in = 2;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_INT32, 1, d, a);
    c.in[1] = tens(FSIFT_DTYPE_INT32, 1, d, b);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].dtype == FSIFT_DTYPE_INT32);
    CHECK(((int32_t *)c.out[0].data)[0] == INT32_MIN);
    CHECK(((int32_t *)c.out[0].data)[1] == INT32_MAX);
    call_free(&c);
    /* Div: INT_MIN / -1 wraps, x / 0 = 0, truncation toward zero */
    c.op = "Div";
    CHECK_OK(call_op(&c));
    const int32_t *y = c.out[0].data;
    CHECK(y[0] == INT32_MAX && y[1] == INT32_MIN && y[2] == 0 && y[3] == -3 && y[4] == -3 && y[5] == 1);
    call_free(&c);
    /* Mod fmod=0: sign of the divisor; fmod=1: sign of the dividend */
    c.op = "Mod";
    CHECK_OK(call_op(&c));
    y = c.out[0].data;
    CHECK(y[2] == 0 && y[3] == 1 && y[4] == -1 && y[5] == 2);
    call_free(&c);
    attr_int(&c, "fmod", 1);
    CHECK_OK(call_op(&c));
    y = c.out[0].data;
    CHECK(y[3] == -1 && y[4] == 1 && y[5] == 2);
    call_free(&c);
    /* uint8 Mul wraps */
    uint8_t u[2] = {200, 16}, v[2] = {2, 16};
    int64_t d2[1] = {2};
    memset(&c, 0, sizeof c);
    c.op = "Mul";
    c.n_in = 2;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_UINT8, 1, d2, u);
    c.in[1] = tens(FSIFT_DTYPE_UINT8, 1, d2, v);
    CHECK_OK(call_op(&c));
    CHECK(((uint8_t *)c.out[0].data)[0] == 144 && ((uint8_t *)c.out[0].data)[1] == 0);
    call_free(&c);
    /* float Mod with fmod=1 */
    float fa[2] = {-4.f, 5.5f}, fb[2] = {3.f, -2.f};
    memset(&c, 0, sizeof c);
    c.op = "Mod";
    c.n_in = 2;
    c.n_out = 1;
    attr_int(&c, "fmod", 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d2, fa);
    c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 1, d2, fb);
    CHECK_OK(call_op(&c));
    CHECK(((float *)c.out[0].data)[0] == -1.f && ((float *)c.out[0].data)[1] == 1.5f);
    call_free(&c);
}

static void test_compare_logic_where(void) {
    int64_t d[2] = {2, 3}, d1[1] = {3};
    float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {2, 2, 7};
    static const char *ops[] = {"Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"};
    static const uint8_t want[5][6] = {{0, 1, 0, 0, 0, 0}, {1, 0, 1, 0, 0, 1}, {1, 1, 1, 0, 0, 1},
                                       {0, 0, 0, 1, 1, 0}, {0, 1, 0, 1, 1, 0}};
    for (int oi = 0; oi < 5; oi++) {
        opcall c;
        memset(&c, 0, sizeof c);
        c.op = ops[oi];
        c.n_in = 2;
        c.n_out = 1;
        c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 2, d, a);
        c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 1, d1, b);
        CHECK_OK(call_op(&c));
        CHECK(c.out[0].dtype == FSIFT_DTYPE_BOOL);
        CHECK_MSG(!memcmp(c.out[0].data, want[oi], 6), "%s", ops[oi]);
        call_free(&c);
    }
    uint8_t p[4] = {0, 1, 0, 1}, q[2] = {0, 1};
    int64_t dp[2] = {2, 2}, dq[2] = {2, 1};
    static const char *lops[] = {"And", "Or", "Xor"};
    static const uint8_t lwant[3][4] = {{0, 0, 0, 1}, {0, 1, 1, 1}, {0, 1, 1, 0}};
    for (int oi = 0; oi < 3; oi++) {
        opcall c;
        memset(&c, 0, sizeof c);
        c.op = lops[oi];
        c.n_in = 2;
        c.n_out = 1;
        c.in[0] = tens(FSIFT_DTYPE_BOOL, 2, dp, p);
        c.in[1] = tens(FSIFT_DTYPE_BOOL, 2, dq, q);
        CHECK_OK(call_op(&c));
        CHECK_MSG(!memcmp(c.out[0].data, lwant[oi], 4), "%s", lops[oi]);
        call_free(&c);
    }
    /* Where(cond [2,1], x [3], y scalar) -> [2,3] */
    uint8_t cond[2] = {1, 0};
    int64_t dc[2] = {2, 1};
    int64_t x[3] = {1, 2, 3}, yv = -9;
    opcall c;
    memset(&c, 0, sizeof c);
    c.op = "Where";
    c.n_in = 3;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_BOOL, 2, dc, cond);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, d1, x);
    c.in[2] = tens(FSIFT_DTYPE_INT64, 0, NULL, &yv);
    CHECK_OK(call_op(&c));
    static const int64_t ww[6] = {1, 2, 3, -9, -9, -9};
    CHECK(c.out[0].rank == 2 && !memcmp(c.out[0].data, ww, sizeof ww));
    call_free(&c);
}

/* ---- unary ops vs double references --------------------------------------------------------- */

static double ref_un(const char *op, double v) {
    if (!strcmp(op, "Relu")) return v > 0 ? v : 0;
    if (!strcmp(op, "Sigmoid")) return 1 / (1 + exp(-v));
    if (!strcmp(op, "Tanh")) return tanh(v);
    if (!strcmp(op, "Erf")) return erf(v);
    if (!strcmp(op, "Exp")) return exp(v);
    if (!strcmp(op, "Log")) return log(v);
    if (!strcmp(op, "Sqrt")) return sqrt(v);
    if (!strcmp(op, "Reciprocal")) return 1 / v;
    if (!strcmp(op, "Abs")) return fabs(v);
    if (!strcmp(op, "Neg")) return -v;
    if (!strcmp(op, "Floor")) return floor(v);
    if (!strcmp(op, "Ceil")) return ceil(v);
    if (!strcmp(op, "Round")) return nearbyint(v);
    if (!strcmp(op, "Sign")) return v > 0 ? 1 : v < 0 ? -1 : 0;
    if (!strcmp(op, "Sin")) return sin(v);
    if (!strcmp(op, "Cos")) return cos(v);
    if (!strcmp(op, "Softplus")) return log(1 + exp(v));
    if (!strcmp(op, "Softsign")) return v / (1 + fabs(v));
    if (!strcmp(op, "HardSigmoid")) return fmax(0, fmin(1, 0.2 * v + 0.5));
    if (!strcmp(op, "HardSwish")) return v * fmax(0, fmin(1, v / 6 + 0.5));
    if (!strcmp(op, "Elu")) return v < 0 ? exp(v) - 1 : v;
    if (!strcmp(op, "Selu"))
        return 1.05070102214813232421875 * (v > 0 ? v : 1.67326319217681884765625 * (exp(v) - 1));
    if (!strcmp(op, "Celu")) return fmax(0, v) + fmin(0, exp(v) - 1);
    if (!strcmp(op, "LeakyRelu")) return v < 0 ? 0.01 * v : v;
    if (!strcmp(op, "ThresholdedRelu")) return v > 1 ? v : 0;
    if (!strcmp(op, "Gelu")) return 0.5 * v * (1 + erf(v / sqrt(2.0)));
    return 0;
}

static void test_unary(void) {
    static const char *ops[] = {"Relu", "Sigmoid", "Tanh", "Erf", "Exp", "Log", "Sqrt",
                                "Reciprocal", "Abs", "Neg", "Floor", "Ceil", "Round", "Sign",
                                "Sin", "Cos", "Softplus", "Softsign", "HardSigmoid", "HardSwish",
                                "Elu", "Selu", "Celu", "LeakyRelu", "ThresholdedRelu", "Gelu"};
    const int64_t n = 100003; /* odd size: vector tails and thread split */
    int64_t d[1] = {n};
    float *x = frand_buf(n, -8, 8);
    float *xp = malloc(sizeof(float) * (size_t)n);
    x[0] = 0.5f; /* rounding ties */
    x[1] = 2.5f;
    x[2] = -0.5f;
    for (size_t oi = 0; oi < sizeof ops / sizeof ops[0]; oi++) {
        int pos = !strcmp(ops[oi], "Log") || !strcmp(ops[oi], "Sqrt");
        /* alpha * x + beta (HardSigmoid, HardSwish) and 1 + erf(x) (Gelu) cancel in float32,
         * as in ONNX's reference: their tolerance is absolute 2e-6 */
        double floor_ = !strncmp(ops[oi], "Hard", 4) || !strcmp(ops[oi], "Gelu") ? 1 : 1e-3;
        for (int64_t i = 0; i < n; i++) xp[i] = pos ? fabsf(x[i]) + (!strcmp(ops[oi], "Log") ? 0.1f : 0) : x[i];
        opcall c;
        memset(&c, 0, sizeof c);
        c.op = ops[oi];
        c.n_in = 1;
        c.n_out = 1;
        c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d, xp);
        CHECK_OK(call_op(&c));
        const float *y = c.out[0].data;
        int64_t bad = 0;
        for (int64_t i = 0; i < n; i++) {
            double want = (float)ref_un(ops[oi], xp[i]);
            if (!(fabs(y[i] - want) <= 2e-6 * fmax(floor_, fabs(want))))
                if (!bad++)
                    fprintf(stderr, "%s(%.9g) = %.9g, want %.9g\n", ops[oi], xp[i], y[i], want);
        }
        CHECK_MSG(bad == 0, "%s: %lld mismatches", ops[oi], (long long)bad);
        call_free(&c);
    }
    free(x);
    free(xp);
}

/* Erf, Exp, Sigmoid and Gelu have their own approximations (AVX2 kernels, scalar erf):
 * sweep every magnitude, both signs, and the special values. Run with FSIFT_CPU=generic
 * too, to cover the scalar path. */
static void test_transcendental_sweep(void) {
    const int64_t n = 400000;
    float *x = malloc(sizeof(float) * (size_t)n);
    int64_t m = 0;
    static const float special[] = {NAN, INFINITY, -INFINITY, 0.f, -0.f, 1e-30f, -1e-30f,
                                    88.7228f, 88.7229f, 88.72f, 88.73f, -87.3f, -87.4f, 3.925f, -3.925f, 100.f, -100.f};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) x[m++] = special[i];
    while (m < n) {
        float mag = powf(10.f, frand(-8.f, 2.05f));
        x[m++] = frand(0, 1) < 0.5f ? -mag : mag;
    }
    int64_t d[1] = {n};
    static const char *ops[] = {"Erf", "Exp", "Sigmoid", "Gelu"};
    for (int oi = 0; oi < 4; oi++) {
        opcall c;
        memset(&c, 0, sizeof c);
        c.op = ops[oi];
        c.n_in = 1;
        c.n_out = 1;
        c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d, x);
        CHECK_OK(call_op(&c));
        const float *y = c.out[0].data;
        int64_t bad = 0;
        for (int64_t i = 0; i < n; i++) {
            double v = x[i], want;
            if (oi == 0) want = erf(v);
            else if (oi == 1) want = exp(v);
            else if (oi == 2) want = 1 / (1 + exp(-v));
            else want = 0.5 * v * (1 + erf(v / sqrt(2.0)));
            int ok;
            if (want != want) ok = y[i] != y[i];
            else if (isinf(want) || isinf(y[i])) ok = (double)y[i] == (float)want;
            else if (oi == 3) ok = fabs(y[i] - want) <= 2e-6 * fmax(1, fabs(want)); /* see test_unary */
            else ok = fabs(y[i] - want) <= 1e-6 * fabs(want) + 1e-37;
            if (!ok && !bad++) fprintf(stderr, "%s(%.9g) = %.9g, want %.9g\n", ops[oi], v, y[i], want);
        }
        CHECK_MSG(bad == 0, "%s: %lld mismatches", ops[oi], (long long)bad);
        call_free(&c);
    }
    free(x);
}

static void test_unary_params(void) {
    float x[5] = {-3, -0.5f, 0, 0.5f, 3};
    int64_t d[1] = {5};
    opcall c;
    /* Gelu tanh approximation */
    memset(&c, 0, sizeof c);
    c.op = "Gelu";
    c.n_in = 1;
    c.n_out = 1;
    attr_str(&c, "approximate", "tanh");
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d, x);
    CHECK_OK(call_op(&c));
    for (int i = 0; i < 5; i++) {
        double v = x[i];
        double w = 0.5 * v * (1 + tanh(sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
        CHECK_NEAR(((float *)c.out[0].data)[i], w, 1e-6);
    }
    call_free(&c);
    /* com.microsoft Gelu is the erf form */
    memset(&c, 0, sizeof c);
    c.op = "Gelu";
    c.domain = "com.microsoft";
    c.n_in = 1;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d, x);
    CHECK_OK(call_op(&c));
    CHECK_NEAR(((float *)c.out[0].data)[4], 0.5 * 3 * (1 + erf(3 / sqrt(2.0))), 1e-6);
    call_free(&c);
    /* LeakyRelu alpha, Elu alpha, HardSigmoid alpha/beta */
    memset(&c, 0, sizeof c);
    c.op = "LeakyRelu";
    c.n_in = 1;
    c.n_out = 1;
    attr_float(&c, "alpha", 0.25f);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d, x);
    CHECK_OK(call_op(&c));
    CHECK(((float *)c.out[0].data)[0] == -0.75f && ((float *)c.out[0].data)[4] == 3.f);
    call_free(&c);
    memset(&c, 0, sizeof c);
    c.op = "HardSigmoid";
    c.n_in = 1;
    c.n_out = 1;
    attr_float(&c, "alpha", 0.5f);
    attr_float(&c, "beta", 0.25f);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d, x);
    CHECK_OK(call_op(&c));
    CHECK(((float *)c.out[0].data)[0] == 0.f && ((float *)c.out[0].data)[3] == 0.5f &&
          ((float *)c.out[0].data)[4] == 1.f);
    call_free(&c);
    /* integer Abs / Neg wrap at the minimum */
    int32_t iv[3] = {INT32_MIN, -5, 5};
    int64_t d3[1] = {3};
    memset(&c, 0, sizeof c);
    c.op = "Abs";
    c.n_in = 1;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_INT32, 1, d3, iv);
    CHECK_OK(call_op(&c));
    CHECK(((int32_t *)c.out[0].data)[0] == INT32_MIN && ((int32_t *)c.out[0].data)[1] == 5);
    call_free(&c);
    /* Not */
    uint8_t bv[3] = {0, 1, 1};
    memset(&c, 0, sizeof c);
    c.op = "Not";
    c.n_in = 1;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_BOOL, 1, d3, bv);
    CHECK_OK(call_op(&c));
    CHECK(((uint8_t *)c.out[0].data)[0] == 1 && ((uint8_t *)c.out[0].data)[2] == 0);
    call_free(&c);
    /* float64 Sigmoid */
    double dv[2] = {0.0, 2.0};
    int64_t d2[1] = {2};
    memset(&c, 0, sizeof c);
    c.op = "Sigmoid";
    c.n_in = 1;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_FLOAT64, 1, d2, dv);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].dtype == FSIFT_DTYPE_FLOAT64);
    CHECK_NEAR(((double *)c.out[0].data)[1], 1 / (1 + exp(-2.0)), 1e-15);
    call_free(&c);
    /* IsNaN / IsInf */
    float sp[4] = {NAN, INFINITY, -INFINITY, 1};
    int64_t d4[1] = {4};
    memset(&c, 0, sizeof c);
    c.op = "IsInf";
    c.n_in = 1;
    c.n_out = 1;
    attr_int(&c, "detect_positive", 0);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d4, sp);
    CHECK_OK(call_op(&c));
    static const uint8_t wi[4] = {0, 0, 1, 0};
    CHECK(!memcmp(c.out[0].data, wi, 4));
    call_free(&c);
    c.op = "IsNaN";
    c.n_attr = 0;
    CHECK_OK(call_op(&c));
    static const uint8_t wn[4] = {1, 0, 0, 0};
    CHECK(!memcmp(c.out[0].data, wn, 4));
    call_free(&c);
}

static void test_clip(void) {
    float x[5] = {-3, -1, 0, 1, NAN};
    int64_t d[1] = {5};
    opcall c;
    /* opset 6: attributes */
    memset(&c, 0, sizeof c);
    c.op = "Clip";
    c.opset = 6;
    c.n_in = 1;
    c.n_out = 1;
    attr_float(&c, "min", -2.f);
    attr_float(&c, "max", 0.5f);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d, x);
    CHECK_OK(call_op(&c));
    const float *y = c.out[0].data;
    CHECK(y[0] == -2.f && y[1] == -1.f && y[3] == 0.5f && y[4] != y[4]);
    call_free(&c);
    /* opset 13: min input only (max absent), not known at plan time */
    float lo = -0.5f;
    memset(&c, 0, sizeof c);
    c.op = "Clip";
    c.opset = 13;
    c.n_in = 3;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d, x);
    c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 0, NULL, &lo);
    c.unknown[1] = 1;
    c.absent[2] = 1;
    CHECK_OK(call_op(&c));
    y = c.out[0].data;
    CHECK(y[0] == -0.5f && y[2] == 0.f && y[3] == 1.f);
    call_free(&c);
    /* int8 with max only */
    int8_t xi[3] = {-128, 0, 127}, hi = 10;
    int64_t d3[1] = {3};
    memset(&c, 0, sizeof c);
    c.op = "Clip";
    c.opset = 13;
    c.n_in = 3;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_INT8, 1, d3, xi);
    c.absent[1] = 1;
    c.in[2] = tens(FSIFT_DTYPE_INT8, 0, NULL, &hi);
    CHECK_OK(call_op(&c));
    CHECK(((int8_t *)c.out[0].data)[0] == -128 && ((int8_t *)c.out[0].data)[2] == 10);
    call_free(&c);
    /* a non-scalar bound is an error */
    float two[2] = {0, 1};
    int64_t d2[1] = {2};
    memset(&c, 0, sizeof c);
    c.op = "Clip";
    c.opset = 13;
    c.n_in = 2;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d, x);
    c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 1, d2, two);
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    call_free(&c);
}

static void test_cast(void) {
    float x[8] = {-2.7f, 2.7f, 1e10f, -1e10f, NAN, 300.f, -5.f, 0.f};
    int64_t d[1] = {8};
    opcall c;
    memset(&c, 0, sizeof c);
    c.op = "Cast";
    c.n_in = 1;
    c.n_out = 1;
    attr_int(&c, "to", FSIFT_DTYPE_INT32);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d, x);
    CHECK_OK(call_op(&c));
    const int32_t *yi = c.out[0].data;
    CHECK(yi[0] == -2 && yi[1] == 2 && yi[2] == INT32_MAX && yi[3] == INT32_MIN && yi[4] == 0);
    call_free(&c);
    c.attrs[0].i = FSIFT_DTYPE_UINT8;
    CHECK_OK(call_op(&c));
    const uint8_t *yu = c.out[0].data;
    CHECK(yu[5] == 255 && yu[6] == 0 && yu[1] == 2);
    call_free(&c);
    c.attrs[0].i = FSIFT_DTYPE_BOOL;
    CHECK_OK(call_op(&c));
    yu = c.out[0].data;
    CHECK(yu[0] == 1 && yu[4] == 1 && yu[7] == 0);
    call_free(&c);
    c.attrs[0].i = FSIFT_DTYPE_FLOAT16;
    CHECK_OK(call_op(&c));
    CHECK(fsift_f16_to_f32(((uint16_t *)c.out[0].data)[6]) == -5.f);
    CHECK(isinf(fsift_f16_to_f32(((uint16_t *)c.out[0].data)[2])));
    call_free(&c);
    /* integer narrowing wraps */
    int64_t big[3] = {300, -1, (int64_t)1 << 40};
    int64_t d3[1] = {3};
    memset(&c, 0, sizeof c);
    c.op = "Cast";
    c.n_in = 1;
    c.n_out = 1;
    attr_int(&c, "to", FSIFT_DTYPE_INT8);
    c.in[0] = tens(FSIFT_DTYPE_INT64, 1, d3, big);
    CHECK_OK(call_op(&c));
    CHECK(((int8_t *)c.out[0].data)[0] == 44 && ((int8_t *)c.out[0].data)[1] == -1 &&
          ((int8_t *)c.out[0].data)[2] == 0);
    call_free(&c);
    c.attrs[0].i = FSIFT_DTYPE_FLOAT64;
    CHECK_OK(call_op(&c));
    CHECK(((double *)c.out[0].data)[2] == 1099511627776.0);
    call_free(&c);
    /* string and unknown codes are unsupported */
    c.attrs[0].i = FSIFT_DTYPE_STRING;
    CHECK(call_op(&c) == FSIFT_E_UNSUPPORTED);
    c.attrs[0].i = 16; /* bfloat16 */
    CHECK(call_op(&c) == FSIFT_E_UNSUPPORTED);
    /* CastLike */
    double like = 0;
    memset(&c, 0, sizeof c);
    c.op = "CastLike";
    c.n_in = 2;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d, x);
    c.in[1] = tens(FSIFT_DTYPE_FLOAT64, 0, NULL, &like);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].dtype == FSIFT_DTYPE_FLOAT64 && ((double *)c.out[0].data)[0] == (double)-2.7f);
    call_free(&c);
}

static void test_fused_activation_prelu(void) {
    int64_t d[4] = {1, 2, 2, 2}, ds[3] = {2, 1, 1};
    float a[8] = {-4, -1, 0, 1, 3, 5, 7, 9}, b = 0.5f;
    opcall c;
    memset(&c, 0, sizeof c);
    c.op = "Add";
    c.n_in = 2;
    c.n_out = 1;
    attr_str(&c, "activation", "RELU6");
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 4, d, a);
    c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 0, NULL, &b);
    CHECK_OK(call_op(&c));
    static const float w[8] = {0, 0, 0.5f, 1.5f, 3.5f, 5.5f, 6, 6};
    CHECK(!memcmp(c.out[0].data, w, sizeof w));
    call_free(&c);
    c.attrs[0].s = "SIGN_BIT";
    CHECK(call_op(&c) == FSIFT_E_UNSUPPORTED);
    /* PRelu with per-channel slope */
    float slope[2] = {0.1f, 2.f};
    memset(&c, 0, sizeof c);
    c.op = "PRelu";
    c.n_in = 2;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 4, d, a);
    c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 3, ds, slope);
    CHECK_OK(call_op(&c));
    const float *y = c.out[0].data;
    CHECK(fabsf(y[0] - -0.4f) < 1e-7f && fabsf(y[1] - -0.1f) < 1e-7f && y[3] == 1.f && y[4] == 3.f);
    call_free(&c);
    /* slope that would enlarge X is rejected */
    int64_t dbig[4] = {2, 2, 2, 2};
    float sbig[16] = {0};
    c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 4, dbig, sbig);
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
}

static void test_errors(void) {
    int64_t d1[1] = {3}, d2[1] = {4};
    float a[4] = {0}, b[4] = {0};
    int32_t ia[3] = {0};
    opcall c;
    memset(&c, 0, sizeof c);
    c.op = "Mul";
    c.n_in = 2;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d1, a);
    c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 1, d2, b);
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    CHECK(strstr(fsift_last_error(), "broadcast") != NULL);
    c.in[1] = tens(FSIFT_DTYPE_INT32, 1, d1, ia);
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    c.in[0] = tens(FSIFT_DTYPE_STRING, 1, d1, a);
    c.in[1] = tens(FSIFT_DTYPE_STRING, 1, d1, b);
    CHECK(call_op(&c) == FSIFT_E_UNSUPPORTED);
    c.n_in = 1;
    CHECK(call_op(&c) != FSIFT_OK);
    /* Where with a non-bool condition */
    memset(&c, 0, sizeof c);
    c.op = "Where";
    c.n_in = 3;
    c.n_out = 1;
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d1, a);
    c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 1, d1, a);
    c.in[2] = tens(FSIFT_DTYPE_FLOAT32, 1, d1, b);
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    /* Dropout: training mode with a ratio is unsupported; inference gives an all-true mask */
    float ratio = 0.5f;
    uint8_t tm = 1;
    memset(&c, 0, sizeof c);
    c.op = "Dropout";
    c.n_in = 3;
    c.n_out = 2;
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, d1, a);
    c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 0, NULL, &ratio);
    c.in[2] = tens(FSIFT_DTYPE_BOOL, 0, NULL, &tm);
    CHECK(call_op(&c) == FSIFT_E_UNSUPPORTED);
    call_free(&c);
    tm = 0;
    CHECK_OK(call_op(&c));
    CHECK(c.out[1].dtype == FSIFT_DTYPE_BOOL && ((uint8_t *)c.out[1].data)[2] == 1);
    call_free(&c);
}

int main(void) {
    CHECK_OK(fsift_pool_new(2, &g_pool));
    RUN(test_binary_broadcast);
    RUN(test_variadic);
    RUN(test_int_edges);
    RUN(test_compare_logic_where);
    RUN(test_unary);
    RUN(test_transcendental_sweep);
    RUN(test_unary_params);
    RUN(test_clip);
    RUN(test_cast);
    RUN(test_fused_activation_prelu);
    RUN(test_errors);
    fsift_pool_free(g_pool);
    return test_summary();
}
