/*
 * jsonw.c — a tiny JSON text builder for the pipeline's outputs (KEY.json, stats, JSONL
 * lines). Numbers are printed with fixed formats chosen by the caller (pixels %.3f, scores
 * %.6f, ...) so the same values always give the same bytes; strings are escaped per RFC 8259
 * and invalid UTF-8 is replaced by U+FFFD so every line is valid JSON. An allocation failure
 * sets b->oom and later calls do nothing; the caller checks oom once at the end.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pipe_internal.h"

static int jb_grow(jbuf *b, size_t add) {
    if (b->oom) return -1;
    if (b->n + add + 1 <= b->cap) return 0;
    size_t nc = b->cap ? b->cap : 256;
    while (nc < b->n + add + 1) nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) {
        b->oom = 1;
        return -1;
    }
    b->p = np;
    b->cap = nc;
    return 0;
}

void jb_raw(jbuf *b, const char *s, size_t n) {
    if (jb_grow(b, n)) return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void jb_puts(jbuf *b, const char *s) { jb_raw(b, s, strlen(s)); }

void jb_printf(jbuf *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        jb_raw(b, tmp, (size_t)n);
        return;
    }
    if (jb_grow(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

/* Length of a valid UTF-8 sequence at s (≤ n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) len = 4, min = 0x10000;
    else return 0;
    if (len > n) return 0;
    unsigned cp = c & (0xff >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

void jb_str(jbuf *b, const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    jb_raw(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            jb_raw(b, e, 2);
            i++;
        } else if (c < 0x20) {
            if (c == '\n') jb_raw(b, "\\n", 2);
            else if (c == '\t') jb_raw(b, "\\t", 2);
            else if (c == '\r') jb_raw(b, "\\r", 2);
            else jb_printf(b, "\\u%04x", c);
            i++;
        } else {
            size_t l = utf8_len(s + i, n - i);
            if (l == 0) {
                jb_raw(b, "\xef\xbf\xbd", 3);
                i++;
            } else {
                jb_raw(b, (const char *)s + i, l);
                i += l;
            }
        }
    }
    jb_raw(b, "\"", 1);
}

void jb_px(jbuf *b, double v) {
    char t[48];
    snprintf(t, sizeof t, "%.3f", v);
    jb_puts(b, strcmp(t, "-0.000") ? t : "0.000");
}

void jb_box_kps(jbuf *b, const float bbox[4], const float kps[5][2], const char *kps_name) {
    jb_puts(b, "\"bbox\":[");
    for (int i = 0; i < 4; i++) {
        if (i) jb_puts(b, ",");
        jb_px(b, bbox[i]);
    }
    jb_printf(b, "],\"%s\":[", kps_name);
    for (int k = 0; k < 5; k++) {
        jb_puts(b, k ? ",[" : "[");
        jb_px(b, kps[k][0]);
        jb_puts(b, ",");
        jb_px(b, kps[k][1]);
        jb_puts(b, "]");
    }
    jb_puts(b, "]");
}

void jb_free(jbuf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}
