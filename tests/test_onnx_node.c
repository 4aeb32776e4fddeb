/*
 * test_onnx_node.c — the ONNX backend node-test conformance runner.
 *
 * For every directory under the node test data (Debian libonnx-testdata,
 * /usr/share/libonnx-testdata/data/node, or $FSIFT_ONNX_TESTDATA), it loads model.onnx with
 * the public API, and for each test_data_set_*: reads input_N.pb / output_N.pb with
 * nn_onnx_parse_tensor, runs a one-thread session and compares every output — floats within
 * |a−b| ≤ tol·max(1,|b|) (tol 1e-4; 1e-3 for float16) with NaN matching NaN and infinities
 * matching exactly, integers and bools exactly, shapes and dtypes exactly.
 *
 * Each test is classified:
 *   PASS;
 *   SKIP <reason> when there is no model.onnx, when the model load says FSIFT_E_UNSUPPORTED (an op, attribute or dtype we
 *        do not implement), when a test tensor has a dtype we do not support, or when running
 *        says FSIFT_E_UNSUPPORTED (e.g. a shape input that must be constant) — the reason is
 *        facesift's own message;
 *   FAIL <reason> for a wrong result, any other error, or a crash/timeout;
 *   XFAIL when it fails and is listed in tests/onnx_node_expected_fail.txt ("name reason" per
 *        line, '#' comments); a listed test that passes is reported XPASS.
 * Node tests often feed values that facesift needs at plan time (Reshape's shape, Resize's
 * scales, …) as graph inputs; the session plans such graphs by those inputs' values
 * (src/nn/session.c), so they run as they are.
 * One line per test, then totals ("ran N, passed P, failed F, skipped S") and a histogram of
 * skip reasons (node/value names stripped so that equal causes group together). The exit
 * status is 1 if anything FAILed.
 *
 * Usage: test_onnx_node [FILTER]   — FILTER is a substring of the test names to run.
 * Each test runs in a forked child (set FSIFT_ONNX_NODE_FORK=0 to run in-process) so that a
 * crash or hang in a kernel under development is reported as that test's FAIL instead of
 * ending the run; the child reports through a pipe and is killed after 60 s.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "facesift/core.h"
#include "facesift/nn.h"
#include "nn/exec.h"
#include "nn/onnx/onnx.h"

#define MAX_TENSORS 64
#define MAX_MODEL_BYTES ((size_t)256 << 20)

enum { R_PASS = 0, R_FAIL = 1, R_SKIP = 2 };

typedef struct result {
    int kind;
    char reason[1024];
} result;

static int set_result(result *r, int kind, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int set_result(result *r, int kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    r->kind = kind;
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
    for (char *p = r->reason; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    return kind;
}

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted list of entries of dir (directories only if dirs_only) whose names start with
 * prefix. Caller frees each string and the array. */
static char **list_dir(const char *dir, const char *prefix, int dirs_only, int *count) {
    DIR *d = opendir(dir);
    *count = 0;
    if (!d) return NULL;
    char **v = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix))) continue;
        if (dirs_only) {
            char p[4096];
            struct stat sb;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            if (stat(p, &sb) || !S_ISDIR(sb.st_mode)) continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            char **nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) break;
            v = nv;
        }
        v[n] = strdup(e->d_name);
        if (v[n]) n++;
    }
    closedir(d);
    if (n) qsort(v, (size_t)n, sizeof *v, cmp_str);
    *count = n;
    return v;
}

static void free_list(char **v, int n) {
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* ---- comparison ------------------------------------------------------------------------- */

static double elem_f(const fsift_tensor *t, int64_t i) {
    switch (t->dtype) {
    case FSIFT_DTYPE_FLOAT32: return ((const float *)t->data)[i];
    case FSIFT_DTYPE_FLOAT64: return ((const double *)t->data)[i];
    case FSIFT_DTYPE_FLOAT16: return fsift_f16_to_f32(((const uint16_t *)t->data)[i]);
    default: return 0;
    }
}

static const char *shape_s(const fsift_tensor *t, char *buf, size_t size) {
    size_t n = 0;
    n += (size_t)snprintf(buf + n, size - n, "%s[", fsift_dtype_name(t->dtype));
    for (int i = 0; i < t->rank && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, i ? ",%lld" : "%lld", (long long)t->dims[i]);
    if (n < size) snprintf(buf + n, size - n, "]");
    return buf;
}

/* Returns 1 if got matches want; otherwise writes why into msg. */
static int compare(const fsift_tensor *got, const fsift_tensor *want, char *msg, size_t size) {
    char a[128], b[128];
    int same_shape = got->dtype == want->dtype && got->rank == want->rank;
    for (int i = 0; same_shape && i < want->rank; i++) same_shape = got->dims[i] == want->dims[i];
    if (!same_shape) {
        snprintf(msg, size, "got %s, expected %s", shape_s(got, a, sizeof a),
                 shape_s(want, b, sizeof b));
        return 0;
    }
    int64_t n = fsift_tensor_numel(want);
    if (n < 0) {
        snprintf(msg, size, "bad expected shape");
        return 0;
    }
    if (n > 0 && (!got->data || !want->data)) {
        snprintf(msg, size, "output has no data");
        return 0;
    }
    if (want->dtype == FSIFT_DTYPE_FLOAT32 || want->dtype == FSIFT_DTYPE_FLOAT64 ||
        want->dtype == FSIFT_DTYPE_FLOAT16) {
        double tol = want->dtype == FSIFT_DTYPE_FLOAT16 ? 1e-3 : 1e-4;
        int64_t bad = 0, first = -1;
        double worst = 0;
        for (int64_t i = 0; i < n; i++) {
            double x = elem_f(got, i), y = elem_f(want, i);
            int ok;
            if (isnan(y)) ok = isnan(x);
            else if (isinf(y)) ok = x == y;
            else ok = !isnan(x) && fabs(x - y) <= tol * fmax(1.0, fabs(y));
            if (!ok) {
                double e = isnan(x) || isnan(y) || isinf(x) || isinf(y)
                               ? INFINITY : fabs(x - y) / fmax(1.0, fabs(y));
                if (first < 0) first = i;
                if (e > worst) worst = e;
                bad++;
            }
        }
        if (bad) {
            snprintf(msg, size,
                     "%lld of %lld values differ; first at %lld: got %.9g, expected %.9g; "
                     "worst relative error %.3g", (long long)bad, (long long)n, (long long)first,
                     elem_f(got, first), elem_f(want, first), worst);
            return 0;
        }
        return 1;
    }
    size_t es = fsift_dtype_size(want->dtype);
    if (!es) {
        snprintf(msg, size, "cannot compare dtype %s", fsift_dtype_name(want->dtype));
        return 0;
    }
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *x = (const uint8_t *)got->data + i * (int64_t)es;
        const uint8_t *y = (const uint8_t *)want->data + i * (int64_t)es;
        int ok = want->dtype == FSIFT_DTYPE_BOOL ? (*x != 0) == (*y != 0) : !memcmp(x, y, es);
        if (!ok) {
            int64_t xv = 0, yv = 0;
            switch (want->dtype) {
            case FSIFT_DTYPE_INT8: xv = *(const int8_t *)x, yv = *(const int8_t *)y; break;
            case FSIFT_DTYPE_UINT8: case FSIFT_DTYPE_BOOL: xv = *x, yv = *y; break;
            case FSIFT_DTYPE_INT16: xv = *(const int16_t *)x, yv = *(const int16_t *)y; break;
            case FSIFT_DTYPE_UINT16: xv = *(const uint16_t *)x, yv = *(const uint16_t *)y; break;
            case FSIFT_DTYPE_INT32: xv = *(const int32_t *)x, yv = *(const int32_t *)y; break;
            case FSIFT_DTYPE_UINT32: xv = *(const uint32_t *)x, yv = *(const uint32_t *)y; break;
            default: memcpy(&xv, x, 8), memcpy(&yv, y, 8); break;
            }
            snprintf(msg, size, "value %lld of %lld differs: got %lld, expected %lld",
                     (long long)i, (long long)n, (long long)xv, (long long)yv);
            return 0;
        }
    }
    return 1;
}

/* ---- one test ----------------------------------------------------------------------------- */

typedef struct tensors {
    fsift_tensor t[MAX_TENSORS];
    int n;
} tensors;

static void tensors_free(tensors *ts) {
    for (int i = 0; i < ts->n; i++) free(ts->t[i].data);
    ts->n = 0;
}

/* Reads PREFIX_0.pb, PREFIX_1.pb, … from dir. Returns R_PASS, or the result kind. */
static int read_tensors(const char *dir, const char *prefix, tensors *ts, result *r) {
    ts->n = 0;
    for (int i = 0;; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s_%d.pb", dir, prefix, i);
        if (!file_exists(path)) break;
        if (i >= MAX_TENSORS) return set_result(r, R_FAIL, "more than %d %s files", MAX_TENSORS, prefix);
        void *buf;
        size_t size;
        fsift_status st = fsift_file_read(path, MAX_MODEL_BYTES, &buf, &size);
        if (st) return set_result(r, R_FAIL, "reading %s: %s", path, fsift_last_error());
        st = nn_onnx_parse_tensor(buf, size, &ts->t[i], NULL);
        free(buf);
        if (st == FSIFT_E_UNSUPPORTED) return set_result(r, R_SKIP, "%s", fsift_last_error());
        if (st)
            return set_result(r, R_FAIL, "parsing %s_%d.pb: %s: %s", prefix, i,
                              fsift_status_str(st), fsift_last_error());
        ts->n = i + 1;
    }
    return R_PASS;
}

/* Runs in[0..n_in) through s and compares the outputs with want. */
static int run_once(fsift_session *s, const fsift_tensor *in, int n_in, const tensors *want,
                    result *r) {
    fsift_status st = fsift_session_run(s, in, n_in);
    if (st == FSIFT_E_UNSUPPORTED) return set_result(r, R_SKIP, "run: %s", fsift_last_error());
    if (st) return set_result(r, R_FAIL, "run: %s: %s", fsift_status_str(st), fsift_last_error());
    for (int i = 0; i < want->n; i++) {
        fsift_tensor got;
        char msg[512];
        if ((st = fsift_session_output(s, i, &got)))
            return set_result(r, R_FAIL, "output %d: %s", i, fsift_last_error());
        if (!compare(&got, &want->t[i], msg, sizeof msg))
            return set_result(r, R_FAIL, "output %d: %s", i, msg);
    }
    return set_result(r, R_PASS, "%s", "");
}

static int run_data_set(fsift_session *s, const fsift_model *m,
                        const char *dir, result *r) {
    tensors in = {0}, want = {0};
    int k = read_tensors(dir, "input", &in, r);
    if (k == R_PASS) k = read_tensors(dir, "output", &want, r);
    if (k != R_PASS) goto done;
    if (in.n != fsift_model_num_inputs(m)) {
        k = set_result(r, R_FAIL, "test has %d inputs, the model %d", in.n,
                       fsift_model_num_inputs(m));
        goto done;
    }
    if (want.n != fsift_model_num_outputs(m)) {
        k = set_result(r, R_FAIL, "test has %d outputs, the model %d", want.n,
                       fsift_model_num_outputs(m));
        goto done;
    }
    for (int i = 0; i < in.n; i++) {
        fsift_io_info info;
        if (fsift_model_input(m, i, &info) == FSIFT_OK && info.dtype != in.t[i].dtype) {
            k = set_result(r, R_FAIL, "input %d is %s, the model wants %s", i,
                           fsift_dtype_name(in.t[i].dtype), fsift_dtype_name(info.dtype));
            goto done;
        }
    }
    k = run_once(s, in.t, in.n, &want, r);
done:
    tensors_free(&in);
    tensors_free(&want);
    return k;
}

static int run_test(const char *dir, result *r) {
    char path[4096];
    void *buf = NULL;
    size_t size;
    fsift_model *m = NULL;
    fsift_session *s = NULL;
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    if (!file_exists(path)) return set_result(r, R_SKIP, "no model.onnx (a download-only test)");
    fsift_status st = fsift_file_read(path, MAX_MODEL_BYTES, &buf, &size);
    if (st) return set_result(r, R_FAIL, "reading model.onnx: %s", fsift_last_error());
    st = fsift_model_load_memory(buf, size, FSIFT_MODEL_ONNX, dir, &m);
    if (st) {
        free(buf);
        if (st == FSIFT_E_UNSUPPORTED) return set_result(r, R_SKIP, "%s", fsift_last_error());
        return set_result(r, R_FAIL, "load: %s: %s", fsift_status_str(st), fsift_last_error());
    }
    int k;
    if ((st = fsift_session_new(m, 1, &s))) {
        k = set_result(r, R_FAIL, "session: %s", fsift_last_error());
    } else {
        int n;
        char **sets = list_dir(dir, "test_data_set_", 1, &n);
        k = n ? R_PASS : set_result(r, R_FAIL, "no test_data_set_* folders");
        for (int i = 0; i < n && k == R_PASS; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, sets[i]);
            k = run_data_set(s, m, path, r);
            if (k == R_FAIL) {
                char tmp[sizeof r->reason + 300];
                snprintf(tmp, sizeof tmp, "%s: %s", sets[i], r->reason);
                size_t l = strlen(tmp);
                if (l >= sizeof r->reason) l = sizeof r->reason - 1;
                memcpy(r->reason, tmp, l);
                r->reason[l] = 0;
            }
        }
        free_list(sets, n);
    }
    fsift_session_free(s);
    fsift_model_free(m);
    free(buf);
    return k;
}

/* Runs run_test in a child process; a crash or timeout becomes a FAIL. */
static int run_test_forked(const char *dir, result *r) {
    int fds[2];
    if (pipe(fds)) return run_test(dir, r);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return run_test(dir, r);
    }
    if (pid == 0) {
        close(fds[0]);
        alarm(60);
        result cr;
        memset(&cr, 0, sizeof cr);
        run_test(dir, &cr);
        size_t left = sizeof cr;
        const char *p = (const char *)&cr;
        while (left) {
            ssize_t w = write(fds[1], p, left);
            if (w <= 0) break;
            p += w;
            left -= (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    result cr;
    size_t got = 0;
    while (got < sizeof cr) {
        ssize_t k = read(fds[0], (char *)&cr + got, sizeof cr - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got == sizeof cr) {
        *r = cr;
        r->reason[sizeof r->reason - 1] = 0;
        return r->kind;
    }
    if (WIFSIGNALED(status))
        return set_result(r, R_FAIL, "%s (signal %d)",
                          WTERMSIG(status) == SIGALRM ? "timed out" : "crashed", WTERMSIG(status));
    return set_result(r, R_FAIL, "test process exited with status %d", WEXITSTATUS(status));
}

/* ---- expected failures and skip histogram ------------------------------------------------- */

typedef struct xfail {
    char name[256];
    int seen;
} xfail;

static xfail *load_xfail(int *count) {
    char path[4096];
    const char *src = getenv("FSIFT_SOURCE_DIR");
    if (src && *src) {
        snprintf(path, sizeof path, "%s/tests/onnx_node_expected_fail.txt", src);
    } else { /* next to this source file */
        snprintf(path, sizeof path, "%s", __FILE__);
        char *slash = strrchr(path, '/');
        if (slash) snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path),
                            "onnx_node_expected_fail.txt");
        else snprintf(path, sizeof path, "onnx_node_expected_fail.txt");
    }
    *count = 0;
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    xfail *v = NULL;
    int n = 0, cap = 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char name[256];
        if (line[0] == '#' || sscanf(line, "%255s", name) != 1) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            xfail *nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) break;
            v = nv;
        }
        snprintf(v[n].name, sizeof v[n].name, "%s", name);
        v[n].seen = 0;
        n++;
    }
    fclose(f);
    *count = n;
    return v;
}

/* Groups equal causes: keeps op names of "unsupported operator" messages, reduces dtype
 * messages to the dtype, and blanks every other quoted name (node, value, file names). */
static void reason_key(const char *reason, char *key, size_t size) {
    const char *p;
    if ((p = strstr(reason, "unsupported operator"))) {
        snprintf(key, size, "%s", p);
        return;
    }
    if ((p = strstr(reason, "dtype ")) && strstr(p, "not supported")) {
        char dt[64];
        if (sscanf(p + 6, "%63[a-z0-9]", dt) == 1) {
            snprintf(key, size, "dtype %s not supported", dt);
            return;
        }
    }
    size_t n = 0;
    int in_quote = 0, keep = 0;
    for (p = reason; *p && n + 2 < size; p++) {
        if (*p == '\'') {
            /* an op name ("op 'If' …") is the cause; other names are incidental */
            keep = !in_quote && p - reason >= 3 && !strncmp(p - 3, "op ", 3);
            key[n++] = '\'';
            if (!in_quote && !keep) key[n++] = '*';
            in_quote = !in_quote;
        } else if (!in_quote || keep) {
            key[n++] = *p;
        }
    }
    key[n] = 0;
}

typedef struct hist {
    char key[256];
    int count;
} hist;

static int cmp_hist(const void *a, const void *b) {
    const hist *x = a, *y = b;
    if (x->count != y->count) return y->count - x->count;
    return strcmp(x->key, y->key);
}

int main(int argc, char **argv) {
    const char *root = getenv("FSIFT_ONNX_TESTDATA");
    if (!root || !*root) root = "/usr/share/libonnx-testdata/data/node";
    const char *filter = argc > 1 ? argv[1] : NULL;
    const char *fork_env = getenv("FSIFT_ONNX_NODE_FORK");
    int use_fork = !(fork_env && !strcmp(fork_env, "0"));
    int n;
    char **names = list_dir(root, "test_", 1, &n);
    if (!n) {
        printf("SKIP: no ONNX node tests under %s (install libonnx-testdata or set "
               "FSIFT_ONNX_TESTDATA)\n", root);
        return 0;
    }
    int n_x;
    xfail *xf = load_xfail(&n_x);
    hist *h = calloc((size_t)n + 1, sizeof *h);
    int n_h = 0, ran = 0, passed = 0, failed = 0, skipped = 0, xfailed = 0, xpassed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < n; i++) {
        if (filter && !strstr(names[i], filter)) continue;
        char dir[4096];
        result r;
        memset(&r, 0, sizeof r);
        snprintf(dir, sizeof dir, "%s/%s", root, names[i]);
        int k = use_fork ? run_test_forked(dir, &r) : run_test(dir, &r);
        xfail *x = NULL;
        for (int j = 0; j < n_x; j++)
            if (!strcmp(xf[j].name, names[i])) x = &xf[j];
        if (x) x->seen = 1;
        ran++;
        if (k == R_PASS) {
            passed++;
            if (x) {
                xpassed++;
                printf("%-64s XPASS (listed in onnx_node_expected_fail.txt: remove it)\n", names[i]);
            } else {
                printf("%-64s PASS\n", names[i]);
            }
        } else if (k == R_SKIP) {
            skipped++;
            printf("%-64s SKIP %s\n", names[i], r.reason);
            char key[256];
            reason_key(r.reason, key, sizeof key);
            int j = 0;
            while (j < n_h && strcmp(h[j].key, key)) j++;
            if (j == n_h) {
                snprintf(h[n_h].key, sizeof h[n_h].key, "%s", key);
                n_h++;
            }
            h[j].count++;
        } else if (x) {
            xfailed++;
            printf("%-64s XFAIL %s\n", names[i], r.reason);
        } else {
            failed++;
            printf("%-64s FAIL %s\n", names[i], r.reason);
        }
    }
    printf("\nran %d, passed %d, failed %d, skipped %d", ran, passed, failed, skipped);
    if (xfailed || xpassed) printf(" (expected failures: %d, unexpected passes: %d)", xfailed, xpassed);
    printf("\n");
    if (n_h) {
        qsort(h, (size_t)n_h, sizeof *h, cmp_hist);
        printf("skip reasons:\n");
        for (int j = 0; j < n_h; j++) printf("%6d  %s\n", h[j].count, h[j].key);
    }
    for (int j = 0; j < n_x && !filter; j++)
        if (!xf[j].seen)
            printf("note: '%s' in onnx_node_expected_fail.txt is not a test here\n", xf[j].name);
    free(h);
    free(xf);
    free_list(names, n);
    return failed ? 1 : 0;
}
