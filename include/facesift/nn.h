/*
 * facesift/nn.h — the neural-network runtime: load an ONNX or TFLite model once, run it from
 * any number of threads through per-thread sessions.
 *
 * A model (fsift_model) is the loaded, validated graph with its weights (and any weights the
 * kernels pre-packed). It is immutable after fsift_model_load returns and may be shared by
 * all threads. A session (fsift_session) holds what one inference needs: the shape plan for
 * the current input sizes, the activation arena laid out by the memory planner, and a thread
 * pool. Sessions are not thread-safe; use one per thread.
 *
 * Shapes: each session plans for concrete input shapes. Running with a different input shape
 * re-plans (shape inference, constant folding of shape arithmetic, buffer planning) without
 * touching the weights. Outputs are views into session memory, valid until the next run or
 * fsift_session_free.
 */
#ifndef FACESIFT_NN_H
#define FACESIFT_NN_H

#include "facesift/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fsift_model fsift_model;
typedef struct fsift_session fsift_session;

typedef enum fsift_model_format {
    FSIFT_MODEL_AUTO = 0,   /* detect from the bytes */
    FSIFT_MODEL_ONNX = 1,
    FSIFT_MODEL_TFLITE = 2
} fsift_model_format;

/* Largest model file accepted by default (bytes). */
#define FSIFT_MODEL_MAX_BYTES ((size_t)4 << 30)

/* Loads and validates a model file. ONNX external data files are resolved relative to the
 * model's folder. Unsupported operators are an error that names them. Caller owns *out. */
fsift_status fsift_model_load(const char *path, fsift_model **out);

/* Same from memory (borrowed; copied where needed). base_dir (may be NULL) resolves ONNX
 * external data; NULL forbids external data. */
fsift_status fsift_model_load_memory(const void *data, size_t size, fsift_model_format format,
                                     const char *base_dir, fsift_model **out);
void fsift_model_free(fsift_model *model); /* NULL is a no-op */

/* Description of a graph input or output. dims[i] < 0 means a dynamic axis. Strings are
 * owned by the model. */
typedef struct fsift_io_info {
    const char *name;
    int dtype; /* fsift_dtype */
    int rank;
    int64_t dims[FSIFT_MAX_RANK];
} fsift_io_info;

int fsift_model_num_inputs(const fsift_model *model);
int fsift_model_num_outputs(const fsift_model *model);
fsift_status fsift_model_input(const fsift_model *model, int i, fsift_io_info *info);
fsift_status fsift_model_output(const fsift_model *model, int i, fsift_io_info *info);
fsift_model_format fsift_model_get_format(const fsift_model *model);

/* Summary for `facesift model info`. op_counts: "Conv=12 Relu=10 …" (owned by the model). */
typedef struct fsift_model_summary {
    const char *format;      /* "onnx" or "tflite" */
    const char *producer;    /* producer name/version or description, may be "" */
    int64_t opset;           /* ONNX default-domain opset; TFLite schema version */
    int64_t num_nodes;
    int64_t num_params;      /* elements in constant tensors */
    int64_t param_bytes;     /* bytes of constant tensors as stored in memory */
    const char *op_counts;
} fsift_model_summary;
fsift_status fsift_model_summarize(const fsift_model *model, fsift_model_summary *out);

/* Creates a session with its own pool of nthreads workers (<= 0: all online CPUs). The
 * session borrows the model, which must outlive it. Caller owns *out. */
fsift_status fsift_session_new(const fsift_model *model, int nthreads, fsift_session **out);
void fsift_session_free(fsift_session *session); /* NULL is a no-op */

/* Plans for the given input shapes (one fsift_tensor per graph input, data ignored) without
 * running. Useful to learn output shapes and peak memory. */
fsift_status fsift_session_plan(fsift_session *session, const fsift_tensor *inputs, int n_inputs);

/* Runs the model. inputs[i] (borrowed, read-only during the call) matches graph input i in
 * dtype; shapes may differ from the last run (the session re-plans). */
fsift_status fsift_session_run(fsift_session *session, const fsift_tensor *inputs, int n_inputs);

/* Output i of the last run: a view into session memory (do not free), valid until the next
 * run/plan or fsift_session_free. */
fsift_status fsift_session_output(const fsift_session *session, int i, fsift_tensor *out);

/* Bytes of the activation arena of the current plan (planned peak), and the sum of all
 * activation sizes had nothing been reused. */
size_t fsift_session_peak_bytes(const fsift_session *session);
size_t fsift_session_naive_bytes(const fsift_session *session);

#ifdef __cplusplus
}
#endif
#endif
