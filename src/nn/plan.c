/*
 * plan.c — shape inference, constant folding and memory planning for one set of input
 * shapes.
 *
 * 1. Every value gets a tensor (vt): constants point at the graph's data, inputs get the
 *    caller's shapes (checked against the declared static dims and dtype).
 * 2. Nodes are visited in topological order; each op's infer sets its output dtypes and
 *    shapes. A node whose inputs are all known at plan time (constants or folded values), or
 *    whose op depends only on shapes (Shape, Size), is run right away and its outputs become
 *    known values: shape arithmetic (Shape→Gather→Concat→Reshape) disappears from the run.
 * 3. Liveness: each remaining activation lives from its producer to its last consumer (graph
 *    outputs to the end). Buffers are placed in one arena, largest first, each at the lowest
 *    offset that overlaps no placed buffer alive at the same time (greedy by size, as in
 *    most inference runtimes); the arena size is the planned peak.
 * 4. One scratch buffer serves all nodes: its size is the largest request.
 *
 * Limits: every value's byte size and the arena are bounded (FSIFT_MAX_ACTIVATION_BYTES),
 * so a hostile model cannot make the planner allocate without bound.
 */
#include <stdlib.h>
#include <string.h>

#include "exec.h"

#define MAX_VALUE_BYTES ((size_t)1 << 34)  /* 16 GiB for any one tensor */
#define MAX_ARENA_BYTES ((size_t)1 << 35)  /* 32 GiB in all (FSIFT_MAX_ACTIVATION_MB lowers it) */
#define MAX_FOLD_BYTES ((size_t)1 << 30)   /* constant-folded data per plan */

struct plan_block {
    plan_block *next;
    _Alignas(64) unsigned char data[];
};

static void *plan_alloc(nn_plan *p, size_t size) {
    if (size > MAX_ARENA_BYTES) return NULL;
    plan_block *b = aligned_alloc(64, (sizeof *b + size + 63) & ~(size_t)63);
    if (!b) return NULL;
    memset(b->data, 0, size);
    b->next = p->blocks;
    p->blocks = b;
    return b->data;
}

void *nn_kctx_alloc(nn_kctx *k, size_t size) {
    return k->plan ? plan_alloc(k->plan, size) : NULL;
}

void nn_plan_free(nn_plan *p) {
    plan_block *b = p->blocks;
    while (b) {
        plan_block *n = b->next;
        free(b);
        b = n;
    }
    free(p->vt);
    free(p->known);
    free(p->kctx);
    free(p->folded);
    free(p->arena);
    free(p->scratch);
    memset(p, 0, sizeof *p);
}

int nn_plan_matches(const nn_plan *p, const nn_graph *g, const fsift_tensor *in, int n) {
    if (!p->valid || n != g->n_inputs) return 0;
    for (int i = 0; i < n; i++) {
        if (in[i].rank != p->in_rank[i]) return 0;
        for (int d = 0; d < in[i].rank; d++)
            if (in[i].dims[d] != p->in_dims[i][d]) return 0;
        if ((p->value_mask >> i) & 1)
            if (!in[i].data || memcmp(in[i].data, p->in_vals[i], p->in_val_bytes[i])) return 0;
    }
    return 1;
}

uint64_t nn_plan_value_candidates(const nn_graph *g, const fsift_tensor *in, int n) {
    uint64_t mask = 0;
    for (int i = 0; i < n && i < 64 && i < g->n_inputs; i++) {
        int dt = in[i].dtype;
        int64_t numel = nn_numel(in[i].rank, in[i].dims);
        int small_int = (dt == FSIFT_DTYPE_INT64 || dt == FSIFT_DTYPE_INT32) && numel <= 1024;
        int small_float = dt == FSIFT_DTYPE_FLOAT32 && numel <= 16; /* Resize scales, Range */
        if (in[i].data && numel >= 0 && (small_int || small_float)) mask |= (uint64_t)1 << i;
    }
    return mask;
}

static size_t tensor_bytes(const nn_tensor *t, int *ok) {
    int64_t n = nn_numel(t->rank, t->dims);
    size_t esz = fsift_dtype_size(t->dtype);
    *ok = n >= 0 && esz && (uint64_t)n <= MAX_VALUE_BYTES / esz;
    return *ok ? (size_t)n * esz : 0;
}

/* The activation cap: MAX_ARENA_BYTES, or FSIFT_MAX_ACTIVATION_MB from the environment (the
 * fuzz targets set it low so that valid-but-huge models stop at plan time). */
static size_t arena_cap(void) {
    const char *e = getenv("FSIFT_MAX_ACTIVATION_MB");
    if (e && *e) {
        char *end;
        unsigned long long mb = strtoull(e, &end, 10);
        if (!*end && mb > 0 && mb < (MAX_ARENA_BYTES >> 20)) return (size_t)mb << 20;
    }
    return MAX_ARENA_BYTES;
}

typedef struct buf_req {
    int value;
    size_t size;   /* rounded to 64 */
    int first, last;
    size_t offset;
} buf_req;

static int cmp_size_desc(const void *a, const void *b) {
    const buf_req *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? 1 : -1;
    return x->value - y->value;
}

static int cmp_offset(const void *a, const void *b) {
    const buf_req *x = *(buf_req *const *)a, *y = *(buf_req *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

fsift_status nn_plan_build(fsift_session *s, const fsift_tensor *inputs, int n_inputs, uint64_t value_mask) {
    const nn_graph *g = s->model->g;
    nn_plan *p = &s->plan;
    nn_plan_free(p);
    fsift_status st = FSIFT_OK;
    char b1[128], b2[128];

    if (n_inputs != g->n_inputs)
        return fsift_error(FSIFT_E_INVALID_ARG, "model has %d inputs, %d given", g->n_inputs, n_inputs);
    if (n_inputs > 64) return fsift_error(FSIFT_E_UNSUPPORTED, "more than 64 graph inputs");
    int nv = g->n_vals, nn = g->n_nodes;
    p->vt = calloc((size_t)nv + 1, sizeof *p->vt);
    p->known = calloc((size_t)nv + 1, 1);
    p->kctx = calloc((size_t)nn + 1, sizeof *p->kctx);
    p->folded = calloc((size_t)nn + 1, 1);
    int *last_use = malloc(((size_t)nv + 1) * sizeof *last_use);
    buf_req *reqs = NULL;
    buf_req **placed = NULL;
    if (!p->vt || !p->known || !p->kctx || !p->folded || !last_use) {
        st = fsift_error(FSIFT_E_NOMEM, "plan: out of memory");
        goto fail;
    }

    for (int v = 0; v < nv; v++) {
        const nn_value *val = &g->vals[v];
        if (val->kind == NN_VAL_CONST) {
            p->vt[v].dtype = val->dtype;
            p->vt[v].rank = val->rank;
            memcpy(p->vt[v].dims, val->dims, sizeof val->dims);
            p->vt[v].data = val->data;
            p->known[v] = 1;
        }
    }
    for (int i = 0; i < n_inputs; i++) {
        const nn_value *val = &g->vals[g->inputs[i]];
        const fsift_tensor *t = &inputs[i];
        if (t->dtype != val->dtype)
            { st = fsift_error(FSIFT_E_INVALID_ARG, "input '%s' must be %s, got %s", val->name,
                               fsift_dtype_name(val->dtype), fsift_dtype_name(t->dtype)); goto fail; }
        /* TFLite inputs are resizable (as with the TFLite interpreter's ResizeInputTensor):
         * the declared dims are the default, any size of the same rank may be planned. */
        int resizable = g->format == FSIFT_MODEL_TFLITE;
        int bad = t->rank != val->rank;
        for (int d = 0; !bad && d < t->rank; d++)
            bad = t->dims[d] < 0 || t->dims[d] > NN_MAX_DIM ||
                  (!resizable && val->dims[d] >= 0 && val->dims[d] != t->dims[d]);
        if (bad) {
            st = fsift_error(FSIFT_E_SHAPE, "input '%s' has shape %s, the model expects %s (negative = any)",
                             val->name, nn_shape_str(t->rank, t->dims, b1, sizeof b1),
                             nn_shape_str(val->rank, val->dims, b2, sizeof b2));
            goto fail;
        }
        nn_tensor *vt = &p->vt[g->inputs[i]];
        vt->dtype = t->dtype;
        vt->rank = t->rank;
        memcpy(vt->dims, t->dims, sizeof t->dims);
        p->in_rank[i] = t->rank;
        memcpy(p->in_dims[i], t->dims, sizeof t->dims);
        if ((value_mask >> i) & 1) {
            int ok;
            size_t nb = tensor_bytes(t, &ok);
            void *copy = ok && t->data ? plan_alloc(p, nb) : NULL;
            if (!copy) { st = fsift_error(FSIFT_E_NOMEM, "plan: out of memory"); goto fail; }
            memcpy(copy, t->data, nb);
            p->in_vals[i] = copy;
            p->in_val_bytes[i] = nb;
            vt->data = copy;
            p->known[g->inputs[i]] = 1;
        }
    }
    p->value_mask = value_mask;

    /* 2. infer + fold */
    const fsift_cpu *cpu = fsift_cpu_get();
    size_t fold_bytes = 0, fold_cap = arena_cap() < MAX_FOLD_BYTES ? arena_cap() : MAX_FOLD_BYTES;
    int cur = 0, op_error = 0;
    for (int ni = 0; ni < nn; ni++) {
        const nn_node *node = &g->nodes[ni];
        const nn_op_def *def = nn_op_get(node->op);
        cur = ni;
        nn_kctx *k = &p->kctx[ni];
        k->g = g;
        k->node = node;
        k->opset = g->opset;
        k->n_in = node->n_in;
        k->n_out = node->n_out;
        k->cpu = cpu;
        k->plan = p;
        k->pool = s->pool;         /* infer may size per-thread scratch from these */
        k->nthreads = s->nthreads;
        int all_known = 1;
        for (int i = 0; i < node->n_in; i++) {
            k->in[i] = node->in[i] >= 0 ? &p->vt[node->in[i]] : NULL;
            if (node->in[i] >= 0 && !p->known[node->in[i]]) all_known = 0;
        }
        for (int i = 0; i < node->n_out; i++) k->out[i] = node->out[i] >= 0 ? &p->vt[node->out[i]] : NULL;
        st = def->infer(k);
        op_error = 1;
        if (st) goto fail_node;
        op_error = 0;
        for (int i = 0; i < node->n_out; i++) {
            nn_tensor *o = k->out[i];
            if (!o) continue;
            int ok;
            tensor_bytes(o, &ok);
            if (!ok || o->rank < 0 || o->rank > NN_MAX_RANK) {
                st = fsift_error(FSIFT_E_LIMIT, "output %d has shape %s (%s): too large or invalid", i,
                                 nn_shape_str(o->rank < 0 ? 0 : o->rank > NN_MAX_RANK ? NN_MAX_RANK : o->rank, o->dims, b1, sizeof b1),
                                 fsift_dtype_name(o->dtype));
                goto fail_node;
            }
        }
        if ((def->flags & NN_OP_SHAPE_ONLY) || all_known) {
            /* fold now */
            for (int i = 0; i < node->n_out; i++) {
                nn_tensor *o = k->out[i];
                if (!o) continue;
                int ok;
                size_t nb = tensor_bytes(o, &ok);
                fold_bytes += nb;
                if (fold_bytes > fold_cap) {
                    st = fsift_error(FSIFT_E_LIMIT, "constant folding needs more than %zu bytes", fold_cap);
                    goto fail_node;
                }
                o->data = plan_alloc(p, nb);
                if (!o->data) { st = fsift_error(FSIFT_E_NOMEM, "plan: out of memory"); goto fail_node; }
            }
            void *scratch = NULL;
            if (k->scratch_bytes) {
                scratch = aligned_alloc(64, (k->scratch_bytes + 63) & ~(size_t)63);
                if (!scratch) { st = fsift_error(FSIFT_E_NOMEM, "plan: out of memory for scratch"); goto fail_node; }
            }
            k->scratch = scratch;
            st = def->run(k);
            free(scratch);
            k->scratch = NULL;
            op_error = 1;
            if (st) goto fail_node;
            op_error = 0;
            p->folded[ni] = 1;
            for (int i = 0; i < node->n_out; i++)
                if (node->out[i] >= 0) p->known[node->out[i]] = 1;
        }
    }

    /* 3. liveness */
    for (int v = 0; v < nv; v++) last_use[v] = -1;
    for (int ni = 0; ni < nn; ni++) {
        if (p->folded[ni]) continue;
        const nn_node *node = &g->nodes[ni];
        for (int i = 0; i < node->n_in; i++)
            if (node->in[i] >= 0) last_use[node->in[i]] = ni;
    }
    for (int i = 0; i < g->n_outputs; i++) last_use[g->outputs[i]] = nn;
    int nreq = 0;
    reqs = calloc((size_t)nv + 1, sizeof *reqs);
    if (!reqs) { st = fsift_error(FSIFT_E_NOMEM, "plan: out of memory"); goto fail; }
    size_t naive = 0, max_scratch = 0;
    for (int ni = 0; ni < nn; ni++) {
        if (p->folded[ni]) continue;
        const nn_node *node = &g->nodes[ni];
        if (p->kctx[ni].scratch_bytes > max_scratch) max_scratch = p->kctx[ni].scratch_bytes;
        for (int i = 0; i < node->n_out; i++) {
            int v = node->out[i];
            if (v < 0) continue;
            int ok;
            size_t nb = (tensor_bytes(&p->vt[v], &ok) + 63) & ~(size_t)63;
            buf_req *r = &reqs[nreq++];
            r->value = v;
            r->size = nb ? nb : 64;
            r->first = ni;
            r->last = last_use[v] > ni ? last_use[v] : ni;
            naive += r->size;
        }
    }
    qsort(reqs, (size_t)nreq, sizeof *reqs, cmp_size_desc);
    placed = malloc(((size_t)nreq + 1) * sizeof *placed);
    if (!placed) { st = fsift_error(FSIFT_E_NOMEM, "plan: out of memory"); goto fail; }
    size_t arena = 0, cap = arena_cap();
    for (int r = 0; r < nreq; r++) {
        /* collect placed buffers overlapping in time, sorted by offset; take the first gap */
        int nc = 0;
        for (int q = 0; q < r; q++)
            if (reqs[q].first <= reqs[r].last && reqs[r].first <= reqs[q].last) placed[nc++] = &reqs[q];
        qsort(placed, (size_t)nc, sizeof *placed, cmp_offset);
        size_t off = 0;
        for (int c = 0; c < nc; c++) {
            if (placed[c]->offset >= off + reqs[r].size) break;
            size_t end = placed[c]->offset + placed[c]->size;
            if (end > off) off = end;
        }
        reqs[r].offset = off;
        if (off + reqs[r].size > arena) arena = off + reqs[r].size;
        if (arena > cap) {
            st = fsift_error(FSIFT_E_LIMIT, "activations need more than %zu bytes", cap);
            goto fail;
        }
    }
    p->arena = aligned_alloc(64, arena ? arena : 64);
    if (!p->arena) { st = fsift_error(FSIFT_E_NOMEM, "plan: cannot allocate %zu bytes of activations", arena); goto fail; }
    for (int r = 0; r < nreq; r++) p->vt[reqs[r].value].data = p->arena + reqs[r].offset;
    p->arena_size = arena;
    p->naive_size = naive;
    if (max_scratch) {
        if (max_scratch > cap) { st = fsift_error(FSIFT_E_LIMIT, "scratch of %zu bytes requested", max_scratch); goto fail; }
        p->scratch = aligned_alloc(64, (max_scratch + 63) & ~(size_t)63);
        if (!p->scratch) { st = fsift_error(FSIFT_E_NOMEM, "plan: cannot allocate %zu bytes of scratch", max_scratch); goto fail; }
    }
    p->scratch_size = max_scratch;
    for (int ni = 0; ni < nn; ni++) {
        p->kctx[ni].scratch = p->scratch;
        p->kctx[ni].pool = s->pool;
        p->kctx[ni].nthreads = s->nthreads;
    }
    free(last_use);
    free(reqs);
    free(placed);
    p->valid = 1;
    return FSIFT_OK;

fail_node:
    (void)op_error;
    if (strncmp(fsift_last_error(), g->nodes[cur].op_type, strlen(g->nodes[cur].op_type)))
        fsift_error_prefix("%s (node '%s')", g->nodes[cur].op_type, g->nodes[cur].name);
fail:
    free(last_use);
    free(reqs);
    free(placed);
    nn_plan_free(p);
    return st;
}
