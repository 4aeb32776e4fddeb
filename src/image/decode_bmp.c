/*
 * decode_bmp.c — a small BMP reader for the common uncompressed files: BITMAPINFOHEADER and
 * its V4/V5 extensions (and the OS/2 12-byte core header), BI_RGB with 24 bits (BGR), 32 bits
 * (BGRX; the fourth byte is ignored, as Pillow does for BI_RGB) or 8 bits (palette of
 * BGRX entries, or BGR for the core header). Rows are padded to 4 bytes; a positive height
 * is bottom-up, a negative one top-down. Anything else (RLE, bit fields, 1/4/16 bits) is
 * FSIFT_E_UNSUPPORTED.
 *
 * Every field is bounds-checked: the size from the header is checked against the limits
 * first, then the pixel array's offset and length against the file (a short file is an
 * error, or with allow_truncated the missing rows stay black). Palette indices past the
 * palette are black. Thread-safe: no state.
 */
#include <string.h>

#include "image/image_internal.h"

static uint32_t u16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

typedef struct bmp_hdr {
    uint32_t off, hsize, bpp, comp, ncolors;
    int64_t w, h;
    int top_down;
} bmp_hdr;

static fsift_status parse(const uint8_t *d, size_t n, bmp_hdr *b, fsift_image_info *info) {
    memset(b, 0, sizeof *b);
    if (n < 26) return fsift_error(FSIFT_E_FORMAT, "bmp: truncated header");
    b->off = u32(d + 10);
    b->hsize = u32(d + 14);
    if (b->hsize == 12) {
        b->w = u16(d + 18);
        b->h = u16(d + 20);
        b->bpp = u16(d + 24);
    } else if (b->hsize >= 40 && b->hsize <= 124) {
        if (n < 14 + 40) return fsift_error(FSIFT_E_FORMAT, "bmp: truncated header");
        b->w = (int32_t)u32(d + 18);
        int32_t h = (int32_t)u32(d + 22);
        b->bpp = u16(d + 28);
        b->comp = u32(d + 30);
        b->ncolors = u32(d + 46);
        if (h == INT32_MIN) return fsift_error(FSIFT_E_FORMAT, "bmp: invalid height");
        b->top_down = h < 0;
        b->h = h < 0 ? -(int64_t)h : h;
    } else {
        return fsift_error(FSIFT_E_UNSUPPORTED, "bmp: header size %u not supported", b->hsize);
    }
    info->format = FSIFT_IMG_BMP;
    info->width = b->w > INT32_MAX ? INT32_MAX : (int)b->w;
    info->height = b->h > INT32_MAX ? INT32_MAX : (int)b->h;
    info->orientation = 1;
    info->has_alpha = 0;
    if (b->w < 0) return fsift_error(FSIFT_E_FORMAT, "bmp: negative width");
    if (b->comp != 0 || (b->bpp != 24 && b->bpp != 32 && b->bpp != 8))
        return fsift_error(FSIFT_E_UNSUPPORTED,
                           "bmp: %u bits per pixel with compression %u not supported (only "
                           "uncompressed 8/24/32-bit)",
                           b->bpp, b->comp);
    return FSIFT_OK;
}

fsift_status img_bmp_probe(const uint8_t *data, size_t size, const fsift_decode_opts *o,
                           fsift_image_info *info) {
    bmp_hdr b;
    return parse(data, size, &b, info);
}

fsift_status img_bmp_decode(const uint8_t *d, size_t n, const fsift_decode_opts *o,
                            fsift_image *out, fsift_image_info *info) {
    memset(out, 0, sizeof *out);
    bmp_hdr b;
    fsift_status st = parse(d, n, &b, info);
    if (!st) st = img_check_size(b.w, b.h, o, "bmp");
    if (st) return st;
    const int W = (int)b.w, H = (int)b.h;
    uint8_t pal[256][3];
    memset(pal, 0, sizeof pal);
    if (b.bpp == 8) {
        size_t esz = b.hsize == 12 ? 3 : 4, pstart = 14 + (size_t)b.hsize;
        size_t cnt = b.ncolors ? b.ncolors : 256;
        if (cnt > 256) cnt = 256;
        if (pstart > n) return fsift_error(FSIFT_E_FORMAT, "bmp: truncated palette");
        size_t avail = (n - pstart) / esz;
        if (avail < cnt) cnt = avail;
        for (size_t i = 0; i < cnt; i++) {
            const uint8_t *p = d + pstart + i * esz;
            pal[i][0] = p[2], pal[i][1] = p[1], pal[i][2] = p[0];
        }
    }
    const size_t bypp = b.bpp / 8;
    const size_t row = ((size_t)W * b.bpp + 31) / 32 * 4;
    if (b.off > n) return fsift_error(FSIFT_E_FORMAT, "bmp: pixel data offset %u past the end", b.off);
    size_t rows_avail = (n - b.off) / row;
    if (rows_avail < (size_t)H && !o->allow_truncated)
        return fsift_error(FSIFT_E_FORMAT, "bmp: truncated: %zu of %d rows present", rows_avail, H);
    fsift_image img;
    if ((st = img_alloc(W, H, 3, &img))) return st;
    for (int r = 0; r < H && (size_t)r < rows_avail; r++) {
        const uint8_t *s = d + b.off + (size_t)r * row;
        int y = b.top_down ? r : H - 1 - r;
        uint8_t *o3 = img.data + (size_t)y * img.stride;
        if (b.bpp == 8) {
            for (int x = 0; x < W; x++) {
                const uint8_t *c = pal[s[x]];
                o3[3 * x] = c[0], o3[3 * x + 1] = c[1], o3[3 * x + 2] = c[2];
            }
        } else {
            for (int x = 0; x < W; x++, s += bypp)
                o3[3 * x] = s[2], o3[3 * x + 1] = s[1], o3[3 * x + 2] = s[0];
        }
    }
    *out = img;
    return FSIFT_OK;
}
