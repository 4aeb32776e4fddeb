/*
 * optimize.c — load-time graph rewrites (operator fusion), run by nn_graph_finalize after
 * validation and the topological sort and before the pack hooks (FSIFT_NO_FUSE=1 turns it
 * off; tests and benchmarks compare both).
 *
 * Every rewrite replaces a chain producer → … → consumer by one node and is made only when it
 * is exactly semantics-preserving for every input shape the original graph accepts: each
 * intermediate value has a single consumer and is not a graph output, the constants involved
 * are float32 and shaped so that they vary only along the producer's channel axis (checked
 * against what is known at load: the weight's rank and output channels, the layout), and no
 * fused node already carries an activation that the rewrite would reorder. The rewrites:
 *
 *   1. Conv → BatchNormalization (inference), Conv → Mul(per-channel constant),
 *      Conv → Add(per-channel constant) with no activation: folded into new Conv weights and
 *      bias (computed in double; these and rule 5 are the rewrites that change rounding, by
 *      an ulp or so — everything else computes the same float operations in the same order);
 *      Gemm → BatchNormalization / Mul / Add(per-column constant) likewise into B and C;
 *      MatMul → Add(per-column constant) into MatMul's bias input (an extension, ops.h).
 *   2. Conv/Gemm/MatMul → Relu, Clip(0, 6), Clip(0, inf), Clip(-1, 1), LeakyRelu, PRelu
 *      with per-channel constant slopes: the "activation" extension attribute (LeakyRelu and
 *      PRelu as "PRELU" with an "activation_slope" constant of one slope per channel).
 *   3. Conv → Add(conv, r) (either operand order; r any value, broadcast as Add would): the
 *      Conv's "residual" input 3, added before the activation, so rule 2 can then fuse a
 *      following Relu (ops.h documents both extensions). A TFLite fused activation on the Add
 *      moves to the Conv.
 *   4. PReLU written out by TFLite converters, where x comes from a Conv/Gemm/MatMul whose
 *      channel axis is known: Relu(x) + C * (x - Abs(x)) (MobileFaceNet; slope 2C, exact
 *      since scaling by 2 is) and Relu(x) + C * Neg(Relu(Neg(x))) (MTCNN; slope C) or
 *      Relu(x) + C * Relu(Neg(x)) (slope -C) become one PRelu node (then fused by rule 2).
 *   5. ReduceMax / Sub / Exp / ReduceSum / Div over one axis with keepdims (a written-out
 *      softmax) becomes Softmax on that axis (opset >= 13 semantics, or the last axis); x must
 *      come from a Conv or Gemm (float32, known rank).
 *
 * Order: a fused node takes the place of the chain's last node (every input of the chain is
 * computed before it, and every consumer of its result comes after it), so the node list
 * stays topologically sorted; the chain's other nodes are dropped and the list is compacted
 * at the end. The chain's final value keeps its name, so graph outputs keep names and order.
 *
 * Passes: each pass recomputes the consumers of every value, then visits nodes in order and
 * applies at most one rewrite per node; nodes a rewrite touched are left alone for the rest
 * of the pass (their consumer information is stale). Passes repeat until nothing changes
 * (chains like BN → PRelu pattern → Conv fusion take a few), at most MAX_PASSES times. A
 * final check verifies the invariants nn_graph_finalize established.
 *
 * Not thread-safe (it edits the graph); runs once per load, before the model is shared.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "ops.h"

#define MAX_PASSES 16

typedef struct opt_ctx {
    nn_graph *g;
    unsigned char *dead;     /* per node: removed */
    unsigned char *touched;  /* per node: changed in this pass */
    int *ncons;              /* per value: consumer slots (an input used twice counts twice) */
    int *cons_start;         /* per value: CSR into cons */
    int *cons;               /* consumer node of each slot */
    int cap_nodes, cap_vals;
    int changed;
} opt_ctx;

/* ---- small helpers --------------------------------------------------------------------- */

static int is_op(const nn_node *n, const char *type) {
    return !strcmp(n->op_type, type) && (!*n->domain || !strcmp(n->domain, "ai.onnx"));
}

static int alive(const opt_ctx *c, int ni) { return ni >= 0 && !c->dead[ni] && !c->touched[ni]; }

/* The node producing v if it is alive, untouched and of type `type` (NULL: any), else -1. */
static int producer_of(const opt_ctx *c, int v, const char *type) {
    if (v < 0) return -1;
    int p = c->g->vals[v].producer;
    if (p < 0 || !alive(c, p)) return -1;
    if (type && !is_op(&c->g->nodes[p], type)) return -1;
    return p;
}

/* The single consumer of an activation value that is not a graph output, or -1. */
static int sole_consumer(const opt_ctx *c, int v) {
    if (v < 0 || v >= c->cap_vals) return -1;
    const nn_value *val = &c->g->vals[v];
    if (val->kind != NN_VAL_ACT || val->is_output || c->ncons[v] != 1) return -1;
    return c->cons[c->cons_start[v]];
}

/* v is produced by a live node of `type` and consumed only by node q: that producer, else -1. */
static int chain_from(const opt_ctx *c, int v, const char *type, int q) {
    int p = producer_of(c, v, type);
    if (p < 0 || sole_consumer(c, v) != q) return -1;
    return p;
}

static const float *const_f32(const nn_graph *g, int v, int64_t *numel) {
    if (v < 0) return NULL;
    const nn_value *c = &g->vals[v];
    if (c->kind != NN_VAL_CONST || c->dtype != FSIFT_DTYPE_FLOAT32) return NULL;
    int64_t n = nn_numel(c->rank, c->dims);
    if (n < 0) return NULL;
    *numel = n;
    return c->data;
}

/* The node's fused activation ("activation" attribute), NULL when none. */
static const char *node_act(const nn_node *n) {
    const char *s = nn_attr_str(n, "activation", NULL);
    return s && *s && strcmp(s, "NONE") ? s : NULL;
}

static int layout_nhwc(const nn_node *n) { return !strcmp(nn_attr_str(n, "layout", "NCHW"), "NHWC"); }

/* Inputs beyond n_in exist and are absent (-1), outputs beyond the first are absent. */
static int one_output(const nn_node *n) {
    if (n->n_out < 1 || n->out[0] < 0) return 0;
    for (int i = 1; i < n->n_out; i++)
        if (n->out[i] >= 0) return 0;
    return 1;
}

/* Exactly `count` inputs, all present. */
static int inputs_are(const nn_node *n, int count) {
    if (n->n_in != count) return 0;
    for (int i = 0; i < count; i++)
        if (n->in[i] < 0) return 0;
    return 1;
}

/* Number of inputs up to the last present one. */
static int used_inputs(const nn_node *n) {
    int k = n->n_in;
    while (k > 0 && n->in[k - 1] < 0) k--;
    return k;
}

/* ---- channel geometry of a producer's output ------------------------------------------- */

/* What is known at load about the output of a Conv/Gemm/MatMul: its rank (-1: unknown, but
 * at least 1 with the channel last), the channel axis and the channel count M. */
typedef struct chan_geom {
    int rank, axis;
    int64_t M;
} chan_geom;

/* Dims of a value known at load (a constant, or a graph input with static dims). */
static int static_dims(const nn_graph *g, int v, int *rank, const int64_t **dims) {
    if (v < 0) return 0;
    const nn_value *val = &g->vals[v];
    if (val->kind != NN_VAL_CONST && val->kind != NN_VAL_INPUT) return 0;
    if (val->rank < 0 || val->rank > NN_MAX_RANK) return 0;
    for (int i = 0; i < val->rank; i++)
        if (val->dims[i] < 1) return 0;
    *rank = val->rank;
    *dims = val->dims;
    return 1;
}

#define MAX_CHANNELS ((int64_t)1 << 24) /* per-channel vectors made here stay small */

/* 1 and *cg for a Conv, Gemm or MatMul whose output is float32 with a known channel count. */
static int output_geom(const nn_graph *g, const nn_node *n, chan_geom *cg) {
    int r;
    const int64_t *d;
    if (n->n_in < 2 || n->in[0] < 0 || !one_output(n) || !static_dims(g, n->in[1], &r, &d)) return 0;
    for (int i = 0; i < r; i++)
        if (d[i] > MAX_CHANNELS) return 0;
    if (g->vals[n->in[1]].dtype != FSIFT_DTYPE_FLOAT32) return 0;
    if (is_op(n, "Conv")) {
        if (r != 3 && r != 4) return 0;
        cg->rank = r;
        cg->axis = layout_nhwc(n) ? r - 1 : 1;
        cg->M = d[0];
        return 1;
    }
    if (is_op(n, "Gemm")) {
        if (r != 2) return 0;
        cg->rank = 2;
        cg->axis = 1;
        cg->M = nn_attr_int(n, "transB", 0) ? d[0] : d[1];
        return 1;
    }
    if (is_op(n, "MatMul")) {
        if (r < 2) return 0;
        cg->rank = -1; /* A's rank is not known; the output's last axis is B's last */
        cg->axis = -1;
        cg->M = d[r - 1];
        return 1;
    }
    return 0;
}

/* 1 if the float32 constant v, broadcast against an output of geometry cg, leaves the
 * output's shape unchanged and varies only along the channel axis; out (M floats, may be
 * NULL) receives its value per channel. */
static int chan_const(const nn_graph *g, int v, const chan_geom *cg, float *out) {
    int64_t n;
    const float *p = const_f32(g, v, &n);
    if (!p || n < 1) return 0;
    const nn_value *c = &g->vals[v];
    if (n != 1 && n != cg->M) return 0;
    if (cg->rank < 0) {
        if (c->rank > 1) return 0;
    } else {
        if (c->rank > cg->rank) return 0;
        for (int j = 0; j < c->rank; j++) {
            int a = cg->rank - c->rank + j;
            if (a == cg->axis ? (c->dims[j] != 1 && c->dims[j] != cg->M) : c->dims[j] != 1) return 0;
        }
    }
    if (out)
        for (int64_t m = 0; m < cg->M; m++) out[m] = p[n == 1 ? 0 : m];
    return 1;
}

/* ---- editing ----------------------------------------------------------------------------- */

static fsift_status oom(void) { return fsift_error(FSIFT_E_NOMEM, "graph optimiser: out of memory"); }

/* Replaces node ni's inputs with in[0..n) (copied into the graph). */
static fsift_status set_inputs(nn_graph *g, int ni, const int *in, int n) {
    int *a = nn_graph_alloc(g, sizeof(int) * (size_t)(n ? n : 1));
    if (!a) return oom();
    memcpy(a, in, sizeof(int) * (size_t)n);
    g->nodes[ni].in = a;
    g->nodes[ni].n_in = n;
    return FSIFT_OK;
}

static void kill_node(opt_ctx *c, int ni) {
    nn_node *n = &c->g->nodes[ni];
    for (int i = 0; i < n->n_out; i++)
        if (n->out[i] >= 0 && c->g->vals[n->out[i]].producer == ni) c->g->vals[n->out[i]].producer = -1;
    c->dead[ni] = 1;
    c->changed = 1;
}

/* Node p (single output) takes the place of node q and produces q's output; q's content is
 * dropped, p's slot dies. Valid when p's result was consumed only inside the chain ending
 * at q. */
static void move_into(opt_ctx *c, int p, int q) {
    nn_graph *g = c->g;
    const int out = g->nodes[q].out[0];
    for (int i = 0; i < g->nodes[q].n_out; i++)
        if (g->nodes[q].out[i] >= 0) g->vals[g->nodes[q].out[i]].producer = -1;
    g->vals[g->nodes[p].out[0]].producer = -1;
    g->nodes[p].out[0] = out;
    g->nodes[q] = g->nodes[p];
    g->vals[out].producer = q;
    memset(&g->nodes[p], 0, sizeof g->nodes[p]);
    c->dead[p] = 1;
    c->touched[q] = 1;
    c->changed = 1;
}

/* Turns node q into op `type` (default domain) with inputs in[0..n), no attributes, and one
 * output (its current first output). */
static fsift_status retype(nn_graph *g, int q, const char *type, const int *in, int n) {
    const nn_op_def *def = nn_op_lookup(type, "");
    if (!def) return fsift_error(FSIFT_E_UNSUPPORTED, "graph optimiser: no operator %s", type);
    nn_node *node = &g->nodes[q];
    const char *t = nn_graph_strdup(g, type, strlen(type)), *d = nn_graph_strdup(g, "", 0);
    if (!t || !d) return oom();
    node->op_type = t;
    node->domain = d;
    node->op = nn_op_index(def);
    node->n_attr = 0;
    node->attrs = NULL;
    for (int i = 1; i < node->n_out; i++)
        if (node->out[i] >= 0) g->vals[node->out[i]].producer = -1;
    node->n_out = 1;
    return set_inputs(g, q, in, n);
}

/* A new float32 constant [M] (anonymous). */
static fsift_status new_vec(nn_graph *g, const float *v, int64_t M, int *idx) {
    int64_t d[1] = {M};
    return nn_graph_add_const(g, NULL, FSIFT_DTYPE_FLOAT32, 1, d, v, (size_t)M * sizeof(float), idx);
}

/* The value index of a writable copy of constant v for node ni: v itself when ni is its only
 * user (c->ncons) and it is not a graph output, otherwise a new constant with v's data. */
static fsift_status own_const(opt_ctx *c, int v, int *out) {
    nn_graph *g = c->g;
    if (v < c->cap_vals && c->ncons[v] == 1 && !g->vals[v].is_output) {
        *out = v;
        return FSIFT_OK;
    }
    int rank = g->vals[v].rank;
    int64_t dims[NN_MAX_RANK];
    memcpy(dims, g->vals[v].dims, sizeof dims);
    fsift_status st = nn_graph_add_const(g, NULL, FSIFT_DTYPE_FLOAT32, rank, dims, g->vals[v].data,
                                         g->vals[v].nbytes, out);
    return st;
}

/* ---- rule 1: affine folds into Conv / Gemm ------------------------------------------------ */

/* Conv p: W[m] *= scale[m], B[m] = B[m]*scale[m] + shift[m] (scale or shift may be NULL). */
static fsift_status fold_conv(opt_ctx *c, int p, const double *scale, const double *shift, int64_t M) {
    nn_graph *g = c->g;
    const nn_node *n = &g->nodes[p];
    int wv = n->in[1], bv = n->n_in > 2 ? n->in[2] : -1, x = n->in[0];
    int64_t wn, bn = 0;
    if (!const_f32(g, wv, &wn) || (bv >= 0 && (!const_f32(g, bv, &bn) || bn != M))) return FSIFT_OK;
    fsift_status st;
    if (scale) {
        if ((st = own_const(c, wv, &wv))) return st;
        float *w = g->vals[wv].data;
        const int64_t per = wn / M;
        for (int64_t m = 0; m < M; m++)
            for (int64_t i = 0; i < per; i++) w[m * per + i] = (float)((double)w[m * per + i] * scale[m]);
    }
    float *nb = malloc((size_t)M * sizeof(float));
    if (!nb) return oom();
    const float *b = bv >= 0 ? g->vals[bv].data : NULL;
    for (int64_t m = 0; m < M; m++) {
        double v = b ? b[m] : 0.0;
        if (scale) v *= scale[m];
        if (shift) v += shift[m];
        nb[m] = (float)v;
    }
    st = new_vec(g, nb, M, &bv);
    free(nb);
    if (st) return st;
    int in[3] = {x, wv, bv};
    return set_inputs(g, p, in, 3);
}

/* MatMul p (no bias yet): only a shift, as its bias input (ops.h). */
static fsift_status fold_matmul(opt_ctx *c, int p, const double *scale, const double *shift, int64_t N) {
    nn_graph *g = c->g;
    const nn_node *n = &g->nodes[p];
    if (scale || !shift || used_inputs(n) != 2) return FSIFT_OK;
    float *nb = malloc((size_t)N * sizeof(float));
    if (!nb) return oom();
    for (int64_t j = 0; j < N; j++) nb[j] = (float)shift[j];
    int bv = -1;
    fsift_status st = new_vec(g, nb, N, &bv);
    free(nb);
    if (st) return st;
    int in[3] = {n->in[0], n->in[1], bv};
    return set_inputs(g, p, in, 3);
}

/* Gemm p: column j of B' *= scale[j], C'[j] = beta*C[j]*scale[j] + shift[j], beta = 1. */
static fsift_status fold_gemm(opt_ctx *c, int p, const double *scale, const double *shift, int64_t N) {
    nn_graph *g = c->g;
    const nn_node *n = &g->nodes[p];
    int bv = n->in[1], cv = n->n_in > 2 ? n->in[2] : -1, a = n->in[0];
    int tb = nn_attr_int(n, "transB", 0) != 0;
    float beta = nn_attr_float(n, "beta", 1.f);
    int64_t bnum, cn = 0;
    if (!const_f32(g, bv, &bnum) || g->vals[bv].rank != 2) return FSIFT_OK;
    if (cv >= 0) {
        if (!const_f32(g, cv, &cn) || cn != N || g->vals[cv].rank < 1 || g->vals[cv].rank > 2) return FSIFT_OK;
        if (g->vals[cv].rank == 2 && g->vals[cv].dims[0] != 1) return FSIFT_OK;
    }
    fsift_status st;
    if (scale) {
        if ((st = own_const(c, bv, &bv))) return st;
        float *w = g->vals[bv].data;
        const int64_t K = bnum / N;
        for (int64_t j = 0; j < N; j++)
            for (int64_t k = 0; k < K; k++) {
                float *e = tb ? &w[j * K + k] : &w[k * N + j];
                *e = (float)((double)*e * scale[j]);
            }
    }
    float *nc = malloc((size_t)N * sizeof(float));
    if (!nc) return oom();
    const float *cd = cv >= 0 ? g->vals[cv].data : NULL;
    for (int64_t j = 0; j < N; j++) {
        double v = cd ? (double)beta * cd[j] : 0.0;
        if (scale) v *= scale[j];
        if (shift) v += shift[j];
        nc[j] = (float)v;
    }
    st = new_vec(g, nc, N, &cv);
    free(nc);
    if (st) return st;
    int in[3] = {a, bv, cv};
    if ((st = set_inputs(g, p, in, 3))) return st;
    return nn_node_set_float(g, p, "beta", 1.f);
}

/* The producer (Conv, Gemm or MatMul without activation, residual or bias, single output)
 * of node q's input 0 consumed only by q, with its geometry; -1 if none. */
static int foldable_producer(const opt_ctx *c, int v, int q, chan_geom *cg) {
    int p = chain_from(c, v, NULL, q);
    if (p < 0) return -1;
    const nn_node *n = &c->g->nodes[p];
    if (!(is_op(n, "Conv") || is_op(n, "Gemm") || is_op(n, "MatMul")) || node_act(n) || used_inputs(n) > 3)
        return -1;
    if (is_op(n, "MatMul") && used_inputs(n) > 2) return -1;
    if (!output_geom(c->g, n, cg)) return -1;
    return p;
}

static fsift_status apply_fold(opt_ctx *c, int p, int q, const double *scale, const double *shift, int64_t M,
                               int *done) {
    nn_graph *g = c->g;
    const int conv = is_op(&g->nodes[p], "Conv"), mm = is_op(&g->nodes[p], "MatMul");
    int before = g->nodes[p].n_in;
    const int *before_in = g->nodes[p].in;
    fsift_status st = conv ? fold_conv(c, p, scale, shift, M)
                      : mm ? fold_matmul(c, p, scale, shift, M)
                           : fold_gemm(c, p, scale, shift, M);
    if (st) return st;
    if (g->nodes[p].in == before_in && g->nodes[p].n_in == before) return FSIFT_OK; /* declined */
    move_into(c, p, q);
    *done = 1;
    return FSIFT_OK;
}

/* Conv/Gemm → BatchNormalization (inference mode). */
static fsift_status rule_bn(opt_ctx *c, int q, int *done) {
    nn_graph *g = c->g;
    const nn_node *n = &g->nodes[q];
    if (!is_op(n, "BatchNormalization") || used_inputs(n) != 5 || !one_output(n)) return FSIFT_OK;
    if (nn_attr_int(n, "training_mode", 0) != 0 || nn_attr_int(n, "spatial", 1) != 1) return FSIFT_OK;
    chan_geom cg;
    int p = foldable_producer(c, n->in[0], q, &cg);
    if (p < 0 || cg.rank < 2 || layout_nhwc(n) != layout_nhwc(&g->nodes[p]) || is_op(&g->nodes[p], "MatMul"))
        return FSIFT_OK;
    if (!layout_nhwc(n) && cg.axis != 1) return FSIFT_OK;
    const float *prm[4];
    for (int i = 0; i < 4; i++) {
        int64_t cnt;
        prm[i] = const_f32(g, n->in[1 + i], &cnt);
        if (!prm[i] || cnt != cg.M || g->vals[n->in[1 + i]].rank != 1) return FSIFT_OK;
    }
    const double eps = nn_attr_float(n, "epsilon", 1e-5f);
    double *scale = malloc((size_t)cg.M * 2 * sizeof(double));
    if (!scale) return oom();
    double *shift = scale + cg.M;
    for (int64_t m = 0; m < cg.M; m++) {
        double var = prm[3][m];
        /* y = (x - mean) / sqrt(var + eps) * gamma + beta */
        scale[m] = (double)prm[0][m] / sqrt(var + eps);
        shift[m] = (double)prm[1][m] - (double)prm[2][m] * scale[m];
    }
    int ok = 1;
    for (int64_t m = 0; m < cg.M; m++) ok = ok && isfinite(scale[m]) && isfinite(shift[m]);
    fsift_status st = ok ? apply_fold(c, p, q, scale, shift, cg.M, done) : FSIFT_OK;
    free(scale);
    return st;
}

/* Conv/Gemm → Mul(per-channel constant) / Add(per-channel constant), no fused activation on
 * the Mul/Add. */
static fsift_status rule_affine(opt_ctx *c, int q, int *done) {
    nn_graph *g = c->g;
    const nn_node *n = &g->nodes[q];
    const int mul = is_op(n, "Mul");
    if ((!mul && !is_op(n, "Add")) || !inputs_are(n, 2) || !one_output(n) || node_act(n)) return FSIFT_OK;
    for (int side = 0; side < 2; side++) {
        int v = n->in[side], k = n->in[1 - side];
        if (g->vals[k].kind != NN_VAL_CONST) continue;
        chan_geom cg;
        int p = foldable_producer(c, v, q, &cg);
        if (p < 0 || cg.M < 1) continue;
        float *vec = malloc((size_t)cg.M * sizeof(float));
        double *dv = malloc((size_t)cg.M * sizeof(double));
        if (!vec || !dv) {
            free(vec);
            free(dv);
            return oom();
        }
        fsift_status st = FSIFT_OK;
        if (chan_const(g, k, &cg, vec)) {
            int ok = 1;
            for (int64_t m = 0; m < cg.M; m++) {
                dv[m] = vec[m];
                ok = ok && isfinite(vec[m]);
            }
            if (ok) st = apply_fold(c, p, q, mul ? dv : NULL, mul ? NULL : dv, cg.M, done);
        }
        free(vec);
        free(dv);
        if (st || *done) return st;
    }
    return FSIFT_OK;
}

/* ---- rule 2: activations into Conv / Gemm / MatMul --------------------------------------- */

/* Clip's bounds when known at load (attributes before opset 11, constant inputs after). */
static int clip_bounds(const nn_graph *g, const nn_node *n, float *lo, float *hi) {
    *lo = -INFINITY;
    *hi = INFINITY;
    if (g->opset < 11) {
        *lo = nn_attr_float(n, "min", -FLT_MAX);
        *hi = nn_attr_float(n, "max", FLT_MAX);
        return n->n_in == 1 || used_inputs(n) == 1;
    }
    for (int i = 1; i < n->n_in && i < 3; i++) {
        if (n->in[i] < 0) continue;
        int64_t cnt;
        const float *p = const_f32(g, n->in[i], &cnt);
        if (!p || cnt != 1) return 0;
        if (i == 1) *lo = p[0];
        else *hi = p[0];
    }
    return used_inputs(n) <= 3;
}

static fsift_status rule_act(opt_ctx *c, int q, int *done) {
    nn_graph *g = c->g;
    const nn_node *n = &g->nodes[q];
    if (!one_output(n) || n->n_in < 1) return FSIFT_OK;
    const char *act = NULL;
    int leaky = 0, prelu = 0;
    float alpha = 0.f;
    if (n->in[0] < 0) return FSIFT_OK;
    if (is_op(n, "Relu")) {
        if (used_inputs(n) != 1) return FSIFT_OK;
        act = "RELU";
    } else if (is_op(n, "Clip")) {
        float lo, hi;
        if (!clip_bounds(g, n, &lo, &hi)) return FSIFT_OK;
        if (lo == 0.f && hi == 6.f) act = "RELU6";
        else if (lo == -1.f && hi == 1.f) act = "RELU_N1_TO_1";
        else if (lo == 0.f && hi >= FLT_MAX) act = "RELU";
        else return FSIFT_OK;
    } else if (is_op(n, "LeakyRelu")) {
        if (used_inputs(n) != 1) return FSIFT_OK;
        alpha = nn_attr_float(n, "alpha", 0.01f);
        if (!isfinite(alpha)) return FSIFT_OK;
        leaky = 1;
    } else if (is_op(n, "PRelu")) {
        if (!inputs_are(n, 2)) return FSIFT_OK;
        prelu = 1;
    } else {
        return FSIFT_OK;
    }
    int p = chain_from(c, n->in[0], NULL, q);
    if (p < 0) return FSIFT_OK;
    const nn_node *pn = &g->nodes[p];
    if (!(is_op(pn, "Conv") || is_op(pn, "Gemm") || is_op(pn, "MatMul")) || node_act(pn) || !one_output(pn))
        return FSIFT_OK;
    chan_geom cg;
    const int known = output_geom(g, pn, &cg);
    if (is_op(pn, "MatMul") && !known) return FSIFT_OK; /* int MatMul ignores activations */
    fsift_status st;
    if (leaky || prelu) {
        if (!known || cg.M < 1) return FSIFT_OK;
        float *sl = malloc((size_t)cg.M * sizeof(float));
        if (!sl) return oom();
        int ok = 1;
        if (leaky)
            for (int64_t m = 0; m < cg.M; m++) sl[m] = alpha;
        else
            ok = chan_const(g, n->in[1], &cg, sl);
        int sv = -1;
        st = ok ? new_vec(g, sl, cg.M, &sv) : FSIFT_OK;
        free(sl);
        if (st || !ok) return st;
        if ((st = nn_node_set_string(g, p, "activation", "PRELU", 5))) return st;
        if ((st = nn_node_set_tensor(g, p, "activation_slope", sv))) return st;
    } else {
        if ((st = nn_node_set_string(g, p, "activation", act, strlen(act)))) return st;
    }
    move_into(c, p, q);
    *done = 1;
    return FSIFT_OK;
}

/* ---- rule 3: residual Add into Conv -------------------------------------------------------- */

static fsift_status rule_residual(opt_ctx *c, int q, int *done) {
    nn_graph *g = c->g;
    const nn_node *n = &g->nodes[q];
    if (!is_op(n, "Add") || !inputs_are(n, 2) || !one_output(n)) return FSIFT_OK;
    const char *qact = node_act(n);
    if (qact && strcmp(qact, "RELU") && strcmp(qact, "RELU6") && strcmp(qact, "RELU_N1_TO_1") && strcmp(qact, "TANH"))
        return FSIFT_OK;
    for (int side = 0; side < 2; side++) {
        int v = n->in[side], r = n->in[1 - side];
        int p = chain_from(c, v, "Conv", q);
        if (p < 0 || r == v) continue;
        const nn_node *pn = &g->nodes[p];
        if (node_act(pn) || used_inputs(pn) > 3 || !one_output(pn) || pn->n_in < 2) continue;
        int in[4] = {pn->in[0], pn->in[1], pn->n_in > 2 ? pn->in[2] : -1, r};
        fsift_status st = set_inputs(g, p, in, 4);
        if (st) return st;
        if (qact && (st = nn_node_set_string(g, p, "activation", qact, strlen(qact)))) return st;
        move_into(c, p, q);
        *done = 1;
        return FSIFT_OK;
    }
    return FSIFT_OK;
}

/* ---- rule 4: PReLU written out --------------------------------------------------------------- */

/* v = op(x) consumed only by q (x any value): the node, else -1. */
static int unary_of(const opt_ctx *c, int v, const char *op, int q, int *x) {
    int p = chain_from(c, v, op, q);
    if (p < 0) return -1;
    const nn_node *n = &c->g->nodes[p];
    if (!inputs_are(n, 1) || !one_output(n) || node_act(n)) return -1;
    *x = n->in[0];
    return p;
}

static fsift_status rule_prelu_pattern(opt_ctx *c, int q, int *done) {
    nn_graph *g = c->g;
    const nn_node *n = &g->nodes[q];
    if (!is_op(n, "Add") || !inputs_are(n, 2) || !one_output(n) || node_act(n)) return FSIFT_OK;
    for (int side = 0; side < 2; side++) {
        int x, relu = unary_of(c, n->in[side], "Relu", q, &x);
        int mul = chain_from(c, n->in[1 - side], "Mul", q);
        if (relu < 0 || mul < 0) continue;
        const nn_node *mn = &g->nodes[mul];
        if (!inputs_are(mn, 2) || !one_output(mn) || node_act(mn)) continue;
        int kc = g->vals[mn->in[0]].kind == NN_VAL_CONST ? 0 : 1;
        int cv = mn->in[kc], t = mn->in[1 - kc];
        if (g->vals[cv].kind != NN_VAL_CONST) continue;
        /* t: Sub(x, Abs(x)) (factor 2), Neg(Relu(Neg(x))) (factor 1), Relu(Neg(x)) (factor -1) */
        double factor = 0;
        int chain[3] = {-1, -1, -1};
        int sub = chain_from(c, t, "Sub", mul);
        if (sub >= 0) {
            const nn_node *sn = &g->nodes[sub];
            int ax;
            if (inputs_are(sn, 2) && one_output(sn) && !node_act(sn) && sn->in[0] == x) {
                int ab = unary_of(c, sn->in[1], "Abs", sub, &ax);
                if (ab >= 0 && ax == x) {
                    factor = 2;
                    chain[0] = sub;
                    chain[1] = ab;
                }
            }
        } else {
            int y1, y2, y3;
            int neg2 = unary_of(c, t, "Neg", mul, &y1);
            if (neg2 >= 0) {
                int r2 = unary_of(c, y1, "Relu", neg2, &y2);
                int neg1 = r2 >= 0 ? unary_of(c, y2, "Neg", r2, &y3) : -1;
                if (neg1 >= 0 && y3 == x) {
                    factor = 1;
                    chain[0] = neg2;
                    chain[1] = r2;
                    chain[2] = neg1;
                }
            } else {
                int r2 = unary_of(c, t, "Relu", mul, &y1);
                int neg1 = r2 >= 0 ? unary_of(c, y1, "Neg", r2, &y2) : -1;
                if (neg1 >= 0 && y2 == x) {
                    factor = -1;
                    chain[0] = r2;
                    chain[1] = neg1;
                }
            }
        }
        if (factor == 0) continue;
        /* x's producer fixes the channel axis, so the slopes are known to broadcast as the Mul
         * did without enlarging x */
        int px = x >= 0 ? g->vals[x].producer : -1;
        chan_geom cg;
        if (px < 0 || c->dead[px] || !output_geom(g, &g->nodes[px], &cg) || cg.M < 1) continue;
        float *sl = malloc((size_t)cg.M * sizeof(float));
        if (!sl) return oom();
        int ok = chan_const(g, cv, &cg, sl);
        for (int64_t m = 0; ok && m < cg.M; m++) {
            sl[m] = (float)(sl[m] * factor); /* exact: factor is ±1 or 2 */
            ok = isfinite(sl[m]);
        }
        int sv = -1;
        fsift_status st = ok ? new_vec(g, sl, cg.M, &sv) : FSIFT_OK;
        free(sl);
        if (st) return st;
        if (!ok) continue;
        /* PRelu's slope [M] broadcasts on the last axis: reshape it as the channel axis needs */
        if (cg.rank > 0 && cg.axis != cg.rank - 1) {
            int64_t d[NN_MAX_RANK];
            int r = cg.rank - cg.axis;
            d[0] = cg.M;
            for (int i = 1; i < r; i++) d[i] = 1;
            g->vals[sv].rank = r;
            memcpy(g->vals[sv].dims, d, sizeof(int64_t) * (size_t)r);
        }
        int in[2] = {x, sv};
        if ((st = retype(g, q, "PRelu", in, 2))) return st;
        kill_node(c, relu);
        kill_node(c, mul);
        for (int i = 0; i < 3; i++)
            if (chain[i] >= 0) kill_node(c, chain[i]);
        c->touched[q] = 1;
        *done = 1;
        return FSIFT_OK;
    }
    return FSIFT_OK;
}

/* ---- rule 5: softmax written out ------------------------------------------------------------ */

/* The single reduction axis of a ReduceMax/ReduceSum node (attribute or constant input) with
 * keepdims 1; 0 if not of that form. */
static int reduce_axis(const nn_graph *g, const nn_node *n, int64_t *axis) {
    if (!one_output(n) || node_act(n) || nn_attr_int(n, "keepdims", 1) != 1) return 0;
    int cnt;
    const int64_t *ax = nn_attr_ints(n, "axes", &cnt);
    int ui = used_inputs(n);
    if (ax) {
        if (cnt != 1 || ui != 1) return 0;
        *axis = ax[0];
        return 1;
    }
    if (ui != 2) return 0;
    const nn_value *v = &g->vals[n->in[1]];
    if (v->kind != NN_VAL_CONST || nn_numel(v->rank, v->dims) != 1) return 0;
    if (v->dtype == FSIFT_DTYPE_INT64) *axis = *(const int64_t *)v->data;
    else if (v->dtype == FSIFT_DTYPE_INT32) *axis = *(const int32_t *)v->data;
    else return 0;
    return 1;
}

static fsift_status rule_softmax(opt_ctx *c, int q, int *done) {
    nn_graph *g = c->g;
    const nn_node *n = &g->nodes[q];
    if (!is_op(n, "Div") || !inputs_are(n, 2) || !one_output(n) || node_act(n)) return FSIFT_OK;
    int e = n->in[0], s = n->in[1];
    int sum = chain_from(c, s, "ReduceSum", q);
    int ex = producer_of(c, e, "Exp");
    if (sum < 0 || ex < 0 || g->nodes[sum].n_in < 1 || g->nodes[sum].in[0] != e) return FSIFT_OK;
    /* e is consumed exactly by the ReduceSum and the Div */
    if (e >= c->cap_vals || g->vals[e].is_output || c->ncons[e] != 2) return FSIFT_OK;
    for (int i = c->cons_start[e]; i < c->cons_start[e] + 2; i++)
        if (c->cons[i] != sum && c->cons[i] != q) return FSIFT_OK;
    const nn_node *en = &g->nodes[ex];
    if (!inputs_are(en, 1) || !one_output(en) || node_act(en)) return FSIFT_OK;
    int d = en->in[0];
    int sub = chain_from(c, d, "Sub", ex);
    if (sub < 0) return FSIFT_OK;
    const nn_node *sn = &g->nodes[sub];
    if (!inputs_are(sn, 2) || !one_output(sn) || node_act(sn)) return FSIFT_OK;
    int x = sn->in[0];
    int mx = chain_from(c, sn->in[1], "ReduceMax", sub);
    if (mx < 0 || g->nodes[mx].n_in < 1 || g->nodes[mx].in[0] != x) return FSIFT_OK;
    int64_t a1, a2;
    if (!reduce_axis(g, &g->nodes[mx], &a1) || !reduce_axis(g, &g->nodes[sum], &a2)) return FSIFT_OK;
    /* x float32 with a known rank: produced by a Conv or Gemm */
    int px = x >= 0 ? g->vals[x].producer : -1;
    chan_geom cg;
    if (px < 0 || c->dead[px] || !output_geom(g, &g->nodes[px], &cg) || cg.rank < 1) return FSIFT_OK;
    if (a1 < -cg.rank || a1 >= cg.rank || a2 < -cg.rank || a2 >= cg.rank) return FSIFT_OK;
    if (a1 < 0) a1 += cg.rank;
    if (a2 < 0) a2 += cg.rank;
    if (a1 != a2 || (g->opset < 13 && a1 != cg.rank - 1)) return FSIFT_OK;
    int in[1] = {x};
    fsift_status st = retype(g, q, "Softmax", in, 1);
    if (st) return st;
    if ((st = nn_node_set_int(g, q, "axis", a1))) return st;
    kill_node(c, sum);
    kill_node(c, ex);
    kill_node(c, sub);
    kill_node(c, mx);
    c->touched[q] = 1;
    *done = 1;
    return FSIFT_OK;
}

/* ---- driver -------------------------------------------------------------------------------- */

/* A constant named by a TENSOR attribute (ConstantOfShape's value, an activation_slope) is
 * a use too: own_const must not rewrite it in place. */
static int attr_tensor(const nn_graph *g, const nn_attr *a) {
    return a->type == NN_ATTR_TENSOR && a->i >= 0 && a->i < g->n_vals ? (int)a->i : -1;
}

static fsift_status build_consumers(opt_ctx *c) {
    nn_graph *g = c->g;
    memset(c->ncons, 0, sizeof(int) * (size_t)g->n_vals);
    int edges = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (c->dead[i]) continue;
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] >= 0) {
                c->ncons[g->nodes[i].in[k]]++;
                edges++;
            }
        for (int k = 0; k < g->nodes[i].n_attr; k++) {
            int v = attr_tensor(g, &g->nodes[i].attrs[k]);
            if (v >= 0) {
                c->ncons[v]++;
                edges++;
            }
        }
    }
    free(c->cons);
    c->cons = malloc(sizeof(int) * (size_t)(edges + 1));
    if (!c->cons) return oom();
    int acc = 0;
    for (int v = 0; v < g->n_vals; v++) {
        c->cons_start[v] = acc;
        acc += c->ncons[v];
    }
    c->cons_start[g->n_vals] = acc;
    int *fill = calloc((size_t)g->n_vals + 1, sizeof *fill);
    if (!fill) return oom();
    for (int i = 0; i < g->n_nodes; i++) {
        if (c->dead[i]) continue;
        for (int k = 0; k < g->nodes[i].n_in; k++) {
            int v = g->nodes[i].in[k];
            if (v >= 0) c->cons[c->cons_start[v] + fill[v]++] = i;
        }
        for (int k = 0; k < g->nodes[i].n_attr; k++) {
            int v = attr_tensor(g, &g->nodes[i].attrs[k]);
            if (v >= 0) c->cons[c->cons_start[v] + fill[v]++] = i;
        }
    }
    free(fill);
    return FSIFT_OK;
}

/* Nodes in order, every input defined before use, every value produced once. */
static fsift_status verify(const nn_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        const nn_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++) {
            int v = n->in[k];
            if (v < -1 || v >= g->n_vals) return fsift_error(FSIFT_E_INTERNAL, "graph optimiser: bad input");
            if (v >= 0 && g->vals[v].kind == NN_VAL_ACT && (g->vals[v].producer < 0 || g->vals[v].producer >= i))
                return fsift_error(FSIFT_E_INTERNAL, "graph optimiser: node '%s' reads '%s' before it is made",
                                   n->name, g->vals[v].name);
        }
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0 && g->vals[n->out[k]].producer != i)
                return fsift_error(FSIFT_E_INTERNAL, "graph optimiser: output '%s' of node '%s' lost",
                                   g->vals[n->out[k]].name, n->name);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const nn_value *v = &g->vals[g->outputs[i]];
        if (v->kind == NN_VAL_ACT && v->producer < 0)
            return fsift_error(FSIFT_E_INTERNAL, "graph optimiser: graph output '%s' lost", v->name);
    }
    return FSIFT_OK;
}

fsift_status nn_graph_optimize(nn_graph *g) {
    if (!g || g->n_nodes == 0) return FSIFT_OK;
    opt_ctx c;
    memset(&c, 0, sizeof c);
    c.g = g;
    const int nn = g->n_nodes;
    c.dead = calloc((size_t)nn + 1, 1);
    c.touched = calloc((size_t)nn + 1, 1);
    fsift_status st = FSIFT_OK;
    if (!c.dead || !c.touched) {
        st = oom();
        goto done;
    }
    for (int pass = 0; pass < MAX_PASSES; pass++) {
        /* value arrays follow g->n_vals, which grows as rewrites add constants */
        free(c.ncons);
        free(c.cons_start);
        c.ncons = calloc((size_t)g->n_vals + 1, sizeof(int));
        c.cons_start = calloc((size_t)g->n_vals + 2, sizeof(int));
        if (!c.ncons || !c.cons_start) {
            st = oom();
            goto done;
        }
        c.cap_vals = g->n_vals;
        if ((st = build_consumers(&c))) goto done;
        memset(c.touched, 0, (size_t)nn);
        c.changed = 0;
        for (int q = 0; q < nn && !st; q++) {
            if (!alive(&c, q)) continue;
            int done = 0;
            st = rule_bn(&c, q, &done);
            if (!st && !done) st = rule_affine(&c, q, &done);
            if (!st && !done) st = rule_prelu_pattern(&c, q, &done);
            if (!st && !done) st = rule_residual(&c, q, &done);
            if (!st && !done) st = rule_act(&c, q, &done);
            if (!st && !done) st = rule_softmax(&c, q, &done);
        }
        if (st || !c.changed) break;
    }
    if (st) goto done;
    /* compact: drop dead nodes, keep the order */
    int j = 0;
    for (int i = 0; i < nn; i++) {
        if (c.dead[i]) continue;
        if (j != i) g->nodes[j] = g->nodes[i];
        for (int k = 0; k < g->nodes[j].n_out; k++)
            if (g->nodes[j].out[k] >= 0) g->vals[g->nodes[j].out[k]].producer = j;
        j++;
    }
    g->n_nodes = j;
    st = verify(g);
done:
    free(c.dead);
    free(c.touched);
    free(c.ncons);
    free(c.cons_start);
    free(c.cons);
    return st;
}
