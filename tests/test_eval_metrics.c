/*
 * test_eval_metrics.c — the metric arithmetic of src/eval/metrics.c against NumPy on fixed
 * embeddings (tests/eval_metrics_ref.py): cosine in float64 (incl. opposite and zero
 * vectors), Face Sim's clamp at 0, mean, population std and the fixed-seed percentile
 * bootstrap replayed in Python. Also the n = 0 and n = 1 edge cases.
 */
#include <jansson.h>
#include <sys/wait.h>

#include "facesift/facesift.h"
#include "harness.h"

static json_t *ref;

static void load_ref(void) {
    if (ref) return;
    const char *src = test_env("FSIFT_SOURCE_DIR", ".");
    const char *bld = test_env("FSIFT_BUILD_DIR", ".");
    char path[2048], cmd[4096];
    snprintf(path, sizeof path, "%s/eval_metrics_ref.json", bld);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/eval_metrics_ref.py' '%s'", src, path);
    int rc = system(cmd);
    CHECK_MSG(rc == 0, "eval_metrics_ref.py failed (%d)", rc);
    json_error_t err;
    ref = json_load_file(path, 0, &err);
    CHECK_MSG(ref != NULL, "%s: %s", path, err.text);
}

static float *floats(json_t *a, int *n) {
    *n = (int)json_array_size(a);
    float *v = malloc(sizeof(float) * (size_t)(*n ? *n : 1));
    for (int i = 0; i < *n; i++) v[i] = (float)json_number_value(json_array_get(a, (size_t)i));
    return v;
}

static void check_stat(const double *v, int n, uint64_t seed, json_t *want, const char *what) {
    fsift_eval_stat s;
    CHECK_OK(fsift_eval_stat_compute(v, n, seed, 1000, &s));
    CHECK(s.n == n);
    double tol = 1e-12;
    CHECK_MSG(fabs(s.mean - json_number_value(json_object_get(want, "mean"))) < tol, "%s mean", what);
    CHECK_MSG(fabs(s.std - json_number_value(json_object_get(want, "std"))) < tol, "%s std", what);
    CHECK_MSG(fabs(s.ci_lo - json_number_value(json_object_get(want, "lo"))) < tol, "%s ci lo %.15g vs %.15g", what,
              s.ci_lo, json_number_value(json_object_get(want, "lo")));
    CHECK_MSG(fabs(s.ci_hi - json_number_value(json_object_get(want, "hi"))) < tol, "%s ci hi", what);
}

static void test_cosines_and_stats(void) {
    load_ref();
    if (!ref) return;
    json_t *pairs = json_object_get(ref, "pairs");
    int n = (int)json_array_size(pairs);
    CHECK(n == 40);
    double *cos = malloc(sizeof(double) * (size_t)n), *face = malloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++) {
        json_t *p = json_array_get(pairs, (size_t)i);
        int na, nb;
        float *a = floats(json_object_get(p, "a"), &na), *b = floats(json_object_get(p, "b"), &nb);
        CHECK(na == nb);
        cos[i] = fsift_eval_cosine(a, b, na);
        double want = json_number_value(json_object_get(p, "cos"));
        CHECK_MSG(fabs(cos[i] - want) < 1e-12, "pair %d: cosine %.15g vs NumPy %.15g", i, cos[i], want);
        face[i] = cos[i] > 0 ? cos[i] : 0.0;
        CHECK_NEAR(face[i], json_number_value(json_array_get(json_object_get(ref, "face"), (size_t)i)), 1e-12);
        free(a);
        free(b);
    }
    CHECK(cos[6] < -0.999999 && face[6] == 0.0 && cos[8] == 0.0);
    check_stat(face, n, 0, json_object_get(ref, "face_stats"), "face");
    check_stat(cos, n, 42, json_object_get(ref, "cos_stats"), "cos");
    double one = 0.25;
    check_stat(&one, 1, 7, json_object_get(ref, "single"), "single");
    fsift_eval_stat s;
    CHECK_OK(fsift_eval_stat_compute(NULL, 0, 0, 1000, &s));
    CHECK(s.n == 0 && s.mean == 0 && s.ci_lo == 0);
    free(cos);
    free(face);
}

int main(void) {
    RUN(test_cosines_and_stats);
    json_decref(ref);
    return test_summary();
}
