/*
 * exec.c — running Slurm's client commands (sbatch, squeue, sacct) without a shell, and the
 * small file-system pieces of the Slurm bookkeeping (mkdir -p, the O_EXCL lock file).
 *
 * fsift_slurm_exec looks the program up on PATH first (so "not installed" is its own clear
 * error), forks, points the child's stdout and stderr at one pipe and reads it with poll()
 * until EOF or the deadline; past the deadline the child is killed (exit code 124). At most
 * 1 MiB of output is kept; the rest is drained and dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "slurm/slurm.h"

#define OUTPUT_CAP ((size_t)1 << 20)

static int on_path(const char *prog, char *full, size_t size) {
    if (strchr(prog, '/')) {
        snprintf(full, size, "%s", prog);
        return access(full, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *c = strchr(path, ':');
        size_t len = c ? (size_t)(c - path) : strlen(path);
        if (len > 0 && (size_t)snprintf(full, size, "%.*s/%s", (int)len, path, prog) < size && access(full, X_OK) == 0)
            return 1;
        path += len + (c ? 1 : 0);
    }
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

fsift_status fsift_slurm_exec(const char *const *argv, int timeout_s, char **output, int *exit_code) {
    char full[4096];
    *output = NULL;
    *exit_code = -1;
    if (!on_path(argv[0], full, sizeof full))
        return fsift_error(FSIFT_E_IO, "'%s' is not on PATH: Slurm's client commands are needed here (Debian: apt-get "
                                       "install slurm-client), or run this on the cluster's login node",
                           argv[0]);
    char *buf = malloc(OUTPUT_CAP + 1);
    if (!buf) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    int fd[2];
    if (pipe2(fd, O_CLOEXEC)) {
        free(buf);
        return fsift_error(FSIFT_E_IO, "pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        free(buf);
        return fsift_error(FSIFT_E_IO, "cannot start '%s': %s", argv[0], strerror(errno));
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        dup2(fd[1], 1);
        dup2(fd[1], 2);
        execv(full, (char *const *)argv);
        _exit(127);
    }
    close(fd[1]);
    size_t n = 0;
    double deadline = now_s() + (timeout_s > 0 ? timeout_s : 60);
    int timed_out = 0;
    for (;;) {
        int left_ms = (int)((deadline - now_s()) * 1000);
        if (left_ms <= 0) {
            timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd p = {fd[0], POLLIN, 0};
        int r = poll(&p, 1, left_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) continue;
        char tmp[8192];
        ssize_t k = read(fd[0], tmp, sizeof tmp);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        size_t keep = (size_t)k < OUTPUT_CAP - n ? (size_t)k : OUTPUT_CAP - n;
        memcpy(buf + n, tmp, keep);
        n += keep;
    }
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    buf[n] = 0;
    *output = buf;
    if (timed_out) *exit_code = 124;
    else if (WIFEXITED(status)) *exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) *exit_code = 128 + WTERMSIG(status);
    return FSIFT_OK;
}

void fsift_slurm_array_list(const int *tasks, int n, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && tasks[j + 1] == tasks[j] + 1) j++;
        int w = j > i ? snprintf(buf + len, size - len, "%s%d-%d", i ? "," : "", tasks[i], tasks[j])
                      : snprintf(buf + len, size - len, "%s%d", i ? "," : "", tasks[i]);
        if (w < 0 || (size_t)w >= size - len) break;
        len += (size_t)w;
        i = j + 1;
    }
}

/* The last non-empty line of s, trimmed, into out. */
static void last_line(const char *s, char *out, size_t size) {
    const char *end = s + strlen(s);
    while (end > s && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r')) end--;
    const char *b = end;
    while (b > s && b[-1] != '\n') b--;
    snprintf(out, size, "%.*s", (int)(end - b), b);
}

fsift_status fsift_slurm_submit(const char *script, const int *tasks, int n, char job_id[32]) {
    char list[65536], arr[65600];
    fsift_slurm_array_list(tasks, n, list, sizeof list);
    snprintf(arr, sizeof arr, "--array=%s", list);
    const char *argv[] = {"sbatch", "--parsable", arr, script, NULL};
    char *out;
    int rc;
    fsift_status s = fsift_slurm_exec(argv, 120, &out, &rc);
    if (s) return s;
    char line[1024];
    last_line(out, line, sizeof line);
    const char *p = line;
    size_t k = 0;
    while (p[k] >= '0' && p[k] <= '9' && k < 31) k++;
    if (rc == 0 && k > 0 && (p[k] == 0 || p[k] == ';')) {
        memcpy(job_id, p, k);
        job_id[k] = 0;
        free(out);
        return FSIFT_OK;
    }
    const char *hint = "";
    if (strstr(out, "contact") || strstr(out, "onnect") || strstr(out, "timed out") || rc == 124)
        hint = " — the Slurm controller (slurmctld) is unreachable: check `scontrol ping`, SLURM_CONF and that "
               "slurmctld runs";
    else if (strstr(out, "artition"))
        hint = " — check --partition against `sinfo -s`";
    else if (strstr(out, "uthentication") || strstr(out, "munge"))
        hint = " — munge authentication failed: is munged running with the cluster's key?";
    s = fsift_error(FSIFT_E_IO, "sbatch %s failed (exit %d): %s%s", arr, rc, out[0] ? line : "(no output)", hint);
    free(out);
    return s;
}

fsift_status fsift_slurm_mkdirs(const char *dir) {
    char p[4096];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) return fsift_error(FSIFT_E_INVALID_ARG, "path too long: %s", dir);
    for (char *c = p + 1;; c++) {
        if (*c == '/' || *c == 0) {
            char keep = *c;
            *c = 0;
            if (mkdir(p, 0777) && errno != EEXIST) return fsift_error(FSIFT_E_IO, "cannot create '%s': %s", p, strerror(errno));
            struct stat st;
            if (stat(p, &st) || !S_ISDIR(st.st_mode)) return fsift_error(FSIFT_E_IO, "'%s' exists and is not a folder", p);
            *c = keep;
            if (!keep) break;
        }
    }
    return FSIFT_OK;
}

fsift_status fsift_slurm_lock_take(const char *path) {
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            char line[512];
            int len = snprintf(line, sizeof line, "%ld %s %ld\n", (long)getpid(), host, (long)time(NULL));
            ssize_t w = write(fd, line, (size_t)len);
            close(fd);
            if (w != len) {
                unlink(path);
                return fsift_error(FSIFT_E_IO, "cannot write the lock file '%s'", path);
            }
            return FSIFT_OK;
        }
        if (errno != EEXIST) return fsift_error(FSIFT_E_IO, "cannot create the lock file '%s': %s", path, strerror(errno));
        long pid = 0, since = 0;
        char owner[256] = "?";
        FILE *f = fopen(path, "r");
        int got = f ? fscanf(f, "%ld %255s %ld", &pid, owner, &since) : 0;
        if (f) fclose(f);
        int stale = got >= 2 && pid > 0 && !strcmp(owner, host) && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
        if (stale && attempt == 0) {
            fsift_log(FSIFT_LOG_WARN, "removing stale lock '%s' (pid %ld on %s is gone)", path, pid, owner);
            unlink(path);
            continue;
        }
        return fsift_error(FSIFT_E_IO,
                           "another merge holds '%s' (pid %ld on %s, since %ld s ago): wait for it to finish, or "
                           "delete the lock if that process is gone",
                           path, pid, owner, got >= 3 ? (long)time(NULL) - since : -1L);
    }
    return fsift_error(FSIFT_E_IO, "cannot take the lock '%s'", path);
}

void fsift_slurm_lock_release(const char *path) { unlink(path); }
