/*
 * resize_internal.h — the vertical-pass row kernel of resize.c and its run-time choice
 * between the portable loop and resize_avx2.c. Private to src/image/resize*.c.
 */
#ifndef FSIFT_IMAGE_RESIZE_INTERNAL_H
#define FSIFT_IMAGE_RESIZE_INTERNAL_H

#include <stdint.h>

/* dst[i] = clip8((2^21 + sum_t rows[t][i] * w[t]) >> 22) for i < len; acc is len ints of
 * scratch. */
typedef void (*img_resize_vrow_fn)(const uint8_t *const *rows, const int32_t *w, int n, int len,
                                   int32_t *acc, uint8_t *dst);

void img_resize_vrow_generic(const uint8_t *const *rows, const int32_t *w, int n, int len,
                             int32_t *acc, uint8_t *dst);
void img_resize_vrow_avx2(const uint8_t *const *rows, const int32_t *w, int n, int len,
                          int32_t *acc, uint8_t *dst);

/* The best kernel for this CPU (fsift_cpu_get). */
img_resize_vrow_fn img_resize_vrow_select(void);

/* Horizontal pass of one row: src holds sw pixels of ch (1 or 3) bytes; output pixel xx sums
 * count[xx] taps from pixel first[xx] with weights w[xx*ksize ...]. For ch 3, wx holds the same
 * weights expanded to (w, w, w, 0) per tap, 4*ksize ints per output pixel. */
void img_resize_hrow_avx2(const uint8_t *src, int sw, int ch, int out, int ksize, const int *first,
                          const int *count, const int32_t *w, const int32_t *wx, uint8_t *dst);

#endif
