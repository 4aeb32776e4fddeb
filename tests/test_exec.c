/*
 * test_exec.c — the graph builder, finalize's validation, the planner (shape inference,
 * constant folding, buffer reuse) and sessions (re-planning, threads sharing one model).
 * Graphs are built by hand with the graph.h builder, so these tests need no model files.
 */
#include <pthread.h>

#include "facesift/facesift.h"
#include "harness.h"
#include "nn/exec.h"
#include "nn/graph.h"

static int val(nn_graph *g, const char *name) {
    int i;
    CHECK_OK(nn_graph_value(g, name, &i));
    return i;
}

static int node(nn_graph *g, const char *op, int n_in, const int *in, int n_out, const int *out) {
    int ni = -1;
    CHECK_OK(nn_graph_add_node(g, op, "", op, n_in, in, n_out, out, &ni));
    return ni;
}

/* y = Relu(x) + c ; z = Reshape(y, concat(Shape(x)[0], -1)) ; chain of depth `depth` Relu. */
static fsift_model *make_chain(int depth) {
    nn_graph *g;
    CHECK_OK(nn_graph_new(&g));
    int x = val(g, "x");
    int64_t dyn[2] = {-1, 4};
    const char *names[2] = {"batch", NULL};
    CHECK_OK(nn_graph_add_input(g, x, FSIFT_DTYPE_FLOAT32, 2, dyn, names));
    float cdata[4] = {1, 2, 3, 4};
    int64_t cd[1] = {4};
    int c;
    CHECK_OK(nn_graph_add_const(g, "c", FSIFT_DTYPE_FLOAT32, 1, cd, cdata, sizeof cdata, &c));
    int cur = x;
    for (int i = 0; i < depth; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "r%d", i);
        int o = val(g, nm);
        node(g, "Relu", 1, &cur, 1, &o);
        cur = o;
    }
    int y = val(g, "y");
    int add_in[2] = {cur, c};
    node(g, "Add", 2, add_in, 1, &y);
    /* shape arithmetic: Shape(x) -> Gather(0) -> Unsqueeze -> Concat with [-1] -> Reshape */
    int shp = val(g, "shp"), idx, b = val(g, "b"), bu = val(g, "bu"), m1, newshape = val(g, "newshape"), z = val(g, "z");
    node(g, "Shape", 1, &x, 1, &shp);
    int64_t zero = 0, minus1 = -1, one1[1] = {1}, ax0 = 0;
    CHECK_OK(nn_graph_add_const(g, "idx0", FSIFT_DTYPE_INT64, 0, NULL, &zero, 8, &idx));
    int gin[2] = {shp, idx};
    node(g, "Gather", 2, gin, 1, &b);
    int axes;
    CHECK_OK(nn_graph_add_const(g, "axes0", FSIFT_DTYPE_INT64, 1, one1, &ax0, 8, &axes));
    int uin[2] = {b, axes};
    node(g, "Unsqueeze", 2, uin, 1, &bu);
    CHECK_OK(nn_graph_add_const(g, "m1", FSIFT_DTYPE_INT64, 1, one1, &minus1, 8, &m1));
    int cin[2] = {bu, m1};
    int cn = node(g, "Concat", 2, cin, 1, &newshape);
    CHECK_OK(nn_node_set_int(g, cn, "axis", 0));
    int rin[2] = {y, newshape};
    node(g, "Reshape", 2, rin, 1, &z);
    CHECK_OK(nn_graph_add_output(g, z));
    g->opset = 13;
    g->format = FSIFT_MODEL_ONNX;
    fsift_status st = nn_graph_finalize(g);
    CHECK_MSG(st == FSIFT_OK, "%s", fsift_last_error());
    if (st) {
        nn_graph_free(g);
        return NULL;
    }
    fsift_model *m;
    CHECK_OK(nn_model_from_graph(g, &m));
    return m;
}

static void test_plan_and_run(void) {
    fsift_model *m = make_chain(6);
    if (!m) TEST_SKIP("ops not available: %s", fsift_last_error());
    fsift_session *s;
    CHECK_OK(fsift_session_new(m, 2, &s));
    float xin[12] = {-1, 2, -3, 4, 5, -6, 7, -8, 0, 1, -1, 2};
    fsift_tensor in = {FSIFT_DTYPE_FLOAT32, 2, {3, 4}, xin};
    CHECK_OK(fsift_session_run(s, &in, 1));
    fsift_tensor out;
    CHECK_OK(fsift_session_output(s, 0, &out));
    CHECK(out.rank == 2 && out.dims[0] == 3 && out.dims[1] == 4);
    for (int i = 0; i < 12; i++) {
        float want = (xin[i] > 0 ? xin[i] : 0) + (float)(i % 4 + 1);
        CHECK_NEAR(((float *)out.data)[i], want, 0);
    }
    /* 6 Relu + Add: with reuse, at most 2 live buffers of 48 B (64 rounded) -> peak < naive */
    size_t peak = fsift_session_peak_bytes(s), naive = fsift_session_naive_bytes(s);
    CHECK_MSG(peak <= 3 * 64 && naive >= 7 * 64, "peak %zu naive %zu", peak, naive);
    /* re-plan for a new batch size: shape arithmetic follows */
    float x2[8] = {1, 1, 1, 1, -1, -1, -1, -1};
    fsift_tensor in2 = {FSIFT_DTYPE_FLOAT32, 2, {2, 4}, x2};
    CHECK_OK(fsift_session_run(s, &in2, 1));
    CHECK_OK(fsift_session_output(s, 0, &out));
    CHECK(out.dims[0] == 2 && out.dims[1] == 4);
    CHECK(((float *)out.data)[0] == 2.f && ((float *)out.data)[4] == 1.f);
    /* wrong static dim, wrong dtype, wrong input count */
    fsift_tensor bad = {FSIFT_DTYPE_FLOAT32, 2, {2, 5}, x2};
    CHECK(fsift_session_run(s, &bad, 1) == FSIFT_E_SHAPE);
    CHECK(strstr(fsift_last_error(), "'x'") != NULL);
    fsift_tensor badt = {FSIFT_DTYPE_INT64, 2, {2, 4}, x2};
    CHECK(fsift_session_run(s, &badt, 1) == FSIFT_E_INVALID_ARG);
    CHECK(fsift_session_run(s, &in, 2) == FSIFT_E_INVALID_ARG);
    /* and it still works afterwards */
    CHECK_OK(fsift_session_run(s, &in, 1));
    fsift_session_free(s);
    fsift_model_free(m);
}

typedef struct thread_arg {
    const fsift_model *m;
    int id;
    int errors;
} thread_arg;

static void *thread_main(void *p) {
    thread_arg *a = p;
    fsift_session *s;
    if (fsift_session_new(a->m, 1, &s)) { a->errors++; return NULL; }
    for (int it = 0; it < 200; it++) {
        int batch = 1 + (it + a->id) % 5;
        float x[20];
        for (int i = 0; i < batch * 4; i++) x[i] = (float)(i * (a->id + 1) - 7);
        fsift_tensor in = {FSIFT_DTYPE_FLOAT32, 2, {batch, 4}, x};
        fsift_tensor out;
        if (fsift_session_run(s, &in, 1) || fsift_session_output(s, 0, &out)) { a->errors++; break; }
        for (int i = 0; i < batch * 4; i++) {
            float want = (x[i] > 0 ? x[i] : 0) + (float)(i % 4 + 1);
            if (((float *)out.data)[i] != want) a->errors++;
        }
    }
    fsift_session_free(s);
    return NULL;
}

static void test_threads_share_model(void) {
    fsift_model *m = make_chain(3);
    if (!m) TEST_SKIP("ops not available: %s", fsift_last_error());
    pthread_t th[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){m, i, 0};
        pthread_create(&th[i], NULL, thread_main, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_MSG(args[i].errors == 0, "thread %d: %d errors", i, args[i].errors);
    }
    fsift_model_free(m);
}

static void test_finalize_errors(void) {
    nn_graph *g;
    /* unsupported ops are named, each once */
    CHECK_OK(nn_graph_new(&g));
    int x = val(g, "x"), a = val(g, "a"), b = val(g, "b"), c = val(g, "c");
    int64_t d1[1] = {4};
    CHECK_OK(nn_graph_add_input(g, x, FSIFT_DTYPE_FLOAT32, 1, d1, NULL));
    node(g, "NoSuchOp", 1, &x, 1, &a);
    node(g, "AlsoMissing", 1, &a, 1, &b);
    node(g, "NoSuchOp", 1, &b, 1, &c);
    nn_graph_add_output(g, c);
    CHECK(nn_graph_finalize(g) == FSIFT_E_UNSUPPORTED);
    CHECK(strstr(fsift_last_error(), "'NoSuchOp'") && strstr(fsift_last_error(), "'AlsoMissing'"));
    nn_graph_free(g);

    /* a cycle */
    CHECK_OK(nn_graph_new(&g));
    x = val(g, "x"); a = val(g, "a"); b = val(g, "b");
    CHECK_OK(nn_graph_add_input(g, x, FSIFT_DTYPE_FLOAT32, 1, d1, NULL));
    int in1[2] = {x, b}, in2 = a;
    node(g, "Add", 2, in1, 1, &a);
    node(g, "Relu", 1, &in2, 1, &b);
    nn_graph_add_output(g, b);
    CHECK(nn_graph_finalize(g) == FSIFT_E_FORMAT);
    CHECK(strstr(fsift_last_error(), "cycle") != NULL);
    nn_graph_free(g);

    /* undefined input; value produced twice; nodes out of order get sorted */
    CHECK_OK(nn_graph_new(&g));
    x = val(g, "x"); a = val(g, "a"); b = val(g, "b");
    int ghost = val(g, "ghost");
    CHECK_OK(nn_graph_add_input(g, x, FSIFT_DTYPE_FLOAT32, 1, d1, NULL));
    node(g, "Relu", 1, &ghost, 1, &a);
    nn_graph_add_output(g, a);
    CHECK(nn_graph_finalize(g) == FSIFT_E_FORMAT);
    CHECK(strstr(fsift_last_error(), "'ghost'") != NULL);
    int ni;
    CHECK(nn_graph_add_node(g, "Relu", "", "dup", 1, &x, 1, &a, &ni) == FSIFT_E_FORMAT);
    int bad_in = 999;
    CHECK(nn_graph_add_node(g, "Relu", "", "bad", 1, &bad_in, 1, &b, &ni) == FSIFT_E_FORMAT);
    nn_graph_free(g);

    CHECK_OK(nn_graph_new(&g));
    x = val(g, "x"); a = val(g, "a"); b = val(g, "b");
    CHECK_OK(nn_graph_add_input(g, x, FSIFT_DTYPE_FLOAT32, 1, d1, NULL));
    node(g, "Relu", 1, &a, 1, &b); /* consumer first */
    node(g, "Neg", 1, &x, 1, &a);
    nn_graph_add_output(g, b);
    fsift_status st = nn_graph_finalize(g);
    if (st == FSIFT_E_UNSUPPORTED) {
        nn_graph_free(g);
        TEST_SKIP("Relu/Neg not available: %s", fsift_last_error());
    }
    CHECK_OK(st);
    CHECK(!strcmp(g->nodes[0].op_type, "Neg") && !strcmp(g->nodes[1].op_type, "Relu"));
    CHECK(g->vals[b].producer == 1 && g->vals[a].producer == 0);
    nn_graph_free(g);

    /* constants: byte count must match the shape; absurd dims */
    CHECK_OK(nn_graph_new(&g));
    float f[3];
    int64_t d3[1] = {4}, huge[2] = {(int64_t)1 << 41, 2};
    CHECK(nn_graph_add_const(g, "k", FSIFT_DTYPE_FLOAT32, 1, d3, f, sizeof f, &ni) == FSIFT_E_FORMAT);
    CHECK(nn_graph_add_const(g, "k", FSIFT_DTYPE_FLOAT32, 2, huge, NULL, 16, &ni) != FSIFT_OK);
    CHECK(nn_graph_add_const(g, "k", 99, 1, d3, f, 16, &ni) == FSIFT_E_UNSUPPORTED);
    nn_graph_free(g);
}

/* Reshape(x, shape) with shape a graph input: planned by the shape's value, re-planned when
 * it changes; fsift_session_plan (no values) says why it cannot plan. */
static void test_plan_by_value(void) {
    nn_graph *g;
    CHECK_OK(nn_graph_new(&g));
    int x = val(g, "x"), shp = val(g, "shape"), y = val(g, "y");
    int64_t dx[2] = {2, 6}, ds[1] = {2};
    CHECK_OK(nn_graph_add_input(g, x, FSIFT_DTYPE_FLOAT32, 2, dx, NULL));
    CHECK_OK(nn_graph_add_input(g, shp, FSIFT_DTYPE_INT64, 1, ds, NULL));
    int in[2] = {x, shp};
    node(g, "Reshape", 2, in, 1, &y);
    CHECK_OK(nn_graph_add_output(g, y));
    g->opset = 13;
    fsift_model *m;
    CHECK_OK(nn_graph_finalize(g));
    CHECK_OK(nn_model_from_graph(g, &m));
    fsift_session *s;
    CHECK_OK(fsift_session_new(m, 1, &s));
    float xv[12];
    for (int i = 0; i < 12; i++) xv[i] = (float)i;
    int64_t s1[2] = {3, 4}, s2[2] = {-1, 2};
    fsift_tensor ins[2] = {{FSIFT_DTYPE_FLOAT32, 2, {2, 6}, xv}, {FSIFT_DTYPE_INT64, 1, {2}, s1}};
    CHECK(fsift_session_plan(s, ins, 2) == FSIFT_E_UNSUPPORTED);
    fsift_tensor out;
    CHECK_OK(fsift_session_run(s, ins, 2));
    CHECK_OK(fsift_session_output(s, 0, &out));
    CHECK(out.rank == 2 && out.dims[0] == 3 && out.dims[1] == 4 && ((float *)out.data)[11] == 11.f);
    ins[1].data = s2;
    CHECK_OK(fsift_session_run(s, ins, 2));
    CHECK_OK(fsift_session_output(s, 0, &out));
    CHECK(out.rank == 2 && out.dims[0] == 6 && out.dims[1] == 2 && ((float *)out.data)[11] == 11.f);
    fsift_session_free(s);
    fsift_model_free(m);
}

int main(void) {
    RUN(test_plan_by_value);
    RUN(test_finalize_errors);
    RUN(test_plan_and_run);
    RUN(test_threads_share_model);
    return test_summary();
}
