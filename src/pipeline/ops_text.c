/*
 * ops_text.c — the pipeline's caption step on the real text.h matcher (immutable, shared by
 * all workers).
 */
#include "facesift/pipeline.h"

static int text_match(void *ctx, const char *text, size_t len, fsift_text_match *m) {
    return fsift_matcher_first((const fsift_matcher *)ctx, text, len, m);
}

void fsift_pipe_text_ops_matcher(const fsift_matcher *m, fsift_pipe_text_ops *ops) {
    ops->ctx = (void *)m;
    ops->match = text_match;
}
