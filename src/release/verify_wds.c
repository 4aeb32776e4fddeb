/*
 * verify_wds.c — `facesift verify DIR` for the webdataset output of `facesift build`
 * (DESIGN.md §3 "Output webdataset").
 *
 * Assumed layout (the contract the build writer and this check share):
 *   DIR/NNNNN.tar             a shard (any name ending in .tar)
 *   DIR/NNNNN_stats.json      written last: the shard is complete only when it exists and
 *                             parses as JSON (img2dataset convention)
 *   inside a shard, per sample KEY (the member path up to the first '.' of its base name;
 *   a sample's members are consecutive):
 *     KEY.jpg | KEY.jpeg | KEY.png | KEY.webp   the image (decodable)
 *     KEY.face.png                              the aligned face crop (decodable)
 *     KEY.npy                                   float32 embedding, finite, one dimension
 *                                               for the whole folder (--dim or shard 0's)
 *     KEY.json                                  object with "bbox" [x1,y1,x2,y2] and
 *                                               "kps" [[x,y] × 5], all finite numbers
 *     KEY.txt                                   the caption
 *   Other members are carried through by build and only counted here (unknown_members).
 *
 * Shards are checked in parallel (one per worker), members streamed through tarread.c with
 * each member's bytes held only while it is checked (≤ 64 MiB each).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "facesift/image.h"
#include "release/release_internal.h"

enum { HAS_IMAGE = 1, HAS_FACE = 2, HAS_NPY = 4, HAS_JSON = 8, HAS_TXT = 16 };

typedef struct wds_job {
    vstate *v;
    const char *dir;
    char **shards;
    int n;
    atomic_int next;
    int *dims;  /* per shard: the embedding dimension seen first */
} wds_job;

static long fd_read(void *ctx, uint8_t *buf, size_t len) {
    int fd = *(int *)ctx;
    for (;;) {
        ssize_t r = read(fd, buf, len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            fsift_error(FSIFT_E_IO, "read failed: %s", strerror(errno));
            return -1;
        }
        return (long)r;
    }
}

typedef struct sample {
    char key[1024];
    int has;
} sample;

static void finish_sample(vstate *v, const char *shard, sample *s) {
    if (!s->key[0]) return;
    static const struct { int bit; fsift_verify_kind k; const char *what; } req[] = {
        {HAS_IMAGE, FSIFT_VK_MISSING_IMAGE, "image (.jpg/.png/.webp)"}, {HAS_FACE, FSIFT_VK_MISSING_FACE, ".face.png"},
        {HAS_NPY, FSIFT_VK_MISSING_NPY, ".npy"}, {HAS_JSON, FSIFT_VK_MISSING_JSON, ".json"}, {HAS_TXT, FSIFT_VK_MISSING_TXT, ".txt"}};
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
        if (!(s->has & req[i].bit)) vproblem(v, req[i].k, "%s: sample '%s' has no %s", shard, s->key, req[i].what);
    vcount(v, &v->rep->samples, 1);
    s->key[0] = 0;
    s->has = 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void check_shard(wds_job *j, int idx) {
    vstate *v = j->v;
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", j->dir, j->shards[idx]);
    /* completeness: NAME_stats.json next to NAME.tar */
    char stats[4300];
    snprintf(stats, sizeof stats, "%s/%.*s_stats.json", j->dir, (int)(strlen(j->shards[idx]) - 4), j->shards[idx]);
    void *sd;
    size_t ss;
    if (fsift_file_read(stats, 64u << 20, &sd, &ss) != FSIFT_OK) {
        fsift_clear_error();
        vproblem(v, FSIFT_VK_INCOMPLETE_SHARD, "%s has no %s (shard not finished)", path, stats);
    } else {
        if (vcheck_sample_json(sd, ss) == FSIFT_VK_BAD_JSON) vproblem(v, FSIFT_VK_BAD_STATS, "%s does not parse as JSON", stats);
        free(sd);
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vproblem(v, FSIFT_VK_BAD_SHARD, "%s: %s", path, strerror(errno));
        return;
    }
    tar_reader *r = NULL;
    uint8_t *buf = NULL;
    size_t cap = 0;
    char **keys = NULL;
    size_t nkeys = 0, kcap = 0;
    sample cur = {{0}, 0};
    int dim = v->o->dim;
    fsift_status s = tar_reader_new(fd_read, &fd, &r);
    while (!s) {
        tar_entry *e;
        int done;
        s = tar_reader_next(r, &e, &done);
        if (s || done) break;
        if (e->type != TAR_FILE) continue;
        const char *base = strrchr(e->path, '/');
        base = base ? base + 1 : e->path;
        const char *dot = strchr(base, '.');
        size_t klen = dot ? (size_t)(dot - e->path) : strlen(e->path);
        const char *ext = dot ? dot + 1 : "";
        if (klen == 0 || klen >= sizeof cur.key) { vcount(v, &v->rep->unknown_members, 1); continue; }
        if (strlen(cur.key) != klen || memcmp(cur.key, e->path, klen)) {
            finish_sample(v, path, &cur);
            memcpy(cur.key, e->path, klen);
            cur.key[klen] = 0;
            if (nkeys == kcap) {
                kcap = kcap ? kcap * 2 : 1024;
                char **nk = realloc(keys, kcap * sizeof *nk);
                if (!nk) { s = fsift_error(FSIFT_E_NOMEM, "verify: out of memory"); break; }
                keys = nk;
            }
            if (!(keys[nkeys++] = strdup(cur.key))) { s = fsift_error(FSIFT_E_NOMEM, "verify: out of memory"); break; }
        }
        int bit = 0;
        if (!strcmp(ext, "jpg") || !strcmp(ext, "jpeg") || !strcmp(ext, "png") || !strcmp(ext, "webp")) bit = HAS_IMAGE;
        else if (!strcmp(ext, "face.png")) bit = HAS_FACE;
        else if (!strcmp(ext, "npy")) bit = HAS_NPY;
        else if (!strcmp(ext, "json")) bit = HAS_JSON;
        else if (!strcmp(ext, "txt")) bit = HAS_TXT;
        if (!bit) { vcount(v, &v->rep->unknown_members, 1); continue; }
        if (cur.has & bit) vproblem(v, FSIFT_VK_DUPLICATE_KEY, "%s: sample '%s' has two .%s members", path, cur.key, ext);
        cur.has |= bit;
        if (bit == HAS_TXT) continue;
        if (e->size > FSIFT_DEFAULT_MAX_FILE_BYTES) {
            vproblem(v, bit == HAS_NPY ? FSIFT_VK_CORRUPT_NPY : bit == HAS_JSON ? FSIFT_VK_BAD_JSON : bit == HAS_FACE ? FSIFT_VK_CORRUPT_FACE : FSIFT_VK_CORRUPT_IMAGE,
                     "%s: %s is over 64 MiB", path, e->path);
            continue;
        }
        if (e->size > cap) {
            uint8_t *nb = realloc(buf, (size_t)e->size);
            if (!nb) { s = fsift_error(FSIFT_E_NOMEM, "verify: out of memory"); break; }
            buf = nb;
            cap = (size_t)e->size;
        }
        size_t got = 0, g;
        while (!s && got < e->size && !(s = tar_reader_data(r, buf + got, (size_t)e->size - got, &g)) && g) got += g;
        if (s) break;
        int jpeg, gd, k;
        switch (bit) {
        case HAS_IMAGE:
            if (vcheck_image(buf, got, v->o->quick, &jpeg)) vproblem(v, FSIFT_VK_CORRUPT_IMAGE, "%s: %s", path, e->path);
            break;
        case HAS_FACE:
            if (vcheck_image(buf, got, v->o->quick, &jpeg)) vproblem(v, FSIFT_VK_CORRUPT_FACE, "%s: %s", path, e->path);
            break;
        case HAS_NPY:
            k = vcheck_npy(buf, got, dim, &gd);
            if (k == FSIFT_VK_WRONG_DIM) vproblem(v, k, "%s: %s has %d values, expected %d", path, e->path, gd, dim);
            else if (k) vproblem(v, k, "%s: %s", path, e->path);
            else if (!dim) dim = gd;
            break;
        case HAS_JSON:
            if ((k = vcheck_sample_json(buf, got))) vproblem(v, k, "%s: %s", path, e->path);
            break;
        }
    }
    if (!s) finish_sample(v, path, &cur);
    else vproblem(v, FSIFT_VK_BAD_SHARD, "%s: %s", path, fsift_last_error());
    if (nkeys) qsort(keys, nkeys, sizeof *keys, cmp_str);
    for (size_t i = 1; i < nkeys; i++)
        if (!strcmp(keys[i], keys[i - 1])) vproblem(v, FSIFT_VK_DUPLICATE_KEY, "%s: key '%s' appears in two places", path, keys[i]);
    for (size_t i = 0; i < nkeys; i++) free(keys[i]);
    free(keys);
    free(buf);
    tar_reader_free(r);
    close(fd);
    j->dims[idx] = dim;
}

static void wds_fn(void *arg, int ith, int nth) {
    wds_job *j = arg;
    for (;;) {
        int k = atomic_fetch_add(&j->next, 1);
        if (k >= j->n) break;
        check_shard(j, k);
    }
}

fsift_status verify_wds(const char *dir, vstate *v, int *found) {
    *found = 0;
    char **sh = NULL;
    size_t n = 0;
    fsift_status s = release_list_dir(dir, ".tar", &sh, &n);
    if (s) { fsift_error_prefix("verify"); return s; }
    if (!s && n > 0) {
        *found = 1;
        v->rep->layout = 2;
        v->rep->shards = (uint64_t)n;
        wds_job j = {v, dir, sh, (int)n, 0, calloc(n, sizeof(int))};
        if (!j.dims) s = fsift_error(FSIFT_E_NOMEM, "verify: out of memory");
        else {
            fsift_pool *pool = NULL;
            int nt = release_threads(v->o->threads);
            if ((size_t)nt > n) nt = (int)n;
            if (nt > 1 && fsift_pool_new(nt, &pool) != FSIFT_OK) pool = NULL;
            fsift_pool_run(pool, wds_fn, &j, nt);
            fsift_pool_free(pool);
            int ref = 0;
            for (size_t i = 0; i < n; i++) {
                if (!j.dims[i]) continue;
                if (!ref) ref = j.dims[i];
                else if (j.dims[i] != ref)
                    vproblem(v, FSIFT_VK_WRONG_DIM, "%s/%s: embeddings of %d values, other shards have %d", dir, sh[i], j.dims[i], ref);
            }
            v->rep->dim = ref;
        }
        free(j.dims);
    }
    release_names_free(sh, n);
    return s;
}
