/*
 * session.c — the public session API: create, plan, run, read outputs.
 *
 * Run: if the input shapes differ from the current plan's, re-plan (the model's weights and
 * packed state are untouched). A graph whose ops need an input's values at plan time (a
 * Reshape fed its shape as a graph input) is planned by those values and re-planned when
 * they change. Inputs are used in place (borrowed, read-only). Nodes folded
 * at plan time are skipped; every other node runs its kernel with the session's pool.
 */
#include <stdlib.h>
#include <string.h>

#include "exec.h"

fsift_status fsift_session_new(const fsift_model *model, int nthreads, fsift_session **out) {
    *out = NULL;
    if (!model) return fsift_error(FSIFT_E_INVALID_ARG, "session: no model");
    fsift_session *s = calloc(1, sizeof *s);
    if (!s) return fsift_error(FSIFT_E_NOMEM, "session: out of memory");
    s->model = model;
    fsift_status st = fsift_pool_new(nthreads, &s->pool);
    if (st) {
        free(s);
        return st;
    }
    s->nthreads = fsift_pool_size(s->pool);
    *out = s;
    return FSIFT_OK;
}

void fsift_session_free(fsift_session *s) {
    if (!s) return;
    nn_plan_free(&s->plan);
    fsift_pool_free(s->pool);
    free(s);
}

fsift_status fsift_session_plan(fsift_session *s, const fsift_tensor *inputs, int n_inputs) {
    if (!s || (n_inputs && !inputs)) return fsift_error(FSIFT_E_INVALID_ARG, "session_plan: bad arguments");
    if (nn_plan_matches(&s->plan, s->model->g, inputs, n_inputs)) return FSIFT_OK;
    return nn_plan_build(s, inputs, n_inputs, 0);
}

/* Plans for a run: by shape, or — when an op needs an input's values at plan time, which
 * shows as FSIFT_E_UNSUPPORTED — by the values of the small integer inputs. The session
 * remembers that, so later runs plan by value straight away. */
static fsift_status plan_for_run(fsift_session *s, const fsift_tensor *inputs, int n_inputs) {
    const nn_graph *g = s->model->g;
    if (nn_plan_matches(&s->plan, g, inputs, n_inputs)) return FSIFT_OK;
    uint64_t cand = nn_plan_value_candidates(g, inputs, n_inputs);
    fsift_status st = nn_plan_build(s, inputs, n_inputs, s->value_mask & cand);
    if (st == FSIFT_E_UNSUPPORTED && (cand & ~s->value_mask)) {
        s->value_mask |= cand;
        st = nn_plan_build(s, inputs, n_inputs, cand);
    }
    return st;
}

fsift_status fsift_session_run(fsift_session *s, const fsift_tensor *inputs, int n_inputs) {
    if (!s || (n_inputs && !inputs)) return fsift_error(FSIFT_E_INVALID_ARG, "session_run: bad arguments");
    fsift_status st = plan_for_run(s, inputs, n_inputs);
    if (st) return st;
    const nn_graph *g = s->model->g;
    nn_plan *p = &s->plan;
    for (int i = 0; i < n_inputs; i++) {
        if (!inputs[i].data && nn_numel(inputs[i].rank, inputs[i].dims) > 0)
            return fsift_error(FSIFT_E_INVALID_ARG, "input %d has no data", i);
        p->vt[g->inputs[i]].data = inputs[i].data;
    }
    for (int ni = 0; ni < g->n_nodes; ni++) {
        if (p->folded[ni]) continue;
        nn_kctx *k = &p->kctx[ni];
        st = nn_op_get(g->nodes[ni].op)->run(k);
        if (st) {
            if (strncmp(fsift_last_error(), g->nodes[ni].op_type, strlen(g->nodes[ni].op_type)))
                fsift_error_prefix("%s (node '%s')", g->nodes[ni].op_type, g->nodes[ni].name);
            return st;
        }
    }
    return FSIFT_OK;
}

fsift_status fsift_session_output(const fsift_session *s, int i, fsift_tensor *out) {
    const nn_graph *g = s->model->g;
    if (!s->plan.valid) return fsift_error(FSIFT_E_INVALID_ARG, "session has not run yet");
    if (i < 0 || i >= g->n_outputs) return fsift_error(FSIFT_E_INVALID_ARG, "output %d of %d", i, g->n_outputs);
    *out = s->plan.vt[g->outputs[i]];
    return FSIFT_OK;
}

size_t fsift_session_peak_bytes(const fsift_session *s) { return s->plan.arena_size + s->plan.scratch_size; }
size_t fsift_session_naive_bytes(const fsift_session *s) { return s->plan.naive_size + s->plan.scratch_size; }
