/*
 * rows_stream.c — fsift_instream: a file, stdin ("-") or a memory buffer read in large
 * blocks, with gzip and zstd decompression chosen by the first bytes (1f 8b: gzip, through
 * zlib's inflate with multi-member support; 28 b5 2f fd: zstd, through ZSTD_decompressStream,
 * several frames in a row allowed). Anything else passes through unchanged. The raw side
 * keeps one 256 KiB buffer; nothing else grows with the input. One thread per stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "facesift/data.h"

#define RAW_CAP (256u << 10)

enum { CODEC_NONE, CODEC_GZIP, CODEC_ZSTD };

struct fsift_instream {
    int fd;            /* -1 for memory */
    int own_fd;
    const unsigned char *mem;
    size_t mem_size, mem_pos;
    unsigned char *raw; /* compressed input buffer (RAW_CAP) */
    size_t raw_pos, raw_len;
    int eof;           /* raw side exhausted */
    int codec;
    z_stream z;
    int z_init, z_end; /* z_end: the current gzip member ended */
    ZSTD_DStream *zs;
    int zs_mid;        /* inside a zstd frame */
    char name[256];
};

/* Refills the raw buffer (keeping unread bytes). */
static fsift_status raw_fill(fsift_instream *s) {
    if (s->raw_pos > 0 && s->raw_pos < s->raw_len) memmove(s->raw, s->raw + s->raw_pos, s->raw_len - s->raw_pos);
    s->raw_len -= s->raw_pos;
    s->raw_pos = 0;
    while (!s->eof && s->raw_len < RAW_CAP) {
        if (s->fd < 0) {
            size_t n = s->mem_size - s->mem_pos;
            if (n > RAW_CAP - s->raw_len) n = RAW_CAP - s->raw_len;
            memcpy(s->raw + s->raw_len, s->mem + s->mem_pos, n);
            s->mem_pos += n;
            s->raw_len += n;
            if (s->mem_pos == s->mem_size) s->eof = 1;
            break;
        }
        ssize_t n = read(s->fd, s->raw + s->raw_len, RAW_CAP - s->raw_len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fsift_error(FSIFT_E_IO, "%s: read failed: %s", s->name, strerror(errno));
        }
        if (n == 0) {
            s->eof = 1;
            break;
        }
        s->raw_len += (size_t)n;
        break; /* return what a read gave: pipes deliver data in pieces */
    }
    return FSIFT_OK;
}

static void sniff(fsift_instream *s) {
    const unsigned char *p = s->raw;
    if (s->raw_len >= 2 && p[0] == 0x1f && p[1] == 0x8b) s->codec = CODEC_GZIP;
    else if (s->raw_len >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) s->codec = CODEC_ZSTD;
    else s->codec = CODEC_NONE;
}

static fsift_status finish_open(fsift_instream *s, fsift_instream **out) {
    s->raw = malloc(RAW_CAP);
    if (!s->raw) {
        fsift_instream_close(s);
        return fsift_error(FSIFT_E_NOMEM, "instream: out of memory");
    }
    /* Enough bytes for the magic (a pipe may deliver fewer at first). */
    while (!s->eof && s->raw_len < 4) {
        fsift_status st = raw_fill(s);
        if (st) {
            fsift_instream_close(s);
            return st;
        }
    }
    sniff(s);
    if (s->codec == CODEC_GZIP) {
        if (inflateInit2(&s->z, 15 + 16) != Z_OK) {
            fsift_instream_close(s);
            return fsift_error(FSIFT_E_NOMEM, "%s: cannot start gzip", s->name);
        }
        s->z_init = 1;
    } else if (s->codec == CODEC_ZSTD) {
        s->zs = ZSTD_createDStream();
        if (!s->zs || ZSTD_isError(ZSTD_initDStream(s->zs))) {
            fsift_instream_close(s);
            return fsift_error(FSIFT_E_NOMEM, "%s: cannot start zstd", s->name);
        }
        /* Bound the zstd window (a hostile frame header cannot ask for gigabytes). */
        ZSTD_DCtx_setParameter(s->zs, ZSTD_d_windowLogMax, 27);
    }
    *out = s;
    return FSIFT_OK;
}

fsift_status fsift_instream_open(const char *path, fsift_instream **out) {
    if (!path || !out) return fsift_error(FSIFT_E_INVALID_ARG, "instream: NULL argument");
    *out = NULL;
    fsift_instream *s = calloc(1, sizeof *s);
    if (!s) return fsift_error(FSIFT_E_NOMEM, "instream: out of memory");
    snprintf(s->name, sizeof s->name, "%s", strcmp(path, "-") ? path : "<stdin>");
    if (!strcmp(path, "-")) {
        s->fd = 0;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            fsift_status st = fsift_error(FSIFT_E_IO, "%s: cannot open: %s", path, strerror(errno));
            free(s);
            return st;
        }
        s->own_fd = 1;
#ifdef POSIX_FADV_SEQUENTIAL
        posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    }
    return finish_open(s, out);
}

fsift_status fsift_instream_open_mem(const void *data, size_t size, fsift_instream **out) {
    if ((!data && size) || !out) return fsift_error(FSIFT_E_INVALID_ARG, "instream: NULL argument");
    *out = NULL;
    fsift_instream *s = calloc(1, sizeof *s);
    if (!s) return fsift_error(FSIFT_E_NOMEM, "instream: out of memory");
    s->fd = -1;
    s->mem = data;
    s->mem_size = size;
    s->eof = size == 0;
    snprintf(s->name, sizeof s->name, "<memory>");
    return finish_open(s, out);
}

/* Refills the compressed input when it is used up. Returns 1 at the end of the input (an
 * error when a member/frame is still open: `mid`), 0 when bytes are there, or an error. */
static int need_input(fsift_instream *s, int mid, const char *codec) {
    if (s->raw_pos < s->raw_len) return 0;
    fsift_status st = raw_fill(s);
    if (st) return st;
    if (s->raw_len > 0) return 0;
    if (mid) return fsift_error(FSIFT_E_FORMAT, "%s: %s stream is truncated", s->name, codec);
    return 1;
}

static fsift_status read_gzip(fsift_instream *s, unsigned char *buf, size_t cap, size_t *got) {
    size_t done = 0;
    while (done == 0) {
        int e = need_input(s, !s->z_end, "gzip");
        if (e < 0) return (fsift_status)e;
        if (e) break;
        if (s->z_end) { /* another member follows */
            inflateReset(&s->z);
            s->z_end = 0;
        }
        s->z.next_in = s->raw + s->raw_pos;
        s->z.avail_in = (uInt)(s->raw_len - s->raw_pos);
        s->z.next_out = buf + done;
        s->z.avail_out = (uInt)(cap - done > (1u << 30) ? (1u << 30) : cap - done);
        uInt before_out = s->z.avail_out;
        int rc = inflate(&s->z, Z_NO_FLUSH);
        s->raw_pos = s->raw_len - s->z.avail_in;
        done += before_out - s->z.avail_out;
        if (rc == Z_STREAM_END) {
            s->z_end = 1;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return fsift_error(FSIFT_E_FORMAT, "%s: corrupt gzip data (%s)", s->name,
                               s->z.msg ? s->z.msg : "inflate failed");
        } else if (rc == Z_BUF_ERROR && s->eof && s->raw_pos == s->raw_len && done == 0) {
            return fsift_error(FSIFT_E_FORMAT, "%s: gzip stream is truncated", s->name);
        }
    }
    *got = done;
    return FSIFT_OK;
}

static fsift_status read_zstd(fsift_instream *s, unsigned char *buf, size_t cap, size_t *got) {
    size_t done = 0;
    while (done == 0) {
        int e = need_input(s, s->zs_mid, "zstd");
        if (e < 0) return (fsift_status)e;
        if (e) break;
        ZSTD_inBuffer in = {s->raw, s->raw_len, s->raw_pos};
        ZSTD_outBuffer o = {buf, cap, 0};
        size_t rc = ZSTD_decompressStream(s->zs, &o, &in);
        if (ZSTD_isError(rc))
            return fsift_error(FSIFT_E_FORMAT, "%s: corrupt zstd data (%s)", s->name, ZSTD_getErrorName(rc));
        s->raw_pos = in.pos;
        s->zs_mid = rc != 0;
        done = o.pos;
        if (done == 0 && in.pos == in.size && s->eof && s->zs_mid)
            return fsift_error(FSIFT_E_FORMAT, "%s: zstd stream is truncated", s->name);
    }
    *got = done;
    return FSIFT_OK;
}

fsift_status fsift_instream_read(fsift_instream *s, void *buf, size_t cap, size_t *got) {
    *got = 0;
    if (cap == 0) return FSIFT_OK;
    if (s->codec == CODEC_GZIP) return read_gzip(s, buf, cap, got);
    if (s->codec == CODEC_ZSTD) return read_zstd(s, buf, cap, got);
    /* Plain: serve buffered bytes, then read straight into the caller's buffer. */
    if (s->raw_pos < s->raw_len) {
        size_t n = s->raw_len - s->raw_pos;
        if (n > cap) n = cap;
        memcpy(buf, s->raw + s->raw_pos, n);
        s->raw_pos += n;
        *got = n;
        return FSIFT_OK;
    }
    if (s->eof) return FSIFT_OK;
    if (s->fd < 0) {
        size_t n = s->mem_size - s->mem_pos;
        if (n > cap) n = cap;
        memcpy(buf, s->mem + s->mem_pos, n);
        s->mem_pos += n;
        if (s->mem_pos == s->mem_size) s->eof = 1;
        *got = n;
        return FSIFT_OK;
    }
    for (;;) {
        ssize_t n = read(s->fd, buf, cap);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fsift_error(FSIFT_E_IO, "%s: read failed: %s", s->name, strerror(errno));
        }
        if (n == 0) s->eof = 1;
        *got = (size_t)n;
        return FSIFT_OK;
    }
}

void fsift_instream_close(fsift_instream *s) {
    if (!s) return;
    if (s->z_init) inflateEnd(&s->z);
    if (s->zs) ZSTD_freeDStream(s->zs);
    if (s->own_fd) close(s->fd);
    free(s->raw);
    free(s);
}
