/*
 * fb.h — a minimal, bounds-checked FlatBuffers reader (internal to src/nn/tflite).
 *
 * FlatBuffers is the wire format of .tflite files. A buffer starts with a uoffset (u32) to
 * the root table; a table starts with an soffset (i32) to its vtable (vtable = table -
 * soffset); a vtable is u16 [vtable bytes, table bytes, field offset 0, field offset 1, …],
 * where a field offset of 0 (or a field id past the vtable's end) means "absent: use the
 * default". Sub-tables, vectors and strings are reached through a uoffset (u32) stored in the
 * field, relative to the field's own position; a vector is a u32 element count followed by
 * the elements; a string is a byte vector (normally NUL-terminated, never relied upon). A
 * union is two fields: a u8 type tag and a uoffset to the table.
 *
 * Nothing here trusts the bytes: every table, vtable, field, uoffset, vector and string is
 * checked against the buffer before it is read, all arithmetic is done in 64 bits, and every
 * read goes through memcpy (no alignment assumptions, little-endian host). Errors are
 * sticky: the first bad offset records a message in the fb_buf and sets fb->err; accessors
 * then return their defaults (0, absent, empty), so a caller reads a whole record and checks
 * fb_check() once. Nothing allocates memory.
 *
 * Threading: an fb_buf is used by one thread at a time; the bytes are borrowed read-only.
 */
#ifndef FSIFT_NN_TFLITE_FB_H
#define FSIFT_NN_TFLITE_FB_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/core.h"

typedef struct fb_buf {
    const uint8_t *p;   /* the whole file, borrowed */
    size_t n;
    fsift_status err;   /* first error, FSIFT_OK if none */
    char msg[160];      /* its message */
} fb_buf;

typedef struct fb_table {
    size_t pos;         /* table start */
    size_t vt;          /* vtable start */
    uint32_t nfields;   /* field slots in the vtable */
    uint32_t size;      /* table bytes (inline part), from the vtable */
} fb_table;

typedef struct fb_vec {
    size_t pos;         /* first element */
    uint32_t len;       /* element count */
    uint32_t elem;      /* element size the vector was checked for */
} fb_vec;

/* Starts reading data[0, size) (borrowed). */
void fb_init(fb_buf *b, const void *data, size_t size);
/* Records an error (first one wins) and returns it. */
fsift_status fb_fail(fb_buf *b, fsift_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* FSIFT_OK, or the first error (re-raised with fsift_error so fsift_last_error() has it). */
fsift_status fb_check(const fb_buf *b);

/* The root table (the u32 at offset 0). Returns 0 and sets b->err if it is bad. */
int fb_root(fb_buf *b, fb_table *t);
/* Opens the table at pos after validating it and its vtable. */
int fb_table_at(fb_buf *b, size_t pos, fb_table *t);

/* 1 if the field is present (non-zero vtable slot), 0 otherwise. */
int fb_present(fb_buf *b, const fb_table *t, int field);

/* Scalars: the stored value, or def if absent (or on error). */
int8_t fb_i8(fb_buf *b, const fb_table *t, int field, int8_t def);
uint8_t fb_u8(fb_buf *b, const fb_table *t, int field, uint8_t def);
int32_t fb_i32(fb_buf *b, const fb_table *t, int field, int32_t def);
uint32_t fb_u32(fb_buf *b, const fb_table *t, int field, uint32_t def);
uint64_t fb_u64(fb_buf *b, const fb_table *t, int field, uint64_t def);
float fb_f32(fb_buf *b, const fb_table *t, int field, float def);

/* Sub-table: 1 and *out if present and valid, 0 if absent or bad (b->err says which). */
int fb_table_field(fb_buf *b, const fb_table *t, int field, fb_table *out);
/* Vector of elem_size-byte elements: 1 and *out if present and entirely inside the buffer,
 * 0 (and out->len = 0) if absent or bad. */
int fb_vec_field(fb_buf *b, const fb_table *t, int field, size_t elem_size, fb_vec *out);
/* String: pointer (not NUL-terminated as far as we know) and length, or NULL if absent/bad. */
const char *fb_string(fb_buf *b, const fb_table *t, int field, size_t *len);

/* Vector elements; i must be < v->len and the element size must be the one the vector was
 * opened with (both checked: a mismatch is an error and returns 0). */
int32_t fb_vec_i32(fb_buf *b, const fb_vec *v, uint32_t i);
int64_t fb_vec_i64(fb_buf *b, const fb_vec *v, uint32_t i);
float fb_vec_f32(fb_buf *b, const fb_vec *v, uint32_t i);
/* Element i of a vector of tables (uoffsets). */
int fb_vec_table(fb_buf *b, const fb_vec *v, uint32_t i, fb_table *out);

#endif
