/*
 * align_embed.c — alignment and embedding: each face's 5 landmarks give insightface's
 * norm_crop (similarity transform to the ArcFace template, 112×112 bilinear warp, zeros
 * outside the image; fsift_norm_crop), the crops are normalised as the recognizer's registry
 * entry says and run through it in batches (up to 16 at a time, or the model's fixed batch
 * padded with zero crops), and each output row becomes the face's raw embedding plus its
 * L2-normalised copy.
 */
#include <math.h>
#include <string.h>

#include "face/face_internal.h"

#define FACE_EMBED_BATCH 16

static void store_embedding(fsift_face *f, const float *v, int dim) {
    double ss = 0;
    for (int i = 0; i < dim; i++) ss += (double)v[i] * v[i];
    double inv = ss > 0 ? 1.0 / sqrt(ss) : 0.0;
    memcpy(f->embedding, v, (size_t)dim * sizeof(float));
    for (int i = 0; i < dim; i++) f->normed_embedding[i] = (float)(v[i] * inv);
    f->embedding_dim = dim;
}

/* Aligns and embeds faces[0..n) (n ≤ the batch); crop0 (may be NULL) receives face 0's crop. */
static fsift_status embed_chunk(fsift_face_analyzer *a, const fsift_image *img, fsift_face *faces, int n,
                                fsift_image *crop0, double *ms_align, double *ms_embed) {
    const face_net *rec = &a->m->rec;
    int S = rec->spec.in_w, batch = rec->fixed_batch > 0 ? rec->fixed_batch : n;
    size_t item = (size_t)S * S * 3;
    fsift_status st = face_blob_reserve(a, item * (size_t)batch);
    if (st) return st;
    double t0 = fsift_now_ms();
    for (int i = 0; i < n; i++) {
        fsift_image crop;
        if ((st = fsift_norm_crop(img, (const float(*)[2])faces[i].kps, S, &crop, NULL))) return st;
        face_blob_put(&rec->spec, &crop, a->blob, i);
        if (i == 0 && crop0)
            *crop0 = crop;
        else
            fsift_image_free(&crop);
    }
    if (batch > n) memset(a->blob + item * n, 0, item * (size_t)(batch - n) * sizeof(float));
    double t1 = fsift_now_ms();
    st = face_net_run(a, -1, a->blob, batch, S, S);
    fsift_tensor t;
    if (!st) st = face_net_output(a, -1, 0, &t);
    if (st) return st;
    int64_t total = fsift_tensor_numel(&t);
    if (total % batch || total / batch != a->m->embed_dim)
        return fsift_error(FSIFT_E_SHAPE, "face: recognizer gave %lld values for a batch of %d, expected %d each",
                           (long long)total, batch, a->m->embed_dim);
    for (int i = 0; i < n; i++) store_embedding(&faces[i], (const float *)t.data + (size_t)i * a->m->embed_dim, a->m->embed_dim);
    double t2 = fsift_now_ms();
    if (ms_align) *ms_align += t1 - t0;
    if (ms_embed) *ms_embed += t2 - t1;
    return FSIFT_OK;
}

fsift_status face_embed_batch(fsift_face_analyzer *a, const fsift_image *img, fsift_face *faces, int n,
                              double *ms_align, double *ms_embed) {
    int chunk = a->m->rec.fixed_batch > 0 ? a->m->rec.fixed_batch : FACE_EMBED_BATCH;
    for (int i = 0; i < n; i += chunk) {
        fsift_status st = embed_chunk(a, img, faces + i, n - i < chunk ? n - i : chunk, NULL, ms_align, ms_embed);
        if (st) return st;
    }
    return FSIFT_OK;
}

fsift_status fsift_face_embed(fsift_face_analyzer *a, const fsift_image *img, fsift_face *face, fsift_image *crop) {
    if (!a || !img || !face) return fsift_error(FSIFT_E_INVALID_ARG, "face_embed: NULL argument");
    if (crop) memset(crop, 0, sizeof *crop);
    for (int k = 0; k < 5; k++)
        if (!isfinite(face->kps[k][0]) || !isfinite(face->kps[k][1]))
            return fsift_error(FSIFT_E_INVALID_ARG, "face_embed: landmark %d is not a finite number", k);
    return embed_chunk(a, img, face, 1, crop, NULL, NULL);
}
