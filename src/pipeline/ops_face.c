/*
 * ops_face.c — the pipeline's face step on the real face.h models: each worker thread gets
 * its own fsift_face_analyzer on the shared, immutable fsift_face_models.
 */
#include "facesift/pipeline.h"

static fsift_status face_thread_new(void *ctx, void **state) {
    return fsift_face_analyzer_new((const fsift_face_models *)ctx, (fsift_face_analyzer **)state);
}

static void face_thread_free(void *state) { fsift_face_analyzer_free(state); }

static fsift_status face_detect(void *state, const fsift_image *img, fsift_face_list *out) {
    return fsift_face_detect(state, img, out);
}

static fsift_status face_refine(void *state, const fsift_image *img, fsift_face_list *faces) {
    return fsift_face_refine(state, img, faces);
}

static fsift_status face_embed(void *state, const fsift_image *img, fsift_face *face, fsift_image *crop) {
    return fsift_face_embed(state, img, face, crop);
}

void fsift_pipe_face_ops_models(const fsift_face_models *m, fsift_pipe_face_ops *ops) {
    ops->ctx = (void *)m;
    ops->detector_id = fsift_face_models_detector_id(m);
    ops->recognizer_id = fsift_face_models_recognizer_id(m);
    ops->embedding_dim = fsift_face_models_embedding_dim(m);
    /* the pre-filter image: a face that can pass the 4% rule is >= 36 px on a 256 px image (the
       shorter side is >= 128 px at aspect <= 2), above every detector's smallest face. BlazeFace
       letterboxes into its own 256×256 input, so 256 is all it can use; MTCNN's pyramid costs
       grow with the pixels, so it gets the same side. */
    ops->det_size = 256;
    ops->refine = face_refine;
    ops->thread_new = face_thread_new;
    ops->thread_free = face_thread_free;
    ops->detect = face_detect;
    ops->embed = face_embed;
}
