/*
 * exec.h — internal structures shared by model.c, plan.c and session.c.
 *
 * fsift_model wraps the finalized graph. fsift_session holds one plan: per-value tensors
 * (vt), a prepared nn_kctx per node, the activation arena laid out by the planner, and the
 * scratch buffer. A plan is valid for one set of input shapes; plan_build makes a new one.
 */
#ifndef FSIFT_NN_EXEC_H
#define FSIFT_NN_EXEC_H

#include "ops.h"

struct fsift_model {
    nn_graph *g;
    char *op_counts;     /* "Conv=3 Relu=2", malloc'd */
    int64_t num_params;
};

typedef struct plan_block plan_block;

typedef struct nn_plan {
    int valid;
    nn_tensor *vt;           /* per value */
    unsigned char *known;    /* per value: data known at plan time (const / folded) */
    nn_kctx *kctx;           /* per node */
    unsigned char *folded;   /* per node: computed at plan time, skipped at run */
    unsigned char *arena;    /* activation arena (64-byte aligned) */
    size_t arena_size;       /* planned peak */
    size_t naive_size;       /* sum of all activation buffers */
    void *scratch;
    size_t scratch_size;
    plan_block *blocks;      /* plan-lifetime allocations (op state, folded values) */
    int64_t in_dims[64][FSIFT_MAX_RANK]; /* input shapes the plan was made for */
    int in_rank[64];
    uint64_t value_mask;     /* inputs whose values the plan was made for (bit i = input i) */
    void *in_vals[64];       /* copies of those values (plan blocks) */
    size_t in_val_bytes[64];
} nn_plan;

struct fsift_session {
    const fsift_model *model;
    fsift_pool *pool;
    int nthreads;
    nn_plan plan;
    uint64_t value_mask;     /* inputs that must be planned by value (learned on first run) */
};

/* Wraps a finalized graph into a model (takes ownership of g, also on failure). */
fsift_status nn_model_from_graph(nn_graph *g, fsift_model **out);

/* Builds a plan for the given input shapes in s->plan, replacing the old one. Inputs in
 * value_mask are planned by value: their data is copied into the plan and treated as known,
 * so ops that need an input's values at plan time (a Reshape whose shape is a graph input)
 * can be planned; the plan then matches only those values. Other inputs' data is ignored. */
fsift_status nn_plan_build(fsift_session *s, const fsift_tensor *inputs, int n_inputs, uint64_t value_mask);
void nn_plan_free(nn_plan *p);
/* 1 if the plan was made for exactly these input shapes (and values, for inputs planned by
 * value). */
int nn_plan_matches(const nn_plan *p, const nn_graph *g, const fsift_tensor *inputs, int n_inputs);
/* Inputs that can be planned by value: integer tensors of at most 1024 elements and float32
 * tensors of at most 16 (scales), with data. */
uint64_t nn_plan_value_candidates(const nn_graph *g, const fsift_tensor *inputs, int n_inputs);

#endif
