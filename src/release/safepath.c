/*
 * safepath.c — where unpack may write, and small I/O helpers of the release tools.
 *
 * Archive paths are cleaned lexically first (safepath_clean): absolute paths, ".." and
 * control characters are refused, "./" and empty components dropped. The file system is
 * then walked from the destination's directory fd one component at a time with
 * openat(O_NOFOLLOW | O_DIRECTORY), so no symlink — whether it came from the archive or was
 * already on disk — is ever followed on the way to a member. Together with symlink targets
 * that may only point downwards (relative, no "..": safepath_link_ok), nothing unpack
 * creates or follows can lead outside the destination.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "release/release_internal.h"

fsift_status safepath_clean(char *path, int *empty) {
    *empty = 0;
    size_t len = strlen(path);
    if (len > 4095) return fsift_error(FSIFT_E_FORMAT, "member path over 4095 bytes: '%.60s…'", path);
    if (path[0] == '/') return fsift_error(FSIFT_E_FORMAT, "member '%s' has an absolute path (refused)", path);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)path[i] < 32 || path[i] == 127)
            return fsift_error(FSIFT_E_FORMAT, "member path '%.60s' holds a control character (refused)", path);
    char *w = path;
    const char *r = path;
    while (*r) {
        const char *e = strchr(r, '/');
        size_t cl = e ? (size_t)(e - r) : strlen(r);
        if (cl == 0 || (cl == 1 && r[0] == '.')) {
            /* empty or "." component: drop */
        } else if (cl == 2 && r[0] == '.' && r[1] == '.') {
            return fsift_error(FSIFT_E_FORMAT, "member path contains '..' (path traversal refused)");
        } else if (cl > 255) {
            return fsift_error(FSIFT_E_FORMAT, "member path has a component over 255 bytes");
        } else {
            if (w != path) *w++ = '/';
            memmove(w, r, cl);
            w += cl;
        }
        r += cl;
        if (*r == '/') r++;
    }
    *w = 0;
    if (w == path) *empty = 1;
    return FSIFT_OK;
}

int safepath_link_ok(const char *t) {
    if (!t || !*t || t[0] == '/') return 0;
    const char *r = t;
    while (*r) {
        const char *e = strchr(r, '/');
        size_t cl = e ? (size_t)(e - r) : strlen(r);
        if (cl == 2 && r[0] == '.' && r[1] == '.') return 0;
        r += cl;
        if (*r == '/') r++;
    }
    return 1;
}

fsift_status safepath_open_parent(int root_fd, char *rel, int create, int *dir_fd,
                                  const char **leaf) {
    *dir_fd = -1;
    int fd = dup(root_fd);
    if (fd < 0) return fsift_error(FSIFT_E_IO, "dup failed: %s", strerror(errno));
    char *comp = rel;
    for (;;) {
        char *slash = strchr(comp, '/');
        if (!slash) break;
        *slash = 0;
        int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0 && errno == ENOENT && create) {
            if (mkdirat(fd, comp, 0755) != 0 && errno != EEXIST) {
                int e = errno;
                *slash = '/';
                close(fd);
                return fsift_error(FSIFT_E_IO, "cannot create folder for '%s': %s", rel, strerror(e));
            }
            nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        int e = errno;
        *slash = '/';
        close(fd);
        if (nfd < 0) {
            if (e == ELOOP || e == ENOTDIR)
                return fsift_error(FSIFT_E_FORMAT, "'%s' would be written through a symlink or a non-folder (refused)", rel);
            return fsift_error(FSIFT_E_IO, "cannot open the folder of '%s': %s", rel, strerror(e));
        }
        fd = nfd;
        comp = slash + 1;
    }
    *dir_fd = fd;
    *leaf = comp;
    return FSIFT_OK;
}

fsift_status release_write_all(int fd, const void *buf, size_t len, const char *what) {
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return fsift_error(FSIFT_E_IO, "%s: write failed: %s", what, w < 0 ? strerror(errno) : "no progress");
        p += w;
        len -= (size_t)w;
    }
    return FSIFT_OK;
}

int release_threads(int want) {
    if (want > 0) return want > 256 ? 256 : want;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > 256 ? 256 : (int)n);
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void release_names_free(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

fsift_status release_list_dir(const char *dir, const char *suffix, char ***names, size_t *count) {
    *names = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) return fsift_error(FSIFT_E_IO, "cannot open folder '%s': %s", dir, strerror(errno));
    char **v = NULL;
    size_t n = 0, cap = 0, sl = suffix ? strlen(suffix) : 0;
    fsift_status s = FSIFT_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        size_t l = strlen(nm);
        if (!strcmp(nm, ".") || !strcmp(nm, "..") || (suffix && (l <= sl || strcmp(nm + l - sl, suffix)))) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv) { s = fsift_error(FSIFT_E_NOMEM, "out of memory listing '%s'", dir); break; }
            v = nv;
        }
        if (!(v[n] = strdup(nm))) { s = fsift_error(FSIFT_E_NOMEM, "out of memory listing '%s'", dir); break; }
        n++;
    }
    closedir(d);
    if (s) {
        release_names_free(v, n);
        return s;
    }
    if (n) qsort(v, n, sizeof *v, cmp_name);
    *names = v;
    *count = n;
    return FSIFT_OK;
}

double release_thread_cpu_s(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
