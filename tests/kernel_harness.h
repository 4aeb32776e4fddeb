/*
 * kernel_harness.h — runs one operator node by hand, the way the executor would: a context
 * (nn_kctx) filled from a kh_call, the op's infer (shape inference, algorithm choice, packing
 * into a private plan), output buffers allocated from the inferred shapes (filled with 0xAB
 * so that an unwritten element shows), scratch as infer asked, then run. Shared by the
 * operator tests (test_conv, test_gemm, test_optimize, test_elementwise, test_shape_ops).
 */
#ifndef FSIFT_TEST_KERNEL_HARNESS_H
#define FSIFT_TEST_KERNEL_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include "facesift/core.h"
#include "nn/exec.h"
#include "nn/graph.h"
#include "nn/ops.h"

typedef struct kh_call {
    const nn_op_def *def;       /* NULL: the node's own op (nn_op_get(node->op)) */
    const nn_graph *g;          /* may be NULL for ops that never look at the graph */
    const nn_node *node;
    int opset;                  /* 0: 13 */
    const fsift_cpu *cpu;       /* NULL: fsift_cpu_get() */
    fsift_pool *pool;           /* NULL: one thread */
    int nthreads;
    int n_in, n_out;            /* n_out 0: 1 */
    nn_tensor *in[NN_MAX_IO];   /* NULL: an absent optional input */
    int hide[NN_MAX_IO];        /* 1: input i's data is hidden from infer (known only at run) */
    nn_tensor *out[NN_MAX_IO];  /* filled in; data malloc'd, the caller frees it */
} kh_call;

/* infer, allocate, run. Returns the first failing status; outputs allocated so far stay
 * owned by the caller. */
static inline fsift_status kh_run(const kh_call *c) {
    const nn_op_def *def = c->def ? c->def : nn_op_get(c->node->op);
    if (!def) return fsift_error(FSIFT_E_UNSUPPORTED, "kernel_harness: no op");
    nn_plan plan;
    memset(&plan, 0, sizeof plan);
    nn_kctx k;
    memset(&k, 0, sizeof k);
    k.g = c->g;
    k.node = c->node;
    k.opset = c->opset ? c->opset : 13;
    k.n_in = c->n_in;
    k.n_out = c->n_out ? c->n_out : 1;
    k.cpu = c->cpu ? c->cpu : fsift_cpu_get();
    k.plan = &plan;
    k.pool = c->pool;
    k.nthreads = c->pool ? (c->nthreads > 0 ? c->nthreads : fsift_pool_size(c->pool)) : 1;
    void *saved[NN_MAX_IO];
    for (int i = 0; i < c->n_in; i++) {
        k.in[i] = c->in[i];
        saved[i] = c->in[i] ? c->in[i]->data : NULL;
        if (c->in[i] && c->hide[i]) c->in[i]->data = NULL;
    }
    for (int i = 0; i < k.n_out; i++) {
        memset(c->out[i], 0, sizeof *c->out[i]);
        k.out[i] = c->out[i];
    }
    fsift_status st = def->infer(&k);
    for (int i = 0; i < c->n_in; i++)
        if (c->in[i]) c->in[i]->data = saved[i];
    if (st) {
        nn_plan_free(&plan);
        return st;
    }
    for (int i = 0; i < k.n_out; i++) {
        int64_t n = fsift_tensor_numel(c->out[i]);
        size_t bytes = (size_t)((n > 0 ? n : 1) + 1) * fsift_dtype_size(c->out[i]->dtype);
        c->out[i]->data = malloc(bytes);
        if (!c->out[i]->data) {
            nn_plan_free(&plan);
            return fsift_error(FSIFT_E_NOMEM, "kernel_harness: out of memory");
        }
        memset(c->out[i]->data, 0xAB, bytes);
    }
    void *scratch = k.scratch_bytes ? aligned_alloc(64, (k.scratch_bytes + 63) / 64 * 64) : NULL;
    k.scratch = scratch;
    st = def->run(&k);
    free(scratch);
    nn_plan_free(&plan);
    return st;
}

#endif
