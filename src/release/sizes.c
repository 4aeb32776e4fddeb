/*
 * sizes.c — human sizes on the command line: byte sizes with 1024-based suffixes (as
 * split -b: 4G = 4 GiB) and sample counts with 1000-based suffixes (the paper's 1K … 4M).
 */
#include <ctype.h>
#include <stdint.h>

#include "release/release_internal.h"

static fsift_status parse_scaled(const char *s, uint64_t base, uint64_t *out) {
    *out = 0;
    if (!s || !isdigit((unsigned char)s[0])) return fsift_error(FSIFT_E_INVALID_ARG, "'%s' is not a number", s ? s : "");
    uint64_t v = 0;
    const char *p = s;
    for (; isdigit((unsigned char)*p); p++) {
        if (v > (UINT64_MAX - 9) / 10) return fsift_error(FSIFT_E_INVALID_ARG, "'%s' is too large", s);
        v = v * 10 + (uint64_t)(*p - '0');
    }
    uint64_t mul = 1;
    switch (toupper((unsigned char)*p)) {
    case 0: break;
    case 'K': mul = base; p++; break;
    case 'M': mul = base * base; p++; break;
    case 'G': mul = base * base * base; p++; break;
    case 'T': mul = base * base * base * base; p++; break;
    default: return fsift_error(FSIFT_E_INVALID_ARG, "'%s': unknown suffix (K, M, G, T)", s);
    }
    if (base == 1024 && (*p == 'i' || *p == 'I') && (p[1] == 'B' || p[1] == 'b')) p += 2;
    else if (*p == 'B' || *p == 'b') p++;
    if (*p) return fsift_error(FSIFT_E_INVALID_ARG, "'%s': trailing characters", s);
    if (v == 0) return fsift_error(FSIFT_E_INVALID_ARG, "'%s' is zero", s);
    if (v > UINT64_MAX / mul) return fsift_error(FSIFT_E_INVALID_ARG, "'%s' is too large", s);
    *out = v * mul;
    return FSIFT_OK;
}

fsift_status fsift_parse_bytes(const char *s, uint64_t *out) { return parse_scaled(s, 1024, out); }
fsift_status fsift_parse_count(const char *s, uint64_t *out) { return parse_scaled(s, 1000, out); }
