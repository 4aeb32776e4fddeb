/*
 * png_fast.c — the fast path of PNG decoding for the common case: non-interlaced 8-bit gray,
 * gray+alpha, RGB, RGBA and palette images. It produces exactly the fsift_image the libspng
 * path of decode_png.c produces, and declines (returns 0, nothing allocated) whenever it
 * cannot be sure of that, so the caller then runs libspng as before. It never reports errors
 * itself: a corrupt, truncated or unusual file always ends up on the libspng path, which
 * gives the error (or, with allow_truncated, the partial image) it always gave.
 *
 * How: libspng has already read IHDR and every chunk before the first IDAT (decode_png.c's
 * open_png asks it for tRNS); spng_decode_chunks() tells whether that went without error, so
 * the pre-IDAT chunks are accepted or refused exactly as before, and PLTE/tRNS come from
 * libspng. This file then walks the chunks itself (lengths checked against the input) to the
 * first IDAT, takes the run of consecutive IDAT chunks (zero-length ones included), checks
 * the CRC-32 of every one (libspng checks them too; checking all, even the last one libspng
 * does not look at, only makes the fast path stricter), concatenates their payloads (a copy
 * bounded by the file size; none when there is one IDAT) and inflates them with libdeflate
 * into a buffer of exactly H·(1 + W·bpp) bytes (the size comes from IHDR, which the caller
 * has checked against the pixel limits before this runs). The stream must be complete
 * (Adler-32 checked) and decompress to exactly that size; a short stream, extra data past
 * the last row, a filter type above 4 or a bad CRC makes it decline.
 *
 * Rows are defiltered in place (None/Sub/Up/Average/Paeth; the first row's prior row is
 * zeros) and converted in the same pass: RGB rows are inflated into the output image itself
 * (allocated with one extra byte per row) and moved left by the filter bytes, so an RGB
 * image costs H extra bytes. Those stay at the end of the buffer: shrinking it with realloc
 * made glibc keep freed memory resident (peak RSS decoding the 200 bench-shard PNGs one
 * after another: 60 MB with the realloc, 27 MB without, 27 MB through libspng). The other
 * types inflate into a separate buffer. Alpha (RGBA, gray+alpha, palette with tRNS) is
 * composited onto white with img_over_white, as the libspng path does after decoding to
 * RGBA8. Gray and RGB with a tRNS colour key decline (rare; libspng handles them).
 *
 * SIMD (SSE2, x86-64's baseline): Sub, Average and Paeth for 3- and 4-byte pixels run one
 * pixel per vector (as libpng's intel filter code does), Up sixteen bytes per vector, and two
 * consecutive Paeth rows run together (paeth2: Paeth is a latency-bound chain along the row,
 * and most rows of photos are Paeth). The scalar loops are the reference and serve 1- and
 * 2-byte pixels and other CPUs.
 *
 * Known difference: libdeflate accepts a few malformed deflate streams that zlib (libspng's
 * inflater) refuses — code-length headers declaring more than 286 literal/length or 30
 * distance codes, a precode with a single codeword, the unused codeword of a one-symbol code.
 * No encoder writes them; where such a file decodes here, libspng would have called it
 * corrupt. On every input both accept, the pixels are the same.
 *
 * Thread-safe: no global state (one libdeflate decompressor per call).
 */
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <spng.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "image/image_internal.h"

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- defiltering (in place; prior is the previous defiltered row, zeros for row 0) ------ */

static inline uint8_t paeth(int a, int b, int c) {
    int p = b - c, q = a - c;
    int pa = p < 0 ? -p : p, pb = q < 0 ? -q : q, pc = p + q < 0 ? -(p + q) : p + q;
    if (pa <= pb && pa <= pc) return (uint8_t)a;
    return (uint8_t)(pb <= pc ? b : c);
}

/* The reference: any bpp, byte by byte. */
static void unfilter_scalar(uint8_t *r, const uint8_t *p, size_t n, size_t bpp, int f) {
    size_t i;
    switch (f) {
    case 1:
        for (i = bpp; i < n; i++) r[i] = (uint8_t)(r[i] + r[i - bpp]);
        break;
    case 2:
        for (i = 0; i < n; i++) r[i] = (uint8_t)(r[i] + p[i]);
        break;
    case 3:
        for (i = 0; i < bpp && i < n; i++) r[i] = (uint8_t)(r[i] + (p[i] >> 1));
        for (; i < n; i++) r[i] = (uint8_t)(r[i] + ((r[i - bpp] + p[i]) >> 1));
        break;
    case 4:
        for (i = 0; i < bpp && i < n; i++) r[i] = (uint8_t)(r[i] + p[i]);
        for (; i < n; i++) r[i] = (uint8_t)(r[i] + paeth(r[i - bpp], p[i], p[i - bpp]));
        break;
    default:
        break;
    }
}

#if defined(__SSE2__)
/* One pixel of bpp 3 or 4 bytes per step, as 16-bit lanes. For bpp 3 a load reads 4 bytes
 * while the row has more than 3 left (the fourth, the next pixel's, is ignored) and 3 at the
 * end; a store writes exactly bpp bytes. Nothing outside the row is touched. bpp is a
 * constant in each caller so that the memcpys compile to single moves. */
static inline __m128i ld(const uint8_t *s, size_t bpp, size_t left) {
    uint32_t v;
    if (bpp == 4 || left > 3) memcpy(&v, s, 4);
    else v = (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16;
    return _mm_unpacklo_epi8(_mm_cvtsi32_si128((int)v), _mm_setzero_si128());
}

static inline void st(uint8_t *d, __m128i x, size_t bpp) {
    uint32_t v = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(x, x));
    if (bpp == 4) memcpy(d, &v, 4);
    else d[0] = (uint8_t)v, d[1] = (uint8_t)(v >> 8), d[2] = (uint8_t)(v >> 16);
}

static inline __m128i abs16(__m128i x) {
    return _mm_max_epi16(x, _mm_sub_epi16(_mm_setzero_si128(), x));
}

/* The Paeth predictor of 16-bit lanes holding bytes: a if pa <= pb && pa <= pc, else b if
 * pb <= pc, else c, with pa = |b - c|, pb = |a - c|, pc = |a + b - 2c|. */
static inline __m128i paeth_sse2(__m128i a, __m128i b, __m128i c) {
    __m128i pb = _mm_sub_epi16(a, c); /* p - b = a - c */
    __m128i pa = _mm_sub_epi16(b, c); /* p - a = b - c */
    __m128i pc = _mm_add_epi16(pa, pb);
    pa = abs16(pa), pb = abs16(pb), pc = abs16(pc);
    __m128i use_c = _mm_cmpgt_epi16(pb, pc);
    __m128i bc = _mm_or_si128(_mm_and_si128(use_c, c), _mm_andnot_si128(use_c, b));
    __m128i not_a = _mm_or_si128(_mm_cmpgt_epi16(pa, pb), _mm_cmpgt_epi16(pa, pc));
    return _mm_or_si128(_mm_and_si128(not_a, bc), _mm_andnot_si128(not_a, a));
}

static inline __attribute__((always_inline)) void unfilter_px(uint8_t *r, const uint8_t *p,
                                                              size_t n, const size_t bpp, int f) {
    const __m128i m8 = _mm_set1_epi16(0xff);
    __m128i a = _mm_setzero_si128(), c = _mm_setzero_si128();
    if (f == 1) {
        for (size_t i = 0; i + bpp <= n; i += bpp) {
            a = _mm_and_si128(_mm_add_epi16(ld(r + i, bpp, n - i), a), m8);
            st(r + i, a, bpp);
        }
    } else if (f == 3) {
        for (size_t i = 0; i + bpp <= n; i += bpp) {
            __m128i x = ld(r + i, bpp, n - i), b = ld(p + i, bpp, n - i);
            a = _mm_and_si128(_mm_add_epi16(x, _mm_srli_epi16(_mm_add_epi16(a, b), 1)), m8);
            st(r + i, a, bpp);
        }
    } else { /* 4: Paeth */
        for (size_t i = 0; i + bpp <= n; i += bpp) {
            __m128i x = ld(r + i, bpp, n - i), b = ld(p + i, bpp, n - i);
            a = _mm_and_si128(_mm_add_epi16(x, paeth_sse2(a, b, c)), m8);
            c = b;
            st(r + i, a, bpp);
        }
    }
}

/* Up: sixteen bytes at a time, any bpp. */
static void unfilter_up_sse2(uint8_t *r, const uint8_t *p, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(r + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(p + i));
        _mm_storeu_si128((__m128i *)(r + i), _mm_add_epi8(x, b));
    }
    for (; i < n; i++) r[i] = (uint8_t)(r[i] + p[i]);
}

static void unfilter_sse2_3(uint8_t *r, const uint8_t *p, size_t n, int f) {
    unfilter_px(r, p, n, 3, f);
}

static void unfilter_sse2_4(uint8_t *r, const uint8_t *p, size_t n, int f) {
    unfilter_px(r, p, n, 4, f);
}
#endif

/* Defilters row r (n bytes, filter f already checked <= 4) against prior p (n bytes). */
static void unfilter_row(uint8_t *r, const uint8_t *p, size_t n, size_t bpp, int f) {
    if (f == 0) return;
#if defined(__SSE2__)
    if (f == 2) {
        unfilter_up_sse2(r, p, n);
        return;
    }
    if (bpp == 3 || bpp == 4) {
        if (bpp == 3) unfilter_sse2_3(r, p, n, f);
        else unfilter_sse2_4(r, p, n, f);
        return;
    }
#endif
    unfilter_scalar(r, p, n, bpp, f);
}

/* For tests: the scalar reference, to compare the SIMD rows with. */
void img_png_unfilter_ref(uint8_t *row, const uint8_t *prior, size_t n, size_t bpp, int filter) {
    unfilter_scalar(row, prior, n, bpp, filter);
}

void img_png_unfilter(uint8_t *row, const uint8_t *prior, size_t n, size_t bpp, int filter) {
    unfilter_row(row, prior, n, bpp, filter);
}

/* Two consecutive Paeth rows at once (SSE2): row r1 needs row r0's pixels t-1 and t-2
 * as its b and c, so step t defilters r0's pixel t in the low half of a vector and r1's
 * pixel t-1 in the high half — two independent pixels per trip round the latency chain
 * that makes single-row Paeth slow. r0 and r1 are n bytes each, p is r0's prior row. */
#if defined(__SSE2__)
static inline __attribute__((always_inline)) void paeth2_px(uint8_t *r0, uint8_t *r1,
                                                            const uint8_t *p, size_t n,
                                                            const size_t bpp) {
    const __m128i m8 = _mm_set1_epi16(0xff);
    const size_t npx = n / bpp;
    __m128i a = _mm_setzero_si128(), bprev = _mm_setzero_si128();
    for (size_t t = 0; t <= npx; t++) {
        __m128i x0 = _mm_setzero_si128(), p0 = _mm_setzero_si128(), x1 = _mm_setzero_si128();
        if (t < npx) {
            x0 = ld(r0 + t * bpp, bpp, n - t * bpp);
            p0 = ld(p + t * bpp, bpp, n - t * bpp);
        }
        if (t > 0) x1 = ld(r1 + (t - 1) * bpp, bpp, n - (t - 1) * bpp);
        __m128i x = _mm_unpacklo_epi64(x0, x1);
        __m128i b = _mm_unpacklo_epi64(p0, a); /* high: r0's pixel t-1, just made */
        __m128i c = bprev;
        a = _mm_and_si128(_mm_add_epi16(x, paeth_sse2(a, b, c)), m8);
        if (t == 0) a = _mm_move_epi64(a); /* r1 has no pixel -1: its a and c start at 0 */
        if (t < npx) st(r0 + t * bpp, a, bpp);
        if (t > 0) st(r1 + (t - 1) * bpp, _mm_srli_si128(a, 8), bpp);
        bprev = b;
    }
}

static void paeth2_3(uint8_t *r0, uint8_t *r1, const uint8_t *p, size_t n) {
    paeth2_px(r0, r1, p, n, 3);
}

static void paeth2_4(uint8_t *r0, uint8_t *r1, const uint8_t *p, size_t n) {
    paeth2_px(r0, r1, p, n, 4);
}
#endif

static int has_paeth2(size_t bpp) {
#if defined(__SSE2__)
    return bpp == 3 || bpp == 4;
#else
    (void)bpp;
    return 0;
#endif
}

/* Paeth-defilters r0 against p, then r1 against r0 (bpp 3 or 4; has_paeth2). */
static void paeth2(uint8_t *r0, uint8_t *r1, const uint8_t *p, size_t n, size_t bpp) {
#if defined(__SSE2__)
    if (bpp == 3) paeth2_3(r0, r1, p, n);
    else paeth2_4(r0, r1, p, n);
#else
    unfilter_scalar(r0, p, n, bpp, 4);
    unfilter_scalar(r1, r0, n, bpp, 4);
#endif
}

void img_png_unfilter_paeth2(uint8_t *r0, uint8_t *r1, const uint8_t *prior, size_t n, size_t bpp) {
    if (has_paeth2(bpp)) paeth2(r0, r1, prior, n, bpp);
    else unfilter_scalar(r0, prior, n, bpp, 4), unfilter_scalar(r1, r0, n, bpp, 4);
}

/* One defiltered row of a non-RGB type to RGB8 (alpha onto white). */
static void convert_row(int ct, const uint8_t *row, uint8_t *o, size_t W, const uint8_t *pal) {
    if (ct == SPNG_COLOR_TYPE_TRUECOLOR_ALPHA) {
        img_rgba_over_white(row, o, W);
    } else if (ct == SPNG_COLOR_TYPE_GRAYSCALE) {
        for (size_t x = 0; x < W; x++) o[3 * x] = o[3 * x + 1] = o[3 * x + 2] = row[x];
    } else if (ct == SPNG_COLOR_TYPE_GRAYSCALE_ALPHA) {
        for (size_t x = 0; x < W; x++) {
            uint32_t g = row[2 * x], a = row[2 * x + 1];
            uint8_t v = a == 255 ? (uint8_t)g : img_over_white(g, a);
            o[3 * x] = o[3 * x + 1] = o[3 * x + 2] = v;
        }
    } else { /* palette */
        for (size_t x = 0; x < W; x++) memcpy(o + 3 * x, pal + 3 * row[x], 3);
    }
}

/* ---- chunks -------------------------------------------------------------------------- */

/* Finds the run of IDAT chunks that starts at the first IDAT, checks every CRC and returns
 * the concatenated payload: *z points into data when the run has one non-empty chunk,
 * otherwise at a new buffer stored in *owned (caller frees). 0 to decline. */
static int idat_stream(const uint8_t *d, size_t n, const uint8_t **z, size_t *zn,
                       uint8_t **owned) {
    *owned = NULL;
    size_t i = 8, first = 0, total = 0, chunks = 0;
    const uint8_t *one = NULL;
    /* Walk to the first IDAT the way libspng did (it accepted everything before it). */
    for (;;) {
        if (n - i < 12) return 0;
        uint32_t len = be32(d + i);
        if (len > 0x7fffffffu || len > n - i - 12) return 0;
        if (!memcmp(d + i + 4, "IDAT", 4)) break;
        i += 12 + (size_t)len;
    }
    first = i;
    while (n - i >= 12 && !memcmp(d + i + 4, "IDAT", 4)) {
        uint32_t len = be32(d + i);
        if (len > 0x7fffffffu || len > n - i - 12) return 0; /* cut: libspng reports it */
        uint32_t crc = libdeflate_crc32(0, d + i + 4, (size_t)len + 4);
        if (crc != be32(d + i + 8 + len)) return 0;
        if (len) one = d + i + 8, chunks++;
        total += len;
        i += 12 + (size_t)len;
    }
    if (!total) return 0;
    if (chunks == 1) {
        *z = one, *zn = total;
        return 1;
    }
    uint8_t *buf = malloc(total);
    if (!buf) return 0;
    size_t o = 0;
    for (i = first; o < total;) {
        uint32_t len = be32(d + i);
        memcpy(buf + o, d + i + 8, len);
        o += len;
        i += 12 + (size_t)len;
    }
    *owned = buf, *z = buf, *zn = total;
    return 1;
}

/* ---- the decoder --------------------------------------------------------------------- */

int img_png_fast(struct spng_ctx *ctx, const uint8_t *data, size_t size, int has_alpha,
                 fsift_image *out) {
    memset(out, 0, sizeof *out);
    struct spng_ihdr ih;
    if (spng_get_ihdr(ctx, &ih) || ih.interlace_method != 0 || ih.bit_depth != 8) return 0;
    size_t bpp;
    switch (ih.color_type) {
    case SPNG_COLOR_TYPE_GRAYSCALE: bpp = 1; break;
    case SPNG_COLOR_TYPE_TRUECOLOR: bpp = 3; break;
    case SPNG_COLOR_TYPE_INDEXED: bpp = 1; break;
    case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA: bpp = 2; break;
    case SPNG_COLOR_TYPE_TRUECOLOR_ALPHA: bpp = 4; break;
    default: return 0;
    }
    if (spng_decode_chunks(ctx)) return 0; /* a pre-IDAT chunk is refused: libspng says why */
    struct spng_trns trns;
    memset(&trns, 0, sizeof trns);
    int have_trns = spng_get_trns(ctx, &trns) == 0;
    const int ct = ih.color_type;
    if (have_trns && (ct == SPNG_COLOR_TYPE_GRAYSCALE || ct == SPNG_COLOR_TYPE_TRUECOLOR)) return 0;
    if (have_trns != (has_alpha && ct != SPNG_COLOR_TYPE_GRAYSCALE_ALPHA &&
                      ct != SPNG_COLOR_TYPE_TRUECOLOR_ALPHA))
        return 0; /* not the alpha decision the caller made: let it decode as it chose */
    uint8_t pal[256 * 3 + 1];
    if (ct == SPNG_COLOR_TYPE_INDEXED) {
        struct spng_plte plte;
        memset(&plte, 0, sizeof plte);
        if (spng_get_plte(ctx, &plte)) return 0;
        /* All 256 entries as libspng uses them (unset ones are zero), composited onto white
         * when tRNS gives alpha: the per-pixel result is a function of the index alone. */
        for (int k = 0; k < 256; k++) {
            uint32_t a = 255;
            if (have_trns && (uint32_t)k < trns.n_type3_entries) a = trns.type3_alpha[k];
            const struct spng_plte_entry *e = &plte.entries[k];
            pal[3 * k] = a == 255 ? e->red : img_over_white(e->red, a);
            pal[3 * k + 1] = a == 255 ? e->green : img_over_white(e->green, a);
            pal[3 * k + 2] = a == 255 ? e->blue : img_over_white(e->blue, a);
        }
    }
    const size_t W = ih.width, H = ih.height;
    if (!W || !H || W > 0x7fffffffu / 4) return 0; /* libspng's row-size limit (RGBA8) */
    const size_t rb = W * bpp, raw_stride = rb + 1;
    if (H > (SIZE_MAX - 64) / raw_stride || H > SIZE_MAX / (W * 3)) return 0;
    const size_t raw_n = H * raw_stride;

    const uint8_t *z;
    size_t zn;
    uint8_t *zown;
    if (!idat_stream(data, size, &z, &zn, &zown)) return 0;

    const int rgb = ct == SPNG_COLOR_TYPE_TRUECOLOR;
    /* RGB inflates into the output itself (see the top of the file). */
    uint8_t *raw = malloc(raw_n);
    uint8_t *zero = calloc(rb, 1);
    fsift_image img;
    memset(&img, 0, sizeof img);
    int ok = 0;
    if (!raw || !zero) goto done;
    if (!rgb && img_alloc_uninit((int)W, (int)H, 3, &img)) goto done;
    struct libdeflate_decompressor *dc = libdeflate_alloc_decompressor();
    if (!dc) goto done;
    enum libdeflate_result res = libdeflate_zlib_decompress(dc, z, zn, raw, raw_n, NULL);
    libdeflate_free_decompressor(dc);
    if (res != LIBDEFLATE_SUCCESS) goto done;

    const uint8_t *prior = zero;
    for (size_t y = 0; y < H;) {
        uint8_t *src = raw + y * raw_stride;
        int f = src[0];
        if (f > 4) goto done;
        /* Two Paeth rows in a row (most rows of photos) are defiltered together. */
        size_t k = f == 4 && y + 1 < H && src[raw_stride] == 4 && has_paeth2(bpp) ? 2 : 1;
        /* Output row y starts at y·rb (RGB) or is the raw row itself (others). */
        const size_t ostride = rgb ? rb : raw_stride;
        uint8_t *row = rgb ? raw + y * rb : src + 1;
        if (rgb) /* move the rows over their filter bytes (and the y earlier ones); the
                  * rows above are final and stay put */
            for (size_t j = 0; j < k; j++) memmove(row + j * rb, src + j * raw_stride + 1, rb);
        if (k == 2) paeth2(row, row + ostride, prior, rb, bpp);
        else unfilter_row(row, prior, rb, bpp, f);
        if (!rgb)
            for (size_t j = 0; j < k; j++)
                convert_row(ct, row + j * ostride, img.data + (y + j) * img.stride, W, pal);
        prior = row + (k - 1) * ostride;
        y += k;
    }
    if (rgb) {
        img.width = (int)W, img.height = (int)H, img.channels = 3, img.stride = rb;
        img.data = raw;
        raw = NULL;
    }
    ok = 1;
done:
    free(zown);
    free(zero);
    free(raw);
    if (!ok) {
        fsift_image_free(&img);
        return 0;
    }
    *out = img;
    return 1;
}
