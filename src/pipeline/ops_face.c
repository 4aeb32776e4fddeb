/*
 * ops_face.c — the pipeline's face step on the real face.h models: each worker thread gets
 * its own fsift_face_analyzer on the shared, immutable fsift_face_models, and, when the first
 * look is on (fsift_pipe_face_ops_gate), its own session of the shared fsift_face_gate.
 */
#include <stdlib.h>

#include "facesift/pipeline.h"

typedef struct face_state {
    fsift_face_analyzer *a;
    fsift_face_gate_session *g; /* NULL without the first look */
} face_state;

static void face_thread_free(void *state) {
    face_state *s = state;
    if (!s) return;
    fsift_face_analyzer_free(s->a);
    fsift_face_gate_session_free(s->g);
    free(s);
}

static fsift_status face_thread_new(const fsift_pipe_face_ops *ops, void **state) {
    face_state *s = calloc(1, sizeof *s);
    if (!s) return fsift_error(FSIFT_E_NOMEM, "face: out of memory");
    fsift_status st = fsift_face_analyzer_new((const fsift_face_models *)ops->ctx, &s->a);
    if (!st && ops->gate_ctx) st = fsift_face_gate_session_new((const fsift_face_gate *)ops->gate_ctx, &s->g);
    if (st) {
        face_thread_free(s);
        return st;
    }
    *state = s;
    return FSIFT_OK;
}

static fsift_status face_gate(void *state, const fsift_image *img, float *ratio, int *n_seen) {
    return fsift_face_gate_run(((face_state *)state)->g, img, ratio, n_seen);
}

static fsift_status face_detect(void *state, const fsift_image *img, fsift_face_list *out) {
    return fsift_face_detect(((face_state *)state)->a, img, out);
}

static fsift_status face_detect_coarse(void *state, const fsift_image *img, fsift_face_list *out) {
    return fsift_face_detect_coarse(((face_state *)state)->a, img, out);
}

/* after face_detect_coarse on the pre-filter image (stage.c pairs them): the detector's own
   candidates through the full landmark stage on the full-size pixels, as `facesift analyze`
   does on the saved image; the mapped pre-filter faces are replaced */
static fsift_status face_refine(void *state, const fsift_image *img, fsift_face_list *faces) {
    return fsift_face_refine_last(((face_state *)state)->a, img, faces);
}

static fsift_status face_embed(void *state, const fsift_image *img, fsift_face *face, fsift_image *crop) {
    return fsift_face_embed(((face_state *)state)->a, img, face, crop);
}

void fsift_pipe_face_ops_models(const fsift_face_models *m, fsift_pipe_face_ops *ops) {
    *ops = (fsift_pipe_face_ops){0};
    ops->ctx = (void *)m;
    ops->detector_id = fsift_face_models_detector_id(m);
    ops->recognizer_id = fsift_face_models_recognizer_id(m);
    ops->embedding_dim = fsift_face_models_embedding_dim(m);
    /* the pre-filter image: a face that can pass the 4% rule is >= 36 px on a 256 px image (the
       shorter side is >= 128 px at aspect <= 2), above every detector's smallest face. BlazeFace
       letterboxes into its own 256×256 input, so 256 is all it can use; MTCNN's pyramid costs
       grow with the pixels, so it gets the same side. */
    ops->det_size = 256;
    ops->thread_new = face_thread_new;
    ops->thread_free = face_thread_free;
    ops->detect = face_detect;
    ops->detect_coarse = face_detect_coarse;
    ops->refine = face_refine;
    ops->embed = face_embed;
}

void fsift_pipe_face_ops_gate(const fsift_face_gate *g, float slack, fsift_pipe_face_ops *ops) {
    ops->gate_ctx = (void *)g;
    ops->gate = g ? face_gate : NULL;
    ops->gate_slack = slack;
}
