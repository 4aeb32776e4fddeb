/*
 * ops.h — the operator interface (internal to src/nn).
 *
 * Each operator is an nn_op_def: a name (the ONNX op type), an optional load-time `pack`
 * hook, a plan-time `infer` and a run-time `run`. Operators are grouped by kernel file; each
 * group file exports a zero-terminated array (nn_ops_<group>[]) and ops.c lists the groups.
 *
 * Plan time (infer): the executor hands the op its input tensors with dtype/rank/dims set;
 * in[i]->data is non-NULL only when that input is known at plan time (a constant, or a value
 * folded from constants and shapes). infer validates attributes, dtypes and shapes — every
 * failure returns an fsift_error() naming the op, the node and the problem, never asserts —
 * and sets out[i]->dtype/rank/dims. It may keep parsed parameters in k->state (allocate with
 * nn_kctx_alloc; freed with the plan) and request scratch memory for run (k->scratch_bytes).
 * Ops whose inputs must be known at plan time (Reshape's shape, Slice's starts, …) return
 * FSIFT_E_UNSUPPORTED if in[i]->data is NULL.
 *
 * Run time (run): in[i]->data and out[i]->data point to planned memory (inputs are
 * read-only; outputs never alias inputs). k->state is what infer left. k->scratch is shared by
 * all nodes and not preserved between them. Work is split across k->pool with nn_parallel.
 * If all inputs are known at plan time, the executor calls run at plan time (constant
 * folding), so run must not depend on anything but its inputs and state.
 *
 * Semantics are ONNX's (the opset is in k->opset). Extensions used by graphs made from
 * TFLite (never present in ONNX files):
 *   layout = "NHWC"      Conv, MaxPool, AveragePool, GlobalAveragePool, Resize,
 *                        BatchNormalization: data is [N,H,W,C]. For Conv the weight is
 *                        [O, kH, kW, I/group] (TFLite OHWI), bias [O].
 *   activation = "RELU" | "RELU6" | "RELU_N1_TO_1" | "TANH"
 *                        a fused activation applied to the op's output: Conv, Gemm, MatMul,
 *                        Add, Sub, Mul, Div, MaxPool, AveragePool, Concat.
 *   beta (float)         Softmax: softmax(beta * x) (TFLite SOFTMAX).
 *   count_include_pad    AveragePool as ONNX (TFLite sets 0).
 * Resize additionally accepts coordinate_transformation_mode "tf_half_pixel_for_nn" etc. as
 * ONNX defines them.
 *
 * Extensions made by the load-time graph optimiser (optimize.c; also never in ONNX files):
 *   activation = "PRELU" Conv, Gemm, MatMul only: y < 0 ? y * slope[c] : y per output
 *                        channel c (Conv: the channel axis of the layout; Gemm/MatMul: the
 *                        last axis), with the slopes in the float32 constant [channels]
 *                        named by the TENSOR attribute "activation_slope". (LeakyRelu is a
 *                        PRELU with every slope alpha.) Parsed by nn_act_parse_slope only;
 *                        nn_act_parse rejects it, so no other op can be handed one.
 *   Conv input 3 "residual": Y = act(conv(X, W) + B + residual), the residual added (in
 *                        that order, so rounding matches a separate Add) before the
 *                        activation. It broadcasts to the output as ONNX Add would (the
 *                        output takes the broadcast shape); the optimiser makes it from
 *                        Conv → Add(conv, r) [→ activation].
 *   MatMul input 2 "bias": float32 [N] added to the last axis before the activation (B
 *                        float32 of rank >= 2); from MatMul → Add(per-column constant).
 */
#ifndef FSIFT_NN_OPS_H
#define FSIFT_NN_OPS_H

#include <math.h>

#include "graph.h"

#define NN_MAX_IO 64  /* most inputs or outputs one node may have (Concat, Split, Sum …) */

typedef struct nn_kctx {
    const nn_graph *g;
    const nn_node *node;
    int64_t opset;                /* default-domain opset of the graph */
    int n_in, n_out;
    nn_tensor *in[NN_MAX_IO];     /* NULL for an absent optional input */
    nn_tensor *out[NN_MAX_IO];    /* NULL for an absent optional output */
    void *state;                  /* op-private, set by infer */
    size_t scratch_bytes;         /* set by infer: bytes of scratch needed by run */
    void *scratch;                /* run: scratch_bytes bytes, 64-byte aligned */
    fsift_pool *pool;             /* run: the session's pool (may be NULL) */
    int nthreads;                 /* run: workers available (>= 1) */
    const fsift_cpu *cpu;         /* features usable for dispatch */
    void *plan;                   /* executor-private (for nn_kctx_alloc) */
} nn_kctx;

enum {
    NN_OP_SHAPE_ONLY = 1  /* outputs depend only on input shapes (Shape, Size): always folded */
};

typedef struct nn_op_def {
    const char *name;    /* ONNX op type; NULL terminates a group array */
    const char *domain;  /* "" = default ONNX domain (also matches "ai.onnx") */
    unsigned flags;
    /* optional, at load, after finalize's checks: may build n->packed from constant inputs
     * (g->vals[n->in[i]].kind == NN_VAL_CONST). Must not change semantics. */
    fsift_status (*pack)(nn_graph *g, nn_node *n);
    fsift_status (*infer)(nn_kctx *k);
    fsift_status (*run)(nn_kctx *k);
} nn_op_def;

/* Group arrays (zero-terminated), one per kernel file family. */
extern const nn_op_def nn_ops_conv[];        /* kernels/conv.c: Conv */
extern const nn_op_def nn_ops_linear[];      /* kernels/linear.c: Gemm, MatMul */
extern const nn_op_def nn_ops_convt[];       /* kernels/convt.c: ConvTranspose */
extern const nn_op_def nn_ops_nn[];          /* kernels/nn.c: pools, norms, softmax, resize, pad, reduce */
extern const nn_op_def nn_ops_elementwise[]; /* kernels/elementwise.c */
extern const nn_op_def nn_ops_shape[];       /* kernels/shape.c: reshape, transpose, concat, … */

/* Looks an op up by type and domain; NULL if unsupported. */
const nn_op_def *nn_op_lookup(const char *op_type, const char *domain);
/* The op table entry by index (nn_node.op). */
const nn_op_def *nn_op_get(int index);
int nn_op_index(const nn_op_def *def);

/* Plan-lifetime memory (64-byte aligned, zeroed); NULL on failure (out of memory). */
void *nn_kctx_alloc(nn_kctx *k, size_t size);

/* Runs fn(arg, begin, end) over [0, n) split in contiguous ranges across the pool; uses one
 * thread when n < 2 * grain. */
typedef void (*nn_range_fn)(void *arg, int64_t begin, int64_t end);
void nn_parallel(const nn_kctx *k, int64_t n, int64_t grain, nn_range_fn fn, void *arg);

/* Error helper: "Conv (node 'conv1'): <message>". */
fsift_status nn_op_error(const nn_kctx *k, fsift_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Fused activations (the "activation" extension attribute). NN_ACT_PRELU needs its
 * per-channel slopes, which only nn_act_parse_slope provides; nn_act_apply and nn_act_one
 * leave values unchanged for it. */
typedef enum nn_act {
    NN_ACT_NONE = 0,
    NN_ACT_RELU,
    NN_ACT_RELU6,
    NN_ACT_RELU_N1_TO_1,
    NN_ACT_TANH,
    NN_ACT_PRELU
} nn_act;
/* Parses the node's "activation" attribute; error for an unknown name and for "PRELU". */
fsift_status nn_act_parse(const nn_kctx *k, nn_act *act);
/* The same for ops that apply per-channel slopes (Conv, Gemm, MatMul): also accepts
 * "PRELU" and then points *slope at its `channels` slopes (the graph's constant; error if
 * "activation_slope" is missing, not a float32 constant or not [channels]). *slope is NULL
 * for every other activation. */
fsift_status nn_act_parse_slope(const nn_kctx *k, int64_t channels, nn_act *act, const float **slope);
void nn_act_apply(float *x, int64_t n, nn_act act);
static inline float nn_act_one(float v, nn_act act) {
    switch (act) {
    case NN_ACT_RELU: return v > 0.f ? v : 0.f;
    case NN_ACT_RELU6: return v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
    case NN_ACT_RELU_N1_TO_1: return v < -1.f ? -1.f : (v > 1.f ? 1.f : v);
    case NN_ACT_TANH: return tanhf(v);
    default: return v;
    }
}

/* Helpers for infer. */
/* Normalises a possibly negative axis for rank r; error if out of range. */
fsift_status nn_axis(const nn_kctx *k, int64_t axis, int rank, int *out);
/* Sets out tensor i's dtype and shape. */
void nn_set_out(nn_kctx *k, int i, int dtype, int rank, const int64_t *dims);
/* Reads an integer tensor (int64 or int32) element as int64. */
int64_t nn_get_int(const nn_tensor *t, int64_t i);
/* Multidirectional (NumPy) broadcast of two shapes; error on mismatch. */
fsift_status nn_broadcast_shape(const nn_kctx *k, int ra, const int64_t *da, int rb,
                                const int64_t *db, int *rout, int64_t *dout);

#endif
