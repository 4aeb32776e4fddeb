/*
 * analyzer.c — the per-thread analyzer: one runtime session per network of the shared model
 * set, scratch buffers, and the detect / analyze calls of face.h.
 *
 * Detection canvas: MTCNN and BlazeFace run on a copy of the image whose longest side is at
 * most options.det_size (640 by default; Pillow bilinear, antialiased), and their boxes and
 * landmarks are mapped back to the image's pixels (x·w/w', y·h/h'). This bounds the work per
 * image (the P-Net pyramid of a 2048-px photo would cost ~10× more) while faces that matter
 * for a dataset (≥ 1% of the image) stay ≥ ~60 px on the canvas. SCRFD letterboxes the full
 * image into its own det_size canvas (scrfd.c).
 *
 * Landmarks: for MTCNN and BlazeFace, detect and refine end in the same landmark stage
 * (landmarks.c: O-Net on upright crops of the image passed in, at its full resolution,
 * iterated until each face's frame converges), so `facesift build` (detect on a small
 * pre-filter decode → fsift_face_list_rescale → refine on the full decode) and `facesift
 * analyze` (detect on the full decode) differ only by the boxes they start from. The score
 * is O-Net's face probability, which det_thresh filters.
 * Candidates with non-finite coordinates (possible with broken or random-weight models) are
 * dropped, never passed on.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/face_internal.h"

#define FACE_FINAL_NMS 0.7f

fsift_status fsift_face_analyzer_new(const fsift_face_models *m, fsift_face_analyzer **out) {
    if (!m || !out) return fsift_error(FSIFT_E_INVALID_ARG, "face_analyzer_new: NULL argument");
    *out = NULL;
    fsift_face_analyzer *a = calloc(1, sizeof *a);
    if (!a) return fsift_error(FSIFT_E_NOMEM, "face: out of memory");
    a->m = m;
    int th = m->opts.threads > 0 ? m->opts.threads : 1;
    fsift_status st = FSIFT_OK;
    for (int i = 0; i < m->n_nets && !st; i++) st = fsift_session_new(m->nets[i].model, th, &a->sess[i]);
    if (!st) st = fsift_session_new(m->rec.model, th, &a->rec_sess);
    if (st) {
        fsift_face_analyzer_free(a);
        return st;
    }
    *out = a;
    return FSIFT_OK;
}

void fsift_face_analyzer_free(fsift_face_analyzer *a) {
    if (!a) return;
    for (int i = 0; i < FACE_NET_MAX; i++) fsift_session_free(a->sess[i]);
    fsift_session_free(a->rec_sess);
    free(a->blob);
    face_cands_free(&a->c1);
    face_cands_free(&a->c2);
    face_cands_free(&a->res);
    face_cands_free(&a->raw);
    free(a);
}

static int cand_finite(const face_cand *c) {
    if (!isfinite(c->x1) || !isfinite(c->y1) || !isfinite(c->x2) || !isfinite(c->y2) || !isfinite(c->score)) return 0;
    for (int k = 0; k < 5; k++)
        if (!isfinite(c->kps[k][0]) || !isfinite(c->kps[k][1])) return 0;
    return fabsf(c->x1) < 1e7f && fabsf(c->y1) < 1e7f && fabsf(c->x2) < 1e7f && fabsf(c->y2) < 1e7f;
}

/* Runs MTCNN or BlazeFace on a canvas of longest side ≤ det_size and maps the results back. */
static fsift_status detect_on_canvas(fsift_face_analyzer *a, const fsift_image *img) {
    int side = a->m->opts.det_size, W = img->width, H = img->height;
    const fsift_image *cv = img;
    fsift_image small = {0};
    double sx = 1.0, sy = 1.0;
    if (W > side || H > side) {
        double s = (double)side / (W > H ? W : H);
        int w = (int)lround(W * s), h = (int)lround(H * s);
        if (w < 1) w = 1;
        if (h < 1) h = 1;
        fsift_status st = fsift_image_resize(img, w, h, FSIFT_RESIZE_BILINEAR, &small);
        if (st) return st;
        cv = &small;
        sx = (double)W / w, sy = (double)H / h;
    }
    fsift_status st;
    if (a->m->kind == FACE_DET_MTCNN) {
        face_mtcnn_params p;
        face_mtcnn_default_params(&p);
        if (a->m->opts.nms_thresh > 0) p.nms_onet = a->m->opts.nms_thresh;
        st = face_mtcnn_detect(a, cv, &p, &a->res);
    } else {
        st = face_blazeface_detect(a, cv, &a->res);
    }
    fsift_image_free(&small);
    if (st) return st;
    for (int i = 0; i < a->res.n; i++) {
        face_cand *c = &a->res.v[i];
        c->x1 = (float)(c->x1 * sx), c->x2 = (float)(c->x2 * sx);
        c->y1 = (float)(c->y1 * sy), c->y2 = (float)(c->y2 * sy);
        for (int k = 0; k < 5; k++) c->kps[k][0] = (float)(c->kps[k][0] * sx), c->kps[k][1] = (float)(c->kps[k][1] * sy);
    }
    return FSIFT_OK;
}

static fsift_status check_image(const fsift_image *img) {
    if (!img || !img->data) return fsift_error(FSIFT_E_INVALID_ARG, "face: no image");
    if (img->width < 1 || img->height < 1 || (img->channels != 3 && img->channels != 1) ||
        img->stride < (size_t)img->width * img->channels)
        return fsift_error(FSIFT_E_INVALID_ARG, "face: image %dx%d with %d channels and stride %zu is not a valid RGB/gray image",
                           img->width, img->height, img->channels, img->stride);
    return FSIFT_OK;
}

/* The end of detect and refine for the mtcnn and blazeface sets: the landmark stage
 * (landmarks.c) on img for a->res.v[0..n) (pixels of img), O-Net's best face probability as
 * the score, a last NMS (Min overlap 0.7, as after MTCNN's O-Net: refined boxes of one face
 * can converge onto it). Returns the count kept at the front of a->res.v. */
static fsift_status landmark_stage(fsift_face_analyzer *a, const fsift_image *img, int *n, int n_precise) {
    if (*n == 0) return FSIFT_OK;
    fsift_status st = face_onet_landmarks(a, a->m->n_nets - 1, img, a->res.v, *n, n_precise);
    if (st) return st;
    *n = face_nms(a->res.v, *n, FACE_FINAL_NMS, FACE_NMS_MIN, 0);
    return FSIFT_OK;
}

/* Keeps the finite candidates a->res.v[0..n) scoring ≥ det_thresh and fills out for img. */
static fsift_status finish(fsift_face_analyzer *a, const fsift_image *img, int n, fsift_face_list *out) {
    int k = 0;
    for (int i = 0; i < n; i++)
        if (cand_finite(&a->res.v[i]) && a->res.v[i].score >= a->m->opts.det_thresh) a->res.v[k++] = a->res.v[i];
    return face_list_fill(out, a->res.v, k, a->m->opts.max_faces, img->width, img->height);
}

static fsift_status detect(fsift_face_analyzer *a, const fsift_image *img, fsift_face_list *out, int n_precise) {
    if (!a || !out) return fsift_error(FSIFT_E_INVALID_ARG, "face_detect: NULL argument");
    out->n = out->n_found = 0;
    out->ms_detect = out->ms_align = out->ms_embed = 0;
    fsift_status st = check_image(img);
    if (st) return st;
    double t0 = fsift_now_ms();
    a->res.n = 0;
    st = a->m->kind == FACE_DET_SCRFD ? face_scrfd_detect(a, img, &a->res) : detect_on_canvas(a, img);
    int n = a->res.n;
    if (!st && n_precise == 0) { /* coarse: keep the detector's own candidates for refine_last */
        a->raw.n = 0;
        for (int i = 0; i < n && !st; i++) st = face_cands_push(&a->raw, &a->res.v[i]);
        a->raw_w = img->width, a->raw_h = img->height;
    }
    if (!st && a->m->kind != FACE_DET_SCRFD) st = landmark_stage(a, img, &n, n_precise);
    if (st) return st;
    st = finish(a, img, n, out);
    out->ms_detect = fsift_now_ms() - t0;
    return st;
}

fsift_status fsift_face_detect(fsift_face_analyzer *a, const fsift_image *img, fsift_face_list *out) {
    return detect(a, img, out, FACE_PRECISE_FACES);
}

fsift_status fsift_face_detect_coarse(fsift_face_analyzer *a, const fsift_image *img, fsift_face_list *out) {
    return detect(a, img, out, 0);
}

fsift_status fsift_face_analyze(fsift_face_analyzer *a, const fsift_image *img, int embed_all, fsift_face_list *out) {
    fsift_status st = fsift_face_detect(a, img, out);
    if (st) return st;
    int n = embed_all ? out->n : (out->n > 0 ? 1 : 0);
    if (n == 0) return FSIFT_OK;
    return face_embed_batch(a, img, out->faces, n, &out->ms_align, &out->ms_embed);
}

fsift_status fsift_face_refine(fsift_face_analyzer *a, const fsift_image *img, fsift_face_list *l) {
    if (!a || !l) return fsift_error(FSIFT_E_INVALID_ARG, "face_refine: NULL argument");
    fsift_status st = check_image(img);
    if (st) return st;
    int capped = l->n_found > l->n ? l->n_found - l->n : 0;
    a->res.n = 0;
    for (int i = 0; i < l->n; i++) {
        const fsift_face *f = &l->faces[i];
        face_cand c = {0};
        c.x1 = f->bbox[0], c.y1 = f->bbox[1], c.x2 = f->bbox[2], c.y2 = f->bbox[3];
        c.score = f->det_score;
        memcpy(c.kps, f->kps, sizeof c.kps);
        c.has_kps = 1;
        if ((st = face_cands_push(&a->res, &c))) return st;
    }
    int n = a->res.n;
    if (a->m->kind != FACE_DET_SCRFD && (st = landmark_stage(a, img, &n, FACE_PRECISE_FACES))) return st;
    st = finish(a, img, n, l);
    l->n_found += capped;
    return st;
}

fsift_status fsift_face_refine_last(fsift_face_analyzer *a, const fsift_image *img, fsift_face_list *out) {
    if (!a || !out) return fsift_error(FSIFT_E_INVALID_ARG, "face_refine_last: NULL argument");
    fsift_status st = check_image(img);
    if (st) return st;
    if (a->raw_w <= 0) return fsift_error(FSIFT_E_INVALID_ARG, "face_refine_last: no coarse detection was made");
    out->n = out->n_found = 0;
    double t0 = fsift_now_ms();
    double sx = (double)img->width / a->raw_w, sy = (double)img->height / a->raw_h;
    a->res.n = 0;
    for (int i = 0; i < a->raw.n && !st; i++) {
        face_cand c = a->raw.v[i];
        c.x1 = (float)(c.x1 * sx), c.x2 = (float)(c.x2 * sx), c.y1 = (float)(c.y1 * sy), c.y2 = (float)(c.y2 * sy);
        for (int k = 0; k < 5; k++) c.kps[k][0] = (float)(c.kps[k][0] * sx), c.kps[k][1] = (float)(c.kps[k][1] * sy);
        st = face_cands_push(&a->res, &c);
    }
    int n = a->res.n;
    if (!st && a->m->kind != FACE_DET_SCRFD) st = landmark_stage(a, img, &n, FACE_PRECISE_FACES);
    if (!st) st = finish(a, img, n, out);
    out->ms_detect = fsift_now_ms() - t0;
    return st;
}
