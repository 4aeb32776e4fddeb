/*
 * rows_json.c — field extraction from one JSONL record: a single JSON object whose
 * top-level keys are compared with the wanted column names.
 *
 * The scan is one pass over the line that checks the object's structure as it goes: keys
 * and string values are skipped with memchr to the next quote (escaped quotes are told apart
 * by counting the backslashes before them), nested objects and arrays are skipped with a
 * bracket stack (depth <= 256) that also checks their strings, commas and literals loosely.
 * Only the wanted values are decoded (escapes, \uXXXX with surrogate pairs, lone surrogates
 * become U+FFFD); a value without a backslash is returned in place, without a copy. Raw
 * control bytes inside strings are accepted, as Python's json.loads(strict=False) does.
 * Duplicate keys: the first occurrence wins. A wanted key that is absent makes the record
 * malformed unless missing_ok; a key present with null gives a NULL value.
 */
#include <stdio.h>
#include <string.h>

#include "data/rows_internal.h"

#define MAX_DEPTH 256

static int bad(fsift_rows *r, const char *why) {
    size_t n = strlen(why);
    if (n >= sizeof r->reject) n = sizeof r->reject - 1;
    memcpy(r->reject, why, n);
    r->reject[n] = 0;
    return -1;
}

static const char *skip_ws(const char *p, const char *e) {
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    return p;
}

/* p points after the opening quote; returns the closing quote or NULL. */
static const char *string_end(const char *p, const char *e) {
    const char *s = p;
    for (;;) {
        const char *q = memchr(p, '"', (size_t)(e - p));
        if (!q) return NULL;
        const char *b = q;
        while (b > s && b[-1] == '\\') b--;
        if (((q - b) & 1) == 0) return q;
        p = q + 1;
    }
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int hex4(const char *p, const char *e, unsigned *v) {
    if (e - p < 4) return -1;
    unsigned x = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)p[i]);
        if (h < 0) return -1;
        x = x << 4 | (unsigned)h;
    }
    *v = x;
    return 0;
}

static char *put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) *o++ = (char)cp;
    else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Decodes the string body s[0..n) (escapes) into out (at most n bytes: every escape is at
 * least as long as what it gives). Returns the length or -1 for a bad escape. */
static long decode_string(const char *s, size_t n, char *out) {
    const char *p = s, *e = s + n;
    char *o = out;
    while (p < e) {
        const char *bs = memchr(p, '\\', (size_t)(e - p));
        size_t plain = bs ? (size_t)(bs - p) : (size_t)(e - p);
        memcpy(o, p, plain);
        o += plain;
        if (!bs) break;
        p = bs + 1;
        if (p >= e) return -1;
        char c = *p++;
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp;
            if (hex4(p, e, &cp)) return -1;
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                unsigned lo;
                if (e - p >= 6 && p[0] == '\\' && p[1] == 'u' && !hex4(p + 2, e, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                cp = 0xFFFD;
            }
            o = put_utf8(o, cp); /* \uXXXX (6 bytes) gives at most 3; a pair (12) gives 4 */
            break;
        }
        default: return -1;
        }
    }
    return (long)(o - out);
}

/* Skips one value starting at p (not whitespace). Returns the byte after it or NULL. */
static const char *skip_value(fsift_rows *r, const char *p, const char *e) {
    if (p >= e) return bad(r, "missing value"), NULL;
    char c = *p;
    if (c == '"') {
        const char *q = string_end(p + 1, e);
        if (!q) return bad(r, "unterminated string"), NULL;
        return q + 1;
    }
    if (c == '{' || c == '[') {
        char stack[MAX_DEPTH];
        int depth = 0;
        while (p < e) {
            c = *p;
            if (c == '"') {
                const char *q = string_end(p + 1, e);
                if (!q) return bad(r, "unterminated string"), NULL;
                p = q + 1;
                continue;
            }
            if (c == '{' || c == '[') {
                if (depth == MAX_DEPTH) return bad(r, "nesting deeper than 256"), NULL;
                stack[depth++] = c == '{' ? '}' : ']';
            } else if (c == '}' || c == ']') {
                if (depth == 0 || stack[depth - 1] != c) return bad(r, "mismatched bracket"), NULL;
                if (--depth == 0) return p + 1;
            }
            p++;
        }
        return bad(r, "unterminated object or array"), NULL;
    }
    if (c == 't' && e - p >= 4 && !memcmp(p, "true", 4)) return p + 4;
    if (c == 'f' && e - p >= 5 && !memcmp(p, "false", 5)) return p + 5;
    if (c == 'n' && e - p >= 4 && !memcmp(p, "null", 4)) return p + 4;
    const char *s = p;
    while (p < e && ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == '.' || *p == 'e' || *p == 'E')) p++;
    if (p == s) return bad(r, "invalid value"), NULL;
    return p;
}

int fsift_rows_json_extract(fsift_rows *r, const char *rec, size_t n, fsift_row *row) {
    const char *p = rec, *e = rec + n;
    p = skip_ws(p, e);
    if (p >= e || *p != '{') return bad(r, "not a JSON object");
    p = skip_ws(p + 1, e);
    int found = 0;
    unsigned seen = 0; /* wanted columns met (null included) */
    if (p < e && *p == '}') {
        p++;
    } else {
        for (;;) {
            if (p >= e || *p != '"') return bad(r, "expected a key");
            const char *ks = p + 1;
            const char *ke = string_end(ks, e);
            if (!ke) return bad(r, "unterminated key");
            p = skip_ws(ke + 1, e);
            if (p >= e || *p != ':') return bad(r, "expected ':' after a key");
            p = skip_ws(p + 1, e);
            int want = -1;
            size_t klen = (size_t)(ke - ks);
            if (found < r->ncols) {
                for (int i = 0; i < r->ncols; i++)
                    if (!(seen >> i & 1u) && r->colname_len[i] == klen && !memcmp(r->colname[i], ks, klen)) {
                        want = i;
                        break;
                    }
            }
            const char *vs = p;
            p = skip_value(r, p, e);
            if (!p) return -1;
            if (want >= 0) {
                found++;
                seen |= 1u << want;
                if (*vs == '"') {
                    const char *body = vs + 1;
                    size_t blen = (size_t)(p - 1 - body);
                    if (!memchr(body, '\\', blen)) {
                        row->value[want] = body;
                        row->value_len[want] = blen;
                    } else {
                        char *o = fsift_rows_dec_alloc(r, blen + 1);
                        if (!o) return bad(r, "decoded values exceed the record budget");
                        long dl = decode_string(body, blen, o);
                        if (dl < 0) return bad(r, "invalid escape in a string");
                        o[dl] = 0;
                        r->dec_len -= blen - (size_t)dl;
                        row->value[want] = o;
                        row->value_len[want] = (size_t)dl;
                    }
                } else if (!(p - vs == 4 && !memcmp(vs, "null", 4))) {
                    row->value[want] = vs;
                    row->value_len[want] = (size_t)(p - vs);
                }
            }
            p = skip_ws(p, e);
            if (p < e && *p == ',') {
                p = skip_ws(p + 1, e);
                continue;
            }
            if (p < e && *p == '}') {
                p++;
                break;
            }
            return bad(r, "expected ',' or '}'");
        }
    }
    p = skip_ws(p, e);
    if (p != e) return bad(r, "bytes after the object");
    if (!r->missing_ok) {
        for (int i = 0; i < r->ncols; i++)
            if (!(seen >> i & 1u)) {
                snprintf(r->reject, sizeof r->reject, "no \"%s\" key", r->colname[i]);
                return -1;
            }
    }
    return 0;
}
