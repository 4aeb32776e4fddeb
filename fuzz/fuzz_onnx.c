/*
 * fuzz_onnx.c — libFuzzer target for the ONNX loader: any bytes go through
 * fsift_model_load_memory(FSIFT_MODEL_ONNX) with no base folder (so external data is refused,
 * and the fuzzer never touches the file system). A model that loads is also planned — shape
 * inference, constant folding, memory planning — for its declared input shapes with dynamic
 * dims set to 1, unless an input would have more than 1e6 elements. Nothing may crash, leak,
 * hang, or trip ASan/UBSan; an error is the expected outcome for most inputs.
 *
 * Seeds: fuzz/corpus/onnx/ (tiny valid models made by fuzz/make_corpus.sh).
 */
#include <stddef.h>
#include <stdint.h>

#include "facesift/core.h"
#include "facesift/nn.h"

#define MAX_INPUTS 16
#define MAX_NUMEL 1000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Declared shape of input i with dynamic dims as 1; 0 if too large or unknown. */
static int input_shape(const fsift_model *m, int i, fsift_tensor *t) {
    fsift_io_info info;
    if (fsift_model_input(m, i, &info) != FSIFT_OK || info.rank < 0 || info.rank > FSIFT_MAX_RANK)
        return 0;
    t->dtype = info.dtype;
    t->rank = info.rank;
    t->data = NULL;
    int64_t numel = 1;
    for (int d = 0; d < info.rank; d++) {
        int64_t v = info.dims[d] < 0 ? 1 : info.dims[d];
        if (v > MAX_NUMEL) return 0;
        t->dims[d] = v;
        numel *= v;
        if (numel > MAX_NUMEL) return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fsift_model *m = NULL;
    if (fsift_model_load_memory(data, size, FSIFT_MODEL_ONNX, NULL, &m) != FSIFT_OK) return 0;
    int n = fsift_model_num_inputs(m);
    fsift_tensor in[MAX_INPUTS];
    int ok = n >= 0 && n <= MAX_INPUTS;
    for (int i = 0; ok && i < n; i++) ok = input_shape(m, i, &in[i]);
    if (ok) {
        fsift_session *s = NULL;
        if (fsift_session_new(m, 1, &s) == FSIFT_OK) (void)fsift_session_plan(s, in, n);
        fsift_session_free(s);
    }
    fsift_model_free(m);
    return 0;
}
