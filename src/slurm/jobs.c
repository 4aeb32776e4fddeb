/*
 * jobs.c — the Slurm build's files: OUT/slurm/jobs.json (what was submitted) and the text of
 * the sbatch array script OUT/slurm/job.sh (slurm.h has the layout).
 *
 * jobs.json is small and rewritten whole with fsift_file_write_atomic (temporary name in the
 * same folder + rename, so readers on a shared file system see the old or the new file).
 * The script quotes every argument in single quotes; task I's command line is fixed except
 * for "$I", and it writes its exit status to OUT/slurm/exit/<job>_<I> (temporary + mv) so
 * that `slurm status` can tell a failed task from one that was killed or never ran, on
 * clusters without accounting (sacct).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "slurm/slurm.h"

void fsift_slurm_jobs_free(fsift_slurm_jobs *j) {
    if (!j) return;
    for (int i = 0; i < j->n_subs; i++) free(j->subs[i].tasks);
    free(j->subs);
    free(j->facesift);
    memset(j, 0, sizeof *j);
}

fsift_status fsift_slurm_jobs_add(fsift_slurm_jobs *j, const char *job_id, const int *tasks, int n) {
    fsift_slurm_submission *v = realloc(j->subs, (size_t)(j->n_subs + 1) * sizeof *v);
    if (!v) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    j->subs = v;
    fsift_slurm_submission *s = &v[j->n_subs];
    memset(s, 0, sizeof *s);
    s->tasks = malloc((size_t)(n > 0 ? n : 1) * sizeof *s->tasks);
    if (!s->tasks) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    memcpy(s->tasks, tasks, (size_t)n * sizeof *tasks);
    s->n_tasks = n;
    snprintf(s->job_id, sizeof s->job_id, "%s", job_id);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(s->time, sizeof s->time, "%Y-%m-%dT%H:%M:%SZ", &tm);
    j->n_subs++;
    return FSIFT_OK;
}

fsift_status fsift_slurm_jobs_save(const char *out_dir, const fsift_slurm_jobs *j) {
    json_t *o = json_object();
    json_t *subs = json_array();
    json_object_set_new(o, "version", json_integer(1));
    json_object_set_new(o, "tasks", json_integer(j->tasks));
    json_object_set_new(o, "input_shards", json_integer(j->input_shards));
    json_object_set_new(o, "max_attempts", json_integer(j->max_attempts));
    json_object_set_new(o, "facesift", json_string(j->facesift ? j->facesift : ""));
    for (int i = 0; i < j->n_subs; i++) {
        json_t *s = json_object(), *t = json_array();
        char list[65536];
        fsift_slurm_array_list(j->subs[i].tasks, j->subs[i].n_tasks, list, sizeof list);
        json_object_set_new(s, "job_id", json_string(j->subs[i].job_id));
        json_object_set_new(s, "array", json_string(list));
        for (int k = 0; k < j->subs[i].n_tasks; k++) json_array_append_new(t, json_integer(j->subs[i].tasks[k]));
        json_object_set_new(s, "tasks", t);
        json_object_set_new(s, "time", json_string(j->subs[i].time));
        json_array_append_new(subs, s);
    }
    json_object_set_new(o, "submissions", subs);
    char *text = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    char path[4200];
    snprintf(path, sizeof path, "%s/slurm/jobs.json", out_dir);
    size_t len = strlen(text);
    text[len] = '\n'; /* json_dumps leaves room for the NUL we replace */
    fsift_status s = fsift_file_write_atomic(path, text, len + 1);
    free(text);
    return s;
}

fsift_status fsift_slurm_jobs_load(const char *out_dir, fsift_slurm_jobs *j) {
    memset(j, 0, sizeof *j);
    char path[4200];
    snprintf(path, sizeof path, "%s/slurm/jobs.json", out_dir);
    json_error_t err;
    json_t *o = json_load_file(path, 0, &err);
    if (!o) {
        FILE *f = fopen(path, "r");
        if (!f)
            return fsift_error(FSIFT_E_IO, "'%s' not found: '%s' is not a 'facesift slurm build' output", path, out_dir);
        fclose(f);
        return fsift_error(FSIFT_E_FORMAT, "'%s' line %d: %s", path, err.line, err.text);
    }
    fsift_status s = FSIFT_OK;
    j->tasks = (int)json_integer_value(json_object_get(o, "tasks"));
    j->input_shards = (int)json_integer_value(json_object_get(o, "input_shards"));
    j->max_attempts = (int)json_integer_value(json_object_get(o, "max_attempts"));
    const char *bin = json_string_value(json_object_get(o, "facesift"));
    json_t *subs = json_object_get(o, "submissions");
    if (j->tasks < 1 || j->tasks > FSIFT_SLURM_MAX_TASKS || j->input_shards < j->tasks || j->max_attempts < 1 ||
        !bin || !json_is_array(subs))
        s = fsift_error(FSIFT_E_FORMAT, "'%s' lacks tasks/input_shards/max_attempts/facesift/submissions", path);
    if (!s && !(j->facesift = strdup(bin))) s = fsift_error(FSIFT_E_NOMEM, "out of memory");
    for (size_t i = 0; !s && i < json_array_size(subs); i++) {
        json_t *e = json_array_get(subs, i);
        const char *id = json_string_value(json_object_get(e, "job_id"));
        json_t *t = json_object_get(e, "tasks");
        size_t nt = json_array_size(t);
        int *v = calloc(nt ? nt : 1, sizeof *v);
        if (!v) {
            s = fsift_error(FSIFT_E_NOMEM, "out of memory");
            break;
        }
        for (size_t k = 0; k < nt; k++) {
            json_int_t x = json_integer_value(json_array_get(t, k));
            if (x < 0 || x >= j->tasks) s = fsift_error(FSIFT_E_FORMAT, "'%s': task %lld out of range", path, (long long)x);
            v[k] = (int)x;
        }
        if (!id || !id[0] || strlen(id) >= 32) s = fsift_error(FSIFT_E_FORMAT, "'%s': submission %zu has no job_id", path, i);
        if (!s) s = fsift_slurm_jobs_add(j, id, v, (int)nt);
        const char *tm = json_string_value(json_object_get(e, "time"));
        if (!s && tm) snprintf(j->subs[j->n_subs - 1].time, sizeof j->subs[0].time, "%s", tm);
        free(v);
    }
    json_decref(o);
    if (s) fsift_slurm_jobs_free(j);
    return s;
}

/* ---- the array script ------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t len) {
    if (b->oom) return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + len + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* 'text' with ' written as '\'' */
static void sb_quote(sbuf *b, const char *s) {
    sb_str(b, "'");
    for (const char *c = s; *c; c++) {
        if (*c == '\'') sb_str(b, "'\\''");
        else sb_put(b, c, 1);
    }
    sb_str(b, "'");
}

static int quotable(const char *s) { return !strchr(s, '\n') && !strchr(s, '\r'); }

fsift_status fsift_slurm_script(const fsift_slurm_script_opts *o, char **text) {
    *text = NULL;
    if (!quotable(o->facesift) || !quotable(o->out_dir) || (o->models_dir && !quotable(o->models_dir)))
        return fsift_error(FSIFT_E_INVALID_ARG, "a path holds a newline; Slurm directives cannot carry it");
    for (int i = 0; i < o->n_args; i++)
        if (!quotable(o->args[i])) return fsift_error(FSIFT_E_INVALID_ARG, "argument %d holds a newline", i + 1);
    const char *directive_vals[] = {o->out_dir, o->partition, o->time_limit, o->mem};
    for (int i = 0; i < 4; i++)
        if (directive_vals[i] && strpbrk(directive_vals[i], " \t'\"\\"))
            return fsift_error(FSIFT_E_INVALID_ARG,
                               "'%s' holds a space or quote, which #SBATCH lines cannot carry; use a plain path/value",
                               directive_vals[i]);
    sbuf b = {0};
    char line[4600];
    sb_str(&b, "#!/bin/bash\n"
               "# Written by `facesift slurm build` (docs/cluster.md). Array task I runs\n"
               "# `facesift build --shard I/N` into OUT/shards/I, then records its exit status in\n"
               "# OUT/slurm/exit/<job>_<I>. Submit with: sbatch --array=LIST job.sh\n");
    snprintf(line, sizeof line, "#SBATCH --job-name=facesift-build\n#SBATCH --array=0-%d\n", o->tasks - 1);
    sb_str(&b, line);
    snprintf(line, sizeof line, "#SBATCH --output=%s/slurm/logs/%%A_%%a.out\n#SBATCH --ntasks=1\n", o->out_dir);
    sb_str(&b, line);
    if (o->partition) snprintf(line, sizeof line, "#SBATCH --partition=%s\n", o->partition), sb_str(&b, line);
    if (o->time_limit) snprintf(line, sizeof line, "#SBATCH --time=%s\n", o->time_limit), sb_str(&b, line);
    if (o->cpus_per_task > 0) snprintf(line, sizeof line, "#SBATCH --cpus-per-task=%d\n", o->cpus_per_task), sb_str(&b, line);
    if (o->mem) snprintf(line, sizeof line, "#SBATCH --mem=%s\n", o->mem), sb_str(&b, line);
    sb_str(&b, "set -u\nI=${SLURM_ARRAY_TASK_ID:?submit this script with sbatch --array}\n"
               "J=${SLURM_ARRAY_JOB_ID:-${SLURM_JOB_ID:-0}}\nOUT=");
    sb_quote(&b, o->out_dir);
    sb_str(&b, "\n");
    if (o->models_dir) {
        sb_str(&b, "export FSIFT_MODELS_DIR=");
        sb_quote(&b, o->models_dir);
        sb_str(&b, "\n");
    }
    snprintf(line, sizeof line,
             "echo \"facesift-slurm: task $I of %d (job ${J}_$I) on $(hostname) started $(date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ)\"\n",
             o->tasks);
    sb_str(&b, line);
    sb_quote(&b, o->facesift);
    sb_str(&b, " build");
    for (int i = 0; i < o->n_args; i++) {
        sb_str(&b, " ");
        sb_quote(&b, o->args[i]);
    }
    snprintf(line, sizeof line, " -o \"$OUT/shards/$I\" --shard \"$I/%d\"\n", o->tasks);
    sb_str(&b, line);
    sb_str(&b, "rc=$?\n"
               "mkdir -p \"$OUT/slurm/exit\" &&\n"
               "  echo \"$rc\" > \"$OUT/slurm/exit/${J}_$I.tmp.$$\" &&\n"
               "  mv -f \"$OUT/slurm/exit/${J}_$I.tmp.$$\" \"$OUT/slurm/exit/${J}_$I\"\n"
               "echo \"facesift-slurm: task $I exit $rc at $(date -u +%Y-%m-%dT%H:%M:%SZ)\"\n"
               "exit $rc\n");
    if (b.oom) {
        free(b.p);
        return fsift_error(FSIFT_E_NOMEM, "out of memory");
    }
    *text = b.p;
    return FSIFT_OK;
}
