/*
 * blob.c — feeding networks: RGB8 images into float input tensors as the registry entry says
 * (layout NHWC/NCHW, H/W transposition, colour order, (v − mean) · scale), crops of boxes
 * that may extend past the image (zero outside, as MTCNN's padded crops), and one call to run
 * network i of a model set on the analyzer's session for it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/face_internal.h"

fsift_status face_blob_reserve(fsift_face_analyzer *a, size_t n) {
    if (n <= a->blob_cap) return FSIFT_OK;
    if (n > ((size_t)1 << 28)) return fsift_error(FSIFT_E_LIMIT, "face: input tensor of %zu floats is too large", n);
    float *b = realloc(a->blob, n * sizeof *b);
    if (!b) return fsift_error(FSIFT_E_NOMEM, "face: out of memory for a %zu-float input tensor", n);
    a->blob = b;
    a->blob_cap = n;
    return FSIFT_OK;
}

void face_blob_put(const face_model_spec *spec, const fsift_image *img, float *blob, int item) {
    int W = img->width, H = img->height;
    int tw = spec->transposed ? H : W; /* tensor width */
    size_t plane = (size_t)W * H;
    float *dst = blob + (size_t)item * plane * 3;
    float mean = spec->mean, scale = spec->scale;
    float lut[256];
    for (int v = 0; v < 256; v++) lut[v] = ((float)v - mean) * scale;
    for (int y = 0; y < H; y++) {
        const uint8_t *row = img->data + (size_t)y * img->stride;
        for (int x = 0; x < W; x++) {
            const uint8_t *p = img->channels == 3 ? row + 3 * x : row + x;
            uint8_t rgb[3] = {p[0], img->channels == 3 ? p[1] : p[0], img->channels == 3 ? p[2] : p[0]};
            size_t pos = spec->transposed ? (size_t)x * tw + y : (size_t)y * tw + x;
            for (int c = 0; c < 3; c++) {
                float v = lut[rgb[spec->bgr ? 2 - c : c]];
                if (spec->layout == FACE_NHWC)
                    dst[pos * 3 + c] = v;
                else
                    dst[c * plane + pos] = v;
            }
        }
    }
}

fsift_status face_crop_resize(const fsift_image *img, float x1, float y1, float x2, float y2, int w, int h,
                              fsift_image *out) {
    memset(out, 0, sizeof *out);
    if (!(x2 > x1) || !(y2 > y1) || !isfinite(x1) || !isfinite(y1) || !isfinite(x2) || !isfinite(y2))
        return fsift_error(FSIFT_E_INVALID_ARG, "face: empty crop box");
    /* integer box as MTCNN crops it: [floor(x1), ceil(x2)) */
    double fx1 = floor(x1), fy1 = floor(y1), fx2 = ceil(x2), fy2 = ceil(y2);
    double bw = fx2 - fx1, bh = fy2 - fy1;
    if (bw > 65536 || bh > 65536) return fsift_error(FSIFT_E_LIMIT, "face: crop box %gx%g too large", bw, bh);
    int cw = (int)bw, ch = (int)bh, ox = (int)fx1, oy = (int)fy1;
    fsift_image tmp;
    fsift_status st = fsift_image_new(cw, ch, 3, &tmp);
    if (st) return st;
    int sx0 = ox < 0 ? 0 : ox, sy0 = oy < 0 ? 0 : oy;
    int sx1 = ox + cw > img->width ? img->width : ox + cw, sy1 = oy + ch > img->height ? img->height : oy + ch;
    for (int y = sy0; y < sy1; y++) {
        const uint8_t *src = img->data + (size_t)y * img->stride;
        uint8_t *dst = tmp.data + (size_t)(y - oy) * tmp.stride;
        if (img->channels == 3)
            memcpy(dst + 3 * (size_t)(sx0 - ox), src + 3 * (size_t)sx0, 3 * (size_t)(sx1 - sx0 > 0 ? sx1 - sx0 : 0));
        else
            for (int x = sx0; x < sx1; x++) memset(dst + 3 * (size_t)(x - ox), src[x], 3);
    }
    if (cw == w && ch == h) {
        *out = tmp;
        return FSIFT_OK;
    }
    st = fsift_image_resize(&tmp, w, h, FSIFT_RESIZE_BILINEAR, out);
    fsift_image_free(&tmp);
    return st;
}

static fsift_session *net_session(fsift_face_analyzer *a, int i) { return i < 0 ? a->rec_sess : a->sess[i]; }
static const face_net *net_of(const fsift_face_analyzer *a, int i) { return i < 0 ? &a->m->rec : &a->m->nets[i]; }

fsift_status face_net_run(fsift_face_analyzer *a, int i, const float *blob, int batch, int h, int w) {
    const face_net *n = net_of(a, i);
    fsift_tensor t = {.dtype = FSIFT_DTYPE_FLOAT32, .rank = 4, .data = (void *)blob};
    t.dims[0] = batch;
    if (n->spec.layout == FACE_NHWC) {
        t.dims[1] = h, t.dims[2] = w, t.dims[3] = 3;
    } else {
        t.dims[1] = 3, t.dims[2] = h, t.dims[3] = w;
    }
    fsift_status st = fsift_session_run(net_session(a, i), &t, 1);
    if (st) fsift_error_prefix("face: %s", n->spec.role);
    return st;
}

fsift_status face_net_output(fsift_face_analyzer *a, int i, int k, fsift_tensor *t) {
    fsift_status st = fsift_session_output(net_session(a, i), k, t);
    if (st) return st;
    if (t->dtype != FSIFT_DTYPE_FLOAT32)
        return fsift_error(FSIFT_E_FORMAT, "face: %s output %d is %s, not float32", net_of(a, i)->spec.role, k,
                           fsift_dtype_name(t->dtype));
    return FSIFT_OK;
}
