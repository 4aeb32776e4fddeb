/*
 * fetch_engine.h — the fetch engine's state, shared by the event loop (fetch.c) and the
 * libcurl side (fetch_curl.c: easy-handle setup, callbacks, classification of outcomes).
 * Not a public header.
 */
#ifndef FSIFT_FETCH_ENGINE_H
#define FSIFT_FETCH_ENGINE_H

#include <curl/curl.h>

#include "facesift/image.h"
#include "fetch/fetch_internal.h"

typedef struct host host;

typedef struct item {
    struct item *next;
    fetch_shard *shard;
    int idx;              /* index in the shard */
    char *url;            /* as read (owned) */
    char *req_url;        /* normalised for the request (owned), NULL = url */
    char *caption;        /* owned, NULL when the row has none */
    size_t caption_len;
    host *host;
    int attempt;
    double not_before;    /* ms: retry time */
} item;

struct host {
    char *name;
    int active;
    double next_start;    /* ms: the host's next request-rate slot */
    item *head, *tail;
    int in_ring;
};

typedef struct xfer {
    CURL *easy;
    struct engine *en;
    item *it;
    uint8_t *buf;
    size_t len, cap;
    long status;          /* of the last response seen */
    char ctype[128];
    char robots[160];     /* the X-Robots-Tag value that opted out */
    int optout, too_big, bad_ctype, bad_magic, blocked, sniffed;
    char blocked_addr[64];
    double retry_after;   /* seconds, -1 when absent */
    int64_t clen;         /* Content-Length, -1 when absent */
    struct xfer *next_free;
} xfer;

/* A re-encoding job (fetch_encode.c): the body in, the stored image out. */
typedef struct enc_job {
    struct enc_job *next;
    item *it;
    uint8_t *src;         /* the body as received (owned; freed by the worker) */
    size_t src_len;
    long http_status;
    char ctype[128];
    uint8_t *out;         /* the encoded image (owned), NULL on error */
    size_t out_len;
    const char *ext;      /* "jpg" or "png" */
    int width, height;    /* stored image */
    int orig_w, orig_h;   /* as decoded (EXIF orientation applied), before resizing */
    char error[256];      /* "" on success */
} enc_job;

typedef struct enc_pool enc_pool;
fsift_status enc_pool_new(const fsift_fetch_opts *o, enc_pool **out);
void enc_pool_submit(enc_pool *p, enc_job *j);
enc_job *enc_pool_drain(enc_pool *p);  /* finished jobs, oldest first (caller frees) */
int enc_pool_pending(const enc_pool *p); /* submitted, not yet drained; 0 for NULL */
/* Stops the workers; unfinished jobs are passed to drop (may be NULL), then freed. */
void enc_pool_free(enc_pool *p, void (*drop)(void *ctx, enc_job *j), void *ctx);

typedef struct engine {
    fsift_fetch_opts *o;
    const char *const *lists;
    int nlists, list_i;
    fetch_input *in;
    int input_done;
    int64_t kept;
    int cur_id, cur_finished;
    fetch_shard *cur;
    fetch_shard **open;
    int nopen, open_cap;
    host **htab;
    size_t hcap, nhosts;
    host **ring;
    size_t rhead, rlen, rcap;
    int queued, active, window;
    double deadline;      /* ms, 0 = none */
    CURLM *multi;
    CURLU *cu;
    xfer *free_x;         /* idle transfers */
    xfer **all;           /* every transfer made (idle ones have it == NULL) */
    size_t nall, all_cap;
    char ua[512];
    enc_pool *enc;        /* re-encoding workers, NULL when not asked for */
    struct writer *writers; /* shards being written on their own threads (fetch.c) */
    fsift_status fatal;
    fsift_fetch_stats stats;
} engine;

fsift_status engine_init(engine *en);
host *fetch_host_get(engine *en, const char *name); /* finds or adds; NULL when out of memory */
void engine_free(engine *en);
/* Finds the row's host (it->host) and normalised URL; NULL, or why the URL is refused. */
const char *engine_host_of(engine *en, item *it);
/* Starts a transfer; 0 on success (else the row has been finished as failed). */
int engine_start(engine *en, item *it, double now);
/* 0: an image (info filled); 1: a retryable failure; 2: a final failure. why gets the
 * error message, *retry_after_s the server's Retry-After when it gave one. */
int engine_classify(engine *en, xfer *x, CURLcode res, char *why, size_t cap, double *retry_after_s,
                    fsift_image_info *info);
void engine_release(engine *en, xfer *x);

#endif
