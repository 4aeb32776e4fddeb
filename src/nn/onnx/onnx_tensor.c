/*
 * onnx_tensor.c — TensorProto for the ONNX loader: a first walk summarises the message
 * (dtype, dims, which data field, external-data entries), then the data is checked against
 * the shape (count × element size, overflow-checked) and copied or converted into the graph:
 * raw_data (little-endian), the typed repeated fields, or an external file relative to the
 * model's folder (never absolute, never `..`, each distinct file's size counted against the
 * budget). nn_onnx_parse_tensor serves .pb test data files (the ONNX backend node tests).
 * No global state.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/onnx/onnx_internal.h"

/* ---- TensorProto ---------------------------------------------------------------------- */

static fsift_status parse_u64_dec(str s, uint64_t *out) {
    if (s.n == 0 || s.n > 20) return FSIFT_E_FORMAT;
    uint64_t v = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9') return FSIFT_E_FORMAT;
        if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, s.p[i] - '0', &v))
            return FSIFT_E_FORMAT;
    }
    *out = v;
    return FSIFT_OK;
}

static fsift_status scan_external_entry(tproto *t, const nn_pb *parent, const nn_pb_field *ef) {
    nn_pb r;
    nn_pb_field f;
    fsift_status st;
    str key = {0}, val = {0};
    if ((st = nn_pb_sub(parent, ef, &r))) return st;
    PB_EACH(&r, &f) {
        if (f.num == 1 || f.num == 2) {
            if ((st = ox_want_wire(&f, NN_PB_LEN, "external_data entry"))) return st;
            if (f.num == 1) key = ox_field_str(&f);
            else val = ox_field_str(&f);
        }
    }
    if (ox_str_eq(key, "location")) {
        t->location = val;
    } else if (ox_str_eq(key, "offset") || ox_str_eq(key, "length")) {
        uint64_t v;
        if (parse_u64_dec(val, &v))
            return fsift_error(FSIFT_E_FORMAT, "onnx: external data %s is not a decimal number",
                               ox_str_eq(key, "offset") ? "offset" : "length");
        if (ox_str_eq(key, "offset")) {
            t->offset = v;
            t->has_offset = 1;
        } else {
            t->length = v;
            t->has_length = 1;
        }
    } /* checksum and unknown keys are ignored */
    return FSIFT_OK;
}

/* Walks a TensorProto message (reader r positioned at its start) into *t. */
fsift_status ox_tensor_scan(const nn_pb *r0, tproto *t) {
    nn_pb r = *r0;
    nn_pb_field f;
    fsift_status st;
    memset(t, 0, sizeof *t);
    t->msg = *r0;
    PB_EACH(&r, &f) {
        nn_pb_iter it;
        size_t n;
        uint64_t v;
        switch (f.num) {
        case 1: /* dims */
            if ((st = nn_pb_iter_init(&it, &f, NN_PB_VARINT, &n))) return st;
            while (nn_pb_iter_next(&it, &v)) {
                int64_t d = (int64_t)v;
                if (t->rank >= NN_MAX_RANK)
                    return fsift_error(FSIFT_E_LIMIT, "onnx: tensor has more than %d dims",
                                       NN_MAX_RANK);
                if (d < 0)
                    return fsift_error(FSIFT_E_FORMAT, "onnx: tensor has negative dim %lld",
                                       (long long)d);
                if (d > NN_MAX_DIM)
                    return fsift_error(FSIFT_E_LIMIT, "onnx: tensor dim %lld exceeds the limit",
                                       (long long)d);
                t->dims[t->rank++] = d;
            }
            break;
        case 2:
            if ((st = ox_want_wire(&f, NN_PB_VARINT, "tensor data_type"))) return st;
            t->dtype = (int64_t)f.u;
            break;
        case 3:
            return fsift_error(FSIFT_E_UNSUPPORTED, "onnx: segmented tensors are not supported");
        case 4:
            if ((st = nn_pb_iter_init(&it, &f, NN_PB_I32, &n))) return st;
            t->n_float += n;
            break;
        case 5:
            if ((st = nn_pb_iter_init(&it, &f, NN_PB_VARINT, &n))) return st;
            t->n_int32 += n;
            break;
        case 6:
            if ((st = ox_want_wire(&f, NN_PB_LEN, "tensor string_data"))) return st;
            t->n_string++;
            break;
        case 7:
            if ((st = nn_pb_iter_init(&it, &f, NN_PB_VARINT, &n))) return st;
            t->n_int64 += n;
            break;
        case 8:
            if ((st = ox_want_wire(&f, NN_PB_LEN, "tensor name"))) return st;
            t->name = ox_field_str(&f);
            break;
        case 9:
            if ((st = ox_want_wire(&f, NN_PB_LEN, "tensor raw_data"))) return st;
            t->has_raw = 1;
            t->raw = ox_field_str(&f);
            break;
        case 10:
            if ((st = nn_pb_iter_init(&it, &f, NN_PB_I64, &n))) return st;
            t->n_double += n;
            break;
        case 11:
            if ((st = nn_pb_iter_init(&it, &f, NN_PB_VARINT, &n))) return st;
            t->n_uint64 += n;
            break;
        case 13:
            if ((st = scan_external_entry(t, &r, &f))) return st;
            break;
        case 14:
            if ((st = ox_want_wire(&f, NN_PB_VARINT, "tensor data_location"))) return st;
            if (f.u > 1)
                return fsift_error(FSIFT_E_FORMAT, "onnx: invalid data_location %llu",
                                   (unsigned long long)f.u);
            t->external = f.u == 1;
            break;
        default:
            break;
        }
    }
    return FSIFT_OK;
}

/* Which typed field holds elements of a dtype, and how many it has. */
static int typed_field(const tproto *t, size_t *count) {
    switch (t->dtype) {
    case FSIFT_DTYPE_FLOAT32: *count = t->n_float; return 4;
    case FSIFT_DTYPE_INT64: *count = t->n_int64; return 7;
    case FSIFT_DTYPE_FLOAT64: *count = t->n_double; return 10;
    case FSIFT_DTYPE_UINT32:
    case FSIFT_DTYPE_UINT64: *count = t->n_uint64; return 11;
    default: *count = t->n_int32; return 5; /* int8/16/32, uint8/16, bool, float16 */
    }
}

/* Checks the external file and the byte budget; fills *ino info. */
static fsift_status ext_open(ld *L, const tproto *t, const char *what, size_t nbytes, int *fd_out) {
    char nb[80];
    *fd_out = -1;
    if (!L || !L->base_dir)
        return fsift_error(FSIFT_E_INVALID_ARG,
                           "onnx: %s uses external data, which needs the model's folder "
                           "(load the model from a file, or give a base folder)", what);
    if (t->location.n == 0)
        return fsift_error(FSIFT_E_FORMAT, "onnx: %s: external data without a location", what);
    /* Relative path only, no '..' component, no backslash, no NUL. */
    const uint8_t *p = t->location.p;
    size_t n = t->location.n;
    if (p[0] == '/' || memchr(p, 0, n) || memchr(p, '\\', n))
        return fsift_error(FSIFT_E_FORMAT,
                           "onnx: %s: external data location '%s' must be a relative path",
                           what, ox_pname(t->location, nb, sizeof nb));
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j] != '/') j++;
        if (j - i == 2 && p[i] == '.' && p[i + 1] == '.')
            return fsift_error(FSIFT_E_FORMAT,
                               "onnx: %s: external data location '%s' leaves the model's folder",
                               what, ox_pname(t->location, nb, sizeof nb));
        i = j + 1;
    }
    size_t blen = strlen(L->base_dir);
    if (blen > SIZE_MAX / 2 || n > SIZE_MAX / 2)
        return fsift_error(FSIFT_E_LIMIT, "onnx: path too long");
    char *path = malloc(blen + n + 2);
    if (!path) return fsift_error(FSIFT_E_NOMEM, "onnx: out of memory");
    memcpy(path, L->base_dir, blen);
    path[blen] = '/';
    memcpy(path + blen + 1, p, n);
    path[blen + 1 + n] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    fsift_status st = FSIFT_OK;
    if (fd < 0) {
        st = fsift_error(FSIFT_E_IO, "onnx: %s: cannot open external data file %s: %s", what,
                         path, strerror(errno));
    } else if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = fsift_error(FSIFT_E_IO, "onnx: %s: external data %s is not a regular file", what,
                         path);
    } else {
        uint64_t fsize = (uint64_t)sb.st_size;
        if (t->has_length && t->length != nbytes)
            st = fsift_error(FSIFT_E_FORMAT,
                             "onnx: %s: external data length %llu does not match the %zu bytes "
                             "its shape needs", what, (unsigned long long)t->length, nbytes);
        else if (t->offset > fsize || nbytes > fsize - t->offset)
            st = fsift_error(FSIFT_E_FORMAT,
                             "onnx: %s: external data needs %zu bytes at offset %llu but %s "
                             "has %llu", what, nbytes, (unsigned long long)t->offset, path,
                             (unsigned long long)fsize);
        if (!st) {
            int known = 0;
            for (int i = 0; i < L->n_files; i++)
                if (L->files[i].dev == sb.st_dev && L->files[i].ino == sb.st_ino) known = 1;
            if (!known) {
                if (L->n_files == L->cap_files) {
                    int cap = L->cap_files ? 2 * L->cap_files : 8;
                    ext_file *nf = realloc(L->files, (size_t)cap * sizeof *nf);
                    if (!nf) st = fsift_error(FSIFT_E_NOMEM, "onnx: out of memory");
                    else L->files = nf, L->cap_files = cap;
                }
                if (!st) {
                    L->files[L->n_files].dev = sb.st_dev;
                    L->files[L->n_files].ino = sb.st_ino;
                    L->n_files++;
                    L->ext_budget += fsize;
                }
            }
            if (!st && nbytes > L->ext_budget - L->ext_used)
                st = fsift_error(FSIFT_E_LIMIT,
                                 "onnx: %s: tensors read more external data than the external "
                                 "files hold", what);
            if (!st) L->ext_used += nbytes;
        }
    }
    free(path);
    if (st) {
        if (fd >= 0) close(fd);
        return st;
    }
    *fd_out = fd;
    return FSIFT_OK;
}

/* Validates a scanned tensor: dtype, size, and that exactly the right amount of data is
 * present. Writes the byte size to *nbytes. Does not touch external files. */
static fsift_status tensor_check(const tproto *t, const char *what, size_t *nbytes) {
    fsift_status st = ox_dtype_check(t->dtype, what);
    if (st) return st;
    int64_t numel = ox_shape_numel(t->rank, t->dims);
    size_t es = fsift_dtype_size((int)t->dtype);
    if (numel < 0 || (uint64_t)numel > SIZE_MAX / es)
        return fsift_error(FSIFT_E_LIMIT, "onnx: %s: element count overflows", what);
    size_t nb = (size_t)numel * es;
    *nbytes = nb;
    if (t->n_string)
        return fsift_error(FSIFT_E_FORMAT, "onnx: %s: string_data in a %s tensor", what,
                           ox_onnx_dtype_name(t->dtype));
    size_t count;
    int fld = typed_field(t, &count);
    size_t other = t->n_float + t->n_int32 + t->n_int64 + t->n_double + t->n_uint64 - count;
    if (other)
        return fsift_error(FSIFT_E_FORMAT,
                           "onnx: %s: typed data field does not match dtype %s", what,
                           ox_onnx_dtype_name(t->dtype));
    if (t->external) {
        if (t->has_raw || count)
            return fsift_error(FSIFT_E_FORMAT, "onnx: %s: external tensor also holds data", what);
        return FSIFT_OK;
    }
    if (t->has_raw) {
        if (count)
            return fsift_error(FSIFT_E_FORMAT, "onnx: %s: both raw_data and typed data", what);
        if (t->raw.n != nb)
            return fsift_error(FSIFT_E_FORMAT,
                               "onnx: %s: raw_data has %zu bytes but shape %s of %s needs %zu",
                               what, t->raw.n,
                               nn_shape_str(t->rank, t->dims, (char[96]){0}, 96),
                               ox_onnx_dtype_name(t->dtype), nb);
        return FSIFT_OK;
    }
    if ((int64_t)count != numel)
        return fsift_error(FSIFT_E_FORMAT,
                           "onnx: %s: has %zu data elements (field %d) but shape %s needs %lld",
                           what, count, fld, nn_shape_str(t->rank, t->dims, (char[96]){0}, 96),
                           (long long)numel);
    return FSIFT_OK;
}

/* Decodes a checked tensor's data into dst (nbytes bytes). External data is read from fd,
 * opened (and its size checked) by ext_open before dst was allocated. */
static fsift_status tensor_fill(const tproto *t, int fd, const char *what, void *dst,
                                size_t nbytes) {
    size_t es = fsift_dtype_size((int)t->dtype);
    if (nbytes == 0) return FSIFT_OK;
    if (t->external) {
        size_t got = 0;
        while (got < nbytes) {
            ssize_t k = pread(fd, (uint8_t *)dst + got, nbytes - got, (off_t)(t->offset + got));
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0)
                return fsift_error(FSIFT_E_IO, "onnx: %s: short read of external data", what);
            got += (size_t)k;
        }
        ox_byteswap_if_be(dst, es, nbytes / es);
        return FSIFT_OK;
    }
    if (t->has_raw) {
        memcpy(dst, t->raw.p, nbytes);
        ox_byteswap_if_be(dst, es, nbytes / es);
        return FSIFT_OK;
    }
    size_t count;
    uint32_t fld = (uint32_t)typed_field(t, &count);
    int ew = fld == 4 ? NN_PB_I32 : fld == 10 ? NN_PB_I64 : NN_PB_VARINT;
    nn_pb r = t->msg;
    nn_pb_field f;
    size_t i = 0;
    PB_EACH(&r, &f) {
        if (f.num != fld) continue;
        nn_pb_iter it;
        size_t n;
        uint64_t v;
        fsift_status st = nn_pb_iter_init(&it, &f, ew, &n);
        if (st) return st;
        while (nn_pb_iter_next(&it, &v)) {
            if (i >= count) return fsift_error(FSIFT_E_INTERNAL, "onnx: tensor element count");
            switch (t->dtype) {
            case FSIFT_DTYPE_FLOAT32: ((uint32_t *)dst)[i] = (uint32_t)v; break;
            case FSIFT_DTYPE_FLOAT64:
            case FSIFT_DTYPE_INT64:
            case FSIFT_DTYPE_UINT64: ((uint64_t *)dst)[i] = v; break;
            case FSIFT_DTYPE_INT32:
            case FSIFT_DTYPE_UINT32: ((uint32_t *)dst)[i] = (uint32_t)v; break;
            case FSIFT_DTYPE_INT16:
            case FSIFT_DTYPE_UINT16:
            case FSIFT_DTYPE_FLOAT16: ((uint16_t *)dst)[i] = (uint16_t)v; break;
            case FSIFT_DTYPE_BOOL: ((uint8_t *)dst)[i] = (uint32_t)v != 0; break;
            default: ((uint8_t *)dst)[i] = (uint8_t)v; break; /* int8, uint8 */
            }
            i++;
        }
    }
    if (i != count) return fsift_error(FSIFT_E_INTERNAL, "onnx: tensor element count");
    return FSIFT_OK;
}

/* Scans, checks and stores a TensorProto as a graph constant named `name` (NULL: anonymous;
 * the TensorProto's own name is not used). */
fsift_status ox_tensor_to_graph(ld *L, const tproto *t, const char *name, const char *what,
                                    int *idx) {
    size_t nbytes;
    int fd = -1;
    fsift_status st = tensor_check(t, what, &nbytes);
    if (!st && t->external && nbytes) st = ext_open(L, t, what, nbytes, &fd);
    if (!st) st = nn_graph_add_const(L->g, name, (int)t->dtype, t->rank, t->dims, NULL, nbytes, idx);
    if (!st) st = tensor_fill(t, fd, what, L->g->vals[*idx].data, nbytes);
    if (fd >= 0) close(fd);
    return st;
}

fsift_status nn_onnx_parse_tensor(const void *data, size_t size, fsift_tensor *out, char **name) {
    tproto t;
    nn_pb r;
    size_t nbytes;
    fsift_status st;
    memset(out, 0, sizeof *out);
    if (name) *name = NULL;
    if (!data && size) return fsift_error(FSIFT_E_INVALID_ARG, "onnx: NULL tensor data");
    nn_pb_init(&r, data, size);
    if ((st = ox_tensor_scan(&r, &t))) return st;
    if (t.external)
        return fsift_error(FSIFT_E_UNSUPPORTED, "onnx: standalone tensor with external data");
    if ((st = tensor_check(&t, "tensor", &nbytes))) return st;
    void *buf = malloc(nbytes ? nbytes : 1);
    if (!buf) return fsift_error(FSIFT_E_NOMEM, "onnx: out of memory for a %zu-byte tensor", nbytes);
    if ((st = tensor_fill(&t, -1, "tensor", buf, nbytes))) {
        free(buf);
        return st;
    }
    if (name) {
        *name = malloc(t.name.n + 1);
        if (!*name) {
            free(buf);
            return fsift_error(FSIFT_E_NOMEM, "onnx: out of memory");
        }
        if (t.name.n) memcpy(*name, t.name.p, t.name.n);
        (*name)[t.name.n] = 0;
    }
    out->dtype = (int)t.dtype;
    out->rank = t.rank;
    memcpy(out->dims, t.dims, sizeof t.dims);
    out->data = buf;
    return FSIFT_OK;
}
