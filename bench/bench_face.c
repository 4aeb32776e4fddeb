/*
 * bench_face.c — throughput of the face pipeline (decode → detect → align → embed) as
 * `facesift analyze` runs it, with the time split by stage.
 *
 *   bench_face --models SET [--threads N] [--rounds R] [--det-size N] [--det-thresh T]
 *              [--max-faces N] [--no-embedding] [--embed-largest] IMAGE...
 *
 * The files are read into memory first (disk is not measured); then N worker threads, each
 * with its own analyzer on one shared model set, take the next of R×n jobs (every image R
 * times) and decode + analyse it. One warm-up pass over the images runs first on each
 * worker; the clock starts when every worker has finished it. Prints one JSON line: {"models":…,"threads":N,"images":R×n,"wall_s":…,
 * "images_per_s":…,"ms_per_image":{"decode":…,"detect":…,"align":…,"embed":…},"faces":…}
 * where the stage times are per image, summed over the workers' own clocks (so at 2 threads
 * they add up to about twice the wall time per image), and "cpu_ms_per_image" is the workers'
 * CPU time (CLOCK_THREAD_CPUTIME_ID) per image: on a machine shared with other jobs it moves
 * much less than wall time.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "facesift/facesift.h"
#include "facesift/face.h"

typedef struct bench {
    void **data;
    size_t *size;
    int n, rounds, embed;
    const fsift_face_models *m;
    pthread_mutex_t mu;
    pthread_barrier_t warm; /* all workers warmed up: the clock starts */
    double t_start;
    int next;
    double ms[6];
    double cpu_ms; /* CPU time of the workers during the timed jobs */
    long faces;
    int failed;
} bench;

static int take(bench *b) {
    pthread_mutex_lock(&b->mu);
    int i = b->next < b->n * b->rounds ? b->next++ : -1;
    pthread_mutex_unlock(&b->mu);
    return i;
}

static double thread_cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ms[0..3]: wall ms of decode, detect, align, embed; ms[4..5]: CPU ms of decode, analyse */
static int one(bench *b, fsift_face_analyzer *a, fsift_face_list *l, int i, double ms[6]) {
    double t0 = fsift_now_ms(), c0 = thread_cpu_ms();
    fsift_image img;
    if (fsift_image_decode(b->data[i], b->size[i], NULL, &img, NULL)) return -1;
    double t1 = fsift_now_ms(), c1 = thread_cpu_ms();
    fsift_status st = b->embed ? fsift_face_analyze(a, &img, b->embed == 2, l) : fsift_face_detect(a, &img, l);
    double c2 = thread_cpu_ms();
    fsift_image_free(&img);
    if (st) return -1;
    ms[0] += t1 - t0, ms[1] += l->ms_detect, ms[2] += l->ms_align, ms[3] += l->ms_embed;
    ms[4] += c1 - c0, ms[5] += c2 - c1;
    return l->n;
}

static void *worker(void *arg) {
    bench *b = arg;
    fsift_face_analyzer *a = NULL;
    fsift_face_list l = {0};
    double ms[6] = {0}, warm[6] = {0};
    long faces = 0;
    int failed = fsift_face_analyzer_new(b->m, &a) != FSIFT_OK;
    for (int i = 0; i < b->n && !failed; i++)
        if (one(b, a, &l, i, warm) < 0) failed = 1;
    if (pthread_barrier_wait(&b->warm) == PTHREAD_BARRIER_SERIAL_THREAD) b->t_start = fsift_now_ms();
    pthread_barrier_wait(&b->warm);
    double c0 = thread_cpu_ms();
    for (int i; !failed && (i = take(b)) >= 0;) {
        int k = one(b, a, &l, i % b->n, ms);
        if (k < 0) failed = 1;
        else faces += k;
    }
    double cpu = thread_cpu_ms() - c0;
    pthread_mutex_lock(&b->mu);
    b->cpu_ms += cpu;
    for (int k = 0; k < 6; k++) b->ms[k] += ms[k];
    b->faces += faces;
    b->failed |= failed;
    pthread_mutex_unlock(&b->mu);
    if (failed) fprintf(stderr, "bench_face: %s\n", fsift_last_error());
    fsift_face_list_free(&l);
    fsift_face_analyzer_free(a);
    return NULL;
}

int main(int argc, char **argv) {
    const char *set = "default";
    int threads = 1, rounds = 3, embed = 2;
    fsift_face_options o;
    fsift_face_options_default(&o);
    char **files = calloc((size_t)argc, sizeof *files);
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--models") && i + 1 < argc) set = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--det-size") && i + 1 < argc) o.det_size = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--det-thresh") && i + 1 < argc) o.det_thresh = (float)atof(argv[++i]);
        else if (!strcmp(argv[i], "--max-faces") && i + 1 < argc) o.max_faces = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-embedding")) embed = 0;
        else if (!strcmp(argv[i], "--embed-largest")) embed = 1;
        else if (argv[i][0] == '-') { fprintf(stderr, "bench_face: unknown option %s\n", argv[i]); return 2; }
        else files[n++] = argv[i];
    }
    if (n == 0 || threads < 1 || threads > 64 || rounds < 1) {
        fprintf(stderr, "usage: bench_face --models SET [--threads N] [--rounds R] [--det-size N] [--no-embedding] IMAGE...\n");
        return 2;
    }
    bench b = {.n = n, .rounds = rounds, .embed = embed};
    b.data = calloc((size_t)n, sizeof *b.data);
    b.size = calloc((size_t)n, sizeof *b.size);
    for (int i = 0; i < n; i++)
        if (fsift_file_read(files[i], (size_t)64 << 20, &b.data[i], &b.size[i])) {
            fprintf(stderr, "bench_face: %s\n", fsift_last_error());
            return 1;
        }
    fsift_face_models *m = NULL;
    if (fsift_face_models_load(set, &o, &m)) {
        fprintf(stderr, "bench_face: %s\n", fsift_last_error());
        return 1;
    }
    b.m = m;
    pthread_mutex_init(&b.mu, NULL);
    pthread_barrier_init(&b.warm, NULL, (unsigned)threads);
    pthread_t tid[64];
    for (int t = 1; t < threads; t++) pthread_create(&tid[t], NULL, worker, &b);
    worker(&b);
    for (int t = 1; t < threads; t++) pthread_join(tid[t], NULL);
    double wall = (fsift_now_ms() - b.t_start) / 1000.0; /* jobs only: warm-up excluded */
    int jobs = n * rounds;
    double ips = wall > 0 ? jobs / wall : 0;
    printf("{\"models\":\"%s\",\"threads\":%d,\"images\":%d,\"wall_s\":%.3f,\"images_per_s\":%.2f,"
           "\"cpu_ms_per_image\":%.2f,\"cpu_ms\":{\"decode\":%.3f,\"analyze\":%.3f},"
           "\"ms_per_image\":{\"decode\":%.3f,\"detect\":%.3f,\"align\":%.3f,\"embed\":%.3f},\"faces\":%ld,\"cpu\":\"%s\"}\n",
           set, threads, jobs, wall, ips, b.cpu_ms / jobs, b.ms[4] / jobs, b.ms[5] / jobs, b.ms[0] / jobs, b.ms[1] / jobs, b.ms[2] / jobs, b.ms[3] / jobs, b.faces,
           fsift_cpu_model());
    fsift_face_models_free(m);
    for (int i = 0; i < n; i++) free(b.data[i]);
    free(b.data);
    free(b.size);
    free(files);
    pthread_mutex_destroy(&b.mu);
    pthread_barrier_destroy(&b.warm);
    return b.failed ? 1 : 0;
}
