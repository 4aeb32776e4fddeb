/*
 * clip_tokenizer_clean.c — the text cleaning that OpenAI's CLIP tokenizer applies before the
 * pre-split, on code points:
 *   1. html.unescape, twice: "&name;" / "&name" (HTML5 named references, longest known
 *      prefix of at most 32 characters for names without ';'), "&#123;" and "&#x7B;" with the
 *      HTML5 replacement rules (0x80..0x9F as windows-1252, surrogates and > U+10FFFF become
 *      U+FFFD, non-characters and most controls are dropped);
 *   2. strip (Python's str.isspace set), runs of regex \s (White_Space) become one ' ', strip;
 *   3. Python's str.lower(): full lowercase mappings (U+0130 → "i̇") and the final-sigma rule.
 * ftfy.fix_text, which OpenAI runs first (mojibake repair, NFC, curly quotes, ligatures,
 * width, control characters), is NOT reproduced: docs/eval.md lists what that changes.
 * Pure functions; thread-safe. The tables come from clip_tokenizer_tables.c (Unicode 15.0).
 */
#include <stdlib.h>
#include <string.h>

#include "clip_tokenizer_internal.h"

int fsift_clip_in_ranges(const uint32_t (*r)[2], size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < r[mid][0]) hi = mid;
        else if (cp > r[mid][1]) lo = mid + 1;
        else return 1;
    }
    return 0;
}

fsift_status fsift_clip_cps_push(fsift_clip_cps *c, uint32_t cp) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        uint32_t *v = realloc(c->v, cap * sizeof *v);
        if (!v) return fsift_error(FSIFT_E_NOMEM, "clip tokenizer: out of memory");
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = cp;
    return FSIFT_OK;
}

fsift_status fsift_clip_utf8_decode(const char *s, size_t len, fsift_clip_cps *out) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t c = p[i], cp = 0xFFFD;
        size_t n = 1;
        if (c < 0x80) {
            cp = c;
        } else {
            int need = c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : -1;
            if (need > 0 && i + (size_t)need < len + 0) {
                uint32_t v = c & (0x3F >> need);
                int ok = 1;
                for (int k = 1; k <= need; k++) {
                    if ((p[i + k] & 0xC0) != 0x80) { ok = 0; break; }
                    v = (v << 6) | (p[i + k] & 0x3F);
                }
                if (ok && ((need == 2 && v >= 0x800 && (v < 0xD800 || v > 0xDFFF)) ||
                           (need == 3 && v >= 0x10000 && v <= 0x10FFFF) || need == 1)) {
                    cp = v;
                    n = (size_t)need + 1;
                }
            }
        }
        fsift_status st = fsift_clip_cps_push(out, cp);
        if (st) return st;
        i += n;
    }
    return FSIFT_OK;
}

size_t fsift_clip_utf8_put(uint32_t cp, char *b) {
    if (cp < 0x80) { b[0] = (char)cp; return 1; }
    if (cp < 0x800) { b[0] = (char)(0xC0 | (cp >> 6)); b[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12)); b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (char)(0xF0 | (cp >> 18)); b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int fsift_clip_is_space(uint32_t cp) {
    return fsift_clip_in_ranges(fsift_clip_space, fsift_clip_space_count, cp);
}

int fsift_clip_is_pyspace(uint32_t cp) {
    return (cp >= 0x1C && cp <= 0x1F) || fsift_clip_is_space(cp);
}

/* ---- html.unescape ----------------------------------------------------------------------- */

static int is_digit(uint32_t c) { return c >= '0' && c <= '9'; }
static int hex_val(uint32_t c) {
    if (c >= '0' && c <= '9') return (int)(c - '0');
    if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return (int)(c - 'A' + 10);
    return -1;
}

/* Entity lookup by UTF-8 name; returns the replacement or NULL. */
static const char *entity_find(const char *name, size_t len) {
    size_t lo = 0, hi = fsift_clip_entities_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *k = fsift_clip_entities[mid].name;
        size_t kl = strlen(k);
        int c = memcmp(name, k, len < kl ? len : kl);
        if (c == 0) c = len < kl ? -1 : len > kl ? 1 : 0;
        if (c == 0) return fsift_clip_entities[mid].utf8;
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

static fsift_status push_utf8(fsift_clip_cps *out, const char *s) {
    return fsift_clip_utf8_decode(s, strlen(s), out);
}

static fsift_status push_range(fsift_clip_cps *out, const uint32_t *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        fsift_status st = fsift_clip_cps_push(out, v[i]);
        if (st) return st;
    }
    return FSIFT_OK;
}

static fsift_status numeric_ref(fsift_clip_cps *out, uint64_t num) {
    if (num < 0xA0 && fsift_clip_charref_replace[num]) return fsift_clip_cps_push(out, fsift_clip_charref_replace[num]);
    if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return fsift_clip_cps_push(out, 0xFFFD);
    if (fsift_clip_in_ranges(fsift_clip_charref_invalid, fsift_clip_charref_invalid_count, (uint32_t)num)) return FSIFT_OK;
    return fsift_clip_cps_push(out, (uint32_t)num);
}

/* One pass of html.unescape: in[0..n) appended to out. */
static fsift_status unescape(const uint32_t *in, size_t n, fsift_clip_cps *out) {
    fsift_status st = FSIFT_OK;
    size_t i = 0;
    while (i < n && !st) {
        if (in[i] != '&' || i + 1 >= n) {
            st = fsift_clip_cps_push(out, in[i++]);
            continue;
        }
        size_t j = i + 1;
        if (in[j] == '#') {
            int hex = j + 1 < n && (in[j + 1] == 'x' || in[j + 1] == 'X');
            size_t k = j + 1 + (size_t)hex, d0 = k;
            uint64_t num = 0;
            while (k < n && (hex ? hex_val(in[k]) >= 0 : is_digit(in[k]))) {
                uint64_t v = hex ? (uint64_t)hex_val(in[k]) : in[k] - '0';
                num = num > 0x110000 ? num : num * (hex ? 16 : 10) + v;
                k++;
            }
            if (k == d0) { /* "&#" / "&#x" without digits: left as it is */
                st = fsift_clip_cps_push(out, in[i++]);
                continue;
            }
            if (k < n && in[k] == ';') k++;
            st = numeric_ref(out, num);
            i = k;
            continue;
        }
        /* named: up to 32 characters outside "\t\n\f <&#;", then an optional ';' */
        size_t k = j;
        while (k < n && k - j < 32 && !(in[k] == '\t' || in[k] == '\n' || in[k] == '\f' || in[k] == ' ' ||
                                        in[k] == '<' || in[k] == '&' || in[k] == '#' || in[k] == ';'))
            k++;
        if (k == j) {
            st = fsift_clip_cps_push(out, in[i++]);
            continue;
        }
        if (k < n && in[k] == ';') k++;
        /* the name as UTF-8 (at most 33 code points) */
        char name[33 * 4 + 1];
        size_t off[34], nl = 0, m = k - j;
        for (size_t q = 0; q < m; q++) {
            off[q] = nl;
            nl += fsift_clip_utf8_put(in[j + q], name + nl);
        }
        off[m] = nl;
        const char *rep = entity_find(name, nl);
        if (rep) {
            st = push_utf8(out, rep);
        } else {
            size_t x = m - 1;
            for (; x >= 2; x--)
                if ((rep = entity_find(name, off[x])) != NULL) break;
            if (rep && x >= 2) {
                st = push_utf8(out, rep);
                if (!st) st = push_range(out, in + j + x, m - x);
            } else {
                st = push_range(out, in + i, k - i);
            }
        }
        i = k;
    }
    return st;
}

/* ---- lowercase ----------------------------------------------------------------------------- */

static const uint32_t *lower_find(uint32_t cp) {
    size_t lo = 0, hi = fsift_clip_lower_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < fsift_clip_lower[mid][0]) hi = mid;
        else if (cp > fsift_clip_lower[mid][0]) lo = mid + 1;
        else return fsift_clip_lower[mid] + 1;
    }
    return NULL;
}

static int cased(uint32_t c) { return fsift_clip_in_ranges(fsift_clip_cased, fsift_clip_cased_count, c); }
static int ignorable(uint32_t c) {
    return fsift_clip_in_ranges(fsift_clip_case_ignorable, fsift_clip_case_ignorable_count, c);
}

/* Python's rule for U+03A3: final (ς) after a cased letter and not before one, skipping
 * case-ignorable characters on both sides. */
static uint32_t sigma(const uint32_t *s, size_t n, size_t i) {
    size_t j = i;
    uint32_t c = 0;
    int found = 0;
    while (j > 0) {
        c = s[--j];
        if (!ignorable(c)) { found = 1; break; }
    }
    int final = found && cased(c);
    if (final && i + 1 < n) {
        size_t q = i + 1;
        for (; q < n; q++) {
            c = s[q];
            if (!ignorable(c)) break;
        }
        final = q == n || !cased(c);
    }
    return final ? 0x3C2 : 0x3C3;
}

fsift_status fsift_clip_clean(const fsift_clip_cps *in, fsift_clip_cps *out) {
    fsift_clip_cps a = {0}, b = {0};
    fsift_status st = unescape(in->v, in->n, &a);
    if (!st) st = unescape(a.v, a.n, &b);
    if (st) goto done;
    /* strip, collapse \s runs, strip (into a) */
    a.n = 0;
    size_t s = 0, e = b.n;
    while (s < e && fsift_clip_is_pyspace(b.v[s])) s++;
    while (e > s && fsift_clip_is_pyspace(b.v[e - 1])) e--;
    for (size_t i = s; i < e && !st; i++) {
        if (fsift_clip_is_space(b.v[i])) {
            if (i > s && fsift_clip_is_space(b.v[i - 1])) continue;
            st = fsift_clip_cps_push(&a, ' ');
        } else {
            st = fsift_clip_cps_push(&a, b.v[i]);
        }
    }
    if (st) goto done;
    s = 0;
    e = a.n;
    while (s < e && fsift_clip_is_pyspace(a.v[s])) s++;
    while (e > s && fsift_clip_is_pyspace(a.v[e - 1])) e--;
    for (size_t i = s; i < e && !st; i++) {
        uint32_t c = a.v[i];
        if (c == 0x3A3) {
            st = fsift_clip_cps_push(out, sigma(a.v + s, e - s, i - s));
            continue;
        }
        const uint32_t *low = lower_find(c);
        if (!low) {
            st = fsift_clip_cps_push(out, c);
            continue;
        }
        for (int q = 0; q < 3 && low[q] && !st; q++) st = fsift_clip_cps_push(out, low[q]);
    }
done:
    free(a.v);
    free(b.v);
    return st;
}
