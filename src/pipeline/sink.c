/*
 * sink.c — the two output writers of the pipeline.
 *
 * Webdataset (pipe_wds_put): per kept sample, in this order, KEY.EXT (the stored image),
 * KEY.face.png (112×112 aligned crop), KEY.npy (float32 embedding, shape (D,)), KEY.json,
 * KEY.txt (the caption; empty when the sample had none), then the input's other members in input
 * order (those whose extension would collide with ours are dropped).
 *
 * Release layout (pipe_release_put): FaceID-6M: N.png (a real PNG by default: the stored
 * image decoded as Pillow's Image.open reads it and re-encoded; --image-format source keeps
 * the stored bytes under the .png name, as the published release did), N.npy, face/N.png,
 * and one line per sample appended to rl->lines; the InstantID layout writes images/N.EXT
 * (stored bytes) and embeds/N.npy. Either can also collect InstantID training lines
 * (image_file, file_name, additional_feature, bbox, landmarks, insightface_feature_file) with
 * paths relative to the folder the JSONL is written to. Every file is written atomically.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipe_internal.h"

static fsift_status add_member(fsift_tar_writer *w, const char *key, const char *ext, const void *d, size_t n) {
    size_t kl = strlen(key), el = strlen(ext);
    char *name = malloc(kl + el + 2);
    if (!name) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    memcpy(name, key, kl);
    name[kl] = '.';
    memcpy(name + kl + 1, ext, el + 1);
    fsift_status s = fsift_tar_writer_add(w, name, d, n);
    free(name);
    return s;
}

static int ours(const char *ext) {
    static const char *e[] = {"jpg", "jpeg", "png", "webp", "gif", "bmp", "face.png", "npy", "json", "txt"};
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
        if (!strcasecmp(ext, e[i])) return 1;
    return 0;
}

fsift_status pipe_wds_put(fsift_tar_writer *w, const pipe_kept *k) {
    fsift_status s = add_member(w, k->key, k->ext, k->image, k->image_size);
    if (!s) s = add_member(w, k->key, "face.png", k->face_png, k->face_png_size);
    if (!s) s = add_member(w, k->key, "npy", k->npy, k->npy_size);
    if (!s) s = add_member(w, k->key, "json", k->json, k->json_len);
    if (!s) s = add_member(w, k->key, "txt", k->caption ? k->caption : "", k->caption ? k->caption_len : 0);
    for (int i = 0; !s && i < k->n_extra; i++)
        if (!ours(k->extra[i].ext)) s = add_member(w, k->key, k->extra[i].ext, k->extra[i].data, k->extra[i].size);
    return s;
}

fsift_status pipe_mkdir(const char *dir) {
    /* parents first (mkdir -p) */
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *q = p + 1; *q; q++)
        if (*q == '/') {
            *q = 0;
            if (mkdir(p, 0755) != 0 && errno != EEXIST) break; /* the final check says why */
            *q = '/';
        }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return fsift_error(FSIFT_E_IO, "cannot create folder '%s': %s", dir, strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return fsift_error(FSIFT_E_IO, "'%s' is not a folder", dir);
    return FSIFT_OK;
}

fsift_status pipe_release_prepare(const char *dir, int layout) {
    char p[4096];
    fsift_status s = pipe_mkdir(dir);
    if (s) return s;
    if (layout == FSIFT_LAYOUT_FACEID6M) {
        snprintf(p, sizeof p, "%s/face", dir);
        return pipe_mkdir(p);
    }
    snprintf(p, sizeof p, "%s/images", dir);
    if ((s = pipe_mkdir(p))) return s;
    snprintf(p, sizeof p, "%s/embeds", dir);
    return pipe_mkdir(p);
}

static void instantid_line(jbuf *b, const char *prefix, const char *img_name, const char *npy_name,
                           const pipe_kept *k) {
    char img[256], npy[256];
    snprintf(img, sizeof img, "%s%s", prefix ? prefix : "", img_name);
    snprintf(npy, sizeof npy, "%s%s", prefix ? prefix : "", npy_name);
    jb_puts(b, "{\"image_file\":");
    jb_str(b, img, strlen(img));
    jb_puts(b, ",\"file_name\":");
    jb_str(b, img, strlen(img));
    jb_puts(b, ",\"additional_feature\":");
    jb_str(b, k->caption ? k->caption : "", k->caption ? k->caption_len : 0);
    jb_puts(b, ",");
    jb_box_kps(b, k->bbox, (const float(*)[2])k->kps, "landmarks");
    jb_puts(b, ",\"insightface_feature_file\":");
    jb_str(b, npy, strlen(npy));
    jb_puts(b, "}\n");
}

fsift_status pipe_release_png(const uint8_t *img, size_t size, void **png, size_t *png_size) {
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    o.apply_orientation = 0; /* the stored frame, as Image.open reads it */
    fsift_image im;
    fsift_status s = fsift_image_decode(img, size, &o, &im, NULL);
    if (!s) s = fsift_png_encode(&im, 6, png, png_size);
    fsift_image_free(&im);
    return s;
}

fsift_status pipe_release_put(pipe_release *rl, int64_t n, const pipe_kept *k) {
    char img[64], npy[64], face[64], path[4096];
    fsift_status s = FSIFT_OK;
    const void *idata = k->image;
    size_t isize = k->image_size;
    void *conv = NULL;
    if (rl->layout == FSIFT_LAYOUT_FACEID6M) {
        snprintf(img, sizeof img, "%lld.png", (long long)n);
        snprintf(npy, sizeof npy, "%lld.npy", (long long)n);
        snprintf(face, sizeof face, "face/%lld.png", (long long)n);
        if (k->release_png) {
            idata = k->release_png;
            isize = k->release_png_size;
        } else if (rl->image_format != FSIFT_IMAGE_OUT_SOURCE && strcmp(k->ext, "png")) {
            if ((s = pipe_release_png(k->image, k->image_size, &conv, &isize))) return s;
            idata = conv;
        }
    } else {
        snprintf(img, sizeof img, "images/%lld.%s", (long long)n, k->ext);
        snprintf(npy, sizeof npy, "embeds/%lld.npy", (long long)n);
        face[0] = 0;
    }
    snprintf(path, sizeof path, "%s/%s", rl->dir, img);
    s = fsift_file_write_atomic(path, idata, isize);
    free(conv);
    if (!s) {
        snprintf(path, sizeof path, "%s/%s", rl->dir, npy);
        s = fsift_file_write_atomic(path, k->npy, k->npy_size);
    }
    if (!s && face[0]) {
        snprintf(path, sizeof path, "%s/%s", rl->dir, face);
        s = fsift_file_write_atomic(path, k->face_png, k->face_png_size);
    }
    if (s) return s;
    if (rl->layout == FSIFT_LAYOUT_FACEID6M) {
        jb_printf(&rl->lines, "{\"id\":%lld,\"image_file\":\"%s\",\"face_file\":\"%s\",\"embedding_file\":\"%s\",",
                  (long long)n, img, face, npy);
        /* the rest of KEY.json (it starts with '{' and ends with "}\n") */
        if (k->json_len > 1) jb_raw(&rl->lines, k->json + 1, k->json_len - 1);
        if (rl->instantid) instantid_line(&rl->instantid_lines, rl->iid_prefix, img, npy, k);
    } else {
        instantid_line(&rl->lines, NULL, img, npy, k);
    }
    if (rl->lines.oom || rl->instantid_lines.oom) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    return FSIFT_OK;
}
