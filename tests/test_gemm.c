/*
 * test_gemm.c — the SGEMM driver and micro-kernels (src/nn/kernels/gemm.c, gemm_avx2.c,
 * gemm_avx512.c) against the plain-loop reference, and the Gemm and MatMul operators
 * against a naive implementation written here from the ONNX definitions.
 *
 * Driver tests: random M, N, K around the panel and block edges (MR, NR, MC, NC, KC), dense
 * operands in both orientations, operands packed whole, accumulate into C, bias per row or
 * per column, alpha, clamps, a transposed C store, batches of tasks, 1 and 2 workers.
 * Operator tests: the op is run through its infer/run with a hand-made nn_kctx for every CPU
 * level this machine has (the reference level, AVX2, AVX-512), with constant B (packed at
 * load for the default level, at plan time for the others) and with B as a run-time input.
 * Tolerance: max|a−b| / max(max|ref|, 1) ≤ 1e-5.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/facesift.h"
#include "harness.h"
#include "kernel_harness.h"
#include "nn/exec.h"
#include "nn/graph.h"
#include "nn/kernels/conv_impl.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static int64_t rint_in(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint32_t)(hi - lo + 1)); }
static float rflt(void) { return (float)((double)(rnd() % 2000001) / 1000000.0 - 1.0); }
static float *rvec(int64_t n) {
    float *p = aligned_alloc(64, (size_t)((n + 16) * 4 + 63) / 64 * 64);
    for (int64_t i = 0; i < n; i++) p[i] = rflt();
    return p;
}

static double max_err(const float *a, const float *b, int64_t n) {
    double e = 0, m = 1;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > e || d != d) e = d != d ? 1e30 : d;
        if (fabs((double)b[i]) > m) m = fabs((double)b[i]);
    }
    return e / m;
}

/* ---- driver ---------------------------------------------------------------------------- */

static void one_driver_case(const nn_gemm_kernel *kern, fsift_pool *pool, int nth, int64_t M,
                            int64_t N, int64_t K, int ta, int tb, int pack_a, int pack_b,
                            int accumulate, int bias_mode, int clamp, int ctrans, float alpha) {
    float *a = rvec(M * K), *b = rvec(K * N), *bias = rvec(M > N ? M : N);
    float *c0 = rvec(M * N);
    float *c1 = malloc((size_t)(M * N + 1) * 4), *c2 = malloc((size_t)(M * N + 1) * 4);
    memcpy(c1, c0, (size_t)M * N * 4);
    memcpy(c2, c0, (size_t)M * N * 4);
    nn_gemm_task t;
    memset(&t, 0, sizeof t);
    t.M = M;
    t.N = N;
    t.K = K;
    t.a = (nn_gemm_src){NN_GEMM_DENSE, a, ta ? 1 : K, ta ? M : 1, NULL, 0};
    t.b = (nn_gemm_src){NN_GEMM_DENSE, b, tb ? 1 : N, tb ? K : 1, NULL, 0};
    t.rs_c = ctrans ? 1 : N;
    t.cs_c = ctrans ? M : 1;
    t.alpha = alpha;
    t.accumulate = accumulate;
    t.bias = bias_mode ? bias : NULL;
    t.bias_per_col = bias_mode == 2;
    t.lo = clamp ? -0.5f : -INFINITY;
    t.hi = clamp ? 0.75f : INFINITY;
    nn_gemm_task r = t;
    r.c = c1;
    nn_gemm_ref(&r);
    float *pa = NULL, *pb = NULL;
    if (pack_a) {
        /* whole-MR panels, or panels of balanced height (M = 16 with MR 14: 8 + 8) */
        int ph = pack_a == 2 ? nn_gemm_balanced_ph(kern, M) : kern->mr;
        pa = aligned_alloc(64, (nn_gemm_packed_a_floats(kern, M, K, ph) * 4 + 64) / 64 * 64);
        nn_gemm_pack_a(kern, &t.a, M, K, ph, pa);
        t.a = (nn_gemm_src){NN_GEMM_PACKED, pa, 0, 0, NULL, ph};
    }
    if (pack_b) {
        pb = aligned_alloc(64, (nn_gemm_packed_floats(N, K, kern->nr) * 4 + 64) / 64 * 64);
        nn_gemm_pack(kern, 1, &t.b, N, K, pb);
        t.b = (nn_gemm_src){NN_GEMM_PACKED, pb, 0, 0, NULL, 0};
    }
    t.c = c2;
    size_t per = nn_gemm_scratch_per_thread(kern, M, N, K);
    void *scratch = aligned_alloc(64, (per * (size_t)nth + 64) / 64 * 64);
    nn_gemm_batch(kern, &t, 1, pool, nth, scratch, per * (size_t)nth);
    double e = max_err(c2, c1, M * N);
    CHECK_MSG(e <= 1e-5, "%s M=%lld N=%lld K=%lld ta=%d tb=%d pa=%d pb=%d acc=%d bias=%d clamp=%d ct=%d nth=%d: err %g",
              nn_isa_name(kern->isa), (long long)M, (long long)N, (long long)K, ta, tb, pack_a, pack_b,
              accumulate, bias_mode, clamp, ctrans, nth, e);
    free(a); free(b); free(bias); free(c0); free(c1); free(c2); free(pa); free(pb); free(scratch);
}

static const nn_gemm_kernel *kernels[2];
static int nkernels;

static void test_driver_random(void) {
    fsift_pool *pool = NULL;
    CHECK_OK(fsift_pool_new(2, &pool));
    for (int ki = 0; ki < nkernels; ki++) {
        const nn_gemm_kernel *kern = kernels[ki];
        for (int it = 0; it < 300; it++) {
            int64_t M = rint_in(1, it % 10 == 0 ? 400 : 40), N = rint_in(1, it % 7 == 0 ? 600 : 70);
            int64_t K = rint_in(0, it % 5 == 0 ? 700 : 50);
            int nth = 1 + (int)(rnd() % 2);
            one_driver_case(kern, pool, nth, M, N, K, rnd() % 2, rnd() % 2, (int)(rnd() % 4) % 3, rnd() % 3 == 0,
                            rnd() % 3 == 0, (int)(rnd() % 3), rnd() % 3 == 0, rnd() % 5 == 0,
                            rnd() % 4 == 0 ? 0.5f : 1.f);
        }
        /* exact edges of the blocking */
        int64_t ms[] = {1, kern->mr - 1, kern->mr, kern->mr + 1, 168, 169, 200};
        int64_t ns[] = {1, kern->nr - 1, kern->nr, kern->nr + 1, 256, 257};
        int64_t ks[] = {1, 255, 256, 257, 513};
        for (size_t i = 0; i < sizeof ms / sizeof *ms; i++)
            for (size_t j = 0; j < sizeof ns / sizeof *ns; j++)
                one_driver_case(kern, pool, 2, ms[i], ns[j], ks[(i + j) % 5], 0, 0, (int)((i + j) % 3), (i * j) % 2, 0, 1,
                                0, 0, 1.f);
    }
    fsift_pool_free(pool);
}

static void test_driver_batch(void) {
    fsift_pool *pool = NULL;
    CHECK_OK(fsift_pool_new(2, &pool));
    for (int ki = 0; ki < nkernels; ki++) {
        const nn_gemm_kernel *kern = kernels[ki];
        enum { NT = 7 };
        int64_t M = 13, N = 21, K = 37;
        float *a = rvec(NT * M * K), *b = rvec(NT * K * N), *c1 = rvec(NT * M * N), *c2 = rvec(NT * M * N);
        nn_gemm_task t[NT];
        for (int i = 0; i < NT; i++) {
            memset(&t[i], 0, sizeof t[i]);
            t[i].M = M;
            t[i].N = N;
            t[i].K = K;
            t[i].a = (nn_gemm_src){NN_GEMM_DENSE, a + i * M * K, K, 1, NULL, 0};
            t[i].b = (nn_gemm_src){NN_GEMM_DENSE, b + i * K * N, N, 1, NULL, 0};
            t[i].rs_c = N;
            t[i].cs_c = 1;
            t[i].alpha = 1;
            t[i].lo = -INFINITY;
            t[i].hi = INFINITY;
            nn_gemm_task r = t[i];
            r.c = c1 + i * M * N;
            nn_gemm_ref(&r);
            t[i].c = c2 + i * M * N;
        }
        size_t per = nn_gemm_scratch_per_thread(kern, M, N, K);
        void *scratch = aligned_alloc(64, (per * 2 + 64) / 64 * 64);
        nn_gemm_batch(kern, t, NT, pool, 2, scratch, per * 2);
        CHECK(max_err(c2, c1, NT * M * N) <= 1e-5);
        free(scratch); free(a); free(b); free(c1); free(c2);
    }
    fsift_pool_free(pool);
}

/* ---- operators through infer/run -------------------------------------------------------- */

static fsift_cpu levels[3];
static int nlevels;

typedef struct built {
    nn_graph *g;
    int node;
} built;

/* Runs node `b.node` with inputs `in` at CPU level `cpu` (kernel_harness.h); returns status,
 * fills out (data malloc'd, caller frees). */
static fsift_status run_node(const built *b, const fsift_cpu *cpu, nn_tensor *const *in, int n_in,
                             nn_tensor *out, fsift_pool *pool, int nth) {
    kh_call c = {.g = b->g, .node = &b->g->nodes[b->node], .cpu = cpu, .pool = pool, .nthreads = nth, .n_in = n_in};
    for (int i = 0; i < n_in; i++) c.in[i] = in[i];
    c.out[0] = out;
    return kh_run(&c);
}

static int add_val(nn_graph *g, const char *name) {
    int i = -1;
    CHECK_OK(nn_graph_value(g, name, &i));
    return i;
}

/* Naive Gemm from the ONNX definition. */
static void naive_gemm(const float *a, const float *b, const float *c, int crank, const int64_t *cd,
                       int64_t M, int64_t N, int64_t K, int ta, int tb, float alpha, float beta, float *y) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double acc = 0;
            for (int64_t k = 0; k < K; k++)
                acc += (double)(ta ? a[k * M + i] : a[i * K + k]) * (tb ? b[j * K + k] : b[k * N + j]);
            double v = alpha * acc;
            if (c) {
                int64_t cm = crank == 2 ? cd[0] : 1, cn = crank >= 1 ? cd[crank - 1] : 1;
                v += beta * c[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
            }
            y[i * N + j] = (float)v;
        }
}

static void test_gemm_op(void) {
    fsift_pool *pool = NULL;
    CHECK_OK(fsift_pool_new(2, &pool));
    for (int it = 0; it < 120; it++) {
        int64_t M = rint_in(1, 60), N = rint_in(1, 80), K = rint_in(1, it % 4 == 0 ? 600 : 70);
        int ta = rnd() % 2, tb = rnd() % 2, bconst = rnd() % 2;
        float alpha = rnd() % 2 ? 1.f : 0.75f, beta = rnd() % 3 == 0 ? 1.f : (rnd() % 2 ? 0.5f : 0.f);
        int cmode = (int)(rnd() % 6); /* none, scalar, [N], [1,N], [M,1], [M,N] */
        int64_t cd[2] = {1, 1};
        int crank = 0;
        if (cmode == 2) { crank = 1; cd[0] = N; }
        if (cmode == 3) { crank = 2; cd[0] = 1; cd[1] = N; }
        if (cmode == 4) { crank = 2; cd[0] = M; cd[1] = 1; }
        if (cmode == 5) { crank = 2; cd[0] = M; cd[1] = N; }
        int64_t cn = cmode == 0 ? 0 : cd[0] * (crank == 2 ? cd[1] : 1);
        float *a = rvec(M * K), *b = rvec(K * N), *c = rvec(cn + 1), *ref = malloc((size_t)(M * N) * 4);
        naive_gemm(a, b, cmode ? c : NULL, crank, cd, M, N, K, ta, tb, alpha, beta, ref);

        nn_graph *g;
        CHECK_OK(nn_graph_new(&g));
        int va = add_val(g, "a"), vb, vc = -1, vy = add_val(g, "y");
        int64_t ad[2] = {ta ? K : M, ta ? M : K}, bd[2] = {tb ? N : K, tb ? K : N};
        CHECK_OK(nn_graph_add_input(g, va, FSIFT_DTYPE_FLOAT32, 2, ad, NULL));
        if (bconst) {
            CHECK_OK(nn_graph_add_const(g, "b", FSIFT_DTYPE_FLOAT32, 2, bd, b, (size_t)(K * N) * 4, &vb));
        } else {
            vb = add_val(g, "b");
            CHECK_OK(nn_graph_add_input(g, vb, FSIFT_DTYPE_FLOAT32, 2, bd, NULL));
        }
        if (cmode) {
            vc = add_val(g, "c");
            CHECK_OK(nn_graph_add_input(g, vc, FSIFT_DTYPE_FLOAT32, crank, cd, NULL));
        }
        int ins[3] = {va, vb, vc}, ni;
        CHECK_OK(nn_graph_add_node(g, "Gemm", "", "gemm", cmode ? 3 : 2, ins, 1, &vy, &ni));
        CHECK_OK(nn_node_set_int(g, ni, "transA", ta));
        CHECK_OK(nn_node_set_int(g, ni, "transB", tb));
        CHECK_OK(nn_node_set_float(g, ni, "alpha", alpha));
        CHECK_OK(nn_node_set_float(g, ni, "beta", beta));
        CHECK_OK(nn_graph_add_output(g, vy));
        g->opset = 13;
        CHECK_OK(nn_graph_finalize(g));
        built bl = {g, ni};
        nn_tensor ta_t = {FSIFT_DTYPE_FLOAT32, 2, {ad[0], ad[1]}, a};
        nn_tensor tb_t = {FSIFT_DTYPE_FLOAT32, 2, {bd[0], bd[1]}, bconst ? g->vals[vb].data : b};
        nn_tensor tc_t = {FSIFT_DTYPE_FLOAT32, crank, {cd[0], cd[1]}, c};
        nn_tensor *in[3] = {&ta_t, &tb_t, &tc_t};
        for (int l = 0; l < nlevels; l++) {
            nn_tensor out;
            CHECK_OK(run_node(&bl, &levels[l], in, cmode ? 3 : 2, &out, pool, 2));
            CHECK(out.rank == 2 && out.dims[0] == M && out.dims[1] == N);
            double e = max_err(out.data, ref, M * N);
            CHECK_MSG(e <= 1e-5, "Gemm level %d M=%lld N=%lld K=%lld ta=%d tb=%d c=%d beta=%g: err %g", l,
                      (long long)M, (long long)N, (long long)K, ta, tb, cmode, beta, e);
            free(out.data);
        }
        nn_graph_free(g);
        free(a); free(b); free(c); free(ref);
    }
    fsift_pool_free(pool);
}

/* MatMul with NumPy semantics; shapes given, dtype float/int32/int64. */
static void matmul_case(fsift_pool *pool, int dtype, int ra, const int64_t *da, int rb, const int64_t *db,
                        int bconst) {
    /* expected output via a naive broadcast loop */
    int64_t M = ra == 1 ? 1 : da[ra - 2], K = da[ra - 1], N = rb == 1 ? 1 : db[rb - 1];
    int nba = ra > 2 ? ra - 2 : 0, nbb = rb > 2 ? rb - 2 : 0, nb = nba > nbb ? nba : nbb;
    int64_t bd[8], batch = 1;
    for (int i = 0; i < nb; i++) {
        int ia = i - (nb - nba), ib = i - (nb - nbb);
        int64_t x = ia >= 0 ? da[ia] : 1, y = ib >= 0 ? db[ib] : 1;
        bd[i] = x > y ? x : y;
        batch *= bd[i];
    }
    int64_t na = 1, nbn = 1;
    for (int i = 0; i < ra; i++) na *= da[i];
    for (int i = 0; i < rb; i++) nbn *= db[i];
    size_t es = fsift_dtype_size(dtype);
    void *a = malloc((size_t)na * es + 8), *b = malloc((size_t)nbn * es + 8);
    for (int64_t i = 0; i < na; i++) {
        if (dtype == FSIFT_DTYPE_FLOAT32) ((float *)a)[i] = rflt();
        else if (dtype == FSIFT_DTYPE_INT32) ((int32_t *)a)[i] = (int32_t)rint_in(-9, 9);
        else ((int64_t *)a)[i] = rint_in(-9, 9);
    }
    for (int64_t i = 0; i < nbn; i++) {
        if (dtype == FSIFT_DTYPE_FLOAT32) ((float *)b)[i] = rflt();
        else if (dtype == FSIFT_DTYPE_INT32) ((int32_t *)b)[i] = (int32_t)rint_in(-9, 9);
        else ((int64_t *)b)[i] = rint_in(-9, 9);
    }
    double *ref = calloc((size_t)(batch * M * N + 1), sizeof(double));
    for (int64_t bi = 0; bi < batch; bi++) {
        int64_t oa = 0, ob = 0, rem = bi, sa = M * K, sb = K * N;
        for (int i = nb - 1; i >= 0; i--) {
            int64_t q = rem % bd[i];
            rem /= bd[i];
            int ia = i - (nb - nba), ib = i - (nb - nbb);
            if (ia >= 0) { if (da[ia] != 1) oa += q * sa; sa *= da[ia]; }
            if (ib >= 0) { if (db[ib] != 1) ob += q * sb; sb *= db[ib]; }
        }
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double acc = 0;
                for (int64_t k = 0; k < K; k++) {
                    double x, y;
                    if (dtype == FSIFT_DTYPE_FLOAT32) { x = ((float *)a)[oa + i * K + k]; y = ((float *)b)[ob + k * N + j]; }
                    else if (dtype == FSIFT_DTYPE_INT32) { x = ((int32_t *)a)[oa + i * K + k]; y = ((int32_t *)b)[ob + k * N + j]; }
                    else { x = (double)((int64_t *)a)[oa + i * K + k]; y = (double)((int64_t *)b)[ob + k * N + j]; }
                    acc += x * y;
                }
                ref[(bi * M + i) * N + j] = acc;
            }
    }
    nn_graph *g;
    CHECK_OK(nn_graph_new(&g));
    int va = add_val(g, "a"), vb, vy = add_val(g, "y");
    CHECK_OK(nn_graph_add_input(g, va, dtype, ra, da, NULL));
    if (bconst) {
        CHECK_OK(nn_graph_add_const(g, "b", dtype, rb, db, b, (size_t)nbn * es, &vb));
    } else {
        vb = add_val(g, "b");
        CHECK_OK(nn_graph_add_input(g, vb, dtype, rb, db, NULL));
    }
    int ins[2] = {va, vb}, ni;
    CHECK_OK(nn_graph_add_node(g, "MatMul", "", "mm", 2, ins, 1, &vy, &ni));
    CHECK_OK(nn_graph_add_output(g, vy));
    g->opset = 13;
    CHECK_OK(nn_graph_finalize(g));
    built bl = {g, ni};
    nn_tensor at = {dtype, ra, {0}, a}, bt = {dtype, rb, {0}, bconst ? g->vals[vb].data : b};
    memcpy(at.dims, da, (size_t)ra * 8);
    memcpy(bt.dims, db, (size_t)rb * 8);
    nn_tensor *in[2] = {&at, &bt};
    for (int l = 0; l < nlevels; l++) {
        nn_tensor out;
        CHECK_OK(run_node(&bl, &levels[l], in, 2, &out, pool, 2));
        int erank = nb + (ra > 1) + (rb > 1);
        CHECK(out.rank == erank);
        int64_t n = batch * M * N;
        double e = 0, mx = 1;
        for (int64_t i = 0; i < n; i++) {
            double v = dtype == FSIFT_DTYPE_FLOAT32 ? ((float *)out.data)[i]
                     : dtype == FSIFT_DTYPE_INT32 ? ((int32_t *)out.data)[i] : (double)((int64_t *)out.data)[i];
            if (fabs(v - ref[i]) > e) e = fabs(v - ref[i]);
            if (fabs(ref[i]) > mx) mx = fabs(ref[i]);
        }
        CHECK_MSG(e / mx <= 1e-5, "MatMul level %d dtype %d ranks %d,%d M=%lld N=%lld K=%lld batch=%lld: err %g",
                  l, dtype, ra, rb, (long long)M, (long long)N, (long long)K, (long long)batch, e / mx);
        free(out.data);
    }
    nn_graph_free(g);
    free(a); free(b); free(ref);
}

static void test_matmul_op(void) {
    fsift_pool *pool = NULL;
    CHECK_OK(fsift_pool_new(2, &pool));
    /* the fixed cases: CLIP-like projection, attention, 1-D operands, broadcasting */
    { int64_t a[] = {2, 77, 64}, b[] = {64, 96}; matmul_case(pool, FSIFT_DTYPE_FLOAT32, 3, a, 2, b, 1); }
    { int64_t a[] = {1, 3, 17, 8}, b[] = {1, 3, 8, 17}; matmul_case(pool, FSIFT_DTYPE_FLOAT32, 4, a, 4, b, 0); }
    { int64_t a[] = {5}, b[] = {5, 7}; matmul_case(pool, FSIFT_DTYPE_FLOAT32, 1, a, 2, b, 1); }
    { int64_t a[] = {4, 5}, b[] = {5}; matmul_case(pool, FSIFT_DTYPE_FLOAT32, 2, a, 1, b, 0); }
    { int64_t a[] = {6}, b[] = {6}; matmul_case(pool, FSIFT_DTYPE_FLOAT32, 1, a, 1, b, 0); }
    { int64_t a[] = {3, 1, 4, 5}, b[] = {2, 5, 6}; matmul_case(pool, FSIFT_DTYPE_FLOAT32, 4, a, 3, b, 0); }
    { int64_t a[] = {4, 5}, b[] = {3, 5, 6}; matmul_case(pool, FSIFT_DTYPE_FLOAT32, 2, a, 3, b, 1); }
    { int64_t a[] = {7}, b[] = {2, 7, 3}; matmul_case(pool, FSIFT_DTYPE_FLOAT32, 1, a, 3, b, 0); }
    { int64_t a[] = {1, 300}, b[] = {300, 520}; matmul_case(pool, FSIFT_DTYPE_FLOAT32, 2, a, 2, b, 1); }
    { int64_t a[] = {2, 3, 4}, b[] = {2, 4, 5}; matmul_case(pool, FSIFT_DTYPE_INT32, 3, a, 3, b, 0); }
    { int64_t a[] = {3, 4}, b[] = {4}; matmul_case(pool, FSIFT_DTYPE_INT64, 2, a, 1, b, 1); }
    for (int it = 0; it < 60; it++) {
        int ra = (int)rint_in(1, 4), rb = (int)rint_in(1, 4);
        int64_t da[4], db[4], K = rint_in(1, 40);
        for (int i = 0; i < ra; i++) da[i] = rint_in(1, 9);
        for (int i = 0; i < rb; i++) db[i] = rint_in(1, 9);
        da[ra - 1] = K;
        db[rb == 1 ? 0 : rb - 2] = K;
        /* make batch dims broadcast-compatible */
        int nba = ra > 2 ? ra - 2 : 0, nbb = rb > 2 ? rb - 2 : 0;
        for (int i = 0; i < nba && i < nbb; i++) {
            int ia = nba - 1 - i, ib = nbb - 1 - i;
            if (rnd() % 2) da[ia] = 1;
            else if (rnd() % 2) db[ib] = 1;
            else db[ib] = da[ia];
        }
        matmul_case(pool, FSIFT_DTYPE_FLOAT32, ra, da, rb, db, rnd() % 2);
    }
    fsift_pool_free(pool);
}

static void test_errors(void) {
    /* mismatched inner dims and bad dtypes are errors, not crashes */
    nn_graph *g;
    CHECK_OK(nn_graph_new(&g));
    int va = add_val(g, "a"), vb = add_val(g, "b"), vy = add_val(g, "y");
    int64_t ad[2] = {3, 4}, bd[2] = {5, 6};
    CHECK_OK(nn_graph_add_input(g, va, FSIFT_DTYPE_FLOAT32, 2, ad, NULL));
    CHECK_OK(nn_graph_add_input(g, vb, FSIFT_DTYPE_FLOAT32, 2, bd, NULL));
    int ins[2] = {va, vb}, ni;
    CHECK_OK(nn_graph_add_node(g, "MatMul", "", "mm", 2, ins, 1, &vy, &ni));
    CHECK_OK(nn_graph_add_output(g, vy));
    CHECK_OK(nn_graph_finalize(g));
    built bl = {g, ni};
    float buf[64] = {0};
    nn_tensor at = {FSIFT_DTYPE_FLOAT32, 2, {3, 4}, buf}, bt = {FSIFT_DTYPE_FLOAT32, 2, {5, 6}, buf};
    nn_tensor *in[2] = {&at, &bt};
    nn_tensor out;
    CHECK(run_node(&bl, &levels[0], in, 2, &out, NULL, 1) == FSIFT_E_SHAPE);
    bt.dtype = FSIFT_DTYPE_FLOAT64;
    CHECK(run_node(&bl, &levels[0], in, 2, &out, NULL, 1) != FSIFT_OK);
    at.dtype = FSIFT_DTYPE_FLOAT64;
    bt.dims[0] = 4;
    fsift_status st = run_node(&bl, &levels[0], in, 2, &out, NULL, 1);
    CHECK(st == FSIFT_E_UNSUPPORTED && strstr(fsift_last_error(), "dtype float64 not supported"));
    nn_graph_free(g);
}

int main(void) {
    const fsift_cpu *host = fsift_cpu_get();
    memset(levels, 0, sizeof levels);
    nlevels = 1; /* levels[0]: no SIMD -> reference */
    if (host->avx2_fma) {
        levels[nlevels].avx2_fma = 1;
        nlevels++;
    }
    if (host->avx512f) levels[nlevels++] = *host;
    for (int l = 0; l < nlevels; l++) {
        const nn_gemm_kernel *k = nn_gemm_kernel_for(nn_isa_for(&levels[l]));
        if (k) kernels[nkernels++] = k;
    }
    fprintf(stderr, "levels: %d (host %s)\n", nlevels, fsift_cpu_level());
    RUN(test_driver_random);
    RUN(test_driver_batch);
    RUN(test_gemm_op);
    RUN(test_matmul_op);
    RUN(test_errors);
    return test_summary();
}
