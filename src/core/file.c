/*
 * file.c — whole-file reads with a size limit, and atomic writes.
 *
 * Atomic write: the bytes go to a temporary name in the same folder ("path.tmp.<pid>.<seq>"),
 * are fsync'd, and the file is renamed over the destination, so a reader sees either the old
 * file or the complete new one, never a partial file, even after kill -9 or power loss.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "facesift/core.h"

fsift_status fsift_file_read(const char *path, size_t max_bytes, void **data, size_t *size) {
    *data = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fsift_error(FSIFT_E_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fsift_error(FSIFT_E_IO, "'%s' is not a regular file", path);
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        close(fd);
        return fsift_error(FSIFT_E_LIMIT, "'%s' is %lld bytes, over the limit of %zu", path,
                           (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        close(fd);
        return fsift_error(FSIFT_E_NOMEM, "out of memory reading '%s' (%zu bytes)", path, n);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got != n) {
        free(buf);
        return fsift_error(FSIFT_E_IO, "short read on '%s'", path);
    }
    buf[n] = 0;
    *data = buf;
    *size = n;
    return FSIFT_OK;
}

static atomic_uint tmp_seq;

fsift_status fsift_file_write_atomic(const char *path, const void *data, size_t size) {
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 64);
    if (!tmp) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    snprintf(tmp, plen + 64, "%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&tmp_seq, 1));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fsift_status s = fsift_error(FSIFT_E_IO, "cannot create '%s': %s", tmp, strerror(errno));
        free(tmp);
        return s;
    }
    const char *p = data;
    size_t left = size;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            fsift_status s = fsift_error(FSIFT_E_IO, "write to '%s' failed: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            free(tmp);
            return s;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fsift_status s = fsift_error(FSIFT_E_IO, "cannot flush '%s': %s", tmp, strerror(errno));
        unlink(tmp);
        free(tmp);
        return s;
    }
    if (rename(tmp, path) != 0) {
        fsift_status s = fsift_error(FSIFT_E_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return s;
    }
    free(tmp);
    return FSIFT_OK;
}
