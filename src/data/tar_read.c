/*
 * tar_read.c — streaming tar reader on libarchive: plain, gzip, zstd, bzip2 and xz
 * compressed tar (the filter is sniffed from the bytes). Only regular files are returned;
 * each member is buffered whole (at most max_member_bytes, larger members are skipped and
 * flagged) so that a webdataset sample can be assembled from consecutive members.
 *
 * Errors: a truncated or corrupt archive turns into a negative status naming the member
 * being read; the members returned before stay valid. Not thread-safe: one reader per
 * thread.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/data.h"
#include "facesift/image.h"

struct fsift_tar_reader {
    struct archive *a;
    size_t max_member;
    char *name;
    uint8_t *buf;
    size_t cap;
    int failed;
    char msg[1024];
    char path[512];
};

fsift_status fsift_tar_reader_open(const char *path, size_t max_member_bytes, fsift_tar_reader **out) {
    *out = NULL;
    fsift_tar_reader *r = calloc(1, sizeof *r);
    if (!r) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    r->max_member = max_member_bytes ? max_member_bytes : FSIFT_DEFAULT_MAX_FILE_BYTES;
    snprintf(r->path, sizeof r->path, "%s", path);
    r->a = archive_read_new();
    if (!r->a) {
        free(r);
        return fsift_error(FSIFT_E_NOMEM, "out of memory");
    }
    archive_read_support_filter_all(r->a);
    archive_read_support_format_tar(r->a);
    archive_read_support_format_gnutar(r->a);
    if (archive_read_open_filename(r->a, path, 1 << 16) != ARCHIVE_OK) {
        fsift_status s = fsift_error(FSIFT_E_IO, "cannot open tar '%s': %s", path, archive_error_string(r->a));
        archive_read_free(r->a);
        free(r);
        return s;
    }
    *out = r;
    return FSIFT_OK;
}

int fsift_tar_reader_next(fsift_tar_reader *r, fsift_tar_member *m) {
    memset(m, 0, sizeof *m);
    if (r->failed) return fsift_error(FSIFT_E_FORMAT, "%s", r->msg);
    for (;;) {
        struct archive_entry *e;
        int rc = archive_read_next_header(r->a, &e);
        if (rc == ARCHIVE_EOF) return 0;
        if (rc < ARCHIVE_WARN) {
            r->failed = 1;
            snprintf(r->msg, sizeof r->msg, "tar '%s': %s", r->path, archive_error_string(r->a));
            return fsift_error(FSIFT_E_FORMAT, "%s", r->msg);
        }
        if (archive_entry_filetype(e) != AE_IFREG) continue;
        const char *nm = archive_entry_pathname(e);
        if (!nm) nm = "";
        free(r->name);
        r->name = strdup(nm);
        if (!r->name) return fsift_error(FSIFT_E_NOMEM, "out of memory");
        m->name = r->name;
        la_int64_t sz = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
        if (sz < 0) sz = 0;
        if ((uint64_t)sz > r->max_member) {
            m->oversize = 1;
            m->size = (size_t)sz;
            if (archive_read_data_skip(r->a) != ARCHIVE_OK) {
                r->failed = 1;
                snprintf(r->msg, sizeof r->msg, "tar '%s': member '%s' truncated: %s", r->path, nm,
                         archive_error_string(r->a));
                m->truncated = 1;
                m->oversize = 0;
                return 1;
            }
            return 1;
        }
        size_t need = (size_t)sz + 1;
        if (need > r->cap) {
            uint8_t *nb = realloc(r->buf, need);
            if (!nb) return fsift_error(FSIFT_E_NOMEM, "out of memory for a %lld-byte member", (long long)sz);
            r->buf = nb;
            r->cap = need;
        }
        size_t got = 0;
        while (got < (size_t)sz) {
            la_ssize_t n = archive_read_data(r->a, r->buf + got, (size_t)sz - got);
            if (n < 0 || (n == 0 && got < (size_t)sz)) {
                r->failed = 1;
                snprintf(r->msg, sizeof r->msg, "tar '%s': member '%s' truncated (%zu of %lld bytes): %s", r->path,
                         nm, got, (long long)sz, n < 0 ? archive_error_string(r->a) : "unexpected end of data");
                m->truncated = 1;
                m->size = (size_t)sz;
                return 1;
            }
            got += (size_t)n;
        }
        r->buf[got] = 0;
        m->data = r->buf;
        m->size = got;
        return 1;
    }
}

void fsift_tar_reader_close(fsift_tar_reader *r) {
    if (!r) return;
    archive_read_free(r->a);
    free(r->name);
    free(r->buf);
    free(r);
}
