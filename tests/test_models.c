/*
 * test_models.c — the real default models on the runtime: batch sizes other than the
 * declared one give the same per-sample results as the declared batch (MobileFaceNet's
 * batch-polymorphic Reshape, O-Net at batch 16), P-Net re-planned at several sizes in one
 * session matches fresh sessions, and 1 vs 2 threads agree. Skips with a reason when the
 * models are not fetched (scripts/fetch-models.sh).
 */
#include "facesift/facesift.h"
#include "harness.h"

static fsift_model *load(const char *rel) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", test_env("FSIFT_MODELS_DIR", "models"), rel);
    fsift_model *m = NULL;
    if (fsift_model_load(path, &m)) return NULL;
    return m;
}

static float *random_input(int64_t n, unsigned seed) {
    float *x = malloc((size_t)n * sizeof *x);
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)((seed >> 8) & 0xffff) / 32768.f - 1.f;
    }
    return x;
}

static double max_rel(const float *a, const float *b, int64_t n) {
    double m = 0, scale = 1e-3;
    for (int64_t i = 0; i < n; i++) scale = fabs(b[i]) > scale ? fabs(b[i]) : scale;
    for (int64_t i = 0; i < n; i++) m = fabs(a[i] - b[i]) > m ? fabs(a[i] - b[i]) : m;
    return m / scale;
}

/* Runs `m` at batch `big` and at batch `small` over the same samples; output 0 must agree. */
static void check_batches(const char *rel, int hw, int small, int big) {
    fsift_model *m = load(rel);
    if (!m) TEST_SKIP("%s not available: %s", rel, fsift_last_error());
    fsift_session *s;
    CHECK_OK(fsift_session_new(m, 1, &s));
    int64_t per = (int64_t)hw * hw * 3;
    float *x = random_input(per * big, 42);
    fsift_tensor in = {FSIFT_DTYPE_FLOAT32, 4, {big, hw, hw, 3}, x};
    fsift_tensor out;
    CHECK_OK(fsift_session_run(s, &in, 1));
    CHECK_OK(fsift_session_output(s, 0, &out));
    CHECK(out.dims[0] == big);
    int64_t per_out = fsift_tensor_numel(&out) / big;
    float *want = malloc((size_t)(per_out * big) * sizeof *want);
    memcpy(want, out.data, (size_t)(per_out * big) * sizeof *want);
    for (int b = 0; b < big; b += small) {
        fsift_tensor part = {FSIFT_DTYPE_FLOAT32, 4, {small, hw, hw, 3}, x + b * per};
        CHECK_OK(fsift_session_run(s, &part, 1));
        CHECK_OK(fsift_session_output(s, 0, &out));
        double e = max_rel(out.data, want + b * per_out, per_out * small);
        CHECK_MSG(e <= 1e-5, "%s: batch %d vs %d, samples %d..: error %g", rel, small, big, b, e);
    }
    free(x);
    free(want);
    fsift_session_free(s);
    fsift_model_free(m);
}

static void test_mobilefacenet_batches(void) {
    check_batches("mobilefacenet/MobileFaceNet.tflite", 112, 2, 8);
    check_batches("mobilefacenet/MobileFaceNet.tflite", 112, 1, 2);
}

static void test_onet_batches(void) { check_batches("mtcnn/onet.tflite", 48, 1, 16); }

/* P-Net at several sizes in one session (re-planning) vs a fresh 2-thread session. */
static void test_pnet_replan(void) {
    fsift_model *m = load("mtcnn/pnet.tflite");
    if (!m) TEST_SKIP("mtcnn/pnet.tflite not available: %s", fsift_last_error());
    fsift_session *s1, *s2;
    CHECK_OK(fsift_session_new(m, 1, &s1));
    const int sizes[][2] = {{97, 131}, {240, 320}, {12, 12}, {97, 131}};
    for (int i = 0; i < 4; i++) {
        int h = sizes[i][0], w = sizes[i][1];
        float *x = random_input((int64_t)h * w * 3, (unsigned)i);
        fsift_tensor in = {FSIFT_DTYPE_FLOAT32, 4, {1, h, w, 3}, x};
        fsift_tensor a, b;
        CHECK_OK(fsift_session_run(s1, &in, 1));
        CHECK_OK(fsift_session_output(s1, 0, &a));
        CHECK(a.rank == 4 && a.dims[1] == (h - 1) / 2 - 4); /* conv3, pool2 (SAME), conv3, conv3 */
        CHECK_OK(fsift_session_new(m, 2, &s2));
        CHECK_OK(fsift_session_run(s2, &in, 1));
        CHECK_OK(fsift_session_output(s2, 0, &b));
        CHECK(fsift_tensor_numel(&a) == fsift_tensor_numel(&b));
        double e = max_rel(a.data, b.data, fsift_tensor_numel(&a));
        CHECK_MSG(e <= 1e-5, "pnet %dx%d: 1 vs 2 threads error %g", h, w, e);
        fsift_session_free(s2);
        free(x);
    }
    fsift_session_free(s1);
    fsift_model_free(m);
}

int main(void) {
    RUN(test_mobilefacenet_batches);
    RUN(test_onet_batches);
    RUN(test_pnet_replan);
    return test_summary();
}
