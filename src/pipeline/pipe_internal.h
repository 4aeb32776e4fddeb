/*
 * pipe_internal.h — what the files of src/pipeline/ share: a JSON text builder with fixed
 * number formats (deterministic bytes), the per-sample result, the ordered multi-threaded
 * runner, the sample stage, and the output sinks (webdataset tar, release layout).
 */
#ifndef FSIFT_PIPE_INTERNAL_H
#define FSIFT_PIPE_INTERNAL_H

#include <stdatomic.h>
#include <stdio.h>

#include "facesift/data.h"
#include "facesift/pipeline.h"

/* ---- JSON text (jsonw.c) ------------------------------------------------------------- */

typedef struct jbuf {
    char *p;
    size_t n, cap;
    int oom;
} jbuf;

void jb_raw(jbuf *b, const char *s, size_t n);
void jb_puts(jbuf *b, const char *s);
void jb_printf(jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void jb_str(jbuf *b, const char *s, size_t n); /* quoted, escaped; invalid UTF-8 → U+FFFD */
void jb_px(jbuf *b, double v);                 /* pixels: %.3f, "-0.000" written as "0.000" */
/* "bbox":[x1,y1,x2,y2],"KPS_NAME":[[x,y]×5] (pixels), no leading or trailing comma. */
void jb_box_kps(jbuf *b, const float bbox[4], const float kps[5][2], const char *kps_name);
void jb_free(jbuf *b);

/* ---- per-sample result (stage.c) ----------------------------------------------------- */

enum { ST_READ, ST_TEXT, ST_DECODE, ST_DETECT, ST_EMBED, ST_ENCODE, ST_WRITE, ST_COUNT };
extern const char *const pipe_stage_names[ST_COUNT];

typedef struct pipe_result {
    int reason;               /* fsift_reason */
    char detail[160];         /* why (decode error text, ...) for rejects */
    /* kept samples: */
    uint8_t *image;           /* stored image bytes (owned unless image_borrowed) */
    size_t image_size;
    int image_borrowed;       /* 1: points into the sample's bytes */
    char ext[8];              /* "jpg", "png", "webp" */
    uint8_t *face_png;
    size_t face_png_size;
    uint8_t *release_png;     /* FaceID-6M layout: N.png made by the worker (or NULL) */
    size_t release_png_size;
    uint8_t *npy;
    size_t npy_size;
    char *json;               /* KEY.json text */
    size_t json_len;
    int width, height;        /* stored pixels */
    /* what the rules saw, for the report (reasons file): 0 / -1 when not reached */
    int seen_w, seen_h;       /* oriented full size (from the header) */
    int seen_faces;           /* faces found, -1 when detection was not reached */
    float seen_ratio, seen_score; /* largest face's area share and score */
    float bbox[4], kps[5][2];
    double ms[ST_COUNT];
    char *thumb;              /* rejects after the decode: a thumbnail as base64 JPEG text,
                                 or NULL (thumb.c); owned */
    size_t thumb_size;        /* its length */
} pipe_result;

void pipe_result_clear(pipe_result *r);

typedef struct pipe_stage_cfg {
    const fsift_build_options *o;
    const char *input_name;   /* recorded as "source_shard" */
    atomic_int *thumbs_written; /* [FSIFT_R_COUNT]: reject thumbnails the writer has put in
                                   this shard's reasons file; NULL: make none */
} pipe_stage_cfg;

/* Applies the rules to one sample and fills r (never fails: problems become reasons). */
void pipe_process(const pipe_stage_cfg *cfg, void *face_state, const fsift_sample *s, pipe_result *r);

/* ---- reject thumbnails (thumb.c) ----------------------------------------------------- */

#define PIPE_THUMBS_MAX 6   /* thumbnails per reject reason per output shard */
#define PIPE_THUMB_SIDE 128 /* their longest side, px */

/* 1 for the reasons decided after the decode (the ones a thumbnail can show). */
int pipe_thumb_reason(int reason);
/* Appends the base64 text of d[0..n) to b. */
void pipe_base64(jbuf *b, const uint8_t *d, size_t n);
/* For a reject decided after the decode, while the shard still needs examples of its
 * reason (cfg->thumbs_written): a thumbnail of img (borrowed; the image the rules saw) into
 * r->thumb, with fl's boxes and landmarks drawn when the faces decided (fl may be NULL; its
 * pixels are those of a frame frame_w wide, scaled onto img). Failures leave r->thumb NULL. */
void pipe_reject_thumb(const pipe_stage_cfg *cfg, const fsift_image *img, const fsift_face_list *fl, int frame_w,
                       pipe_result *r);

/* ---- ordered runner (order.c) -------------------------------------------------------- */

typedef struct pipe_slot {
    fsift_sample s;
    pipe_result r;
    int64_t seq;
    int state;                /* 0 free, 1 read, 2 claimed, 3 done */
} pipe_slot;

typedef struct pipe_order_cb {
    void *ctx;
    int (*read)(void *ctx, fsift_sample *s);                   /* 1, 0 (end), < 0 error */
    void (*work)(void *ctx, int worker, pipe_slot *slot);
    fsift_status (*write)(void *ctx, pipe_slot *slot);          /* in seq order */
} pipe_order_cb;

/* Runs read → work (threads workers) → write (caller's thread, in order) with at most queue
 * slots in flight. A read error ends the input (its message goes to read_err); a write
 * error stops everything and is returned. */
fsift_status pipe_order_run(const pipe_order_cb *cb, int threads, int queue, char *read_err, size_t read_err_size);

/* ---- output (sink_wds.c, sink_release.c) ------------------------------------------- */

/* One kept sample as the sinks see it (everything borrowed). */
typedef struct pipe_kept {
    const char *key;
    const uint8_t *image;
    size_t image_size;
    const char *ext;
    const uint8_t *face_png, *npy;
    size_t face_png_size, npy_size;
    const char *json;
    size_t json_len;
    const char *caption;
    size_t caption_len;
    const uint8_t *release_png; /* N.png already converted, or NULL */
    size_t release_png_size;
    const fsift_sample_member *extra;
    int n_extra;
    float bbox[4], kps[5][2];
} pipe_kept;

fsift_status pipe_wds_put(fsift_tar_writer *w, const pipe_kept *k);

/* The release layout / InstantID folder writer: N.png (or images/N.EXT), N.npy (or
 * embeds/N.npy), face/N.png, and the JSONL lines appended to two buffers. */
typedef struct pipe_release {
    const char *dir;
    int layout;               /* FSIFT_LAYOUT_FACEID6M or FSIFT_LAYOUT_INSTANTID */
    int image_format;         /* fsift_image_out */
    int instantid;            /* FACEID6M: also collect InstantID lines */
    const char *iid_prefix;   /* prefix of their paths (the release folder as seen from the
                                 InstantID JSONL's folder: "release/"), or NULL */
    jbuf lines, instantid_lines;
} pipe_release;

fsift_status pipe_release_put(pipe_release *rl, int64_t n, const pipe_kept *k);
/* N.png of the FaceID-6M layout from a stored image: the pixels Image.open reads, as PNG. */
fsift_status pipe_release_png(const uint8_t *img, size_t size, void **png, size_t *png_size);
fsift_status pipe_release_prepare(const char *dir, int layout);

/* ---- progress (progress.c; writer thread only) -------------------------------------- */

typedef struct pipe_progress {
    int enabled, tty, last_len;
    int shards_total, shards_done;
    int64_t samples, kept, samples_done_shards, cur_expected;
    double t0, last;
} pipe_progress;

void pipe_progress_start(pipe_progress *p, int enabled, int shards_total);
void pipe_progress_shard(pipe_progress *p, int64_t expected); /* expected samples, -1 unknown */
void pipe_progress_sample(pipe_progress *p, int kept);
void pipe_progress_shard_done(pipe_progress *p, int64_t samples_in_shard);
void pipe_progress_end(pipe_progress *p);

/* ---- helpers (build.c) --------------------------------------------------------------- */

/* Deletes leftover "*.tmp.<pid>[.<n>]" files of dead processes under dir (2 levels). */
void pipe_clean_tmp(const char *dir);
fsift_status pipe_mkdir(const char *dir);
/* Concatenates files (in order) into dst atomically; missing files are an error. */
fsift_status pipe_concat(const char *const *srcs, int n, const char *dst);

#endif
