/*
 * elementwise.h — private to the elementwise kernel files (elementwise*.c): the broadcast
 * iterator they share, scalar load/store helpers for any dtype, and the op entry points the
 * table in elementwise.c lists.
 *
 * Broadcast iterator: nn_bcast_init turns an output shape and up to three operand shapes
 * (right-aligned, NumPy rules, already checked by infer) into a collapsed iteration space:
 * axes of size 1 are dropped and neighbouring axes that are contiguous (or broadcast) in every
 * operand are merged, so [N,C,H,W] + [C,1,1] becomes [N, C, H*W] with operand strides
 * (C*HW, HW, 1) and (0, 1, 0). The innermost stride of each operand is then 0 or 1, and a
 * kernel's inner loop ("span") only has to handle those two cases. nn_bcast_run splits the
 * flat output range across the pool (nn_parallel); each worker walks its range span by span.
 *
 * Threading: everything here is reentrant; spans run concurrently on disjoint output ranges.
 */
#ifndef FSIFT_NN_KERNELS_ELEMENTWISE_H
#define FSIFT_NN_KERNELS_ELEMENTWISE_H

#include <math.h>
#include <stdint.h>

#include "../ops.h"

#define NN_BCAST_MAX_OPS 3

typedef struct nn_bcast {
    int rank;                                        /* collapsed rank, >= 1 */
    int nops;                                        /* operands, 1..NN_BCAST_MAX_OPS */
    int64_t total;                                   /* output elements */
    int64_t dims[NN_MAX_RANK];                       /* collapsed output dims */
    int64_t st[NN_BCAST_MAX_OPS][NN_MAX_RANK];       /* operand strides, elements; 0 = broadcast */
} nn_bcast;

/* Builds the iteration for output shape (rank, dims) over nops operand shapes that broadcast
 * to it (ranks <= rank; each dim equal to the output's or 1). */
void nn_bcast_init(nn_bcast *b, int rank, const int64_t *dims, int nops,
                   const nn_tensor *const *ops);

/* Innermost stride (0 or 1) of operand i. */
static inline int nn_bcast_inner(const nn_bcast *b, int i) {
    return b->st[i][b->rank - 1] != 0;
}

/* span(arg, o, off, n): n output elements starting at flat index o; operand i starts at
 * element off[i] and advances by nn_bcast_inner(b, i) per element. */
typedef void (*nn_bcast_span)(void *arg, int64_t o, const int64_t *off, int64_t n);

/* Calls span over the whole output, in parallel over k's pool when total >= 2 * grain. */
void nn_bcast_run(const nn_kctx *k, const nn_bcast *b, int64_t grain, nn_bcast_span span,
                  void *arg);

/* Loop helper whose body GCC vectorises at -O2 (its "very cheap" cost model only takes loops
 * whose trip count is a known multiple of the vector width): blocks of 8 with a fixed trip
 * count, then the tail one by one. The body uses the index variable `i`; pointers should be
 * restrict-qualified. */
#define NN_EW_LOOP(n, ...)                                                                   \
    do {                                                                                     \
        int64_t n_ = (n), i0_ = 0;                                                           \
        for (; i0_ + 8 <= n_; i0_ += 8)                                                      \
            for (int j_ = 0; j_ < 8; j_++) {                                                 \
                int64_t i = i0_ + j_;                                                        \
                __VA_ARGS__;                                                                 \
            }                                                                                \
        for (int64_t i = i0_; i < n_; i++) { __VA_ARGS__; }                                  \
    } while (0)

/* ---- scalar conversions for any numeric dtype (slow paths: Pow on mixed types, Clip's
 * bounds, Cast) ---------------------------------------------------------------------------- */

/* 1 for float16/32/64, 0 otherwise. */
static inline int nn_dtype_is_float(int dt) {
    return dt == FSIFT_DTYPE_FLOAT32 || dt == FSIFT_DTYPE_FLOAT64 || dt == FSIFT_DTYPE_FLOAT16;
}
/* 1 for the signed and unsigned integer dtypes (not bool). */
static inline int nn_dtype_is_int(int dt) {
    switch (dt) {
    case FSIFT_DTYPE_INT8: case FSIFT_DTYPE_INT16: case FSIFT_DTYPE_INT32: case FSIFT_DTYPE_INT64:
    case FSIFT_DTYPE_UINT8: case FSIFT_DTYPE_UINT16: case FSIFT_DTYPE_UINT32:
    case FSIFT_DTYPE_UINT64: return 1;
    default: return 0;
    }
}

/* Element i of p (dtype dt) as a double; 0 for non-numeric dtypes. */
double nn_ew_load_f64(const void *p, int dt, int64_t i);
/* Stores v into element i of p (dtype dt): floats round, integers truncate toward zero and
 * saturate to the type's range (NaN -> 0), bool is v != 0. */
void nn_ew_store_f64(void *p, int dt, int64_t i, double v);

/* ---- op entry points (elementwise_*.c), listed by the table in elementwise.c ------------ */

#define NN_EW_DECL(name)                                                                     \
    fsift_status nn_ew_infer_##name(nn_kctx *k);                                             \
    fsift_status nn_ew_run_##name(nn_kctx *k);

/* elementwise_binary.c */
#define NN_EW_BINARY_OPS(X)                                                                  \
    X(Add) X(Sub) X(Mul) X(Div) X(Max) X(Min) X(Mod) X(Equal) X(Less) X(LessOrEqual)          \
    X(Greater) X(GreaterOrEqual) X(And) X(Or) X(Xor)
#define NN_EW_DECL_BIN(name) NN_EW_DECL(name)
NN_EW_BINARY_OPS(NN_EW_DECL_BIN)
NN_EW_DECL(Sum)
NN_EW_DECL(Mean)
NN_EW_DECL(Pow)
NN_EW_DECL(PRelu)
NN_EW_DECL(Where)

/* elementwise_unary.c */
#define NN_EW_UNARY_OPS(X)                                                                   \
    X(Relu) X(Sigmoid) X(Tanh) X(Erf) X(Exp) X(Log) X(Sqrt) X(Reciprocal) X(Abs) X(Neg)      \
    X(Floor) X(Ceil) X(Round) X(Sign) X(Sin) X(Cos) X(Tan) X(Asin) X(Acos) X(Atan) X(Sinh)   \
    X(Cosh) X(Asinh) X(Acosh) X(Atanh) X(Softplus) X(Softsign) X(HardSigmoid) X(HardSwish)   \
    X(Elu) X(Selu) X(Celu) X(LeakyRelu) X(ThresholdedRelu) X(Gelu) X(Not)
#define NN_EW_DECL_UN(name) NN_EW_DECL(name)
NN_EW_UNARY_OPS(NN_EW_DECL_UN)
NN_EW_DECL(Clip)
NN_EW_DECL(IsNaN)
NN_EW_DECL(IsInf)

/* elementwise_cast.c */
NN_EW_DECL(Cast)
NN_EW_DECL(CastLike)
NN_EW_DECL(Identity)
NN_EW_DECL(Dropout)

/* elementwise_avx2.c: y = f(x) for n floats; call only when the CPU has AVX2+FMA. */
void nn_ew_erf_avx2(const float *x, float *y, int64_t n);
void nn_ew_gelu_avx2(const float *x, float *y, int64_t n); /* erf form */
void nn_ew_exp_avx2(const float *x, float *y, int64_t n);
void nn_ew_sigmoid_avx2(const float *x, float *y, int64_t n);

/* Converts n elements from src (dtype sdt) to dst (dtype ddt) with ONNX Cast semantics
 * (see nn_ew_store_f64; integer to integer wraps). Returns 0 if a dtype is unsupported. */
int nn_ew_convert(const void *src, int sdt, void *dst, int ddt, int64_t n);

#endif
