/*
 * tarread.c — a streaming tar reader over any byte source (unpack's gzip stream, a
 * webdataset shard for verify).
 *
 * Reads POSIX ustar, pax ('x' per-member records: path, linkpath, size; 'g' global records
 * are skipped), GNU ('L'/'K' long names and links, base-256 sizes) and v7 headers; every
 * header's checksum is checked (unsigned, or signed as some old tars wrote it). Input is
 * pulled through a callback into a 64 KiB buffer, so memory does not depend on member sizes.
 * Bounds: pax and long-name records ≤ 1 MiB, sizes < 2^62; anything malformed or truncated is
 * FSIFT_E_FORMAT with the member index and name. Policy (what may be written where) is the
 * caller's: this file only parses.
 */
#include <stdlib.h>
#include <string.h>

#include "release/release_internal.h"

#define RBUF (64 * 1024)
#define META_MAX (1u << 20)

struct tar_reader {
    tar_read_fn fn;
    void *ctx;
    uint8_t *buf;
    size_t pos, len;
    int eof;
    uint64_t remaining, pad;   /* of the current member's data */
    uint64_t index;
    tar_entry e;
    char *long_name, *long_link; /* pending GNU / pax values for the next header */
    int has_pax_size;
    uint64_t pax_size;
};

fsift_status tar_reader_new(tar_read_fn fn, void *ctx, tar_reader **out) {
    tar_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->buf = malloc(RBUF))) {
        free(r);
        return fsift_error(FSIFT_E_NOMEM, "tar: out of memory");
    }
    r->fn = fn;
    r->ctx = ctx;
    *out = r;
    return FSIFT_OK;
}

void tar_reader_free(tar_reader *r) {
    if (!r) return;
    free(r->buf);
    free(r->e.path);
    free(r->e.link);
    free(r->long_name);
    free(r->long_link);
    free(r);
}

uint64_t tar_reader_index(const tar_reader *r) { return r->index; }

/* Reads up to n bytes; *got < n only at the end of input. */
static fsift_status pull(tar_reader *r, uint8_t *dst, size_t n, size_t *got) {
    *got = 0;
    while (*got < n) {
        if (r->pos == r->len) {
            if (r->eof) break;
            long k = r->fn(r->ctx, r->buf, RBUF);
            if (k < 0) return FSIFT_E_FORMAT;
            if (k == 0) { r->eof = 1; break; }
            r->pos = 0;
            r->len = (size_t)k;
        }
        size_t take = r->len - r->pos;
        if (take > n - *got) take = n - *got;
        if (dst) memcpy(dst + *got, r->buf + r->pos, take);
        r->pos += take;
        *got += take;
    }
    return FSIFT_OK;
}

static fsift_status need(tar_reader *r, uint8_t *dst, uint64_t n, const char *what) {
    while (n > 0) {
        size_t chunk = n > (1u << 30) ? (1u << 30) : (size_t)n, got;
        fsift_status s = pull(r, dst, chunk, &got);
        if (s) return s;
        if (got != chunk)
            return fsift_error(FSIFT_E_FORMAT, "tar: archive truncated in %s of member %llu", what,
                               (unsigned long long)r->index);
        if (dst) dst += chunk;
        n -= chunk;
    }
    return FSIFT_OK;
}

static int parse_num(const uint8_t *f, size_t w, uint64_t *v) {
    *v = 0;
    if (f[0] & 0x80) { /* GNU base-256, big-endian; negative values refused */
        if (f[0] == 0xff) return -1;
        uint64_t x = f[0] & 0x7f;
        for (size_t i = 1; i < w; i++) {
            if (x >> 55) return -1;
            x = (x << 8) | f[i];
        }
        *v = x;
        return x >> 62 ? -1 : 0;
    }
    size_t i = 0;
    while (i < w && f[i] == ' ') i++;
    int digits = 0;
    for (; i < w && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
        if (*v >> 59) return -1;
        *v = (*v << 3) | (uint64_t)(f[i] - '0');
    }
    for (; i < w; i++)
        if (f[i] != ' ' && f[i] != 0) return -1;
    return 0;
}

static char *field_str(const uint8_t *f, size_t w) {
    size_t n = 0;
    while (n < w && f[n]) n++;
    char *s = malloc(n + 1);
    if (s) { memcpy(s, f, n); s[n] = 0; }
    return s;
}

/* Parses pax records "LEN key=value\n" (only path, linkpath, size are used). */
static fsift_status parse_pax(tar_reader *r, const char *d, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t len = 0, j = i;
        while (j < n && d[j] >= '0' && d[j] <= '9' && len < META_MAX) len = len * 10 + (size_t)(d[j++] - '0');
        if (j == i || j >= n || d[j] != ' ' || len <= j - i + 1 || len > n - i || d[i + len - 1] != '\n')
            return fsift_error(FSIFT_E_FORMAT, "tar: malformed pax record in member %llu", (unsigned long long)r->index);
        const char *kv = d + j + 1, *end = d + i + len - 1;
        const char *eq = memchr(kv, '=', (size_t)(end - kv));
        if (!eq) return fsift_error(FSIFT_E_FORMAT, "tar: pax record without '=' in member %llu", (unsigned long long)r->index);
        size_t kl = (size_t)(eq - kv), vl = (size_t)(end - eq - 1);
        char **dst = NULL;
        if (kl == 4 && !memcmp(kv, "path", 4)) dst = &r->long_name;
        else if (kl == 8 && !memcmp(kv, "linkpath", 8)) dst = &r->long_link;
        else if (kl == 4 && !memcmp(kv, "size", 4)) {
            uint64_t v = 0;
            if (vl == 0 || vl > 18) return fsift_error(FSIFT_E_FORMAT, "tar: bad pax size in member %llu", (unsigned long long)r->index);
            for (size_t k = 0; k < vl; k++) {
                if (eq[1 + k] < '0' || eq[1 + k] > '9') return fsift_error(FSIFT_E_FORMAT, "tar: bad pax size in member %llu", (unsigned long long)r->index);
                v = v * 10 + (uint64_t)(eq[1 + k] - '0');
            }
            r->has_pax_size = 1;
            r->pax_size = v;
        }
        if (dst) {
            if (memchr(eq + 1, 0, vl)) return fsift_error(FSIFT_E_FORMAT, "tar: NUL in a pax path of member %llu", (unsigned long long)r->index);
            free(*dst);
            if (!(*dst = malloc(vl + 1))) return fsift_error(FSIFT_E_NOMEM, "tar: out of memory");
            memcpy(*dst, eq + 1, vl);
            (*dst)[vl] = 0;
        }
        i += len;
    }
    return FSIFT_OK;
}

fsift_status tar_reader_skip(tar_reader *r) {
    fsift_status s = need(r, NULL, r->remaining + r->pad, "the data");
    r->remaining = r->pad = 0;
    return s;
}

fsift_status tar_reader_data(tar_reader *r, uint8_t *buf, size_t len, size_t *got) {
    *got = 0;
    if (r->remaining == 0) return FSIFT_OK;
    if (len > r->remaining) len = (size_t)r->remaining;
    size_t g;
    fsift_status s = pull(r, buf, len, &g);
    if (s) return s;
    if (g == 0)
        return fsift_error(FSIFT_E_FORMAT, "tar: archive truncated inside member %llu ('%s')",
                           (unsigned long long)r->index, r->e.path ? r->e.path : "?");
    r->remaining -= g;
    *got = g;
    if (r->remaining == 0 && r->pad) {
        s = need(r, NULL, r->pad, "padding");
        r->pad = 0;
    }
    return s;
}

fsift_status tar_reader_next(tar_reader *r, tar_entry **out, int *done) {
    *done = 0;
    *out = NULL;
    fsift_status s = tar_reader_skip(r);
    if (s) return s;
    uint8_t h[512];
    for (;;) {
        size_t got;
        if ((s = pull(r, h, 512, &got))) return s;
        if (got == 0) { *done = 1; return FSIFT_OK; }
        if (got != 512) return fsift_error(FSIFT_E_FORMAT, "tar: archive truncated in a header after member %llu", (unsigned long long)r->index);
        int zero = 1;
        for (int i = 0; i < 512 && zero; i++) zero = h[i] == 0;
        if (zero) {
            if ((s = pull(r, h, 512, &got))) return s;
            *done = 1; /* one zero block then the end, or two zero blocks */
            return FSIFT_OK;
        }
        uint64_t want;
        unsigned usum = 0;
        int ssum = 0;
        for (int i = 0; i < 512; i++) {
            uint8_t b = (i >= 148 && i < 156) ? ' ' : h[i];
            usum += b;
            ssum += (signed char)b;
        }
        if (parse_num(h + 148, 8, &want) != 0 || (want != usum && (int64_t)want != ssum))
            return fsift_error(FSIFT_E_FORMAT, "tar: header checksum mismatch at member %llu (not a tar, or corrupt)", (unsigned long long)r->index);
        uint64_t size, mode, mtime;
        if (parse_num(h + 124, 12, &size) || parse_num(h + 100, 8, &mode) || parse_num(h + 136, 12, &mtime))
            return fsift_error(FSIFT_E_FORMAT, "tar: bad number in the header of member %llu", (unsigned long long)r->index);
        char type = (char)h[156];
        if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
            if (size > META_MAX) return fsift_error(FSIFT_E_LIMIT, "tar: metadata record of %llu bytes at member %llu (over 1 MiB)", (unsigned long long)size, (unsigned long long)r->index);
            char *d = malloc((size_t)size + 1);
            if (!d) return fsift_error(FSIFT_E_NOMEM, "tar: out of memory");
            uint64_t padded = (size + 511) & ~(uint64_t)511;
            s = need(r, (uint8_t *)d, size, "a metadata record");
            if (!s) s = need(r, NULL, padded - size, "padding");
            d[size] = 0;
            if (!s && type == 'x') s = parse_pax(r, d, (size_t)size);
            if (!s && (type == 'L' || type == 'K')) {
                char **dst = type == 'L' ? &r->long_name : &r->long_link;
                free(*dst);
                *dst = d;
                d = NULL;
            }
            free(d);
            if (s) return s;
            continue;
        }
        free(r->e.path);
        free(r->e.link);
        memset(&r->e, 0, sizeof r->e);
        if (r->long_name) {
            r->e.path = r->long_name;
            r->long_name = NULL;
        } else if (!memcmp(h + 257, "ustar\0", 6) && h[345]) {
            char *pre = field_str(h + 345, 155), *nm = field_str(h, 100);
            if (pre && nm && (r->e.path = malloc(strlen(pre) + strlen(nm) + 2)))
                sprintf(r->e.path, "%s/%s", pre, nm);
            free(pre);
            free(nm);
        } else {
            r->e.path = field_str(h, 100);
        }
        if (r->long_link) {
            r->e.link = r->long_link;
            r->long_link = NULL;
        } else if (type == '1' || type == '2') {
            r->e.link = field_str(h + 157, 100);
        }
        if (!r->e.path || ((type == '1' || type == '2') && !r->e.link)) return fsift_error(FSIFT_E_NOMEM, "tar: out of memory");
        if (r->has_pax_size) size = r->pax_size;
        r->has_pax_size = 0;
        if (size >> 62) return fsift_error(FSIFT_E_FORMAT, "tar: member %llu declares an impossible size", (unsigned long long)r->index);
        r->e.typeflag = type;
        r->e.size = size;
        r->e.mode = (uint32_t)(mode & 07777);
        r->e.mtime = (int64_t)mtime;
        switch (type) {
        case '0': case '\0': case '7': r->e.type = TAR_FILE; break;
        case '5': r->e.type = TAR_DIR; break;
        case '2': r->e.type = TAR_SYMLINK; break;
        case '1': r->e.type = TAR_HARDLINK; break;
        default: r->e.type = TAR_OTHER; break;
        }
        /* links and folders carry no data in ustar even if the size field says otherwise */
        if (r->e.type == TAR_SYMLINK || r->e.type == TAR_HARDLINK || r->e.type == TAR_DIR) r->e.size = size = 0;
        r->remaining = size;
        r->pad = ((size + 511) & ~(uint64_t)511) - size;
        r->index++;
        *out = &r->e;
        return FSIFT_OK;
    }
}
