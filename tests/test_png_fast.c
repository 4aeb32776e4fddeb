/*
 * test_png_fast.c — the PNG fast path (src/image/png_fast.c) against the libspng path it
 * replaces: every file here is decoded by img_png_decode (fast path on) and by
 * img_png_decode_spng (libspng only), and the two must agree exactly — the same status, and
 * on success the same size and the same bytes. A generated corpus covers all five colour
 * types at 8 bits, widths 1..67, heights 1..9, every filter type per row (fixed and mixed),
 * palette with and without tRNS, indices past the palette, the zlib stream split into many
 * IDATs (mid-row, one byte long, zero-length ones between), extra zlib data past the last
 * row, a short stream, a zlib header declaring a window smaller than the data, a bad
 * filter byte, a bad Adler-32, bad CRCs (IDAT and an ancillary chunk), an eXIf orientation,
 * a missing IEND, chunks between IDATs, truncation at every offset (with and without
 * allow_truncated), huge IHDR sizes (a limit error before any allocation), gray/RGB with a
 * tRNS key, 16-bit and interlaced files (all of which must decline to libspng), and the PNG
 * test photos. It also checks that the fast path was actually taken where it should be
 * (img_png_fast called on a libspng context set up as decode_png.c does) and that the SIMD
 * defilter rows (one row, and two Paeth rows at once) equal the scalar reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spng.h>
#include <zlib.h>

#include "facesift/image.h"
#include "harness.h"
#include "image/image_internal.h"

typedef struct buf {
    uint8_t *p;
    size_t n;
} buf;

static void buf_put(buf *b, const void *d, size_t n) {
    b->p = realloc(b->p, b->n + n + 1);
    if (n) memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void put32(buf *b, uint32_t v) {
    uint8_t q[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    buf_put(b, q, 4);
}

static void chunk(buf *b, const char *type, const uint8_t *d, uint32_t len) {
    put32(b, len);
    buf_put(b, type, 4);
    buf_put(b, d, len);
    uLong c = crc32(0, (const Bytef *)type, 4);
    if (len) c = crc32(c, d, len);
    put32(b, (uint32_t)c);
}

static uint32_t rng_state = 12345;
static uint32_t rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* What to write. */
typedef struct spec {
    int w, h, ct, depth, interlace;
    int filter;            /* 0..4 every row, 5 = mixed (row y: (y + w) % 5), 6 = random */
    int split;             /* 0 one IDAT; n > 0: IDATs of n bytes; -1: random 1..50 */
    int zero_idats;        /* zero-length IDATs between the data ones */
    int plte_n;            /* palette entries (ct 3) */
    int trns;              /* tRNS chunk: ct 3 entries = plte_n / 2, ct 0/2 a key */
    int extra;             /* bytes of extra image data past the last row */
    int short_by;          /* rows of data missing */
    int bad_filter_row;    /* >= 0: that row's filter byte is 7 */
    int bad_adler, text_before, text_after, no_iend, chunk_between;
    int exif;              /* eXIf chunk (big-endian TIFF) with this Orientation */
    int small_window;      /* zlib header declares a 256-byte window (CINFO 0) */
} spec;

static int bpp_of(int ct) {
    return ct == 0 || ct == 3 ? 1 : ct == 4 ? 2 : ct == 2 ? 3 : 4;
}

/* Filters row (rb bytes of pixels) with filter f against prior (NULL = zeros) into out. */
static void filter_row(const uint8_t *row, const uint8_t *prior, size_t rb, int bpp, int f,
                       uint8_t *out) {
    for (size_t i = 0; i < rb; i++) {
        int a = i >= (size_t)bpp ? row[i - bpp] : 0;
        int b = prior ? prior[i] : 0;
        int c = prior && i >= (size_t)bpp ? prior[i - bpp] : 0;
        int pr = 0;
        if (f == 1) pr = a;
        else if (f == 2) pr = b;
        else if (f == 3) pr = (a + b) / 2;
        else if (f == 4) {
            int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
            pr = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
        out[i] = (uint8_t)(row[i] - pr);
    }
}

static buf make(const spec *s) {
    const int bpp = bpp_of(s->ct) * (s->depth / 8);
    const size_t rb = (size_t)s->w * bpp;
    /* Pixels: smooth ramps plus noise, alpha with 0 and 255 runs. */
    uint8_t *px = malloc(rb * s->h + 1);
    for (int y = 0; y < s->h; y++)
        for (size_t i = 0; i < rb; i++) {
            uint8_t v = (uint8_t)(i * 7 + y * 13 + (rnd() % 9));
            if (s->ct == 3) v = (uint8_t)(rnd() % (s->plte_n + (s->plte_n < 256 && y == 1 ? 3 : 0)));
            if ((s->ct == 6 && i % 4 == 3) || (s->ct == 4 && i % 2 == 1)) {
                uint32_t r = rnd() % 4;
                v = r == 0 ? 0 : r == 1 ? 255 : (uint8_t)rnd();
            }
            px[(size_t)y * rb + i] = v;
        }
    int rows = s->h - s->short_by;
    size_t rawn = (size_t)rows * (rb + 1) + s->extra;
    uint8_t *raw = calloc(rawn + 1, 1);
    for (int y = 0; y < rows; y++) {
        int f = s->filter <= 4 ? s->filter : s->filter == 5 ? (y + s->w) % 5 : (int)(rnd() % 5);
        raw[(size_t)y * (rb + 1)] = (uint8_t)(y == s->bad_filter_row ? 7 : f);
        filter_row(px + (size_t)y * rb, y ? px + (size_t)(y - 1) * rb : NULL, rb, bpp, f,
                   raw + (size_t)y * (rb + 1) + 1);
    }
    for (int k = 0; k < s->extra; k++) raw[(size_t)rows * (rb + 1) + k] = (uint8_t)k;
    uLongf zn = compressBound(rawn) + 16;
    uint8_t *z = malloc(zn);
    compress2(z, &zn, raw, rawn, 6);
    if (s->bad_adler) z[zn - 1] ^= 1;
    if (s->small_window) {
        z[0] = (uint8_t)(z[0] & 0x0f), z[1] = (uint8_t)(z[1] & 0xe0);
        unsigned rem = ((unsigned)z[0] * 256 + z[1]) % 31;
        if (rem) z[1] = (uint8_t)(z[1] + 31 - rem);
    }

    buf b = {0};
    buf_put(&b, "\x89PNG\r\n\x1a\n", 8);
    uint8_t ih[13] = {0};
    for (int k = 0; k < 4; k++) ih[k] = (uint8_t)(s->w >> (24 - 8 * k)), ih[4 + k] = (uint8_t)(s->h >> (24 - 8 * k));
    ih[8] = (uint8_t)s->depth, ih[9] = (uint8_t)s->ct, ih[12] = (uint8_t)s->interlace;
    chunk(&b, "IHDR", ih, 13);
    if (s->text_before) chunk(&b, "tEXt", (const uint8_t *)"Comment\0hello", 13);
    if (s->exif) {
        const uint8_t tiff[26] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1,
                                  0, (uint8_t)s->exif, 0, 0, 0, 0, 0, 0};
        chunk(&b, "eXIf", tiff, 26);
    }
    if (s->ct == 3) {
        uint8_t pl[768];
        for (int k = 0; k < 768; k++) pl[k] = (uint8_t)(k * 37 + 11);
        chunk(&b, "PLTE", pl, (uint32_t)(3 * s->plte_n));
    }
    if (s->trns) {
        uint8_t t[256];
        uint32_t tn = 0;
        if (s->ct == 3) {
            tn = (uint32_t)(s->plte_n / 2 ? s->plte_n / 2 : 1);
            for (uint32_t k = 0; k < tn; k++) t[k] = (uint8_t)(k * 53);
        } else if (s->ct == 0) {
            t[0] = 0, t[1] = px[0], tn = 2;
        } else {
            for (int k = 0; k < 3; k++) t[2 * k] = 0, t[2 * k + 1] = px[k];
            tn = 6;
        }
        chunk(&b, "tRNS", t, tn);
    }
    size_t off = 0;
    int nchunk = 0;
    while (off < zn) {
        size_t len = s->split == 0 ? zn : s->split > 0 ? (size_t)s->split : 1 + rnd() % 50;
        if (len > zn - off) len = zn - off;
        if (nchunk && s->zero_idats) chunk(&b, "IDAT", NULL, 0);
        if (nchunk == 1 && s->chunk_between) chunk(&b, "tEXt", (const uint8_t *)"a\0b", 3);
        chunk(&b, "IDAT", z + off, (uint32_t)len);
        off += len;
        nchunk++;
    }
    if (s->text_after) chunk(&b, "tEXt", (const uint8_t *)"Comment\0after", 13);
    if (!s->no_iend) chunk(&b, "IEND", NULL, 0);
    free(px);
    free(raw);
    free(z);
    return b;
}

/* 1 when the fast path decodes the file (as decode_png.c would call it). */
static int fast_taken(const buf *b) {
    spng_ctx *ctx = spng_ctx_new(0);
    spng_set_image_limits(ctx, 65500, 65500);
    spng_set_chunk_limits(ctx, b->n, b->n);
    struct spng_ihdr ih;
    struct spng_trns t;
    int ok = 0;
    if (!spng_set_png_buffer(ctx, b->p, b->n) && !spng_get_ihdr(ctx, &ih)) {
        int alpha = ih.color_type == 4 || ih.color_type == 6 || spng_get_trns(ctx, &t) == 0;
        fsift_image img;
        ok = img_png_fast(ctx, b->p, b->n, alpha, &img);
        fsift_image_free(&img);
    }
    spng_ctx_free(ctx);
    return ok;
}

static int n_compared, n_fast, n_ok;

/* Decodes b both ways with opts o; they must agree. Returns the status. */
static int agree(const char *what, const buf *b, const fsift_decode_opts *o) {
    fsift_image a, s;
    fsift_image_info ia = {0}, is = {0};
    ia.orientation = is.orientation = 1;
    int sa = img_png_decode(b->p, b->n, o, &a, &ia);
    int ss = img_png_decode_spng(b->p, b->n, o, &s, &is);
    n_compared++;
    CHECK_MSG(sa == ss, "%s: fast path status %d, libspng %d", what, sa, ss);
    if (sa == 0 && ss == 0) {
        n_ok++;
        int same = a.width == s.width && a.height == s.height && a.channels == s.channels &&
                   a.stride == s.stride &&
                   !memcmp(a.data, s.data, (size_t)a.height * a.stride);
        CHECK_MSG(same, "%s: pixels differ from libspng", what);
        CHECK_MSG(ia.has_alpha == is.has_alpha && ia.orientation == is.orientation &&
                      ia.width == is.width && ia.height == is.height,
                  "%s: info differs", what);
    }
    fsift_image_free(&a);
    fsift_image_free(&s);
    return ss;
}

static spec base(int w, int h, int ct) {
    spec s;
    memset(&s, 0, sizeof s);
    s.w = w, s.h = h, s.ct = ct, s.depth = 8, s.plte_n = 256, s.bad_filter_row = -1;
    return s;
}

static void check_spec(const char *what, const spec *s, int want_fast) {
    buf b = make(s);
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    int st = agree(what, &b, &o);
    if (s->exif) CHECK_MSG(img_png_orientation(b.p, b.n) == s->exif, "%s: orientation", what);
    int f = fast_taken(&b);
    n_fast += f;
    if (want_fast >= 0) CHECK_MSG(f == want_fast, "%s: fast path %s", what, f ? "taken" : "declined");
    if (want_fast == 1) CHECK_MSG(st == 0, "%s: status %d (%s)", what, st, fsift_last_error());
    free(b.p);
}

static void test_unfilter_simd(void) {
    static const size_t bpps[] = {1, 2, 3, 4, 6, 8};
    for (size_t k = 0; k < sizeof bpps / sizeof *bpps; k++)
        for (size_t n = bpps[k]; n < 200; n += bpps[k] * 7 + 1)
            for (int f = 0; f <= 4; f++) {
                n -= n % bpps[k];
                uint8_t r1[256], r2[256], p[256];
                for (size_t i = 0; i < n; i++) r1[i] = r2[i] = (uint8_t)rnd(), p[i] = (uint8_t)rnd();
                img_png_unfilter(r1, p, n, bpps[k], f);
                img_png_unfilter_ref(r2, p, n, bpps[k], f);
                CHECK_MSG(!memcmp(r1, r2, n), "bpp %zu n %zu filter %d", bpps[k], n, f);
                /* Two Paeth rows together against two scalar rows. */
                uint8_t s1[256], s2[256];
                for (size_t i = 0; i < n; i++) s1[i] = s2[i] = (uint8_t)rnd();
                for (size_t i = 0; i < n; i++) r1[i] = r2[i] = (uint8_t)rnd();
                img_png_unfilter_paeth2(r1, s1, p, n, bpps[k]);
                img_png_unfilter_ref(r2, p, n, bpps[k], 4);
                img_png_unfilter_ref(s2, r2, n, bpps[k], 4);
                CHECK_MSG(!memcmp(r1, r2, n) && !memcmp(s1, s2, n), "paeth2 bpp %zu n %zu", bpps[k], n);
            }
}

static void test_corpus(void) {
    static const int cts[] = {0, 2, 3, 4, 6};
    char what[128];
    for (int c = 0; c < 5; c++)
        for (int w = 1; w <= 67; w++)
            for (int h = 1; h <= 9; h++) {
                spec s = base(w, h, cts[c]);
                s.filter = (w + h) % 7;
                s.split = (w * h) % 3 == 0 ? -1 : 0;
                s.zero_idats = w % 5 == 0;
                if (cts[c] == 3) s.plte_n = 1 + (w * 31 + h) % 256, s.trns = w % 2;
                snprintf(what, sizeof what, "ct %d %dx%d filter %d split %d", cts[c], w, h, s.filter, s.split);
                check_spec(what, &s, 1);
            }
    for (int c = 0; c < 5; c++)
        for (int f = 0; f <= 6; f++) {
            spec s = base(301, 23, cts[c]);
            s.filter = f;
            snprintf(what, sizeof what, "ct %d 301x23 filter %d", cts[c], f);
            check_spec(what, &s, 1);
        }
    fprintf(stderr, "  corpus: %d files compared, %d on the fast path\n", n_compared, n_fast);
}

static void test_structure(void) {
    static const int cts[] = {0, 2, 3, 4, 6};
    for (int c = 0; c < 5; c++) {
        spec s = base(40, 12, cts[c]);
        s.filter = 6;
        char what[96];
#define CASE(field, val, fast)                                                               \
    do {                                                                                     \
        spec t = s;                                                                          \
        t.field = val;                                                                       \
        snprintf(what, sizeof what, "ct %d " #field " %d", cts[c], (int)(val));              \
        check_spec(what, &t, fast);                                                          \
    } while (0)
        CASE(split, 1, 1);
        CASE(split, 7, 1);
        CASE(split, 121, 1); /* mid-row */
        CASE(zero_idats, 1, 1);
        CASE(text_before, 1, 1);
        CASE(text_after, 1, 1);
        CASE(exif, 6, 1);
        CASE(small_window, 1, 1); /* zlib keeps 32 KiB whatever the header declares */
        CASE(no_iend, 1, 1);      /* libspng never reads past the image data */
        CASE(extra, 1, 0);        /* extra data: libspng ignores it, the fast path declines */
        CASE(extra, 5000, 0);
        CASE(short_by, 1, 0);     /* errors */
        CASE(short_by, 12, 0);
        CASE(bad_filter_row, 0, 0);
        CASE(bad_filter_row, 11, 0);
        CASE(bad_adler, 1, 0);
        CASE(chunk_between, 1, -1);
        CASE(interlace, 1, 0);
        if (cts[c] != 3) CASE(depth, 16, 0);
        if (cts[c] == 0 || cts[c] == 2) CASE(trns, 1, 0);
        if (cts[c] == 3) {
            CASE(trns, 1, 1);
            CASE(plte_n, 3, 1); /* indices past the palette */
        }
#undef CASE
        /* Bad CRCs: in the second IDAT, in the last IDAT, in tEXt before IDAT. */
        spec t = s;
        t.split = 100;
        t.text_before = 1;
        buf b = make(&t);
        fsift_decode_opts o;
        fsift_decode_opts_default(&o);
        size_t i = 8;
        int idat = 0;
        while (i + 12 <= b.n) {
            uint32_t len = (uint32_t)b.p[i] << 24 | (uint32_t)b.p[i + 1] << 16 | (uint32_t)b.p[i + 2] << 8 | b.p[i + 3];
            const char *type = (const char *)b.p + i + 4;
            int hit = (!memcmp(type, "IDAT", 4) && ++idat == 2) || !memcmp(type, "tEXt", 4) ||
                      (!memcmp(type, "IDAT", 4) && i + 12 + len + 12 <= b.n &&
                       memcmp(b.p + i + 12 + len + 4, "IDAT", 4));
            if (hit) {
                buf q = {0};
                buf_put(&q, b.p, b.n);
                q.p[i + 8 + len] ^= 0x40;
                snprintf(what, sizeof what, "ct %d bad CRC in %.4s at %zu", cts[c], type, i);
                agree(what, &q, &o);
                o.allow_truncated = 1;
                agree(what, &q, &o);
                o.allow_truncated = 0;
                free(q.p);
            }
            i += 12 + len;
        }
        free(b.p);
    }
}

static void test_truncation(void) {
    static const int cts[] = {0, 2, 3, 4, 6};
    for (int c = 0; c < 5; c++) {
        spec s = base(37, 9, cts[c]);
        s.filter = 6;
        s.split = 60;
        s.text_after = 1;
        buf b = make(&s);
        fsift_decode_opts o;
        fsift_decode_opts_default(&o);
        char what[64];
        int errs = 0;
        for (size_t cut = 0; cut <= b.n; cut++) {
            buf q = {b.p, cut};
            for (int at = 0; at < 2; at++) {
                o.allow_truncated = at;
                snprintf(what, sizeof what, "ct %d cut at %zu/%zu allow %d", cts[c], cut, b.n, at);
                errs += agree(what, &q, &o) != 0;
            }
        }
        CHECK(errs > 0);
        free(b.p);
    }
}

static void test_limits(void) {
    /* Huge IHDR sizes over a tiny stream: the limit error comes first, from either path. */
    static const uint32_t sizes[][2] = {{65535, 65535}, {20000, 20000}, {70000, 1}, {1, 100000}, {10000, 9000}};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        spec s = base(1, 1, 2);
        buf b = make(&s);
        for (int j = 0; j < 4; j++) b.p[16 + j] = (uint8_t)(sizes[k][0] >> (24 - 8 * j)), b.p[20 + j] = (uint8_t)(sizes[k][1] >> (24 - 8 * j));
        uLong crc = crc32(0, b.p + 12, 17);
        for (int j = 0; j < 4; j++) b.p[29 + j] = (uint8_t)(crc >> (24 - 8 * j));
        fsift_decode_opts o;
        fsift_decode_opts_default(&o);
        char what[64];
        snprintf(what, sizeof what, "IHDR %ux%u", sizes[k][0], sizes[k][1]);
        int st = agree(what, &b, &o);
        CHECK_MSG(st == FSIFT_E_LIMIT, "%s: status %d", what, st);
        free(b.p);
    }
}

static void test_photos(void) {
    const char *src = test_env("FSIFT_SOURCE_DIR", ".");
    static const char *names[] = {"astronaut.png", "camera.png", "chelsea.png", "coffee.png"};
    int found = 0;
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/samples/photos/%s", src, names[k]);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        buf b = {0};
        uint8_t tmp[65536];
        size_t r;
        while ((r = fread(tmp, 1, sizeof tmp, f)) > 0) buf_put(&b, tmp, r);
        fclose(f);
        fsift_decode_opts o;
        fsift_decode_opts_default(&o);
        CHECK_MSG(agree(names[k], &b, &o) == 0, "%s", names[k]);
        CHECK_MSG(fast_taken(&b), "%s: fast path declined", names[k]);
        found++;
        free(b.p);
    }
    if (!found) TEST_SKIP("no samples/photos/*.png (scripts/fetch-photos.sh)");
}

int main(void) {
    RUN(test_unfilter_simd);
    RUN(test_corpus);
    RUN(test_structure);
    RUN(test_truncation);
    RUN(test_limits);
    RUN(test_photos);
    fprintf(stderr, "  %d files decoded both ways (%d decoded, the rest errors on both)\n",
            n_compared, n_ok);
    return test_summary();
}
