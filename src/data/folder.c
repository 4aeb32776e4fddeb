/*
 * folder.c — a folder of images with sidecar captions as build input.
 *
 * The folder is walked recursively (hidden entries skipped, symlinks followed only to files)
 * and every file with an image extension (jpg, jpeg, png, webp, gif, bmp; any case) becomes a
 * sample, in byte order of its relative path, cut into shards of shard_size. The caption is
 * the sidecar STEM.txt (bytes as they are), else the "caption"/"text" string of STEM.json;
 * STEM.json is carried as the sample's source metadata either way. The key is the relative
 * path without its extension, with '/' and '.' replaced by '_' (so it is a valid webdataset
 * key); two files giving the same key make the later one a duplicate.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "samples_internal.h"

typedef struct name_list {
    char **v;
    int64_t n, cap;
} name_list;

static int has_image_ext(const char *name) {
    const char *dot = strrchr(name, '.');
    if (!dot) return 0;
    static const char *exts[] = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (!strcasecmp(dot, exts[i])) return 1;
    return 0;
}

static fsift_status walk(const char *root, const char *rel, name_list *out, int depth) {
    if (depth > 32) return fsift_error(FSIFT_E_LIMIT, "folder '%s': more than 32 levels deep", root);
    size_t need = strlen(root) + strlen(rel) + 2;
    char *dir = malloc(need);
    if (!dir) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    snprintf(dir, need, rel[0] ? "%s/%s" : "%s", root, rel);
    DIR *d = opendir(dir);
    if (!d) {
        fsift_status s = fsift_error(FSIFT_E_IO, "cannot open folder '%s': %s", dir, strerror(errno));
        free(dir);
        return s;
    }
    fsift_status s = FSIFT_OK;
    struct dirent *e;
    while (!s && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t rl = strlen(rel) + strlen(e->d_name) + 2;
        char *r = malloc(rl);
        if (!r) {
            s = fsift_error(FSIFT_E_NOMEM, "out of memory");
            break;
        }
        snprintf(r, rl, rel[0] ? "%s/%s" : "%s%s", rel, e->d_name);
        char *full = malloc(strlen(root) + rl + 2);
        if (!full) {
            free(r);
            s = fsift_error(FSIFT_E_NOMEM, "out of memory");
            break;
        }
        sprintf(full, "%s/%s", root, r);
        struct stat st;
        int ok = stat(full, &st) == 0;
        free(full);
        if (ok && S_ISDIR(st.st_mode) && e->d_type != DT_LNK) {
            s = walk(root, r, out, depth + 1);
            free(r);
        } else if (ok && S_ISREG(st.st_mode) && has_image_ext(e->d_name)) {
            if (out->n == out->cap) {
                int64_t nc = out->cap ? out->cap * 2 : 256;
                char **nv = realloc(out->v, (size_t)nc * sizeof *nv);
                if (!nv) {
                    free(r);
                    s = fsift_error(FSIFT_E_NOMEM, "out of memory");
                    break;
                }
                out->v = nv;
                out->cap = nc;
            }
            out->v[out->n++] = r;
        } else {
            free(r);
        }
    }
    closedir(d);
    free(dir);
    return s;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

fsift_status fsift_folder_expand(const char *dir, int64_t shard_size, fsift_input_set *out) {
    name_list nl = {0};
    fsift_status s = walk(dir, "", &nl, 0);
    if (!s && nl.n == 0) s = fsift_error(FSIFT_E_FORMAT, "folder '%s' holds no images, tar shards or release .jsonl", dir);
    if (s) {
        for (int64_t i = 0; i < nl.n; i++) free(nl.v[i]);
        free(nl.v);
        return s;
    }
    qsort(nl.v, (size_t)nl.n, sizeof *nl.v, cmp_str);
    const char *base = strrchr(dir, '/');
    base = base && base[1] ? base + 1 : dir;
    for (int64_t first = 0; first < nl.n && !s; first += shard_size) {
        fsift_input_shard sh = {0};
        sh.kind = FSIFT_INPUT_FOLDER;
        sh.first = first;
        sh.count = nl.n - first < shard_size ? nl.n - first : shard_size;
        sh.path = strdup(dir);
        sh.name = malloc(strlen(base) + 32);
        sh.files = malloc((size_t)sh.count * sizeof *sh.files);
        if (!sh.path || !sh.name || !sh.files) {
            free(sh.path);
            free(sh.name);
            free(sh.files);
            s = fsift_error(FSIFT_E_NOMEM, "out of memory");
            break;
        }
        sprintf(sh.name, "%s@%lld", base, (long long)first);
        memcpy(sh.files, nl.v + first, (size_t)sh.count * sizeof *sh.files);
        for (int64_t i = first; i < first + sh.count; i++) nl.v[i] = NULL;
        s = fsift_input_set_push(out, &sh);
    }
    for (int64_t i = 0; i < nl.n; i++) free(nl.v[i]);
    free(nl.v);
    return s;
}

int fsift_read_image_file(const char *path, size_t max, fsift_sample *s) {
    struct stat st;
    if (stat(path, &st) != 0) {
        s->read_error = "image file missing";
        return 0;
    }
    if ((uint64_t)st.st_size > max) {
        s->image_oversize = 1;
        return 0;
    }
    void *data;
    size_t size;
    if (fsift_file_read(path, max, &data, &size)) {
        s->read_error = "image file unreadable";
        return 0;
    }
    s->image = data;
    s->image_size = size;
    return 0;
}

/* Reads a sidecar file (≤ 1 MiB) if it exists; NULL otherwise. */
static uint8_t *read_sidecar(const char *path, size_t *size) {
    void *data;
    if (fsift_file_read(path, (size_t)1 << 20, &data, size)) return NULL;
    return data;
}

int fsift_folder_sample_next(fsift_sample_reader *r, fsift_sample *s) {
    const fsift_input_shard *sh = r->sh;
    if (r->index >= sh->count) return 0;
    const char *rel = sh->files[r->index];
    size_t rl = strlen(rel);
    const char *dot = strrchr(rel, '.');
    size_t stem = (size_t)(dot - rel);
    s->key = malloc(stem + 1);
    char *full = malloc(strlen(sh->path) + rl + 16);
    if (!s->key || !full) {
        free(full);
        return fsift_error(FSIFT_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < stem; i++) s->key[i] = (rel[i] == '/' || rel[i] == '.') ? '_' : rel[i];
    s->key[stem] = 0;
    snprintf(s->image_ext, sizeof s->image_ext, "%s", dot + 1);
    for (char *p = s->image_ext; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    sprintf(full, "%s/%s", sh->path, rel);
    fsift_read_image_file(full, r->max_member, s);
    sprintf(full, "%s/%.*s.txt", sh->path, (int)stem, rel);
    s->caption = (char *)read_sidecar(full, &s->caption_len);
    sprintf(full, "%s/%.*s.json", sh->path, (int)stem, rel);
    s->json = read_sidecar(full, &s->json_size);
    if (!s->caption && s->json) {
        s->caption = fsift_json_caption((const char *)s->json, s->json_size);
        if (s->caption) s->caption_len = strlen(s->caption);
    }
    free(full);
    return 1;
}
