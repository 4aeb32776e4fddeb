/*
 * image_internal.h — helpers shared by the files of src/image/ (never installed): the limit
 * check every decoder runs on the stored size before it allocates pixels, the pixel-buffer
 * allocator, Pillow's "alpha onto white" arithmetic, the EXIF Orientation reader, and the
 * per-format probe/decode entry points that src/image/image.c dispatches to.
 *
 * Decoder contract (img_<fmt>_probe / img_<fmt>_decode): probe reads only headers and fills
 * info->format/width/height/has_alpha/orientation; decode checks the limits from the header
 * BEFORE allocating the output, fills *out with RGB8 pixels in the stored (un-oriented) frame
 * and info (also on error when the header was read), and leaves *out zeroed on error.
 * Orientation is applied by the caller (image.c).
 */
#ifndef FSIFT_IMAGE_INTERNAL_H
#define FSIFT_IMAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/image.h"

/* Checks a stored size against opts: 0×0 (or any side <= 0) is FSIFT_E_FORMAT; over
 * max_dim / max_pixels is FSIFT_E_LIMIT. `what` prefixes the message ("png"). */
fsift_status img_check_size(int64_t width, int64_t height, const fsift_decode_opts *o,
                            const char *what);

/* Allocates a zeroed width×height×channels image without the decode limits (callers check
 * them first); only overflow and positive sizes are checked. */
fsift_status img_alloc(int width, int height, int channels, fsift_image *out);

/* As img_alloc, but the pixels are not zeroed: for decoders that write every row (or zero
 * the rows they could not decode). Saves the page-zeroing of a fresh calloc'd buffer. */
fsift_status img_alloc_uninit(int width, int height, int channels, fsift_image *out);

/* One channel composited onto opaque white exactly as Pillow's Image.alpha_composite does
 * (libImaging/AlphaComposite.c with a white opaque destination): coef1 = a·128,
 * coef2 = 255·128 − coef1, t = c·coef1 + 255·coef2 + 128·128, out = ((t>>8)+t)>>8 >> 7.
 * This is round((c·a + 255·(255−a)) / 255) up to the 7-bit fixed-point coefficients; with
 * a = 255 it returns c and with a = 0 it returns 255. */
static inline uint8_t img_over_white(uint32_t c, uint32_t a) {
    uint32_t c1 = a << 7, c2 = 255u * 128u - c1;
    uint32_t t = c * c1 + 255u * c2 + (128u << 7);
    return (uint8_t)((((t >> 8) + t) >> 8) >> 7);
}

/* Composites n RGBA pixels onto white into n RGB pixels (src and dst may not overlap
 * unless dst == src, which is allowed: it writes forwards and reads ahead). */
void img_rgba_over_white(const uint8_t *rgba, uint8_t *rgb, size_t n);

/* EXIF Orientation (tag 0x0112 of IFD0) from a TIFF-structured EXIF block, with or without
 * the leading "Exif\0\0"; 1 when absent, malformed or outside 1..8. Bounds-checked. */
int img_exif_orientation(const uint8_t *exif, size_t size);
/* Orientation from a JPEG's first "Exif\0\0" APP1 segment (markers walked up to SOS). */
int img_jpeg_orientation(const uint8_t *data, size_t size);
/* Orientation from a PNG's eXIf chunk (chunks walked up to IEND, lengths checked). */
int img_png_orientation(const uint8_t *data, size_t size);
/* Orientation from a WebP's EXIF chunk (RIFF chunks walked, lengths checked). */
int img_webp_orientation(const uint8_t *data, size_t size);

/* The fast path of PNG decoding (png_fast.c): non-interlaced 8-bit gray, gray+alpha, RGB,
 * RGBA and palette images, called by decode_png.c with the libspng context that has read
 * the header (ctx is only queried, never advanced). Returns 1 with *out set to exactly what
 * the libspng path would produce (has_alpha: the caller's alpha decision), or 0 with *out
 * zeroed, nothing allocated and no error set when it declines (unusual or corrupt input:
 * the caller then decodes with libspng). */
struct spng_ctx;
int img_png_fast(struct spng_ctx *ctx, const uint8_t *data, size_t size, int has_alpha,
                 fsift_image *out);
/* PNG defiltering of one row in place (filter 0..4, prior = the previous defiltered row, n
 * bytes each): the one png_fast.c uses (SIMD where it has it) and the scalar reference. */
void img_png_unfilter(uint8_t *row, const uint8_t *prior, size_t n, size_t bpp, int filter);
void img_png_unfilter_ref(uint8_t *row, const uint8_t *prior, size_t n, size_t bpp, int filter);
/* Two consecutive Paeth rows (r0 against prior, r1 against r0) as png_fast.c does them. */
void img_png_unfilter_paeth2(uint8_t *r0, uint8_t *r1, const uint8_t *prior, size_t n, size_t bpp);
/* img_png_decode without the fast path (libspng for every file): for tests and benchmarks. */
fsift_status img_png_decode_spng(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                                 fsift_image *out, fsift_image_info *info);

#define IMG_DECL(fmt)                                                                        \
    fsift_status img_##fmt##_probe(const uint8_t *data, size_t size,                        \
                                   const fsift_decode_opts *o, fsift_image_info *info);      \
    fsift_status img_##fmt##_decode(const uint8_t *data, size_t size,                       \
                                    const fsift_decode_opts *o, fsift_image *out,            \
                                    fsift_image_info *info);
IMG_DECL(jpeg)
IMG_DECL(png)
IMG_DECL(webp)
IMG_DECL(gif)
IMG_DECL(bmp)
#undef IMG_DECL

#endif
