/*
 * onnx_load.c — ONNX ModelProto → nn_graph (see onnx.h for what is accepted).
 *
 * How it works: the ModelProto is scanned once for its opset imports, producer and graph.
 * Default-domain opsets 7-18 are accepted, and 1-6 for the nodes whose meaning has not changed
 * since (legacy_node_ok). The GraphProto is then walked four times, each walk picking one kind of field, because
 * protobuf allows fields in any order and the graph builder wants definitions before uses
 * where that matters: (1) initializers become constants; (2) graph inputs are declared,
 * except those that are also initializers (older exporters list every weight as an input:
 * they stay constants); (3) nodes are added in file order — Constant nodes become constants
 * at once, TENSOR attributes become anonymous constants referenced by the attribute; (4)
 * graph outputs are marked. nn_graph_finalize then checks what needs the whole graph (every
 * value defined once, no cycles, every op supported) and sorts the nodes.
 *
 * Tensors: a TensorProto is first scanned into a `tproto` summary (dtype, dims, where its
 * data is and how many elements each typed field holds) without copying anything. The
 * summary is checked — known dtype, rank <= 8, dims <= NN_MAX_DIM, element count × element
 * size without overflow, and the data present matching that size exactly (raw_data length,
 * typed element count, or external file size) — before any memory is allocated, then the
 * data is decoded straight into the destination. Typed fields follow the ONNX spec:
 * int32_data also carries int8/int16/uint8/uint16/bool/float16 (float16 as its bit pattern),
 * uint64_data carries uint32/uint64.
 *
 * External data: `location` must be a relative path without ".." components or
 * backslashes, resolved under base_dir; offset/length are decimal strings. Bytes read from
 * external files may not exceed the total size of the distinct files referenced, so a model
 * cannot make the loader allocate more than what exists on disk by pointing many tensors at
 * one file.
 *
 * Memory: graph storage grows only with bytes consumed from the file, and mem_check caps it at
 * 64 × the file size + 16 MiB + the external data read; the loader also keeps a few scratch
 * buffers for NUL-terminated copies of names (each at most the file size), freed on return.
 * No global state; any number of threads may load models concurrently.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/onnx/onnx_internal.h"

/* ---- small helpers ------------------------------------------------------------------- */

str ox_field_str(const nn_pb_field *f) {
    str s = {f->data, f->len};
    return s;
}

int ox_str_eq(str s, const char *c) {
    size_t n = strlen(c);
    return s.n == n && (n == 0 || memcmp(s.p, c, n) == 0);
}

/* Borrowed string as a NUL-terminated copy in scratch slot `slot` (valid until that slot is
 * used again). Embedded NULs are a format error since names are looked up as C strings. */
static fsift_status cstr(ld *L, int slot, str s, const char *what, const char **out) {
    if (s.n && memchr(s.p, 0, s.n))
        return fsift_error(FSIFT_E_FORMAT, "onnx: %s contains a NUL byte", what);
    if (s.n + 1 > L->scratch_cap[slot]) {
        size_t cap = s.n + 1 < 64 ? 64 : s.n + 1;
        char *p = realloc(L->scratch[slot], cap);
        if (!p) return fsift_error(FSIFT_E_NOMEM, "onnx: out of memory");
        L->scratch[slot] = p;
        L->scratch_cap[slot] = cap;
    }
    if (s.n) memcpy(L->scratch[slot], s.p, s.n);
    L->scratch[slot][s.n] = 0;
    *out = L->scratch[slot];
    return FSIFT_OK;
}

/* A short printable form of a borrowed name for error messages. */
const char *ox_pname(str s, char *buf, size_t size) {
    size_t n = s.n < size - 1 ? s.n : size - 1;
    for (size_t i = 0; i < n; i++) buf[i] = (s.p[i] >= 32 && s.p[i] < 127) ? (char)s.p[i] : '?';
    buf[n] = 0;
    if (s.n > n && size > 4) memcpy(buf + size - 4, "...", 4);
    return buf;
}

fsift_status ox_want_wire(const nn_pb_field *f, int wire, const char *what) {
    if (f->wire != wire)
        return fsift_error(FSIFT_E_FORMAT, "onnx: %s (field %u) has wire type %d, expected %d",
                           what, f->num, f->wire, wire);
    return FSIFT_OK;
}


const char *ox_onnx_dtype_name(int64_t code) {
    static const char *const names[] = {
        "undefined", "float32", "uint8",  "int8",   "uint16",    "int16",      "int32",
        "int64",     "string",  "bool",   "float16", "float64",  "uint32",     "uint64",
        "complex64", "complex128", "bfloat16", "float8e4m3fn", "float8e4m3fnuz",
        "float8e5m2", "float8e5m2fnuz", "uint4", "int4", "float4e2m1"};
    if (code >= 0 && code < (int64_t)(sizeof names / sizeof names[0])) return names[code];
    return "unknown";
}

/* Accepts the dtypes the runtime stores; `what` names the tensor for the message. */
fsift_status ox_dtype_check(int64_t code, const char *what) {
    if ((code >= 1 && code <= 7) || (code >= 9 && code <= 13)) return FSIFT_OK;
    if (code == 8 || (code >= 14 && code <= 23))
        return fsift_error(FSIFT_E_UNSUPPORTED, "onnx: %s: dtype %s is not supported", what,
                           ox_onnx_dtype_name(code));
    return fsift_error(FSIFT_E_FORMAT, "onnx: %s: invalid dtype code %lld", what,
                       (long long)code);
}

/* Element count of a checked shape (dims in [0, NN_MAX_DIM]); -1 on overflow. */
int64_t ox_shape_numel(int rank, const int64_t *dims) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] == 0) return 0;
    }
    for (int i = 0; i < rank; i++) {
        if (__builtin_mul_overflow(n, dims[i], &n)) return -1;
    }
    return n;
}

void ox_byteswap_if_be(void *data, size_t esize, size_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    uint8_t *p = data;
    for (size_t i = 0; i < n; i++, p += esize)
        for (size_t a = 0, b = esize - 1; a < b; a++, b--) {
            uint8_t t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
#else
    (void)data, (void)esize, (void)n;
#endif
}

/* Every graph structure grows only as bytes of the file are consumed, but a value, node or
 * attribute costs a few hundred bytes of memory while its encoding can be a few bytes. This
 * caps the total at MEM_FACTOR × the file size (+ MEM_SLACK, + external data read), far above
 * what real models need (weights dominate: about 1×; int64_data varints: up to 8×). */
#define MEM_FACTOR 64
#define MEM_SLACK ((size_t)16 << 20)

static fsift_status mem_check(const ld *L) {
    const nn_graph *g = L->g;
    size_t used = g->arena_bytes + (size_t)g->cap_vals * (sizeof(nn_value) + 2 * sizeof(int)) +
                  (size_t)g->cap_nodes * sizeof(nn_node);
    if (used > L->budget + L->ext_used)
        return fsift_error(FSIFT_E_LIMIT,
                           "onnx: the graph would need more than %d times the file's size in "
                           "memory (%zu bytes so far); the file looks hostile", MEM_FACTOR, used);
    return FSIFT_OK;
}

/* ---- attributes ------------------------------------------------------------------------ */

enum {
    AT_UNDEFINED = 0, AT_FLOAT = 1, AT_INT = 2, AT_STRING = 3, AT_TENSOR = 4, AT_GRAPH = 5,
    AT_FLOATS = 6, AT_INTS = 7, AT_STRINGS = 8, AT_TENSORS = 9, AT_GRAPHS = 10,
    AT_SPARSE_TENSOR = 11, AT_SPARSE_TENSORS = 12, AT_TYPE_PROTO = 13, AT_TYPE_PROTOS = 14
};

typedef struct araw {
    nn_pb msg;       /* the AttributeProto, for second walks */
    str name;
    int64_t type;
    int has_type;
    float f;
    int64_t i;
    str s;
    nn_pb t;         /* TENSOR: reader on the TensorProto */
    int has_f, has_i, has_s, has_t, has_g, has_sparse, has_tp, has_ref;
    int has_tensors, has_graphs, has_sparses, has_tps;
    size_t n_floats, n_ints, n_strings;
} araw;

static fsift_status attr_scan(const nn_pb *parent, const nn_pb_field *af, araw *a) {
    nn_pb r;
    nn_pb_field f;
    fsift_status st;
    memset(a, 0, sizeof *a);
    if ((st = nn_pb_sub(parent, af, &r))) return st;
    a->msg = r;
    PB_EACH(&r, &f) {
        nn_pb_iter it;
        size_t n;
        switch (f.num) {
        case 1:
            if ((st = ox_want_wire(&f, NN_PB_LEN, "attribute name"))) return st;
            a->name = ox_field_str(&f);
            break;
        case 20:
            if ((st = ox_want_wire(&f, NN_PB_VARINT, "attribute type"))) return st;
            a->type = (int64_t)f.u;
            a->has_type = 1;
            break;
        case 2:
            if ((st = ox_want_wire(&f, NN_PB_I32, "attribute f"))) return st;
            a->f = nn_pb_f32(f.u);
            a->has_f = 1;
            break;
        case 3:
            if ((st = ox_want_wire(&f, NN_PB_VARINT, "attribute i"))) return st;
            a->i = (int64_t)f.u;
            a->has_i = 1;
            break;
        case 4:
            if ((st = ox_want_wire(&f, NN_PB_LEN, "attribute s"))) return st;
            a->s = ox_field_str(&f);
            a->has_s = 1;
            break;
        case 5:
            if ((st = nn_pb_sub(&r, &f, &a->t))) return st;
            a->has_t = 1;
            break;
        case 6: a->has_g = 1; break;
        case 22: a->has_sparse = 1; break;
        case 14: a->has_tp = 1; break;
        case 21: a->has_ref = 1; break;
        case 10: a->has_tensors = 1; break;
        case 11: a->has_graphs = 1; break;
        case 23: a->has_sparses = 1; break;
        case 15: a->has_tps = 1; break;
        case 7:
            if ((st = nn_pb_iter_init(&it, &f, NN_PB_I32, &n))) return st;
            a->n_floats += n;
            break;
        case 8:
            if ((st = nn_pb_iter_init(&it, &f, NN_PB_VARINT, &n))) return st;
            a->n_ints += n;
            break;
        case 9:
            if ((st = ox_want_wire(&f, NN_PB_LEN, "attribute strings"))) return st;
            a->n_strings++;
            break;
        default:
            break;
        }
    }
    if (!a->has_type) { /* IR version 1 files: infer the type from the field present */
        a->type = a->has_f ? AT_FLOAT : a->has_i ? AT_INT : a->has_s ? AT_STRING
                : a->has_t ? AT_TENSOR : a->has_g ? AT_GRAPH : a->n_floats ? AT_FLOATS
                : a->n_ints ? AT_INTS : a->n_strings ? AT_STRINGS : a->has_graphs ? AT_GRAPHS
                : a->has_tensors ? AT_TENSORS : a->has_sparse ? AT_SPARSE_TENSOR
                : AT_UNDEFINED;
    }
    return FSIFT_OK;
}

/* Collects a FLOATS (want 7) or INTS (want 8) attribute into a new malloc'd array. */
static fsift_status attr_numbers(const araw *a, uint32_t fld, void **out, int *count) {
    size_t n = fld == 7 ? a->n_floats : a->n_ints;
    *out = NULL;
    *count = 0;
    if (n > INT_MAX) return fsift_error(FSIFT_E_LIMIT, "onnx: attribute with too many values");
    size_t es = fld == 7 ? sizeof(float) : sizeof(int64_t);
    void *buf = malloc(n ? n * es : 1);
    if (!buf) return fsift_error(FSIFT_E_NOMEM, "onnx: out of memory");
    nn_pb r = a->msg;
    nn_pb_field f;
    size_t i = 0;
    for (int rc; (rc = nn_pb_next(&r, &f)) != 0;) {
        if (rc < 0) {
            free(buf);
            return (fsift_status)rc;
        }
        if (f.num != fld) continue;
        nn_pb_iter it;
        size_t k;
        uint64_t v;
        fsift_status st = nn_pb_iter_init(&it, &f, fld == 7 ? NN_PB_I32 : NN_PB_VARINT, &k);
        if (st) {
            free(buf);
            return st;
        }
        while (i < n && nn_pb_iter_next(&it, &v)) {
            if (fld == 7) ((float *)buf)[i++] = nn_pb_f32(v);
            else ((int64_t *)buf)[i++] = (int64_t)v;
        }
    }
    *out = buf;
    *count = (int)i;
    return FSIFT_OK;
}

static const char *attr_type_name(int64_t t) {
    switch (t) {
    case AT_GRAPH: return "a subgraph";
    case AT_GRAPHS: return "subgraphs";
    case AT_TENSORS: return "a list of tensors";
    case AT_SPARSE_TENSOR: return "a sparse tensor";
    case AT_SPARSE_TENSORS: return "sparse tensors";
    case AT_TYPE_PROTO:
    case AT_TYPE_PROTOS: return "a type";
    default: return "an unknown type";
    }
}

/* Adds one attribute to node `ni`. op/node name the node for messages. */
static fsift_status attr_add(ld *L, int ni, const araw *a, const char *op, const char *node) {
    nn_graph *g = L->g;
    const char *name;
    fsift_status st;
    char nb[64];
    if (a->name.n == 0)
        return fsift_error(FSIFT_E_FORMAT, "onnx: node '%s' (%s) has an attribute without a name",
                           node, op);
    if (a->has_ref)
        return fsift_error(FSIFT_E_UNSUPPORTED,
                           "onnx: op '%s' (node '%s'): attribute '%s' refers to a function "
                           "attribute, not supported", op, node, ox_pname(a->name, nb, sizeof nb));
    switch (a->type) {
    case AT_FLOAT:
    case AT_INT:
    case AT_STRING:
    case AT_FLOATS:
    case AT_INTS:
    case AT_STRINGS:
    case AT_TENSOR:
        break;
    case AT_GRAPH:
    case AT_GRAPHS:
    case AT_TENSORS:
    case AT_SPARSE_TENSOR:
    case AT_SPARSE_TENSORS:
    case AT_TYPE_PROTO:
    case AT_TYPE_PROTOS:
        return fsift_error(FSIFT_E_UNSUPPORTED,
                           "op '%s' not supported (node '%s': attribute '%s' is %s)", op, node,
                           ox_pname(a->name, nb, sizeof nb), attr_type_name(a->type));
    default:
        return fsift_error(FSIFT_E_FORMAT, "onnx: node '%s' (%s): attribute '%s' has invalid "
                           "type %lld", node, op, ox_pname(a->name, nb, sizeof nb),
                           (long long)a->type);
    }
    if ((st = cstr(L, 3, a->name, "attribute name", &name))) return st;
    switch (a->type) {
    case AT_FLOAT: return nn_node_set_float(g, ni, name, a->f);
    case AT_INT: return nn_node_set_int(g, ni, name, a->i);
    case AT_STRING: return nn_node_set_string(g, ni, name, (const char *)a->s.p, a->s.n);
    case AT_FLOATS:
    case AT_INTS: {
        void *buf;
        int n;
        if ((st = attr_numbers(a, a->type == AT_FLOATS ? 7 : 8, &buf, &n))) return st;
        st = a->type == AT_FLOATS ? nn_node_set_floats(g, ni, name, buf, n)
                                  : nn_node_set_ints(g, ni, name, buf, n);
        free(buf);
        return st;
    }
    case AT_STRINGS: {
        if (a->n_strings > INT_MAX / 2)
            return fsift_error(FSIFT_E_LIMIT, "onnx: attribute with too many strings");
        const char **v = calloc(a->n_strings ? a->n_strings : 1, sizeof *v);
        if (!v) return fsift_error(FSIFT_E_NOMEM, "onnx: out of memory");
        nn_pb r = a->msg;
        nn_pb_field f;
        size_t i = 0;
        st = FSIFT_OK;
        for (int rc; (rc = nn_pb_next(&r, &f)) != 0;) {
            if (rc < 0) {
                st = (fsift_status)rc;
                break;
            }
            if (f.num != 9 || i >= a->n_strings) continue;
            v[i] = nn_graph_strdup(g, (const char *)f.data, f.len);
            if (!v[i]) {
                st = fsift_error(FSIFT_E_NOMEM, "onnx: out of memory");
                break;
            }
            i++;
        }
        if (!st) st = nn_node_set_strings(g, ni, name, v, (int)i);
        free(v);
        return st;
    }
    case AT_TENSOR: {
        tproto t;
        int idx;
        char what[160];
        snprintf(what, sizeof what, "attribute '%s' of node '%s' (%s)", name, node, op);
        if (!a->has_t)
            return fsift_error(FSIFT_E_FORMAT, "onnx: %s has no tensor", what);
        if ((st = ox_tensor_scan(&a->t, &t))) return st;
        if ((st = ox_tensor_to_graph(L, &t, NULL, what, &idx))) return st;
        return nn_node_set_tensor(g, ni, name, idx);
    }
    default:
        return FSIFT_E_INTERNAL;
    }
}

/* ---- nodes ------------------------------------------------------------------------------- */

/* Checks that value idx (an output of a node or Constant) is not defined elsewhere. */
static fsift_status check_new_output(ld *L, int idx, const char *vname, const char *node) {
    const nn_value *v = &L->g->vals[idx];
    if (v->kind == NN_VAL_INPUT || v->kind == NN_VAL_CONST)
        return fsift_error(FSIFT_E_FORMAT, "onnx: node '%s' writes '%s', which is a graph %s",
                           node, vname, v->kind == NN_VAL_INPUT ? "input" : "initializer");
    if (v->producer >= 0)
        return fsift_error(FSIFT_E_FORMAT,
                           "onnx: value '%s' is produced twice (by node '%s' and node '%s')",
                           vname, L->g->nodes[v->producer].name ? L->g->nodes[v->producer].name
                                                                : "?", node);
    return FSIFT_OK;
}

/* A Constant node: its one output becomes a graph constant. */
static fsift_status constant_node(ld *L, const nn_pb *nr, str out_name, int n_in, int n_out,
                                  const char *node) {
    nn_graph *g = L->g;
    const char *oname;
    fsift_status st;
    char nb[64];
    if (n_out != 1 || n_in != 0 || out_name.n == 0)
        return fsift_error(FSIFT_E_FORMAT,
                           "onnx: Constant node '%s' must have no inputs and one named output",
                           node);
    if ((st = cstr(L, 0, out_name, "value name", &oname))) return st;
    int existing = nn_graph_find(g, oname);
    if (existing >= 0 && (st = check_new_output(L, existing, oname, node))) return st;

    nn_pb r = *nr;
    nn_pb_field f;
    int found = 0;
    PB_EACH(&r, &f) {
        if (f.num != 5) continue;
        araw a;
        int idx = -1;
        if ((st = attr_scan(&r, &f, &a))) return st;
        if (found)
            return fsift_error(FSIFT_E_FORMAT, "onnx: Constant node '%s' has several values",
                               node);
        found = 1;
        if (ox_str_eq(a.name, "value")) {
            tproto t;
            char what[160];
            snprintf(what, sizeof what, "Constant '%s'", oname);
            if (!a.has_t) return fsift_error(FSIFT_E_FORMAT, "onnx: %s has no tensor", what);
            if ((st = ox_tensor_scan(&a.t, &t))) return st;
            if ((st = ox_tensor_to_graph(L, &t, oname, what, &idx))) return st;
        } else if (ox_str_eq(a.name, "value_float")) {
            float v = a.f;
            st = nn_graph_add_const(g, oname, FSIFT_DTYPE_FLOAT32, 0, NULL, &v, sizeof v, &idx);
        } else if (ox_str_eq(a.name, "value_int")) {
            int64_t v = a.i;
            st = nn_graph_add_const(g, oname, FSIFT_DTYPE_INT64, 0, NULL, &v, sizeof v, &idx);
        } else if (ox_str_eq(a.name, "value_floats") || ox_str_eq(a.name, "value_ints")) {
            int fl = ox_str_eq(a.name, "value_floats");
            void *buf;
            int n;
            if ((st = attr_numbers(&a, fl ? 7 : 8, &buf, &n))) return st;
            int64_t d = n;
            size_t es = fl ? sizeof(float) : sizeof(int64_t);
            st = nn_graph_add_const(g, oname, fl ? FSIFT_DTYPE_FLOAT32 : FSIFT_DTYPE_INT64, 1, &d,
                                    buf, (size_t)n * es, &idx);
            free(buf);
        } else {
            return fsift_error(FSIFT_E_UNSUPPORTED,
                               "op 'Constant' with attribute '%s' not supported (node '%s')",
                               ox_pname(a.name, nb, sizeof nb), node);
        }
        if (st) return st;
    }
    if (!found) return fsift_error(FSIFT_E_FORMAT, "onnx: Constant node '%s' has no value", node);
    return FSIFT_OK;
}

/* Opsets 1-6 predate multidirectional broadcasting and changed several operators' inputs
 * and attributes. Files that old are accepted only if every default-domain node is in a
 * form whose meaning is the same as at opset 7: ops unchanged since, and for changed ops the
 * forms that match (legacy `broadcast` without `axis` is suffix broadcasting, a subset of
 * NumPy's; Concat with an explicit axis; Pad with `pads`; Reshape/Tile with their opset 5/6
 * inputs; Cast with an integer `to`; BatchNormalization in test mode, spatial). */
static int legacy_node_ok(const nn_node *n) {
    static const char *const same[] = {
        "Abs", "Add", "AveragePool", "Ceil", "Clip", "Conv", "Div", "Elu", "Exp", "Flatten",
        "Floor", "Gather", "Gemm", "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool",
        "HardSigmoid", "Identity", "InstanceNormalization", "LRN", "LeakyRelu", "Log",
        "LogSoftmax", "MatMul", "Max", "MaxPool", "Mean", "Min", "Mul", "Neg", "Not", "Pow",
        "Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
        "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare", "Relu", "Selu",
        "Sigmoid", "Slice", "Softmax", "Softplus", "Softsign", "Sqrt", "Squeeze", "Sub", "Sum",
        "Tanh", "Transpose", "Unsqueeze"};
    const char *op = n->op_type;
    const nn_attr *a;
    if (!strcmp(op, "Concat")) return nn_attr_find(n, "axis") != NULL;
    if (!strcmp(op, "Pad")) return nn_attr_find(n, "pads") != NULL;
    if (!strcmp(op, "Reshape") || !strcmp(op, "Tile")) return n->n_in == 2 && n->n_attr == 0;
    if (!strcmp(op, "Split")) return n->n_in == 1;
    if (!strcmp(op, "Cast")) return (a = nn_attr_find(n, "to")) && a->type == NN_ATTR_INT;
    if (!strcmp(op, "BatchNormalization"))
        return nn_attr_int(n, "is_test", 0) == 1 && nn_attr_int(n, "spatial", 1) == 1 &&
               n->n_out == 1;
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        if (!strcmp(op, same[i]))
            return strcmp(op, "Gemm") == 0 || nn_attr_int(n, "broadcast", 0) == 0 ||
                   nn_attr_find(n, "axis") == NULL;
    return 0;
}

static fsift_status parse_node(ld *L, const nn_pb *gr, const nn_pb_field *nf, int index) {
    nn_graph *g = L->g;
    nn_pb r0, r;
    nn_pb_field f;
    fsift_status st;
    str op = {0}, dom = {0}, name = {0}, first_out = {0};
    int n_in = 0, n_out = 0;
    if ((st = nn_pb_sub(gr, nf, &r0))) return st;
    r = r0;
    PB_EACH(&r, &f) {
        switch (f.num) {
        case 1:
        case 2:
        case 3:
        case 4:
        case 7:
            if ((st = ox_want_wire(&f, NN_PB_LEN, "node field"))) return st;
            if (f.num == 1) n_in++;
            else if (f.num == 2) {
                if (n_out == 0) first_out = ox_field_str(&f);
                n_out++;
            } else if (f.num == 3) name = ox_field_str(&f);
            else if (f.num == 4) op = ox_field_str(&f);
            else dom = ox_field_str(&f);
            break;
        default:
            break;
        }
    }
    char nodename[96];
    if (name.n) ox_pname(name, nodename, sizeof nodename);
    else snprintf(nodename, sizeof nodename, "#%d", index);
    char opbuf[64];
    if (op.n == 0)
        return fsift_error(FSIFT_E_FORMAT, "onnx: node '%s' has no op_type", nodename);
    if (ox_str_eq(dom, "ai.onnx")) dom.n = 0;
    if (n_in > NN_MAX_IO || n_out > NN_MAX_IO)
        return fsift_error(FSIFT_E_UNSUPPORTED, "onnx: node '%s' (%s) has %d inputs and %d outputs; "
                           "at most %d each are supported", nodename,
                           ox_pname(op, opbuf, sizeof opbuf), n_in, n_out, NN_MAX_IO);
    if (dom.n == 0 && g->opset == 0)
        return fsift_error(FSIFT_E_FORMAT, "onnx: node '%s' (%s) is in the default domain but "
                           "the model imports no default-domain opset", nodename,
                           ox_pname(op, opbuf, sizeof opbuf));
    if (dom.n == 0 && ox_str_eq(op, "Constant"))
        return constant_node(L, &r0, first_out, n_in, n_out, nodename);

    const char *op_c, *dom_c, *name_c;
    if ((st = cstr(L, 0, op, "op_type", &op_c)) || (st = cstr(L, 1, dom, "domain", &dom_c)) ||
        (st = cstr(L, 2, name, "node name", &name_c)))
        return st;
    int in[NN_MAX_IO], out[NN_MAX_IO];
    int ki = 0, ko = 0;
    r = r0;
    PB_EACH(&r, &f) {
        if (f.num != 1 && f.num != 2) continue;
        const char *vn;
        int idx;
        if ((st = cstr(L, 3, ox_field_str(&f), "value name", &vn))) return st;
        if ((st = nn_graph_value(g, vn, &idx))) return st;
        if (f.num == 1) {
            in[ki++] = idx;
        } else {
            if (idx >= 0) {
                if ((st = check_new_output(L, idx, vn, nodename))) return st;
                for (int j = 0; j < ko; j++)
                    if (out[j] == idx)
                        return fsift_error(FSIFT_E_FORMAT,
                                           "onnx: node '%s' lists output '%s' twice", nodename,
                                           vn);
            }
            out[ko++] = idx;
        }
    }
    int ni;
    if ((st = nn_graph_add_node(g, op_c, dom_c, name_c, ki, in, ko, out, &ni))) return st;
    r = r0;
    PB_EACH(&r, &f) {
        if (f.num != 5) continue;
        araw a;
        if ((st = attr_scan(&r, &f, &a))) return st;
        if ((st = attr_add(L, ni, &a, g->nodes[ni].op_type, nodename))) return st;
    }
    if (dom.n == 0 && g->opset < ONNX_MIN_OPSET &&
        !legacy_node_ok(&g->nodes[ni]))
        return fsift_error(FSIFT_E_UNSUPPORTED,
                           "op '%s' at opset %lld not supported (node '%s'; opsets %d to %d are)",
                           g->nodes[ni].op_type, (long long)g->opset, nodename, ONNX_MIN_OPSET,
                           ONNX_MAX_OPSET);
    return FSIFT_OK;
}

/* ---- value infos (graph inputs / outputs) ------------------------------------------------ */

typedef struct vinfo {
    str name;
    int has_tensor_type;
    int other_type; /* 4 sequence, 5 map, 8 sparse tensor, 9 optional; 0 none */
    int64_t elem_type;
    int rank;       /* -1: no shape */
    int64_t dims[NN_MAX_RANK];
    str dim_param[NN_MAX_RANK];
} vinfo;

static fsift_status parse_shape(const nn_pb *parent, const nn_pb_field *sf, vinfo *v,
                                const char *what) {
    nn_pb r;
    nn_pb_field f;
    fsift_status st;
    if ((st = nn_pb_sub(parent, sf, &r))) return st;
    v->rank = 0;
    PB_EACH(&r, &f) {
        if (f.num != 1) continue;
        if (v->rank >= NN_MAX_RANK)
            return fsift_error(FSIFT_E_LIMIT, "onnx: %s has more than %d dims", what,
                               NN_MAX_RANK);
        nn_pb dr;
        nn_pb_field df;
        int k = v->rank++;
        v->dims[k] = -1;
        if ((st = nn_pb_sub(&r, &f, &dr))) return st;
        PB_EACH(&dr, &df) {
            if (df.num == 1) {
                if ((st = ox_want_wire(&df, NN_PB_VARINT, "dim_value"))) return st;
                int64_t d = (int64_t)df.u;
                if (d > NN_MAX_DIM)
                    return fsift_error(FSIFT_E_LIMIT, "onnx: %s: dim %lld exceeds the limit",
                                       what, (long long)d);
                v->dims[k] = d < 0 ? -1 : d; /* some exporters write -1 for dynamic */
                v->dim_param[k].n = 0;
            } else if (df.num == 2) {
                if ((st = ox_want_wire(&df, NN_PB_LEN, "dim_param"))) return st;
                v->dim_param[k] = ox_field_str(&df);
                v->dims[k] = -1;
            }
        }
    }
    return FSIFT_OK;
}

static fsift_status parse_vinfo(const nn_pb *gr, const nn_pb_field *vf, vinfo *v,
                                const char *kind) {
    nn_pb r0, r, tr, ttr;
    nn_pb_field f, tf, ttf;
    fsift_status st;
    memset(v, 0, sizeof *v);
    v->rank = -1;
    if ((st = nn_pb_sub(gr, vf, &r0))) return st;
    r = r0;
    PB_EACH(&r, &f) {
        if (f.num == 1) {
            if ((st = ox_want_wire(&f, NN_PB_LEN, "value name"))) return st;
            v->name = ox_field_str(&f);
        }
    }
    char nb[80], what[120];
    snprintf(what, sizeof what, "graph %s '%s'", kind, ox_pname(v->name, nb, sizeof nb));
    r = r0; /* second walk for the type, now that the name is known */
    PB_EACH(&r, &f) {
        if (f.num != 2) continue;
        if ((st = nn_pb_sub(&r, &f, &tr))) return st;
        PB_EACH(&tr, &tf) {
            if (tf.num == 4 || tf.num == 5 || tf.num == 8 || tf.num == 9) {
                v->other_type = (int)tf.num;
            } else if (tf.num == 1) {
                if ((st = nn_pb_sub(&tr, &tf, &ttr))) return st;
                v->has_tensor_type = 1;
                PB_EACH(&ttr, &ttf) {
                    if (ttf.num == 1) {
                        if ((st = ox_want_wire(&ttf, NN_PB_VARINT, "elem_type"))) return st;
                        v->elem_type = (int64_t)ttf.u;
                    } else if (ttf.num == 2) {
                        if ((st = parse_shape(&ttr, &ttf, v, what))) return st;
                    }
                }
            }
        }
    }
    if (v->other_type) {
        static const char *const kinds[10] = {[4] = "a sequence", [5] = "a map",
                                              [8] = "a sparse tensor", [9] = "an optional"};
        return fsift_error(FSIFT_E_UNSUPPORTED, "onnx: %s is %s, not supported", what,
                           kinds[v->other_type]);
    }
    if (v->has_tensor_type) {
        if (v->elem_type == 0 && strcmp(kind, "output") == 0) return FSIFT_OK;
        return ox_dtype_check(v->elem_type, what);
    }
    return FSIFT_OK;
}

static fsift_status add_graph_input(ld *L, const vinfo *v) {
    nn_graph *g = L->g;
    const char *name;
    fsift_status st;
    char nb[80];
    if (v->name.n == 0) return fsift_error(FSIFT_E_FORMAT, "onnx: graph input without a name");
    if ((st = cstr(L, 3, v->name, "graph input name", &name))) return st;
    int idx = nn_graph_find(g, name);
    if (idx >= 0) {
        if (g->vals[idx].kind == NN_VAL_CONST) return FSIFT_OK; /* initializer listed as input */
        return fsift_error(FSIFT_E_FORMAT, "onnx: graph input '%s' is declared twice",
                           ox_pname(v->name, nb, sizeof nb));
    }
    if (!v->has_tensor_type)
        return fsift_error(FSIFT_E_FORMAT, "onnx: graph input '%s' has no tensor type",
                           ox_pname(v->name, nb, sizeof nb));
    for (int i = 0; i < L->n_bind; i++) {
        const fsift_tensor *t = &L->bind[i];
        if (!L->bind_names[i] || strcmp(L->bind_names[i], name)) continue;
        int64_t numel = fsift_tensor_numel(t);
        size_t es = fsift_dtype_size(t->dtype);
        if (t->dtype != v->elem_type || numel < 0 || !es || (uint64_t)numel > SIZE_MAX / es)
            return fsift_error(FSIFT_E_INVALID_ARG, "onnx: value bound to input '%s' does not "
                               "fit its declared type", name);
        return nn_graph_add_const(g, name, t->dtype, t->rank, t->dims, t->data,
                                  (size_t)numel * es, &idx);
    }
    const char *dn[NN_MAX_RANK] = {0};
    for (int i = 0; i < v->rank; i++) {
        if (v->dim_param[i].n == 0) continue;
        if (memchr(v->dim_param[i].p, 0, v->dim_param[i].n))
            return fsift_error(FSIFT_E_FORMAT, "onnx: dim name contains a NUL byte");
        dn[i] = nn_graph_strdup(g, (const char *)v->dim_param[i].p, v->dim_param[i].n);
        if (!dn[i]) return fsift_error(FSIFT_E_NOMEM, "onnx: out of memory");
    }
    if ((st = nn_graph_value(g, name, &idx))) return st;
    return nn_graph_add_input(g, idx, (int)v->elem_type, v->rank, v->dims, dn);
}

/* ---- graph and model ---------------------------------------------------------------------- */

static fsift_status parse_graph(ld *L, const nn_pb *mr, const nn_pb_field *gf) {
    nn_graph *g = L->g;
    nn_pb gr0, r;
    nn_pb_field f;
    fsift_status st;
    char nb[80], what[128];
    if ((st = nn_pb_sub(mr, gf, &gr0))) return st;

    /* 1: initializers (and a check for sparse ones) */
    r = gr0;
    PB_EACH(&r, &f) {
        if (f.num == 15)
            return fsift_error(FSIFT_E_UNSUPPORTED, "onnx: sparse initializers are not supported");
        if (f.num != 5) continue;
        nn_pb tr;
        tproto t;
        const char *name;
        int idx;
        if ((st = nn_pb_sub(&r, &f, &tr)) || (st = ox_tensor_scan(&tr, &t))) return st;
        if (t.name.n == 0) return fsift_error(FSIFT_E_FORMAT, "onnx: initializer without a name");
        snprintf(what, sizeof what, "initializer '%s'", ox_pname(t.name, nb, sizeof nb));
        if ((st = cstr(L, 3, t.name, "initializer name", &name))) return st;
        if (nn_graph_find(g, name) >= 0)
            return fsift_error(FSIFT_E_FORMAT, "onnx: %s is defined twice", what);
        if ((st = ox_tensor_to_graph(L, &t, name, what, &idx)) || (st = mem_check(L))) return st;
    }
    /* 2: inputs */
    r = gr0;
    PB_EACH(&r, &f) {
        if (f.num != 11) continue;
        vinfo v;
        if ((st = parse_vinfo(&r, &f, &v, "input")) || (st = add_graph_input(L, &v)) ||
            (st = mem_check(L)))
            return st;
    }
    /* 3: nodes */
    r = gr0;
    int index = 0;
    PB_EACH(&r, &f) {
        if (f.num != 1) continue;
        if ((st = parse_node(L, &r, &f, index++)) || (st = mem_check(L))) return st;
    }
    /* 4: outputs */
    r = gr0;
    PB_EACH(&r, &f) {
        if (f.num != 12) continue;
        vinfo v;
        const char *name;
        int idx;
        if ((st = parse_vinfo(&r, &f, &v, "output"))) return st;
        if (v.name.n == 0) return fsift_error(FSIFT_E_FORMAT, "onnx: graph output without a name");
        if ((st = cstr(L, 3, v.name, "graph output name", &name)) ||
            (st = nn_graph_value(g, name, &idx)) || (st = nn_graph_add_output(g, idx)))
            return st;
    }
    if (g->n_outputs == 0) return fsift_error(FSIFT_E_FORMAT, "onnx: the graph has no outputs");
    return FSIFT_OK;
}

static fsift_status parse_model(ld *L, const void *data, size_t size) {
    nn_graph *g = L->g;
    nn_pb r;
    nn_pb_field f, gf = {0};
    fsift_status st;
    str pname_s = {0}, pver = {0};
    int64_t opset = -1;
    int has_graph = 0;
    nn_pb_init(&r, data, size);
    nn_pb top = r;
    PB_EACH(&r, &f) {
        switch (f.num) {
        case 2:
        case 3:
            if ((st = ox_want_wire(&f, NN_PB_LEN, "producer"))) return st;
            if (f.num == 2) pname_s = ox_field_str(&f);
            else pver = ox_field_str(&f);
            break;
        case 7:
            if ((st = ox_want_wire(&f, NN_PB_LEN, "graph"))) return st;
            gf = f;
            has_graph = 1;
            break;
        case 8: {
            nn_pb orr;
            nn_pb_field of;
            str dom = {0};
            int64_t ver = -1;
            if ((st = nn_pb_sub(&r, &f, &orr))) return st;
            PB_EACH(&orr, &of) {
                if (of.num == 1) {
                    if ((st = ox_want_wire(&of, NN_PB_LEN, "opset domain"))) return st;
                    dom = ox_field_str(&of);
                } else if (of.num == 2) {
                    if ((st = ox_want_wire(&of, NN_PB_VARINT, "opset version"))) return st;
                    ver = (int64_t)of.u;
                }
            }
            if (dom.n == 0 || ox_str_eq(dom, "ai.onnx")) opset = ver > opset ? ver : opset;
            break;
        }
        default:
            break;
        }
    }
    if (!has_graph) return fsift_error(FSIFT_E_FORMAT, "onnx: the model has no graph");
    /* No default-domain import is fine for a graph without default-domain nodes (parse_node
     * checks); opsets 1-6 are accepted for the nodes legacy_node_ok allows. */
    if (opset == 0 || opset > ONNX_MAX_OPSET)
        return fsift_error(FSIFT_E_UNSUPPORTED, "onnx: opset %lld is not supported (%d to %d are)",
                           (long long)opset, ONNX_MIN_OPSET, ONNX_MAX_OPSET);
    g->format = FSIFT_MODEL_ONNX;
    g->opset = opset < 0 ? 0 : opset;
    {
        size_t n = pname_s.n + 1 + pver.n;
        char *p = nn_graph_alloc(g, n + 1);
        if (!p) return fsift_error(FSIFT_E_NOMEM, "onnx: out of memory");
        size_t k = 0;
        if (pname_s.n) memcpy(p, pname_s.p, pname_s.n), k = pname_s.n;
        if (pname_s.n && pver.n) p[k++] = ' ';
        if (pver.n) memcpy(p + k, pver.p, pver.n), k += pver.n;
        p[k] = 0;
        for (size_t i = 0; i < k; i++)
            if (p[i] == 0) p[i] = ' ';
        g->producer = p;
    }
    return parse_graph(L, &top, &gf);
}

fsift_status nn_onnx_load(const void *data, size_t size, const char *base_dir, nn_graph **out) {
    return nn_onnx_load_bound(data, size, base_dir, 0, NULL, NULL, out);
}

fsift_status nn_onnx_load_bound(const void *data, size_t size, const char *base_dir, int n_bind,
                                const char *const *bind_names, const fsift_tensor *bind,
                                nn_graph **out) {
    nn_graph *g = NULL;
    fsift_status st;
    if (!out) return fsift_error(FSIFT_E_INVALID_ARG, "onnx: NULL output pointer");
    *out = NULL;
    if (!data && size) return fsift_error(FSIFT_E_INVALID_ARG, "onnx: NULL model data");
    if ((st = nn_graph_new(&g))) return st;
    ld L;
    memset(&L, 0, sizeof L);
    L.g = g;
    L.base_dir = base_dir;
    L.budget = size > (SIZE_MAX - MEM_SLACK) / MEM_FACTOR ? SIZE_MAX
                                                          : size * MEM_FACTOR + MEM_SLACK;
    L.n_bind = n_bind > 0 && bind_names && bind ? n_bind : 0;
    L.bind_names = bind_names;
    L.bind = bind;
    st = parse_model(&L, data, size);
    for (int i = 0; i < N_SCRATCH; i++) free(L.scratch[i]);
    free(L.files);
    if (!st) st = nn_graph_finalize(g);
    if (st) {
        nn_graph_free(g);
        return st;
    }
    *out = g;
    return FSIFT_OK;
}
