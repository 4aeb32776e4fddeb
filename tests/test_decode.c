/*
 * test_decode.c — image decoding: sniffing, orientation maps, Pillow's alpha arithmetic,
 * round trips through libjpeg/libspng/libwebp/giflib encoders and a hand-made BMP, DCT-scaled
 * sizes, and hostile inputs: truncation at many offsets (an error by default, a partial image
 * with allow_truncated), wrong magic, 65535×65535 and 0×0 headers in every format
 * (FSIFT_E_LIMIT / FSIFT_E_FORMAT before any pixel allocation — the peak RSS is checked),
 * PNG decompression bombs (huge IHDR in a tiny file; a small IHDR over a huge zlib stream),
 * a progressive-JPEG scan bomb,
 * huge EXIF blocks, EXIF IFD loops and out-of-range offsets. Pixel equality with Pillow over
 * a generated corpus is tests/script_decode_oracle.sh.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <spng.h>
#include <webp/encode.h>
#include <zlib.h>

#include "facesift/image.h"
#include "harness.h"
#include "image/image_internal.h"

/* ---- buffers and encoders for test inputs -------------------------------------------- */

typedef struct buf {
    uint8_t *p;
    size_t n;
} buf;

static void buf_put(buf *b, const void *d, size_t n) {
    b->p = realloc(b->p, b->n + n);
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static uint8_t *pattern_rgb(int w, int h) {
    uint8_t *p = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * w + x) * 3;
            q[0] = (uint8_t)(x * 255 / (w > 1 ? w - 1 : 1));
            q[1] = (uint8_t)(y * 255 / (h > 1 ? h - 1 : 1));
            q[2] = (uint8_t)((x / 8 + y / 8) % 2 ? 200 : 40);
        }
    return p;
}

static buf make_jpeg(int w, int h, int progressive, int gray, int restart, const uint8_t *app1,
                     size_t app1_len) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *mem = NULL;
    unsigned long len = 0;
    jpeg_mem_dest(&c, &mem, &len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = gray ? 1 : 3;
    c.in_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 90, TRUE);
    if (progressive) jpeg_simple_progression(&c);
    c.restart_in_rows = restart;
    jpeg_start_compress(&c, TRUE);
    if (app1) jpeg_write_marker(&c, JPEG_APP0 + 1, app1, (unsigned)app1_len);
    uint8_t *px = pattern_rgb(w, h);
    uint8_t *row = malloc((size_t)w * 3);
    while (c.next_scanline < c.image_height) {
        uint8_t *src = px + (size_t)c.next_scanline * w * 3;
        if (gray)
            for (int x = 0; x < w; x++) row[x] = src[3 * x + 1];
        JSAMPROW r = gray ? row : src;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(px);
    free(row);
    buf b = {NULL, 0};
    buf_put(&b, mem, len);
    free(mem);
    return b;
}

/* A flat CMYK JPEG (raw libjpeg values c, m, y, k), stored as CMYK or as YCCK. */
static buf make_cmyk_jpeg(int w, int h, const uint8_t cmyk[4], int ycck) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *mem = NULL;
    unsigned long len = 0;
    jpeg_mem_dest(&c, &mem, &len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 4;
    c.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, ycck ? JCS_YCCK : JCS_CMYK);
    jpeg_set_quality(&c, 100, TRUE);
    jpeg_start_compress(&c, TRUE);
    uint8_t *row = malloc((size_t)w * 4);
    for (int x = 0; x < w; x++) memcpy(row + 4 * x, cmyk, 4);
    while (c.next_scanline < c.image_height) jpeg_write_scanlines(&c, &row, 1);
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    buf b = {NULL, 0};
    buf_put(&b, mem, len);
    free(mem);
    return b;
}

static buf make_png(int w, int h, int ctype, int bits, int interlace) {
    spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
    struct spng_ihdr ih = {(uint32_t)w, (uint32_t)h, (uint8_t)bits, (uint8_t)ctype, 0, 0,
                           (uint8_t)interlace};
    spng_set_ihdr(ctx, &ih);
    int ch = ctype == 2 ? 3 : ctype == 6 ? 4 : ctype == 4 ? 2 : 1;
    size_t bpp = (size_t)ch * (bits / 8);
    size_t n = (size_t)w * h * bpp;
    uint8_t *px = malloc(n);
    for (size_t i = 0; i < n; i++) px[i] = (uint8_t)(i * 7 + i / 97);
    spng_encode_image(ctx, px, n, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
    size_t len = 0;
    int err = 0;
    uint8_t *out = spng_get_png_buffer(ctx, &len, &err);
    spng_ctx_free(ctx);
    free(px);
    buf b = {out, len};
    return b;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}
static void put_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

/* A PNG chunk with its CRC. */
static void png_chunk(buf *b, const char *type, const uint8_t *data, uint32_t len) {
    uint8_t h[8];
    put_be32(h, len);
    memcpy(h + 4, type, 4);
    buf_put(b, h, 8);
    if (len) buf_put(b, data, len);
    uint32_t crc = (uint32_t)crc32(crc32(0, (const Bytef *)type, 4), data ? data : (const Bytef *)"", len);
    uint8_t c[4];
    put_be32(c, crc);
    buf_put(b, c, 4);
}

static buf png_with_ihdr(uint32_t w, uint32_t h, const uint8_t *idat, uint32_t idat_len) {
    buf b = {NULL, 0};
    buf_put(&b, "\x89PNG\r\n\x1a\n", 8);
    uint8_t ih[13] = {0};
    put_be32(ih, w);
    put_be32(ih + 4, h);
    ih[8] = 8, ih[9] = 2;
    png_chunk(&b, "IHDR", ih, 13);
    if (idat) png_chunk(&b, "IDAT", idat, idat_len);
    png_chunk(&b, "IEND", NULL, 0);
    return b;
}

static buf make_webp(int w, int h) {
    uint8_t *px = pattern_rgb(w, h), *out = NULL;
    size_t n = WebPEncodeRGB(px, w, h, w * 3, 80, &out);
    free(px);
    buf b = {NULL, 0};
    buf_put(&b, out, n);
    WebPFree(out);
    return b;
}

static int gif_write(GifFileType *g, const GifByteType *d, int n) {
    buf_put(g->UserData, d, (size_t)n);
    return n;
}

static buf make_gif(int w, int h, int interlace, int transparent) {
    buf b = {NULL, 0};
    int err;
    GifFileType *g = EGifOpen(&b, gif_write, &err);
    GifColorType cols[16];
    for (int i = 0; i < 16; i++)
        cols[i].Red = (GifByteType)(i * 16), cols[i].Green = (GifByteType)(255 - i * 16),
        cols[i].Blue = (GifByteType)(i * 5);
    ColorMapObject *cm = GifMakeMapObject(16, cols);
    EGifSetGifVersion(g, true);
    EGifPutScreenDesc(g, w, h, 4, 0, cm);
    if (transparent >= 0) {
        GifByteType gce[4] = {1, 0, 0, (GifByteType)transparent};
        EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, 4, gce);
    }
    EGifPutImageDesc(g, 0, 0, w, h, interlace, NULL);
    GifPixelType *line = malloc((size_t)w);
    /* Interlaced files store rows in pass order; the row's content is a function of its y. */
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    for (int p = 0; p < (interlace ? 4 : 1); p++)
        for (int y = interlace ? start[p] : 0; y < h; y += interlace ? step[p] : 1) {
            for (int x = 0; x < w; x++) line[x] = (GifPixelType)((x + 3 * y) % 16);
            EGifPutLine(g, line, w);
        }
    free(line);
    EGifCloseFile(g, &err);
    GifFreeMapObject(cm);
    return b;
}

static buf make_bmp(int w, int h, int bpp, int top_down) {
    size_t row = ((size_t)w * bpp + 31) / 32 * 4;
    size_t pal = bpp == 8 ? 1024 : 0, off = 14 + 40 + pal, size = off + row * (size_t)h;
    buf b = {calloc(size, 1), size};
    uint8_t *p = b.p;
    p[0] = 'B', p[1] = 'M';
    put_le32(p + 2, (uint32_t)size);
    put_le32(p + 10, (uint32_t)off);
    put_le32(p + 14, 40);
    put_le32(p + 18, (uint32_t)w);
    put_le32(p + 22, (uint32_t)(top_down ? -h : h));
    p[26] = 1;
    p[28] = (uint8_t)bpp;
    for (int i = 0; i < 256 && pal; i++) p[54 + 4 * i] = (uint8_t)i, p[55 + 4 * i] = (uint8_t)(255 - i), p[56 + 4 * i] = 7;
    for (int r = 0; r < h; r++) {
        int y = top_down ? r : h - 1 - r;
        uint8_t *q = p + off + (size_t)r * row;
        for (int x = 0; x < w; x++) {
            if (bpp == 8) q[x] = (uint8_t)(x + y);
            else {
                uint8_t *s = q + (size_t)x * (bpp / 8);
                s[0] = (uint8_t)x, s[1] = (uint8_t)y, s[2] = (uint8_t)(x ^ y); /* B, G, R */
            }
        }
    }
    return b;
}

static fsift_status dec(const buf *b, const fsift_decode_opts *o, fsift_image *img,
                        fsift_image_info *info) {
    return fsift_image_decode(b->p, b->n, o, img, info);
}

static long peak_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_sniff(void) {
    CHECK(fsift_image_sniff("\xff\xd8\xff\xe0", 4) == FSIFT_IMG_JPEG);
    CHECK(fsift_image_sniff("\x89PNG\r\n\x1a\n", 8) == FSIFT_IMG_PNG);
    CHECK(fsift_image_sniff("RIFF\0\0\0\0WEBPVP8 ", 16) == FSIFT_IMG_WEBP);
    CHECK(fsift_image_sniff("GIF89a", 6) == FSIFT_IMG_GIF);
    CHECK(fsift_image_sniff("GIF87a", 6) == FSIFT_IMG_GIF);
    CHECK(fsift_image_sniff("GIF88a", 6) == FSIFT_IMG_UNKNOWN);
    CHECK(fsift_image_sniff("\xff\xd8", 2) == FSIFT_IMG_UNKNOWN);
    CHECK(fsift_image_sniff("BM\0\0\0\0\0\0\0\0\0\0\0\0\x28\0\0\0", 18) == FSIFT_IMG_BMP);
    CHECK(fsift_image_sniff("BM\0\0\0\0\0\0\0\0\0\0\0\0\x29\0\0\0", 18) == FSIFT_IMG_UNKNOWN);
    CHECK(fsift_image_sniff(NULL, 0) == FSIFT_IMG_UNKNOWN);
    CHECK(!strcmp(fsift_image_format_name(FSIFT_IMG_WEBP), "webp"));
    CHECK(!strcmp(fsift_image_format_name((fsift_image_format)42), "unknown"));
    fsift_image img;
    static const char junk[] = "this is not an image at all, just text";
    CHECK(fsift_image_decode(junk, sizeof junk, NULL, &img, NULL) == FSIFT_E_FORMAT);
    CHECK(img.data == NULL);
    CHECK(fsift_image_decode(junk, 0, NULL, &img, NULL) == FSIFT_E_FORMAT);
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    CHECK(o.max_pixels == 89478485u && o.max_dim == 65500 && o.apply_orientation == 1 &&
          o.scale_denom == 1 && o.allow_truncated == 0 && o.max_file_bytes == (size_t)64 << 20);
    o.scale_denom = 3;
    buf j = make_jpeg(16, 16, 0, 0, 0, NULL, 0);
    CHECK(dec(&j, &o, &img, NULL) == FSIFT_E_INVALID_ARG);
    fsift_decode_opts_default(&o);
    o.max_file_bytes = j.n - 1;
    CHECK(dec(&j, &o, &img, NULL) == FSIFT_E_LIMIT);
    free(j.p);
}

static void test_alpha_arithmetic(void) {
    int bad = 0;
    for (uint32_t c = 0; c < 256; c++)
        for (uint32_t a = 0; a < 256; a++)
            if (img_over_white(c, a) != (c * a + 255 * (255 - a) + 127) / 255) bad++;
    CHECK_MSG(bad == 0, "%d (c, a) pairs differ from (c*a + 255*(255-a) + 127)/255", bad);
    CHECK(img_over_white(10, 255) == 10 && img_over_white(10, 0) == 255);
}

static void test_orient(void) {
    /* 3×2 image, value = 10*y + x in every channel; check each orientation against the
     * transpose definitions of PIL.ImageOps.exif_transpose. */
    fsift_image s;
    CHECK_OK(fsift_image_new(3, 2, 3, &s));
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++) memset(s.data + y * s.stride + 3 * x, 10 * y + x, 3);
    static const char *want[9] = {NULL,
                                  "0 1 2/10 11 12",       /* 1 */
                                  "2 1 0/12 11 10",       /* 2 mirror */
                                  "12 11 10/2 1 0",       /* 3 rotate 180 */
                                  "10 11 12/0 1 2",       /* 4 flip */
                                  "0 10/1 11/2 12",       /* 5 transpose */
                                  "10 0/11 1/12 2",       /* 6 rotate 90 CW */
                                  "12 2/11 1/10 0",       /* 7 transverse */
                                  "2 12/1 11/0 10"};      /* 8 rotate 90 CCW */
    for (int o = 1; o <= 8; o++) {
        fsift_image d;
        CHECK_OK(fsift_image_orient(&s, o, &d));
        char got[64] = "";
        for (int y = 0; y < d.height; y++) {
            if (y) strcat(got, "/");
            for (int x = 0; x < d.width; x++) {
                char t[8];
                snprintf(t, sizeof t, x ? " %d" : "%d", d.data[y * d.stride + 3 * x]);
                strcat(got, t);
            }
        }
        CHECK_MSG(!strcmp(got, want[o]), "orientation %d: %s, want %s", o, got, want[o]);
        fsift_image_free(&d);
    }
    fsift_image d;
    CHECK(fsift_image_orient(&s, 9, &d) == FSIFT_E_INVALID_ARG);
    CHECK(fsift_image_orient(&s, 0, &d) == FSIFT_E_INVALID_ARG);
    fsift_image_free(&s);
    fsift_image_free(NULL);
    CHECK(fsift_image_new(0, 5, 3, &s) == FSIFT_E_INVALID_ARG);
    CHECK(fsift_image_new(70000, 5, 3, &s) == FSIFT_E_LIMIT);
}

/* A minimal TIFF/EXIF block: IFD0 with `n` entries, the orientation (if o > 0) last; next
 * IFD pointer = `next`. */
static buf make_exif(int n_filler, int o, uint32_t next, int with_prefix) {
    buf b = {NULL, 0};
    if (with_prefix) buf_put(&b, "Exif\0\0", 6);
    uint8_t h[10] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 0};
    int n = n_filler + (o > 0);
    h[8] = (uint8_t)(n >> 8), h[9] = (uint8_t)n;
    buf_put(&b, h, 10);
    for (int i = 0; i < n_filler; i++) {
        uint8_t e[12] = {0x01, 0x00, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0}; /* tag 0x0100, SHORT */
        buf_put(&b, e, 12);
    }
    if (o > 0) {
        uint8_t e[12] = {0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (uint8_t)o, 0, 0};
        buf_put(&b, e, 12);
    }
    uint8_t nx[4];
    put_be32(nx, next);
    buf_put(&b, nx, 4);
    return b;
}

static void test_exif(void) {
    for (int o = 1; o <= 8; o++) {
        buf e = make_exif(3, o, 0, 1);
        CHECK(img_exif_orientation(e.p, e.n) == o);
        CHECK(img_exif_orientation(e.p + 6, e.n - 6) == o); /* PNG eXIf: no prefix */
        free(e.p);
    }
    buf e = make_exif(0, 9, 0, 0);
    CHECK(img_exif_orientation(e.p, e.n) == 1); /* out of range */
    free(e.p);
    /* IFD loop (next IFD points at IFD0) and no orientation: terminates with 1. */
    e = make_exif(4, 0, 8, 0);
    CHECK(img_exif_orientation(e.p, e.n) == 1);
    /* Entry count far beyond the block; IFD offset past the end. */
    e.p[8] = 0xff, e.p[9] = 0xff;
    CHECK(img_exif_orientation(e.p, e.n) == 1);
    put_be32(e.p + 4, 0xfffffff0u);
    CHECK(img_exif_orientation(e.p, e.n) == 1);
    for (size_t cut = 0; cut < e.n; cut++) CHECK(img_exif_orientation(e.p, cut) == 1);
    free(e.p);
    /* Huge EXIF: a 65,533-byte APP1 (the JPEG maximum) with 5,400 entries before the
     * orientation, and a 21 MB PNG eXIf (60,000 entries, then padding). */
    e = make_exif(5400, 6, 0, 1);
    CHECK(e.n <= 65533);
    buf j = make_jpeg(40, 24, 0, 0, 0, e.p, e.n);
    fsift_image img;
    fsift_image_info info;
    CHECK_OK(dec(&j, NULL, &img, &info));
    CHECK(info.orientation == 6 && img.width == 24 && img.height == 40);
    fsift_image_free(&img);
    free(j.p);
    free(e.p);
    e = make_exif(60000, 8, 0, 0);
    uint8_t *pad = calloc(20u << 20, 1);
    buf_put(&e, pad, 20u << 20);
    free(pad);
    buf p = make_png(30, 20, 2, 8, 0);
    buf q = {NULL, 0};
    buf_put(&q, p.p, 33); /* signature + IHDR */
    png_chunk(&q, "eXIf", e.p, (uint32_t)e.n);
    buf_put(&q, p.p + 33, p.n - 33);
    CHECK_OK(dec(&q, NULL, &img, &info));
    CHECK(info.orientation == 8 && img.width == 20 && img.height == 30);
    fsift_image_free(&img);
    /* An eXIf chunk whose length runs past the file: ignored, not read out of bounds. */
    put_be32(q.p + 33, 0x7ffffff0u);
    CHECK(img_png_orientation(q.p, q.n) == 1);
    free(p.p);
    free(q.p);
    free(e.p);
}

static void check_roundtrip(const char *what, buf b, int w, int h, fsift_image_format f) {
    fsift_image img;
    fsift_image_info info;
    fsift_status st = dec(&b, NULL, &img, &info);
    CHECK_MSG(st == FSIFT_OK, "%s: %s", what, fsift_last_error());
    if (!st) {
        CHECK_MSG(img.width == w && img.height == h && img.channels == 3 && info.format == f,
                  "%s: %dx%d format %d", what, img.width, img.height, (int)info.format);
        fsift_image_info pi;
        CHECK_OK(fsift_image_probe(b.p, b.n, NULL, &pi));
        CHECK(pi.width == w && pi.height == h && pi.format == f);
    }
    fsift_image_free(&img);
    free(b.p);
}

static void test_roundtrips(void) {
    check_roundtrip("jpeg baseline", make_jpeg(67, 45, 0, 0, 0, NULL, 0), 67, 45, FSIFT_IMG_JPEG);
    check_roundtrip("jpeg progressive", make_jpeg(67, 45, 1, 0, 0, NULL, 0), 67, 45, FSIFT_IMG_JPEG);
    check_roundtrip("jpeg gray", make_jpeg(67, 45, 0, 1, 0, NULL, 0), 67, 45, FSIFT_IMG_JPEG);
    check_roundtrip("jpeg restart", make_jpeg(67, 45, 0, 0, 1, NULL, 0), 67, 45, FSIFT_IMG_JPEG);
    /* CMYK and YCCK: Pillow's CMYK;I + cmyk2rgb gives R = k - MULDIV255(255 - c, k):
     * (255, 128, 0, 200) -> (200, 100, 0), within the q100 JPEG round trip. */
    static const uint8_t cmyk[4] = {255, 128, 0, 200};
    for (int ycck = 0; ycck < 2; ycck++) {
        buf j = make_cmyk_jpeg(24, 16, cmyk, ycck);
        fsift_image im;
        CHECK_OK(dec(&j, NULL, &im, NULL));
        if (im.data) {
            const uint8_t *p = im.data + 5 * im.stride + 3 * 7;
            CHECK_MSG(abs(p[0] - 200) <= 2 && abs(p[1] - 100) <= 2 && p[2] <= 2,
                      "%s: got (%d, %d, %d), want about (200, 100, 0)", ycck ? "ycck" : "cmyk",
                      p[0], p[1], p[2]);
        }
        fsift_image_free(&im);
        free(j.p);
    }
    for (int ct = 0; ct <= 6; ct++) {
        if (ct == 1 || ct == 3 || ct == 5) continue;
        for (int bits = 8; bits <= 16; bits += 8)
            for (int il = 0; il < 2; il++) {
                char what[64];
                snprintf(what, sizeof what, "png ctype %d bits %d interlace %d", ct, bits, il);
                check_roundtrip(what, make_png(31, 17, ct, bits, il), 31, 17, FSIFT_IMG_PNG);
            }
    }
    check_roundtrip("webp", make_webp(50, 30), 50, 30, FSIFT_IMG_WEBP);
    check_roundtrip("gif", make_gif(33, 21, 0, -1), 33, 21, FSIFT_IMG_GIF);
    check_roundtrip("gif interlaced", make_gif(33, 21, 1, 5), 33, 21, FSIFT_IMG_GIF);
    check_roundtrip("bmp 24", make_bmp(13, 7, 24, 0), 13, 7, FSIFT_IMG_BMP);
    check_roundtrip("bmp 32 top-down", make_bmp(13, 7, 32, 1), 13, 7, FSIFT_IMG_BMP);
    check_roundtrip("bmp 8", make_bmp(13, 7, 8, 0), 13, 7, FSIFT_IMG_BMP);
    /* Exact pixels where the format is lossless. */
    buf b = make_bmp(13, 7, 24, 0);
    buf t = make_bmp(13, 7, 24, 1);
    fsift_image a, c;
    CHECK_OK(dec(&b, NULL, &a, NULL));
    CHECK_OK(dec(&t, NULL, &c, NULL));
    CHECK(a.data && c.data && !memcmp(a.data, c.data, 13 * 7 * 3));
    CHECK(a.data && a.data[(2 * 13 + 5) * 3] == (5 ^ 2) && a.data[(2 * 13 + 5) * 3 + 1] == 2 &&
          a.data[(2 * 13 + 5) * 3 + 2] == 5);
    fsift_image_free(&a);
    fsift_image_free(&c);
    free(b.p);
    free(t.p);
    buf g = make_gif(33, 21, 1, 5);
    CHECK_OK(dec(&g, NULL, &a, NULL));
    /* (x + 3y) % 16 == 5 is transparent → white; index 2 → (32, 223, 10). */
    CHECK(a.data && a.data[(0 * 33 + 5) * 3] == 255 && a.data[(0 * 33 + 5) * 3 + 1] == 255);
    CHECK(a.data && a.data[(1 * 33 + 15) * 3] == 32 && a.data[(1 * 33 + 15) * 3 + 1] == 223);
    fsift_image_free(&a);
    free(g.p);
    /* DCT scaling: sizes are ceil(w/n). */
    buf j = make_jpeg(67, 45, 0, 0, 0, NULL, 0);
    for (int n = 1; n <= 8; n *= 2) {
        fsift_decode_opts o;
        fsift_decode_opts_default(&o);
        o.scale_denom = n;
        fsift_image_info info;
        CHECK_OK(dec(&j, &o, &a, &info));
        CHECK(a.width == (67 + n - 1) / n && a.height == (45 + n - 1) / n && info.scale_denom == n);
        CHECK(info.width == 67 && info.height == 45);
        fsift_image_free(&a);
    }
    free(j.p);
}

/* Truncates at many offsets: an error by default (no crash), a full-size image with
 * allow_truncated once the header is complete. `tail`: bytes at the end whose loss may still
 * give a complete image (trailers, checksums). */
static void check_truncation(const char *what, buf b, size_t tail, double partial_min) {
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    fsift_image full;
    CHECK_OK(dec(&b, NULL, &full, NULL));
    int errs = 0, tries = 0, partial = 0, partial_tries = 0;
    size_t step = b.n / 97 + 1;
    for (size_t cut = 0; cut < b.n; cut += step) {
        buf c = {malloc(cut + 1), cut};
        memcpy(c.p, b.p, cut);
        fsift_image img;
        fsift_status st = dec(&c, NULL, &img, NULL);
        if (cut + tail < b.n) {
            tries++;
            if (st != FSIFT_OK) errs++;
            else fprintf(stderr, "%s: cut at %zu of %zu decoded without error\n", what, cut, b.n);
        }
        CHECK(st != FSIFT_OK || img.data);
        fsift_image_free(&img);
        if (cut > b.n / 2 && cut + tail < b.n) {
            o.allow_truncated = 1;
            st = dec(&c, &o, &img, NULL);
            partial_tries++;
            if (!st && img.width == full.width && img.height == full.height) partial++;
            fsift_image_free(&img);
            o.allow_truncated = 0;
        }
        free(c.p);
    }
    CHECK_MSG(errs == tries, "%s: %d of %d truncations were errors", what, errs, tries);
    if (partial_min > 0)
        CHECK_MSG(partial >= partial_min * partial_tries, "%s: allow_truncated gave %d of %d partial images",
                  what, partial, partial_tries);
    fsift_image_free(&full);
    free(b.p);
}

/* Damaged but complete files (bytes flipped inside the scan data): libjpeg only warns, and
 * the image decodes, as Pillow decodes it; no crash for any damage position. */
static void test_jpeg_corrupt_scan(void) {
    buf j = make_jpeg(96, 64, 0, 0, 0, NULL, 0);
    size_t sos = 0;
    for (size_t i = 2; i + 1 < j.n; i++)
        if (j.p[i] == 0xFF && j.p[i + 1] == 0xDA) { sos = i; break; }
    CHECK(sos > 0);
    int ok = 0, tries = 0;
    for (size_t at = sos + 20; at + 8 < j.n; at += 37) {
        buf c = {malloc(j.n), j.n};
        memcpy(c.p, j.p, j.n);
        for (int k = 0; k < 4; k++)
            if (c.p[at + k] != 0xFF && c.p[at + k] != 0x00) c.p[at + k] ^= 0x5A;
            else c.p[at + k] = 0x12;
        fsift_image img;
        tries++;
        if (dec(&c, NULL, &img, NULL) == FSIFT_OK && img.width == 96) ok++;
        fsift_image_free(&img);
        free(c.p);
    }
    CHECK_MSG(ok == tries, "%d of %d damaged files decoded", ok, tries);
    free(j.p);
}

static void test_truncated(void) {
    check_truncation("jpeg", make_jpeg(120, 90, 0, 0, 0, NULL, 0), 2, 1);
    /* A progressive file cut inside a table segment between scans is a hard libjpeg error,
     * so not every cut can give a partial image. */
    check_truncation("jpeg progressive", make_jpeg(120, 90, 1, 0, 0, NULL, 0), 2, 0.8);
    check_truncation("png", make_png(120, 90, 2, 8, 0), 24, 1);
    check_truncation("png interlaced", make_png(120, 90, 6, 8, 1), 24, 1);
    check_truncation("webp", make_webp(120, 90), 0, 0);
    check_truncation("gif", make_gif(120, 90, 0, -1), 4, 1);
    check_truncation("bmp", make_bmp(120, 90, 24, 0), 0, 1);
}

/* Patches a 16-bit big-endian field pair (JPEG SOF). */
static buf jpeg_with_size(uint32_t w, uint32_t h) {
    buf b = make_jpeg(16, 16, 0, 0, 0, NULL, 0);
    for (size_t i = 2; i + 9 < b.n; i++)
        if (b.p[i] == 0xFF && b.p[i + 1] == 0xC0) {
            b.p[i + 5] = (uint8_t)(h >> 8), b.p[i + 6] = (uint8_t)h;
            b.p[i + 7] = (uint8_t)(w >> 8), b.p[i + 8] = (uint8_t)w;
            break;
        }
    return b;
}

static buf webp_vp8x(uint32_t w, uint32_t h) {
    buf img = make_webp(16, 16); /* RIFF size WEBP VP8 ... */
    buf b = {NULL, 0};
    uint8_t hdr[30] = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X', 10, 0, 0, 0, 0};
    hdr[24] = (uint8_t)(w - 1), hdr[25] = (uint8_t)((w - 1) >> 8), hdr[26] = (uint8_t)((w - 1) >> 16);
    hdr[27] = (uint8_t)(h - 1), hdr[28] = (uint8_t)((h - 1) >> 8), hdr[29] = (uint8_t)((h - 1) >> 16);
    buf_put(&b, hdr, 30);
    buf_put(&b, img.p + 12, img.n - 12);
    put_le32(b.p + 4, (uint32_t)(b.n - 8));
    free(img.p);
    return b;
}

static void expect(const char *what, buf b, fsift_status want) {
    fsift_image img;
    fsift_image_info info;
    fsift_status st = dec(&b, NULL, &img, &info);
    CHECK_MSG(st == want, "%s: got %d (%s), want %d", what, (int)st, fsift_last_error(), (int)want);
    CHECK(img.data == NULL || st == FSIFT_OK);
    if (st == want && st != FSIFT_OK) fprintf(stderr, "  %-28s -> %s\n", what, fsift_last_error());
    fsift_image_free(&img);
    if (want != FSIFT_OK) CHECK(fsift_image_probe(b.p, b.n, NULL, &info) != FSIFT_OK);
    free(b.p);
}

static void test_limits(void) {
    long rss0 = peak_rss_kb();
    expect("jpeg 65535x65535", jpeg_with_size(65535, 65535), FSIFT_E_LIMIT);
    expect("jpeg 30000x30000", jpeg_with_size(30000, 30000), FSIFT_E_LIMIT);
    expect("jpeg 0x16", jpeg_with_size(0, 16), FSIFT_E_FORMAT);
    expect("png 65535x65535", png_with_ihdr(65535, 65535, NULL, 0), FSIFT_E_LIMIT);
    expect("png 20000x20000", png_with_ihdr(20000, 20000, NULL, 0), FSIFT_E_LIMIT);
    expect("png 0x0", png_with_ihdr(0, 0, NULL, 0), FSIFT_E_FORMAT);
    expect("webp vp8x 65535x65535", webp_vp8x(65535, 65535), FSIFT_E_LIMIT);
    expect("webp vp8x 16777216x2", webp_vp8x(1u << 24, 2), FSIFT_E_LIMIT);
    buf g = make_gif(8, 8, 0, -1);
    g.p[6] = g.p[7] = g.p[8] = g.p[9] = 0xff;
    expect("gif 65535x65535", g, FSIFT_E_LIMIT);
    g = make_gif(8, 8, 0, -1);
    g.p[6] = g.p[7] = g.p[8] = g.p[9] = 0;
    expect("gif 0x0", g, FSIFT_E_FORMAT);
    buf b = make_bmp(8, 8, 24, 0);
    put_le32(b.p + 18, 65535), put_le32(b.p + 22, 65535);
    expect("bmp 65535x65535", b, FSIFT_E_LIMIT);
    b = make_bmp(8, 8, 24, 0);
    put_le32(b.p + 22, 0x80000000u);
    expect("bmp height INT32_MIN", b, FSIFT_E_FORMAT);
    b = make_bmp(8, 8, 24, 0);
    put_le32(b.p + 18, 0);
    expect("bmp 0x8", b, FSIFT_E_FORMAT);
    b = make_bmp(8, 8, 24, 0);
    b.p[30] = 1; /* RLE8 */
    expect("bmp rle", b, FSIFT_E_UNSUPPORTED);
    /* A custom pixel limit. */
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    o.max_pixels = 1000;
    buf j = make_jpeg(40, 30, 0, 0, 0, NULL, 0);
    fsift_image img;
    CHECK(dec(&j, &o, &img, NULL) == FSIFT_E_LIMIT);
    o.max_pixels = 1200;
    CHECK_OK(dec(&j, &o, &img, NULL));
    fsift_image_free(&img);
    o.max_dim = 39;
    CHECK(dec(&j, &o, &img, NULL) == FSIFT_E_LIMIT);
    free(j.p);
    long grew = peak_rss_kb() - rss0;
    CHECK_MSG(grew < 64 * 1024, "peak RSS grew by %ld KiB over the limit tests", grew);
}

/* A progressive JPEG whose first (DC) scan is repeated 1,500 times before the rest (libjpeg
 * only warns about the bogus progression): a CPU bomb in a few KB, refused by the scan
 * limit. */
static void test_jpeg_scan_bomb(void) {
    buf j = make_jpeg(64, 48, 1, 0, 0, NULL, 0);
    size_t first = 0, second = 0;
    for (size_t i = 2; i + 1 < j.n; i++)
        if (j.p[i] == 0xFF && j.p[i + 1] == 0xDA) {
            if (!first) first = i;
            else { second = i; break; }
        }
    /* The DC scan ends where the next segment (a DHT or the next SOS) starts. */
    size_t end = first + 2;
    while (end + 1 < j.n && !(j.p[end] == 0xFF && j.p[end + 1] != 0 && !(j.p[end + 1] >= 0xD0 && j.p[end + 1] <= 0xD7)))
        end++;
    CHECK(first > 0 && second > first && end <= second);
    const size_t last = first, scan = end - first;
    (void)second;
    buf b = {NULL, 0};
    buf_put(&b, j.p, end);
    for (int k = 0; k < 1500; k++) buf_put(&b, j.p + last, scan);
    buf_put(&b, j.p + end, j.n - end);
    fsift_image img;
    double t0 = fsift_now_ms();
    fsift_status st = dec(&b, NULL, &img, NULL);
    fprintf(stderr, "  %zu-byte file with 1500 extra scans: %s in %.1f ms\n", b.n, fsift_last_error(),
            fsift_now_ms() - t0);
    CHECK(st == FSIFT_E_LIMIT);
    fsift_image_free(&img);
    /* 900 repeats: under the limit, decodes (with warnings) as libjpeg does. */
    b.n = 0;
    buf_put(&b, j.p, end);
    for (int k = 0; k < 900; k++) buf_put(&b, j.p + last, scan);
    buf_put(&b, j.p + end, j.n - end);
    CHECK_OK(dec(&b, NULL, &img, NULL));
    fsift_image_free(&img);
    free(b.p);
    free(j.p);
}

static void test_png_bombs(void) {
    /* A 100×100 IHDR followed by a 64 MiB zlib stream of zeros (~64 KB compressed): the
     * decoder stops after the image's 30,100 bytes and never inflates the rest. */
    size_t raw_n = (size_t)64 << 20;
    uint8_t *raw = calloc(raw_n, 1);
    uLongf zn = compressBound((uLong)raw_n);
    uint8_t *z = malloc(zn);
    CHECK(compress2(z, &zn, raw, (uLong)raw_n, 9) == Z_OK);
    free(raw);
    long rss0 = peak_rss_kb();
    double t0 = fsift_now_ms();
    buf b = png_with_ihdr(100, 100, z, (uint32_t)zn);
    fsift_image img;
    fsift_status st = dec(&b, NULL, &img, NULL);
    double ms = fsift_now_ms() - t0;
    fprintf(stderr, "  png 100x100 over a %zu-byte zlib stream of 64 MiB: status %d in %.1f ms\n",
            (size_t)zn, (int)st, ms);
    CHECK(st == FSIFT_OK || st == FSIFT_E_FORMAT);
    if (!st) CHECK(img.width == 100 && img.height == 100);
    fsift_image_free(&img);
    free(b.p);
    /* A 9000×9000 IHDR (81 Mpx, under Pillow's limit) over 64 KB: an error (truncated), and
     * with a stricter limit FSIFT_E_LIMIT before allocating. */
    b = png_with_ihdr(9000, 9000, z, 65536 < zn ? 65536 : (uint32_t)zn);
    st = dec(&b, NULL, &img, NULL);
    CHECK(st == FSIFT_E_FORMAT);
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    o.max_pixels = 16u << 20;
    CHECK(dec(&b, &o, &img, NULL) == FSIFT_E_LIMIT);
    free(b.p);
    free(z);
    long grew = peak_rss_kb() - rss0;
    fprintf(stderr, "  peak RSS grew by %ld KiB during the bombs\n", grew);
    CHECK_MSG(grew < 512 * 1024, "peak RSS grew by %ld KiB", grew);
}

int main(void) {
    RUN(test_sniff);
    RUN(test_alpha_arithmetic);
    RUN(test_orient);
    RUN(test_exif);
    RUN(test_roundtrips);
    RUN(test_jpeg_corrupt_scan);
    RUN(test_truncated);
    RUN(test_limits);
    RUN(test_jpeg_scan_bomb);
    RUN(test_png_bombs);
    return test_summary();
}
