/*
 * rows.c — fsift_rows: caption rows from JSONL, CSV or TSV streams (see data.h).
 *
 * How it works: an fsift_instream (plain, gzip, zstd, stdin) fills a window buffer; records
 * are cut out of the window in place (JSONL/TSV: up to the next '\n' found with memchr; CSV:
 * up to the next '\n' outside double quotes), then the format's extractor picks the wanted
 * columns (rows_json.c, rows_csv.c). The window starts at 64 KiB and doubles whenever less
 * than 256 KiB of it is free for the next read (so a few hundred KiB for ordinary rows), and
 * beyond only while one record does not fit, up to max_record; a longer record is skipped to
 * its end and counted (too_long), never held in memory. Decoded values go to one scratch
 * buffer sized by the record. A record's bytes and values stay valid until the next call.
 * Adding a format: one more fsift_rows_format value, its name, and one case in
 * record_end() / extract() (or, like parquet, its own next function).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/rows_internal.h"

#define WINDOW0 ((size_t)64 << 10)
#define READ_CHUNK ((size_t)1 << 20)

const char *fsift_rows_format_name(fsift_rows_format f) {
    switch (f) {
    case FSIFT_ROWS_JSONL: return "jsonl";
    case FSIFT_ROWS_CSV: return "csv";
    case FSIFT_ROWS_TSV: return "tsv";
    case FSIFT_ROWS_PARQUET: return "parquet";
    default: return "auto";
    }
}

fsift_rows_format fsift_rows_format_parse(const char *name) {
    if (!name) return FSIFT_ROWS_AUTO;
    if (!strcasecmp(name, "jsonl") || !strcasecmp(name, "json") || !strcasecmp(name, "ndjson")) return FSIFT_ROWS_JSONL;
    if (!strcasecmp(name, "csv")) return FSIFT_ROWS_CSV;
    if (!strcasecmp(name, "tsv")) return FSIFT_ROWS_TSV;
    if (!strcasecmp(name, "parquet")) return FSIFT_ROWS_PARQUET;
    return FSIFT_ROWS_AUTO;
}

static int ends_with(const char *s, size_t n, const char *suf) {
    size_t k = strlen(suf);
    return n >= k && !strncasecmp(s + n - k, suf, k);
}

fsift_rows_format fsift_rows_format_guess(const char *path) {
    if (!path || !strcmp(path, "-")) return FSIFT_ROWS_JSONL;
    size_t n = strlen(path);
    if (ends_with(path, n, ".gz")) n -= 3;
    else if (ends_with(path, n, ".zst")) n -= 4;
    else if (ends_with(path, n, ".zstd")) n -= 5;
    if (ends_with(path, n, ".csv")) return FSIFT_ROWS_CSV;
    if (ends_with(path, n, ".tsv") || ends_with(path, n, ".tab")) return FSIFT_ROWS_TSV;
    if (ends_with(path, n, ".parquet")) return FSIFT_ROWS_PARQUET;
    return FSIFT_ROWS_JSONL;
}

char *fsift_rows_dec_alloc(fsift_rows *r, size_t n) {
    if (n > r->dec_cap - r->dec_len) return NULL;
    char *p = r->dec + r->dec_len;
    r->dec_len += n;
    return p;
}

/* Reads more input into the window, growing it (up to max_record + a chunk) when full.
 * Returns 1 if bytes were added, 0 at end of input, or a negative status. */
static int fill(fsift_rows *r) {
    if (r->in_eof) return 0;
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->cap - r->len < READ_CHUNK / 4) {
        size_t want = r->cap * 2;
        size_t limit = r->max_record + READ_CHUNK + 1;
        if (want > limit) want = limit;
        if (want > r->cap) {
            unsigned char *nb = realloc(r->buf, want);
            if (!nb) return fsift_error(FSIFT_E_NOMEM, "%s: out of memory for a %zu-byte record window", r->name, want);
            r->buf = nb;
            r->cap = want;
        }
    }
    size_t room = r->cap - r->len;
    if (room == 0) return fsift_error(FSIFT_E_INTERNAL, "%s: row window full", r->name);
    size_t got = 0;
    fsift_status st = fsift_instream_read(r->in, r->buf + r->len, room, &got);
    if (st) return st;
    if (got == 0) {
        r->in_eof = 1;
        return 0;
    }
    r->len += got;
    r->st.bytes += (int64_t)got;
    return 1;
}

/* Finds the end of the record starting at buf[pos] within the window: the offset of its
 * terminating '\n' (or len at end of input). Counts the line breaks inside CSV quotes into
 * *inner_lines. Returns 0 found, 1 need more input. *scanned lets the search resume. */
static int record_end(fsift_rows *r, size_t *end, size_t *scanned, int *inq, int64_t *inner_lines) {
    const unsigned char *b = r->buf;
    if (r->format != FSIFT_ROWS_CSV) {
        const unsigned char *nl = memchr(b + *scanned, '\n', r->len - *scanned);
        if (nl) {
            *end = (size_t)(nl - b);
            return 0;
        }
        *scanned = r->len;
        return 1;
    }
    size_t i = *scanned;
    int q = *inq;
    for (; i < r->len; i++) {
        unsigned char c = b[i];
        if (c == '"') q = !q;
        else if (c == '\n') {
            if (!q) {
                *end = i;
                *inq = q;
                return 0;
            }
            (*inner_lines)++;
        }
    }
    *scanned = i;
    *inq = q;
    return 1;
}

static void reject(fsift_rows *r, int64_t line, const char *why) {
    char tmp[sizeof r->reject];
    snprintf(tmp, sizeof tmp, "%.120s", why); /* why may be r->reject itself */
    snprintf(r->reject, sizeof r->reject, "%.100s line %lld: %.120s", r->name, (long long)line, tmp);
}

/* Next raw record: rec and n (terminator and a trailing '\r' removed). Returns 1, 0 at end,
 * 2 for a record skipped as too long, or a negative status. */
static int next_record(fsift_rows *r, const char **rec, size_t *n, int64_t *line) {
    for (;;) {
        size_t scanned = r->pos, end = 0;
        int inq = 0;
        int64_t inner = 0;
        int too_long = 0;
        for (;;) {
            if (r->pos < r->len && record_end(r, &end, &scanned, &inq, &inner) == 0) break;
            if (r->len - r->pos > r->max_record) { /* no end within the limit: skip it */
                too_long = 1;
                break;
            }
            size_t off = r->pos;
            int f = fill(r);
            if (f < 0) return f;
            scanned -= off - r->pos; /* the window moved down by off */
            if (f == 0) {
                if (r->pos == r->len) return 0;
                end = r->len; /* last record without a final newline */
                if (r->format == FSIFT_ROWS_CSV && inq) {
                    r->st.malformed++;
                    reject(r, r->line, "unbalanced quote at end of input");
                    r->line += inner + 1;
                    r->pos = r->len;
                    if (r->strict) return fsift_error(FSIFT_E_FORMAT, "%s", r->reject);
                    return 2;
                }
                break;
            }
        }
        if (too_long) {
            int64_t start_line = r->line;
            /* Discard to the record's end, window by window. */
            for (;;) {
                int found = record_end(r, &end, &scanned, &inq, &inner) == 0;
                if (found) {
                    r->pos = end + 1;
                    break;
                }
                r->pos = r->len;
                scanned = 0;
                int f = fill(r);
                if (f < 0) return f;
                scanned = r->pos;
                if (f == 0) break;
            }
            r->line += inner + 1;
            r->st.malformed++;
            r->st.too_long++;
            char why[96];
            snprintf(why, sizeof why, "record longer than the %zu-byte limit", r->max_record);
            reject(r, start_line, why);
            if (r->strict) return fsift_error(FSIFT_E_FORMAT, "%s", r->reject);
            return 2;
        }
        const char *p = (const char *)r->buf + r->pos;
        size_t len = end - r->pos;
        *line = r->line;
        r->line += inner + 1;
        r->pos = end < r->len ? end + 1 : end;
        if (len && p[len - 1] == '\r') len--;
        *rec = p;
        *n = len;
        return 1;
    }
}

static fsift_status open_common(fsift_rows *r, fsift_rows_format format, const fsift_rows_opts *opts) {
    r->format = format;
    r->line = 1;
    r->max_record = opts && opts->max_record ? opts->max_record : FSIFT_ROWS_DEFAULT_MAX_RECORD;
    r->strict = opts ? opts->strict : 0;
    r->missing_ok = opts ? opts->missing_ok : 0;
    r->sep = format == FSIFT_ROWS_TSV ? '\t' : ',';
    if (opts && (opts->ncolumns < 0 || opts->ncolumns > FSIFT_ROWS_MAX_COLS))
        return fsift_error(FSIFT_E_INVALID_ARG, "rows: %d columns requested (at most %d)", opts->ncolumns,
                           FSIFT_ROWS_MAX_COLS);
    r->ncols = opts ? opts->ncolumns : 0;
    for (int i = 0; i < r->ncols; i++) {
        if (!opts->columns || !opts->columns[i]) return fsift_error(FSIFT_E_INVALID_ARG, "rows: NULL column name");
        r->colname[i] = strdup(opts->columns[i]);
        if (!r->colname[i]) return fsift_error(FSIFT_E_NOMEM, "rows: out of memory");
        r->colname_len[i] = strlen(r->colname[i]);
        r->colindex[i] = -1;
    }
    if (format == FSIFT_ROWS_PARQUET) return FSIFT_OK; /* read by parquet_rows.c (fsift_rows_open) */
    r->cap = WINDOW0;
    r->buf = malloc(r->cap);
    if (!r->buf) return fsift_error(FSIFT_E_NOMEM, "rows: out of memory");
    if (format == FSIFT_ROWS_CSV || format == FSIFT_ROWS_TSV) {
        const char *rec;
        size_t n;
        int64_t line;
        int rc;
        do rc = next_record(r, &rec, &n, &line);
        while (rc == 2 && !r->strict);
        if (rc < 0) return (fsift_status)rc;
        if (rc == 0) return fsift_error(FSIFT_E_FORMAT, "%s: empty input: no header line", r->name);
        r->header = malloc(n + 1);
        if (!r->header) return fsift_error(FSIFT_E_NOMEM, "rows: out of memory");
        memcpy(r->header, rec, n);
        r->header[n] = 0;
        r->header_len = n;
        fsift_status st = fsift_rows_dsv_header(r, r->header, n);
        if (st) return st;
    }
    return FSIFT_OK;
}

static fsift_status finish(fsift_rows *r, fsift_status st, fsift_rows **out) {
    if (st) {
        fsift_rows_free(r);
        return st;
    }
    *out = r;
    return FSIFT_OK;
}

fsift_status fsift_rows_open(const char *path, fsift_rows_format format, const fsift_rows_opts *opts,
                             fsift_rows **out) {
    if (!path || !out) return fsift_error(FSIFT_E_INVALID_ARG, "rows: NULL argument");
    *out = NULL;
    fsift_rows *r = calloc(1, sizeof *r);
    if (!r) return fsift_error(FSIFT_E_NOMEM, "rows: out of memory");
    snprintf(r->name, sizeof r->name, "%s", strcmp(path, "-") ? path : "<stdin>");
    if (format == FSIFT_ROWS_AUTO) format = fsift_rows_format_guess(path);
    if (format != FSIFT_ROWS_PARQUET) {
        fsift_status st = fsift_instream_open(path, &r->in);
        if (st) return finish(r, st, out);
    }
    fsift_status st = open_common(r, format, opts);
    if (!st && format == FSIFT_ROWS_PARQUET) st = fsift_rows_parquet_open(r, path);
    return finish(r, st, out);
}

fsift_status fsift_rows_open_mem(const void *data, size_t size, fsift_rows_format format,
                                 const fsift_rows_opts *opts, fsift_rows **out) {
    if (!out) return fsift_error(FSIFT_E_INVALID_ARG, "rows: NULL argument");
    *out = NULL;
    fsift_rows *r = calloc(1, sizeof *r);
    if (!r) return fsift_error(FSIFT_E_NOMEM, "rows: out of memory");
    snprintf(r->name, sizeof r->name, "<memory>");
    if (format == FSIFT_ROWS_AUTO) format = FSIFT_ROWS_JSONL;
    if (format == FSIFT_ROWS_PARQUET)
        return finish(r, fsift_error(FSIFT_E_UNSUPPORTED, "rows: parquet is read from a file, not a buffer"), out);
    if (format != FSIFT_ROWS_PARQUET) {
        fsift_status st = fsift_instream_open_mem(data, size, &r->in);
        if (st) return finish(r, st, out);
    }
    return finish(r, open_common(r, format, opts), out);
}

int fsift_rows_next(fsift_rows *r, fsift_row *row) {
    if (!r || !row) return fsift_error(FSIFT_E_INVALID_ARG, "rows: NULL argument");
    if (r->pq) return fsift_rows_parquet_next(r, row);
    for (;;) {
        const char *rec;
        size_t n;
        int64_t line = 0;
        int rc = next_record(r, &rec, &n, &line);
        if (rc <= 0) return rc;
        if (rc == 2) continue; /* too long / unbalanced, counted */
        /* Blank lines separate nothing in any of the formats: skip them silently. */
        size_t k = 0;
        while (k < n && (rec[k] == ' ' || rec[k] == '\t')) k++;
        if (k == n && (r->format != FSIFT_ROWS_TSV || n == 0)) continue;
        if (r->dec_cap < n + 16) {
            size_t want = n + 16 > 4096 ? n + 16 : 4096;
            char *nd = realloc(r->dec, want);
            if (!nd) return fsift_error(FSIFT_E_NOMEM, "rows: out of memory");
            r->dec = nd;
            r->dec_cap = want;
        }
        r->dec_len = 0;
        row->raw = rec;
        row->raw_len = n;
        row->line = line;
        for (int i = 0; i < r->ncols; i++) {
            row->value[i] = NULL;
            row->value_len[i] = 0;
        }
        int bad = r->format == FSIFT_ROWS_JSONL ? fsift_rows_json_extract(r, rec, n, row)
                                                : fsift_rows_dsv_extract(r, rec, n, row);
        if (bad) {
            reject(r, line, r->reject);
            r->st.malformed++;
            if (r->strict) return fsift_error(FSIFT_E_FORMAT, "%s", r->reject);
            continue;
        }
        r->st.records++;
        return 1;
    }
}

void fsift_rows_get_stats(const fsift_rows *r, fsift_rows_stats *st) {
    if (r && st) *st = r->st;
}

fsift_rows_format fsift_rows_get_format(const fsift_rows *r) { return r ? r->format : FSIFT_ROWS_AUTO; }

const char *fsift_rows_header(const fsift_rows *r, size_t *len) {
    if (len) *len = r && r->header ? r->header_len : 0;
    return r ? r->header : NULL;
}

const char *fsift_rows_last_reject(const fsift_rows *r) { return r ? r->reject : ""; }

void fsift_rows_free(fsift_rows *r) {
    if (!r) return;
    fsift_instream_close(r->in);
    fsift_parquet_rows_free(r->pq);
    for (int i = 0; i < r->ncols; i++) free(r->colname[i]);
    free(r->buf);
    free(r->dec);
    free(r->header);
    free(r);
}
