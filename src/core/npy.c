/*
 * npy.c — NumPy .npy files (format 1.0 written; 1.0, 2.0 and 3.0 read), dtype helpers and
 * IEEE half-precision conversion.
 *
 * The reader accepts the header dict that numpy.save writes ({'descr': '<f4',
 * 'fortran_order': False, 'shape': (2, 3), }) with keys in any order and optional spaces,
 * little-endian or byte-order-free dtypes only, C order only. Every number is range-checked
 * and the data length must equal the shape's element count times the element size exactly.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/core.h"

size_t fsift_dtype_size(int dtype) {
    switch (dtype) {
    case FSIFT_DTYPE_FLOAT32: case FSIFT_DTYPE_INT32: case FSIFT_DTYPE_UINT32: return 4;
    case FSIFT_DTYPE_UINT8: case FSIFT_DTYPE_INT8: case FSIFT_DTYPE_BOOL: return 1;
    case FSIFT_DTYPE_UINT16: case FSIFT_DTYPE_INT16: case FSIFT_DTYPE_FLOAT16: return 2;
    case FSIFT_DTYPE_INT64: case FSIFT_DTYPE_FLOAT64: case FSIFT_DTYPE_UINT64: return 8;
    default: return 0;
    }
}

const char *fsift_dtype_name(int dtype) {
    switch (dtype) {
    case FSIFT_DTYPE_FLOAT32: return "float32";
    case FSIFT_DTYPE_UINT8: return "uint8";
    case FSIFT_DTYPE_INT8: return "int8";
    case FSIFT_DTYPE_UINT16: return "uint16";
    case FSIFT_DTYPE_INT16: return "int16";
    case FSIFT_DTYPE_INT32: return "int32";
    case FSIFT_DTYPE_INT64: return "int64";
    case FSIFT_DTYPE_STRING: return "string";
    case FSIFT_DTYPE_BOOL: return "bool";
    case FSIFT_DTYPE_FLOAT16: return "float16";
    case FSIFT_DTYPE_FLOAT64: return "float64";
    case FSIFT_DTYPE_UINT32: return "uint32";
    case FSIFT_DTYPE_UINT64: return "uint64";
    default: return "unknown";
    }
}

int64_t fsift_tensor_numel(const fsift_tensor *t) {
    int64_t n = 1;
    if (t->rank < 0 || t->rank > FSIFT_MAX_RANK) return -1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] < 0) return -1;
        if (t->dims[i] != 0 && n > INT64_MAX / t->dims[i]) return -1;
        n *= t->dims[i];
    }
    return n;
}

static const struct { const char *descr; int dtype; } npy_types[] = {
    {"f4", FSIFT_DTYPE_FLOAT32}, {"f8", FSIFT_DTYPE_FLOAT64}, {"f2", FSIFT_DTYPE_FLOAT16},
    {"i8", FSIFT_DTYPE_INT64},   {"i4", FSIFT_DTYPE_INT32},   {"i2", FSIFT_DTYPE_INT16},
    {"i1", FSIFT_DTYPE_INT8},    {"u8", FSIFT_DTYPE_UINT64},  {"u4", FSIFT_DTYPE_UINT32},
    {"u2", FSIFT_DTYPE_UINT16},  {"u1", FSIFT_DTYPE_UINT8},   {"b1", FSIFT_DTYPE_BOOL},
};

/* Finds 'key' in the header dict and returns a pointer just after the following ':'. */
static const char *dict_value(const char *h, size_t n, const char *key) {
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 2 <= n; i++) {
        if ((h[i] == '\'' || h[i] == '"') && !memcmp(h + i + 1, key, kl) && h[i + 1 + kl] == h[i]) {
            const char *p = h + i + kl + 2, *end = h + n;
            while (p < end && isspace((unsigned char)*p)) p++;
            if (p < end && *p == ':') return p + 1;
            return NULL;
        }
    }
    return NULL;
}

fsift_status fsift_npy_parse(const void *buf, size_t size, fsift_tensor *out) {
    const unsigned char *b = buf;
    memset(out, 0, sizeof *out);
    if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return fsift_error(FSIFT_E_FORMAT, "npy: missing \\x93NUMPY magic");
    int major = b[6];
    size_t hlen, hoff;
    if (major == 1) {
        hlen = (size_t)b[8] | ((size_t)b[9] << 8);
        hoff = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12) return fsift_error(FSIFT_E_FORMAT, "npy: truncated header");
        hlen = (size_t)b[8] | ((size_t)b[9] << 8) | ((size_t)b[10] << 16) | ((size_t)b[11] << 24);
        hoff = 12;
    } else {
        return fsift_error(FSIFT_E_UNSUPPORTED, "npy: format version %d not supported", major);
    }
    if (hlen > size - hoff) return fsift_error(FSIFT_E_FORMAT, "npy: header length %zu past end of file", hlen);
    const char *h = (const char *)b + hoff, *hend = h + hlen;

    const char *v = dict_value(h, hlen, "descr");
    if (!v) return fsift_error(FSIFT_E_FORMAT, "npy: header has no 'descr'");
    while (v < hend && isspace((unsigned char)*v)) v++;
    if (v + 4 > hend || (*v != '\'' && *v != '"'))
        return fsift_error(FSIFT_E_FORMAT, "npy: bad 'descr'");
    char q = *v++;
    const char *e = memchr(v, q, (size_t)(hend - v));
    if (!e || e - v != 3) return fsift_error(FSIFT_E_UNSUPPORTED, "npy: dtype descriptor not supported");
    char endian = v[0];
    int dtype = 0;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (!memcmp(v + 1, npy_types[i].descr, 2)) dtype = npy_types[i].dtype;
    size_t esz = fsift_dtype_size(dtype);
    if (!dtype || !(endian == '<' || endian == '|' || (endian == '=' ) || (esz == 1 && endian == '>')))
        return fsift_error(FSIFT_E_UNSUPPORTED, "npy: dtype '%.3s' not supported (little-endian numeric only)", v);

    v = dict_value(h, hlen, "fortran_order");
    if (!v) return fsift_error(FSIFT_E_FORMAT, "npy: header has no 'fortran_order'");
    while (v < hend && isspace((unsigned char)*v)) v++;
    if (hend - v >= 4 && !memcmp(v, "True", 4))
        return fsift_error(FSIFT_E_UNSUPPORTED, "npy: Fortran-order arrays not supported");
    if (!(hend - v >= 5 && !memcmp(v, "False", 5)))
        return fsift_error(FSIFT_E_FORMAT, "npy: bad 'fortran_order'");

    v = dict_value(h, hlen, "shape");
    if (!v) return fsift_error(FSIFT_E_FORMAT, "npy: header has no 'shape'");
    while (v < hend && isspace((unsigned char)*v)) v++;
    if (v >= hend || *v != '(') return fsift_error(FSIFT_E_FORMAT, "npy: bad 'shape'");
    v++;
    int rank = 0;
    for (;;) {
        while (v < hend && (isspace((unsigned char)*v) || *v == ',')) v++;
        if (v >= hend) return fsift_error(FSIFT_E_FORMAT, "npy: unterminated 'shape'");
        if (*v == ')') break;
        if (!isdigit((unsigned char)*v)) return fsift_error(FSIFT_E_FORMAT, "npy: bad 'shape'");
        int64_t d = 0;
        while (v < hend && isdigit((unsigned char)*v)) {
            if (d > ((int64_t)1 << 40)) return fsift_error(FSIFT_E_LIMIT, "npy: dimension too large");
            d = d * 10 + (*v++ - '0');
        }
        if (v < hend && *v == 'L') v++;
        if (rank >= FSIFT_MAX_RANK) return fsift_error(FSIFT_E_UNSUPPORTED, "npy: rank above %d", FSIFT_MAX_RANK);
        out->dims[rank++] = d;
    }
    out->rank = rank;
    out->dtype = dtype;
    int64_t numel = fsift_tensor_numel(out);
    size_t doff = hoff + hlen;
    if (numel < 0 || (uint64_t)numel > (uint64_t)(SIZE_MAX / esz))
        return fsift_error(FSIFT_E_LIMIT, "npy: element count overflows");
    size_t nbytes = (size_t)numel * esz;
    if (size - doff != nbytes)
        return fsift_error(FSIFT_E_FORMAT, "npy: data is %zu bytes, the shape needs %zu", size - doff, nbytes);
    out->data = malloc(nbytes ? nbytes : 1);
    if (!out->data) return fsift_error(FSIFT_E_NOMEM, "npy: out of memory (%zu bytes)", nbytes);
    memcpy(out->data, b + doff, nbytes);
    return FSIFT_OK;
}

fsift_status fsift_npy_load(const char *path, fsift_tensor *out) {
    void *buf;
    size_t size;
    memset(out, 0, sizeof *out);
    fsift_status s = fsift_file_read(path, (size_t)1 << 36, &buf, &size);
    if (s) return s;
    s = fsift_npy_parse(buf, size, out);
    free(buf);
    if (s) fsift_error_prefix("%s", path);
    return s;
}

fsift_status fsift_npy_encode(const fsift_tensor *t, void **out, size_t *out_size) {
    *out = NULL;
    *out_size = 0;
    const char *descr = NULL;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (npy_types[i].dtype == t->dtype) descr = npy_types[i].descr;
    if (!descr) return fsift_error(FSIFT_E_UNSUPPORTED, "npy: cannot write dtype %s", fsift_dtype_name(t->dtype));
    int64_t numel = fsift_tensor_numel(t);
    if (numel < 0) return fsift_error(FSIFT_E_INVALID_ARG, "npy: bad shape");
    size_t esz = fsift_dtype_size(t->dtype);
    char shape[256];
    size_t sl = 0;
    shape[sl++] = '(';
    for (int i = 0; i < t->rank; i++)
        sl += (size_t)snprintf(shape + sl, sizeof shape - sl, i ? ", %lld" : "%lld", (long long)t->dims[i]);
    if (t->rank == 1) shape[sl++] = ',';
    shape[sl++] = ')';
    shape[sl] = 0;
    char dict[400];
    int dl = snprintf(dict, sizeof dict, "{'descr': '%c%s', 'fortran_order': False, 'shape': %s, }",
                      esz == 1 ? '|' : '<', descr, shape);
    size_t total_h = 10 + (size_t)dl + 1;
    size_t pad = (64 - total_h % 64) % 64;
    size_t hlen = (size_t)dl + pad + 1;
    size_t nbytes = (size_t)numel * esz;
    unsigned char *buf = malloc(10 + hlen + nbytes);
    if (!buf) return fsift_error(FSIFT_E_NOMEM, "npy: out of memory");
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)(hlen >> 8);
    memcpy(buf + 10, dict, (size_t)dl);
    memset(buf + 10 + dl, ' ', pad);
    buf[10 + hlen - 1] = '\n';
    if (nbytes) memcpy(buf + 10 + hlen, t->data, nbytes);
    *out = buf;
    *out_size = 10 + hlen + nbytes;
    return FSIFT_OK;
}

fsift_status fsift_npy_save(const char *path, const fsift_tensor *t) {
    void *buf;
    size_t n;
    fsift_status s = fsift_npy_encode(t, &buf, &n);
    if (s) return s;
    s = fsift_file_write_atomic(path, buf, n);
    free(buf);
    return s;
}

float fsift_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) bits = sign;
        else { /* subnormal: normalise */
            int e = -1;
            do { e++; man <<= 1; } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t fsift_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0));
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); /* rounds to inf */
    if (ax < 0x38800000u) { /* subnormal or zero in half */
        if (ax < 0x33000000u) return (uint16_t)sign;
        uint32_t e = ax >> 23, m = (ax & 0x7fffff) | 0x800000;
        int shift = (int)(126 - e); /* value = m * 2^(e-150) = r * 2^-24 */
        uint32_t r = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (r & 1))) r++;
        return (uint16_t)(sign | r);
    }
    uint32_t r = (ax >> 13) - ((127 - 15) << 10), rem = ax & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) r++;
    return (uint16_t)(sign | r);
}
