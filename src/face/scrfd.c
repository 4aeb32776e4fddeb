/*
 * scrfd.c — insightface's SCRFD detector (any scrfd_*_kps.onnx) decoded as REFERENCE.md
 * describes it.
 *
 * Pre-processing: the image is resized (Pillow bilinear) to fit the det_w×det_h canvas with
 * its aspect kept — new_w, new_h computed as insightface does (int() truncation, from the
 * height/width ratio) — and pasted at the top-left of a zero canvas; det_scale = new_h / h.
 * Pixels (v − 127.5)/128, RGB, NCHW. The canvas is the model's input size when the ONNX
 * file fixes it, else det_size × det_size.
 * Outputs: nine tensors, found by shape rather than position: last axis 1 (scores), 4 (box
 * distances), 10 (kps offsets); within a kind the stride-8 map has the most rows, then 16,
 * then 32. Each map has (det_h/s)·(det_w/s)·2 rows: two anchors per cell, anchor centres
 * (x·s, y·s) with no half-cell offset, each centre repeated twice. Box = (cx − l·s, cy − t·s,
 * cx + r·s, cy + b·s), kps_k = (cx + dx_k·s, cy + dy_k·s); rows with score ≥ det_thresh are
 * kept, everything divided by det_scale, then greedy NMS with +1 widths (IoU 0.4 by default).
 * Large faces (insightface #1518): when the pass finds no face or its best score is below
 * FACE_SCRFD_FALLBACK_SCORE, a second pass runs with the image fitted into half the canvas
 * (the face then spans half as many pixels, what a det_size of 320 does) and the pass with
 * the higher best score wins. Disable with options.large_face_fallback = 0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/face_internal.h"

#define FACE_SCRFD_FALLBACK_SCORE 0.6f

fsift_status face_scrfd_decode(const float *const scores[3], const float *const boxes[3],
                               const float *const kps[3], const int64_t counts[3], int det_w, int det_h,
                               float thresh, float det_scale, face_cands *out) {
    static const int strides[3] = {8, 16, 32};
    for (int l = 0; l < 3; l++) {
        int s = strides[l];
        int64_t fw = det_w / s, fh = det_h / s;
        if (counts[l] != fw * fh * 2)
            return fsift_error(FSIFT_E_SHAPE, "face: scrfd stride %d output has %lld rows, expected %lld for a %dx%d input",
                               s, (long long)counts[l], (long long)(fw * fh * 2), det_w, det_h);
        for (int64_t i = 0; i < counts[l]; i++) {
            float sc = scores[l][i];
            if (!(sc >= thresh)) continue;
            int64_t cell = i / 2;
            float cx = (float)((cell % fw) * s), cy = (float)((cell / fw) * s);
            const float *b = boxes[l] + i * 4, *k = kps ? kps[l] + i * 10 : NULL;
            face_cand c = {0};
            c.x1 = (cx - b[0] * (float)s) / det_scale;
            c.y1 = (cy - b[1] * (float)s) / det_scale;
            c.x2 = (cx + b[2] * (float)s) / det_scale;
            c.y2 = (cy + b[3] * (float)s) / det_scale;
            if (k) {
                for (int j = 0; j < 5; j++)
                    c.kps[j][0] = (cx + k[2 * j] * (float)s) / det_scale, c.kps[j][1] = (cy + k[2 * j + 1] * (float)s) / det_scale;
                c.has_kps = 1;
            }
            c.score = sc;
            fsift_status st = face_cands_push(out, &c);
            if (st) return st;
        }
    }
    return FSIFT_OK;
}

/* One pass: image fitted into fit_w×fit_h at the top-left of a det_w×det_h canvas. */
static fsift_status scrfd_pass(fsift_face_analyzer *a, const fsift_image *img, int det_w, int det_h, int fit_w,
                               int fit_h, face_cands *out) {
    const face_net *net = &a->m->nets[0];
    double im_ratio = (double)img->height / img->width, model_ratio = (double)fit_h / fit_w;
    int new_w, new_h;
    if (im_ratio > model_ratio) {
        new_h = fit_h;
        new_w = (int)(new_h / im_ratio);
    } else {
        new_w = fit_w;
        new_h = (int)(new_w * im_ratio);
    }
    if (new_w < 1) new_w = 1;
    if (new_h < 1) new_h = 1;
    float det_scale = (float)((double)new_h / img->height);
    fsift_image canvas, small;
    fsift_status st = fsift_image_new(det_w, det_h, 3, &canvas);
    if (st) return st;
    if ((st = fsift_image_resize(img, new_w, new_h, FSIFT_RESIZE_BILINEAR, &small))) {
        fsift_image_free(&canvas);
        return st;
    }
    for (int y = 0; y < new_h; y++)
        memcpy(canvas.data + (size_t)y * canvas.stride, small.data + (size_t)y * small.stride, (size_t)new_w * 3);
    fsift_image_free(&small);
    st = face_blob_reserve(a, (size_t)det_w * det_h * 3);
    if (!st) {
        face_blob_put(&net->spec, &canvas, a->blob, 0);
        st = face_net_run(a, 0, a->blob, 1, det_h, det_w);
    }
    fsift_image_free(&canvas);
    if (st) return st;
    const float *sc[3], *bx[3], *kp[3];
    int64_t counts[3];
    for (int l = 0; l < 3; l++) {
        fsift_tensor t[3];
        for (int k = 0; k < 3; k++)
            if ((st = face_net_output(a, 0, net->out_map[3 * k + l], &t[k]))) return st;
        counts[l] = fsift_tensor_numel(&t[0]);
        if (fsift_tensor_numel(&t[1]) != counts[l] * 4 || fsift_tensor_numel(&t[2]) != counts[l] * 10)
            return fsift_error(FSIFT_E_SHAPE, "face: scrfd outputs of stride %d disagree in row count", 8 << l);
        sc[l] = t[0].data, bx[l] = t[1].data, kp[l] = t[2].data;
    }
    out->n = 0;
    st = face_scrfd_decode(sc, bx, kp, counts, det_w, det_h, a->m->opts.det_thresh, det_scale, out);
    if (st) return st;
    float nms = a->m->opts.nms_thresh > 0 ? a->m->opts.nms_thresh : 0.4f;
    out->n = face_nms(out->v, out->n, nms, FACE_NMS_UNION, 1);
    return FSIFT_OK;
}

static float best_score(const face_cands *c) {
    float b = -1.0f;
    for (int i = 0; i < c->n; i++) b = fmaxf(b, c->v[i].score);
    return b;
}

fsift_status face_scrfd_detect(fsift_face_analyzer *a, const fsift_image *img, face_cands *out) {
    const face_net *net = &a->m->nets[0];
    int det_w = net->spec.in_w > 0 ? net->spec.in_w : a->m->opts.det_size;
    int det_h = net->spec.in_h > 0 ? net->spec.in_h : a->m->opts.det_size;
    fsift_status st = scrfd_pass(a, img, det_w, det_h, det_w, det_h, &a->c1);
    if (st) return st;
    face_cands *win = &a->c1;
    if (a->m->opts.large_face_fallback && best_score(&a->c1) < FACE_SCRFD_FALLBACK_SCORE) {
        if ((st = scrfd_pass(a, img, det_w, det_h, det_w / 2, det_h / 2, &a->c2))) return st;
        if (best_score(&a->c2) > best_score(&a->c1)) win = &a->c2;
    }
    for (int i = 0; i < win->n; i++)
        if ((st = face_cands_push(out, &win->v[i]))) return st;
    return FSIFT_OK;
}
