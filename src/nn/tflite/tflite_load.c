/*
 * tflite_load.c — the TFLite loader: .tflite flatbuffer → graph IR (see tflite.h). The
 * per-operator mapping functions are in tflite_ops.c; what both share is tflite_internal.h.
 *
 * How it works. The file is read in place through the bounds-checked reader of fb.h (field
 * ids below follow tensorflow/compiler/mlir/lite/schema/schema.fbs, schema version 3 with the
 * 3a–3c additions). Only subgraph 0 is loaded. A first pass over the subgraph's tensors
 * validates each one (type, rank, buffer index, constant data length = shape product × type
 * size) and notes which hold constant data. Then the graph inputs are declared, and the
 * operators are mapped one by one, in file order (TFLite stores them in execution order; an
 * operator that reads a tensor no earlier operator wrote is an error, which also rejects
 * cycles). Values are created lazily: a constant is copied into the graph only when some node
 * reads it as data, so weights that are only re-laid (depthwise filters) or read at load
 * (shapes, permutations, paddings, axes) are not stored twice; a float32 constant made by a
 * DEQUANTIZE at load and read by nothing but one depthwise convolution is re-laid in place
 * (a count of each tensor's readers, made before the mapping, tells).
 *
 * Mapping (TFLite data is NHWC; nodes carry ONNX opset-13 semantics plus the extension
 * attributes of ../ops.h):
 *   CONV_2D              Conv layout=NHWC, weights [O,kH,kW,I] as stored, auto_pad SAME_UPPER
 *                        (TFLite puts the odd padding pixel after) or VALID, activation attr.
 *   fused activations    RELU, RELU_N1_TO_1, RELU6 → the "activation" attribute; TANH and
 *                        SIGN_BIT are dropped, because TFLite's float kernels clamp to the
 *                        activation's range, which is unbounded for those two (the runtime
 *                        ignores them; checked against it). L2_NORMALIZATION ignores its own.
 *   DEPTHWISE_CONV_2D    Conv NHWC with group = input channels; the [1,kH,kW,C·m] filter is
 *                        re-laid at load to [C·m,kH,kW,1] (a Transpose node if not constant).
 *   FULLY_CONNECTED      Reshape to [-1,K] (skipped when the input is already [M,K]), Gemm
 *                        transB=1, and a Reshape back for keep_num_dims.
 *   pools, arithmetic, activations, SOFTMAX (beta), RESHAPE, SQUEEZE, EXPAND_DIMS, TRANSPOSE,
 *   CONCATENATION, PAD/PADV2/MIRROR_PAD, MEAN/SUM/REDUCE_*, RESIZE_*, GATHER, SLICE, CAST …
 *                        see tl_map_op in tflite_ops.c.
 *   DEQUANTIZE           a float16 or (per-tensor/per-axis) int8/uint8/int16 constant is
 *                        converted to a float32 constant at load (no node); a float16
 *                        activation becomes Cast(to=float).
 * Resize: TF's half_pixel_centers bilinear is ONNX "half_pixel" (src = (dst+0.5)·in/out − 0.5,
 * clamped to the edge, which is what TF's max(floor,0)/min(ceil,in−1) amounts to); TF's
 * half_pixel_centers nearest is ONNX "tf_half_pixel_for_nn" with nearest_mode "floor";
 * align_corners nearest rounds half away from zero = "round_prefer_ceil"; plain TF is ONNX
 * "asymmetric" (+ "floor" for nearest).
 *
 * Memory: the per-tensor table is 16 bytes per tensor (the count is limited, and a vector of
 * n tensors takes 4n bytes of the file); everything else goes into the graph's arena.
 * Threading: no shared state; loads may run concurrently.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tflite_internal.h"


/* TensorType → fsift dtype (0 = not representable). */
static int map_type(int t) {
    switch (t) {
    case 0: return FSIFT_DTYPE_FLOAT32;
    case 1: return FSIFT_DTYPE_FLOAT16;
    case 2: return FSIFT_DTYPE_INT32;
    case 3: return FSIFT_DTYPE_UINT8;
    case 4: return FSIFT_DTYPE_INT64;
    case 6: return FSIFT_DTYPE_BOOL;
    case 7: return FSIFT_DTYPE_INT16;
    case 9: return FSIFT_DTYPE_INT8;
    case 10: return FSIFT_DTYPE_FLOAT64;
    case 12: return FSIFT_DTYPE_UINT64;
    case 15: return FSIFT_DTYPE_UINT32;
    case 16: return FSIFT_DTYPE_UINT16;
    default: return 0; /* STRING, COMPLEX64/128, RESOURCE, VARIANT, INT4, BFLOAT16 … */
    }
}

const char *tl_type_name(int t) {
    static const char *const names[] = {
        "FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16",
        "COMPLEX64", "INT8", "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT",
        "UINT32", "UINT16", "INT4", "BFLOAT16"};
    return t >= 0 && t < (int)(sizeof names / sizeof names[0]) ? names[t] : "unknown type";
}

/* enum BuiltinOperator, 0..207. */
static const char *const op_names[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
    "DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED",
    "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION",
    "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1",
    "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH",
    "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND",
    "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX",
    "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX",
    "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT",
    "SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL",
    "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT",
    "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND",
    "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE",
    "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU",
    "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2",
    "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG",
    "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE",
    "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY",
    "SEGMENT_SUM", "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE",
    "BROADCAST_TO", "RFFT2D", "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE",
    "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE",
    "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS",
    "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU",
    "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX",
    "UNSORTED_SEGMENT_SUM", "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR",
    "RIGHT_SHIFT", "STABLEHLO_LOGISTIC", "STABLEHLO_ADD", "STABLEHLO_DIVIDE",
    "STABLEHLO_MULTIPLY", "STABLEHLO_MAXIMUM", "STABLEHLO_RESHAPE", "STABLEHLO_CLAMP",
    "STABLEHLO_CONCATENATE", "STABLEHLO_BROADCAST_IN_DIM", "STABLEHLO_CONVOLUTION",
    "STABLEHLO_SLICE", "STABLEHLO_CUSTOM_CALL", "STABLEHLO_REDUCE", "STABLEHLO_ABS",
    "STABLEHLO_AND", "STABLEHLO_COSINE", "STABLEHLO_EXPONENTIAL", "STABLEHLO_FLOOR",
    "STABLEHLO_LOG", "STABLEHLO_MINIMUM", "STABLEHLO_NEGATE", "STABLEHLO_OR",
    "STABLEHLO_POWER", "STABLEHLO_REMAINDER", "STABLEHLO_RSQRT", "STABLEHLO_SELECT",
    "STABLEHLO_SUBTRACT", "STABLEHLO_TANH", "STABLEHLO_SCATTER", "STABLEHLO_COMPARE",
    "STABLEHLO_CONVERT", "STABLEHLO_DYNAMIC_SLICE", "STABLEHLO_DYNAMIC_UPDATE_SLICE",
    "STABLEHLO_PAD", "STABLEHLO_IOTA", "STABLEHLO_DOT_GENERAL", "STABLEHLO_REDUCE_WINDOW",
    "STABLEHLO_SORT", "STABLEHLO_WHILE", "STABLEHLO_GATHER", "STABLEHLO_TRANSPOSE", "DILATE",
    "STABLEHLO_RNG_BIT_GENERATOR", "REDUCE_WINDOW", "STABLEHLO_COMPOSITE", "COMPLEX"};

const char *nn_tflite_op_name(int code) {
    return code >= 0 && code < (int)(sizeof op_names / sizeof op_names[0]) ? op_names[code] : NULL;
}


fsift_status tl_op_err(const tl_ctx *c, fsift_status s, const char *fmt, ...) {
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->op_index >= 0)
        return fsift_error(s, "tflite: operator %d (%s): %s", c->op_index, c->op_name, msg);
    return fsift_error(s, "tflite: %s", msg);
}

/* ---- tensors --------------------------------------------------------------------------------- */

int64_t tl_mul_checked(int64_t a, int64_t b) {
    if (a < 0 || b < 0) return -1;
    if (a != 0 && b > INT64_MAX / a) return -1;
    return a * b;
}

int64_t tl_shape_numel(int rank, const int64_t *dims) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || dims[i] > NN_MAX_DIM) return -1;
        n = tl_mul_checked(n, dims[i]);
        if (n < 0) return -1;
    }
    return n;
}

/* Reads and validates tensor ti (index already checked). */
fsift_status tl_tensor_info(tl_ctx *c, uint32_t ti, tinfo *x) {
    fb_buf *b = &c->fb;
    fb_table t, q, buf;
    memset(x, 0, sizeof *x);
    if (!fb_table_at(b, c->t[ti].pos, &t)) return fb_check(b);
    x->type = fb_i8(b, &t, T_TYPE, 0);
    x->dtype = map_type(x->type);
    x->name = fb_string(b, &t, T_NAME, &x->name_len);
    fb_vec shape, sig;
    fb_vec_field(b, &t, T_SHAPE, 4, &shape);
    int has_sig = fb_vec_field(b, &t, T_SHAPE_SIGNATURE, 4, &sig);
    FB_OK(c);
    if (!x->name) x->name = "";
    if (x->name_len > TL_NAME_MAX) x->name_len = TL_NAME_MAX;
    if (shape.len > NN_MAX_RANK)
        return fsift_error(FSIFT_E_UNSUPPORTED, "tflite: tensor %u ('%.*s') has rank %u (at most %d supported)",
                           ti, (int)x->name_len, x->name, shape.len, NN_MAX_RANK);
    x->rank = (int)shape.len;
    for (int i = 0; i < x->rank; i++) {
        int32_t d = fb_vec_i32(b, &shape, (uint32_t)i);
        x->dims[i] = d < 0 ? -1 : d;
        if (d < 0) x->dyn = 1;
    }
    if (has_sig && sig.len == shape.len) {
        for (int i = 0; i < x->rank; i++)
            if (fb_vec_i32(b, &sig, (uint32_t)i) < 0) {
                x->dims[i] = -1;
                x->dyn = 1;
            }
    }
    if (fb_table_field(b, &t, T_QUANT, &q)) {
        if (fb_vec_field(b, &q, Q_SCALE, 4, &x->scale) && x->scale.len > 0) x->quant = 1;
        fb_vec_field(b, &q, Q_ZERO_POINT, 8, &x->zero_point);
        x->qdim = fb_i32(b, &q, Q_DIM, 0);
    }
    uint32_t bi = fb_u32(b, &t, T_BUFFER, 0);
    FB_OK(c);
    if (bi >= c->buffers.len && !(bi == 0 && c->buffers.len == 0))
        return fsift_error(FSIFT_E_FORMAT, "tflite: tensor %u ('%.*s') uses buffer %u of %u", ti,
                           (int)x->name_len, x->name, bi, c->buffers.len);
    if (bi == 0) return FSIFT_OK; /* buffer 0 is the empty sentinel */
    if (!fb_vec_table(b, &c->buffers, bi, &buf)) return fb_check(b);
    fb_vec data;
    if (fb_vec_field(b, &buf, B_DATA, 1, &data) && data.len > 0) {
        x->data = b->p + data.pos;
        x->nbytes = data.len;
    } else {
        uint64_t off = fb_u64(b, &buf, B_OFFSET, 0), size = fb_u64(b, &buf, B_SIZE, 0);
        FB_OK(c);
        if (off > 1 && size > 0) { /* data stored after the flatbuffer (models > 2 GB) */
            if (off > b->n || size > b->n - off)
                return fsift_error(FSIFT_E_FORMAT,
                                   "tflite: buffer %u claims bytes [%llu, +%llu) of a %zu-byte file",
                                   bi, (unsigned long long)off, (unsigned long long)size, b->n);
            x->data = b->p + off;
            x->nbytes = (size_t)size;
        }
    }
    FB_OK(c);
    if (!x->data) return FSIFT_OK;
    if (fb_present(b, &t, T_SPARSITY))
        return fsift_error(FSIFT_E_UNSUPPORTED, "tflite: tensor %u ('%.*s') is sparse; sparse "
                           "tensors are not supported", ti, (int)x->name_len, x->name);
    if (!x->dtype)
        return fsift_error(FSIFT_E_UNSUPPORTED, "tflite: constant tensor %u ('%.*s') has type %s (%d), "
                           "which is not supported", ti, (int)x->name_len, x->name,
                           tl_type_name(x->type), x->type);
    int64_t n = x->dyn ? -1 : tl_shape_numel(x->rank, x->dims);
    int64_t need = n < 0 ? -1 : tl_mul_checked(n, (int64_t)fsift_dtype_size(x->dtype));
    if (need < 0 || (uint64_t)need != (uint64_t)x->nbytes) {
        char sb[128];
        nn_shape_str(x->rank, x->dims, sb, sizeof sb);
        return fsift_error(FSIFT_E_FORMAT, "tflite: constant tensor %u ('%.*s') of shape %s %s "
                           "has %zu bytes of data, expected %lld", ti, (int)x->name_len, x->name,
                           sb, tl_type_name(x->type), x->nbytes, (long long)need);
    }
    return FSIFT_OK;
}

/* Validates a tensor index read from the file (-1 allowed when optional). */
static fsift_status check_index(const tl_ctx *c, int32_t idx, int optional, const char *what) {
    if (idx == -1 && optional) return FSIFT_OK;
    if (idx < 0 || (uint32_t)idx >= c->nt)
        return tl_op_err(c, FSIFT_E_FORMAT, "%s tensor index %d is out of range (%u tensors)", what,
                      idx, c->nt);
    return FSIFT_OK;
}

/* Writes a graph-unique name for tensor ti (or a derived value when suffix != NULL) into buf. */
fsift_status tl_unique_name(tl_ctx *c, const char *base, size_t len, const char *suffix,
                                long tag, char *buf, size_t size) {
    char core[TL_NAME_MAX + 64];
    size_t n = 0;
    while (n < len && n < TL_NAME_MAX && base[n]) n++;
    if (n == 0)
        snprintf(core, sizeof core, "t%ld", tag);
    else
        snprintf(core, sizeof core, "%.*s", (int)n, base);
    if (suffix) {
        size_t l = strlen(core);
        snprintf(core + l, sizeof core - l, "/%s", suffix);
    }
    snprintf(buf, size, "%s", core);
    for (int k = 0; nn_graph_find(c->g, buf) >= 0; k++) {
        if (k >= 32)
            return tl_op_err(c, FSIFT_E_FORMAT, "cannot make a unique value name from '%s'", core);
        if (k == 0)
            snprintf(buf, size, "%s#%ld", core, tag);
        else
            snprintf(buf, size, "%s#%ld.%d", core, tag, k);
    }
    return FSIFT_OK;
}

static int is_int_type(int dtype) {
    return dtype == FSIFT_DTYPE_INT8 || dtype == FSIFT_DTYPE_UINT8 || dtype == FSIFT_DTYPE_INT16 ||
           dtype == FSIFT_DTYPE_UINT16 || dtype == FSIFT_DTYPE_INT32 || dtype == FSIFT_DTYPE_UINT32 ||
           dtype == FSIFT_DTYPE_INT64 || dtype == FSIFT_DTYPE_UINT64;
}

static fsift_status quant_error(const tl_ctx *c, uint32_t ti, const tinfo *x) {
    return tl_op_err(c, FSIFT_E_UNSUPPORTED,
                  "tensor %u ('%.*s') is quantized (%s with scale %g); quantized models are not "
                  "supported (float models with float16/int8 weights behind DEQUANTIZE are)",
                  ti, (int)x->name_len, x->name, tl_type_name(x->type),
                  (double)fb_vec_f32((fb_buf *)&c->fb, &x->scale, 0));
}

/* The graph value holding tensor ti as an operator's data input; creates constants on first
 * use. ti = -1 gives -1 (absent). */
fsift_status tl_in_val(tl_ctx *c, int ti, int *val) {
    *val = -1;
    if (ti < 0) return FSIFT_OK;
    tl_tensor *t = &c->t[ti];
    if (t->val >= 0) {
        *val = t->val;
        return FSIFT_OK;
    }
    tinfo x;
    TRY(tl_tensor_info(c, (uint32_t)ti, &x));
    if (!(t->flags & TF_CONST)) {
        /* a never-written static tensor with no elements is an empty constant */
        if (x.dtype && !x.dyn && x.rank > 0 && tl_shape_numel(x.rank, x.dims) == 0) {
            x.data = NULL;
            x.nbytes = 0;
        } else {
            return tl_op_err(c, FSIFT_E_FORMAT, "reads tensor %d ('%.*s'), which no earlier operator "
                          "writes and which is neither a graph input nor a constant", ti,
                          (int)x.name_len, x.name);
        }
    }
    if (x.quant && is_int_type(x.dtype)) return quant_error(c, (uint32_t)ti, &x);
    char name[TL_NAME_MAX + 128];
    TRY(tl_unique_name(c, x.name, x.name_len, NULL, ti, name, sizeof name));
    fsift_status s = nn_graph_add_const(c->g, name, x.dtype, x.rank, x.dims, x.data, x.nbytes,
                                        &t->val);
    if (s != FSIFT_OK) {
        fsift_error_prefix("tflite: tensor %d", ti);
        t->val = -1;
        return s;
    }
    t->flags |= TF_DEFINED;
    *val = t->val;
    return FSIFT_OK;
}

/* Creates the activation value for tensor ti written by the current operator. */
fsift_status tl_out_val(tl_ctx *c, int ti, int *val) {
    *val = -1;
    if (ti < 0) return FSIFT_OK;
    tl_tensor *t = &c->t[ti];
    tinfo x;
    TRY(tl_tensor_info(c, (uint32_t)ti, &x));
    if (t->flags & (TF_DEFINED | TF_CONST) || t->val >= 0)
        return tl_op_err(c, FSIFT_E_FORMAT, "writes tensor %d ('%.*s'), which is %s", ti,
                      (int)x.name_len, x.name,
                      (t->flags & TF_CONST) ? "a constant" : "already written or a graph input");
    if (x.quant && is_int_type(x.dtype)) return quant_error(c, (uint32_t)ti, &x);
    char name[TL_NAME_MAX + 128];
    TRY(tl_unique_name(c, x.name, x.name_len, NULL, ti, name, sizeof name));
    fsift_status s = nn_graph_value(c->g, name, &t->val);
    if (s != FSIFT_OK) {
        t->val = -1;
        return s;
    }
    t->flags |= TF_DEFINED;
    *val = t->val;
    return FSIFT_OK;
}

/* Constant view of tensor ti: 1 if it is constant (file data or a constant made at load),
 * 0 if not. */
int tl_const_view(tl_ctx *c, int ti, cview *v, fsift_status *st) {
    memset(v, 0, sizeof *v);
    *st = FSIFT_OK;
    if (ti < 0) return 0;
    tl_tensor *t = &c->t[ti];
    if (t->val >= 0) {
        const nn_value *gv = &c->g->vals[t->val];
        if (gv->kind != NN_VAL_CONST) return 0;
        v->dtype = gv->dtype;
        v->rank = gv->rank;
        memcpy(v->dims, gv->dims, sizeof v->dims);
        v->data = (const uint8_t *)gv->data;
        v->nbytes = gv->nbytes;
        v->numel = tl_shape_numel(v->rank, v->dims);
        return v->numel >= 0;
    }
    if (!(t->flags & TF_CONST)) return 0;
    tinfo x;
    if ((*st = tl_tensor_info(c, (uint32_t)ti, &x)) != FSIFT_OK) return 0;
    if (x.quant && is_int_type(x.dtype)) {
        *st = quant_error(c, (uint32_t)ti, &x);
        return 0;
    }
    v->dtype = x.dtype;
    v->rank = x.rank;
    memcpy(v->dims, x.dims, sizeof v->dims);
    v->data = x.data;
    v->nbytes = x.nbytes;
    v->numel = tl_shape_numel(x.rank, x.dims);
    return 1;
}

/* Integer element i of an int32/int64 constant (checked by the caller). */
static int64_t cv_int(const cview *v, int64_t i) {
    if (v->dtype == FSIFT_DTYPE_INT64) {
        int64_t x;
        memcpy(&x, v->data + 8 * i, 8);
        return x;
    }
    int32_t x;
    memcpy(&x, v->data + 4 * i, 4);
    return x;
}

/* Reads a small 1-D (or scalar) int32/int64 constant into out[0, max). Returns the count in
 * *n. not_const: 1 when the tensor is not constant (no error set). */
fsift_status tl_const_ints(tl_ctx *c, int ti, const char *what, int64_t *out, int max, int *n,
                               int *not_const) {
    cview v;
    fsift_status st;
    *n = 0;
    if (not_const) *not_const = 0;
    if (!tl_const_view(c, ti, &v, &st)) {
        if (st != FSIFT_OK) return st;
        if (not_const) {
            *not_const = 1;
            return FSIFT_OK;
        }
        return tl_op_err(c, FSIFT_E_UNSUPPORTED, "%s (tensor %d) must be a constant", what, ti);
    }
    if (v.dtype != FSIFT_DTYPE_INT32 && v.dtype != FSIFT_DTYPE_INT64)
        return tl_op_err(c, FSIFT_E_FORMAT, "%s (tensor %d) has type %s, expected int32 or int64",
                      what, ti, fsift_dtype_name(v.dtype));
    if (v.numel > max)
        return tl_op_err(c, FSIFT_E_FORMAT, "%s (tensor %d) has %lld values (at most %d)", what, ti,
                      (long long)v.numel, max);
    for (int64_t i = 0; i < v.numel; i++) out[i] = cv_int(&v, i);
    *n = (int)v.numel;
    return FSIFT_OK;
}

/* ---- building nodes ------------------------------------------------------------------------- */

fsift_status tl_emit(tl_ctx *c, const char *op_type, int n_in, const int *in, int n_out,
                         const int *out, int *node) {
    fsift_status s = nn_graph_add_node(c->g, op_type, "", c->node_name, n_in, in, n_out, out, node);
    if (s != FSIFT_OK) fsift_error_prefix("tflite: operator %d (%s)", c->op_index, c->op_name);
    return s;
}

/* A new anonymous-ish activation value named "<node>/<suffix>". */
fsift_status tl_tmp_val(tl_ctx *c, const char *suffix, int *val) {
    char name[TL_NAME_MAX + 160];
    const char *base = c->node_name ? c->node_name : "";
    TRY(tl_unique_name(c, base, strlen(base), suffix, c->op_index, name, sizeof name));
    return nn_graph_value(c->g, name, val);
}

fsift_status tl_const_i64(tl_ctx *c, const int64_t *v, int n, int rank, int *val) {
    int64_t dims[1] = {n};
    return nn_graph_add_const(c->g, NULL, FSIFT_DTYPE_INT64, rank, dims, v,
                              (size_t)n * sizeof(int64_t), val);
}

static fsift_status const_f32_scalar(tl_ctx *c, float f, int *val) {
    return nn_graph_add_const(c->g, NULL, FSIFT_DTYPE_FLOAT32, 0, NULL, &f, sizeof f, val);
}


fsift_status tl_set_str(tl_ctx *c, int node, const char *name, const char *s) {
    return nn_node_set_string(c->g, node, name, s, strlen(s));
}

/* The fused activation (ActivationFunctionType) as the "activation" attribute. TFLite's float
 * kernels apply a fused activation as a clamp to its range (CalculateActivationRange), and
 * that range is unbounded for TANH and SIGN_BIT: the runtime ignores those two, so we do too
 * (checked against the TFLite runtime by tests/script_tflite_oracle.sh). */
static const char *act_name(int act) {
    switch (act) {
    case 1: return "RELU";
    case 2: return "RELU_N1_TO_1";
    case 3: return "RELU6";
    default: return NULL; /* NONE, TANH, SIGN_BIT */
    }
}

fsift_status tl_check_act(tl_ctx *c, int act) {
    if (act < 0 || act > 5)
        return tl_op_err(c, FSIFT_E_FORMAT, "fused activation %d is not an ActivationFunctionType", act);
    return FSIFT_OK;
}

fsift_status tl_set_act(tl_ctx *c, int node, int act) {
    TRY(tl_check_act(c, act));
    const char *a = act_name(act);
    return a ? tl_set_str(c, node, "activation", a) : FSIFT_OK;
}

/* Emits Clip(x, lo, hi) with cached scalar bounds. */
static fsift_status emit_clip(tl_ctx *c, int x, float lo, float hi, int *cache_lo, int *cache_hi,
                              int y) {
    if (*cache_lo < 0) TRY(const_f32_scalar(c, lo, cache_lo));
    if (*cache_hi < 0) TRY(const_f32_scalar(c, hi, cache_hi));
    int in[3] = {x, *cache_lo, *cache_hi}, node;
    return tl_emit(c, "Clip", 3, in, 1, &y, &node);
}

/* RELU6 / RELU_N1_TO_1 as Clip nodes x → y. */
fsift_status tl_emit_clamp(tl_ctx *c, int act, int x, int y) {
    if (act == 2) return emit_clip(c, x, -1.f, 1.f, &c->clip_m1, &c->clip_p1, y);
    return emit_clip(c, x, 0.f, 6.f, &c->clip_zero, &c->clip_six, y);
}

/* ---- operator helpers ----------------------------------------------------------------------- */

fsift_status tl_need_io(tl_ctx *c, const opx *o, int min_in, int max_in, int n_out) {
    if (o->n_in < min_in || o->n_in > max_in)
        return tl_op_err(c, FSIFT_E_FORMAT, "has %d inputs, expected %d..%d", o->n_in, min_in, max_in);
    for (int i = 0; i < min_in; i++)
        if (o->in[i] < 0) return tl_op_err(c, FSIFT_E_FORMAT, "required input %d is missing", i);
    if (o->n_out != n_out)
        return tl_op_err(c, FSIFT_E_FORMAT, "has %d outputs, expected %d", o->n_out, n_out);
    for (int i = 0; i < n_out; i++)
        if (o->out[i] < 0) return tl_op_err(c, FSIFT_E_FORMAT, "output %d is missing", i);
    return FSIFT_OK;
}

/* Reads the operator's builtin_options when they are of the expected union member; absent
 * options leave o->opt empty (every field then reads as its schema default). */
fsift_status tl_want_opts(tl_ctx *c, const opx *o, int type) {
    if (o->opt_type != 0 && o->opt_type != type)
        return tl_op_err(c, FSIFT_E_FORMAT, "builtin_options are union member %d, expected %d",
                      o->opt_type, type);
    return FSIFT_OK;
}

fsift_status tl_padding_attr(tl_ctx *c, int node, int padding) {
    if (padding == 0) return tl_set_str(c, node, "auto_pad", "SAME_UPPER");
    if (padding == 1) return tl_set_str(c, node, "auto_pad", "VALID");
    return tl_op_err(c, FSIFT_E_FORMAT, "padding %d is neither SAME (0) nor VALID (1)", padding);
}

fsift_status tl_check_pos(tl_ctx *c, const char *what, int32_t a, int32_t b) {
    if (a < 1 || b < 1 || a > (1 << 20) || b > (1 << 20))
        return tl_op_err(c, FSIFT_E_FORMAT, "%s (%d, %d) must be positive", what, a, b);
    return FSIFT_OK;
}

/* Simple one-node mappings: inputs pass straight through. */
fsift_status tl_emit_simple(tl_ctx *c, const opx *o, const char *op_type, int *node) {
    int in[NN_MAX_IO], out[NN_MAX_IO];
    for (int i = 0; i < o->n_in; i++) TRY(tl_in_val(c, o->in[i], &in[i]));
    for (int i = 0; i < o->n_out; i++) TRY(tl_out_val(c, o->out[i], &out[i]));
    return tl_emit(c, op_type, o->n_in, in, o->n_out, out, node);
}

/* ---- the model ------------------------------------------------------------------------------- */

static fsift_status read_index_vec(tl_ctx *c, const fb_vec *v, int *out, int max, int *n,
                                   const char *what) {
    if (v->len > (uint32_t)max)
        return tl_op_err(c, FSIFT_E_LIMIT, "has %u %s (at most %d supported)", v->len, what, max);
    for (uint32_t i = 0; i < v->len; i++) {
        out[i] = fb_vec_i32(&c->fb, v, i);
        TRY(check_index(c, out[i], 1, what));
    }
    *n = (int)v->len;
    FB_OK(c);
    return FSIFT_OK;
}

static fsift_status load_operator(tl_ctx *c, const fb_vec *ops, uint32_t i) {
    fb_buf *b = &c->fb;
    fb_table op, oc;
    opx o;
    memset(&o, 0, sizeof o);
    c->op_index = (int)i;
    c->op_name = "?";
    c->node_name = NULL;
    if (!fb_vec_table(b, ops, i, &op)) return fb_check(b);
    uint32_t oci = fb_u32(b, &op, OP_OPCODE_INDEX, 0);
    FB_OK(c);
    if (oci >= c->opcodes.len)
        return fsift_error(FSIFT_E_FORMAT, "tflite: operator %u uses operator code %u of %u", i, oci,
                           c->opcodes.len);
    if (!fb_vec_table(b, &c->opcodes, oci, &oc)) return fb_check(b);
    int dep = fb_i8(b, &oc, OC_DEPRECATED_BUILTIN, 0);
    int32_t code = fb_i32(b, &oc, OC_BUILTIN, 0);
    FB_OK(c);
    o.code = code > dep ? code : dep; /* TFLite reads the larger of the two fields */
    if (o.code == OPC_CUSTOM) {
        size_t len;
        const char *cc = fb_string(b, &oc, OC_CUSTOM_CODE, &len);
        FB_OK(c);
        if (len > 128) len = 128;
        return fsift_error(FSIFT_E_UNSUPPORTED, "tflite: operator %u is the custom operator '%.*s', "
                           "which is not supported", i, cc ? (int)len : 0, cc ? cc : "");
    }
    const char *nm = nn_tflite_op_name(o.code);
    c->op_name = nm ? nm : "unknown";
    fb_vec iv, ov;
    fb_vec_field(b, &op, OP_INPUTS, 4, &iv);
    fb_vec_field(b, &op, OP_OUTPUTS, 4, &ov);
    o.opt_type = fb_u8(b, &op, OP_OPTIONS_TYPE, 0);
    if (o.opt_type) fb_table_field(b, &op, OP_OPTIONS, &o.opt);
    FB_OK(c);
    TRY(read_index_vec(c, &iv, o.in, NN_MAX_IO, &o.n_in, "inputs"));
    TRY(read_index_vec(c, &ov, o.out, NN_MAX_IO, &o.n_out, "outputs"));
    if (o.n_out < 1 || o.out[0] < 0) return tl_op_err(c, FSIFT_E_FORMAT, "has no output");
    /* nodes are named after the first output tensor */
    char nname[TL_NAME_MAX + 1];
    tinfo yi;
    TRY(tl_tensor_info(c, (uint32_t)o.out[0], &yi));
    size_t k = 0;
    while (k < yi.name_len && yi.name[k]) {
        nname[k] = yi.name[k];
        k++;
    }
    nname[k] = 0;
    c->node_name = nn_graph_strdup(c->g, nname, k);
    if (!c->node_name) return fsift_error(FSIFT_E_NOMEM, "tflite: out of memory");
    return tl_map_op(c, &o);
}

static fsift_status load(tl_ctx *c, const void *data, size_t size) {
    fb_buf *b = &c->fb;
    fb_table model, sg;
    fb_init(b, data, size);
    if (!fb_root(b, &model)) return fb_check(b);
    if (memcmp(b->p + 4, "TFL3", 4) != 0)
        return fsift_error(FSIFT_E_FORMAT, "tflite: not a TFLite file (file identifier is not TFL3)");
    uint32_t version = fb_u32(b, &model, M_VERSION, 0);
    fb_vec subgraphs, sg_tensors, sg_in, sg_out, ops;
    fb_vec_field(b, &model, M_OPCODES, 4, &c->opcodes);
    fb_vec_field(b, &model, M_SUBGRAPHS, 4, &subgraphs);
    fb_vec_field(b, &model, M_BUFFERS, 4, &c->buffers);
    size_t dlen;
    const char *desc = fb_string(b, &model, M_DESCRIPTION, &dlen);
    FB_OK(c);
    if (version != 3)
        return fsift_error(FSIFT_E_UNSUPPORTED, "tflite: schema version %u (only version 3 is supported)",
                           version);
    if (subgraphs.len == 0) return fsift_error(FSIFT_E_FORMAT, "tflite: the model has no subgraph");
    if (!fb_vec_table(b, &subgraphs, 0, &sg)) return fb_check(b);
    fb_vec_field(b, &sg, SG_TENSORS, 4, &sg_tensors);
    fb_vec_field(b, &sg, SG_INPUTS, 4, &sg_in);
    fb_vec_field(b, &sg, SG_OUTPUTS, 4, &sg_out);
    fb_vec_field(b, &sg, SG_OPERATORS, 4, &ops);
    FB_OK(c);
    if (sg_tensors.len > TL_MAX_TENSORS)
        return fsift_error(FSIFT_E_LIMIT, "tflite: %u tensors (at most %u)", sg_tensors.len, TL_MAX_TENSORS);
    if (ops.len > TL_MAX_OPERATORS)
        return fsift_error(FSIFT_E_LIMIT, "tflite: %u operators (at most %u)", ops.len, TL_MAX_OPERATORS);
    if (sg_out.len == 0) return fsift_error(FSIFT_E_FORMAT, "tflite: subgraph 0 has no outputs");

    TRY(nn_graph_new(&c->g));
    c->g->format = FSIFT_MODEL_TFLITE;
    c->g->opset = 13;
    if (desc && dlen > 4096) dlen = 4096;
    c->g->producer = nn_graph_strdup(c->g, desc ? desc : "", desc ? dlen : 0);

    /* pass 1: locate and validate every tensor */
    c->nt = sg_tensors.len;
    c->t = (tl_tensor *)calloc(c->nt ? c->nt : 1, sizeof *c->t);
    if (!c->t) return fsift_error(FSIFT_E_NOMEM, "tflite: out of memory for %u tensors", c->nt);
    for (uint32_t i = 0; i < c->nt; i++) {
        fb_table t;
        if (!fb_vec_table(b, &sg_tensors, i, &t)) return fb_check(b);
        if (t.pos > UINT32_MAX) return fsift_error(FSIFT_E_LIMIT, "tflite: tensor table beyond 4 GiB");
        c->t[i].pos = (uint32_t)t.pos;
        c->t[i].val = -1;
        tinfo x;
        TRY(tl_tensor_info(c, i, &x));
        c->t[i].dtype = (int8_t)x.dtype;
        if (x.data) c->t[i].flags |= TF_CONST;
        if (x.quant) c->t[i].flags |= TF_QUANT;
    }

    /* how often each tensor is read (lets a load-time constant be re-laid in place) */
    for (uint32_t i = 0; i < ops.len; i++) {
        fb_table op;
        fb_vec iv;
        if (!fb_vec_table(b, &ops, i, &op)) return fb_check(b);
        fb_vec_field(b, &op, OP_INPUTS, 4, &iv);
        for (uint32_t k = 0; k < iv.len; k++) {
            int32_t ti = fb_vec_i32(b, &iv, k);
            if (ti >= 0 && (uint32_t)ti < c->nt && c->t[ti].uses < UINT32_MAX) c->t[ti].uses++;
        }
        FB_OK(c);
    }
    for (uint32_t i = 0; i < sg_out.len; i++) {
        int32_t ti = fb_vec_i32(b, &sg_out, i);
        if (ti >= 0 && (uint32_t)ti < c->nt && c->t[ti].uses < UINT32_MAX) c->t[ti].uses++;
    }
    FB_OK(c);

    /* graph inputs */
    for (uint32_t i = 0; i < sg_in.len; i++) {
        int32_t ti = fb_vec_i32(b, &sg_in, i);
        FB_OK(c);
        TRY(check_index(c, ti, 0, "graph input"));
        tinfo x;
        TRY(tl_tensor_info(c, (uint32_t)ti, &x));
        if (c->t[ti].flags & TF_CONST) continue; /* a constant listed as input: keep it constant */
        if (c->t[ti].val >= 0)
            return fsift_error(FSIFT_E_FORMAT, "tflite: tensor %d is listed twice as a graph input", ti);
        if (!x.dtype)
            return fsift_error(FSIFT_E_UNSUPPORTED, "tflite: graph input %d has type %s, which is not "
                               "supported", ti, tl_type_name(x.type));
        if (x.quant && is_int_type(x.dtype)) return quant_error(c, (uint32_t)ti, &x);
        for (int d = 0; d < x.rank; d++)
            if (x.dims[d] < 0) c->graph_dynamic = 1;
        char name[TL_NAME_MAX + 128];
        TRY(tl_unique_name(c, x.name, x.name_len, NULL, ti, name, sizeof name));
        TRY(nn_graph_value(c->g, name, &c->t[ti].val));
        TRY(nn_graph_add_input(c->g, c->t[ti].val, x.dtype, x.rank, x.dims, NULL));
        c->t[ti].flags |= TF_DEFINED;
    }

    /* operators, in execution order */
    for (uint32_t i = 0; i < ops.len; i++) TRY(load_operator(c, &ops, i));
    c->op_index = -1;

    /* graph outputs */
    for (uint32_t i = 0; i < sg_out.len; i++) {
        int32_t ti = fb_vec_i32(b, &sg_out, i);
        FB_OK(c);
        TRY(check_index(c, ti, 0, "graph output"));
        int v;
        if (c->t[ti].val < 0 && !(c->t[ti].flags & TF_CONST)) {
            tinfo x;
            TRY(tl_tensor_info(c, (uint32_t)ti, &x));
            return fsift_error(FSIFT_E_FORMAT, "tflite: graph output %d ('%.*s') is never written", ti,
                               (int)x.name_len, x.name);
        }
        TRY(tl_in_val(c, ti, &v));
        TRY(nn_graph_add_output(c->g, v));
    }
    return FSIFT_OK;
}

static fsift_status load_graph(const void *data, size_t size, int finalize, nn_graph **out) {
    if (!out) return fsift_error(FSIFT_E_INVALID_ARG, "tflite: no output pointer");
    *out = NULL;
    if (!data && size) return fsift_error(FSIFT_E_INVALID_ARG, "tflite: NULL data");
    tl_ctx c;
    memset(&c, 0, sizeof c);
    c.op_index = -1;
    c.clip_zero = c.clip_six = c.clip_m1 = c.clip_p1 = -1;
    fsift_status s = load(&c, data, size);
    free(c.t);
    if (s == FSIFT_OK && finalize) s = nn_graph_finalize(c.g);
    if (s != FSIFT_OK) {
        nn_graph_free(c.g);
        return s;
    }
    *out = c.g;
    return FSIFT_OK;
}

fsift_status nn_tflite_load(const void *data, size_t size, nn_graph **out) {
    return load_graph(data, size, 1, out);
}

fsift_status nn_tflite_build(const void *data, size_t size, nn_graph **out) {
    return load_graph(data, size, 0, out);
}
