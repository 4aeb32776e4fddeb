/*
 * cmd_kps.c — `facesift kps IMAGE --kps 'x1,y1,…,x5,y5' -o OUT.png`: InstantID's control
 * image for five landmarks (left eye, right eye, nose, left and right mouth corner; pixels
 * of IMAGE after EXIF orientation). IMAGE is read only for its size: the header is probed
 * (no pixels decoded) and width/height are swapped for EXIF orientations 5–8, so the control
 * image has the size of the image as Pillow's exif_transpose shows it. The drawing is
 * fsift_draw_kps; OUT is written as PNG (level 6), atomically.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void kps_usage(FILE *f) {
    fprintf(f,
            "usage: facesift kps IMAGE --kps 'x1,y1,x2,y2,x3,y3,x4,y4,x5,y5' -o OUT.png\n\n"
            "Draws InstantID's landmark control image (black, the size of IMAGE after EXIF\n"
            "orientation) for 5 landmarks in insightface order: left eye, right eye, nose,\n"
            "left mouth corner, right mouth corner. Coordinates are pixels of IMAGE.\n");
}

/* Parses exactly 10 comma-separated finite numbers. */
static int parse_kps(const char *s, float kps[5][2]) {
    const char *p = s;
    for (int i = 0; i < 10; i++) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !(v > -1e9 && v < 1e9)) return -1;
        kps[i / 2][i % 2] = (float)v;
        p = end;
        while (*p == ' ') p++;
        if (i < 9) {
            if (*p != ',') return -1;
            p++;
        }
    }
    return *p ? -1 : 0;
}

int cmd_kps(int argc, char **argv) {
    const char *in = NULL, *outp = NULL, *kps_arg = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            kps_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            outp = argv[++i];
        } else if (!strcmp(a, "--kps") && i + 1 < argc) {
            kps_arg = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "facesift kps: unknown option '%s'\n", a);
            kps_usage(stderr);
            return CLI_USAGE;
        } else if (!in) {
            in = a;
        } else {
            fprintf(stderr, "facesift kps: one image only\n");
            return CLI_USAGE;
        }
    }
    if (!in || !outp || !kps_arg) {
        kps_usage(stderr);
        return CLI_USAGE;
    }
    float kps[5][2];
    if (parse_kps(kps_arg, kps)) {
        fprintf(stderr, "facesift kps: --kps needs 10 comma-separated numbers (x1,y1,...,x5,y5), got '%s'\n", kps_arg);
        return CLI_USAGE;
    }
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    void *data = NULL;
    size_t size = 0;
    if (fsift_file_read(in, o.max_file_bytes, &data, &size)) return cli_fail(in);
    fsift_image_info info;
    fsift_status st = fsift_image_probe(data, size, &o, &info);
    free(data);
    if (st) return cli_fail(in);
    int w = info.width, h = info.height;
    if (info.orientation >= 5 && info.orientation <= 8) {
        w = info.height;
        h = info.width;
    }
    fsift_image img;
    if (fsift_draw_kps(w, h, (const float(*)[2])kps, &img)) return cli_fail("draw_kps");
    void *png = NULL;
    size_t png_size = 0;
    st = fsift_png_encode(&img, 6, &png, &png_size);
    fsift_image_free(&img);
    if (st) return cli_fail("png encode");
    st = fsift_file_write_atomic(outp, png, png_size);
    free(png);
    if (st) return cli_fail(outp);
    return CLI_OK;
}
