/*
 * unpack.c — `facesift unpack PREFIX -o DIR`: check every part against PREFIX.sha256, then
 * extract the tar stream read straight from the parts (no joined copy on disk).
 *
 * Flow: the manifest names the parts (manifest.c); all parts are hashed first, in parallel,
 * and any mismatch, missing part, or a stray next part that `cat PREFIX.tar.gz.*` would
 * pick up stops the run before a byte is written. Then an inflate thread reads the parts in
 * order as one byte stream (gzip multi-member streams are accepted) and hands 1 MiB chunks
 * through a small ring to the calling thread, which parses the tar (tarread.c) and writes
 * members under DIR through safepath.c's no-follow walk: absolute paths, "..", links that
 * point out, paths through symlinks, devices and members over the size limits are refused
 * with an error naming the member. Each file is written to "<folder>/.fsift-unpack.tmp"
 * and renamed into place, so a name never holds a partial file.
 *
 * Resume: every checkpoint_bytes of output the files written so far are synced (syncfs)
 * and DIR/.fsift-unpack.journal records how many members are complete, tagged with the
 * manifest's digest. A rerun with the same manifest re-reads the stream but skips writing
 * those members; the journal is removed when extraction ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zlib.h>

#include "release/release_internal.h"

#define CHUNK (1u << 20)
#define RING 4
#define JOURNAL ".fsift-unpack.journal"
#define TMPNAME ".fsift-unpack.tmp"

void fsift_unpack_opts_default(fsift_unpack_opts *o) {
    memset(o, 0, sizeof *o);
    o->max_member_bytes = 4ull << 30;
    o->checkpoint_bytes = 256ull << 20;
}

/* ---- part checks ------------------------------------------------------------------------ */

typedef struct verify_job {
    char **paths;
    const fsift_manifest *m;
    atomic_int next;
    int *bad;           /* per part: 0 ok, 1 missing/unreadable, 2 digest differs */
    _Atomic double cpu; /* CPU seconds of all checking threads */
} verify_job;

static void verify_fn(void *arg, int ith, int nth) {
    verify_job *j = arg;
    double c0 = release_thread_cpu_s();
    for (;;) {
        int k = atomic_fetch_add(&j->next, 1);
        if (k >= j->m->nparts) break;
        uint8_t d[32];
        if (fsift_sha256_file(j->paths[k], d, NULL) != FSIFT_OK) j->bad[k] = 1;
        else j->bad[k] = memcmp(d, j->m->parts[k].digest, 32) ? 2 : 0;
    }
    double add = release_thread_cpu_s() - c0, old = atomic_load(&j->cpu);
    while (!atomic_compare_exchange_weak(&j->cpu, &old, old + add)) {
    }
}

/* ---- the inflate thread ------------------------------------------------------------------ */

typedef struct stream {
    char **paths;
    int nparts;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint8_t *buf[RING];
    size_t len[RING];
    int head, count;   /* chunks ready: ring[head .. head+count) */
    int done, stop;
    fsift_status err;
    char errmsg[512];
    /* consumer side */
    size_t cpos;
    double cpu_s;      /* the inflate thread's CPU seconds, set when it ends */
} stream;

static void stream_fail(stream *st, fsift_status s) {
    pthread_mutex_lock(&st->mu);
    if (!st->err) {
        st->err = s;
        snprintf(st->errmsg, sizeof st->errmsg, "%s", fsift_last_error());
    }
    st->done = 1;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

static void *inflate_main(void *arg) {
    stream *st = arg;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    uint8_t *in = malloc(CHUNK);
    if (!in || inflateInit2(&zs, 16 + 15) != Z_OK) {
        free(in);
        stream_fail(st, fsift_error(FSIFT_E_NOMEM, "unpack: cannot start zlib"));
        return NULL;
    }
    int part = 0, fd = -1, ended = 0, slot_i = -1;
    uint8_t *out = NULL;
    size_t out_len = 0;
    fsift_status s = FSIFT_OK;
    for (;;) {
        if (zs.avail_in == 0) {
            ssize_t r = 0;
            while (r == 0) {
                if (fd < 0) {
                    if (part >= st->nparts) break;
                    fd = open(st->paths[part], O_RDONLY | O_CLOEXEC);
                    if (fd < 0) { s = fsift_error(FSIFT_E_IO, "unpack: cannot open '%s': %s", st->paths[part], strerror(errno)); break; }
                }
                r = read(fd, in, CHUNK);
                if (r < 0 && errno == EINTR) { r = 0; continue; }
                if (r < 0) { s = fsift_error(FSIFT_E_IO, "unpack: read of '%s' failed: %s", st->paths[part], strerror(errno)); break; }
                if (r == 0) { close(fd); fd = -1; part++; }
            }
            if (s) break;
            if (r == 0) { /* all parts read */
                if (!ended) s = fsift_error(FSIFT_E_FORMAT, "unpack: the archive is truncated (the gzip stream ends early)");
                break;
            }
            zs.next_in = in;
            zs.avail_in = (uInt)r;
            if (ended) { /* another gzip member must follow */
                if (in[0] != 0x1f) { s = fsift_error(FSIFT_E_FORMAT, "unpack: data after the end of the gzip stream"); break; }
                inflateReset(&zs);
                ended = 0;
            }
        }
        if (!out) {
            pthread_mutex_lock(&st->mu);
            while (st->count == RING && !st->stop) pthread_cond_wait(&st->cv, &st->mu);
            int stop = st->stop;
            slot_i = (st->head + st->count) % RING;
            pthread_mutex_unlock(&st->mu);
            if (stop) break;
            out = st->buf[slot_i];
            out_len = 0;
        }
        if (ended) {
            /* a finished member with input left: the next must be a gzip header */
            if (zs.next_in[0] != 0x1f) { s = fsift_error(FSIFT_E_FORMAT, "unpack: data after the end of the gzip stream"); break; }
            inflateReset(&zs);
            ended = 0;
        }
        zs.next_out = out + out_len;
        zs.avail_out = (uInt)(CHUNK - out_len);
        int r = inflate(&zs, Z_NO_FLUSH);
        out_len = CHUNK - zs.avail_out;
        if (r == Z_STREAM_END) ended = 1;
        else if (r != Z_OK && r != Z_BUF_ERROR) {
            s = fsift_error(FSIFT_E_FORMAT, "unpack: the gzip stream is corrupt in part %d (%s)", part, zs.msg ? zs.msg : "inflate error");
            break;
        }
        if (out_len == CHUNK) {
            pthread_mutex_lock(&st->mu);
            st->len[slot_i] = out_len;
            st->count++;
            pthread_cond_broadcast(&st->cv);
            pthread_mutex_unlock(&st->mu);
            out = NULL;
        }
    }
    if (!s && out && out_len) {
        pthread_mutex_lock(&st->mu);
        st->len[slot_i] = out_len;
        st->count++;
        pthread_mutex_unlock(&st->mu);
    }
    if (fd >= 0) close(fd);
    inflateEnd(&zs);
    free(in);
    st->cpu_s = release_thread_cpu_s();
    if (s) stream_fail(st, s);
    else {
        pthread_mutex_lock(&st->mu);
        st->done = 1;
        pthread_cond_broadcast(&st->cv);
        pthread_mutex_unlock(&st->mu);
    }
    return NULL;
}

static long stream_read(void *ctx, uint8_t *buf, size_t len) {
    stream *st = ctx;
    pthread_mutex_lock(&st->mu);
    while (st->count == 0 && !st->done) pthread_cond_wait(&st->cv, &st->mu);
    if (st->count == 0) {
        fsift_status e = st->err;
        pthread_mutex_unlock(&st->mu);
        if (e) { fsift_error(e, "%s", st->errmsg); return -1; }
        return 0;
    }
    if (st->err) { /* stop at the first error even with data queued */
        pthread_mutex_unlock(&st->mu);
        fsift_error(st->err, "%s", st->errmsg);
        return -1;
    }
    int h = st->head;
    pthread_mutex_unlock(&st->mu);
    size_t take = st->len[h] - st->cpos;
    if (take > len) take = len;
    memcpy(buf, st->buf[h] + st->cpos, take);
    st->cpos += take;
    if (st->cpos == st->len[h]) {
        st->cpos = 0;
        pthread_mutex_lock(&st->mu);
        st->head = (st->head + 1) % RING;
        st->count--;
        pthread_cond_broadcast(&st->cv);
        pthread_mutex_unlock(&st->mu);
    }
    return (long)take;
}

/* ---- extraction -------------------------------------------------------------------------- */

typedef struct extractor {
    int root;
    const fsift_unpack_opts *o;
    char *cache_parent;   /* parent folder of the last member, and its fd */
    int cache_fd;
    uint8_t *buf;
    uint64_t total;
} extractor;

/* Opens the parent folder of rel (cleaned) through the cache; *leaf points into rel. */
static fsift_status parent_of(extractor *x, char *rel, int *dfd, const char **leaf) {
    char *slash = strrchr(rel, '/');
    size_t plen = slash ? (size_t)(slash - rel) : 0;
    if (x->cache_fd >= 0 && x->cache_parent && strlen(x->cache_parent) == plen &&
        !memcmp(x->cache_parent, rel, plen)) {
        *dfd = x->cache_fd;
        *leaf = slash ? slash + 1 : rel;
        return FSIFT_OK;
    }
    if (x->cache_fd >= 0) close(x->cache_fd);
    x->cache_fd = -1;
    free(x->cache_parent);
    x->cache_parent = NULL;
    fsift_status s = safepath_open_parent(x->root, rel, 1, dfd, leaf);
    if (s) return s;
    x->cache_fd = *dfd;
    x->cache_parent = strndup(rel, plen);
    if (!x->cache_parent) return fsift_error(FSIFT_E_NOMEM, "unpack: out of memory");
    return FSIFT_OK;
}

static fsift_status write_file(extractor *x, tar_reader *r, tar_entry *e, char *rel) {
    if (e->size > x->o->max_member_bytes)
        return fsift_error(FSIFT_E_LIMIT, "unpack: member '%s' declares %llu bytes, over the limit of %llu (--max-member-size)",
                           rel, (unsigned long long)e->size, (unsigned long long)x->o->max_member_bytes);
    x->total += e->size;
    if (x->o->max_total_bytes && x->total > x->o->max_total_bytes)
        return fsift_error(FSIFT_E_LIMIT, "unpack: the archive holds more than %llu bytes (--max-total-size)", (unsigned long long)x->o->max_total_bytes);
    if (e->size > (64u << 20)) {
        struct statvfs sv;
        if (fstatvfs(x->root, &sv) == 0 && (uint64_t)sv.f_bavail * sv.f_frsize < e->size)
            return fsift_error(FSIFT_E_IO, "unpack: member '%s' needs %llu bytes but the disk has %llu free", rel,
                               (unsigned long long)e->size, (unsigned long long)sv.f_bavail * sv.f_frsize);
    }
    int dfd;
    const char *leaf;
    fsift_status s = parent_of(x, rel, &dfd, &leaf);
    if (s) return s;
    int fd = openat(dfd, TMPNAME, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, (e->mode & 0777) | 0600);
    if (fd < 0) return fsift_error(FSIFT_E_IO, "unpack: cannot create a file for '%s': %s", rel, strerror(errno));
    for (;;) {
        size_t got;
        s = tar_reader_data(r, x->buf, CHUNK, &got);
        if (s || got == 0) break;
        s = release_write_all(fd, x->buf, got, rel);
        if (s) break;
    }
    if (!s) {
        struct timespec ts[2] = {{(time_t)e->mtime, 0}, {(time_t)e->mtime, 0}};
        futimens(fd, ts);
    }
    if (close(fd) != 0 && !s) s = fsift_error(FSIFT_E_IO, "unpack: cannot finish '%s': %s", rel, strerror(errno));
    if (!s && renameat(dfd, TMPNAME, dfd, leaf) != 0)
        s = fsift_error(FSIFT_E_IO, "unpack: cannot move '%s' into place: %s", rel, strerror(errno));
    if (s) unlinkat(dfd, TMPNAME, 0);
    return s;
}

static fsift_status make_dir(extractor *x, char *rel) {
    int dfd;
    const char *leaf;
    fsift_status s = parent_of(x, rel, &dfd, &leaf);
    if (s) return s;
    if (mkdirat(dfd, leaf, 0755) != 0 && errno != EEXIST)
        return fsift_error(FSIFT_E_IO, "unpack: cannot create folder '%s': %s", rel, strerror(errno));
    int fd = openat(dfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return fsift_error(FSIFT_E_FORMAT, "unpack: '%s' exists and is not a folder (refused)", rel);
    close(fd);
    return FSIFT_OK;
}

static fsift_status make_link(extractor *x, tar_entry *e, char *rel) {
    int dfd;
    const char *leaf;
    if (e->type == TAR_SYMLINK) {
        if (!safepath_link_ok(e->link))
            return fsift_error(FSIFT_E_FORMAT, "unpack: symlink '%s' -> '%s' could point outside the folder (absolute or '..'; refused)", rel, e->link);
        fsift_status s = parent_of(x, rel, &dfd, &leaf);
        if (s) return s;
        unlinkat(dfd, leaf, 0);
        if (symlinkat(e->link, dfd, leaf) != 0)
            return fsift_error(FSIFT_E_IO, "unpack: cannot create symlink '%s': %s", rel, strerror(errno));
        return FSIFT_OK;
    }
    /* hard link: the target is another member's path, cleaned like any member's */
    char *t = strdup(e->link);
    if (!t) return fsift_error(FSIFT_E_NOMEM, "unpack: out of memory");
    int empty;
    fsift_status s = safepath_clean(t, &empty);
    if (!s && empty) s = fsift_error(FSIFT_E_FORMAT, "unpack: hard link '%s' has an empty target", rel);
    if (s) {
        fsift_error_prefix("unpack: hard link '%s' -> '%s' points outside the folder (refused)", rel, e->link);
        free(t);
        return s;
    }
    int tfd;
    const char *tleaf;
    s = safepath_open_parent(x->root, t, 0, &tfd, &tleaf);
    if (!s) s = parent_of(x, rel, &dfd, &leaf);
    if (!s) {
        struct stat st;
        if (fstatat(tfd, tleaf, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            s = fsift_error(FSIFT_E_FORMAT, "unpack: hard link '%s' -> '%s': the target is not a file extracted before it (refused)", rel, e->link);
        else {
            unlinkat(dfd, leaf, 0);
            if (linkat(tfd, tleaf, dfd, leaf, 0) != 0)
                s = fsift_error(FSIFT_E_IO, "unpack: cannot create hard link '%s': %s", rel, strerror(errno));
        }
    }
    if (tfd >= 0) close(tfd);
    free(t);
    return s;
}

static fsift_status write_journal(int root, const char *tag, uint64_t done) {
    char text[160];
    int n = snprintf(text, sizeof text, "fsift-unpack-journal 1 %s %llu\n", tag, (unsigned long long)done);
    char tmp[] = JOURNAL ".tmp";
    int fd = openat(root, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return fsift_error(FSIFT_E_IO, "unpack: cannot write the journal: %s", strerror(errno));
    fsift_status s = release_write_all(fd, text, (size_t)n, "unpack journal");
    if (!s && fsync(fd) != 0) s = fsift_error(FSIFT_E_IO, "unpack: journal fsync: %s", strerror(errno));
    close(fd);
    if (!s && renameat(root, tmp, root, JOURNAL) != 0) s = fsift_error(FSIFT_E_IO, "unpack: journal rename: %s", strerror(errno));
    return s;
}

static uint64_t read_journal(int root, const char *tag) {
    int fd = openat(root, JOURNAL, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return 0;
    char text[200] = {0}, t[100];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    unsigned long long done = 0;
    if (n <= 0 || sscanf(text, "fsift-unpack-journal 1 %64s %llu", t, &done) != 2 || strcmp(t, tag)) return 0;
    return done;
}

static fsift_status mkdir_p(const char *dir) {
    char *p = strdup(dir);
    if (!p) return fsift_error(FSIFT_E_NOMEM, "unpack: out of memory");
    for (char *q = p + 1; *q; q++) {
        if (*q != '/') continue;
        *q = 0;
        mkdir(p, 0755);
        *q = '/';
    }
    int r = mkdir(p, 0755);
    int e = errno;
    free(p);
    if (r != 0 && e != EEXIST) return fsift_error(FSIFT_E_IO, "unpack: cannot create '%s': %s", dir, strerror(e));
    return FSIFT_OK;
}

static fsift_status extract(stream *st, int root, const fsift_unpack_opts *o, const char *tag,
                            fsift_unpack_result *res) {
    uint64_t skip = read_journal(root, tag), since = 0;
    if (skip && !o->quiet) fsift_log(FSIFT_LOG_INFO, "unpack: resuming: %llu members were extracted before", (unsigned long long)skip);
    extractor x = {root, o, NULL, -1, malloc(CHUNK), 0};
    tar_reader *r = NULL;
    fsift_status s = x.buf ? tar_reader_new(stream_read, st, &r) : fsift_error(FSIFT_E_NOMEM, "unpack: out of memory");
    double last_log = fsift_now_ms();
    const char *delay = getenv("FSIFT_UNPACK_TEST_DELAY_US"); /* tests: widen the kill window */
    long delay_us = delay ? atol(delay) : 0;
    while (!s) {
        if (delay_us > 0) usleep((useconds_t)delay_us);
        tar_entry *e;
        int done;
        s = tar_reader_next(r, &e, &done);
        if (s || done) break;
        uint64_t idx = tar_reader_index(r);
        int empty;
        s = safepath_clean(e->path, &empty);
        if (s) { fsift_error_prefix("unpack: member %llu", (unsigned long long)idx); break; }
        if (empty && e->type == TAR_DIR) continue;
        if (empty) { s = fsift_error(FSIFT_E_FORMAT, "unpack: member %llu has an empty name", (unsigned long long)idx); break; }
        if (idx <= skip) { res->skipped++; continue; }
        switch (e->type) {
        case TAR_FILE:
            s = write_file(&x, r, e, e->path);
            if (!s) { res->files++; res->bytes += e->size; since += e->size + 512; }
            break;
        case TAR_DIR:
            s = make_dir(&x, e->path);
            if (!s) res->dirs++;
            break;
        case TAR_SYMLINK:
        case TAR_HARDLINK:
            s = make_link(&x, e, e->path);
            if (!s) res->links++;
            break;
        default:
            s = fsift_error(FSIFT_E_UNSUPPORTED, "unpack: member '%s' has type '%c' (devices, fifos and sparse files are refused)",
                            e->path, e->typeflag ? e->typeflag : '?');
        }
        if (!s && since >= o->checkpoint_bytes) {
            since = 0;
            if (syncfs(root) != 0) s = fsift_error(FSIFT_E_IO, "unpack: syncfs failed: %s", strerror(errno));
            if (!s) s = write_journal(root, tag, idx);
        }
        if (!o->quiet && fsift_now_ms() - last_log > 5000) {
            last_log = fsift_now_ms();
            fsift_log(FSIFT_LOG_INFO, "unpack: %llu files, %llu MB written", (unsigned long long)res->files, (unsigned long long)(res->bytes >> 20));
        }
    }
    /* the tar ended: the rest of the gzip stream (record padding, trailer) must still check */
    while (!s) {
        long k = stream_read(st, x.buf, CHUNK);
        if (k < 0) s = FSIFT_E_FORMAT;
        if (k <= 0) break;
    }
    if (x.cache_fd >= 0) close(x.cache_fd);
    free(x.cache_parent);
    free(x.buf);
    tar_reader_free(r);
    return s;
}

fsift_status fsift_unpack(const char *prefix, const char *dir, const fsift_unpack_opts *opts,
                          fsift_unpack_result *res) {
    fsift_unpack_opts o;
    if (opts) o = *opts; else fsift_unpack_opts_default(&o);
    if (!o.max_member_bytes) o.max_member_bytes = 4ull << 30;
    if (!o.checkpoint_bytes) o.checkpoint_bytes = 256ull << 20;
    fsift_unpack_result rr;
    memset(&rr, 0, sizeof rr);
    if (strlen(prefix) > 4000) return fsift_error(FSIFT_E_INVALID_ARG, "unpack: prefix too long");
    char mpath[4200];
    snprintf(mpath, sizeof mpath, "%s.sha256", prefix);
    void *mtext = NULL;
    size_t msize = 0;
    fsift_status s = fsift_file_read(mpath, 64u << 20, &mtext, &msize);
    if (s) { fsift_error_prefix("unpack: cannot read the manifest"); return s; }
    const char *base = strrchr(prefix, '/');
    base = base ? base + 1 : prefix;
    size_t dlen = (size_t)(base - prefix);
    fsift_manifest m;
    s = fsift_manifest_parse(mtext, msize, base, &m);
    if (s) fsift_error_prefix("unpack: %s", mpath);
    uint8_t tagd[32];
    char tag[65];
    fsift_sha256_buf(mtext, msize, tagd);
    fsift_hex(tagd, 32, tag);
    free(mtext);
    if (s) return s;
    char **paths = calloc((size_t)m.nparts, sizeof *paths);
    int *bad = calloc((size_t)m.nparts, sizeof *bad);
    if (!paths || !bad) s = fsift_error(FSIFT_E_NOMEM, "unpack: out of memory");
    for (int k = 0; !s && k < m.nparts; k++) {
        if (!(paths[k] = malloc(dlen + strlen(m.parts[k].name) + 1))) { s = fsift_error(FSIFT_E_NOMEM, "unpack: out of memory"); break; }
        memcpy(paths[k], prefix, dlen);
        strcpy(paths[k] + dlen, m.parts[k].name);
    }
    if (!s) {
        char stray[4300];
        snprintf(stray, sizeof stray, "%s.tar.gz.%03d", prefix, m.nparts);
        if (access(stray, F_OK) == 0)
            s = fsift_error(FSIFT_E_FORMAT, "unpack: '%s' is on disk but not in the manifest (cat PREFIX.tar.gz.* would join it; remove it or fix the manifest)", stray);
    }
    if (!s) {
        verify_job vj = {paths, &m, 0, bad, 0.0};
        double w0 = fsift_now_ms();
        fsift_pool *pool = NULL;
        int nt = release_threads(o.threads);
        if (nt > m.nparts) nt = m.nparts;
        if (nt > 1 && fsift_pool_new(nt, &pool) != FSIFT_OK) pool = NULL;
        fsift_pool_run(pool, verify_fn, &vj, nt);
        fsift_pool_free(pool);
        rr.cpu_check_s = atomic_load(&vj.cpu);
        rr.wall_check_s = (fsift_now_ms() - w0) / 1000.0;
        int nbad = 0;
        for (int k = 0; k < m.nparts; k++) {
            if (!bad[k]) continue;
            if (!nbad++) s = fsift_error(FSIFT_E_FORMAT, "unpack: part '%s' %s", paths[k],
                                         bad[k] == 1 ? "is missing or unreadable" : "does not match its sha256 in the manifest (damaged or incomplete download)");
            if (!o.quiet) fsift_log(FSIFT_LOG_ERROR, "unpack: %s: %s", paths[k], bad[k] == 1 ? "missing or unreadable" : "sha256 mismatch");
        }
        if (nbad > 1) fsift_error_prefix("%d parts failed the check; first", nbad);
    }
    int root = -1;
    if (!s) s = mkdir_p(dir);
    if (!s) {
        root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0) s = fsift_error(FSIFT_E_IO, "unpack: cannot open '%s': %s", dir, strerror(errno));
    }
    stream st;
    memset(&st, 0, sizeof st);
    int started = 0;
    if (!s) {
        st.paths = paths;
        st.nparts = m.nparts;
        pthread_mutex_init(&st.mu, NULL);
        pthread_cond_init(&st.cv, NULL);
        for (int i = 0; i < RING && !s; i++)
            if (!(st.buf[i] = malloc(CHUNK))) s = fsift_error(FSIFT_E_NOMEM, "unpack: out of memory");
        if (!s && pthread_create(&st.th, NULL, inflate_main, &st) != 0) s = fsift_error(FSIFT_E_INTERNAL, "unpack: cannot start a thread");
        else if (!s) started = 1;
    }
    double xcpu0 = release_thread_cpu_s();
    if (!s) s = extract(&st, root, &o, tag, &rr);
    rr.cpu_write_s = release_thread_cpu_s() - xcpu0;
    if (started) {
        pthread_mutex_lock(&st.mu);
        st.stop = 1;
        pthread_cond_broadcast(&st.cv);
        pthread_mutex_unlock(&st.mu);
        pthread_join(st.th, NULL);
        rr.cpu_inflate_s = st.cpu_s;
        pthread_mutex_destroy(&st.mu);
        pthread_cond_destroy(&st.cv);
    }
    for (int i = 0; i < RING; i++) free(st.buf[i]);
    if (!s) {
        unlinkat(root, JOURNAL, 0);
        rr.parts = m.nparts;
        if (res) *res = rr;
    }
    if (root >= 0) close(root);
    for (int k = 0; paths && k < m.nparts; k++) free(paths[k]);
    free(paths);
    free(bad);
    fsift_manifest_free(&m);
    return s;
}
