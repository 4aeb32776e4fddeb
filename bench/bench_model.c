/*
 * bench_model.c — latency of one model on the facesift runtime, in the same format as
 * bench/ort_bench.js prints for ONNX Runtime, so bench/run.sh can put them side by side.
 *
 *   bench_model MODEL [--threads N] [--warmup 20] [--iters 200] [--shape D1xD2x...]
 *
 * Inputs are random (fixed seed), float32 in [-1, 1] (int64 inputs: small non-negative
 * ids); --shape overrides the first input's shape (e.g. batch 16). Prints one JSON line:
 * {"engine":"facesift","model":…,"threads":N,"shape":…,"median_ms":…,"p10_ms":…,"p90_ms":…,
 *  "min_ms":…,"peak_mb":…,"cpu":…,"isa":…}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "facesift/facesift.h"

int main(int argc, char **argv) {
    const char *path = NULL, *shape = NULL;
    int threads = 1, warmup = 20, iters = 200;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shape") && i + 1 < argc) shape = argv[++i];
        else if (!path) path = argv[i];
        else { fprintf(stderr, "bad argument '%s'\n", argv[i]); return 2; }
    }
    if (!path || iters < 1) {
        fprintf(stderr, "usage: bench_model MODEL [--threads N] [--warmup N] [--iters N] [--shape D1xD2x...]\n");
        return 2;
    }
    fsift_model *m;
    if (fsift_model_load(path, &m)) {
        fprintf(stderr, "bench_model: %s\n", fsift_last_error());
        return 1;
    }
    int nin = fsift_model_num_inputs(m);
    fsift_tensor *ins = calloc((size_t)nin + 1, sizeof *ins);
    unsigned seed = 12345;
    char shape_str[128] = "";
    for (int i = 0; i < nin; i++) {
        fsift_io_info info;
        fsift_model_input(m, i, &info);
        ins[i].dtype = info.dtype;
        ins[i].rank = info.rank;
        for (int d = 0; d < info.rank; d++) ins[i].dims[d] = info.dims[d] < 0 ? 1 : info.dims[d];
        if (i == 0 && shape) {
            int r = 0;
            for (const char *p = shape; *p && r < FSIFT_MAX_RANK;) {
                char *end;
                ins[i].dims[r++] = strtoll(p, &end, 10);
                p = *end == 'x' ? end + 1 : end;
                if (end == p && *end) break;
            }
            ins[i].rank = r;
        }
        int64_t n = fsift_tensor_numel(&ins[i]);
        size_t esz = fsift_dtype_size(info.dtype);
        ins[i].data = calloc((size_t)(n > 0 ? n : 1), esz ? esz : 1);
        for (int64_t k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            if (info.dtype == FSIFT_DTYPE_FLOAT32) ((float *)ins[i].data)[k] = (float)((seed >> 8) & 0xffff) / 32768.f - 1.f;
            else if (info.dtype == FSIFT_DTYPE_INT64) ((int64_t *)ins[i].data)[k] = (seed >> 8) % 1000;
            else if (info.dtype == FSIFT_DTYPE_INT32) ((int32_t *)ins[i].data)[k] = (int32_t)((seed >> 8) % 1000);
        }
        if (i == 0) {
            size_t o = 0;
            for (int d = 0; d < ins[i].rank; d++)
                o += (size_t)snprintf(shape_str + o, sizeof shape_str - o, d ? "x%lld" : "%lld", (long long)ins[i].dims[d]);
        }
    }
    fsift_session *s;
    if (fsift_session_new(m, threads, &s) || fsift_session_run(s, ins, nin)) {
        fprintf(stderr, "bench_model: %s\n", fsift_last_error());
        return 1;
    }
    for (int i = 0; i < warmup; i++) fsift_session_run(s, ins, nin);
    double *t = calloc((size_t)iters, sizeof *t);
    for (int i = 0; i < iters; i++) {
        double t0 = fsift_now_ms();
        fsift_session_run(s, ins, nin);
        t[i] = fsift_now_ms() - t0;
    }
    fsift_sort_doubles(t, (size_t)iters);
    const char *base = strrchr(path, '/');
    printf("{\"engine\":\"facesift\",\"model\":\"%s\",\"threads\":%d,\"shape\":\"%s\",\"median_ms\":%.4f,"
           "\"p10_ms\":%.4f,\"p90_ms\":%.4f,\"min_ms\":%.4f,\"peak_mb\":%.3f,\"cpu\":\"%s\",\"isa\":\"%s\"}\n",
           base ? base + 1 : path, threads, shape_str, t[iters / 2], t[iters / 10], t[(iters * 9) / 10], t[0],
           (double)fsift_session_peak_bytes(s) / 1e6, fsift_cpu_model(), fsift_cpu_level());
    free(t);
    for (int i = 0; i < nin; i++) free(ins[i].data);
    free(ins);
    fsift_session_free(s);
    fsift_model_free(m);
    return 0;
}
