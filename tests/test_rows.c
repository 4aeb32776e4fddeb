/*
 * test_rows.c — caption rows: JSONL values checked against jansson (an independent JSON
 * parser) on generated lines with every kind of escape, malformed JSON lines counted and
 * skipped (or fatal with strict), CSV per RFC 4180 (quotes, "" escapes, line breaks inside
 * fields, header column selection, BOM), TSV, CRLF, the record-size limit, and the same
 * rows read through gzip (several members) and zstd (several frames) streams, from files
 * and from memory, plus truncated compressed streams.
 */
#include <stdint.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>
#include <zstd.h>

#include "facesift/data.h"
#include "harness.h"

typedef struct collected {
    int n;
    char *val[64][2];
    int64_t line[64];
} collected;

static void collect_free(collected *c) {
    for (int i = 0; i < c->n; i++)
        for (int k = 0; k < 2; k++) free(c->val[i][k]);
    memset(c, 0, sizeof *c);
}

/* Reads all rows of buf with the given columns; returns the final status of next(). */
static int read_all(const void *buf, size_t n, fsift_rows_format fmt, const char *c0, const char *c1, int strict,
                    size_t max_record, collected *out, fsift_rows_stats *st) {
    const char *cols[2] = {c0, c1};
    fsift_rows_opts o = {cols, c1 ? 2 : 1, max_record, strict, 0};
    fsift_rows *r;
    memset(out, 0, sizeof *out);
    int rc = fsift_rows_open_mem(buf, n, fmt, &o, &r);
    if (rc) return rc;
    fsift_row row;
    while ((rc = fsift_rows_next(r, &row)) > 0 && out->n < 64) {
        for (int k = 0; k < (c1 ? 2 : 1); k++)
            out->val[out->n][k] = row.value[k] ? strndup(row.value[k], row.value_len[k]) : NULL;
        out->line[out->n] = row.line;
        out->n++;
    }
    if (st) fsift_rows_get_stats(r, st);
    fsift_rows_free(r);
    return rc;
}

static void test_jsonl_vs_jansson(void) {
    /* Lines with escapes of every kind; jansson decodes the same caption independently. */
    const char *pieces[] = {"plain", "\\\"q\\\"", "back\\\\slash", "\\/", "\\b\\f\\n\\r\\t", "\\u00e9t\\u00E9",
                            "\\ud83d\\ude00", "\\u4e2d\\u6587", "caf\xc3\xa9", "\\u0041", " ", "\\\\\\\"", "x"};
    size_t np = sizeof pieces / sizeof pieces[0];
    char buf[1 << 16];
    size_t len = 0;
    uint32_t x = 7;
    char expect[40][512];
    int nexp = 0;
    for (int line = 0; line < 40; line++) {
        char cap[256] = "";
        for (int k = 0; k < 6; k++) {
            x = x * 1664525u + 1013904223u;
            strcat(cap, pieces[(x >> 8) % np]);
        }
        int variant = line % 4;
        if (variant == 0)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "{\"url\": \"http://x/%d.jpg\", \"caption\": \"%s\"}\n", line, cap);
        else if (variant == 1)
            len += (size_t)snprintf(buf + len, sizeof buf - len,
                                    "{\"nested\":{\"caption\":\"no\",\"a\":[1,{\"b\":\"}\"}]},\"caption\":\"%s\",\"w\":-1.5e3}\r\n", cap);
        else if (variant == 2)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "  { \"caption\" :\t\"%s\" , \"ok\": true, \"n\": null }  \n", cap);
        else
            len += (size_t)snprintf(buf + len, sizeof buf - len, "{\"caption\":\"%s\",\"caption\":\"second\"}\n", cap);
        /* oracle: jansson on the same line */
        const char *ls = buf, *le = buf + len - 1;
        for (const char *p = buf + len - 2; p >= buf; p--)
            if (*p == '\n') {
                ls = p + 1;
                break;
            }
        json_error_t err;
        json_t *j = json_loadb(ls, (size_t)(le - ls), JSON_ALLOW_NUL, &err);
        CHECK_MSG(j != NULL, "jansson rejects line %d: %s", line, err.text);
        const char *v = j ? json_string_value(json_object_get(j, "caption")) : NULL;
        snprintf(expect[nexp++], sizeof expect[0], "%.500s", v ? v : "");
        json_decref(j);
    }
    collected c;
    fsift_rows_stats st;
    CHECK(read_all(buf, len, FSIFT_ROWS_JSONL, "caption", NULL, 1, 0, &c, &st) == 0);
    CHECK(c.n == 40 && st.records == 40 && st.malformed == 0);
    for (int i = 0; i < c.n && i < nexp; i++) {
        if (i % 4 == 3) continue; /* duplicate keys: we take the first, jansson the last */
        CHECK_MSG(c.val[i][0] && !strcmp(c.val[i][0], expect[i]), "line %d: '%s' vs jansson '%s'", i,
                  c.val[i][0] ? c.val[i][0] : "(null)", expect[i]);
    }
    for (int i = 3; i < c.n; i += 4) CHECK(c.val[i][0] && strcmp(c.val[i][0], "second"));
    collect_free(&c);
}

static void test_jsonl_malformed(void) {
    const char *text = "{\"caption\": \"one\"}\n"
                       "not json\n"
                       "{\"caption\": \"unterminated}\n"
                       "\n"
                       "{\"caption\": \"bad \\x escape\"}\n"
                       "{\"caption\": \"two\"} trailing\n"
                       "[\"caption\", \"array\"]\n"
                       "{\"url\": \"no caption key\"}\n"
                       "{\"caption\": null}\n"
                       "{\"caption\": 42, \"x\": [1,2}\n"
                       "{\"caption\": \"three\"}";
    collected c;
    fsift_rows_stats st;
    CHECK(read_all(text, strlen(text), FSIFT_ROWS_JSONL, "caption", NULL, 0, 0, &c, &st) == 0);
    CHECK(c.n == 3 && st.records == 3 && st.malformed == 7);
    if (c.n == 3) {
        CHECK(!strcmp(c.val[0][0], "one") && c.val[1][0] == NULL && !strcmp(c.val[2][0], "three"));
        CHECK(c.line[0] == 1 && c.line[1] == 9 && c.line[2] == 11);
    }
    collect_free(&c);
    /* strict: the first bad line is an error naming the line */
    CHECK(read_all(text, strlen(text), FSIFT_ROWS_JSONL, "caption", NULL, 1, 0, &c, &st) == FSIFT_E_FORMAT);
    CHECK(strstr(fsift_last_error(), "line 2") != NULL);
    collect_free(&c);
    /* numbers and nested values come back as their JSON text */
    const char *t2 = "{\"caption\": \"x\", \"w\": 512, \"meta\": {\"a\": [1, \"]\"]}}\n";
    CHECK(read_all(t2, strlen(t2), FSIFT_ROWS_JSONL, "w", "meta", 1, 0, &c, &st) == 0);
    CHECK(c.n == 1 && c.val[0][0] && !strcmp(c.val[0][0], "512") && c.val[0][1] &&
          !strcmp(c.val[0][1], "{\"a\": [1, \"]\"]}"));
    collect_free(&c);
}

static void test_csv_tsv(void) {
    const char *csv = "\xEF\xBB\xBFurl,caption,\"wi,dth\"\r\n"
                      "http://a,\"a man, smiling\",512\r\n"
                      "http://b,\"she said \"\"hi\"\"\",640\n"
                      "http://c,\"two\nlines\",1\n"
                      "http://d,plain text,2\n"
                      "http://e,\"bad\"x,3\n"
                      "http://f\n"
                      "http://g,,4\n"
                      "http://h,\"unbalanced,5\n";
    collected c;
    fsift_rows_stats st;
    CHECK(read_all(csv, strlen(csv), FSIFT_ROWS_CSV, "caption", "wi,dth", 0, 0, &c, &st) == 0);
    CHECK(c.n == 5 && st.malformed == 3);
    if (c.n == 5) {
        CHECK(!strcmp(c.val[0][0], "a man, smiling") && !strcmp(c.val[0][1], "512"));
        CHECK(!strcmp(c.val[1][0], "she said \"hi\""));
        CHECK(!strcmp(c.val[2][0], "two\nlines") && !strcmp(c.val[2][1], "1"));
        CHECK(!strcmp(c.val[3][0], "plain text"));
        CHECK(c.val[4][0] && c.val[4][0][0] == 0 && !strcmp(c.val[4][1], "4"));
        CHECK(c.line[0] == 2 && c.line[2] == 4 && c.line[3] == 6);
    }
    collect_free(&c);
    /* a column the header lacks is an error at open */
    const char *cols[1] = {"TEXT"};
    fsift_rows_opts o = {cols, 1, 0, 0, 0};
    fsift_rows *r = NULL;
    CHECK(fsift_rows_open_mem(csv, strlen(csv), FSIFT_ROWS_CSV, &o, &r) == FSIFT_E_FORMAT && r == NULL);
    CHECK(strstr(fsift_last_error(), "TEXT") != NULL);
    /* header kept as read */
    cols[0] = "caption";
    CHECK_OK(fsift_rows_open_mem(csv, strlen(csv), FSIFT_ROWS_CSV, &o, &r));
    size_t hl;
    const char *h = fsift_rows_header(r, &hl);
    CHECK(h && hl == strlen("\xEF\xBB\xBFurl,caption,\"wi,dth\"") && !memcmp(h, "\xEF\xBB\xBFurl,caption,\"wi,dth\"", hl));
    CHECK(fsift_rows_get_format(r) == FSIFT_ROWS_CSV);
    fsift_rows_free(r);

    const char *tsv = "caption\turl\n\"quoted\" stays\thttp://a\r\nno url\n\tempty caption\n";
    CHECK(read_all(tsv, strlen(tsv), FSIFT_ROWS_TSV, "caption", "url", 0, 0, &c, &st) == 0);
    CHECK(c.n == 2 && st.malformed == 1);
    if (c.n == 2) {
        CHECK(!strcmp(c.val[0][0], "\"quoted\" stays") && !strcmp(c.val[0][1], "http://a"));
        CHECK(c.val[1][0][0] == 0 && !strcmp(c.val[1][1], "empty caption"));
    }
    collect_free(&c);
    CHECK(fsift_rows_open_mem("", 0, FSIFT_ROWS_CSV, &o, &r) == FSIFT_E_FORMAT);
}

static void test_limits(void) {
    /* a 3 MB line between two short ones, with a 1 MB limit */
    size_t big = 3u << 20;
    char *buf = malloc(big + 200);
    CHECK(buf != NULL);
    if (!buf) return;
    size_t n = (size_t)sprintf(buf, "{\"caption\": \"a\"}\n{\"caption\": \"");
    memset(buf + n, 'x', big);
    n += big;
    n += (size_t)sprintf(buf + n, "\"}\n{\"caption\": \"b\"}\n");
    collected c;
    fsift_rows_stats st;
    CHECK(read_all(buf, n, FSIFT_ROWS_JSONL, "caption", NULL, 0, 1u << 20, &c, &st) == 0);
    CHECK(c.n == 2 && st.too_long == 1 && st.malformed == 1 && st.bytes == (int64_t)n);
    if (c.n == 2) CHECK(!strcmp(c.val[1][0], "b") && c.line[1] == 3);
    collect_free(&c);
    CHECK(read_all(buf, n, FSIFT_ROWS_JSONL, "caption", NULL, 1, 1u << 20, &c, &st) == FSIFT_E_FORMAT);
    collect_free(&c);
    /* and the same line fits under the default limit */
    CHECK(read_all(buf, n, FSIFT_ROWS_JSONL, "caption", NULL, 1, 0, &c, &st) == 0 && c.n == 3);
    collect_free(&c);
    free(buf);
    CHECK(fsift_rows_format_guess("a/b.CSV.gz") == FSIFT_ROWS_CSV);
    CHECK(fsift_rows_format_guess("x.tsv.zst") == FSIFT_ROWS_TSV);
    CHECK(fsift_rows_format_guess("x.parquet") == FSIFT_ROWS_PARQUET);
    CHECK(fsift_rows_format_guess("-") == FSIFT_ROWS_JSONL);
    CHECK(fsift_rows_format_parse("tsv") == FSIFT_ROWS_TSV && fsift_rows_format_parse("xml") == FSIFT_ROWS_AUTO);
}

static size_t gzip_into(const char *src, size_t n, unsigned char *dst, size_t cap) {
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (unsigned char *)src;
    z.avail_in = (uInt)n;
    z.next_out = dst;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    size_t out = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static void test_compressed(void) {
    /* 20,000 rows, split in two halves compressed separately and concatenated */
    size_t cap = 4u << 20;
    char *plain = malloc(cap);
    unsigned char *gz = malloc(cap), *zs = malloc(cap);
    CHECK(plain && gz && zs);
    if (!plain || !gz || !zs) return;
    size_t n = 0, half = 0;
    for (int i = 0; i < 20000; i++) {
        if (i == 10000) half = n;
        n += (size_t)sprintf(plain + n, "{\"caption\": \"row %d\", \"url\": \"u%d\"}\n", i, i);
    }
    size_t g1 = gzip_into(plain, half, gz, cap);
    size_t g = g1 + gzip_into(plain + half, n - half, gz + g1, cap - g1);
    size_t z1 = ZSTD_compress(zs, cap, plain, half, 3);
    size_t z = z1 + ZSTD_compress(zs + z1, cap - z1, plain + half, n - half, 3);
    CHECK(!ZSTD_isError(z1) && !ZSTD_isError(z));
    const struct {
        const void *buf;
        size_t n;
        const char *name;
    } inputs[3] = {{plain, n, "plain"}, {gz, g, "gzip"}, {zs, z, "zstd"}};
    char path[] = "/tmp/fsift_rowsXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    for (int k = 0; k < 3; k++) {
        for (int from_file = 0; from_file < 2; from_file++) {
            const char *cols[1] = {"caption"};
            fsift_rows_opts o = {cols, 1, 0, 1, 0};
            fsift_rows *r = NULL;
            if (from_file) {
                CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, inputs[k].buf, inputs[k].n, 0) == (ssize_t)inputs[k].n);
                CHECK_OK(fsift_rows_open(path, FSIFT_ROWS_JSONL, &o, &r));
            } else {
                CHECK_OK(fsift_rows_open_mem(inputs[k].buf, inputs[k].n, FSIFT_ROWS_AUTO, &o, &r));
            }
            if (!r) continue;
            fsift_row row;
            int i = 0, ok = 1, rc;
            char want[64];
            while ((rc = fsift_rows_next(r, &row)) > 0) {
                snprintf(want, sizeof want, "row %d", i);
                if (row.value_len[0] != strlen(want) || memcmp(row.value[0], want, row.value_len[0])) ok = 0;
                i++;
            }
            CHECK_MSG(rc == 0 && i == 20000 && ok, "%s (%s): rc %d, %d rows", inputs[k].name,
                      from_file ? "file" : "memory", rc, i);
            fsift_rows_free(r);
        }
    }
    /* truncated streams are errors, not silent short reads */
    for (int k = 1; k < 3; k++) {
        const char *cols[1] = {"caption"};
        fsift_rows_opts o = {cols, 1, 0, 0, 0};
        fsift_rows *r = NULL;
        CHECK_OK(fsift_rows_open_mem(inputs[k].buf, inputs[k].n / 2, FSIFT_ROWS_JSONL, &o, &r));
        if (!r) continue;
        fsift_row row;
        int rc;
        while ((rc = fsift_rows_next(r, &row)) > 0) {
        }
        CHECK_MSG(rc == FSIFT_E_FORMAT, "%s truncated: rc %d", inputs[k].name, rc);
        fsift_rows_free(r);
    }
    /* corrupt gzip body */
    gz[g1 / 2] ^= 0x55;
    gz[g1 / 2 + 1] ^= 0x55;
    {
        const char *cols[1] = {"caption"};
        fsift_rows_opts o = {cols, 1, 0, 0, 0};
        fsift_rows *r = NULL;
        CHECK_OK(fsift_rows_open_mem(gz, g, FSIFT_ROWS_JSONL, &o, &r));
        fsift_row row;
        int rc = 0;
        while (r && (rc = fsift_rows_next(r, &row)) > 0) {
        }
        CHECK(rc == FSIFT_E_FORMAT);
        fsift_rows_free(r);
    }
    CHECK(fsift_rows_open("/nonexistent/x.jsonl", FSIFT_ROWS_AUTO, NULL, &(fsift_rows *){NULL}) == FSIFT_E_IO);
    close(fd);
    unlink(path);
    free(plain);
    free(gz);
    free(zs);
}

int main(void) {
    RUN(test_jsonl_vs_jansson);
    RUN(test_jsonl_malformed);
    RUN(test_csv_tsv);
    RUN(test_limits);
    RUN(test_compressed);
    return test_summary();
}
