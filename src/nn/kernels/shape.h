/*
 * shape.h — private to the shape kernel files (shape*.c): shared validation helpers, the
 * N-D transpose engine and the op entry points that the table in shape.c lists.
 *
 * Shape ops are copies: they move elements without looking at their values, so they work
 * on any dtype by element size. Everything that computes an output shape validates it —
 * ranks at most NN_MAX_RANK, dims at most NN_MAX_DIM, element counts checked for overflow and
 * capped at NN_SHAPE_MAX_NUMEL (FSIFT_E_LIMIT) — before anything is allocated.
 */
#ifndef FSIFT_NN_KERNELS_SHAPE_H
#define FSIFT_NN_KERNELS_SHAPE_H

#include "../ops.h"

/* Largest output (elements) a shape-computing op may produce. */
#define NN_SHAPE_MAX_NUMEL ((int64_t)1 << 31)

/* Checks input i is present (error naming `what` otherwise). */
fsift_status nn_shape_need_in(const nn_kctx *k, int i, const char *what);
/* Checks output 0 is present. */
fsift_status nn_shape_need_out(const nn_kctx *k);

/* Reads input i, an integer (int32/int64) tensor of rank 0 or 1 that must be known at plan
 * time (FSIFT_E_UNSUPPORTED otherwise), into vals (at most max entries). */
fsift_status nn_shape_read_ints(const nn_kctx *k, int i, const char *what, int64_t *vals,
                                int max, int *count);

/* Validates an output shape: every dim in [0, NN_MAX_DIM], numel <= NN_SHAPE_MAX_NUMEL. */
fsift_status nn_shape_check_out(const nn_kctx *k, int rank, const int64_t *dims);

/* a * b for non-negative sizes; returns -1 if the product exceeds NN_MAX_DIM^2 or a/b < 0. */
int64_t nn_shape_mul(int64_t a, int64_t b);

/* dst = src (bytes), split across the pool when large. */
void nn_shape_copy(const nn_kctx *k, void *dst, const void *src, size_t bytes);

/* Writes src (dims of rank `rank`, element size es) permuted by perm into dst: output axis j
 * is input axis perm[j]. perm must be a valid permutation (checked by the caller). */
void nn_transpose(const nn_kctx *k, size_t es, int rank, const int64_t *dims, const int *perm,
                  const void *src, void *dst);

#define NN_SHAPE_DECL(name)                                                                  \
    fsift_status nn_sh_infer_##name(nn_kctx *k);                                             \
    fsift_status nn_sh_run_##name(nn_kctx *k);

/* shape.c */
NN_SHAPE_DECL(Reshape)
NN_SHAPE_DECL(Flatten)
NN_SHAPE_DECL(Squeeze)
NN_SHAPE_DECL(Unsqueeze)
NN_SHAPE_DECL(Shape)
NN_SHAPE_DECL(Size)
NN_SHAPE_DECL(Constant)
NN_SHAPE_DECL(ConstantOfShape)
NN_SHAPE_DECL(Range)
/* shape_transpose.c */
NN_SHAPE_DECL(Transpose)
NN_SHAPE_DECL(DepthToSpace)
NN_SHAPE_DECL(SpaceToDepth)
/* shape_copy.c */
NN_SHAPE_DECL(Concat)
NN_SHAPE_DECL(Split)
NN_SHAPE_DECL(Expand)
NN_SHAPE_DECL(Tile)
/* shape_index.c */
NN_SHAPE_DECL(Slice)
NN_SHAPE_DECL(Gather)
NN_SHAPE_DECL(GatherElements)
NN_SHAPE_DECL(GatherND)
NN_SHAPE_DECL(ScatterND)
NN_SHAPE_DECL(OneHot)
NN_SHAPE_DECL(Trilu)

#endif
