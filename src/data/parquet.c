/*
 * parquet.c — the parquet file reader: footer, column chunks, pages and values.
 *
 * A handle keeps the parsed footer (parquet_meta.c) and reads one column chunk at a time
 * (pread from the file, or a slice of a borrowed buffer). A chunk is a sequence of pages: at
 * most one dictionary page first, then data pages v1 (levels and values compressed together)
 * or v2 (levels uncompressed, values optionally compressed). Each page is decompressed into a
 * scratch buffer of exactly the size its header states (bounded by limits.max_page_bytes),
 * its definition levels (OPTIONAL columns, max level 1) say which rows hold a value, and the
 * values are decoded densely into the output, then spread over the valid rows from the back.
 * Output sizes are bounded by the row group's row count (limits.max_rows_per_group) and
 * limits.max_chunk_bytes before anything is allocated. Any inconsistency between headers,
 * levels and values is an FSIFT_E_FORMAT error that names the column.
 */
#include <errno.h>
#include <fcntl.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "data/parquet_internal.h"

struct fsift_parquet {
    int fd;                      /* -1 for a buffer */
    const uint8_t *mem;
    uint64_t size;
    uint64_t data_end;           /* where the footer starts: chunks must lie before it */
    fsift_parquet_limits lim;
    pq_meta meta;
    uint8_t *chunk_buf, *page_buf; /* kept between chunks: fresh memory costs page faults */
    size_t chunk_cap, page_cap;
};

static const fsift_parquet_limits default_limits = {1 << 24, 256 << 20, (int64_t)1 << 30};

/* ---- opening ------------------------------------------------------------------------------- */

static fsift_status src_read(fsift_parquet *pq, uint64_t off, uint64_t len, uint8_t *dst) {
    if (off > pq->size || len > pq->size - off)
        return fsift_error(FSIFT_E_FORMAT, "parquet: a range of %llu bytes at %llu is past the end of the file",
                           (unsigned long long)len, (unsigned long long)off);
    if (pq->mem) {
        memcpy(dst, pq->mem + off, (size_t)len);
        return FSIFT_OK;
    }
    uint64_t done = 0;
    while (done < len) {
        ssize_t r = pread(pq->fd, dst + done, (size_t)(len - done), (off_t)(off + done));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return fsift_error(FSIFT_E_IO, "parquet: read failed: %s", r < 0 ? strerror(errno) : "file shrank");
        done += (uint64_t)r;
    }
    return FSIFT_OK;
}

static fsift_status open_common(fsift_parquet *pq, const fsift_parquet_limits *limits) {
    pq->lim = limits ? *limits : default_limits;
    if (pq->lim.max_rows_per_group <= 0) pq->lim.max_rows_per_group = default_limits.max_rows_per_group;
    if (pq->lim.max_page_bytes <= 0) pq->lim.max_page_bytes = default_limits.max_page_bytes;
    if (pq->lim.max_chunk_bytes <= 0) pq->lim.max_chunk_bytes = default_limits.max_chunk_bytes;
    uint8_t head[4], tail[8];
    if (pq->size < 12) return fsift_error(FSIFT_E_FORMAT, "parquet: file of %llu bytes is too small", (unsigned long long)pq->size);
    fsift_status st = src_read(pq, 0, 4, head);
    if (st == FSIFT_OK) st = src_read(pq, pq->size - 8, 8, tail);
    if (st) return st;
    if (!memcmp(tail + 4, "PARE", 4))
        return fsift_error(FSIFT_E_UNSUPPORTED, "parquet: encrypted footers (PARE) are not supported");
    if (memcmp(head, "PAR1", 4) || memcmp(tail + 4, "PAR1", 4))
        return fsift_error(FSIFT_E_FORMAT, "parquet: not a parquet file (no PAR1 magic at both ends)");
    uint64_t flen = (uint64_t)tail[0] | (uint64_t)tail[1] << 8 | (uint64_t)tail[2] << 16 | (uint64_t)tail[3] << 24;
    if (flen == 0 || flen > pq->size - 12)
        return fsift_error(FSIFT_E_FORMAT, "parquet: footer length %llu does not fit a %llu-byte file",
                           (unsigned long long)flen, (unsigned long long)pq->size);
    if (flen > (uint64_t)pq->lim.max_chunk_bytes)
        return fsift_error(FSIFT_E_LIMIT, "parquet: footer of %llu bytes exceeds the limit", (unsigned long long)flen);
    uint8_t *footer = malloc((size_t)flen);
    if (!footer) return fsift_error(FSIFT_E_NOMEM, "parquet: out of memory for a %llu-byte footer", (unsigned long long)flen);
    pq->data_end = pq->size - 8 - flen;
    st = src_read(pq, pq->data_end, flen, footer);
    if (st == FSIFT_OK) st = pq_meta_parse(footer, (size_t)flen, &pq->meta);
    free(footer);
    if (st) return st;
    for (int g = 0; g < pq->meta.nrow_groups; g++)
        for (int c = 0; c < pq->meta.ncolumns; c++)
            if (pq->meta.groups[g].chunks[c].type != pq->meta.cols[c].type)
                return fsift_error(FSIFT_E_FORMAT, "parquet: column '%s' is %s in the schema but %s in row group %d",
                                   pq->meta.cols[c].name, pq_type_name(pq->meta.cols[c].type),
                                   pq_type_name(pq->meta.groups[g].chunks[c].type), g);
    return FSIFT_OK;
}

fsift_status fsift_parquet_open_mem(const void *data, size_t size, const fsift_parquet_limits *limits,
                                    fsift_parquet **out) {
    *out = NULL;
    if (!data && size) return fsift_error(FSIFT_E_INVALID_ARG, "parquet: NULL buffer");
    fsift_parquet *pq = calloc(1, sizeof *pq);
    if (!pq) return fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
    pq->fd = -1;
    pq->mem = data;
    pq->size = size;
    fsift_status st = open_common(pq, limits);
    if (st) {
        fsift_parquet_free(pq);
        return st;
    }
    *out = pq;
    return FSIFT_OK;
}

fsift_status fsift_parquet_open(const char *path, const fsift_parquet_limits *limits, fsift_parquet **out) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fsift_error(FSIFT_E_IO, "parquet: cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fsift_error(FSIFT_E_IO, "parquet: '%s' is not a regular file", path);
    }
    fsift_parquet *pq = calloc(1, sizeof *pq);
    if (!pq) {
        close(fd);
        return fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
    }
    pq->fd = fd;
    pq->size = (uint64_t)sb.st_size;
    fsift_status st = open_common(pq, limits);
    if (st) {
        fsift_error_prefix("%s", path);
        fsift_parquet_free(pq);
        return st;
    }
    *out = pq;
    return FSIFT_OK;
}

void fsift_parquet_free(fsift_parquet *pq) {
    if (!pq) return;
    if (pq->fd >= 0) close(pq->fd);
    pq_meta_free(&pq->meta);
    free(pq->chunk_buf);
    free(pq->page_buf);
    free(pq);
}

int64_t fsift_parquet_num_rows(const fsift_parquet *pq) { return pq->meta.num_rows; }
int fsift_parquet_num_row_groups(const fsift_parquet *pq) { return pq->meta.nrow_groups; }
int64_t fsift_parquet_row_group_rows(const fsift_parquet *pq, int g) {
    return g >= 0 && g < pq->meta.nrow_groups ? pq->meta.groups[g].num_rows : -1;
}
int fsift_parquet_num_columns(const fsift_parquet *pq) { return pq->meta.ncolumns; }
const fsift_parquet_column_info *fsift_parquet_column(const fsift_parquet *pq, int c) {
    return c >= 0 && c < pq->meta.ncolumns ? &pq->meta.cols[c] : NULL;
}

int fsift_parquet_find_column(const fsift_parquet *pq, const char *name) {
    for (int i = 0; i < pq->meta.ncolumns; i++)
        if (!strcmp(pq->meta.cols[i].name, name)) return i;
    for (int i = 0; i < pq->meta.ncolumns; i++)
        if (!strcasecmp(pq->meta.cols[i].name, name)) return i;
    return -1;
}

void fsift_parquet_column_data_free(fsift_parquet_column_data *d) {
    if (!d) return;
    free(d->valid);
    free(d->values);
    free(d->offsets);
    free(d->bytes);
    memset(d, 0, sizeof *d);
}

/* ---- decompression --------------------------------------------------------------------------- */

static fsift_status decompress(int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t want) {
    switch (codec) {
    case 0:
        if (n != want) break;
        memcpy(dst, src, n);
        return FSIFT_OK;
    case 1: {
        size_t len;
        if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK || len != want) break;
        if (snappy_uncompress((const char *)src, n, (char *)dst, &len) != SNAPPY_OK || len != want) break;
        return FSIFT_OK;
    }
    case 2: {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (inflateInit2(&z, 15 + 32) != Z_OK) return fsift_error(FSIFT_E_NOMEM, "parquet: zlib init failed");
        z.next_in = (Bytef *)src;
        z.avail_in = (uInt)n;
        z.next_out = dst;
        z.avail_out = (uInt)want;
        int r;
        for (;;) {
            r = inflate(&z, Z_FINISH);
            /* concatenated gzip members (some writers emit them) */
            if (r == Z_STREAM_END && z.avail_in > 0 && z.avail_out > 0 && inflateReset(&z) == Z_OK) continue;
            break;
        }
        size_t got = want - z.avail_out;
        inflateEnd(&z);
        if (r != Z_STREAM_END || got != want) break;
        return FSIFT_OK;
    }
    case 6: {
        size_t r = ZSTD_decompress(dst, want, src, n);
        if (ZSTD_isError(r) || r != want) break;
        return FSIFT_OK;
    }
    default:
        return fsift_error(FSIFT_E_UNSUPPORTED, "parquet: compression codec %s is not supported (only "
                                                "UNCOMPRESSED, SNAPPY, GZIP and ZSTD)", pq_codec_name(codec));
    }
    return fsift_error(FSIFT_E_FORMAT, "parquet: corrupt %s page data (does not decompress to %zu bytes)",
                       pq_codec_name(codec), want);
}

/* ---- chunk decoding ------------------------------------------------------------------------- */

typedef struct chunk_ctx {
    fsift_parquet *pq;
    const fsift_parquet_column_info *col;
    fsift_parquet_column_data *out;
    size_t es;                   /* bytes per fixed-width slot; 0 for BYTE_ARRAY */
    uint64_t bytes_cap, bytes_len; /* BYTE_ARRAY storage */
    /* dictionary: fixed slots, or offsets + bytes */
    int has_dict;
    int64_t dict_n;
    uint8_t *dict_vals;
    uint64_t *dict_off;
    uint8_t *dict_bytes;
    /* per-page scratch */
    uint32_t *u32;
    int64_t *i64;
    uint64_t *lens;
    int64_t scratch_n;
} chunk_ctx;

#define CERR(...) fsift_error(FSIFT_E_FORMAT, "parquet: column '%s': " __VA_ARGS__)

static fsift_status scratch(chunk_ctx *k, int64_t n) {
    if (n <= k->scratch_n) return FSIFT_OK;
    free(k->u32);
    free(k->i64);
    free(k->lens);
    k->u32 = malloc((size_t)n * sizeof *k->u32 + 8);
    k->i64 = malloc((size_t)n * sizeof *k->i64 + 8);
    k->lens = malloc((size_t)n * sizeof *k->lens + 8);
    k->scratch_n = n;
    if (!k->u32 || !k->i64 || !k->lens) {
        k->scratch_n = 0;
        return fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
    }
    return FSIFT_OK;
}

static fsift_status bytes_reserve(chunk_ctx *k, uint64_t n);

static fsift_status bytes_append(chunk_ctx *k, const uint8_t *p, uint64_t n) {
    fsift_status st = bytes_reserve(k, n);
    if (st) return st;
    if (n) memcpy(k->out->bytes + k->bytes_len, p, (size_t)n);
    k->bytes_len += n;
    return FSIFT_OK;
}

/* ---- values ---------------------------------------------------------------------------- */

static fsift_status bytes_reserve(chunk_ctx *k, uint64_t n) {
    if (n > (uint64_t)k->pq->lim.max_chunk_bytes || k->bytes_len + n > (uint64_t)k->pq->lim.max_chunk_bytes)
        return fsift_error(FSIFT_E_LIMIT, "parquet: column '%s': values exceed the %lld-byte chunk limit",
                           k->col->name, (long long)k->pq->lim.max_chunk_bytes);
    if (k->bytes_len + n > k->bytes_cap || !k->out->bytes) {
        uint64_t cap = k->bytes_cap ? k->bytes_cap : 4096;
        while (cap < k->bytes_len + n) cap *= 2;
        uint8_t *nb = realloc(k->out->bytes, (size_t)cap);
        if (!nb) return fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
        k->out->bytes = nb;
        k->bytes_cap = cap;
    }
    return FSIFT_OK;
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* PLAIN values of a dictionary page. */
static fsift_status read_dictionary(chunk_ctx *k, const uint8_t *p, size_t size, int64_t n) {
    if (k->col->type == FSIFT_PQ_BOOLEAN) return CERR("a dictionary for BOOLEAN values", k->col->name);
    if (k->es) {
        if ((uint64_t)n > size / k->es) return CERR("dictionary of %lld values in %zu bytes", k->col->name, (long long)n, size);
        k->dict_vals = malloc((size_t)n * k->es + 1);
        if (!k->dict_vals) return fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
        memcpy(k->dict_vals, p, (size_t)n * k->es);
    } else {
        if ((uint64_t)n > size / 4) return CERR("dictionary of %lld values in %zu bytes", k->col->name, (long long)n, size);
        k->dict_off = malloc(((size_t)n + 1) * sizeof *k->dict_off);
        k->dict_bytes = malloc(size + 1);
        if (!k->dict_off || !k->dict_bytes) return fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
        size_t pos = 0, o = 0;
        k->dict_off[0] = 0;
        for (int64_t i = 0; i < n; i++) {
            if (size - pos < 4) return CERR("truncated dictionary", k->col->name);
            uint32_t len = le32(p + pos);
            pos += 4;
            if (len > size - pos) return CERR("truncated dictionary", k->col->name);
            memcpy(k->dict_bytes + o, p + pos, len);
            pos += len;
            o += len;
            k->dict_off[i + 1] = o;
        }
    }
    k->dict_n = n;
    k->has_dict = 1;
    return FSIFT_OK;
}

static fsift_status dict_indices(chunk_ctx *k, const uint8_t *p, size_t size, int64_t nonnull) {
    if (!k->has_dict) return CERR("dictionary-encoded page without a dictionary", k->col->name);
    if (nonnull == 0) return FSIFT_OK;
    if (size < 1 || p[0] > 32) return CERR("bad dictionary index width", k->col->name);
    if (pq_rle_decode(p + 1, size - 1, p[0], k->u32, nonnull)) return CERR("bad dictionary indices", k->col->name);
    for (int64_t i = 0; i < nonnull; i++)
        if (k->u32[i] >= (uint64_t)k->dict_n)
            return CERR("dictionary index %u out of %lld entries", k->col->name, k->u32[i], (long long)k->dict_n);
    return FSIFT_OK;
}

static fsift_status unsupported_enc(chunk_ctx *k, int enc) {
    return fsift_error(FSIFT_E_UNSUPPORTED, "parquet: column '%s': %s values in %s encoding are not supported",
                       k->col->name, pq_type_name(k->col->type), pq_encoding_name(enc));
}

/* Byte arrays: appends the page's values to out->bytes and their lengths to k->lens. */
static fsift_status decode_byte_arrays(chunk_ctx *k, int enc, const uint8_t *p, size_t size, int64_t nonnull) {
    fsift_status st;
    if (enc == 0) {
        size_t pos = 0;
        for (int64_t i = 0; i < nonnull; i++) {
            if (size - pos < 4) return CERR("truncated PLAIN byte array", k->col->name);
            uint32_t len = le32(p + pos);
            pos += 4;
            if (len > size - pos) return CERR("truncated PLAIN byte array", k->col->name);
            if ((st = bytes_append(k, p + pos, len))) return st;
            k->lens[i] = len;
            pos += len;
        }
        return FSIFT_OK;
    }
    if (enc == 2 || enc == 8) {
        if ((st = dict_indices(k, p, size, nonnull))) return st;
        for (int64_t i = 0; i < nonnull; i++) {
            uint64_t a = k->dict_off[k->u32[i]], b = k->dict_off[k->u32[i] + 1];
            if ((st = bytes_append(k, k->dict_bytes + a, b - a))) return st;
            k->lens[i] = b - a;
        }
        return FSIFT_OK;
    }
    if (enc == 6 || enc == 7) {
        int64_t cnt;
        size_t used, pos = 0;
        int64_t *prefix = NULL;
        if (enc == 7) { /* prefix lengths first, kept in i64; suffix lengths then go to lens */
            if (pq_delta_decode(p, size, k->i64, nonnull, &cnt, &used) || cnt != nonnull)
                return CERR("bad DELTA_BYTE_ARRAY prefix lengths", k->col->name);
            pos = used;
            prefix = k->i64;
            /* move prefixes out of the way: lengths decode into i64 again below */
            for (int64_t i = 0; i < nonnull; i++) k->u32[i] = (uint32_t)(prefix[i] < 0 || prefix[i] > UINT32_MAX ? UINT32_MAX : prefix[i]);
        }
        if (pq_delta_decode(p + pos, size - pos, k->i64, nonnull, &cnt, &used) || cnt != nonnull)
            return CERR("bad %s lengths", k->col->name, pq_encoding_name(enc));
        pos += used;
        uint64_t prev_len = 0;
        for (int64_t i = 0; i < nonnull; i++) {
            int64_t len = k->i64[i];
            if (len < 0 || (uint64_t)len > size - pos) return CERR("truncated %s values", k->col->name, pq_encoding_name(enc));
            uint64_t pre = enc == 7 ? k->u32[i] : 0;
            if (pre > prev_len) return CERR("DELTA_BYTE_ARRAY prefix longer than the previous value", k->col->name);
            if ((st = bytes_reserve(k, pre + (uint64_t)len))) return st;
            if (pre + (uint64_t)len) {
                uint8_t *dst = k->out->bytes + k->bytes_len;
                if (pre) memmove(dst, dst - prev_len, (size_t)pre);
                memcpy(dst + pre, p + pos, (size_t)len);
            }
            k->bytes_len += pre + (uint64_t)len;
            pos += (size_t)len;
            k->lens[i] = prev_len = pre + (uint64_t)len;
        }
        return FSIFT_OK;
    }
    return unsupported_enc(k, enc);
}

/* Fixed-width values: nonnull dense slots at dst. */
static fsift_status decode_fixed(chunk_ctx *k, int enc, const uint8_t *p, size_t size, int64_t nonnull, uint8_t *dst) {
    size_t es = k->es;
    int type = k->col->type;
    if (enc == 0 && type == FSIFT_PQ_BOOLEAN) {
        if ((uint64_t)(nonnull + 7) / 8 > size) return CERR("truncated PLAIN booleans", k->col->name);
        for (int64_t i = 0; i < nonnull; i++) dst[i] = (uint8_t)((p[i >> 3] >> (i & 7)) & 1);
        return FSIFT_OK;
    }
    if (enc == 3 && type == FSIFT_PQ_BOOLEAN) { /* RLE booleans: 4-byte length, then the hybrid at width 1 */
        if (size < 4 || le32(p) > size - 4 || pq_rle_decode(p + 4, le32(p), 1, k->u32, nonnull))
            return CERR("bad RLE booleans", k->col->name);
        for (int64_t i = 0; i < nonnull; i++) dst[i] = (uint8_t)k->u32[i];
        return FSIFT_OK;
    }
    if (enc == 0) {
        if ((uint64_t)nonnull > size / es) return CERR("truncated PLAIN values", k->col->name);
        memcpy(dst, p, (size_t)nonnull * es);
        return FSIFT_OK;
    }
    if ((enc == 2 || enc == 8) && type != FSIFT_PQ_BOOLEAN) {
        fsift_status st = dict_indices(k, p, size, nonnull);
        if (st) return st;
        for (int64_t i = 0; i < nonnull; i++) memcpy(dst + (size_t)i * es, k->dict_vals + (size_t)k->u32[i] * es, es);
        return FSIFT_OK;
    }
    if (enc == 5 && (type == FSIFT_PQ_INT32 || type == FSIFT_PQ_INT64)) {
        int64_t cnt;
        size_t used;
        if (pq_delta_decode(p, size, k->i64, nonnull, &cnt, &used) || cnt != nonnull)
            return CERR("bad DELTA_BINARY_PACKED values", k->col->name);
        for (int64_t i = 0; i < nonnull; i++) {
            if (type == FSIFT_PQ_INT32) {
                int32_t v = (int32_t)(uint32_t)(uint64_t)k->i64[i];
                memcpy(dst + (size_t)i * 4, &v, 4);
            } else {
                memcpy(dst + (size_t)i * 8, &k->i64[i], 8);
            }
        }
        return FSIFT_OK;
    }
    if (enc == 9 && type != FSIFT_PQ_BOOLEAN && type != FSIFT_PQ_INT96) {
        if ((uint64_t)nonnull > size / es) return CERR("truncated BYTE_STREAM_SPLIT values", k->col->name);
        for (size_t j = 0; j < es; j++) {
            const uint8_t *s = p + j * (size_t)nonnull;
            for (int64_t i = 0; i < nonnull; i++) dst[(size_t)i * es + j] = s[i];
        }
        return FSIFT_OK;
    }
    return unsupported_enc(k, enc);
}

/* Decodes a page's nonnull values and lays them over its n rows starting at `row`, using the
 * validity already written to out->valid. */
static fsift_status decode_values(chunk_ctx *k, int enc, const uint8_t *p, size_t size, int64_t n, int64_t nonnull,
                                  int64_t row) {
    const uint8_t *valid = k->out->valid + row;
    fsift_status st;
    if (k->es) {
        uint8_t *base = (uint8_t *)k->out->values + (size_t)row * k->es;
        if ((st = decode_fixed(k, enc, p, size, nonnull, base))) return st;
        int64_t src = nonnull - 1;
        for (int64_t j = n - 1; j >= 0 && src < j; j--) { /* spread from the back (in place) */
            if (valid[j]) memmove(base + (size_t)j * k->es, base + (size_t)src-- * k->es, k->es);
            else memset(base + (size_t)j * k->es, 0, k->es);
        }
        return FSIFT_OK;
    }
    if ((st = decode_byte_arrays(k, enc, p, size, nonnull))) return st;
    uint64_t *off = k->out->offsets + row;
    int64_t v = 0;
    for (int64_t j = 0; j < n; j++) off[j + 1] = off[j] + (valid[j] ? k->lens[v++] : 0);
    return FSIFT_OK;
}

static fsift_status decode_levels(chunk_ctx *k, const uint8_t *p, size_t size, int64_t n, int64_t row,
                                  int64_t *nonnull) {
    uint8_t *valid = k->out->valid + row;
    if (!k->col->optional) {
        memset(valid, 1, (size_t)n);
        *nonnull = n;
        return FSIFT_OK;
    }
    if (pq_rle_decode(p, size, 1, k->u32, n)) return CERR("bad definition levels", k->col->name);
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++) {
        valid[i] = (uint8_t)k->u32[i];
        c += k->u32[i];
    }
    *nonnull = c;
    return FSIFT_OK;
}

/* One data page's levels + values, already decompressed where needed. */
static fsift_status data_page(chunk_ctx *k, const pq_page_header *h, const uint8_t *lv, size_t lv_size,
                              const uint8_t *vals, size_t vals_size, int v2, int64_t *row) {
    int64_t n = h->num_values;
    if (n > k->out->rows - *row) return CERR("pages hold more values than the row group's %lld rows", k->col->name,
                                             (long long)k->out->rows);
    fsift_status st = scratch(k, n);
    if (st) return st;
    int64_t nonnull = 0;
    if (!v2) {
        if (k->col->optional) {
            if (h->def_encoding != 3)
                return fsift_error(FSIFT_E_UNSUPPORTED, "parquet: column '%s': definition levels in %s encoding are "
                                   "not supported (only RLE)", k->col->name, pq_encoding_name(h->def_encoding));
            if (vals_size < 4) return CERR("truncated definition levels", k->col->name);
            uint32_t len = (uint32_t)vals[0] | (uint32_t)vals[1] << 8 | (uint32_t)vals[2] << 16 | (uint32_t)vals[3] << 24;
            if (len > vals_size - 4) return CERR("definition levels longer than the page", k->col->name);
            lv = vals + 4;
            lv_size = len;
            vals += 4 + len;
            vals_size -= 4 + (size_t)len;
        }
    }
    st = decode_levels(k, lv, lv_size, n, *row, &nonnull);
    if (st) return st;
    if (v2 && k->col->optional && h->num_nulls != n - nonnull)
        return CERR("page header counts %lld nulls but its levels hold %lld", k->col->name, (long long)h->num_nulls,
                    (long long)(n - nonnull));
    st = decode_values(k, h->encoding, vals, vals_size, n, nonnull, *row);
    if (st) return st;
    *row += n;
    return FSIFT_OK;
}

static fsift_status read_chunk(chunk_ctx *k, const pq_chunk_meta *cm, const uint8_t *chunk, size_t csize) {
    fsift_parquet *pq = k->pq;
    size_t pos = 0;
    int64_t row = 0;
    uint8_t *page = pq->page_buf; /* one buffer for every page, grown as needed */
    fsift_status st = FSIFT_OK;
    while (row < k->out->rows && st == FSIFT_OK) {
        if (pos >= csize) {
            st = CERR("chunk ends after %lld of %lld values", k->col->name, (long long)row, (long long)k->out->rows);
            break;
        }
        pq_page_header h;
        size_t hl;
        st = pq_page_header_parse(chunk + pos, csize - pos, &h, &hl);
        if (st) break;
        pos += hl;
        if ((uint64_t)h.compressed_size > csize - pos) {
            st = CERR("page of %lld bytes runs past its chunk", k->col->name, (long long)h.compressed_size);
            break;
        }
        if (h.uncompressed_size > pq->lim.max_page_bytes) {
            st = fsift_error(FSIFT_E_LIMIT, "parquet: column '%s': a page of %lld bytes exceeds the %lld-byte limit",
                             k->col->name, (long long)h.uncompressed_size, (long long)pq->lim.max_page_bytes);
            break;
        }
        const uint8_t *pl = chunk + pos;
        size_t plen = (size_t)h.compressed_size;
        pos += plen;
        if ((size_t)h.uncompressed_size + 8 > pq->page_cap) {
            free(pq->page_buf);
            pq->page_cap = (size_t)h.uncompressed_size + 8;
            pq->page_buf = page = malloc(pq->page_cap);
            if (!page) {
                pq->page_cap = 0;
                st = fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
                break;
            }
        }
        if (h.type == 2) { /* dictionary */
            if (k->has_dict || row > 0) {
                st = CERR("a second or late dictionary page", k->col->name);
                break;
            }
            if (h.encoding != 0 && h.encoding != 2) {
                st = fsift_error(FSIFT_E_UNSUPPORTED, "parquet: column '%s': dictionary page in %s encoding",
                                 k->col->name, pq_encoding_name(h.encoding));
                break;
            }
            st = decompress(cm->codec, pl, plen, page, (size_t)h.uncompressed_size);
            if (st == FSIFT_OK) st = read_dictionary(k, page, (size_t)h.uncompressed_size, h.num_values);
        } else if (h.type == 0) {
            st = decompress(cm->codec, pl, plen, page, (size_t)h.uncompressed_size);
            if (st == FSIFT_OK) st = data_page(k, &h, NULL, 0, page, (size_t)h.uncompressed_size, 0, &row);
        } else if (h.type == 3) {
            if (h.rep_len != 0) {
                st = CERR("repetition levels in a flat column", k->col->name);
                break;
            }
            if ((uint64_t)h.def_len > plen || h.def_len > h.uncompressed_size) {
                st = CERR("v2 page levels longer than the page", k->col->name);
                break;
            }
            size_t dl = (size_t)h.def_len, vs = (size_t)(h.uncompressed_size - h.def_len);
            if (h.is_compressed && cm->codec != 0) st = decompress(cm->codec, pl + dl, plen - dl, page, vs);
            else st = decompress(0, pl + dl, plen - dl, page, vs);
            if (st == FSIFT_OK) st = data_page(k, &h, pl, dl, page, vs, 1, &row);
        } else if (h.type != 1) {
            st = CERR("unknown page type %d", k->col->name, h.type);
        }
    }
    return st;
}

fsift_status fsift_parquet_read_column(fsift_parquet *pq, int g, int c, fsift_parquet_column_data *out) {
    memset(out, 0, sizeof *out);
    if (g < 0 || g >= pq->meta.nrow_groups || c < 0 || c >= pq->meta.ncolumns)
        return fsift_error(FSIFT_E_INVALID_ARG, "parquet: no row group %d / column %d", g, c);
    const fsift_parquet_column_info *col = &pq->meta.cols[c];
    const pq_chunk_meta *cm = &pq->meta.groups[g].chunks[c];
    int64_t rows = pq->meta.groups[g].num_rows;
    if (cm->has_file_path)
        return fsift_error(FSIFT_E_UNSUPPORTED, "parquet: column '%s' is stored in another file", col->name);
    if (rows > pq->lim.max_rows_per_group)
        return fsift_error(FSIFT_E_LIMIT, "parquet: row group %d has %lld rows, over the limit of %lld", g,
                           (long long)rows, (long long)pq->lim.max_rows_per_group);
    if (cm->num_values != rows)
        return CERR("chunk holds %lld values for %lld rows", col->name, (long long)cm->num_values, (long long)rows);
    int64_t start = cm->data_page_offset;
    if (cm->dict_page_offset > 0 && cm->dict_page_offset < start) start = cm->dict_page_offset;
    if (start < 4 || cm->total_compressed < 0 || (uint64_t)start > pq->data_end ||
        (uint64_t)cm->total_compressed > pq->data_end - (uint64_t)start)
        return CERR("chunk range %lld+%lld is outside the file's data", col->name, (long long)start,
                    (long long)cm->total_compressed);
    if (cm->total_compressed > pq->lim.max_chunk_bytes)
        return fsift_error(FSIFT_E_LIMIT, "parquet: column '%s': chunk of %lld bytes over the limit", col->name,
                           (long long)cm->total_compressed);

    chunk_ctx k;
    memset(&k, 0, sizeof k);
    k.pq = pq;
    k.col = col;
    k.out = out;
    out->type = col->type;
    out->type_length = col->type_length;
    out->decimal_scale = col->decimal_scale;
    out->rows = rows;
    switch (col->type) {
    case FSIFT_PQ_BOOLEAN: k.es = 1; break;
    case FSIFT_PQ_INT32: case FSIFT_PQ_FLOAT: k.es = 4; break;
    case FSIFT_PQ_INT64: case FSIFT_PQ_DOUBLE: k.es = 8; break;
    case FSIFT_PQ_INT96: case FSIFT_PQ_FIXED: k.es = (size_t)col->type_length; break;
    default: k.es = 0;
    }
    uint64_t need = (uint64_t)rows * (k.es ? k.es : sizeof(uint64_t)) + (uint64_t)rows;
    if (need > (uint64_t)pq->lim.max_chunk_bytes)
        return fsift_error(FSIFT_E_LIMIT, "parquet: column '%s': %lld rows need %llu bytes, over the limit",
                           col->name, (long long)rows, (unsigned long long)need);
    fsift_status st = FSIFT_OK;
    out->valid = malloc((size_t)rows + 1);
    if (k.es) out->values = calloc((size_t)rows + 1, k.es);
    else out->offsets = calloc((size_t)rows + 1, sizeof *out->offsets);
    uint8_t *chunk = NULL;
    if (!pq->mem && (size_t)cm->total_compressed + 1 > pq->chunk_cap) {
        free(pq->chunk_buf);
        pq->chunk_cap = (size_t)cm->total_compressed + 1;
        pq->chunk_buf = malloc(pq->chunk_cap);
        if (!pq->chunk_buf) pq->chunk_cap = 0;
    }
    if (!pq->mem) chunk = pq->chunk_buf;
    if (!out->valid || (k.es ? !out->values : !out->offsets) || (!pq->mem && !chunk))
        st = fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
    if (st == FSIFT_OK && chunk) st = src_read(pq, (uint64_t)start, (uint64_t)cm->total_compressed, chunk);
    /* byte arrays: their total is at most the chunk's uncompressed size; reserve that once (a
     * hint only: capped by 16x the compressed size and the limit, so a lie costs little) */
    if (st == FSIFT_OK && !k.es && cm->total_uncompressed > 0) {
        uint64_t hint = (uint64_t)cm->total_uncompressed, cap = 16 * (uint64_t)cm->total_compressed + 65536;
        if (hint > cap) hint = cap;
        if (hint > (uint64_t)pq->lim.max_chunk_bytes) hint = (uint64_t)pq->lim.max_chunk_bytes;
        st = bytes_reserve(&k, hint);
    }
    if (st == FSIFT_OK)
        st = read_chunk(&k, cm, chunk ? chunk : pq->mem + start, (size_t)cm->total_compressed);
    if (st == FSIFT_OK && !k.es && !out->bytes) out->bytes = calloc(1, 1);
    free(k.dict_vals);
    free(k.dict_off);
    free(k.dict_bytes);
    free(k.u32);
    free(k.i64);
    free(k.lens);
    if (st) fsift_parquet_column_data_free(out);
    return st;
}
