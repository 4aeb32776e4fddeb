/*
 * cmd_text.c — `facesift text`: the FaceID-6M caption rule over caption tables.
 *
 * Streams rows from each input (JSONL, CSV or TSV; gzip/zstd/stdin; fsift_rows), tests the
 * caption column with the matcher (fsift_matcher_first, the call facesift build makes per
 * sample) and writes the rows that pass, byte for byte as read, plus where the match is:
 * JSONL rows get a "facesift_match": {"category": ..., "term": ...} member before their
 * closing brace, CSV/TSV rows one more column facesift_match = "category:term". The output
 * is written to a temporary name and renamed when complete (`-o -` streams to stdout).
 * Parquet inputs have no row text to copy: each kept row is written as one JSONL object of
 * all its columns (numbers and booleans as JSON values, strings escaped, binary and INT96
 * cells as hex strings, nulls and non-finite floats as null) plus facesift_match. Stats
 * (rows read, kept, per category, malformed) go to stderr and, with --stats, to a JSON file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "facesift/data.h"
#include "facesift/text.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: facesift text [FILE...] [--format jsonl|csv|tsv|parquet] [--caption-col caption] -o OUT\n"
            "                     [--stats FILE.json] [--strict] [--lexicon DIR] [--max-record BYTES]\n"
            "       facesift text --print-patterns [--lexicon DIR]\n\n"
            "Keeps the rows whose caption passes the FaceID-6M caption rule (people, nationality,\n"
            "ethnicity, profession or name; whole words, case-insensitive) and writes them unchanged\n"
            "plus a facesift_match field (JSONL: {\"category\",\"term\"}; CSV/TSV: a column\n"
            "\"category:term\"). FILE may be gzip or zstd compressed; no FILE or '-' reads stdin.\n"
            "The format comes from the file name (.jsonl .csv .tsv, before .gz/.zst; .parquet) unless\n"
            "--format. Parquet rows are written as JSONL objects of all their columns.\n\n"
            "  -o OUT              output file, written atomically; '-' for stdout\n"
            "  --caption-col NAME  caption column / JSON key (default caption)\n"
            "  --stats FILE        also write the stats as JSON\n"
            "  --strict            stop at the first malformed row (default: count and skip it)\n"
            "  --lexicon DIR       lexicon directory (default: the built-in data/lexicons)\n"
            "  --max-record BYTES  longest row accepted (default 64 MiB; longer rows are malformed)\n"
            "  --print-patterns    print the folded term patterns (plural forms included, first-name\n"
            "                      rule and exclusions left out) and exit: the list the benchmark\n"
            "                      gives grep and ripgrep\n");
}

typedef struct text_stats {
    int64_t read, kept, malformed, too_long, bytes, null_caption;
    int64_t per_cat[FSIFT_CAT_COUNT];
} text_stats;

/* s[0..n) as a JSON string body (UTF-8 passed through; controls, quote, backslash escaped). */
static void write_json_bytes(FILE *o, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') fputc('\\', o), fputc(c, o);
        else if (c < 0x20) fprintf(o, "\\u%04x", c);
        else fputc(c, o);
    }
}

/* One parquet input: every column read, kept rows written as JSONL objects. Returns 0 or a
 * CLI exit code after printing why. */
static int text_parquet(const char *path, const char *caption_col, const fsift_matcher *m, FILE *o,
                        text_stats *st) {
    fsift_parquet *pq;
    if (fsift_parquet_open(path, NULL, &pq)) return cli_fail(path);
    int nc = fsift_parquet_num_columns(pq);
    int cap = fsift_parquet_find_column(pq, caption_col);
    if (cap < 0) {
        fprintf(stderr, "facesift text: %s: no column '%s'\n", path, caption_col);
        fsift_parquet_free(pq);
        return CLI_FAIL;
    }
    const char **names = calloc((size_t)nc, sizeof *names);
    int *kind = calloc((size_t)nc, sizeof *kind); /* 0 string, 1 JSON number/bool, 2 float */
    const char **vals = calloc((size_t)nc, sizeof *vals);
    size_t *lens = calloc((size_t)nc, sizeof *lens);
    fsift_parquet_rows *r = NULL;
    int rc = CLI_FAIL;
    if (!names || !kind || !vals || !lens) {
        fprintf(stderr, "facesift text: out of memory\n");
        goto out;
    }
    for (int c = 0; c < nc; c++) {
        const fsift_parquet_column_info *ci = fsift_parquet_column(pq, c);
        names[c] = ci->name;
        int t = ci->type;
        kind[c] = t == FSIFT_PQ_FLOAT || t == FSIFT_PQ_DOUBLE ? 2
                  : (t == FSIFT_PQ_BOOLEAN || t == FSIFT_PQ_INT32 || t == FSIFT_PQ_INT64) ? 1 : 0;
    }
    if (fsift_parquet_rows_open_reader(pq, names, nc, &r)) {
        rc = cli_fail(path);
        goto out;
    }
    int k;
    while ((k = fsift_parquet_rows_next(r, vals, lens)) > 0) {
        st->read++;
        if (!vals[cap]) {
            st->null_caption++;
            continue;
        }
        st->bytes += (int64_t)lens[cap];
        fsift_text_match mt;
        if (!fsift_matcher_first(m, vals[cap], lens[cap], &mt)) continue;
        st->kept++;
        st->per_cat[mt.category]++;
        fputc('{', o);
        for (int c = 0; c < nc; c++) {
            fputs(c ? ", \"" : "\"", o);
            write_json_bytes(o, names[c], strlen(names[c]));
            fputs("\": ", o);
            int finite = 1;
            if (vals[c] && kind[c] == 2) {
                char num[64];
                size_t n = lens[c] < sizeof num - 1 ? lens[c] : sizeof num - 1;
                memcpy(num, vals[c], n);
                num[n] = 0;
                finite = strpbrk(num, "nN") == NULL; /* nan, inf: not JSON numbers */
            }
            if (!vals[c] || !finite) {
                fputs("null", o);
            } else if (kind[c]) {
                fwrite(vals[c], 1, lens[c], o);
            } else {
                fputc('"', o);
                write_json_bytes(o, vals[c], lens[c]);
                fputc('"', o);
            }
        }
        fputs(", \"facesift_match\": {\"category\": \"", o);
        fputs(fsift_text_category_name(mt.category), o);
        fputs("\", \"term\": \"", o);
        write_json_bytes(o, mt.term, strlen(mt.term));
        fputs("\"}}\n", o);
    }
    rc = k < 0 ? cli_fail(path) : 0;
out:
    fsift_parquet_rows_free(r);
    fsift_parquet_free(pq);
    free(names);
    free(kind);
    free(vals);
    free(lens);
    return rc;
}

static void write_kept(FILE *o, fsift_rows_format fmt, const fsift_row *row, const fsift_text_match *mt) {
    const char *cat = fsift_text_category_name(mt->category);
    if (fmt == FSIFT_ROWS_JSONL) {
        size_t e = row->raw_len;
        while (e > 0 && row->raw[e - 1] != '}') e--;
        if (e == 0) return; /* cannot happen: the reader checked the object */
        size_t b = e - 1;   /* the closing brace */
        size_t k = b;
        while (k > 0 && (row->raw[k - 1] == ' ' || row->raw[k - 1] == '\t')) k--;
        int empty = k > 0 && row->raw[k - 1] == '{';
        fwrite(row->raw, 1, k, o);
        fputs(empty ? "\"facesift_match\": {\"category\": \"" : ", \"facesift_match\": {\"category\": \"", o);
        fputs(cat, o);
        fputs("\", \"term\": \"", o);
        write_json_bytes(o, mt->term, strlen(mt->term));
        fputs("\"}}\n", o);
        return;
    }
    fwrite(row->raw, 1, row->raw_len, o);
    if (fmt == FSIFT_ROWS_TSV) {
        fprintf(o, "\t%s:", cat);
        for (const char *t = mt->term; *t; t++) fputc(*t == '\t' || *t == '\n' ? ' ' : *t, o);
        fputc('\n', o);
        return;
    }
    int quote = strpbrk(mt->term, ",\"\r\n") != NULL;
    fprintf(o, ",%s%s:", quote ? "\"" : "", cat);
    for (const char *t = mt->term; *t; t++) {
        if (*t == '"') fputc('"', o);
        fputc(*t, o);
    }
    fputs(quote ? "\"\n" : "\n", o);
}

static int print_stats(const text_stats *st, double ms, const char *stats_path) {
    double mb_s = ms > 0 ? (double)st->bytes / 1e6 / (ms / 1e3) : 0;
    fprintf(stderr, "facesift text: %lld rows read, %lld kept (%.2f%%), %lld malformed (%lld too long), "
                    "%lld without a caption; %.1f MB in %.2f s (%.0f MB/s)\n",
            (long long)st->read, (long long)st->kept, st->read ? 100.0 * (double)st->kept / (double)st->read : 0.0,
            (long long)st->malformed, (long long)st->too_long, (long long)st->null_caption, (double)st->bytes / 1e6,
            ms / 1e3, mb_s);
    fprintf(stderr, "  per category:");
    for (int c = 0; c < FSIFT_CAT_COUNT; c++)
        fprintf(stderr, " %s %lld", fsift_text_category_name(c), (long long)st->per_cat[c]);
    fputc('\n', stderr);
    if (!stats_path) return CLI_OK;
    char buf[2048];
    int n = snprintf(buf, sizeof buf,
                     "{\"rows_read\": %lld, \"kept\": %lld, \"malformed\": %lld, \"too_long\": %lld, "
                     "\"null_caption\": %lld, \"bytes\": %lld, \"seconds\": %.3f, \"per_category\": {",
                     (long long)st->read, (long long)st->kept, (long long)st->malformed, (long long)st->too_long,
                     (long long)st->null_caption, (long long)st->bytes, ms / 1e3);
    for (int c = 0; c < FSIFT_CAT_COUNT; c++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%s\"%s\": %lld", c ? ", " : "", fsift_text_category_name(c),
                      (long long)st->per_cat[c]);
    n += snprintf(buf + n, sizeof buf - (size_t)n, "}}\n");
    if (fsift_file_write_atomic(stats_path, buf, (size_t)n)) return cli_fail(stats_path);
    return CLI_OK;
}

static int print_patterns(const char *lexdir) {
    fsift_matcher *m;
    if (fsift_matcher_load(lexdir, &m)) return cli_fail("loading the lexicons");
    const char *t;
    size_t len;
    int cat, kind;
    for (size_t i = 0; fsift_matcher_pattern(m, i, &t, &len, &cat, &kind); i++)
        if (kind == FSIFT_TERM_WORD || kind == FSIFT_TERM_NAME) printf("%.*s\n", (int)len, t);
    fsift_matcher_free(m);
    return fflush(stdout) ? CLI_FAIL : CLI_OK;
}

int cmd_text(int argc, char **argv) {
    const char *out_path = NULL, *stats_path = NULL, *lexdir = NULL, *caption_col = "caption";
    fsift_rows_format fmt_opt = FSIFT_ROWS_AUTO;
    int strict = 0, patterns = 0;
    size_t max_record = 0;
    const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    int ninputs = 0;
    if (!inputs) return CLI_FAIL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(inputs);
            return CLI_OK;
        } else if (!strcmp(a, "-o") && more) out_path = argv[++i];
        else if (!strcmp(a, "--stats") && more) stats_path = argv[++i];
        else if (!strcmp(a, "--lexicon") && more) lexdir = argv[++i];
        else if (!strcmp(a, "--caption-col") && more) caption_col = argv[++i];
        else if (!strcmp(a, "--format") && more) {
            fmt_opt = fsift_rows_format_parse(argv[++i]);
            if (fmt_opt == FSIFT_ROWS_AUTO) {
                fprintf(stderr, "facesift text: unknown --format '%s' (jsonl, csv, tsv, parquet)\n", argv[i]);
                free(inputs);
                return CLI_USAGE;
            }
        } else if (!strcmp(a, "--max-record") && more) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (errno || *end || v < 16) {
                fprintf(stderr, "facesift text: --max-record wants a byte count >= 16\n");
                free(inputs);
                return CLI_USAGE;
            }
            max_record = (size_t)v;
        } else if (!strcmp(a, "--strict")) strict = 1;
        else if (!strcmp(a, "--print-patterns")) patterns = 1;
        else if (a[0] == '-' && a[1] != 0) {
            fprintf(stderr, "facesift text: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            free(inputs);
            return CLI_USAGE;
        } else inputs[ninputs++] = a;
    }
    if (patterns) {
        free(inputs);
        return print_patterns(lexdir);
    }
    if (!out_path) {
        fprintf(stderr, "facesift text: -o OUT is required ('-' for stdout)\n");
        usage(stderr);
        free(inputs);
        return CLI_USAGE;
    }
    if (ninputs == 0) inputs[ninputs++] = "-";

    int rc = CLI_FAIL;
    fsift_matcher *m = NULL;
    FILE *o = NULL;
    char tmp[4096] = "";
    char *header = NULL;
    size_t header_len = 0;
    fsift_rows_format out_fmt = FSIFT_ROWS_AUTO;
    text_stats st;
    memset(&st, 0, sizeof st);
    double t0 = fsift_now_ms();
    if (fsift_matcher_load(lexdir, &m)) {
        rc = cli_fail("loading the lexicons");
        goto done;
    }
    if (!strcmp(out_path, "-")) {
        o = stdout;
    } else {
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out_path, (long)getpid());
        o = fopen(tmp, "wb");
        if (!o) {
            fprintf(stderr, "facesift text: cannot create %s: %s\n", tmp, strerror(errno));
            tmp[0] = 0;
            goto done;
        }
    }
    static char obuf[1 << 20];
    setvbuf(o, obuf, _IOFBF, sizeof obuf);
    for (int f = 0; f < ninputs; f++) {
        fsift_rows_format want = fmt_opt != FSIFT_ROWS_AUTO ? fmt_opt : fsift_rows_format_guess(inputs[f]);
        if (want == FSIFT_ROWS_PARQUET) {
            if (f == 0) out_fmt = want;
            if (out_fmt != want) {
                fprintf(stderr, "facesift text: %s is parquet but %s is %s: give inputs of one format\n", inputs[f],
                        inputs[0], fsift_rows_format_name(out_fmt));
                goto done;
            }
            int prc = text_parquet(inputs[f], caption_col, m, o, &st);
            if (prc) {
                rc = prc;
                goto done;
            }
            continue;
        }
        const char *cols[1] = {caption_col};
        fsift_rows_opts ro = {cols, 1, max_record, strict, 0};
        fsift_rows *r;
        if (fsift_rows_open(inputs[f], fmt_opt, &ro, &r)) {
            rc = cli_fail(inputs[f]);
            goto done;
        }
        fsift_rows_format fmt = fsift_rows_get_format(r);
        if (f == 0) out_fmt = fmt;
        if (fmt != out_fmt) {
            fprintf(stderr, "facesift text: %s is %s but %s is %s: give inputs of one format\n", inputs[f],
                    fsift_rows_format_name(fmt), inputs[0], fsift_rows_format_name(out_fmt));
            fsift_rows_free(r);
            goto done;
        }
        if (fmt == FSIFT_ROWS_CSV || fmt == FSIFT_ROWS_TSV) {
            size_t hl;
            const char *h = fsift_rows_header(r, &hl);
            if (f == 0) {
                header = malloc(hl + 1);
                if (!header) {
                    fsift_rows_free(r);
                    goto done;
                }
                memcpy(header, h, hl);
                header_len = hl;
                fwrite(h, 1, hl, o);
                fputs(fmt == FSIFT_ROWS_TSV ? "\tfacesift_match\n" : ",facesift_match\n", o);
            } else if (hl != header_len || memcmp(h, header, hl)) {
                fprintf(stderr, "facesift text: %s has another header line than %s\n", inputs[f], inputs[0]);
                fsift_rows_free(r);
                goto done;
            }
        }
        fsift_row row;
        int k;
        while ((k = fsift_rows_next(r, &row)) > 0) {
            st.read++;
            if (!row.value[0]) {
                st.null_caption++;
                continue;
            }
            fsift_text_match mt;
            if (fsift_matcher_first(m, row.value[0], row.value_len[0], &mt)) {
                st.kept++;
                st.per_cat[mt.category]++;
                write_kept(o, fmt, &row, &mt);
            }
        }
        fsift_rows_stats rs;
        fsift_rows_get_stats(r, &rs);
        st.malformed += rs.malformed;
        st.too_long += rs.too_long;
        st.read += rs.malformed;
        st.bytes += rs.bytes;
        if (rs.malformed && !strict)
            fprintf(stderr, "facesift text: %s: %lld malformed rows skipped (last: %s)\n", inputs[f],
                    (long long)rs.malformed, fsift_rows_last_reject(r));
        fsift_rows_free(r);
        if (k < 0) {
            rc = cli_fail(inputs[f]);
            goto done;
        }
    }
    if (fflush(o) || ferror(o)) {
        fprintf(stderr, "facesift text: writing %s failed: %s\n", out_path, strerror(errno));
        goto done;
    }
    if (o != stdout) {
        if (fsync(fileno(o)) || fclose(o)) {
            o = NULL;
            fprintf(stderr, "facesift text: writing %s failed: %s\n", out_path, strerror(errno));
            goto done;
        }
        o = NULL;
        if (rename(tmp, out_path)) {
            fprintf(stderr, "facesift text: cannot rename %s to %s: %s\n", tmp, out_path, strerror(errno));
            goto done;
        }
        tmp[0] = 0;
    }
    rc = print_stats(&st, fsift_now_ms() - t0, stats_path);
done:
    if (o && o != stdout) fclose(o);
    if (tmp[0]) unlink(tmp);
    free(header);
    free(inputs);
    fsift_matcher_free(m);
    return rc;
}
