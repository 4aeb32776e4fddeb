/*
 * resize.c — image resizing with the results of Pillow's Image.resize (8-bit RGB and gray).
 *
 * NEAREST picks source pixel floor((x + 0.5) * in / out) per axis, the position accumulated
 * by repeated addition as Pillow does (it decides the ties). BOX, BILINEAR and BICUBIC
 * are a separable convolution done as Pillow does it, so that the rounding agrees: for each
 * output position x along an axis the source centre is (x + 0.5) * scale (scale = in / out);
 * the filter is stretched by max(scale, 1) (antialiasing when shrinking), its taps cover
 * source pixels [trunc(centre - support + 0.5), trunc(centre + support + 0.5)) clipped to the
 * image, and the tap weights filter((i - centre + 0.5) / max(scale, 1)) are normalised to sum
 * 1, then turned into integers scaled by 2^22 (rounded half away from zero). Each pass sums
 * pixel × weight in 32-bit integers starting from 2^21 and keeps bits 22..29 clipped to
 * 0..255. The horizontal pass runs first, on only the rows the vertical pass reads; a pass is
 * skipped when its axis keeps its size (Pillow does the same), so the output is exact, not
 * merely within ±1.
 *
 * Speed: the weight tables are built once per call, their rows padded to whole 8-tap
 * vectors with zero weights; resize_avx2.c (chosen at run time by fsift_cpu_get) sums two RGB
 * taps or eight gray taps per instruction in the horizontal pass and 16 bytes of a row per
 * instruction in the vertical pass, with the same integer arithmetic, so every path gives the
 * same bytes. NEAREST copies 4-byte words (the spare byte is overwritten by the next pixel)
 * and reuses the row above when the source row repeats. Single-threaded; no global state;
 * thread-safe.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/image.h"
#include "image/resize_internal.h"

#define RS_PRECISION_BITS 22 /* 32 - 8 - 2, as Pillow */

/* Filters take the distance in (stretched) source pixels. */
static double filter_box(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }

static double filter_triangle(double x) {
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

static double filter_bicubic(double x) {
    const double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
    return 0.0;
}

/* One axis: for each output position, the first source index, the tap count, and ksize
 * integer weights (taps beyond the count are zero). */
typedef struct rs_axis {
    int out;
    int ksize;
    int *first;
    int *count;
    int32_t *w;
} rs_axis;

static void axis_free(rs_axis *a) {
    free(a->first);
    free(a->count);
    free(a->w);
    memset(a, 0, sizeof *a);
}

static fsift_status axis_build(int in, int out, fsift_resize_filter f, rs_axis *a) {
    double (*fn)(double);
    double support;
    switch (f) {
    case FSIFT_RESIZE_BOX: fn = filter_box; support = 0.5; break;
    case FSIFT_RESIZE_BILINEAR: fn = filter_triangle; support = 1.0; break;
    default: fn = filter_bicubic; support = 2.0; break;
    }
    double scale = (double)in / out;
    double fscale = scale > 1.0 ? scale : 1.0;
    support *= fscale;
    double ks = ceil(support) * 2.0 + 1.0;
    memset(a, 0, sizeof *a);
    if (ks > (double)(INT_MAX / 8) || (double)out * ks > 1e9)
        return fsift_error(FSIFT_E_LIMIT, "resize: %d -> %d needs too large a filter table", in, out);
    int ksize = ((int)ks + 7) & ~7; /* table stride: whole 8-tap vectors, zero weights past the taps */
    a->out = out;
    a->ksize = ksize;
    a->first = malloc((size_t)out * sizeof(int));
    a->count = malloc((size_t)out * sizeof(int));
    a->w = calloc((size_t)out * (size_t)ksize, sizeof(int32_t));
    double *k = malloc((size_t)ksize * sizeof(double));
    if (!a->first || !a->count || !a->w || !k) {
        free(k);
        axis_free(a);
        return fsift_error(FSIFT_E_NOMEM, "resize: out of memory for filter tables");
    }
    double inv = 1.0 / fscale;
    for (int xx = 0; xx < out; xx++) {
        double center = (xx + 0.5) * scale;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in) xmax = in;
        xmax -= xmin;
        if (xmax > ksize) xmax = ksize; /* cannot happen; keeps the table bounded */
        if (xmax < 0) xmax = 0;
        double ww = 0.0;
        for (int x = 0; x < xmax; x++) {
            double w = fn((x + xmin - center + 0.5) * inv);
            k[x] = w;
            ww += w;
        }
        int32_t *wi = a->w + (size_t)xx * ksize;
        for (int x = 0; x < xmax; x++) {
            double v = ww != 0.0 ? k[x] / ww : k[x];
            v *= (double)(1 << RS_PRECISION_BITS);
            wi[x] = (int32_t)(v < 0 ? v - 0.5 : v + 0.5);
        }
        a->first[xx] = xmin;
        a->count[xx] = xmax;
    }
    free(k);
    return FSIFT_OK;
}

static inline uint8_t clip8(int32_t v) {
    if (v < 0) return 0;
    v >>= RS_PRECISION_BITS;
    return v > 255 ? 255 : (uint8_t)v;
}

/* Horizontal pass over rows [y0, y1) of src into dst (rows 0..y1-y0). */
static int use_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
    return fsift_cpu_get()->avx2_fma;
#else
    return 0;
#endif
}

static fsift_status pass_h(const uint8_t *src, size_t sstride, int sw, int ch, int y0, int y1,
                           const rs_axis *a, uint8_t *dst, size_t dstride) {
    const int32_t half = 1 << (RS_PRECISION_BITS - 1);
#if defined(__x86_64__) || defined(__i386__)
    if (use_avx2()) {
        int32_t *wx = NULL;
        if (ch == 3) {
            /* weights expanded to (w, w, w, 0) per tap for the two-taps-per-vector kernel */
            wx = malloc((size_t)a->out * a->ksize * 4 * sizeof(int32_t));
            if (!wx) return fsift_error(FSIFT_E_NOMEM, "resize: out of memory for filter tables");
            for (size_t i = 0; i < (size_t)a->out * a->ksize; i++) {
                wx[4 * i] = wx[4 * i + 1] = wx[4 * i + 2] = a->w[i];
                wx[4 * i + 3] = 0;
            }
        }
        for (int y = y0; y < y1; y++)
            img_resize_hrow_avx2(src + (size_t)y * sstride, sw, ch, a->out, a->ksize, a->first, a->count,
                                 a->w, wx, dst + (size_t)(y - y0) * dstride);
        free(wx);
        return FSIFT_OK;
    }
#endif
    for (int y = y0; y < y1; y++) {
        const uint8_t *s = src + (size_t)y * sstride;
        uint8_t *d = dst + (size_t)(y - y0) * dstride;
        if (ch == 3) {
            for (int xx = 0; xx < a->out; xx++) {
                const int32_t *w = a->w + (size_t)xx * a->ksize;
                const uint8_t *p = s + (size_t)a->first[xx] * 3;
                int n = a->count[xx];
                int32_t s0 = half, s1 = half, s2 = half;
                for (int i = 0; i < n; i++) {
                    s0 += p[3 * i] * w[i];
                    s1 += p[3 * i + 1] * w[i];
                    s2 += p[3 * i + 2] * w[i];
                }
                d[3 * xx] = clip8(s0);
                d[3 * xx + 1] = clip8(s1);
                d[3 * xx + 2] = clip8(s2);
            }
        } else {
            for (int xx = 0; xx < a->out; xx++) {
                const int32_t *w = a->w + (size_t)xx * a->ksize;
                const uint8_t *p = s + a->first[xx];
                int n = a->count[xx];
                int32_t s0 = half;
                for (int i = 0; i < n; i++) s0 += p[i] * w[i];
                d[xx] = clip8(s0);
            }
        }
    }
    return FSIFT_OK;
}

void img_resize_vrow_generic(const uint8_t *const *rows, const int32_t *w, int n, int len,
                             int32_t *acc, uint8_t *dst) {
    const int32_t half = 1 << (RS_PRECISION_BITS - 1);
    for (int i = 0; i < len; i++) acc[i] = half;
    for (int t = 0; t < n; t++) {
        const uint8_t *r = rows[t];
        int32_t k = w[t];
        for (int i = 0; i < len; i++) acc[i] += r[i] * k;
    }
    for (int i = 0; i < len; i++) dst[i] = clip8(acc[i]);
}

/* Vertical pass: src has rows of len bytes (row 0 = source row `base`). */
static fsift_status pass_v(const uint8_t *src, size_t sstride, int base, int len, const rs_axis *a,
                           uint8_t *dst, size_t dstride) {
    int32_t *acc = malloc((size_t)len * sizeof(int32_t));
    const uint8_t **rows = malloc((size_t)a->ksize * sizeof(*rows));
    if (!acc || !rows) {
        free(acc);
        free(rows);
        return fsift_error(FSIFT_E_NOMEM, "resize: out of memory");
    }
    img_resize_vrow_fn vrow = img_resize_vrow_select();
    for (int yy = 0; yy < a->out; yy++) {
        int n = a->count[yy];
        for (int t = 0; t < n; t++) rows[t] = src + (size_t)(a->first[yy] + t - base) * sstride;
        vrow(rows, a->w + (size_t)yy * a->ksize, n, len, acc, dst + (size_t)yy * dstride);
    }
    free(acc);
    free(rows);
    return FSIFT_OK;
}

static fsift_status resize_nearest(const fsift_image *src, fsift_image *out) {
    int W = out->width, H = out->height, ch = src->channels;
    int *xs = malloc((size_t)W * sizeof(int));
    if (!xs) return fsift_error(FSIFT_E_NOMEM, "resize: out of memory");
    /* Pillow walks the source position by repeated addition (x0 = scale/2, x += scale), and
     * the accumulated rounding decides ties, so do the same. */
    double sx = (double)src->width / W, sy = (double)src->height / H;
    double xo = sx * 0.5, yo = sy * 0.5;
    int x4 = 0; /* pixels [0, x4) can be copied as 4 bytes (xs is nondecreasing) */
    for (int x = 0; x < W; x++, xo += sx) {
        int v = (int)xo;
        if (v >= src->width) v = src->width - 1;
        xs[x] = ch == 3 ? 3 * v : v; /* byte offset */
        if (x + 1 < W && v + 1 < src->width) x4 = x + 1;
    }
    int prev = -1;
    for (int y = 0; y < H; y++, yo += sy) {
        int yi = (int)yo;
        if (yi >= src->height) yi = src->height - 1;
        uint8_t *d = out->data + (size_t)y * out->stride;
        if (yi == prev) { /* upscaling: the same source row as the output row above */
            memcpy(d, d - out->stride, (size_t)W * ch);
            continue;
        }
        prev = yi;
        const uint8_t *s = src->data + (size_t)yi * src->stride;
        if (ch == 3) {
            /* 4-byte copies (the 4th byte is overwritten by the next pixel) while both the
             * source and the destination have a byte to spare */
            int x = 0;
            for (; x < x4; x++) memcpy(d + 3 * x, s + xs[x], 4);
            for (; x < W; x++) memcpy(d + 3 * x, s + xs[x], 3);
        } else {
            for (int x = 0; x < W; x++) d[x] = s[xs[x]];
        }
    }
    free(xs);
    return FSIFT_OK;
}

fsift_status fsift_image_resize(const fsift_image *src, int width, int height,
                                fsift_resize_filter filter, fsift_image *out) {
    if (!out) return fsift_error(FSIFT_E_INVALID_ARG, "resize: out is NULL");
    memset(out, 0, sizeof *out);
    if (!src || !src->data || src->width <= 0 || src->height <= 0 ||
        (src->channels != 1 && src->channels != 3) ||
        src->stride < (size_t)src->width * (size_t)src->channels)
        return fsift_error(FSIFT_E_INVALID_ARG, "resize: invalid source image");
    if (width <= 0 || height <= 0)
        return fsift_error(FSIFT_E_INVALID_ARG, "resize: invalid output size %dx%d", width, height);
    if (filter < FSIFT_RESIZE_NEAREST || filter > FSIFT_RESIZE_BICUBIC)
        return fsift_error(FSIFT_E_INVALID_ARG, "resize: unknown filter %d", (int)filter);
    int ch = src->channels;
    fsift_status st = fsift_image_new(width, height, ch, out);
    if (st) return st;
    if (width == src->width && height == src->height) {
        for (int y = 0; y < height; y++)
            memcpy(out->data + (size_t)y * out->stride, src->data + (size_t)y * src->stride,
                   (size_t)width * ch);
        return FSIFT_OK;
    }
    if (filter == FSIFT_RESIZE_NEAREST) {
        st = resize_nearest(src, out);
        if (st) fsift_image_free(out);
        return st;
    }
    int need_h = width != src->width, need_v = height != src->height;
    rs_axis ax = {0}, ay = {0};
    uint8_t *tmp = NULL;
    if (need_h && (st = axis_build(src->width, width, filter, &ax))) goto done;
    if (need_v && (st = axis_build(src->height, height, filter, &ay))) goto done;
    if (need_h && need_v) {
        /* Horizontal pass on the source rows the vertical pass reads. */
        int y0 = ay.first[0];
        int y1 = ay.first[height - 1] + ay.count[height - 1];
        size_t tstride = (size_t)width * ch;
        /* the intermediate is out-width × (part of) in-height: both are within the pixel
         * limits, but their product need not be */
        if ((uint64_t)width * (uint64_t)(y1 - y0) > 2 * (uint64_t)FSIFT_DEFAULT_MAX_PIXELS) {
            st = fsift_error(FSIFT_E_LIMIT, "resize: %dx%d -> %dx%d needs a %dx%d intermediate image, over the limit",
                             src->width, src->height, width, height, width, y1 - y0);
            goto done;
        }
        tmp = malloc(tstride * (size_t)(y1 - y0 > 0 ? y1 - y0 : 1));
        if (!tmp) {
            st = fsift_error(FSIFT_E_NOMEM, "resize: out of memory for the intermediate image");
            goto done;
        }
        st = pass_h(src->data, src->stride, src->width, ch, y0, y1, &ax, tmp, tstride);
        if (!st) st = pass_v(tmp, tstride, y0, width * ch, &ay, out->data, out->stride);
    } else if (need_h) {
        st = pass_h(src->data, src->stride, src->width, ch, 0, height, &ax, out->data, out->stride);
    } else {
        st = pass_v(src->data, src->stride, 0, width * ch, &ay, out->data, out->stride);
    }
done:
    free(tmp);
    axis_free(&ax);
    axis_free(&ay);
    if (st) fsift_image_free(out);
    return st;
}

img_resize_vrow_fn img_resize_vrow_select(void) {
#if defined(__x86_64__) || defined(__i386__)
    if (use_avx2()) return img_resize_vrow_avx2;
#endif
    return img_resize_vrow_generic;
}
