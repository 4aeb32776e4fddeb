/*
 * tarplan.c — the deterministic tar stream of a folder, addressable at any byte offset.
 *
 * tar_plan_build walks the folder once (each folder's entries grouped by extension, then in
 * byte order; a folder before its contents) and records for every member its archive name, size and offset in the tar
 * stream, so the stream's length and layout are known before a byte is read. The stream is
 * never materialised: tar_plan_read(off, len) produces any window of it — headers are
 * regenerated, file data is pread from the source — which lets pack's compression workers
 * each fetch their own block (plus the 32 KiB before it, the deflate dictionary) in
 * parallel, and lets a resumed pack restart at any block.
 *
 * Headers are POSIX ustar with fixed metadata (mtime = $SOURCE_DATE_EPOCH or 0, uid/gid 0,
 * empty user/group names, mode 0755 for folders and executables, 0644 otherwise). A name
 * that does not fit ustar's 100 + 155 bytes, or a size ≥ 8 GiB, gets a pax 'x' header first
 * (GNU tar, bsdtar and Python's tarfile read it). The end is two zero blocks, padded to a
 * 10240-byte record as GNU tar pads.
 *
 * Only regular files and folders are packed; a symlink, socket or device under DIR is an
 * error (a release has none, and following links would make the archive depend on what
 * lies outside DIR). Threads: a built plan is read-only; tar_plan_read is thread-safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "release/release_internal.h"

#define TAR_RECORD 10240u
#define TAR_MAX_PATH 4000u

static fsift_status plan_str(tar_plan *p, const char *s, size_t len, uint64_t *off) {
    if (p->names_len + len + 1 > p->names_cap) {
        uint64_t cap = p->names_cap ? p->names_cap * 2 : 1 << 16;
        while (cap < p->names_len + len + 1) cap *= 2;
        char *nn = realloc(p->names, cap);
        if (!nn) return fsift_error(FSIFT_E_NOMEM, "pack: out of memory listing files");
        p->names = nn;
        p->names_cap = cap;
    }
    memcpy(p->names + p->names_len, s, len);
    p->names[p->names_len + len] = 0;
    *off = p->names_len;
    p->names_len += len + 1;
    return FSIFT_OK;
}

static fsift_status plan_add(tar_plan *p, const char *name, size_t name_len,
                             const struct stat *st, fsift_sha256 *fp) {
    if (name_len > TAR_MAX_PATH)
        return fsift_error(FSIFT_E_LIMIT, "pack: path '%.80s…' is over %u bytes", name, TAR_MAX_PATH);
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        tar_member *nm = realloc(p->m, cap * sizeof *nm);
        if (!nm) return fsift_error(FSIFT_E_NOMEM, "pack: out of memory listing files");
        p->m = nm;
        p->cap = cap;
    }
    tar_member *m = &p->m[p->n];
    memset(m, 0, sizeof *m);
    fsift_status s = plan_str(p, name, name_len, &m->name_off);
    if (s) return s;
    m->is_dir = S_ISDIR(st->st_mode) ? 1 : 0;
    m->exec = (st->st_mode & 0111) ? 1 : 0;
    m->size = m->is_dir ? 0 : (uint64_t)st->st_size;
    p->n++;
    struct { uint64_t size; int64_t sec, nsec; uint8_t dir, exec; } rec;
    memset(&rec, 0, sizeof rec);
    rec.size = m->size;
    rec.sec = (int64_t)st->st_mtim.tv_sec;
    rec.nsec = (int64_t)st->st_mtim.tv_nsec;
    rec.dir = m->is_dir;
    rec.exec = m->exec;
    fsift_sha256_update(fp, name, name_len + 1);
    fsift_sha256_update(fp, &rec, sizeof rec);
    return FSIFT_OK;
}

/* Folder order: by extension (the text after the last '.', "" when none), then byte order.
 * Grouping puts the small look-alike members (.npy headers and the tar headers between them)
 * inside one 32 KiB deflate window: on a release folder the archive comes out 0.06% smaller
 * than GNU tar's directory order and 0.08% smaller than plain name order (docs/release.md). */
static int cmp_ext_name(const void *a, const void *b) {
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    const char *ex = strrchr(x, '.'), *ey = strrchr(y, '.');
    int c = strcmp(ex ? ex + 1 : "", ey ? ey + 1 : "");
    return c ? c : strcmp(x, y);
}

/* name/src hold the current folder's archive name and source path (with trailing '/'). */
static fsift_status walk(tar_plan *p, char *name, size_t name_len, char *src, size_t src_len,
                         fsift_sha256 *fp, int depth) {
    if (depth > 64) return fsift_error(FSIFT_E_LIMIT, "pack: folders nested over 64 deep at '%s'", src);
    char **ents = NULL;
    size_t n = 0;
    fsift_status s = release_list_dir(src, NULL, &ents, &n);
    if (s) { fsift_error_prefix("pack"); return s; }
    if (n) qsort(ents, n, sizeof *ents, cmp_ext_name);
    for (size_t i = 0; i < n && !s; i++) {
        size_t l = strlen(ents[i]);
        if (name_len + l + 2 > TAR_MAX_PATH || src_len + l + 2 > 8190) {
            s = fsift_error(FSIFT_E_LIMIT, "pack: path '%s%s' is too long", src, ents[i]);
            break;
        }
        memcpy(name + name_len, ents[i], l + 1);
        memcpy(src + src_len, ents[i], l + 1);
        struct stat st;
        if (lstat(src, &st) != 0) {
            s = fsift_error(FSIFT_E_IO, "pack: cannot stat '%s': %s", src, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            name[name_len + l] = '/';
            name[name_len + l + 1] = 0;
            src[src_len + l] = '/';
            src[src_len + l + 1] = 0;
            s = plan_add(p, name, name_len + l + 1, &st, fp);
            if (!s) s = walk(p, name, name_len + l + 1, src, src_len + l + 1, fp, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            s = plan_add(p, name, name_len + l, &st, fp);
        } else {
            s = fsift_error(FSIFT_E_UNSUPPORTED,
                            "pack: '%s' is not a regular file or folder (links and devices are not packed)", src);
        }
    }
    release_names_free(ents, n);
    return s;
}

static void octal(char *field, size_t width, uint64_t v) {
    /* width-1 digits, zero padded, then NUL */
    field[width - 1] = 0;
    for (size_t i = width - 1; i-- > 0;) {
        field[i] = (char)('0' + (v & 7));
        v >>= 3;
    }
}

/* Splits name into ustar prefix (≤155) + name (≤100); returns the split index or -1. */
static long ustar_split(const char *name, size_t len) {
    if (len <= 100) return 0;
    for (size_t i = len - 1; i > 0; i--) {
        if (name[i] != '/' || i == len - 1) continue;
        if (i <= 155 && len - i - 1 <= 100 && len - i - 1 > 0) return (long)i;
        if (i < len - 101) break;
    }
    return -1;
}

static void checksum(uint8_t *h) {
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    octal((char *)h + 148, 7, sum);
    h[155] = ' ';
}

static void ustar_block(uint8_t *h, const char *name, size_t len, char type, uint32_t mode,
                        uint64_t size, uint64_t mtime) {
    memset(h, 0, 512);
    long split = ustar_split(name, len);
    if (split > 0) {
        memcpy(h + 345, name, (size_t)split);
        memcpy(h, name + split + 1, len - (size_t)split - 1);
    } else {
        memcpy(h, name, len < 100 ? len : 100);
    }
    octal((char *)h + 100, 8, mode);
    octal((char *)h + 108, 8, 0);
    octal((char *)h + 116, 8, 0);
    octal((char *)h + 124, 12, size < (1ull << 33) ? size : 0);
    octal((char *)h + 136, 12, mtime < (1ull << 33) ? mtime : 0);
    h[156] = (uint8_t)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    octal((char *)h + 329, 8, 0);
    octal((char *)h + 337, 8, 0);
    checksum(h);
}

/* One pax record "LEN key=value\n" where LEN counts the whole record. */
static size_t pax_record(char *out, const char *key, const char *val, size_t vlen) {
    size_t body = 1 + strlen(key) + 1 + vlen + 1;
    size_t len = body + 1;
    while (len != body + (size_t)snprintf(NULL, 0, "%zu", len)) len = body + (size_t)snprintf(NULL, 0, "%zu", len);
    int k = sprintf(out, "%zu %s=", len, key);
    memcpy(out + k, val, vlen);
    out[k + vlen] = '\n';
    return len;
}

static size_t header_bytes(const tar_plan *p, const tar_member *m, uint8_t *buf) {
    const char *name = p->names + m->name_off;
    size_t len = strlen(name);
    uint32_t mode = (m->is_dir || m->exec) ? 0755 : 0644;
    char type = m->is_dir ? '5' : '0';
    int long_name = ustar_split(name, len) < 0;
    int big = m->size >= (1ull << 33);
    if (!long_name && !big) {
        ustar_block(buf, name, len, type, mode, m->size, p->mtime);
        return 512;
    }
    char pax[TAR_MAX_PATH + 128];
    size_t plen = 0;
    if (big) {
        char num[32];
        int k = snprintf(num, sizeof num, "%llu", (unsigned long long)m->size);
        plen += pax_record(pax + plen, "size", num, (size_t)k);
    }
    if (long_name) plen += pax_record(pax + plen, "path", name, len);
    /* the pax member's own name: deterministic, inside the same top folder */
    char pname[100];
    const char *base = name + len;
    while (base > name && base[-1] != '/') base--;
    snprintf(pname, sizeof pname, "PaxHeaders/%.80s", base);
    ustar_block(buf, pname, strlen(pname), 'x', 0644, plen, p->mtime);
    size_t padded = (plen + 511) & ~(size_t)511;
    memset(buf + 512, 0, padded);
    memcpy(buf + 512, pax, plen);
    /* the ustar header still carries a best-effort name for readers without pax */
    char trunc[101];
    size_t tl = len < 100 ? len : 100;
    memcpy(trunc, long_name ? name + len - tl : name, tl);
    trunc[tl] = 0;
    ustar_block(buf + 512 + padded, trunc, tl, type, mode, m->size, p->mtime);
    return 512 + padded + 512;
}

size_t tar_plan_header(const tar_plan *plan, size_t i, uint8_t *buf) {
    return header_bytes(plan, &plan->m[i], buf);
}

fsift_status tar_plan_build(const char *dir, tar_plan *plan) {
    memset(plan, 0, sizeof *plan);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        unsigned long long v = strtoull(sde, &end, 10);
        if (*end || v >= (1ull << 33))
            return fsift_error(FSIFT_E_INVALID_ARG, "pack: SOURCE_DATE_EPOCH='%s' is not a time in seconds", sde);
        plan->mtime = v;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return fsift_error(FSIFT_E_IO, "pack: '%s' is not a folder", dir);
    /* top-level name: basename of dir, without trailing slashes */
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    size_t b = dl;
    while (b > 0 && dir[b - 1] != '/') b--;
    size_t bl = dl - b;
    if (bl == 0 || (bl == 1 && dir[b] == '.') || (bl == 2 && !memcmp(dir + b, "..", 2)))
        return fsift_error(FSIFT_E_INVALID_ARG, "pack: name the folder itself, not '%s' (its name becomes the archive's top folder)", dir);
    char *name = malloc(8192), *src = malloc(8192);
    fsift_sha256 fp = {0};
    fsift_status s = (!name || !src) ? fsift_error(FSIFT_E_NOMEM, "pack: out of memory") : fsift_sha256_init(&fp);
    if (!s && (bl + 2 > TAR_MAX_PATH || dl + 2 > 8000)) s = fsift_error(FSIFT_E_LIMIT, "pack: path too long");
    if (!s) {
        memcpy(name, dir + b, bl);
        name[bl] = '/';
        name[bl + 1] = 0;
        memcpy(src, dir, dl);
        src[dl] = '/';
        src[dl + 1] = 0;
        plan->top_len = bl + 1;
        plan->src_root = strdup(src);
        s = plan->src_root ? plan_add(plan, name, bl + 1, &st, &fp) : fsift_error(FSIFT_E_NOMEM, "pack: out of memory");
        if (!s) s = walk(plan, name, bl + 1, src, dl + 1, &fp, 0);
    }
    free(name);
    free(src);
    if (!s) {
        uint64_t off = 0;
        uint8_t hdr[8192];
        for (size_t i = 0; i < plan->n; i++) {
            tar_member *m = &plan->m[i];
            m->offset = off;
            m->hdr_len = (uint32_t)header_bytes(plan, m, hdr);
            off += m->hdr_len + ((m->size + 511) & ~(uint64_t)511);
        }
        off += 1024;
        off = (off + TAR_RECORD - 1) / TAR_RECORD * TAR_RECORD;
        plan->total = off;
        fsift_sha256_update(&fp, &plan->mtime, sizeof plan->mtime);
        fsift_sha256_final(&fp, plan->fingerprint);
    }
    fsift_sha256_free(&fp);
    if (s) tar_plan_free(plan);
    return s;
}

void tar_plan_free(tar_plan *plan) {
    if (!plan) return;
    free(plan->m);
    free(plan->names);
    free(plan->src_root);
    memset(plan, 0, sizeof *plan);
}

fsift_status tar_plan_read(const tar_plan *p, uint64_t off, size_t len, uint8_t *buf) {
    if (off + len > p->total) return fsift_error(FSIFT_E_INTERNAL, "pack: read past the tar stream");
    /* last member whose offset <= off */
    size_t lo = 0, hi = p->n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (p->m[mid].offset <= off) lo = mid; else hi = mid;
    }
    size_t i = lo;
    uint8_t hdr[8192];
    while (len > 0) {
        if (i >= p->n) { /* end blocks and record padding */
            memset(buf, 0, len);
            return FSIFT_OK;
        }
        const tar_member *m = &p->m[i];
        uint64_t data_start = m->offset + m->hdr_len;
        uint64_t pad_end = data_start + ((m->size + 511) & ~(uint64_t)511);
        if (off >= pad_end) { i++; continue; }
        size_t take;
        if (off < data_start) {
            size_t h = header_bytes(p, m, hdr);
            take = (size_t)(data_start - off);
            if (take > len) take = len;
            memcpy(buf, hdr + (h - (size_t)(data_start - off)), take);
        } else if (off < data_start + m->size) {
            uint64_t in = off - data_start;
            take = (size_t)(m->size - in < len ? m->size - in : len);
            char src[8400];
            snprintf(src, sizeof src, "%s%s", p->src_root, p->names + m->name_off + p->top_len);
            int fd = open(src, O_RDONLY | O_CLOEXEC);
            if (fd < 0) return fsift_error(FSIFT_E_IO, "pack: cannot open '%s': %s", src, strerror(errno));
            size_t got = 0;
            while (got < take) {
                ssize_t r = pread(fd, buf + got, take - got, (off_t)(in + got));
                if (r < 0 && errno == EINTR) continue;
                if (r <= 0) break;
                got += (size_t)r;
            }
            close(fd);
            if (got != take)
                return fsift_error(FSIFT_E_IO, "pack: '%s' changed size while being packed (rerun pack)", src);
        } else {
            take = (size_t)(pad_end - off < len ? pad_end - off : len);
            memset(buf, 0, take);
        }
        buf += take;
        off += take;
        len -= take;
    }
    return FSIFT_OK;
}
