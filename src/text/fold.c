/*
 * fold.c — the characters of the caption rule: UTF-8 decoding that never reads past the end
 * and turns invalid bytes into one opaque character each, simple case folding (Unicode
 * CaseFolding.txt 'C' entries) for the Latin blocks U+0000–U+024F and U+1E00–U+1EFF plus
 * basic Greek and Cyrillic capitals, and the word/boundary classes the matcher uses.
 *
 * Word characters: letters and digits of any script, combining marks, and bytes of invalid
 * sequences (opaque, so "caf\xE9" never splits into "caf"). Boundaries: ASCII punctuation
 * and controls (hyphen and apostrophe included: "African-American" is two words, "women's"
 * is "women" + "s"), Latin-1 punctuation and NBSP, General Punctuation (dashes, curly quotes,
 * zero-width joiners), symbols, arrows, emoji, and CJK ideographs / kana / fullwidth forms,
 * whose scripts do not separate words with spaces.
 */
#include "text/text_internal.h"

int fold_decode(const unsigned char *s, size_t n, int32_t *cp) {
    unsigned b = s[0];
    if (b < 0x80) {
        *cp = (int32_t)b;
        return 1;
    }
    int len;
    int32_t c, min;
    if (b >= 0xC2 && b <= 0xDF) len = 2, c = b & 0x1F, min = 0x80;
    else if (b >= 0xE0 && b <= 0xEF) len = 3, c = b & 0x0F, min = 0x800;
    else if (b >= 0xF0 && b <= 0xF4) len = 4, c = b & 0x07, min = 0x10000;
    else goto invalid;
    if ((size_t)len > n) goto invalid;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) goto invalid;
        c = c << 6 | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c < 0xE000)) goto invalid;
    *cp = c;
    return len;
invalid:
    *cp = -1;
    return 1;
}

size_t fold_prev_start(const unsigned char *s, size_t i) {
    size_t j = i - 1;
    if (s[j] < 0x80) return j;
    for (int back = 1; back <= 3 && j > 0 && (s[j] & 0xC0) == 0x80; back++) {
        size_t k = j - 1;
        if ((s[k] & 0xC0) != 0x80) {
            int32_t cp;
            if ((size_t)fold_decode(s + k, i - k, &cp) == i - k && cp >= 0) return k;
            return i - 1;
        }
        j = k;
    }
    return i - 1;
}

int fold_encode(int32_t cp, unsigned char *o) {
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Lower-case partner of a capital, or cp itself. */
static int32_t lower_of(int32_t c) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c < 0xC0) return c;
    if (c <= 0xDE) return c == 0xD7 ? c : c + 32;
    if (c < 0x100) return c;
    if (c < 0x180) {
        if (c == 0x130) return 'i'; /* İ: Turkish dotted capital I */
        if (c == 0x178) return 0xFF;
        if (c == 0x17F) return 's'; /* long s */
        if ((c <= 0x137 || (c >= 0x14A && c <= 0x177)) && !(c & 1)) return c + 1;
        if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && (c & 1)) return c + 1;
        return c;
    }
    if (c < 0x250) {
        if (c >= 0x1CD && c <= 0x1DC && (c & 1)) return c + 1;
        if (((c >= 0x1DE && c <= 0x1EF) || (c >= 0x1F8 && c <= 0x21F) || (c >= 0x222 && c <= 0x233) ||
             (c >= 0x246 && c <= 0x24F)) && !(c & 1))
            return c + 1;
        return c;
    }
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32; /* Greek capitals */
    if (c >= 0x410 && c <= 0x42F) return c + 32;               /* Cyrillic А..Я */
    if (c >= 0x400 && c <= 0x40F) return c + 80;               /* Cyrillic Ѐ..Џ */
    if (c >= 0x1E00 && c <= 0x1EFF) {
        if (c == 0x1E9E) return 0xDF; /* capital sharp s */
        if ((c <= 0x1E95 || c >= 0x1EA0) && !(c & 1)) return c + 1;
    }
    return c;
}

static int is_boundary(int32_t c) {
    if (c < 0x80) {
        return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
    }
    if (c < 0xC0) return 1; /* C1 controls, NBSP, Latin-1 punctuation and signs */
    if (c == 0xD7 || c == 0xF7) return 1;
    if (c >= 0x2000 && c <= 0x2BFF) return 1;  /* punctuation, symbols, arrows, dingbats */
    if (c >= 0x2E00 && c <= 0x9FFF) return 1;  /* CJK punctuation, kana, ideographs */
    if (c >= 0xFE00 && c <= 0xFE6F) return 1;  /* variation selectors, CJK compatibility forms */
    if (c >= 0xFF00 && c <= 0xFF65) return 1;  /* fullwidth ASCII and punctuation */
    if (c >= 0x1F000 && c <= 0x1FAFF) return 1; /* emoji and pictographs */
    if (c >= 0x20000 && c <= 0x3FFFF) return 1; /* CJK extensions */
    if (c == 0xFFFD || c == 0xFEFF) return 1;
    return 0;
}

int32_t fold_cp(int32_t cp) {
    if (cp < 0) return FOLD_OTHER;
    if (is_boundary(cp)) return FOLD_SEP;
    return lower_of(cp);
}

int fold_is_upper(int32_t cp) { return cp >= 0 && !is_boundary(cp) && lower_of(cp) != cp; }

int fold_is_lower(int32_t cp) {
    if (cp >= 'a' && cp <= 'z') return 1;
    if (cp < 0xDF || is_boundary(cp)) return 0;
    if (lower_of(cp) != cp) return 0;
    /* a letter of a cased block that is its own lower case */
    return (cp <= 0x24F) || (cp >= 0x3AC && cp <= 0x3CE) || (cp >= 0x430 && cp <= 0x45F) ||
           (cp >= 0x1E00 && cp <= 0x1EFF);
}

size_t fsift_text_fold(const char *text, size_t len, char *out, size_t cap) {
    const unsigned char *s = (const unsigned char *)text;
    size_t o = 0;
    int prev_sep = 1;
    for (size_t i = 0; i < len;) {
        int32_t cp;
        int k = fold_decode(s + i, len - i, &cp);
        i += (size_t)k;
        int32_t f = fold_cp(cp);
        unsigned char buf[4];
        int m;
        if (f == FOLD_SEP) {
            if (prev_sep) continue;
            buf[0] = ' ';
            m = 1;
            prev_sep = 1;
        } else {
            prev_sep = 0;
            if (f == FOLD_OTHER) {
                buf[0] = 0x01;
                m = 1;
            } else {
                m = fold_encode(f, buf);
            }
        }
        for (int j = 0; j < m; j++, o++)
            if (o < cap) out[o] = (char)buf[j];
    }
    if (o > 0 && prev_sep) o--; /* no trailing space */
    return o;
}
