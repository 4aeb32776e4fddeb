/*
 * cmd_image.c — `facesift image decode IN -o OUT.png [--scale 1|2|4|8] [--no-orient]
 * [--allow-truncated]`: decodes any supported image (format sniffed from the bytes) to RGB
 * with EXIF orientation applied, prints the format, stored size, orientation and output size
 * on one line, and writes OUT as PNG (fsift_png_encode, level 6) — or as binary PPM when OUT
 * ends in ".ppm" (exact bytes, handy for oracles). `-o -` is not supported: outputs are files,
 * written atomically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void image_usage(FILE *f) {
    fprintf(f,
            "usage: facesift image decode IN -o OUT.png [--scale 1|2|4|8] [--no-orient]\n"
            "                             [--allow-truncated]\n\n"
            "Decodes a JPEG, PNG, WebP, GIF or BMP file (format from its bytes) to RGB with\n"
            "EXIF orientation applied and alpha composited onto white, and writes OUT as PNG\n"
            "(or binary PPM if OUT ends in .ppm).\n"
            "  --scale N          JPEG only: decode at 1/N in the DCT domain (sizes rounded up)\n"
            "  --no-orient        keep the stored frame (ignore EXIF orientation)\n"
            "  --allow-truncated  return the decodable part of a truncated file\n");
}

static int ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

static int write_ppm(const char *path, const fsift_image *img) {
    char hdr[64];
    int hl = snprintf(hdr, sizeof hdr, "P6\n%d %d\n255\n", img->width, img->height);
    size_t row = (size_t)img->width * 3, n = (size_t)hl + row * (size_t)img->height;
    uint8_t *buf = malloc(n);
    if (!buf) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    memcpy(buf, hdr, (size_t)hl);
    for (int y = 0; y < img->height; y++)
        memcpy(buf + hl + row * (size_t)y, img->data + img->stride * (size_t)y, row);
    fsift_status st = fsift_file_write_atomic(path, buf, n);
    free(buf);
    return st;
}

static int image_decode(int argc, char **argv) {
    const char *in = NULL, *outp = NULL;
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            image_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            outp = argv[++i];
        } else if (!strcmp(a, "--scale") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || (v != 1 && v != 2 && v != 4 && v != 8)) {
                fprintf(stderr, "facesift image decode: --scale must be 1, 2, 4 or 8\n");
                return CLI_USAGE;
            }
            o.scale_denom = (int)v;
        } else if (!strcmp(a, "--no-orient")) {
            o.apply_orientation = 0;
        } else if (!strcmp(a, "--allow-truncated")) {
            o.allow_truncated = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "facesift image decode: unknown option '%s'\n", a);
            image_usage(stderr);
            return CLI_USAGE;
        } else if (!in) {
            in = a;
        } else {
            fprintf(stderr, "facesift image decode: one input only\n");
            return CLI_USAGE;
        }
    }
    if (!in || !outp) {
        image_usage(stderr);
        return CLI_USAGE;
    }
    void *data = NULL;
    size_t size = 0;
    if (fsift_file_read(in, o.max_file_bytes, &data, &size)) return cli_fail(in);
    fsift_image img;
    fsift_image_info info;
    fsift_status st = fsift_image_decode(data, size, &o, &img, &info);
    free(data);
    if (st) return cli_fail(in);
    printf("%s: %s %dx%d orientation %d -> %dx%d%s\n", in, fsift_image_format_name(info.format),
           info.width, info.height, info.orientation, img.width, img.height,
           info.scale_denom > 1 ? (info.scale_denom == 2   ? " (scale 1/2)"
                                   : info.scale_denom == 4 ? " (scale 1/4)"
                                                           : " (scale 1/8)")
                                : "");
    if (ends_with(outp, ".ppm")) {
        st = write_ppm(outp, &img);
    } else {
        void *png = NULL;
        size_t n = 0;
        st = fsift_png_encode(&img, 6, &png, &n);
        if (!st) st = fsift_file_write_atomic(outp, png, n);
        free(png);
    }
    fsift_image_free(&img);
    if (st) return cli_fail(outp);
    return CLI_OK;
}

int cmd_image(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        image_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "decode")) return image_decode(argc - 1, argv + 1);
    fprintf(stderr, "facesift image: unknown subcommand '%s'\n", argv[1]);
    image_usage(stderr);
    return CLI_USAGE;
}
