/*
 * fb.c — the bounds-checked FlatBuffers reader declared in fb.h.
 *
 * Every position is a size_t inside [0, n); every computed position is formed in uint64_t
 * and compared with n before use, so no overflow or out-of-range read is possible whatever
 * the bytes say. Tables are validated when opened (table header, vtable header, vtable and
 * inline table inside the buffer); fields are validated when read (slot inside the inline
 * table, uoffset target inside the buffer, vector/string length inside the buffer).
 */
#include "fb.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void fb_init(fb_buf *b, const void *data, size_t size) {
    b->p = (const uint8_t *)data;
    b->n = data ? size : 0;
    b->err = FSIFT_OK;
    b->msg[0] = 0;
}

fsift_status fb_fail(fb_buf *b, fsift_status s, const char *fmt, ...) {
    if (b->err == FSIFT_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->msg, sizeof b->msg, fmt, ap);
        va_end(ap);
        b->err = s;
    }
    return b->err;
}

fsift_status fb_check(const fb_buf *b) {
    if (b->err == FSIFT_OK) return FSIFT_OK;
    return fsift_error(b->err, "%s", b->msg);
}

/* ---- raw little-endian reads at a position already known to be in range ---------------- */

static uint16_t rd_u16(const fb_buf *b, size_t pos) {
    uint16_t v;
    memcpy(&v, b->p + pos, 2);
    return v;
}
static uint32_t rd_u32(const fb_buf *b, size_t pos) {
    uint32_t v;
    memcpy(&v, b->p + pos, 4);
    return v;
}

/* 1 if [pos, pos + len) lies inside the buffer. */
static int in_range(const fb_buf *b, uint64_t pos, uint64_t len) {
    return pos <= b->n && len <= b->n - pos;
}

int fb_table_at(fb_buf *b, size_t pos, fb_table *t) {
    memset(t, 0, sizeof *t);
    if (b->err) return 0;
    if (!in_range(b, pos, 4)) {
        fb_fail(b, FSIFT_E_FORMAT, "tflite: table at byte %zu is past the end of the %zu-byte file",
                pos, b->n);
        return 0;
    }
    int32_t soff;
    uint32_t u = rd_u32(b, pos);
    memcpy(&soff, &u, 4);
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || !in_range(b, (uint64_t)vt, 4)) {
        fb_fail(b, FSIFT_E_FORMAT, "tflite: table at byte %zu has its vtable outside the file",
                pos);
        return 0;
    }
    uint16_t vt_size = rd_u16(b, (size_t)vt), t_size = rd_u16(b, (size_t)vt + 2);
    if (vt_size < 4 || (vt_size & 1) || !in_range(b, (uint64_t)vt, vt_size)) {
        fb_fail(b, FSIFT_E_FORMAT, "tflite: vtable at byte %lld has a bad size %u",
                (long long)vt, (unsigned)vt_size);
        return 0;
    }
    if (t_size < 4 || !in_range(b, pos, t_size)) {
        fb_fail(b, FSIFT_E_FORMAT, "tflite: table at byte %zu claims %u bytes past the end of the file",
                pos, (unsigned)t_size);
        return 0;
    }
    t->pos = pos;
    t->vt = (size_t)vt;
    t->nfields = (uint32_t)(vt_size - 4) / 2;
    t->size = t_size;
    return 1;
}

int fb_root(fb_buf *b, fb_table *t) {
    memset(t, 0, sizeof *t);
    if (b->err) return 0;
    if (b->n < 8) {
        fb_fail(b, FSIFT_E_FORMAT, "tflite: file is %zu bytes, too small for a FlatBuffer", b->n);
        return 0;
    }
    return fb_table_at(b, rd_u32(b, 0), t);
}

/* Position of a field whose inline part is `size` bytes, 0 if absent; errors if the slot
 * points outside the inline table. (Position 0 can never hold a field: it is the root
 * uoffset.) */
static size_t field_pos(fb_buf *b, const fb_table *t, int field, size_t size) {
    if (b->err || field < 0 || (uint32_t)field >= t->nfields || t->size == 0) return 0;
    uint16_t off = rd_u16(b, t->vt + 4 + 2 * (size_t)field);
    if (off == 0) return 0;
    if (off < 4 || (uint64_t)off + size > t->size) {
        fb_fail(b, FSIFT_E_FORMAT,
                "tflite: field %d of the table at byte %zu lies outside the table", field, t->pos);
        return 0;
    }
    return t->pos + off;
}

int fb_present(fb_buf *b, const fb_table *t, int field) {
    if (b->err || field < 0 || (uint32_t)field >= t->nfields || t->size == 0) return 0;
    return rd_u16(b, t->vt + 4 + 2 * (size_t)field) != 0;
}

#define FB_SCALAR(name, type)                                                                \
    type name(fb_buf *b, const fb_table *t, int field, type def) {                           \
        size_t p = field_pos(b, t, field, sizeof(type));                                     \
        if (!p) return def;                                                                  \
        type v;                                                                              \
        memcpy(&v, b->p + p, sizeof v);                                                      \
        return v;                                                                            \
    }
FB_SCALAR(fb_i8, int8_t)
FB_SCALAR(fb_u8, uint8_t)
FB_SCALAR(fb_i32, int32_t)
FB_SCALAR(fb_u32, uint32_t)
FB_SCALAR(fb_u64, uint64_t)
FB_SCALAR(fb_f32, float)

/* Follows the uoffset stored in a field: target position, or 0 if absent/bad. */
static size_t follow(fb_buf *b, const fb_table *t, int field) {
    size_t p = field_pos(b, t, field, 4);
    if (!p) return 0;
    uint64_t target = (uint64_t)p + rd_u32(b, p);
    if (target >= b->n) {
        fb_fail(b, FSIFT_E_FORMAT,
                "tflite: field %d of the table at byte %zu points past the end of the file",
                field, t->pos);
        return 0;
    }
    return (size_t)target;
}

int fb_table_field(fb_buf *b, const fb_table *t, int field, fb_table *out) {
    memset(out, 0, sizeof *out);
    size_t p = follow(b, t, field);
    return p ? fb_table_at(b, p, out) : 0;
}

static int vec_at(fb_buf *b, size_t p, size_t elem_size, fb_vec *out) {
    if (!in_range(b, p, 4)) {
        fb_fail(b, FSIFT_E_FORMAT, "tflite: vector at byte %zu is past the end of the file", p);
        return 0;
    }
    uint32_t len = rd_u32(b, p);
    if (!in_range(b, (uint64_t)p + 4, (uint64_t)len * elem_size)) {
        fb_fail(b, FSIFT_E_FORMAT,
                "tflite: vector at byte %zu claims %u elements of %zu bytes, past the end of the "
                "%zu-byte file", p, len, elem_size, b->n);
        return 0;
    }
    out->pos = p + 4;
    out->len = len;
    out->elem = (uint32_t)elem_size;
    return 1;
}

int fb_vec_field(fb_buf *b, const fb_table *t, int field, size_t elem_size, fb_vec *out) {
    memset(out, 0, sizeof *out);
    size_t p = follow(b, t, field);
    return p ? vec_at(b, p, elem_size, out) : 0;
}

const char *fb_string(fb_buf *b, const fb_table *t, int field, size_t *len) {
    fb_vec v;
    *len = 0;
    if (!fb_vec_field(b, t, field, 1, &v)) return NULL;
    *len = v.len;
    return (const char *)b->p + v.pos;
}

static size_t elem_pos(fb_buf *b, const fb_vec *v, uint32_t i, size_t size) {
    if (b->err) return 0;
    if (i >= v->len || v->elem != size) {
        fb_fail(b, FSIFT_E_INTERNAL, "tflite: vector element %u of %u (size %zu/%u) read out of range",
                i, v->len, size, (unsigned)v->elem);
        return 0;
    }
    return v->pos + (size_t)i * size;  /* inside the buffer: checked when the vector was opened */
}

int32_t fb_vec_i32(fb_buf *b, const fb_vec *v, uint32_t i) {
    size_t p = elem_pos(b, v, i, 4);
    int32_t x = 0;
    if (p) memcpy(&x, b->p + p, 4);
    return x;
}

int64_t fb_vec_i64(fb_buf *b, const fb_vec *v, uint32_t i) {
    size_t p = elem_pos(b, v, i, 8);
    int64_t x = 0;
    if (p) memcpy(&x, b->p + p, 8);
    return x;
}

float fb_vec_f32(fb_buf *b, const fb_vec *v, uint32_t i) {
    size_t p = elem_pos(b, v, i, 4);
    float x = 0;
    if (p) memcpy(&x, b->p + p, 4);
    return x;
}

int fb_vec_table(fb_buf *b, const fb_vec *v, uint32_t i, fb_table *out) {
    memset(out, 0, sizeof *out);
    size_t p = elem_pos(b, v, i, 4);
    if (!p) return 0;
    uint64_t target = (uint64_t)p + rd_u32(b, p);
    if (target >= b->n) {
        fb_fail(b, FSIFT_E_FORMAT, "tflite: element %u of the vector at byte %zu points past the "
                "end of the file", i, v->pos);
        return 0;
    }
    return fb_table_at(b, (size_t)target, out);
}
