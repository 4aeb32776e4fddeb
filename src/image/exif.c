/*
 * exif.c — finds the EXIF Orientation tag (0x0112) the way Pillow's Image.getexif does for
 * ImageOps.exif_transpose: the TIFF block's byte order ("II" or "MM" + 42), the offset of
 * IFD0, IFD0's entry count, and the entry whose tag is 0x0112 with a single BYTE/SHORT/LONG
 * value. Only IFD0 is read, so there are no IFD chains to loop on; every offset and count is
 * checked against the block before it is read, and the entry scan is bounded by the count
 * that fits in the block. A value outside 1..8, a malformed block or no block means 1.
 *
 * Containers: JPEG — the first APP1 segment that starts "Exif\0\0" (Pillow keeps the first),
 * walking marker segments up to SOS; PNG — the eXIf chunk; WebP — the EXIF chunk of the RIFF
 * container (with or without a leading "Exif\0\0", which Pillow also strips). Every segment /
 * chunk length is checked against the file; large blocks are only scanned, never copied.
 */
#include <string.h>

#include "image/image_internal.h"

static uint32_t rd16(const uint8_t *p, int be) {
    return be ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
}
static uint32_t rd32(const uint8_t *p, int be) {
    return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
              : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

int img_exif_orientation(const uint8_t *d, size_t n) {
    if (!d) return 1;
    if (n >= 6 && !memcmp(d, "Exif\0\0", 6)) d += 6, n -= 6;
    if (n < 8) return 1;
    int be;
    if (d[0] == 'I' && d[1] == 'I') be = 0;
    else if (d[0] == 'M' && d[1] == 'M') be = 1;
    else return 1;
    if (rd16(d + 2, be) != 42) return 1;
    uint32_t ifd = rd32(d + 4, be);
    if (ifd > n || n - ifd < 2) return 1;
    uint32_t count = rd16(d + ifd, be);
    size_t room = (n - ifd - 2) / 12;
    if (count > room) count = (uint32_t)room;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = d + ifd + 2 + (size_t)i * 12;
        if (rd16(e, be) != 0x0112) continue;
        uint32_t type = rd16(e + 2, be), cnt = rd32(e + 4, be);
        if (cnt != 1) return 1;
        uint32_t v;
        if (type == 3) v = rd16(e + 8, be);           /* SHORT */
        else if (type == 4) v = rd32(e + 8, be);      /* LONG */
        else if (type == 1) v = e[8];                 /* BYTE */
        else return 1;
        return v >= 1 && v <= 8 ? (int)v : 1;
    }
    return 1;
}

int img_jpeg_orientation(const uint8_t *d, size_t n) {
    if (!d || n < 4 || d[0] != 0xFF || d[1] != 0xD8) return 1;
    size_t i = 2;
    while (i + 4 <= n) {
        if (d[i] != 0xFF) return 1;
        uint8_t m = d[i + 1];
        if (m == 0xFF) { i++; continue; }                       /* fill byte */
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) { i += 2; continue; }
        if (m == 0xDA || m == 0xD9) return 1;                   /* SOS / EOI: no more APPn */
        size_t len = (size_t)d[i + 2] << 8 | d[i + 3];
        if (len < 2 || len > n - i - 2) return 1;
        if (m == 0xE1 && len >= 8 && !memcmp(d + i + 4, "Exif\0\0", 6))
            return img_exif_orientation(d + i + 4, len - 2);
        i += 2 + len;
    }
    return 1;
}

int img_png_orientation(const uint8_t *d, size_t n) {
    if (!d || n < 8) return 1;
    size_t i = 8;
    while (i + 12 <= n) {
        uint32_t len = rd32(d + i, 1);
        if (len > n - i - 12) return 1;
        const uint8_t *type = d + i + 4;
        if (!memcmp(type, "eXIf", 4)) return img_exif_orientation(d + i + 8, len);
        if (!memcmp(type, "IEND", 4)) return 1;
        i += 12 + (size_t)len;
    }
    return 1;
}

int img_webp_orientation(const uint8_t *d, size_t n) {
    if (!d || n < 12) return 1;
    uint32_t riff = rd32(d + 4, 0);
    if ((size_t)riff + 8 < n) n = (size_t)riff + 8;          /* ignore trailing bytes */
    size_t i = 12;
    while (i + 8 <= n) {
        uint32_t len = rd32(d + i + 4, 0);
        if (len > n - i - 8) return 1;
        if (!memcmp(d + i, "EXIF", 4)) return img_exif_orientation(d + i + 8, len);
        i += 8 + (size_t)len + (len & 1);
    }
    return 1;
}
