/*
 * data.h — readers and writers of outside data: caption rows (JSONL/CSV/TSV, parquet; gzip and
 * zstd streams), tar / webdataset shards, folders and the FaceID-6M release layout. Every
 * reader bounds what it allocates and turns malformed input into an error or a counted bad
 * row, never a crash. See DESIGN.md §3.
 */
#ifndef FSIFT_DATA_H
#define FSIFT_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/core.h"

/* ==== byte streams and caption rows: JSONL / CSV / TSV (owner: issue 5, caption filter) === */

/* ==== parquet (owner: issue 9, ingestion) ================================================= */
/* A reader for flat parquet files (docs/parquet.md): every top-level column REQUIRED or
 * OPTIONAL; PLAIN, PLAIN_DICTIONARY/RLE_DICTIONARY, DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT values; RLE/bit-packed
 * levels; data pages v1 and v2; uncompressed, SNAPPY, GZIP and ZSTD chunks. Anything else
 * (nested or repeated columns, other codecs, encrypted footers) is an FSIFT_E_UNSUPPORTED
 * error naming the column and the feature. One column chunk is decoded at a time, with
 * every size checked against the file and the limits below before it is allocated. A
 * handle is used by one thread at a time. */

typedef enum fsift_parquet_type {
    FSIFT_PQ_BOOLEAN = 0, FSIFT_PQ_INT32 = 1, FSIFT_PQ_INT64 = 2, FSIFT_PQ_INT96 = 3,
    FSIFT_PQ_FLOAT = 4, FSIFT_PQ_DOUBLE = 5, FSIFT_PQ_BYTE_ARRAY = 6, FSIFT_PQ_FIXED = 7
} fsift_parquet_type;

typedef struct fsift_parquet_limits {
    int64_t max_rows_per_group; /* default 1<<24 */
    int64_t max_page_bytes;     /* one decompressed page; default 256 MiB */
    int64_t max_chunk_bytes;    /* one decoded column chunk (values + offsets); default 1 GiB */
} fsift_parquet_limits;

typedef struct fsift_parquet_column_info {
    const char *name;     /* owned by the handle */
    int type;             /* fsift_parquet_type */
    int type_length;      /* bytes per value of FIXED (12 for INT96) */
    int optional;         /* 1 when the column may hold nulls */
    int converted_type;   /* parquet ConvertedType (0 = UTF8 ...), -1 when absent */
    int is_string;        /* BYTE_ARRAY annotated UTF8/STRING/JSON/ENUM */
    int decimal_scale;    /* INT32/INT64 DECIMAL: digits after the point; -1 otherwise */
} fsift_parquet_column_info;

/* One column of one row group, decoded. Null rows have valid[r] == 0 and a zeroed slot. */
typedef struct fsift_parquet_column_data {
    int type;           /* fsift_parquet_type */
    int type_length;    /* bytes per value for FIXED and INT96 */
    int decimal_scale;  /* as fsift_parquet_column_info */
    int64_t rows;
    uint8_t *valid;     /* rows bytes, 1 = value present */
    void *values;       /* fixed-width types: rows slots of int32_t, int64_t, float, double,
                           uint8_t (BOOLEAN 0/1) or type_length bytes (FIXED, INT96) */
    uint64_t *offsets;  /* BYTE_ARRAY: rows + 1 offsets into bytes (null rows are empty) */
    uint8_t *bytes;     /* BYTE_ARRAY values, concatenated */
} fsift_parquet_column_data;

typedef struct fsift_parquet fsift_parquet;

/* Opens a file (read with pread as chunks are needed) or a buffer (borrowed: it must outlive
 * the handle). limits may be NULL for the defaults. Reads and checks the footer. */
fsift_status fsift_parquet_open(const char *path, const fsift_parquet_limits *limits, fsift_parquet **out);
fsift_status fsift_parquet_open_mem(const void *data, size_t size, const fsift_parquet_limits *limits,
                                    fsift_parquet **out);
void fsift_parquet_free(fsift_parquet *pq); /* NULL is a no-op */

int64_t fsift_parquet_num_rows(const fsift_parquet *pq);
int fsift_parquet_num_row_groups(const fsift_parquet *pq);
int64_t fsift_parquet_row_group_rows(const fsift_parquet *pq, int row_group);
int fsift_parquet_num_columns(const fsift_parquet *pq);
const fsift_parquet_column_info *fsift_parquet_column(const fsift_parquet *pq, int column);
/* Index of the column named `name` (exact match first, then ASCII case-insensitive), or -1. */
int fsift_parquet_find_column(const fsift_parquet *pq, const char *name);

/* Decodes one column chunk into *out (caller frees with fsift_parquet_column_data_free). */
fsift_status fsift_parquet_read_column(fsift_parquet *pq, int row_group, int column,
                                       fsift_parquet_column_data *out);
void fsift_parquet_column_data_free(fsift_parquet_column_data *d); /* zeroes it; NULL ok */

/* Writes cell `row` as text: BYTE_ARRAY as its bytes (borrowed from d), numbers in decimal
 * (doubles %.17g, floats %.9g, INT32/INT64 decimals with their point), booleans true/false, FIXED/INT96 as lower-case hex into buf.
 * Returns 0 for a null cell (*s = NULL), 1 otherwise; buf needs 64 bytes, or 2*type_length+1
 * for FIXED (longer ones are truncated). */
int fsift_parquet_cell_text(const fsift_parquet_column_data *d, int64_t row, char *buf, size_t cap,
                            const char **s, size_t *len);

/* A row cursor over named columns of a whole file, cells as text (as above), for the caption
 * and fetch pipelines. Names are matched with fsift_parquet_find_column; a missing one is an
 * FSIFT_E_INVALID_ARG error listing the file's columns. */
typedef struct fsift_parquet_rows fsift_parquet_rows;
fsift_status fsift_parquet_rows_open(const char *path, const char *const *columns, int ncolumns,
                                     fsift_parquet_rows **out);
/* Next row: returns 1 and fills vals[i]/lens[i] (NULL for a null cell; valid until the next
 * call), 0 at the end, or a negative fsift_status. */
int fsift_parquet_rows_next(fsift_parquet_rows *r, const char **vals, size_t *lens);
void fsift_parquet_rows_free(fsift_parquet_rows *r); /* NULL is a no-op */

/* ==== tar / webdataset shards, folders, release layout (owner: issue 6, build) ============ */

#endif
