/*
 * pb.c — the protobuf wire-format reader declared in pb.h.
 *
 * Everything here works on [p, end) byte ranges borrowed from the caller. The only arithmetic
 * on lengths is a comparison against the remaining byte count (`len > (size_t)(end - p)`),
 * done before any pointer is advanced, so a hostile length can neither overflow a pointer nor
 * read past the buffer. Nothing allocates; nothing is global; safe from any thread.
 */
#include "nn/onnx/pb.h"

#include <string.h>

void nn_pb_init(nn_pb *r, const void *data, size_t size) {
    static const uint8_t empty[1];
    r->p = data ? (const uint8_t *)data : empty;
    r->end = r->p + (data ? size : 0);
    r->depth = 0;
}

fsift_status nn_pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    const uint8_t *q = *p;
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        if (q >= end) return fsift_error(FSIFT_E_FORMAT, "protobuf: varint runs past the end");
        uint8_t b = *q++;
        if (i == 9 && b > 1)
            return fsift_error(FSIFT_E_FORMAT, "protobuf: varint does not fit in 64 bits");
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *p = q;
            *v = x;
            return FSIFT_OK;
        }
    }
    return fsift_error(FSIFT_E_FORMAT, "protobuf: varint longer than 10 bytes");
}

static uint64_t load_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

float nn_pb_f32(uint64_t bits) {
    uint32_t b = (uint32_t)bits;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

double nn_pb_f64(uint64_t bits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

int nn_pb_next(nn_pb *r, nn_pb_field *f) {
    if (r->p >= r->end) return 0;
    uint64_t tag;
    fsift_status st = nn_pb_varint(&r->p, r->end, &tag);
    if (st) return st;
    uint64_t num = tag >> 3;
    if (num == 0 || num > 0x1fffffff)
        return fsift_error(FSIFT_E_FORMAT, "protobuf: invalid field number %llu",
                           (unsigned long long)num);
    f->num = (uint32_t)num;
    f->wire = (int)(tag & 7);
    f->u = 0;
    f->data = NULL;
    f->len = 0;
    size_t left = (size_t)(r->end - r->p);
    switch (f->wire) {
    case NN_PB_VARINT:
        return (st = nn_pb_varint(&r->p, r->end, &f->u)) ? st : 1;
    case NN_PB_I64:
        if (left < 8)
            return fsift_error(FSIFT_E_FORMAT, "protobuf: field %u: 8-byte value runs past the end",
                               f->num);
        f->u = load_le(r->p, 8);
        r->p += 8;
        return 1;
    case NN_PB_I32:
        if (left < 4)
            return fsift_error(FSIFT_E_FORMAT, "protobuf: field %u: 4-byte value runs past the end",
                               f->num);
        f->u = load_le(r->p, 4);
        r->p += 4;
        return 1;
    case NN_PB_LEN: {
        uint64_t len;
        if ((st = nn_pb_varint(&r->p, r->end, &len))) return st;
        left = (size_t)(r->end - r->p);
        if (len > left)
            return fsift_error(FSIFT_E_FORMAT,
                               "protobuf: field %u claims %llu bytes but only %zu remain", f->num,
                               (unsigned long long)len, left);
        f->data = r->p;
        f->len = (size_t)len;
        r->p += len;
        return 1;
    }
    default:
        return fsift_error(FSIFT_E_FORMAT, "protobuf: field %u has unsupported wire type %d",
                           f->num, f->wire);
    }
}

fsift_status nn_pb_sub(const nn_pb *parent, const nn_pb_field *f, nn_pb *child) {
    if (f->wire != NN_PB_LEN)
        return fsift_error(FSIFT_E_FORMAT, "protobuf: field %u should be a message (wire type %d)",
                           f->num, f->wire);
    if (parent->depth + 1 > NN_PB_MAX_DEPTH)
        return fsift_error(FSIFT_E_LIMIT, "protobuf: messages nested deeper than %d",
                           NN_PB_MAX_DEPTH);
    child->p = f->data;
    child->end = f->data + f->len;
    child->depth = parent->depth + 1;
    return FSIFT_OK;
}

fsift_status nn_pb_iter_init(nn_pb_iter *it, const nn_pb_field *f, int elem_wire,
                             size_t *count) {
    memset(it, 0, sizeof *it);
    it->elem_wire = elem_wire;
    if (f->wire == elem_wire) { /* one unpacked element */
        it->single = 1;
        it->value = f->u;
        *count = 1;
        return FSIFT_OK;
    }
    if (f->wire != NN_PB_LEN)
        return fsift_error(FSIFT_E_FORMAT, "protobuf: repeated field %u has wire type %d",
                           f->num, f->wire);
    it->p = f->data;
    it->end = f->data + f->len;
    if (elem_wire == NN_PB_I32 || elem_wire == NN_PB_I64) {
        size_t w = elem_wire == NN_PB_I32 ? 4 : 8;
        if (f->len % w)
            return fsift_error(FSIFT_E_FORMAT,
                               "protobuf: packed field %u has %zu bytes, not a multiple of %zu",
                               f->num, f->len, w);
        *count = f->len / w;
        return FSIFT_OK;
    }
    /* Packed varints: decode all once to validate, so that next() cannot fail. */
    size_t n = 0;
    const uint8_t *q = it->p;
    while (q < it->end) {
        uint64_t v;
        fsift_status st = nn_pb_varint(&q, it->end, &v);
        if (st) return st;
        n++;
    }
    *count = n;
    return FSIFT_OK;
}

int nn_pb_iter_next(nn_pb_iter *it, uint64_t *v) {
    if (it->single) {
        it->single = 0;
        *v = it->value;
        return 1;
    }
    if (it->p >= it->end) return 0;
    switch (it->elem_wire) {
    case NN_PB_I32:
        *v = load_le(it->p, 4);
        it->p += 4;
        return 1;
    case NN_PB_I64:
        *v = load_le(it->p, 8);
        it->p += 8;
        return 1;
    default:
        /* validated by init */
        return nn_pb_varint(&it->p, it->end, v) == FSIFT_OK;
    }
}
