/*
 * graph.h — the runtime's graph IR (internal to src/nn).
 *
 * Both loaders (onnx/, tflite/) translate their file into this one IR: a list of values
 * (tensors, identified by index) and a list of nodes whose semantics are ONNX's. Each node
 * names an ONNX operator type ("Conv", "Add", …) and carries attributes with ONNX names and
 * types. TFLite operators are mapped onto the ONNX operators plus a few documented
 * extension attributes (see ops.h: "layout", "activation", "beta", …), so each operator is
 * implemented exactly once.
 *
 * Memory: the graph owns everything it points to (names, attribute arrays, constant data)
 * through a chunked arena freed by nn_graph_free. Constant data is 64-byte aligned.
 *
 * Validation: nn_graph_finalize checks what loaders cannot check one node at a time: every
 * value used is produced exactly once or is an input/constant, no cycles (nodes are then
 * stored in topological order), every op is supported (the error names each unsupported op),
 * graph outputs exist. After finalize the graph is immutable.
 */
#ifndef FSIFT_NN_GRAPH_H
#define FSIFT_NN_GRAPH_H

#include "facesift/core.h"
#include "facesift/nn.h"

#define NN_MAX_RANK FSIFT_MAX_RANK
#define NN_MAX_DIM ((int64_t)1 << 40)  /* any single dim above this is rejected */

typedef fsift_tensor nn_tensor;

typedef enum nn_val_kind {
    NN_VAL_ACT = 0,   /* produced by a node */
    NN_VAL_INPUT = 1, /* graph input, supplied at run time */
    NN_VAL_CONST = 2  /* initializer / constant, data owned by the graph */
} nn_val_kind;

typedef struct nn_value {
    const char *name;          /* unique within the graph; may be "" for anonymous */
    nn_val_kind kind;
    int dtype;                 /* fsift_dtype; 0 if not yet known (activations) */
    int rank;                  /* -1 if unknown (activations) */
    int64_t dims[NN_MAX_RANK]; /* declared dims; < 0 = dynamic / unknown */
    const char *dim_names[NN_MAX_RANK]; /* symbolic names for dynamic input dims, or NULL */
    void *data;                /* CONST only: dense row-major, 64-byte aligned */
    size_t nbytes;             /* CONST only */
    int producer;              /* node index producing it, -1 for inputs/consts */
    int is_output;             /* 1 if a graph output */
} nn_value;

typedef enum nn_attr_type {
    NN_ATTR_INT = 1,
    NN_ATTR_FLOAT = 2,
    NN_ATTR_STRING = 3,
    NN_ATTR_INTS = 4,
    NN_ATTR_FLOATS = 5,
    NN_ATTR_TENSOR = 6, /* value index of a CONST value */
    NN_ATTR_STRINGS = 7
} nn_attr_type;

typedef struct nn_attr {
    const char *name;
    nn_attr_type type;
    int64_t i;             /* INT; TENSOR: value index */
    float f;               /* FLOAT */
    const char *s;         /* STRING (NUL-terminated; s_len bytes, may contain NUL) */
    size_t s_len;
    int n;                 /* element count of INTS / FLOATS / STRINGS */
    const int64_t *ints;
    const float *floats;
    const char *const *strings;
} nn_attr;

typedef struct nn_node {
    const char *name;
    const char *op_type;   /* ONNX operator name */
    const char *domain;    /* "" for the default ONNX domain */
    int op;                /* index into the op table, set by nn_graph_finalize */
    int n_in, n_out;
    int *in;               /* value indices; -1 = absent optional input */
    int *out;              /* value indices; -1 = absent optional output */
    int n_attr;
    nn_attr *attrs;
    void *packed;          /* immutable per-node state made once at load (e.g. packed
                              weights), owned by the node, freed with the graph */
    void (*packed_free)(void *packed);
} nn_node;

typedef struct nn_arena_chunk nn_arena_chunk;

typedef struct nn_graph {
    nn_value *vals;
    int n_vals, cap_vals;
    nn_node *nodes;
    int n_nodes, cap_nodes;
    int *inputs;           /* graph inputs (value indices), in declared order */
    int n_inputs, cap_inputs;
    int *outputs;          /* graph outputs (value indices), in declared order */
    int n_outputs, cap_outputs;
    int format;            /* fsift_model_format */
    int64_t opset;         /* default-domain opset (ONNX); 13 for TFLite-made graphs */
    const char *producer;
    nn_arena_chunk *arena;
    size_t arena_bytes;    /* total bytes allocated from the arena */
    size_t const_bytes;    /* total bytes of constant data */
    void *name_index;      /* hash map name -> value index (internal) */
} nn_graph;

/* ---- building (used by loaders) ------------------------------------------------------- */

fsift_status nn_graph_new(nn_graph **out);
void nn_graph_free(nn_graph *g); /* NULL is a no-op */

/* Memory owned by the graph (64-byte aligned, zeroed); NULL when out of memory or when
 * size exceeds the graph's budget. */
void *nn_graph_alloc(nn_graph *g, size_t size);
/* Copies a string (len bytes, NUL added) into the graph. */
const char *nn_graph_strdup(nn_graph *g, const char *s, size_t len);

/* Finds the value called name, or creates an activation value with that name. An empty
 * name ("" or NULL) returns -1 in *idx (an absent optional input/output). */
fsift_status nn_graph_value(nn_graph *g, const char *name, int *idx);
/* Finds a value by name; -1 if none. */
int nn_graph_find(const nn_graph *g, const char *name);

/* Adds a constant (name may be NULL for an anonymous one). data (borrowed) is copied unless
 * data is NULL, in which case zeroed storage is allocated and the caller fills
 * g->vals[*idx].data. If a value of that name exists and is not yet defined (it was
 * referenced before its definition), it is turned into the constant. Checks that
 * nbytes == numel * dtype size and that dims are sane. */
fsift_status nn_graph_add_const(nn_graph *g, const char *name, int dtype, int rank,
                                const int64_t *dims, const void *data, size_t nbytes, int *idx);

/* Declares an existing value as graph input with a declared dtype and shape (dims < 0 are
 * dynamic; dim_names may be NULL). */
fsift_status nn_graph_add_input(nn_graph *g, int idx, int dtype, int rank, const int64_t *dims,
                                const char *const *dim_names);
fsift_status nn_graph_add_output(nn_graph *g, int idx);

/* Appends a node; in/out arrays are copied. Returns the node index in *node_idx. Each output
 * value gets producer = node index; a value produced twice is an error. */
fsift_status nn_graph_add_node(nn_graph *g, const char *op_type, const char *domain,
                               const char *name, int n_in, const int *in, int n_out,
                               const int *out, int *node_idx);

/* Attribute setters: copy their arguments into the graph. Setting an existing name replaces. */
fsift_status nn_node_set_int(nn_graph *g, int node, const char *name, int64_t v);
fsift_status nn_node_set_float(nn_graph *g, int node, const char *name, float v);
fsift_status nn_node_set_string(nn_graph *g, int node, const char *name, const char *s,
                                size_t len);
fsift_status nn_node_set_ints(nn_graph *g, int node, const char *name, const int64_t *v, int n);
fsift_status nn_node_set_floats(nn_graph *g, int node, const char *name, const float *v, int n);
fsift_status nn_node_set_tensor(nn_graph *g, int node, const char *name, int value_idx);
fsift_status nn_node_set_strings(nn_graph *g, int node, const char *name,
                                 const char *const *v, int n);

/* Validates and topologically sorts (see top comment); resolves op types, then calls each
 * op's optional pack hook. Errors name the offending node/value/op. */
fsift_status nn_graph_finalize(nn_graph *g);

/* Load-time graph rewrites (operator fusion, optimize.c), called by nn_graph_finalize after
 * the checks and the topological sort, before the pack hooks, unless FSIFT_NO_FUSE is set
 * (to anything but "" or "0"). Keeps the graph valid and sorted; graph outputs keep their
 * names and order. */
fsift_status nn_graph_optimize(nn_graph *g);

/* ---- reading attributes (used by ops) --------------------------------------------------- */

const nn_attr *nn_attr_find(const nn_node *n, const char *name);
int64_t nn_attr_int(const nn_node *n, const char *name, int64_t def);
float nn_attr_float(const nn_node *n, const char *name, float def);
/* Returns the string or def. */
const char *nn_attr_str(const nn_node *n, const char *name, const char *def);
/* Returns the INTS array (and its length in *count) or NULL (count 0) if absent. */
const int64_t *nn_attr_ints(const nn_node *n, const char *name, int *count);
const float *nn_attr_floats(const nn_node *n, const char *name, int *count);

/* ---- tensors --------------------------------------------------------------------------- */

/* Elements of a shape; -1 if any dim < 0 or the product exceeds 2^48. */
int64_t nn_numel(int rank, const int64_t *dims);
/* Formats "[1,3,640,640]" into buf. */
const char *nn_shape_str(int rank, const int64_t *dims, char *buf, size_t size);

#endif
