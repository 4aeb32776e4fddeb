/*
 * state.c — fsift_slurm_status: where each array task of a Slurm build stands.
 *
 * Evidence, strongest first (slurm.h): the stats files of the task's input shards (input
 * shard i belongs to task i % N, as `build --shard I/N` assigns them; all present = done,
 * whatever the queue says), the queue (`squeue -h -r -u USER -o "%F %K %t"`: one line per
 * array element, array job id, task id, state), the exit file job.sh writes after facesift
 * returns, and `sacct` (only on clusters with accounting; the first failure turns it off).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slurm/slurm.h"

static const char *const state_names[FSIFT_TASK_STATE_COUNT] = {"done", "running", "pending", "failed", "missing"};

const char *fsift_slurm_state_name(int state) {
    return state >= 0 && state < FSIFT_TASK_STATE_COUNT ? state_names[state] : "?";
}

/* squeue's state codes: R, CG (completing), CF (configuring), S, ST: running; PD, RQ, RF,
 * RH (requeued), RS: pending. Anything else is a finished job still listed. */
static int queue_state(const char *t) {
    if (!strcmp(t, "R") || !strcmp(t, "CG") || !strcmp(t, "CF") || !strcmp(t, "S") || !strcmp(t, "ST") ||
        !strcmp(t, "SO"))
        return FSIFT_TASK_RUNNING;
    if (!strcmp(t, "PD") || !strcmp(t, "RQ") || !strcmp(t, "RF") || !strcmp(t, "RH") || !strcmp(t, "RS"))
        return FSIFT_TASK_PENDING;
    return -1;
}

static int submission_of(const fsift_slurm_jobs *j, const char *job_id) {
    for (int i = 0; i < j->n_subs; i++)
        if (!strcmp(j->subs[i].job_id, job_id)) return i;
    return -1;
}

/* Marks queued tasks; returns 0, or -1 with why in err when squeue cannot answer. */
static int ask_queue(const fsift_slurm_jobs *j, int *queued, char *err, size_t size) {
    struct passwd *pw = getpwuid(getuid());
    const char *argv[] = {"squeue", "-h", "-r", "-u", pw ? pw->pw_name : "root", "-o", "%F %K %t", NULL};
    char *out = NULL;
    int rc;
    if (fsift_slurm_exec(argv, 60, &out, &rc)) {
        snprintf(err, size, "%s", fsift_last_error());
        return -1;
    }
    if (rc != 0) {
        char *nl = strchr(out, '\n');
        if (nl) *nl = 0;
        snprintf(err, size, "squeue failed (exit %d): %s", rc, out[0] ? out : "(no output)");
        free(out);
        return -1;
    }
    for (char *line = out, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        char id[64], task[64], st[16];
        if (sscanf(line, "%63s %63s %15s", id, task, st) != 3) continue;
        int sub = submission_of(j, id);
        char *end;
        long t = strtol(task, &end, 10);
        if (sub < 0 || *end || t < 0 || t >= j->tasks) continue;
        int q = queue_state(st);
        /* only the task's latest attempt counts: an older element still listed is not it */
        if (q >= 0 && queued[t] == 0) queued[t] = q + 100 * (sub + 1);
        else if (q >= 0 && queued[t] / 100 < sub + 1) queued[t] = q + 100 * (sub + 1);
    }
    free(out);
    return 0;
}

/* sacct's State for element task of job (e.g. "FAILED", "CANCELLED by 0"), or -1 when
 * sacct does not work here (no accounting storage), 0 when it does not know the element. */
static int ask_sacct(const char *job, int task, char *state, size_t size) {
    char id[64];
    snprintf(id, sizeof id, "%s_%d", job, task);
    const char *argv[] = {"sacct", "-n", "-X", "-P", "-j", id, "--format=JobID,State,ExitCode", NULL};
    char *out = NULL;
    int rc;
    if (fsift_slurm_exec(argv, 30, &out, &rc)) return -1;
    int found = -1;
    if (rc == 0) {
        found = 0;
        for (char *line = out, *next; line && *line; line = next) {
            next = strchr(line, '\n');
            if (next) *next++ = 0;
            char *bar = strchr(line, '|');
            if (!bar || strncmp(line, id, strlen(id)) || line + strlen(id) != bar) continue;
            char *bar2 = strchr(bar + 1, '|');
            if (bar2) *bar2 = 0;
            snprintf(state, size, "%s", bar + 1);
            found = 1;
        }
    }
    free(out);
    return found;
}

fsift_status fsift_slurm_status(const char *out_dir, const fsift_slurm_jobs *j, fsift_slurm_task *tasks,
                                char *queue_error, size_t size) {
    int *queued = calloc((size_t)j->tasks, sizeof *queued);
    if (!queued) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    queue_error[0] = 0;
    int queue_ok = ask_queue(j, queued, queue_error, size) == 0;
    int sacct_ok = 1;
    char path[4400];
    for (int t = 0; t < j->tasks; t++) {
        fsift_slurm_task *k = &tasks[t];
        memset(k, 0, sizeof *k);
        for (int i = t; i < j->input_shards; i += j->tasks) {
            snprintf(path, sizeof path, "%s/shards/%d/%05d_stats.json", out_dir, t, i);
            k->shards_total++;
            if (access(path, F_OK) == 0) k->shards_done++;
        }
        int last = -1;
        for (int s = 0; s < j->n_subs; s++)
            for (int i = 0; i < j->subs[s].n_tasks; i++)
                if (j->subs[s].tasks[i] == t) {
                    k->attempts++;
                    last = s;
                }
        if (last >= 0) {
            snprintf(k->last_job, sizeof k->last_job, "%s_%d", j->subs[last].job_id, t);
            snprintf(k->log, sizeof k->log, "%s/slurm/logs/%s.out", out_dir, k->last_job);
        }
        if (k->shards_done == k->shards_total) {
            k->state = FSIFT_TASK_DONE;
            continue;
        }
        if (queued[t] && queued[t] / 100 - 1 == last) {
            k->state = queued[t] % 100;
            continue;
        }
        if (last < 0) {
            k->state = FSIFT_TASK_MISSING;
            snprintf(k->note, sizeof k->note, "never submitted");
            continue;
        }
        snprintf(path, sizeof path, "%s/slurm/exit/%s", out_dir, k->last_job);
        FILE *f = fopen(path, "r");
        int rc = -1;
        if (f) {
            if (fscanf(f, "%d", &rc) != 1) rc = -1;
            fclose(f);
        }
        if (f && rc != 0) {
            k->state = FSIFT_TASK_FAILED;
            snprintf(k->note, sizeof k->note, "exit %d%s", rc, rc == 137 ? " (killed: SIGKILL)" : rc > 128 ? " (signal)" : "");
            continue;
        }
        if (f) {
            k->state = FSIFT_TASK_FAILED;
            snprintf(k->note, sizeof k->note, "exit 0 but %d of %d shards have no stats file",
                     k->shards_total - k->shards_done, k->shards_total);
            continue;
        }
        char st[128] = "";
        int sa = sacct_ok ? ask_sacct(j->subs[last].job_id, t, st, sizeof st) : -1;
        if (sa < 0) sacct_ok = 0;
        if (sa > 0 && strncmp(st, "COMPLETED", 9)) {
            k->state = FSIFT_TASK_FAILED;
            snprintf(k->note, sizeof k->note, "sacct: %s", st);
            continue;
        }
        k->state = FSIFT_TASK_MISSING;
        snprintf(k->note, sizeof k->note, "%s",
                 queue_ok ? "not queued and no exit status: cancelled, killed or lost before facesift returned"
                          : "no exit status, and the queue could not be asked");
    }
    free(queued);
    return FSIFT_OK;
}
