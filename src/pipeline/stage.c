/*
 * stage.c — one sample through the rules of DESIGN.md §2 (the worker's job).
 *
 * Order (the first failing rule gives the sample's one reason): the sample's own integrity
 * (read_error, duplicate_key), the caption (no_caption, caption), the image header (probe:
 * decode_limit / decode_error, no pixels decoded), the resolution (shorter side of the
 * oriented image < min_side), the decode itself (JPEG at the smallest DCT scale whose longer
 * side still covers the face step's det_size, then any image resized to that longer side:
 * the pre-filter image), the first look when the face step has one (a cheap detector: no face
 * that could cover the rule's share, with slack, ends the sample there), the face count, the
 * largest face's true box area share. Only samples
 * that pass are decoded at full size; there the pre-filter's faces are mapped onto the full
 * frame and refined on its pixels (the face step's landmark stage: O-Net on the full-size
 * crops), or with full_redetect detected again from scratch; that full-size result decides
 * and gives the stored boxes and landmarks, so they match a detection on the saved image;
 * the largest face is aligned and embedded,
 * and the outputs are produced: the stored image (the source bytes when no orientation change
 * is needed and the format allows it, re-encoded otherwise), the 112×112 crop as PNG, the
 * embedding as .npy (float32, shape (D,)), and KEY.json.
 *
 * Thread-safe: everything is per call except face_state (the calling worker's own).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pipe_internal.h"

const char *const pipe_stage_names[ST_COUNT] = {"read", "text", "decode", "detect", "embed", "encode", "write"};

void pipe_result_clear(pipe_result *r) {
    if (!r->image_borrowed) free(r->image);
    free(r->face_png);
    free(r->release_png);
    free(r->npy);
    free(r->json);
    free(r->thumb);
    memset(r, 0, sizeof *r);
}

static void reject(pipe_result *r, int reason, const char *detail) {
    r->reason = reason;
    snprintf(r->detail, sizeof r->detail, "%s", detail ? detail : "");
}

static int decode_reason(fsift_status st) { return st == FSIFT_E_LIMIT ? FSIFT_R_DECODE_LIMIT : FSIFT_R_DECODE_ERROR; }

static const char *ext_of(fsift_image_format f) {
    switch (f) {
    case FSIFT_IMG_JPEG: return "jpg";
    case FSIFT_IMG_PNG: return "png";
    case FSIFT_IMG_WEBP: return "webp";
    default: return NULL;
    }
}

/* Chooses the stored image: source bytes or a re-encode of the oriented full image. */
static fsift_status store_image(const fsift_build_options *o, const fsift_sample *s, const fsift_image_info *info,
                                const fsift_image *full, pipe_result *r) {
    const char *src_ext = info->orientation == 1 ? ext_of(info->format) : NULL;
    /* the release layout stores the webdataset's image converted (sink.c), so that a direct
       --layout faceid6m build and `export` give the same files */
    int want = o->layout == FSIFT_LAYOUT_FACEID6M ? FSIFT_IMAGE_OUT_SOURCE : o->image_format;
    int keep = src_ext && (want == FSIFT_IMAGE_OUT_SOURCE || (want == FSIFT_IMAGE_OUT_PNG && info->format == FSIFT_IMG_PNG) ||
                           (want == FSIFT_IMAGE_OUT_JPG && info->format == FSIFT_IMG_JPEG));
    if (keep) {
        r->image = s->image;
        r->image_size = s->image_size;
        r->image_borrowed = 1;
        snprintf(r->ext, sizeof r->ext, "%s", src_ext);
        return FSIFT_OK;
    }
    int jpg = want == FSIFT_IMAGE_OUT_JPG || (want == FSIFT_IMAGE_OUT_SOURCE && info->format == FSIFT_IMG_JPEG);
    void *buf;
    size_t n;
    fsift_status st = jpg ? fsift_jpeg_encode(full, o->jpeg_quality, &buf, &n) : fsift_png_encode(full, 6, &buf, &n);
    if (st) return st;
    r->image = buf;
    r->image_size = n;
    snprintf(r->ext, sizeof r->ext, "%s", jpg ? "jpg" : "png");
    return FSIFT_OK;
}

static void put_face(jbuf *b, const fsift_face *f) {
    jb_puts(b, "{");
    jb_box_kps(b, f->bbox, (const float(*)[2])f->kps, "kps");
    jb_printf(b, ",\"det_score\":%.6f,\"area_ratio\":%.6f}", f->det_score, f->area_ratio);
}

static char *sample_json(const pipe_stage_cfg *cfg, const fsift_sample *s, const fsift_image_info *info,
                         const fsift_face_list *fl, int n_faces, const fsift_text_match *m, int matched,
                         const pipe_result *r, size_t *len) {
    const fsift_build_options *o = cfg->o;
    jbuf b = {0};
    jb_puts(&b, "{\"key\":");
    jb_str(&b, s->key, strlen(s->key));
    jb_puts(&b, ",\"source_shard\":");
    jb_str(&b, cfg->input_name, strlen(cfg->input_name));
    jb_puts(&b, ",\"caption\":");
    if (s->caption) jb_str(&b, s->caption, s->caption_len);
    else jb_puts(&b, "null");
    json_t *src = NULL;
    if (s->json) {
        json_error_t err;
        src = json_loadb((const char *)s->json, s->json_size, 0, &err);
        if (!json_is_object(src)) {
            json_decref(src);
            src = NULL;
        }
    }
    json_t *url = src ? json_object_get(src, "url") : NULL;
    jb_puts(&b, ",\"url\":");
    if (json_is_string(url)) jb_str(&b, json_string_value(url), json_string_length(url));
    else jb_puts(&b, "null");
    jb_printf(&b, ",\"width\":%d,\"height\":%d,\"image\":", r->width, r->height);
    {
        size_t kl = strlen(s->key);
        char *nm = malloc(kl + 16);
        if (nm) {
            sprintf(nm, "%s.%s", s->key, r->ext);
            jb_str(&b, nm, strlen(nm));
            free(nm);
        } else b.oom = 1;
    }
    jb_printf(&b, ",\"image_format\":\"%s\",\"source_format\":\"%s\",\"reencoded\":%s,\"orientation\":%d",
              !strcmp(r->ext, "jpg") ? "jpeg" : r->ext, fsift_image_format_name(info->format),
              r->image_borrowed ? "false" : "true", info->orientation);
    const fsift_face *f0 = &fl->faces[0];
    jb_puts(&b, ",");
    jb_box_kps(&b, f0->bbox, (const float(*)[2])f0->kps, "kps");
    jb_printf(&b, ",\"det_score\":%.6f,\"area_ratio\":%.6f,\"n_faces\":%d,\"faces\":[", f0->det_score,
              f0->area_ratio, n_faces);
    for (int i = 0; i < fl->n; i++) {
        if (i) jb_puts(&b, ",");
        put_face(&b, &fl->faces[i]);
    }
    jb_puts(&b, "],\"lexicon_match\":");
    if (matched) {
        jb_printf(&b, "{\"category\":\"%s\",\"term\":", fsift_text_category_name(m->category));
        jb_str(&b, m->term ? m->term : "", m->term ? strlen(m->term) : 0);
        jb_printf(&b, ",\"offset\":%zu,\"length\":%zu}", m->offset, m->length);
    } else {
        jb_puts(&b, "null");
    }
    jb_printf(&b, ",\"embedding_dim\":%d,\"detector\":", f0->embedding_dim);
    const char *det = o->face->detector_id ? o->face->detector_id : "";
    const char *rec = o->face->recognizer_id ? o->face->recognizer_id : "";
    jb_str(&b, det, strlen(det));
    jb_puts(&b, ",\"recognizer\":");
    jb_str(&b, rec, strlen(rec));
    jb_puts(&b, ",\"facesift\":\"" FSIFT_VERSION_STRING "\"");
    if (src) {
        char *d = json_dumps(src, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (d) {
            jb_puts(&b, ",\"source\":");
            jb_puts(&b, d);
            free(d);
        }
        json_decref(src);
    }
    jb_puts(&b, "}\n");
    if (b.oom) {
        jb_free(&b);
        return NULL;
    }
    *len = b.n;
    return b.p;
}

static float box_ratio(const fsift_face *f, int w, int h) {
    double a = ((double)f->bbox[2] - f->bbox[0]) * ((double)f->bbox[3] - f->bbox[1]);
    if (f->bbox[2] < f->bbox[0] || f->bbox[3] < f->bbox[1]) a = 0;
    return (float)(a / ((double)w * (double)h));
}

/* The face rules on a detection result (count, then the largest true box's share of the
 * image); moves the largest box first. Returns the reason (0 = pass) and records it in r. */
static int face_rules(const fsift_build_options *o, fsift_face_list *fl, int w, int h, pipe_result *r) {
    int n = fl->n_found > fl->n ? fl->n_found : fl->n;
    r->seen_faces = n;
    int best = 0;
    float ratio = 0;
    for (int i = 0; i < fl->n; i++) {
        float q = box_ratio(&fl->faces[i], w, h);
        if (q > ratio) ratio = q, best = i;
    }
    if (best != 0) { /* the largest true box first, whatever the detector's order */
        fsift_face tmp = fl->faces[0];
        fl->faces[0] = fl->faces[best];
        fl->faces[best] = tmp;
    }
    if (fl->n > 0) {
        r->seen_ratio = ratio;
        r->seen_score = fl->faces[0].det_score;
    }
    char d[96];
    if (n < o->min_faces || fl->n == 0) {
        snprintf(d, sizeof d, "%d faces", n);
        reject(r, FSIFT_R_TOO_FEW_FACES, d);
    } else if (n > o->max_faces) {
        snprintf(d, sizeof d, "%d faces", n);
        reject(r, FSIFT_R_TOO_MANY_FACES, d);
    } else if (!(ratio >= o->min_face_ratio)) {
        snprintf(d, sizeof d, "largest face %.4f of the image", ratio);
        reject(r, FSIFT_R_FACE_TOO_SMALL, d);
    }
    return r->reason;
}

int fsift_pipe_prefilter_denom(int longer_side, int det_size) {
    if (det_size <= 0) return 1;
    for (int d = 8; d >= 2; d /= 2)
        if ((long)((longer_side + d - 1) / d) * 4 >= (long)det_size * 3) return d;
    return 1;
}

void pipe_process(const pipe_stage_cfg *cfg, void *face_state, const fsift_sample *s, pipe_result *r) {
    const fsift_build_options *o = cfg->o;
    memset(r, 0, sizeof *r);
    r->seen_faces = -1;
    if (s->read_error) return reject(r, FSIFT_R_READ_ERROR, s->read_error);
    if (s->duplicate) return reject(r, FSIFT_R_DUPLICATE_KEY, "key or member repeated in the shard");
    fsift_text_match m;
    memset(&m, 0, sizeof m);
    int matched = 0;
    double t = fsift_now_ms();
    if (o->text_filter) {
        if (!s->caption) return reject(r, FSIFT_R_NO_CAPTION, "no .txt caption");
        matched = o->text->match(o->text->ctx, s->caption, s->caption_len, &m);
        r->ms[ST_TEXT] = fsift_now_ms() - t;
        if (!matched) return reject(r, FSIFT_R_CAPTION, "caption matches no lexicon term");
    }
    if (!s->image) {
        if (s->image_oversize) return reject(r, FSIFT_R_DECODE_LIMIT, "image file over --max-file-bytes");
        return reject(r, FSIFT_R_READ_ERROR, "sample has no image");
    }
    fsift_decode_opts dop;
    fsift_decode_opts_default(&dop);
    dop.max_pixels = o->max_pixels;
    dop.max_file_bytes = o->max_file_bytes;
    fsift_image_info info;
    t = fsift_now_ms();
    fsift_status st = fsift_image_probe(s->image, s->image_size, &dop, &info);
    if (st) {
        r->ms[ST_DECODE] = fsift_now_ms() - t;
        return reject(r, decode_reason(st), fsift_last_error());
    }
    int W = info.orientation >= 5 ? info.height : info.width, H = info.orientation >= 5 ? info.width : info.height;
    r->seen_w = W;
    r->seen_h = H;
    if ((W < H ? W : H) < o->min_side) {
        r->ms[ST_DECODE] = fsift_now_ms() - t;
        char d[64];
        snprintf(d, sizeof d, "%dx%d", W, H);
        return reject(r, FSIFT_R_RESOLUTION, d);
    }
    int denom = info.format == FSIFT_IMG_JPEG ? fsift_pipe_prefilter_denom(W > H ? W : H, o->face->det_size) : 1;
    dop.scale_denom = denom;
    fsift_image dec = {0}, small = {0}, full = {0}, crop = {0};
    fsift_face_list fl;
    memset(&fl, 0, sizeof fl);
    st = fsift_image_decode(s->image, s->image_size, &dop, &dec, &info);
    if (st) {
        r->ms[ST_DECODE] = fsift_now_ms() - t;
        return reject(r, decode_reason(st), fsift_last_error());
    }
    /* the detection image: longer side det_size at most (Pillow BOX: each source pixel read
       once per axis, half the taps of its antialiased bilinear at these factors) */
    int big = dec.width > dec.height ? dec.width : dec.height;
    if (o->face->det_size > 0 && big > o->face->det_size) {
        double k = (double)o->face->det_size / big;
        int nw = (int)lround(dec.width * k), nh = (int)lround(dec.height * k);
        st = fsift_image_resize(&dec, nw > 0 ? nw : 1, nh > 0 ? nh : 1, FSIFT_RESIZE_BOX, &small);
        if (st) {
            fsift_image_free(&dec);
            r->ms[ST_DECODE] = fsift_now_ms() - t;
            return reject(r, FSIFT_R_FACE_ERROR, fsift_last_error());
        }
        if (denom > 1) fsift_image_free(&dec); /* the full size is decoded again if needed */
    } else {
        small = dec;
        memset(&dec, 0, sizeof dec);
    }
    r->ms[ST_DECODE] = fsift_now_ms() - t;
    t = fsift_now_ms();
    if (o->face->gate) { /* the first look: no face the rule could keep → no detection */
        float gr = 0;
        int seen = 0;
        st = o->face->gate(face_state, &small, &gr, &seen);
        if (!st && !(gr >= o->min_face_ratio * o->face->gate_slack)) {
            r->ms[ST_DETECT] = fsift_now_ms() - t;
            char d[96];
            if (seen) {
                r->seen_ratio = gr;
                snprintf(d, sizeof d, "largest face %.4f of the image at the first look", gr);
            } else {
                r->seen_faces = 0;
                snprintf(d, sizeof d, "no face at the first look");
            }
            reject(r, seen ? FSIFT_R_FACE_TOO_SMALL : FSIFT_R_TOO_FEW_FACES, d);
            goto done;
        }
        if (st) {
            r->ms[ST_DETECT] = fsift_now_ms() - t;
            reject(r, FSIFT_R_FACE_ERROR, fsift_last_error());
            goto done;
        }
    }
    /* the pre-filter's landmarks are thrown away when refine recomputes them at full size,
       which happens only when the pre-filter image is not the full image (see below) */
    int coarse = o->face->detect_coarse && o->face->refine && !o->full_redetect && (denom > 1 || dec.data);
    st = (coarse ? o->face->detect_coarse : o->face->detect)(face_state, &small, &fl);
    r->ms[ST_DETECT] = fsift_now_ms() - t;
    if (st) reject(r, FSIFT_R_FACE_ERROR, fsift_last_error());
    else face_rules(o, &fl, small.width, small.height, r);
    if (r->reason || st) goto done;
    /* kept: full resolution from here on */
    t = fsift_now_ms();
    if (denom > 1 || dec.data) {
        if (dec.data) {
            full = dec;
            memset(&dec, 0, sizeof dec);
        } else {
            dop.scale_denom = 1;
            st = fsift_image_decode(s->image, s->image_size, &dop, &full, &info);
            if (st) {
                r->ms[ST_DECODE] += fsift_now_ms() - t;
                reject(r, decode_reason(st), fsift_last_error());
                goto done;
            }
        }
        r->ms[ST_DECODE] += fsift_now_ms() - t;
        /* the stored landmarks come from the full-size pixels (refined from the pre-filter's
           faces, or detected again); the rules are checked again on that result, which is
           the one that counts */
        if (!o->full_redetect)
            fsift_face_list_rescale(&fl, (double)full.width / small.width, (double)full.height / small.height,
                                    full.width, full.height);
        if (o->full_redetect || o->face->refine) {
            t = fsift_now_ms();
            st = o->full_redetect ? o->face->detect(face_state, &full, &fl) : o->face->refine(face_state, &full, &fl);
            r->ms[ST_DETECT] += fsift_now_ms() - t;
            if (st) reject(r, FSIFT_R_FACE_ERROR, fsift_last_error());
            else face_rules(o, &fl, full.width, full.height, r);
            if (r->reason) goto done;
        }
        t = fsift_now_ms();
    } else {
        full = small;
        memset(&small, 0, sizeof small);
    }
    for (int i = 0; i < fl.n; i++) fl.faces[i].area_ratio = box_ratio(&fl.faces[i], full.width, full.height);
    r->ms[ST_DECODE] += fsift_now_ms() - t;
    t = fsift_now_ms();
    st = o->face->embed(face_state, &full, &fl.faces[0], &crop);
    r->ms[ST_EMBED] = fsift_now_ms() - t;
    if (st || fl.faces[0].embedding_dim <= 0) {
        reject(r, FSIFT_R_FACE_ERROR, st ? fsift_last_error() : "recognizer gave no embedding");
        goto done;
    }
    t = fsift_now_ms();
    r->width = full.width;
    r->height = full.height;
    memcpy(r->bbox, fl.faces[0].bbox, sizeof r->bbox);
    memcpy(r->kps, fl.faces[0].kps, sizeof r->kps);
    fsift_tensor ten = {FSIFT_DTYPE_FLOAT32, 1, {fl.faces[0].embedding_dim}, fl.faces[0].embedding};
    void *buf;
    st = fsift_npy_encode(&ten, &buf, &r->npy_size);
    if (!st) {
        r->npy = buf;
        st = fsift_png_encode(&crop, 6, &buf, &r->face_png_size);
    }
    if (!st) {
        r->face_png = buf;
        st = store_image(o, s, &info, &full, r);
    }
    if (!st && o->layout == FSIFT_LAYOUT_FACEID6M && o->image_format == FSIFT_IMAGE_OUT_PNG && strcmp(r->ext, "png")) {
        st = pipe_release_png(r->image, r->image_size, &buf, &r->release_png_size);
        if (!st) r->release_png = buf;
    }
    if (!st) {
        int n = fl.n_found > fl.n ? fl.n_found : fl.n;
        r->json = sample_json(cfg, s, &info, &fl, n, &m, matched, r, &r->json_len);
        if (!r->json) st = fsift_error(FSIFT_E_NOMEM, "out of memory");
    }
    r->ms[ST_ENCODE] = fsift_now_ms() - t;
    if (st) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s", fsift_last_error());
        pipe_result keep = *r;
        pipe_result_clear(r);
        memcpy(r->ms, keep.ms, sizeof r->ms);
        r->seen_w = keep.seen_w, r->seen_h = keep.seen_h, r->seen_faces = keep.seen_faces;
        r->seen_ratio = keep.seen_ratio, r->seen_score = keep.seen_score;
        reject(r, FSIFT_R_FACE_ERROR, msg);
    }
done:
    if (r->reason && small.data) pipe_reject_thumb(cfg, &small, &fl, full.data ? full.width : small.width, r);
    fsift_face_list_free(&fl);
    fsift_image_free(&dec);
    fsift_image_free(&small);
    fsift_image_free(&full);
    fsift_image_free(&crop);
}
