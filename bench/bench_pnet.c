/*
 * bench_pnet.c — MTCNN on the runtime as src/face/mtcnn.c calls it: P-Net over the image
 * pyramid of one pre-filter image, then R-Net and O-Net batches, all through one session per
 * network (fsift_session_run with a new input shape at every level, so every call re-plans
 * unless the session keeps the plan of that shape).
 *
 *   bench_pnet [--models DIR] [--width 256] [--height 171] [--threads 1] [--iters 200]
 *              [--warmup 20] [--rnet 0] [--onet 0]
 *
 * Pyramid (mtcnn.c's pnet_stage): scale 12/20, then ×0.709 while the shorter side × scale
 * stays ≥ 12; each level is a [1, ceil(h·s), ceil(w·s), 3] input. --rnet N / --onet N add an
 * R-Net batch of about N 24×24 crops and an O-Net batch of about N 48×48 crops per image, the
 * batch size varying by a few from image to image as crop counts do. Inputs are random in [-1, 1]
 * (fixed seed). Prints one JSON line: per-image pyramid median/p10/p90 ms, the same for the
 * R-Net and O-Net calls, the levels and the P-Net "steady" time (one session per level, so
 * nothing is re-planned: the floor that plan caching can reach); *_cpu_ms: the medians of the
 * thread's CPU time, less disturbed by other processes than wall time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "facesift/facesift.h"

/* CPU time of the calling thread (the sessions run on it at --threads 1): steadier than
 * wall time on a shared machine. */
static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct net {
    fsift_model *m;
    fsift_session *s;
} net;

static int net_open(net *n, const char *dir, const char *file, int threads) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (fsift_model_load(path, &n->m) || fsift_session_new(n->m, threads, &n->s)) {
        fprintf(stderr, "bench_pnet: %s: %s\n", path, fsift_last_error());
        return -1;
    }
    return 0;
}

static void net_close(net *n) {
    fsift_session_free(n->s);
    fsift_model_free(n->m);
}

static int run(fsift_session *s, float *data, int64_t b, int64_t h, int64_t w) {
    fsift_tensor t = {.dtype = FSIFT_DTYPE_FLOAT32, .rank = 4, .data = data};
    t.dims[0] = b, t.dims[1] = h, t.dims[2] = w, t.dims[3] = 3;
    if (fsift_session_run(s, &t, 1)) {
        fprintf(stderr, "bench_pnet: %lldx%lldx%lld: %s\n", (long long)b, (long long)h, (long long)w, fsift_last_error());
        return -1;
    }
    return 0;
}

static void stats(double *t, int n, double out[3]) {
    fsift_sort_doubles(t, (size_t)n);
    out[0] = t[n / 2], out[1] = t[n / 10], out[2] = t[(n * 9) / 10];
}

int main(int argc, char **argv) {
    const char *dir = "models/mtcnn";
    int W = 256, H = 171, threads = 1, iters = 200, warmup = 20, nr = 0, no = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--models") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--width") && i + 1 < argc) W = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--height") && i + 1 < argc) H = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rnet") && i + 1 < argc) nr = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--onet") && i + 1 < argc) no = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_pnet [--models DIR] [--width W] [--height H] [--threads N] [--iters N] "
                            "[--warmup N] [--rnet N] [--onet N]\n");
            return 2;
        }
    }
    if (W < 12 || H < 12 || W > 8192 || H > 8192 || iters < 1 || warmup < 0 || nr < 0 || no < 0 || nr > 256 ||
        no > 256) {
        fprintf(stderr, "bench_pnet: bad sizes or counts\n");
        return 2;
    }
    /* the pyramid, as pnet_stage computes it */
    int lw[64], lh[64], nl = 0;
    double m = 12.0 / 20.0, minl = (W < H ? W : H) * m;
    for (double s = m; minl >= 12.0 && nl < 64; s *= 0.709, minl *= 0.709) {
        int ws = (int)ceil(W * s), hs = (int)ceil(H * s);
        if (ws < 12 || hs < 12) break;
        lw[nl] = ws, lh[nl] = hs, nl++;
    }
    size_t cap = (size_t)W * H * 3;
    if ((size_t)(nr + 1) * 24 * 24 * 3 > cap) cap = (size_t)(nr + 1) * 24 * 24 * 3;
    if ((size_t)(no + 1) * 48 * 48 * 3 > cap) cap = (size_t)(no + 1) * 48 * 48 * 3;
    float *in = malloc(cap * sizeof *in);
    double *tp = calloc((size_t)iters, sizeof *tp), *tr = calloc((size_t)iters, sizeof *tr),
           *to = calloc((size_t)iters, sizeof *to), *ts = calloc((size_t)iters, sizeof *ts),
           *cp = calloc((size_t)iters, sizeof *cp), *cs = calloc((size_t)iters, sizeof *cs),
           *cr = calloc((size_t)iters, sizeof *cr), *co = calloc((size_t)iters, sizeof *co);
    net pn = {0}, rn = {0}, on = {0}, lv[64] = {{0}};
    int rc = 1;
    if (!in || !tp || !tr || !to || !ts || !cp || !cs || !cr || !co) goto done;
    unsigned seed = 12345;
    for (size_t k = 0; k < cap; k++) {
        seed = seed * 1103515245u + 12345u;
        in[k] = (float)((seed >> 8) & 0xffff) / 32768.f - 1.f;
    }
    if (net_open(&pn, dir, "pnet.tflite", threads) || net_open(&rn, dir, "rnet.tflite", threads) ||
        net_open(&on, dir, "onet.tflite", threads))
        goto done;
    for (int l = 0; l < nl; l++)
        if (net_open(&lv[l], dir, "pnet.tflite", threads) || run(lv[l].s, in, 1, lh[l], lw[l])) goto done;
    for (int it = -warmup; it < iters; it++) {
        /* crop counts vary from image to image: new batch sizes, as in mtcnn.c */
        int br = nr ? nr + (it & 1 ? 1 : -1) * (it % 3) : 0, bo = no ? no + (it & 1) : 0;
        if (nr && br < 1) br = 1;
        double t0 = fsift_now_ms(), c0 = cpu_ms();
        for (int l = 0; l < nl; l++)
            if (run(pn.s, in, 1, lh[l], lw[l])) goto done;
        double t1 = fsift_now_ms(), c1 = cpu_ms();
        if (br && run(rn.s, in, br, 24, 24)) goto done;
        double t2 = fsift_now_ms(), c2 = cpu_ms();
        if (bo && run(on.s, in, bo, 48, 48)) goto done;
        double t3 = fsift_now_ms(), c3 = cpu_ms();
        for (int l = 0; l < nl; l++)
            if (run(lv[l].s, in, 1, lh[l], lw[l])) goto done;
        double t4 = fsift_now_ms(), c4 = cpu_ms();
        if (it >= 0) {
            tp[it] = t1 - t0, tr[it] = t2 - t1, to[it] = t3 - t2, ts[it] = t4 - t3;
            cp[it] = c1 - c0, cs[it] = c4 - c3, cr[it] = c2 - c1, co[it] = c3 - c2;
        }
    }
    double sp[3], sr[3], so[3], ss[3], scp[3], scs[3], scr[3], sco[3];
    stats(tp, iters, sp), stats(tr, iters, sr), stats(to, iters, so), stats(ts, iters, ss);
    stats(cp, iters, scp), stats(cs, iters, scs), stats(cr, iters, scr), stats(co, iters, sco);
    printf("{\"bench\":\"mtcnn_pyramid\",\"image\":\"%dx%d\",\"levels\":%d,\"threads\":%d,\"pnet_ms\":%.4f,"
           "\"pnet_p10_ms\":%.4f,\"pnet_p90_ms\":%.4f,\"pnet_cpu_ms\":%.4f,\"pnet_steady_ms\":%.4f,"
           "\"pnet_steady_cpu_ms\":%.4f,\"rnet_batch\":%d,\"rnet_ms\":%.4f,"
           "\"rnet_cpu_ms\":%.4f,\"onet_batch\":%d,\"onet_ms\":%.4f,\"onet_cpu_ms\":%.4f,\"cpu\":\"%s\",\"isa\":\"%s\"}\n",
           W, H, nl, threads, sp[0], sp[1], sp[2], scp[0], ss[0], scs[0], nr, sr[0], scr[0], no, so[0], sco[0],
           fsift_cpu_model(), fsift_cpu_level());
    rc = 0;
done:
    for (int l = 0; l < nl; l++) net_close(&lv[l]);
    net_close(&pn), net_close(&rn), net_close(&on);
    free(in), free(tp), free(tr), free(to), free(ts), free(cp), free(cs), free(cr), free(co);
    return rc;
}
