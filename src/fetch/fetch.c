/*
 * fetch.c — the `facesift fetch` engine: one event loop over a libcurl multi handle.
 *
 * The loop reads rows ahead into a bounded window (4 x concurrency + 1024 rows), drops the
 * ones the caption rule rejects, gives each kept row its shard and index, skips rows that an
 * earlier run finished (shard stats present, or a record in the shard's spool), and queues
 * the rest on their host. Hosts with queued rows sit in a round-robin ring; a row starts when
 * the run and its host are under their connection limits, the host's request-rate slot has
 * come and the row's retry time has passed. Each transfer checks, in the header callback, the
 * status, X-Robots-Tag, Content-Type and Content-Length of the final response before any body
 * byte is taken, keeps the body of a 2xx response only (bounded by max_size, magic bytes
 * checked on the first 16 bytes), and refuses to connect to private addresses in the
 * open-socket callback (the resolved address of every connection, redirects included).
 * Finished rows (image or error) are appended to their shard's spool; a shard whose rows are
 * all finished is written out (fetch_shard.c). The deadline caps every transfer's timeout
 * and ends the loop; unfinished shards then stay resumable.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "facesift/image.h"
#include "fetch/fetch_internal.h"
#include "fetch/fetch_engine.h"

void fsift_fetch_opts_default(fsift_fetch_opts *o) {
    memset(o, 0, sizeof *o);
    o->shard_size = 10000;
    o->concurrency = 64;
    o->host_conns = 16;
    o->timeout_s = 10;
    o->retries = 2;
    o->backoff_s = 1;
    o->max_retry_after_s = 30;
    o->max_size = (int64_t)16 << 20;
    o->max_redirects = 5;
    o->ua_token = "facesift";
    o->jpeg_quality = 95;
}

/* ---- hosts ------------------------------------------------------------------------------------ */

static uint64_t fnv(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

host *fetch_host_get(engine *en, const char *name) {
    if (en->nhosts * 2 >= en->hcap) {
        size_t ncap = en->hcap ? en->hcap * 2 : 1024;
        host **nt = calloc(ncap, sizeof *nt);
        if (!nt) return NULL;
        for (size_t i = 0; i < en->hcap; i++)
            if (en->htab[i]) {
                size_t j = fnv(en->htab[i]->name) & (ncap - 1);
                while (nt[j]) j = (j + 1) & (ncap - 1);
                nt[j] = en->htab[i];
            }
        free(en->htab);
        en->htab = nt;
        en->hcap = ncap;
    }
    size_t j = fnv(name) & (en->hcap - 1);
    while (en->htab[j]) {
        if (!strcmp(en->htab[j]->name, name)) return en->htab[j];
        j = (j + 1) & (en->hcap - 1);
    }
    host *h = calloc(1, sizeof *h);
    if (!h || !(h->name = strdup(name))) {
        free(h);
        return NULL;
    }
    en->htab[j] = h;
    en->nhosts++;
    return h;
}

static int ring_push(engine *en, host *h) {
    if (en->rlen == en->rcap) {
        size_t ncap = en->rcap ? en->rcap * 2 : 256;
        host **nr = malloc(ncap * sizeof *nr);
        if (!nr) return -1;
        for (size_t i = 0; i < en->rlen; i++) nr[i] = en->ring[(en->rhead + i) % en->rcap];
        free(en->ring);
        en->ring = nr;
        en->rcap = ncap;
        en->rhead = 0;
    }
    en->ring[(en->rhead + en->rlen) % en->rcap] = h;
    en->rlen++;
    h->in_ring = 1;
    return 0;
}

static host *ring_pop(engine *en) {
    host *h = en->ring[en->rhead];
    en->rhead = (en->rhead + 1) % en->rcap;
    en->rlen--;
    h->in_ring = 0;
    return h;
}

static void host_enqueue(engine *en, item *it) {
    host *h = it->host;
    it->next = NULL;
    if (h->tail) h->tail->next = it;
    else h->head = it;
    h->tail = it;
    en->queued++;
    if (!h->in_ring) ring_push(en, h);
}

/* ---- JSON of a finished row ---------------------------------------------------------------------- */

/* A JSON string of arbitrary bytes: invalid UTF-8 sequences become U+FFFD. */
static json_t *jstr(const char *s, size_t n) {
    if (!s) return json_null();
    json_t *j = json_stringn(s, n);
    if (j) return j;
    char *o = malloc(n * 3 + 1);
    if (!o) return json_null();
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        int ok = len > 0 && i + (size_t)len <= n;
        for (int t = 1; ok && t < len; t++) ok = ((unsigned char)s[i + t] >> 6) == 2;
        if (ok && len > 1) { /* let jansson judge overlongs and surrogates */
            json_t *probe = json_stringn(s + i, (size_t)len);
            ok = probe != NULL;
            json_decref(probe);
        }
        if (ok && !(len == 1 && c == 0)) {
            memcpy(o + k, s + i, (size_t)len);
            k += (size_t)len;
            i += (size_t)len;
        } else {
            memcpy(o + k, "\xEF\xBF\xBD", 3);
            k += 3;
            i++;
        }
    }
    j = json_stringn(o, k);
    free(o);
    return j ? j : json_null();
}

/* What a finished row stored (or, for a failure, what the server said: http_status, ctype). */
typedef struct stored {
    const uint8_t *img;
    size_t len;
    const char *ext;
    int width, height, orig_w, orig_h;
    long http_status;
    const char *ctype;
} stored;

static void stored_from_xfer(stored *s, const xfer *x, const fsift_image_info *info) {
    memset(s, 0, sizeof *s);
    s->http_status = x->status;
    s->ctype = x->ctype;
    if (info) {
        s->img = x->buf;
        s->len = x->len;
        s->ext = info->format == FSIFT_IMG_JPEG ? "jpg" : fsift_image_format_name(info->format);
        s->width = s->orig_w = info->width;
        s->height = s->orig_h = info->height;
    }
}

/* Records a finished row in its shard's spool (s may be NULL for rows never requested) and
 * frees the row. */
static void finish_item(engine *en, item *it, const char *error, const stored *s) {
    char key[16];
    snprintf(key, sizeof key, "%05d%04d", it->shard->id, it->idx);
    json_t *j = json_object();
    json_object_set_new(j, "key", json_string(key));
    json_object_set_new(j, "url", jstr(it->url, strlen(it->url)));
    json_object_set_new(j, "caption", jstr(it->caption, it->caption_len));
    json_object_set_new(j, "status", json_string(error ? "failed_to_download" : "success"));
    json_object_set_new(j, "error_message", error ? jstr(error, strlen(error)) : json_null());
    int ok = !error && s && s->img;
    json_object_set_new(j, "http_status", s && s->http_status ? json_integer(s->http_status) : json_null());
    json_object_set_new(j, "width", ok ? json_integer(s->width) : json_null());
    json_object_set_new(j, "height", ok ? json_integer(s->height) : json_null());
    json_object_set_new(j, "original_width", ok ? json_integer(s->orig_w) : json_null());
    json_object_set_new(j, "original_height", ok ? json_integer(s->orig_h) : json_null());
    char hex[65];
    if (ok) {
        uint8_t d[32];
        fsift_sha256_buf(s->img, s->len, d);
        fsift_hex(d, 32, hex);
    }
    json_object_set_new(j, "sha256", ok ? json_string(hex) : json_null());
    json_object_set_new(j, "content_type", s && s->ctype && s->ctype[0] ? jstr(s->ctype, strlen(s->ctype)) : json_null());
    json_object_set_new(j, "bytes", ok ? json_integer((json_int_t)s->len) : json_null());
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    fetch_record r;
    memset(&r, 0, sizeof r);
    r.idx = (uint32_t)it->idx;
    r.json = text ? text : "{}";
    r.json_len = strlen(r.json);
    r.caption = it->caption;
    r.caption_len = it->caption_len;
    if (ok) {
        r.image = s->img;
        r.image_len = s->len;
        r.ext = s->ext;
        en->stats.ok++;
        en->stats.bytes += (int64_t)s->len;
    } else {
        en->stats.failed++;
    }
    fsift_status st = fetch_shard_append(it->shard, &r);
    if (st && !en->fatal) en->fatal = st;
    free(text);
    it->shard->pending--;
    free(it->url);
    free(it->req_url);
    free(it->caption);
    free(it);
}

/* ---- the loop ---------------------------------------------------------------------------------------- */

static void close_shard(fetch_shard *sh) { sh->closed = 1; }

/* Writing a shard (read the spool, tar, fsync) takes a while: it runs on its own thread so
 * that downloads go on. The loop only hands over a shard that no row refers to any more. */
typedef struct writer {
    struct writer *next;
    pthread_t thread;
    fetch_shard *sh;
    const fsift_fetch_opts *o;
    fsift_status st;
    char err[512];
} writer;

static void *writer_main(void *arg) {
    writer *w = arg;
    w->st = fetch_shard_finish(w->o->out_dir, w->sh, w->o);
    if (w->st) snprintf(w->err, sizeof w->err, "%s", fsift_last_error());
    return NULL;
}

/* Joins the shard writers (all of them, or only those done when `all` is 0). */
static fsift_status join_writers(engine *en, int all) {
    fsift_status first = FSIFT_OK;
    for (writer **pw = &en->writers; *pw;) {
        writer *w = *pw;
        if (!all && !atomic_load(&w->sh->written)) {
            pw = &w->next;
            continue;
        }
        pthread_join(w->thread, NULL);
        if (w->st && !first) first = fsift_error(w->st, "%s", w->err);
        if (!w->st) {
            en->stats.shards_written++;
            if (en->o->progress)
                fsift_log(FSIFT_LOG_INFO, "fetch: shard %05d written (%lld images, %lld failures)", w->sh->id,
                          (long long)w->sh->ok, (long long)w->sh->failed);
        }
        *pw = w->next;
        free(w->sh);
        free(w);
    }
    return first;
}

static fsift_status finish_ready_shards(engine *en) {
    for (int i = 0; i < en->nopen;) {
        fetch_shard *sh = en->open[i];
        if (sh->closed && sh->pending == 0) {
            writer *w = calloc(1, sizeof *w);
            if (!w) return fsift_error(FSIFT_E_NOMEM, "fetch: out of memory");
            w->sh = sh;
            w->o = en->o;
            if (pthread_create(&w->thread, NULL, writer_main, w)) { /* no thread: write it here */
                fsift_status st = fetch_shard_finish(en->o->out_dir, sh, en->o);
                free(w);
                if (st) return st;
                en->stats.shards_written++;
                free(sh);
            } else {
                w->next = en->writers;
                en->writers = w;
            }
            en->open[i] = en->open[--en->nopen];
        } else {
            i++;
        }
    }
    return join_writers(en, 0);
}

/* Opens shard id for new rows (or marks it as already finished). */
static fsift_status shard_switch(engine *en, int id) {
    if (en->cur) close_shard(en->cur);
    en->cur = NULL;
    en->cur_id = id;
    en->cur_finished = fetch_shard_finished(en->o->out_dir, id);
    if (en->cur_finished) return FSIFT_OK;
    fetch_shard *sh = calloc(1, sizeof *sh);
    if (!sh) return fsift_error(FSIFT_E_NOMEM, "fetch: out of memory");
    fsift_status st = fetch_shard_open(en->o->out_dir, id, en->o->shard_size, sh);
    if (st) {
        fetch_shard_close(sh);
        free(sh);
        return st;
    }
    sh->t0 = fsift_now_ms();
    if (en->nopen == en->open_cap) {
        int nc = en->open_cap ? en->open_cap * 2 : 8;
        fetch_shard **no = realloc(en->open, (size_t)nc * sizeof *no);
        if (!no) {
            fetch_shard_close(sh);
            free(sh);
            return fsift_error(FSIFT_E_NOMEM, "fetch: out of memory");
        }
        en->open = no;
        en->open_cap = nc;
    }
    en->open[en->nopen++] = sh;
    en->cur = sh;
    return FSIFT_OK;
}

/* Reads rows until the window is full or the input ends. */
static fsift_status fill(engine *en) {
    const fsift_fetch_opts *o = en->o;
    while (!en->input_done && en->queued < en->window) {
        if (!en->in) {
            if (en->list_i >= en->nlists) {
                en->input_done = 1;
                if (en->cur) close_shard(en->cur);
                break;
            }
            fsift_status st = fetch_input_open(en->lists[en->list_i], o, &en->in);
            if (st) return st;
        }
        const char *url, *cap;
        size_t ul, cl;
        int rc = fetch_input_next(en->in, &url, &ul, &cap, &cl);
        if (rc < 0) return (fsift_status)rc;
        if (rc == 0) {
            fetch_input_free(en->in);
            en->in = NULL;
            en->list_i++;
            continue;
        }
        en->stats.rows++;
        fsift_text_match m;
        if (!url || (o->matcher && (!cap || !fsift_matcher_first(o->matcher, cap, cl, &m)))) {
            en->stats.filtered_out++;
            continue;
        }
        int64_t k = en->kept++;
        int id = (int)(k / o->shard_size), idx = (int)(k % o->shard_size);
        if (id != en->cur_id || (!en->cur && !en->cur_finished)) {
            fsift_status st = shard_switch(en, id);
            if (st) return st;
        }
        if (en->cur_finished || en->cur->done[idx]) {
            en->stats.resumed++;
            continue;
        }
        item *it = calloc(1, sizeof *it);
        if (!it) return fsift_error(FSIFT_E_NOMEM, "fetch: out of memory");
        it->shard = en->cur;
        it->idx = idx;
        it->url = strndup(url, ul);
        it->caption_len = cap ? cl : 0;
        it->caption = cap ? malloc(cl + 1) : NULL;
        if (!it->url || (cap && !it->caption)) {
            free(it->url);
            free(it);
            return fsift_error(FSIFT_E_NOMEM, "fetch: out of memory");
        }
        if (cap) {
            memcpy(it->caption, cap, cl);
            it->caption[cl] = 0;
        }
        en->cur->pending++;
        const char *why = fetch_url_problem(url, ul);
        if (!why) why = engine_host_of(en, it);
        if (why) {
            finish_item(en, it, why, NULL);
            continue;
        }
        host_enqueue(en, it);
    }
    return FSIFT_OK;
}

static void dispatch(engine *en, double now) {
    const fsift_fetch_opts *o = en->o;
    size_t n = en->rlen;
    for (size_t i = 0; i < n && en->active < o->concurrency && en->rlen; i++) {
        host *h = ring_pop(en);
        /* as many of this host's rows as its limits allow, then the next host */
        while (h->head && en->active < o->concurrency && (o->host_conns <= 0 || h->active < o->host_conns) &&
               now >= h->next_start && now >= h->head->not_before) {
            item *it = h->head;
            h->head = it->next;
            if (!h->head) h->tail = NULL;
            en->queued--;
            if (engine_start(en, it, now) == 0) {
                h->active++;
                en->active++;
                if (o->host_rps > 0) h->next_start = now + 1000.0 / o->host_rps;
            } else {
                finish_item(en, it, "could not start the request (out of memory)", NULL);
            }
        }
        if (h->head) ring_push(en, h);
    }
}

/* Whether an image must go through the re-encoding workers. */
static int needs_encoding(const fsift_fetch_opts *o, const fsift_image_info *info) {
    if (o->encode && strcmp(o->encode, "keep")) return 1;
    if (info->format != FSIFT_IMG_JPEG && info->format != FSIFT_IMG_PNG && info->format != FSIFT_IMG_WEBP) return 1;
    int s = info->width < info->height ? info->width : info->height;
    return o->resize > 0 && s > o->resize;
}

static void completed(engine *en, double now) {
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(en->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        xfer *x = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        CURLcode res = msg->data.result;
        curl_multi_remove_handle(en->multi, msg->easy_handle);
        item *it = x->it;
        it->host->active--;
        en->active--;
        en->stats.requests++;
        char why[256];
        double delay = -1;
        fsift_image_info info;
        int outcome = engine_classify(en, x, res, why, sizeof why, &delay, &info);
        stored s;
        if (outcome == 0 && en->enc && needs_encoding(en->o, &info)) {
            enc_job *j = calloc(1, sizeof *j);
            if (!j) {
                finish_item(en, it, "out of memory", NULL);
            } else { /* the body moves to the job */
                j->it = it;
                j->src = x->buf;
                j->src_len = x->len;
                j->http_status = x->status;
                snprintf(j->ctype, sizeof j->ctype, "%s", x->ctype);
                x->buf = NULL;
                x->cap = x->len = 0;
                enc_pool_submit(en->enc, j);
            }
        } else if (outcome == 0) {
            stored_from_xfer(&s, x, &info);
            finish_item(en, it, NULL, &s);
        } else if (outcome == 1 && it->attempt < en->o->retries) {
            it->attempt++;
            double back = en->o->backoff_s * 1000.0 * pow(2, it->attempt - 1);
            it->not_before = now + (delay * 1000.0 > back ? delay * 1000.0 : back);
            host_enqueue(en, it);
        } else {
            stored_from_xfer(&s, x, NULL);
            finish_item(en, it, why, &s);
        }
        engine_release(en, x);
    }
}

static void encoded(engine *en) {
    for (enc_job *j = en->enc ? enc_pool_drain(en->enc) : NULL, *n; j; j = n) {
        n = j->next;
        stored s;
        memset(&s, 0, sizeof s);
        s.http_status = j->http_status;
        s.ctype = j->ctype;
        if (j->out) {
            s.img = j->out;
            s.len = j->out_len;
            s.ext = j->ext;
            s.width = j->width;
            s.height = j->height;
            s.orig_w = j->orig_w;
            s.orig_h = j->orig_h;
        }
        finish_item(en, j->it, j->out ? NULL : j->error, &s);
        free(j->out);
        free(j);
    }
}

static void drop_job(void *ctx, enc_job *j) {
    (void)ctx;
    free(j->it->url);
    free(j->it->req_url);
    free(j->it->caption);
    free(j->it);
}

fsift_status fsift_fetch_run(const char *const *lists, int n, const fsift_fetch_opts *opts, fsift_fetch_stats *stats) {
    fsift_fetch_opts o = *opts;
    if (!o.out_dir) return fsift_error(FSIFT_E_INVALID_ARG, "fetch: no output folder");
    if (o.shard_size <= 0 || o.shard_size > 10000)
        return fsift_error(FSIFT_E_INVALID_ARG, "fetch: --shard-size must be 1..10000 (keys have 4 index digits)");
    if (o.concurrency <= 0) o.concurrency = 64;
    if (o.timeout_s <= 0) o.timeout_s = 10;
    if (o.max_size <= 0) o.max_size = (int64_t)16 << 20;
    if (!o.ua_token) o.ua_token = "facesift";
    if (o.encode && strcmp(o.encode, "keep") && strcmp(o.encode, "jpg") && strcmp(o.encode, "png"))
        return fsift_error(FSIFT_E_INVALID_ARG, "fetch: --encode must be keep, jpg or png (not '%s')", o.encode);
    if (o.resize < 0 || o.resize > 65500) return fsift_error(FSIFT_E_INVALID_ARG, "fetch: --resize must be 1..65500");
    if (mkdir(o.out_dir, 0755) && access(o.out_dir, W_OK))
        return fsift_error(FSIFT_E_IO, "fetch: cannot create or write the output folder '%s'", o.out_dir);
    engine en;
    memset(&en, 0, sizeof en);
    en.o = &o;
    en.lists = lists;
    en.nlists = n;
    en.cur_id = -1;
    en.window = 4 * o.concurrency + 1024;
    double t0 = fsift_now_ms();
    en.deadline = o.deadline_s > 0 ? t0 + o.deadline_s * 1000.0 : 0;
    fsift_status st = engine_init(&en);
    if (!st && (o.resize > 0 || (o.encode && strcmp(o.encode, "keep")))) st = enc_pool_new(&o, &en.enc);
    double last_log = t0;
    while (!st) {
        st = fill(&en);
        if (st) break;
        if (en.fatal) {
            st = en.fatal;
            break;
        }
        double now = fsift_now_ms();
        if (en.deadline && now >= en.deadline) {
            st = fsift_error(FSIFT_E_LIMIT, "fetch: the deadline of %g s was reached with %lld rows in flight or "
                             "queued; run the same command again to resume", o.deadline_s,
                             (long long)(en.active + en.queued));
            break;
        }
        if (en.input_done && en.active == 0 && en.queued == 0 && enc_pool_pending(en.enc) == 0) {
            st = finish_ready_shards(&en);
            fsift_status wst = join_writers(&en, 1);
            if (!st) st = wst;
            break;
        }
        dispatch(&en, now);
        int running;
        curl_multi_perform(en.multi, &running);
        completed(&en, fsift_now_ms());
        encoded(&en);
        st = finish_ready_shards(&en);
        if (st) break;
        int wait_ms = en.active ? 50 : 10;
        if (en.active) curl_multi_poll(en.multi, NULL, 0, wait_ms, NULL);
        else if (en.queued || enc_pool_pending(en.enc)) usleep(2000);
        if (o.progress && fsift_now_ms() - last_log > 5000) {
            last_log = fsift_now_ms();
            fsift_log(FSIFT_LOG_INFO, "fetch: %lld rows, %lld ok, %lld failed, %lld resumed, %d in flight, %.0f s",
                      (long long)en.stats.rows, (long long)en.stats.ok, (long long)en.stats.failed,
                      (long long)en.stats.resumed, en.active, (last_log - t0) / 1000);
        }
    }
    fsift_status wst = join_writers(&en, 1); /* a shard being written is finished, even at a deadline */
    if (!st) st = wst;
    if (!st && en.fatal) st = en.fatal;
    en.stats.seconds = (fsift_now_ms() - t0) / 1000.0;
    if (stats) *stats = en.stats;
    enc_pool_free(en.enc, drop_job, NULL);
    engine_free(&en);
    return st;
}
