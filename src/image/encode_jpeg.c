/*
 * encode_jpeg.c — fsift_jpeg_encode on libjpeg-turbo's libjpeg API, set up as Pillow sets
 * it up by default so that sizes and quality compare one to one: jpeg_set_defaults, then
 * jpeg_set_quality(q, force_baseline = TRUE) (the IJG tables scaled by quality), 4:2:0
 * chroma subsampling, baseline sequential, standard (not optimised) Huffman tables, the
 * accurate integer DCT, a JFIF header. Gray images become one-component grayscale JPEGs.
 *
 * Rows are handed to libjpeg straight from the image (stride honoured, no copy). Output goes
 * to a destination manager of ours (a doubling malloc'd buffer that becomes the caller's;
 * jpeg_mem_dest's buffer cannot be freed safely after an error). libjpeg reports errors by
 * calling error_exit; ours longjmps back here, frees everything and returns FSIFT_E_INTERNAL
 * with libjpeg's message (the inputs are checked first, so that means a bug or no memory).
 * Thread-safe: all state is on the stack.
 */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "facesift/image.h"

#define JPEG_MAX_DIM 65500 /* JPEG_MAX_DIMENSION */

typedef struct jerr_ctx {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
} jerr_ctx;

/* Our destination: a malloc'd buffer that doubles when full. It lives in memory (its address
 * is libjpeg's), so its fields are valid after a longjmp. */
typedef struct jdest_ctx {
    struct jpeg_destination_mgr pub;
    unsigned char *buf;
    size_t cap;
    int failed;
} jdest_ctx;

static void jdest_init(j_compress_ptr cinfo) {
    jdest_ctx *d = (jdest_ctx *)cinfo->dest;
    d->pub.next_output_byte = d->buf;
    d->pub.free_in_buffer = d->cap;
}

static boolean jdest_empty(j_compress_ptr cinfo) {
    jdest_ctx *d = (jdest_ctx *)cinfo->dest;
    size_t used = d->cap; /* libjpeg calls this only when the buffer is full */
    unsigned char *nb = d->cap < ((size_t)1 << 40) ? realloc(d->buf, d->cap * 2) : NULL;
    if (!nb) {
        d->failed = 1;
        ERREXIT(cinfo, JERR_OUT_OF_MEMORY);
    }
    d->buf = nb;
    d->cap *= 2;
    d->pub.next_output_byte = nb + used;
    d->pub.free_in_buffer = d->cap - used;
    return TRUE;
}

static void jdest_term(j_compress_ptr cinfo) { (void)cinfo; }

static void jerr_exit(j_common_ptr cinfo) {
    jerr_ctx *e = (jerr_ctx *)cinfo->err;
    e->pub.format_message(cinfo, e->msg);
    longjmp(e->jb, 1);
}

static void jerr_silent(j_common_ptr cinfo, int level) { (void)cinfo; (void)level; }

fsift_status fsift_jpeg_encode(const fsift_image *img, int quality, void **out, size_t *size) {
    if (out) *out = NULL;
    if (size) *size = 0;
    if (!img || !out || !size) return fsift_error(FSIFT_E_INVALID_ARG, "jpeg encode: NULL argument");
    if (quality < 1 || quality > 100)
        return fsift_error(FSIFT_E_INVALID_ARG, "jpeg encode: quality %d is not in 1..100", quality);
    if (img->channels != 1 && img->channels != 3)
        return fsift_error(FSIFT_E_INVALID_ARG, "jpeg encode: %d channels (1 or 3 expected)",
                           img->channels);
    if (img->width <= 0 || img->height <= 0 || !img->data)
        return fsift_error(FSIFT_E_INVALID_ARG, "jpeg encode: empty image (%dx%d)", img->width,
                           img->height);
    if (img->width > JPEG_MAX_DIM || img->height > JPEG_MAX_DIM ||
        (uint64_t)img->width * (uint64_t)img->height > FSIFT_DEFAULT_MAX_PIXELS)
        return fsift_error(FSIFT_E_LIMIT, "jpeg encode: %dx%d is over the limit (%d per side, %u pixels)",
                           img->width, img->height, JPEG_MAX_DIM, FSIFT_DEFAULT_MAX_PIXELS);
    if (img->stride < (size_t)img->width * (size_t)img->channels)
        return fsift_error(FSIFT_E_INVALID_ARG, "jpeg encode: stride %zu < width*channels %zu",
                           img->stride, (size_t)img->width * (size_t)img->channels);

    struct jpeg_compress_struct cinfo;
    jerr_ctx jerr;
    jdest_ctx dest;
    memset(&dest, 0, sizeof dest);
    /* A first guess that holds most photos at q ≤ 95 without growing. */
    dest.cap = (size_t)img->width * (size_t)img->height * (size_t)img->channels / 4 + 4096;
    dest.buf = malloc(dest.cap);
    if (!dest.buf) return fsift_error(FSIFT_E_NOMEM, "jpeg encode: out of memory");
    dest.pub.init_destination = jdest_init;
    dest.pub.empty_output_buffer = jdest_empty;
    dest.pub.term_destination = jdest_term;
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = jerr_exit;
    jerr.pub.emit_message = jerr_silent;
    jerr.msg[0] = 0;
    if (setjmp(jerr.jb)) {
        jpeg_destroy_compress(&cinfo);
        free(dest.buf);
        if (dest.failed) return fsift_error(FSIFT_E_NOMEM, "jpeg encode: out of memory");
        return fsift_error(FSIFT_E_INTERNAL, "jpeg encode: libjpeg: %s", jerr.msg);
    }
    jpeg_create_compress(&cinfo);
    cinfo.dest = &dest.pub;
    cinfo.image_width = (JDIMENSION)img->width;
    cinfo.image_height = (JDIMENSION)img->height;
    cinfo.input_components = img->channels;
    cinfo.in_color_space = img->channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.optimize_coding = FALSE;
    if (img->channels == 3) { /* 4:2:0 (jpeg_set_defaults' choice too; stated here) */
        cinfo.comp_info[0].h_samp_factor = 2;
        cinfo.comp_info[0].v_samp_factor = 2;
        cinfo.comp_info[1].h_samp_factor = cinfo.comp_info[1].v_samp_factor = 1;
        cinfo.comp_info[2].h_samp_factor = cinfo.comp_info[2].v_samp_factor = 1;
    }
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW rows[16];
        JDIMENSION k = 0;
        while (k < 16 && cinfo.next_scanline + k < cinfo.image_height) {
            rows[k] = (JSAMPROW)(img->data + (size_t)(cinfo.next_scanline + k) * img->stride);
            k++;
        }
        jpeg_write_scanlines(&cinfo, rows, k);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *size = dest.cap - dest.pub.free_in_buffer;
    unsigned char *shrunk = realloc(dest.buf, *size);
    *out = shrunk ? shrunk : dest.buf;
    return FSIFT_OK;
}
