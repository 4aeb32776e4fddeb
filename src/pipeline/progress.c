/*
 * progress.c — what `facesift build` shows while it runs: on a terminal (stderr is a TTY) one
 * line redrawn at most 5 times a second — shards done, samples, kept %, samples/s and an ETA;
 * otherwise a log line every 30 s (and the per-shard lines build.c prints). The ETA assumes
 * the remaining input shards are as large as the ones seen so far (folder and list shards
 * know their size; a tar's is learnt when it ends). Called from the writer thread only.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pipe_internal.h"

void pipe_progress_start(pipe_progress *p, int enabled, int shards_total) {
    memset(p, 0, sizeof *p);
    p->enabled = enabled;
    p->tty = enabled && isatty(2);
    p->shards_total = shards_total;
    p->t0 = p->last = fsift_now_ms();
}

static void fmt_eta(double s, char *out, size_t n) {
    if (s < 0 || s > 1e8) {
        snprintf(out, n, "--:--:--");
        return;
    }
    long t = (long)(s + 0.5);
    snprintf(out, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

static void draw(pipe_progress *p, double now, int final) {
    double el = (now - p->t0) / 1000.0;
    double rate = el > 0 ? (double)p->samples / el : 0;
    /* expected samples: done shards as they were, the rest at the average shard size */
    double avg = p->shards_done > 0 ? (double)p->samples_done_shards / p->shards_done
                                    : (p->cur_expected > 0 ? (double)p->cur_expected : 0);
    double total = (double)p->samples_done_shards + avg * (p->shards_total - p->shards_done);
    if (p->cur_expected > 0 && p->shards_done == 0) total = avg * p->shards_total;
    char eta[32];
    fmt_eta(rate > 0 && total > 0 ? (total - (double)p->samples) / rate : -1, eta, sizeof eta);
    char line[200];
    snprintf(line, sizeof line, "shards %d/%d  samples %lld  kept %lld (%.1f%%)  %.1f samples/s  ETA %s",
             p->shards_done, p->shards_total, (long long)p->samples, (long long)p->kept,
             p->samples ? 100.0 * (double)p->kept / (double)p->samples : 0.0, rate, final ? "0:00:00" : eta);
    int len = (int)strlen(line);
    if (p->tty) /* pad over a longer previous line, never wider than the line itself */
        fprintf(stderr, "\r%s%*s%s", line, p->last_len > len ? p->last_len - len : 0, "", final ? "\n" : "");
    else fsift_log(FSIFT_LOG_INFO, "%s", line);
    p->last = now;
    p->last_len = len;
}

void pipe_progress_shard(pipe_progress *p, int64_t expected) { p->cur_expected = expected; }

void pipe_progress_sample(pipe_progress *p, int kept) {
    if (!p->enabled) return;
    p->samples++;
    p->kept += kept;
    double now = fsift_now_ms();
    if (now - p->last >= (p->tty ? 200.0 : 30000.0)) draw(p, now, 0);
}

void pipe_progress_shard_done(pipe_progress *p, int64_t samples_in_shard) {
    p->shards_done++;
    p->samples_done_shards += samples_in_shard;
    if (p->tty) draw(p, fsift_now_ms(), 0);
}

void pipe_progress_end(pipe_progress *p) {
    if (p->tty && p->samples) draw(p, fsift_now_ms(), 1);
}
