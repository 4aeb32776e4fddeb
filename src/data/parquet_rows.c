/*
 * parquet_rows.c — parquet cells as text, and a row cursor over chosen columns of a file.
 *
 * The cursor decodes the chosen columns of one row group at a time (parquet.c) and hands out
 * each row's cells as byte strings: text columns as their bytes (borrowed from the decoded
 * chunk), numbers formatted into a per-column buffer. Memory is one row group's chosen
 * columns, bounded by the reader's limits. The cursor opens its own reader from a path, or
 * borrows one the caller already opened (its footer read once). One thread at a time.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/parquet_internal.h"
#include "data/rows_internal.h"

int fsift_parquet_cell_text(const fsift_parquet_column_data *d, int64_t row, char *buf, size_t cap,
                            const char **s, size_t *len) {
    *s = NULL;
    *len = 0;
    if (row < 0 || row >= d->rows || !d->valid[row]) return 0;
    int n = 0;
    switch (d->type) {
    case FSIFT_PQ_BYTE_ARRAY:
        *s = (const char *)d->bytes + d->offsets[row];
        *len = (size_t)(d->offsets[row + 1] - d->offsets[row]);
        return 1;
    case FSIFT_PQ_BOOLEAN:
        n = snprintf(buf, cap, "%s", ((const uint8_t *)d->values)[row] ? "true" : "false");
        break;
    case FSIFT_PQ_INT32:
    case FSIFT_PQ_INT64: {
        int64_t v = d->type == FSIFT_PQ_INT32 ? ((const int32_t *)d->values)[row] : ((const int64_t *)d->values)[row];
        if (d->decimal_scale > 0) { /* unscaled integer -> digits with a point */
            uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v, p10 = 1;
            for (int i = 0; i < d->decimal_scale; i++) p10 *= 10;
            n = snprintf(buf, cap, "%s%" PRIu64 ".%0*" PRIu64, v < 0 ? "-" : "", mag / p10, d->decimal_scale, mag % p10);
        } else {
            n = snprintf(buf, cap, "%" PRId64, v);
        }
        break;
    }
    case FSIFT_PQ_FLOAT:
        n = snprintf(buf, cap, "%.9g", (double)((const float *)d->values)[row]);
        break;
    case FSIFT_PQ_DOUBLE:
        n = snprintf(buf, cap, "%.17g", ((const double *)d->values)[row]);
        break;
    default: {
        const uint8_t *v = (const uint8_t *)d->values + (size_t)row * (size_t)d->type_length;
        static const char hx[] = "0123456789abcdef";
        size_t k = 0;
        for (int i = 0; i < d->type_length && k + 2 < cap; i++) {
            buf[k++] = hx[v[i] >> 4];
            buf[k++] = hx[v[i] & 15];
        }
        if (cap) buf[k] = 0;
        n = (int)k;
    }
    }
    if (n < 0) n = 0;
    if (cap && (size_t)n >= cap) n = (int)cap - 1;
    *s = buf;
    *len = (size_t)n;
    return 1;
}

struct fsift_parquet_rows {
    fsift_parquet *pq;
    int owns_pq;       /* opened by fsift_parquet_rows_open (freed with the cursor) */
    int n;
    int *cols;
    fsift_parquet_column_data *data;
    char (*bufs)[80];
    int group;         /* current row group (-1 before the first) */
    int64_t row;       /* next row in it */
};

/* The cursor over the named columns of pq: taken when owns (freed with the cursor, or here on
 * failure), else borrowed. label names the file in errors. */
static fsift_status rows_new(fsift_parquet *pq, int owns, const char *label, const char *const *columns,
                             int ncolumns, fsift_parquet_rows **out) {
    fsift_parquet_rows *r = calloc(1, sizeof *r);
    if (!r) {
        if (owns) fsift_parquet_free(pq);
        return fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
    }
    r->pq = pq;
    r->owns_pq = owns;
    r->n = ncolumns;
    r->cols = calloc((size_t)ncolumns, sizeof *r->cols);
    r->data = calloc((size_t)ncolumns, sizeof *r->data);
    r->bufs = calloc((size_t)ncolumns, sizeof *r->bufs);
    r->group = -1;
    if (!r->cols || !r->data || !r->bufs) {
        fsift_parquet_rows_free(r);
        return fsift_error(FSIFT_E_NOMEM, "parquet: out of memory");
    }
    for (int i = 0; i < ncolumns; i++) {
        r->cols[i] = fsift_parquet_find_column(r->pq, columns[i]);
        if (r->cols[i] < 0) {
            char list[512];
            size_t k = 0;
            list[0] = 0;
            for (int c = 0; c < fsift_parquet_num_columns(r->pq) && k < sizeof list - 1; c++) {
                int w = snprintf(list + k, sizeof list - k, "%s%s", c ? ", " : "", fsift_parquet_column(r->pq, c)->name);
                if (w < 0) break;
                k += (size_t)w;
            }
            fsift_status st = fsift_error(FSIFT_E_INVALID_ARG, "%s: no column '%s' (columns: %s)", label, columns[i], list);
            fsift_parquet_rows_free(r);
            return st;
        }
    }
    *out = r;
    return FSIFT_OK;
}

fsift_status fsift_parquet_rows_open(const char *path, const char *const *columns, int ncolumns,
                                     fsift_parquet_rows **out) {
    *out = NULL;
    if (ncolumns <= 0) return fsift_error(FSIFT_E_INVALID_ARG, "parquet: no columns chosen");
    fsift_parquet *pq;
    fsift_status st = fsift_parquet_open(path, NULL, &pq);
    if (st) return st;
    return rows_new(pq, 1, path, columns, ncolumns, out);
}

fsift_status fsift_parquet_rows_open_reader(fsift_parquet *pq, const char *const *columns, int ncolumns,
                                            fsift_parquet_rows **out) {
    *out = NULL;
    if (ncolumns <= 0) return fsift_error(FSIFT_E_INVALID_ARG, "parquet: no columns chosen");
    return rows_new(pq, 0, "parquet", columns, ncolumns, out);
}

int fsift_parquet_rows_next(fsift_parquet_rows *r, const char **vals, size_t *lens) {
    while (r->group < 0 || r->row >= r->data[0].rows) {
        if (r->group + 1 >= fsift_parquet_num_row_groups(r->pq)) return 0;
        r->group++;
        r->row = 0;
        for (int i = 0; i < r->n; i++) {
            fsift_parquet_column_data_free(&r->data[i]);
            fsift_status st = fsift_parquet_read_column(r->pq, r->group, r->cols[i], &r->data[i]);
            if (st) {
                r->data[0].rows = 0;
                r->group = fsift_parquet_num_row_groups(r->pq); /* stays at the end */
                return st;
            }
        }
    }
    for (int i = 0; i < r->n; i++)
        fsift_parquet_cell_text(&r->data[i], r->row, r->bufs[i], sizeof r->bufs[i], &vals[i], &lens[i]);
    r->row++;
    return 1;
}

void fsift_parquet_rows_free(fsift_parquet_rows *r) {
    if (!r) return;
    if (r->data)
        for (int i = 0; i < r->n; i++) fsift_parquet_column_data_free(&r->data[i]);
    free(r->data);
    free(r->cols);
    free(r->bufs);
    if (r->owns_pq) fsift_parquet_free(r->pq);
    free(r);
}

/* ---- the fsift_rows adapter (FSIFT_ROWS_PARQUET in rows.c) ------------------------------------ */

fsift_status fsift_rows_parquet_open(fsift_rows *r, const char *path) {
    if (r->ncols == 0) return fsift_error(FSIFT_E_INVALID_ARG, "%s: name the parquet columns to read", path);
    return fsift_parquet_rows_open(path, (const char *const *)r->colname, r->ncols, &r->pq);
}

int fsift_rows_parquet_next(fsift_rows *r, fsift_row *row) {
    int rc = fsift_parquet_rows_next(r->pq, row->value, row->value_len);
    if (rc != 1) return rc;
    row->raw = NULL;
    row->raw_len = 0;
    row->line = ++r->st.records; /* parquet has no lines: the 1-based row number */
    return 1;
}
