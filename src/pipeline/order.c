/*
 * order.c — the ordered multi-threaded runner behind `facesift build` (one input shard at a
 * time): a reader thread fills a ring of `queue` slots in input order, `threads` workers
 * claim slots in sequence order and process them independently, and the calling thread
 * writes finished slots strictly in sequence order (a libvips-style sink).
 *
 * Invariants: slot seq % queue holds sample seq; the reader never gets more than queue
 * samples ahead of the writer, so memory is bounded by queue samples whatever the input
 * size. Output order never depends on which worker finishes first, so 1 and N workers
 * write the same bytes. One mutex and one condition variable guard the ring (a sample costs
 * milliseconds; the lock is held for nanoseconds).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pipe_internal.h"

typedef struct runner {
    const pipe_order_cb *cb;
    pipe_slot *slots;
    int q;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t n_read, next_claim, next_write;
    int read_done, stop;
    char *read_err;
    size_t read_err_size;
} runner;

typedef struct worker_arg {
    runner *r;
    int id;
} worker_arg;

static void *reader_main(void *arg) {
    runner *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (!r->stop && r->n_read - r->next_write >= r->q) pthread_cond_wait(&r->cv, &r->mu);
        int stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (stop) break;
        pipe_slot *sl = &r->slots[r->n_read % r->q];
        int rc = r->cb->read(r->cb->ctx, &sl->s);
        pthread_mutex_lock(&r->mu);
        if (rc <= 0) {
            if (rc < 0 && r->read_err) snprintf(r->read_err, r->read_err_size, "%s", fsift_last_error());
            r->read_done = 1;
            pthread_cond_broadcast(&r->cv);
            pthread_mutex_unlock(&r->mu);
            break;
        }
        sl->seq = r->n_read++;
        sl->state = 1;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_lock(&r->mu);
    r->read_done = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static void *worker_main(void *arg) {
    worker_arg *wa = arg;
    runner *r = wa->r;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (!r->stop && !(r->next_claim < r->n_read) && !r->read_done) pthread_cond_wait(&r->cv, &r->mu);
        if (r->stop || r->next_claim >= r->n_read) {
            pthread_mutex_unlock(&r->mu);
            break;
        }
        pipe_slot *sl = &r->slots[r->next_claim % r->q];
        r->next_claim++;
        sl->state = 2;
        pthread_mutex_unlock(&r->mu);
        r->cb->work(r->cb->ctx, wa->id, sl);
        pthread_mutex_lock(&r->mu);
        sl->state = 3;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

fsift_status pipe_order_run(const pipe_order_cb *cb, int threads, int queue, char *read_err, size_t read_err_size) {
    if (threads < 1) threads = 1;
    if (queue < threads + 1) queue = threads + 1;
    runner r;
    memset(&r, 0, sizeof r);
    r.cb = cb;
    r.q = queue;
    r.read_err = read_err;
    r.read_err_size = read_err_size;
    if (read_err && read_err_size) read_err[0] = 0;
    r.slots = calloc((size_t)queue, sizeof *r.slots);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    worker_arg *args = calloc((size_t)threads, sizeof *args);
    if (!r.slots || !tids || !args) {
        free(r.slots);
        free(tids);
        free(args);
        return fsift_error(FSIFT_E_NOMEM, "out of memory");
    }
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    pthread_t rt;
    fsift_status st = FSIFT_OK;
    int reader_ok = pthread_create(&rt, NULL, reader_main, &r) == 0;
    int started = 0;
    if (!reader_ok) st = fsift_error(FSIFT_E_INTERNAL, "cannot start the reader thread");
    for (int i = 0; reader_ok && i < threads; i++) {
        args[i].r = &r;
        args[i].id = i;
        if (pthread_create(&tids[i], NULL, worker_main, &args[i]) != 0) break;
        started++;
    }
    if (reader_ok && started == 0) {
        st = fsift_error(FSIFT_E_INTERNAL, "cannot start worker threads");
        pthread_mutex_lock(&r.mu);
        r.stop = 1;
        pthread_cond_broadcast(&r.cv);
        pthread_mutex_unlock(&r.mu);
    }
    /* the writer: this thread */
    while (reader_ok && !st) {
        pthread_mutex_lock(&r.mu);
        pipe_slot *sl = &r.slots[r.next_write % r.q];
        while (!(r.next_write < r.n_read && sl->state == 3) && !(r.read_done && r.next_write >= r.n_read))
            pthread_cond_wait(&r.cv, &r.mu);
        int finished = r.read_done && r.next_write >= r.n_read;
        pthread_mutex_unlock(&r.mu);
        if (finished) break;
        st = cb->write(cb->ctx, sl);
        fsift_sample_clear(&sl->s);
        pipe_result_clear(&sl->r);
        pthread_mutex_lock(&r.mu);
        sl->state = 0;
        r.next_write++;
        if (st) r.stop = 1;
        pthread_cond_broadcast(&r.cv);
        pthread_mutex_unlock(&r.mu);
    }
    if (reader_ok) pthread_join(rt, NULL);
    for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
    for (int i = 0; i < queue; i++) {
        fsift_sample_clear(&r.slots[i].s);
        pipe_result_clear(&r.slots[i].r);
    }
    pthread_cond_destroy(&r.cv);
    pthread_mutex_destroy(&r.mu);
    free(r.slots);
    free(tids);
    free(args);
    return st;
}
