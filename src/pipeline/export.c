/*
 * export.c — `facesift export` and `facesift merge` on finished webdataset outputs.
 *
 * A finished output is a folder of NNNNN.tar + NNNNN_stats.json (+ NNNNN_reasons.jsonl);
 * the stats files are the index (a tar without its stats file is an unfinished shard).
 *
 * Export reads the shards in number order and the samples in tar order, numbering kept
 * samples N = 0, 1, ... over the whole output, and writes them with the release writer of
 * sink.c (FaceID-6M layout + faceid6m.jsonl, or the InstantID folder + instantid.jsonl).
 * Running it again rewrites the same bytes (every file atomic; the JSONL last).
 *
 * Merge orders the shards of several outputs by the input index recorded in their stats
 * (the position of the input shard in the build's input list), refuses duplicates and
 * mismatched flags, and copies them as 00000, 00001, ... — so merging the outputs of
 * `build --shard 0/N` … `--shard N-1/N` gives the same files as one `build` without --shard.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "pipe_internal.h"

typedef struct done_shard {
    char *dir;
    int number;      /* NNNNN in the folder */
    int64_t index;   /* input_index from the stats */
    char *flags;     /* compact JSON of the stats' flags */
} done_shard;

static int cmp_index(const void *a, const void *b) {
    const done_shard *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void free_shards(done_shard *v, int n) {
    for (int i = 0; i < n; i++) {
        free(v[i].dir);
        free(v[i].flags);
    }
    free(v);
}

/* Appends the finished shards of dir (sorted by number) to *v. */
static fsift_status list_done(const char *dir, done_shard **v, int *n) {
    DIR *d = opendir(dir);
    if (!d) return fsift_error(FSIFT_E_IO, "cannot open '%s': %s", dir, strerror(errno));
    struct dirent *e;
    fsift_status s = FSIFT_OK;
    while (!s && (e = readdir(d))) {
        int num;
        char tail[32];
        if (strlen(e->d_name) != 16 || sscanf(e->d_name, "%5d%15s", &num, tail) != 2 || strcmp(tail, "_stats.json"))
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        json_error_t err;
        json_t *j = json_load_file(p, 0, &err);
        json_t *ix = json_object_get(j, "input_index");
        if (!json_is_integer(ix)) {
            s = fsift_error(FSIFT_E_FORMAT, "'%s' is not a facesift stats file", p);
        } else {
            done_shard *nv = realloc(*v, (size_t)(*n + 1) * sizeof *nv);
            if (!nv) s = fsift_error(FSIFT_E_NOMEM, "out of memory");
            else {
                *v = nv;
                nv[*n].dir = strdup(dir);
                nv[*n].number = num;
                nv[*n].index = json_integer_value(ix);
                nv[*n].flags = json_dumps(json_object_get(j, "flags"), JSON_COMPACT | JSON_PRESERVE_ORDER);
                (*n)++;
            }
        }
        json_decref(j);
    }
    closedir(d);
    return s;
}

static int cmp_number(const void *a, const void *b) {
    const done_shard *x = a, *y = b;
    return x->number - y->number;
}

static fsift_status json_floats(json_t *a, float *out, int n) {
    if (!json_is_array(a) || (int)json_array_size(a) != n) return FSIFT_E_FORMAT;
    for (int i = 0; i < n; i++) {
        json_t *v = json_array_get(a, (size_t)i);
        if (!json_is_number(v)) return FSIFT_E_FORMAT;
        out[i] = (float)json_number_value(v);
    }
    return FSIFT_OK;
}

static const fsift_sample_member *member(const fsift_sample *s, const char *ext) {
    for (int i = 0; i < s->n_extra; i++)
        if (!strcmp(s->extra[i].ext, ext)) return &s->extra[i];
    return NULL;
}

fsift_status fsift_export(const char *wds_dir, int layout, int image_format, const char *out_dir) {
    if (layout != FSIFT_LAYOUT_FACEID6M && layout != FSIFT_LAYOUT_INSTANTID)
        return fsift_error(FSIFT_E_INVALID_ARG, "export: layout must be faceid6m or instantid");
    done_shard *v = NULL;
    int n = 0;
    fsift_status s = list_done(wds_dir, &v, &n);
    if (!s && n == 0) s = fsift_error(FSIFT_E_FORMAT, "'%s' holds no finished shards (NNNNN_stats.json)", wds_dir);
    if (!s) s = pipe_release_prepare(out_dir, layout);
    if (s) {
        free_shards(v, n);
        return s;
    }
    pipe_clean_tmp(out_dir);
    qsort(v, (size_t)n, sizeof *v, cmp_number);
    pipe_release rl;
    memset(&rl, 0, sizeof rl);
    rl.dir = out_dir;
    rl.layout = layout;
    rl.image_format = image_format;
    rl.instantid = 0; /* a release folder holds exactly one .jsonl (export --layout instantid
                         writes the training JSONL) */
    int64_t next = 0;
    for (int i = 0; !s && i < n; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%05d.tar", wds_dir, v[i].number);
        fsift_input_shard sh = {FSIFT_INPUT_TAR, p, p, 0, -1, 0, NULL};
        fsift_sample_reader *rd;
        if ((s = fsift_sample_reader_open(&sh, (size_t)1 << 30, &rd))) break;
        fsift_sample smp;
        int rc;
        while (!s && (rc = fsift_sample_reader_next(rd, &smp)) > 0) {
            const fsift_sample_member *face = member(&smp, "face.png"), *npy = member(&smp, "npy");
            json_error_t err;
            json_t *j = smp.json ? json_loadb((const char *)smp.json, smp.json_size, 0, &err) : NULL;
            pipe_kept k;
            memset(&k, 0, sizeof k);
            float kps[10];
            if (!smp.image || !face || !npy || !j || json_floats(json_object_get(j, "bbox"), k.bbox, 4)) {
                s = fsift_error(FSIFT_E_FORMAT, "'%s': sample '%s' is incomplete (image, face.png, npy, json)", p, smp.key);
            } else {
                json_t *kj = json_object_get(j, "kps");
                for (int q = 0; q < 5 && !s; q++)
                    if (json_floats(json_array_get(kj, (size_t)q), kps + 2 * q, 2))
                        s = fsift_error(FSIFT_E_FORMAT, "'%s': sample '%s' has no 5 kps", p, smp.key);
                for (int q = 0; q < 5; q++) k.kps[q][0] = kps[2 * q], k.kps[q][1] = kps[2 * q + 1];
            }
            if (!s) {
                k.key = smp.key;
                k.image = smp.image;
                k.image_size = smp.image_size;
                k.ext = smp.image_ext;
                k.face_png = face->data;
                k.face_png_size = face->size;
                k.npy = npy->data;
                k.npy_size = npy->size;
                k.json = (const char *)smp.json;
                k.json_len = smp.json_size;
                k.caption = smp.caption;
                k.caption_len = smp.caption_len;
                s = pipe_release_put(&rl, next++, &k);
            }
            json_decref(j);
            fsift_sample_clear(&smp);
        }
        if (!s && rc < 0) s = (fsift_status)rc;
        fsift_sample_reader_close(rd);
    }
    if (!s) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", out_dir, layout == FSIFT_LAYOUT_FACEID6M ? "faceid6m.jsonl" : "instantid.jsonl");
        s = fsift_file_write_atomic(p, rl.lines.p ? rl.lines.p : "", rl.lines.n);
    }
    jb_free(&rl.lines);
    jb_free(&rl.instantid_lines);
    free_shards(v, n);
    return s;
}

/* Streams src into dst atomically (dst.tmp.<pid>, fsync, rename). */
static fsift_status copy_file(const char *src, const char *dst) {
    FILE *in = fopen(src, "rb");
    if (!in) return fsift_error(FSIFT_E_IO, "cannot open '%s': %s", src, strerror(errno));
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", dst, (long)getpid());
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        fclose(in);
        return fsift_error(FSIFT_E_IO, "cannot create '%s': %s", tmp, strerror(errno));
    }
    char buf[1 << 16];
    size_t k;
    fsift_status s = FSIFT_OK;
    while ((k = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, k, out) != k) {
            s = fsift_error(FSIFT_E_IO, "write to '%s' failed: %s", tmp, strerror(errno));
            break;
        }
    if (!s && ferror(in)) s = fsift_error(FSIFT_E_IO, "read of '%s' failed", src);
    if (!s && (fflush(out) || fsync(fileno(out)))) s = fsift_error(FSIFT_E_IO, "cannot flush '%s': %s", tmp, strerror(errno));
    if (fclose(out) && !s) s = fsift_error(FSIFT_E_IO, "cannot close '%s'", tmp);
    fclose(in);
    if (!s && rename(tmp, dst)) s = fsift_error(FSIFT_E_IO, "cannot rename '%s': %s", tmp, strerror(errno));
    if (s) unlink(tmp);
    return s;
}

/* Removes shard files numbered >= keep from an earlier, larger merge into out_dir (stats
 * first, so that a shard is never left looking finished without its tar). */
static void remove_stale_shards(const char *out_dir, int keep) {
    DIR *d = opendir(out_dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *nm = e->d_name;
        int digits = 0;
        while (digits < 5 && nm[digits] >= '0' && nm[digits] <= '9') digits++;
        if (digits != 5 || atoi(nm) < keep) continue;
        const char *rest = nm + 5;
        if (strcmp(rest, "_stats.json") && strcmp(rest, ".tar") && strcmp(rest, "_reasons.jsonl")) continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%.5s_stats.json", out_dir, nm);
        unlink(p);
        snprintf(p, sizeof p, "%s/%s", out_dir, nm);
        unlink(p);
    }
    closedir(d);
}

fsift_status fsift_merge(const char *const *dirs, int n, const char *out_dir) {
    done_shard *v = NULL;
    int m = 0;
    fsift_status s = FSIFT_OK;
    for (int i = 0; !s && i < n; i++) s = list_done(dirs[i], &v, &m);
    if (!s && m == 0) s = fsift_error(FSIFT_E_FORMAT, "merge: the inputs hold no finished shards");
    if (!s) {
        qsort(v, (size_t)m, sizeof *v, cmp_index);
        for (int i = 0; !s && i < m; i++) {
            if (i && v[i].index == v[i - 1].index)
                s = fsift_error(FSIFT_E_FORMAT, "merge: input shard %lld is in both '%s' and '%s'", (long long)v[i].index,
                                v[i - 1].dir, v[i].dir);
            else if (!v[i].flags || strcmp(v[i].flags, v[0].flags))
                s = fsift_error(FSIFT_E_FORMAT, "merge: '%s' was built with other flags than '%s'", v[i].dir, v[0].dir);
            else if (strstr(v[i].flags, "\"layout\":\"faceid6m\""))
                s = fsift_error(FSIFT_E_UNSUPPORTED, "merge: '%s' is a release layout; merge webdataset outputs", v[i].dir);
        }
    }
    if (!s) s = pipe_mkdir(out_dir);
    if (!s) pipe_clean_tmp(out_dir);
    if (!s) remove_stale_shards(out_dir, m);
    static const char *const parts[] = {".tar", "_reasons.jsonl", "_stats.json"}; /* stats last */
    for (int i = 0; !s && i < m; i++) {
        for (int k = 0; !s && k < 3; k++) {
            char src[4096], dst[4096];
            snprintf(src, sizeof src, "%s/%05d%s", v[i].dir, v[i].number, parts[k]);
            snprintf(dst, sizeof dst, "%s/%05d%s", out_dir, i, parts[k]);
            s = copy_file(src, dst);
        }
    }
    free_shards(v, m);
    return s;
}
