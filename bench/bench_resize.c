/*
 * bench_resize.c — resize throughput (source megapixels per second) of fsift_image_resize on
 * the pipeline's shapes: a LAION-sized photo down to the detector's 640 box, to CLIP's 224,
 * a face crop up, and a strong shrink. Pillow's numbers for the same rows come from
 * bench/bench_resize.py; bench_resize --pillow runs it beside facesift in one process tree
 * (alternating turns) so both see the same machine noise.
 *
 *   bench_resize [--iters N] [--isa generic|avx2] [--pillow]
 *
 * The source image is the deterministic pattern that bench_resize.py builds (smooth gradients
 * plus texture), identical on both sides. Each row warms up, times N runs and prints the
 * median and minimum in ms and the MP/s at the median.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/facesift.h"

typedef struct row {
    const char *name;
    int sw, sh, dw, dh, filter, channels;
} row;

static const row rows[] = {
    {"1920x1280 -> 640x427 bilinear", 1920, 1280, 640, 427, FSIFT_RESIZE_BILINEAR, 3},
    {"1920x1280 -> 640x427 bicubic", 1920, 1280, 640, 427, FSIFT_RESIZE_BICUBIC, 3},
    {"1024x768 -> 224x168 bicubic", 1024, 768, 224, 168, FSIFT_RESIZE_BICUBIC, 3},
    {"1024x768 -> 298x224 box", 1024, 768, 298, 224, FSIFT_RESIZE_BOX, 3},
    {"512x512 -> 224x224 bicubic", 512, 512, 224, 224, FSIFT_RESIZE_BICUBIC, 3},
    {"256x256 -> 512x512 bilinear", 256, 256, 512, 512, FSIFT_RESIZE_BILINEAR, 3},
    {"1920x1280 -> 640x427 bilinear gray", 1920, 1280, 640, 427, FSIFT_RESIZE_BILINEAR, 1},
    {"1920x1280 -> 960x640 nearest", 1920, 1280, 960, 640, FSIFT_RESIZE_NEAREST, 3},
};

static void pattern(fsift_image *img) {
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++)
            for (int c = 0; c < img->channels; c++)
                img->data[(size_t)y * img->stride + (size_t)x * img->channels + c] =
                    (uint8_t)((x * 7 + y * 13 + c * 50 + (x * y) % 31) & 255);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int iters = 30, pillow = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--isa") && i + 1 < argc) setenv("FSIFT_CPU", argv[++i], 1);
        else if (!strcmp(argv[i], "--pillow")) pillow = 1;
        else {
            fprintf(stderr, "usage: bench_resize [--iters N] [--isa generic|avx2] [--pillow]\n");
            return 2;
        }
    }
    if (iters < 1) iters = 1;
    printf("resize, 1 thread, %s (%s), median of %d\n", fsift_cpu_model(), fsift_cpu_level(), iters);
    printf("| case | facesift ms (min) | facesift MP/s |%s\n", pillow ? " Pillow ms (min) | Pillow MP/s | speed-up |" : "");
    printf("|---|---|---|%s\n", pillow ? "---|---|---|" : "");
    double *t = malloc((size_t)iters * sizeof(double));
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        const row *w = &rows[r];
        fsift_image src, out;
        if (fsift_image_new(w->sw, w->sh, w->channels, &src)) return 1;
        pattern(&src);
        for (int i = 0; i < 3; i++) {
            if (fsift_image_resize(&src, w->dw, w->dh, (fsift_resize_filter)w->filter, &out)) return 1;
            fsift_image_free(&out);
        }
        for (int i = 0; i < iters; i++) {
            double t0 = fsift_now_ms();
            fsift_image_resize(&src, w->dw, w->dh, (fsift_resize_filter)w->filter, &out);
            t[i] = fsift_now_ms() - t0;
            fsift_image_free(&out);
        }
        qsort(t, (size_t)iters, sizeof *t, cmp);
        double med = t[iters / 2], mp = (double)w->sw * w->sh / 1e6;
        printf("| %s | %.3f (%.3f) | %.0f |", w->name, med, t[0], mp / (med / 1e3));
        if (pillow) {
            char cmd[512];
            const char *srcdir = getenv("FSIFT_SOURCE_DIR");
            snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/bench/bench_resize.py %d %d %d %d %d %d %d",
                     srcdir ? srcdir : ".", w->sw, w->sh, w->dw, w->dh, w->filter, w->channels, iters);
            FILE *p = popen(cmd, "r");
            double pmed = 0, pmin = 0;
            if (p && fscanf(p, "%lf %lf", &pmed, &pmin) == 2)
                printf(" %.3f (%.3f) | %.0f | %.2fx |", pmed, pmin, mp / (pmed / 1e3), pmed / med);
            else
                printf(" n/a | n/a | n/a |");
            if (p) pclose(p);
        }
        printf("\n");
        fflush(stdout);
        fsift_image_free(&src);
    }
    free(t);
    return 0;
}
