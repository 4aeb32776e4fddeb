/*
 * cmd_fetch.c — `facesift fetch LIST... -o SHARDS`: download the images of URL lists (LAION
 * parquet, CSV/TSV, JSONL, optionally gzip/zstd) into img2dataset-style webdataset shards,
 * caption rule first. The flags map one to one onto fsift_fetch_opts (facesift/fetch.h); the
 * work is fsift_fetch_run. Exit 0 when every shard was written (download failures are
 * recorded per row), 1 when the run failed or hit --deadline (rerun to resume), 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "facesift/fetch.h"

static void fetch_usage(FILE *f) {
    fprintf(f,
            "usage: facesift fetch LIST... -o SHARDS [options]\n\n"
            "Downloads the images of LIST (parquet, csv, tsv or jsonl; .gz/.zst too) into webdataset\n"
            "shards SHARDS/NNNNN.tar (KEY.jpg|png|webp, KEY.txt, KEY.json), NNNNN.jsonl (every row,\n"
            "failures included) and NNNNN_stats.json (written last: the shard is complete). Rows\n"
            "whose caption fails the FaceID-6M caption rule are not fetched. A killed run restarted\n"
            "with the same command fetches only what is missing.\n\n"
            "  --url-col NAME        URL column (default: url, or LAION's URL)\n"
            "  --caption-col NAME    caption column (default: caption, or LAION's TEXT)\n"
            "  --format F            jsonl|csv|tsv|parquet (default: from the file name)\n"
            "  --no-text-filter      fetch every row, whatever its caption\n"
            "  --lexicon DIR         caption rule lexicons (default: built in)\n"
            "  --shard-size N        rows per shard (default 10000, at most 10000)\n"
            "  --concurrency N       transfers at once (default 64)\n"
            "  --host-conns N        transfers at once per host (default 16; 0 = no limit)\n"
            "  --host-rps R          requests started per second per host (default: no limit)\n"
            "  --timeout S           per request, seconds (default 10)\n"
            "  --deadline S          whole run, seconds (default: none); unfinished shards resume\n"
            "  --retries N           retries of 429/5xx/timeouts/connection errors (default 2)\n"
            "  --backoff S           first retry delay, doubled each retry (default 1)\n"
            "  --max-retry-after S   longest Retry-After honoured (default 30)\n"
            "  --max-size BYTES      largest body (default 16777216)\n"
            "  --max-redirects N     (default 5)\n"
            "  --user-agent UA       User-Agent header (default: facesift/VERSION (compatible; TOKEN; ...))\n"
            "  --ua-token NAME       agent name for ua:-scoped X-Robots-Tag rules (default facesift)\n"
            "  --ignore-robots       do not honour X-Robots-Tag noai/noimageai/noindex/noimageindex\n"
            "  --allow-private       allow private, loopback and link-local addresses (tests)\n"
            "  --resize N            shrink the shorter side to N pixels (area filter, ratio kept)\n"
            "  --encode F            keep (default: bytes as served) | jpg | png: re-encode every image\n"
            "                        (GIF/BMP are kept only when re-encoded)\n"
            "  --jpeg-quality Q      re-encoding quality (default 95)\n"
            "  --encode-threads N    re-encoding threads (default: one per CPU)\n"
            "  --quiet               no progress lines\n");
}

static int num(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

int cmd_fetch(int argc, char **argv) {
    fsift_fetch_opts o;
    fsift_fetch_opts_default(&o);
    o.progress = 1;
    const char **lists = calloc((size_t)argc + 1, sizeof *lists);
    int nl = 0, text_filter = 1;
    const char *lexicon = NULL;
    if (!lists) return cli_fail("fetch");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        double d;
        int bad = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fetch_usage(stdout);
            free(lists);
            return CLI_OK;
        } else if (!strcmp(a, "--no-text-filter")) text_filter = 0;
        else if (!strcmp(a, "--ignore-robots")) o.ignore_robots = 1;
        else if (!strcmp(a, "--allow-private")) o.allow_private = 1;
        else if (!strcmp(a, "--quiet")) o.progress = 0;
        else if (a[0] == '-' && a[1] && !v) bad = 1;
        else if (!strcmp(a, "-o")) o.out_dir = argv[++i];
        else if (!strcmp(a, "--url-col")) o.url_col = argv[++i];
        else if (!strcmp(a, "--caption-col")) o.caption_col = argv[++i];
        else if (!strcmp(a, "--format")) o.format = argv[++i];
        else if (!strcmp(a, "--lexicon")) lexicon = argv[++i];
        else if (!strcmp(a, "--user-agent")) o.user_agent = argv[++i];
        else if (!strcmp(a, "--ua-token")) o.ua_token = argv[++i];
        else if (!strcmp(a, "--encode")) {
            o.encode = argv[++i];
            bad = strcmp(o.encode, "keep") && strcmp(o.encode, "jpg") && strcmp(o.encode, "png");
        } else if (!strcmp(a, "--resize")) bad = num(argv[++i], 1, 65500, &d), o.resize = (int)d;
        else if (!strcmp(a, "--jpeg-quality")) bad = num(argv[++i], 1, 100, &d), o.jpeg_quality = (int)d;
        else if (!strcmp(a, "--encode-threads")) bad = num(argv[++i], 0, 256, &d), o.encode_threads = (int)d;
        else if (!strcmp(a, "--shard-size")) bad = num(argv[++i], 1, 10000, &d), o.shard_size = (int)d;
        else if (!strcmp(a, "--concurrency")) bad = num(argv[++i], 1, 65536, &d), o.concurrency = (int)d;
        else if (!strcmp(a, "--host-conns")) bad = num(argv[++i], 0, 65536, &d), o.host_conns = (int)d;
        else if (!strcmp(a, "--host-rps")) bad = num(argv[++i], 0, 1e6, &d), o.host_rps = d;
        else if (!strcmp(a, "--timeout")) bad = num(argv[++i], 0.001, 86400, &d), o.timeout_s = d;
        else if (!strcmp(a, "--deadline")) bad = num(argv[++i], 0, 1e9, &d), o.deadline_s = d;
        else if (!strcmp(a, "--retries")) bad = num(argv[++i], 0, 100, &d), o.retries = (int)d;
        else if (!strcmp(a, "--backoff")) bad = num(argv[++i], 0, 3600, &d), o.backoff_s = d;
        else if (!strcmp(a, "--max-retry-after")) bad = num(argv[++i], 0, 86400, &d), o.max_retry_after_s = d;
        else if (!strcmp(a, "--max-size")) bad = num(argv[++i], 1, 1e12, &d), o.max_size = (int64_t)d;
        else if (!strcmp(a, "--max-redirects")) bad = num(argv[++i], 0, 100, &d), o.max_redirects = (int)d;
        else if (a[0] == '-' && a[1]) bad = 1;
        else lists[nl++] = a;
        if (bad) {
            fprintf(stderr, "facesift fetch: bad option or value: '%s'\n", a);
            fetch_usage(stderr);
            free(lists);
            return CLI_USAGE;
        }
    }
    if (!nl || !o.out_dir) {
        fprintf(stderr, "facesift fetch: need at least one LIST and -o SHARDS\n");
        fetch_usage(stderr);
        free(lists);
        return CLI_USAGE;
    }
    fsift_matcher *m = NULL;
    if (text_filter && fsift_matcher_load(lexicon, &m)) {
        free(lists);
        return cli_fail("fetch: loading the caption rule");
    }
    o.matcher = m;
    fsift_fetch_stats st;
    memset(&st, 0, sizeof st);
    fsift_status s = fsift_fetch_run(lists, nl, &o, &st);
    fprintf(stderr,
            "facesift fetch: %lld rows, %lld dropped by the caption rule, %lld fetched, %lld failed, %lld already "
            "done; %lld requests, %.1f MB, %d shards written, %.1f s (%.0f images/s)\n",
            (long long)st.rows, (long long)st.filtered_out, (long long)st.ok, (long long)st.failed,
            (long long)st.resumed, (long long)st.requests, st.bytes / 1e6, st.shards_written, st.seconds,
            st.seconds > 0 ? st.ok / st.seconds : 0.0);
    fsift_matcher_free(m);
    free(lists);
    if (s) return cli_fail("fetch");
    return CLI_OK;
}
