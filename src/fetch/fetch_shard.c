/*
 * fetch_shard.c — where `facesift fetch` keeps finished rows until their shard is complete,
 * and how it writes the shard.
 *
 * Spool: OUT/.NNNNN.spool, append-only. Each finished row (success or failure) is one record:
 *   "FSR1" | u32 index | u32 json_len | u32 caption_len | u32 image_len | char ext[8]
 *   | json | caption | image | u32 crc32 of everything before it in the record
 * (little-endian), written with one write(2). A run killed at any point leaves whole records
 * plus at most one torn tail; reopening keeps the records whose checksum holds, cuts the file
 * after the last of them and marks their rows done, so nothing finished is fetched again.
 *
 * Finishing a shard reads the spool's index, sorts it by row index, and writes NNNNN.tar
 * (KEY.ext, KEY.txt, KEY.json of each image, in key order, through the deterministic tar
 * writer of data.h), NNNNN.jsonl (every row's JSON, failures included) and last
 * NNNNN_stats.json, each atomically; then it removes the spool. The same rows therefore give
 * the same tar and jsonl bytes whatever the order the downloads finished in, and whether or
 * not the run was interrupted.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "facesift/data.h"
#include "fetch/fetch_internal.h"

#define REC_HDR 28
#define REC_MAX ((uint64_t)1 << 31)

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void spool_path(char *buf, size_t cap, const char *dir, int id) { snprintf(buf, cap, "%s/.%05d.spool", dir, id); }

int fetch_shard_finished(const char *out_dir, int id) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%05d_stats.json", out_dir, id);
    return access(p, F_OK) == 0;
}

typedef struct rec_ix {
    uint32_t idx, json_len, cap_len, img_len;
    char ext[9];
    uint64_t off; /* of the payload */
} rec_ix;

static int pread_all(int fd, void *buf, size_t n, uint64_t off) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, (uint8_t *)buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        done += (size_t)r;
    }
    return 0;
}

/* Reads the spool's valid records into *ix (malloc'd) and returns the offset after the last
 * one. */
static fsift_status scan(int fd, int shard_size, rec_ix **ix, size_t *n, uint64_t *good_end) {
    struct stat sb;
    if (fstat(fd, &sb)) return fsift_error(FSIFT_E_IO, "fetch: cannot stat a spool: %s", strerror(errno));
    uint64_t size = (uint64_t)sb.st_size, off = 0;
    size_t cap = 0, cnt = 0, bcap = 0;
    rec_ix *v = NULL;
    uint8_t *buf = NULL;
    fsift_status st = FSIFT_OK;
    while (off + REC_HDR + 4 <= size) {
        uint8_t h[REC_HDR];
        if (pread_all(fd, h, REC_HDR, off)) break;
        if (memcmp(h, "FSR1", 4)) break;
        rec_ix r;
        r.idx = get32(h + 4);
        r.json_len = get32(h + 8);
        r.cap_len = get32(h + 12);
        r.img_len = get32(h + 16);
        memcpy(r.ext, h + 20, 8);
        r.ext[8] = 0;
        uint64_t pay = (uint64_t)r.json_len + r.cap_len + r.img_len;
        if (r.idx >= (uint32_t)shard_size || pay > REC_MAX || off + REC_HDR + pay + 4 > size) break;
        if (bcap < REC_HDR + pay + 4) {
            free(buf);
            bcap = (size_t)(REC_HDR + pay + 4);
            buf = malloc(bcap);
            if (!buf) {
                st = fsift_error(FSIFT_E_NOMEM, "fetch: out of memory reading a spool");
                break;
            }
        }
        if (pread_all(fd, buf, (size_t)(REC_HDR + pay + 4), off)) break;
        uint32_t crc = (uint32_t)crc32(0L, buf, (uInt)(REC_HDR + pay));
        if (crc != get32(buf + REC_HDR + pay)) break;
        r.off = off + REC_HDR;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 256;
            rec_ix *nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                st = fsift_error(FSIFT_E_NOMEM, "fetch: out of memory reading a spool");
                break;
            }
            v = nv;
        }
        v[cnt++] = r;
        off += REC_HDR + pay + 4;
    }
    free(buf);
    if (st) {
        free(v);
        return st;
    }
    *ix = v;
    *n = cnt;
    *good_end = off;
    return FSIFT_OK;
}

fsift_status fetch_shard_open(const char *out_dir, int id, int shard_size, fetch_shard *sh) {
    memset(sh, 0, sizeof *sh);
    sh->id = id;
    sh->fd = -1;
    sh->done = calloc((size_t)shard_size, 1);
    if (!sh->done) return fsift_error(FSIFT_E_NOMEM, "fetch: out of memory");
    char p[4096];
    spool_path(p, sizeof p, out_dir, id);
    sh->fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (sh->fd < 0) return fsift_error(FSIFT_E_IO, "fetch: cannot open '%s': %s", p, strerror(errno));
    rec_ix *ix = NULL;
    size_t n = 0;
    uint64_t end = 0;
    fsift_status st = scan(sh->fd, shard_size, &ix, &n, &end);
    if (st) return st;
    for (size_t i = 0; i < n; i++)
        if (!sh->done[ix[i].idx]) {
            sh->done[ix[i].idx] = 1;
            sh->resumed++;
        }
    free(ix);
    if (ftruncate(sh->fd, (off_t)end) || lseek(sh->fd, 0, SEEK_END) < 0)
        return fsift_error(FSIFT_E_IO, "fetch: cannot trim '%s': %s", p, strerror(errno));
    return FSIFT_OK;
}

fsift_status fetch_shard_append(fetch_shard *sh, const fetch_record *r) {
    uint64_t pay = (uint64_t)r->json_len + r->caption_len + r->image_len;
    if (pay > REC_MAX) return fsift_error(FSIFT_E_LIMIT, "fetch: a record of %llu bytes", (unsigned long long)pay);
    size_t total = (size_t)(REC_HDR + pay + 4);
    uint8_t *b = malloc(total);
    if (!b) return fsift_error(FSIFT_E_NOMEM, "fetch: out of memory");
    memcpy(b, "FSR1", 4);
    put32(b + 4, r->idx);
    put32(b + 8, (uint32_t)r->json_len);
    put32(b + 12, (uint32_t)r->caption_len);
    put32(b + 16, (uint32_t)r->image_len);
    memset(b + 20, 0, 8);
    if (r->image && r->ext) memcpy(b + 20, r->ext, strnlen(r->ext, 8));
    uint8_t *q = b + REC_HDR;
    memcpy(q, r->json, r->json_len);
    q += r->json_len;
    if (r->caption_len) memcpy(q, r->caption, r->caption_len);
    q += r->caption_len;
    if (r->image_len) memcpy(q, r->image, r->image_len);
    put32(b + REC_HDR + pay, (uint32_t)crc32(0L, b, (uInt)(REC_HDR + pay)));
    size_t done = 0;
    while (done < total) {
        ssize_t w = write(sh->fd, b + done, total - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            free(b);
            return fsift_error(FSIFT_E_IO, "fetch: cannot append to shard %05d's spool: %s", sh->id, strerror(errno));
        }
        done += (size_t)w;
    }
    free(b);
    sh->done[r->idx] = 1;
    return FSIFT_OK;
}

static int by_idx(const void *a, const void *b) {
    const rec_ix *x = a, *y = b;
    return x->idx < y->idx ? -1 : x->idx > y->idx ? 1 : (x->off < y->off ? -1 : 1);
}

void fetch_shard_close(fetch_shard *sh) {
    if (sh->fd >= 0) close(sh->fd);
    sh->fd = -1;
    free(sh->done);
    sh->done = NULL;
}

fsift_status fetch_shard_finish(const char *out_dir, fetch_shard *sh, const fsift_fetch_opts *o) {
    rec_ix *ix = NULL;
    size_t n = 0;
    uint64_t end;
    fsift_status st = scan(sh->fd, o->shard_size, &ix, &n, &end);
    if (st) return st;
    qsort(ix, n, sizeof *ix, by_idx);
    char path[4096], tmp[4096];
    snprintf(path, sizeof path, "%s/%05d.tar", out_dir, sh->id);
    fsift_tar_writer *tw = NULL;
    st = fsift_tar_writer_open(path, &tw);
    snprintf(tmp, sizeof tmp, "%s/%05d.jsonl.tmp", out_dir, sh->id);
    FILE *jl = st ? NULL : fopen(tmp, "wb");
    if (!st && !jl) st = fsift_error(FSIFT_E_IO, "fetch: cannot write '%s': %s", tmp, strerror(errno));
    json_t *errors = json_object();
    int64_t ok = 0, failed = 0, bytes = 0;
    uint8_t *buf = NULL;
    for (size_t i = 0; i < n && !st; i++) {
        if (i && ix[i].idx == ix[i - 1].idx) continue; /* a duplicate: the first one stands */
        size_t pay = (size_t)ix[i].json_len + ix[i].cap_len + ix[i].img_len;
        free(buf);
        buf = malloc(pay + 1);
        if (!buf) {
            st = fsift_error(FSIFT_E_NOMEM, "fetch: out of memory");
            break;
        }
        if (pread_all(sh->fd, buf, pay, ix[i].off)) {
            st = fsift_error(FSIFT_E_IO, "fetch: cannot read shard %05d's spool", sh->id);
            break;
        }
        fwrite(buf, 1, ix[i].json_len, jl);
        fputc('\n', jl);
        char key[16], name[64];
        snprintf(key, sizeof key, "%05d%04u", sh->id, ix[i].idx);
        if (ix[i].img_len) {
            ok++;
            bytes += ix[i].img_len;
            snprintf(name, sizeof name, "%s.%s", key, ix[i].ext);
            st = fsift_tar_writer_add(tw, name, buf + ix[i].json_len + ix[i].cap_len, ix[i].img_len);
            snprintf(name, sizeof name, "%s.txt", key);
            if (!st) st = fsift_tar_writer_add(tw, name, buf + ix[i].json_len, ix[i].cap_len);
            snprintf(name, sizeof name, "%s.json", key);
            if (!st) st = fsift_tar_writer_add(tw, name, buf, ix[i].json_len);
        } else {
            failed++;
            json_t *j = json_loadb((const char *)buf, ix[i].json_len, 0, NULL);
            const char *msg = j ? json_string_value(json_object_get(j, "error_message")) : NULL;
            if (!msg) msg = "unknown error";
            json_t *c = json_object_get(errors, msg);
            json_object_set_new(errors, msg, json_integer(c ? json_integer_value(c) + 1 : 1));
            json_decref(j);
        }
    }
    free(buf);
    free(ix);
    if (jl) {
        if (fflush(jl) || fsync(fileno(jl))) st = st ? st : fsift_error(FSIFT_E_IO, "fetch: cannot write '%s'", tmp);
        fclose(jl);
    }
    if (!st) st = fsift_tar_writer_commit(tw);
    else fsift_tar_writer_abort(tw);
    snprintf(path, sizeof path, "%s/%05d.jsonl", out_dir, sh->id);
    if (!st && rename(tmp, path)) st = fsift_error(FSIFT_E_IO, "fetch: cannot rename '%s': %s", tmp, strerror(errno));
    if (!st) {
        json_t *s = json_object();
        json_object_set_new(s, "shard", json_sprintf("%05d", sh->id));
        json_object_set_new(s, "count", json_integer(ok + failed));
        json_object_set_new(s, "successes", json_integer(ok));
        json_object_set_new(s, "failed_to_download", json_integer(failed));
        json_t *sd = json_object();
        json_object_set_new(sd, "success", json_integer(ok));
        json_object_set_new(sd, "failed_to_download", json_integer(failed));
        json_object_set_new(s, "status_dict", sd);
        json_object_set(s, "error_messages", errors);
        json_object_set_new(s, "bytes", json_integer(bytes));
        json_object_set_new(s, "resumed_from_spool", json_integer(sh->resumed));
        json_object_set_new(s, "duration_s", json_real((fsift_now_ms() - sh->t0) / 1000.0));
        json_object_set_new(s, "facesift_version", json_string(FSIFT_VERSION_STRING));
        char *text = json_dumps(s, JSON_INDENT(2) | JSON_SORT_KEYS);
        json_decref(s);
        snprintf(path, sizeof path, "%s/%05d_stats.json", out_dir, sh->id);
        st = text ? fsift_file_write_atomic(path, text, strlen(text)) : fsift_error(FSIFT_E_NOMEM, "fetch: out of memory");
        free(text);
    }
    json_decref(errors);
    if (!st) {
        spool_path(path, sizeof path, out_dir, sh->id);
        unlink(path);
    } else {
        unlink(tmp);
    }
    sh->ok = ok;
    sh->failed = failed;
    fetch_shard_close(sh);
    atomic_store(&sh->written, 1);
    return st;
}
