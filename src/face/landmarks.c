/*
 * landmarks.c — the landmark stage of the "mtcnn" and "blazeface" sets: MTCNN's O-Net run on
 * each face of the image passed in, at its full resolution, until the face's frame stops
 * moving. Both fsift_face_detect (after the detector on its canvas) and fsift_face_refine
 * (after a detection on a smaller copy, `facesift build`) end here, so the two differ only by
 * the boxes they start from, and converge onto the same landmarks (tests/test_face_models.c:
 * within 2 px on 1920-px photos).
 *
 * A face's frame is a square (centre, side) and a roll angle. One pass:
 *   1. crop: the frame's square, rotated by the roll so that the face is upright, sampled to
 *      48×48 (frame_crop: warped from antialiased downscaled copies of the image, so that a
 *      400-px face is not aliased, and continuous in the frame's position and size). O-Net
 *      was trained on upright faces: rolled faces cropped axis-aligned get worse landmarks
 *      (docs/faces-accuracy.md has the numbers).
 *   2. O-Net: face probability, box regression and 5 landmarks in the crop, mapped back
 *      through the crop's transform (rotated back) to image pixels. For the precise faces
 *      (below) O-Net also sees the crop mirrored left-right; its landmarks are mirrored back
 *      (left and right eye, left and right mouth corner trade places) and the two results
 *      averaged — landmarks, box and probability. The mirrored twin cancels O-Net's
 *      left-right bias: on the labelled set, faces with every landmark within 0.1 IOD went
 *      from 129 to 162 of 236, and a profile's hidden eye lands at the same place in every
 *      copy (docs/faces-accuracy.md). The regressed box's centre
 *      is mapped the same way, its width and height kept (an axis-aligned box of that size
 *      around the centre, the convention of the labels).
 *   3. next frame: the regressed box squared around its centre, the roll from the new eyes
 *      (atan2 of right eye − left eye); from the second pass on, the step is halved (O-Net's
 *      regression has 2-cycles of about ±1% of the side that a full step never leaves).
 * The first frame's roll comes from the detector's eyes: O-Net's on the detection canvas
 * (mtcnn), BlazeFace's own eye keypoints (blazeface), or the landmarks being refined.
 *
 * Scores: a face whose first pass (on the detector's box) scores below det_thresh / 2 stops
 * there (the cascade's cheap rejection: animal faces, background); a face whose second pass
 * (on O-Net's own box) scores below FACE_RECHECK_MIN is dropped (background BlazeFace fires
 * on, which O-Net accepts once and rejects on its own box); a later pass scoring below half
 * the face's score means the frame is drifting off the face (profiles), and the face keeps
 * its previous pass. det_score is the best probability of the passes kept.
 *
 * Convergence and cost: the n_precise largest faces (by box area as they come in; detect and
 * refine ask for FACE_PRECISE_FACES, fsift_face_detect_coarse for none) iterate
 * until the frame moves less than FACE_ONET_CONVERGED of its side (FACE_ONET_MAX_PASSES at
 * most), then get their landmarks and box averaged over FACE_ENSEMBLE frames around the
 * converged one (shifted by FACE_ENSEMBLE_STEP of the side, each as is and mirrored), which
 * smooths O-Net's jitter with the frame; the other faces of crowded images get
 * FACE_ONET_QUICK_PASSES passes, unmirrored. About 21 O-Net runs per precise face on the
 * labelled photos (2 × 5.5 passes + 10).
 *
 * Bounds: crops read downscaled copies of the image (never larger than it), so a frame far
 * outside the image costs a black crop, not an allocation of its size. Frames with
 * non-finite or degenerate geometry get probability 0 and are dropped.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/face_internal.h"

#define FACE_ONET_MAX_PASSES 12
#define FACE_ONET_QUICK_PASSES 2
#define FACE_ONET_CONVERGED 0.0025 /* of the side: centre shift and side change per pass */
#define FACE_ROLL_CONVERGED 0.0044 /* radians (0.25°) */
#define FACE_ROLL_MAX 1.4          /* radians (80°) */
#define FACE_ENSEMBLE_STEP 0.06
#define FACE_ONET_CHUNK 64
#define FACE_RECHECK_MIN 0.1f
#define FACE_DRIFT_RATIO 0.5f
#define FACE_ANCHOR_SHIFT 0.2 /* later frames stay within this share of the first O-Net box's side */
#define FACE_ANCHOR_SIDE 0.2  /* … and their side within ±this share of it */
#define FACE_ANCHOR_ROLL 0.35 /* … and their roll within ±20° of it */

typedef struct onet_frame {
    double cx, cy, side, roll;
    double step[4]; /* the last step taken in cx, cy, side, roll (0 before the first) */
    int ok;
    int mirror; /* O-Net sees the crop mirrored left-right (the twin runs of precise faces) */
} onet_frame;

/* The frame of candidate c: its box squared around the centre, roll from its eyes. */
static void frame_of(const face_cand *c, onet_frame *f) {
    double w = (double)c->x2 - c->x1, h = (double)c->y2 - c->y1;
    memset(f->step, 0, sizeof f->step);
    f->cx = c->x1 + w * 0.5, f->cy = c->y1 + h * 0.5;
    f->side = w > h ? w : h;
    f->roll = 0.0;
    f->mirror = 0;
    f->ok = isfinite(f->cx) && isfinite(f->cy) && isfinite(f->side) && f->side >= 1e-3 && f->side <= 1e6 &&
            fabs(f->cx) < 1e7 && fabs(f->cy) < 1e7;
    if (c->has_kps) {
        double dx = (double)c->kps[1][0] - c->kps[0][0], dy = (double)c->kps[1][1] - c->kps[0][1];
        double r = atan2(dy, dx);
        if (dx > 0 && isfinite(r)) f->roll = r > FACE_ROLL_MAX ? FACE_ROLL_MAX : r < -FACE_ROLL_MAX ? -FACE_ROLL_MAX : r;
    }
}

/* Inverts the 2×3 affine F into M (F singular → zeros). */
static void affine_invert(const double F[2][3], double M[2][3]) {
    double D = F[0][0] * F[1][1] - F[0][1] * F[1][0];
    D = D != 0.0 ? 1.0 / D : 0.0;
    M[0][0] = F[1][1] * D, M[0][1] = -F[0][1] * D;
    M[1][0] = -F[1][0] * D, M[1][1] = F[0][0] * D;
    M[0][2] = -M[0][0] * F[0][2] - M[0][1] * F[1][2];
    M[1][2] = -M[1][0] * F[0][2] - M[1][1] * F[1][2];
}

/* Downscaled copies of the image at scales 2^(-j/4), j = 1..FACE_LEVELS, made on first use
 * and shared by every face and pass of one call, so that a crop is a function of its frame
 * alone, whatever frames came before it. Octaves (j a multiple of 4) halve the previous
 * octave (2×2 means); the levels between are the octave above them resized
 * (Pillow bilinear, antialiased). Only the first octave reads the whole image. */
#define FACE_LEVELS 28
typedef struct crop_levels {
    fsift_image lv[FACE_LEVELS + 1];
} crop_levels;

static void levels_free(crop_levels *L) {
    for (int j = 0; j <= FACE_LEVELS; j++) fsift_image_free(&L->lv[j]);
}

/* out = src halved: each pixel the rounded mean of a 2×2 block (an odd last row or column
 * pairs with itself). A plain loop: ~5× faster than the general resampler on a 1920-px photo. */
static fsift_status half_mean(const fsift_image *src, fsift_image *out) {
    int w = (src->width + 1) / 2, h = (src->height + 1) / 2, ch = src->channels;
    fsift_status st = fsift_image_new(w, h, ch, out);
    if (st) return st;
    for (int y = 0; y < h; y++) {
        const uint8_t *r0 = src->data + (size_t)(2 * y) * src->stride;
        const uint8_t *r1 = 2 * y + 1 < src->height ? r0 + src->stride : r0;
        uint8_t *d = out->data + (size_t)y * out->stride;
        for (int x = 0; x < w; x++) {
            int x0 = 2 * x * ch, x1 = 2 * x + 1 < src->width ? x0 + ch : x0;
            for (int c = 0; c < ch; c++)
                d[x * ch + c] = (uint8_t)((r0[x0 + c] + r0[x1 + c] + r1[x0 + c] + r1[x1 + c] + 2) >> 2);
        }
    }
    return FSIFT_OK;
}

/* Level j of the image (0: the image itself), made on first use. */
static fsift_status level_get(const fsift_image *img, crop_levels *L, int j, const fsift_image **out) {
    if (j == 0) {
        *out = img;
        return FSIFT_OK;
    }
    fsift_image *lv = &L->lv[j];
    if (!lv->data) {
        const fsift_image *up;
        int o = (j - 1) / 4 * 4; /* the octave above level j */
        fsift_status st = level_get(img, L, o, &up);
        if (st) return st;
        if (j % 4 == 0) {
            if ((st = half_mean(up, lv))) return st;
        } else {
            double kj = exp2(-j / 4.0);
            int w = (int)lround(img->width * kj), h = (int)lround(img->height * kj);
            if ((st = fsift_image_resize(up, w < 1 ? 1 : w, h < 1 ? 1 : h, FSIFT_RESIZE_BILINEAR, lv))) return st;
        }
    }
    *out = lv;
    return FSIFT_OK;
}

/* Warps the crop whose corner map is A (crop → image) from `from`, a scaled copy of img. */
static fsift_status warp_from(const fsift_image *img, const fsift_image *from, const double A[2][3], int S,
                              fsift_image *out) {
    double kx = (double)from->width / img->width, ky = (double)from->height / img->height;
    /* crop pixel index (i, j) → source pixel index: corners are index + 0.5 */
    double F[2][3] = {
        {kx * A[0][0], kx * A[0][1], kx * (0.5 * (A[0][0] + A[0][1]) + A[0][2]) - 0.5},
        {ky * A[1][0], ky * A[1][1], ky * (0.5 * (A[1][0] + A[1][1]) + A[1][2]) - 0.5},
    };
    double M[2][3];
    affine_invert(F, M);
    return fsift_warp_affine(from, M, S, S, out);
}

/* The S×S upright crop of frame f into out; A receives the map from crop coordinates (u, v)
 * (pixel corners, 0..S) to image coordinates: (x, y) = A · (u, v, 1). O-Net's scale
 * k = S / side lies between two levels (scales 2^(-j/4) ≥ k > 2^(-(j+1)/4)); the crop is
 * warped from both and blended by where k lies between them (in log scale), so that it
 * changes continuously with the frame. Faces smaller than S are warped from the image. */
static fsift_status frame_crop(const fsift_image *img, const onet_frame *f, int S, crop_levels *L, fsift_image *out,
                               double A[2][3]) {
    double c = cos(f->roll), s = sin(f->roll), d = f->side / S, h = S * 0.5;
    A[0][0] = c * d, A[0][1] = -s * d, A[0][2] = f->cx - (c - s) * d * h;
    A[1][0] = s * d, A[1][1] = c * d, A[1][2] = f->cy - (s + c) * d * h;
    double k = S / f->side, pos = k < 1.0 ? -4.0 * log2(k) : 0.0;
    if (pos > FACE_LEVELS - 1) pos = FACE_LEVELS - 1;
    int j = (int)floor(pos);
    int t = (int)lround((pos - j) * 256.0); /* weight of level j + 1, /256 */
    const fsift_image *l0, *l1;
    fsift_status st = level_get(img, L, j, &l0);
    if (!st) st = warp_from(img, l0, A, S, out);
    if (st || t == 0) return st;
    fsift_image o1;
    if ((st = level_get(img, L, j + 1, &l1)) || (st = warp_from(img, l1, A, S, &o1))) {
        fsift_image_free(out);
        return st;
    }
    for (int y = 0; y < S; y++) {
        uint8_t *p = out->data + (size_t)y * out->stride;
        const uint8_t *q = o1.data + (size_t)y * o1.stride;
        for (int x = 0; x < S * out->channels; x++) p[x] = (uint8_t)((p[x] * (256 - t) + q[x] * t + 128) >> 8);
    }
    fsift_image_free(&o1);
    return FSIFT_OK;
}

static void apply(const double A[2][3], double u, double v, float *x, float *y) {
    *x = (float)(A[0][0] * u + A[0][1] * v + A[0][2]);
    *y = (float)(A[1][0] * u + A[1][1] * v + A[1][2]);
}

/* Runs O-Net on frames fr[0..m) (one crop each); out[t] receives the result of frame t:
 * kps, regressed box, face probability in score (other fields untouched). */
static fsift_status onet_run(fsift_face_analyzer *a, int net, const fsift_image *img, const onet_frame *fr, int m,
                             crop_levels *L, face_cand *out) {
    const face_model_spec *sp = &a->m->nets[net].spec;
    int S = sp->in_w;
    double A[FACE_ONET_CHUNK][2][3];
    fsift_status st = face_blob_reserve(a, (size_t)FACE_ONET_CHUNK * S * S * 3);
    if (st) return st;
    for (int b0 = 0; b0 < m; b0 += FACE_ONET_CHUNK) {
        int bn = m - b0 < FACE_ONET_CHUNK ? m - b0 : FACE_ONET_CHUNK;
        for (int i = 0; i < bn; i++) {
            fsift_image crop;
            if ((st = frame_crop(img, &fr[b0 + i], S, L, &crop, A[i]))) return st;
            if (fr[b0 + i].mirror) { /* EXIF orientation 2: mirrored left-right */
                fsift_image flipped;
                st = fsift_image_orient(&crop, 2, &flipped);
                fsift_image_free(&crop);
                if (st) return st;
                crop = flipped;
            }
            face_blob_put(sp, &crop, a->blob, i);
            fsift_image_free(&crop);
        }
        if ((st = face_net_run(a, net, a->blob, bn, S, S))) return st;
        fsift_tensor tp, tr, tl;
        if ((st = face_net_output_by_width(a, net, 2, bn, &tp)) || (st = face_net_output_by_width(a, net, 4, bn, &tr)) ||
            (st = face_net_output_by_width(a, net, 10, bn, &tl)))
            return st;
        const float *p = tp.data, *r = tr.data, *l = tl.data;
        for (int i = 0; i < bn; i++) {
            face_cand *x = &out[b0 + i];
            const onet_frame *f = &fr[b0 + i];
            static const int swap[5] = {1, 0, 2, 4, 3}; /* mirrored: left and right trade places */
            for (int j = 0; j < 5; j++) {
                int q = f->mirror ? swap[j] : j;
                double u = l[10 * i + q], v = l[10 * i + 5 + q];
                apply(A[i], S * (f->mirror ? 1.0 - u : u), S * v, &x->kps[j][0], &x->kps[j][1]);
            }
            x->has_kps = 1;
            const float *g0 = r + 4 * i; /* regressed box in fractions of the crop: (g0, g1)–(1 + g2, 1 + g3) */
            float gm[4] = {-g0[2], g0[1], -g0[0], g0[3]};
            const float *g = f->mirror ? gm : g0;
            float cx, cy;
            apply(A[i], S * (0.5 * (g[0] + 1.0 + g[2])), S * (0.5 * (g[1] + 1.0 + g[3])), &cx, &cy);
            double w = f->side * (1.0 + g[2] - g[0]), h = f->side * (1.0 + g[3] - g[1]);
            x->x1 = (float)(cx - 0.5 * w), x->x2 = (float)(cx + 0.5 * w);
            x->y1 = (float)(cy - 0.5 * h), x->y2 = (float)(cy + 0.5 * h);
            x->score = p[2 * i + 1];
        }
    }
    return FSIFT_OK;
}

/* x = the mean of O-Net's results r[0..k): landmarks and box, and the probability when
 * with_score (the mirrored pair of a pass) — the ensemble keeps the passes' det_score. */
static void results_mean(const face_cand *r, int k, int with_score, face_cand *x) {
    double acc[15] = {0};
    for (int e = 0; e < k; e++) {
        const face_cand *o = &r[e];
        for (int j = 0; j < 5; j++) acc[2 * j] += o->kps[j][0], acc[2 * j + 1] += o->kps[j][1];
        acc[10] += o->x1, acc[11] += o->y1, acc[12] += o->x2, acc[13] += o->y2, acc[14] += o->score;
    }
    for (int j = 0; j < 5; j++) x->kps[j][0] = (float)(acc[2 * j] / k), x->kps[j][1] = (float)(acc[2 * j + 1] / k);
    x->x1 = (float)(acc[10] / k), x->y1 = (float)(acc[11] / k), x->x2 = (float)(acc[12] / k), x->y2 = (float)(acc[13] / k);
    if (with_score) x->score = (float)(acc[14] / k);
}

/* The last step for precise faces: O-Net on the frames of ensemble[] around each face's
 * converged frame (shifts and scalings in units of FACE_ENSEMBLE_STEP of the side), the
 * landmarks and the box averaged. */
static const double ensemble[][3] = {{0, 0, 0}, {-1, 0, 0}, {1, 0, 0}, {0, -1, 0}, {0, 1, 0}};
#define FACE_ENSEMBLE ((int)(sizeof ensemble / sizeof ensemble[0]))

static fsift_status onet_ensemble(fsift_face_analyzer *a, int net, const fsift_image *img, face_cand *c,
                                  const onet_frame *fr, const int *idx, int m, crop_levels *L) {
    if (m == 0) return FSIFT_OK;
    const int K = 2 * FACE_ENSEMBLE; /* each frame as is and mirrored */
    const double d = FACE_ENSEMBLE_STEP;
    onet_frame *jf = malloc((size_t)m * K * sizeof *jf);
    face_cand *out = calloc((size_t)m * K, sizeof *out);
    fsift_status st = FSIFT_OK;
    if (!jf || !out) st = fsift_error(FSIFT_E_NOMEM, "face: out of memory for %d faces", m);
    for (int t = 0; t < m && !st; t++)
        for (int e = 0; e < K; e++) {
            onet_frame f = fr[idx[t]];
            int q = e % FACE_ENSEMBLE;
            f.cx += ensemble[q][0] * d * f.side, f.cy += ensemble[q][1] * d * f.side;
            f.side *= 1.0 + ensemble[q][2] * d;
            f.mirror = e >= FACE_ENSEMBLE;
            jf[t * K + e] = f;
        }
    if (!st) st = onet_run(a, net, img, jf, m * K, L, out);
    for (int t = 0; t < m && !st; t++) results_mean(&out[t * K], K, 0, &c[idx[t]]);
    free(jf);
    free(out);
    return st;
}

static int frame_moved(const onet_frame *a, const onet_frame *b) {
    double tol = FACE_ONET_CONVERGED * a->side;
    return fabs(a->cx - b->cx) >= tol || fabs(a->cy - b->cy) >= tol || fabs(a->side - b->side) >= tol ||
           fabs(a->roll - b->roll) >= FACE_ROLL_CONVERGED;
}

/* Takes the result r (probability p, next frame nf) of the pass `pass` on frame *fr for face
 * c: returns 1 when the face goes on to another pass (fr updated), 0 when it stops here.
 * *kept receives the frame of the result the face keeps. */
static int face_step(face_cand *c, face_cand *r, float p, onet_frame *fr, onet_frame *kept, onet_frame *anchor,
                     onet_frame nf, int pass, float thresh) {
    if (pass == 0) { /* the detector's box */
        *c = *r;
        *kept = *fr;
        *anchor = nf;
        c->score = nf.ok ? p : 0.0f;
        if (!nf.ok || p < 0.5f * thresh) return 0;
    } else {
        float score = c->score;
        if (pass == 1 && p < FACE_RECHECK_MIN) { /* rejected on O-Net's own box */
            c->score = p;
            return 0;
        }
        if (!nf.ok || p < FACE_DRIFT_RATIO * score) return 0; /* drifting off the face: keep the last pass */
        *c = *r;
        *kept = *fr;
        c->score = p > score ? p : score;
        /* a component whose step reverses the last one is halved: O-Net's regression has
         * 2-cycles (about ±1% of the side) that full steps never leave, while steps in one
         * direction (a slow creep of the side) are taken in full */
        double *v[4] = {&nf.cx, &nf.cy, &nf.side, &nf.roll};
        const double o[4] = {fr->cx, fr->cy, fr->side, fr->roll};
        for (int q = 0; q < 4; q++) {
            double d = *v[q] - o[q];
            if (d * fr->step[q] < 0) d *= 0.5;
            *v[q] = o[q] + d;
            nf.step[q] = d;
        }
        /* O-Net's own first box bounds the frame: profiles and hidden eyes otherwise creep to
         * boxes twice the face with high probability */
        const double lim[4] = {FACE_ANCHOR_SHIFT * anchor->side, FACE_ANCHOR_SHIFT * anchor->side,
                               FACE_ANCHOR_SIDE * anchor->side, FACE_ANCHOR_ROLL};
        const double ctr[4] = {anchor->cx, anchor->cy, anchor->side, anchor->roll};
        for (int q = 0; q < 4; q++)
            *v[q] = *v[q] < ctr[q] - lim[q] ? ctr[q] - lim[q] : *v[q] > ctr[q] + lim[q] ? ctr[q] + lim[q] : *v[q];
    }
    int moved = frame_moved(fr, &nf);
    *fr = nf;
    return moved;
}

/* Box area of a candidate, for choosing the precise faces. */
static double cand_area(const face_cand *c) {
    double w = (double)c->x2 - c->x1, h = (double)c->y2 - c->y1;
    return w > 0 && h > 0 ? w * h : 0.0;
}

fsift_status face_onet_landmarks(fsift_face_analyzer *a, int net, const fsift_image *img, face_cand *c, int n,
                                 int n_precise) {
    if (n <= 0) return FSIFT_OK;
    onet_frame *fr = malloc((size_t)n * sizeof *fr), *jf = malloc((size_t)2 * n * sizeof *jf);
    onet_frame *kept = malloc((size_t)n * sizeof *kept), *anchor = malloc((size_t)n * sizeof *anchor);
    int *idx = malloc((size_t)n * sizeof *idx);
    unsigned char *precise = calloc((size_t)n, 1);
    face_cand *nx = calloc((size_t)2 * n, sizeof *nx);
    crop_levels *L = calloc(1, sizeof *L);
    if (!fr || !jf || !kept || !anchor || !idx || !precise || !nx || !L) {
        free(fr), free(jf), free(kept), free(anchor), free(idx), free(precise), free(nx), free(L);
        return fsift_error(FSIFT_E_NOMEM, "face: out of memory for %d faces", n);
    }
    fsift_status st = FSIFT_OK;
    int m = 0;
    for (int i = 0; i < n; i++) {
        frame_of(&c[i], &fr[i]);
        kept[i] = fr[i];
        c[i].score = 0.0f;
        if (fr[i].ok) idx[m++] = i;
        int larger = 0; /* faces before i in the precise order: larger box, or equal and earlier */
        for (int j = 0; j < n && larger < n_precise; j++)
            larger += cand_area(&c[j]) > cand_area(&c[i]) || (cand_area(&c[j]) == cand_area(&c[i]) && j < i);
        precise[i] = larger < n_precise;
    }
    float thresh = a->m->opts.det_thresh;
    for (int pass = 0; pass < FACE_ONET_MAX_PASSES && m > 0 && !st; pass++) {
        /* precise faces run twice, the second time mirrored, and the two results are averaged */
        int mj = 0;
        for (int t = 0; t < m; t++) {
            jf[mj++] = fr[idx[t]];
            if (precise[idx[t]]) jf[mj] = fr[idx[t]], jf[mj++].mirror = 1;
        }
        if ((st = onet_run(a, net, img, jf, mj, L, nx))) break;
        for (int t = 0, q = 0; t < m; t++) {
            face_cand o = nx[q];
            if (precise[idx[t]]) results_mean(&nx[q], 2, 1, &o);
            q += precise[idx[t]] ? 2 : 1;
            nx[t] = o; /* t < q: never overwrites a result still to be read */
        }
        int k = 0;
        for (int t = 0; t < m; t++) {
            int i = idx[t];
            face_cand r = c[i];
            memcpy(r.kps, nx[t].kps, sizeof r.kps);
            r.x1 = nx[t].x1, r.y1 = nx[t].y1, r.x2 = nx[t].x2, r.y2 = nx[t].y2, r.has_kps = 1;
            onet_frame nf;
            frame_of(&r, &nf);
            int more = face_step(&c[i], &r, nx[t].score, &fr[i], &kept[i], &anchor[i], nf, pass, thresh);
            if (more && (precise[i] || pass + 1 < FACE_ONET_QUICK_PASSES)) idx[k++] = i;
        }
        m = k;
    }
    m = 0;
    for (int i = 0; i < n && !st; i++)
        if (precise[i] && fr[i].ok && c[i].score >= thresh) idx[m++] = i;
    if (!st) st = onet_ensemble(a, net, img, c, kept, idx, m, L);
    levels_free(L);
    free(L);
    free(fr);
    free(jf);
    free(kept);
    free(anchor);
    free(idx);
    free(precise);
    free(nx);
    return st;
}
