/*
 * gemm.h — single-precision matrix multiply for the compute-heavy operators (internal to
 * src/nn/kernels: conv.c, linear.c, the GEMM driver gemm.c and its micro-kernels).
 *
 * Design (the classic packed, blocked GEMM): C[M,N] = alpha * A[M,K] * B[K,N], then an
 * epilogue (+ existing C, + bias per row or per column, clamp). A is cut into panels of MR
 * rows and B into panels of NR columns; a panel is stored k-major (for each k, its MR (NR)
 * values side by side), so the micro-kernel streams both with unit stride and keeps an MR×NR
 * tile of C in registers. The driver walks blocks of NC columns, KC depths and MC rows so
 * that a B block stays in L2 while A panels stream through L1. Operands come in three kinds:
 * a dense strided matrix, a matrix packed once at model load (constant weights: the panels
 * of the whole matrix, [ceil(rows/R)][K][R]), or an implicit im2col view of a convolution
 * input (the packer reads the image directly, so no im2col buffer is ever built).
 *
 * Micro-kernels exist per instruction set (gemm_avx2.c: 6×16, gemm_avx512.c: 14×32) and
 * are chosen at run time from fsift_cpu; the level is a parameter so that tests can run every
 * level in one process. Besides the packed-panel tile (ukr), each level has two tiles for
 * convolutions that read the image in place: the direct tile (convk: B = pixels of an NCHW
 * row) and the indirect tile (ukr_ind: A = pixels reached through per-tap row pointers);
 * and a row-vector kernel (gemv) streams several packed B panels at once when M = 1.
 * Plain-loop reference versions of every operator live in conv_ref.c and are what the
 * "generic" level runs.
 *
 * Threading: nn_gemm_batch splits each GEMM of a batch into a grid of rectangles of whole
 * panels, one per worker, on one fork/join of the pool. Each worker packs into its own
 * slice of the scratch buffer (nn_gemm_scratch_per_thread bytes). Packed operands are
 * immutable and shared.
 */
#ifndef FSIFT_NN_KERNELS_GEMM_H
#define FSIFT_NN_KERNELS_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "../ops.h"

/* Instruction-set levels of the kernels. */
typedef enum nn_isa {
    NN_ISA_REF = 0,    /* plain loops (conv_ref.c): the oracle, and the no-SIMD fallback */
    NN_ISA_AVX2 = 1,   /* AVX2 + FMA */
    NN_ISA_AVX512 = 2  /* AVX-512 F/BW/VL/DQ */
} nn_isa;

/* The level to use for a CPU description (NULL: fsift_cpu_get()). */
nn_isa nn_isa_for(const fsift_cpu *cpu);
const char *nn_isa_name(nn_isa isa);

/* ---- micro-kernels -------------------------------------------------------------------- */

/* Epilogue of one micro-tile, after the K loop: v = alpha * acc (+ c if load_c)
 * (+ brow[i]) (+ bcol[j]) (+ res[i*rs + j*cs]), then clamp to [lo, hi], then, if a slope is
 * given, v < 0 ? v * slope : v (PReLU; slope srow[i] or scol[j], at most one of the two).
 * brow/bcol/srow/scol point at the tile's first row/column (NULL: none); res (NULL: none) at
 * the tile's first element of a residual laid out like C (same strides). The additions
 * happen in this order, so a fused residual rounds exactly as a separate Add would. */
typedef struct nn_ukr_epi {
    float alpha;
    int load_c;
    const float *brow;
    const float *bcol;
    float lo, hi;
    const float *res;
    const float *srow;
    const float *scol;
} nn_ukr_epi;

/* Computes the mr×nr tile (mr <= MR, nr <= NR) from kc steps of packed panels pa (MR floats
 * per k) and pb (NR floats per k, zero beyond nr); C element (i, j) is c[i*rs_c + j*cs_c]. */
typedef void (*nn_ukr_fn)(int64_t kc, const float *pa, const float *pb, float *c,
                          int64_t rs_c, int64_t cs_c, int mr, int nr, const nn_ukr_epi *e);

/* Direct NCHW convolution tile (an implicit GEMM that reads the image in place): rows are
 * up to MR output channels (pa: the packed weight panel, k = (c, ky, kx)), columns are up to
 * CONV_NR consecutive output pixels of one output row. Input pixel of output column j and
 * tap (ky, kx): x[c][iy0 + ky*dh][ix0 + j*sw + kx*dw], zero outside the image. Stride sw is
 * 1 or 2, kw <= NN_CONVK_MAX_KW. Output element (i, j) goes to c[i*rs + j], with the
 * epilogue applied (load_c must be 0). */
#define NN_CONVK_MAX_KW 16
typedef struct nn_convk_args {
    const float *pa;
    const float *x;
    int64_t C, H, W;
    int64_t kh, kw, dh, dw, sw;
    int64_t iy0, ix0;
    float *c;
    int64_t rs;
    int mr, nr;
    nn_ukr_epi e;
} nn_convk_args;
typedef void (*nn_convk_fn)(const nn_convk_args *a);

/* Indirect GEMM tile (convolution without an im2col copy): A element (i, t*C + c) is
 * rows[t*MR + i][c * cstride] — for each of `taps` taps, one pointer per tile row (only the
 * first mr are read) to that pixel's first channel (NHWC: cstride 1; a padded NCHW copy:
 * cstride = plane size). B is a packed panel (K = taps*C, NR floats per k). C element (i, j)
 * goes to c[i*rs + j*cs], with the epilogue (load_c must be 0). */
typedef struct nn_ind_args {
    int64_t taps, C, cstride;
    const float *const *rows;
    const float *pb;
    float *c;
    int64_t rs, cs;
    int mr, nr;
    nn_ukr_epi e;
} nn_ind_args;
typedef void (*nn_ukr_ind_fn)(const nn_ind_args *a);

/* Row-vector product (M = 1, a memory-bound matrix-vector product such as a recognizer's
 * last fully connected layer): np (<= NN_GEMV_PANELS) packed B panels of full depth K,
 * pstride floats apart, streamed side by side against the dense row a (unit stride), so
 * that several independent weight streams and accumulator chains are in flight. Column j
 * of panel q goes to c[q*NR + j]; the last panel has nr columns, the others NR. The
 * epilogue is ukr's with one row: brow, if set, is the row's bias; bcol, scol and res point
 * at panel 0's and advance by NR per panel. */
#define NN_GEMV_PANELS 8
typedef struct nn_gemv_args {
    int64_t K;
    const float *a;
    const float *pb;
    int64_t pstride;
    int np, nr;
    float *c;
    nn_ukr_epi e;
} nn_gemv_args;
typedef void (*nn_gemv_fn)(const nn_gemv_args *a);

#define NN_GEMM_MAX_MR 14 /* largest MR of any kernel */

typedef struct nn_gemm_kernel {
    nn_isa isa;
    int mr, nr;
    nn_ukr_fn ukr;
    nn_convk_fn convk;  /* direct convolution tile, mr × conv_nr */
    int conv_nr;
    nn_ukr_ind_fn ukr_ind;
    nn_gemv_fn gemv;    /* row-vector product over several panels */
} nn_gemm_kernel;

/* The micro-kernel of a SIMD level, or NULL for NN_ISA_REF (or one not compiled in). */
const nn_gemm_kernel *nn_gemm_kernel_for(nn_isa isa);

extern const nn_gemm_kernel nn_gemm_kernel_avx2;   /* gemm_avx2.c */
extern const nn_gemm_kernel nn_gemm_kernel_avx512; /* gemm_avx512.c */

/* ---- operands ------------------------------------------------------------------------- */

/* Geometry of a 2-D convolution over one group, for the im2col view. 1-D is H = 1. */
typedef struct nn_conv_geom {
    int nhwc;                 /* layout of x */
    int64_t C;                /* channels of this group */
    int64_t H, W;             /* input size */
    int64_t kh, kw, sh, sw, dh, dw;
    int64_t pt, pl;           /* begin pads */
    int64_t OH, OW;           /* output size */
    int64_t ctot;             /* NHWC: channels per pixel in x (all groups) */
    int64_t img_stride;       /* NHWC: elements between images (for a batched view) */
} nn_conv_geom;

typedef enum nn_gemm_src_kind {
    NN_GEMM_DENSE = 0,  /* element (r, k) of A at p[r*rs + k*cs]; of B (k, c) at p[k*rs + c*cs] */
    NN_GEMM_PACKED = 1, /* panels made by nn_gemm_pack (full K, all rows/columns) */
    NN_GEMM_CONV = 2    /* im2col view: NCHW image as B [C*kh*kw, OH*OW] (k = (c,ky,kx));
                           NHWC images as A [n*OH*OW, kh*kw*C] (k = (ky,kx,c)) */
} nn_gemm_src_kind;

typedef struct nn_gemm_src {
    nn_gemm_src_kind kind;
    const float *p;           /* DENSE: data; CONV: x at this group's first channel;
                                 PACKED: the panels */
    int64_t rs, cs;           /* DENSE strides */
    const nn_conv_geom *geom; /* CONV */
    int ph;                   /* PACKED A: rows per panel (<= MR; 0 = MR), see nn_gemm_pack_a */
} nn_gemm_src;

/* One GEMM: C = alpha*A*B (+ epilogue). */
typedef struct nn_gemm_task {
    int64_t M, N, K;
    nn_gemm_src a, b;
    float *c;
    int64_t rs_c, cs_c;
    float alpha;
    int accumulate;           /* add to the existing contents of C */
    const float *bias;        /* NULL or bias, indexed by row (bias_per_col 0) or column */
    int bias_per_col;
    float lo, hi;             /* final clamp (-INFINITY, INFINITY: none) */
    const float *res;         /* NULL or a residual added after the bias, element (i, j) at
                                 res[i*rs_c + j*cs_c] (laid out like C; must not overlap C) */
    const float *slope;       /* NULL or PReLU slopes applied last, by row (slope_per_col 0)
                                 or column */
    int slope_per_col;
} nn_gemm_task;

/* Floats needed to pack a whole rows×K matrix as panels of R (R = mr for A, nr for B); 0 on
 * overflow. */
size_t nn_gemm_packed_floats(int64_t rows, int64_t K, int R);

/* Packs a whole operand for kernel `kern` into dst (nn_gemm_packed_floats floats). as_b = 0:
 * src is A (rows = M, MR panels); 1: src is B (rows = N columns, NR panels). src must be
 * DENSE or CONV. */
void nn_gemm_pack(const nn_gemm_kernel *kern, int as_b, const nn_gemm_src *src, int64_t rows,
                  int64_t K, float *dst);

/* Rows per A panel that spread `rows` evenly over the fewest panels of at most MR rows
 * (16 rows with MR 14: two panels of 8, not 14 + 2). */
int nn_gemm_balanced_ph(const nn_gemm_kernel *kern, int64_t rows);
/* Floats for A packed with panels of ph rows (each panel still MR wide per k); 0 on overflow. */
size_t nn_gemm_packed_a_floats(const nn_gemm_kernel *kern, int64_t rows, int64_t K, int ph);
/* Packs a whole A operand (DENSE or CONV) into panels of ph rows, MR floats per k. */
void nn_gemm_pack_a(const nn_gemm_kernel *kern, const nn_gemm_src *src, int64_t rows, int64_t K, int ph,
                    float *dst);

/* Scratch bytes one worker needs for tasks of this size. */
size_t nn_gemm_scratch_per_thread(const nn_gemm_kernel *kern, int64_t M, int64_t N, int64_t K);

/* Runs `count` independent GEMMs (outputs must not overlap) on up to nthreads workers of
 * pool (NULL: the caller only). scratch holds scratch_bytes bytes, 64-byte aligned; the
 * number of workers is also limited to scratch_bytes / nn_gemm_scratch_per_thread. */
void nn_gemm_batch(const nn_gemm_kernel *kern, const nn_gemm_task *tasks, int64_t count,
                   fsift_pool *pool, int nthreads, void *scratch, size_t scratch_bytes);

/* Reference: the same computation in plain loops (conv_ref.c). A/B must be DENSE or CONV. */
void nn_gemm_ref(const nn_gemm_task *t);

#endif
