/*
 * tflite.h — the TFLite flatbuffer loader (internal to src/nn).
 *
 * nn_tflite_load maps subgraph 0 of a .tflite model (schema version 3, "TFL3") onto the graph
 * IR of ../graph.h: each TFLite tensor becomes a value (constants copied out of the file,
 * float16/int8 weights behind a DEQUANTIZE folded to float32 constants at load), each
 * operator one or a few ONNX-semantics nodes using the NHWC extension attributes of ../ops.h
 * ("layout", "activation", "beta"). The graph gets format FSIFT_MODEL_TFLITE, opset 13 and the
 * model description as producer, and is finalized before it is returned.
 *
 * Every offset, length and index in the file is checked before use (see fb.h); bad files are
 * FSIFT_E_FORMAT, quantized models and operators without a mapping FSIFT_E_UNSUPPORTED with a
 * message that names them ("tflite: operator 7 is LSTM (16), which is not supported").
 */
#ifndef FSIFT_NN_TFLITE_H
#define FSIFT_NN_TFLITE_H

#include <stddef.h>

#include "../graph.h"

/* Loads a TFLite model from data[0, size) (borrowed; everything needed is copied into the
 * graph). On success the caller owns *out (free with nn_graph_free); on error *out is NULL
 * and fsift_last_error() says why. */
fsift_status nn_tflite_load(const void *data, size_t size, nn_graph **out);

/* The same without nn_graph_finalize: the mapped graph as the loader made it (nodes in file
 * order, op types not resolved), for tests and tools that inspect the mapping itself. */
fsift_status nn_tflite_build(const void *data, size_t size, nn_graph **out);

/* Name of a TFLite builtin operator code ("CONV_2D"), or NULL for codes this build does not
 * know. Static storage. */
const char *nn_tflite_op_name(int code);

#endif
