/*
 * fetch_input.c — the rows `facesift fetch` reads: a URL and a caption per row from a JSONL,
 * CSV/TSV or parquet list (gzip/zstd streams too) through the fsift_rows reader of data.h.
 *
 * Column names: --url-col / --caption-col when given; otherwise "url" or LAION's "URL", and
 * "caption" or LAION's "TEXT". For CSV/TSV/parquet, whose columns are known at open, the
 * first name pair that the file has is used (a file without a caption column is read with
 * captions absent); JSONL rows are asked for all four names and each row takes the first
 * one it has. Malformed rows are counted and skipped by the row reader.
 */
#include <stdlib.h>
#include <string.h>

#include "facesift/data.h"
#include "fetch/fetch_internal.h"

struct fetch_input {
    fsift_rows *rows;
    int url_i[2], cap_i[2]; /* value slots holding the URL / caption candidates (-1 unused) */
};

static fsift_status try_open(const char *path, fsift_rows_format fmt, const char *const *cols, int n, int missing_ok,
                             fsift_rows **out) {
    fsift_rows_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.columns = cols;
    ro.ncolumns = n;
    ro.missing_ok = missing_ok;
    return fsift_rows_open(path, fmt, &ro, out);
}

fsift_status fetch_input_open(const char *path, const fsift_fetch_opts *o, fetch_input **out) {
    *out = NULL;
    fetch_input *in = calloc(1, sizeof *in);
    if (!in) return fsift_error(FSIFT_E_NOMEM, "fetch: out of memory");
    fsift_rows_format fmt = o->format ? fsift_rows_format_parse(o->format) : fsift_rows_format_guess(path);
    if (fmt == FSIFT_ROWS_AUTO) fmt = fsift_rows_format_guess(path);
    in->url_i[1] = in->cap_i[1] = -1;
    fsift_status st;
    if (fmt == FSIFT_ROWS_JSONL) {
        const char *cols[4] = {o->url_col ? o->url_col : "url", o->url_col ? o->url_col : "URL",
                               o->caption_col ? o->caption_col : "caption", o->caption_col ? o->caption_col : "TEXT"};
        st = try_open(path, fmt, cols, 4, 1, &in->rows);
        in->url_i[0] = 0;
        in->url_i[1] = 1;
        in->cap_i[0] = 2;
        in->cap_i[1] = 3;
    } else {
        const char *urls[2] = {o->url_col ? o->url_col : "url", o->url_col ? NULL : "URL"};
        const char *caps[3] = {o->caption_col ? o->caption_col : "caption", o->caption_col ? NULL : "TEXT", NULL};
        st = FSIFT_E_FORMAT;
        for (int u = 0; u < 2 && st && urls[u]; u++)
            for (int c = 0; c < 3 && st; c++) {
                if ((c < 2 && !caps[c]) || (c == 2 && o->caption_col)) continue;
                const char *cols[2] = {urls[u], caps[c]};
                fsift_rows_free(in->rows);
                in->rows = NULL;
                st = try_open(path, fmt, cols, caps[c] ? 2 : 1, 0, &in->rows);
                if (st == FSIFT_E_IO) break;
                in->cap_i[0] = caps[c] ? 1 : -1;
            }
        in->url_i[0] = 0;
        if (st) fsift_error_prefix("fetch: no URL column ('%s'%s) in '%s'", urls[0], urls[1] ? " or 'URL'" : "", path);
    }
    if (st) {
        fetch_input_free(in);
        return st;
    }
    *out = in;
    return FSIFT_OK;
}

int fetch_input_next(fetch_input *in, const char **url, size_t *url_len, const char **cap, size_t *cap_len) {
    fsift_row row;
    int rc = fsift_rows_next(in->rows, &row);
    if (rc <= 0) return rc;
    *url = NULL;
    *cap = NULL;
    *url_len = *cap_len = 0;
    for (int k = 0; k < 2 && !*url; k++)
        if (in->url_i[k] >= 0 && row.value[in->url_i[k]]) {
            *url = row.value[in->url_i[k]];
            *url_len = row.value_len[in->url_i[k]];
        }
    for (int k = 0; k < 2 && !*cap; k++)
        if (in->cap_i[k] >= 0 && row.value[in->cap_i[k]]) {
            *cap = row.value[in->cap_i[k]];
            *cap_len = row.value_len[in->cap_i[k]];
        }
    return 1;
}

void fetch_input_free(fetch_input *in) {
    if (!in) return;
    fsift_rows_free(in->rows);
    free(in);
}
