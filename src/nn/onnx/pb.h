/*
 * pb.h — a minimal reader for the protobuf wire format (internal to src/nn/onnx).
 *
 * A message is a flat sequence of (tag, value) pairs; the tag is a varint holding the field
 * number and a wire type: VARINT, I64 (8 little-endian bytes), LEN (a varint length and that
 * many bytes: strings, bytes, nested messages and packed repeated scalars) or I32 (4 bytes).
 * nn_pb_next steps through the fields of one message without allocating; a nested message is
 * read by opening a child reader on a LEN field's payload (nn_pb_sub), which counts the
 * nesting depth and refuses to go deeper than NN_PB_MAX_DEPTH. Every length is checked
 * against the bytes that remain before it is used, so a reader never touches memory outside
 * the buffer it was given; groups (wire types 3/4), field number 0, overlong varints and
 * truncated values are format errors.
 *
 * Repeated scalars may be written packed (one LEN field) or unpacked (one field per
 * element), and a reader must accept both: nn_pb_iter_init validates a field of either form,
 * counts its elements, and nn_pb_iter_next then hands them out without further checks.
 *
 * Errors are returned as fsift_status with a detail message via fsift_error ("protobuf: …");
 * callers add context with fsift_error_prefix. No state is global; readers are plain values.
 */
#ifndef FSIFT_NN_ONNX_PB_H
#define FSIFT_NN_ONNX_PB_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/core.h"

#define NN_PB_MAX_DEPTH 16

enum { NN_PB_VARINT = 0, NN_PB_I64 = 1, NN_PB_LEN = 2, NN_PB_I32 = 5 };

typedef struct nn_pb {
    const uint8_t *p;   /* next byte to read */
    const uint8_t *end; /* one past the message's last byte */
    int depth;          /* nesting depth of this message (0 = top level) */
} nn_pb;

typedef struct nn_pb_field {
    uint32_t num;        /* field number (>= 1) */
    int wire;            /* NN_PB_VARINT / NN_PB_I64 / NN_PB_LEN / NN_PB_I32 */
    uint64_t u;          /* VARINT, I64, I32: the raw value (I32 zero-extended) */
    const uint8_t *data; /* LEN: payload (borrowed from the buffer) */
    size_t len;          /* LEN: payload bytes */
} nn_pb_field;

/* Starts reading a top-level message of `size` bytes at `data` (borrowed). */
void nn_pb_init(nn_pb *r, const void *data, size_t size);

/* Reads the next field. Returns 1 with *f filled, 0 at the end of the message, or a negative
 * fsift_status (FSIFT_E_FORMAT) if the bytes are malformed. */
int nn_pb_next(nn_pb *r, nn_pb_field *f);

/* Opens a child reader on a LEN field's payload (a nested message). FSIFT_E_FORMAT if the
 * field is not LEN, FSIFT_E_LIMIT if the nesting would exceed NN_PB_MAX_DEPTH. */
fsift_status nn_pb_sub(const nn_pb *parent, const nn_pb_field *f, nn_pb *child);

/* Decodes one varint at *p (not past end), advancing *p. FSIFT_E_FORMAT if truncated or
 * longer than 10 bytes / 64 bits. */
fsift_status nn_pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

/* Reads a little-endian float / double from a field's raw bits. */
float nn_pb_f32(uint64_t bits);
double nn_pb_f64(uint64_t bits);

/* Iterates the elements of one occurrence of a repeated scalar field whose element wire type
 * is elem_wire (NN_PB_VARINT, NN_PB_I64 or NN_PB_I32): either a packed LEN field or a single
 * unpacked element. Init validates the whole field and stores the element count in *count;
 * a field of any other wire type is FSIFT_E_FORMAT. */
typedef struct nn_pb_iter {
    const uint8_t *p, *end; /* packed payload still to read */
    int elem_wire;
    int single;             /* 1 while an unpacked element is still to be returned */
    uint64_t value;         /* the unpacked element */
} nn_pb_iter;

fsift_status nn_pb_iter_init(nn_pb_iter *it, const nn_pb_field *f, int elem_wire,
                             size_t *count);
/* Next element's raw value (VARINT: as decoded; I64/I32: the little-endian bits); returns 0
 * when there are no more. Never fails after a successful init. */
int nn_pb_iter_next(nn_pb_iter *it, uint64_t *v);

#endif
