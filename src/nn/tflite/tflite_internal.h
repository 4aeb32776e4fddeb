/*
 * tflite_internal.h — what the TFLite loader's two halves share: tflite_load.c (the file, the
 * tensors, the value/node helpers, the model walk) and tflite_ops.c (one mapping function
 * per TFLite operator). Internal to src/nn/tflite.
 */
#ifndef FSIFT_NN_TFLITE_INTERNAL_H
#define FSIFT_NN_TFLITE_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>

#include "tflite.h"
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

#define SET(expr)                                                                            \
    do {                                                                                     \
        fsift_status st_ = (expr);                                                           \
        if (st_ != FSIFT_OK) return st_;                                                     \
    } while (0)

/* Error in the operator being mapped: "tflite: operator 7 (CONV_2D): …". */
fsift_status tl_op_err(const tl_ctx *c, fsift_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
fsift_status tl_check_act(tl_ctx *c, int act);
fsift_status tl_check_pos(tl_ctx *c, const char *what, int32_t a, int32_t b);
fsift_status tl_const_i64(tl_ctx *c, const int64_t *v, int n, int rank, int *val);
fsift_status tl_const_ints(tl_ctx *c, int ti, const char *what, int64_t *out, int max, int *n, int *not_const);
int tl_const_view(tl_ctx *c, int ti, cview *v, fsift_status *st);
fsift_status tl_emit(tl_ctx *c, const char *op_type, int n_in, const int *in, int n_out, const int *out, int *node);
fsift_status tl_emit_clamp(tl_ctx *c, int act, int x, int y);
fsift_status tl_emit_simple(tl_ctx *c, const opx *o, const char *op_type, int *node);
fsift_status tl_in_val(tl_ctx *c, int ti, int *val);
int64_t tl_mul_checked(int64_t a, int64_t b);
fsift_status tl_need_io(tl_ctx *c, const opx *o, int min_in, int max_in, int n_out);
fsift_status tl_out_val(tl_ctx *c, int ti, int *val);
fsift_status tl_padding_attr(tl_ctx *c, int node, int padding);
fsift_status tl_set_act(tl_ctx *c, int node, int act);
fsift_status tl_set_str(tl_ctx *c, int node, const char *name, const char *s);
int64_t tl_shape_numel(int rank, const int64_t *dims);
fsift_status tl_tensor_info(tl_ctx *c, uint32_t ti, tinfo *x);
fsift_status tl_tmp_val(tl_ctx *c, const char *suffix, int *val);
const char *tl_type_name(int t);
fsift_status tl_unique_name(tl_ctx *c, const char *base, size_t len, const char *suffix, long tag, char *buf, size_t size);
fsift_status tl_want_opts(tl_ctx *c, const opx *o, int type);
/* Maps one operator (the per-operator functions of tflite_ops.c). */
fsift_status tl_map_op(tl_ctx *c, opx *o);

#endif
