/*
 * encode_png.c — fsift_png_encode: a PNG writer of our own on libdeflate.
 *
 * Output: the signature, IHDR (8-bit, colour type 2 = RGB or 0 = gray, no interlace), the
 * zlib stream in IDAT chunks of at most 1 MiB, IEND; CRCs from libdeflate_crc32. Nothing else
 * (no gAMA/pHYs/tEXt), so the bytes depend only on the pixels and the level: deterministic.
 *
 * Filters: every row gets one of None, Sub, Up, Average or Paeth. Levels 1-3: the one whose
 * output has the smallest sum of absolute values read as signed bytes — the "minimum sum of
 * absolute differences" heuristic of libpng and Pillow's ZIP encoder. From level 4: of the two
 * cheapest by that sum, the one with fewer distinct byte pairs in the row (oxipng's "bigrams"
 * idea: fewer pairs, more LZ matches): 0.5-1.5% smaller libdeflate streams on upscaled photos
 * (chelsea 3x at level 6: 0.6% under Pillow instead of 0.4% over). Pillow tries Average only
 * with optimize=True. Pillow 9.4 filters at every level, even 0, where only the stored size
 * counts; we skip the choice there (None everywhere: the same stored size, faster). All five
 * candidates are computed in one pass per row (SSE2, 16 bytes a step, Paeth in 16-bit lanes;
 * scalar loops are the reference and the tail, and give byte-identical files).
 *
 * Compression: Pillow runs zlib with the Z_FILTERED strategy, which keeps matches shorter
 * than 6 as literals; on noisy photo residuals that beats libdeflate 1.14 at levels 4-9 by
 * 2-5%, and zlib's Z_RLE strategy (literals and distance-1 runs: fast) is often the smallest
 * of all. So from level 4 up there are two coders: libdeflate at the level of kLevelNoisy /
 * kLevelSmooth (by the mean filtered residual: upscaled or flat images are "smooth", where
 * libdeflate's levels 7-9 slow down several-fold on long hash chains) and Z_RLE. Both are run
 * on a sample (evenly spaced stripes of rows, about 1/16 of the data) and only the winner on
 * the whole image; libdeflate, 3-10x slower, must win the sample by at least 1%
 * (PNG_LZ_GAIN_PCT). Images whose sample would be over a quarter of the data run both in full
 * and keep the smaller. Levels 1-3 are libdeflate alone (5-8% smaller than Pillow). The
 * choices were measured on skimage's photos and their upscales (docs/images.md); at level 6
 * some smooth images still come out larger than Pillow's (upscales up to 2%, skimage's moon
 * 6%), as before this scheme. The stream is written
 * straight into the output after the first IDAT header, then split into chunks in place
 * (chunk data moved forward, last first).
 *
 * Memory: the filtered rows (h·(w·c+1) bytes), the output (libdeflate's bound), the sample
 * and its stream (about 1/8 of the data) and, when both coders run in full, the RLE stream:
 * at most about three times the raw image at the peak,
 * all freed or returned. Sizes are checked for overflow and capped by the decoder's default
 * limits so that anything written can be read back with default limits. Thread-safe: no
 * global state.
 */
#include <libdeflate.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "facesift/image.h"

#define PNG_IDAT_MAX ((size_t)1 << 20)
#define PNG_MAX_DIM 65500

/* zlib level → libdeflate level (index = zlib level) for noisy images (mean filtered residual
 * ≥ 3 per byte: camera photos at their own resolution) and smooth ones (upscaled, flat), where
 * libdeflate's levels 7-9 slow down several-fold on long hash chains; and whether a zlib
 * Z_RLE stream competes with it (pick_coder). */
static const int kLevelNoisy[10] = {0, 1, 2, 3, 6, 8, 9, 10, 10, 10};
static const int kLevelSmooth[10] = {0, 1, 2, 3, 6, 6, 6, 10, 10, 10};
static const unsigned char kTryRle[10] = {0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
#define PNG_SMOOTH_RESIDUAL 3
#define PNG_BIGRAM_WORDS (65536 / 64)
#define PNG_STRIPE_BYTES (32 * 1024)
#define PNG_LZ_GAIN_PCT 1

/* raw as a zlib stream made with zlib's Z_RLE strategy (literals and distance-1 matches)
 * into dst (cap bytes). Returns its size, 0 when it does not fit; -1 when out of memory. */
static long long rle_compress(const uint8_t *raw, size_t raw_len, uint8_t *dst, size_t cap) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (raw_len > UINT_MAX || cap > UINT_MAX) return 0;
    if (deflateInit2(&zs, 9, Z_DEFLATED, 15, 9, Z_RLE) != Z_OK) return -1;
    zs.next_in = (Bytef *)raw;
    zs.avail_in = (uInt)raw_len;
    zs.next_out = dst;
    zs.avail_out = (uInt)cap;
    long long len = deflate(&zs, Z_FINISH) == Z_STREAM_END ? (long long)zs.total_out : 0;
    deflateEnd(&zs);
    return len;
}

enum { CODER_LZ = 1, CODER_RLE = 2, CODER_BOTH = 3 };

/* Which stream to make in full (from level 4 up): libdeflate's (comp) or zlib's RLE, from
 * both made on a sample of the filtered rows (row bytes each, h rows): stripes of at least
 * PNG_STRIPE_BYTES (whole rows, evenly spaced) that add up to about 1/16 of the data, copied
 * together. libdeflate, several times slower, is chosen only when its sample is at least
 * PNG_LZ_GAIN_PCT % smaller. When the sample would be over a quarter of the image, both are
 * made in full and the smaller kept. Returns CODER_*, or 0 when out of memory. */
static int pick_coder(struct libdeflate_compressor *comp, const uint8_t *raw, size_t row, size_t h) {
    size_t stripe = (PNG_STRIPE_BYTES + row - 1) / row; /* rows */
    size_t nstripes = h * row / 16 / (stripe * row);
    if (nstripes < 4) nstripes = 4;
    if (4 * nstripes * stripe > h) return CODER_BOTH;
    size_t len = nstripes * stripe * row, bound = libdeflate_zlib_compress_bound(comp, len);
    uint8_t *sample = malloc(len + bound);
    if (!sample) return 0;
    for (size_t k = 0; k < nstripes; k++) {
        size_t y = k * h / nstripes + (h / nstripes - stripe) / 2;
        memcpy(sample + k * stripe * row, raw + y * row, stripe * row);
    }
    size_t lz = libdeflate_zlib_compress(comp, sample, len, sample + len, bound);
    long long rle = rle_compress(sample, len, sample + len, bound);
    free(sample);
    if (rle < 0) return 0;
    if (!lz || !rle) return CODER_BOTH;
    return (unsigned long long)lz * 100 < (unsigned long long)rle * (100 - PNG_LZ_GAIN_PCT) ? CODER_LZ
                                                                                          : CODER_RLE;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Writes a chunk's length and type at p; its data must already be at p + 8. Appends the CRC
 * (over type and data). Returns the chunk's total size. */
static size_t finish_chunk(uint8_t *p, const char type[4], size_t len) {
    put_be32(p, (uint32_t)len);
    memcpy(p + 4, type, 4);
    put_be32(p + 8 + len, libdeflate_crc32(0, p + 4, len + 4));
    return len + 12;
}

/* |(int8_t)v| summed: the cost of a filtered row. */
static inline unsigned sabs(unsigned v) { return v < 128 ? v : 256 - v; }

#ifdef __SSE2__
static inline __m128i sabs16(__m128i v) { return _mm_min_epu8(v, _mm_sub_epi8(_mm_setzero_si128(), v)); }
static inline __m128i abs16(__m128i v) { return _mm_max_epi16(v, _mm_sub_epi16(_mm_setzero_si128(), v)); }

/* Paeth predictions for 8 pixels' bytes widened to 16 bits. */
static inline __m128i paeth8(__m128i a, __m128i up, __m128i c) {
    __m128i pa = _mm_sub_epi16(up, c), pb = _mm_sub_epi16(a, c);
    __m128i pc = abs16(_mm_add_epi16(pa, pb));
    pa = abs16(pa);
    pb = abs16(pb);
    __m128i not_a = _mm_or_si128(_mm_cmpgt_epi16(pa, pb), _mm_cmpgt_epi16(pa, pc));
    __m128i take_c = _mm_cmpgt_epi16(pb, pc);
    __m128i bc = _mm_or_si128(_mm_and_si128(take_c, c), _mm_andnot_si128(take_c, up));
    return _mm_or_si128(_mm_and_si128(not_a, bc), _mm_andnot_si128(not_a, a));
}

/* The filters of bytes [b, n) 16 at a time, sums into s[0..4]; returns where it stopped. */
static size_t filter_simd(const uint8_t *cur, const uint8_t *prev, size_t n, size_t b,
                          uint8_t *fs, uint8_t *fu, uint8_t *fa, uint8_t *fp, unsigned s[5]) {
    const __m128i z = _mm_setzero_si128(), one = _mm_set1_epi8(1);
    __m128i t0 = z, t1 = z, t2 = z, t3 = z, t4 = z;
    size_t i = b;
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(cur + i));
        __m128i a = _mm_loadu_si128((const __m128i *)(cur + i - b));
        __m128i up = _mm_loadu_si128((const __m128i *)(prev + i));
        __m128i c = _mm_loadu_si128((const __m128i *)(prev + i - b));
        __m128i vs = _mm_sub_epi8(x, a), vu = _mm_sub_epi8(x, up);
        __m128i avg = _mm_sub_epi8(_mm_avg_epu8(a, up), _mm_and_si128(_mm_xor_si128(a, up), one));
        __m128i va = _mm_sub_epi8(x, avg);
        __m128i plo = paeth8(_mm_unpacklo_epi8(a, z), _mm_unpacklo_epi8(up, z), _mm_unpacklo_epi8(c, z));
        __m128i phi = paeth8(_mm_unpackhi_epi8(a, z), _mm_unpackhi_epi8(up, z), _mm_unpackhi_epi8(c, z));
        __m128i vp = _mm_sub_epi8(x, _mm_packus_epi16(plo, phi));
        _mm_storeu_si128((__m128i *)(fs + i), vs);
        _mm_storeu_si128((__m128i *)(fu + i), vu);
        _mm_storeu_si128((__m128i *)(fa + i), va);
        _mm_storeu_si128((__m128i *)(fp + i), vp);
        t0 = _mm_add_epi64(t0, _mm_sad_epu8(sabs16(x), z));
        t1 = _mm_add_epi64(t1, _mm_sad_epu8(sabs16(vs), z));
        t2 = _mm_add_epi64(t2, _mm_sad_epu8(sabs16(vu), z));
        t3 = _mm_add_epi64(t3, _mm_sad_epu8(sabs16(va), z));
        t4 = _mm_add_epi64(t4, _mm_sad_epu8(sabs16(vp), z));
    }
    __m128i t[5] = {t0, t1, t2, t3, t4};
    for (int k = 0; k < 5; k++) {
        uint64_t lanes[2];
        _mm_storeu_si128((__m128i *)lanes, t[k]);
        s[k] += (unsigned)(lanes[0] + lanes[1]);
    }
    return i;
}
#endif

/* The number of distinct byte pairs (r[i-1], r[i]) in a row of n bytes; seen is a 65536-bit
 * scratch set (cleared here). Fewer distinct pairs, more and longer LZ matches. */
static unsigned bigrams(const uint8_t *r, size_t n, uint64_t *seen) {
    memset(seen, 0, PNG_BIGRAM_WORDS * sizeof *seen);
    unsigned count = 0;
    for (size_t i = 1; i < n; i++) {
        unsigned k = (unsigned)r[i - 1] << 8 | r[i];
        uint64_t bit = (uint64_t)1 << (k & 63);
        count += !(seen[k >> 6] & bit);
        seen[k >> 6] |= bit;
    }
    return count;
}

/* Filters one row of n bytes (bpp bytes per pixel) every way and writes the chosen one, with
 * its filter-type byte, at out: the one of smallest cost (sum of |signed byte|) or, when
 * seen (the bigram set) is given, of the two cheapest the one with fewer distinct byte pairs
 * (the first on a tie). prev is the row above (zeros for the first row). scratch has 4·n
 * bytes. Returns the smallest cost. SSE2 does the bulk; the scalar loops below are the
 * reference and the tail. */
static unsigned filter_row(const uint8_t *cur, const uint8_t *prev, size_t n, size_t bpp,
                           uint8_t *scratch, uint64_t *seen, uint8_t *out) {
    uint8_t *fs = scratch, *fu = scratch + n, *fa = scratch + 2 * n, *fp = scratch + 3 * n;
    size_t b = bpp < n ? bpp : n;
    unsigned s[5] = {0, 0, 0, 0, 0};
    for (size_t i = 0; i < b; i++) {
        uint8_t u = (uint8_t)(cur[i] - prev[i]);
        uint8_t a = (uint8_t)(cur[i] - (prev[i] >> 1));
        fs[i] = cur[i];
        fu[i] = u;
        fa[i] = a;
        fp[i] = u; /* Paeth with a = c = 0 predicts the byte above */
        s[0] += sabs(cur[i]);
        s[1] += sabs(cur[i]);
        s[2] += sabs(u);
        s[3] += sabs(a);
        s[4] += sabs(u);
    }
    size_t i0 = b;
#ifdef __SSE2__
    i0 = filter_simd(cur, prev, n, b, fs, fu, fa, fp, s);
#endif
    for (size_t i = i0; i < n; i++) {
        int a = cur[i - b], up = prev[i], c = prev[i - b];
        int pa = up - c, pb = a - c, pc;
        pc = pa + pb;
        pa = pa < 0 ? -pa : pa;
        pb = pb < 0 ? -pb : pb;
        pc = pc < 0 ? -pc : pc;
        int pred = (pa <= pb && pa <= pc) ? a : (pb <= pc ? up : c);
        uint8_t vs = (uint8_t)(cur[i] - a), vu = (uint8_t)(cur[i] - up);
        uint8_t va = (uint8_t)(cur[i] - ((a + up) >> 1)), vp = (uint8_t)(cur[i] - pred);
        fs[i] = vs;
        fu[i] = vu;
        fa[i] = va;
        fp[i] = vp;
        s[0] += sabs(cur[i]);
        s[1] += sabs(vs);
        s[2] += sabs(vu);
        s[3] += sabs(va);
        s[4] += sabs(vp);
    }
    /* Ties go to the lower filter type. */
    const uint8_t *cand[5] = {cur, fs, fu, fa, fp};
    int type = 0, second = 1;
    for (int k = 1; k < 5; k++)
        if (s[k] < s[type]) type = k;
    unsigned best = s[type];
    if (seen) {
        if (type == 1) second = 0;
        for (int k = 0; k < 5; k++)
            if (k != type && s[k] < s[second]) second = k;
        if (bigrams(cand[second], n, seen) < bigrams(cand[type], n, seen)) type = second;
    }
    out[0] = (uint8_t)type;
    memcpy(out + 1, cand[type], n);
    return best;
}

fsift_status fsift_png_encode(const fsift_image *img, int level, void **out, size_t *size) {
    if (out) *out = NULL;
    if (size) *size = 0;
    if (!img || !out || !size) return fsift_error(FSIFT_E_INVALID_ARG, "png encode: NULL argument");
    if (level < 0 || level > 9)
        return fsift_error(FSIFT_E_INVALID_ARG, "png encode: level %d is not in 0..9", level);
    if (img->channels != 1 && img->channels != 3)
        return fsift_error(FSIFT_E_INVALID_ARG, "png encode: %d channels (1 or 3 expected)",
                           img->channels);
    if (img->width <= 0 || img->height <= 0 || !img->data)
        return fsift_error(FSIFT_E_INVALID_ARG, "png encode: empty image (%dx%d)", img->width,
                           img->height);
    if (img->width > PNG_MAX_DIM || img->height > PNG_MAX_DIM ||
        (uint64_t)img->width * (uint64_t)img->height > FSIFT_DEFAULT_MAX_PIXELS)
        return fsift_error(FSIFT_E_LIMIT, "png encode: %dx%d is over the limit (%d per side, %u pixels)",
                           img->width, img->height, PNG_MAX_DIM, FSIFT_DEFAULT_MAX_PIXELS);
    size_t w = (size_t)img->width, h = (size_t)img->height;
    size_t bpp = (size_t)img->channels, n = w * bpp; /* fits: ≤ 65500·3 */
    if (img->stride < n)
        return fsift_error(FSIFT_E_INVALID_ARG, "png encode: stride %zu < width*channels %zu",
                           img->stride, n);
    size_t raw_len = (n + 1) * h; /* ≤ 3·89.5 M + 65500: no overflow on 64-bit size_t */

    struct libdeflate_compressor *comp = NULL;
    uint8_t *raw = malloc(raw_len);
    uint8_t *scratch = malloc(4 * n + n); /* 4 candidate rows + one zero row */
    uint64_t *seen = level >= 4 ? malloc(PNG_BIGRAM_WORDS * sizeof *seen) : NULL;
    uint8_t *buf = NULL;
    fsift_status st = FSIFT_OK;
    if (!raw || !scratch || (level >= 4 && !seen)) {
        st = fsift_error(FSIFT_E_NOMEM, "png encode: out of memory (%zu bytes)", raw_len);
        goto done;
    }

    const uint8_t *pix = img->data;
    uint64_t residual = 0; /* Σ |filtered byte| over the chosen filters */
    if (level == 0) {
        for (size_t y = 0; y < h; y++) {
            raw[y * (n + 1)] = 0;
            memcpy(raw + y * (n + 1) + 1, pix + y * img->stride, n);
        }
    } else {
        uint8_t *zero = scratch + 4 * n;
        memset(zero, 0, n);
        for (size_t y = 0; y < h; y++)
            residual += filter_row(pix + y * img->stride, y ? pix + (y - 1) * img->stride : zero,
                                   n, bpp, scratch, seen, raw + y * (n + 1));
    }
    int smooth = residual < (uint64_t)PNG_SMOOTH_RESIDUAL * (raw_len - h);
    comp = libdeflate_alloc_compressor(smooth ? kLevelSmooth[level] : kLevelNoisy[level]);
    if (!comp) {
        st = fsift_error(FSIFT_E_NOMEM, "png encode: out of memory (libdeflate)");
        goto done;
    }

    size_t bound = libdeflate_zlib_compress_bound(comp, raw_len);
    size_t max_chunks = bound / PNG_IDAT_MAX + 1;
    size_t head = 8 + 25 + 8; /* signature, IHDR, first IDAT's length and type */
    size_t cap = head + bound + 4 + (max_chunks - 1) * 12 + 12;
    buf = malloc(cap);
    if (!buf) {
        st = fsift_error(FSIFT_E_NOMEM, "png encode: out of memory (%zu bytes)", cap);
        goto done;
    }
    int coder = CODER_LZ;
    if (kTryRle[level] && !(coder = pick_coder(comp, raw, n + 1, h))) {
        st = fsift_error(FSIFT_E_NOMEM, "png encode: out of memory (sample)");
        goto done;
    }
    size_t zlen = 0;
    if (coder & CODER_LZ) {
        zlen = libdeflate_zlib_compress(comp, raw, raw_len, buf + head, bound);
        if (!zlen) {
            st = fsift_error(FSIFT_E_INTERNAL, "png encode: libdeflate found its bound too small");
            goto done;
        }
    }
    if (coder & CODER_RLE) {
        /* Alone: straight into the output (libdeflate's bound; on the off chance that zlib's
         * stream does not fit, libdeflate's is made). Both: beside libdeflate's, smaller kept. */
        uint8_t *dst = coder == CODER_BOTH ? malloc(zlen) : buf + head;
        long long rlen = dst ? rle_compress(raw, raw_len, dst, coder == CODER_BOTH ? zlen : bound) : -1;
        if (rlen < 0) {
            if (coder == CODER_BOTH) free(dst);
            st = fsift_error(FSIFT_E_NOMEM, "png encode: out of memory (zlib)");
            goto done;
        }
        if (coder == CODER_BOTH) {
            if (rlen > 0 && (size_t)rlen < zlen) {
                memcpy(buf + head, dst, (size_t)rlen);
                zlen = (size_t)rlen;
            }
            free(dst);
        } else if (rlen > 0) {
            zlen = (size_t)rlen;
        } else if (!(zlen = libdeflate_zlib_compress(comp, raw, raw_len, buf + head, bound))) {
            st = fsift_error(FSIFT_E_INTERNAL, "png encode: libdeflate found its bound too small");
            goto done;
        }
    }

    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(buf, sig, 8);
    uint8_t *ihdr = buf + 8 + 8;
    put_be32(ihdr, (uint32_t)w);
    put_be32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;                      /* bit depth */
    ihdr[9] = bpp == 3 ? 2 : 0;       /* colour type */
    ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, adaptive filtering, no interlace */
    finish_chunk(buf + 8, "IHDR", 13);

    /* Chunk k's data moves from head + k·MAX to head + k·(MAX + 12); last first. */
    size_t nchunks = (zlen + PNG_IDAT_MAX - 1) / PNG_IDAT_MAX;
    for (size_t k = nchunks; k-- > 0;) {
        size_t len = k + 1 < nchunks ? PNG_IDAT_MAX : zlen - k * PNG_IDAT_MAX;
        uint8_t *dst = buf + head + k * (PNG_IDAT_MAX + 12);
        if (k) memmove(dst, buf + head + k * PNG_IDAT_MAX, len);
        finish_chunk(dst - 8, "IDAT", len);
    }
    size_t pos = head - 8 + zlen + nchunks * 12;
    finish_chunk(buf + pos, "IEND", 0);
    pos += 12;

    uint8_t *shrunk = realloc(buf, pos);
    *out = shrunk ? shrunk : buf;
    *size = pos;
    buf = NULL;
done:
    free(buf);
    free(seen);
    free(scratch);
    free(raw);
    libdeflate_free_compressor(comp);
    return st;
}
