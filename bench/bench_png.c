/*
 * bench_png.c — PNG decode time per image, the fast path (src/image/png_fast.c, through
 * img_png_decode) against the libspng path it replaces (img_png_decode_spng), on the same
 * files in the same run, alternating the two every iteration so that a loaded machine
 * slows both alike. Also the row defilter alone, SSE2 against the scalar reference.
 *
 *   bench_png [--iters 9] FILE.png...
 *
 * Prints one JSON line per path: median and p10/p90 over iterations of the wall and thread
 * CPU time per image, megapixels per second, a CRC-32 of all output pixels (equal for the
 * two paths, or the run fails), and how many files the fast path declined; then one line
 * per filter type with ns per row of 2048 RGB and RGBA pixels (and per row of two Paeth rows
 * done together).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spng.h>
#include <zlib.h>

#include "facesift/facesift.h"
#include "image/image_internal.h"

static double now_ms(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef fsift_status (*decode_fn)(const uint8_t *, size_t, const fsift_decode_opts *,
                                  fsift_image *, fsift_image_info *);

/* Decodes every file once; returns the CRC of all pixels, adds the pixel count. */
static uint32_t pass(decode_fn fn, int n, uint8_t **d, size_t *sz, double *mpix, int *fails) {
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    uLong crc = crc32(0, NULL, 0);
    for (int i = 0; i < n; i++) {
        fsift_image img;
        fsift_image_info info;
        if (fn(d[i], sz[i], &o, &img, &info)) {
            (*fails)++;
            continue;
        }
        crc = crc32(crc, img.data, (uInt)((size_t)img.height * img.stride));
        *mpix += (double)img.width * img.height / 1e6;
        fsift_image_free(&img);
    }
    return (uint32_t)crc;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *row, int n, double *ms, double *cpu, int iters, double mpix,
                   uint32_t crc, int declined) {
    qsort(ms, (size_t)iters, sizeof *ms, cmp_d);
    qsort(cpu, (size_t)iters, sizeof *cpu, cmp_d);
    printf("{\"row\":\"%s\",\"images\":%d,\"median_ms\":%.3f,\"p10_ms\":%.3f,\"p90_ms\":%.3f,"
           "\"median_cpu_ms\":%.3f,\"mpix_per_s\":%.1f,\"crc32\":\"%08x\",\"declined\":%d,"
           "\"cpu\":\"%s\"}\n",
           row, n, ms[iters / 2] / n, ms[iters / 10] / n, ms[(iters * 9) / 10] / n,
           cpu[iters / 2] / n, mpix / (ms[iters / 2] / 1e3), (unsigned)crc, declined,
           fsift_cpu_model());
}

/* Files the fast path declines (libspng decodes them behind it): img_png_fast on a libspng
 * context opened as decode_png.c opens it. */
static int count_declined(int n, uint8_t **d, size_t *sz) {
    int k = 0;
    for (int i = 0; i < n; i++) {
        spng_ctx *ctx = spng_ctx_new(0);
        spng_set_chunk_limits(ctx, sz[i], sz[i]);
        struct spng_ihdr ih;
        struct spng_trns t;
        fsift_image img;
        int ok = !spng_set_png_buffer(ctx, d[i], sz[i]) && !spng_get_ihdr(ctx, &ih) &&
                 img_png_fast(ctx, d[i], sz[i],
                              ih.color_type == 4 || ih.color_type == 6 || !spng_get_trns(ctx, &t),
                              &img);
        if (ok) fsift_image_free(&img);
        spng_ctx_free(ctx);
        k += !ok;
    }
    return k;
}

static void bench_unfilter(void) {
    enum { W = 2048 };
    static uint8_t row[W * 4 + 16], prior[W * 4 + 16];
    for (int i = 0; i < W * 4; i++) row[i] = (uint8_t)(i * 7), prior[i] = (uint8_t)(i * 13);
    for (int bpp = 3; bpp <= 4; bpp++)
        for (int f = 1; f <= 4; f++) {
            double t[2];
            for (int v = 0; v < 2; v++) {
                const int reps = 2000;
                double t0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
                for (int r = 0; r < reps; r++) {
                    if (v) img_png_unfilter_ref(row, prior, (size_t)W * bpp, (size_t)bpp, f);
                    else img_png_unfilter(row, prior, (size_t)W * bpp, (size_t)bpp, f);
                }
                t[v] = (now_ms(CLOCK_THREAD_CPUTIME_ID) - t0) * 1e6 / reps;
            }
            printf("{\"row\":\"unfilter\",\"bpp\":%d,\"filter\":%d,\"pixels\":%d,\"simd_ns\":%.0f,"
                   "\"scalar_ns\":%.0f}\n",
                   bpp, f, W, t[0], t[1]);
        }
    for (int bpp = 3; bpp <= 4; bpp++) {
        static uint8_t row2[W * 4 + 16];
        const int reps = 2000;
        double t0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
        for (int r = 0; r < reps; r++) img_png_unfilter_paeth2(row, row2, prior, (size_t)W * bpp, (size_t)bpp);
        printf("{\"row\":\"unfilter_paeth_two_rows\",\"bpp\":%d,\"pixels\":%d,\"simd_ns_per_row\":%.0f}\n",
               bpp, W, (now_ms(CLOCK_THREAD_CPUTIME_ID) - t0) * 1e6 / reps / 2);
    }
}

int main(int argc, char **argv) {
    int iters = 9, a = 1;
    if (argc > 2 && !strcmp(argv[1], "--iters")) iters = atoi(argv[2]), a = 3;
    if (iters < 1) iters = 1;
    int n = argc - a;
    uint8_t **d = calloc((size_t)n + 1, sizeof *d);
    size_t *sz = calloc((size_t)n + 1, sizeof *sz);
    for (int i = 0; i < n; i++) {
        FILE *f = fopen(argv[a + i], "rb");
        if (!f) return fprintf(stderr, "bench_png: cannot open %s\n", argv[a + i]), 1;
        fseek(f, 0, SEEK_END);
        sz[i] = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        d[i] = malloc(sz[i] ? sz[i] : 1);
        if (fread(d[i], 1, sz[i], f) != sz[i]) return fprintf(stderr, "bench_png: short read\n"), 1;
        fclose(f);
    }
    if (n) {
        double *ms[2], *cpu[2], mpix[2] = {0, 0};
        uint32_t crc[2] = {0, 0};
        int fails[2] = {0, 0};
        for (int v = 0; v < 2; v++) ms[v] = calloc((size_t)iters, sizeof(double)), cpu[v] = calloc((size_t)iters, sizeof(double));
        decode_fn fn[2] = {img_png_decode, img_png_decode_spng};
        for (int v = 0; v < 2; v++) pass(fn[v], n, d, sz, &(double){0}, &(int){0}); /* warm up */
        for (int it = 0; it < iters; it++)
            for (int k = 0; k < 2; k++) {
                int v = (it + k) % 2; /* alternate which goes first */
                double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
                double mp = 0;
                int fl = 0;
                crc[v] = pass(fn[v], n, d, sz, &mp, &fl);
                ms[v][it] = now_ms(CLOCK_MONOTONIC) - w0;
                cpu[v][it] = now_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
                mpix[v] = mp, fails[v] = fl;
            }
        int declined = count_declined(n, d, sz);
        report("png_decode_fast", n, ms[0], cpu[0], iters, mpix[0], crc[0], declined);
        report("png_decode_spng", n, ms[1], cpu[1], iters, mpix[1], crc[1], 0);
        if (crc[0] != crc[1] || fails[0] != fails[1]) {
            fprintf(stderr, "bench_png: the two paths disagree (crc %08x vs %08x, %d vs %d errors)\n",
                    (unsigned)crc[0], (unsigned)crc[1], fails[0], fails[1]);
            return 1;
        }
    }
    bench_unfilter();
    return 0;
}
