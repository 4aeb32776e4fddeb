/*
 * boxes.c — boxes and result lists shared by every detector: options defaults, growable
 * candidate arrays, greedy NMS (Union or Min overlap, optional +1 on widths/heights as
 * insightface computes it), BlazeFace's weighted NMS, and the conversion of candidates into
 * the public fsift_face_list (sorted by true box area, largest first; ties by det_score then
 * x1; capped at max_faces with n_found kept), rescaling and cosine similarity.
 *
 * Bounds: an NMS never looks at more than FACE_MAX_CANDIDATES boxes (the highest scores are
 * kept), so its O(n²) worst case stays bounded on images with thousands of detections.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/face_internal.h"

void fsift_face_options_default(fsift_face_options *o) {
    memset(o, 0, sizeof *o);
    o->det_thresh = 0.5f;
    o->det_size = 640;
    o->nms_thresh = 0.0f;
    o->max_faces = 100;
    o->large_face_fallback = 1;
    o->threads = 1;
    o->models_dir = NULL;
}

fsift_status face_cands_push(face_cands *c, const face_cand *x) {
    if (c->n == c->cap) {
        int nc = c->cap ? c->cap * 2 : 256;
        if (nc > 64 * FACE_MAX_CANDIDATES) return fsift_error(FSIFT_E_LIMIT, "face: more than %d candidate boxes", nc / 2);
        face_cand *v = realloc(c->v, (size_t)nc * sizeof *v);
        if (!v) return fsift_error(FSIFT_E_NOMEM, "face: out of memory for %d candidate boxes", nc);
        c->v = v;
        c->cap = nc;
    }
    c->v[c->n++] = *x;
    return FSIFT_OK;
}

void face_cands_free(face_cands *c) {
    free(c->v);
    memset(c, 0, sizeof *c);
}

/* Stable merge sort by score descending (qsort is not stable; equal scores keep their order
 * so that results are deterministic across libc versions). */
static void merge_sort(face_cand *v, face_cand *tmp, int n) {
    if (n < 2) return;
    int h = n / 2;
    merge_sort(v, tmp, h);
    merge_sort(v + h, tmp, n - h);
    int i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = (v[j].score > v[i].score) ? v[j++] : v[i++];
    while (i < h) tmp[k++] = v[i++];
    while (j < n) tmp[k++] = v[j++];
    memcpy(v, tmp, (size_t)n * sizeof *v);
}

void face_sort_by_score(face_cand *c, int n) {
    if (n < 2) return;
    face_cand *tmp = malloc((size_t)n * sizeof *tmp);
    if (!tmp) { /* insertion sort fallback: slow but stable and allocation-free */
        for (int i = 1; i < n; i++) {
            face_cand x = c[i];
            int j = i - 1;
            while (j >= 0 && c[j].score < x.score) {
                c[j + 1] = c[j];
                j--;
            }
            c[j + 1] = x;
        }
        return;
    }
    merge_sort(c, tmp, n);
    free(tmp);
}

static float overlap(const face_cand *a, const face_cand *b, int mode, float one) {
    float xx1 = fmaxf(a->x1, b->x1), yy1 = fmaxf(a->y1, b->y1);
    float xx2 = fminf(a->x2, b->x2), yy2 = fminf(a->y2, b->y2);
    float w = fmaxf(0.0f, xx2 - xx1 + one), h = fmaxf(0.0f, yy2 - yy1 + one);
    float inter = w * h;
    float aa = (a->x2 - a->x1 + one) * (a->y2 - a->y1 + one);
    float ab = (b->x2 - b->x1 + one) * (b->y2 - b->y1 + one);
    float den = mode == FACE_NMS_MIN ? fminf(aa, ab) : aa + ab - inter;
    return den > 0.0f ? inter / den : 0.0f;
}

int face_nms(face_cand *c, int n, float thresh, int mode, int plus_one) {
    face_sort_by_score(c, n);
    if (n > FACE_MAX_CANDIDATES) n = FACE_MAX_CANDIDATES;
    float one = plus_one ? 1.0f : 0.0f;
    int kept = 0;
    for (int i = 0; i < n; i++) {
        int keep = 1;
        for (int j = 0; j < kept; j++)
            if (overlap(&c[j], &c[i], mode, one) > thresh) {
                keep = 0;
                break;
            }
        if (keep) c[kept++] = c[i];
    }
    return kept;
}

int face_weighted_nms(face_cand *c, int n, float thresh) {
    face_sort_by_score(c, n);
    if (n > FACE_MAX_CANDIDATES) n = FACE_MAX_CANDIDATES;
    char *used = calloc((size_t)n + 1, 1);
    if (!used) return face_nms(c, n, thresh, FACE_NMS_UNION, 0);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        if (used[i]) continue;
        face_cand best = c[i];
        double wsum = 0, box[4] = {0}, kp[10] = {0};
        for (int j = i; j < n; j++) {
            if (used[j] || overlap(&c[i], &c[j], FACE_NMS_UNION, 0.0f) <= thresh) continue;
            used[j] = 1;
            double w = c[j].score;
            wsum += w;
            box[0] += w * c[j].x1, box[1] += w * c[j].y1, box[2] += w * c[j].x2, box[3] += w * c[j].y2;
            for (int k = 0; k < 5; k++) kp[2 * k] += w * c[j].kps[k][0], kp[2 * k + 1] += w * c[j].kps[k][1];
        }
        used[i] = 1;
        if (wsum > 0) {
            best.x1 = (float)(box[0] / wsum), best.y1 = (float)(box[1] / wsum);
            best.x2 = (float)(box[2] / wsum), best.y2 = (float)(box[3] / wsum);
            for (int k = 0; k < 5; k++) best.kps[k][0] = (float)(kp[2 * k] / wsum), best.kps[k][1] = (float)(kp[2 * k + 1] / wsum);
        }
        c[kept++] = best; /* kept ≤ i, so c[i..] is still unread input */
    }
    free(used);
    return kept;
}

fsift_status face_list_reserve(fsift_face_list *l, int n) {
    if (n <= l->capacity) return FSIFT_OK;
    fsift_face *f = realloc(l->faces, (size_t)n * sizeof *f);
    if (!f) return fsift_error(FSIFT_E_NOMEM, "face: out of memory for %d faces", n);
    l->faces = f;
    l->capacity = n;
    return FSIFT_OK;
}

void fsift_face_list_free(fsift_face_list *l) {
    if (!l) return;
    free(l->faces);
    memset(l, 0, sizeof *l);
}

static float box_area(const float *b) { return fmaxf(0.0f, b[2] - b[0]) * fmaxf(0.0f, b[3] - b[1]); }

static float cand_area(const face_cand *c) { return fmaxf(0.0f, c->x2 - c->x1) * fmaxf(0.0f, c->y2 - c->y1); }

/* Sorts candidates into the public order: true box area descending, then det_score
 * descending, then x1 and y1 ascending. */
static int cand_order(const void *pa, const void *pb) {
    const face_cand *a = pa, *b = pb;
    float aa = cand_area(a), ab = cand_area(b);
    if (aa != ab) return aa > ab ? -1 : 1;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->x1 != b->x1) return a->x1 < b->x1 ? -1 : 1;
    return (a->y1 > b->y1) - (a->y1 < b->y1);
}

static void set_area_ratio(fsift_face *f, int width, int height) {
    double area = (double)width * (double)height;
    f->area_ratio = area > 0 ? (float)((double)box_area(f->bbox) / area) : 0.0f;
}

fsift_status face_list_fill(fsift_face_list *out, face_cand *c, int n, int max_faces, int width,
                            int height) {
    out->n = 0;
    out->n_found = n;
    if (n == 0) return FSIFT_OK;
    qsort(c, (size_t)n, sizeof *c, cand_order);
    int keep = max_faces >= 0 && n > max_faces ? max_faces : n;
    fsift_status st = face_list_reserve(out, keep);
    if (st) return st;
    for (int i = 0; i < keep; i++) {
        fsift_face *f = &out->faces[i];
        f->bbox[0] = c[i].x1, f->bbox[1] = c[i].y1, f->bbox[2] = c[i].x2, f->bbox[3] = c[i].y2;
        f->det_score = c[i].score;
        memcpy(f->kps, c[i].kps, sizeof f->kps);
        f->embedding_dim = 0;
        set_area_ratio(f, width, height);
    }
    out->n = keep;
    return FSIFT_OK;
}

void fsift_face_list_rescale(fsift_face_list *l, double sx, double sy, int new_width, int new_height) {
    if (!l) return;
    for (int i = 0; i < l->n; i++) {
        fsift_face *f = &l->faces[i];
        f->bbox[0] = (float)(f->bbox[0] * sx), f->bbox[2] = (float)(f->bbox[2] * sx);
        f->bbox[1] = (float)(f->bbox[1] * sy), f->bbox[3] = (float)(f->bbox[3] * sy);
        for (int k = 0; k < 5; k++) f->kps[k][0] = (float)(f->kps[k][0] * sx), f->kps[k][1] = (float)(f->kps[k][1] * sy);
        set_area_ratio(f, new_width, new_height);
    }
}

float fsift_face_cosine(const float *a, const float *b, int dim) {
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < dim; i++) ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
    if (aa <= 0 || bb <= 0) return 0.0f;
    return (float)(ab / sqrt(aa * bb));
}
