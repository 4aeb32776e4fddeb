/*
 * parquet_decode.c — parquet's integer encodings: the RLE / bit-packed hybrid (definition
 * levels and dictionary indices) and DELTA_BINARY_PACKED (integers, and the lengths inside
 * DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY).
 *
 * Both read from a borrowed buffer with every byte access checked; a run that claims more
 * values than the caller asked for is clipped, one that needs more bytes than are left is an
 * error. Bit-packed values are little-endian, least significant bit first.
 */
#include <string.h>

#include "data/parquet_internal.h"

static int uleb(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end) return -1;
        uint8_t b = *(*p)++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

/* Reads value i (bit_width <= 64) from a bit-packed buffer that holds at least
 * (i+1)*bit_width bits. */
static inline uint64_t bits_at(const uint8_t *buf, uint64_t i, int bw) {
    uint64_t bit = i * (uint64_t)bw, v = 0;
    int got = 0;
    while (got < bw) {
        uint64_t byte = bit >> 3;
        int off = (int)(bit & 7), take = 8 - off;
        if (take > bw - got) take = bw - got;
        uint64_t chunk = ((uint64_t)buf[byte] >> off) & ((1u << take) - 1);
        v |= chunk << got;
        got += take;
        bit += (uint64_t)take;
    }
    return v;
}

int pq_rle_decode(const uint8_t *p, size_t size, int bit_width, uint32_t *out, int64_t n) {
    if (bit_width < 0 || bit_width > 32) return -1;
    const uint8_t *end = p + size;
    int64_t i = 0;
    size_t vbytes = (size_t)(bit_width + 7) / 8;
    while (i < n) {
        uint64_t h;
        if (uleb(&p, end, &h)) return -1;
        if (h & 1) { /* bit-packed: (h >> 1) groups of 8 values */
            uint64_t groups = h >> 1;
            if (bit_width && groups > (uint64_t)(end - p)) return -1;
            uint64_t bytes = groups * (uint64_t)bit_width;
            uint64_t vals = groups * 8;
            /* the last run of a page may be cut short after the values that count */
            uint64_t avail = (uint64_t)(end - p);
            uint64_t want = (uint64_t)(n - i) < vals ? (uint64_t)(n - i) : vals;
            if (bit_width && (want * (uint64_t)bit_width + 7) / 8 > avail) return -1;
            for (uint64_t k = 0; k < want; k++) out[i + (int64_t)k] = bit_width ? (uint32_t)bits_at(p, k, bit_width) : 0;
            i += (int64_t)want;
            p += bytes < avail ? bytes : avail;
        } else { /* RLE: (h >> 1) copies of one value in vbytes bytes */
            uint64_t count = h >> 1;
            if ((size_t)(end - p) < vbytes) return -1;
            uint32_t v = 0;
            for (size_t b = 0; b < vbytes; b++) v |= (uint32_t)p[b] << (8 * b);
            p += vbytes;
            if (bit_width < 32 && (v >> bit_width)) return -1;
            uint64_t take = count < (uint64_t)(n - i) ? count : (uint64_t)(n - i);
            for (uint64_t k = 0; k < take; k++) out[i + (int64_t)k] = v;
            i += (int64_t)take;
        }
    }
    return 0;
}

/* DELTA_BINARY_PACKED header: block size (multiple of 128), miniblocks per block (block size
 * / miniblocks a multiple of 32), total count, first value (zigzag). */
typedef struct delta_hdr {
    uint64_t block, mini, count;
    int64_t first;
} delta_hdr;

static int delta_header(const uint8_t **p, const uint8_t *end, delta_hdr *h) {
    uint64_t first;
    if (uleb(p, end, &h->block) || uleb(p, end, &h->mini) || uleb(p, end, &h->count) || uleb(p, end, &first))
        return -1;
    if (h->block == 0 || h->block % 128 || h->block > (1u << 20) || h->mini == 0 || h->block % h->mini ||
        (h->block / h->mini) % 32)
        return -1;
    h->first = (int64_t)(first >> 1) ^ -(int64_t)(first & 1);
    return 0;
}

int pq_delta_count(const uint8_t *p, size_t size, int64_t *count) {
    delta_hdr h;
    if (delta_header(&p, p + size, &h) || h.count > (uint64_t)INT64_MAX) return -1;
    *count = (int64_t)h.count;
    return 0;
}

int pq_delta_decode(const uint8_t *p, size_t size, int64_t *out, int64_t max, int64_t *count, size_t *used) {
    const uint8_t *start = p, *end = p + size;
    delta_hdr h;
    if (delta_header(&p, end, &h)) return -1;
    if (h.count > (uint64_t)max) return -1;
    *count = (int64_t)h.count;
    if (h.count == 0) {
        *used = (size_t)(p - start);
        return 0;
    }
    uint64_t per_mini = h.block / h.mini, i = 1;
    uint64_t prev = (uint64_t)h.first;
    out[0] = h.first;
    while (i < h.count) {
        uint64_t mdz;
        if (uleb(&p, end, &mdz)) return -1;
        uint64_t min_delta = (uint64_t)((int64_t)(mdz >> 1) ^ -(int64_t)(mdz & 1));
        if ((uint64_t)(end - p) < h.mini) return -1;
        const uint8_t *widths = p;
        p += h.mini;
        for (uint64_t m = 0; m < h.mini && i < h.count; m++) {
            int bw = widths[m];
            if (bw > 64) return -1;
            uint64_t bytes = per_mini * (uint64_t)bw / 8;
            if ((uint64_t)(end - p) < bytes) return -1;
            for (uint64_t k = 0; k < per_mini && i < h.count; k++, i++) {
                uint64_t d = bw ? bits_at(p, k, bw) : 0;
                prev = prev + min_delta + d; /* wraps, as the format intends */
                out[i] = (int64_t)prev;
            }
            p += bytes;
        }
    }
    *used = (size_t)(p - start);
    return 0;
}
