/*
 * facesift/fetch.h — `facesift fetch`: download the images of a URL list (LAION parquet,
 * CSV/TSV, JSONL; any of them gzip/zstd) into webdataset shards in img2dataset's layout. See
 * docs/fetch.md.
 *
 * Rows are read in order, the caption rule is applied first (rows that fail it are never
 * fetched), and each kept row gets a key: 5-digit shard number + 4-digit index in the shard
 * (shard_size rows per shard). Downloads run on one libcurl multi handle with `concurrency`
 * transfers, per-host connection and request-rate limits, a per-request timeout, retries with
 * exponential backoff (429/5xx/timeouts/connection errors, Retry-After honoured), a body size
 * limit, a content-type and magic-byte check, a redirect limit, X-Robots-Tag opt-outs read
 * from the headers before any body byte, and refusal of non-HTTP(S) URLs, URLs with control
 * characters and (unless allow_private) private, loopback and link-local addresses, checked
 * on the address actually connected to (redirects included). Optionally images are resized
 * and re-encoded on worker threads (resize, encode).
 *
 * Output, per shard NNNNN: NNNNN.tar (KEY.jpg|png|webp, KEY.txt, KEY.json for each image
 * fetched, in key order, deterministic headers), NNNNN.jsonl (one line per kept row, failures
 * included: key, url, caption, status, error_message, ...), and NNNNN_stats.json, written last
 * and atomically: a shard is finished once its stats file exists. Finished samples of an
 * unfinished shard are kept in a spool file (OUT/.NNNNN.spool, append-only, checksummed), so a
 * killed run restarted with the same command fetches only what is missing.
 *
 * Threading: fsift_fetch_run runs on the calling thread (an event loop); it is not reentrant
 * with itself on the same output folder.
 */
#ifndef FSIFT_FETCH_H
#define FSIFT_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/core.h"
#include "facesift/text.h"

typedef struct fsift_fetch_opts {
    const char *out_dir;           /* created if missing */
    const char *url_col;           /* NULL: "url", then "URL" */
    const char *caption_col;       /* NULL: "caption", then "TEXT" */
    const char *format;            /* "jsonl", "csv", "tsv", "parquet" or NULL: from the name */
    const fsift_matcher *matcher;  /* caption rule; NULL fetches every row (--no-text-filter) */
    int shard_size;                /* rows per shard; default 10000 */
    int concurrency;               /* transfers at once; default 64 */
    int host_conns;                /* transfers at once per host; default 16, 0 = no limit */
    double host_rps;               /* requests started per second per host; 0 = no limit */
    double timeout_s;              /* per request (connect + headers + body); default 10 */
    double deadline_s;             /* whole run; 0 = none. On expiry in-flight transfers stop,
                                      unfinished shards stay resumable, the run fails */
    int retries;                   /* extra tries after a retryable failure; default 2 */
    double backoff_s;              /* first retry delay, doubled each time; default 1 */
    double max_retry_after_s;      /* longest Retry-After honoured; default 30 */
    int64_t max_size;              /* bytes per body; default 16 MiB */
    int max_redirects;             /* default 5 */
    const char *user_agent;        /* NULL: "facesift/VERSION (+https://github.com/facesift)" */
    const char *ua_token;          /* name for `ua:`-scoped X-Robots-Tag rules; default "facesift" */
    int ignore_robots;             /* 1: do not honour X-Robots-Tag (default 0) */
    int allow_private;             /* 1: allow private/loopback addresses (tests) */
    int progress;                  /* 1: a log line every 5 s */
    int resize;                    /* shorter side shrunk to this many pixels (area filter,
                                      ratio kept, never enlarged); 0 = stored as served */
    const char *encode;            /* NULL/"keep": bytes as served (resized images: PNG stays
                                      PNG, others JPEG); "jpg" or "png": every image re-encoded
                                      (GIF and BMP are fetched only then) */
    int jpeg_quality;              /* re-encoding quality; default 95 */
    int encode_threads;            /* re-encoding threads; 0 = one per CPU */
} fsift_fetch_opts;

void fsift_fetch_opts_default(fsift_fetch_opts *o);

typedef struct fsift_fetch_stats {
    int64_t rows;          /* rows read from the lists */
    int64_t filtered_out;  /* rows dropped by the caption rule (or without a URL) */
    int64_t resumed;       /* kept rows already finished by an earlier run */
    int64_t ok;            /* images fetched in this run */
    int64_t failed;        /* rows that ended in an error in this run */
    int64_t requests;      /* HTTP requests made (retries included) */
    int64_t bytes;         /* body bytes kept */
    int shards_written;    /* shards finished in this run */
    double seconds;
} fsift_fetch_stats;

/* Fetches the rows of lists[0..n) into opts->out_dir. Returns FSIFT_OK when every shard was
 * finished (individual download failures are recorded, not errors); FSIFT_E_LIMIT when the
 * deadline stopped the run; other errors for unreadable lists or unwritable output. */
fsift_status fsift_fetch_run(const char *const *lists, int n, const fsift_fetch_opts *opts,
                             fsift_fetch_stats *stats);

/* ---- pieces exposed for tests -------------------------------------------------------------- */

/* 1 when an X-Robots-Tag header value forbids use for AI training or indexing of this agent:
 * directives noai, noimageai, noindex, noimageindex or none, unscoped or scoped to `token`
 * ("token: noai", case-insensitive); other agents' scopes are ignored. */
int fsift_robots_optout(const char *value, size_t len, const char *token);

/* 1 when the address (sockaddr_in / sockaddr_in6) is loopback, private (RFC 1918, CGNAT,
 * fc00::/7), link-local, unspecified, multicast or otherwise not a public unicast address. */
int fsift_addr_is_private(const void *sockaddr, size_t len);

#endif
