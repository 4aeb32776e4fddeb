/*
 * image.c — the image type (allocation, free), format sniffing from magic numbers, decode
 * options, and the decode entry points: fsift_image_probe / fsift_image_decode check the file
 * size, sniff the format, hand the bytes to the per-format decoder (decode_<fmt>.c, which
 * checks the pixel limits from the header before allocating) and then apply the EXIF
 * orientation with fsift_image_orient.
 *
 * Orientation follows PIL.ImageOps.exif_transpose: 2 mirror left-right, 3 rotate 180,
 * 4 flip top-bottom, 5 transpose (swap axes), 6 rotate 90° clockwise, 7 transverse,
 * 8 rotate 90° counter-clockwise. Each is written as a map from a destination pixel (x, y)
 * to a source pixel; the copy walks destination rows so writes are sequential.
 *
 * Thread-safe: no global state.
 */
#include <stdlib.h>
#include <string.h>

#include "image/image_internal.h"

static fsift_status alloc_image(int width, int height, int channels, int zero, fsift_image *out) {
    memset(out, 0, sizeof *out);
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3))
        return fsift_error(FSIFT_E_INVALID_ARG, "image: bad size %dx%dx%d", width, height,
                           channels);
    size_t stride = (size_t)width * (size_t)channels;
    if ((size_t)height > SIZE_MAX / stride)
        return fsift_error(FSIFT_E_LIMIT, "image: %dx%d overflows memory sizes", width, height);
    uint8_t *p = zero ? calloc((size_t)height, stride) : malloc((size_t)height * stride);
    if (!p) return fsift_error(FSIFT_E_NOMEM, "image: out of memory for %dx%d", width, height);
    out->width = width;
    out->height = height;
    out->channels = channels;
    out->stride = stride;
    out->data = p;
    return FSIFT_OK;
}

fsift_status img_alloc(int width, int height, int channels, fsift_image *out) {
    return alloc_image(width, height, channels, 1, out);
}

fsift_status img_alloc_uninit(int width, int height, int channels, fsift_image *out) {
    return alloc_image(width, height, channels, 0, out);
}

fsift_status fsift_image_new(int width, int height, int channels, fsift_image *out) {
    if (!out) return fsift_error(FSIFT_E_INVALID_ARG, "image: NULL output");
    memset(out, 0, sizeof *out);
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    fsift_status st = img_check_size(width, height, &o, "image");
    if (st == FSIFT_E_FORMAT) st = FSIFT_E_INVALID_ARG;
    if (st) return st;
    return img_alloc(width, height, channels, out);
}

void fsift_image_free(fsift_image *img) {
    if (!img) return;
    free(img->data);
    memset(img, 0, sizeof *img);
}

const char *fsift_image_format_name(fsift_image_format f) {
    switch (f) {
    case FSIFT_IMG_JPEG: return "jpeg";
    case FSIFT_IMG_PNG: return "png";
    case FSIFT_IMG_WEBP: return "webp";
    case FSIFT_IMG_GIF: return "gif";
    case FSIFT_IMG_BMP: return "bmp";
    default: return "unknown";
    }
}

static uint32_t rd32le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

fsift_image_format fsift_image_sniff(const void *data, size_t size) {
    const uint8_t *p = data;
    if (!p) return FSIFT_IMG_UNKNOWN;
    if (size >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return FSIFT_IMG_JPEG;
    if (size >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8)) return FSIFT_IMG_PNG;
    if (size >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4)) return FSIFT_IMG_WEBP;
    if (size >= 6 && (!memcmp(p, "GIF87a", 6) || !memcmp(p, "GIF89a", 6))) return FSIFT_IMG_GIF;
    /* BMP: "BM", then a DIB header size that is one of the known ones. */
    if (size >= 18 && p[0] == 'B' && p[1] == 'M') {
        uint32_t hs = rd32le(p + 14);
        if (hs == 12 || hs == 16 || hs == 40 || hs == 52 || hs == 56 || hs == 64 || hs == 108 ||
            hs == 124)
            return FSIFT_IMG_BMP;
    }
    return FSIFT_IMG_UNKNOWN;
}

void fsift_decode_opts_default(fsift_decode_opts *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->max_pixels = FSIFT_DEFAULT_MAX_PIXELS;
    o->max_dim = 65500;
    o->max_file_bytes = FSIFT_DEFAULT_MAX_FILE_BYTES;
    o->scale_denom = 1;
    o->allow_truncated = 0;
    o->apply_orientation = 1;
}

fsift_status img_check_size(int64_t width, int64_t height, const fsift_decode_opts *o,
                            const char *what) {
    if (width <= 0 || height <= 0)
        return fsift_error(FSIFT_E_FORMAT, "%s: image has no pixels (%lldx%lld)", what,
                           (long long)width, (long long)height);
    if (o->max_dim > 0 && (width > o->max_dim || height > o->max_dim))
        return fsift_error(FSIFT_E_LIMIT, "%s: %lldx%lld exceeds the largest side allowed (%d)",
                           what, (long long)width, (long long)height, o->max_dim);
    if (width > INT32_MAX || height > INT32_MAX)
        return fsift_error(FSIFT_E_LIMIT, "%s: %lldx%lld is too large", what, (long long)width,
                           (long long)height);
    uint64_t px = (uint64_t)width * (uint64_t)height;
    if (o->max_pixels > 0 && px > o->max_pixels)
        return fsift_error(FSIFT_E_LIMIT,
                           "%s: %lldx%lld = %llu pixels exceeds the limit of %llu (a possible "
                           "decompression bomb)",
                           what, (long long)width, (long long)height, (unsigned long long)px,
                           (unsigned long long)o->max_pixels);
    return FSIFT_OK;
}

void img_rgba_over_white(const uint8_t *rgba, uint8_t *rgb, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t a = rgba[4 * i + 3];
        uint8_t r = rgba[4 * i], g = rgba[4 * i + 1], b = rgba[4 * i + 2];
        if (a == 255) {
            rgb[3 * i] = r, rgb[3 * i + 1] = g, rgb[3 * i + 2] = b;
        } else {
            rgb[3 * i] = img_over_white(r, a);
            rgb[3 * i + 1] = img_over_white(g, a);
            rgb[3 * i + 2] = img_over_white(b, a);
        }
    }
}

/* Validates opts (NULL → defaults) into *o. */
static fsift_status resolve_opts(const fsift_decode_opts *in, fsift_decode_opts *o) {
    if (in) *o = *in;
    else fsift_decode_opts_default(o);
    if (o->scale_denom == 0) o->scale_denom = 1;
    if (o->scale_denom != 1 && o->scale_denom != 2 && o->scale_denom != 4 && o->scale_denom != 8)
        return fsift_error(FSIFT_E_INVALID_ARG, "decode: scale_denom must be 1, 2, 4 or 8, not %d",
                           o->scale_denom);
    return FSIFT_OK;
}

static fsift_status precheck(const void *data, size_t size, const fsift_decode_opts *o,
                             fsift_image_format *fmt) {
    if (!data && size) return fsift_error(FSIFT_E_INVALID_ARG, "decode: NULL data");
    if (o->max_file_bytes > 0 && size > o->max_file_bytes)
        return fsift_error(FSIFT_E_LIMIT, "decode: file of %zu bytes exceeds the limit of %zu",
                           size, o->max_file_bytes);
    *fmt = fsift_image_sniff(data, size);
    if (*fmt == FSIFT_IMG_UNKNOWN)
        return fsift_error(FSIFT_E_FORMAT,
                           "decode: not a JPEG, PNG, WebP, GIF or BMP file (%zu bytes, "
                           "unrecognised magic number)",
                           size);
    return FSIFT_OK;
}

fsift_status fsift_image_probe(const void *data, size_t size, const fsift_decode_opts *opts,
                               fsift_image_info *info) {
    if (!info) return fsift_error(FSIFT_E_INVALID_ARG, "probe: NULL info");
    memset(info, 0, sizeof *info);
    info->orientation = 1;
    info->scale_denom = 1;
    fsift_decode_opts o;
    fsift_image_format fmt;
    fsift_status st = resolve_opts(opts, &o);
    if (!st) st = precheck(data, size, &o, &fmt);
    if (st) return st;
    info->format = fmt;
    const uint8_t *p = data;
    switch (fmt) {
    case FSIFT_IMG_JPEG: st = img_jpeg_probe(p, size, &o, info); break;
    case FSIFT_IMG_PNG: st = img_png_probe(p, size, &o, info); break;
    case FSIFT_IMG_WEBP: st = img_webp_probe(p, size, &o, info); break;
    case FSIFT_IMG_GIF: st = img_gif_probe(p, size, &o, info); break;
    default: st = img_bmp_probe(p, size, &o, info); break;
    }
    if (st) return st;
    if (fmt == FSIFT_IMG_JPEG) info->scale_denom = o.scale_denom;
    return img_check_size(info->width, info->height, &o, fsift_image_format_name(fmt));
}

fsift_status fsift_image_decode(const void *data, size_t size, const fsift_decode_opts *opts,
                                fsift_image *out, fsift_image_info *info) {
    if (!out) return fsift_error(FSIFT_E_INVALID_ARG, "decode: NULL output");
    memset(out, 0, sizeof *out);
    fsift_image_info local;
    if (!info) info = &local;
    memset(info, 0, sizeof *info);
    info->orientation = 1;
    info->scale_denom = 1;
    fsift_decode_opts o;
    fsift_image_format fmt;
    fsift_status st = resolve_opts(opts, &o);
    if (!st) st = precheck(data, size, &o, &fmt);
    if (st) return st;
    info->format = fmt;
    const uint8_t *p = data;
    fsift_image img;
    switch (fmt) {
    case FSIFT_IMG_JPEG: st = img_jpeg_decode(p, size, &o, &img, info); break;
    case FSIFT_IMG_PNG: st = img_png_decode(p, size, &o, &img, info); break;
    case FSIFT_IMG_WEBP: st = img_webp_decode(p, size, &o, &img, info); break;
    case FSIFT_IMG_GIF: st = img_gif_decode(p, size, &o, &img, info); break;
    default: st = img_bmp_decode(p, size, &o, &img, info); break;
    }
    if (st) return st;
    if (o.apply_orientation && info->orientation > 1 && info->orientation <= 8) {
        fsift_image rot;
        st = fsift_image_orient(&img, info->orientation, &rot);
        fsift_image_free(&img);
        if (st) return st;
        img = rot;
    }
    *out = img;
    return FSIFT_OK;
}

fsift_status fsift_image_orient(const fsift_image *src, int orientation, fsift_image *out) {
    if (!out) return fsift_error(FSIFT_E_INVALID_ARG, "orient: NULL output");
    memset(out, 0, sizeof *out);
    if (!src || !src->data || src->width <= 0 || src->height <= 0 ||
        (src->channels != 1 && src->channels != 3) ||
        src->stride < (size_t)src->width * (size_t)src->channels)
        return fsift_error(FSIFT_E_INVALID_ARG, "orient: bad source image");
    if (orientation < 1 || orientation > 8)
        return fsift_error(FSIFT_E_INVALID_ARG, "orient: orientation %d is not 1..8", orientation);
    const int W = src->width, H = src->height, C = src->channels;
    const int swap = orientation >= 5;
    fsift_status st = img_alloc(swap ? H : W, swap ? W : H, C, out);
    if (st) return st;
    const int ow = out->width, oh = out->height;
    const ptrdiff_t ss = (ptrdiff_t)src->stride;
    const uint8_t *s0 = src->data;
    for (int y = 0; y < oh; y++) {
        uint8_t *d = out->data + (size_t)y * out->stride;
        /* Byte offset of the source of destination (0, y), and the step per destination x
         * (offsets, not pointers, so nothing points outside the buffer). */
        ptrdiff_t o0, step;
        switch (orientation) {
        case 1: o0 = y * ss; step = C; break;
        case 2: o0 = y * ss + (ptrdiff_t)(W - 1) * C; step = -C; break;
        case 3: o0 = (H - 1 - y) * ss + (ptrdiff_t)(W - 1) * C; step = -C; break;
        case 4: o0 = (H - 1 - y) * ss; step = C; break;
        case 5: /* transpose: dst(x, y) = src(y, x) */
            o0 = (ptrdiff_t)y * C; step = ss; break;
        case 6: /* rotate 90 deg CW: dst(x, y) = src(y, H-1-x) */
            o0 = (H - 1) * ss + (ptrdiff_t)y * C; step = -ss; break;
        case 7: /* transverse: dst(x, y) = src(W-1-y, H-1-x) */
            o0 = (H - 1) * ss + (ptrdiff_t)(W - 1 - y) * C; step = -ss; break;
        default: /* 8, rotate 90 deg CCW: dst(x, y) = src(W-1-y, x) */
            o0 = (ptrdiff_t)(W - 1 - y) * C; step = ss; break;
        }
        if (step == C) {
            memcpy(d, s0 + o0, (size_t)ow * (size_t)C);
        } else if (C == 3) {
            for (int x = 0; x < ow; x++) {
                const uint8_t *s = s0 + o0 + (ptrdiff_t)x * step;
                d[3 * x] = s[0], d[3 * x + 1] = s[1], d[3 * x + 2] = s[2];
            }
        } else {
            for (int x = 0; x < ow; x++) d[x] = s0[o0 + (ptrdiff_t)x * step];
        }
    }
    return FSIFT_OK;
}
