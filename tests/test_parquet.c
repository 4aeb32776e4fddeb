/*
 * test_parquet.c — the parquet reader's encodings on the specification's own examples (RLE /
 * bit-packed hybrid, DELTA_BINARY_PACKED), hostile footers (huge list counts, deep nesting,
 * bad magic, lengths past the end), the row cursor over an already-open reader (on
 * fuzz/corpus/parquet/laion.parquet) and, with `--dump FILE [COLUMN...]`, a JSON-lines dump of
 * a file that tests/script_parquet_oracle.sh compares with DuckDB's own export of the same
 * table. `--dump` exits 1 with the reader's message on an error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/parquet_internal.h"
#include "facesift/facesift.h"
#include "harness.h"

static void test_rle_spec(void) {
    /* parquet-format Encodings.md: 0..7 bit-packed at width 3 is 0x88 0xC6 0xFA */
    const uint8_t bp[] = {0x03, 0x88, 0xC6, 0xFA};
    uint32_t v[8];
    CHECK(pq_rle_decode(bp, sizeof bp, 3, v, 8) == 0);
    for (int i = 0; i < 8; i++) CHECK(v[i] == (uint32_t)i);
    /* an RLE run of five 3s at width 2, then a bit-packed group */
    const uint8_t mix[] = {0x0A, 0x03, 0x03, 0x88, 0xC6, 0xFA};
    uint32_t w[13];
    CHECK(pq_rle_decode(mix, sizeof mix, 3, w, 13) == 0);
    for (int i = 0; i < 5; i++) CHECK(w[i] == 3);
    for (int i = 0; i < 8; i++) CHECK(w[5 + i] == (uint32_t)i);
    /* running out of data, and an RLE value wider than the bit width */
    CHECK(pq_rle_decode(bp, 3, 3, v, 8) != 0);
    const uint8_t wide[] = {0x02, 0x05};
    CHECK(pq_rle_decode(wide, sizeof wide, 2, v, 1) != 0);
    CHECK(pq_rle_decode(mix, sizeof mix, 33, w, 1) != 0);
}

static void test_delta_spec(void) {
    /* Encodings.md example 1: 1 2 3 4 5 (all deltas equal: width 0, no data) */
    const uint8_t a[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0};
    int64_t out[64], n;
    size_t used;
    CHECK(pq_delta_decode(a, sizeof a, out, 64, &n, &used) == 0);
    CHECK(n == 5 && used == sizeof a);
    for (int i = 0; i < 5; i++) CHECK(out[i] == i + 1);
    /* example 2: 7 5 3 1 2 3 4 5: min delta -2, width 2, one 32-value miniblock */
    const uint8_t b[] = {0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 2, 0, 0, 0, 0xC0, 0x3F, 0, 0, 0, 0, 0, 0};
    const int64_t want[] = {7, 5, 3, 1, 2, 3, 4, 5};
    CHECK(pq_delta_decode(b, sizeof b, out, 64, &n, &used) == 0);
    CHECK(n == 8 && used == sizeof b);
    for (int i = 0; i < 8; i++) CHECK(out[i] == want[i]);
    CHECK(pq_delta_decode(b, sizeof b - 1, out, 64, &n, &used) != 0); /* truncated miniblock */
    CHECK(pq_delta_decode(b, sizeof b, out, 4, &n, &used) != 0);      /* more than asked for */
    const uint8_t bad_block[] = {0x7f, 0x04, 0x08, 0x0E};               /* block size 127 */
    CHECK(pq_delta_decode(bad_block, sizeof bad_block, out, 64, &n, &used) != 0);
}

/* A file around a given footer: PAR1 + footer + length + PAR1. */
static fsift_status open_footer(const uint8_t *f, size_t n, fsift_parquet **pq, uint8_t *buf) {
    memcpy(buf, "PAR1", 4);
    memcpy(buf + 4, f, n);
    buf[4 + n] = (uint8_t)n;
    buf[5 + n] = (uint8_t)(n >> 8);
    buf[6 + n] = 0;
    buf[7 + n] = 0;
    memcpy(buf + 8 + n, "PAR1", 4);
    return fsift_parquet_open_mem(buf, n + 12, NULL, pq);
}

static void test_hostile_footers(void) {
    uint8_t buf[9000];
    fsift_parquet *pq = NULL;
    /* schema list (field 2) claiming 2^31 structs in a few bytes */
    const uint8_t huge[] = {0x29, 0xfc, 0xff, 0xff, 0xff, 0x07, 0x00};
    CHECK(open_footer(huge, sizeof huge, &pq, buf) == FSIFT_E_FORMAT && !pq);
    /* 4000 nested structs in an unknown field */
    uint8_t deep[8100];
    size_t k = 0;
    for (int i = 0; i < 4000; i++) deep[k++] = 0x1c; /* field +1, struct */
    for (int i = 0; i < 4000; i++) deep[k++] = 0x00;
    CHECK(open_footer(deep, k, &pq, buf) == FSIFT_E_FORMAT && !pq);
    /* a valid empty struct: no schema */
    const uint8_t empty[] = {0x00};
    CHECK(open_footer(empty, 1, &pq, buf) == FSIFT_E_FORMAT);
    CHECK(strstr(fsift_last_error(), "schema") != NULL);
    /* magic and lengths */
    CHECK(fsift_parquet_open_mem("PAR1PAR1", 8, NULL, &pq) == FSIFT_E_FORMAT);
    memcpy(buf, "PAR1xxxx\xff\xff\x00\x00PAR1", 16);
    CHECK(fsift_parquet_open_mem(buf, 16, NULL, &pq) == FSIFT_E_FORMAT);
    memcpy(buf, "PAR1xxxx\x01\x00\x00\x00PARE", 16);
    CHECK(fsift_parquet_open_mem(buf, 16, NULL, &pq) == FSIFT_E_UNSUPPORTED);
    CHECK(fsift_parquet_open("/nonexistent/x.parquet", NULL, &pq) == FSIFT_E_IO);
}

/* The row cursor over an already-open reader (fsift_parquet_rows_open_reader) gives the same
 * cells as the one that opens the file itself, borrows the reader (still usable after the
 * cursor is freed, and after a failed open naming a missing column). */
static void test_rows_over_reader(void) {
    const char *src = getenv("FSIFT_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/fuzz/corpus/parquet/laion.parquet", src ? src : ".");
    const char *cols[] = {"TEXT", "hash", "WIDTH", "URL"};
    fsift_parquet *pq = NULL;
    fsift_parquet_rows *a = NULL, *b = NULL;
    CHECK_OK(fsift_parquet_open(path, NULL, &pq));
    if (!pq) return;
    CHECK_OK(fsift_parquet_rows_open_reader(pq, cols, 4, &a));
    CHECK_OK(fsift_parquet_rows_open(path, cols, 4, &b));
    int64_t rows = 0;
    int ka, kb;
    for (;;) {
        const char *va[4], *vb[4];
        size_t la[4], lb[4];
        ka = a ? fsift_parquet_rows_next(a, va, la) : -1;
        kb = b ? fsift_parquet_rows_next(b, vb, lb) : -1;
        CHECK(ka == kb);
        if (ka != 1 || kb != 1) break;
        rows++;
        for (int i = 0; i < 4; i++)
            CHECK(la[i] == lb[i] && !va[i] == !vb[i] && (!va[i] || !memcmp(va[i], vb[i], la[i])));
    }
    CHECK(ka == 0 && rows == fsift_parquet_num_rows(pq) && rows > 0);
    fsift_parquet_rows_free(a);
    fsift_parquet_rows_free(b);
    const char *missing[] = {"TEXT", "nope"};
    a = (fsift_parquet_rows *)1;
    CHECK(fsift_parquet_rows_open_reader(pq, missing, 2, &a) == FSIFT_E_INVALID_ARG && !a);
    CHECK(strstr(fsift_last_error(), "no column 'nope'") != NULL);
    CHECK(fsift_parquet_rows_open_reader(pq, cols, 0, &a) == FSIFT_E_INVALID_ARG && !a);
    /* the reader was only borrowed: it still reads */
    fsift_parquet_column_data d;
    memset(&d, 0, sizeof d);
    CHECK_OK(fsift_parquet_read_column(pq, 0, fsift_parquet_find_column(pq, "TEXT"), &d));
    CHECK(d.rows == fsift_parquet_row_group_rows(pq, 0));
    fsift_parquet_column_data_free(&d);
    fsift_parquet_free(pq);
}

static void json_str(const char *s, size_t n) {
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch < 0x20) printf("\\u%04x", ch);
        else putchar(ch);
    }
    putchar('"');
}

static int dump(int argc, char **argv) {
    fsift_parquet *pq;
    if (fsift_parquet_open(argv[2], NULL, &pq)) {
        fprintf(stderr, "error: %s\n", fsift_last_error());
        return 1;
    }
    int nc = fsift_parquet_num_columns(pq);
    int *cols = malloc(sizeof(int) * (size_t)(nc + argc));
    int n = 0;
    if (argc > 3) {
        for (int i = 3; i < argc; i++) cols[n++] = fsift_parquet_find_column(pq, argv[i]);
    } else {
        for (int i = 0; i < nc; i++) cols[n++] = i;
    }
    fsift_parquet_column_data *d = calloc((size_t)n + 1, sizeof *d);
    int rc = 0;
    for (int g = 0; g < fsift_parquet_num_row_groups(pq) && !rc; g++) {
        for (int i = 0; i < n; i++)
            if (cols[i] < 0 || fsift_parquet_read_column(pq, g, cols[i], &d[i])) {
                fprintf(stderr, "error: %s\n", cols[i] < 0 ? "no such column" : fsift_last_error());
                rc = 1;
            }
        for (int64_t r = 0; !rc && r < fsift_parquet_row_group_rows(pq, g); r++) {
            putchar('{');
            for (int i = 0; i < n; i++) {
                const fsift_parquet_column_info *ci = fsift_parquet_column(pq, cols[i]);
                char buf[128];
                const char *s;
                size_t len;
                if (i) putchar(',');
                json_str(ci->name, strlen(ci->name));
                putchar(':');
                if (!fsift_parquet_cell_text(&d[i], r, buf, sizeof buf, &s, &len)) fputs("null", stdout);
                else if (ci->type == FSIFT_PQ_BYTE_ARRAY || ci->type == FSIFT_PQ_FIXED || ci->type == FSIFT_PQ_INT96)
                    json_str(s, len);
                else fwrite(s, 1, len, stdout);
            }
            puts("}");
        }
        for (int i = 0; i < n; i++) fsift_parquet_column_data_free(&d[i]);
    }
    free(d);
    free(cols);
    fsift_parquet_free(pq);
    return rc;
}

/* --rows FILE COLUMN...: the same cells through the generic row reader (fsift_rows, format
 * from the file name), as JSON strings or null. */
static int rows_dump(int argc, char **argv) {
    fsift_rows_opts o;
    memset(&o, 0, sizeof o);
    o.columns = (const char *const *)argv + 3;
    o.ncolumns = argc - 3;
    fsift_rows *r;
    if (fsift_rows_open(argv[2], FSIFT_ROWS_AUTO, &o, &r)) {
        fprintf(stderr, "error: %s\n", fsift_last_error());
        return 1;
    }
    fsift_row row;
    int rc;
    while ((rc = fsift_rows_next(r, &row)) == 1) {
        putchar('{');
        for (int i = 0; i < o.ncolumns; i++) {
            if (i) putchar(',');
            json_str(argv[3 + i], strlen(argv[3 + i]));
            putchar(':');
            if (row.value[i]) json_str(row.value[i], row.value_len[i]);
            else fputs("null", stdout);
        }
        puts("}");
    }
    if (rc < 0) fprintf(stderr, "error: %s\n", fsift_last_error());
    fsift_rows_free(r);
    return rc < 0;
}

/* --pages FILE: counts the page kinds, walking the page headers from the first byte (writers
 * store the chunks back to back) up to the first thing that is not a page: "v1 N v2 N dict N". */
static int pages(const char *path) {
    void *buf;
    size_t n;
    if (fsift_file_read(path, (size_t)1 << 30, &buf, &n) || n < 12) return 1;
    const uint8_t *b = buf;
    size_t flen = (size_t)b[n - 8] | (size_t)b[n - 7] << 8 | (size_t)b[n - 6] << 16 | (size_t)b[n - 5] << 24;
    size_t end = flen + 12 <= n ? n - 8 - flen : 4, pos = 4;
    int cnt[4] = {0, 0, 0, 0};
    while (pos < end) {
        pq_page_header h;
        size_t hl;
        if (pq_page_header_parse(b + pos, end - pos, &h, &hl) || h.type < 0 || h.type > 3) break;
        cnt[h.type]++;
        pos += hl + (size_t)h.compressed_size;
    }
    printf("v1 %d v2 %d dict %d\n", cnt[0], cnt[3], cnt[2]);
    free(buf);
    return cnt[0] + cnt[3] > 0 ? 0 : 1; /* page indexes or bloom filters may follow the pages */
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "--dump")) return dump(argc, argv);
    if (argc == 3 && !strcmp(argv[1], "--pages")) return pages(argv[2]);
    if (argc >= 4 && !strcmp(argv[1], "--rows")) return rows_dump(argc, argv);
    RUN(test_rle_spec);
    RUN(test_delta_spec);
    RUN(test_hostile_footers);
    RUN(test_rows_over_reader);
    return test_summary();
}
