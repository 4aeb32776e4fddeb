/*
 * exif.c — finds the EXIF Orientation tag (0x0112) the way Pillow's Image.getexif does for
 * ImageOps.exif_transpose: the TIFF block's byte order ("II" or "MM" + 42), the offset of
 * IFD0, IFD0's entry count, and the entry whose tag is 0x0112 with a single BYTE/SHORT/LONG
 * value. Only IFD0 is read, so there are no IFD chains to loop on; every offset and count is
 * checked against the block before it is read, and the entry scan is bounded by the count
 * that fits in the block. A value outside 1..8, a malformed block or no block means 1.
 *
 * Containers: JPEG — the first APP1 segment that starts "Exif\0\0" (Pillow keeps the first),
 * walking marker segments up to SOS; PNG — as Pillow 9.4's getexif: the eXIf chunk, else an
 * ImageMagick "Raw profile type exif" text chunk (hex), and when neither has the tag, the
 * XMP packet's tiff:Orientation (iTXt "XML:com.adobe.xmp"); compressed text is inflated
 * into at most 1 MiB (Pillow's MAX_TEXT_CHUNK); WebP — the EXIF chunk of the RIFF
 * container (with or without a leading "Exif\0\0", which Pillow also strips). Every segment /
 * chunk length is checked against the file; large blocks are only scanned, never copied.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "image/image_internal.h"

static uint32_t rd16(const uint8_t *p, int be) {
    return be ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
}
static uint32_t rd32(const uint8_t *p, int be) {
    return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
              : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* The Orientation entry of IFD0: 0 when the block or the tag is absent, -1 when the tag is
 * there but its value is unusable (Pillow then has the tag and ignores XMP), else the value
 * (which may still be outside 1..8). */
static int exif_orientation_tag(const uint8_t *d, size_t n) {
    if (!d) return 0;
    if (n >= 6 && !memcmp(d, "Exif\0\0", 6)) d += 6, n -= 6;
    if (n < 8) return 0;
    int be;
    if (d[0] == 'I' && d[1] == 'I') be = 0;
    else if (d[0] == 'M' && d[1] == 'M') be = 1;
    else return 0;
    if (rd16(d + 2, be) != 42) return 0;
    uint32_t ifd = rd32(d + 4, be);
    if (ifd > n || n - ifd < 2) return 0;
    uint32_t count = rd16(d + ifd, be);
    size_t room = (n - ifd - 2) / 12;
    if (count > room) count = (uint32_t)room;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = d + ifd + 2 + (size_t)i * 12;
        if (rd16(e, be) != 0x0112) continue;
        uint32_t type = rd16(e + 2, be), cnt = rd32(e + 4, be);
        if (cnt != 1) return -1;
        uint32_t v;
        if (type == 3) v = rd16(e + 8, be);           /* SHORT */
        else if (type == 4) v = rd32(e + 8, be);      /* LONG */
        else if (type == 1) v = e[8];                 /* BYTE */
        else return -1;
        return v >= 1 && v <= 8 ? (int)v : -1;
    }
    return 0;
}

int img_exif_orientation(const uint8_t *d, size_t n) {
    int v = exif_orientation_tag(d, n);
    return v >= 1 ? v : 1;
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

/* Text chunk payloads larger than this (after decompression) are ignored, as Pillow's
 * MAX_TEXT_CHUNK (1 MiB) refuses them. */
#define PNG_TEXT_MAX ((size_t)1 << 20)

/* The text of a tEXt/zTXt/iTXt chunk if its keyword is `key`: *out points into the chunk or,
 * for compressed text, into *ztmp (PNG_TEXT_MAX bytes, allocated here on first use; the
 * caller frees it). Returns the length, or -1 (other keyword, malformed, too large). */
static long png_text(const uint8_t *type, const uint8_t *c, size_t len, const char *key,
                     uint8_t **ztmp, const uint8_t **out) {
    size_t kl = strlen(key);
    if (len < kl + 1 || memcmp(c, key, kl) || c[kl] != 0) return -1;
    const uint8_t *p = c + kl + 1, *end = c + len;
    int compressed = 0;
    if (!memcmp(type, "zTXt", 4)) {
        if (p >= end || *p != 0) return -1;
        p++, compressed = 1;
    } else if (!memcmp(type, "iTXt", 4)) {
        if (end - p < 2 || p[1] != 0) return -1;
        compressed = p[0] != 0;
        p += 2;
        for (int skip = 0; skip < 2; skip++) { /* language tag, translated keyword */
            const uint8_t *z = memchr(p, 0, (size_t)(end - p));
            if (!z) return -1;
            p = z + 1;
        }
    }
    if (!compressed) {
        if ((size_t)(end - p) > PNG_TEXT_MAX) return -1;
        *out = p;
        return (long)(end - p);
    }
    if (!*ztmp && !(*ztmp = malloc(PNG_TEXT_MAX))) return -1;
    uLongf dl = (uLongf)PNG_TEXT_MAX;
    if ((size_t)(end - p) > ULONG_MAX) return -1;
    if (uncompress(*ztmp, &dl, p, (uLong)(end - p)) != Z_OK) return -1; /* incl. > 1 MiB */
    *out = *ztmp;
    return (long)dl;
}

/* Pillow's XMP fallback: the digit after "tiff:Orientation=\"" or "tiff:Orientation>". */
static int xmp_orientation(const uint8_t *t, size_t n) {
    static const char pat[] = "tiff:Orientation";
    const size_t pl = sizeof pat - 1;
    for (size_t i = 0; i + pl < n; i++) {
        if (t[i] != 't' || memcmp(t + i, pat, pl)) continue;
        size_t j = i + pl;
        if (j + 1 < n && t[j] == '=' && t[j + 1] == '"') j += 2;
        else if (t[j] == '>') j += 1;
        else continue;
        if (j < n && t[j] >= '0' && t[j] <= '9') return t[j] - '0';
    }
    return 0;
}

static int hexval(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* ImageMagick's "Raw profile type exif": "\nexif\n   LENGTH\nHEX…" — Pillow drops the first
 * three lines and decodes the hex of the rest (newlines removed). Decoded into `tmp`. */
static int raw_profile_orientation(const uint8_t *t, size_t n, uint8_t *tmp) {
    size_t i = 0;
    for (int lines = 0; lines < 3; lines++) {
        const uint8_t *z = memchr(t + i, '\n', n - i);
        if (!z) return 0;
        i = (size_t)(z - t) + 1;
    }
    size_t m = 0;
    int hi = -1;
    for (; i < n && m < PNG_TEXT_MAX; i++) {
        uint8_t ch = t[i];
        if (ch == '\n') continue; /* joined away by Pillow */
        if (hi < 0 && (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f'))
            continue; /* fromhex skips whitespace between byte pairs */
        int v = hexval(ch);
        if (v < 0) return 0; /* Pillow's bytes.fromhex would fail */
        if (hi < 0) hi = v;
        else tmp[m++] = (uint8_t)(hi << 4 | v), hi = -1;
    }
    return exif_orientation_tag(tmp, m);
}

/* PNG as Pillow 9.4's getexif: the eXIf chunk, else a "Raw profile type exif" text chunk;
 * when that gives no Orientation tag, the XMP packet's tiff:Orientation (iTXt
 * "XML:com.adobe.xmp"). */
int img_png_orientation(const uint8_t *d, size_t n) {
    if (!d || n < 8) return 1;
    int exif = 0, have_exif = 0, raw = 0, xmp = 0;
    uint8_t *ztmp = NULL, *htmp = NULL;
    size_t i = 8;
    while (i + 12 <= n) {
        uint32_t len = rd32(d + i, 1);
        if (len > n - i - 12) break;
        const uint8_t *type = d + i + 4, *c = d + i + 8, *t;
        long tl;
        if (!memcmp(type, "eXIf", 4)) {
            if (!have_exif) exif = exif_orientation_tag(c, len);
            have_exif = 1;
        } else if (!memcmp(type, "tEXt", 4) || !memcmp(type, "zTXt", 4) ||
                   !memcmp(type, "iTXt", 4)) {
            if ((tl = png_text(type, c, len, "Raw profile type exif", &ztmp, &t)) >= 0) {
                if (!htmp) htmp = malloc(PNG_TEXT_MAX);
                if (htmp) raw = raw_profile_orientation(t, (size_t)tl, htmp);
            } else if ((tl = png_text(type, c, len, "XML:com.adobe.xmp", &ztmp, &t)) >= 0) {
                xmp = xmp_orientation(t, (size_t)tl);
            }
        } else if (!memcmp(type, "IEND", 4)) {
            break;
        }
        i += 12 + (size_t)len;
    }
    free(ztmp);
    free(htmp);
    int v = have_exif ? exif : raw;
    if (v == 0) v = xmp;
    return v >= 1 && v <= 8 ? v : 1;
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
