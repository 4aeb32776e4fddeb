/*
 * bench_encode.c — PNG and JPEG encoding speed beside Pillow, on photos.
 *
 *   bench_encode [--iters N] [--no-pillow] [DIR]
 *
 * bench/bench_encode.py prep writes the photos (skimage's astronaut and coffee, and 1-1.2 MP
 * bicubic upscales) as PPM into DIR (default $FSIFT_BUILD_DIR/bench_work/encode). Rows: PNG
 * at levels 1, 6, 9 (MB/s of raw RGB input) and JPEG at quality 95 and 75 (MP/s). Each row
 * alternates facesift and Pillow twice (facesift, Pillow, facesift, Pillow; median of N
 * each after warm-up, the better median per engine kept) so both see the same machine noise,
 * and prints one JSON line with both times, rates, output sizes and the speed-up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/facesift.h"

static int read_ppm(const char *path, fsift_image *im) {
    FILE *f = fopen(path, "rb");
    char m[3] = {0};
    int w, h, mx;
    if (!f || fscanf(f, "%2s %d %d %d", m, &w, &h, &mx) != 4 || strcmp(m, "P6") || mx != 255 ||
        fgetc(f) == EOF || fsift_image_new(w, h, 3, im)) {
        if (f) fclose(f);
        return 0;
    }
    size_t n = im->stride * (size_t)h;
    int ok = fread(im->data, 1, n, f) == n;
    fclose(f);
    return ok;
}

/* Median ms of iters encodes after 2 warm-ups; *bytes gets the output size. */
static double ours(const fsift_image *im, int png, int param, int iters, size_t *bytes) {
    double *t = calloc((size_t)iters, sizeof *t);
    for (int i = -2; i < iters; i++) {
        void *buf = NULL;
        double t0 = fsift_now_ms();
        fsift_status st = png ? fsift_png_encode(im, param, &buf, bytes) : fsift_jpeg_encode(im, param, &buf, bytes);
        double dt = fsift_now_ms() - t0;
        free(buf);
        if (st) {
            fprintf(stderr, "bench_encode: %s\n", fsift_last_error());
            exit(1);
        }
        if (i >= 0) t[i] = dt;
    }
    fsift_sort_doubles(t, (size_t)iters);
    double med = t[iters / 2];
    free(t);
    return med;
}

static double pillow(const char *path, int png, int param, int iters, size_t *bytes) {
    const char *src = getenv("FSIFT_SOURCE_DIR");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/bench/bench_encode.py %s %d '%s' %d",
             src ? src : ".", png ? "png" : "jpeg", param, path, iters);
    FILE *p = popen(cmd, "r");
    double med = -1, mn;
    unsigned long n = 0;
    if (p) {
        if (fscanf(p, "%lf %lf %lu", &med, &mn, &n) != 3) med = -1;
        pclose(p);
    }
    *bytes = (size_t)n;
    return med;
}

int main(int argc, char **argv) {
    int iters = 15, use_pillow = 1;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-pillow")) use_pillow = 0;
        else if (argv[i][0] != '-') dir = argv[i];
        else {
            fprintf(stderr, "usage: bench_encode [--iters N] [--no-pillow] [DIR]\n");
            return 2;
        }
    }
    if (iters < 1) iters = 1;
    char defdir[1024], cmd[2048], path[1024];
    if (!dir) {
        const char *b = getenv("FSIFT_BUILD_DIR");
        snprintf(defdir, sizeof defdir, "%s/bench_work/encode", b ? b : ".");
        dir = defdir;
    }
    const char *src = getenv("FSIFT_SOURCE_DIR");
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/bench/bench_encode.py prep '%s'", src ? src : ".", dir);
    FILE *list = popen(cmd, "r");
    if (!list) return 1;
    const char *cpu = fsift_cpu_model();
    while (fgets(path, sizeof path, list)) {
        path[strcspn(path, "\n")] = 0;
        fsift_image im;
        if (!read_ppm(path, &im)) {
            fprintf(stderr, "bench_encode: cannot read %s\n", path);
            continue;
        }
        const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        double mb = (double)im.width * im.height * 3 / 1e6, mp = (double)im.width * im.height / 1e6;
        static const int png_levels[] = {1, 6, 9}, jpeg_q[] = {95, 75};
        for (int r = 0; r < 5; r++) {
            int png = r < 3, param = png ? png_levels[r] : jpeg_q[r - 3];
            double f = 1e30, p = 1e30;
            size_t fb = 0, pb = 0;
            for (int turn = 0; turn < 2; turn++) {
                double t = ours(&im, png, param, iters, &fb);
                if (t < f) f = t;
                if (use_pillow) {
                    t = pillow(path, png, param, iters, &pb);
                    if (t > 0 && t < p) p = t;
                }
            }
            double work = png ? mb : mp;
            const char *unit = png ? "mb_s" : "mp_s";
            printf("{\"bench\":\"%s_encode\",\"image\":\"%s\",\"%s\":%d,\"facesift_ms\":%.3f,"
                   "\"facesift_%s\":%.1f,\"facesift_bytes\":%zu",
                   png ? "png" : "jpeg", name, png ? "level" : "quality", param, f, unit,
                   work / (f / 1e3), fb);
            if (use_pillow && p < 1e30)
                printf(",\"pillow_ms\":%.3f,\"pillow_%s\":%.1f,\"pillow_bytes\":%zu,\"speedup\":%.2f",
                       p, unit, work / (p / 1e3), pb, p / f);
            printf(",\"iters\":%d,\"cpu\":\"%s\"}\n", iters, cpu);
            fflush(stdout);
        }
        fsift_image_free(&im);
    }
    pclose(list);
    return 0;
}
