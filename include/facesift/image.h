/*
 * facesift/image.h — images: decoding web images safely (format sniffed from the bytes, EXIF
 * orientation applied, decompression-bomb limits checked before allocating, DCT-domain
 * downscaled JPEG decoding), resizing as Pillow does, the similarity transform and affine
 * warp behind insightface's norm_crop, PNG/JPEG encoding, and drawing (InstantID's draw_kps
 * control image, preview overlays).
 *
 * Pixels: fsift_image is 8-bit, interleaved, row-major, top row first, `channels` 3 (RGB) or
 * 1 (gray), rows `stride` bytes apart. Decoders always produce RGB: gray is expanded, alpha
 * is composited onto white (as a browser shows a transparent photo on a white page), CMYK is
 * converted as Pillow converts it. All coordinates facesift writes refer to the pixels after
 * EXIF orientation — the frame Pillow's ImageOps.exif_transpose gives.
 *
 * Ownership: functions that fill an fsift_image allocate its data; release it with
 * fsift_image_free. Inputs are borrowed. Everything here is thread-safe (no global state).
 */
#ifndef FACESIFT_IMAGE_H
#define FACESIFT_IMAGE_H

#include "facesift/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fsift_image {
    int width, height;   /* pixels */
    int channels;        /* 3 = RGB, 1 = gray */
    size_t stride;       /* bytes between rows (>= width * channels) */
    uint8_t *data;       /* owned when filled by a facesift function */
} fsift_image;

/* Allocates a zeroed width×height image (stride = width*channels). Limits as decoding. */
fsift_status fsift_image_new(int width, int height, int channels, fsift_image *out);
void fsift_image_free(fsift_image *img); /* frees data, zeroes the struct; NULL is a no-op */

/* ---- decoding ------------------------------------------------------------------------ */

typedef enum fsift_image_format {
    FSIFT_IMG_UNKNOWN = 0,
    FSIFT_IMG_JPEG = 1,
    FSIFT_IMG_PNG = 2,
    FSIFT_IMG_WEBP = 3,
    FSIFT_IMG_GIF = 4,
    FSIFT_IMG_BMP = 5
} fsift_image_format;

/* "jpeg", "png", "webp", "gif", "bmp" or "unknown"; also the usual file extension. */
const char *fsift_image_format_name(fsift_image_format f);

/* The format from the first bytes (magic numbers), never from a file name. */
fsift_image_format fsift_image_sniff(const void *data, size_t size);

#define FSIFT_DEFAULT_MAX_PIXELS 89478485u       /* Pillow's MAX_IMAGE_PIXELS */
#define FSIFT_DEFAULT_MAX_FILE_BYTES ((size_t)64 << 20)

typedef struct fsift_decode_opts {
    uint64_t max_pixels;      /* width*height of the stored image; default 89,478,485 */
    int max_dim;              /* largest width or height; default 65,500 */
    size_t max_file_bytes;    /* default 64 MiB */
    int scale_denom;          /* 1, 2, 4 or 8: JPEG decodes in the DCT domain at 1/n (rounded
                                 up, as libjpeg does); other formats ignore it (1) */
    int allow_truncated;      /* 0 (default): truncated/corrupt data is an error */
    int apply_orientation;    /* 1 (default): apply EXIF orientation */
} fsift_decode_opts;

void fsift_decode_opts_default(fsift_decode_opts *o);

typedef struct fsift_image_info {
    fsift_image_format format;
    int width, height;        /* as stored in the file, before orientation and scaling */
    int orientation;          /* EXIF orientation 1..8 (1 when absent or invalid) */
    int has_alpha;
    int scale_denom;          /* the scale actually applied (1 unless JPEG) */
} fsift_image_info;

/* Reads only the header: format, stored size, orientation. Checks the limits. */
fsift_status fsift_image_probe(const void *data, size_t size, const fsift_decode_opts *opts,
                               fsift_image_info *info);

/* Decodes to RGB8 with orientation applied (opts NULL = defaults). info may be NULL.
 * Errors: FSIFT_E_FORMAT (corrupt, truncated, unknown format), FSIFT_E_LIMIT (over a limit;
 * checked before any pixel buffer is allocated), FSIFT_E_UNSUPPORTED. */
fsift_status fsift_image_decode(const void *data, size_t size, const fsift_decode_opts *opts,
                                fsift_image *out, fsift_image_info *info);

/* Applies EXIF orientation 1..8 to an image (a new image in *out). */
fsift_status fsift_image_orient(const fsift_image *src, int orientation, fsift_image *out);

/* ---- resizing (src/image/resize.c) --------------------------------------------------- */

typedef enum fsift_resize_filter {
    FSIFT_RESIZE_NEAREST = 0,
    FSIFT_RESIZE_BOX = 1,      /* area average (Pillow BOX) */
    FSIFT_RESIZE_BILINEAR = 2, /* Pillow BILINEAR (antialiased when shrinking) */
    FSIFT_RESIZE_BICUBIC = 3   /* Pillow BICUBIC, a = -0.5 (antialiased when shrinking) */
} fsift_resize_filter;

/* Resizes src to width×height exactly as Pillow's Image.resize(size, filter) (results
 * within ±1). */
fsift_status fsift_image_resize(const fsift_image *src, int width, int height,
                                fsift_resize_filter filter, fsift_image *out);

/* ---- geometry (src/image/geometry.c) ------------------------------------------------- */

/* Least-squares similarity transform (rotation, uniform scale, translation) mapping src[i]
 * to dst[i] (Umeyama 1991, as skimage's SimilarityTransform.estimate). M is the 2×3 matrix
 * [a -b tx; b a ty]. n >= 2. */
fsift_status fsift_similarity_estimate(const double (*src)[2], const double (*dst)[2], int n,
                                       double M[2][3]);

/* dst(x, y) = src(M^-1 (x, y)) with bilinear interpolation and border value 0, as
 * cv2.warpAffine(src, M, (width, height)) with INTER_LINEAR and BORDER_CONSTANT. */
fsift_status fsift_warp_affine(const fsift_image *src, const double M[2][3], int width,
                               int height, fsift_image *out);

/* insightface's norm_crop: the similarity transform from the 5 landmarks (left eye, right
 * eye, nose, left and right mouth corner; pixels of src) to the ArcFace template scaled to
 * size (112 → the template as is), then warp. M (may be NULL) receives the transform. */
fsift_status fsift_norm_crop(const fsift_image *src, const float kps[5][2], int size,
                             fsift_image *out, double M[2][3]);

/* ---- encoding (src/image/encode.c) --------------------------------------------------- */

/* PNG, zlib level 0..9 (6 is Pillow's default); output malloc'd (caller frees). */
fsift_status fsift_png_encode(const fsift_image *img, int level, void **out, size_t *size);
/* JPEG, quality 1..100, baseline, 4:2:0 chroma subsampling (Pillow's default). */
fsift_status fsift_jpeg_encode(const fsift_image *img, int quality, void **out, size_t *size);

/* ---- drawing (src/image/draw.c) ------------------------------------------------------ */

/* InstantID's draw_kps control image: a black width×height RGB image with the 5 landmarks'
 * limbs and points drawn as REFERENCE.md describes (OpenCV-compatible rasterisation). */
fsift_status fsift_draw_kps(int width, int height, const float kps[5][2], fsift_image *out);

/* Preview overlays for reports, drawn in place on an RGB image. */
void fsift_draw_rect(fsift_image *img, int x1, int y1, int x2, int y2, const uint8_t rgb[3], int thickness);
void fsift_draw_disc(fsift_image *img, float cx, float cy, float radius, const uint8_t rgb[3]);
/* Text in a built-in 5×7 bitmap font (ASCII 32..126), scale ≥ 1, top-left at (x, y). */
void fsift_draw_text(fsift_image *img, int x, int y, const char *text, const uint8_t rgb[3], int scale);

#ifdef __cplusplus
}
#endif
#endif
