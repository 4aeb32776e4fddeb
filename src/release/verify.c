/*
 * verify.c — `facesift verify DIR` for a FaceID-6M release-layout folder, plus the checks
 * shared with the webdataset check (verify_wds.c).
 *
 * Release layout (DESIGN.md §3): one top-level .jsonl whose line N describes sample N, and
 * for every N: N.png (decodable; JPEG bytes under the .png name are accepted and counted, as
 * the published release stores them), N.npy (NumPy header, float32, the expected dimension,
 * every value finite) and face/N.png (decodable). Lines must be JSON objects. Files that no
 * line accounts for are "extra". Every problem is counted by kind; the first few of each kind
 * are printed as examples.
 *
 * The jsonl is streamed in batches of lines; each batch's samples are checked in parallel on
 * a thread pool (image decoding dominates), so memory stays bounded for millions of lines.
 * The expected embedding dimension is --dim, or else sample 0's.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "facesift/image.h"
#include "release/release_internal.h"

static const char *kind_names[FSIFT_VK_COUNT] = {
    "missing_image", "corrupt_image", "missing_npy", "corrupt_npy", "wrong_dim", "nonfinite_npy",
    "missing_face", "corrupt_face", "bad_json", "extra_file", "missing_json", "missing_txt",
    "bad_bbox_kps", "duplicate_key", "incomplete_shard", "bad_shard", "bad_stats"};

const char *fsift_verify_kind_name(fsift_verify_kind k) {
    return (unsigned)k < FSIFT_VK_COUNT ? kind_names[k] : "unknown";
}

void fsift_verify_opts_default(fsift_verify_opts *o) {
    memset(o, 0, sizeof *o);
    o->max_examples = 5;
}

void vproblem(vstate *v, fsift_verify_kind k, const char *fmt, ...) {
    pthread_mutex_lock(v->mu);
    v->rep->counts[k]++;
    v->rep->problems++;
    if (v->o->log && v->shown[k] < v->o->max_examples) {
        v->shown[k]++;
        va_list ap;
        va_start(ap, fmt);
        fprintf(v->o->log, "  %s: ", kind_names[k]);
        vfprintf(v->o->log, fmt, ap);
        fputc('\n', v->o->log);
        va_end(ap);
    }
    pthread_mutex_unlock(v->mu);
}

void vcount(vstate *v, uint64_t *field, uint64_t n) {
    pthread_mutex_lock(v->mu);
    *field += n;
    pthread_mutex_unlock(v->mu);
}

int vcheck_image(const void *data, size_t size, int quick, int *is_jpeg) {
    fsift_image_format f = fsift_image_sniff(data, size);
    *is_jpeg = f == FSIFT_IMG_JPEG;
    if (f == FSIFT_IMG_UNKNOWN) return 1;
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    if (quick) {
        fsift_image_info info;
        return fsift_image_probe(data, size, &o, &info) != FSIFT_OK;
    }
    fsift_image img = {0};
    fsift_status s = fsift_image_decode(data, size, &o, &img, NULL);
    fsift_image_free(&img);
    return s != FSIFT_OK;
}

int vcheck_npy(const void *data, size_t size, int dim, int *got_dim) {
    fsift_tensor t;
    *got_dim = 0;
    if (fsift_npy_parse(data, size, &t) != FSIFT_OK) return FSIFT_VK_CORRUPT_NPY;
    int64_t n = fsift_tensor_numel(&t);
    int r = 0;
    if (t.dtype != FSIFT_DTYPE_FLOAT32 || t.rank < 1 || t.rank > 2 || (t.rank == 2 && t.dims[0] != 1) || n <= 0) {
        r = FSIFT_VK_CORRUPT_NPY;
    } else {
        *got_dim = (int)n;
        if (dim && n != dim) r = FSIFT_VK_WRONG_DIM;
        const float *f = t.data;
        for (int64_t i = 0; i < n && !r; i++)
            if (!isfinite(f[i])) r = FSIFT_VK_NONFINITE_NPY;
    }
    free(t.data);
    return r;
}

static int json_nums(json_t *a, size_t n) {
    if (!json_is_array(a) || json_array_size(a) != n) return 0;
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(a, i);
        if (!json_is_number(x) || !isfinite(json_number_value(x))) return 0;
    }
    return 1;
}

int vcheck_sample_json(const void *data, size_t size) {
    json_t *j = json_loadb(data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!j) return FSIFT_VK_BAD_JSON;
    int r = 0;
    if (!json_is_object(j)) r = FSIFT_VK_BAD_JSON;
    else {
        json_t *kps = json_object_get(j, "kps");
        if (!json_nums(json_object_get(j, "bbox"), 4) || !json_is_array(kps) || json_array_size(kps) != 5) r = FSIFT_VK_BAD_BBOX_KPS;
        for (size_t i = 0; !r && i < 5; i++)
            if (!json_nums(json_array_get(kps, i), 2)) r = FSIFT_VK_BAD_BBOX_KPS;
    }
    json_decref(j);
    return r;
}

fsift_status fsift_release_find_jsonl(const char *dir, char **path) {
    *path = NULL;
    DIR *d = opendir(dir);
    if (!d) return fsift_error(FSIFT_E_IO, "cannot open folder '%s': %s", dir, strerror(errno));
    struct dirent *de;
    int n = 0;
    char first[512] = "", second[512] = "";
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 7 || strcmp(de->d_name + l - 6, ".jsonl") || l >= sizeof first) continue;
        if (n == 0 || strcmp(de->d_name, first) < 0) {
            if (n) snprintf(second, sizeof second, "%s", first);
            snprintf(first, sizeof first, "%s", de->d_name);
        } else {
            snprintf(second, sizeof second, "%s", de->d_name);
        }
        n++;
    }
    closedir(d);
    if (n == 0) return fsift_error(FSIFT_E_FORMAT, "'%s' has no .jsonl file (not a release-layout folder)", dir);
    if (n > 1) return fsift_error(FSIFT_E_FORMAT, "'%s' has %d .jsonl files ('%s', '%s', …): a release folder has exactly one", dir, n, first, second);
    size_t len = strlen(dir) + strlen(first) + 2;
    if (!(*path = malloc(len))) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    snprintf(*path, len, "%s/%s", dir, first);
    return FSIFT_OK;
}

/* ---- release layout ---------------------------------------------------------------------- */

#define BATCH 2048

typedef struct batch {
    vstate *v;
    const char *dir;
    char **lines;
    size_t *lens;
    uint64_t first;  /* sample number of lines[0] */
    int n;
    int dim;
} batch;

static void check_file(batch *b, uint64_t n, const char *fmt, int kind_missing, int is_image) {
    char path[4300];
    snprintf(path, sizeof path, fmt, b->dir, (unsigned long long)n);
    void *data;
    size_t size;
    if (fsift_file_read(path, FSIFT_DEFAULT_MAX_FILE_BYTES, &data, &size) != FSIFT_OK) {
        struct stat st;
        int missing = stat(path, &st) != 0;
        fsift_clear_error();
        vproblem(b->v, missing ? kind_missing : kind_missing + 1, "%s%s", path, missing ? "" : " (unreadable or over 64 MiB)");
        return;
    }
    if (is_image) {
        int jpeg;
        if (vcheck_image(data, size, b->v->o->quick, &jpeg)) vproblem(b->v, kind_missing + 1, "%s", path);
        else if (jpeg && kind_missing == FSIFT_VK_MISSING_IMAGE) vcount(b->v, &b->v->rep->jpeg_as_png, 1);
    } else {
        int got, r = vcheck_npy(data, size, b->dim, &got);
        if (r == FSIFT_VK_WRONG_DIM) vproblem(b->v, r, "%s has %d values, expected %d", path, got, b->dim);
        else if (r) vproblem(b->v, r, "%s", path);
    }
    free(data);
}

static void batch_fn(void *arg, int ith, int nth) {
    batch *b = arg;
    int64_t lo, hi;
    fsift_split_range(b->n, ith, nth, &lo, &hi);
    for (int64_t i = lo; i < hi; i++) {
        uint64_t n = b->first + (uint64_t)i;
        json_t *j = json_loadb(b->lines[i], b->lens[i], 0, NULL);
        if (!json_is_object(j)) vproblem(b->v, FSIFT_VK_BAD_JSON, "line %llu is not a JSON object", (unsigned long long)n);
        json_decref(j);
        check_file(b, n, "%s/%llu.png", FSIFT_VK_MISSING_IMAGE, 1);
        check_file(b, n, "%s/%llu.npy", FSIFT_VK_MISSING_NPY, 0);
        check_file(b, n, "%s/face/%llu.png", FSIFT_VK_MISSING_FACE, 1);
    }
}

/* "123.png" → 123 when the name is a canonical number plus ext; else -1. */
static int64_t numbered(const char *name, const char *ext) {
    size_t l = strlen(name), el = strlen(ext);
    if (l <= el || strcmp(name + l - el, ext)) return -1;
    size_t dl = l - el;
    if (dl > 15 || (dl > 1 && name[0] == '0')) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < dl; i++) {
        if (name[i] < '0' || name[i] > '9') return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

static void scan_extras(vstate *v, const char *dir, const char *jsonl_name, uint64_t lines) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, "..") || !strcmp(nm, "face") || !strcmp(nm, jsonl_name)) continue;
        int64_t a = numbered(nm, ".png"), b = numbered(nm, ".npy");
        int64_t k = a >= 0 ? a : b;
        if (k < 0 || (uint64_t)k >= lines) vproblem(v, FSIFT_VK_EXTRA_FILE, "%s/%s", dir, nm);
    }
    closedir(d);
    char fdir[4200];
    snprintf(fdir, sizeof fdir, "%s/face", dir);
    if (!(d = opendir(fdir))) return;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, "..")) continue;
        int64_t k = numbered(nm, ".png");
        if (k < 0 || (uint64_t)k >= lines) vproblem(v, FSIFT_VK_EXTRA_FILE, "%s/%s", fdir, nm);
    }
    closedir(d);
}

static int first_dim(const char *dir) {
    char path[4300];
    snprintf(path, sizeof path, "%s/0.npy", dir);
    void *data;
    size_t size;
    if (fsift_file_read(path, 1 << 24, &data, &size) != FSIFT_OK) {
        fsift_clear_error();
        return 512;
    }
    int got = 0;
    vcheck_npy(data, size, 0, &got);
    free(data);
    return got > 0 ? got : 512;
}

static fsift_status verify_release(const char *dir, const char *jsonl, vstate *v) {
    FILE *f = fopen(jsonl, "rb");
    if (!f) return fsift_error(FSIFT_E_IO, "cannot open '%s': %s", jsonl, strerror(errno));
    v->rep->layout = 1;
    v->rep->dim = v->o->dim > 0 ? v->o->dim : first_dim(dir);
    fsift_pool *pool = NULL;
    int nt = release_threads(v->o->threads);
    if (nt > 1 && fsift_pool_new(nt, &pool) != FSIFT_OK) pool = NULL;
    batch b = {v, dir, calloc(BATCH, sizeof(char *)), calloc(BATCH, sizeof(size_t)), 0, 0, v->rep->dim};
    fsift_status s = (b.lines && b.lens) ? FSIFT_OK : fsift_error(FSIFT_E_NOMEM, "verify: out of memory");
    uint64_t total = 0;
    int eof = 0;
    while (!s && !eof) {
        b.n = 0;
        b.first = total;
        while (b.n < BATCH) {
            size_t cap = 0;
            char *line = NULL;
            ssize_t len = getline(&line, &cap, f);
            if (len < 0) { free(line); eof = 1; break; }
            if (len > 0 && line[len - 1] == '\n') len--;
            b.lines[b.n] = line;
            b.lens[b.n++] = (size_t)len;
        }
        /* a final empty line after the last newline is not a sample */
        fsift_pool_run(pool, batch_fn, &b, nt);
        total += (uint64_t)b.n;
        for (int i = 0; i < b.n; i++) free(b.lines[i]);
    }
    fclose(f);
    fsift_pool_free(pool);
    free(b.lines);
    free(b.lens);
    v->rep->samples = total;
    if (!s) {
        const char *base = strrchr(jsonl, '/');
        scan_extras(v, dir, base ? base + 1 : jsonl, total);
    }
    return s;
}

fsift_status fsift_verify(const char *dir, const fsift_verify_opts *opts, fsift_verify_report *rep) {
    fsift_verify_opts o;
    if (opts) o = *opts; else fsift_verify_opts_default(&o);
    memset(rep, 0, sizeof *rep);
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    vstate v = {&o, rep, &mu, {0}};
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return fsift_error(FSIFT_E_IO, "verify: '%s' is not a folder", dir);
    int found = 0;
    fsift_status s = verify_wds(dir, &v, &found);
    if (s || found) return s;
    char *jsonl = NULL;
    s = fsift_release_find_jsonl(dir, &jsonl);
    if (s) {
        fsift_error_prefix("verify: '%s' is neither a webdataset output (no *.tar shards) nor a release folder", dir);
        return s;
    }
    s = verify_release(dir, jsonl, &v);
    free(jsonl);
    return s;
}
