/*
 * cmd_slurm.c — `facesift slurm build|status|resume|merge`: a build scaled out as a Slurm job
 * array (docs/cluster.md). `slurm build` checks the inputs (how many input shards they
 * expand to: each of the N tasks must get at least one), writes OUT/slurm/job.sh atomically
 * and submits it with `sbatch --array=0-(N-1)`; array task I runs `facesift build --shard
 * I/N` (this binary, by absolute path, with the same flags) into OUT/shards/I. `status`
 * reads the stats files, the queue and the tasks' exit files (src/slurm/state.c); `resume`
 * resubmits only the failed and missing tasks as one new array, giving up on a task after
 * --max-attempts submissions (reported with its log); `merge` runs fsift_merge over
 * every OUT/shards/I into OUT/merged once every task is done, under an O_EXCL lock file so that
 * two merges cannot write the same output at once. build and resume hold flock() on
 * OUT/slurm/.submit.lock so that two of them cannot submit the same tasks twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "facesift/data.h"
#include "facesift/pipeline.h"
#include "slurm/slurm.h"

static void slurm_usage(FILE *f) {
    fprintf(f,
            "usage: facesift slurm build INPUT... -o OUT --tasks N [--partition P] [--time T]\n"
            "                            [--cpus-per-task C] [--mem M] [--max-attempts 3] [--dry-run]\n"
            "                            [build flags...]\n"
            "       facesift slurm status OUT\n"
            "       facesift slurm resume OUT [--max-attempts K]\n"
            "       facesift slurm merge OUT [-o DIR]\n\n"
            "Runs 'facesift build' as a Slurm job array (see docs/cluster.md).\n"
            "  build    writes OUT/slurm/job.sh and submits it with sbatch --array=0-(N-1): task I\n"
            "           runs 'facesift build INPUT... --shard I/N' into OUT/shards/I, logging to\n"
            "           OUT/slurm/logs/<job>_<I>.out; the job id goes to OUT/slurm/jobs.json.\n"
            "           Other flags are passed to every task's 'facesift build' (see build --help);\n"
            "           --cpus-per-task C also sets --threads C unless --threads is given.\n"
            "           --dry-run prints the script and submits nothing.\n"
            "  status   done / running / pending / failed / missing per task (stats files,\n"
            "           squeue, the tasks' exit files, sacct where accounting is on)\n"
            "  resume   resubmits only the failed and missing tasks, as one array; a task already\n"
            "           submitted --max-attempts times is reported with its log, not resubmitted\n"
            "           (exit 1). A half-written shard of a killed task is redone by the rerun.\n"
            "  merge    when every task is done: 'facesift merge OUT/shards/* -o OUT/merged'\n"
            "           (or -o DIR), holding the lock OUT/slurm/merge.lock; a second merge\n"
            "           refuses while it is held.\n"
            "Inputs, OUT and the models must be on a file system every node sees.\n");
}

/* build's flags that take no value (everything else starting with '-' takes one) */
static int build_flag_is_bool(const char *a) {
    return !strcmp(a, "--no-text-filter") || !strcmp(a, "--no-full-redetect") || !strcmp(a, "--full-redetect") || !strcmp(a, "--no-first-look") || !strcmp(a, "--instantid-jsonl") ||
           !strcmp(a, "--quiet");
}

static int parse_pos(const char *s, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < 1 || v > hi) return -1;
    *out = v;
    return 0;
}

static char *abs_path(const char *p) {
    char *r = realpath(p, NULL);
    return r;
}

/* path made absolute without touching the file system (a dry run's OUT need not exist) */
static char *join_cwd(const char *p) {
    char cwd[PATH_MAX];
    if (p[0] == '/') return strdup(p);
    if (!getcwd(cwd, sizeof cwd)) return NULL;
    char *r = malloc(strlen(cwd) + strlen(p) + 2);
    if (r) sprintf(r, "%s/%s", cwd, p);
    return r;
}

/* Holds flock(LOCK_EX) on OUT/slurm/.submit.lock; returns the fd or -1 (message printed). */
static int submit_lock(const char *out) {
    char p[4200];
    snprintf(p, sizeof p, "%s/slurm/.submit.lock", out);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "facesift slurm: cannot open '%s': %s\n", p, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
    if (errno != EWOULDBLOCK) { /* no flock on this file system (Lustre without -o flock): go on */
        fprintf(stderr, "facesift slurm: warning: cannot lock '%s' (%s); do not run two submissions at once\n", p,
                strerror(errno));
        return fd;
    }
    fprintf(stderr, "facesift slurm: another 'slurm build' or 'slurm resume' is submitting for '%s' (%s is locked)\n",
            out, p);
    close(fd);
    return -1;
}

typedef struct build_args {
    const char *out, *partition, *time_limit, *mem;
    long tasks, cpus, max_attempts, shard_size;
    int dry_run, threads_given;
    const char **pass; /* to each task's build: inputs (absolute) and flags */
    int n_pass;
    const char **inputs;
    int n_inputs;
    char **owned; /* realpath results */
    int n_owned;
} build_args;

static void build_args_free(build_args *b) {
    for (int i = 0; i < b->n_owned; i++) free(b->owned[i]);
    free(b->owned);
    free(b->pass);
    free(b->inputs);
}

#define BUSAGE(...)                                                                          \
    do {                                                                                     \
        fprintf(stderr, "facesift slurm build: " __VA_ARGS__);                               \
        fputc('\n', stderr);                                                                 \
        return CLI_USAGE;                                                                    \
    } while (0)

static int parse_build(int argc, char **argv, build_args *b) {
    memset(b, 0, sizeof *b);
    b->max_attempts = 3;
    b->shard_size = 10000;
    b->pass = calloc((size_t)argc + 4, sizeof *b->pass);
    b->inputs = calloc((size_t)argc + 1, sizeof *b->inputs);
    b->owned = calloc((size_t)argc + 1, sizeof *b->owned);
    if (!b->pass || !b->inputs || !b->owned) BUSAGE("out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--dry-run")) {
            b->dry_run = 1;
        } else if (build_flag_is_bool(a)) {
            b->pass[b->n_pass++] = a;
        } else if (a[0] == '-' && a[1] && !v) {
            BUSAGE("option '%s' needs a value (or is unknown)", a);
        } else if (!strcmp(a, "-o")) {
            b->out = argv[++i];
        } else if (!strcmp(a, "--tasks")) {
            if (parse_pos(argv[++i], FSIFT_SLURM_MAX_TASKS, &b->tasks)) BUSAGE("--tasks must be 1..%d", FSIFT_SLURM_MAX_TASKS);
        } else if (!strcmp(a, "--cpus-per-task")) {
            if (parse_pos(argv[++i], 1024, &b->cpus)) BUSAGE("--cpus-per-task must be 1..1024");
        } else if (!strcmp(a, "--max-attempts")) {
            if (parse_pos(argv[++i], 1000, &b->max_attempts)) BUSAGE("--max-attempts must be 1..1000");
        } else if (!strcmp(a, "--partition")) {
            b->partition = argv[++i];
        } else if (!strcmp(a, "--time")) {
            b->time_limit = argv[++i];
        } else if (!strcmp(a, "--mem")) {
            b->mem = argv[++i];
        } else if (!strcmp(a, "--shard")) {
            BUSAGE("--shard is set per task (I/N with N = --tasks); do not pass it");
        } else if (!strcmp(a, "--layout") && strcmp(v, "wds")) {
            BUSAGE("tasks build webdataset shards; export the merged output to other layouts (facesift export)");
        } else if (a[0] == '-' && a[1]) {
            /* a build flag with its value; paths made absolute so tasks find them from anywhere */
            const char *val = argv[++i];
            if (!strcmp(a, "--threads")) b->threads_given = 1;
            if (!strcmp(a, "--input-shard-size") && parse_pos(val, 100000000, &b->shard_size))
                BUSAGE("--input-shard-size must be >= 1");
            char *r = NULL;
            if (!strcmp(a, "--lexicon")) r = abs_path(val);
            else if (!strncmp(val, "antelopev2:", 11) && !strcmp(a, "--models")) {
                char *d = abs_path(val + 11);
                if (d && (r = malloc(strlen(d) + 12))) sprintf(r, "antelopev2:%s", d);
                free(d);
            }
            if (r) b->owned[b->n_owned++] = r;
            b->pass[b->n_pass++] = a;
            b->pass[b->n_pass++] = r ? r : val;
        } else {
            char *r = abs_path(a);
            if (!r) BUSAGE("INPUT '%s': %s", a, strerror(errno));
            b->owned[b->n_owned++] = r;
            b->pass[b->n_pass++] = r;
            b->inputs[b->n_inputs++] = r;
        }
    }
    if (!b->out) BUSAGE("-o OUT is required");
    if (!b->tasks) BUSAGE("--tasks N is required");
    if (!b->n_inputs) BUSAGE("no INPUT given");
    return CLI_OK;
}

static int slurm_build(int argc, char **argv) {
    build_args b;
    int rc = parse_build(argc, argv, &b);
    if (rc) {
        build_args_free(&b);
        return rc;
    }
    char cpus_s[16];
    if (b.cpus && !b.threads_given) {
        snprintf(cpus_s, sizeof cpus_s, "%ld", b.cpus);
        b.pass[b.n_pass++] = "--threads";
        b.pass[b.n_pass++] = cpus_s;
    }
    fsift_input_set in;
    if (fsift_inputs_expand(b.inputs, b.n_inputs, b.shard_size, &in)) {
        build_args_free(&b);
        return cli_fail("slurm build: reading the inputs");
    }
    int n_shards = in.n;
    fsift_input_set_free(&in);
    if (n_shards < b.tasks) {
        fprintf(stderr, "facesift slurm build: the inputs hold %d input shard%s, fewer than --tasks %ld: every task needs at "
                        "least one (use --tasks %d%s)\n",
                n_shards, n_shards == 1 ? "" : "s", b.tasks, n_shards > 0 ? n_shards : 1,
                b.shard_size > 1 ? ", or a smaller --input-shard-size for folders and lists" : "");
        build_args_free(&b);
        return CLI_USAGE;
    }
    char *self = realpath("/proc/self/exe", NULL);
    fsift_status st = b.dry_run ? FSIFT_OK : fsift_slurm_mkdirs(b.out); /* a dry run writes nothing */
    char *out = st ? NULL : abs_path(b.out);
    if (!out && !st && b.dry_run) out = join_cwd(b.out);
    const char *menv = getenv("FSIFT_MODELS_DIR");
    struct stat sb;
    char *models = abs_path(menv && menv[0] ? menv : "models");
    if (models && (stat(models, &sb) || !S_ISDIR(sb.st_mode))) {
        free(models);
        models = NULL;
    }
    if (!self || !out) {
        free(self);
        free(out);
        free(models);
        build_args_free(&b);
        return st ? cli_fail("slurm build") : (fprintf(stderr, "facesift slurm build: cannot resolve paths\n"), CLI_FAIL);
    }
    fsift_slurm_script_opts so = {self, out, b.pass, b.n_pass, (int)b.tasks, b.partition, b.time_limit, b.mem,
                                  (int)b.cpus, models};
    char *script = NULL;
    rc = CLI_OK;
    int lock = -1;
    fsift_slurm_jobs jobs = {0};
    int *all = NULL;
    if (fsift_slurm_script(&so, &script)) {
        rc = cli_fail("slurm build");
        goto done;
    }
    char p[4200], list[64];
    if (b.dry_run) {
        fputs(script, stdout);
        printf("# would run: sbatch --parsable --array=0-%ld %s/slurm/job.sh  (%d input shards over %ld tasks)\n",
               b.tasks - 1, out, n_shards, b.tasks);
        goto done;
    }
    snprintf(p, sizeof p, "%s/slurm/logs", out);
    if (fsift_slurm_mkdirs(p)) { /* Slurm does not create the log folder: tasks fail silently without it */
        rc = cli_fail("slurm build");
        goto done;
    }
    snprintf(p, sizeof p, "%s/shards", out); /* build creates OUT/shards/I, not its parent */
    if (fsift_slurm_mkdirs(p)) {
        rc = cli_fail("slurm build");
        goto done;
    }
    if ((lock = submit_lock(out)) < 0) {
        rc = CLI_FAIL;
        goto done;
    }
    if (fsift_slurm_jobs_load(out, &jobs) == FSIFT_OK && jobs.n_subs > 0) {
        fprintf(stderr, "facesift slurm build: '%s' already holds a Slurm build (job %s, %d tasks): use 'facesift slurm "
                        "status/resume %s', or another -o\n",
                out, jobs.subs[0].job_id, jobs.tasks, out);
        rc = CLI_FAIL;
        goto done;
    }
    fsift_slurm_jobs_free(&jobs);
    snprintf(p, sizeof p, "%s/slurm/job.sh", out);
    if (fsift_file_write_atomic(p, script, strlen(script)) || chmod(p, 0755)) {
        rc = cli_fail("slurm build: writing job.sh");
        goto done;
    }
    all = malloc((size_t)b.tasks * sizeof *all);
    if (!all) {
        rc = CLI_FAIL;
        goto done;
    }
    for (int t = 0; t < b.tasks; t++) all[t] = t;
    char job[32];
    if (fsift_slurm_submit(p, all, (int)b.tasks, job)) {
        rc = cli_fail("slurm build: submitting");
        goto done;
    }
    jobs.tasks = (int)b.tasks;
    jobs.input_shards = n_shards;
    jobs.max_attempts = (int)b.max_attempts;
    jobs.facesift = strdup(self);
    if (!jobs.facesift || fsift_slurm_jobs_add(&jobs, job, all, (int)b.tasks) || fsift_slurm_jobs_save(out, &jobs)) {
        rc = cli_fail("slurm build: recording the job");
        fprintf(stderr, "facesift slurm build: job %s was submitted; cancel it with scancel %s\n", job, job);
        goto done;
    }
    fsift_slurm_array_list(all, (int)b.tasks, list, sizeof list);
    printf("submitted job %s: array %s (%d input shards over %ld tasks) -> %s/shards; logs %s/slurm/logs\n", job, list,
           n_shards, b.tasks, out, out);
done:
    if (lock >= 0) close(lock);
    free(all);
    fsift_slurm_jobs_free(&jobs);
    free(script);
    free(self);
    free(out);
    free(models);
    build_args_free(&b);
    return rc;
}

/* Loads jobs.json and the task states; prints the table unless quiet. */
static int load_status(const char *out, fsift_slurm_jobs *j, fsift_slurm_task **tasks, int print, int *queue_ok) {
    if (fsift_slurm_jobs_load(out, j)) return cli_fail("slurm");
    *tasks = calloc((size_t)j->tasks, sizeof **tasks);
    char qerr[1024];
    if (!*tasks || fsift_slurm_status(out, j, *tasks, qerr, sizeof qerr)) {
        fsift_slurm_jobs_free(j);
        free(*tasks);
        *tasks = NULL;
        return cli_fail("slurm status");
    }
    if (qerr[0]) fprintf(stderr, "facesift slurm: warning: the queue could not be asked (%s)\n", qerr);
    if (queue_ok) *queue_ok = !qerr[0];
    if (!print) return CLI_OK;
    int count[FSIFT_TASK_STATE_COUNT] = {0};
    printf("%s: %d tasks over %d input shards, %d submission%s (max %d attempts per task)\n", out, j->tasks,
           j->input_shards, j->n_subs, j->n_subs == 1 ? "" : "s", j->max_attempts);
    printf("%-6s %-8s %-7s %-8s %-14s %s\n", "task", "state", "shards", "attempts", "last job", "note / log");
    for (int t = 0; t < j->tasks; t++) {
        fsift_slurm_task *k = &(*tasks)[t];
        count[k->state]++;
        char sh[32];
        snprintf(sh, sizeof sh, "%d/%d", k->shards_done, k->shards_total);
        printf("%-6d %-8s %-7s %-8d %-14s", t, fsift_slurm_state_name(k->state), sh, k->attempts,
               k->last_job[0] ? k->last_job : "-");
        if (k->state == FSIFT_TASK_FAILED || k->state == FSIFT_TASK_MISSING)
            printf(" %s%s%s", k->note, k->log[0] ? "; log " : "", k->log);
        printf("\n");
    }
    printf("summary:");
    for (int s = 0; s < FSIFT_TASK_STATE_COUNT; s++) printf(" %d %s%s", count[s], fsift_slurm_state_name(s), s + 1 < FSIFT_TASK_STATE_COUNT ? "," : "\n");
    if (count[FSIFT_TASK_DONE] == j->tasks) printf("all tasks done: run 'facesift slurm merge %s'\n", out);
    else if (count[FSIFT_TASK_FAILED] + count[FSIFT_TASK_MISSING]) printf("resubmit the failed and missing tasks with 'facesift slurm resume %s'\n", out);
    return CLI_OK;
}

static int slurm_status(const char *out) {
    fsift_slurm_jobs j;
    fsift_slurm_task *tasks = NULL;
    int rc = load_status(out, &j, &tasks, 1, NULL);
    if (rc == CLI_OK) fsift_slurm_jobs_free(&j);
    free(tasks);
    return rc;
}

static int slurm_resume(const char *out, long max_attempts) {
    int lock = submit_lock(out);
    if (lock < 0) return CLI_FAIL;
    fsift_slurm_jobs j;
    fsift_slurm_task *tasks = NULL;
    int queue_ok = 0;
    int rc = load_status(out, &j, &tasks, 0, &queue_ok);
    if (rc) {
        close(lock);
        return rc;
    }
    if (!queue_ok) { /* a task that runs but looks missing would run twice into the same folder */
        fprintf(stderr, "facesift slurm resume: not resubmitting anything while the queue cannot be asked\n");
        free(tasks);
        fsift_slurm_jobs_free(&j);
        close(lock);
        return CLI_FAIL;
    }
    if (max_attempts > 0) j.max_attempts = (int)max_attempts;
    int *redo = malloc((size_t)j.tasks * sizeof *redo), n_redo = 0, n_gave_up = 0, n_busy = 0;
    for (int t = 0; redo && t < j.tasks; t++) {
        fsift_slurm_task *k = &tasks[t];
        if (k->state == FSIFT_TASK_RUNNING || k->state == FSIFT_TASK_PENDING) n_busy++;
        if (k->state != FSIFT_TASK_FAILED && k->state != FSIFT_TASK_MISSING) continue;
        if (k->attempts >= j.max_attempts) {
            n_gave_up++;
            printf("task %d: %s after %d attempt%s (%s), not resubmitted (max %d); log %s\n", t,
                   fsift_slurm_state_name(k->state), k->attempts, k->attempts == 1 ? "" : "s", k->note, j.max_attempts,
                   k->log);
            continue;
        }
        printf("task %d: %s (%s; %d/%d shards done) -> resubmitting, attempt %d of %d\n", t,
               fsift_slurm_state_name(k->state), k->note, k->shards_done, k->shards_total, k->attempts + 1, j.max_attempts);
        redo[n_redo++] = t;
    }
    char script[4200], job[32], list[65536];
    snprintf(script, sizeof script, "%s/slurm/job.sh", out);
    if (!redo) {
        rc = CLI_FAIL;
    } else if (n_redo > 0) {
        fsift_slurm_array_list(redo, n_redo, list, sizeof list);
        if (fsift_slurm_submit(script, redo, n_redo, job)) rc = cli_fail("slurm resume: submitting");
        else if (fsift_slurm_jobs_add(&j, job, redo, n_redo) || fsift_slurm_jobs_save(out, &j))
            rc = cli_fail("slurm resume: recording the job");
        else printf("resubmitted %d task%s as job %s: array %s\n", n_redo, n_redo == 1 ? "" : "s", job, list);
    } else {
        printf("nothing to resubmit: %d task%s running or pending, %d given up\n", n_busy, n_busy == 1 ? "" : "s", n_gave_up);
    }
    if (rc == CLI_OK && n_gave_up) {
        fprintf(stderr, "facesift slurm resume: %d task%s failed %d times and %s given up: read the log%s above, fix the "
                        "cause, then rerun with a higher --max-attempts\n",
                n_gave_up, n_gave_up == 1 ? "" : "s", j.max_attempts, n_gave_up == 1 ? "is" : "are", n_gave_up == 1 ? "" : "s");
        rc = CLI_FAIL;
    }
    free(redo);
    free(tasks);
    fsift_slurm_jobs_free(&j);
    close(lock);
    return rc;
}

static int slurm_merge(const char *out, const char *dest) {
    fsift_slurm_jobs j;
    fsift_slurm_task *tasks = NULL;
    int rc = load_status(out, &j, &tasks, 0, NULL);
    if (rc) return rc;
    int not_done = 0;
    for (int t = 0; t < j.tasks; t++)
        if (tasks[t].state != FSIFT_TASK_DONE) {
            if (!not_done++) fprintf(stderr, "facesift slurm merge: not every task is done:\n");
            fprintf(stderr, "  task %d: %s, %d/%d shards\n", t, fsift_slurm_state_name(tasks[t].state), tasks[t].shards_done,
                    tasks[t].shards_total);
        }
    char def[4200], lock[4200];
    snprintf(def, sizeof def, "%s/merged", out);
    snprintf(lock, sizeof lock, "%s/slurm/merge.lock", out);
    if (!dest) dest = def;
    char **dirs = calloc((size_t)j.tasks, sizeof *dirs);
    if (not_done) {
        fprintf(stderr, "facesift slurm merge: wait for them ('facesift slurm status %s') or resubmit them "
                        "('facesift slurm resume %s')\n", out, out);
        rc = CLI_FAIL;
    } else if (!dirs) {
        rc = CLI_FAIL;
    } else if (fsift_slurm_lock_take(lock)) {
        rc = cli_fail("slurm merge");
    } else {
        for (int t = 0; t < j.tasks && rc == CLI_OK; t++) {
            dirs[t] = malloc(strlen(out) + 32);
            if (!dirs[t]) rc = CLI_FAIL;
            else sprintf(dirs[t], "%s/shards/%d", out, t);
        }
        if (rc == CLI_OK && fsift_merge((const char *const *)dirs, j.tasks, dest)) rc = cli_fail("slurm merge");
        if (rc == CLI_OK) printf("merged %d tasks (%d input shards) -> %s\n", j.tasks, j.input_shards, dest);
        fsift_slurm_lock_release(lock);
    }
    for (int t = 0; dirs && t < j.tasks; t++) free(dirs[t]);
    free(dirs);
    free(tasks);
    fsift_slurm_jobs_free(&j);
    return rc;
}

int cmd_slurm(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        slurm_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *verb = argv[1];
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            slurm_usage(stdout);
            return CLI_OK;
        }
    if (!strcmp(verb, "build")) return slurm_build(argc - 1, argv + 1);
    const char *out = NULL, *dest = NULL;
    long max_attempts = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc && !strcmp(verb, "merge")) {
            dest = argv[++i];
        } else if (!strcmp(argv[i], "--max-attempts") && i + 1 < argc && !strcmp(verb, "resume")) {
            if (parse_pos(argv[++i], 1000, &max_attempts)) {
                fprintf(stderr, "facesift slurm resume: --max-attempts must be 1..1000\n");
                return CLI_USAGE;
            }
        } else if (argv[i][0] == '-' || out) {
            fprintf(stderr, "facesift slurm %s: unexpected '%s' (see --help)\n", verb, argv[i]);
            return CLI_USAGE;
        } else {
            out = argv[i];
        }
    }
    if (strcmp(verb, "status") && strcmp(verb, "resume") && strcmp(verb, "merge")) {
        fprintf(stderr, "facesift slurm: unknown action '%s' (build, status, resume or merge)\n", verb);
        return CLI_USAGE;
    }
    if (!out) {
        fprintf(stderr, "facesift slurm %s: OUT (the folder given to 'slurm build -o') is required\n", verb);
        return CLI_USAGE;
    }
    if (!strcmp(verb, "status")) return slurm_status(out);
    if (!strcmp(verb, "resume")) return slurm_resume(out, max_attempts);
    return slurm_merge(out, dest);
}
