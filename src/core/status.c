/*
 * status.c — status names, the thread-local error detail message, and logging.
 *
 * The detail message lives in a fixed thread-local buffer (no allocation, so it works when
 * memory is exhausted); longer messages are truncated. Logging writes one line per call to
 * stderr under a mutex so lines from different threads never interleave.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "facesift/core.h"

#define ERR_CAP 1024
static _Thread_local char err_buf[ERR_CAP];

const char *fsift_status_str(fsift_status s) {
    switch (s) {
    case FSIFT_OK: return "ok";
    case FSIFT_E_INVALID_ARG: return "invalid argument";
    case FSIFT_E_NOMEM: return "out of memory";
    case FSIFT_E_IO: return "i/o error";
    case FSIFT_E_FORMAT: return "format error";
    case FSIFT_E_UNSUPPORTED: return "unsupported";
    case FSIFT_E_LIMIT: return "limit exceeded";
    case FSIFT_E_SHAPE: return "shape error";
    case FSIFT_E_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char *fsift_last_error(void) { return err_buf; }

void fsift_clear_error(void) { err_buf[0] = 0; }

fsift_status fsift_verror(fsift_status s, const char *fmt, va_list ap) {
    vsnprintf(err_buf, sizeof err_buf, fmt, ap);
    return s;
}

fsift_status fsift_error(fsift_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fsift_verror(s, fmt, ap);
    va_end(ap);
    return s;
}

void fsift_error_prefix(const char *fmt, ...) {
    char prefix[256], old[ERR_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err_buf, sizeof old);
    size_t pl = strlen(prefix), ol = strlen(old);
    if (pl > ERR_CAP - 3) pl = ERR_CAP - 3;
    memcpy(err_buf, prefix, pl);
    memcpy(err_buf + pl, ": ", 2);
    if (ol > ERR_CAP - 1 - pl - 2) ol = ERR_CAP - 1 - pl - 2;
    memcpy(err_buf + pl + 2, old, ol);
    err_buf[pl + 2 + ol] = 0;
}

void fsift_assert_fail(const char *cond, const char *file, int line) {
    fprintf(stderr, "facesift: internal invariant violated: %s (%s:%d)\n", cond, file, line);
    abort();
}

/* ---- logging ---- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static int log_level = FSIFT_LOG_INFO;

static void log_init(void) {
    const char *e = getenv("FSIFT_LOG");
    if (!e) return;
    if (!strcasecmp(e, "error")) log_level = FSIFT_LOG_ERROR;
    else if (!strcasecmp(e, "warn")) log_level = FSIFT_LOG_WARN;
    else if (!strcasecmp(e, "info")) log_level = FSIFT_LOG_INFO;
    else if (!strcasecmp(e, "debug")) log_level = FSIFT_LOG_DEBUG;
}

void fsift_log_set_level(fsift_log_level level) {
    pthread_once(&log_once, log_init);
    log_level = (int)level;
}

void fsift_log(fsift_log_level level, const char *fmt, ...) {
    static const char *names[] = {"error", "warn", "info", "debug"};
    pthread_once(&log_once, log_init);
    if ((int)level > log_level) return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&log_mu);
    fprintf(stderr, "facesift %s: %s\n", names[level < 4 ? level : 3], line);
    pthread_mutex_unlock(&log_mu);
}
