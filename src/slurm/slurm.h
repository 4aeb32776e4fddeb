/*
 * slurm/slurm.h — the bookkeeping behind `facesift slurm build|status|resume|merge` (internal
 * to the library and the CLI; see docs/cluster.md).
 *
 * A Slurm build of OUT with N tasks is:
 *   OUT/slurm/job.sh          the sbatch array script: task I runs `facesift build --shard I/N`
 *                             into OUT/shards/I, then records its exit status (below)
 *   OUT/slurm/jobs.json       tasks, input shard count, attempt cap, every submission (job id +
 *                             the task indices it covered, UTC time); rewritten atomically
 *   OUT/slurm/logs/J_I.out    the log of task I in job J (one file per attempt)
 *   OUT/slurm/exit/J_I        task I of job J finished with this exit status (written by
 *                             job.sh after facesift returns; absent when the task was killed)
 *   OUT/shards/I/             task I's build output; NNNNN_stats.json marks shard NNNNN done
 *
 * A task's state comes, in this order, from: its stats files (all present: done), the queue
 * (squeue: running / pending), its last attempt's exit file (non-zero: failed), sacct when
 * the cluster keeps accounting (FAILED, TIMEOUT, ...: failed), else missing (never submitted,
 * or submitted and gone without a result: cancelled, killed, node lost).
 *
 * Slurm commands run through fsift_slurm_exec (fork + exec, no shell, output captured and
 * bounded, a deadline). Nothing here is thread-safe; the CLI calls it from one thread.
 */
#ifndef FSIFT_SLURM_H
#define FSIFT_SLURM_H

#include <stddef.h>

#include "facesift/core.h"

#define FSIFT_SLURM_MAX_TASKS 100000

typedef struct fsift_slurm_submission {
    char job_id[32];  /* the array job id sbatch printed */
    int *tasks;       /* task indices in this array (owned) */
    int n_tasks;
    char time[32];    /* UTC, 2026-01-02T03:04:05Z */
} fsift_slurm_submission;

typedef struct fsift_slurm_jobs {
    int tasks;             /* N: the array covers 0..N-1 */
    int input_shards;      /* input shards the inputs expanded to at submission */
    int max_attempts;      /* resume gives up on a task after this many submissions */
    char *facesift;        /* absolute path of the facesift binary the tasks run (owned) */
    fsift_slurm_submission *subs;  /* owned, in submission order */
    int n_subs;
} fsift_slurm_jobs;

/* OUT/slurm/jobs.json. load fails with FSIFT_E_IO naming the file when it is absent. */
fsift_status fsift_slurm_jobs_load(const char *out_dir, fsift_slurm_jobs *j);
fsift_status fsift_slurm_jobs_save(const char *out_dir, const fsift_slurm_jobs *j);
/* Appends a submission (copies tasks). */
fsift_status fsift_slurm_jobs_add(fsift_slurm_jobs *j, const char *job_id, const int *tasks, int n);
void fsift_slurm_jobs_free(fsift_slurm_jobs *j);

typedef struct fsift_slurm_script_opts {
    const char *facesift;        /* absolute path of the binary */
    const char *out_dir;         /* absolute */
    const char *const *args;     /* inputs and build flags, passed on verbatim (borrowed) */
    int n_args;
    int tasks;
    const char *partition, *time_limit, *mem; /* NULL: not requested */
    int cpus_per_task;           /* 0: not requested */
    const char *models_dir;      /* exported as FSIFT_MODELS_DIR, or NULL */
} fsift_slurm_script_opts;

/* The array script's text (caller frees). Fails on arguments that cannot be quoted safely
 * (a newline in a path). */
fsift_status fsift_slurm_script(const fsift_slurm_script_opts *o, char **text);

/* Runs argv[0] (looked up on PATH) with argv, no shell; *output receives stdout and stderr
 * together (at most 1 MiB kept, NUL-terminated, caller frees) and *exit_code its exit
 * status (128 + signal when killed; 124 after timeout_s, when it is killed). Fails with
 * FSIFT_E_IO when the program is not on PATH or cannot be started. */
fsift_status fsift_slurm_exec(const char *const *argv, int timeout_s, char **output, int *exit_code);

/* `sbatch --parsable --array=LIST script`; job_id receives the new array job's id. On
 * failure the message names sbatch, its output and the likely cause (controller
 * unreachable, no such partition, ...). */
fsift_status fsift_slurm_submit(const char *script, const int *tasks, int n, char job_id[32]);

/* "0-7" / "3,5,9-11": the compact --array list of sorted, distinct indices. */
void fsift_slurm_array_list(const int *tasks, int n, char *buf, size_t size);

typedef enum fsift_slurm_state {
    FSIFT_TASK_DONE = 0,
    FSIFT_TASK_RUNNING,
    FSIFT_TASK_PENDING,
    FSIFT_TASK_FAILED,
    FSIFT_TASK_MISSING,
    FSIFT_TASK_STATE_COUNT
} fsift_slurm_state;

/* "done", "running", "pending", "failed", "missing". */
const char *fsift_slurm_state_name(int state);

typedef struct fsift_slurm_task {
    int state;                 /* fsift_slurm_state */
    int shards_done, shards_total;
    int attempts;              /* submissions that included this task */
    char last_job[48];         /* "12_3": the last attempt, or "" */
    char log[4200];            /* that attempt's log file, or "" */
    char note[256];            /* why failed/missing: "exit 137", "TIMEOUT", ... */
} fsift_slurm_task;

/* Fills tasks[0..j->tasks-1]. The queue is asked with squeue (and sacct when it works);
 * when squeue fails, *queue_error receives why (size bytes) and tasks that are not done
 * are classified from their exit files alone (so a running task may look missing). */
fsift_status fsift_slurm_status(const char *out_dir, const fsift_slurm_jobs *j, fsift_slurm_task *tasks,
                                char *queue_error, size_t size);

/* An exclusive lock file created with O_EXCL holding "pid host time". When it exists and
 * its owner is a dead process on this host, it is stale and taken over; otherwise
 * FSIFT_E_IO with a message naming the owner and the file. */
fsift_status fsift_slurm_lock_take(const char *path);
void fsift_slurm_lock_release(const char *path);

/* mkdir -p */
fsift_status fsift_slurm_mkdirs(const char *dir);

#endif
