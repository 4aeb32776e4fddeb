/*
 * onnx_internal.h — what the ONNX loader's files share: onnx_load.c (the model, graph, nodes,
 * attributes and value infos) and onnx_tensor.c (TensorProto: raw and typed fields, external
 * data). Internal to src/nn/onnx.
 */
#ifndef FSIFT_NN_ONNX_INTERNAL_H
#define FSIFT_NN_ONNX_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include "nn/onnx/onnx.h"
#include "nn/onnx/pb.h"
#include "nn/ops.h"

#define ONNX_MIN_OPSET 7
#define ONNX_MAX_OPSET 18
#define N_SCRATCH 4

typedef struct str {
    const uint8_t *p;
    size_t n;
} str;

typedef struct ext_file {
    dev_t dev;
    ino_t ino;
} ext_file;

typedef struct ld {
    nn_graph *g;
    const char *base_dir;
    char *scratch[N_SCRATCH]; /* NUL-terminated copies of strings, one per slot */
    size_t scratch_cap[N_SCRATCH];
    ext_file *files;          /* distinct external files read so far */
    int n_files, cap_files;
    uint64_t ext_budget;      /* total size of those files */
    uint64_t ext_used;        /* bytes read from them */
    size_t budget;            /* graph memory allowed besides external data (mem_check) */
    int n_bind;               /* graph inputs to turn into constants (nn_onnx_load_bound) */
    const char *const *bind_names;
    const fsift_tensor *bind;
} ld;

/* Summary of one TensorProto (pointers borrow the model bytes). */
typedef struct tproto {
    nn_pb msg;                /* the message, for the second (decoding) walk */
    str name;
    int64_t dtype;
    int rank;
    int64_t dims[NN_MAX_RANK];
    int has_raw;
    str raw;
    int external;
    str location;
    uint64_t offset, length;
    int has_offset, has_length;
    size_t n_float, n_int32, n_int64, n_double, n_uint64, n_string;
} tproto;

/* Loop body shorthand: reads the next field of r into f; breaks on end; returns on error. */
#define PB_CAT2(a, b) a##b
#define PB_CAT(a, b) PB_CAT2(a, b)
#define PB_EACH(r, f) PB_EACH_(r, f, PB_CAT(rc_, __LINE__))
#define PB_EACH_(r, f, rc)                                                                   \
    for (int rc; (rc = nn_pb_next((r), (f))) != 0;)                                          \
        if (rc < 0) return (fsift_status)rc; else

void ox_byteswap_if_be(void *data, size_t esize, size_t n);
fsift_status ox_dtype_check(int64_t code, const char *what);
str ox_field_str(const nn_pb_field *f);
const char *ox_onnx_dtype_name(int64_t code);
const char *ox_pname(str s, char *buf, size_t size);
int64_t ox_shape_numel(int rank, const int64_t *dims);
int ox_str_eq(str s, const char *c);
fsift_status ox_want_wire(const nn_pb_field *f, int wire, const char *what);
fsift_status ox_tensor_scan(const nn_pb *r0, tproto *t);
fsift_status ox_tensor_to_graph(ld *L, const tproto *t, const char *name, const char *what, int *idx);

#endif
