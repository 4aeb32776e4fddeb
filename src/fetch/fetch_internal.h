/*
 * fetch_internal.h — pieces shared by the fetch engine (fetch.c), its input reader
 * (fetch_input.c), its shard spool and writer (fetch_shard.c) and its rules
 * (fetch_policy.c). Not a public header.
 */
#ifndef FSIFT_FETCH_INTERNAL_H
#define FSIFT_FETCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/fetch.h"

/* NULL when the URL may be requested, else why not (static text). */
const char *fetch_url_problem(const char *url, size_t len);
/* NULL when a Content-Type value may carry an image, else the reason's prefix. */
const char *fetch_content_type_problem(const char *ct);

/* ---- input rows ------------------------------------------------------------------------------ */

typedef struct fetch_input fetch_input;
fsift_status fetch_input_open(const char *path, const fsift_fetch_opts *o, fetch_input **out);
/* 1: a row (url may be NULL when the row has none; both valid until the next call), 0: end,
 * < 0: error. */
int fetch_input_next(fetch_input *in, const char **url, size_t *url_len, const char **cap, size_t *cap_len);
void fetch_input_free(fetch_input *in);

/* ---- shards: spool of finished samples, then tar + jsonl + stats --------------------------- */

typedef struct fetch_shard {
    int id;
    int nrows;          /* kept rows assigned to the shard so far */
    int closed;         /* no more rows will be assigned */
    int pending;        /* assigned rows not finished */
    uint8_t *done;      /* shard_size flags: finished (this run or an earlier one) */
    int fd;             /* spool, opened for appending */
    double t0;          /* ms, when the shard was opened in this run */
    int64_t ok, failed, resumed;
    _Atomic int written;  /* set by fetch_shard_finish when it returns (any thread) */
} fetch_shard;

/* One finished row as it goes into the spool. json is the KEY.json object text. */
typedef struct fetch_record {
    uint32_t idx;
    const char *json;
    size_t json_len;
    const char *caption;
    size_t caption_len;
    const uint8_t *image;   /* NULL for a failure */
    size_t image_len;
    const char *ext;        /* "jpg", "png", "webp" */
} fetch_record;

/* 1 when OUT/NNNNN_stats.json exists. */
int fetch_shard_finished(const char *out_dir, int id);
/* Opens (creating) the shard's spool, reads back the records a killed run left (cutting a
 * torn tail) and marks them done. */
fsift_status fetch_shard_open(const char *out_dir, int id, int shard_size, fetch_shard *sh);
fsift_status fetch_shard_append(fetch_shard *sh, const fetch_record *rec);
/* Writes NNNNN.tar, NNNNN.jsonl and then NNNNN_stats.json from the spool (records in index
 * order), then removes the spool and frees the shard's memory. */
fsift_status fetch_shard_finish(const char *out_dir, fetch_shard *sh, const fsift_fetch_opts *o);
void fetch_shard_close(fetch_shard *sh); /* frees memory, keeps the spool */

#endif
