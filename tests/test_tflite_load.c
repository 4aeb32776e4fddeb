/*
 * test_tflite_load.c — the TFLite loader (src/nn/tflite): the IR it makes from the real
 * embedded models, the mapping of each operator family on small models built here, and
 * hostile files (truncated, corrupted, out-of-range indices, cycles, bad vtables, huge
 * lengths, quantized and unsupported operators), each of which must give an error and
 * never a crash (run this under ASan + UBSan too).
 *
 * Small models are written by a tiny FlatBuffers writer below (forward layout: a parent is
 * written first and its uoffsets are patched when the child lands after it), following the
 * field ids of TFLite's schema.fbs. Real models come from $FSIFT_MODELS_DIR (mtcnn/,
 * mobilefacenet/, mediapipe/); a missing one is skipped with a printed reason.
 *
 * FSIFT_TFLITE_SEED_DIR=DIR makes the run also save every small model it builds into DIR;
 * that is how fuzz/corpus/tflite/small-*.tflite were made.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/core.h"
#include "facesift/nn.h"
#include "harness.h"
#include "nn/graph.h"
#include "nn/tflite/tflite.h"

/* ---- a tiny FlatBuffers writer --------------------------------------------------------------- */

typedef struct wb {
    uint8_t *p;
    size_t n, cap;
} wb;

static void wb_reserve(wb *w, size_t more) {
    if (w->n + more <= w->cap) return;
    size_t cap = w->cap ? w->cap : 1024;
    while (cap < w->n + more) cap *= 2;
    w->p = realloc(w->p, cap);
    if (!w->p) abort();
    memset(w->p + w->cap, 0, cap - w->cap);
    w->cap = cap;
}

static size_t wb_put(wb *w, const void *d, size_t len) {
    wb_reserve(w, len);
    size_t pos = w->n;
    if (d) memcpy(w->p + pos, d, len);
    else memset(w->p + pos, 0, len);
    w->n += len;
    return pos;
}

static void wb_align(wb *w, size_t a) {
    while (w->n % a) wb_put(w, NULL, 1);
}

static void wb_u32_at(wb *w, size_t pos, uint32_t v) { memcpy(w->p + pos, &v, 4); }

/* Points the uoffset slot at `slot` to `target` (which must lie after it). */
static void wb_link(wb *w, size_t slot, size_t target) {
    if (target <= slot) abort();
    wb_u32_at(w, slot, (uint32_t)(target - slot));
}

typedef struct tfield {
    int id, size, is_off;
    uint64_t v;
} tfield;

typedef struct tbl {
    int n;
    tfield f[16];
    size_t slot[24]; /* after tbl_end: absolute position of each field id */
    size_t pos;
} tbl;

static void tbl_scalar(tbl *t, int id, int size, uint64_t v) {
    t->f[t->n++] = (tfield){id, size, 0, v};
}
static void tbl_off(tbl *t, int id) { t->f[t->n++] = (tfield){id, 4, 1, 0}; }

/* Writes vtable then table; fills t->slot[] and t->pos. */
static size_t tbl_end(wb *w, tbl *t) {
    int maxid = -1;
    for (int i = 0; i < t->n; i++)
        if (t->f[i].id > maxid) maxid = t->f[i].id;
    uint16_t offs[24] = {0};
    size_t off = 4;
    for (int i = 0; i < t->n; i++) {
        int sz = t->f[i].size;
        while (off % (size_t)sz) off++;
        offs[t->f[i].id] = (uint16_t)off;
        off += (size_t)sz;
    }
    uint16_t vt_size = (uint16_t)(4 + 2 * (maxid + 1)), t_size = (uint16_t)off;
    wb_align(w, 2);
    size_t vt = wb_put(w, &vt_size, 2);
    wb_put(w, &t_size, 2);
    for (int i = 0; i <= maxid; i++) wb_put(w, &offs[i], 2);
    wb_align(w, 8);
    size_t pos = wb_put(w, NULL, t_size);
    int32_t soff = (int32_t)(pos - vt);
    memcpy(w->p + pos, &soff, 4);
    for (int i = 0; i < t->n; i++) {
        size_t at = pos + offs[t->f[i].id];
        memcpy(w->p + at, &t->f[i].v, (size_t)t->f[i].size); /* little-endian host */
        t->slot[t->f[i].id] = at;
    }
    t->pos = pos;
    return pos;
}

static size_t wb_vec(wb *w, const void *elems, uint32_t n, size_t elem, size_t align) {
    /* the elements (after the u32 length) must be `align`-aligned */
    while ((w->n + 4) % align) wb_put(w, NULL, 1);
    size_t pos = wb_put(w, &n, 4);
    wb_put(w, elems, (size_t)n * elem);
    return pos;
}

static size_t wb_string(wb *w, const char *s) {
    uint32_t n = (uint32_t)strlen(s);
    size_t pos = wb_vec(w, s, n, 1, 4);
    wb_put(w, NULL, 1);
    return pos;
}

/* ---- a TFLite model described in C, written with the writer -------------------------------- */

enum { TT_F32 = 0, TT_F16 = 1, TT_I32 = 2, TT_U8 = 3, TT_I64 = 4, TT_I8 = 9 };

typedef struct t_spec {
    const char *name;
    int type, rank;
    int32_t shape[9];
    int has_sig;
    int32_t sig[8];
    const void *data;  /* constant bytes or NULL */
    size_t nbytes;
    int buffer;        /* 0: automatic; else this buffer index is written as is */
    int external;      /* data after the flatbuffer, by Buffer.offset/size (> 2 GB models) */
    int64_t ext_shift; /* added to that offset (to point it elsewhere) */
    int nscale;
    float scale[8];
    int nzp;
    int64_t zp[8];
    int qdim;
} t_spec;

typedef struct op_spec {
    int opcode;
    int n_in, n_out;
    int32_t in[8], out[4];
    int opt_type, n_opt;
    tfield opt[8];
    int vec_id, n_vec; /* an int vector field in the options (new_shape, squeeze_dims) */
    int32_t vec[8];
} op_spec;

typedef struct oc_spec {
    int code;          /* BuiltinOperator */
    const char *custom;
} oc_spec;

typedef struct m_spec {
    int version;
    int n_oc, n_t, n_op, n_in, n_out;
    oc_spec oc[8];
    t_spec t[24];
    op_spec op[12];
    int32_t in[4], out[4];
    const char *desc;
} m_spec;

static void spec_init(m_spec *m) {
    memset(m, 0, sizeof *m);
    m->version = 3;
    m->desc = "test model";
}

static int add_tensor(m_spec *m, const char *name, int type, int rank, const int32_t *shape,
                      const void *data, size_t nbytes) {
    t_spec *t = &m->t[m->n_t];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->type = type;
    t->rank = rank;
    for (int i = 0; i < rank; i++) t->shape[i] = shape[i];
    t->data = data;
    t->nbytes = nbytes;
    return m->n_t++;
}

static int add_oc(m_spec *m, int code) {
    m->oc[m->n_oc].code = code;
    m->oc[m->n_oc].custom = NULL;
    return m->n_oc++;
}

static op_spec *add_op(m_spec *m, int opcode, int n_in, const int32_t *in, int n_out,
                       const int32_t *out) {
    op_spec *o = &m->op[m->n_op++];
    memset(o, 0, sizeof *o);
    o->opcode = opcode;
    o->n_in = n_in;
    o->n_out = n_out;
    memcpy(o->in, in, (size_t)n_in * 4);
    memcpy(o->out, out, (size_t)n_out * 4);
    return o;
}

static void op_opt(op_spec *o, int id, int size, uint64_t v) {
    o->opt[o->n_opt++] = (tfield){id, size, 0, v};
}

static void op_opt_f32(op_spec *o, int id, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    op_opt(o, id, 4, u);
}

/* Writes the model; caller frees the returned bytes. */
static uint8_t *build(const m_spec *m, size_t *size) {
    wb w = {0};
    size_t root = wb_put(&w, NULL, 4);
    wb_put(&w, "TFL3", 4);
    tbl mt = {0};
    tbl_scalar(&mt, 0, 4, (uint32_t)m->version);
    tbl_off(&mt, 1);
    tbl_off(&mt, 2);
    tbl_off(&mt, 3);
    tbl_off(&mt, 4);
    tbl_end(&w, &mt);
    wb_link(&w, root, mt.pos);

    /* operator codes */
    size_t v = wb_vec(&w, NULL, (uint32_t)m->n_oc, 4, 4);
    wb_link(&w, mt.slot[1], v);
    for (int i = 0; i < m->n_oc; i++) {
        tbl t = {0};
        int code = m->oc[i].code;
        tbl_scalar(&t, 0, 1, (uint8_t)(int8_t)(code < 127 ? code : 127));
        if (m->oc[i].custom) tbl_off(&t, 1);
        tbl_scalar(&t, 2, 4, 1);
        tbl_scalar(&t, 3, 4, (uint32_t)code);
        tbl_end(&w, &t);
        wb_link(&w, v + 4 + 4 * (size_t)i, t.pos);
        if (m->oc[i].custom) wb_link(&w, t.slot[1], wb_string(&w, m->oc[i].custom));
    }

    /* subgraph */
    size_t sv = wb_vec(&w, NULL, 1, 4, 4);
    wb_link(&w, mt.slot[2], sv);
    tbl sg = {0};
    for (int i = 0; i < 4; i++) tbl_off(&sg, i);
    tbl_end(&w, &sg);
    wb_link(&w, sv + 4, sg.pos);
    int next_buffer = 1;
    int buf_of[24];
    size_t tv = wb_vec(&w, NULL, (uint32_t)m->n_t, 4, 4);
    wb_link(&w, sg.slot[0], tv);
    for (int i = 0; i < m->n_t; i++) {
        const t_spec *ts = &m->t[i];
        tbl t = {0};
        int b = ts->buffer ? ts->buffer : (ts->data ? next_buffer++ : 0);
        buf_of[i] = ts->data && !ts->buffer ? b : -1;
        tbl_off(&t, 0);
        tbl_scalar(&t, 1, 1, (uint8_t)ts->type);
        tbl_scalar(&t, 2, 4, (uint32_t)b);
        tbl_off(&t, 3);
        if (ts->nscale) tbl_off(&t, 4);
        if (ts->has_sig) tbl_off(&t, 7);
        tbl_end(&w, &t);
        wb_link(&w, tv + 4 + 4 * (size_t)i, t.pos);
        wb_link(&w, t.slot[0], wb_vec(&w, ts->shape, (uint32_t)ts->rank, 4, 4));
        wb_link(&w, t.slot[3], wb_string(&w, ts->name ? ts->name : ""));
        if (ts->has_sig) wb_link(&w, t.slot[7], wb_vec(&w, ts->sig, (uint32_t)ts->rank, 4, 4));
        if (ts->nscale) {
            tbl q = {0};
            tbl_off(&q, 2);
            if (ts->nzp) tbl_off(&q, 3);
            tbl_scalar(&q, 6, 4, (uint32_t)ts->qdim);
            tbl_end(&w, &q);
            wb_link(&w, t.slot[4], q.pos);
            wb_link(&w, q.slot[2], wb_vec(&w, ts->scale, (uint32_t)ts->nscale, 4, 4));
            if (ts->nzp) wb_link(&w, q.slot[3], wb_vec(&w, ts->zp, (uint32_t)ts->nzp, 8, 8));
        }
    }
    wb_link(&w, sg.slot[1], wb_vec(&w, m->in, (uint32_t)m->n_in, 4, 4));
    wb_link(&w, sg.slot[2], wb_vec(&w, m->out, (uint32_t)m->n_out, 4, 4));
    size_t ov = wb_vec(&w, NULL, (uint32_t)m->n_op, 4, 4);
    wb_link(&w, sg.slot[3], ov);
    for (int i = 0; i < m->n_op; i++) {
        const op_spec *os = &m->op[i];
        tbl t = {0};
        tbl_scalar(&t, 0, 4, (uint32_t)os->opcode);
        tbl_off(&t, 1);
        tbl_off(&t, 2);
        if (os->opt_type) {
            tbl_scalar(&t, 3, 1, (uint8_t)os->opt_type);
            tbl_off(&t, 4);
        }
        tbl_end(&w, &t);
        wb_link(&w, ov + 4 + 4 * (size_t)i, t.pos);
        wb_link(&w, t.slot[1], wb_vec(&w, os->in, (uint32_t)os->n_in, 4, 4));
        wb_link(&w, t.slot[2], wb_vec(&w, os->out, (uint32_t)os->n_out, 4, 4));
        if (os->opt_type) {
            tbl o = {0};
            for (int k = 0; k < os->n_opt; k++) o.f[o.n++] = os->opt[k];
            if (os->n_vec) tbl_off(&o, os->vec_id);
            tbl_end(&w, &o);
            wb_link(&w, t.slot[4], o.pos);
            if (os->n_vec) wb_link(&w, o.slot[os->vec_id], wb_vec(&w, os->vec, (uint32_t)os->n_vec, 4, 4));
        }
    }
    wb_link(&w, mt.slot[3], wb_string(&w, m->desc));

    /* buffers: 0 is the empty sentinel */
    size_t bv = wb_vec(&w, NULL, (uint32_t)next_buffer, 4, 4);
    wb_link(&w, mt.slot[4], bv);
    size_t ext_slot[24];
    const t_spec *ext_t[24];
    int n_ext = 0;
    for (int b = 0; b < next_buffer; b++) {
        tbl t = {0};
        const t_spec *ts = NULL;
        for (int i = 0; i < m->n_t; i++)
            if (buf_of[i] == b) ts = &m->t[i];
        if (ts && ts->external) {
            tbl_scalar(&t, 1, 8, 0);
            tbl_scalar(&t, 2, 8, ts->nbytes);
        } else if (ts) {
            tbl_off(&t, 0);
        }
        tbl_end(&w, &t);
        wb_link(&w, bv + 4 + 4 * (size_t)b, t.pos);
        if (ts && ts->external) {
            ext_slot[n_ext] = t.slot[1];
            ext_t[n_ext++] = ts;
        } else if (ts) {
            wb_link(&w, t.slot[0], wb_vec(&w, ts->data, (uint32_t)ts->nbytes, 1, 16));
        }
    }
    for (int k = 0; k < n_ext; k++) { /* the data after the flatbuffer, addressed from the start */
        wb_align(&w, 16);
        uint64_t off = (uint64_t)((int64_t)wb_put(&w, ext_t[k]->data, ext_t[k]->nbytes) + ext_t[k]->ext_shift);
        memcpy(w.p + ext_slot[k], &off, 8);
    }
    *size = w.n;
    /* FSIFT_TFLITE_SEED_DIR=DIR saves every model built here (the fuzzer's seed corpus) */
    const char *seed_dir = getenv("FSIFT_TFLITE_SEED_DIR");
    if (seed_dir && *seed_dir) {
        static int seed_no;
        char path[1024];
        snprintf(path, sizeof path, "%s/small-%03d.tflite", seed_dir, seed_no++);
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(w.p, 1, w.n, f);
            fclose(f);
        }
    }
    return w.p;
}

/* ---- helpers ----------------------------------------------------------------------------------- */

static int count_op(const nn_graph *g, const char *op) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += !strcmp(g->nodes[i].op_type, op);
    return n;
}

static const nn_node *find_op(const nn_graph *g, const char *op, int nth) {
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].op_type, op) && nth-- == 0) return &g->nodes[i];
    return NULL;
}

static int ints_eq(const int64_t *a, int na, const int64_t *b, int nb) {
    return na == nb && (na == 0 || !memcmp(a, b, (size_t)na * 8));
}

static int attr_ints_eq(const nn_node *n, const char *name, const int64_t *v, int nv) {
    int c;
    const int64_t *a = nn_attr_ints(n, name, &c);
    return a && ints_eq(a, c, v, nv);
}

static int const_ints_eq(const nn_graph *g, int val, const int64_t *v, int nv) {
    if (val < 0) return 0;
    const nn_value *x = &g->vals[val];
    if (x->kind != NN_VAL_CONST || x->dtype != FSIFT_DTYPE_INT64) return 0;
    return ints_eq((const int64_t *)x->data, (int)(x->nbytes / 8), v, nv);
}

static const char *models_dir(void) {
    static char buf[1024];
    const char *d = getenv("FSIFT_MODELS_DIR");
    if (d && *d) return d;
    snprintf(buf, sizeof buf, "%s/models", test_env("FSIFT_SOURCE_DIR", "."));
    return buf;
}

/* Reads models_dir()/rel into a malloc'd buffer; NULL (and prints why) if absent. */
static uint8_t *read_model(const char *rel, size_t *size) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", models_dir(), rel);
    void *data;
    if (fsift_file_read(path, (size_t)64 << 20, &data, size) != FSIFT_OK) return NULL;
    return data;
}

/* 1 when the failure is only that some op has no kernel yet (graph.c's finalize message). */
static int only_kernels_missing(fsift_status st) {
    return st == FSIFT_E_UNSUPPORTED && strstr(fsift_last_error(), "unsupported operator");
}

/* ---- real models --------------------------------------------------------------------------------- */

typedef struct opcount {
    const char *op;
    int n;
} opcount;

typedef struct real_model {
    const char *path;
    int64_t in_dims[4];
    int n_out;
    int out_rank[3];
    int64_t out_dims[3][4];
    int n_nodes;
    opcount ops[14];
} real_model;

static const real_model REAL[] = {
    {"mtcnn/onet.tflite", {1, 48, 48, 3}, 3, {2, 2, 2}, {{1, 2}, {1, 4}, {1, 10}}, 47,
     {{"Conv", 4}, {"Gemm", 4}, {"Reshape", 1}, {"MaxPool", 3}, {"Relu", 10}, {"Neg", 10},
      {"Mul", 5}, {"Add", 5}, {"ReduceMax", 1}, {"ReduceSum", 1}, {"Sub", 1}, {"Exp", 1}, {"Div", 1}}},
    {"mtcnn/rnet.tflite", {1, 24, 24, 3}, 2, {2, 2}, {{1, 2}, {1, 4}}, 38,
     {{"Conv", 3}, {"Gemm", 3}, {"Reshape", 1}, {"MaxPool", 2}, {"Relu", 8}, {"Neg", 8},
      {"Mul", 4}, {"Add", 4}, {"ReduceMax", 1}, {"ReduceSum", 1}, {"Sub", 1}, {"Exp", 1}, {"Div", 1}}},
    {"mtcnn/pnet.tflite", {1, 1280, 960, 3}, 2, {4, 4}, {{1, 635, 475, 2}, {1, 635, 475, 4}}, 29,
     {{"Conv", 5}, {"MaxPool", 1}, {"Relu", 6}, {"Neg", 6}, {"Mul", 3}, {"Add", 3},
      {"ReduceMax", 1}, {"ReduceSum", 1}, {"Sub", 1}, {"Exp", 1}, {"Div", 1}}},
    {"mobilefacenet/MobileFaceNet.tflite", {2, 112, 112, 3}, 1, {2}, {{2, 192}}, 230,
     {{"Conv", 52}, {"Relu", 33}, {"Abs", 33}, {"Sub", 33}, {"Mul", 33}, {"Add", 45}, {"Reshape", 1}}},
    {"mediapipe/face_detection_short_range.tflite", {1, 128, 128, 3}, 2, {3, 3},
     {{1, 896, 16}, {1, 896, 1}}, 90,
     {{"Conv", 37}, {"Relu", 17}, {"Add", 16}, {"Pad", 11}, {"Reshape", 4}, {"MaxPool", 3},
      {"Concat", 2}}},
    {"mediapipe/face_detection_full_range.tflite", {1, 192, 192, 3}, 2, {3, 3},
     {{1, 2304, 16}, {1, 2304, 1}}, 176,
     {{"Conv", 89}, {"Relu", 47}, {"Add", 23}, {"Pad", 8}, {"MaxPool", 4}, {"Resize", 3},
      {"Reshape", 2}}},
};

static void check_real(const real_model *rm) {
    size_t size;
    uint8_t *data = read_model(rm->path, &size);
    if (!data) {
        fprintf(stderr, "  SKIP %s: not in %s (scripts/fetch-models.sh)\n", rm->path, models_dir());
        return;
    }
    nn_graph *g = NULL;
    CHECK_OK(nn_tflite_build(data, size, &g));
    if (g) {
        CHECK(g->format == FSIFT_MODEL_TFLITE);
        CHECK(g->opset == 13);
        CHECK(g->n_inputs == 1);
        CHECK_MSG(g->n_nodes == rm->n_nodes, "%s: %d nodes, expected %d", rm->path, g->n_nodes, rm->n_nodes);
        int total = 0;
        for (int i = 0; i < 14 && rm->ops[i].op; i++) {
            int n = count_op(g, rm->ops[i].op);
            total += rm->ops[i].n;
            CHECK_MSG(n == rm->ops[i].n, "%s: %d %s nodes, expected %d", rm->path, n, rm->ops[i].op, rm->ops[i].n);
        }
        CHECK(total == rm->n_nodes);
        const nn_value *in = &g->vals[g->inputs[0]];
        CHECK(in->dtype == FSIFT_DTYPE_FLOAT32 && in->rank == 4 && ints_eq(in->dims, 4, rm->in_dims, 4));
        CHECK(g->n_outputs == rm->n_out);
        /* every Conv is NHWC with a [O,kH,kW,I] constant weight */
        for (int i = 0; i < g->n_nodes; i++) {
            const nn_node *n = &g->nodes[i];
            if (strcmp(n->op_type, "Conv")) continue;
            CHECK(!strcmp(nn_attr_str(n, "layout", ""), "NHWC"));
            CHECK(n->n_in >= 2 && g->vals[n->in[1]].kind == NN_VAL_CONST &&
                  g->vals[n->in[1]].dtype == FSIFT_DTYPE_FLOAT32 && g->vals[n->in[1]].rank == 4);
        }
        nn_graph_free(g);
    }

    /* through the public API: finalize, plan, output shapes */
    fsift_model *m = NULL;
    fsift_status st = fsift_model_load_memory(data, size, FSIFT_MODEL_TFLITE, NULL, &m);
    if (st != FSIFT_OK && only_kernels_missing(st)) {
        fprintf(stderr, "  NOTE %s: mapped, but kernels are missing: %s\n", rm->path, fsift_last_error());
    } else {
        CHECK_OK(st);
    }
    if (m) {
        CHECK(fsift_model_get_format(m) == FSIFT_MODEL_TFLITE);
        fsift_io_info info;
        CHECK_OK(fsift_model_input(m, 0, &info));
        CHECK(info.rank == 4 && ints_eq(info.dims, 4, rm->in_dims, 4));
        CHECK(fsift_model_num_outputs(m) == rm->n_out);
        fsift_session *s = NULL;
        CHECK_OK(fsift_session_new(m, 1, &s));
        fsift_tensor x = {FSIFT_DTYPE_FLOAT32, 4, {0}, NULL};
        memcpy(x.dims, rm->in_dims, sizeof rm->in_dims);
        if (s && fsift_session_plan(s, &x, 1) == FSIFT_OK) {
            for (int i = 0; i < rm->n_out; i++) {
                fsift_tensor y;
                CHECK_OK(fsift_session_output(s, i, &y));
                CHECK_MSG(y.rank == rm->out_rank[i] && ints_eq(y.dims, y.rank, rm->out_dims[i], rm->out_rank[i]),
                          "%s output %d: rank %d dims [%lld,%lld,...]", rm->path, i, y.rank,
                          (long long)y.dims[0], (long long)y.dims[1]);
            }
        } else if (s) {
            CHECK_MSG(0, "%s: plan failed: %s", rm->path, fsift_last_error());
        }
        fsift_session_free(s);
        fsift_model_free(m);
    }
    free(data);
}

static void test_real_models(void) {
    for (size_t i = 0; i < sizeof REAL / sizeof REAL[0]; i++) check_real(&REAL[i]);
}

/* A sparse tensor (mediapipe's full-range sparse model) is refused by name. */
static void test_real_sparse(void) {
    size_t size;
    uint8_t *data = read_model("mediapipe/face_detection_full_range_sparse.tflite", &size);
    if (!data) TEST_SKIP("mediapipe/face_detection_full_range_sparse.tflite not fetched");
    nn_graph *g = NULL;
    CHECK(nn_tflite_load(data, size, &g) == FSIFT_E_UNSUPPORTED && !g);
    CHECK(strstr(fsift_last_error(), "sparse") != NULL);
    free(data);
}

/* Every load of a mangled file either fails cleanly or gives a graph we can free. Returns
 * the mapping's status; a mapped graph is also finalized (its verdict is not returned, so that
 * the checks do not depend on which kernels exist). */
static int load_any(const uint8_t *data, size_t size) {
    nn_graph *g = NULL;
    fsift_status st = nn_tflite_build(data, size, &g);
    CHECK((st == FSIFT_OK) == (g != NULL));
    if (st != FSIFT_OK) CHECK(fsift_last_error()[0] != 0);
    if (g) nn_graph_finalize(g);
    nn_graph_free(g);
    return st;
}

static void mangle_file(const uint8_t *data, size_t size, size_t head, size_t stride,
                        int flips, const char *what) {
    uint8_t *buf = malloc(size);
    int trunc_ok = 0, flip_ok = 0, n_trunc = 0;
    /* truncations: every length in the first `head` bytes, then every `stride` bytes */
    for (size_t len = 0; len < size; len += len < head ? 1 : stride) {
        memcpy(buf, data, len);
        trunc_ok += load_any(buf, len) == FSIFT_OK;
        n_trunc++;
    }
    /* byte flips at pseudo-random places (fixed seed) to a few values */
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < flips; i++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        memcpy(buf, data, size);
        size_t at = (size_t)(r % size);
        static const uint8_t vals[] = {0x00, 0xff, 0x7f, 0x80};
        buf[at] = (i & 4) ? (uint8_t)(buf[at] ^ (1u << (r >> 60 & 7))) : vals[i & 3];
        flip_ok += load_any(buf, size) == FSIFT_OK;
    }
    CHECK_MSG(trunc_ok == 0, "%s: %d of %d truncated copies loaded", what, trunc_ok, n_trunc);
    fprintf(stderr, "  %s: %d truncations all rejected; %d of %d byte flips still loaded\n", what,
            n_trunc, flip_ok, flips);
    free(buf);
}

static void test_mangled_pnet(void) {
    size_t size;
    uint8_t *data = read_model("mtcnn/pnet.tflite", &size);
    if (!data) TEST_SKIP("mtcnn/pnet.tflite not fetched");
    mangle_file(data, size, 4096, 37, 3000, "pnet.tflite");
    free(data);
}

static void expect_error(const m_spec *m, fsift_status want, const char *needle, const char *what);

/* ---- small models ----------------------------------------------------------------------------------- */

/* input x [1,4,4,2] → CONV_2D (w [3,1,1,2], b [3], VALID, stride 1, RELU) → y; opts as given. */
static const float W_CONV[6] = {1, 2, 3, 4, 5, 6};
static const float B_CONV[3] = {0.5f, -0.5f, 0};

static void conv_model(m_spec *m) {
    spec_init(m);
    int32_t xs[4] = {1, 4, 4, 2}, ws[4] = {3, 1, 1, 2}, bs[1] = {3}, ys[4] = {1, 4, 4, 3};
    int x = add_tensor(m, "x", TT_F32, 4, xs, NULL, 0);
    int w = add_tensor(m, "w", TT_F32, 4, ws, W_CONV, sizeof W_CONV);
    int b = add_tensor(m, "b", TT_F32, 1, bs, B_CONV, sizeof B_CONV);
    int y = add_tensor(m, "y", TT_F32, 4, ys, NULL, 0);
    int oc = add_oc(m, 3); /* CONV_2D */
    int32_t in[3] = {x, w, b}, out[1] = {y};
    op_spec *o = add_op(m, oc, 3, in, 1, out);
    o->opt_type = 1;
    op_opt(o, 0, 1, 1); /* VALID */
    op_opt(o, 1, 4, 1);
    op_opt(o, 2, 4, 1);
    op_opt(o, 3, 1, 1); /* RELU */
    m->in[m->n_in++] = x;
    m->out[m->n_out++] = y;
}

static nn_graph *build_graph(const m_spec *m, fsift_status *st) {
    size_t size;
    uint8_t *data = build(m, &size);
    nn_graph *g = NULL;
    *st = nn_tflite_build(data, size, &g);
    free(data);
    return g;
}


static void test_conv(void) {
    m_spec m;
    conv_model(&m);
    fsift_status st;
    nn_graph *g = build_graph(&m, &st);
    CHECK_OK(st);
    if (!g) return;
    CHECK(g->n_nodes == 1 && !strcmp(g->producer, "test model"));
    const nn_node *n = find_op(g, "Conv", 0);
    CHECK(n && n->n_in == 3);
    if (n) {
        int64_t one[2] = {1, 1};
        CHECK(!strcmp(nn_attr_str(n, "layout", ""), "NHWC"));
        CHECK(!strcmp(nn_attr_str(n, "auto_pad", ""), "VALID"));
        CHECK(!strcmp(nn_attr_str(n, "activation", ""), "RELU"));
        CHECK(attr_ints_eq(n, "strides", one, 2) && attr_ints_eq(n, "dilations", one, 2));
        CHECK(nn_attr_int(n, "group", 1) == 1);
        const nn_value *w = &g->vals[n->in[1]];
        CHECK(w->kind == NN_VAL_CONST && w->nbytes == sizeof W_CONV && !memcmp(w->data, W_CONV, sizeof W_CONV));
        CHECK(!strcmp(w->name, "w"));
    }
    CHECK(g->n_inputs == 1 && !strcmp(g->vals[g->inputs[0]].name, "x"));
    nn_graph_free(g);

    /* and it runs, when the kernels are there: y = relu(x·w + b) */
    size_t size;
    uint8_t *data = build(&m, &size);
    fsift_model *model = NULL;
    st = fsift_model_load_memory(data, size, FSIFT_MODEL_AUTO, NULL, &model);
    free(data);
    if (st != FSIFT_OK) {
        CHECK_MSG(only_kernels_missing(st), "%s", fsift_last_error());
        return;
    }
    fsift_session *s = NULL;
    CHECK_OK(fsift_session_new(model, 1, &s));
    float xv[32];
    for (int i = 0; i < 32; i++) xv[i] = (float)(i % 7) - 3.f;
    fsift_tensor x = {FSIFT_DTYPE_FLOAT32, 4, {1, 4, 4, 2}, xv};
    CHECK_OK(fsift_session_run(s, &x, 1));
    fsift_tensor y;
    if (fsift_session_output(s, 0, &y) == FSIFT_OK && y.data) {
        CHECK(y.rank == 4 && y.dims[3] == 3);
        const float *yv = y.data;
        for (int p = 0; p < 16; p++)
            for (int o = 0; o < 3; o++) {
                float e = xv[2 * p] * W_CONV[2 * o] + xv[2 * p + 1] * W_CONV[2 * o + 1] + B_CONV[o];
                CHECK_NEAR(yv[3 * p + o], e > 0 ? e : 0, 1e-5);
            }
    }
    fsift_session_free(s);
    fsift_model_free(model);
}

static void test_depthwise(void) {
    m_spec m;
    spec_init(&m);
    static float w[16];
    for (int i = 0; i < 16; i++) w[i] = (float)i;
    int32_t xs[4] = {1, 3, 3, 2}, ws[4] = {1, 2, 2, 4}, ys[4] = {1, 3, 3, 4};
    int x = add_tensor(&m, "x", TT_F32, 4, xs, NULL, 0);
    int wt = add_tensor(&m, "dw", TT_F32, 4, ws, w, sizeof w);
    int y = add_tensor(&m, "y", TT_F32, 4, ys, NULL, 0);
    int oc = add_oc(&m, 4);
    int32_t in[3] = {x, wt, -1}, out[1] = {y};
    op_spec *o = add_op(&m, oc, 3, in, 1, out);
    o->opt_type = 2;
    op_opt(o, 0, 1, 0); /* SAME */
    op_opt(o, 1, 4, 1);
    op_opt(o, 2, 4, 2);
    op_opt(o, 3, 4, 2); /* depth_multiplier */
    op_opt(o, 4, 1, 3); /* RELU6 */
    m.in[m.n_in++] = x;
    m.out[m.n_out++] = y;
    fsift_status st;
    nn_graph *g = build_graph(&m, &st);
    CHECK_OK(st);
    if (!g) return;
    const nn_node *n = find_op(g, "Conv", 0);
    CHECK(n && n->n_in == 2);
    if (n) {
        int64_t strides[2] = {2, 1}, ks[2] = {2, 2};
        CHECK(nn_attr_int(n, "group", 1) == 2);
        CHECK(attr_ints_eq(n, "strides", strides, 2) && attr_ints_eq(n, "kernel_shape", ks, 2));
        CHECK(!strcmp(nn_attr_str(n, "auto_pad", ""), "SAME_UPPER"));
        CHECK(!strcmp(nn_attr_str(n, "activation", ""), "RELU6"));
        const nn_value *wv = &g->vals[n->in[1]];
        int64_t wd[4] = {4, 2, 2, 1};
        CHECK(wv->kind == NN_VAL_CONST && wv->rank == 4 && ints_eq(wv->dims, 4, wd, 4));
        const float *d = wv->data;
        int ok = 1;
        for (int oc2 = 0; oc2 < 4; oc2++) /* [oc][i][j] = src[0][i][j][oc] */
            for (int k = 0; k < 4; k++) ok &= d[oc2 * 4 + k] == w[k * 4 + oc2];
        CHECK(ok);
    }
    /* the original [1,2,2,4] filter is not kept as well */
    CHECK(nn_graph_find(g, "dw") < 0);
    nn_graph_free(g);
}

/* Depthwise filter behind a float16 DEQUANTIZE: re-laid in place (one constant), and a
 * filter whose data disagrees with its declared shape is refused. */
static void test_depthwise_dequantized(void) {
    for (int bad = 0; bad < 2; bad++) {
        m_spec m;
        spec_init(&m);
        static uint16_t h[16];
        for (int i = 0; i < 16; i++) h[i] = fsift_f32_to_f16((float)i);
        int32_t xs[4] = {1, 3, 3, 4}, hs[4] = {1, 2, 2, 4}, big[4] = {1, 3, 3, 4}, ys[4] = {1, 3, 3, 4};
        int x = add_tensor(&m, "x", TT_F32, 4, xs, NULL, 0);
        int th = add_tensor(&m, "dw_f16", TT_F16, 4, hs, h, sizeof h);
        int tw = add_tensor(&m, "dw_f32", TT_F32, 4, bad ? big : hs, NULL, 0);
        int y = add_tensor(&m, "y", TT_F32, 4, ys, NULL, 0);
        int oc_dq = add_oc(&m, 6), oc_dw = add_oc(&m, 4);
        int32_t i1[1] = {th}, o1[1] = {tw}, i2[2] = {x, tw}, o2[1] = {y};
        add_op(&m, oc_dq, 1, i1, 1, o1);
        op_spec *o = add_op(&m, oc_dw, 2, i2, 1, o2);
        o->opt_type = 2;
        op_opt(o, 1, 4, 1);
        op_opt(o, 2, 4, 1);
        op_opt(o, 3, 4, 1);
        m.in[m.n_in++] = x;
        m.out[m.n_out++] = y;
        if (bad) {
            expect_error(&m, FSIFT_E_FORMAT, "declared shape", "filter shape mismatch");
            continue;
        }
        fsift_status st;
        nn_graph *g = build_graph(&m, &st);
        CHECK_OK(st);
        if (!g) continue;
        const nn_node *n = find_op(g, "Conv", 0);
        CHECK(n && nn_attr_int(n, "group", 1) == 4);
        int nconst = 0;
        for (int v = 0; v < g->n_vals; v++) nconst += g->vals[v].kind == NN_VAL_CONST;
        CHECK(nconst == 1);
        if (n) {
            const nn_value *wv = &g->vals[n->in[1]];
            int64_t wd[4] = {4, 2, 2, 1};
            CHECK(wv->dtype == FSIFT_DTYPE_FLOAT32 && ints_eq(wv->dims, 4, wd, 4));
            const float *d = wv->data;
            int ok = 1;
            for (int oc2 = 0; oc2 < 4; oc2++)
                for (int k = 0; k < 4; k++) ok &= d[oc2 * 4 + k] == (float)(k * 4 + oc2);
            CHECK(ok);
        }
        nn_graph_free(g);
    }
}

static void test_fully_connected(void) {
    for (int keep = 0; keep < 2; keep++) {
        m_spec m;
        spec_init(&m);
        static float w[5 * 12], b[5];
        int32_t xs[4] = {1, 2, 2, 3}, ws[2] = {5, 12}, bs[1] = {5}, ys2[2] = {1, 5}, ys4[4] = {1, 2, 2, 5};
        int32_t xk[3] = {2, 3, 12}, yk[3] = {2, 3, 5};
        int x = keep ? add_tensor(&m, "x", TT_F32, 3, xk, NULL, 0) : add_tensor(&m, "x", TT_F32, 4, xs, NULL, 0);
        int wt = add_tensor(&m, "w", TT_F32, 2, ws, w, sizeof w);
        int bt = add_tensor(&m, "b", TT_F32, 1, bs, b, sizeof b);
        int y = keep ? add_tensor(&m, "y", TT_F32, 3, yk, NULL, 0) : add_tensor(&m, "y", TT_F32, 2, ys2, NULL, 0);
        (void)ys4;
        int oc = add_oc(&m, 9);
        int32_t in[3] = {x, wt, bt}, out[1] = {y};
        op_spec *o = add_op(&m, oc, 3, in, 1, out);
        o->opt_type = 8;
        op_opt(o, 0, 1, 4); /* TANH */
        op_opt(o, 2, 1, (uint64_t)keep);
        m.in[m.n_in++] = x;
        m.out[m.n_out++] = y;
        fsift_status st;
        nn_graph *g = build_graph(&m, &st);
        CHECK_OK(st);
        if (!g) continue;
        const nn_node *r = find_op(g, "Reshape", 0), *gm = find_op(g, "Gemm", 0);
        int64_t flat[2] = {-1, 12};
        CHECK(r && r->n_in == 2 && const_ints_eq(g, r->in[1], flat, 2));
        CHECK(gm && gm->n_in == 3 && nn_attr_int(gm, "transB", 0) == 1);
        /* TFLite's runtime ignores a fused TANH (an unbounded clamp range); so do we */
        CHECK(gm && nn_attr_find(gm, "activation") == NULL);
        if (keep) {
            const nn_node *r2 = find_op(g, "Reshape", 1);
            int64_t back[3] = {2, 3, 5};
            CHECK(r2 && const_ints_eq(g, r2->in[1], back, 3) && !strcmp(g->vals[r2->out[0]].name, "y"));
            CHECK(g->n_nodes == 3);
        } else {
            CHECK(g->n_nodes == 2);
        }
        nn_graph_free(g);
    }
}

/* PAD paddings [[0,0],[1,2],[3,4],[0,0]] → ONNX pads [0,1,3,0, 0,2,4,0]; MEAN; SOFTMAX beta. */
static void test_pad_mean_softmax(void) {
    m_spec m;
    spec_init(&m);
    static const int32_t pads[8] = {0, 0, 1, 2, 3, 4, 0, 0}, axes[2] = {1, 2};
    int32_t xs[4] = {1, 2, 2, 3}, ps[2] = {4, 2}, ps1[1] = {2}, ys[4] = {1, 5, 9, 3}, ms[2] = {1, 3};
    int x = add_tensor(&m, "x", TT_F32, 4, xs, NULL, 0);
    int p = add_tensor(&m, "pads", TT_I32, 2, ps, pads, sizeof pads);
    int y = add_tensor(&m, "padded", TT_F32, 4, ys, NULL, 0);
    int ax = add_tensor(&m, "axes", TT_I32, 1, ps1, axes, sizeof axes);
    int mean = add_tensor(&m, "mean", TT_F32, 2, ms, NULL, 0);
    int sm = add_tensor(&m, "sm", TT_F32, 2, ms, NULL, 0);
    int oc_pad = add_oc(&m, 34), oc_mean = add_oc(&m, 40), oc_sm = add_oc(&m, 25);
    int32_t i1[2] = {x, p}, o1[1] = {y}, i2[2] = {y, ax}, o2[1] = {mean}, i3[1] = {mean}, o3[1] = {sm};
    add_op(&m, oc_pad, 2, i1, 1, o1);
    op_spec *o = add_op(&m, oc_mean, 2, i2, 1, o2);
    o->opt_type = 27;
    op_opt(o, 0, 1, 0);
    o = add_op(&m, oc_sm, 1, i3, 1, o3);
    o->opt_type = 9;
    op_opt_f32(o, 0, 0.5f);
    m.in[m.n_in++] = x;
    m.out[m.n_out++] = sm;
    fsift_status st;
    nn_graph *g = build_graph(&m, &st);
    CHECK_OK(st);
    if (!g) return;
    const nn_node *n = find_op(g, "Pad", 0);
    int64_t want[8] = {0, 1, 3, 0, 0, 2, 4, 0}, want_axes[2] = {1, 2};
    CHECK(n && n->n_in == 2 && const_ints_eq(g, n->in[1], want, 8));
    n = find_op(g, "ReduceMean", 0);
    CHECK(n && attr_ints_eq(n, "axes", want_axes, 2) && nn_attr_int(n, "keepdims", 1) == 0);
    n = find_op(g, "Softmax", 0);
    CHECK(n && nn_attr_int(n, "axis", 0) == -1 && nn_attr_float(n, "beta", 1.f) == 0.5f);
    /* shape/axes constants are read at load and not stored as int32 values */
    CHECK(nn_graph_find(g, "pads") < 0 && nn_graph_find(g, "axes") < 0);
    nn_graph_free(g);
}

/* DEQUANTIZE: float16 and per-axis int8 constants become float32 constants, no node. */
static void test_dequantize(void) {
    m_spec m;
    spec_init(&m);
    static uint16_t h[4];
    static const int8_t q[6] = {-128, 0, 127, 10, -10, 1};
    for (int i = 0; i < 4; i++) h[i] = fsift_f32_to_f16((float)i * 0.25f - 0.5f);
    int32_t hs[1] = {4}, qs[2] = {2, 3}, xs[2] = {2, 3};
    int x = add_tensor(&m, "x", TT_F32, 2, xs, NULL, 0);
    int th = add_tensor(&m, "h", TT_F16, 1, hs, h, sizeof h);
    int tf = add_tensor(&m, "h_f32", TT_F32, 1, hs, NULL, 0);
    int tq = add_tensor(&m, "q", TT_I8, 2, qs, q, sizeof q);
    m.t[tq].nscale = 2;
    m.t[tq].scale[0] = 0.5f;
    m.t[tq].scale[1] = 2.f;
    m.t[tq].nzp = 2;
    m.t[tq].zp[0] = 0;
    m.t[tq].zp[1] = 1;
    m.t[tq].qdim = 0;
    int tqf = add_tensor(&m, "q_f32", TT_F32, 2, qs, NULL, 0);
    int y = add_tensor(&m, "y", TT_F32, 2, xs, NULL, 0);
    int oc_dq = add_oc(&m, 6), oc_add = add_oc(&m, 0);
    int32_t i1[1] = {th}, o1[1] = {tf}, i2[1] = {tq}, o2[1] = {tqf}, i3[2] = {x, tqf}, o3[1] = {y};
    add_op(&m, oc_dq, 1, i1, 1, o1);
    add_op(&m, oc_dq, 1, i2, 1, o2);
    add_op(&m, oc_add, 2, i3, 1, o3);
    m.in[m.n_in++] = x;
    m.out[m.n_out++] = y;
    m.out[m.n_out++] = tf;
    fsift_status st;
    nn_graph *g = build_graph(&m, &st);
    CHECK_OK(st);
    if (!g) return;
    CHECK(g->n_nodes == 1 && count_op(g, "Add") == 1);
    int v = nn_graph_find(g, "h_f32");
    CHECK(v >= 0 && g->vals[v].kind == NN_VAL_CONST && g->vals[v].dtype == FSIFT_DTYPE_FLOAT32);
    if (v >= 0) {
        const float *f = g->vals[v].data;
        for (int i = 0; i < 4; i++) CHECK_NEAR(f[i], i * 0.25 - 0.5, 0);
    }
    v = nn_graph_find(g, "q_f32");
    CHECK(v >= 0 && g->vals[v].kind == NN_VAL_CONST);
    if (v >= 0) {
        const float *f = g->vals[v].data;
        float want[6] = {-64.f, 0.f, 63.5f, 18.f, -22.f, 0.f};
        for (int i = 0; i < 6; i++) CHECK_NEAR(f[i], want[i], 0);
    }
    CHECK(nn_graph_find(g, "q") < 0 && nn_graph_find(g, "h") < 0);
    nn_graph_free(g);
}

/* RESIZE_BILINEAR: static input → constant sizes; dynamic input → Shape/Slice/Concat. */
static void test_resize(void) {
    for (int dyn = 0; dyn < 2; dyn++)
        for (int kind = 0; kind < 2; kind++) {
            m_spec m;
            spec_init(&m);
            static const int32_t size[2] = {8, 6};
            int32_t xs[4] = {1, 4, 3, 5}, ss[1] = {2}, ys[4] = {1, 8, 6, 5};
            int x = add_tensor(&m, "x", TT_F32, 4, xs, NULL, 0);
            if (dyn) {
                m.t[x].has_sig = 1;
                int32_t sig[4] = {-1, 4, 3, 5};
                memcpy(m.t[x].sig, sig, sizeof sig);
            }
            int s = add_tensor(&m, "size", TT_I32, 1, ss, size, sizeof size);
            int y = add_tensor(&m, "y", TT_F32, 4, ys, NULL, 0);
            int oc = add_oc(&m, kind ? 97 : 23);
            int32_t in[2] = {x, s}, out[1] = {y};
            op_spec *o = add_op(&m, oc, 2, in, 1, out);
            o->opt_type = kind ? 74 : 15;
            op_opt(o, kind ? 1 : 3, 1, 1); /* half_pixel_centers */
            m.in[m.n_in++] = x;
            m.out[m.n_out++] = y;
            fsift_status st;
            nn_graph *g = build_graph(&m, &st);
            CHECK_OK(st);
            if (!g) continue;
            const nn_node *n = find_op(g, "Resize", 0);
            CHECK(n && n->n_in == 4 && n->in[1] == -1 && n->in[2] == -1);
            if (n) {
                CHECK(!strcmp(nn_attr_str(n, "layout", ""), "NHWC"));
                CHECK(!strcmp(nn_attr_str(n, "mode", ""), kind ? "nearest" : "linear"));
                CHECK(!strcmp(nn_attr_str(n, "coordinate_transformation_mode", ""),
                              kind ? "tf_half_pixel_for_nn" : "half_pixel"));
                if (kind) CHECK(!strcmp(nn_attr_str(n, "nearest_mode", ""), "floor"));
                int64_t want[4] = {1, 8, 6, 5};
                if (!dyn) CHECK(const_ints_eq(g, n->in[3], want, 4));
                else CHECK(count_op(g, "Shape") == 1 && count_op(g, "Slice") == 2 && count_op(g, "Concat") == 1);
            }
            if (dyn) CHECK(g->vals[g->inputs[0]].dims[0] == -1);
            nn_graph_free(g);
        }
}

static void test_reshape_and_friends(void) {
    m_spec m;
    spec_init(&m);
    static const int32_t shape[2] = {-1, 6}, perm[2] = {1, 0};
    int32_t xs[3] = {2, 3, 2}, ss[1] = {2}, ys[2] = {2, 6}, ts[2] = {6, 2}, qs[3] = {6, 1, 2};
    int x = add_tensor(&m, "x", TT_F32, 3, xs, NULL, 0);
    int s = add_tensor(&m, "shape", TT_I32, 1, ss, shape, sizeof shape);
    int y = add_tensor(&m, "y", TT_F32, 2, ys, NULL, 0);
    int p = add_tensor(&m, "perm", TT_I32, 1, ss, perm, sizeof perm);
    int t = add_tensor(&m, "t", TT_F32, 2, ts, NULL, 0);
    int y2 = add_tensor(&m, "y2", TT_F32, 3, qs, NULL, 0);
    int y3 = add_tensor(&m, "y3", TT_F32, 2, ts, NULL, 0);
    int y4 = add_tensor(&m, "y4", TT_F32, 2, ts, NULL, 0);
    int oc_r = add_oc(&m, 22), oc_t = add_oc(&m, 39), oc_sq = add_oc(&m, 43), oc_r6 = add_oc(&m, 21);
    int32_t i1[2] = {x, s}, o1[1] = {y}, i2[2] = {y, p}, o2[1] = {t}, i3[1] = {t}, o3[1] = {y2};
    int32_t i4[1] = {y2}, o4[1] = {y3}, i5[1] = {y3}, o5[1] = {y4};
    add_op(&m, oc_r, 2, i1, 1, o1);
    add_op(&m, oc_t, 2, i2, 1, o2);
    op_spec *o = add_op(&m, oc_r, 1, i3, 1, o3); /* shape from ReshapeOptions.new_shape */
    o->opt_type = 17;
    o->vec_id = 0;
    o->n_vec = 3;
    o->vec[0] = 6;
    o->vec[1] = 1;
    o->vec[2] = 2;
    o = add_op(&m, oc_sq, 1, i4, 1, o4);
    o->opt_type = 30;
    o->vec_id = 0;
    o->n_vec = 1;
    o->vec[0] = 1;
    add_op(&m, oc_r6, 1, i5, 1, o5);
    m.in[m.n_in++] = x;
    m.out[m.n_out++] = y4;
    fsift_status st;
    nn_graph *g = build_graph(&m, &st);
    CHECK_OK(st);
    if (!g) return;
    int64_t w1[2] = {-1, 6}, w2[2] = {1, 0}, w3[3] = {6, 1, 2}, w4[1] = {1};
    const nn_node *n = find_op(g, "Reshape", 0);
    CHECK(n && const_ints_eq(g, n->in[1], w1, 2));
    n = find_op(g, "Transpose", 0);
    CHECK(n && n->n_in == 1 && attr_ints_eq(n, "perm", w2, 2));
    n = find_op(g, "Reshape", 1);
    CHECK(n && const_ints_eq(g, n->in[1], w3, 3));
    n = find_op(g, "Squeeze", 0);
    CHECK(n && n->n_in == 2 && const_ints_eq(g, n->in[1], w4, 1));
    n = find_op(g, "Clip", 0);
    CHECK(n && n->n_in == 3 && g->vals[n->in[1]].kind == NN_VAL_CONST && g->vals[n->in[2]].rank == 0 &&
          *(const float *)g->vals[n->in[2]].data == 6.f && *(const float *)g->vals[n->in[1]].data == 0.f);
    nn_graph_free(g);
}

/* Constant data stored after the flatbuffer through Buffer.offset/size (the > 2 GB layout). */
static void test_external_buffers(void) {
    m_spec m;
    conv_model(&m);
    m.t[1].external = 1;
    m.t[2].external = 1;
    fsift_status st;
    nn_graph *g = build_graph(&m, &st);
    CHECK_OK(st);
    if (g) {
        const nn_node *n = find_op(g, "Conv", 0);
        CHECK(n && n->n_in == 3);
        if (n) {
            const nn_value *w = &g->vals[n->in[1]], *b = &g->vals[n->in[2]];
            CHECK(w->nbytes == sizeof W_CONV && !memcmp(w->data, W_CONV, sizeof W_CONV));
            CHECK(b->nbytes == sizeof B_CONV && !memcmp(b->data, B_CONV, sizeof B_CONV));
        }
        nn_graph_free(g);
    }
    conv_model(&m);
    m.t[1].external = 1;
    m.t[1].ext_shift = 8; /* runs 8 bytes past the end of the file */
    expect_error(&m, FSIFT_E_FORMAT, "buffer 1 claims bytes", "external data past the end");
    conv_model(&m);
    m.t[1].external = 1;
    m.t[1].ext_shift = (int64_t)1 << 62;
    expect_error(&m, FSIFT_E_FORMAT, NULL, "external offset huge");
}

/* ---- errors: unsupported and hostile ------------------------------------------------------------------ */

static void expect_error(const m_spec *m, fsift_status want, const char *needle, const char *what) {
    size_t size;
    uint8_t *data = build(m, &size);
    nn_graph *g = NULL;
    fsift_status st = nn_tflite_load(data, size, &g);
    CHECK_MSG(st == want && !g, "%s: status %d, want %d (%s)", what, st, want, fsift_last_error());
    if (needle) CHECK_MSG(strstr(fsift_last_error(), needle) != NULL, "%s: message '%s' lacks '%s'", what, fsift_last_error(), needle);
    nn_graph_free(g);
    free(data);
}

static void test_unsupported(void) {
    m_spec m;
    conv_model(&m);
    m.oc[0].code = 16;
    expect_error(&m, FSIFT_E_UNSUPPORTED, "LSTM (16)", "LSTM");
    conv_model(&m);
    m.oc[0].code = 150; /* only in the int32 builtin_code field */
    expect_error(&m, FSIFT_E_UNSUPPORTED, "GELU (150)", "GELU");
    conv_model(&m);
    m.oc[0].code = 32;
    m.oc[0].custom = "TFLite_Detection_PostProcess";
    expect_error(&m, FSIFT_E_UNSUPPORTED, "'TFLite_Detection_PostProcess'", "custom op");
    conv_model(&m);
    m.oc[0].code = 4000;
    expect_error(&m, FSIFT_E_UNSUPPORTED, "(4000)", "unknown op");
    /* a quantized model: uint8 input with a scale */
    conv_model(&m);
    m.t[0].type = TT_U8;
    m.t[0].nscale = 1;
    m.t[0].scale[0] = 0.0078125f;
    expect_error(&m, FSIFT_E_UNSUPPORTED, "quantized", "quantized input");
    /* quantized int8 weights used directly (no DEQUANTIZE) */
    conv_model(&m);
    static const int8_t wq[6] = {1, 2, 3, 4, 5, 6};
    m.t[1].type = TT_I8;
    m.t[1].data = wq;
    m.t[1].nbytes = sizeof wq;
    m.t[1].nscale = 1;
    m.t[1].scale[0] = 0.1f;
    expect_error(&m, FSIFT_E_UNSUPPORTED, "quantized", "quantized weights");
    conv_model(&m);
    m.op[0].opt[3].v = 9; /* no such ActivationFunctionType */
    expect_error(&m, FSIFT_E_FORMAT, "ActivationFunctionType", "activation 9");
    conv_model(&m);
    m.version = 2;
    expect_error(&m, FSIFT_E_UNSUPPORTED, "version 2", "schema version");
}

static void test_bad_indices(void) {
    m_spec m;
    conv_model(&m);
    m.op[0].in[1] = 99;
    expect_error(&m, FSIFT_E_FORMAT, "out of range", "input index 99");
    conv_model(&m);
    m.op[0].in[0] = -2;
    expect_error(&m, FSIFT_E_FORMAT, "-2", "input index -2");
    conv_model(&m);
    m.op[0].in[0] = -1; /* a required input marked absent */
    expect_error(&m, FSIFT_E_FORMAT, "missing", "absent data input");
    conv_model(&m);
    m.op[0].out[0] = 4;
    expect_error(&m, FSIFT_E_FORMAT, "out of range", "output index");
    conv_model(&m);
    m.out[0] = 7;
    expect_error(&m, FSIFT_E_FORMAT, "out of range", "graph output index");
    conv_model(&m);
    m.in[0] = -1;
    expect_error(&m, FSIFT_E_FORMAT, NULL, "graph input -1");
    conv_model(&m);
    m.op[0].opcode = 1;
    expect_error(&m, FSIFT_E_FORMAT, "operator code 1 of 1", "opcode index");
    conv_model(&m);
    m.t[1].buffer = 9;
    expect_error(&m, FSIFT_E_FORMAT, "buffer 9", "buffer index");
    conv_model(&m);
    m.t[1].nbytes = 20; /* shape says 24 */
    expect_error(&m, FSIFT_E_FORMAT, "expected 24", "short buffer");
    conv_model(&m);
    m.t[1].shape[0] = -3;
    expect_error(&m, FSIFT_E_FORMAT, NULL, "negative constant dim");
    conv_model(&m);
    m.t[0].rank = 9;
    expect_error(&m, FSIFT_E_UNSUPPORTED, "rank 9", "rank 9");
    conv_model(&m);
    m.op[0].opt_type = 5; /* Pool2DOptions on a CONV_2D */
    expect_error(&m, FSIFT_E_FORMAT, "union member 5", "wrong options type");
    conv_model(&m);
    m.op[0].opt[1].v = 0; /* stride 0 */
    expect_error(&m, FSIFT_E_FORMAT, "strides", "stride 0");
    conv_model(&m);
    m.t[1].type = 5; /* STRING constant */
    expect_error(&m, FSIFT_E_UNSUPPORTED, "STRING", "string constant");
    /* the graph input written by an operator */
    conv_model(&m);
    m.op[0].out[0] = 0;
    expect_error(&m, FSIFT_E_FORMAT, "already written", "writes its input");
    /* an output never written */
    conv_model(&m);
    m.out[0] = 2;
    m.n_op = 0;
    m.out[0] = 3;
    expect_error(&m, FSIFT_E_FORMAT, "never written", "unwritten output");
}

/* Two operators reading each other's outputs, and one reading its own output. */
static void test_cycles(void) {
    m_spec m;
    spec_init(&m);
    int32_t s[2] = {2, 2};
    int x = add_tensor(&m, "x", TT_F32, 2, s, NULL, 0);
    int a = add_tensor(&m, "a", TT_F32, 2, s, NULL, 0);
    int b = add_tensor(&m, "b", TT_F32, 2, s, NULL, 0);
    int oc = add_oc(&m, 0);
    int32_t i1[2] = {x, b}, o1[1] = {a}, i2[2] = {a, x}, o2[1] = {b};
    add_op(&m, oc, 2, i1, 1, o1);
    add_op(&m, oc, 2, i2, 1, o2);
    m.in[m.n_in++] = x;
    m.out[m.n_out++] = b;
    expect_error(&m, FSIFT_E_FORMAT, "no earlier operator writes", "two-op cycle");
    m.n_op = 1;
    m.op[0].in[1] = a; /* a = x + a */
    m.out[0] = a;
    expect_error(&m, FSIFT_E_FORMAT, "no earlier operator writes", "self cycle");
    /* a tensor written twice */
    spec_init(&m);
    x = add_tensor(&m, "x", TT_F32, 2, s, NULL, 0);
    a = add_tensor(&m, "a", TT_F32, 2, s, NULL, 0);
    oc = add_oc(&m, 0);
    int32_t i3[2] = {x, x}, o3[1] = {a};
    add_op(&m, oc, 2, i3, 1, o3);
    add_op(&m, oc, 2, i3, 1, o3);
    m.in[m.n_in++] = x;
    m.out[m.n_out++] = a;
    expect_error(&m, FSIFT_E_FORMAT, "already written", "written twice");
}

/* Byte-level corruption of a valid small model: bad vtables, huge lengths, then every byte. */
static void test_hostile_bytes(void) {
    m_spec m;
    conv_model(&m);
    size_t size;
    uint8_t *data = build(&m, &size);
    CHECK(load_any(data, size) == FSIFT_OK);
    uint8_t *buf = malloc(size + 16);

    /* the root table's vtable pointed outside the file */
    uint32_t root;
    memcpy(&root, data, 4);
    memcpy(buf, data, size);
    int32_t soff = -(int32_t)size * 4;
    memcpy(buf + root, &soff, 4);
    CHECK(load_any(buf, size) == FSIFT_E_FORMAT && strstr(fsift_last_error(), "vtable"));
    soff = (int32_t)root + 2; /* vtable before the start of the file */
    memcpy(buf + root, &soff, 4);
    CHECK(load_any(buf, size) == FSIFT_E_FORMAT);
    /* root offset past the end */
    memcpy(buf, data, size);
    root = (uint32_t)size + 100;
    memcpy(buf, &root, 4);
    CHECK(load_any(buf, size) == FSIFT_E_FORMAT);
    /* huge vector lengths: every u32 that holds a small count becomes 0x7ffffff0 / 0xffffffff */
    int n_huge = 0;
    for (size_t i = 8; i + 4 <= size; i += 4) {
        uint32_t v;
        memcpy(&v, data + i, 4);
        if (v == 0 || v > 64) continue;
        static const uint32_t big[2] = {0x7ffffff0u, 0xffffffffu};
        for (int k = 0; k < 2; k++) {
            memcpy(buf, data, size);
            memcpy(buf + i, &big[k], 4);
            load_any(buf, size);
            n_huge++;
        }
    }
    CHECK(n_huge > 10);
    /* identifier and tiny files */
    memcpy(buf, data, size);
    memcpy(buf + 4, "TFL2", 4);
    CHECK(load_any(buf, size) == FSIFT_E_FORMAT);
    CHECK(load_any(data, 0) == FSIFT_E_FORMAT);
    CHECK(load_any(data, 7) == FSIFT_E_FORMAT);
    nn_graph *g2 = NULL;
    CHECK(nn_tflite_load(NULL, 0, &g2) != FSIFT_OK && !g2);

    /* every byte, three ways; and every truncation */
    int ok = 0;
    for (size_t i = 0; i < size; i++) {
        static const uint8_t vals[3] = {0x00, 0xff, 0x80};
        for (int k = 0; k < 3; k++) {
            memcpy(buf, data, size);
            buf[i] = (uint8_t)(k == 2 ? buf[i] ^ 0x80 : vals[k]);
            ok += load_any(buf, size) == FSIFT_OK;
        }
    }
    fprintf(stderr, "  conv model (%zu bytes): %d of %zu single-byte changes still load\n", size, ok, 3 * size);
    int trunc_ok = 0;
    for (size_t len = 0; len < size; len++) trunc_ok += load_any(data, len) == FSIFT_OK;
    CHECK_MSG(trunc_ok == 0, "%d truncations of the conv model loaded", trunc_ok);
    free(buf);
    free(data);
}

/* ---- one small model per operator mapping, for the oracles ----------------------------------------
 *
 * test_op_models builds a model for each mapping above (and the options that change its
 * meaning: padding modes, resize coordinate modes, keep_num_dims, fused activations …) with
 * random weights, runs it through the public API when the kernels are there, and, when
 * FSIFT_TFLITE_OP_DIR is set, writes DIR/<name>.tflite and DIR/<name>.in0.npy so that
 * tests/script_tflite_oracle.sh can compare facesift with the real TFLite runtime on each. */

static uint32_t rng_state = 12345;
static float frand(void) { /* uniform in [-1, 1) */
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)(rng_state >> 8) / (float)(1u << 23) - 1.f;
}

/* Keeps the data of the constants of all op models alive until the end of the run. */
static float const_pool[1 << 16];
static size_t const_used;

static const float *rand_floats(size_t n) {
    if (const_used + n > sizeof const_pool / sizeof const_pool[0]) abort();
    float *p = const_pool + const_used;
    const_used += n;
    for (size_t i = 0; i < n; i++) p[i] = frand();
    return p;
}

static int32_t ipool[256];
static size_t iused;
static const int32_t *ints32(int n, const int32_t *v) {
    int32_t *p = ipool + iused;
    iused += (size_t)n;
    memcpy(p, v, (size_t)n * 4);
    return p;
}

static int n_elems(int rank, const int32_t *shape) {
    int n = 1;
    for (int i = 0; i < rank; i++) n *= shape[i];
    return n;
}

static int f32_const(m_spec *m, const char *name, int rank, const int32_t *shape) {
    int n = n_elems(rank, shape);
    return add_tensor(m, name, TT_F32, rank, shape, rand_floats((size_t)n), (size_t)n * 4);
}

static int i32_const(m_spec *m, const char *name, int rank, const int32_t *shape, const int32_t *v) {
    int n = n_elems(rank, shape);
    return add_tensor(m, name, TT_I32, rank, shape, ints32(n, v), (size_t)n * 4);
}

typedef struct op_model {
    const char *name;
    m_spec m;
    int xr;
    int32_t xs[4];
} op_model;

static op_model OPM[64];
static int n_opm;

/* Starts op model `name` with input x of the given shape; returns the spec (x is tensor 0). */
static m_spec *opm_begin(const char *name, int xr, const int32_t *xs) {
    op_model *om = &OPM[n_opm++];
    om->name = name;
    om->xr = xr;
    memcpy(om->xs, xs, (size_t)xr * 4);
    spec_init(&om->m);
    add_tensor(&om->m, "x", TT_F32, xr, xs, NULL, 0);
    om->m.in[om->m.n_in++] = 0;
    return &om->m;
}

/* Adds operator `code` reading ins (tensor indices) and writing a new tensor y of shape ys,
 * which becomes the graph output; returns the operator for its options. */
static op_spec *opm_op(m_spec *m, int code, int n_in, const int32_t *ins, int yr, const int32_t *ys) {
    int y = add_tensor(m, "y", TT_F32, yr, ys, NULL, 0);
    int oc = add_oc(m, code);
    int32_t out[1] = {y};
    op_spec *o = add_op(m, oc, n_in, ins, 1, out);
    m->n_out = 1;
    m->out[0] = y;
    return o;
}

static void make_op_models(void) {
    static const int32_t s4[4] = {1, 5, 7, 3}, s2[2] = {2, 7};
    m_spec *m;
    op_spec *o;
    int32_t in[4];

    /* resize: 5x7 → 9x4, three coordinate modes each */
    static const char *const rb[3] = {"resize_bilinear", "resize_bilinear_align", "resize_bilinear_half"};
    static const char *const rn[3] = {"resize_nearest", "resize_nearest_align", "resize_nearest_half"};
    for (int nearest = 0; nearest < 2; nearest++)
        for (int mode = 0; mode < 3; mode++) {
            int32_t ys[4] = {1, 9, 4, 3}, ss[1] = {2}, sz[2] = {9, 4};
            m = opm_begin(nearest ? rn[mode] : rb[mode], 4, s4);
            in[0] = 0;
            in[1] = i32_const(m, "size", 1, ss, sz);
            o = opm_op(m, nearest ? 97 : 23, 2, in, 4, ys);
            o->opt_type = nearest ? 74 : 15;
            if (mode) op_opt(o, (nearest ? 0 : 2) + (mode - 1), 1, 1);
        }
    /* convolutions */
    {
        int32_t ws[4] = {4, 3, 3, 3}, bs[1] = {4}, ys[4] = {1, 5, 7, 4};
        m = opm_begin("conv_same_dilated_tanh", 4, s4);
        in[0] = 0;
        in[1] = f32_const(m, "w", 4, ws);
        in[2] = f32_const(m, "b", 1, bs);
        o = opm_op(m, 3, 3, in, 4, ys);
        o->opt_type = 1;
        op_opt(o, 0, 1, 0);
        op_opt(o, 1, 4, 1);
        op_opt(o, 2, 4, 1);
        op_opt(o, 3, 1, 4);
        op_opt(o, 4, 4, 2);
        op_opt(o, 5, 4, 2);
        int32_t ys2[4] = {1, 3, 4, 4};
        m = opm_begin("conv_same_stride2_relu_n1", 4, s4);
        in[1] = f32_const(m, "w", 4, ws);
        in[2] = f32_const(m, "b", 1, bs);
        o = opm_op(m, 3, 3, in, 4, ys2);
        o->opt_type = 1;
        op_opt(o, 0, 1, 0);
        op_opt(o, 1, 4, 2);
        op_opt(o, 2, 4, 2);
        op_opt(o, 3, 1, 2);
        int32_t dws[4] = {1, 3, 3, 6}, dbs[1] = {6}, dys[4] = {1, 3, 4, 6};
        m = opm_begin("depthwise_mult2_stride2_relu6", 4, s4);
        in[1] = f32_const(m, "dw", 4, dws);
        in[2] = f32_const(m, "db", 1, dbs);
        o = opm_op(m, 4, 3, in, 4, dys);
        o->opt_type = 2;
        op_opt(o, 0, 1, 0);
        op_opt(o, 1, 4, 2);
        op_opt(o, 2, 4, 2);
        op_opt(o, 3, 4, 2);
        op_opt(o, 4, 1, 3);
        m = opm_begin("depthwise_tanh", 4, s4);
        in[1] = f32_const(m, "dw", 4, dws);
        in[2] = f32_const(m, "db", 1, dbs);
        o = opm_op(m, 4, 3, in, 4, dys);
        o->opt_type = 2;
        op_opt(o, 1, 4, 2);
        op_opt(o, 2, 4, 2);
        op_opt(o, 4, 1, 4);
        /* hybrid weights: float16 and per-channel int8 filters behind DEQUANTIZE */
        static uint16_t h[4 * 9 * 3];
        for (size_t i = 0; i < sizeof h / 2; i++) h[i] = fsift_f32_to_f16(frand());
        static int8_t q[4 * 9 * 3];
        for (size_t i = 0; i < sizeof q; i++) q[i] = (int8_t)(frand() * 127);
        for (int kind = 0; kind < 2; kind++) {
            int32_t vys[4] = {1, 3, 5, 4};
            m = opm_begin(kind ? "conv_int8_weights" : "conv_f16_weights", 4, s4);
            int src = kind ? add_tensor(m, "wq", TT_I8, 4, ws, q, sizeof q)
                           : add_tensor(m, "wh", TT_F16, 4, ws, h, sizeof h);
            if (kind) {
                t_spec *t = &m->t[src];
                t->nscale = 4;
                t->nzp = 4;
                for (int i = 0; i < 4; i++) t->scale[i] = 0.01f * (float)(i + 1);
                t->qdim = 0;
            }
            int wf = add_tensor(m, "wf", TT_F32, 4, ws, NULL, 0);
            int oc = add_oc(m, 6);
            int32_t di[1] = {src}, dout[1] = {wf};
            add_op(m, oc, 1, di, 1, dout);
            in[1] = wf;
            in[2] = f32_const(m, "b", 1, bs);
            o = opm_op(m, 3, 3, in, 4, vys);
            o->opt_type = 1;
            op_opt(o, 0, 1, 1);
            op_opt(o, 1, 4, 1);
            op_opt(o, 2, 4, 1);
        }
    }
    /* pools: SAME 3x3 stride 2 (partial windows at the border) */
    for (int avg = 0; avg < 3; avg++) {
        int32_t ys[4] = {1, 3, 4, 3};
        m = opm_begin(avg == 2 ? "avgpool_same_tanh" : avg ? "avgpool_same" : "maxpool_same_relu", 4, s4);
        in[0] = 0;
        o = opm_op(m, avg ? 1 : 17, 1, in, 4, ys);
        o->opt_type = 5;
        op_opt(o, 0, 1, 0);
        op_opt(o, 1, 4, 2);
        op_opt(o, 2, 4, 2);
        op_opt(o, 3, 4, 3);
        op_opt(o, 4, 4, 3);
        op_opt(o, 5, 1, avg == 2 ? 4 : avg ? 0 : 1);
    }
    /* fully connected */
    {
        int32_t xs[3] = {2, 3, 12}, ws[2] = {5, 12}, bs[1] = {5}, ys[3] = {2, 3, 5}, y2[2] = {1, 5};
        m = opm_begin("fc_keep_num_dims_relu", 3, xs);
        in[0] = 0;
        in[1] = f32_const(m, "w", 2, ws);
        in[2] = f32_const(m, "b", 1, bs);
        o = opm_op(m, 9, 3, in, 3, ys);
        o->opt_type = 8;
        op_opt(o, 0, 1, 1);
        op_opt(o, 2, 1, 1);
        int32_t x4[4] = {1, 2, 2, 3};
        m = opm_begin("fc_flatten_nobias", 4, x4);
        in[1] = f32_const(m, "w", 2, ws);
        in[2] = -1;
        o = opm_op(m, 9, 3, in, 2, y2);
        o->opt_type = 8;
    }
    /* softmax, l2 norm */
    m = opm_begin("softmax_beta", 2, s2);
    in[0] = 0;
    o = opm_op(m, 25, 1, in, 2, s2);
    o->opt_type = 9;
    op_opt_f32(o, 0, 0.7f);
    m = opm_begin("l2_normalization", 4, s4);
    opm_op(m, 11, 1, in, 4, s4);
    /* padding */
    {
        static const int32_t pv[8] = {0, 0, 1, 2, 2, 1, 0, 0};
        int32_t ps[2] = {4, 2}, ys[4] = {1, 8, 10, 3}, one[1] = {1};
        m = opm_begin("pad", 4, s4);
        in[1] = i32_const(m, "pads", 2, ps, pv);
        opm_op(m, 34, 2, in, 4, ys);
        m = opm_begin("padv2", 4, s4);
        in[1] = i32_const(m, "pads", 2, ps, pv);
        static const float cv[1] = {0.25f};
        in[2] = add_tensor(m, "cv", TT_F32, 0, one, cv, 4);
        opm_op(m, 60, 3, in, 4, ys);
        m = opm_begin("mirror_pad_reflect", 4, s4);
        in[1] = i32_const(m, "pads", 2, ps, pv);
        o = opm_op(m, 100, 2, in, 4, ys);
        o->opt_type = 77;
    }
    /* reductions */
    {
        static const int codes[5] = {40, 74, 82, 89, 81};
        static const char *const names[5] = {"mean_keepdims", "sum", "reduce_max_keepdims", "reduce_min", "reduce_prod"};
        static const int32_t ax[2] = {1, 2};
        int32_t as[1] = {2}, yk[4] = {1, 1, 1, 3}, yn[2] = {1, 3};
        for (int i = 0; i < 5; i++) {
            int keep = i % 2 == 0;
            m = opm_begin(names[i], 4, s4);
            in[1] = i32_const(m, "axes", 1, as, ax);
            o = opm_op(m, codes[i], 2, in, keep ? 4 : 2, keep ? yk : yn);
            o->opt_type = 27;
            op_opt(o, 0, 1, (uint64_t)keep);
        }
    }
    /* elementwise: unary */
    {
        static const int codes[] = {59, 101, 19, 21, 20, 28, 14, 47, 117, 104, 8};
        static const char *const names[] = {"neg", "abs", "relu", "relu6", "relu_n1_to_1", "tanh",
                                            "logistic", "exp", "hard_swish", "ceil", "floor"};
        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
            m = opm_begin(names[i], 4, s4);
            opm_op(m, codes[i], 1, in, 4, s4);
        }
        m = opm_begin("leaky_relu", 4, s4);
        o = opm_op(m, 98, 1, in, 4, s4);
        o->opt_type = 75;
        op_opt_f32(o, 0, 0.2f);
        int32_t as[3] = {1, 1, 3};
        m = opm_begin("prelu", 4, s4);
        in[1] = f32_const(m, "alpha", 3, as);
        opm_op(m, 54, 2, in, 4, s4);
        m = opm_begin("square", 4, s4);
        opm_op(m, 92, 1, in, 4, s4);
    }
    /* elementwise: binary with broadcasting and fused activations */
    {
        static const int codes[] = {0, 41, 18, 42, 55, 57, 99, 0};
        static const int opts[] = {11, 28, 21, 29, 0, 0, 0, 11};
        static const char *const names[] = {"add_relu", "sub_relu6", "mul_tanh", "div", "maximum",
                                            "minimum", "squared_difference", "add_tanh"};
        int32_t bsh[3] = {1, 7, 3};
        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
            m = opm_begin(names[i], 4, s4);
            in[1] = f32_const(m, "b", 3, bsh);
            if (codes[i] == 42) { /* keep the divisor away from 0 */
                float *d = (float *)m->t[in[1]].data;
                for (int k = 0; k < 21; k++) d[k] = d[k] < 0 ? d[k] - 0.5f : d[k] + 0.5f;
            }
            o = opm_op(m, codes[i], 2, in, 4, s4);
            o->opt_type = opts[i];
            if (opts[i] && (i < 3 || i == 7)) op_opt(o, 0, 1, (uint64_t)(i == 0 ? 1 : i == 1 ? 3 : 4));
        }
    }
    /* shapes */
    {
        static const int32_t perm[4] = {0, 2, 1, 3}, rs[3] = {5, -1, 3}, ax[1] = {1}, beg[4] = {0, 1, 2, 0},
                             sz[4] = {1, 3, -1, 2};
        int32_t p1[1] = {4}, r1[1] = {3}, a1[1] = {1};
        int32_t ts[4] = {1, 7, 5, 3}, ys[3] = {5, 7, 3}, es[5] = {1, 1, 5, 7, 3}, ss[4] = {1, 3, 5, 2};
        m = opm_begin("transpose", 4, s4);
        in[1] = i32_const(m, "perm", 1, p1, perm);
        opm_op(m, 39, 2, in, 4, ts);
        m = opm_begin("reshape_input_shape", 4, s4);
        in[1] = i32_const(m, "shape", 1, r1, rs);
        opm_op(m, 22, 2, in, 3, ys);
        m = opm_begin("reshape_options_shape", 4, s4);
        o = opm_op(m, 22, 1, in, 3, ys);
        o->opt_type = 17;
        o->vec_id = 0;
        o->n_vec = 3;
        o->vec[0] = 5;
        o->vec[1] = -1;
        o->vec[2] = 3;
        m = opm_begin("expand_dims", 4, s4);
        in[1] = i32_const(m, "axis", 1, a1, ax);
        opm_op(m, 70, 2, in, 5, es);
        m = opm_begin("squeeze", 4, s4);
        o = opm_op(m, 43, 1, in, 3, ys);
        o->opt_type = 30;
        o->vec_id = 0;
        o->n_vec = 1;
        o->vec[0] = 0;
        m = opm_begin("slice", 4, s4);
        in[1] = i32_const(m, "begin", 1, p1, beg);
        in[2] = i32_const(m, "size", 1, p1, sz);
        opm_op(m, 65, 3, in, 4, ss);
        static const int32_t idx[3] = {2, 0, 2};
        int32_t i3[1] = {3}, gs[4] = {1, 5, 3, 3};
        m = opm_begin("gather_axis2", 4, s4);
        in[1] = i32_const(m, "idx", 1, i3, idx);
        o = opm_op(m, 36, 2, in, 4, gs);
        o->opt_type = 23;
        op_opt(o, 0, 4, 2);
        int32_t c4[4] = {1, 5, 7, 6};
        m = opm_begin("concat_axis3", 4, s4); /* TFLite's CONCATENATION takes no activation */
        in[1] = 0;
        o = opm_op(m, 2, 2, in, 4, c4);
        o->opt_type = 10;
        op_opt(o, 0, 4, 3);
        int32_t bm[3] = {1, 3, 4}, bw[3] = {1, 4, 2}, by[3] = {1, 3, 2};
        m = opm_begin("batch_matmul", 3, bm);
        in[1] = f32_const(m, "w", 3, bw);
        opm_op(m, 126, 2, in, 3, by);
    }
}

static void test_op_models(void) {
    make_op_models();
    const char *dir = getenv("FSIFT_TFLITE_OP_DIR");
    int ran = 0, missing = 0;
    for (int i = 0; i < n_opm; i++) {
        op_model *om = &OPM[i];
        size_t size;
        uint8_t *data = build(&om->m, &size);
        nn_graph *g = NULL;
        fsift_status st = nn_tflite_build(data, size, &g);
        CHECK_MSG(st == FSIFT_OK, "%s: %s", om->name, fsift_last_error());
        nn_graph_free(g);
        int n = n_elems(om->xr, om->xs);
        float *x = malloc((size_t)n * 4);
        for (int k = 0; k < n; k++) x[k] = frand();
        fsift_tensor xt = {FSIFT_DTYPE_FLOAT32, om->xr, {0}, x};
        for (int d = 0; d < om->xr; d++) xt.dims[d] = om->xs[d];
        if (dir && *dir) {
            char path[1200];
            snprintf(path, sizeof path, "%s/%s.tflite", dir, om->name);
            FILE *f = fopen(path, "wb");
            CHECK(f != NULL);
            if (f) {
                fwrite(data, 1, size, f);
                fclose(f);
            }
            snprintf(path, sizeof path, "%s/%s.in0.npy", dir, om->name);
            CHECK_OK(fsift_npy_save(path, &xt));
        }
        fsift_model *model = NULL;
        st = fsift_model_load_memory(data, size, FSIFT_MODEL_TFLITE, NULL, &model);
        if (st != FSIFT_OK) {
            CHECK_MSG(only_kernels_missing(st), "%s: %s", om->name, fsift_last_error());
            missing++;
        } else {
            fsift_session *s = NULL;
            CHECK_OK(fsift_session_new(model, 1, &s));
            if (s) {
                st = fsift_session_run(s, &xt, 1);
                CHECK_MSG(st == FSIFT_OK, "%s: run: %s", om->name, fsift_last_error());
                ran += st == FSIFT_OK;
            }
            fsift_session_free(s);
            fsift_model_free(model);
        }
        free(x);
        free(data);
    }
    fprintf(stderr, "  %d op models: %d ran, %d wait for kernels\n", n_opm, ran, missing);
}

int main(void) {
    RUN(test_conv);
    RUN(test_depthwise);
    RUN(test_depthwise_dequantized);
    RUN(test_fully_connected);
    RUN(test_pad_mean_softmax);
    RUN(test_dequantize);
    RUN(test_resize);
    RUN(test_reshape_and_friends);
    RUN(test_external_buffers);
    RUN(test_unsupported);
    RUN(test_bad_indices);
    RUN(test_cycles);
    RUN(test_hostile_bytes);
    RUN(test_op_models);
    RUN(test_real_models);
    RUN(test_real_sparse);
    RUN(test_mangled_pnet);
    return test_summary();
}
