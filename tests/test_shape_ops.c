/*
 * test_shape_ops.c — the shape operator group (src/nn/kernels/shape*.c).
 *
 * Each case drives one operator through its nn_op_def with a hand-filled nn_kctx (as
 * test_elementwise.c does): infer, allocate outputs, run on a two-thread pool. Transpose is
 * checked against a naive index walk for random ranks, shapes, permutations and element sizes
 * (and large shapes that take the tiled and the contiguous-run paths across threads); Slice
 * against an independent per-axis index list built from ONNX's rules, with extreme starts,
 * ends and steps; Concat/Split, Expand/Tile, the gathers and scatters, OneHot and Trilu
 * against small hand-worked or naive results. The limit cases check that shape arithmetic
 * with hostile values (huge Expand/Tile/Range/ConstantOfShape, mismatched Reshape, indices
 * out of range) is an error and never an allocation or an out-of-bounds access.
 */
#include <stdint.h>

#include "facesift/core.h"
#include "harness.h"
#include "kernel_harness.h"
#include "nn/graph.h"
#include "nn/ops.h"

static fsift_pool *g_pool;

/* ---- driving one op by hand (see test_elementwise.c) ---------------------------------------- */

typedef struct opcall {
    const char *op;
    int64_t opset;
    const nn_graph *g;
    nn_attr attrs[8];
    int n_attr;
    nn_tensor in[8];
    int n_in;
    int absent[8];
    int unknown[8];
    nn_tensor out[8];
    int n_out;
} opcall;

static void op_init(opcall *c, const char *op, int n_in, int n_out) {
    memset(c, 0, sizeof *c);
    c->op = op;
    c->n_in = n_in;
    c->n_out = n_out;
}

static nn_attr *attr_new(opcall *c, const char *name, nn_attr_type type) {
    nn_attr *a = &c->attrs[c->n_attr++];
    memset(a, 0, sizeof *a);
    a->name = name;
    a->type = type;
    return a;
}
static void attr_int(opcall *c, const char *name, int64_t v) { attr_new(c, name, NN_ATTR_INT)->i = v; }
static void attr_ints(opcall *c, const char *name, const int64_t *v, int n) {
    nn_attr *a = attr_new(c, name, NN_ATTR_INTS);
    a->ints = v;
    a->n = n;
}
static void attr_str(opcall *c, const char *name, const char *v) {
    nn_attr *a = attr_new(c, name, NN_ATTR_STRING);
    a->s = v;
    a->s_len = strlen(v);
}

static nn_tensor tens(int dtype, int rank, const int64_t *dims, const void *data) {
    nn_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = dtype;
    t.rank = rank;
    for (int i = 0; i < rank; i++) t.dims[i] = dims[i];
    t.data = (void *)data;
    return t;
}

static fsift_status call_op(opcall *c) {
    const nn_op_def *def = nn_op_lookup(c->op, "");
    if (!def) return fsift_error(FSIFT_E_UNSUPPORTED, "no op %s", c->op);
    nn_node node;
    memset(&node, 0, sizeof node);
    node.name = "t";
    node.op_type = c->op;
    node.domain = "";
    node.n_attr = c->n_attr;
    node.attrs = c->attrs;
    kh_call k = {.def = def, .g = c->g, .node = &node, .opset = c->opset ? c->opset : 17, .pool = g_pool,
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

static uint32_t rng_state = 777;
static uint32_t rnd(uint32_t n) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (rng_state >> 8) % n;
}

static float *iota_f(int64_t n) {
    float *p = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) p[i] = (float)i;
    return p;
}

static int next_coord(int r, const int64_t *d, int64_t *c) {
    for (int i = r - 1; i >= 0; i--) {
        if (++c[i] < d[i]) return 1;
        c[i] = 0;
    }
    return 0;
}

/* ---- Transpose ------------------------------------------------------------------------------- */

static int check_transpose(int rank, const int64_t *dims, const int64_t *perm, int dtype) {
    size_t es = fsift_dtype_size(dtype);
    int64_t n = nn_numel(rank, dims);
    unsigned char *x = malloc((size_t)n * es + 1);
    for (int64_t i = 0; i < (int64_t)((size_t)n * es); i++) x[i] = (unsigned char)(i * 7 + i / 251);
    opcall c;
    op_init(&c, "Transpose", 1, 1);
    attr_ints(&c, "perm", perm, rank);
    c.in[0] = tens(dtype, rank, dims, x);
    int ok = call_op(&c) == FSIFT_OK;
    if (ok) {
        int64_t ist[8], s = 1, oc[8] = {0};
        for (int i = rank - 1; i >= 0; i--) {
            ist[i] = s;
            s *= dims[i];
        }
        const unsigned char *y = c.out[0].data;
        for (int64_t i = 0; i < n && ok; i++) {
            int64_t off = 0;
            for (int j = 0; j < rank; j++) off += oc[j] * ist[perm[j]];
            if (memcmp(y + (size_t)i * es, x + (size_t)off * es, es)) ok = 0;
            next_coord(rank, c.out[0].dims, oc);
        }
    }
    call_free(&c);
    free(x);
    return ok;
}

static void test_transpose(void) {
    static const int dts[4] = {FSIFT_DTYPE_UINT8, FSIFT_DTYPE_FLOAT16, FSIFT_DTYPE_FLOAT32,
                               FSIFT_DTYPE_INT64};
    int bad = 0;
    for (int t = 0; t < 400; t++) {
        int rank = 1 + (int)rnd(6);
        int64_t dims[8], perm[8];
        int64_t total;
        do { /* keep each case under 50k elements */
            total = 1;
            for (int i = 0; i < rank; i++) {
                dims[i] = 1 + rnd(rnd(4) ? 5 : 40);
                perm[i] = i;
                total *= dims[i];
            }
        } while (total > 50000);
        for (int i = rank - 1; i > 0; i--) {
            int j = (int)rnd((uint32_t)i + 1);
            int64_t tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        if (!check_transpose(rank, dims, perm, dts[rnd(4)])) {
            if (!bad++) fprintf(stderr, "transpose rank %d failed\n", rank);
        }
    }
    CHECK(bad == 0);
    /* big shapes: tiled 2-D, NCHW->NHWC, contiguous runs, across threads */
    static const int64_t d1[3] = {1, 64, 3001}, p1[3] = {0, 2, 1};
    static const int64_t d2[4] = {2, 3, 100, 97}, p2[4] = {0, 2, 3, 1};
    static const int64_t d3[4] = {8, 77, 8, 64}, p3[4] = {0, 2, 1, 3};
    static const int64_t d4[2] = {513, 1025}, p4[2] = {1, 0};
    CHECK(check_transpose(3, d1, p1, FSIFT_DTYPE_FLOAT32));
    CHECK(check_transpose(4, d2, p2, FSIFT_DTYPE_FLOAT32));
    CHECK(check_transpose(4, d3, p3, FSIFT_DTYPE_FLOAT32));
    CHECK(check_transpose(2, d4, p4, FSIFT_DTYPE_UINT8));
    /* default perm reverses; a bad perm is an error */
    int64_t d[3] = {2, 3, 4};
    float *x = iota_f(24);
    opcall c;
    op_init(&c, "Transpose", 1, 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 3, d, x);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].dims[0] == 4 && c.out[0].dims[2] == 2 && ((float *)c.out[0].data)[1] == 12.f);
    call_free(&c);
    static const int64_t badp[3] = {0, 0, 1};
    attr_ints(&c, "perm", badp, 3);
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    free(x);
}

static void test_depth_space(void) {
    int64_t d[4] = {2, 8, 3, 5};
    float *x = iota_f(240);
    static const char *modes[2] = {"DCR", "CRD"};
    for (int m = 0; m < 2; m++) {
        opcall c;
        op_init(&c, "DepthToSpace", 1, 1);
        attr_int(&c, "blocksize", 2);
        attr_str(&c, "mode", modes[m]);
        c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 4, d, x);
        CHECK_OK(call_op(&c));
        CHECK(c.out[0].dims[1] == 2 && c.out[0].dims[2] == 6 && c.out[0].dims[3] == 10);
        /* y[n, c, h*b + i, w*b + j] = x[n, DCR: (i*b + j)*C' + c | CRD: c*b*b + i*b + j, h, w] */
        const float *y = c.out[0].data;
        int bad = 0;
        for (int n = 0; n < 2; n++)
            for (int ch = 0; ch < 2; ch++)
                for (int h = 0; h < 6; h++)
                    for (int w = 0; w < 10; w++) {
                        int i = h % 2, j = w % 2;
                        int ic = m == 0 ? (i * 2 + j) * 2 + ch : ch * 4 + i * 2 + j;
                        float want = x[((n * 8 + ic) * 3 + h / 2) * 5 + w / 2];
                        if (y[((n * 2 + ch) * 6 + h) * 10 + w] != want) bad++;
                    }
        CHECK_MSG(bad == 0, "%s", modes[m]);
        if (m == 0) { /* SpaceToDepth inverts DCR */
            opcall c2;
            op_init(&c2, "SpaceToDepth", 1, 1);
            attr_int(&c2, "blocksize", 2);
            c2.in[0] = c.out[0];
            CHECK_OK(call_op(&c2));
            CHECK(c2.out[0].dims[1] == 8 && !memcmp(c2.out[0].data, x, sizeof(float) * 240));
            call_free(&c2);
        }
        call_free(&c);
    }
    opcall c;
    op_init(&c, "DepthToSpace", 1, 1);
    attr_int(&c, "blocksize", 3);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 4, d, x);
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    free(x);
}

/* ---- Reshape, Flatten, Squeeze, Unsqueeze, Shape, Size ------------------------------------ */

static fsift_status reshape(const int64_t *xd, int xr, const int64_t *shape, int n, int allowzero,
                            nn_tensor *out) {
    float buf[64] = {0};
    int64_t sd[1] = {n};
    opcall c;
    op_init(&c, "Reshape", 2, 1);
    if (allowzero) attr_int(&c, "allowzero", 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, xr, xd, buf);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, sd, shape);
    fsift_status s = call_op(&c);
    *out = c.out[0];
    call_free(&c);
    return s;
}

static void test_reshape_family(void) {
    int64_t xd[3] = {2, 3, 4};
    nn_tensor o;
    static const int64_t s1[3] = {0, -1, 2};
    CHECK_OK(reshape(xd, 3, s1, 3, 0, &o));
    CHECK(o.rank == 3 && o.dims[0] == 2 && o.dims[1] == 6 && o.dims[2] == 2);
    static const int64_t s2[2] = {-1, -1};
    CHECK(reshape(xd, 3, s2, 2, 0, &o) == FSIFT_E_SHAPE);
    static const int64_t s3[2] = {5, 5};
    CHECK(reshape(xd, 3, s3, 2, 0, &o) == FSIFT_E_SHAPE);
    static const int64_t s4[2] = {-1, 5};
    CHECK(reshape(xd, 3, s4, 2, 0, &o) == FSIFT_E_SHAPE);
    static const int64_t s5[2] = {-2, 12};
    CHECK(reshape(xd, 3, s5, 2, 0, &o) == FSIFT_E_SHAPE);
    static const int64_t s6[2] = {(int64_t)1 << 40, (int64_t)1 << 40};
    CHECK(reshape(xd, 3, s6, 2, 0, &o) != FSIFT_OK);
    static const int64_t s7[2] = {INT64_MAX, 2};
    CHECK(reshape(xd, 3, s7, 2, 0, &o) != FSIFT_OK);
    /* allowzero: 0 is a real zero */
    int64_t zd[2] = {0, 3};
    static const int64_t s8[2] = {3, 0};
    CHECK_OK(reshape(zd, 2, s8, 2, 1, &o));
    CHECK(o.dims[0] == 3 && o.dims[1] == 0);
    /* a shape not known at plan time is unsupported */
    float buf[24] = {0};
    int64_t sd[1] = {3};
    opcall c;
    op_init(&c, "Reshape", 2, 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 3, xd, buf);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, sd, s1);
    c.unknown[1] = 1;
    CHECK(call_op(&c) == FSIFT_E_UNSUPPORTED);
    /* Flatten with negative axis */
    op_init(&c, "Flatten", 1, 1);
    attr_int(&c, "axis", -1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 3, xd, buf);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].dims[0] == 6 && c.out[0].dims[1] == 4);
    call_free(&c);
    c.attrs[0].i = 4;
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    /* Squeeze (opset 11 attribute, opset 13 input, none = all ones) and Unsqueeze */
    int64_t qd[4] = {1, 3, 1, 4};
    static const int64_t ax1[1] = {-2};
    op_init(&c, "Squeeze", 1, 1);
    c.opset = 11;
    attr_ints(&c, "axes", ax1, 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 4, qd, buf);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].rank == 3 && c.out[0].dims[2] == 4);
    call_free(&c);
    op_init(&c, "Squeeze", 1, 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 4, qd, buf);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].rank == 2 && c.out[0].dims[0] == 3);
    call_free(&c);
    static const int64_t ax2[1] = {1};
    int64_t ad[1] = {1};
    op_init(&c, "Squeeze", 2, 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 4, qd, buf);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, ad, ax2);
    CHECK(call_op(&c) == FSIFT_E_SHAPE); /* axis 1 has size 3 */
    static const int64_t ax3[3] = {0, -1, 3};
    int64_t ad3[1] = {3};
    op_init(&c, "Unsqueeze", 2, 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 3, xd, buf);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, ad3, ax3);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].rank == 6 && c.out[0].dims[0] == 1 && c.out[0].dims[1] == 2 &&
          c.out[0].dims[3] == 1 && c.out[0].dims[5] == 1);
    CHECK(!memcmp(c.out[0].data, buf, sizeof(float) * 24));
    call_free(&c);
    static const int64_t ax4[2] = {1, 1};
    int64_t ad2[1] = {2};
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, ad2, ax4);
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    int64_t bigd[6] = {1, 1, 1, 1, 1, 1};
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 6, bigd, buf);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, ad3, ax3);
    CHECK(call_op(&c) == FSIFT_E_LIMIT); /* rank 9 */
    /* Shape with start/end (data not known: Shape never reads it), Size */
    op_init(&c, "Shape", 1, 1);
    attr_int(&c, "start", -2);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 4, qd, NULL);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].dims[0] == 2 && ((int64_t *)c.out[0].data)[0] == 1 &&
          ((int64_t *)c.out[0].data)[1] == 4);
    call_free(&c);
    op_init(&c, "Size", 1, 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 4, qd, NULL);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].rank == 0 && *(int64_t *)c.out[0].data == 12);
    call_free(&c);
}

/* ---- Slice --------------------------------------------------------------------------------- */

/* Independent reference: the list of input indices an axis yields (ONNX Slice-13 rules). */
static int slice_axis_ref(int64_t dim, int64_t st, int64_t en, int64_t step, int64_t *idx) {
    int n = 0;
    if (st < 0) st = st < -dim ? 0 : st + dim;
    else if (st > dim) st = dim;
    if (en < 0) en = en < -dim ? -1 : en + dim;
    else if (en > dim) en = dim;
    if (step > 0) {
        if (st < 0) st = 0;
        if (en < 0) en = 0;
        for (int64_t i = st; i < en; i += step) {
            idx[n++] = i;
            if (step > dim) break;
        }
    } else {
        if (st > dim - 1) st = dim - 1;
        for (int64_t i = st; i > en && i >= 0; i += step) {
            idx[n++] = i;
            if (step < -dim) break;
        }
    }
    return n;
}

static void test_slice(void) {
    static const int64_t xd[3] = {5, 7, 4};
    float *x = iota_f(140);
    static const int64_t vals[] = {0, 1, 2, -1, -2, -5, 3, 7, 100, -100, INT64_MAX, INT64_MIN, 6, 4};
    static const int64_t steps[] = {1, 2, 3, -1, -2, -3, INT64_MAX, INT64_MIN, 1, 1};
    int bad = 0;
    for (int t = 0; t < 600; t++) {
        int n = 1 + (int)rnd(3);
        int64_t st[3], en[3], ax[3], sp[3];
        int used[3] = {0};
        for (int i = 0; i < n; i++) {
            int a;
            do a = (int)rnd(3); while (used[a]);
            used[a] = 1;
            ax[i] = rnd(2) ? a : a - 3;
            st[i] = vals[rnd(sizeof vals / sizeof vals[0])];
            en[i] = vals[rnd(sizeof vals / sizeof vals[0])];
            sp[i] = steps[rnd(sizeof steps / sizeof steps[0])];
        }
        int64_t ln[1] = {n};
        opcall c;
        op_init(&c, "Slice", 5, 1);
        c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 3, xd, x);
        c.in[1] = tens(FSIFT_DTYPE_INT64, 1, ln, st);
        c.in[2] = tens(FSIFT_DTYPE_INT64, 1, ln, en);
        c.in[3] = tens(FSIFT_DTYPE_INT64, 1, ln, ax);
        c.in[4] = tens(FSIFT_DTYPE_INT64, 1, ln, sp);
        if (call_op(&c) != FSIFT_OK) {
            bad++;
            fprintf(stderr, "slice failed: %s\n", fsift_last_error());
            continue;
        }
        int64_t idx[3][200], cnt[3];
        for (int a = 0; a < 3; a++) {
            cnt[a] = xd[a];
            for (int64_t i = 0; i < xd[a]; i++) idx[a][i] = i;
        }
        for (int i = 0; i < n; i++) {
            int a = (int)(ax[i] < 0 ? ax[i] + 3 : ax[i]);
            cnt[a] = slice_axis_ref(xd[a], st[i], en[i], sp[i], idx[a]);
        }
        int ok = 1;
        for (int a = 0; a < 3; a++) ok &= c.out[0].dims[a] == cnt[a];
        if (ok) {
            const float *y = c.out[0].data;
            int64_t p = 0;
            for (int64_t i = 0; i < cnt[0]; i++)
                for (int64_t j = 0; j < cnt[1]; j++)
                    for (int64_t l = 0; l < cnt[2]; l++)
                        ok &= y[p++] == x[(idx[0][i] * 7 + idx[1][j]) * 4 + idx[2][l]];
        }
        if (!ok && !bad++)
            fprintf(stderr, "slice mismatch: axis %lld start %lld end %lld step %lld\n",
                    (long long)ax[0], (long long)st[0], (long long)en[0], (long long)sp[0]);
        call_free(&c);
    }
    CHECK(bad == 0);
    /* opset 9: attributes, no steps */
    static const int64_t ast[1] = {1}, aen[1] = {-1}, aax[1] = {1};
    opcall c;
    op_init(&c, "Slice", 1, 1);
    c.opset = 9;
    attr_ints(&c, "starts", ast, 1);
    attr_ints(&c, "ends", aen, 1);
    attr_ints(&c, "axes", aax, 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 3, xd, x);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].dims[1] == 5 && ((float *)c.out[0].data)[0] == 4.f);
    call_free(&c);
    /* errors: zero step, repeated axis */
    static const int64_t z[1] = {0}, two[2] = {0, 0}, tax[2] = {1, -2};
    int64_t l1[1] = {1}, l2[1] = {2};
    op_init(&c, "Slice", 5, 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 3, xd, x);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, l1, z);
    c.in[2] = tens(FSIFT_DTYPE_INT64, 1, l1, ast);
    c.absent[3] = 1;
    c.in[4] = tens(FSIFT_DTYPE_INT64, 1, l1, z);
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, l2, two);
    c.in[2] = tens(FSIFT_DTYPE_INT64, 1, l2, two);
    c.absent[3] = 0;
    c.in[3] = tens(FSIFT_DTYPE_INT64, 1, l2, tax);
    c.absent[4] = 1;
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    free(x);
}

/* ---- Gather family ---------------------------------------------------------------------------- */

static void test_gather(void) {
    int64_t xd[3] = {3, 4, 2};
    float *x = iota_f(24);
    int64_t id[2] = {2, 2};
    int32_t ind[4] = {3, -1, 0, 1};
    opcall c;
    op_init(&c, "Gather", 2, 1);
    attr_int(&c, "axis", 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 3, xd, x);
    c.in[1] = tens(FSIFT_DTYPE_INT32, 2, id, ind);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].rank == 4 && c.out[0].dims[0] == 3 && c.out[0].dims[1] == 2 &&
          c.out[0].dims[3] == 2);
    const float *y = c.out[0].data;
    int bad = 0;
    for (int a = 0; a < 3; a++)
        for (int q = 0; q < 4; q++)
            for (int b = 0; b < 2; b++) {
                int iv = ind[q] < 0 ? ind[q] + 4 : ind[q];
                if (y[(a * 4 + q) * 2 + b] != x[(a * 4 + iv) * 2 + b]) bad++;
            }
    CHECK(bad == 0);
    call_free(&c);
    /* out of range: at plan time when known, at run time otherwise */
    ind[2] = 4;
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    CHECK(strstr(fsift_last_error(), "index 4") != NULL);
    call_free(&c);
    c.unknown[1] = 1;
    ind[2] = -5;
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    CHECK(strstr(fsift_last_error(), "index -5") != NULL);
    call_free(&c);
    /* scalar index on axis 0 drops the axis */
    int64_t one = 2;
    op_init(&c, "Gather", 2, 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 3, xd, x);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 0, NULL, &one);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].rank == 2 && ((float *)c.out[0].data)[0] == 16.f);
    call_free(&c);

    /* GatherElements on axis 1 */
    int64_t ed[3] = {3, 2, 2};
    int64_t eind[12] = {0, 3, -1, 2, 1, 1, 0, 0, 3, 2, 1, 0};
    op_init(&c, "GatherElements", 2, 1);
    attr_int(&c, "axis", 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 3, xd, x);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 3, ed, eind);
    CHECK_OK(call_op(&c));
    y = c.out[0].data;
    bad = 0;
    for (int a = 0; a < 3; a++)
        for (int q = 0; q < 2; q++)
            for (int b = 0; b < 2; b++) {
                int64_t iv = eind[(a * 2 + q) * 2 + b];
                if (iv < 0) iv += 4;
                if (y[(a * 2 + q) * 2 + b] != x[(a * 4 + iv) * 2 + b]) bad++;
            }
    CHECK(bad == 0);
    call_free(&c);
    eind[5] = 4;
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    call_free(&c);

    /* GatherND, batch_dims 1: data [3,4,2], indices [3,1,1] -> [3,1,2] */
    int64_t nd[3] = {3, 1, 1}, nind[3] = {1, -1, 0};
    op_init(&c, "GatherND", 2, 1);
    attr_int(&c, "batch_dims", 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 3, xd, x);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 3, nd, nind);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].rank == 3 && c.out[0].dims[2] == 2);
    y = c.out[0].data;
    CHECK(y[0] == 2 && y[1] == 3 && y[2] == 14 && y[3] == 15 && y[4] == 16 && y[5] == 17);
    call_free(&c);
    nind[1] = 9;
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    call_free(&c);

    /* ScatterND with reduction add and none */
    float data[8] = {1, 2, 3, 4, 5, 6, 7, 8}, upd[4] = {10, 20, 30, 40};
    int64_t dd[1] = {8}, sid[2] = {4, 1}, sind[4] = {4, 3, 1, 4}, ud[1] = {4};
    op_init(&c, "ScatterND", 3, 1);
    attr_str(&c, "reduction", "add");
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 1, dd, data);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 2, sid, sind);
    c.in[2] = tens(FSIFT_DTYPE_FLOAT32, 1, ud, upd);
    CHECK_OK(call_op(&c));
    static const float ws[8] = {1, 32, 3, 24, 55, 6, 7, 8};
    CHECK(!memcmp(c.out[0].data, ws, sizeof ws));
    call_free(&c);
    sind[0] = 8;
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    call_free(&c);
    free(x);
}

/* ---- Concat / Split ------------------------------------------------------------------------------ */

static void test_concat_split(void) {
    int64_t d0[3] = {2, 3, 4}, d1[3] = {2, 5, 4}, d2[3] = {2, 0, 4};
    float *a = iota_f(24), *b = iota_f(40);
    for (int i = 0; i < 40; i++) b[i] += 100;
    opcall c;
    op_init(&c, "Concat", 3, 1);
    attr_int(&c, "axis", -2);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 3, d0, a);
    c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 3, d2, NULL);
    c.in[2] = tens(FSIFT_DTYPE_FLOAT32, 3, d1, b);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].dims[1] == 8);
    const float *y = c.out[0].data;
    CHECK(y[0] == 0 && y[12] == 100 && y[32] == 12 && y[44] == 120);
    /* Split back with a split input */
    int64_t sd[1] = {3};
    static const int64_t sp[3] = {3, 0, 5};
    opcall s;
    op_init(&s, "Split", 2, 3);
    attr_int(&s, "axis", 1);
    s.in[0] = c.out[0];
    s.in[1] = tens(FSIFT_DTYPE_INT64, 1, sd, sp);
    CHECK_OK(call_op(&s));
    CHECK(s.out[1].dims[1] == 0 && !memcmp(s.out[0].data, a, 96) && !memcmp(s.out[2].data, b, 160));
    call_free(&s);
    /* uneven num_outputs (opset 18): 8 -> 3,3,2 */
    op_init(&s, "Split", 1, 3);
    s.opset = 18;
    attr_int(&s, "axis", 1);
    attr_int(&s, "num_outputs", 3);
    s.in[0] = c.out[0];
    CHECK_OK(call_op(&s));
    CHECK(s.out[0].dims[1] == 3 && s.out[2].dims[1] == 2 && ((float *)s.out[2].data)[0] == 112.f);
    call_free(&s);
    /* equal split that does not divide is an error; so are bad split sums */
    op_init(&s, "Split", 1, 3);
    attr_int(&s, "axis", 1);
    s.in[0] = c.out[0];
    CHECK(call_op(&s) == FSIFT_E_SHAPE);
    static const int64_t bad[3] = {3, 3, 3};
    op_init(&s, "Split", 2, 3);
    attr_int(&s, "axis", 1);
    s.in[0] = c.out[0];
    s.in[1] = tens(FSIFT_DTYPE_INT64, 1, sd, bad);
    CHECK(call_op(&s) == FSIFT_E_SHAPE);
    call_free(&c);
    /* concat shape mismatch */
    int64_t d3[3] = {3, 3, 4};
    c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 3, d3, a);
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    /* big concat on axis 0 (parallel copies) and on the last axis (many rows) */
    int64_t bd[2] = {4000, 300};
    float *big = iota_f(1200000);
    op_init(&c, "Concat", 2, 1);
    attr_int(&c, "axis", 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 2, bd, big);
    c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 2, bd, big);
    CHECK_OK(call_op(&c));
    y = c.out[0].data;
    CHECK(y[600 * 3999 + 299] == big[300 * 3999 + 299] && y[600 * 3999 + 599] == big[300 * 3999 + 299]);
    call_free(&c);
    free(big);
    free(a);
    free(b);
}

/* ---- Expand, Tile, ConstantOfShape, Range, limits ------------------------------------------------ */

static void test_expand_tile(void) {
    int64_t xd[2] = {3, 1};
    float x[3] = {1, 2, 3};
    static const int64_t shape[3] = {2, 1, 4};
    int64_t sd[1] = {3};
    opcall c;
    op_init(&c, "Expand", 2, 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 2, xd, x);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, sd, shape);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].rank == 3 && c.out[0].dims[0] == 2 && c.out[0].dims[1] == 3 && c.out[0].dims[2] == 4);
    const float *y = c.out[0].data;
    int bad = 0;
    for (int i = 0; i < 24; i++) bad += y[i] != x[(i / 4) % 3];
    CHECK(bad == 0);
    call_free(&c);
    /* huge Expand: error, no allocation */
    static const int64_t huge[3] = {(int64_t)1 << 20, 3, (int64_t)1 << 20};
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, sd, huge);
    CHECK(call_op(&c) == FSIFT_E_LIMIT);
    static const int64_t neg[3] = {2, -1, 4};
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, sd, neg);
    CHECK(call_op(&c) == FSIFT_E_SHAPE);

    /* Tile vs naive */
    int64_t td[3] = {2, 3, 2};
    float *tx = iota_f(12);
    static const int64_t rep[3] = {2, 1, 3};
    op_init(&c, "Tile", 2, 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 3, td, tx);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, sd, rep);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].dims[0] == 4 && c.out[0].dims[1] == 3 && c.out[0].dims[2] == 6);
    y = c.out[0].data;
    int64_t cc[3] = {0};
    bad = 0;
    for (int i = 0; i < 72; i++) {
        bad += y[i] != tx[((cc[0] % 2) * 3 + cc[1] % 3) * 2 + cc[2] % 2];
        next_coord(3, c.out[0].dims, cc);
    }
    CHECK(bad == 0);
    call_free(&c);
    static const int64_t rhuge[3] = {INT64_MAX, 2, 2};
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, sd, rhuge);
    CHECK(call_op(&c) == FSIFT_E_LIMIT);
    static const int64_t rbig[3] = {(int64_t)1 << 30, 1, 1};
    c.in[1] = tens(FSIFT_DTYPE_INT64, 1, sd, rbig);
    CHECK(call_op(&c) == FSIFT_E_LIMIT);
    free(tx);

    /* Range: counts, negative delta, limits */
    int32_t r0 = 10, r1 = 1, r2 = -3;
    op_init(&c, "Range", 3, 1);
    c.in[0] = tens(FSIFT_DTYPE_INT32, 0, NULL, &r0);
    c.in[1] = tens(FSIFT_DTYPE_INT32, 0, NULL, &r1);
    c.in[2] = tens(FSIFT_DTYPE_INT32, 0, NULL, &r2);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].dims[0] == 3 && ((int32_t *)c.out[0].data)[2] == 4);
    call_free(&c);
    r2 = 0;
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    int64_t l0 = INT64_MIN, l1 = INT64_MAX, l2 = 1;
    op_init(&c, "Range", 3, 1);
    c.in[0] = tens(FSIFT_DTYPE_INT64, 0, NULL, &l0);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 0, NULL, &l1);
    c.in[2] = tens(FSIFT_DTYPE_INT64, 0, NULL, &l2);
    CHECK(call_op(&c) == FSIFT_E_LIMIT);
    float f0 = 0, f1 = 2e9f, f2 = 0.5f;
    op_init(&c, "Range", 3, 1);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 0, NULL, &f0);
    c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 0, NULL, &f1);
    c.in[2] = tens(FSIFT_DTYPE_FLOAT32, 0, NULL, &f2);
    CHECK(call_op(&c) == FSIFT_E_LIMIT);
    f1 = 2.f;
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].dims[0] == 4 && ((float *)c.out[0].data)[3] == 1.5f);
    call_free(&c);
    c.unknown[1] = 1;
    CHECK(call_op(&c) == FSIFT_E_UNSUPPORTED);
}

static void test_constants(void) {
    nn_graph *g = NULL;
    CHECK_OK(nn_graph_new(&g));
    int32_t seven = 7;
    int idx = -1;
    CHECK_OK(nn_graph_add_const(g, "v", FSIFT_DTYPE_INT32, 0, NULL, &seven, 4, &idx));
    static const int64_t shape[2] = {2, 3};
    int64_t sd[1] = {2};
    opcall c;
    op_init(&c, "ConstantOfShape", 1, 1);
    c.g = g;
    nn_attr *a = attr_new(&c, "value", NN_ATTR_TENSOR);
    a->i = idx;
    c.in[0] = tens(FSIFT_DTYPE_INT64, 1, sd, shape);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].dtype == FSIFT_DTYPE_INT32 && ((int32_t *)c.out[0].data)[5] == 7);
    call_free(&c);
    static const int64_t huge[2] = {(int64_t)1 << 30, 1 << 20};
    c.in[0] = tens(FSIFT_DTYPE_INT64, 1, sd, huge);
    CHECK(call_op(&c) == FSIFT_E_LIMIT);
    static const int64_t neg[2] = {2, -3};
    c.in[0] = tens(FSIFT_DTYPE_INT64, 1, sd, neg);
    CHECK(call_op(&c) == FSIFT_E_SHAPE);
    /* default value: float 0; empty shape: a scalar */
    op_init(&c, "ConstantOfShape", 1, 1);
    int64_t zd[1] = {0};
    c.in[0] = tens(FSIFT_DTYPE_INT64, 1, zd, shape);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].rank == 0 && c.out[0].dtype == FSIFT_DTYPE_FLOAT32 && *(float *)c.out[0].data == 0.f);
    call_free(&c);
    /* Constant with a tensor value and with value_ints */
    op_init(&c, "Constant", 0, 1);
    c.g = g;
    a = attr_new(&c, "value", NN_ATTR_TENSOR);
    a->i = idx;
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].rank == 0 && *(int32_t *)c.out[0].data == 7);
    call_free(&c);
    op_init(&c, "Constant", 0, 1);
    attr_ints(&c, "value_ints", shape, 2);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].dtype == FSIFT_DTYPE_INT64 && ((int64_t *)c.out[0].data)[1] == 3);
    call_free(&c);
    nn_graph_free(g);
}

static void test_onehot_trilu(void) {
    int64_t ind[3] = {0, -1, 7};
    int64_t idim[1] = {3};
    float depth = 4;
    float vals[2] = {-1, 5};
    int64_t vd[1] = {2};
    opcall c;
    op_init(&c, "OneHot", 3, 1);
    attr_int(&c, "axis", 0);
    c.in[0] = tens(FSIFT_DTYPE_INT64, 1, idim, ind);
    c.in[1] = tens(FSIFT_DTYPE_FLOAT32, 0, NULL, &depth);
    c.in[2] = tens(FSIFT_DTYPE_FLOAT32, 1, vd, vals);
    CHECK_OK(call_op(&c));
    CHECK(c.out[0].dims[0] == 4 && c.out[0].dims[1] == 3);
    static const float w[12] = {5, -1, -1, -1, -1, -1, -1, -1, -1, -1, 5, -1};
    CHECK(!memcmp(c.out[0].data, w, sizeof w));
    call_free(&c);
    depth = 1e15f;
    CHECK(call_op(&c) != FSIFT_OK);

    int64_t td[2] = {3, 4};
    float *x = iota_f(12);
    int64_t kv = -1;
    op_init(&c, "Trilu", 2, 1);
    attr_int(&c, "upper", 0);
    c.in[0] = tens(FSIFT_DTYPE_FLOAT32, 2, td, x);
    c.in[1] = tens(FSIFT_DTYPE_INT64, 0, NULL, &kv);
    CHECK_OK(call_op(&c));
    static const float wl[12] = {0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0};
    CHECK(!memcmp(c.out[0].data, wl, sizeof wl));
    call_free(&c);
    kv = INT64_MIN; /* upper with an extreme k keeps everything */
    c.attrs[0].i = 1;
    CHECK_OK(call_op(&c));
    CHECK(!memcmp(c.out[0].data, x, sizeof(float) * 12));
    call_free(&c);
    free(x);
}

int main(void) {
    CHECK_OK(fsift_pool_new(2, &g_pool));
    RUN(test_transpose);
    RUN(test_depth_space);
    RUN(test_reshape_family);
    RUN(test_slice);
    RUN(test_gather);
    RUN(test_concat_split);
    RUN(test_expand_tile);
    RUN(test_constants);
    RUN(test_onehot_trilu);
    fsift_pool_free(g_pool);
    return test_summary();
}
