/*
 * rows_internal.h — the fsift_rows reader's state, shared by rows.c (buffering, record
 * splitting, format dispatch) and the per-format field extractors rows_json.c and
 * rows_csv.c. Not a public header.
 */
#ifndef FSIFT_ROWS_INTERNAL_H
#define FSIFT_ROWS_INTERNAL_H

#include "facesift/data.h"

struct fsift_rows {
    fsift_instream *in;
    fsift_parquet_rows *pq;            /* FSIFT_ROWS_PARQUET: the cursor (parquet_rows.c) */
    fsift_rows_format format;
    int ncols;
    char *colname[FSIFT_ROWS_MAX_COLS];
    size_t colname_len[FSIFT_ROWS_MAX_COLS];
    int colindex[FSIFT_ROWS_MAX_COLS]; /* CSV/TSV: field index of each wanted column */
    size_t max_record;
    int strict, missing_ok;
    char sep;                          /* ',' or '\t' */

    unsigned char *buf;                /* input window: [pos, len) unread */
    size_t cap, pos, len;
    int in_eof;
    int64_t line;                      /* line number of buf[pos] (1-based) */

    char *dec;                         /* decoded values of one record */
    size_t dec_cap, dec_len;

    char *header;                      /* CSV/TSV header record */
    size_t header_len;
    fsift_rows_stats st;
    char reject[256];
    char name[200];
};

/* Per-format field extraction of one record rec[0..n) (no line terminator) into row->value.
 * Return 0, or -1 for a malformed record after writing the reason into r->reject. */
int fsift_rows_json_extract(fsift_rows *r, const char *rec, size_t n, fsift_row *row);
int fsift_rows_dsv_extract(fsift_rows *r, const char *rec, size_t n, fsift_row *row);
/* Parses the CSV/TSV header record and resolves the wanted columns. */
fsift_status fsift_rows_dsv_header(fsift_rows *r, const char *rec, size_t n);
/* Parquet (parquet_rows.c): opens r->pq over r's wanted columns, and reads one row. */
fsift_status fsift_rows_parquet_open(fsift_rows *r, const char *path);
int fsift_rows_parquet_next(fsift_rows *r, fsift_row *row);
/* Reserves n bytes of r->dec and returns them (NULL when the record budget is exceeded). */
char *fsift_rows_dec_alloc(fsift_rows *r, size_t n);

#endif
