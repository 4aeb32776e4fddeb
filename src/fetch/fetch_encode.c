/*
 * fetch_encode.c — optional re-encoding and resizing of fetched images (`--encode`,
 * `--resize`), on worker threads so that the download loop never waits for pixels.
 *
 * The loop hands a job (the body it received, ownership moved) to a FIFO guarded by a mutex;
 * N worker threads take jobs, decode (EXIF orientation applied, the decoder's limits),
 * shrink the shorter side to `resize` with an area filter (Pillow's BOX, close to OpenCV's
 * INTER_AREA that img2dataset uses) when it is longer, and encode JPEG (quality
 * jpeg_quality) or PNG (level 6); finished jobs go to a second list that the loop drains
 * without blocking. Output order does not depend on which worker finishes first: the shard
 * writer orders samples by key.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch/fetch_engine.h"

struct enc_pool {
    const fsift_fetch_opts *o;
    pthread_t *threads;
    int nthreads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    enc_job *todo_head, *todo_tail, *done;
    int pending; /* submitted and not yet drained */
    int stop;
};

static void encode_one(const fsift_fetch_opts *o, enc_job *j) {
    fsift_image img, small;
    memset(&img, 0, sizeof img);
    memset(&small, 0, sizeof small);
    fsift_image_info info;
    if (fsift_image_decode(j->src, j->src_len, NULL, &img, &info)) {
        snprintf(j->error, sizeof j->error, "re-encoding: cannot decode: %s", fsift_last_error());
        return;
    }
    j->orig_w = img.width;
    j->orig_h = img.height;
    const fsift_image *use = &img;
    int s = img.width < img.height ? img.width : img.height;
    if (o->resize > 0 && s > o->resize) {
        int64_t nw = ((int64_t)img.width * o->resize * 2 + s) / (2 * (int64_t)s);
        int64_t nh = ((int64_t)img.height * o->resize * 2 + s) / (2 * (int64_t)s);
        if (img.width == s) nw = o->resize;
        else nh = o->resize;
        if (fsift_image_resize(&img, (int)(nw < 1 ? 1 : nw), (int)(nh < 1 ? 1 : nh), FSIFT_RESIZE_BOX, &small)) {
            snprintf(j->error, sizeof j->error, "re-encoding: cannot resize: %s", fsift_last_error());
            fsift_image_free(&img);
            return;
        }
        use = &small;
    }
    int png = o->encode && !strcmp(o->encode, "png");
    if ((!o->encode || !strcmp(o->encode, "keep")) && info.format == FSIFT_IMG_PNG) png = 1;
    void *out = NULL;
    size_t n = 0;
    fsift_status st = png ? fsift_png_encode(use, 6, &out, &n)
                          : fsift_jpeg_encode(use, o->jpeg_quality > 0 ? o->jpeg_quality : 95, &out, &n);
    if (st) {
        snprintf(j->error, sizeof j->error, "re-encoding: cannot encode: %s", fsift_last_error());
    } else {
        j->out = out;
        j->out_len = n;
        j->ext = png ? "png" : "jpg";
        j->width = use->width;
        j->height = use->height;
    }
    fsift_image_free(&small);
    fsift_image_free(&img);
}

static void *worker(void *arg) {
    enc_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->todo_head && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop) break;
        enc_job *j = p->todo_head;
        p->todo_head = j->next;
        if (!p->todo_head) p->todo_tail = NULL;
        pthread_mutex_unlock(&p->mu);
        encode_one(p->o, j);
        free(j->src);
        j->src = NULL;
        pthread_mutex_lock(&p->mu);
        j->next = p->done;
        p->done = j;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

fsift_status enc_pool_new(const fsift_fetch_opts *o, enc_pool **out) {
    *out = NULL;
    enc_pool *p = calloc(1, sizeof *p);
    if (!p) return fsift_error(FSIFT_E_NOMEM, "fetch: out of memory");
    p->o = o;
    int n = o->encode_threads > 0 ? o->encode_threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > 256) n = 256;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->threads = calloc((size_t)n, sizeof *p->threads);
    if (!p->threads) {
        enc_pool_free(p, NULL, NULL);
        return fsift_error(FSIFT_E_NOMEM, "fetch: out of memory");
    }
    for (int i = 0; i < n; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p)) break;
        p->nthreads++;
    }
    if (!p->nthreads) {
        enc_pool_free(p, NULL, NULL);
        return fsift_error(FSIFT_E_INTERNAL, "fetch: cannot start re-encoding threads");
    }
    *out = p;
    return FSIFT_OK;
}

void enc_pool_submit(enc_pool *p, enc_job *j) {
    j->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->todo_tail) p->todo_tail->next = j;
    else p->todo_head = j;
    p->todo_tail = j;
    p->pending++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

enc_job *enc_pool_drain(enc_pool *p) {
    pthread_mutex_lock(&p->mu);
    enc_job *list = p->done, *rev = NULL;
    p->done = NULL;
    while (list) { /* oldest first */
        enc_job *n = list->next;
        list->next = rev;
        rev = list;
        list = n;
        p->pending--;
    }
    pthread_mutex_unlock(&p->mu);
    return rev;
}

int enc_pool_pending(const enc_pool *p) { return p ? p->pending : 0; }

void enc_pool_free(enc_pool *p, void (*drop)(void *ctx, enc_job *j), void *ctx) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
    enc_job *lists[2] = {p->todo_head, p->done};
    for (int k = 0; k < 2; k++)
        for (enc_job *j = lists[k], *n; j; j = n) {
            n = j->next;
            if (drop) drop(ctx, j);
            free(j->src);
            free(j->out);
            free(j);
        }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p);
}
