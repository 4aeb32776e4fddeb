/*
 * rows_csv.c — field extraction from one CSV (RFC 4180) or TSV record, and the header that
 * names the columns.
 *
 * CSV: fields separated by ','; a field that starts with '"' is quoted, runs to the next
 * lone '"' and may hold ',', line breaks and "" (one quote); after its closing quote only
 * ',' or the end of the record may follow, else the record is malformed. An unquoted field
 * is taken as it is (a stray '"' inside it is kept, as Python's csv module does). TSV
 * (the IANA text/tab-separated-values type): fields separated by '\t', no quoting at all.
 * The wanted columns are resolved to field indexes once, from the header; a record with
 * fewer fields than a wanted index is malformed unless missing_ok (the value is then NULL).
 * Values without "" escapes are returned in place; others are copied without them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/rows_internal.h"

/* Where parse_fields() puts each field: the header (column names) or a row.
 */
typedef struct field_sink {
    fsift_rows *r;
    fsift_row *row;           /* NULL when parsing the header */
    int header;
} field_sink;

static int set_field(field_sink *k, int idx, const char *v, size_t n) {
    fsift_rows *r = k->r;
    if (k->header) {
        for (int i = 0; i < r->ncols; i++)
            if (r->colindex[i] < 0 && r->colname_len[i] == n && !memcmp(r->colname[i], v, n)) r->colindex[i] = idx;
        return 0;
    }
    for (int i = 0; i < r->ncols; i++)
        if (r->colindex[i] == idx) {
            k->row->value[i] = v;
            k->row->value_len[i] = n;
        }
    return 0;
}

static int parse_fields(field_sink *k, const char *rec, size_t n) {
    fsift_rows *r = k->r;
    const char *p = rec, *e = rec + n;
    int idx = 0;
    char sep = r->sep;
    if (sep == '\t') {
        for (;;) {
            const char *t = memchr(p, '\t', (size_t)(e - p));
            const char *fe = t ? t : e;
            set_field(k, idx++, p, (size_t)(fe - p));
            if (!t) return idx;
            p = t + 1;
        }
    }
    for (;;) {
        if (p < e && *p == '"') {
            const char *s = p + 1;
            const char *q = s;
            int escaped = 0;
            for (;;) {
                q = memchr(q, '"', (size_t)(e - q));
                if (!q) {
                    snprintf(r->reject, sizeof r->reject, "unbalanced quote in field %d", idx + 1);
                    return -1;
                }
                if (q + 1 < e && q[1] == '"') {
                    escaped = 1;
                    q += 2;
                    continue;
                }
                break;
            }
            const char *after = q + 1;
            if (after < e && *after != ',') {
                snprintf(r->reject, sizeof r->reject, "text after the closing quote of field %d", idx + 1);
                return -1;
            }
            if (!escaped) {
                set_field(k, idx, s, (size_t)(q - s));
            } else {
                char *o = fsift_rows_dec_alloc(r, (size_t)(q - s) + 1);
                if (!o) {
                    snprintf(r->reject, sizeof r->reject, "decoded values exceed the record budget");
                    return -1;
                }
                size_t m = 0;
                for (const char *c = s; c < q; c++) {
                    o[m++] = *c;
                    if (*c == '"') c++; /* "" -> " */
                }
                o[m] = 0;
                r->dec_len -= (size_t)(q - s) - m;
                set_field(k, idx, o, m);
            }
            idx++;
            if (after >= e) return idx;
            p = after + 1;
        } else {
            const char *c = memchr(p, ',', (size_t)(e - p));
            const char *fe = c ? c : e;
            set_field(k, idx++, p, (size_t)(fe - p));
            if (!c) return idx;
            p = c + 1;
        }
    }
}

fsift_status fsift_rows_dsv_header(fsift_rows *r, const char *rec, size_t n) {
    /* A UTF-8 byte order mark before the first name is not part of it. */
    if (n >= 3 && !memcmp(rec, "\xEF\xBB\xBF", 3)) {
        rec += 3;
        n -= 3;
    }
    field_sink k = {r, NULL, 1};
    if (n > 0 && r->dec_cap < n + 16) {
        r->dec = realloc(r->dec, n + 16);
        if (!r->dec) return fsift_error(FSIFT_E_NOMEM, "rows: out of memory");
        r->dec_cap = n + 16;
    }
    r->dec_len = 0;
    int nf = parse_fields(&k, rec, n);
    if (nf < 0) return fsift_error(FSIFT_E_FORMAT, "%s: header line: %s", r->name, r->reject);
    for (int i = 0; i < r->ncols; i++)
        if (r->colindex[i] < 0)
            return fsift_error(FSIFT_E_FORMAT, "%s: no column named '%s' in the header line (%.*s%s)", r->name,
                               r->colname[i], (int)(n > 120 ? 120 : n), rec, n > 120 ? "..." : "");
    return FSIFT_OK;
}

int fsift_rows_dsv_extract(fsift_rows *r, const char *rec, size_t n, fsift_row *row) {
    field_sink k = {r, row, 0};
    int nf = parse_fields(&k, rec, n);
    if (nf < 0) return -1;
    if (!r->missing_ok)
        for (int i = 0; i < r->ncols; i++)
            if (r->colindex[i] >= nf) {
                snprintf(r->reject, sizeof r->reject, "%d fields, column '%s' is field %d", nf, r->colname[i],
                         r->colindex[i] + 1);
                return -1;
            }
    return 0;
}
