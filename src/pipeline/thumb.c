/*
 * thumb.c — small pictures of rejected samples, so that the report shows why a sample was
 * dropped (issue 6, item 7), and the base64 text both the reasons file and the report use.
 *
 * A worker calls pipe_reject_thumb at the end of pipe_process with the image the face rules
 * saw (the pre-filter image): for a reject decided after the decode (too_few_faces,
 * too_many_faces, face_too_small, face_error) it scales that image to a longest side of
 * PIPE_THUMB_SIDE px (Pillow BOX), draws the detected boxes and landmarks when the faces
 * decided the reject (green: the largest face, red: the others), encodes JPEG q80 and keeps
 * it in r->thumb as base64 text. The writer (build.c, cb_write) keeps the first
 * PIPE_THUMBS_MAX thumbnails of each reason per output shard, in input order, as the
 * "thumb" field of that sample's reasons line, and counts them in cfg->thumbs_written.
 *
 * Determinism: a worker skips the thumbnail once the writer has written PIPE_THUMBS_MAX of
 * that reason. Every sample the writer has written precedes, in input order, every sample
 * still being processed, so a skipped sample would have been dropped by the writer anyway:
 * 1 and N threads write the same bytes, and at most queue-size thumbnails per shard are
 * made in vain. Thread-safe: the counters are atomics written by the writer thread only.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipe_internal.h"

#define THUMB_QUALITY 80

int pipe_thumb_reason(int reason) {
    return reason == FSIFT_R_TOO_FEW_FACES || reason == FSIFT_R_TOO_MANY_FACES || reason == FSIFT_R_FACE_TOO_SMALL ||
           reason == FSIFT_R_FACE_ERROR;
}

void pipe_base64(jbuf *b, const uint8_t *d, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) | (i + 2 < n ? d[i + 2] : 0);
        q[0] = tab[v >> 18 & 63];
        q[1] = tab[v >> 12 & 63];
        q[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        q[3] = i + 2 < n ? tab[v & 63] : '=';
        jb_raw(b, q, 4);
    }
}

/* The boxes and landmarks of fl (pixels of a frame frame_w wide) on the thumbnail. */
static void draw_faces(fsift_image *t, const fsift_face_list *fl, int frame_w) {
    static const uint8_t green[3] = {40, 220, 60}, red[3] = {240, 40, 40};
    double sc = (double)t->width / frame_w;
    for (int i = fl->n - 1; i >= 0; i--) { /* the largest face (first) drawn last, on top */
        const fsift_face *f = &fl->faces[i];
        const uint8_t *c = i ? red : green;
        double x[4];
        for (int q = 0; q < 4; q++) x[q] = (double)f->bbox[q] * sc;
        if (!(fabs(x[0]) < 1e6 && fabs(x[1]) < 1e6 && fabs(x[2]) < 1e6 && fabs(x[3]) < 1e6)) continue;
        fsift_draw_rect(t, (int)lround(x[0]), (int)lround(x[1]), (int)lround(x[2]), (int)lround(x[3]), c, 1);
        for (int k = 0; k < 5; k++)
            fsift_draw_disc(t, (float)(f->kps[k][0] * sc), (float)(f->kps[k][1] * sc), 1.2f, c);
    }
}

void pipe_reject_thumb(const pipe_stage_cfg *cfg, const fsift_image *img, const fsift_face_list *fl, int frame_w,
                       pipe_result *r) {
    if (!cfg || !cfg->thumbs_written || !img || !img->data || img->width < 1 || img->height < 1 || r->thumb ||
        !pipe_thumb_reason(r->reason))
        return;
    if (atomic_load_explicit(&cfg->thumbs_written[r->reason], memory_order_relaxed) >= PIPE_THUMBS_MAX) return;
    double t0 = fsift_now_ms();
    int big = img->width > img->height ? img->width : img->height;
    int tw = img->width, th = img->height;
    if (big > PIPE_THUMB_SIDE) {
        tw = (int)lround((double)img->width * PIPE_THUMB_SIDE / big);
        th = (int)lround((double)img->height * PIPE_THUMB_SIDE / big);
        if (tw < 1) tw = 1;
        if (th < 1) th = 1;
    }
    fsift_image t = {0};
    /* a copy even at the same size: the boxes are drawn on it */
    if (fsift_image_resize(img, tw, th, FSIFT_RESIZE_BOX, &t)) return; /* no thumbnail: the text remains */
    int faces_decided = r->reason != FSIFT_R_FACE_ERROR && r->seen_faces > 0;
    if (faces_decided && fl && fl->n > 0 && fl->faces && frame_w > 0) draw_faces(&t, fl, frame_w);
    void *jpg = NULL;
    size_t jn = 0;
    if (!fsift_jpeg_encode(&t, THUMB_QUALITY, &jpg, &jn)) {
        jbuf b = {0};
        pipe_base64(&b, jpg, jn);
        if (!b.oom && b.p) {
            r->thumb = b.p;
            r->thumb_size = b.n;
        } else {
            jb_free(&b);
        }
    }
    free(jpg);
    fsift_image_free(&t);
    r->ms[ST_ENCODE] += fsift_now_ms() - t0;
}
