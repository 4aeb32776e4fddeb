/*
 * pool.c — fork/join thread pool.
 *
 * One job at a time: fsift_pool_run publishes (fn, arg, nth) and bumps a generation counter;
 * every worker wakes, runs fn if its index is below nth, and acknowledges. The caller runs
 * worker 0's share itself, then waits until all workers have acknowledged, so no worker can
 * lag into the next job. Workers spin briefly on the generation counter (busy, then yielding
 * the CPU) before sleeping on a condition variable: kernels are short (tens of
 * microseconds), and a sleep/wake per operator would cost more than the operator; the
 * yielding phase keeps an oversubscribed machine from wasting whole timeslices on spinning.
 *
 * Threading contract: one thread submits to a pool at a time (sessions own their pools).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "facesift/core.h"

/* Waiting: first a short busy spin (a kernel's fork/join takes microseconds), then yielding
 * spins so that a thread sharing a core with us (an oversubscribed machine, or another
 * process on the other core) gets to run, then sleep on a condition variable. */
#define SPIN_PAUSE 256
#define SPIN_YIELD 64

struct fsift_pool {
    int n;                /* workers including the caller */
    pthread_t *threads;   /* n - 1 */
    pthread_mutex_t mu;
    pthread_cond_t cv_start, cv_done;
    atomic_uint gen;
    atomic_int pending;   /* workers that have not yet acknowledged the current job */
    atomic_int stop;
    fsift_pool_fn fn;
    void *arg;
    int nth;
};

typedef struct worker_arg {
    fsift_pool *pool;
    int index;
} worker_arg;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("pause");
#endif
}

/* Spins until *gen differs from seen (or stop), returning the last value read. */
static unsigned spin_on_gen(fsift_pool *pool, unsigned seen) {
    unsigned g = atomic_load(&pool->gen);
    for (int i = 0; g == seen && i < SPIN_PAUSE + SPIN_YIELD && !atomic_load(&pool->stop); i++) {
        if (i < SPIN_PAUSE) cpu_relax();
        else sched_yield();
        g = atomic_load(&pool->gen);
    }
    return g;
}

static void *worker_main(void *p) {
    worker_arg *wa = p;
    fsift_pool *pool = wa->pool;
    int me = wa->index;
    free(wa);
    unsigned seen = 0;
    for (;;) {
        unsigned g = spin_on_gen(pool, seen);
        if (g == seen) {
            pthread_mutex_lock(&pool->mu);
            while ((g = atomic_load(&pool->gen)) == seen && !atomic_load(&pool->stop))
                pthread_cond_wait(&pool->cv_start, &pool->mu);
            pthread_mutex_unlock(&pool->mu);
        }
        if (atomic_load(&pool->stop)) break;
        seen = g;
        if (me < pool->nth) pool->fn(pool->arg, me, pool->nth);
        if (atomic_fetch_sub(&pool->pending, 1) == 1) {
            pthread_mutex_lock(&pool->mu);
            pthread_cond_signal(&pool->cv_done);
            pthread_mutex_unlock(&pool->mu);
        }
    }
    return NULL;
}

fsift_status fsift_pool_new(int nthreads, fsift_pool **out) {
    *out = NULL;
    if (nthreads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = n > 0 ? (int)n : 1;
    }
    if (nthreads > 1024) return fsift_error(FSIFT_E_INVALID_ARG, "pool: %d threads is too many", nthreads);
    fsift_pool *p = calloc(1, sizeof *p);
    if (!p) return fsift_error(FSIFT_E_NOMEM, "pool: out of memory");
    p->n = nthreads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_start, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    atomic_init(&p->gen, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->stop, 0);
    if (nthreads > 1) {
        p->threads = calloc((size_t)nthreads - 1, sizeof *p->threads);
        if (!p->threads) { free(p); return fsift_error(FSIFT_E_NOMEM, "pool: out of memory"); }
        for (int i = 1; i < nthreads; i++) {
            worker_arg *wa = malloc(sizeof *wa);
            if (!wa || (wa->pool = p, wa->index = i,
                        pthread_create(&p->threads[i - 1], NULL, worker_main, wa) != 0)) {
                free(wa);
                p->n = i; /* threads 1..i-1 exist */
                fsift_pool_free(p);
                return fsift_error(FSIFT_E_NOMEM, "pool: cannot start thread %d", i);
            }
        }
    }
    *out = p;
    return FSIFT_OK;
}

void fsift_pool_free(fsift_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->cv_start);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++) pthread_join(p->threads[i - 1], NULL);
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv_start);
    pthread_cond_destroy(&p->cv_done);
    free(p);
}

int fsift_pool_size(const fsift_pool *p) { return p ? p->n : 1; }

void fsift_pool_run(fsift_pool *p, fsift_pool_fn fn, void *arg, int want) {
    int nth = (!p || want == 1) ? 1 : (want <= 0 || want > p->n ? p->n : want);
    if (nth == 1) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    p->nth = nth;
    atomic_store(&p->pending, p->n - 1);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->gen, 1);
    pthread_cond_broadcast(&p->cv_start);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0, nth);
    for (int i = 0; atomic_load(&p->pending) > 0 && i < SPIN_PAUSE + SPIN_YIELD; i++) {
        if (i < SPIN_PAUSE) cpu_relax();
        else sched_yield();
    }
    if (atomic_load(&p->pending) > 0) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->pending) > 0) pthread_cond_wait(&p->cv_done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}
