/*
 * parquet_internal.h — shared pieces of the parquet reader (parquet.c: files, chunks, pages;
 * parquet_meta.c: the Thrift compact protocol and the footer; parquet_decode.c: level and
 * value encodings). Not a public header.
 */
#ifndef FSIFT_PARQUET_INTERNAL_H
#define FSIFT_PARQUET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/data.h"

/* ---- Thrift compact protocol cursor (bounds-checked; errors are sticky) ---------------- */

enum {
    TC_STOP = 0, TC_TRUE = 1, TC_FALSE = 2, TC_BYTE = 3, TC_I16 = 4, TC_I32 = 5, TC_I64 = 6,
    TC_DOUBLE = 7, TC_BINARY = 8, TC_LIST = 9, TC_SET = 10, TC_MAP = 11, TC_STRUCT = 12
};

typedef struct pq_tc {
    const uint8_t *p, *end;
    int err;          /* set on the first malformed or out-of-bounds read */
    int depth;        /* struct nesting, bounded */
} pq_tc;

/* Reads the next field header of the current struct: returns 0 at STOP (or error), else 1
 * with *id (absolute field id) and *type. *last carries the previous id (start at 0). */
int pq_tc_field(pq_tc *c, int *last, int *id, int *type);
int64_t pq_tc_int(pq_tc *c);             /* zigzag varint (i16/i32/i64, byte as one byte) */
int64_t pq_tc_int_typed(pq_tc *c, int type);
int pq_tc_bool(pq_tc *c, int type);      /* a bool field's value comes from its type */
/* A binary/string: pointer into the buffer and its length. */
const uint8_t *pq_tc_binary(pq_tc *c, size_t *len);
/* List/set header: element type and count (count bounded by remaining bytes). */
int64_t pq_tc_list(pq_tc *c, int *etype);
void pq_tc_skip(pq_tc *c, int type);
int pq_tc_struct_begin(pq_tc *c);        /* 0 when nested too deep */
void pq_tc_struct_end(pq_tc *c);

/* ---- footer (FileMetaData) --------------------------------------------------------------- */

typedef struct pq_chunk_meta {
    int type;                  /* physical type of the chunk */
    int codec;                 /* parquet CompressionCodec */
    int64_t num_values;
    int64_t total_compressed;
    int64_t total_uncompressed;
    int64_t data_page_offset;
    int64_t dict_page_offset;  /* 0 when absent */
    int has_file_path;         /* column data in another file: unsupported */
} pq_chunk_meta;

typedef struct pq_row_group {
    int64_t num_rows;
    pq_chunk_meta *chunks;     /* ncolumns */
} pq_row_group;

typedef struct pq_meta {
    int ncolumns;
    fsift_parquet_column_info *cols;
    char **names;
    int64_t num_rows;
    int nrow_groups;
    pq_row_group *groups;
} pq_meta;

/* Parses a FileMetaData from footer[0..size) (borrowed). On error, frees what it built and
 * returns an fsift_status with a message. */
fsift_status pq_meta_parse(const uint8_t *footer, size_t size, pq_meta *m);
void pq_meta_free(pq_meta *m);

/* Parses one PageHeader at p[0..size); *hdr_len gets its encoded length. */
typedef struct pq_page_header {
    int type;                  /* 0 DATA_PAGE, 1 INDEX, 2 DICTIONARY, 3 DATA_PAGE_V2 */
    int64_t uncompressed_size, compressed_size;
    int64_t num_values;        /* v1, v2, dictionary */
    int64_t num_nulls, num_rows; /* v2 */
    int encoding;
    int def_encoding;          /* v1 */
    int64_t def_len, rep_len;  /* v2 level byte lengths */
    int is_compressed;         /* v2 (default 1) */
} pq_page_header;
fsift_status pq_page_header_parse(const uint8_t *p, size_t size, pq_page_header *h, size_t *hdr_len);

const char *pq_codec_name(int codec);
const char *pq_encoding_name(int enc);
const char *pq_type_name(int type);

/* ---- encodings ----------------------------------------------------------------------------- */

/* RLE/bit-packed hybrid: decodes n values of bit_width bits from p[0..size) into out. Returns
 * 0 on success, -1 when the data runs out or a value is malformed. */
int pq_rle_decode(const uint8_t *p, size_t size, int bit_width, uint32_t *out, int64_t n);

/* DELTA_BINARY_PACKED: decodes up to `max` values into out (int64), sets *count to the
 * stream's value count and *used to the bytes consumed. -1 on malformed data. */
int pq_delta_decode(const uint8_t *p, size_t size, int64_t *out, int64_t max, int64_t *count, size_t *used);
/* Header only: the value count of a DELTA_BINARY_PACKED stream (bounded by max). */
int pq_delta_count(const uint8_t *p, size_t size, int64_t *count);

#endif
