/*
 * test_onnx_load.c — the ONNX loader (src/nn/onnx): the protobuf reader, graphs built from
 * python3-onnx models (tests/gen_onnx_small.py, run into $FSIFT_BUILD_DIR/testdata/onnx;
 * those checks are skipped with a reason if python3-onnx is missing), and hostile files built
 * here byte by byte with a tiny protobuf writer: every truncation of valid models, lengths
 * past the end, huge/negative dims, rank 9, bad dtype codes, data that does not match the
 * shape, cycles, values produced twice, undefined inputs, unsupported ops, escaping external
 * data paths, plus a few thousand random mutations. Hostile input must give an error, never
 * a crash (run this test under ASan/UBSan to make "never" mean something).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "nn/graph.h"
#include "nn/onnx/onnx.h"
#include "nn/onnx/pb.h"

/* ---- a tiny protobuf writer ------------------------------------------------------------- */

typedef struct wb {
    uint8_t *p;
    size_t n, cap;
} wb;

static void wb_put(wb *b, const void *d, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) abort();
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void w_varint(wb *b, uint64_t v) {
    uint8_t t[10];
    int n = 0;
    do {
        t[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v) t[n] |= 0x80;
        n++;
    } while (v);
    wb_put(b, t, (size_t)n);
}

static void w_tag(wb *b, int field, int wire) { w_varint(b, ((uint64_t)field << 3) | (uint64_t)wire); }
static void w_int(wb *b, int field, int64_t v) { w_tag(b, field, 0), w_varint(b, (uint64_t)v); }
static void w_bytes(wb *b, int field, const void *d, size_t n) {
    w_tag(b, field, 2);
    w_varint(b, n);
    wb_put(b, d, n);
}
static void w_str(wb *b, int field, const char *s) { w_bytes(b, field, s, strlen(s)); }
static void w_f32(wb *b, int field, float f) {
    uint8_t t[4];
    memcpy(t, &f, 4);
    w_tag(b, field, 5);
    wb_put(b, t, 4);
}
/* Appends sub as a nested message and frees it. */
static void w_msg(wb *b, int field, wb *sub) {
    w_bytes(b, field, sub->p, sub->n);
    free(sub->p);
    memset(sub, 0, sizeof *sub);
}

/* TensorProto with raw data. */
static wb t_raw(const char *name, int dtype, int rank, const int64_t *dims, const void *data,
                size_t n) {
    wb t = {0};
    for (int i = 0; i < rank; i++) w_int(&t, 1, dims[i]);
    w_int(&t, 2, dtype);
    if (name) w_str(&t, 8, name);
    w_bytes(&t, 9, data, n);
    return t;
}

/* ValueInfoProto for a tensor (rank < 0: no shape). */
static wb vinfo(const char *name, int elem, int rank, const int64_t *dims) {
    wb v = {0}, tp = {0}, tt = {0}, sh = {0};
    w_str(&v, 1, name);
    w_int(&tt, 1, elem);
    for (int i = 0; i < rank; i++) {
        wb d = {0};
        w_int(&d, 1, dims[i]);
        w_msg(&sh, 1, &d);
    }
    if (rank >= 0) w_msg(&tt, 2, &sh);
    w_msg(&tp, 1, &tt);
    w_msg(&v, 2, &tp);
    return v;
}

static wb node(const char *op, int n_in, const char *const *in, int n_out,
               const char *const *out, const char *name) {
    wb nd = {0};
    for (int i = 0; i < n_in; i++) w_str(&nd, 1, in[i]);
    for (int i = 0; i < n_out; i++) w_str(&nd, 2, out[i]);
    if (name) w_str(&nd, 3, name);
    w_str(&nd, 4, op);
    return nd;
}

/* ModelProto around a finished GraphProto (freed). */
static wb model(int64_t opset, wb *graph) {
    wb m = {0}, os = {0};
    w_int(&m, 1, 8);
    w_str(&m, 2, "ctest");
    w_msg(&m, 7, graph);
    w_str(&os, 1, "");
    w_int(&os, 2, opset);
    w_msg(&m, 8, &os);
    return m;
}

/* The base model: Y = X + B, X float[2] input, B float[2] initializer. Pieces may be replaced
 * through the hooks: an extra initializer, an extra node, a custom X rank. */
typedef struct base_opts {
    wb *extra_init;   /* TensorProto appended as initializer (freed) */
    wb *extra_node;   /* NodeProto appended (freed) */
    wb *extra_input;  /* ValueInfoProto appended as input (freed) */
    const char *y;    /* graph output name (default "Y") */
    int64_t opset;
} base_opts;

static wb base_model(const base_opts *o) {
    wb g = {0}, t, v;
    int64_t d2[1] = {2};
    float bdata[2] = {0.5f, -1.0f};
    const char *in[2] = {"X", "B"}, *out[1] = {"Y"};
    wb n = node("Add", 2, in, 1, out, "add");
    w_msg(&g, 1, &n);
    if (o && o->extra_node) w_msg(&g, 1, o->extra_node);
    w_str(&g, 2, "g");
    t = t_raw("B", FSIFT_DTYPE_FLOAT32, 1, d2, bdata, sizeof bdata);
    w_msg(&g, 5, &t);
    if (o && o->extra_init) w_msg(&g, 5, o->extra_init);
    v = vinfo("X", FSIFT_DTYPE_FLOAT32, 1, d2);
    w_msg(&g, 11, &v);
    if (o && o->extra_input) w_msg(&g, 11, o->extra_input);
    v = vinfo(o && o->y ? o->y : "Y", FSIFT_DTYPE_FLOAT32, 1, d2);
    w_msg(&g, 12, &v);
    return model(o && o->opset ? o->opset : 13, &g);
}

/* Loads bytes; returns the status and frees the graph. */
static fsift_status try_load(const wb *m) {
    nn_graph *g = NULL;
    fsift_status st = nn_onnx_load(m->p, m->n, NULL, &g);
    CHECK(st == FSIFT_OK ? g != NULL : g == NULL);
    nn_graph_free(g);
    return st;
}

#define CHECK_ERR(m, want, substr)                                                           \
    do {                                                                                     \
        fsift_status st_ = try_load(&(m));                                                   \
        CHECK_MSG(st_ == (want), "status %d (%s), wanted %d", st_, fsift_last_error(), want); \
        CHECK_MSG(strstr(fsift_last_error(), substr) != NULL, "message '%s' lacks '%s'",     \
                  fsift_last_error(), substr);                                               \
        free((m).p);                                                                         \
    } while (0)

/* ---- protobuf reader -------------------------------------------------------------------- */

static void test_pb_reader(void) {
    const uint8_t *p;
    uint64_t v;
    uint8_t max10[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    p = max10;
    CHECK_OK(nn_pb_varint(&p, max10 + 10, &v));
    CHECK(v == UINT64_MAX && p == max10 + 10);
    uint8_t over[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    p = over;
    CHECK(nn_pb_varint(&p, over + 10, &v) == FSIFT_E_FORMAT);
    uint8_t eleven[11] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    p = eleven;
    CHECK(nn_pb_varint(&p, eleven + 11, &v) == FSIFT_E_FORMAT);
    uint8_t trunc[2] = {0x80, 0x80};
    p = trunc;
    CHECK(nn_pb_varint(&p, trunc + 2, &v) == FSIFT_E_FORMAT);

    nn_pb r;
    nn_pb_field f;
    uint8_t len_past[3] = {0x0a, 0x05, 'a'}; /* field 1, LEN 5, 1 byte */
    nn_pb_init(&r, len_past, sizeof len_past);
    CHECK(nn_pb_next(&r, &f) == FSIFT_E_FORMAT);
    uint8_t huge_len[12] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0};
    nn_pb_init(&r, huge_len, sizeof huge_len);
    CHECK(nn_pb_next(&r, &f) == FSIFT_E_FORMAT);
    uint8_t group[2] = {0x0b, 0x0c}; /* start/end group */
    nn_pb_init(&r, group, sizeof group);
    CHECK(nn_pb_next(&r, &f) == FSIFT_E_FORMAT);
    uint8_t field0[2] = {0x00, 0x01};
    nn_pb_init(&r, field0, sizeof field0);
    CHECK(nn_pb_next(&r, &f) == FSIFT_E_FORMAT);
    uint8_t fixed_short[4] = {0x0d, 1, 2, 3}; /* field 1 I32 with 3 bytes */
    nn_pb_init(&r, fixed_short, sizeof fixed_short);
    CHECK(nn_pb_next(&r, &f) == FSIFT_E_FORMAT);
    nn_pb_init(&r, NULL, 0);
    CHECK(nn_pb_next(&r, &f) == 0);

    /* packed and unpacked repeated varints */
    wb b = {0};
    w_tag(&b, 1, 2);
    w_varint(&b, 3);
    w_varint(&b, 1), w_varint(&b, 300);
    w_int(&b, 1, 7);
    nn_pb_init(&r, b.p, b.n);
    int64_t got[4];
    int k = 0;
    while (nn_pb_next(&r, &f) == 1) {
        nn_pb_iter it;
        size_t n;
        CHECK_OK(nn_pb_iter_init(&it, &f, NN_PB_VARINT, &n));
        while (k < 4 && nn_pb_iter_next(&it, &v)) got[k++] = (int64_t)v;
    }
    CHECK(k == 3 && got[0] == 1 && got[1] == 300 && got[2] == 7);
    free(b.p);
    /* packed varints with a truncated last element */
    uint8_t bad_packed[4] = {0x0a, 0x02, 0x01, 0x80};
    nn_pb_init(&r, bad_packed, sizeof bad_packed);
    CHECK(nn_pb_next(&r, &f) == 1);
    {
        nn_pb_iter it;
        size_t n;
        CHECK(nn_pb_iter_init(&it, &f, NN_PB_VARINT, &n) == FSIFT_E_FORMAT);
        uint8_t odd[5] = {0x0a, 0x03, 1, 2, 3}; /* packed fixed32 with 3 bytes */
        nn_pb_init(&r, odd, sizeof odd);
        CHECK(nn_pb_next(&r, &f) == 1);
        CHECK(nn_pb_iter_init(&it, &f, NN_PB_I32, &n) == FSIFT_E_FORMAT);
    }
    /* depth limit */
    nn_pb parent = {max10, max10, NN_PB_MAX_DEPTH}, child;
    nn_pb_field lf = {1, NN_PB_LEN, 0, max10, 0};
    CHECK(nn_pb_sub(&parent, &lf, &child) == FSIFT_E_LIMIT);
}

/* ---- models built here -------------------------------------------------------------------- */

static void test_c_base_model(void) {
    wb m = base_model(NULL);
    nn_graph *g = NULL;
    CHECK_OK(nn_onnx_load(m.p, m.n, NULL, &g));
    if (g) {
        CHECK(g->format == FSIFT_MODEL_ONNX && g->opset == 13);
        CHECK(!strcmp(g->producer, "ctest"));
        CHECK(g->n_inputs == 1 && g->n_outputs == 1 && g->n_nodes == 1);
        int b = nn_graph_find(g, "B");
        CHECK(b >= 0 && g->vals[b].kind == NN_VAL_CONST);
        if (b >= 0) CHECK(((float *)g->vals[b].data)[1] == -1.0f);
        CHECK(!strcmp(g->nodes[0].op_type, "Add") && !strcmp(g->nodes[0].domain, ""));
    }
    nn_graph_free(g);
    free(m.p);
}

/* Every strict prefix of a valid model must fail cleanly. */
static void truncations(const uint8_t *data, size_t size, const char *what) {
    int bad = 0;
    for (size_t cut = 0; cut < size; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1); /* exact-size copy so ASan sees overreads */
        memcpy(copy, data, cut);
        nn_graph *g = NULL;
        fsift_status st = nn_onnx_load(copy, cut, NULL, &g);
        if (st == FSIFT_OK) bad++;
        nn_graph_free(g);
        free(copy);
    }
    CHECK_MSG(bad == 0, "%s: %d truncated copies loaded", what, bad);
}

static void test_truncated(void) {
    wb m = base_model(NULL);
    truncations(m.p, m.n, "base model");
    free(m.p);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random byte mutations of a valid model: anything may happen except a crash. */
static void mutations(const uint8_t *data, size_t size, int rounds) {
    int loaded = 0;
    for (int r = 0; r < rounds; r++) {
        uint8_t *copy = malloc(size);
        memcpy(copy, data, size);
        int k = 1 + (int)(rng() % 4);
        for (int i = 0; i < k; i++) {
            size_t at = rng() % size;
            switch (rng() % 4) {
            case 0: copy[at] ^= (uint8_t)(1u << (rng() % 8)); break;
            case 1: copy[at] = (uint8_t)rng(); break;
            case 2: copy[at] = 0xff; break;
            default: copy[at] = (uint8_t)(copy[at] + 1); break;
            }
        }
        nn_graph *g = NULL;
        if (nn_onnx_load(copy, size, NULL, &g) == FSIFT_OK) loaded++;
        nn_graph_free(g);
        free(copy);
    }
    CHECK(loaded < rounds);
}

static void test_mutated(void) {
    wb m = base_model(NULL);
    mutations(m.p, m.n, 20000);
    free(m.p);
}

static void test_hostile_tensors(void) {
    float one = 1.0f;
    base_opts o = {0};
    wb t, m;
    /* a dim over NN_MAX_DIM */
    int64_t huge[1] = {(int64_t)1 << 41};
    t = t_raw("H", FSIFT_DTYPE_FLOAT32, 1, huge, &one, 4);
    o.extra_init = &t;
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_LIMIT, "dim");
    /* dims whose product overflows int64 */
    int64_t big2[3] = {(int64_t)1 << 40, (int64_t)1 << 40, (int64_t)1 << 40};
    t = t_raw("H", FSIFT_DTYPE_FLOAT32, 3, big2, &one, 4);
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_LIMIT, "overflow");
    /* a huge but representable shape with 4 bytes of data: rejected before allocating */
    int64_t big[2] = {(int64_t)1 << 30, (int64_t)1 << 30};
    t = t_raw("H", FSIFT_DTYPE_FLOAT32, 2, big, &one, 4);
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_FORMAT, "raw_data has 4 bytes");
    /* negative dim */
    int64_t neg[1] = {-1};
    t = t_raw("H", FSIFT_DTYPE_FLOAT32, 1, neg, &one, 4);
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_FORMAT, "negative");
    /* rank 9 */
    int64_t r9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    t = t_raw("H", FSIFT_DTYPE_FLOAT32, 9, r9, &one, 4);
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_LIMIT, "dims");
    /* dtype codes: invalid, undefined, string, bfloat16 */
    int64_t d1[1] = {1};
    t = t_raw("H", 99, 1, d1, &one, 4);
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_FORMAT, "invalid dtype code 99");
    t = t_raw("H", 0, 1, d1, &one, 4);
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_FORMAT, "invalid dtype");
    t = t_raw("H", 8, 1, d1, &one, 4);
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_UNSUPPORTED, "dtype string");
    t = t_raw("H", 16, 1, d1, &one, 4);
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_UNSUPPORTED, "dtype bfloat16");
    /* typed data count mismatch: shape [4], 3 floats */
    t = (wb){0};
    int64_t d4 = 4;
    w_int(&t, 1, d4);
    w_int(&t, 2, FSIFT_DTYPE_FLOAT32);
    w_str(&t, 8, "H");
    for (int i = 0; i < 3; i++) w_f32(&t, 4, 1.0f);
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_FORMAT, "has 3 data elements");
    /* both raw and typed data */
    t = (wb){0};
    w_int(&t, 1, 1);
    w_int(&t, 2, FSIFT_DTYPE_FLOAT32);
    w_str(&t, 8, "H");
    w_f32(&t, 4, 1.0f);
    w_bytes(&t, 9, &one, 4);
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_FORMAT, "both");
    /* typed field that does not match the dtype (int64 tensor with float_data) */
    t = (wb){0};
    w_int(&t, 1, 1);
    w_int(&t, 2, FSIFT_DTYPE_INT64);
    w_str(&t, 8, "H");
    w_f32(&t, 4, 1.0f);
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_FORMAT, "does not match");
    /* float tensor without data */
    t = (wb){0};
    w_int(&t, 1, 3);
    w_int(&t, 2, FSIFT_DTYPE_FLOAT32);
    w_str(&t, 8, "H");
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_FORMAT, "has 0 data elements");
    /* initializer without a name; initializer defined twice */
    t = t_raw(NULL, FSIFT_DTYPE_FLOAT32, 1, d1, &one, 4);
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_FORMAT, "without a name");
    t = t_raw("B", FSIFT_DTYPE_FLOAT32, 1, d1, &one, 4);
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_FORMAT, "twice");
    /* external data on a model loaded from memory */
    t = (wb){0};
    w_int(&t, 1, 1);
    w_int(&t, 2, FSIFT_DTYPE_FLOAT32);
    w_str(&t, 8, "H");
    {
        wb e = {0};
        w_str(&e, 1, "location");
        w_str(&e, 2, "w.bin");
        w_msg(&t, 13, &e);
    }
    w_int(&t, 14, 1);
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_INVALID_ARG, "external");
}

static void test_hostile_graphs(void) {
    base_opts o = {0};
    wb m, n, v;
    /* length past the end: the graph claims 1000 bytes */
    m = (wb){0};
    w_int(&m, 1, 8);
    w_tag(&m, 7, 2);
    w_varint(&m, 1000);
    w_str(&m, 2, "x");
    CHECK_ERR(m, FSIFT_E_FORMAT, "remain");
    /* empty file, no graph, no opset, opset too new / old */
    m = (wb){0};
    CHECK_ERR(m, FSIFT_E_FORMAT, "no graph");
    {
        wb g = {0};
        const char *in[1] = {"X"}, *out[1] = {"Y"};
        wb nd = node("Relu", 1, in, 1, out, NULL);
        w_msg(&g, 1, &nd);
        m = (wb){0};
        w_int(&m, 1, 8);
        w_msg(&m, 7, &g);
        CHECK_ERR(m, FSIFT_E_FORMAT, "opset");
    }
    o.opset = 19;
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_UNSUPPORTED, "opset 19");
    /* opsets 1-6: only ops whose meaning has not changed, without legacy broadcasting */
    o.opset = 6;
    m = base_model(&o);
    CHECK_OK(try_load(&m));
    free(m.p);
    {
        const char *in[1] = {"Y"}, *out[1] = {"Z"};
        n = node("Reshape", 1, in, 1, out, "old");
        o.extra_node = &n;
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_UNSUPPORTED, "op 'Reshape' at opset 6");
        n = node("Add", 1, in, 1, out, "bc");
        wb a = {0};
        w_str(&a, 1, "broadcast");
        w_int(&a, 20, 2);
        w_int(&a, 3, 1);
        w_msg(&n, 5, &a);
        wb n2 = {0};
        wb_put(&n2, n.p, n.n);
        m = base_model(&o); /* broadcast=1 without axis: suffix broadcasting, accepted */
        CHECK_OK(try_load(&m));
        free(m.p);
        a = (wb){0};
        w_str(&a, 1, "axis");
        w_int(&a, 20, 2);
        w_int(&a, 3, 0);
        w_msg(&n2, 5, &a);
        o.extra_node = &n2;
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_UNSUPPORTED, "op 'Add' at opset 6");
        o.extra_node = NULL;
    }
    o.opset = 0;
    /* unsupported op: the message names it */
    {
        const char *in[1] = {"Y"}, *out[1] = {"Z"};
        n = node("NoSuchOp", 1, in, 1, out, "weird");
        o.extra_node = &n;
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_UNSUPPORTED, "NoSuchOp");
    }
    /* a cycle: Z = Relu(W), W = Relu(Z) */
    {
        wb n2;
        const char *a[1] = {"W"}, *b[1] = {"Z"};
        n = node("Relu", 1, a, 1, b, "c1");
        n2 = node("Relu", 1, b, 1, a, "c2");
        wb both = {0};
        /* two nodes: append n2 through the input hook is not possible; nest manually */
        wb g = {0}, t, vi;
        int64_t d2[1] = {2};
        float bd[2] = {0, 0};
        const char *in[2] = {"X", "Z"}, *out[1] = {"Y"};
        wb add = node("Add", 2, in, 1, out, "add");
        w_msg(&g, 1, &add);
        w_msg(&g, 1, &n);
        w_msg(&g, 1, &n2);
        t = t_raw("B", FSIFT_DTYPE_FLOAT32, 1, d2, bd, sizeof bd);
        w_msg(&g, 5, &t);
        vi = vinfo("X", FSIFT_DTYPE_FLOAT32, 1, d2);
        w_msg(&g, 11, &vi);
        vi = vinfo("Y", FSIFT_DTYPE_FLOAT32, 1, d2);
        w_msg(&g, 12, &vi);
        m = model(13, &g);
        (void)both;
        CHECK_ERR(m, FSIFT_E_FORMAT, "cycle");
    }
    /* a value produced twice */
    {
        const char *in[1] = {"X"}, *out[1] = {"Y"};
        n = node("Relu", 1, in, 1, out, "again");
        o.extra_node = &n;
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_FORMAT, "twice");
    }
    /* a node writing an initializer or a graph input */
    {
        const char *in[1] = {"X"}, *out[1] = {"B"};
        n = node("Relu", 1, in, 1, out, "w");
        o.extra_node = &n;
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_FORMAT, "initializer");
        const char *out2[1] = {"X"};
        n = node("Relu", 1, in, 1, out2, "w");
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_FORMAT, "input");
    }
    /* undefined input */
    {
        const char *in[1] = {"nowhere"}, *out[1] = {"Z"};
        n = node("Relu", 1, in, 1, out, "u");
        o.extra_node = &n;
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_FORMAT, "nowhere");
    }
    /* graph output never produced */
    o.extra_node = NULL;
    o.y = "missing";
    m = base_model(&o);
    CHECK_ERR(m, FSIFT_E_FORMAT, "missing");
    o.y = NULL;
    /* a node with no op_type; a node with 100 inputs */
    {
        n = (wb){0};
        w_str(&n, 1, "X");
        w_str(&n, 2, "Z");
        o.extra_node = &n;
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_FORMAT, "op_type");
        const char *in[100];
        for (int i = 0; i < 100; i++) in[i] = "X";
        const char *out[1] = {"Z"};
        n = node("Concat", 100, in, 1, out, "big");
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_UNSUPPORTED, "100 inputs");
    }
    /* a subgraph attribute */
    {
        const char *in[1] = {"X"}, *out[1] = {"Z"};
        n = node("Loop", 1, in, 1, out, "loop0");
        wb a = {0}, sg = {0};
        w_str(&a, 1, "body");
        w_int(&a, 20, 5);
        w_str(&sg, 2, "body");
        w_msg(&a, 6, &sg);
        w_msg(&n, 5, &a);
        o.extra_node = &n;
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_UNSUPPORTED, "op 'Loop' not supported");
    }
    /* an attribute with an invalid type code */
    {
        const char *in[1] = {"Y"}, *out[1] = {"Z"};
        n = node("Relu", 1, in, 1, out, "r");
        wb a = {0};
        w_str(&a, 1, "x");
        w_int(&a, 20, 77);
        w_msg(&n, 5, &a);
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_FORMAT, "invalid type");
    }
    o.extra_node = NULL;
    /* graph inputs: rank 9, huge dim, bad elem type, sequence type, declared twice */
    {
        int64_t r9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        v = vinfo("Q", FSIFT_DTYPE_FLOAT32, 9, r9);
        o.extra_input = &v;
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_LIMIT, "dims");
        int64_t hd[1] = {(int64_t)1 << 45};
        v = vinfo("Q", FSIFT_DTYPE_FLOAT32, 1, hd);
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_LIMIT, "limit");
        v = vinfo("Q", 1234, 0, NULL);
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_FORMAT, "dtype code 1234");
        v = vinfo("X", FSIFT_DTYPE_FLOAT32, 0, NULL);
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_FORMAT, "twice");
        wb tp = {0}, sq = {0};
        v = (wb){0};
        w_str(&v, 1, "S");
        w_msg(&tp, 4, &sq);
        w_msg(&v, 2, &tp);
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_UNSUPPORTED, "sequence");
    }
    /* a name with a NUL byte */
    {
        n = (wb){0};
        w_bytes(&n, 1, "X\0Y", 3);
        w_str(&n, 2, "Z");
        w_str(&n, 4, "Relu");
        o.extra_input = NULL;
        o.extra_node = &n;
        m = base_model(&o);
        CHECK_ERR(m, FSIFT_E_FORMAT, "NUL");
    }
}

/* Many tiny nodes: 5 bytes of file each, a few hundred bytes of graph each. The loader must
 * stop at its memory cap (64 × file size + 16 MiB) with a LIMIT error. */
static void test_memory_cap(void) {
    wb g = {0}, m;
    const uint8_t tiny[5] = {0x0a, 0x03, 0x22, 0x01, 'A'}; /* node { op_type: "A" } */
    for (int i = 0; i < 400000; i++) wb_put(&g, tiny, sizeof tiny);
    m = model(13, &g);
    CHECK_ERR(m, FSIFT_E_LIMIT, "hostile");
}

static void test_parse_tensor(void) {
    int64_t d[2] = {2, 2};
    int32_t vals[4] = {1, -2, 3, -4};
    wb t = t_raw("tname", FSIFT_DTYPE_INT32, 2, d, vals, sizeof vals);
    fsift_tensor out;
    char *name = NULL;
    CHECK_OK(nn_onnx_parse_tensor(t.p, t.n, &out, &name));
    CHECK(out.dtype == FSIFT_DTYPE_INT32 && out.rank == 2 && out.dims[1] == 2);
    CHECK(out.data && ((int32_t *)out.data)[3] == -4);
    CHECK(name && !strcmp(name, "tname"));
    free(out.data);
    free(name);
    int bad = 0;
    for (size_t cut = 0; cut < t.n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, t.p, cut);
        if (nn_onnx_parse_tensor(copy, cut, &out, NULL) == FSIFT_OK) {
            /* a prefix that ends between fields can be a valid (smaller) tensor only if its
             * data still matches its shape; count those that do not fail */
            free(out.data);
            bad++;
        }
        free(copy);
    }
    /* Cuts that end at a field boundary before raw_data leave a tensor without data: an
     * error unless its shape is empty. Only the complete message may parse. */
    CHECK_MSG(bad == 0, "%d truncated tensors parsed", bad);
    free(t.p);
    /* typed int32_data with negative values (sign-extended 10-byte varints) for int8 */
    t = (wb){0};
    w_int(&t, 1, 3);
    w_int(&t, 2, FSIFT_DTYPE_INT8);
    w_tag(&t, 5, 2);
    {
        wb pk = {0};
        w_varint(&pk, (uint64_t)(int64_t)-128);
        w_varint(&pk, 5);
        w_varint(&pk, 127);
        w_varint(&t, pk.n);
        wb_put(&t, pk.p, pk.n);
        free(pk.p);
    }
    CHECK_OK(nn_onnx_parse_tensor(t.p, t.n, &out, NULL));
    CHECK(out.dtype == FSIFT_DTYPE_INT8 && out.dims[0] == 3);
    if (out.data) CHECK(((int8_t *)out.data)[0] == -128 && ((int8_t *)out.data)[2] == 127);
    free(out.data);
    free(t.p);
    /* an empty tensor */
    t = (wb){0};
    w_int(&t, 1, 0);
    w_int(&t, 2, FSIFT_DTYPE_FLOAT32);
    CHECK_OK(nn_onnx_parse_tensor(t.p, t.n, &out, NULL));
    CHECK(out.rank == 1 && out.dims[0] == 0);
    free(out.data);
    free(t.p);
}

/* ---- models from python3-onnx ------------------------------------------------------------- */

static char gen_dir[4096];
static int gen_ok = -1;

static int generate(void) {
    if (gen_ok >= 0) return gen_ok;
    gen_ok = 0;
    if (system("/usr/bin/python3 -c 'import onnx, numpy' >/dev/null 2>&1") != 0) return 0;
    const char *build = test_env("FSIFT_BUILD_DIR", ".");
    char script[4096], cmd[16384];
    const char *src = getenv("FSIFT_SOURCE_DIR");
    if (src && *src) {
        snprintf(script, sizeof script, "%s/tests/gen_onnx_small.py", src);
    } else {
        snprintf(script, sizeof script, "%s", __FILE__);
        char *slash = strrchr(script, '/');
        if (slash) snprintf(slash + 1, sizeof script - (size_t)(slash + 1 - script), "gen_onnx_small.py");
    }
    snprintf(gen_dir, sizeof gen_dir, "%s/testdata/onnx", build);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && /usr/bin/python3 '%s' '%s' >/dev/null", gen_dir,
             script, gen_dir);
    gen_ok = system(cmd) == 0;
    if (!gen_ok) fprintf(stderr, "gen_onnx_small.py failed: %s\n", cmd);
    return gen_ok;
}

#define NEED_GEN()                                                                           \
    do {                                                                                     \
        if (!generate()) TEST_SKIP("python3-onnx/numpy not available (or generation failed)"); \
    } while (0)

/* Loads gen_dir/name with base_dir = gen_dir (or NULL if !with_dir). */
static fsift_status load_gen(const char *name, int with_dir, nn_graph **g, uint8_t **bytes,
                             size_t *size) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", gen_dir, name);
    void *data = NULL;
    size_t n = 0;
    *g = NULL;
    fsift_status st = fsift_file_read(path, (size_t)1 << 26, &data, &n);
    if (st) return st;
    st = nn_onnx_load(data, n, with_dir ? gen_dir : NULL, g);
    if (bytes) {
        *bytes = data;
        *size = n;
    } else {
        free(data);
    }
    return st;
}

static const nn_value *val(const nn_graph *g, const char *name) {
    int i = nn_graph_find(g, name);
    return i >= 0 ? &g->vals[i] : NULL;
}

static void test_gen_raw_add(void) {
    NEED_GEN();
    nn_graph *g;
    uint8_t *bytes;
    size_t size;
    CHECK_OK(load_gen("raw_add.onnx", 0, &g, &bytes, &size));
    if (g) {
        CHECK(g->opset == 13 && !strcmp(g->producer, "gen_onnx_small 1.0"));
        CHECK(g->n_inputs == 1 && g->n_outputs == 1 && g->n_nodes == 2);
        const nn_value *x = &g->vals[g->inputs[0]];
        CHECK(!strcmp(x->name, "X") && x->kind == NN_VAL_INPUT && x->dtype == 1 && x->rank == 2);
        CHECK(x->dims[0] == 1 && x->dims[1] == 3);
        const nn_value *b = val(g, "B");
        CHECK(b && b->kind == NN_VAL_CONST && b->nbytes == 12);
        if (b) {
            const float *f = b->data;
            CHECK(f[0] == 1.5f && f[1] == -2.0f && f[2] == 3.25f);
        }
        CHECK(!strcmp(g->nodes[0].op_type, "Add") && !strcmp(g->nodes[0].name, "add0"));
        CHECK(!strcmp(g->nodes[1].op_type, "Relu"));
        CHECK(!strcmp(g->vals[g->outputs[0]].name, "Y"));
    }
    nn_graph_free(g);
    if (bytes) truncations(bytes, size, "raw_add.onnx");
    free(bytes);
}

static void test_gen_typed(void) {
    NEED_GEN();
    nn_graph *g;
    CHECK_OK(load_gen("typed_consts.onnx", 0, &g, NULL, NULL));
    if (!g) return;
    CHECK(g->n_inputs == 0); /* f32 and i64 are listed as inputs but are initializers */
    const nn_value *v;
    CHECK((v = val(g, "f32")) && v->dtype == 1 && ((float *)v->data)[1] == -0.25f);
    CHECK((v = val(g, "f64")) && v->dtype == 11 && ((double *)v->data)[1] == -1e300);
    CHECK((v = val(g, "i64")) && v->dtype == 7 && ((int64_t *)v->data)[0] == -5 &&
          ((int64_t *)v->data)[2] == (int64_t)1 << 40);
    CHECK((v = val(g, "i32")) && v->dtype == 6 && ((int32_t *)v->data)[0] == -7 &&
          ((int32_t *)v->data)[1] == 123456);
    CHECK((v = val(g, "i16")) && v->dtype == 5 && ((int16_t *)v->data)[0] == -300);
    CHECK((v = val(g, "i8")) && v->dtype == 3 && ((int8_t *)v->data)[0] == -128 &&
          ((int8_t *)v->data)[1] == -1 && ((int8_t *)v->data)[2] == 127);
    CHECK((v = val(g, "u8")) && v->dtype == 2 && ((uint8_t *)v->data)[1] == 255);
    CHECK((v = val(g, "u16")) && v->dtype == 4 && ((uint16_t *)v->data)[1] == 65535);
    CHECK((v = val(g, "b")) && v->dtype == 9 && ((uint8_t *)v->data)[0] == 1 &&
          ((uint8_t *)v->data)[1] == 0 && ((uint8_t *)v->data)[2] == 1);
    CHECK((v = val(g, "f16")) && v->dtype == 10 &&
          fsift_f16_to_f32(((uint16_t *)v->data)[1]) == -2.0f);
    CHECK((v = val(g, "u32")) && v->dtype == 12 && ((uint32_t *)v->data)[0] == 4000000000u);
    CHECK((v = val(g, "u64")) && v->dtype == 13 &&
          ((uint64_t *)v->data)[0] == 18000000000000000000ull);
    CHECK((v = val(g, "scalar")) && v->rank == 0 && ((float *)v->data)[0] == 42.0f);
    CHECK((v = val(g, "empty")) && v->rank == 2 && v->dims[0] == 0 && v->nbytes == 0);
    CHECK((v = val(g, "raw_i16")) && v->dtype == 5 && ((int16_t *)v->data)[3] == -4);
    nn_graph_free(g);
}

static void test_gen_constants(void) {
    NEED_GEN();
    nn_graph *g;
    CHECK_OK(load_gen("constant_nodes.onnx", 0, &g, NULL, NULL));
    if (!g) return;
    CHECK(g->opset == 12 && g->n_nodes == 1 && !strcmp(g->nodes[0].op_type, "Add"));
    const nn_value *v;
    CHECK((v = val(g, "c_tensor")) && v->kind == NN_VAL_CONST && v->rank == 2 &&
          v->dims[1] == 3 && ((float *)v->data)[5] == 5.0f);
    CHECK(val(g, "ignored_name") == NULL);
    CHECK((v = val(g, "c_float")) && v->rank == 0 && v->dtype == 1 && *(float *)v->data == 0.5f);
    CHECK((v = val(g, "c_floats")) && v->rank == 1 && v->dims[0] == 3 &&
          ((float *)v->data)[2] == 3.0f);
    CHECK((v = val(g, "c_int")) && v->rank == 0 && v->dtype == 7 && *(int64_t *)v->data == -9);
    CHECK((v = val(g, "c_ints")) && v->dims[0] == 2 && ((int64_t *)v->data)[1] == 5);
    CHECK((v = val(g, "c_float")) && v->is_output);
    nn_graph_free(g);
}

static void test_gen_attrs(void) {
    NEED_GEN();
    nn_graph *g;
    CHECK_OK(load_gen("attrs.onnx", 0, &g, NULL, NULL));
    if (!g) return;
    CHECK(g->opset == 11 && g->n_nodes == 3);
    const nn_node *conv = NULL, *relu = NULL, *leaky = NULL;
    for (int i = 0; i < g->n_nodes; i++) {
        if (!strcmp(g->nodes[i].name, "conv0")) conv = &g->nodes[i];
        if (!strcmp(g->nodes[i].name, "relu_attrs")) relu = &g->nodes[i];
        if (!strcmp(g->nodes[i].name, "leaky")) leaky = &g->nodes[i];
    }
    CHECK(conv && relu && leaky);
    if (!conv || !relu || !leaky) {
        nn_graph_free(g);
        return;
    }
    int n;
    const int64_t *ks = nn_attr_ints(conv, "kernel_shape", &n);
    CHECK(ks && n == 2 && ks[0] == 3 && ks[1] == 3);
    const int64_t *pads = nn_attr_ints(conv, "pads", &n);
    CHECK(pads && n == 4 && pads[3] == 1);
    CHECK(nn_attr_int(conv, "group", 0) == 1);
    CHECK(nn_attr_float(leaky, "alpha", 0) == 0.2f);
    CHECK(nn_attr_int(relu, "a_int", 0) == 7);
    CHECK(nn_attr_float(relu, "a_float", 0) == 0.125f);
    CHECK(!strcmp(nn_attr_str(relu, "a_string", ""), "hello"));
    const int64_t *ai = nn_attr_ints(relu, "a_ints", &n);
    CHECK(ai && n == 3 && ai[1] == -2);
    const float *af = nn_attr_floats(relu, "a_floats", &n);
    CHECK(af && n == 2 && af[1] == 1.5f);
    const nn_attr *as = nn_attr_find(relu, "a_strings");
    CHECK(as && as->type == NN_ATTR_STRINGS && as->n == 2 && !strcmp(as->strings[1], "yz"));
    const nn_attr *at = nn_attr_find(relu, "a_tensor");
    CHECK(at && at->type == NN_ATTR_TENSOR);
    if (at) {
        const nn_value *tv = &g->vals[at->i];
        CHECK(tv->kind == NN_VAL_CONST && tv->dtype == 7 && tv->dims[0] == 2 &&
              ((int64_t *)tv->data)[1] == 4);
    }
    const nn_value *w = val(g, "W");
    CHECK(w && w->rank == 4 && w->nbytes == 4 * 27 * 4);
    nn_graph_free(g);
}

static void test_gen_dynamic(void) {
    NEED_GEN();
    for (int k = 0; k < 2; k++) {
        nn_graph *g;
        CHECK_OK(load_gen(k ? "dynamic_opset18.onnx" : "dynamic_opset7.onnx", 0, &g, NULL, NULL));
        if (!g) continue;
        CHECK(g->opset == (k ? 18 : 7));
        const nn_value *x = &g->vals[g->inputs[0]];
        CHECK(x->rank == 3 && x->dims[0] < 0 && x->dims[1] == 3 && x->dims[2] < 0);
        CHECK(x->dim_names[0] && !strcmp(x->dim_names[0], "batch") && !x->dim_names[2]);
        nn_graph_free(g);
    }
}

static void test_gen_external(void) {
    NEED_GEN();
    nn_graph *g;
    CHECK_OK(load_gen("external.onnx", 1, &g, NULL, NULL));
    if (g) {
        const nn_value *e = val(g, "E");
        CHECK(e && e->kind == NN_VAL_CONST && e->dims[0] == 4);
        if (e) CHECK(((float *)e->data)[0] == 1.0f && ((float *)e->data)[3] == 4.0f);
        nn_graph_free(g);
    }
    CHECK(load_gen("external.onnx", 0, &g, NULL, NULL) == FSIFT_E_INVALID_ARG);
    CHECK(load_gen("external_dotdot.onnx", 1, &g, NULL, NULL) == FSIFT_E_FORMAT);
    CHECK(strstr(fsift_last_error(), "leaves the model's folder") != NULL);
    CHECK(load_gen("external_abs.onnx", 1, &g, NULL, NULL) == FSIFT_E_FORMAT);
    CHECK(strstr(fsift_last_error(), "relative") != NULL);
    CHECK(load_gen("external_missing.onnx", 1, &g, NULL, NULL) == FSIFT_E_IO);
}

static void test_gen_errors(void) {
    NEED_GEN();
    nn_graph *g;
    CHECK(load_gen("if.onnx", 0, &g, NULL, NULL) == FSIFT_E_UNSUPPORTED);
    CHECK_MSG(strstr(fsift_last_error(), "'If'") != NULL, "%s", fsift_last_error());
    CHECK(load_gen("unsupported_op.onnx", 0, &g, NULL, NULL) == FSIFT_E_UNSUPPORTED);
    CHECK_MSG(strstr(fsift_last_error(), "FooBar") != NULL, "%s", fsift_last_error());
    CHECK(load_gen("ms_domain.onnx", 0, &g, NULL, NULL) == FSIFT_E_UNSUPPORTED);
    CHECK_MSG(strstr(fsift_last_error(), "com.microsoft.FusedGemm") != NULL, "%s",
              fsift_last_error());
    CHECK(load_gen("cycle.onnx", 0, &g, NULL, NULL) == FSIFT_E_FORMAT);
    CHECK_MSG(strstr(fsift_last_error(), "cycle") != NULL, "%s", fsift_last_error());
    CHECK(load_gen("produced_twice.onnx", 0, &g, NULL, NULL) == FSIFT_E_FORMAT);
    CHECK(load_gen("undefined_input.onnx", 0, &g, NULL, NULL) == FSIFT_E_FORMAT);
    CHECK_MSG(strstr(fsift_last_error(), "nowhere") != NULL, "%s", fsift_last_error());
    CHECK(load_gen("opset_too_new.onnx", 0, &g, NULL, NULL) == FSIFT_E_UNSUPPORTED);
    CHECK(g == NULL);
}

static void test_gen_optional(void) {
    NEED_GEN();
    nn_graph *g;
    CHECK_OK(load_gen("optional_input.onnx", 0, &g, NULL, NULL));
    if (!g) return;
    CHECK(g->n_nodes == 1 && g->nodes[0].n_in == 3 && g->nodes[0].in[1] == -1);
    CHECK(g->nodes[0].in[2] == nn_graph_find(g, "M"));
    nn_graph_free(g);
}

static void test_gen_mutated(void) {
    NEED_GEN();
    nn_graph *g;
    uint8_t *bytes;
    size_t size;
    const char *names[] = {"attrs.onnx", "typed_consts.onnx", "constant_nodes.onnx"};
    for (int i = 0; i < 3; i++) {
        fsift_status st = load_gen(names[i], 0, &g, &bytes, &size);
        CHECK_OK(st);
        nn_graph_free(g);
        if (!bytes) continue;
        /* a node-less graph cut before its opset import is still a valid model */
        if (i != 1) truncations(bytes, size, names[i]);
        mutations(bytes, size, 5000);
        free(bytes);
    }
}

/* The real BlazeFace files (scripts/fetch-models.sh): they load with the expected interface,
 * and truncated or mutated copies fail cleanly (sampled cut points: all of them would take
 * minutes for a 600 KB file). */
static void test_blazeface(void) {
    const char *dir = test_env("FSIFT_MODELS_DIR", "models");
    const char *files[2] = {"face_detection_front_128x128_barracuda.onnx",
                            "face_detection_back_256x256_barracuda.onnx"};
    const int64_t side[2] = {128, 256};
    const int nodes[2] = {104, 149};
    for (int k = 0; k < 2; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/blazeface/%s", dir, files[k]);
        void *data = NULL;
        size_t size = 0;
        if (fsift_file_read(path, (size_t)1 << 26, &data, &size) != FSIFT_OK)
            TEST_SKIP("%s not found (run scripts/fetch-models.sh)", path);
        nn_graph *g = NULL;
        CHECK_OK(nn_onnx_load(data, size, dir, &g));
        if (g) {
            CHECK(g->opset == 12 && !strcmp(g->producer, "tf2onnx 1.7.2"));
            CHECK(g->n_nodes == nodes[k] && g->n_inputs == 1 && g->n_outputs == 4);
            const nn_value *x = &g->vals[g->inputs[0]];
            CHECK(!strcmp(x->name, "input:0") && x->rank == 4 && x->dims[1] == side[k] &&
                  x->dims[3] == 3);
        }
        nn_graph_free(g);
        int loaded = 0;
        for (int i = 0; i < 3000; i++) {
            size_t cut = i < 256 ? (size_t)i : i < 512 ? size - (size_t)(i - 255) : rng() % size;
            uint8_t *copy = malloc(cut ? cut : 1);
            memcpy(copy, data, cut);
            g = NULL;
            if (nn_onnx_load(copy, cut, NULL, &g) == FSIFT_OK) loaded++;
            nn_graph_free(g);
            free(copy);
        }
        CHECK_MSG(loaded == 0, "%s: %d truncated copies loaded", files[k], loaded);
        mutations(data, size, 300);
        free(data);
    }
}

int main(void) {
    /* these tests check the loader's graph as it builds it: no operator fusion */
    setenv("FSIFT_NO_FUSE", "1", 1);
    RUN(test_pb_reader);
    RUN(test_c_base_model);
    RUN(test_truncated);
    RUN(test_mutated);
    RUN(test_hostile_tensors);
    RUN(test_hostile_graphs);
    RUN(test_memory_cap);
    RUN(test_parse_tensor);
    RUN(test_gen_raw_add);
    RUN(test_gen_typed);
    RUN(test_gen_constants);
    RUN(test_gen_attrs);
    RUN(test_gen_dynamic);
    RUN(test_gen_external);
    RUN(test_gen_errors);
    RUN(test_gen_optional);
    RUN(test_gen_mutated);
    RUN(test_blazeface);
    return test_summary();
}
