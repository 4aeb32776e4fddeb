/*
 * bench_gemm.c — GFLOP/s of the SGEMM driver and of single Conv/Gemm/MatMul nodes on the
 * shapes that dominate the target models, against this CPU's peak.
 *
 *   bench_gemm [--threads N] [--iters N] [--filter SUBSTRING] [--isa generic|avx2|avx512]
 *
 * Each row builds a one-node graph with the graph builder (weights constant, so they are
 * packed at load exactly as in a real model), runs it through a session (so planning,
 * scratch and the pool are the real ones), warms up, times `iters` runs and prints the
 * median and minimum latency and the GFLOP/s at the minimum and the median (the machine is
 * shared and noisy; the minimum is the least disturbed run). A "peak" line gives the FP32
 * peak of one core: the clock from /proc/cpuinfo ("cpu MHz", the nominal/current frequency
 * the kernel reports; boost clocks may be higher) × 2 FMA pipes × lanes × 2 flops, for
 * 512-bit lanes (16) and 256-bit lanes (8). On AMD Zen 4 a 512-bit FMA occupies both 256-bit
 * pipes, so the 256-bit figure is the real peak there; the 512-bit figure is what the
 * formula gives on cores with two full 512-bit FMA units.
 * --isa caps the level like FSIFT_CPU (it must be given before anything reads the CPU).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "facesift/facesift.h"
#include "nn/exec.h"
#include "nn/graph.h"

static double cpu_mhz(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return 0;
    char line[256];
    double mhz = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "cpu MHz", 7)) {
            char *p = strchr(line, ':');
            if (p) mhz = atof(p + 1);
            break;
        }
    fclose(f);
    return mhz;
}

typedef struct layer {
    const char *name;
    const char *op;    /* "Conv", "Gemm", "MatMul" */
    int nhwc;
    int64_t N, C, H, W, M, k, s, pad, group; /* Conv; Gemm/MatMul: M=rows, C=K, W=N */
} layer;

static const layer layers[] = {
    /* SCRFD-10G-like (NCHW, 640x640 input) */
    {"scrfd stem 3x3s2 3->28 @640", "Conv", 0, 1, 3, 640, 640, 28, 3, 2, 1, 1},
    {"scrfd 3x3 28->28 @320", "Conv", 0, 1, 28, 320, 320, 28, 3, 1, 1, 1},
    {"scrfd 3x3 56->56 @160", "Conv", 0, 1, 56, 160, 160, 56, 3, 1, 1, 1},
    {"scrfd 3x3 16->16 @160", "Conv", 0, 1, 16, 160, 160, 16, 3, 1, 1, 1},
    {"scrfd 3x3s2 56->88 @160", "Conv", 0, 1, 56, 160, 160, 88, 3, 2, 1, 1},
    {"scrfd 3x3 88->88 @80", "Conv", 0, 1, 88, 80, 80, 88, 3, 1, 1, 1},
    {"scrfd 1x1 224->56 @40", "Conv", 0, 1, 224, 40, 40, 56, 1, 1, 0, 1},
    {"scrfd head 3x3 80->80 @80", "Conv", 0, 1, 80, 80, 80, 80, 3, 1, 1, 1},
    /* ArcFace R100 (NCHW, 112x112 input) */
    {"arcface 3x3 64->64 @112", "Conv", 0, 1, 64, 112, 112, 64, 3, 1, 1, 1},
    {"arcface 3x3 128->128 @28", "Conv", 0, 1, 128, 28, 28, 128, 3, 1, 1, 1},
    {"arcface 3x3 256->256 @14", "Conv", 0, 1, 256, 14, 14, 256, 3, 1, 1, 1},
    {"arcface 3x3 512->512 @7", "Conv", 0, 1, 512, 7, 7, 512, 3, 1, 1, 1},
    {"arcface 3x3s2 256->512 @14", "Conv", 0, 1, 256, 14, 14, 512, 3, 2, 1, 1},
    {"arcface fc 25088->512", "Gemm", 0, 1, 25088, 1, 512, 1, 0, 0, 0, 1},
    /* BlazeFace (NCHW) */
    {"blazeface 5x5s2 3->24 @256", "Conv", 0, 1, 3, 256, 256, 24, 5, 2, 2, 1},
    {"blazeface 1x1 24->24 @128", "Conv", 0, 1, 24, 128, 128, 24, 1, 1, 0, 1},
    {"blazeface dw3x3 24 @128", "Conv", 0, 1, 24, 128, 128, 24, 3, 1, 1, 24},
    {"blazeface 1x1 96->96 @16", "Conv", 0, 1, 96, 16, 16, 96, 1, 1, 0, 1},
    /* MobileFaceNet / O-Net (NHWC) */
    {"mfn 3x3s2 3->64 @112 b2", "Conv", 1, 2, 3, 112, 112, 64, 3, 2, 1, 1},
    {"mfn dw3x3 64 @56 b2", "Conv", 1, 2, 64, 56, 56, 64, 3, 1, 1, 64},
    {"mfn 1x1 64->128 @28 b2", "Conv", 1, 2, 64, 28, 28, 128, 1, 1, 0, 1},
    {"mfn dw7x7 512 @7 b2", "Conv", 1, 2, 512, 7, 7, 512, 7, 1, 0, 512},
    {"onet 3x3 32->64 @23 b16", "Conv", 1, 16, 32, 23, 23, 64, 3, 1, 0, 1},
    /* plain GEMM / CLIP projection */
    {"sgemm 1024^3", "MatMul", 0, 1, 1024, 1, 1024, 1024, 0, 0, 0, 1},
    {"clip mlp [77,512]x[512,2048]", "MatMul", 0, 1, 512, 1, 2048, 77, 0, 0, 0, 1},
};

static int add_val(nn_graph *g, const char *name) {
    int i = -1;
    nn_graph_value(g, name, &i);
    return i;
}

static float *rnd_buf(int64_t n, unsigned *seed) {
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        p[i] = (float)((*seed >> 8) & 0xffff) / 32768.f - 1.f;
    }
    return p;
}

/* Builds the one-node model and the input tensor; returns flops per run. */
static double build(const layer *L, fsift_model **m, fsift_tensor *in) {
    nn_graph *g;
    if (nn_graph_new(&g)) return 0;
    unsigned seed = 7;
    int vx = add_val(g, "x"), vw, vb, vy = add_val(g, "y"), ni;
    double flops;
    memset(in, 0, sizeof *in);
    in->dtype = FSIFT_DTYPE_FLOAT32;
    if (!strcmp(L->op, "Conv")) {
        int64_t cg = L->C / L->group;
        int64_t xd[4] = {L->N, L->C, L->H, L->W}, wd[4] = {L->M, cg, L->k, L->k}, bd[1] = {L->M};
        if (L->nhwc) {
            xd[1] = L->H; xd[2] = L->W; xd[3] = L->C;
            wd[1] = L->k; wd[2] = L->k; wd[3] = cg;
        }
        nn_graph_add_input(g, vx, FSIFT_DTYPE_FLOAT32, 4, xd, NULL);
        float *w = rnd_buf(L->M * cg * L->k * L->k, &seed), *b = rnd_buf(L->M, &seed);
        nn_graph_add_const(g, "w", FSIFT_DTYPE_FLOAT32, 4, wd, w, (size_t)(L->M * cg * L->k * L->k) * 4, &vw);
        nn_graph_add_const(g, "b", FSIFT_DTYPE_FLOAT32, 1, bd, b, (size_t)L->M * 4, &vb);
        free(w);
        free(b);
        int ins[3] = {vx, vw, vb};
        nn_graph_add_node(g, "Conv", "", "conv", 3, ins, 1, &vy, &ni);
        int64_t s2[2] = {L->s, L->s}, p4[4] = {L->pad, L->pad, L->pad, L->pad};
        nn_node_set_ints(g, ni, "strides", s2, 2);
        nn_node_set_ints(g, ni, "pads", p4, 4);
        nn_node_set_int(g, ni, "group", L->group);
        if (L->nhwc) nn_node_set_string(g, ni, "layout", "NHWC", 4);
        nn_node_set_string(g, ni, "activation", "RELU", 4);
        int64_t oh = (L->H + 2 * L->pad - L->k) / L->s + 1, ow = (L->W + 2 * L->pad - L->k) / L->s + 1;
        flops = 2.0 * L->N * L->M * oh * ow * cg * L->k * L->k;
        in->rank = 4;
        memcpy(in->dims, xd, sizeof xd);
    } else {
        /* A [M,K] input, B [K,N] (MatMul) or [N,K] with transB (Gemm) constant */
        int64_t M = L->M, K = L->C, N = L->W;
        int gemm = !strcmp(L->op, "Gemm");
        int64_t ad[2] = {M, K}, bdm[2] = {gemm ? N : K, gemm ? K : N}, cd[1] = {N};
        nn_graph_add_input(g, vx, FSIFT_DTYPE_FLOAT32, 2, ad, NULL);
        float *w = rnd_buf(K * N, &seed), *b = rnd_buf(N, &seed);
        nn_graph_add_const(g, "w", FSIFT_DTYPE_FLOAT32, 2, bdm, w, (size_t)(K * N) * 4, &vw);
        nn_graph_add_const(g, "b", FSIFT_DTYPE_FLOAT32, 1, cd, b, (size_t)N * 4, &vb);
        free(w);
        free(b);
        int ins[3] = {vx, vw, vb};
        nn_graph_add_node(g, L->op, "", "mm", gemm ? 3 : 2, ins, 1, &vy, &ni);
        if (gemm) nn_node_set_int(g, ni, "transB", 1);
        flops = 2.0 * M * N * K;
        in->rank = 2;
        memcpy(in->dims, ad, sizeof ad);
    }
    nn_graph_add_output(g, vy);
    g->opset = 13;
    g->format = FSIFT_MODEL_ONNX;
    if (nn_graph_finalize(g) || nn_model_from_graph(g, m)) {
        fprintf(stderr, "bench_gemm: %s\n", fsift_last_error());
        return 0;
    }
    in->data = rnd_buf(fsift_tensor_numel(in), &seed);
    return flops;
}

int main(int argc, char **argv) {
    int threads = 1, iters = 30;
    const char *filter = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
        else if (!strcmp(argv[i], "--isa") && i + 1 < argc) setenv("FSIFT_CPU", argv[++i], 1);
        else {
            fprintf(stderr, "usage: bench_gemm [--threads N] [--iters N] [--filter S] [--isa generic|avx2|avx512]\n");
            return 2;
        }
    }
    if (iters < 1) iters = 1;
    double mhz = cpu_mhz();
    printf("cpu: %s, %s, %d thread(s); clock %.0f MHz (/proc/cpuinfo)\n", fsift_cpu_model(), fsift_cpu_level(),
           threads, mhz);
    printf("peak per core at that clock: %.1f GFLOP/s (2 FMA x 16 lanes x 2), %.1f GFLOP/s (2 FMA x 8 lanes x 2;\n"
           "  the real peak of cores that split 512-bit FMAs in two, e.g. AMD Zen 4). Under a hypervisor 'cpu MHz' is\n"
           "  the nominal clock: rates above the second figure mean the core boosts higher.\n",
           mhz * 1e-3 * 64, mhz * 1e-3 * 32);
    printf("%-32s %10s %10s %10s %10s\n", "layer", "min ms", "median ms", "GF/s(min)", "GF/s(med)");
    for (size_t li = 0; li < sizeof layers / sizeof *layers; li++) {
        const layer *L = &layers[li];
        if (filter && !strstr(L->name, filter)) continue;
        fsift_model *m = NULL;
        fsift_tensor in;
        double flops = build(L, &m, &in);
        if (!m) continue;
        fsift_session *s;
        if (fsift_session_new(m, threads, &s) || fsift_session_run(s, &in, 1)) {
            fprintf(stderr, "bench_gemm: %s: %s\n", L->name, fsift_last_error());
            return 1;
        }
        int it = iters;
        if (flops < 5e7) it = iters * 4;
        for (int i = 0; i < 3; i++) fsift_session_run(s, &in, 1);
        double *t = calloc((size_t)it, sizeof *t);
        for (int i = 0; i < it; i++) {
            double t0 = fsift_now_ms();
            fsift_session_run(s, &in, 1);
            t[i] = fsift_now_ms() - t0;
        }
        fsift_sort_doubles(t, (size_t)it);
        printf("%-32s %10.3f %10.3f %10.1f %10.1f\n", L->name, t[0], t[it / 2], flops / t[0] * 1e-6,
               flops / t[it / 2] * 1e-6);
        fflush(stdout);
        free(t);
        free(in.data);
        fsift_session_free(s);
        fsift_model_free(m);
    }
    return 0;
}
