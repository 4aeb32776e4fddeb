/*
 * graph.c — building, validating and querying the graph IR (see graph.h).
 *
 * Memory: a chunked bump arena (64-byte aligned blocks, zeroed) owns all names, attribute
 * arrays and constant data; nn_graph_free releases the chunks. Node and value arrays grow by
 * doubling. A name → value index hash map (open addressing, FNV-1a) makes lookups O(1), so
 * loading a graph with 100k values stays linear.
 *
 * Finalize: checks every node input refers to a defined value (input, constant, or produced
 * by some node), that graph outputs are defined, resolves op types against the op table
 * (collecting every unsupported op into one message), and sorts nodes topologically with
 * Kahn's algorithm — a cycle leaves nodes unsorted and is reported. Then the graph optimiser
 * fuses operators (optimize.c; off with FSIFT_NO_FUSE=1), and each op's pack hook runs once.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "ops.h"

#define ARENA_CHUNK ((size_t)1 << 16)

struct nn_arena_chunk {
    nn_arena_chunk *next;
    size_t used, cap;
    _Alignas(64) unsigned char data[];
};

typedef struct name_map {
    int *slots; /* value index + 1; 0 = empty */
    size_t cap; /* power of two */
    size_t count;
} name_map;

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

fsift_status nn_graph_new(nn_graph **out) {
    nn_graph *g = calloc(1, sizeof *g);
    name_map *m = calloc(1, sizeof *m);
    if (!g || !m) {
        free(g);
        free(m);
        return fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
    }
    g->name_index = m;
    g->producer = "";
    *out = g;
    return FSIFT_OK;
}

void nn_graph_free(nn_graph *g) {
    if (!g) return;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].packed && g->nodes[i].packed_free) g->nodes[i].packed_free(g->nodes[i].packed);
    nn_arena_chunk *c = g->arena;
    while (c) {
        nn_arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    name_map *m = g->name_index;
    if (m) free(m->slots);
    free(m);
    free(g->vals);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    free(g);
}

void *nn_graph_alloc(nn_graph *g, size_t size) {
    if (size > ((size_t)1 << 40)) return NULL;
    size = (size + 63) & ~(size_t)63;
    if (size == 0) size = 64;
    nn_arena_chunk *c = g->arena;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > ARENA_CHUNK / 2 ? size : ARENA_CHUNK;
        nn_arena_chunk *n = aligned_alloc(64, (sizeof *n + cap + 63) & ~(size_t)63);
        if (!n) return NULL;
        n->used = 0;
        n->cap = cap;
        if (size > ARENA_CHUNK / 2 && c) {
            /* big block: keep the current small chunk at the head for further small allocs */
            n->next = c->next;
            c->next = n;
        } else {
            n->next = c;
            g->arena = n;
        }
        c = n;
    }
    void *p = c->data + c->used;
    c->used += size;
    g->arena_bytes += size;
    memset(p, 0, size);
    return p;
}

const char *nn_graph_strdup(nn_graph *g, const char *s, size_t len) {
    char *p = nn_graph_alloc(g, len + 1);
    if (!p) return NULL;
    if (len) memcpy(p, s, len);
    p[len] = 0;
    return p;
}

static fsift_status map_grow(nn_graph *g) {
    name_map *m = g->name_index;
    size_t cap = m->cap ? m->cap * 2 : 256;
    int *slots = calloc(cap, sizeof *slots);
    if (!slots) return fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i]) continue;
        size_t h = hash_str(g->vals[m->slots[i] - 1].name) & (cap - 1);
        while (slots[h]) h = (h + 1) & (cap - 1);
        slots[h] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return FSIFT_OK;
}

int nn_graph_find(const nn_graph *g, const char *name) {
    const name_map *m = g->name_index;
    if (!name || !*name || !m->cap) return -1;
    size_t h = hash_str(name) & (m->cap - 1);
    while (m->slots[h]) {
        if (!strcmp(g->vals[m->slots[h] - 1].name, name)) return m->slots[h] - 1;
        h = (h + 1) & (m->cap - 1);
    }
    return -1;
}

/* Appends a value (name may be NULL/empty: anonymous, not indexed). */
static fsift_status new_value(nn_graph *g, const char *name, int *idx) {
    if (g->n_vals == g->cap_vals) {
        if (g->cap_vals > (1 << 26)) return fsift_error(FSIFT_E_LIMIT, "graph: too many values");
        int cap = g->cap_vals ? g->cap_vals * 2 : 64;
        nn_value *v = realloc(g->vals, (size_t)cap * sizeof *v);
        if (!v) return fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
        g->vals = v;
        g->cap_vals = cap;
    }
    nn_value *v = &g->vals[g->n_vals];
    memset(v, 0, sizeof *v);
    v->rank = -1;
    v->producer = -1;
    v->name = nn_graph_strdup(g, name ? name : "", name ? strlen(name) : 0);
    if (!v->name) return fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
    *idx = g->n_vals++;
    if (name && *name) {
        name_map *m = g->name_index;
        if ((m->count + 1) * 2 > m->cap) {
            fsift_status s = map_grow(g);
            if (s) return s;
        }
        size_t h = hash_str(name) & (m->cap - 1);
        while (m->slots[h]) h = (h + 1) & (m->cap - 1);
        m->slots[h] = *idx + 1;
        m->count++;
    }
    return FSIFT_OK;
}

fsift_status nn_graph_value(nn_graph *g, const char *name, int *idx) {
    *idx = -1;
    if (!name || !*name) return FSIFT_OK;
    int i = nn_graph_find(g, name);
    if (i >= 0) {
        *idx = i;
        return FSIFT_OK;
    }
    return new_value(g, name, idx);
}

int64_t nn_numel(int rank, const int64_t *dims) {
    int64_t n = 1;
    if (rank < 0 || rank > NN_MAX_RANK) return -1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || dims[i] > NN_MAX_DIM) return -1;
        if (dims[i] && n > ((int64_t)1 << 48) / dims[i]) return -1;
        n *= dims[i];
    }
    return n;
}

const char *nn_shape_str(int rank, const int64_t *dims, char *buf, size_t size) {
    size_t n = 0;
    if (size < 3) return "";
    buf[n++] = '[';
    for (int i = 0; i < rank && i < NN_MAX_RANK && n + 24 < size; i++)
        n += (size_t)snprintf(buf + n, size - n, i ? ",%lld" : "%lld", (long long)dims[i]);
    if (n + 2 <= size) buf[n++] = ']';
    buf[n < size ? n : size - 1] = 0;
    return buf;
}

static fsift_status check_shape(const char *what, const char *name, int rank, const int64_t *dims,
                                int allow_dynamic) {
    if (rank < 0 || rank > NN_MAX_RANK)
        return fsift_error(FSIFT_E_UNSUPPORTED, "%s '%s': rank %d not supported (max %d)", what, name, rank, NN_MAX_RANK);
    for (int i = 0; i < rank; i++) {
        if (dims[i] > NN_MAX_DIM)
            return fsift_error(FSIFT_E_LIMIT, "%s '%s': dimension %d is %lld, over the limit", what, name, i, (long long)dims[i]);
        if (dims[i] < 0 && !allow_dynamic)
            return fsift_error(FSIFT_E_FORMAT, "%s '%s': negative dimension %lld", what, name, (long long)dims[i]);
    }
    return FSIFT_OK;
}

fsift_status nn_graph_add_const(nn_graph *g, const char *name, int dtype, int rank,
                                const int64_t *dims, const void *data, size_t nbytes, int *idx) {
    fsift_status s = check_shape("constant", name ? name : "", rank, dims, 0);
    if (s) return s;
    size_t esz = fsift_dtype_size(dtype);
    if (!esz) return fsift_error(FSIFT_E_UNSUPPORTED, "constant '%s': dtype %s not supported", name ? name : "", fsift_dtype_name(dtype));
    int64_t numel = nn_numel(rank, dims);
    if (numel < 0 || (uint64_t)numel > (uint64_t)(SIZE_MAX / esz))
        return fsift_error(FSIFT_E_LIMIT, "constant '%s': element count overflows", name ? name : "");
    if ((size_t)numel * esz != nbytes)
        return fsift_error(FSIFT_E_FORMAT, "constant '%s': %zu bytes of data for shape needing %zu",
                           name ? name : "", nbytes, (size_t)numel * esz);
    int i = name && *name ? nn_graph_find(g, name) : -1;
    if (i >= 0) {
        nn_value *v = &g->vals[i];
        if (v->kind == NN_VAL_CONST || v->kind == NN_VAL_INPUT || v->producer >= 0)
            return fsift_error(FSIFT_E_FORMAT, "value '%s' is defined twice", name);
    } else {
        s = new_value(g, name, &i);
        if (s) return s;
    }
    void *p = nn_graph_alloc(g, nbytes);
    if (!p) return fsift_error(FSIFT_E_NOMEM, "constant '%s': out of memory (%zu bytes)", name ? name : "", nbytes);
    if (data && nbytes) memcpy(p, data, nbytes);
    nn_value *v = &g->vals[i];
    v->kind = NN_VAL_CONST;
    v->dtype = dtype;
    v->rank = rank;
    for (int k = 0; k < rank; k++) v->dims[k] = dims[k];
    v->data = p;
    v->nbytes = nbytes;
    g->const_bytes += nbytes;
    *idx = i;
    return FSIFT_OK;
}

static fsift_status push_int(int **arr, int *n, int *cap, int v) {
    if (*n == *cap) {
        if (*cap > (1 << 24)) return fsift_error(FSIFT_E_LIMIT, "graph: too many inputs/outputs");
        int c = *cap ? *cap * 2 : 8;
        int *a = realloc(*arr, (size_t)c * sizeof *a);
        if (!a) return fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
        *arr = a;
        *cap = c;
    }
    (*arr)[(*n)++] = v;
    return FSIFT_OK;
}

fsift_status nn_graph_add_input(nn_graph *g, int idx, int dtype, int rank, const int64_t *dims,
                                const char *const *dim_names) {
    if (idx < 0 || idx >= g->n_vals) return fsift_error(FSIFT_E_INVALID_ARG, "graph input: bad value index");
    nn_value *v = &g->vals[idx];
    if (v->kind != NN_VAL_ACT || v->producer >= 0)
        return fsift_error(FSIFT_E_FORMAT, "graph input '%s' is also defined elsewhere", v->name);
    fsift_status s = check_shape("graph input", v->name, rank, dims, 1);
    if (s) return s;
    if (!fsift_dtype_size(dtype))
        return fsift_error(FSIFT_E_UNSUPPORTED, "graph input '%s': dtype %s not supported", v->name, fsift_dtype_name(dtype));
    v->kind = NN_VAL_INPUT;
    v->dtype = dtype;
    v->rank = rank;
    for (int k = 0; k < rank; k++) {
        v->dims[k] = dims[k];
        v->dim_names[k] = NULL;
        if (dim_names && dim_names[k]) {
            v->dim_names[k] = nn_graph_strdup(g, dim_names[k], strlen(dim_names[k]));
            if (!v->dim_names[k]) return fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
        }
    }
    return push_int(&g->inputs, &g->n_inputs, &g->cap_inputs, idx);
}

fsift_status nn_graph_add_output(nn_graph *g, int idx) {
    if (idx < 0 || idx >= g->n_vals) return fsift_error(FSIFT_E_INVALID_ARG, "graph output: bad value index");
    g->vals[idx].is_output = 1;
    return push_int(&g->outputs, &g->n_outputs, &g->cap_outputs, idx);
}

fsift_status nn_graph_add_node(nn_graph *g, const char *op_type, const char *domain,
                               const char *name, int n_in, const int *in, int n_out,
                               const int *out, int *node_idx) {
    if (n_in < 0 || n_out < 0 || n_in > NN_MAX_IO || n_out > NN_MAX_IO)
        return fsift_error(FSIFT_E_UNSUPPORTED, "node '%s' (%s): %d inputs / %d outputs, at most %d supported",
                           name ? name : "", op_type ? op_type : "", n_in, n_out, NN_MAX_IO);
    if (g->n_nodes == g->cap_nodes) {
        if (g->cap_nodes > (1 << 24)) return fsift_error(FSIFT_E_LIMIT, "graph: too many nodes");
        int cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
        nn_node *n = realloc(g->nodes, (size_t)cap * sizeof *n);
        if (!n) return fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
        g->nodes = n;
        g->cap_nodes = cap;
    }
    int ni = g->n_nodes;
    nn_node *n = &g->nodes[ni];
    memset(n, 0, sizeof *n);
    n->op = -1;
    n->op_type = nn_graph_strdup(g, op_type ? op_type : "", op_type ? strlen(op_type) : 0);
    n->domain = nn_graph_strdup(g, domain ? domain : "", domain ? strlen(domain) : 0);
    n->name = nn_graph_strdup(g, name ? name : "", name ? strlen(name) : 0);
    n->in = nn_graph_alloc(g, sizeof(int) * (size_t)(n_in ? n_in : 1));
    n->out = nn_graph_alloc(g, sizeof(int) * (size_t)(n_out ? n_out : 1));
    if (!n->op_type || !n->domain || !n->name || !n->in || !n->out)
        return fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
    for (int i = 0; i < n_in; i++) {
        if (in[i] < -1 || in[i] >= g->n_vals)
            return fsift_error(FSIFT_E_FORMAT, "node '%s' (%s): input %d refers to value %d of %d", n->name, n->op_type, i, in[i], g->n_vals);
        n->in[i] = in[i];
    }
    for (int i = 0; i < n_out; i++) {
        if (out[i] < -1 || out[i] >= g->n_vals)
            return fsift_error(FSIFT_E_FORMAT, "node '%s' (%s): output %d refers to value %d of %d", n->name, n->op_type, i, out[i], g->n_vals);
        n->out[i] = out[i];
        if (out[i] < 0) continue;
        nn_value *v = &g->vals[out[i]];
        if (v->producer >= 0 || v->kind != NN_VAL_ACT)
            return fsift_error(FSIFT_E_FORMAT, "node '%s' (%s): value '%s' is defined twice", n->name, n->op_type, v->name);
        for (int j = 0; j < i; j++)
            if (out[j] == out[i])
                return fsift_error(FSIFT_E_FORMAT, "node '%s' (%s): output '%s' listed twice", n->name, n->op_type, v->name);
        v->producer = ni;
    }
    n->n_in = n_in;
    n->n_out = n_out;
    g->n_nodes++;
    if (node_idx) *node_idx = ni;
    return FSIFT_OK;
}

/* ---- attributes ---- */

static nn_attr *attr_slot(nn_graph *g, int node, const char *name, fsift_status *st) {
    *st = FSIFT_OK;
    if (node < 0 || node >= g->n_nodes) {
        *st = fsift_error(FSIFT_E_INVALID_ARG, "attribute on a bad node index");
        return NULL;
    }
    nn_node *n = &g->nodes[node];
    for (int i = 0; i < n->n_attr; i++)
        if (!strcmp(n->attrs[i].name, name)) {
            memset(&n->attrs[i].type, 0, sizeof(nn_attr) - offsetof(nn_attr, type));
            return &n->attrs[i];
        }
    if (n->n_attr >= 4096) {
        *st = fsift_error(FSIFT_E_LIMIT, "node '%s': too many attributes", n->name);
        return NULL;
    }
    /* grow by copying into the arena (attribute lists are short) */
    nn_attr *a = nn_graph_alloc(g, sizeof(nn_attr) * (size_t)(n->n_attr + 1));
    const char *nm = nn_graph_strdup(g, name, strlen(name));
    if (!a || !nm) {
        *st = fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
        return NULL;
    }
    if (n->n_attr) memcpy(a, n->attrs, sizeof(nn_attr) * (size_t)n->n_attr);
    n->attrs = a;
    nn_attr *r = &a[n->n_attr++];
    r->name = nm;
    return r;
}

fsift_status nn_node_set_int(nn_graph *g, int node, const char *name, int64_t v) {
    fsift_status s;
    nn_attr *a = attr_slot(g, node, name, &s);
    if (!a) return s;
    a->type = NN_ATTR_INT;
    a->i = v;
    return FSIFT_OK;
}

fsift_status nn_node_set_float(nn_graph *g, int node, const char *name, float v) {
    fsift_status s;
    nn_attr *a = attr_slot(g, node, name, &s);
    if (!a) return s;
    a->type = NN_ATTR_FLOAT;
    a->f = v;
    return FSIFT_OK;
}

fsift_status nn_node_set_string(nn_graph *g, int node, const char *name, const char *str, size_t len) {
    fsift_status s;
    nn_attr *a = attr_slot(g, node, name, &s);
    if (!a) return s;
    a->type = NN_ATTR_STRING;
    a->s = nn_graph_strdup(g, str, len);
    a->s_len = len;
    return a->s ? FSIFT_OK : fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
}

/* The slot for array attribute `name` plus room for n elements of `elem` bytes in the graph
 * arena (*mem; at least one element, so an empty array still has a pointer). */
static nn_attr *array_slot(nn_graph *g, int node, const char *name, int n, size_t elem, void **mem,
                           fsift_status *st) {
    if (n < 0) {
        *st = fsift_error(FSIFT_E_INVALID_ARG, "attribute '%s': negative count", name);
        return NULL;
    }
    nn_attr *a = attr_slot(g, node, name, st);
    if (!a) return NULL;
    *mem = nn_graph_alloc(g, elem * (size_t)(n ? n : 1));
    if (!*mem) {
        *st = fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
        return NULL;
    }
    a->n = n;
    return a;
}

fsift_status nn_node_set_ints(nn_graph *g, int node, const char *name, const int64_t *v, int n) {
    fsift_status s;
    void *p;
    nn_attr *a = array_slot(g, node, name, n, sizeof(int64_t), &p, &s);
    if (!a) return s;
    if (n) memcpy(p, v, sizeof(int64_t) * (size_t)n);
    a->type = NN_ATTR_INTS;
    a->ints = p;
    return FSIFT_OK;
}

fsift_status nn_node_set_floats(nn_graph *g, int node, const char *name, const float *v, int n) {
    fsift_status s;
    void *p;
    nn_attr *a = array_slot(g, node, name, n, sizeof(float), &p, &s);
    if (!a) return s;
    if (n) memcpy(p, v, sizeof(float) * (size_t)n);
    a->type = NN_ATTR_FLOATS;
    a->floats = p;
    return FSIFT_OK;
}

fsift_status nn_node_set_tensor(nn_graph *g, int node, const char *name, int value_idx) {
    fsift_status s;
    if (value_idx < 0 || value_idx >= g->n_vals || g->vals[value_idx].kind != NN_VAL_CONST)
        return fsift_error(FSIFT_E_INVALID_ARG, "attribute '%s': not a constant", name);
    nn_attr *a = attr_slot(g, node, name, &s);
    if (!a) return s;
    a->type = NN_ATTR_TENSOR;
    a->i = value_idx;
    return FSIFT_OK;
}

fsift_status nn_node_set_strings(nn_graph *g, int node, const char *name, const char *const *v, int n) {
    fsift_status s;
    void *mem;
    nn_attr *a = array_slot(g, node, name, n, sizeof(char *), &mem, &s);
    if (!a) return s;
    const char **p = mem;
    for (int i = 0; i < n; i++) {
        p[i] = nn_graph_strdup(g, v[i], strlen(v[i]));
        if (!p[i]) return fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
    }
    a->type = NN_ATTR_STRINGS;
    a->strings = p;
    return FSIFT_OK;
}

const nn_attr *nn_attr_find(const nn_node *n, const char *name) {
    for (int i = 0; i < n->n_attr; i++)
        if (!strcmp(n->attrs[i].name, name)) return &n->attrs[i];
    return NULL;
}

int64_t nn_attr_int(const nn_node *n, const char *name, int64_t def) {
    const nn_attr *a = nn_attr_find(n, name);
    return a && a->type == NN_ATTR_INT ? a->i : def;
}

float nn_attr_float(const nn_node *n, const char *name, float def) {
    const nn_attr *a = nn_attr_find(n, name);
    if (a && a->type == NN_ATTR_FLOAT) return a->f;
    if (a && a->type == NN_ATTR_INT) return (float)a->i;
    return def;
}

const char *nn_attr_str(const nn_node *n, const char *name, const char *def) {
    const nn_attr *a = nn_attr_find(n, name);
    return a && a->type == NN_ATTR_STRING ? a->s : def;
}

const int64_t *nn_attr_ints(const nn_node *n, const char *name, int *count) {
    const nn_attr *a = nn_attr_find(n, name);
    if (a && a->type == NN_ATTR_INTS) {
        *count = a->n;
        return a->ints;
    }
    *count = 0;
    return NULL;
}

const float *nn_attr_floats(const nn_node *n, const char *name, int *count) {
    const nn_attr *a = nn_attr_find(n, name);
    if (a && a->type == NN_ATTR_FLOATS) {
        *count = a->n;
        return a->floats;
    }
    *count = 0;
    return NULL;
}

/* ---- finalize ---- */

fsift_status nn_graph_finalize(nn_graph *g) {
    /* 1. every input defined, op types known */
    char unsupported[512];
    size_t ul = 0;
    int n_unsup = 0;
    unsupported[0] = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        nn_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++) {
            if (n->in[k] < 0) continue;
            const nn_value *v = &g->vals[n->in[k]];
            if (v->kind == NN_VAL_ACT && v->producer < 0)
                return fsift_error(FSIFT_E_FORMAT, "node '%s' (%s): input '%s' is never defined", n->name, n->op_type, v->name);
        }
        const nn_op_def *def = nn_op_lookup(n->op_type, n->domain);
        if (!def) {
            /* list each unsupported op type once */
            char item[160];
            snprintf(item, sizeof item, "%s%s%s", *n->domain ? n->domain : "", *n->domain ? "." : "", n->op_type);
            if (!strstr(unsupported, item)) {
                n_unsup++;
                if (ul + strlen(item) + 8 < sizeof unsupported)
                    ul += (size_t)snprintf(unsupported + ul, sizeof unsupported - ul, "%s'%s'", ul ? ", " : "", item);
            }
        } else {
            n->op = nn_op_index(def);
        }
    }
    if (n_unsup)
        return fsift_error(FSIFT_E_UNSUPPORTED, "unsupported operator%s: %s", n_unsup > 1 ? "s" : "", unsupported);
    for (int i = 0; i < g->n_outputs; i++) {
        const nn_value *v = &g->vals[g->outputs[i]];
        if (v->kind == NN_VAL_ACT && v->producer < 0)
            return fsift_error(FSIFT_E_FORMAT, "graph output '%s' is never defined", v->name);
    }
    for (int i = 0; i < g->n_inputs; i++)
        for (int j = 0; j < i; j++)
            if (g->inputs[i] == g->inputs[j])
                return fsift_error(FSIFT_E_FORMAT, "graph input '%s' listed twice", g->vals[g->inputs[i]].name);

    /* 2. topological sort (Kahn); nodes keep their file order where it is already valid */
    int nn = g->n_nodes;
    int *indeg = calloc((size_t)nn + 1, sizeof *indeg);
    int *order = malloc(((size_t)nn + 1) * sizeof *order);
    int *users_start = calloc((size_t)nn + 2, sizeof *users_start);
    int n_edges = 0;
    for (int i = 0; i < nn; i++) n_edges += g->nodes[i].n_in;
    int *users = malloc(((size_t)n_edges + 1) * sizeof *users);
    if (!indeg || !order || !users_start || !users) {
        free(indeg); free(order); free(users_start); free(users);
        return fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
    }
    /* edges producer -> consumer, counted per producer (CSR) */
    for (int i = 0; i < nn; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++) {
            int v = g->nodes[i].in[k];
            if (v >= 0 && g->vals[v].producer >= 0) {
                users_start[g->vals[v].producer + 1]++;
                indeg[i]++;
            }
        }
    for (int i = 0; i < nn; i++) users_start[i + 1] += users_start[i];
    int *fill = calloc((size_t)nn + 1, sizeof *fill);
    if (!fill) {
        free(indeg); free(order); free(users_start); free(users);
        return fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
    }
    for (int i = 0; i < nn; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++) {
            int v = g->nodes[i].in[k];
            if (v >= 0 && g->vals[v].producer >= 0) {
                int p = g->vals[v].producer;
                users[users_start[p] + fill[p]++] = i;
            }
        }
    /* a min-index ready queue keeps the original order when valid: use a simple heap */
    int *heap = fill; /* reuse */
    int hn = 0;
#define HEAP_PUSH(x)                                                                         \
    do {                                                                                     \
        int c_ = hn++;                                                                       \
        heap[c_] = (x);                                                                      \
        while (c_ > 0 && heap[(c_ - 1) / 2] > heap[c_]) {                                    \
            int t_ = heap[c_]; heap[c_] = heap[(c_ - 1) / 2]; heap[(c_ - 1) / 2] = t_;       \
            c_ = (c_ - 1) / 2;                                                               \
        }                                                                                    \
    } while (0)
    for (int i = 0; i < nn; i++)
        if (!indeg[i]) HEAP_PUSH(i);
    int done = 0;
    while (hn) {
        int top = heap[0];
        heap[0] = heap[--hn];
        for (int c = 0;;) {
            int l = 2 * c + 1, r = l + 1, m = c;
            if (l < hn && heap[l] < heap[m]) m = l;
            if (r < hn && heap[r] < heap[m]) m = r;
            if (m == c) break;
            int t = heap[c]; heap[c] = heap[m]; heap[m] = t;
            c = m;
        }
        order[done++] = top;
        for (int e = users_start[top]; e < users_start[top + 1]; e++)
            if (--indeg[users[e]] == 0) HEAP_PUSH(users[e]);
    }
#undef HEAP_PUSH
    fsift_status st = FSIFT_OK;
    if (done != nn) {
        const char *name = "";
        for (int i = 0; i < nn; i++)
            if (indeg[i]) { name = g->nodes[i].name; break; }
        st = fsift_error(FSIFT_E_FORMAT, "graph has a cycle (node '%s' depends on itself)", name);
    } else {
        int identity = 1;
        for (int i = 0; i < nn; i++) identity &= order[i] == i;
        if (!identity) {
            nn_node *sorted = malloc(((size_t)nn + 1) * sizeof *sorted);
            int *newpos = indeg; /* reuse */
            if (!sorted) st = fsift_error(FSIFT_E_NOMEM, "graph: out of memory");
            else {
                for (int i = 0; i < nn; i++) { sorted[i] = g->nodes[order[i]]; newpos[order[i]] = i; }
                memcpy(g->nodes, sorted, (size_t)nn * sizeof *sorted);
                free(sorted);
                for (int v = 0; v < g->n_vals; v++)
                    if (g->vals[v].producer >= 0) g->vals[v].producer = newpos[g->vals[v].producer];
            }
        }
    }
    free(indeg); free(order); free(users_start); free(users); free(fill);
    if (st) return st;

    /* 3. operator fusion (FSIFT_NO_FUSE=1 turns it off, e.g. to compare) */
    const char *nofuse = getenv("FSIFT_NO_FUSE");
    if (!nofuse || !*nofuse || !strcmp(nofuse, "0")) {
        st = nn_graph_optimize(g);
        if (st) return st;
        nn = g->n_nodes;
    }

    /* 4. pack hooks */
    for (int i = 0; i < nn; i++) {
        const nn_op_def *def = nn_op_get(g->nodes[i].op);
        if (def->pack) {
            st = def->pack(g, &g->nodes[i]);
            if (st) {
                fsift_error_prefix("%s (node '%s')", g->nodes[i].op_type, g->nodes[i].name);
                return st;
            }
        }
    }
    return FSIFT_OK;
}
