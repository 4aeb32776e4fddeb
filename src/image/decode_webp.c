/*
 * decode_webp.c — WebP decoding with libwebp. WebPGetFeatures reads the size (the canvas
 * size for VP8X files) so the limits are checked before anything is allocated. Still images
 * are decoded by libwebp's incremental decoder straight into the output rows (MODE_RGB) or,
 * with alpha, into an RGBA buffer that is then composited onto white (img_over_white, as for
 * PNG); the incremental decoder tells a complete image (VP8_STATUS_OK) from a truncated one
 * (VP8_STATUS_SUSPENDED), which is an error unless allow_truncated. Animated files give their
 * first frame, composited on the canvas by WebPAnimDecoder (libwebpdemux) exactly as Pillow's
 * WebPImagePlugin reads frame 0; default decoding options (fancy upsampling), as Pillow.
 *
 * Thread-safe: one decoder per call.
 */
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

#include "image/image_internal.h"

static fsift_status read_features(const uint8_t *data, size_t size, WebPBitstreamFeatures *f,
                                  fsift_image_info *info, const fsift_decode_opts *o) {
    info->format = FSIFT_IMG_WEBP;
    /* VP8X canvas size first, so an oversized canvas is FSIFT_E_LIMIT whatever libwebp
     * thinks of the rest (24-bit fields holding size − 1). */
    if (size >= 30 && !memcmp(data + 12, "VP8X", 4)) {
        uint32_t w = 1 + ((uint32_t)data[24] | (uint32_t)data[25] << 8 | (uint32_t)data[26] << 16);
        uint32_t h = 1 + ((uint32_t)data[27] | (uint32_t)data[28] << 8 | (uint32_t)data[29] << 16);
        info->width = (int)w;
        info->height = (int)h;
        fsift_status st = img_check_size(w, h, o, "webp");
        if (st) return st;
    }
    VP8StatusCode vs = WebPGetFeatures(data, size, f);
    if (vs != VP8_STATUS_OK)
        return fsift_error(FSIFT_E_FORMAT, "webp: %s header (libwebp status %d)",
                           vs == VP8_STATUS_NOT_ENOUGH_DATA ? "truncated" : "invalid", (int)vs);
    info->format = FSIFT_IMG_WEBP;
    info->width = f->width;
    info->height = f->height;
    info->has_alpha = f->has_alpha;
    info->orientation = img_webp_orientation(data, size);
    return FSIFT_OK;
}

fsift_status img_webp_probe(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                            fsift_image_info *info) {
    WebPBitstreamFeatures f;
    return read_features(data, size, &f, info, o);
}

static fsift_status decode_animated(const uint8_t *data, size_t size, fsift_image *img) {
    WebPAnimDecoderOptions ao;
    if (!WebPAnimDecoderOptionsInit(&ao)) return fsift_error(FSIFT_E_INTERNAL, "webp: ABI mismatch");
    ao.color_mode = MODE_RGBA;
    ao.use_threads = 0;
    WebPData wd = {data, size};
    WebPAnimDecoder *dec = WebPAnimDecoderNew(&wd, &ao);
    if (!dec) return fsift_error(FSIFT_E_FORMAT, "webp: invalid animated file");
    WebPAnimInfo ai;
    uint8_t *buf = NULL;
    int ts = 0;
    if (!WebPAnimDecoderGetInfo(dec, &ai) || ai.canvas_width != (uint32_t)img->width ||
        ai.canvas_height != (uint32_t)img->height || !WebPAnimDecoderGetNext(dec, &buf, &ts) ||
        !buf) {
        WebPAnimDecoderDelete(dec);
        return fsift_error(FSIFT_E_FORMAT, "webp: cannot decode the first animation frame");
    }
    for (int y = 0; y < img->height; y++)
        img_rgba_over_white(buf + (size_t)y * img->width * 4, img->data + (size_t)y * img->stride,
                            (size_t)img->width);
    WebPAnimDecoderDelete(dec);
    return FSIFT_OK;
}

fsift_status img_webp_decode(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                             fsift_image *out, fsift_image_info *info) {
    memset(out, 0, sizeof *out);
    WebPBitstreamFeatures f;
    fsift_status st = read_features(data, size, &f, info, o);
    if (!st) st = img_check_size(f.width, f.height, o, "webp");
    if (st) return st;
    fsift_image img;
    st = img_alloc(f.width, f.height, 3, &img);
    if (st) return st;
    if (f.has_animation) {
        st = decode_animated(data, size, &img);
        if (st) fsift_image_free(&img);
        else *out = img;
        return st;
    }
    const int W = img.width, H = img.height;
    uint8_t *rgba = NULL;
    WebPIDecoder *idec;
    if (f.has_alpha) {
        size_t n = (size_t)W * 4 * (size_t)H;
        rgba = calloc(n, 1);
        if (!rgba) {
            fsift_image_free(&img);
            return fsift_error(FSIFT_E_NOMEM, "webp: out of memory");
        }
        idec = WebPINewRGB(MODE_RGBA, rgba, n, W * 4);
    } else {
        idec = WebPINewRGB(MODE_RGB, img.data, img.stride * (size_t)H, (int)img.stride);
    }
    if (!idec) {
        free(rgba);
        fsift_image_free(&img);
        return fsift_error(FSIFT_E_NOMEM, "webp: cannot create decoder");
    }
    VP8StatusCode vs = WebPIUpdate(idec, data, size);
    WebPIDelete(idec);
    if (vs != VP8_STATUS_OK && !(vs == VP8_STATUS_SUSPENDED && o->allow_truncated)) {
        free(rgba);
        fsift_image_free(&img);
        if (vs == VP8_STATUS_SUSPENDED)
            return fsift_error(FSIFT_E_FORMAT, "webp: truncated image data");
        return fsift_error(FSIFT_E_FORMAT, "webp: corrupt image data (libwebp status %d)", (int)vs);
    }
    if (rgba) {
        /* Rows not decoded (truncated) are transparent, so they come out white. */
        for (int y = 0; y < H; y++)
            img_rgba_over_white(rgba + (size_t)y * W * 4, img.data + (size_t)y * img.stride,
                                (size_t)W);
        free(rgba);
    }
    *out = img;
    return FSIFT_OK;
}
