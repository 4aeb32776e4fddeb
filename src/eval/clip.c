/*
 * clip.c — CLIP image and text towers (user-supplied ONNX) on facesift's runtime, with the
 * CLIP pre-processing and the tokenizer of text.h.
 *
 * Image: shorter side to S with Pillow's bicubic (fsift_image_resize), the longer side
 * int(S·long/short) as torchvision's Resize(int) computes it, centre crop with
 * round((d − S)/2) offsets (Python's round: half to even), (v/255 − mean)/std, CHW.
 * Text: 77 ids (int64 or int32 as the graph wants); a second input is taken for the attention
 * mask (1 up to and including the end token). An output [1,77,D] is pooled at the end token
 * (argmax of the ids, the first maximum, as torch.argmax). Embeddings are L2-normalised in
 * double precision. fsift_clip is immutable after load; a runner is one thread's sessions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/eval.h"
#include "facesift/nn.h"

static const float CLIP_MEAN[3] = {0.48145466f, 0.4578275f, 0.40821073f};
static const float CLIP_STD[3] = {0.26862954f, 0.26130258f, 0.27577711f};

struct fsift_clip {
    fsift_model *image, *text;
    fsift_clip_tokenizer *tok;
    int image_size;
    char image_id[256], text_id[256], vocab_id[256];
};

struct fsift_clip_runner {
    const fsift_clip *c;
    fsift_session *image, *text;
    float *chw;
};

int fsift_clip_has_image(const fsift_clip *c) { return c && c->image; }
int fsift_clip_has_text(const fsift_clip *c) { return c && c->text && c->tok; }
const char *fsift_clip_image_id(const fsift_clip *c) { return c->image_id; }
const char *fsift_clip_text_id(const fsift_clip *c) { return c->text_id; }
const char *fsift_clip_vocab_id(const fsift_clip *c) { return c->vocab_id; }

/* "NAME(first 12 hex digits of the file's sha256)". */
static fsift_status file_id(const char *path, char *out, size_t cap) {
    uint8_t d[32];
    fsift_status st = fsift_sha256_file(path, d, NULL);
    if (st) return st;
    const char *b = strrchr(path, '/');
    snprintf(out, cap, "%.200s(%02x%02x%02x%02x%02x%02x)", b ? b + 1 : path, d[0], d[1], d[2], d[3], d[4], d[5]);
    return FSIFT_OK;
}

void fsift_clip_free(fsift_clip *c) {
    if (!c) return;
    fsift_model_free(c->image);
    fsift_model_free(c->text);
    fsift_clip_tokenizer_free(c->tok);
    free(c);
}

fsift_status fsift_clip_load(const char *image_onnx, const char *text_onnx, const char *vocab, fsift_clip **out) {
    *out = NULL;
    if (text_onnx && !vocab)
        return fsift_error(FSIFT_E_INVALID_ARG, "a CLIP text tower needs its vocabulary (--clip-vocab)");
    fsift_clip *c = calloc(1, sizeof *c);
    if (!c) return fsift_error(FSIFT_E_NOMEM, "clip: out of memory");
    fsift_status st = FSIFT_OK;
    fsift_io_info in, o;
    if (image_onnx) {
        st = file_id(image_onnx, c->image_id, sizeof c->image_id);
        if (!st) st = fsift_model_load(image_onnx, &c->image);
        if (!st && (fsift_model_num_inputs(c->image) != 1 || fsift_model_input(c->image, 0, &in) ||
                    in.dtype != FSIFT_DTYPE_FLOAT32 || in.rank != 4))
            st = fsift_error(FSIFT_E_UNSUPPORTED, "%s: a CLIP image tower has one float input [1,3,S,S]", image_onnx);
        if (!st) {
            c->image_size = in.dims[2] > 0 ? (int)in.dims[2] : 224;
            if (c->image_size > 1024 || (in.dims[3] > 0 && in.dims[3] != in.dims[2]))
                st = fsift_error(FSIFT_E_UNSUPPORTED, "%s: image input %lldx%lld (square, at most 1024)", image_onnx,
                                 (long long)in.dims[2], (long long)in.dims[3]);
        }
    }
    if (!st && text_onnx) {
        st = file_id(text_onnx, c->text_id, sizeof c->text_id);
        if (!st) st = fsift_model_load(text_onnx, &c->text);
        int ni = st ? 0 : fsift_model_num_inputs(c->text);
        if (!st && (ni < 1 || ni > 2 || fsift_model_input(c->text, 0, &in) ||
                    (in.dtype != FSIFT_DTYPE_INT64 && in.dtype != FSIFT_DTYPE_INT32) ||
                    fsift_model_output(c->text, 0, &o) || (o.rank >= 0 && (o.rank < 2 || o.rank > 3))))
            st = fsift_error(FSIFT_E_UNSUPPORTED,
                             "%s: a CLIP text tower takes int64/int32 ids [1,77] (+ an optional mask) and outputs [1,D] or [1,77,D]",
                             text_onnx);
    }
    if (!st && vocab) {
        st = fsift_clip_tokenizer_load(vocab, &c->tok);
        if (!st) snprintf(c->vocab_id, sizeof c->vocab_id, "%s", fsift_clip_tokenizer_id(c->tok));
    }
    if (st) {
        fsift_clip_free(c);
        return st;
    }
    *out = c;
    return FSIFT_OK;
}

void fsift_clip_runner_free(fsift_clip_runner *r) {
    if (!r) return;
    fsift_session_free(r->image);
    fsift_session_free(r->text);
    free(r->chw);
    free(r);
}

fsift_status fsift_clip_runner_new(const fsift_clip *c, int nthreads, fsift_clip_runner **out) {
    *out = NULL;
    fsift_clip_runner *r = calloc(1, sizeof *r);
    if (!r) return fsift_error(FSIFT_E_NOMEM, "clip: out of memory");
    r->c = c;
    fsift_status st = FSIFT_OK;
    if (c->image) {
        st = fsift_session_new(c->image, nthreads < 1 ? 1 : nthreads, &r->image);
        r->chw = st ? NULL : malloc(sizeof(float) * 3 * (size_t)c->image_size * (size_t)c->image_size);
        if (!st && !r->chw) st = fsift_error(FSIFT_E_NOMEM, "clip: out of memory");
    }
    if (!st && c->text) st = fsift_session_new(c->text, nthreads < 1 ? 1 : nthreads, &r->text);
    if (st) {
        fsift_clip_runner_free(r);
        return st;
    }
    *out = r;
    return FSIFT_OK;
}

/* Python's round(x) for x ≥ 0: half to even. */
static int round_half_even(double x) {
    double f = floor(x), d = x - f;
    int i = (int)f;
    if (d > 0.5 || (d == 0.5 && (i & 1))) i++;
    return i;
}

fsift_status fsift_clip_preprocess(const fsift_image *img, int size, float *chw) {
    if (!img || !img->data || img->width < 1 || img->height < 1 || size < 1)
        return fsift_error(FSIFT_E_INVALID_ARG, "clip preprocess: empty image");
    if (img->channels != 3) return fsift_error(FSIFT_E_UNSUPPORTED, "clip preprocess: needs an RGB image");
    int w = img->width, h = img->height, nw, nh;
    if (w <= h) {
        nw = size;
        nh = (int)((double)size * h / w);
    } else {
        nh = size;
        nw = (int)((double)size * w / h);
    }
    if (nw < size) nw = size;
    if (nh < size) nh = size;
    fsift_image r = {0};
    const fsift_image *src = img;
    if (nw != w || nh != h) {
        fsift_status st = fsift_image_resize(img, nw, nh, FSIFT_RESIZE_BICUBIC, &r);
        if (st) return st;
        src = &r;
    }
    int top = round_half_even((nh - size) / 2.0), left = round_half_even((nw - size) / 2.0);
    size_t plane = (size_t)size * size;
    for (int y = 0; y < size; y++) {
        const uint8_t *row = src->data + (size_t)(top + y) * src->stride + (size_t)left * 3;
        for (int x = 0; x < size; x++)
            for (int ch = 0; ch < 3; ch++)
                chw[ch * plane + (size_t)y * size + x] = ((float)row[x * 3 + ch] / 255.0f - CLIP_MEAN[ch]) / CLIP_STD[ch];
    }
    fsift_image_free(&r);
    return FSIFT_OK;
}

/* Copies v[0..d) L2-normalised into emb. */
static fsift_status normalise(const float *v, int64_t d, float *emb, int cap, int *dim) {
    if (d < 1 || d > cap || d > FSIFT_CLIP_MAX_EMBED)
        return fsift_error(FSIFT_E_SHAPE, "clip: embedding of %lld values (1..%d accepted)", (long long)d, cap);
    double s = 0;
    for (int64_t i = 0; i < d; i++) s += (double)v[i] * v[i];
    double inv = s > 0 ? 1.0 / sqrt(s) : 0.0;
    for (int64_t i = 0; i < d; i++) emb[i] = (float)(v[i] * inv);
    *dim = (int)d;
    return FSIFT_OK;
}

fsift_status fsift_clip_embed_image(fsift_clip_runner *r, const fsift_image *img, float *emb, int cap, int *dim) {
    if (!r->image) return fsift_error(FSIFT_E_INVALID_ARG, "clip: no image tower loaded (--clip-image)");
    int s = r->c->image_size;
    fsift_status st = fsift_clip_preprocess(img, s, r->chw);
    if (st) return st;
    fsift_tensor in = {FSIFT_DTYPE_FLOAT32, 4, {1, 3, s, s}, r->chw};
    if ((st = fsift_session_run(r->image, &in, 1))) return st;
    fsift_tensor o;
    if ((st = fsift_session_output(r->image, 0, &o))) return st;
    if (o.dtype != FSIFT_DTYPE_FLOAT32 || o.rank != 2 || o.dims[0] != 1)
        return fsift_error(FSIFT_E_SHAPE, "clip image tower: output 0 is not float [1,D]");
    return normalise(o.data, o.dims[1], emb, cap, dim);
}

fsift_status fsift_clip_embed_text(fsift_clip_runner *r, const char *text, float *emb, int cap, int *dim,
                                   int *n_tokens) {
    if (!r->text || !r->c->tok) return fsift_error(FSIFT_E_INVALID_ARG, "clip: no text tower / vocabulary loaded");
    int32_t ids[FSIFT_CLIP_CONTEXT];
    fsift_status st = fsift_clip_tokenize(r->c->tok, text, strlen(text), ids, n_tokens);
    if (st) return st;
    fsift_io_info info;
    fsift_model_input(r->c->text, 0, &info);
    int64_t ids64[FSIFT_CLIP_CONTEXT], mask64[FSIFT_CLIP_CONTEXT];
    int32_t mask32[FSIFT_CLIP_CONTEXT];
    int eot = 0;
    for (int i = 0; i < FSIFT_CLIP_CONTEXT; i++) {
        ids64[i] = ids[i];
        if (ids[i] > ids[eot]) eot = i;
    }
    for (int i = 0; i < FSIFT_CLIP_CONTEXT; i++) {
        mask64[i] = i <= eot;
        mask32[i] = i <= eot;
    }
    fsift_tensor in[2] = {{info.dtype, 2, {1, FSIFT_CLIP_CONTEXT}, info.dtype == FSIFT_DTYPE_INT64 ? (void *)ids64 : (void *)ids}};
    int n_in = fsift_model_num_inputs(r->c->text);
    if (n_in == 2) {
        fsift_io_info mi;
        fsift_model_input(r->c->text, 1, &mi);
        in[1] = (fsift_tensor){mi.dtype, 2, {1, FSIFT_CLIP_CONTEXT}, mi.dtype == FSIFT_DTYPE_INT64 ? (void *)mask64 : (void *)mask32};
        if (mi.dtype != FSIFT_DTYPE_INT64 && mi.dtype != FSIFT_DTYPE_INT32)
            return fsift_error(FSIFT_E_UNSUPPORTED, "clip text tower: the second input (mask) is not int64/int32");
    }
    if ((st = fsift_session_run(r->text, in, n_in))) return st;
    fsift_tensor o;
    if ((st = fsift_session_output(r->text, 0, &o))) return st;
    if (o.dtype != FSIFT_DTYPE_FLOAT32 || o.dims[0] != 1 || o.rank < 2 || o.rank > 3 ||
        (o.rank == 3 && o.dims[1] != FSIFT_CLIP_CONTEXT))
        return fsift_error(FSIFT_E_SHAPE, "clip text tower: output 0 is not float [1,D] or [1,77,D]");
    if (o.rank == 2) return normalise(o.data, o.dims[1], emb, cap, dim);
    return normalise((const float *)o.data + (size_t)eot * (size_t)o.dims[2], o.dims[2], emb, cap, dim);
}
