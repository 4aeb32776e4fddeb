/*
 * tar_write.c — a small deterministic ustar writer for webdataset output shards.
 *
 * Every member gets mode 0644, uid/gid 0, empty user and group names, mtime 0 and type '0',
 * so the bytes of a shard depend only on the member names and contents in call order. Names
 * longer than 100 bytes use the ustar prefix field (split at a '/'); a name that cannot be
 * split is an error (webdataset keys are short). The archive ends with two zero blocks and is
 * padded to a 10240-byte record as GNU tar and Python's tarfile do.
 *
 * Atomicity: the archive goes to "PATH.tmp.<pid>" and is fsync'd and renamed onto PATH by
 * fsift_tar_writer_commit; a process killed before that leaves only the temporary file,
 * which `facesift build` deletes when it resumes. One writer per thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "facesift/data.h"

struct fsift_tar_writer {
    FILE *f;
    char *path, *tmp;
    uint64_t written;
    int failed;
};

fsift_status fsift_tar_writer_open(const char *path, fsift_tar_writer **out) {
    *out = NULL;
    fsift_tar_writer *w = calloc(1, sizeof *w);
    size_t n = strlen(path) + 40;
    if (!w || !(w->path = strdup(path)) || !(w->tmp = malloc(n))) {
        if (w) free(w->path);
        free(w);
        return fsift_error(FSIFT_E_NOMEM, "out of memory");
    }
    snprintf(w->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    w->f = fopen(w->tmp, "wb");
    if (!w->f) {
        fsift_status s = fsift_error(FSIFT_E_IO, "cannot create '%s': %s", w->tmp, strerror(errno));
        free(w->tmp);
        free(w->path);
        free(w);
        return s;
    }
    *out = w;
    return FSIFT_OK;
}

static void put_octal(char *field, size_t width, uint64_t v) {
    /* width-1 octal digits, zero padded, then NUL */
    field[width - 1] = 0;
    for (size_t i = width - 1; i-- > 0;) {
        field[i] = (char)('0' + (v & 7));
        v >>= 3;
    }
}

static fsift_status w_write(fsift_tar_writer *w, const void *p, size_t n) {
    if (n && fwrite(p, 1, n, w->f) != n) {
        w->failed = 1;
        return fsift_error(FSIFT_E_IO, "write to '%s' failed: %s", w->tmp, strerror(errno));
    }
    w->written += n;
    return FSIFT_OK;
}

fsift_status fsift_tar_writer_add(fsift_tar_writer *w, const char *name, const void *data, size_t size) {
    if (w->failed) return fsift_error(FSIFT_E_IO, "tar '%s': an earlier write failed", w->tmp);
    char h[512];
    memset(h, 0, sizeof h);
    size_t nl = strlen(name);
    if (nl == 0) return fsift_error(FSIFT_E_INVALID_ARG, "tar: empty member name");
    if (nl <= 100) {
        memcpy(h, name, nl);
    } else {
        /* split into prefix (<= 155) '/' name (<= 100) */
        const char *cut = NULL;
        for (const char *p = name + nl - 1; p > name; p--)
            if (*p == '/' && (size_t)(p - name) <= 155 && (size_t)(name + nl - p - 1) <= 100) {
                cut = p;
                break;
            }
        if (!cut || cut == name + nl - 1)
            return fsift_error(FSIFT_E_LIMIT, "tar: member name too long for ustar: '%.60s...'", name);
        memcpy(h + 345, name, (size_t)(cut - name));
        memcpy(h, cut + 1, nl - (size_t)(cut - name) - 1);
    }
    if ((uint64_t)size >= (1ull << 33)) return fsift_error(FSIFT_E_LIMIT, "tar: member '%s' over 8 GiB", name);
    put_octal(h + 100, 8, 0644);
    put_octal(h + 108, 8, 0);
    put_octal(h + 116, 8, 0);
    put_octal(h + 124, 12, size);
    put_octal(h + 136, 12, 0);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6); /* magic "ustar\0" */
    memcpy(h + 263, "00", 2);
    put_octal(h + 329, 8, 0); /* devmajor */
    put_octal(h + 337, 8, 0); /* devminor */
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += (unsigned char)h[i];
    put_octal(h + 148, 7, sum); /* 6 digits, NUL, then the space already there */
    h[155] = ' ';
    fsift_status s = w_write(w, h, 512);
    if (!s) s = w_write(w, data, size);
    static const char zeros[512];
    if (!s && size % 512) s = w_write(w, zeros, 512 - size % 512);
    return s;
}

fsift_status fsift_tar_writer_commit(fsift_tar_writer *w) {
    static const char zeros[512];
    fsift_status s = w->failed ? fsift_error(FSIFT_E_IO, "tar '%s': an earlier write failed", w->tmp) : FSIFT_OK;
    if (!s) s = w_write(w, zeros, 512);
    if (!s) s = w_write(w, zeros, 512);
    while (!s && w->written % 10240) s = w_write(w, zeros, 512);
    if (!s && (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0))
        s = fsift_error(FSIFT_E_IO, "cannot flush '%s': %s", w->tmp, strerror(errno));
    if (fclose(w->f) != 0 && !s) s = fsift_error(FSIFT_E_IO, "cannot close '%s': %s", w->tmp, strerror(errno));
    w->f = NULL;
    if (!s && rename(w->tmp, w->path) != 0)
        s = fsift_error(FSIFT_E_IO, "cannot rename '%s' to '%s': %s", w->tmp, w->path, strerror(errno));
    if (s) unlink(w->tmp);
    free(w->tmp);
    free(w->path);
    free(w);
    return s;
}

void fsift_tar_writer_abort(fsift_tar_writer *w) {
    if (!w) return;
    if (w->f) fclose(w->f);
    unlink(w->tmp);
    free(w->tmp);
    free(w->path);
    free(w);
}
