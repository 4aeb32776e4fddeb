/*
 * metrics.c — the arithmetic of the evaluation metrics: cosine similarity in double
 * precision, mean, population standard deviation, and a percentile bootstrap of the mean
 * (fixed-seed splitmix64, so every run of the same scores gives the same interval; the
 * generator is documented in eval.h so that tests/test_eval_metrics.c's NumPy oracle can
 * replay it). Pure functions; thread-safe.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/eval.h"

double fsift_eval_cosine(const float *a, const float *b, int n) {
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    if (aa <= 0 || bb <= 0) return 0.0;
    return ab / (sqrt(aa) * sqrt(bb));
}

uint64_t fsift_eval_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, int n, double q) {
    double idx = q / 100.0 * (n - 1);
    int lo = (int)floor(idx), hi = lo + 1 < n ? lo + 1 : lo;
    double f = idx - lo;
    return sorted[lo] + (sorted[hi] - sorted[lo]) * f;
}

fsift_status fsift_eval_stat_compute(const double *v, int n, uint64_t seed, int n_boot, fsift_eval_stat *out) {
    memset(out, 0, sizeof *out);
    if (n <= 0) return FSIFT_OK;
    out->n = n;
    double s = 0;
    for (int i = 0; i < n; i++) s += v[i];
    double mean = s / n, ss = 0;
    for (int i = 0; i < n; i++) ss += (v[i] - mean) * (v[i] - mean);
    out->mean = mean;
    out->std = sqrt(ss / n);
    if (n_boot < 1) {
        out->ci_lo = out->ci_hi = mean;
        return FSIFT_OK;
    }
    double *means = malloc(sizeof(double) * (size_t)n_boot);
    if (!means) return fsift_error(FSIFT_E_NOMEM, "eval: out of memory for the bootstrap");
    uint64_t st = seed;
    for (int b = 0; b < n_boot; b++) {
        double acc = 0;
        for (int i = 0; i < n; i++) acc += v[fsift_eval_splitmix64(&st) % (uint64_t)n];
        means[b] = acc / n;
    }
    qsort(means, (size_t)n_boot, sizeof(double), cmp_double);
    out->ci_lo = percentile(means, n_boot, 2.5);
    out->ci_hi = percentile(means, n_boot, 97.5);
    free(means);
    return FSIFT_OK;
}
