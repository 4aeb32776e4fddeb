/*
 * samples.c — input shards and the sample reader: expands `facesift build` INPUT paths into
 * input shards (tar files, folders of images, FaceID-6M release folders, JSONL/CSV lists)
 * and reads each shard as a stream of webdataset-style samples in input order.
 *
 * Tar shards follow the webdataset convention: a member's key is its path up to the first
 * '.' of its file name, its extension the rest ("a/001.face.png" → key "a/001", ext
 * "face.png"); consecutive members with the same key form one sample. A key seen again later
 * in the shard, or a member extension repeated within a sample, marks the sample as a
 * duplicate (the pipeline rejects it with reason duplicate_key, so nothing is written twice).
 * A truncated archive ends the shard: the sample being assembled is returned with read_error
 * set, then the reader reports the error.
 *
 * Threading: a reader belongs to one thread. Memory: one sample plus one lookahead member.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "samples_internal.h"

/* ---- string set (open addressing, FNV-1a) ------------------------------------------- */

static uint64_t fnv(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int fsift_strset_add(fsift_strset *set, const char *s) {
    if ((set->n + 1) * 2 > set->cap) {
        size_t nc = set->cap ? set->cap * 2 : 1024;
        char **ns = calloc(nc, sizeof *ns);
        if (!ns) return -1;
        for (size_t i = 0; i < set->cap; i++)
            if (set->slots[i]) {
                size_t j = fnv(set->slots[i]) & (nc - 1);
                while (ns[j]) j = (j + 1) & (nc - 1);
                ns[j] = set->slots[i];
            }
        free(set->slots);
        set->slots = ns;
        set->cap = nc;
    }
    size_t j = fnv(s) & (set->cap - 1);
    while (set->slots[j]) {
        if (!strcmp(set->slots[j], s)) return 0;
        j = (j + 1) & (set->cap - 1);
    }
    if (!(set->slots[j] = strdup(s))) return -1;
    set->n++;
    return 1;
}

void fsift_strset_free(fsift_strset *set) {
    for (size_t i = 0; i < set->cap; i++) free(set->slots[i]);
    free(set->slots);
    memset(set, 0, sizeof *set);
}

/* ---- samples ------------------------------------------------------------------------ */

void fsift_sample_clear(fsift_sample *s) {
    if (!s) return;
    free(s->key);
    free(s->image);
    free(s->caption);
    free(s->json);
    for (int i = 0; i < s->n_extra; i++) {
        free(s->extra[i].ext);
        free(s->extra[i].data);
    }
    free(s->extra);
    memset(s, 0, sizeof *s);
}

char *fsift_json_caption(const char *json, size_t len) {
    json_error_t err;
    json_t *o = json_loadb(json, len, JSON_DISABLE_EOF_CHECK, &err);
    if (!o) return NULL;
    char *out = NULL;
    static const char *keys[] = {"caption", "additional_feature", "text", "prompt", "TEXT"};
    if (json_is_object(o))
        for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !out; i++) {
            json_t *v = json_object_get(o, keys[i]);
            if (json_is_string(v)) out = strdup(json_string_value(v));
        }
    json_decref(o);
    return out;
}

static int is_image_ext(const char *ext) {
    static const char *exts[] = {"jpg", "jpeg", "png", "webp", "gif", "bmp"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (!strcasecmp(ext, exts[i])) return 1;
    return 0;
}

/* Splits a member name into key and extension (pointer into name, "" when none). */
static size_t key_len(const char *name, const char **ext) {
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *dot = strchr(base, '.');
    if (!dot) {
        *ext = name + strlen(name);
        return strlen(name);
    }
    *ext = dot + 1;
    return (size_t)(dot - name);
}

/* Moves one member into the sample being built. Takes ownership of data. */
static int sample_take(fsift_sample *s, const char *ext, uint8_t *data, size_t size, int oversize) {
    int repeated = 0;
    if (is_image_ext(ext) && !s->image && !s->image_oversize && !s->image_ext[0]) {
        snprintf(s->image_ext, sizeof s->image_ext, "%s", ext);
        for (char *p = s->image_ext; *p; p++) *p = (char)tolower((unsigned char)*p);
        s->image = data;
        s->image_size = size;
        s->image_oversize = oversize;
        return 0;
    }
    if (is_image_ext(ext)) repeated = 1;
    if (!strcmp(ext, "txt") && !oversize) {
        if (s->caption) repeated = 1;
        else {
            s->caption = (char *)data;
            s->caption_len = size;
            return 0;
        }
    }
    if (!strcmp(ext, "json") && !oversize) {
        if (s->json) repeated = 1;
        else {
            s->json = data;
            s->json_size = size;
            return 0;
        }
    }
    for (int i = 0; i < s->n_extra; i++)
        if (!strcmp(s->extra[i].ext, ext)) repeated = 1;
    if (repeated) {
        s->duplicate = 1;
        free(data);
        return 0;
    }
    if (oversize) {
        s->read_error = "member over the size limit";
        free(data);
        return 0;
    }
    fsift_sample_member *ne = realloc(s->extra, (size_t)(s->n_extra + 1) * sizeof *ne);
    if (!ne) {
        free(data);
        return -1;
    }
    s->extra = ne;
    ne[s->n_extra].ext = strdup(ext);
    ne[s->n_extra].data = data;
    ne[s->n_extra].size = size;
    if (!ne[s->n_extra].ext) return -1;
    s->n_extra++;
    return 0;
}

int fsift_tar_sample_next(fsift_sample_reader *r, fsift_sample *s) {
    for (;;) {
        if (!r->has_pending) {
            if (r->tar_done > 0) return s->key ? 1 : 0;
            if (r->tar_done < 0) return s->key ? 1 : fsift_error(FSIFT_E_FORMAT, "%s", r->errmsg);
            fsift_tar_member m;
            int rc = fsift_tar_reader_next(r->tar, &m);
            if (rc < 0) {
                r->tar_done = rc;
                snprintf(r->errmsg, sizeof r->errmsg, "%s", fsift_last_error());
                if (!s->key) return rc;
                s->read_error = "truncated or corrupt tar member";
                return 1;
            }
            if (rc == 0) {
                r->tar_done = 1;
                return s->key ? 1 : 0;
            }
            r->pending_truncated = m.truncated;
            r->pending.ext = strdup(m.name);
            r->pending.data = NULL;
            r->pending.size = m.size;
            if (!r->pending.ext) return fsift_error(FSIFT_E_NOMEM, "out of memory");
            if (m.data) {
                r->pending.data = malloc(m.size + 1);
                if (!r->pending.data) return fsift_error(FSIFT_E_NOMEM, "out of memory");
                memcpy(r->pending.data, m.data, m.size + 1);
            }
            r->has_pending = 1;
        }
        const char *ext;
        size_t kl = key_len(r->pending.ext, &ext);
        if (s->key && (strlen(s->key) != kl || memcmp(s->key, r->pending.ext, kl))) return 1;
        if (!s->key) {
            s->key = strndup(r->pending.ext, kl);
            if (!s->key) return fsift_error(FSIFT_E_NOMEM, "out of memory");
        }
        if (r->pending_truncated) {
            s->read_error = "truncated tar member";
            free(r->pending.data);
        } else if (sample_take(s, ext, r->pending.data, r->pending.size, r->pending.data == NULL) < 0) {
            return fsift_error(FSIFT_E_NOMEM, "out of memory");
        }
        free(r->pending.ext);
        memset(&r->pending, 0, sizeof r->pending);
        r->has_pending = 0;
    }
}

/* ---- reader dispatch ------------------------------------------------------------------ */

fsift_status fsift_sample_reader_open(const fsift_input_shard *sh, size_t max_member_bytes,
                                      fsift_sample_reader **out) {
    *out = NULL;
    fsift_sample_reader *r = calloc(1, sizeof *r);
    if (!r) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    r->sh = sh;
    r->max_member = max_member_bytes ? max_member_bytes : ((size_t)64 << 20);
    fsift_status s = FSIFT_OK;
    if (sh->kind == FSIFT_INPUT_TAR) s = fsift_tar_reader_open(sh->path, r->max_member, &r->tar);
    else if (sh->kind == FSIFT_INPUT_LIST || sh->kind == FSIFT_INPUT_RELEASE) s = fsift_list_reader_init(r);
    else if (sh->kind != FSIFT_INPUT_FOLDER) s = fsift_error(FSIFT_E_INVALID_ARG, "unknown input kind %d", sh->kind);
    if (s) {
        fsift_sample_reader_close(r);
        return s;
    }
    *out = r;
    return FSIFT_OK;
}

int fsift_sample_reader_next(fsift_sample_reader *r, fsift_sample *s) {
    memset(s, 0, sizeof *s);
    int rc;
    switch (r->sh->kind) {
    case FSIFT_INPUT_TAR: rc = fsift_tar_sample_next(r, s); break;
    case FSIFT_INPUT_FOLDER: rc = fsift_folder_sample_next(r, s); break;
    default: rc = fsift_list_sample_next(r, s); break;
    }
    if (rc <= 0) {
        fsift_sample_clear(s);
        return rc;
    }
    int fresh = fsift_strset_add(&r->keys, s->key);
    if (fresh < 0) {
        fsift_sample_clear(s);
        return fsift_error(FSIFT_E_NOMEM, "out of memory");
    }
    if (!fresh) s->duplicate = 1;
    r->index++;
    return 1;
}

void fsift_sample_reader_close(fsift_sample_reader *r) {
    if (!r) return;
    fsift_tar_reader_close(r->tar);
    free(r->pending.ext);
    free(r->pending.data);
    if (r->f) fclose(r->f);
    free(r->dir);
    fsift_strset_free(&r->keys);
    free(r);
}

/* ---- expansion of INPUT paths ----------------------------------------------------------- */

static int ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcasecmp(s + n - m, suf);
}

static int is_tar_name(const char *s) {
    return ends_with(s, ".tar") || ends_with(s, ".tar.gz") || ends_with(s, ".tgz") || ends_with(s, ".tar.zst") ||
           ends_with(s, ".tar.bz2") || ends_with(s, ".tar.xz");
}

static const char *base_name(const char *p) {
    const char *b = strrchr(p, '/');
    while (b && !b[1] && b > p) { /* trailing slash */
        const char *q = b - 1;
        while (q > p && *q != '/') q--;
        if (*q == '/') return q + 1;
        return p;
    }
    return b ? b + 1 : p;
}

fsift_status fsift_input_set_push(fsift_input_set *out, const fsift_input_shard *sh) {
    fsift_input_shard *ns = realloc(out->shards, (size_t)(out->n + 1) * sizeof *ns);
    if (!ns) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    out->shards = ns;
    ns[out->n++] = *sh;
    return FSIFT_OK;
}

static fsift_status push_tar(fsift_input_set *out, const char *path) {
    fsift_input_shard sh = {0};
    sh.kind = FSIFT_INPUT_TAR;
    sh.path = strdup(path);
    sh.name = strdup(base_name(path));
    sh.count = -1;
    if (!sh.path || !sh.name) {
        free(sh.path);
        free(sh.name);
        return fsift_error(FSIFT_E_NOMEM, "out of memory");
    }
    return fsift_input_set_push(out, &sh);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Tar files directly inside dir, sorted; returns how many were pushed (< 0 on error). */
static int expand_tar_dir(const char *dir, fsift_input_set *out) {
    DIR *d = opendir(dir);
    if (!d) return fsift_error(FSIFT_E_IO, "cannot open folder '%s'", dir);
    char **names = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_tar_name(e->d_name)) continue;
        char **nn = realloc(names, (size_t)(n + 1) * sizeof *nn);
        if (!nn || !(nn[n] = strdup(e->d_name))) {
            names = nn ? nn : names;
            for (int i = 0; i < n; i++) free(names[i]);
            free(names);
            closedir(d);
            return fsift_error(FSIFT_E_NOMEM, "out of memory");
        }
        names = nn;
        n++;
    }
    closedir(d);
    if (n > 1) qsort(names, (size_t)n, sizeof *names, cmp_str);
    int rc = n;
    for (int i = 0; i < n; i++) {
        char *p = malloc(strlen(dir) + strlen(names[i]) + 2);
        if (p) sprintf(p, "%s/%s", dir, names[i]);
        if (rc >= 0 && (!p || push_tar(out, p))) rc = p ? -1 : fsift_error(FSIFT_E_NOMEM, "out of memory");
        free(p);
        free(names[i]);
    }
    free(names);
    return rc;
}

fsift_status fsift_inputs_expand(const char *const *paths, int n, int64_t shard_size, fsift_input_set *out) {
    memset(out, 0, sizeof *out);
    if (shard_size <= 0) shard_size = 10000;
    for (int i = 0; i < n; i++) {
        const char *p = paths[i];
        struct stat st;
        fsift_status s = FSIFT_OK;
        if (stat(p, &st) != 0) {
            s = fsift_error(FSIFT_E_IO, "input '%s' does not exist", p);
        } else if (S_ISDIR(st.st_mode)) {
            int nt = expand_tar_dir(p, out);
            if (nt < 0) s = (fsift_status)nt;
            else if (nt == 0) {
                char *jl = fsift_release_jsonl(p);
                if (jl) s = fsift_list_expand(FSIFT_INPUT_RELEASE, p, jl, shard_size, out);
                else s = fsift_folder_expand(p, shard_size, out);
                free(jl);
            }
        } else if (is_tar_name(p)) {
            s = push_tar(out, p);
        } else if (ends_with(p, ".jsonl") || ends_with(p, ".csv") || ends_with(p, ".tsv")) {
            s = fsift_list_expand(FSIFT_INPUT_LIST, p, p, shard_size, out);
        } else {
            s = fsift_error(FSIFT_E_UNSUPPORTED,
                            "input '%s': expected a .tar/.tar.gz/.tar.zst shard, a folder, or a .jsonl/.csv/.tsv list", p);
        }
        if (s) {
            fsift_input_set_free(out);
            return s;
        }
    }
    return FSIFT_OK;
}

void fsift_input_set_free(fsift_input_set *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        free(s->shards[i].path);
        free(s->shards[i].name);
        if (s->shards[i].files) {
            for (int64_t j = 0; j < s->shards[i].count; j++) free(s->shards[i].files[j]);
            free(s->shards[i].files);
        }
    }
    free(s->shards);
    memset(s, 0, sizeof *s);
}
