/*
 * load.c — fsift_model_load: read a model file, detect its format from the bytes, and hand
 * it to the ONNX or TFLite loader.
 *
 * Detection: a TFLite flatbuffer carries the identifier "TFL3" at bytes 4..7; anything else
 * is parsed as an ONNX ModelProto (protobuf has no magic; the ONNX loader rejects garbage).
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "onnx/onnx.h"
#include "tflite/tflite.h"

fsift_status fsift_model_load_memory(const void *data, size_t size, fsift_model_format format,
                                     const char *base_dir, fsift_model **out) {
    *out = NULL;
    if (!data && size) return fsift_error(FSIFT_E_INVALID_ARG, "model: no data");
    if (format == FSIFT_MODEL_AUTO)
        format = size >= 8 && !memcmp((const char *)data + 4, "TFL3", 4) ? FSIFT_MODEL_TFLITE : FSIFT_MODEL_ONNX;
    nn_graph *g = NULL;
    fsift_status st;
    if (format == FSIFT_MODEL_TFLITE) st = nn_tflite_load(data, size, &g);
    else if (format == FSIFT_MODEL_ONNX) st = nn_onnx_load(data, size, base_dir, &g);
    else return fsift_error(FSIFT_E_INVALID_ARG, "model: unknown format %d", (int)format);
    if (st) return st;
    return nn_model_from_graph(g, out);
}

fsift_status fsift_model_load(const char *path, fsift_model **out) {
    void *data;
    size_t size;
    *out = NULL;
    fsift_status st = fsift_file_read(path, FSIFT_MODEL_MAX_BYTES, &data, &size);
    if (st) return st;
    char *copy = strdup(path);
    if (!copy) {
        free(data);
        return fsift_error(FSIFT_E_NOMEM, "out of memory");
    }
    st = fsift_model_load_memory(data, size, FSIFT_MODEL_AUTO, dirname(copy), out);
    free(copy);
    free(data);
    if (st) fsift_error_prefix("%s", path);
    return st;
}
