/*
 * pipeline.h — `facesift build`, `merge` and `export`: the FaceID-6M pipeline end to end.
 * See DESIGN.md §1–3, §6 and docs/build.md.
 *
 * fsift_build_run reads every input shard (data.h) in order, and for each sample applies the
 * rules of DESIGN.md §2 in this order, stopping at the first that fails (its reason code is
 * the sample's one reason): read_error, duplicate_key, no_caption, caption, decode_limit,
 * decode_error, resolution, too_few_faces, too_many_faces, face_too_small, face_error.
 * Kept samples are written in input order into one output shard per input shard (a
 * webdataset tar NNNNN.tar, or the FaceID-6M release layout), then NNNNN_stats.json is
 * written last: a shard whose stats file exists is done and skipped when a run resumes.
 *
 * Threads: one reader thread, `threads` workers (each with its own face-analyzer state) and
 * the writer (the calling thread). At most `queue` samples are in flight, so memory is
 * bounded by the queue size; results are written strictly in input order, so 1 and N
 * threads give byte-identical output.
 *
 * The face and caption steps are behind small callback structs so that tests can run the
 * pipeline with a deterministic detector; fsift_pipe_face_ops_models / _text_ops_matcher
 * wrap the real face.h / text.h objects.
 */
#ifndef FSIFT_PIPELINE_H
#define FSIFT_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/core.h"
#include "facesift/face.h"
#include "facesift/image.h"
#include "facesift/text.h"

typedef enum fsift_reason {
    FSIFT_R_KEPT = 0,
    FSIFT_R_READ_ERROR,      /* unreadable member/file, truncated tar member, no image */
    FSIFT_R_DUPLICATE_KEY,   /* key seen before in the shard, or a member repeated */
    FSIFT_R_NO_CAPTION,      /* caption rule on and the sample has no caption */
    FSIFT_R_CAPTION,         /* caption does not match the lexicons */
    FSIFT_R_DECODE_LIMIT,    /* over --max-pixels / --max-file-bytes / 65,500 px a side */
    FSIFT_R_DECODE_ERROR,    /* unknown format, corrupt or truncated image */
    FSIFT_R_RESOLUTION,      /* shorter side < --min-side */
    FSIFT_R_TOO_FEW_FACES,   /* n < --min-faces (no face, by default) */
    FSIFT_R_TOO_MANY_FACES,  /* n > --max-faces */
    FSIFT_R_FACE_TOO_SMALL,  /* largest true box area / image area < --min-face-ratio */
    FSIFT_R_FACE_ERROR,      /* the detector or recognizer failed on this sample */
    FSIFT_R_COUNT
} fsift_reason;

/* "kept", "read_error", "duplicate_key", ...; static storage. NULL for out-of-range codes. */
const char *fsift_reason_name(int reason);

/* Face step. ctx is shared (immutable); each worker thread gets its own state. */
typedef struct fsift_pipe_face_ops {
    void *ctx;
    const char *detector_id, *recognizer_id;
    int embedding_dim;
    int det_size;  /* the pre-filter detection image's longer side: JPEGs are decoded at the
                      smallest DCT scale whose longer side is still ≥ det_size, then any image
                      larger is resized to it (0: detect at full size) */
    void *gate_ctx;  /* for the wrapper's own use (the first look's shared model) */
    fsift_status (*thread_new)(const struct fsift_pipe_face_ops *ops, void **state);
    void (*thread_free)(void *state);
    /* Faces in img (borrowed), sorted by true box area, largest first; n_found counts all. */
    fsift_status (*detect)(void *state, const fsift_image *img, fsift_face_list *out);
    /* Optional first look (NULL: none) on the pre-filter image, before detect: *ratio = the
       largest share of img's area a face could cover as a cheap detector sees it, *n_seen =
       candidates seen. A sample whose ratio is below gate_slack × min_face_ratio is rejected
       there (too_few_faces when nothing was seen, face_too_small otherwise) and detect never
       runs on it. */
    fsift_status (*gate)(void *state, const fsift_image *img, float *ratio, int *n_seen);
    float gate_slack;
    /* Optional: detect for the pre-filter image when refine follows (a cheaper landmark stage;
       NULL: detect). The pipeline calls refine, on the same state, only right after it. */
    fsift_status (*detect_coarse)(void *state, const fsift_image *img, fsift_face_list *out);
    /* Optional: the faces of the pre-filter image get their landmarks, boxes and scores from
       img, the full-size pixels: faces holds them already mapped onto img, and the real ops
       (ops_face.c) recompute the list from the coarse detection's own candidates
       (fsift_face_refine_last). NULL: the mapped result is used as it is. */
    fsift_status (*refine)(void *state, const fsift_image *img, fsift_face_list *faces);
    /* Embeds face (kps in img's frame); crop receives the 112×112 aligned RGB crop. */
    fsift_status (*embed)(void *state, const fsift_image *img, fsift_face *face, fsift_image *crop);
} fsift_pipe_face_ops;

/* Caption step: returns 1 and fills *m when the caption passes the rule. */
typedef struct fsift_pipe_text_ops {
    void *ctx;
    int (*match)(void *ctx, const char *text, size_t len, fsift_text_match *m);
} fsift_pipe_text_ops;

/* Wrappers of the real subsystems (borrowed: they must outlive the ops). */
/* The DCT scale denominator (1, 2, 4 or 8) at which build decodes a JPEG of the given longer
 * side for its pre-filter image of longer side det_size: the largest whose result still has a
 * longer side ≥ ¾·det_size (the detectors take that slight upscale without loss; 0: 1). */
int fsift_pipe_prefilter_denom(int longer_side, int det_size);

void fsift_pipe_face_ops_models(const fsift_face_models *m, fsift_pipe_face_ops *ops);
/* The first look's slack: a sample goes on to the detector when the gate's largest candidate
 * covers at least this fraction of --min-face-ratio (docs/build.md: how it was chosen). */
#define FSIFT_BUILD_GATE_SLACK 0.5f
/* Adds the first look (fsift_face_gate) to ops made by fsift_pipe_face_ops_models. */
void fsift_pipe_face_ops_gate(const fsift_face_gate *g, float slack, fsift_pipe_face_ops *ops);
void fsift_pipe_text_ops_matcher(const fsift_matcher *m, fsift_pipe_text_ops *ops);

typedef enum fsift_layout {
    FSIFT_LAYOUT_WDS = 0,       /* NNNNN.tar webdataset shards (default) */
    FSIFT_LAYOUT_FACEID6M = 1,  /* OUT/release/: N.png, N.npy, face/N.png, faceid6m.jsonl */
    FSIFT_LAYOUT_INSTANTID = 2  /* export only: images/, embeds/, instantid.jsonl */
} fsift_layout;

typedef enum fsift_image_out {
    FSIFT_IMAGE_OUT_SOURCE = 0, /* source bytes when no orientation change is needed */
    FSIFT_IMAGE_OUT_PNG = 1,
    FSIFT_IMAGE_OUT_JPG = 2
} fsift_image_out;

typedef struct fsift_build_options {
    const char *out_dir;
    int threads;                /* workers (default 1) */
    int queue;                  /* samples in flight (0: 4 × threads + 4) */
    int shard_index, shard_count; /* --shard I/N: input shards with index % N == I (0/1) */
    int layout;                 /* fsift_layout: WDS or FACEID6M */
    int instantid_jsonl;        /* also write OUT/instantid.jsonl (faceid6m: paths release/N.*;
                                   wds: OUT/instantid/ with the files it points to) */
    int image_format;           /* fsift_image_out; FACEID6M defaults to PNG (see docs) */
    int jpeg_quality;           /* re-encoded JPEGs (default 95) */
    int min_side;               /* keep when the shorter side ≥ min_side (default 513) */
    int min_faces, max_faces;   /* default 1, 3 */
    float min_face_ratio;       /* default 0.04 */
    int text_filter;            /* 1 (default): apply the caption rule */
    int full_redetect;          /* 0 (default): samples that pass the pre-filter keep its faces,
                                   whose landmarks, boxes and scores the face step's refine
                                   recomputes from the full-size pixels; the rules are checked
                                   again on that result, which is stored. 1: they are detected
                                   again at full size instead (slower) */
    int64_t input_shard_size;   /* folders/lists: samples per input shard (default 10,000) */
    uint64_t max_pixels;        /* default FSIFT_DEFAULT_MAX_PIXELS */
    size_t max_file_bytes;      /* default 64 MiB */
    const fsift_pipe_face_ops *face; /* required */
    const fsift_pipe_text_ops *text; /* required when text_filter */
    const char *flags_json;     /* extra output-affecting flags recorded in the stats (a JSON
                                   object's members, e.g. "\"det_thresh\":0.5"), or NULL */
    int progress;               /* 1: log a line per shard and every few seconds */
} fsift_build_options;

void fsift_build_options_default(fsift_build_options *o);

typedef struct fsift_build_totals {
    int64_t shards_done, shards_skipped;
    int64_t samples, kept;
    int64_t reasons[FSIFT_R_COUNT];
} fsift_build_totals;

/* Runs the build over inputs (paths, see data.h fsift_inputs_expand). totals may be NULL.
 * Returns FSIFT_OK when every assigned shard is done (samples rejected are not errors). */
fsift_status fsift_build_run(const fsift_build_options *o, const char *const *inputs, int n_inputs,
                             fsift_build_totals *totals);

/* Combines finished webdataset outputs (each from `build --shard I/N`) into out_dir:
 * shards are ordered by their input index (recorded in the stats) and renumbered 0..M-1;
 * a shard present twice or without its stats file is an error. */
fsift_status fsift_merge(const char *const *dirs, int n, const char *out_dir);

/* Converts a finished webdataset output into the FaceID-6M release layout or an InstantID
 * training folder (images/, embeds/, instantid.jsonl). */
fsift_status fsift_export(const char *wds_dir, int layout, int image_format, const char *out_dir);

/* Writes one self-contained HTML page (inline SVG charts and base64 thumbnails, no network)
 * about a finished webdataset output: the funnel of reasons, histograms of the shorter side,
 * face count, largest-face share and score, a contact sheet of kept samples with their boxes
 * and landmarks, examples of each reject reason, time per stage, versions and flags. */
fsift_status fsift_report(const char *out_dir, const char *html_path);

#endif
