/*
 * test_encode.c — fsift_png_encode and fsift_jpeg_encode.
 *
 * PNG files are checked by an independent reader written here on zlib: chunk layout, every
 * CRC recomputed with zlib's crc32, IHDR fields, the IDAT stream inflated and unfiltered by
 * straightforward reference code (all five filter types), pixels compared exactly; and again
 * through fsift_image_decode (spng). Every level 0..9, 1×1 and odd sizes, gray and RGB,
 * padded strides, noise and smooth content. JPEG files are decoded with libjpeg: baseline
 * SOF0, 4:2:0 (or one gray component), PSNR against the source above a bound per quality,
 * size increasing with quality. Both: deterministic bytes, invalid arguments, over-limit
 * sizes rejected before touching the pixels.
 *
 * The executable is also a tool for tests/script_encode_oracle.sh (Pillow as the oracle):
 *   test_encode --encode png|jpeg LEVEL_OR_QUALITY IN.ppm|IN.pgm OUT [REPEAT]
 * encodes a binary PPM/PGM and writes the file, printing the best time of REPEAT encodes
 * in ms on stdout.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <zlib.h>

#include "facesift/image.h"
#include "harness.h"

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t rng_state = 12345;
static uint32_t rng(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* An image with padding bytes (stride - w·c) set to 0xEE; kind 0 = noise, 1 = ramps that
 * wrap (PNG filters' playground), 2 = smooth colour waves with mild noise (photo-like). */
static fsift_image make_image(int w, int h, int c, size_t pad, int kind) {
    fsift_image im = {w, h, c, (size_t)w * (size_t)c + pad, NULL};
    im.data = malloc(im.stride * (size_t)h);
    memset(im.data, 0xEE, im.stride * (size_t)h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w * c; x++) {
            int px = x / c, k = x % c, v;
            if (kind == 2)
                v = (int)(128 + 70 * sin(px * 0.09 + k) * cos(y * 0.07 - k) + (int)(rng() % 5));
            else
                v = kind ? (x * 3 + y * 2 + k * 40) % 256 + (int)(rng() % 5) : (int)(rng() & 255);
            im.data[(size_t)y * im.stride + (size_t)x] = (uint8_t)(v > 255 ? 255 : v);
        }
    return im;
}

static int paeth(int a, int b, int c) {
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Our own PNG reader (8-bit gray/RGB, no interlace): 1 when the file is valid and its pixels
 * equal im's. */
static int png_check(const uint8_t *p, size_t n, const fsift_image *im) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n < 8 + 25 + 12 || memcmp(p, sig, 8)) return 0;
    size_t pos = 8, zcap = 0, zlen = 0;
    uint8_t *z = NULL;
    int seen_ihdr = 0, seen_iend = 0, ok = 1;
    while (ok && pos + 12 <= n && !seen_iend) {
        uint32_t len = rd32(p + pos);
        if (len > n - pos - 12) { ok = 0; break; }
        const uint8_t *type = p + pos + 4, *data = p + pos + 8;
        uint32_t crc = (uint32_t)crc32(0, type, len + 4);
        if (crc != rd32(data + len)) { fprintf(stderr, "bad CRC at %zu\n", pos); ok = 0; break; }
        if (!memcmp(type, "IHDR", 4)) {
            ok = !seen_ihdr && pos == 8 && len == 13 && rd32(data) == (uint32_t)im->width &&
                 rd32(data + 4) == (uint32_t)im->height && data[8] == 8 &&
                 data[9] == (im->channels == 3 ? 2 : 0) && !data[10] && !data[11] && !data[12];
            seen_ihdr = 1;
        } else if (!memcmp(type, "IDAT", 4)) {
            if (zlen + len > zcap) {
                zcap = (zlen + len) * 2;
                z = realloc(z, zcap);
            }
            memcpy(z + zlen, data, len);
            zlen += len;
        } else if (!memcmp(type, "IEND", 4)) {
            seen_iend = 1;
            ok = len == 0 && pos + 12 == n;
        } else {
            ok = 0;
        }
        pos += 12 + len;
    }
    ok = ok && seen_ihdr && seen_iend && zlen > 0;
    size_t rowb = (size_t)im->width * (size_t)im->channels, raw_len = (rowb + 1) * (size_t)im->height;
    uint8_t *raw = malloc(raw_len + 1), *pix = calloc(rowb * (size_t)im->height + 1, 1);
    if (ok) {
        uLongf out_len = (uLongf)raw_len + 1;
        ok = uncompress(raw, &out_len, z, (uLong)zlen) == Z_OK && out_len == raw_len;
    }
    int bpp = im->channels;
    for (int y = 0; ok && y < im->height; y++) {
        const uint8_t *f = raw + (size_t)y * (rowb + 1);
        uint8_t *row = pix + (size_t)y * rowb, *up = y ? row - rowb : NULL;
        if (f[0] > 4) { ok = 0; break; }
        for (size_t i = 0; i < rowb; i++) {
            int a = i >= (size_t)bpp ? row[i - (size_t)bpp] : 0, b = up ? up[i] : 0;
            int c = up && i >= (size_t)bpp ? up[i - (size_t)bpp] : 0, pred = 0;
            switch (f[0]) {
            case 1: pred = a; break;
            case 2: pred = b; break;
            case 3: pred = (a + b) / 2; break;
            case 4: pred = paeth(a, b, c); break;
            default: break;
            }
            row[i] = (uint8_t)(f[1 + i] + pred);
        }
        if (memcmp(row, im->data + (size_t)y * im->stride, rowb)) ok = 0;
    }
    free(z);
    free(raw);
    free(pix);
    return ok;
}

/* Decodes with fsift_image_decode and compares to im (gray is expanded to RGB). */
static int decode_equal(const void *buf, size_t n, const fsift_image *im) {
    fsift_image d = {0};
    if (fsift_image_decode(buf, n, NULL, &d, NULL) || d.width != im->width || d.height != im->height) {
        fsift_image_free(&d);
        return 0;
    }
    int ok = 1;
    for (int y = 0; ok && y < im->height; y++)
        for (int x = 0; ok && x < im->width; x++)
            for (int k = 0; k < 3; k++) {
                uint8_t want = im->data[(size_t)y * im->stride + (size_t)x * (size_t)im->channels +
                                        (im->channels == 3 ? (size_t)k : 0)];
                if (d.data[(size_t)y * d.stride + (size_t)x * 3 + (size_t)k] != want) { ok = 0; break; }
            }
    fsift_image_free(&d);
    return ok;
}

static void test_png_round_trip(void) {
    static const int sizes[][2] = {{1, 1}, {2, 1}, {1, 7}, {7, 5}, {33, 17}, {100, 1}, {1, 100}, {64, 64}, {129, 31}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int c = 1; c <= 3; c += 2)
            for (int kind = 0; kind < 2; kind++)
                for (size_t pad = 0; pad <= 5; pad += 5) {
                    fsift_image im = make_image(sizes[s][0], sizes[s][1], c, pad, kind);
                    for (int level = 0; level <= 9; level++) {
                        void *buf = NULL, *buf2 = NULL;
                        size_t n = 0, n2 = 0;
                        CHECK_OK(fsift_png_encode(&im, level, &buf, &n));
                        CHECK_MSG(buf && png_check(buf, n, &im), "%dx%dx%d pad %zu level %d",
                                  im.width, im.height, c, pad, level);
                        CHECK_MSG(buf && decode_equal(buf, n, &im), "decode %dx%dx%d level %d",
                                  im.width, im.height, c, level);
                        CHECK_OK(fsift_png_encode(&im, level, &buf2, &n2));
                        CHECK(n == n2 && buf && buf2 && !memcmp(buf, buf2, n));
                        free(buf);
                        free(buf2);
                    }
                    free(im.data);
                }
}

/* Big enough for several IDAT chunks at level 0 (1 MiB each). */
static void test_png_many_chunks(void) {
    fsift_image im = make_image(1000, 800, 3, 0, 0);
    void *buf = NULL;
    size_t n = 0;
    CHECK_OK(fsift_png_encode(&im, 0, &buf, &n));
    CHECK(n > 2400000);
    CHECK(buf && png_check(buf, n, &im));
    free(buf);
    CHECK_OK(fsift_png_encode(&im, 6, &buf, &n));
    CHECK(buf && png_check(buf, n, &im));
    free(buf);
    free(im.data);
}

static void test_png_levels_shrink(void) {
    fsift_image im = make_image(300, 200, 3, 0, 1);
    size_t n0 = 0, n1 = 0, n9 = 0;
    void *b;
    CHECK_OK(fsift_png_encode(&im, 0, &b, &n0)); free(b);
    CHECK_OK(fsift_png_encode(&im, 1, &b, &n1)); free(b);
    CHECK_OK(fsift_png_encode(&im, 9, &b, &n9)); free(b);
    CHECK(n0 > 300 * 200 * 3 && n1 < n0 / 2 && n9 <= n1);
    free(im.data);
}

typedef fsift_status (*encode_fn)(const fsift_image *, int, void **, size_t *);

static void check_invalid(encode_fn fn, int good, int bad_lo, int bad_hi) {
    uint8_t px[3 * 4] = {0};
    fsift_image im = {2, 2, 3, 6, px};
    void *buf = (void *)1;
    size_t n = 99;
    CHECK(fn(NULL, good, &buf, &n) == FSIFT_E_INVALID_ARG);
    CHECK(buf == NULL && n == 0);
    CHECK(fn(&im, good, NULL, &n) == FSIFT_E_INVALID_ARG);
    CHECK(fn(&im, good, &buf, NULL) == FSIFT_E_INVALID_ARG);
    CHECK(fn(&im, bad_lo, &buf, &n) == FSIFT_E_INVALID_ARG);
    CHECK(fn(&im, bad_hi, &buf, &n) == FSIFT_E_INVALID_ARG);
    fsift_image e = im;
    e.width = 0, e.height = 0;
    CHECK(fn(&e, good, &buf, &n) == FSIFT_E_INVALID_ARG);
    e = im, e.height = -1;
    CHECK(fn(&e, good, &buf, &n) == FSIFT_E_INVALID_ARG);
    e = im, e.data = NULL;
    CHECK(fn(&e, good, &buf, &n) == FSIFT_E_INVALID_ARG);
    e = im, e.channels = 4;
    CHECK(fn(&e, good, &buf, &n) == FSIFT_E_INVALID_ARG);
    e = im, e.stride = 5;
    CHECK(fn(&e, good, &buf, &n) == FSIFT_E_INVALID_ARG);
    CHECK(strlen(fsift_last_error()) > 0);
    /* Huge headers over a 12-byte buffer: rejected before any pixel is read or memory taken. */
    e = im, e.width = 65535, e.height = 65535, e.stride = 65535 * 3;
    CHECK(fn(&e, good, &buf, &n) == FSIFT_E_LIMIT);
    e = im, e.width = 20000, e.height = 20000, e.stride = 60000;
    CHECK(fn(&e, good, &buf, &n) == FSIFT_E_LIMIT);
    e = im, e.width = 2000000000, e.height = 1, e.stride = (size_t)6000000000u;
    CHECK(fn(&e, good, &buf, &n) == FSIFT_E_LIMIT);
    CHECK(buf == NULL);
    CHECK_OK(fn(&im, good, &buf, &n));
    free(buf);
}

static void test_invalid(void) {
    check_invalid(fsift_png_encode, 6, -1, 10);
    check_invalid(fsift_jpeg_encode, 75, 0, 101);
}

/* ---- JPEG ---------------------------------------------------------------------------- */

typedef struct jdec {
    int w, h, comps, baseline, hs[3], vs[3];
    uint8_t *pix;
} jdec;

static int jpeg_read(const void *buf, size_t n, jdec *out) {
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr e;
    d.err = jpeg_std_error(&e); /* our own files: libjpeg errors would exit the test */
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, buf, (unsigned long)n);
    jpeg_read_header(&d, TRUE);
    out->w = (int)d.image_width, out->h = (int)d.image_height, out->comps = d.num_components;
    out->baseline = !d.progressive_mode && d.data_precision == 8 && !d.arith_code;
    for (int k = 0; k < d.num_components && k < 3; k++)
        out->hs[k] = d.comp_info[k].h_samp_factor, out->vs[k] = d.comp_info[k].v_samp_factor;
    d.dct_method = JDCT_ISLOW;
    jpeg_start_decompress(&d);
    size_t rowb = (size_t)d.output_width * (size_t)d.output_components;
    out->pix = malloc(rowb * d.output_height);
    while (d.output_scanline < d.output_height) {
        JSAMPROW r = out->pix + rowb * d.output_scanline;
        jpeg_read_scanlines(&d, &r, 1);
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    return 1;
}

static double psnr(const fsift_image *im, const uint8_t *pix) {
    double se = 0;
    size_t rowb = (size_t)im->width * (size_t)im->channels;
    for (int y = 0; y < im->height; y++)
        for (size_t i = 0; i < rowb; i++) {
            double d = (double)im->data[(size_t)y * im->stride + i] - pix[(size_t)y * rowb + i];
            se += d * d;
        }
    double mse = se / ((double)rowb * im->height);
    return mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : 99;
}

static void test_jpeg(void) {
    static const int qs[] = {10, 30, 50, 75, 90, 95, 100};
    static const double min_psnr[] = {27, 33, 35, 38, 40, 41, 43}; /* measured - 1..2 dB */
    for (int c = 1; c <= 3; c += 2) {
        fsift_image im = make_image(97, 61, c, 7, 2); /* odd size, padded stride */
        size_t last = 0;
        for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
            void *buf = NULL, *buf2 = NULL;
            size_t n = 0, n2 = 0;
            CHECK_OK(fsift_jpeg_encode(&im, qs[k], &buf, &n));
            CHECK_OK(fsift_jpeg_encode(&im, qs[k], &buf2, &n2));
            CHECK(n == n2 && buf && buf2 && !memcmp(buf, buf2, n));
            CHECK_MSG(n > last, "q %d: %zu bytes, q below: %zu", qs[k], n, last);
            last = n;
            jdec d = {0};
            if (buf && jpeg_read(buf, n, &d)) {
                CHECK(d.w == im.width && d.h == im.height && d.comps == c && d.baseline);
                if (c == 3)
                    CHECK(d.hs[0] == 2 && d.vs[0] == 2 && d.hs[1] == 1 && d.vs[1] == 1 &&
                          d.hs[2] == 1 && d.vs[2] == 1);
                double p = psnr(&im, d.pix);
                CHECK_MSG(p >= min_psnr[k], "channels %d q %d: PSNR %.2f < %.0f", c, qs[k], p, min_psnr[k]);
                free(d.pix);
            }
            free(buf);
            free(buf2);
        }
        free(im.data);
    }
    /* 1×1 and 1×N */
    for (int s = 0; s < 3; s++) {
        fsift_image im = make_image(s == 1 ? 17 : 1, s == 2 ? 17 : 1, 3, 0, 0);
        void *buf = NULL;
        size_t n = 0;
        CHECK_OK(fsift_jpeg_encode(&im, 95, &buf, &n));
        jdec d = {0};
        if (buf && jpeg_read(buf, n, &d)) {
            CHECK(d.w == im.width && d.h == im.height);
            free(d.pix);
        }
        free(buf);
        free(im.data);
    }
}

/* ---- tool mode for the oracle script -------------------------------------------------- */

static int read_pnm(const char *path, fsift_image *im) {
    FILE *f = fopen(path, "rb");
    char m[3] = {0};
    int w, h, mx;
    if (!f || fscanf(f, "%2s %d %d %d", m, &w, &h, &mx) != 4 || (m[1] != '5' && m[1] != '6') ||
        mx != 255 || fgetc(f) == EOF || fsift_image_new(w, h, m[1] == '6' ? 3 : 1, im)) {
        if (f) fclose(f);
        return 0;
    }
    size_t n = im->stride * (size_t)h;
    int ok = fread(im->data, 1, n, f) == n;
    fclose(f);
    return ok;
}

static int tool(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: test_encode --encode png|jpeg LEVEL IN.ppm OUT [REPEAT]\n");
        return 2;
    }
    int png = !strcmp(argv[2], "png"), param = atoi(argv[3]), rep = argc > 6 ? atoi(argv[6]) : 1;
    fsift_image im;
    if (!read_pnm(argv[4], &im)) {
        fprintf(stderr, "cannot read %s\n", argv[4]);
        return 1;
    }
    void *buf = NULL;
    size_t n = 0;
    double best = 1e30;
    for (int r = 0; r < (rep > 0 ? rep : 1); r++) {
        free(buf);
        double t0 = fsift_now_ms();
        fsift_status st = png ? fsift_png_encode(&im, param, &buf, &n) : fsift_jpeg_encode(&im, param, &buf, &n);
        double t = fsift_now_ms() - t0;
        if (st) {
            fprintf(stderr, "encode: %s\n", fsift_last_error());
            return 1;
        }
        if (t < best) best = t;
    }
    int rc = fsift_file_write_atomic(argv[5], buf, n) ? 1 : 0;
    printf("%.3f\n", best);
    free(buf);
    fsift_image_free(&im);
    return rc;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "--encode")) return tool(argc, argv);
    RUN(test_png_round_trip);
    RUN(test_png_many_chunks);
    RUN(test_png_levels_shrink);
    RUN(test_invalid);
    RUN(test_jpeg);
    return test_summary();
}
