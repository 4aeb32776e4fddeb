/*
 * decode_png.c — PNG decoding with libspng. Every colour type and bit depth (1/2/4/8/16-bit
 * gray, gray+alpha, RGB, RGBA, palette with or without tRNS, Adam7 interlacing) is decoded by
 * spng to RGB8 or, when the image has alpha (an alpha channel or a tRNS chunk), to RGBA8
 * with tRNS applied, then composited onto white with Pillow's alpha_composite arithmetic
 * (img_over_white; equal to (c·a + 255·(255−a) + 127) / 255 for every c, a — see
 * tests/test_decode.c).
 *
 * 16-bit samples become 8-bit by taking the high byte (spng's conversion), which is what
 * Pillow's "RGB;16B"/"RGBA;16B"/"LA;16B" unpackers do. One deliberate difference: Pillow
 * opens 16-bit grayscale as mode "I" and its convert('RGB') clips values above 255 (so such
 * images come out almost white); facesift takes the high byte there too.
 *
 * Limits: the IHDR size is checked (img_check_size) before any pixel memory exists; spng's
 * own limits are set too (spng_set_image_limits to max_dim, spng_set_chunk_limits to the file
 * size so no chunk or cache can exceed the input). A decompression bomb therefore costs at
 * most the (limited) output image; extra zlib data past the last row is never inflated.
 *
 * Common files (non-interlaced 8-bit gray, gray+alpha, RGB, RGBA, palette) take the fast
 * path of png_fast.c (libdeflate + SIMD defiltering, the same pixels); it declines anything
 * else, including every corrupt or truncated file, and libspng then decodes it as below.
 *
 * Rows are decoded progressively (spng_decode_row) straight into the output rows (RGB) or
 * into an RGBA buffer (alpha); a failure after some rows is an error unless allow_truncated,
 * which keeps the rows decoded so far (the rest stay black, or white for alpha images).
 *
 * Thread-safe: one spng context per call.
 */
#include <stdlib.h>
#include <string.h>

#include <spng.h>

#include "image/image_internal.h"

static fsift_status spng_fail(int rc, const char *what) {
    if (rc == SPNG_EOF)
        return fsift_error(FSIFT_E_FORMAT, "png: truncated file (%s: %s)", what, spng_strerror(rc));
    return fsift_error(FSIFT_E_FORMAT, "png: %s: %s", what, spng_strerror(rc));
}

static fsift_status open_png(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                             spng_ctx **out, struct spng_ihdr *ihdr, fsift_image_info *info) {
    *out = NULL;
    spng_ctx *ctx = spng_ctx_new(0);
    if (!ctx) return fsift_error(FSIFT_E_NOMEM, "png: out of memory");
    uint32_t lim = o->max_dim > 0 ? (uint32_t)o->max_dim : 0x7fffffffu;
    spng_set_image_limits(ctx, lim, lim);
    spng_set_chunk_limits(ctx, size, size);
    int rc = spng_set_png_buffer(ctx, data, size);
    if (!rc) rc = spng_get_ihdr(ctx, ihdr);
    if (rc) {
        spng_ctx_free(ctx);
        {
            /* Re-read IHDR's size ourselves for a precise message (0×0 vs too large). */
            if (size >= 24 && !memcmp(data + 12, "IHDR", 4)) {
                uint32_t w = (uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 |
                             (uint32_t)data[18] << 8 | data[19];
                uint32_t h = (uint32_t)data[20] << 24 | (uint32_t)data[21] << 16 |
                             (uint32_t)data[22] << 8 | data[23];
                fsift_status st = img_check_size(w, h, o, "png");
                if (st) return st;
            }
        }
        return spng_fail(rc, "header");
    }
    struct spng_trns trns;
    info->format = FSIFT_IMG_PNG;
    info->width = (int)ihdr->width;
    info->height = (int)ihdr->height;
    info->has_alpha = ihdr->color_type == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA ||
                      ihdr->color_type == SPNG_COLOR_TYPE_TRUECOLOR_ALPHA ||
                      spng_get_trns(ctx, &trns) == 0;
    info->orientation = img_png_orientation(data, size);
    *out = ctx;
    return FSIFT_OK;
}

fsift_status img_png_probe(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                           fsift_image_info *info) {
    spng_ctx *ctx = NULL;
    struct spng_ihdr ihdr;
    fsift_status st = open_png(data, size, o, &ctx, &ihdr, info);
    spng_ctx_free(ctx);
    return st;
}

/* Decodes rows into a fresh image; *rows_done counts rows written. Returns the spng code
 * (SPNG_EOI on a complete image) in *rcp; the image is kept on partial success. */
static fsift_status run_decode(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                               fsift_image_info *info, int ignore_crc, int fast, fsift_image *img,
                               int *rows_done, int *rcp) {
    memset(img, 0, sizeof *img);
    *rows_done = 0;
    *rcp = SPNG_EINTERNAL;
    spng_ctx *ctx = NULL;
    struct spng_ihdr ihdr;
    fsift_status st = open_png(data, size, o, &ctx, &ihdr, info);
    if (st) return st;
    st = img_check_size(ihdr.width, ihdr.height, o, "png");
    if (st) {
        spng_ctx_free(ctx);
        return st;
    }
    if (ignore_crc) spng_set_crc_action(ctx, SPNG_CRC_USE, SPNG_CRC_USE);
    const int W = (int)ihdr.width, H = (int)ihdr.height;
    if (fast && img_png_fast(ctx, data, size, info->has_alpha, img)) { /* png_fast.c */
        spng_ctx_free(ctx);
        *rows_done = H;
        *rcp = SPNG_EOI;
        return FSIFT_OK;
    }
    st = img_alloc(W, H, 3, img);
    if (st) {
        spng_ctx_free(ctx);
        return st;
    }
    const int alpha = info->has_alpha;
    uint8_t *rgba = NULL;
    size_t row_len = (size_t)W * (alpha ? 4 : 3);
    if (alpha) {
        if ((size_t)H > SIZE_MAX / row_len || !(rgba = calloc((size_t)H, row_len))) {
            spng_ctx_free(ctx);
            fsift_image_free(img);
            return fsift_error(FSIFT_E_NOMEM, "png: out of memory for %dx%d RGBA", W, H);
        }
    }
    uint8_t *base = alpha ? rgba : img->data;
    int fmt = alpha ? SPNG_FMT_RGBA8 : SPNG_FMT_RGB8;
    int rc = spng_decode_image(ctx, NULL, 0, fmt, SPNG_DECODE_TRNS | SPNG_DECODE_PROGRESSIVE);
    while (!rc) {
        struct spng_row_info ri;
        rc = spng_get_row_info(ctx, &ri);
        if (rc) break;
        if (ri.row_num >= (uint32_t)H) {
            rc = SPNG_EINTERNAL;
            break;
        }
        rc = spng_decode_row(ctx, base + (size_t)ri.row_num * row_len, row_len);
        if (!rc || rc == SPNG_EOI) (*rows_done)++;
    }
    spng_ctx_free(ctx);
    *rcp = rc;
    if (alpha) {
        for (int y = 0; y < H; y++)
            img_rgba_over_white(rgba + (size_t)y * row_len, img->data + (size_t)y * img->stride,
                                (size_t)W);
        free(rgba);
    }
    return FSIFT_OK;
}

/* For allow_truncated: a copy of a cut-off PNG whose last (partial) chunk is shortened to
 * the bytes present and followed by IEND, so spng (with CRC checks off) can decode the rows
 * that are there. NULL if nothing useful can be made. */
static uint8_t *repair_truncated(const uint8_t *d, size_t n, size_t *out_n) {
    if (n < 8 || n > SIZE_MAX - 64) return NULL;
    uint8_t *c = malloc(n + 64);
    if (!c) return NULL;
    memcpy(c, d, n);
    size_t i = 8, end = n;
    while (i + 8 <= n) {
        uint32_t len = (uint32_t)d[i] << 24 | (uint32_t)d[i + 1] << 16 | (uint32_t)d[i + 2] << 8 | d[i + 3];
        if (len > n - i - 8 || n - i - 8 - len < 4) { /* this chunk is cut */
            uint32_t have = (uint32_t)(n - i - 8 < len ? n - i - 8 : len);
            c[i] = (uint8_t)(have >> 24), c[i + 1] = (uint8_t)(have >> 16);
            c[i + 2] = (uint8_t)(have >> 8), c[i + 3] = (uint8_t)have;
            end = i + 8 + have;
            memset(c + end, 0, 4); /* CRC (not checked) */
            end += 4;
            break;
        }
        i += 12 + (size_t)len;
        end = i;
    }
    static const uint8_t iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
    memcpy(c + end, iend, 12);
    *out_n = end + 12;
    return c;
}

static fsift_status png_decode(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                               fsift_image *out, fsift_image_info *info, int fast) {
    memset(out, 0, sizeof *out);
    fsift_image img;
    int rows = 0, rc = 0;
    fsift_status st = run_decode(data, size, o, info, 0, fast, &img, &rows, &rc);
    if (st) return st;
    if (rc == SPNG_EOI) {
        *out = img;
        return FSIFT_OK;
    }
    int H = img.height;
    fsift_image_free(&img);
    st = spng_fail(rc, rows ? "image data" : "start of image data");
    if (rows) fsift_error_prefix("after %d of %d rows", rows, H);
    if (!o->allow_truncated) return st;
    size_t rn = 0;
    uint8_t *fixed = repair_truncated(data, size, &rn);
    if (!fixed) return st;
    fsift_image_info info2 = *info;
    fsift_status st2 = run_decode(fixed, rn, o, &info2, 1, 0, &img, &rows, &rc);
    free(fixed);
    if (st2 || rows == 0) {
        fsift_image_free(&img);
        return st2 ? st2 : st;
    }
    *out = img;
    return FSIFT_OK;
}

fsift_status img_png_decode(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                            fsift_image *out, fsift_image_info *info) {
    return png_decode(data, size, o, out, info, 1);
}

fsift_status img_png_decode_spng(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                                 fsift_image *out, fsift_image_info *info) {
    return png_decode(data, size, o, out, info, 0);
}
