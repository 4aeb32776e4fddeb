/*
 * decode_jpeg.c — JPEG decoding with libjpeg-turbo's libjpeg API, set up so that the pixels
 * equal Pillow's: the same library, JDCT_ISLOW, fancy upsampling on (both libjpeg defaults,
 * which Pillow's JpegDecode.c keeps), output colour space RGB (grayscale is replicated by
 * libjpeg, as Pillow's L→RGB does). DCT-domain downscaling sets scale_num/scale_denom = 1/n,
 * which is what Pillow's Image.draft('RGB', (w/n, h/n)) asks libjpeg for; output sizes are
 * ceil(w/n) × ceil(h/n).
 *
 * CMYK and YCCK files are decoded to CMYK by libjpeg and converted as Pillow does: Pillow
 * reads every CMYK JPEG with rawmode "CMYK;I" (Adobe's inverted polarity assumed) and
 * converts CMYK→RGB with R = (255−K) − MULDIV255(C, 255−K) where MULDIV255(a, b) =
 * ((t>>8)+t)>>8, t = a·b + 128; with Pillow's C = 255−c and K = 255−k from libjpeg's c, k:
 * R = k − MULDIV255(255−c, k).
 *
 * Speed: scanlines are written straight into the output rows (no intermediate buffer) except
 * for CMYK, which goes through one 4-byte-per-pixel row.
 *
 * Errors: libjpeg's error_exit longjmps back here; the "premature end of JPEG file" warning
 * (JWRN_JPEG_EOF: the data ran out — a truncated file) also longjmps unless allow_truncated,
 * in which case libjpeg pads the missing data and a partial image is returned. Other warnings
 * (extraneous bytes, bad Huffman codes, a marker inside a complete file's scan) are ignored,
 * as Pillow ignores them: such damaged-but-complete web JPEGs decode the same in both. Limits are checked on the
 * header's size after jpeg_read_header, before jpeg_start_decompress allocates anything large.
 *
 * Thread-safe: all state is on the stack / in the decompress struct.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "image/image_internal.h"

/* Scans allowed in a progressive file: real encoders write about 10; a crafted file with
 * thousands of scans would make libjpeg pass over every coefficient block once per scan (a
 * CPU bomb in a few KB), so more is FSIFT_E_LIMIT (libjpeg-turbo's own advice, cf. djpeg
 * -maxscan). */
#define JPEG_MAX_SCANS 1000

typedef struct jerr_mgr {
    struct jpeg_error_mgr pub;
    struct jpeg_progress_mgr progress;
    jmp_buf jb;
    int allow_truncated;
    int truncated;
    char msg[JMSG_LENGTH_MAX];
} jerr_mgr;

static void on_error_exit(j_common_ptr cinfo) {
    jerr_mgr *e = (jerr_mgr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jb, 1);
}

static void on_emit_message(j_common_ptr cinfo, int level) {
    jerr_mgr *e = (jerr_mgr *)cinfo->err;
    if (level >= 0) return; /* trace messages */
    int code = cinfo->err->msg_code;
    cinfo->err->num_warnings++;
    if (code == JWRN_JPEG_EOF) {
        e->truncated = 1;
        if (!e->allow_truncated) {
            (*cinfo->err->format_message)(cinfo, e->msg);
            longjmp(e->jb, 2);
        }
    }
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void on_progress(j_common_ptr cinfo) {
    jerr_mgr *e = (jerr_mgr *)cinfo->err;
    if (cinfo->is_decompressor &&
        ((j_decompress_ptr)cinfo)->input_scan_number > JPEG_MAX_SCANS) {
        snprintf(e->msg, sizeof e->msg, "more than %d scans (a possible decompression bomb)",
                 JPEG_MAX_SCANS);
        longjmp(e->jb, 3);
    }
}

static void setup(struct jpeg_decompress_struct *ci, jerr_mgr *je, const fsift_decode_opts *o) {
    memset(je, 0, sizeof *je);
    ci->err = jpeg_std_error(&je->pub);
    je->pub.error_exit = on_error_exit;
    je->pub.emit_message = on_emit_message;
    je->pub.output_message = on_output_message;
    je->allow_truncated = o ? o->allow_truncated : 0;
    je->progress.progress_monitor = on_progress;
}

static fsift_status jerr_status(const jerr_mgr *je, int code) {
    if (code == 2)
        return fsift_error(FSIFT_E_FORMAT, "jpeg: truncated data (%s)", je->msg);
    if (code == 3) return fsift_error(FSIFT_E_LIMIT, "jpeg: %s", je->msg);
    return fsift_error(FSIFT_E_FORMAT, "jpeg: %s", je->msg);
}

static fsift_status precheck_sof(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                                 fsift_image_info *info);

fsift_status img_jpeg_probe(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                            fsift_image_info *info) {
    info->format = FSIFT_IMG_JPEG;
    fsift_status st = precheck_sof(data, size, o, info);
    if (st) return st;
    struct jpeg_decompress_struct ci;
    jerr_mgr je;
    setup(&ci, &je, o);
    jpeg_create_decompress(&ci);
    ci.progress = &je.progress; /* after create, which clears the struct */
    int code = setjmp(je.jb);
    if (code) {
        jpeg_destroy_decompress(&ci);
        return jerr_status(&je, code);
    }
    jpeg_mem_src(&ci, data, (unsigned long)size);
    jpeg_read_header(&ci, TRUE);
    info->format = FSIFT_IMG_JPEG;
    info->width = (int)ci.image_width;
    info->height = (int)ci.image_height;
    info->has_alpha = 0;
    jpeg_destroy_decompress(&ci);
    info->orientation = img_jpeg_orientation(data, size);
    return FSIFT_OK;
}

/* The frame size from the first SOFn segment, read before libjpeg sees the file so that
 * oversized headers are FSIFT_E_LIMIT (libjpeg itself stops at 65,500 with a generic error).
 * Returns 0 when no SOF was found before SOS/EOI or the end. */
static int sof_size(const uint8_t *d, size_t n, uint32_t *w, uint32_t *h) {
    size_t i = 2;
    while (i + 4 <= n) {
        if (d[i] != 0xFF) return 0;
        uint8_t m = d[i + 1];
        if (m == 0xFF) { i++; continue; }
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) { i += 2; continue; }
        if (m == 0xDA || m == 0xD9) return 0;
        size_t len = (size_t)d[i + 2] << 8 | d[i + 3];
        if (len < 2 || len > n - i - 2) return 0;
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (len < 7) return 0;
            *h = (uint32_t)d[i + 5] << 8 | d[i + 6];
            *w = (uint32_t)d[i + 7] << 8 | d[i + 8];
            return 1;
        }
        i += 2 + len;
    }
    return 0;
}

static fsift_status precheck_sof(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                                 fsift_image_info *info) {
    uint32_t w, h;
    if (!sof_size(data, size, &w, &h)) return FSIFT_OK; /* libjpeg will say what is wrong */
    info->width = (int)w;
    info->height = (int)h;
    if (w == 0 || h == 0) return FSIFT_OK; /* libjpeg's message (DNL / empty image) */
    return img_check_size(w, h, o, "jpeg");
}

/* Pillow's MULDIV255. */
static inline uint32_t muldiv255(uint32_t a, uint32_t b) {
    uint32_t t = a * b + 128;
    return ((t >> 8) + t) >> 8;
}

fsift_status img_jpeg_decode(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                             fsift_image *out, fsift_image_info *info) {
    memset(out, 0, sizeof *out);
    info->format = FSIFT_IMG_JPEG;
    fsift_status st = precheck_sof(data, size, o, info);
    if (st) return st;
    struct jpeg_decompress_struct ci;
    jerr_mgr je;
    setup(&ci, &je, o);
    jpeg_create_decompress(&ci);
    ci.progress = &je.progress; /* after create, which clears the struct */
    /* Everything that must be released after a longjmp lives in volatile locals. */
    uint8_t *volatile cmyk_row = NULL;
    fsift_image img;
    memset(&img, 0, sizeof img);
    fsift_image *volatile imgp = &img;
    int code = setjmp(je.jb);
    if (code) {
        jpeg_destroy_decompress(&ci);
        free(cmyk_row);
        fsift_image_free(imgp);
        return jerr_status(&je, code);
    }
    jpeg_mem_src(&ci, data, (unsigned long)size);
    jpeg_read_header(&ci, TRUE);
    info->format = FSIFT_IMG_JPEG;
    info->width = (int)ci.image_width;
    info->height = (int)ci.image_height;
    info->has_alpha = 0;
    info->orientation = img_jpeg_orientation(data, size);
    st = img_check_size(ci.image_width, ci.image_height, o, "jpeg");
    if (st) {
        jpeg_destroy_decompress(&ci);
        return st;
    }
    const int cmyk = ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK;
    ci.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    ci.dct_method = JDCT_ISLOW;
    ci.do_fancy_upsampling = TRUE;
    ci.scale_num = 1;
    ci.scale_denom = (unsigned)(o->scale_denom > 0 ? o->scale_denom : 1);
    info->scale_denom = (int)ci.scale_denom;
    jpeg_calc_output_dimensions(&ci);
    st = img_alloc_uninit((int)ci.output_width, (int)ci.output_height, 3, &img);
    if (st) {
        jpeg_destroy_decompress(&ci);
        return st;
    }
    if (cmyk) {
        cmyk_row = malloc((size_t)ci.output_width * 4);
        if (!cmyk_row) {
            jpeg_destroy_decompress(&ci);
            fsift_image_free(&img);
            return fsift_error(FSIFT_E_NOMEM, "jpeg: out of memory");
        }
    }
    jpeg_start_decompress(&ci);
    if (ci.output_width != (JDIMENSION)img.width || ci.output_height != (JDIMENSION)img.height ||
        ci.output_components != (cmyk ? 4 : 3)) {
        jpeg_destroy_decompress(&ci);
        free(cmyk_row);
        fsift_image_free(&img);
        return fsift_error(FSIFT_E_INTERNAL, "jpeg: output size changed after start");
    }
    const int W = img.width;
    while (ci.output_scanline < ci.output_height) {
        if (!cmyk) {
            JSAMPROW rows[16];
            JDIMENSION y = ci.output_scanline, n = ci.output_height - y;
            if (n > 16) n = 16;
            for (JDIMENSION i = 0; i < n; i++) rows[i] = img.data + (size_t)(y + i) * img.stride;
            if (jpeg_read_scanlines(&ci, rows, n) == 0) break;
        } else {
            JSAMPROW row = cmyk_row;
            uint8_t *d = img.data + (size_t)ci.output_scanline * img.stride;
            if (jpeg_read_scanlines(&ci, &row, 1) != 1) break;
            for (int x = 0; x < W; x++) {
                const uint8_t *s = cmyk_row + 4 * x;
                uint32_t k = s[3];
                d[3 * x] = (uint8_t)(k - muldiv255(255u - s[0], k));
                d[3 * x + 1] = (uint8_t)(k - muldiv255(255u - s[1], k));
                d[3 * x + 2] = (uint8_t)(k - muldiv255(255u - s[2], k));
            }
        }
    }
    if (ci.output_scanline < ci.output_height && je.allow_truncated) {
        /* Rows libjpeg never produced (it normally pads a truncated file itself). */
        memset(img.data + (size_t)ci.output_scanline * img.stride, 0,
               (size_t)(ci.output_height - ci.output_scanline) * img.stride);
    }
    if (ci.output_scanline < ci.output_height && !je.allow_truncated) {
        jpeg_destroy_decompress(&ci);
        free(cmyk_row);
        fsift_image_free(&img);
        return fsift_error(FSIFT_E_FORMAT, "jpeg: decoding stopped at row %u of %u",
                           (unsigned)ci.output_scanline, (unsigned)ci.output_height);
    }
    /* No jpeg_finish_decompress: the pixels are complete, and a missing EOI after complete
     * scan data is not worth failing on (Pillow returns such images too). */
    jpeg_destroy_decompress(&ci);
    free(cmyk_row);
    *out = img;
    return FSIFT_OK;
}
