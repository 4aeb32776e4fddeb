/*
 * onnx.h — the ONNX loader (internal to src/nn): ModelProto bytes → nn_graph.
 *
 * The loader reads the protobuf directly (pb.h), without generated code, and builds the graph
 * IR with the graph.h builder functions. It accepts default-domain opsets 7–18 (and 1–6
 * for the operators whose meaning has not changed since), initializers
 * stored as raw_data or in the typed fields, external data files next to the model, Constant
 * nodes (turned into graph constants), and initializers that older exporters also list as
 * graph inputs (they stay constants). What it does not implement (subgraph attributes of
 * If/Loop/Scan, sparse tensors, string tensors, sequence/map types, complex and bfloat16)
 * is FSIFT_E_UNSUPPORTED with a message that names the op or tensor.
 *
 * Hostile input: every count and length is checked against the bytes that remain before it
 * is used or allocated; tensor data must match its declared shape exactly, so memory used is
 * bounded by the file size (plus the external data actually present on disk) times a small
 * constant; ranks above 8 and dims above NN_MAX_DIM are FSIFT_E_LIMIT.
 */
#ifndef FSIFT_NN_ONNX_H
#define FSIFT_NN_ONNX_H

#include <stddef.h>

#include "nn/graph.h"

/* Parses an ONNX ModelProto (data: borrowed, `size` bytes) into a new, finalized graph
 * (g->format = FSIFT_MODEL_ONNX, g->opset, g->producer set). base_dir is the folder that
 * external data locations are relative to; NULL forbids external data. Caller owns *out
 * (nn_graph_free). On error *out is NULL and fsift_last_error() says what went wrong. */
fsift_status nn_onnx_load(const void *data, size_t size, const char *base_dir, nn_graph **out);

/* Same, except that the graph inputs named bind_names[0..n_bind) become constants holding
 * bind[i]'s data (borrowed, copied; dtype must match the declared one) instead of inputs.
 * For tests that feed plan-time values (shapes, axes) as graph inputs. */
fsift_status nn_onnx_load_bound(const void *data, size_t size, const char *base_dir, int n_bind,
                                const char *const *bind_names, const fsift_tensor *bind,
                                nn_graph **out);

/* Parses a standalone TensorProto (e.g. the input_N.pb / output_N.pb files of the ONNX node
 * tests) into *out with freshly malloc'd data (caller frees out->data; never NULL on success,
 * a 1-byte block for an empty tensor). If name is not NULL, *name receives a malloc'd copy of
 * the tensor's name ("" if none; caller frees). External data is not allowed here. */
fsift_status nn_onnx_parse_tensor(const void *data, size_t size, fsift_tensor *out, char **name);

#endif
