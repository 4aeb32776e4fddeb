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
} nn_plan;

struct fsift_session {
    const fsift_model *model;
    fsift_pool *pool;
    int nthreads;
    nn_plan plan;
};

/* Wraps a finalized graph into a model (takes ownership of g, also on failure). */
fsift_status nn_model_from_graph(nn_graph *g, fsift_model **out);

/* Builds a plan for the given input shapes (data ignored) in s->plan, replacing the old one. */
fsift_status nn_plan_build(fsift_session *s, const fsift_tensor *inputs, int n_inputs);
void nn_plan_free(nn_plan *p);
/* 1 if the plan was made for exactly these input shapes. */
int nn_plan_matches(const nn_plan *p, const nn_graph *g, const fsift_tensor *inputs, int n_inputs);

#endif
