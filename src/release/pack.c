/*
 * pack.c — `facesift pack DIR -o PREFIX`: DIR as one deterministic tar (tarplan.c),
 * compressed as one block-parallel gzip stream (pgzip.c), byte-split into
 * PREFIX.tar.gz.000, .001, … with PREFIX.sha256 listing every part and the joined stream.
 *
 * Pipeline: N worker threads each claim the next block index, fetch that block's tar bytes
 * and the 32 KiB before it (the dictionary) straight from the source files, compute its CRC
 * and compress it into a slot of a ring of 2N+2 slots; the calling thread writes the slots
 * in block order, splitting the output into parts and hashing each part and the joined
 * stream. Workers never run more than the ring ahead of the writer, so memory is
 * O(threads × block size).
 *
 * Resume: each part is written to "NAME.tmp", fsync'd and renamed; then one line is appended
 * (and fsync'd) to PREFIX.pack-journal: the part's size and sha256 and a restart point —
 * the block being written when the part ended, its offset in the compressed stream and the
 * CRC of everything before it. A rerun whose plan fingerprint (names, sizes, source mtimes,
 * options) matches the journal re-hashes the finished parts (to rebuild the joined digest
 * and to catch a damaged part), restarts the pipeline at the last restart point and drops
 * the output bytes that the finished parts already hold. Because blocks are a pure function
 * of the input, the result is byte-identical to an uninterrupted run.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "release/release_internal.h"

#define MAX_PARTS 1000

typedef struct slot {
    uint8_t *buf;
    size_t cap, len;
    uint32_t crc;
    int ready;
} slot;

typedef struct pack_ctx {
    const fsift_pack_opts *o;
    tar_plan plan;
    uint64_t nblocks;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot *slots;
    int nslots;
    uint64_t next;     /* next block to claim */
    uint64_t written;  /* blocks handed to the writer */
    int stop;
    fsift_status err;
    char errmsg[512];
    /* writer */
    const char *prefix;
    int part;          /* current part index */
    int part_fd;
    uint64_t in_part;
    uint64_t gz_off;   /* bytes of the joined stream produced (including skipped) */
    uint64_t skip_to;  /* resume: bytes before this offset are already on disk */
    fsift_sha256 part_h, joined_h;
    uint8_t (*part_sha)[32];
    uint64_t *part_size;
    int journal_fd;
    uint64_t cur_block, cur_block_c;
    uint32_t crc_before;
    double cpu_busiest, cpu_total;   /* worker threads' CPU seconds (under mu) */
} pack_ctx;

typedef struct worker_arg {
    pack_ctx *c;
} worker_arg;

static void set_err(pack_ctx *c, fsift_status s) {
    pthread_mutex_lock(&c->mu);
    if (!c->err) {
        c->err = s;
        snprintf(c->errmsg, sizeof c->errmsg, "%s", fsift_last_error());
    }
    c->stop = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void *worker(void *arg) {
    pack_ctx *c = ((worker_arg *)arg)->c;
    uint32_t B = c->o->block_size;
    uint8_t *in = malloc((size_t)B + 32768);
    pgz_worker *w = NULL;
    fsift_status s = in ? pgz_worker_new(c->o->level, B, &w) : fsift_error(FSIFT_E_NOMEM, "pack: out of memory");
    if (s) { set_err(c, s); free(in); return NULL; }
    for (;;) {
        pthread_mutex_lock(&c->mu);
        while (!c->stop && c->next < c->nblocks && c->next >= c->written + (uint64_t)c->nslots)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop || c->next >= c->nblocks) { pthread_mutex_unlock(&c->mu); break; }
        uint64_t j = c->next++;
        pthread_mutex_unlock(&c->mu);
        uint64_t off = j * B;
        size_t dict = off < 32768 ? (size_t)off : 32768;
        size_t len = c->plan.total - off < B ? (size_t)(c->plan.total - off) : B;
        s = tar_plan_read(&c->plan, off - dict, dict + len, in);
        const uint8_t *out = NULL;
        size_t olen = 0;
        if (!s) s = pgz_compress(w, in, dict, in + dict, len, j + 1 == c->nblocks, &out, &olen);
        if (s) { set_err(c, s); break; }
        slot *sl = &c->slots[j % (uint64_t)c->nslots];
        if (olen > sl->cap) { set_err(c, fsift_error(FSIFT_E_INTERNAL, "pack: block output over bound")); break; }
        memcpy(sl->buf, out, olen);
        sl->len = olen;
        sl->crc = (uint32_t)crc32(0, in + dict, (uInt)len);
        pthread_mutex_lock(&c->mu);
        sl->ready = 1;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
    pgz_worker_free(w);
    free(in);
    double cpu = release_thread_cpu_s();
    pthread_mutex_lock(&c->mu);
    if (cpu > c->cpu_busiest) c->cpu_busiest = cpu;
    c->cpu_total += cpu;
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static void part_name(char *buf, size_t n, const char *prefix, int k, int tmp) {
    snprintf(buf, n, "%s.tar.gz.%03d%s", prefix, k, tmp ? ".tmp" : "");
}

static fsift_status close_part(pack_ctx *c) {
    char tmp[4200], fin[4200];
    part_name(tmp, sizeof tmp, c->prefix, c->part, 1);
    part_name(fin, sizeof fin, c->prefix, c->part, 0);
    if (fsync(c->part_fd) != 0 || close(c->part_fd) != 0) {
        c->part_fd = -1;
        return fsift_error(FSIFT_E_IO, "pack: cannot finish '%s': %s", tmp, strerror(errno));
    }
    c->part_fd = -1;
    if (rename(tmp, fin) != 0) return fsift_error(FSIFT_E_IO, "pack: cannot rename '%s': %s", tmp, strerror(errno));
    fsift_sha256_final(&c->part_h, c->part_sha[c->part]);
    c->part_size[c->part] = c->in_part;
    char hex[65], line[256];
    fsift_hex(c->part_sha[c->part], 32, hex);
    int n = snprintf(line, sizeof line, "part %d %llu %s %llu %llu %u\n", c->part,
                     (unsigned long long)c->in_part, hex, (unsigned long long)c->cur_block,
                     (unsigned long long)c->cur_block_c, c->crc_before);
    fsift_status s = release_write_all(c->journal_fd, line, (size_t)n, "pack journal");
    if (!s && fsync(c->journal_fd) != 0) s = fsift_error(FSIFT_E_IO, "pack: journal fsync failed: %s", strerror(errno));
    c->part++;
    c->in_part = 0;
    return s;
}

/* Appends joined-stream bytes, dropping those before skip_to (already in finished parts). */
static fsift_status emit(pack_ctx *c, const uint8_t *p, size_t n) {
    uint64_t P = c->o->part_size;
    if (c->gz_off < c->skip_to) {
        uint64_t drop = c->skip_to - c->gz_off;
        if (drop > n) drop = n;
        p += drop;
        n -= (size_t)drop;
        c->gz_off += drop;
    }
    while (n > 0) {
        if (c->part_fd < 0) {
            if (c->part >= MAX_PARTS)
                return fsift_error(FSIFT_E_LIMIT, "pack: more than %d parts; choose a larger --part-size", MAX_PARTS);
            char tmp[4200];
            part_name(tmp, sizeof tmp, c->prefix, c->part, 1);
            c->part_fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (c->part_fd < 0) return fsift_error(FSIFT_E_IO, "pack: cannot create '%s': %s", tmp, strerror(errno));
            fsift_status s = fsift_sha256_init(&c->part_h);
            if (s) return s;
        }
        size_t take = P - c->in_part < n ? (size_t)(P - c->in_part) : n;
        fsift_status s = release_write_all(c->part_fd, p, take, "pack part");
        if (s) return s;
        fsift_sha256_update(&c->part_h, p, take);
        fsift_sha256_update(&c->joined_h, p, take);
        c->in_part += take;
        c->gz_off += take;
        p += take;
        n -= take;
        if (c->in_part == P && (s = close_part(c))) return s;
    }
    return FSIFT_OK;
}

typedef struct restart {
    int parts;          /* finished parts reused */
    uint64_t block, c;  /* restart block and its compressed offset */
    uint32_t crc;
} restart;

static void journal_header(char *buf, size_t n, const pack_ctx *c) {
    char hex[65];
    fsift_hex(c->plan.fingerprint, 32, hex);
    snprintf(buf, n, "fsift-pack-journal 1 %s part=%llu level=%d block=%u total=%llu\n", hex,
             (unsigned long long)c->o->part_size, c->o->level, c->o->block_size,
             (unsigned long long)c->plan.total);
}

/* Reads the journal; on a match re-hashes the finished parts it lists (stopping at the first
 * that is missing or differs) into joined_h. Fills r (r->parts = 0: start over). */
static fsift_status journal_resume(pack_ctx *c, const char *jpath, restart *r, size_t *valid) {
    memset(r, 0, sizeof *r);
    *valid = 0;
    r->c = 10;
    void *data = NULL;
    size_t size = 0;
    if (fsift_file_read(jpath, 1 << 20, &data, &size) != FSIFT_OK) {
        fsift_clear_error();
        return FSIFT_OK;
    }
    char want[256];
    journal_header(want, sizeof want, c);
    char *text = data;
    if (strncmp(text, want, strlen(want)) != 0) {
        if (!c->o->quiet) fsift_log(FSIFT_LOG_INFO, "pack: journal %s is for other input or options; starting over", jpath);
        free(data);
        return FSIFT_OK;
    }
    char *line = text + strlen(want);
    for (;;) {
        char *nl = strchr(line, '\n');
        if (!nl) break;
        *nl = 0;
        int k;
        unsigned long long psize, blk, cof;
        unsigned crc;
        char hex[65];
        if (sscanf(line, "part %d %llu %64s %llu %llu %u", &k, &psize, hex, &blk, &cof, &crc) != 6 ||
            k != r->parts || k >= MAX_PARTS)
            break;
        char path[4200];
        part_name(path, sizeof path, c->prefix, k, 0);
        uint8_t d[32];
        char dh[65];
        uint64_t fsz = 0;
        if (fsift_sha256_file(path, d, &fsz) != FSIFT_OK) { fsift_clear_error(); break; }
        fsift_hex(d, 32, dh);
        if (fsz != psize || strcmp(dh, hex) != 0) break;
        /* the joined digest: feed this part's bytes again (cheap next to compression) */
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) break;
        uint8_t *buf = malloc(1 << 20);
        ssize_t got;
        while (buf && (got = read(fd, buf, 1 << 20)) > 0) fsift_sha256_update(&c->joined_h, buf, (size_t)got);
        free(buf);
        close(fd);
        memcpy(c->part_sha[k], d, 32);
        c->part_size[k] = psize;
        r->parts = k + 1;
        r->block = blk;
        r->c = cof;
        r->crc = crc;
        line = nl + 1;
        *valid = (size_t)(line - text);
    }
    free(data);
    return FSIFT_OK;
}

static fsift_status write_manifest(pack_ctx *c, int nparts) {
    const char *base = strrchr(c->prefix, '/');
    base = base ? base + 1 : c->prefix;
    size_t cap = (size_t)(nparts + 1) * (strlen(base) + 96) + 64;
    char *m = malloc(cap), hex[65];
    if (!m) return fsift_error(FSIFT_E_NOMEM, "pack: out of memory");
    size_t len = 0;
    for (int k = 0; k < nparts; k++) {
        fsift_hex(c->part_sha[k], 32, hex);
        len += (size_t)snprintf(m + len, cap - len, "%s  %s.tar.gz.%03d\n", hex, base, k);
    }
    uint8_t d[32];
    fsift_sha256_final(&c->joined_h, d);
    fsift_hex(d, 32, hex);
    len += (size_t)snprintf(m + len, cap - len, "%s  %s.tar.gz\n", hex, base);
    char path[4200];
    snprintf(path, sizeof path, "%s.sha256", c->prefix);
    fsift_status s = fsift_file_write_atomic(path, m, len);
    free(m);
    return s;
}

/* Creates the folders above PREFIX's last component (mkdir -p of its dirname). */
static fsift_status mkdir_parents(const char *prefix) {
    char *p = strdup(prefix);
    if (!p) return fsift_error(FSIFT_E_NOMEM, "pack: out of memory");
    char *last = strrchr(p, '/');
    for (char *q = p + 1; last && q <= last; q++) {
        if (*q != '/') continue;
        *q = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            fsift_status s = fsift_error(FSIFT_E_IO, "pack: cannot create folder '%s': %s", p, strerror(errno));
            free(p);
            return s;
        }
        *q = '/';
    }
    free(p);
    return FSIFT_OK;
}

/* The parts must not land inside DIR: a rerun would pack the previous run's parts. */
static fsift_status check_outside(const char *dir, const char *prefix) {
    char *pd = strdup(prefix);
    if (!pd) return fsift_error(FSIFT_E_NOMEM, "pack: out of memory");
    char *slash = strrchr(pd, '/');
    const char *parent = slash ? (slash == pd ? "/" : (*slash = 0, pd)) : ".";
    char *rd = realpath(dir, NULL), *rp = realpath(parent, NULL);
    fsift_status s = FSIFT_OK;
    if (rd && rp) {
        size_t l = strlen(rd);
        if (!strncmp(rp, rd, l) && (rp[l] == 0 || rp[l] == '/' || (l == 1 && rd[0] == '/')))
            s = fsift_error(FSIFT_E_INVALID_ARG, "pack: the output '%s' is inside the folder being packed '%s'; write the parts elsewhere", prefix, dir);
    }
    free(rd);
    free(rp);
    free(pd);
    return s;
}

void fsift_pack_opts_default(fsift_pack_opts *o) {
    memset(o, 0, sizeof *o);
    o->part_size = 4ull << 30;
    o->level = 6;
    o->block_size = 1u << 20;
}

static fsift_status run_pipeline(pack_ctx *c, const restart *r) {
    int nt = release_threads(c->o->threads);
    c->nslots = 2 * nt + 2;
    c->slots = calloc((size_t)c->nslots, sizeof *c->slots);
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    if (!c->slots || !th) { free(th); return fsift_error(FSIFT_E_NOMEM, "pack: out of memory"); }
    size_t cap = compressBound(c->o->block_size) + 1024;
    for (int i = 0; i < c->nslots; i++)
        if (!(c->slots[i].buf = malloc(cap))) { free(th); return fsift_error(FSIFT_E_NOMEM, "pack: out of memory"); }
        else c->slots[i].cap = cap;
    c->next = c->written = r->block;
    worker_arg wa = {c};
    int started = 0;
    for (; started < nt; started++)
        if (pthread_create(&th[started], NULL, worker, &wa) != 0) break;
    fsift_status s = started ? FSIFT_OK : fsift_error(FSIFT_E_INTERNAL, "pack: cannot start threads");
    if (!started) c->stop = 1;
    const char *delay = getenv("FSIFT_PACK_TEST_DELAY_US"); /* tests: widen the kill window */
    long delay_us = delay ? atol(delay) : 0;
    uint32_t crc = r->crc;
    uint64_t c_off = r->c;
    double last_log = fsift_now_ms();
    for (uint64_t j = r->block; j < c->nblocks && !s; j++) {
        slot *sl = &c->slots[j % (uint64_t)c->nslots];
        pthread_mutex_lock(&c->mu);
        while (!sl->ready && !c->stop) pthread_cond_wait(&c->cv, &c->mu);
        int bad = c->stop && !sl->ready;
        pthread_mutex_unlock(&c->mu);
        if (bad) break;
        c->cur_block = j;
        c->cur_block_c = c_off;
        c->crc_before = crc;
        s = emit(c, sl->buf, sl->len);
        uint64_t blen = c->plan.total - j * c->o->block_size;
        if (blen > c->o->block_size) blen = c->o->block_size;
        crc = (uint32_t)crc32_combine(crc, sl->crc, (z_off_t)blen);
        c_off += sl->len;
        pthread_mutex_lock(&c->mu);
        sl->ready = 0;
        c->written = j + 1;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        if (delay_us > 0) usleep((useconds_t)delay_us);
        if (!c->o->quiet && fsift_now_ms() - last_log > 5000) {
            last_log = fsift_now_ms();
            fsift_log(FSIFT_LOG_INFO, "pack: %.1f%% (%llu of %llu MB of tar)", 100.0 * (double)(j + 1) / (double)c->nblocks,
                      (unsigned long long)((j + 1) * c->o->block_size >> 20), (unsigned long long)(c->plan.total >> 20));
        }
    }
    if (s) set_err(c, s);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    free(th);
    if (c->err) {
        fsift_error(c->err, "%s", c->errmsg);
        return c->err;
    }
    /* trailer: CRC-32 and length mod 2^32, little-endian */
    c->cur_block = c->nblocks;
    c->cur_block_c = c_off;
    c->crc_before = crc;
    uint8_t tr[8];
    uint64_t isize = c->plan.total;
    for (int i = 0; i < 4; i++) {
        tr[i] = (uint8_t)(crc >> (8 * i));
        tr[4 + i] = (uint8_t)(isize >> (8 * i));
    }
    s = emit(c, tr, 8);
    if (!s && c->part_fd >= 0) s = close_part(c);
    return s;
}

fsift_status fsift_pack(const char *dir, const char *prefix, const fsift_pack_opts *opts,
                        fsift_pack_result *res) {
    fsift_pack_opts o;
    if (opts) o = *opts; else fsift_pack_opts_default(&o);
    if (o.level < 1 || o.level > 9) return fsift_error(FSIFT_E_INVALID_ARG, "pack: level must be 1..9");
    if (o.part_size < 1024) return fsift_error(FSIFT_E_INVALID_ARG, "pack: --part-size must be at least 1K");
    if (o.block_size < 65536 || o.block_size > (64u << 20))
        return fsift_error(FSIFT_E_INVALID_ARG, "pack: block size must be 64 KiB .. 64 MiB");
    if (strlen(prefix) > 4000) return fsift_error(FSIFT_E_INVALID_ARG, "pack: output prefix too long");
    double cpu0 = release_thread_cpu_s();
    pack_ctx *c = calloc(1, sizeof *c);
    if (!c) return fsift_error(FSIFT_E_NOMEM, "pack: out of memory");
    c->o = &o;
    c->prefix = prefix;
    c->part_fd = c->journal_fd = -1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    fsift_status s = tar_plan_build(dir, &c->plan);
    if (!s) s = mkdir_parents(prefix);
    if (!s) s = check_outside(dir, prefix);
    char jpath[4200];
    snprintf(jpath, sizeof jpath, "%s.pack-journal", prefix);
    restart r = {0, 0, 10, 0};
    if (!s) {
        c->nblocks = (c->plan.total + o.block_size - 1) / o.block_size;
        c->part_sha = calloc(MAX_PARTS, 32);
        c->part_size = calloc(MAX_PARTS, sizeof *c->part_size);
        if (!c->part_sha || !c->part_size) s = fsift_error(FSIFT_E_NOMEM, "pack: out of memory");
    }
    if (!s) s = fsift_sha256_init(&c->joined_h);
    size_t valid = 0;
    if (!s) s = journal_resume(c, jpath, &r, &valid);
    if (!s && r.parts == 0) {
        /* fresh start: a new journal holding just the header */
        fsift_sha256_free(&c->joined_h);
        s = fsift_sha256_init(&c->joined_h);
        char hdr[256];
        journal_header(hdr, sizeof hdr, c);
        if (!s) s = fsift_file_write_atomic(jpath, hdr, strlen(hdr));
    } else if (!s) {
        if (!o.quiet) fsift_log(FSIFT_LOG_INFO, "pack: resuming after %d finished part(s)", r.parts);
        /* drop a torn last line or lines of parts that did not check out */
        if (truncate(jpath, (off_t)valid) != 0)
            s = fsift_error(FSIFT_E_IO, "pack: cannot trim journal '%s': %s", jpath, strerror(errno));
    }
    if (!s) {
        c->journal_fd = open(jpath, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (c->journal_fd < 0) s = fsift_error(FSIFT_E_IO, "pack: cannot open journal '%s': %s", jpath, strerror(errno));
    }
    if (!s) {
        c->part = r.parts;
        c->skip_to = (uint64_t)r.parts * o.part_size;
        c->gz_off = r.c;
        if (r.parts == 0) {
            uint8_t h[10];
            pgz_header(h);
            c->gz_off = 0;
            s = emit(c, h, 10);
        }
    }
    if (!s) s = run_pipeline(c, &r);
    int nparts = c->part;
    if (!s) s = write_manifest(c, nparts);
    if (!s) {
        /* parts left from an earlier, longer archive would join into `cat PREFIX.tar.gz.*` */
        for (int k = nparts; k < MAX_PARTS; k++) {
            char p[4200];
            part_name(p, sizeof p, prefix, k, 0);
            int gone = unlink(p) != 0;
            part_name(p, sizeof p, prefix, k, 1);
            gone &= unlink(p) != 0;
            if (gone && k > nparts + 8) break;
        }
        close(c->journal_fd);
        c->journal_fd = -1;
        unlink(jpath);
    }
    if (!s && res) {
        res->members = c->plan.n;
        res->tar_bytes = c->plan.total;
        res->gz_bytes = c->gz_off;
        res->parts = nparts;
        res->parts_reused = r.parts;
        double main_cpu = release_thread_cpu_s() - cpu0;
        res->cpu_busiest_s = main_cpu > c->cpu_busiest ? main_cpu : c->cpu_busiest;
        res->cpu_total_s = main_cpu + c->cpu_total;
    }
    if (c->part_fd >= 0) close(c->part_fd);
    if (c->journal_fd >= 0) close(c->journal_fd);
    if (c->slots) for (int i = 0; i < c->nslots; i++) free(c->slots[i].buf);
    free(c->slots);
    free(c->part_sha);
    free(c->part_size);
    fsift_sha256_free(&c->part_h);
    fsift_sha256_free(&c->joined_h);
    tar_plan_free(&c->plan);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
    return s;
}
