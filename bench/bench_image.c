/*
 * bench_image.c — image operation throughput on facesift, one JSON line per row, in the
 * format bench/image_bench.py prints for Pillow, so the two can be put side by side.
 *
 *   bench_image [--iters 30] [--warmup 3] [--rows jpeg_decode_1,jpeg_decode_4] FILE...
 *
 * Rows: jpeg_decode_{1,2,4,8} (fsift_image_decode at 1/n) and turbojpeg_decode_{1,4} (the
 * TurboJPEG API on the same libjpeg-turbo: the floor facesift should sit on).
 *
 * The files are read into memory once. Each row is one function (row_*) that processes all
 * files once per iteration; it reports the median and spread over iterations of the time
 * per image, megapixels per second (stored pixels, so scaled decodes are compared with the
 * same work definition as Pillow's), and a CRC-32 of all output pixels so identical results
 * can be checked against Pillow's (image_bench.py prints the same CRC over im.tobytes()).
 * To add a row: write `static void row_x(const bench_ctx *c)` and add it to `rows[]`.
 *
 * Line: {"engine":"facesift","row":…,"images":N,"median_ms":…(per image),"p10_ms":…,
 *        "p90_ms":…,"median_cpu_ms":…(thread CPU time per image),"mpix_per_s":…,"crc32":"…","cpu":…}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <turbojpeg.h>
#include <zlib.h>

#include "facesift/facesift.h"

typedef struct bench_ctx {
    int nfiles;
    void **data;
    size_t *size;
    int iters, warmup;
} bench_ctx;

/* This thread's CPU time in ms: steadier than wall time on a shared, busy machine. */
static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void report(const char *row, const bench_ctx *c, double *ms, double *cpu, double mpix,
                   uint32_t crc) {
    int n = c->iters;
    fsift_sort_doubles(ms, (size_t)n);
    fsift_sort_doubles(cpu, (size_t)n);
    double per = (double)c->nfiles;
    double med = ms[n / 2] / per;
    printf("{\"engine\":\"facesift\",\"row\":\"%s\",\"images\":%d,\"median_ms\":%.4f,"
           "\"p10_ms\":%.4f,\"p90_ms\":%.4f,\"median_cpu_ms\":%.4f,\"mpix_per_s\":%.2f,\"crc32\":\"%08x\",\"cpu\":\"%s\"}\n",
           row, c->nfiles, med, ms[n / 10] / per, ms[(n * 9) / 10] / per,
           cpu[n / 2] / per, mpix / (ms[n / 2] / 1000.0), (unsigned)crc, fsift_cpu_model());
    fflush(stdout);
}

/* JPEG decode at 1/scale (DCT scaling), RGB output; mpix counts stored pixels. */
static void jpeg_decode(const bench_ctx *c, int scale, const char *name) {
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    o.scale_denom = scale;
    double *ms = calloc((size_t)c->iters, sizeof *ms), mpix = 0;
    double *cpu = calloc((size_t)c->iters, sizeof *cpu);
    uint32_t crc = 0;
    for (int it = -c->warmup; it < c->iters; it++) {
        double t0 = fsift_now_ms(), c0 = cpu_ms(), px = 0;
        for (int f = 0; f < c->nfiles; f++) {
            fsift_image img;
            fsift_image_info info;
            if (fsift_image_decode(c->data[f], c->size[f], &o, &img, &info)) {
                fprintf(stderr, "bench_image: file %d: %s\n", f, fsift_last_error());
                exit(1);
            }
            px += (double)info.width * info.height;
            if (it == 0) {
                for (int y = 0; y < img.height; y++)
                    crc = (uint32_t)crc32(crc, img.data + (size_t)y * img.stride,
                                          (uInt)((size_t)img.width * img.channels));
            }
            fsift_image_free(&img);
        }
        if (it >= 0) ms[it] = fsift_now_ms() - t0, cpu[it] = cpu_ms() - c0;
        mpix = px / 1e6;
    }
    report(name, c, ms, cpu, mpix, crc);
    free(ms);
    free(cpu);
}

/* The floor: libjpeg-turbo's own TurboJPEG API decoding to RGB (default ISLOW DCT and fancy
 * upsampling, as facesift and Pillow), into a buffer reused across images. */
static void turbojpeg_decode(const bench_ctx *c, int scale, const char *name) {
    tjhandle h = tjInitDecompress();
    tjscalingfactor sf = {1, scale};
    double *ms = calloc((size_t)c->iters, sizeof *ms), mpix = 0;
    double *cpu = calloc((size_t)c->iters, sizeof *cpu);
    uint8_t *dst = NULL;
    size_t cap = 0;
    uint32_t crc = 0;
    for (int it = -c->warmup; it < c->iters; it++) {
        double t0 = fsift_now_ms(), c0 = cpu_ms(), px = 0;
        for (int f = 0; f < c->nfiles; f++) {
            int w, hh, ss, cs;
            if (tjDecompressHeader3(h, c->data[f], (unsigned long)c->size[f], &w, &hh, &ss, &cs)) {
                fprintf(stderr, "bench_image: turbojpeg: %s\n", tjGetErrorStr2(h));
                exit(1);
            }
            int sw = TJSCALED(w, sf), sh = TJSCALED(hh, sf);
            size_t need = (size_t)sw * sh * 3;
            if (need > cap) free(dst), dst = malloc(cap = need);
            if (tjDecompress2(h, c->data[f], (unsigned long)c->size[f], dst, sw, 0, sh, TJPF_RGB, 0)) {
                fprintf(stderr, "bench_image: turbojpeg: %s\n", tjGetErrorStr2(h));
                exit(1);
            }
            px += (double)w * hh;
            if (it == 0) crc = (uint32_t)crc32(crc, dst, (uInt)need);
        }
        if (it >= 0) ms[it] = fsift_now_ms() - t0, cpu[it] = cpu_ms() - c0;
        mpix = px / 1e6;
    }
    report(name, c, ms, cpu, mpix, crc);
    free(dst);
    free(ms);
    free(cpu);
    tjDestroy(h);
}

static void row_turbojpeg_decode_1(const bench_ctx *c) { turbojpeg_decode(c, 1, "turbojpeg_decode_1"); }
static void row_turbojpeg_decode_4(const bench_ctx *c) { turbojpeg_decode(c, 4, "turbojpeg_decode_4"); }

static void row_jpeg_decode_1(const bench_ctx *c) { jpeg_decode(c, 1, "jpeg_decode_1"); }
static void row_jpeg_decode_2(const bench_ctx *c) { jpeg_decode(c, 2, "jpeg_decode_2"); }
static void row_jpeg_decode_4(const bench_ctx *c) { jpeg_decode(c, 4, "jpeg_decode_4"); }
static void row_jpeg_decode_8(const bench_ctx *c) { jpeg_decode(c, 8, "jpeg_decode_8"); }

static const struct {
    const char *name;
    void (*fn)(const bench_ctx *);
} rows[] = {
    {"jpeg_decode_1", row_jpeg_decode_1},
    {"jpeg_decode_2", row_jpeg_decode_2},
    {"jpeg_decode_4", row_jpeg_decode_4},
    {"jpeg_decode_8", row_jpeg_decode_8},
    {"turbojpeg_decode_1", row_turbojpeg_decode_1},
    {"turbojpeg_decode_4", row_turbojpeg_decode_4},
};

int main(int argc, char **argv) {
    if (!getenv("FSIFT_NO_MALLOC_TUNE")) fsift_malloc_tune(); /* as the facesift command does */
    bench_ctx c = {0, NULL, NULL, 30, 3};
    const char *want = "jpeg_decode_1,jpeg_decode_4";
    c.data = calloc((size_t)argc, sizeof *c.data);
    c.size = calloc((size_t)argc, sizeof *c.size);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iters") && i + 1 < argc) c.iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) c.warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rows") && i + 1 < argc) want = argv[++i];
        else if (fsift_file_read(argv[i], (size_t)1 << 30, &c.data[c.nfiles], &c.size[c.nfiles])) {
            fprintf(stderr, "bench_image: %s: %s\n", argv[i], fsift_last_error());
            return 1;
        } else c.nfiles++;
    }
    if (!c.nfiles || c.iters < 1) {
        fprintf(stderr, "usage: bench_image [--iters N] [--warmup N] [--rows a,b] FILE...\n");
        return 2;
    }
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        size_t n = strlen(rows[r].name);
        for (const char *p = want; (p = strstr(p, rows[r].name)); p += n)
            if ((p == want || p[-1] == ',') && (p[n] == ',' || !p[n])) {
                rows[r].fn(&c);
                break;
            }
    }
    for (int i = 0; i < c.nfiles; i++) free(c.data[i]);
    free(c.data);
    free(c.size);
    return 0;
}
