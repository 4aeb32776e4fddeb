/*
 * model.c — fsift_model: a finalized graph plus what `model info` reports (op counts,
 * parameter count), and the accessors for graph inputs and outputs.
 *
 * A model is immutable once made; any number of sessions on any threads may share it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"

typedef struct op_count {
    const char *name;
    int count;
} op_count;

static int cmp_op_count(const void *a, const void *b) {
    const op_count *x = a, *y = b;
    if (x->count != y->count) return y->count - x->count;
    return strcmp(x->name, y->name);
}

fsift_status nn_model_from_graph(nn_graph *g, fsift_model **out) {
    *out = NULL;
    fsift_model *m = calloc(1, sizeof *m);
    op_count *counts = calloc((size_t)g->n_nodes + 1, sizeof *counts);
    if (!m || !counts) {
        free(m);
        free(counts);
        nn_graph_free(g);
        return fsift_error(FSIFT_E_NOMEM, "model: out of memory");
    }
    m->g = g;
    int nc = 0;
    size_t len = 1;
    for (int i = 0; i < g->n_nodes; i++) {
        int j = 0;
        while (j < nc && strcmp(counts[j].name, g->nodes[i].op_type)) j++;
        if (j == nc) {
            counts[nc].name = g->nodes[i].op_type;
            nc++;
            len += strlen(g->nodes[i].op_type) + 16;
        }
        counts[j].count++;
    }
    qsort(counts, (size_t)nc, sizeof *counts, cmp_op_count);
    m->op_counts = malloc(len);
    if (!m->op_counts) {
        free(counts);
        fsift_model_free(m);
        return fsift_error(FSIFT_E_NOMEM, "model: out of memory");
    }
    size_t o = 0;
    m->op_counts[0] = 0;
    for (int j = 0; j < nc; j++)
        o += (size_t)snprintf(m->op_counts + o, len - o, "%s%s=%d", j ? " " : "", counts[j].name, counts[j].count);
    free(counts);
    for (int v = 0; v < g->n_vals; v++)
        if (g->vals[v].kind == NN_VAL_CONST) m->num_params += nn_numel(g->vals[v].rank, g->vals[v].dims);
    *out = m;
    return FSIFT_OK;
}

void fsift_model_free(fsift_model *m) {
    if (!m) return;
    nn_graph_free(m->g);
    free(m->op_counts);
    free(m);
}

int fsift_model_num_inputs(const fsift_model *m) { return m->g->n_inputs; }
int fsift_model_num_outputs(const fsift_model *m) { return m->g->n_outputs; }
fsift_model_format fsift_model_get_format(const fsift_model *m) { return (fsift_model_format)m->g->format; }

static void io_info(const nn_value *v, fsift_io_info *info) {
    memset(info, 0, sizeof *info);
    info->name = v->name;
    info->dtype = v->dtype;
    info->rank = v->rank < 0 ? 0 : v->rank;
    for (int d = 0; d < info->rank; d++) info->dims[d] = v->dims[d];
}

fsift_status fsift_model_input(const fsift_model *m, int i, fsift_io_info *info) {
    if (i < 0 || i >= m->g->n_inputs) return fsift_error(FSIFT_E_INVALID_ARG, "input %d of %d", i, m->g->n_inputs);
    io_info(&m->g->vals[m->g->inputs[i]], info);
    return FSIFT_OK;
}

fsift_status fsift_model_output(const fsift_model *m, int i, fsift_io_info *info) {
    if (i < 0 || i >= m->g->n_outputs) return fsift_error(FSIFT_E_INVALID_ARG, "output %d of %d", i, m->g->n_outputs);
    io_info(&m->g->vals[m->g->outputs[i]], info);
    /* output shapes are known only after planning: report rank -1 dims as unknown */
    if (m->g->vals[m->g->outputs[i]].rank < 0) info->rank = -1;
    return FSIFT_OK;
}

fsift_status fsift_model_summarize(const fsift_model *m, fsift_model_summary *out) {
    memset(out, 0, sizeof *out);
    out->format = m->g->format == FSIFT_MODEL_TFLITE ? "tflite" : "onnx";
    out->producer = m->g->producer ? m->g->producer : "";
    out->opset = m->g->opset;
    out->num_nodes = m->g->n_nodes;
    out->num_params = m->num_params;
    out->param_bytes = (int64_t)m->g->const_bytes;
    out->op_counts = m->op_counts;
    return FSIFT_OK;
}
