/*
 * tflite_load.c — the TFLite loader: .tflite flatbuffer → graph IR (see tflite.h).
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
 *                        see op_table at the end of this file.
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
#include "tflite.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ops.h"
#include "fb.h"

/* ---- schema field ids (schema.fbs, table fields in declaration order; a union takes two
 * ids: its _type byte, then the value) ------------------------------------------------------ */
enum { M_VERSION = 0, M_OPCODES = 1, M_SUBGRAPHS = 2, M_DESCRIPTION = 3, M_BUFFERS = 4 };
enum { OC_DEPRECATED_BUILTIN = 0, OC_CUSTOM_CODE = 1, OC_VERSION = 2, OC_BUILTIN = 3 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3, SG_NAME = 4 };
enum {
    T_SHAPE = 0, T_TYPE = 1, T_BUFFER = 2, T_NAME = 3, T_QUANT = 4, T_IS_VARIABLE = 5,
    T_SPARSITY = 6, T_SHAPE_SIGNATURE = 7, T_HAS_RANK = 8
};
enum { Q_MIN = 0, Q_MAX = 1, Q_SCALE = 2, Q_ZERO_POINT = 3, Q_DETAILS_TYPE = 4, Q_DETAILS = 5, Q_DIM = 6 };
enum {
    OP_OPCODE_INDEX = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPTIONS_TYPE = 3, OP_OPTIONS = 4,
    OP_CUSTOM_OPTIONS = 5, OP_INTERMEDIATES = 8
};
enum { B_DATA = 0, B_OFFSET = 1, B_SIZE = 2 };

/* BuiltinOptions union member numbers (1-based; 0 = NONE). */
enum {
    BO_CONV2D = 1, BO_DEPTHWISE = 2, BO_POOL2D = 5, BO_FULLY_CONNECTED = 8, BO_SOFTMAX = 9,
    BO_CONCATENATION = 10, BO_ADD = 11, BO_L2NORM = 12, BO_RESIZE_BILINEAR = 15,
    BO_RESHAPE = 17, BO_MUL = 21, BO_GATHER = 23, BO_REDUCER = 27, BO_SUB = 28, BO_DIV = 29,
    BO_SQUEEZE = 30, BO_RESIZE_NEAREST = 74, BO_LEAKY_RELU = 75, BO_MIRROR_PAD = 77,
    BO_BATCH_MATMUL = 101
};

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

static const char *type_name(int t) {
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

enum {
    OPC_ADD = 0, OPC_AVERAGE_POOL_2D = 1, OPC_CONCATENATION = 2, OPC_CONV_2D = 3,
    OPC_DEPTHWISE_CONV_2D = 4, OPC_DEQUANTIZE = 6, OPC_FLOOR = 8, OPC_FULLY_CONNECTED = 9,
    OPC_L2_NORMALIZATION = 11, OPC_LOGISTIC = 14, OPC_MAX_POOL_2D = 17, OPC_MUL = 18,
    OPC_RELU = 19, OPC_RELU_N1_TO_1 = 20, OPC_RELU6 = 21, OPC_RESHAPE = 22,
    OPC_RESIZE_BILINEAR = 23, OPC_SOFTMAX = 25, OPC_TANH = 28, OPC_CUSTOM = 32, OPC_PAD = 34,
    OPC_GATHER = 36, OPC_TRANSPOSE = 39, OPC_MEAN = 40, OPC_SUB = 41, OPC_DIV = 42,
    OPC_SQUEEZE = 43, OPC_EXP = 47, OPC_LOG_SOFTMAX = 50, OPC_CAST = 53, OPC_PRELU = 54,
    OPC_MAXIMUM = 55, OPC_MINIMUM = 57, OPC_NEG = 59, OPC_PADV2 = 60, OPC_SLICE = 65,
    OPC_SIN = 66, OPC_EXPAND_DIMS = 70, OPC_LOG = 73, OPC_SUM = 74, OPC_SQRT = 75,
    OPC_RSQRT = 76, OPC_POW = 78, OPC_REDUCE_PROD = 81, OPC_REDUCE_MAX = 82,
    OPC_REDUCE_MIN = 89, OPC_SQUARE = 92, OPC_RESIZE_NEAREST_NEIGHBOR = 97,
    OPC_LEAKY_RELU = 98, OPC_SQUARED_DIFFERENCE = 99, OPC_MIRROR_PAD = 100, OPC_ABS = 101,
    OPC_CEIL = 104, OPC_COS = 108, OPC_ELU = 111, OPC_ROUND = 116, OPC_HARD_SWISH = 117,
    OPC_BATCH_MATMUL = 126
};

/* ---- limits ------------------------------------------------------------------------------ */

#define TL_MAX_TENSORS (1u << 22)
#define TL_MAX_OPERATORS (1u << 22)
#define TL_NAME_MAX 512          /* longer tensor names are cut (they stay unique) */

/* ---- loader state -------------------------------------------------------------------------- */

enum { TF_CONST = 1, TF_DEFINED = 2, TF_QUANT = 4 };

typedef struct tl_tensor {
    uint32_t pos;   /* Tensor table position in the file */
    int32_t val;    /* graph value, -1 until created */
    int8_t dtype;   /* fsift dtype, 0 if the TensorType has none */
    uint8_t flags;  /* TF_* */
    uint32_t uses;  /* operator inputs and graph outputs that name it */
} tl_tensor;

typedef struct tl_ctx {
    fb_buf fb;
    nn_graph *g;
    fb_vec opcodes, buffers;
    tl_tensor *t;
    uint32_t nt;
    int graph_dynamic;      /* some graph input has a dynamic dim */
    int op_index;           /* operator being mapped, -1 outside */
    const char *op_name;    /* its TFLite name */
    const char *node_name;  /* name given to the nodes it makes */
    int clip_zero, clip_six, clip_m1, clip_p1; /* cached Clip bounds, -1 until made */
} tl_ctx;

/* One TFLite tensor as read from the file. */
typedef struct tinfo {
    int type;                  /* TensorType */
    int dtype;                 /* fsift dtype or 0 */
    int rank;
    int64_t dims[NN_MAX_RANK]; /* -1 = dynamic / unknown */
    int dyn;                   /* some dim is dynamic */
    const uint8_t *data;       /* constant bytes in the file, NULL if none */
    size_t nbytes;
    const char *name;          /* not NUL-terminated */
    size_t name_len;
    int quant;                 /* non-empty quantization scale */
    fb_vec scale, zero_point;
    int32_t qdim;
} tinfo;

/* A constant's bytes: either in the file (unaligned) or in the graph. */
typedef struct cview {
    int dtype, rank;
    int64_t dims[NN_MAX_RANK];
    const uint8_t *data;
    size_t nbytes;
    int64_t numel;
} cview;

/* One operator being mapped. */
typedef struct opx {
    int code;
    int n_in, n_out;
    int in[NN_MAX_IO];   /* tensor indices, -1 = absent */
    int out[NN_MAX_IO];
    int opt_type;
    fb_table opt;        /* builtin_options (all defaults when absent) */
} opx;

#define FB_OK(c)                                                                             \
    do {                                                                                     \
        if ((c)->fb.err) return fb_check(&(c)->fb);                                          \
    } while (0)

#define TRY(expr)                                                                            \
    do {                                                                                     \
        fsift_status st_ = (expr);                                                           \
        if (st_ != FSIFT_OK) return st_;                                                     \
    } while (0)

/* Error in the operator being mapped: "tflite: operator 7 (CONV_2D): …". */
static fsift_status op_err(const tl_ctx *c, fsift_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static fsift_status op_err(const tl_ctx *c, fsift_status s, const char *fmt, ...) {
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

static int64_t mul_checked(int64_t a, int64_t b) {
    if (a < 0 || b < 0) return -1;
    if (a != 0 && b > INT64_MAX / a) return -1;
    return a * b;
}

static int64_t shape_numel(int rank, const int64_t *dims) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || dims[i] > NN_MAX_DIM) return -1;
        n = mul_checked(n, dims[i]);
        if (n < 0) return -1;
    }
    return n;
}

/* Reads and validates tensor ti (index already checked). */
static fsift_status tensor_info(tl_ctx *c, uint32_t ti, tinfo *x) {
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
                           type_name(x->type), x->type);
    int64_t n = x->dyn ? -1 : shape_numel(x->rank, x->dims);
    int64_t need = n < 0 ? -1 : mul_checked(n, (int64_t)fsift_dtype_size(x->dtype));
    if (need < 0 || (uint64_t)need != (uint64_t)x->nbytes) {
        char sb[128];
        nn_shape_str(x->rank, x->dims, sb, sizeof sb);
        return fsift_error(FSIFT_E_FORMAT, "tflite: constant tensor %u ('%.*s') of shape %s %s "
                           "has %zu bytes of data, expected %lld", ti, (int)x->name_len, x->name,
                           sb, type_name(x->type), x->nbytes, (long long)need);
    }
    return FSIFT_OK;
}

/* Validates a tensor index read from the file (-1 allowed when optional). */
static fsift_status check_index(const tl_ctx *c, int32_t idx, int optional, const char *what) {
    if (idx == -1 && optional) return FSIFT_OK;
    if (idx < 0 || (uint32_t)idx >= c->nt)
        return op_err(c, FSIFT_E_FORMAT, "%s tensor index %d is out of range (%u tensors)", what,
                      idx, c->nt);
    return FSIFT_OK;
}

/* Writes a graph-unique name for tensor ti (or a derived value when suffix != NULL) into buf. */
static fsift_status unique_name(tl_ctx *c, const char *base, size_t len, const char *suffix,
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
            return op_err(c, FSIFT_E_FORMAT, "cannot make a unique value name from '%s'", core);
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
    return op_err(c, FSIFT_E_UNSUPPORTED,
                  "tensor %u ('%.*s') is quantized (%s with scale %g); quantized models are not "
                  "supported (float models with float16/int8 weights behind DEQUANTIZE are)",
                  ti, (int)x->name_len, x->name, type_name(x->type),
                  (double)fb_vec_f32((fb_buf *)&c->fb, &x->scale, 0));
}

/* The graph value holding tensor ti as an operator's data input; creates constants on first
 * use. ti = -1 gives -1 (absent). */
static fsift_status in_val(tl_ctx *c, int ti, int *val) {
    *val = -1;
    if (ti < 0) return FSIFT_OK;
    tl_tensor *t = &c->t[ti];
    if (t->val >= 0) {
        *val = t->val;
        return FSIFT_OK;
    }
    tinfo x;
    TRY(tensor_info(c, (uint32_t)ti, &x));
    if (!(t->flags & TF_CONST)) {
        /* a never-written static tensor with no elements is an empty constant */
        if (x.dtype && !x.dyn && x.rank > 0 && shape_numel(x.rank, x.dims) == 0) {
            x.data = NULL;
            x.nbytes = 0;
        } else {
            return op_err(c, FSIFT_E_FORMAT, "reads tensor %d ('%.*s'), which no earlier operator "
                          "writes and which is neither a graph input nor a constant", ti,
                          (int)x.name_len, x.name);
        }
    }
    if (x.quant && is_int_type(x.dtype)) return quant_error(c, (uint32_t)ti, &x);
    char name[TL_NAME_MAX + 128];
    TRY(unique_name(c, x.name, x.name_len, NULL, ti, name, sizeof name));
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
static fsift_status out_val(tl_ctx *c, int ti, int *val) {
    *val = -1;
    if (ti < 0) return FSIFT_OK;
    tl_tensor *t = &c->t[ti];
    tinfo x;
    TRY(tensor_info(c, (uint32_t)ti, &x));
    if (t->flags & (TF_DEFINED | TF_CONST) || t->val >= 0)
        return op_err(c, FSIFT_E_FORMAT, "writes tensor %d ('%.*s'), which is %s", ti,
                      (int)x.name_len, x.name,
                      (t->flags & TF_CONST) ? "a constant" : "already written or a graph input");
    if (x.quant && is_int_type(x.dtype)) return quant_error(c, (uint32_t)ti, &x);
    char name[TL_NAME_MAX + 128];
    TRY(unique_name(c, x.name, x.name_len, NULL, ti, name, sizeof name));
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
static int const_view(tl_ctx *c, int ti, cview *v, fsift_status *st) {
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
        v->numel = shape_numel(v->rank, v->dims);
        return v->numel >= 0;
    }
    if (!(t->flags & TF_CONST)) return 0;
    tinfo x;
    if ((*st = tensor_info(c, (uint32_t)ti, &x)) != FSIFT_OK) return 0;
    if (x.quant && is_int_type(x.dtype)) {
        *st = quant_error(c, (uint32_t)ti, &x);
        return 0;
    }
    v->dtype = x.dtype;
    v->rank = x.rank;
    memcpy(v->dims, x.dims, sizeof v->dims);
    v->data = x.data;
    v->nbytes = x.nbytes;
    v->numel = shape_numel(x.rank, x.dims);
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
static fsift_status const_ints(tl_ctx *c, int ti, const char *what, int64_t *out, int max, int *n,
                               int *not_const) {
    cview v;
    fsift_status st;
    *n = 0;
    if (not_const) *not_const = 0;
    if (!const_view(c, ti, &v, &st)) {
        if (st != FSIFT_OK) return st;
        if (not_const) {
            *not_const = 1;
            return FSIFT_OK;
        }
        return op_err(c, FSIFT_E_UNSUPPORTED, "%s (tensor %d) must be a constant", what, ti);
    }
    if (v.dtype != FSIFT_DTYPE_INT32 && v.dtype != FSIFT_DTYPE_INT64)
        return op_err(c, FSIFT_E_FORMAT, "%s (tensor %d) has type %s, expected int32 or int64",
                      what, ti, fsift_dtype_name(v.dtype));
    if (v.numel > max)
        return op_err(c, FSIFT_E_FORMAT, "%s (tensor %d) has %lld values (at most %d)", what, ti,
                      (long long)v.numel, max);
    for (int64_t i = 0; i < v.numel; i++) out[i] = cv_int(&v, i);
    *n = (int)v.numel;
    return FSIFT_OK;
}

/* ---- building nodes ------------------------------------------------------------------------- */

static fsift_status emit(tl_ctx *c, const char *op_type, int n_in, const int *in, int n_out,
                         const int *out, int *node) {
    fsift_status s = nn_graph_add_node(c->g, op_type, "", c->node_name, n_in, in, n_out, out, node);
    if (s != FSIFT_OK) fsift_error_prefix("tflite: operator %d (%s)", c->op_index, c->op_name);
    return s;
}

/* A new anonymous-ish activation value named "<node>/<suffix>". */
static fsift_status tmp_val(tl_ctx *c, const char *suffix, int *val) {
    char name[TL_NAME_MAX + 160];
    const char *base = c->node_name ? c->node_name : "";
    TRY(unique_name(c, base, strlen(base), suffix, c->op_index, name, sizeof name));
    return nn_graph_value(c->g, name, val);
}

static fsift_status const_i64(tl_ctx *c, const int64_t *v, int n, int rank, int *val) {
    int64_t dims[1] = {n};
    return nn_graph_add_const(c->g, NULL, FSIFT_DTYPE_INT64, rank, dims, v,
                              (size_t)n * sizeof(int64_t), val);
}

static fsift_status const_f32_scalar(tl_ctx *c, float f, int *val) {
    return nn_graph_add_const(c->g, NULL, FSIFT_DTYPE_FLOAT32, 0, NULL, &f, sizeof f, val);
}

#define SET(expr)                                                                            \
    do {                                                                                     \
        fsift_status st_ = (expr);                                                           \
        if (st_ != FSIFT_OK) return st_;                                                     \
    } while (0)

static fsift_status set_str(tl_ctx *c, int node, const char *name, const char *s) {
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

static fsift_status check_act(tl_ctx *c, int act) {
    if (act < 0 || act > 5)
        return op_err(c, FSIFT_E_FORMAT, "fused activation %d is not an ActivationFunctionType", act);
    return FSIFT_OK;
}

static fsift_status set_act(tl_ctx *c, int node, int act) {
    TRY(check_act(c, act));
    const char *a = act_name(act);
    return a ? set_str(c, node, "activation", a) : FSIFT_OK;
}

/* Emits Clip(x, lo, hi) with cached scalar bounds. */
static fsift_status emit_clip(tl_ctx *c, int x, float lo, float hi, int *cache_lo, int *cache_hi,
                              int y) {
    if (*cache_lo < 0) TRY(const_f32_scalar(c, lo, cache_lo));
    if (*cache_hi < 0) TRY(const_f32_scalar(c, hi, cache_hi));
    int in[3] = {x, *cache_lo, *cache_hi}, node;
    return emit(c, "Clip", 3, in, 1, &y, &node);
}

/* RELU6 / RELU_N1_TO_1 as Clip nodes x → y. */
static fsift_status emit_clamp(tl_ctx *c, int act, int x, int y) {
    if (act == 2) return emit_clip(c, x, -1.f, 1.f, &c->clip_m1, &c->clip_p1, y);
    return emit_clip(c, x, 0.f, 6.f, &c->clip_zero, &c->clip_six, y);
}

/* ---- operator helpers ----------------------------------------------------------------------- */

static fsift_status need_io(tl_ctx *c, const opx *o, int min_in, int max_in, int n_out) {
    if (o->n_in < min_in || o->n_in > max_in)
        return op_err(c, FSIFT_E_FORMAT, "has %d inputs, expected %d..%d", o->n_in, min_in, max_in);
    for (int i = 0; i < min_in; i++)
        if (o->in[i] < 0) return op_err(c, FSIFT_E_FORMAT, "required input %d is missing", i);
    if (o->n_out != n_out)
        return op_err(c, FSIFT_E_FORMAT, "has %d outputs, expected %d", o->n_out, n_out);
    for (int i = 0; i < n_out; i++)
        if (o->out[i] < 0) return op_err(c, FSIFT_E_FORMAT, "output %d is missing", i);
    return FSIFT_OK;
}

/* Reads the operator's builtin_options when they are of the expected union member; absent
 * options leave o->opt empty (every field then reads as its schema default). */
static fsift_status want_opts(tl_ctx *c, const opx *o, int type) {
    if (o->opt_type != 0 && o->opt_type != type)
        return op_err(c, FSIFT_E_FORMAT, "builtin_options are union member %d, expected %d",
                      o->opt_type, type);
    return FSIFT_OK;
}

static fsift_status padding_attr(tl_ctx *c, int node, int padding) {
    if (padding == 0) return set_str(c, node, "auto_pad", "SAME_UPPER");
    if (padding == 1) return set_str(c, node, "auto_pad", "VALID");
    return op_err(c, FSIFT_E_FORMAT, "padding %d is neither SAME (0) nor VALID (1)", padding);
}

static fsift_status check_pos(tl_ctx *c, const char *what, int32_t a, int32_t b) {
    if (a < 1 || b < 1 || a > (1 << 20) || b > (1 << 20))
        return op_err(c, FSIFT_E_FORMAT, "%s (%d, %d) must be positive", what, a, b);
    return FSIFT_OK;
}

/* Simple one-node mappings: inputs pass straight through. */
static fsift_status emit_simple(tl_ctx *c, const opx *o, const char *op_type, int *node) {
    int in[NN_MAX_IO], out[NN_MAX_IO];
    for (int i = 0; i < o->n_in; i++) TRY(in_val(c, o->in[i], &in[i]));
    for (int i = 0; i < o->n_out; i++) TRY(out_val(c, o->out[i], &out[i]));
    return emit(c, op_type, o->n_in, in, o->n_out, out, node);
}

/* ---- operators ------------------------------------------------------------------------------ */

static fsift_status op_conv2d(tl_ctx *c, opx *o) {
    fb_buf *b = &c->fb;
    TRY(need_io(c, o, 2, 3, 1));
    TRY(want_opts(c, o, BO_CONV2D));
    int padding = fb_i8(b, &o->opt, 0, 0);
    int32_t sw = fb_i32(b, &o->opt, 1, 0), sh = fb_i32(b, &o->opt, 2, 0);
    int act = fb_i8(b, &o->opt, 3, 0);
    int32_t dw = fb_i32(b, &o->opt, 4, 1), dh = fb_i32(b, &o->opt, 5, 1);
    FB_OK(c);
    TRY(check_pos(c, "strides", sh, sw));
    TRY(check_pos(c, "dilations", dh, dw));
    TRY(check_act(c, act));
    tinfo xi, wi;
    TRY(tensor_info(c, (uint32_t)o->in[0], &xi));
    TRY(tensor_info(c, (uint32_t)o->in[1], &wi));
    if (wi.rank != 4) return op_err(c, FSIFT_E_FORMAT, "filter has rank %d, expected 4", wi.rank);
    int64_t group = 1;
    if (xi.rank == 4 && xi.dims[3] > 0 && wi.dims[3] > 0 && xi.dims[3] != wi.dims[3]) {
        if (xi.dims[3] % wi.dims[3] != 0)
            return op_err(c, FSIFT_E_SHAPE, "input has %lld channels, filter %lld",
                          (long long)xi.dims[3], (long long)wi.dims[3]);
        group = xi.dims[3] / wi.dims[3];
    }
    int node;
    TRY(emit_simple(c, o, "Conv", &node));
    int64_t strides[2] = {sh, sw}, dil[2] = {dh, dw};
    SET(set_str(c, node, "layout", "NHWC"));
    SET(nn_node_set_ints(c->g, node, "strides", strides, 2));
    SET(nn_node_set_ints(c->g, node, "dilations", dil, 2));
    if (wi.dims[1] > 0 && wi.dims[2] > 0) {
        int64_t ks[2] = {wi.dims[1], wi.dims[2]};
        SET(nn_node_set_ints(c->g, node, "kernel_shape", ks, 2));
    }
    if (group != 1) SET(nn_node_set_int(c->g, node, "group", group));
    TRY(padding_attr(c, node, padding));
    return set_act(c, node, act);
}

static fsift_status op_depthwise(tl_ctx *c, opx *o) {
    fb_buf *b = &c->fb;
    TRY(need_io(c, o, 2, 3, 1));
    TRY(want_opts(c, o, BO_DEPTHWISE));
    int padding = fb_i8(b, &o->opt, 0, 0);
    int32_t sw = fb_i32(b, &o->opt, 1, 0), sh = fb_i32(b, &o->opt, 2, 0);
    int32_t mult = fb_i32(b, &o->opt, 3, 0);
    int act = fb_i8(b, &o->opt, 4, 0);
    int32_t dw = fb_i32(b, &o->opt, 5, 1), dh = fb_i32(b, &o->opt, 6, 1);
    FB_OK(c);
    TRY(check_pos(c, "strides", sh, sw));
    TRY(check_pos(c, "dilations", dh, dw));
    TRY(check_act(c, act));
    tinfo xi, wi;
    TRY(tensor_info(c, (uint32_t)o->in[0], &xi));
    TRY(tensor_info(c, (uint32_t)o->in[1], &wi));
    if (wi.rank != 4 || wi.dims[0] != 1 || wi.dims[1] <= 0 || wi.dims[2] <= 0 || wi.dims[3] <= 0)
        return op_err(c, FSIFT_E_FORMAT, "filter must have static shape [1,kH,kW,C*m]");
    int64_t cm = wi.dims[3], ch;
    /* TFLite derives the multiplier from the shapes (depth_multiplier is redundant) */
    if (xi.rank == 4 && xi.dims[3] > 0)
        ch = xi.dims[3];
    else if (mult >= 1 && cm % mult == 0)
        ch = cm / mult;
    else
        return op_err(c, FSIFT_E_SHAPE, "cannot tell the input channels (input shape unknown, "
                      "depth_multiplier %d, %lld output channels)", mult, (long long)cm);
    if (cm % ch != 0)
        return op_err(c, FSIFT_E_SHAPE, "%lld output channels are not a multiple of %lld input "
                      "channels", (long long)cm, (long long)ch);

    int x, w, bias = -1, y;
    TRY(in_val(c, o->in[0], &x));
    if (o->n_in > 2) TRY(in_val(c, o->in[2], &bias));
    TRY(out_val(c, o->out[0], &y));
    int64_t kh = wi.dims[1], kw = wi.dims[2];
    int64_t wdims[4] = {cm, kh, kw, 1};
    cview v;
    fsift_status st;
    if (const_view(c, o->in[1], &v, &st)) {
        /* [1,kH,kW,CM] → [CM,kH,kW,1]: out[o][i][j] = in[i][j][o] */
        if (v.rank != 4 || v.dims[0] != 1 || v.dims[1] != kh || v.dims[2] != kw || v.dims[3] != cm)
            return op_err(c, FSIFT_E_FORMAT, "filter data does not have the filter's declared shape");
        size_t es = fsift_dtype_size(v.dtype);
        int t1 = o->in[1];
        uint8_t *tmp = NULL;
        const uint8_t *src = v.data;
        if (c->t[t1].val >= 0 && c->t[t1].uses == 1) {
            /* a constant made at load (DEQUANTIZE) read only here: re-lay it in place */
            w = c->t[t1].val;
            tmp = (uint8_t *)malloc(v.nbytes ? v.nbytes : 1);
            if (!tmp) return op_err(c, FSIFT_E_NOMEM, "out of memory");
            memcpy(tmp, v.data, v.nbytes);
            src = tmp;
            memcpy(c->g->vals[w].dims, wdims, sizeof wdims);
        } else {
            TRY(nn_graph_add_const(c->g, NULL, v.dtype, 4, wdims, NULL, v.nbytes, &w));
        }
        uint8_t *dst = (uint8_t *)c->g->vals[w].data;
        for (int64_t oc = 0; oc < cm; oc++)
            for (int64_t k = 0; k < kh * kw; k++)
                memcpy(dst + (size_t)(oc * kh * kw + k) * es, src + (size_t)(k * cm + oc) * es, es);
        free(tmp);
    } else {
        if (st != FSIFT_OK) return st;
        int wsrc, node;
        TRY(in_val(c, o->in[1], &wsrc));
        TRY(tmp_val(c, "dw_filter", &w));
        TRY(emit(c, "Transpose", 1, &wsrc, 1, &w, &node));
        int64_t perm[4] = {3, 1, 2, 0};
        SET(nn_node_set_ints(c->g, node, "perm", perm, 4));
    }
    int in[3] = {x, w, bias}, node;
    TRY(emit(c, "Conv", bias >= 0 ? 3 : 2, in, 1, &y, &node));
    int64_t strides[2] = {sh, sw}, dil[2] = {dh, dw}, ks[2] = {kh, kw};
    SET(set_str(c, node, "layout", "NHWC"));
    SET(nn_node_set_ints(c->g, node, "strides", strides, 2));
    SET(nn_node_set_ints(c->g, node, "dilations", dil, 2));
    SET(nn_node_set_ints(c->g, node, "kernel_shape", ks, 2));
    SET(nn_node_set_int(c->g, node, "group", ch));
    TRY(padding_attr(c, node, padding));
    return set_act(c, node, act);
}

/* Shape value "dims of x except the last, then `last`": a constant when x's declared shape is
 * static, else Shape/Slice/Concat nodes. */
static fsift_status shape_with_last(tl_ctx *c, int x, const tinfo *xi, int64_t last, int *val) {
    if (!xi->dyn && !c->graph_dynamic && xi->rank >= 1) {
        int64_t d[NN_MAX_RANK];
        memcpy(d, xi->dims, sizeof d);
        d[xi->rank - 1] = last;
        return const_i64(c, d, xi->rank, 1, val);
    }
    int shp, head, lastc, node, st, en, ax;
    int64_t zero = 0, minus1 = -1;
    TRY(tmp_val(c, "shape", &shp));
    TRY(emit(c, "Shape", 1, &x, 1, &shp, &node));
    TRY(const_i64(c, &zero, 1, 1, &st));
    TRY(const_i64(c, &minus1, 1, 1, &en));
    TRY(const_i64(c, &zero, 1, 1, &ax));
    TRY(tmp_val(c, "shape_head", &head));
    int sl[4] = {shp, st, en, ax};
    TRY(emit(c, "Slice", 4, sl, 1, &head, &node));
    TRY(const_i64(c, &last, 1, 1, &lastc));
    TRY(tmp_val(c, "out_shape", val));
    int cc[2] = {head, lastc};
    TRY(emit(c, "Concat", 2, cc, 1, val, &node));
    return nn_node_set_int(c->g, node, "axis", 0);
}

static fsift_status op_fully_connected(tl_ctx *c, opx *o) {
    fb_buf *b = &c->fb;
    TRY(need_io(c, o, 2, 3, 1));
    TRY(want_opts(c, o, BO_FULLY_CONNECTED));
    int act = fb_i8(b, &o->opt, 0, 0);
    int wfmt = fb_i8(b, &o->opt, 1, 0);
    int keep = fb_u8(b, &o->opt, 2, 0);
    FB_OK(c);
    TRY(check_act(c, act));
    if (wfmt != 0)
        return op_err(c, FSIFT_E_UNSUPPORTED, "weights_format %d (shuffled) is not supported", wfmt);
    tinfo xi, wi;
    TRY(tensor_info(c, (uint32_t)o->in[0], &xi));
    TRY(tensor_info(c, (uint32_t)o->in[1], &wi));
    if (wi.rank != 2 || wi.dims[0] <= 0 || wi.dims[1] <= 0)
        return op_err(c, FSIFT_E_FORMAT, "weights must have a static shape [O,K]");
    int64_t nout = wi.dims[0], k = wi.dims[1];
    int x, w, bias = -1, y, node;
    TRY(in_val(c, o->in[0], &x));
    TRY(in_val(c, o->in[1], &w));
    if (o->n_in > 2) TRY(in_val(c, o->in[2], &bias));
    TRY(out_val(c, o->out[0], &y));
    int flat = x;
    if (!(xi.rank == 2 && xi.dims[1] == k)) {
        int64_t shp[2] = {-1, k};
        int sv;
        TRY(const_i64(c, shp, 2, 1, &sv));
        TRY(tmp_val(c, "flat", &flat));
        int in[2] = {x, sv};
        TRY(emit(c, "Reshape", 2, in, 1, &flat, &node));
    }
    int reshape_back = keep && xi.rank != 2;
    int gy = y;
    if (reshape_back) TRY(tmp_val(c, "gemm", &gy));
    int in[3] = {flat, w, bias};
    TRY(emit(c, "Gemm", bias >= 0 ? 3 : 2, in, 1, &gy, &node));
    SET(nn_node_set_int(c->g, node, "transB", 1));
    TRY(set_act(c, node, act));
    if (reshape_back) {
        if (xi.rank < 1)
            return op_err(c, FSIFT_E_UNSUPPORTED, "keep_num_dims with an input of unknown rank");
        int sv;
        TRY(shape_with_last(c, x, &xi, nout, &sv));
        int rin[2] = {gy, sv};
        TRY(emit(c, "Reshape", 2, rin, 1, &y, &node));
    }
    return FSIFT_OK;
}

static fsift_status op_pool(tl_ctx *c, opx *o, const char *op_type) {
    fb_buf *b = &c->fb;
    TRY(need_io(c, o, 1, 1, 1));
    TRY(want_opts(c, o, BO_POOL2D));
    int padding = fb_i8(b, &o->opt, 0, 0);
    int32_t sw = fb_i32(b, &o->opt, 1, 0), sh = fb_i32(b, &o->opt, 2, 0);
    int32_t fw = fb_i32(b, &o->opt, 3, 0), fh = fb_i32(b, &o->opt, 4, 0);
    int act = fb_i8(b, &o->opt, 5, 0);
    FB_OK(c);
    TRY(check_pos(c, "strides", sh, sw));
    TRY(check_pos(c, "filter size", fh, fw));
    TRY(check_act(c, act));
    int node;
    TRY(emit_simple(c, o, op_type, &node));
    int64_t ks[2] = {fh, fw}, strides[2] = {sh, sw};
    SET(set_str(c, node, "layout", "NHWC"));
    SET(nn_node_set_ints(c->g, node, "kernel_shape", ks, 2));
    SET(nn_node_set_ints(c->g, node, "strides", strides, 2));
    if (!strcmp(op_type, "AveragePool")) SET(nn_node_set_int(c->g, node, "count_include_pad", 0));
    TRY(padding_attr(c, node, padding));
    return set_act(c, node, act);
}

static fsift_status op_binary(tl_ctx *c, opx *o, const char *op_type, int opt_type) {
    TRY(need_io(c, o, 2, 2, 1));
    int act = 0;
    if (opt_type) {
        TRY(want_opts(c, o, opt_type));
        act = fb_i8(&c->fb, &o->opt, 0, 0);
        FB_OK(c);
        TRY(check_act(c, act));
    }
    int node;
    TRY(emit_simple(c, o, op_type, &node));
    return set_act(c, node, act);
}

static fsift_status op_unary(tl_ctx *c, opx *o, const char *op_type) {
    TRY(need_io(c, o, 1, 1, 1));
    int node;
    return emit_simple(c, o, op_type, &node);
}

static fsift_status op_clip(tl_ctx *c, opx *o, int act) {
    TRY(need_io(c, o, 1, 1, 1));
    int x, y;
    TRY(in_val(c, o->in[0], &x));
    TRY(out_val(c, o->out[0], &y));
    return emit_clamp(c, act, x, y);
}

static fsift_status op_leaky_relu(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 1, 1, 1));
    TRY(want_opts(c, o, BO_LEAKY_RELU));
    float alpha = fb_f32(&c->fb, &o->opt, 0, 0.f);
    FB_OK(c);
    int node;
    TRY(emit_simple(c, o, "LeakyRelu", &node));
    return nn_node_set_float(c->g, node, "alpha", alpha);
}

static fsift_status op_softmax(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 1, 1, 1));
    TRY(want_opts(c, o, BO_SOFTMAX));
    float beta = fb_f32(&c->fb, &o->opt, 0, 0.f); /* schema default 0, as TFLite reads it */
    FB_OK(c);
    int node;
    TRY(emit_simple(c, o, "Softmax", &node));
    SET(nn_node_set_int(c->g, node, "axis", -1));
    if (beta != 1.f) SET(nn_node_set_float(c->g, node, "beta", beta));
    return FSIFT_OK;
}

static fsift_status op_log_softmax(tl_ctx *c, opx *o) {
    int node;
    TRY(need_io(c, o, 1, 1, 1));
    TRY(emit_simple(c, o, "LogSoftmax", &node));
    return nn_node_set_int(c->g, node, "axis", -1);
}

static fsift_status op_l2norm(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 1, 1, 1));
    TRY(want_opts(c, o, BO_L2NORM));
    int act = fb_i8(&c->fb, &o->opt, 0, 0);
    FB_OK(c);
    TRY(check_act(c, act)); /* and then ignored, as the TFLite kernel does */
    int node;
    TRY(emit_simple(c, o, "LpNormalization", &node));
    SET(nn_node_set_int(c->g, node, "axis", -1));
    return nn_node_set_int(c->g, node, "p", 2);
}

static fsift_status op_reshape(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 1, 2, 1));
    int64_t shp[NN_MAX_RANK];
    int n = -1, nc = 0;
    int x, y, sv = -1, node;
    if (o->n_in > 1 && o->in[1] >= 0) {
        tinfo si;
        TRY(tensor_info(c, (uint32_t)o->in[1], &si));
        if (si.rank == 1) { /* else TFLite falls back to the options, as we do */
            TRY(const_ints(c, o->in[1], "shape", shp, NN_MAX_RANK, &n, &nc));
            if (nc) { /* computed at run time: hand it over as int64 */
                if (si.dtype != FSIFT_DTYPE_INT32 && si.dtype != FSIFT_DTYPE_INT64)
                    return op_err(c, FSIFT_E_FORMAT, "shape tensor has type %s", type_name(si.type));
                int s0;
                TRY(in_val(c, o->in[1], &s0));
                sv = s0;
                if (si.dtype == FSIFT_DTYPE_INT32) {
                    TRY(tmp_val(c, "shape_i64", &sv));
                    TRY(emit(c, "Cast", 1, &s0, 1, &sv, &node));
                    SET(nn_node_set_int(c->g, node, "to", FSIFT_DTYPE_INT64));
                }
                n = -1;
            } else if (n == 1 && shp[0] == 0) {
                n = 0; /* legacy TFLite files write [0] for a scalar */
            }
        }
    }
    if (n < 0 && sv < 0) {
        TRY(want_opts(c, o, BO_RESHAPE));
        fb_vec ns;
        if (fb_vec_field(&c->fb, &o->opt, 0, 4, &ns)) {
            if (ns.len > NN_MAX_RANK) return op_err(c, FSIFT_E_FORMAT, "new_shape has %u dims", ns.len);
            for (uint32_t i = 0; i < ns.len; i++) shp[i] = fb_vec_i32(&c->fb, &ns, i);
            n = (int)ns.len;
        }
        FB_OK(c);
    }
    if (n < 0 && sv < 0) { /* no shape anywhere: the output tensor's declared shape */
        tinfo yi;
        TRY(tensor_info(c, (uint32_t)o->out[0], &yi));
        if (yi.dyn) return op_err(c, FSIFT_E_FORMAT, "has no target shape");
        n = yi.rank;
        memcpy(shp, yi.dims, sizeof shp);
    }
    if (sv < 0) {
        int minus = 0;
        for (int i = 0; i < n; i++) {
            if (shp[i] == 0)
                return op_err(c, FSIFT_E_UNSUPPORTED, "target shape has a zero-sized dimension");
            if (shp[i] < -1 || (shp[i] == -1 && minus++))
                return op_err(c, FSIFT_E_FORMAT, "target shape entry %d is %lld", i, (long long)shp[i]);
        }
        /* A constant shape that spells out the batch (MobileFaceNet's [2,192]) would pin the
         * model to its declared batch; when both the reshaped tensor and the first graph
         * input declare that leading size, write -1 instead. At the declared batch the result
         * is the same; other batch sizes then run too, as inputs are resizable. */
        if (!minus && n >= 1 && shp[0] > 0 && c->g->n_inputs > 0) {
            const nn_value *gin = &c->g->vals[c->g->inputs[0]];
            tinfo xi;
            TRY(tensor_info(c, (uint32_t)o->in[0], &xi));
            if (!xi.dyn && xi.rank >= 1 && xi.dims[0] == shp[0] && gin->rank >= 1 && gin->dims[0] == shp[0])
                shp[0] = -1;
        }
        TRY(const_i64(c, shp, n, 1, &sv));
    }
    TRY(in_val(c, o->in[0], &x));
    TRY(out_val(c, o->out[0], &y));
    int in[2] = {x, sv};
    return emit(c, "Reshape", 2, in, 1, &y, &node);
}

static fsift_status op_squeeze(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 1, 1, 1));
    TRY(want_opts(c, o, BO_SQUEEZE));
    fb_vec dv;
    int64_t axes[NN_MAX_RANK];
    int n = 0;
    if (fb_vec_field(&c->fb, &o->opt, 0, 4, &dv)) {
        if (dv.len > NN_MAX_RANK) return op_err(c, FSIFT_E_FORMAT, "%u squeeze_dims", dv.len);
        for (uint32_t i = 0; i < dv.len; i++) axes[n++] = fb_vec_i32(&c->fb, &dv, i);
    }
    FB_OK(c);
    int in[2], y, node;
    TRY(in_val(c, o->in[0], &in[0]));
    TRY(out_val(c, o->out[0], &y));
    if (n > 0) TRY(const_i64(c, axes, n, 1, &in[1]));
    return emit(c, "Squeeze", n > 0 ? 2 : 1, in, 1, &y, &node);
}

static fsift_status op_expand_dims(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 2, 2, 1));
    int64_t ax[1];
    int n;
    TRY(const_ints(c, o->in[1], "axis", ax, 1, &n, NULL));
    if (n != 1) return op_err(c, FSIFT_E_FORMAT, "axis has %d values, expected 1", n);
    int in[2], y, node;
    TRY(in_val(c, o->in[0], &in[0]));
    TRY(out_val(c, o->out[0], &y));
    TRY(const_i64(c, ax, 1, 1, &in[1]));
    return emit(c, "Unsqueeze", 2, in, 1, &y, &node);
}

static fsift_status op_transpose(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 2, 2, 1));
    int64_t perm[NN_MAX_RANK];
    int n;
    TRY(const_ints(c, o->in[1], "perm", perm, NN_MAX_RANK, &n, NULL));
    int x, y, node;
    TRY(in_val(c, o->in[0], &x));
    TRY(out_val(c, o->out[0], &y));
    TRY(emit(c, "Transpose", 1, &x, 1, &y, &node));
    return nn_node_set_ints(c->g, node, "perm", perm, n);
}

static fsift_status op_concat(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 1, NN_MAX_IO, 1));
    for (int i = 0; i < o->n_in; i++)
        if (o->in[i] < 0) return op_err(c, FSIFT_E_FORMAT, "input %d is missing", i);
    TRY(want_opts(c, o, BO_CONCATENATION));
    int32_t axis = fb_i32(&c->fb, &o->opt, 0, 0);
    int act = fb_i8(&c->fb, &o->opt, 1, 0);
    FB_OK(c);
    TRY(check_act(c, act));
    int node;
    TRY(emit_simple(c, o, "Concat", &node));
    SET(nn_node_set_int(c->g, node, "axis", axis));
    return set_act(c, node, act);
}

static fsift_status op_pad(tl_ctx *c, opx *o, int code) {
    const char *mode = NULL;
    if (code == OPC_MIRROR_PAD) {
        TRY(need_io(c, o, 2, 2, 1));
        TRY(want_opts(c, o, BO_MIRROR_PAD));
        int m = fb_i8(&c->fb, &o->opt, 0, 0);
        FB_OK(c);
        if (m != 0) return op_err(c, FSIFT_E_UNSUPPORTED, "SYMMETRIC mirror padding is not supported");
        mode = "reflect";
    } else {
        TRY(need_io(c, o, 2, code == OPC_PADV2 ? 3 : 2, 1));
    }
    int64_t p[2 * NN_MAX_RANK], pads[2 * NN_MAX_RANK];
    int n, nc, x, y, pv, cv = -1, node;
    TRY(const_ints(c, o->in[1], "paddings", p, 2 * NN_MAX_RANK, &n, &nc));
    if (!nc) {
        if (n % 2) return op_err(c, FSIFT_E_FORMAT, "paddings have %d values, expected [rank,2]", n);
        int r = n / 2;
        for (int i = 0; i < r; i++) { /* TFLite [[b0,e0],[b1,e1]…] → ONNX [b0,b1…,e0,e1…] */
            if (p[2 * i] < 0 || p[2 * i + 1] < 0)
                return op_err(c, FSIFT_E_FORMAT, "negative padding");
            pads[i] = p[2 * i];
            pads[r + i] = p[2 * i + 1];
        }
        TRY(const_i64(c, pads, n, 1, &pv));
    } else { /* run-time paddings: Cast → Transpose → Reshape to ONNX order */
        int p0, p64, pt, m1, in2[2];
        int64_t minus1 = -1, perm[2] = {1, 0};
        TRY(in_val(c, o->in[1], &p0));
        TRY(tmp_val(c, "pads_i64", &p64));
        TRY(emit(c, "Cast", 1, &p0, 1, &p64, &node));
        SET(nn_node_set_int(c->g, node, "to", FSIFT_DTYPE_INT64));
        TRY(tmp_val(c, "pads_t", &pt));
        TRY(emit(c, "Transpose", 1, &p64, 1, &pt, &node));
        SET(nn_node_set_ints(c->g, node, "perm", perm, 2));
        TRY(const_i64(c, &minus1, 1, 1, &m1));
        TRY(tmp_val(c, "pads", &pv));
        in2[0] = pt;
        in2[1] = m1;
        TRY(emit(c, "Reshape", 2, in2, 1, &pv, &node));
    }
    if (o->n_in > 2 && o->in[2] >= 0) {
        cview v;
        fsift_status st;
        if (const_view(c, o->in[2], &v, &st)) {
            if (v.numel != 1) return op_err(c, FSIFT_E_FORMAT, "constant_values has %lld values", (long long)v.numel);
            TRY(nn_graph_add_const(c->g, NULL, v.dtype, 0, NULL, v.data, v.nbytes, &cv));
        } else {
            if (st != FSIFT_OK) return st;
            TRY(in_val(c, o->in[2], &cv));
        }
    }
    TRY(in_val(c, o->in[0], &x));
    TRY(out_val(c, o->out[0], &y));
    int in[3] = {x, pv, cv};
    TRY(emit(c, "Pad", cv >= 0 ? 3 : 2, in, 1, &y, &node));
    return mode ? set_str(c, node, "mode", mode) : FSIFT_OK;
}

static fsift_status op_reduce(tl_ctx *c, opx *o, const char *op_type) {
    TRY(need_io(c, o, 2, 2, 1));
    TRY(want_opts(c, o, BO_REDUCER));
    int keep = fb_u8(&c->fb, &o->opt, 0, 0);
    FB_OK(c);
    int64_t axes[NN_MAX_RANK];
    int n, x, y, node;
    TRY(const_ints(c, o->in[1], "axes", axes, NN_MAX_RANK, &n, NULL));
    TRY(in_val(c, o->in[0], &x));
    TRY(out_val(c, o->out[0], &y));
    if (n == 0) /* TF reduces over no axis: the identity (ONNX would reduce over all) */
        return emit(c, "Identity", 1, &x, 1, &y, &node);
    if (!strcmp(op_type, "ReduceSum")) { /* opset 13: axes is an input */
        int in[2] = {x, -1};
        TRY(const_i64(c, axes, n, 1, &in[1]));
        TRY(emit(c, op_type, 2, in, 1, &y, &node));
    } else {
        TRY(emit(c, op_type, 1, &x, 1, &y, &node));
        SET(nn_node_set_ints(c->g, node, "axes", axes, n));
    }
    return nn_node_set_int(c->g, node, "keepdims", keep ? 1 : 0);
}

static fsift_status op_resize(tl_ctx *c, opx *o, int code) {
    TRY(need_io(c, o, 2, 2, 1));
    int align, half;
    if (code == OPC_RESIZE_BILINEAR) {
        TRY(want_opts(c, o, BO_RESIZE_BILINEAR));
        align = fb_u8(&c->fb, &o->opt, 2, 0);
        half = fb_u8(&c->fb, &o->opt, 3, 0);
    } else {
        TRY(want_opts(c, o, BO_RESIZE_NEAREST));
        align = fb_u8(&c->fb, &o->opt, 0, 0);
        half = fb_u8(&c->fb, &o->opt, 1, 0);
    }
    FB_OK(c);
    if (align && half)
        return op_err(c, FSIFT_E_FORMAT, "align_corners and half_pixel_centers are both set");
    int64_t hw[2];
    int n;
    TRY(const_ints(c, o->in[1], "size", hw, 2, &n, NULL));
    if (n != 2 || hw[0] <= 0 || hw[1] <= 0 || hw[0] > NN_MAX_DIM || hw[1] > NN_MAX_DIM)
        return op_err(c, FSIFT_E_FORMAT, "size must be two positive values");
    tinfo xi;
    TRY(tensor_info(c, (uint32_t)o->in[0], &xi));
    if (xi.rank != 4) return op_err(c, FSIFT_E_FORMAT, "input has rank %d, expected 4", xi.rank);
    int x, y, sizes, node;
    TRY(in_val(c, o->in[0], &x));
    TRY(out_val(c, o->out[0], &y));
    if (!xi.dyn && !c->graph_dynamic) {
        int64_t s[4] = {xi.dims[0], hw[0], hw[1], xi.dims[3]};
        TRY(const_i64(c, s, 4, 1, &sizes));
    } else { /* N and C from the input's run-time shape */
        int shp, nv, cv, hwv, s0, e0, s3, e3, ax;
        int64_t zero = 0, one = 1, three = 3, four = 4;
        TRY(tmp_val(c, "shape", &shp));
        TRY(emit(c, "Shape", 1, &x, 1, &shp, &node));
        TRY(const_i64(c, &zero, 1, 1, &s0));
        TRY(const_i64(c, &one, 1, 1, &e0));
        TRY(const_i64(c, &three, 1, 1, &s3));
        TRY(const_i64(c, &four, 1, 1, &e3));
        TRY(const_i64(c, &zero, 1, 1, &ax));
        TRY(tmp_val(c, "batch", &nv));
        int sl0[4] = {shp, s0, e0, ax};
        TRY(emit(c, "Slice", 4, sl0, 1, &nv, &node));
        TRY(tmp_val(c, "channels", &cv));
        int sl3[4] = {shp, s3, e3, ax};
        TRY(emit(c, "Slice", 4, sl3, 1, &cv, &node));
        TRY(const_i64(c, hw, 2, 1, &hwv));
        TRY(tmp_val(c, "sizes", &sizes));
        int cc[3] = {nv, hwv, cv};
        TRY(emit(c, "Concat", 3, cc, 1, &sizes, &node));
        SET(nn_node_set_int(c->g, node, "axis", 0));
    }
    int in[4] = {x, -1, -1, sizes};
    TRY(emit(c, "Resize", 4, in, 1, &y, &node));
    SET(set_str(c, node, "layout", "NHWC"));
    const char *ctm = align ? "align_corners" : "asymmetric";
    if (code == OPC_RESIZE_BILINEAR) {
        SET(set_str(c, node, "mode", "linear"));
        if (half) ctm = "half_pixel";
    } else {
        SET(set_str(c, node, "mode", "nearest"));
        if (half) ctm = "tf_half_pixel_for_nn";
        SET(set_str(c, node, "nearest_mode", align ? "round_prefer_ceil" : "floor"));
    }
    return set_str(c, node, "coordinate_transformation_mode", ctm);
}

/* DEQUANTIZE: constants are converted at load; run-time float16 becomes a Cast. */
static fsift_status op_dequantize(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 1, 1, 1));
    int ti = o->in[0];
    tinfo xi;
    TRY(tensor_info(c, (uint32_t)ti, &xi));
    int is_const = (c->t[ti].flags & TF_CONST) ||
                   (c->t[ti].val >= 0 && c->g->vals[c->t[ti].val].kind == NN_VAL_CONST);
    if (!is_const) {
        int x, y, node;
        if (xi.dtype != FSIFT_DTYPE_FLOAT16)
            return op_err(c, FSIFT_E_UNSUPPORTED, "run-time dequantization of %s is not supported "
                          "(quantized model)", type_name(xi.type));
        TRY(in_val(c, ti, &x));
        TRY(out_val(c, o->out[0], &y));
        TRY(emit(c, "Cast", 1, &x, 1, &y, &node));
        return nn_node_set_int(c->g, node, "to", FSIFT_DTYPE_FLOAT32);
    }
    /* constant: raw bytes from the file (the quantized tensor itself is never a graph value) */
    const uint8_t *src;
    int rank;
    int64_t dims[NN_MAX_RANK];
    int64_t n;
    int dtype;
    if (c->t[ti].val >= 0) {
        const nn_value *gv = &c->g->vals[c->t[ti].val];
        src = (const uint8_t *)gv->data;
        rank = gv->rank;
        memcpy(dims, gv->dims, sizeof dims);
        dtype = gv->dtype;
    } else {
        src = xi.data;
        rank = xi.rank;
        memcpy(dims, xi.dims, sizeof dims);
        dtype = xi.dtype;
    }
    n = shape_numel(rank, dims);
    if (n < 0) return op_err(c, FSIFT_E_FORMAT, "bad constant shape");
    int64_t nb = mul_checked(n, 4);
    if (nb < 0 || (uint64_t)nb > SIZE_MAX) return op_err(c, FSIFT_E_LIMIT, "constant too large");
    /* per-axis parameters */
    int64_t axis_len = 1, inner = 1;
    uint32_t nscale = xi.scale.len, nzp = xi.zero_point.len;
    if (dtype != FSIFT_DTYPE_FLOAT16 && dtype != FSIFT_DTYPE_FLOAT32) {
        if (dtype != FSIFT_DTYPE_INT8 && dtype != FSIFT_DTYPE_UINT8 && dtype != FSIFT_DTYPE_INT16)
            return op_err(c, FSIFT_E_UNSUPPORTED, "dequantizing %s is not supported", type_name(xi.type));
        if (nscale == 0) return op_err(c, FSIFT_E_FORMAT, "quantized constant has no scale");
        if (nscale > 1) {
            if (xi.qdim < 0 || xi.qdim >= rank || dims[xi.qdim] != (int64_t)nscale)
                return op_err(c, FSIFT_E_FORMAT, "%u scales do not match quantized_dimension %d",
                              nscale, xi.qdim);
            axis_len = nscale;
            for (int i = xi.qdim + 1; i < rank; i++) inner *= dims[i];
        }
        if (nzp != 0 && nzp != 1 && nzp != nscale)
            return op_err(c, FSIFT_E_FORMAT, "%u zero points for %u scales", nzp, nscale);
    }
    int y;
    tinfo yi;
    TRY(tensor_info(c, (uint32_t)o->out[0], &yi));
    if (c->t[o->out[0]].flags & (TF_DEFINED | TF_CONST))
        return op_err(c, FSIFT_E_FORMAT, "writes tensor %d, which is already defined", o->out[0]);
    char name[TL_NAME_MAX + 128];
    TRY(unique_name(c, yi.name, yi.name_len, NULL, o->out[0], name, sizeof name));
    TRY(nn_graph_add_const(c->g, name, FSIFT_DTYPE_FLOAT32, rank, dims, NULL, (size_t)nb, &y));
    float *dst = (float *)c->g->vals[y].data;
    if (dtype == FSIFT_DTYPE_FLOAT16) {
        for (int64_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            dst[i] = fsift_f16_to_f32(h);
        }
    } else if (dtype == FSIFT_DTYPE_FLOAT32) {
        memcpy(dst, src, (size_t)nb);
    } else {
        for (int64_t i = 0; i < n; i++) {
            uint32_t a = nscale > 1 ? (uint32_t)((i / inner) % axis_len) : 0;
            double scale = fb_vec_f32(&c->fb, &xi.scale, a);
            double zp = nzp == 0 ? 0 : (double)fb_vec_i64(&c->fb, &xi.zero_point, nzp == 1 ? 0 : a);
            double q;
            if (dtype == FSIFT_DTYPE_INT8) {
                q = (int8_t)src[i];
            } else if (dtype == FSIFT_DTYPE_UINT8) {
                q = src[i];
            } else {
                int16_t v;
                memcpy(&v, src + 2 * i, 2);
                q = v;
            }
            dst[i] = (float)(scale * (q - zp));
        }
        FB_OK(c);
    }
    c->t[o->out[0]].val = y;
    c->t[o->out[0]].flags |= TF_DEFINED;
    return FSIFT_OK;
}

static fsift_status op_cast(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 1, 1, 1));
    tinfo yi;
    TRY(tensor_info(c, (uint32_t)o->out[0], &yi));
    if (!yi.dtype)
        return op_err(c, FSIFT_E_UNSUPPORTED, "cast to %s is not supported", type_name(yi.type));
    int node;
    TRY(emit_simple(c, o, "Cast", &node));
    return nn_node_set_int(c->g, node, "to", yi.dtype);
}

static fsift_status op_gather(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 2, 2, 1));
    TRY(want_opts(c, o, BO_GATHER));
    int32_t axis = fb_i32(&c->fb, &o->opt, 0, 0), bd = fb_i32(&c->fb, &o->opt, 1, 0);
    FB_OK(c);
    if (bd != 0) return op_err(c, FSIFT_E_UNSUPPORTED, "batch_dims %d is not supported", bd);
    int node;
    TRY(emit_simple(c, o, "Gather", &node));
    return nn_node_set_int(c->g, node, "axis", axis);
}

static fsift_status op_slice(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 3, 3, 1));
    int64_t begin[NN_MAX_RANK], size[NN_MAX_RANK], end[NN_MAX_RANK], axes[NN_MAX_RANK];
    int nb, ns;
    TRY(const_ints(c, o->in[1], "begin", begin, NN_MAX_RANK, &nb, NULL));
    TRY(const_ints(c, o->in[2], "size", size, NN_MAX_RANK, &ns, NULL));
    if (nb != ns) return op_err(c, FSIFT_E_FORMAT, "begin has %d values, size %d", nb, ns);
    for (int i = 0; i < nb; i++) {
        if (begin[i] < 0 || size[i] < -1 || begin[i] > NN_MAX_DIM || size[i] > NN_MAX_DIM)
            return op_err(c, FSIFT_E_FORMAT, "bad begin/size on axis %d", i);
        end[i] = size[i] == -1 ? INT64_MAX : begin[i] + size[i];
        axes[i] = i;
    }
    int in[4], y, node;
    TRY(in_val(c, o->in[0], &in[0]));
    TRY(out_val(c, o->out[0], &y));
    TRY(const_i64(c, begin, nb, 1, &in[1]));
    TRY(const_i64(c, end, nb, 1, &in[2]));
    TRY(const_i64(c, axes, nb, 1, &in[3]));
    return emit(c, "Slice", 4, in, 1, &y, &node);
}

static fsift_status op_batch_matmul(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 2, 2, 1));
    TRY(want_opts(c, o, BO_BATCH_MATMUL));
    int ax = fb_u8(&c->fb, &o->opt, 0, 0), ay = fb_u8(&c->fb, &o->opt, 1, 0);
    FB_OK(c);
    if (ax || ay) return op_err(c, FSIFT_E_UNSUPPORTED, "adj_x/adj_y are not supported");
    int node;
    return emit_simple(c, o, "MatMul", &node);
}

/* Two-node mappings: y = f(g(x)) or x∘x. */
static fsift_status op_rsqrt(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 1, 1, 1));
    int x, t, y, node;
    TRY(in_val(c, o->in[0], &x));
    TRY(out_val(c, o->out[0], &y));
    TRY(tmp_val(c, "sqrt", &t));
    TRY(emit(c, "Sqrt", 1, &x, 1, &t, &node));
    return emit(c, "Reciprocal", 1, &t, 1, &y, &node);
}

static fsift_status op_square(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 1, 1, 1));
    int in[2], y, node;
    TRY(in_val(c, o->in[0], &in[0]));
    in[1] = in[0];
    TRY(out_val(c, o->out[0], &y));
    return emit(c, "Mul", 2, in, 1, &y, &node);
}

static fsift_status op_squared_difference(tl_ctx *c, opx *o) {
    TRY(need_io(c, o, 2, 2, 1));
    int in[2], d, y, node;
    TRY(in_val(c, o->in[0], &in[0]));
    TRY(in_val(c, o->in[1], &in[1]));
    TRY(out_val(c, o->out[0], &y));
    TRY(tmp_val(c, "diff", &d));
    TRY(emit(c, "Sub", 2, in, 1, &d, &node));
    int m[2] = {d, d};
    return emit(c, "Mul", 2, m, 1, &y, &node);
}

static fsift_status op_elu(tl_ctx *c, opx *o) {
    int node;
    TRY(need_io(c, o, 1, 1, 1));
    TRY(emit_simple(c, o, "Elu", &node));
    return nn_node_set_float(c->g, node, "alpha", 1.f);
}

static fsift_status map_op(tl_ctx *c, opx *o) {
    switch (o->code) {
    case OPC_CONV_2D: return op_conv2d(c, o);
    case OPC_DEPTHWISE_CONV_2D: return op_depthwise(c, o);
    case OPC_FULLY_CONNECTED: return op_fully_connected(c, o);
    case OPC_MAX_POOL_2D: return op_pool(c, o, "MaxPool");
    case OPC_AVERAGE_POOL_2D: return op_pool(c, o, "AveragePool");
    case OPC_ADD: return op_binary(c, o, "Add", BO_ADD);
    case OPC_SUB: return op_binary(c, o, "Sub", BO_SUB);
    case OPC_MUL: return op_binary(c, o, "Mul", BO_MUL);
    case OPC_DIV: return op_binary(c, o, "Div", BO_DIV);
    case OPC_MAXIMUM: return op_binary(c, o, "Max", 0);
    case OPC_MINIMUM: return op_binary(c, o, "Min", 0);
    case OPC_POW: return op_binary(c, o, "Pow", 0);
    case OPC_PRELU: return op_binary(c, o, "PRelu", 0);
    case OPC_SQUARED_DIFFERENCE: return op_squared_difference(c, o);
    case OPC_NEG: return op_unary(c, o, "Neg");
    case OPC_ABS: return op_unary(c, o, "Abs");
    case OPC_RELU: return op_unary(c, o, "Relu");
    case OPC_RELU6: return op_clip(c, o, 3);
    case OPC_RELU_N1_TO_1: return op_clip(c, o, 2);
    case OPC_TANH: return op_unary(c, o, "Tanh");
    case OPC_LOGISTIC: return op_unary(c, o, "Sigmoid");
    case OPC_EXP: return op_unary(c, o, "Exp");
    case OPC_LOG: return op_unary(c, o, "Log");
    case OPC_SQRT: return op_unary(c, o, "Sqrt");
    case OPC_RSQRT: return op_rsqrt(c, o);
    case OPC_SQUARE: return op_square(c, o);
    case OPC_FLOOR: return op_unary(c, o, "Floor");
    case OPC_CEIL: return op_unary(c, o, "Ceil");
    case OPC_ROUND: return op_unary(c, o, "Round");
    case OPC_SIN: return op_unary(c, o, "Sin");
    case OPC_COS: return op_unary(c, o, "Cos");
    case OPC_ELU: return op_elu(c, o);
    case OPC_HARD_SWISH: return op_unary(c, o, "HardSwish");
    case OPC_LEAKY_RELU: return op_leaky_relu(c, o);
    case OPC_SOFTMAX: return op_softmax(c, o);
    case OPC_LOG_SOFTMAX: return op_log_softmax(c, o);
    case OPC_L2_NORMALIZATION: return op_l2norm(c, o);
    case OPC_RESHAPE: return op_reshape(c, o);
    case OPC_SQUEEZE: return op_squeeze(c, o);
    case OPC_EXPAND_DIMS: return op_expand_dims(c, o);
    case OPC_TRANSPOSE: return op_transpose(c, o);
    case OPC_CONCATENATION: return op_concat(c, o);
    case OPC_PAD:
    case OPC_PADV2:
    case OPC_MIRROR_PAD: return op_pad(c, o, o->code);
    case OPC_MEAN: return op_reduce(c, o, "ReduceMean");
    case OPC_SUM: return op_reduce(c, o, "ReduceSum");
    case OPC_REDUCE_MAX: return op_reduce(c, o, "ReduceMax");
    case OPC_REDUCE_MIN: return op_reduce(c, o, "ReduceMin");
    case OPC_REDUCE_PROD: return op_reduce(c, o, "ReduceProd");
    case OPC_RESIZE_BILINEAR:
    case OPC_RESIZE_NEAREST_NEIGHBOR: return op_resize(c, o, o->code);
    case OPC_DEQUANTIZE: return op_dequantize(c, o);
    case OPC_CAST: return op_cast(c, o);
    case OPC_GATHER: return op_gather(c, o);
    case OPC_SLICE: return op_slice(c, o);
    case OPC_BATCH_MATMUL: return op_batch_matmul(c, o);
    default:
        return fsift_error(FSIFT_E_UNSUPPORTED, "tflite: operator %d is %s (%d), which is not supported",
                           c->op_index, c->op_name, o->code);
    }
}

/* ---- the model ------------------------------------------------------------------------------- */

static fsift_status read_index_vec(tl_ctx *c, const fb_vec *v, int *out, int max, int *n,
                                   const char *what) {
    if (v->len > (uint32_t)max)
        return op_err(c, FSIFT_E_LIMIT, "has %u %s (at most %d supported)", v->len, what, max);
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
    if (o.n_out < 1 || o.out[0] < 0) return op_err(c, FSIFT_E_FORMAT, "has no output");
    /* nodes are named after the first output tensor */
    char nname[TL_NAME_MAX + 1];
    tinfo yi;
    TRY(tensor_info(c, (uint32_t)o.out[0], &yi));
    size_t k = 0;
    while (k < yi.name_len && yi.name[k]) {
        nname[k] = yi.name[k];
        k++;
    }
    nname[k] = 0;
    c->node_name = nn_graph_strdup(c->g, nname, k);
    if (!c->node_name) return fsift_error(FSIFT_E_NOMEM, "tflite: out of memory");
    return map_op(c, &o);
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
        TRY(tensor_info(c, i, &x));
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
        TRY(tensor_info(c, (uint32_t)ti, &x));
        if (c->t[ti].flags & TF_CONST) continue; /* a constant listed as input: keep it constant */
        if (c->t[ti].val >= 0)
            return fsift_error(FSIFT_E_FORMAT, "tflite: tensor %d is listed twice as a graph input", ti);
        if (!x.dtype)
            return fsift_error(FSIFT_E_UNSUPPORTED, "tflite: graph input %d has type %s, which is not "
                               "supported", ti, type_name(x.type));
        if (x.quant && is_int_type(x.dtype)) return quant_error(c, (uint32_t)ti, &x);
        for (int d = 0; d < x.rank; d++)
            if (x.dims[d] < 0) c->graph_dynamic = 1;
        char name[TL_NAME_MAX + 128];
        TRY(unique_name(c, x.name, x.name_len, NULL, ti, name, sizeof name));
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
            TRY(tensor_info(c, (uint32_t)ti, &x));
            return fsift_error(FSIFT_E_FORMAT, "tflite: graph output %d ('%.*s') is never written", ti,
                               (int)x.name_len, x.name);
        }
        TRY(in_val(c, ti, &v));
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
