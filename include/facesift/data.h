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
/* Byte streams (src/data/rows_stream.c): a file, or stdin for "-", read in large blocks;
 * gzip (one or more members) and zstd (one or more frames) are recognised by their magic
 * bytes, whatever the file name, and decompressed on the fly. */
typedef struct fsift_instream fsift_instream;
fsift_status fsift_instream_open(const char *path, fsift_instream **out);
/* Reads a buffer (borrowed: it must outlive the stream), decompressing it as above. */
fsift_status fsift_instream_open_mem(const void *data, size_t size, fsift_instream **out);
/* Reads up to cap bytes; *got = 0 at the end. A corrupt compressed stream is FSIFT_E_FORMAT. */
fsift_status fsift_instream_read(fsift_instream *s, void *buf, size_t cap, size_t *got);
void fsift_instream_close(fsift_instream *s); /* NULL is a no-op */

/* Caption rows (src/data/rows*.c): one record at a time from a JSONL, CSV (RFC 4180: quoted
 * fields with "" escapes and line breaks) or TSV (no quoting) stream, with the wanted columns
 * picked by name. A record longer than max_record bytes, a JSON line that is not one object,
 * a CSV record with an unbalanced quote or a column missing is malformed: it is counted and
 * skipped, or with strict it stops the reader with FSIFT_E_FORMAT naming the file and line.
 * A reader is used by one thread at a time. New formats are one more case of
 * fsift_rows_format and of the dispatch in rows.c. */
typedef enum fsift_rows_format {
    FSIFT_ROWS_AUTO = 0,    /* from the name (.jsonl .json .ndjson .csv .tsv .parquet, before
                               .gz/.zst); stdin and unknown names: JSONL */
    FSIFT_ROWS_JSONL = 1,
    FSIFT_ROWS_CSV = 2,
    FSIFT_ROWS_TSV = 3,
    FSIFT_ROWS_PARQUET = 4  /* row adapter over fsift_parquet (issue 9) */
} fsift_rows_format;

#define FSIFT_ROWS_MAX_COLS 16
#define FSIFT_ROWS_DEFAULT_MAX_RECORD ((size_t)64 << 20) /* 64 MiB */

typedef struct fsift_rows_opts {
    const char *const *columns; /* names of the wanted columns (borrowed), ncolumns of them */
    int ncolumns;               /* 0..FSIFT_ROWS_MAX_COLS */
    size_t max_record;          /* bytes per record; 0 = FSIFT_ROWS_DEFAULT_MAX_RECORD */
    int strict;                 /* 1: the first malformed record is an error */
    int missing_ok;             /* 1: a wanted column absent from a record gives NULL, not malformed */
} fsift_rows_opts;

typedef struct fsift_row {
    const char *raw;       /* the record's bytes as read, without its line terminator; valid
                              until the next call (parquet: NULL) */
    size_t raw_len;
    const char *value[FSIFT_ROWS_MAX_COLS]; /* decoded value of each wanted column (JSON
                              strings unescaped to UTF-8, CSV quotes removed; other JSON
                              values as their text; NULL for JSON null or absent) */
    size_t value_len[FSIFT_ROWS_MAX_COLS];
    int64_t line;          /* 1-based line number where the record starts */
} fsift_row;

typedef struct fsift_rows_stats {
    int64_t records;   /* well-formed records returned */
    int64_t malformed; /* records skipped as malformed (too long ones included) */
    int64_t too_long;  /* of which longer than max_record */
    int64_t bytes;     /* bytes of input consumed (after decompression) */
} fsift_rows_stats;

typedef struct fsift_rows fsift_rows;

/* Opens path ("-" = stdin) as rows of the given format; opts may be NULL (no columns). For
 * CSV/TSV the first record is the header and gives the column names; a wanted column that
 * the header lacks is an FSIFT_E_FORMAT error at open. */
fsift_status fsift_rows_open(const char *path, fsift_rows_format format, const fsift_rows_opts *opts,
                             fsift_rows **out);
/* Same over a buffer (borrowed: it must outlive the reader); format AUTO means JSONL. */
fsift_status fsift_rows_open_mem(const void *data, size_t size, fsift_rows_format format,
                                 const fsift_rows_opts *opts, fsift_rows **out);
/* Next well-formed record: returns 1 and fills *row, 0 at the end, or a negative
 * fsift_status (I/O error, corrupt compression, or a malformed record when strict). */
int fsift_rows_next(fsift_rows *r, fsift_row *row);
void fsift_rows_get_stats(const fsift_rows *r, fsift_rows_stats *st);
/* The format in use (AUTO resolved) and, for CSV/TSV, the header record's bytes as read
 * (NULL otherwise). */
fsift_rows_format fsift_rows_get_format(const fsift_rows *r);
const char *fsift_rows_header(const fsift_rows *r, size_t *len);
/* Why the last record was skipped ("line 12: unbalanced quote"); "" if none. */
const char *fsift_rows_last_reject(const fsift_rows *r);
void fsift_rows_free(fsift_rows *r); /* NULL is a no-op */
/* "jsonl", "csv", "tsv", "parquet", "auto"; and the reverse (AUTO for unknown names). */
const char *fsift_rows_format_name(fsift_rows_format f);
fsift_rows_format fsift_rows_format_parse(const char *name);
/* The format AUTO gives for a file name. */
fsift_rows_format fsift_rows_format_guess(const char *path);

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
/* The same cursor over a reader the caller opened (borrowed: it must outlive the cursor, and is
 * not read through by anything else while the cursor is in use), so the footer is read once. */
fsift_status fsift_parquet_rows_open_reader(fsift_parquet *pq, const char *const *columns, int ncolumns,
                                            fsift_parquet_rows **out);
/* Next row: returns 1 and fills vals[i]/lens[i] (NULL for a null cell; valid until the next
 * call), 0 at the end, or a negative fsift_status. */
int fsift_parquet_rows_next(fsift_parquet_rows *r, const char **vals, size_t *lens);
void fsift_parquet_rows_free(fsift_parquet_rows *r); /* NULL is a no-op */

/* ==== tar / webdataset shards, folders, release layout (owner: issue 6, build) ============ */

/* -- tar members (src/data/tar_read.c: libarchive, so .tar, .tar.gz, .tar.zst all read) -- */

typedef struct fsift_tar_reader fsift_tar_reader;

typedef struct fsift_tar_member {
    char *name;        /* path inside the archive (owned by the reader until the next call) */
    uint8_t *data;     /* size bytes + a NUL (owned likewise); NULL when oversize */
    size_t size;
    int oversize;      /* 1: the member is larger than max_member_bytes; data was skipped */
    int truncated;     /* 1: the archive ends inside this member (data NULL); the next call
                          reports the error */
} fsift_tar_member;

/* Opens a tar (optionally gzip/zstd/bzip2/xz compressed) for streaming. Members larger than
 * max_member_bytes are reported with oversize = 1 and never buffered. */
fsift_status fsift_tar_reader_open(const char *path, size_t max_member_bytes, fsift_tar_reader **out);
/* Next regular-file member (directories, links are skipped). Returns 1 with *m filled, 0 at
 * the end, or a negative status (truncated or corrupt archive: the message says which member). */
int fsift_tar_reader_next(fsift_tar_reader *r, fsift_tar_member *m);
void fsift_tar_reader_close(fsift_tar_reader *r); /* NULL is a no-op */

/* -- deterministic ustar writer (src/data/tar_write.c) --
 * Members are written in call order with mtime 0, uid/gid 0, empty user/group names and mode
 * 0644, so the same members give the same bytes. The archive is written to PATH.tmp.<pid> and
 * renamed onto PATH by _commit (after fsync); _abort removes the temporary file. */
typedef struct fsift_tar_writer fsift_tar_writer;
fsift_status fsift_tar_writer_open(const char *path, fsift_tar_writer **out);
fsift_status fsift_tar_writer_add(fsift_tar_writer *w, const char *name, const void *data, size_t size);
fsift_status fsift_tar_writer_commit(fsift_tar_writer *w); /* frees w in every case */
void fsift_tar_writer_abort(fsift_tar_writer *w);          /* frees w; NULL is a no-op */

/* -- input shards and samples (src/data/samples.c, folder.c, release_layout.c, list.c) --
 * Every INPUT of `facesift build` expands to one or more input shards (the unit of work,
 * resume and --shard): a tar file is one shard; a folder of images, a FaceID-6M release
 * folder and a JSONL/CSV list are cut into consecutive shards of shard_size samples in their
 * sorted (folder) or line (list, release) order. */

typedef enum fsift_input_kind {
    FSIFT_INPUT_TAR = 1,      /* webdataset shard */
    FSIFT_INPUT_FOLDER = 2,   /* images + sidecar .txt/.json captions */
    FSIFT_INPUT_RELEASE = 3,  /* FaceID-6M release folder: N.png + one .jsonl */
    FSIFT_INPUT_LIST = 4      /* .jsonl / .csv / .tsv rows of local path + caption */
} fsift_input_kind;

typedef struct fsift_input_shard {
    int kind;                 /* fsift_input_kind */
    char *path;               /* the tar, folder or list file (owned) */
    char *name;               /* stable display name: basename [+ "@first-sample"] (owned) */
    int64_t first, count;     /* sample range for folder/release/list shards (tar: 0, -1) */
    int64_t byte_offset;      /* list/release: offset of line `first` in the list/.jsonl */
    char **files;             /* folder: the shard's image paths, sorted (owned) */
} fsift_input_shard;

typedef struct fsift_input_set {
    fsift_input_shard *shards;
    int n;
} fsift_input_set;

/* Expands INPUT paths in the given order (a folder holding tar files gives its sorted
 * *.tar, *.tar.gz, *.tgz, *.tar.zst). shard_size <= 0 means 10,000. */
fsift_status fsift_inputs_expand(const char *const *paths, int n, int64_t shard_size, fsift_input_set *out);
void fsift_input_set_free(fsift_input_set *s);

typedef struct fsift_sample_member {
    char *ext;                /* "cls", "face.png", ... (owned) */
    uint8_t *data;            /* owned */
    size_t size;
} fsift_sample_member;

/* One sample as read: everything owned by the struct (fsift_sample_clear frees it). */
typedef struct fsift_sample {
    char *key;                /* webdataset key (unique within its input shard unless dup) */
    uint8_t *image;           /* image bytes (NULL if absent / unreadable) */
    size_t image_size;
    char image_ext[8];        /* the member's extension, lower case ("jpg", "png", ...) */
    int image_oversize;       /* the image is over max_member_bytes (never read) */
    char *caption;            /* NUL-terminated; NULL when the sample has no caption */
    size_t caption_len;
    uint8_t *json;            /* source KEY.json bytes (NUL-terminated) or NULL */
    size_t json_size;
    fsift_sample_member *extra; /* other members, in archive order */
    int n_extra;
    const char *read_error;   /* static reason text when the sample is broken: "truncated
                                 member", "missing image", "duplicate key", ... else NULL */
    int duplicate;            /* 1: key already seen in this shard or member repeated */
} fsift_sample;

void fsift_sample_clear(fsift_sample *s);

typedef struct fsift_sample_reader fsift_sample_reader;

/* Opens one input shard. max_member_bytes bounds every buffered member (images over it are
 * flagged image_oversize). */
fsift_status fsift_sample_reader_open(const fsift_input_shard *sh, size_t max_member_bytes,
                                      fsift_sample_reader **out);
/* Next sample in input order: 1 (filled), 0 (end) or < 0 (the shard cannot be read on: the
 * samples already returned stand; the message says why). */
int fsift_sample_reader_next(fsift_sample_reader *r, fsift_sample *s);
void fsift_sample_reader_close(fsift_sample_reader *r);

/* Reads the caption of a FaceID-6M / InstantID style JSON object: the first string among
 * "caption", "additional_feature", "text", "prompt", "TEXT". Returns a malloc'd copy or NULL. */
char *fsift_json_caption(const char *json, size_t len);

#endif
