/*
 * subset.c — nested random subsets of a release-layout folder (the paper's 1K … 4M scaling
 * study), and random access to one sample (`facesift get`).
 *
 * Subsets: one seeded permutation of [0, n) decides everything — the subset of size s is
 * the permutation's first s entries — so every subset contains all smaller ones and the
 * same seed always gives the same subsets (no threads are involved). Only the first
 * max(sizes) entries are drawn (a partial Fisher–Yates shuffle on a uint32 array with
 * splitmix64 and Lemire's unbiased bounded draw), then turned into rank[sample] (the
 * sample's position in the permutation, or none): 8 bytes per sample in all. A second pass
 * over the jsonl writes every subset at once, in ascending sample order:
 * OUT/<label>.jsonl with {"sample":N, …the original line's fields}, and with `link` the
 * folder OUT/<label>/ of hard links renumbered 0 … s-1 plus its own .jsonl. Index files are
 * written to a temporary name and renamed.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "facesift/image.h"
#include "release/release_internal.h"

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) without modulo bias (Lemire 2019), n ≤ 2^32. */
static uint64_t bounded(uint64_t *s, uint64_t n) {
    uint64_t x = splitmix64(s) >> 32;
    uint64_t m = x * n;
    uint64_t l = m & 0xffffffffull;
    if (l < n) {
        uint64_t t = ((1ull << 32) - n) % n;
        while (l < t) {
            x = splitmix64(s) >> 32;
            m = x * n;
            l = m & 0xffffffffull;
        }
    }
    return m >> 32;
}

static fsift_status count_lines(const char *path, uint64_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return fsift_error(FSIFT_E_IO, "cannot open '%s': %s", path, strerror(errno));
    char *buf = malloc(1 << 20);
    if (!buf) { fclose(f); return fsift_error(FSIFT_E_NOMEM, "out of memory"); }
    uint64_t c = 0;
    size_t r;
    int last = '\n';
    while ((r = fread(buf, 1, 1 << 20, f)) > 0) {
        for (char *p = buf, *end = buf + r; (p = memchr(p, '\n', (size_t)(end - p))); p++) c++;
        last = buf[r - 1];
    }
    if (last != '\n') c++;
    int err = ferror(f);
    free(buf);
    fclose(f);
    if (err) return fsift_error(FSIFT_E_IO, "read of '%s' failed", path);
    *n = c;
    return FSIFT_OK;
}

typedef struct out_set {
    const char *label;
    uint64_t size, written;
    FILE *index, *jsonl;   /* jsonl: the linked folder's own .jsonl */
    char *index_tmp, *index_path, *jsonl_tmp, *jsonl_path, *folder;
} out_set;

static char *joinf(const char *a, const char *b, const char *c) {
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s%s", a, b, c);
    return p;
}

static fsift_status link_file(const char *src, const char *dst) {
    if (link(src, dst) == 0) return FSIFT_OK;
    if (errno == EEXIST && unlink(dst) == 0 && link(src, dst) == 0) return FSIFT_OK;
    return fsift_error(FSIFT_E_IO, "subset: cannot hard-link '%s' to '%s': %s (same file system needed)", src, dst, strerror(errno));
}

static fsift_status emit_sample(out_set *o, const char *dir, uint64_t n, const char *line, size_t len) {
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i == len || line[i] != '{')
        return fsift_error(FSIFT_E_FORMAT, "subset: line %llu of the jsonl is not a JSON object", (unsigned long long)n);
    size_t j = i + 1;
    while (j < len && (line[j] == ' ' || line[j] == '\t')) j++;
    if (j < len && line[j] == '}') fprintf(o->index, "{\"sample\":%llu}\n", (unsigned long long)n);
    else fprintf(o->index, "{\"sample\":%llu,%.*s\n", (unsigned long long)n, (int)(len - i - 1), line + i + 1);
    if (o->jsonl) {
        fwrite(line, 1, len, o->jsonl);
        fputc('\n', o->jsonl);
        char src[4300], dst[4300];
        static const char *const pat[3][2] = {{"%s/%llu.png", "%s/%llu.png"}, {"%s/%llu.npy", "%s/%llu.npy"},
                                              {"%s/face/%llu.png", "%s/face/%llu.png"}};
        for (int k = 0; k < 3; k++) {
            snprintf(src, sizeof src, pat[k][0], dir, (unsigned long long)n);
            snprintf(dst, sizeof dst, pat[k][1], o->folder, (unsigned long long)o->written);
            fsift_status s = link_file(src, dst);
            if (s) return s;
        }
    }
    o->written++;
    return FSIFT_OK;
}

static fsift_status close_file(FILE **f, const char *tmp, const char *path) {
    if (!*f) return FSIFT_OK;
    int bad = fflush(*f) != 0 || fsync(fileno(*f)) != 0;
    bad |= fclose(*f) != 0;
    *f = NULL;
    if (bad || rename(tmp, path) != 0) return fsift_error(FSIFT_E_IO, "subset: cannot write '%s': %s", path, strerror(errno));
    return FSIFT_OK;
}

fsift_status fsift_subset(const char *dir, const char *const *labels, const uint64_t *sizes,
                          int nsizes, uint64_t seed, const char *out, int link) {
    if (nsizes <= 0) return fsift_error(FSIFT_E_INVALID_ARG, "subset: no sizes");
    char *jsonl = NULL;
    fsift_status s = fsift_release_find_jsonl(dir, &jsonl);
    uint64_t n = 0, maxs = 0;
    if (!s) s = count_lines(jsonl, &n);
    for (int k = 0; !s && k < nsizes; k++) {
        uint64_t sz = sizes[k] ? sizes[k] : n; /* 0 = all */
        if (sz > n) s = fsift_error(FSIFT_E_INVALID_ARG, "subset: size %s (%llu) is larger than the %llu samples of '%s'", labels[k], (unsigned long long)sz, (unsigned long long)n, dir);
        if (sz > maxs) maxs = sz;
    }
    if (!s && n >= (1ull << 32) - 1) s = fsift_error(FSIFT_E_LIMIT, "subset: over 4 billion samples");
    uint32_t *rank = NULL;
    if (!s) {
        uint32_t *perm = malloc((size_t)n * sizeof *perm + 1);
        rank = malloc((size_t)n * sizeof *rank + 1);
        if (!perm || !rank) s = fsift_error(FSIFT_E_NOMEM, "subset: out of memory for %llu samples", (unsigned long long)n);
        else {
            for (uint64_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
            uint64_t st = seed ^ 0x66616365736966ull; /* "facesif" */
            for (uint64_t k = 0; k < maxs; k++) {
                uint64_t j = k + bounded(&st, n - k);
                uint32_t t = perm[k];
                perm[k] = perm[j];
                perm[j] = t;
            }
            memset(rank, 0xff, (size_t)n * sizeof *rank);
            for (uint64_t k = 0; k < maxs; k++) rank[perm[k]] = (uint32_t)k;
        }
        free(perm);
    }
    out_set *os = calloc((size_t)nsizes, sizeof *os);
    if (!s && !os) s = fsift_error(FSIFT_E_NOMEM, "subset: out of memory");
    if (!s && mkdir(out, 0755) != 0 && errno != EEXIST) s = fsift_error(FSIFT_E_IO, "subset: cannot create '%s': %s", out, strerror(errno));
    const char *jbase = jsonl ? strrchr(jsonl, '/') + 1 : "";
    for (int k = 0; !s && k < nsizes; k++) {
        out_set *o = &os[k];
        o->label = labels[k];
        o->size = sizes[k] ? sizes[k] : n;
        if (strchr(o->label, '/') || !o->label[0]) { s = fsift_error(FSIFT_E_INVALID_ARG, "subset: bad label '%s'", o->label); break; }
        char tail[300];
        snprintf(tail, sizeof tail, "/%s.jsonl", o->label);
        o->index_path = joinf(out, tail, "");
        o->index_tmp = joinf(out, tail, ".tmp");
        if (!o->index_path || !o->index_tmp || !(o->index = fopen(o->index_tmp, "wb"))) {
            s = fsift_error(FSIFT_E_IO, "subset: cannot create '%s'", o->index_tmp ? o->index_tmp : out);
            break;
        }
        if (link) {
            snprintf(tail, sizeof tail, "/%s", o->label);
            o->folder = joinf(out, tail, "");
            char *face = o->folder ? joinf(o->folder, "/face", "") : NULL;
            if (!face || (mkdir(o->folder, 0755) != 0 && errno != EEXIST) || (mkdir(face, 0755) != 0 && errno != EEXIST)) {
                free(face);
                s = fsift_error(FSIFT_E_IO, "subset: cannot create folder '%s'", o->folder ? o->folder : out);
                break;
            }
            free(face);
            o->jsonl_path = joinf(o->folder, "/", jbase);
            o->jsonl_tmp = joinf(o->folder, "/", ".subset.jsonl.tmp");
            if (!o->jsonl_path || !o->jsonl_tmp || !(o->jsonl = fopen(o->jsonl_tmp, "wb"))) {
                s = fsift_error(FSIFT_E_IO, "subset: cannot create the jsonl of '%s'", o->folder);
                break;
            }
        }
    }
    FILE *f = s ? NULL : fopen(jsonl, "rb");
    if (!s && !f) s = fsift_error(FSIFT_E_IO, "cannot open '%s': %s", jsonl, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    for (uint64_t i = 0; !s && i < n; i++) {
        ssize_t len = getline(&line, &cap, f);
        if (len < 0) { s = fsift_error(FSIFT_E_IO, "subset: '%s' changed while being read", jsonl); break; }
        if (len && line[len - 1] == '\n') len--;
        if (rank[i] == UINT32_MAX) continue;
        for (int k = 0; !s && k < nsizes; k++)
            if (rank[i] < os[k].size) s = emit_sample(&os[k], dir, i, line, (size_t)len);
    }
    free(line);
    if (f) fclose(f);
    for (int k = 0; os && k < nsizes; k++) {
        out_set *o = &os[k];
        if (!s) s = close_file(&o->index, o->index_tmp, o->index_path);
        if (!s) s = close_file(&o->jsonl, o->jsonl_tmp, o->jsonl_path);
        if (o->index) { fclose(o->index); unlink(o->index_tmp); }
        if (o->jsonl) { fclose(o->jsonl); unlink(o->jsonl_tmp); }
        free(o->index_tmp); free(o->index_path); free(o->jsonl_tmp); free(o->jsonl_path); free(o->folder);
    }
    free(os);
    free(rank);
    free(jsonl);
    return s;
}

/* ---- get ---------------------------------------------------------------------------------- */

static json_t *first_key(json_t *rec, const char *const *keys) {
    for (; *keys; keys++) {
        json_t *v = json_object_get(rec, *keys);
        if (v) return json_incref(v);
    }
    return json_null();
}

static void add_file(json_t *o, const char *key, const char *path, int sniff) {
    json_object_set_new(o, key, json_string(path));
    char ek[64];
    snprintf(ek, sizeof ek, "%s_exists", key);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    json_object_set_new(o, ek, json_boolean(fd >= 0));
    if (fd >= 0 && sniff) {
        uint8_t head[32];
        ssize_t r = read(fd, head, sizeof head);
        snprintf(ek, sizeof ek, "%s_format", key);
        json_object_set_new(o, ek, json_string(fsift_image_format_name(fsift_image_sniff(head, r > 0 ? (size_t)r : 0))));
    }
    if (fd >= 0) close(fd);
}

fsift_status fsift_release_get(const char *dir, uint64_t n, char **out) {
    *out = NULL;
    char *jsonl = NULL;
    fsift_status s = fsift_release_find_jsonl(dir, &jsonl);
    if (s) return s;
    FILE *f = fopen(jsonl, "rb");
    if (!f) {
        s = fsift_error(FSIFT_E_IO, "cannot open '%s': %s", jsonl, strerror(errno));
        free(jsonl);
        return s;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = -1;
    for (uint64_t i = 0; i <= n; i++)
        if ((len = getline(&line, &cap, f)) < 0) break;
    fclose(f);
    json_t *rec = len >= 0 ? json_loadb(line, (size_t)len, 0, NULL) : NULL;
    if (len < 0) s = fsift_error(FSIFT_E_INVALID_ARG, "get: '%s' has fewer than %llu lines", jsonl, (unsigned long long)n + 1);
    else if (!json_is_object(rec)) s = fsift_error(FSIFT_E_FORMAT, "get: line %llu of '%s' is not a JSON object", (unsigned long long)n, jsonl);
    free(line);
    if (!s) {
        static const char *const caption[] = {"caption", "additional_feature", "text", "prompt", "TEXT", NULL};
        static const char *const bbox[] = {"bbox", "box", "face_bbox", NULL};
        static const char *const kps[] = {"landmarks", "kps", "face_kps", NULL};
        json_t *o = json_object();
        json_object_set_new(o, "sample", json_integer((json_int_t)n));
        json_object_set_new(o, "caption", first_key(rec, caption));
        json_object_set_new(o, "bbox", first_key(rec, bbox));
        json_object_set_new(o, "landmarks", first_key(rec, kps));
        char p[4300];
        snprintf(p, sizeof p, "%s/%llu.png", dir, (unsigned long long)n);
        add_file(o, "image", p, 1);
        snprintf(p, sizeof p, "%s/%llu.npy", dir, (unsigned long long)n);
        add_file(o, "embedding", p, 0);
        snprintf(p, sizeof p, "%s/face/%llu.png", dir, (unsigned long long)n);
        add_file(o, "face", p, 1);
        json_object_set_new(o, "jsonl", json_string(jsonl));
        json_object_set(o, "record", rec);
        *out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (!*out) s = fsift_error(FSIFT_E_NOMEM, "get: out of memory");
    }
    json_decref(rec);
    free(jsonl);
    return s;
}
