/*
 * fuzz_tflite.c — libFuzzer target for the TFLite loader: any bytes go through
 * fsift_model_load_memory(FSIFT_MODEL_TFLITE); a model that loads is also planned (shape
 * inference, constant folding, memory planning) for its declared input shapes, dynamic dims
 * set to 1, unless an input has more than 1e6 elements. Nothing may crash, leak, or trip
 * ASan/UBSan; errors are the expected outcome for most inputs.
 *
 * Seeds: fuzz/corpus/tflite/ (MTCNN P-Net and the small models test_tflite_load builds).
 */
#include <stddef.h>
#include <stdint.h>

#include "facesift/core.h"
#include "facesift/nn.h"

#define MAX_INPUTS 16
#define MAX_NUMEL 1000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fsift_model *m = NULL;
    if (fsift_model_load_memory(data, size, FSIFT_MODEL_TFLITE, NULL, &m) != FSIFT_OK) return 0;
    int n = fsift_model_num_inputs(m);
    fsift_tensor in[MAX_INPUTS];
    int ok = n >= 0 && n <= MAX_INPUTS;
    for (int i = 0; ok && i < n; i++) {
        fsift_io_info info;
        if (fsift_model_input(m, i, &info) != FSIFT_OK) {
            ok = 0;
            break;
        }
        in[i].dtype = info.dtype;
        in[i].rank = info.rank;
        in[i].data = NULL;
        int64_t numel = 1;
        for (int d = 0; d < info.rank; d++) {
            in[i].dims[d] = info.dims[d] < 0 ? 1 : info.dims[d];
            if (in[i].dims[d] > MAX_NUMEL) numel = MAX_NUMEL + 1;
            else numel *= in[i].dims[d];
            if (numel > MAX_NUMEL) break;
        }
        if (numel > MAX_NUMEL) ok = 0;
    }
    if (ok) {
        fsift_session *s = NULL;
        if (fsift_session_new(m, 1, &s) == FSIFT_OK) fsift_session_plan(s, in, n);
        fsift_session_free(s);
    }
    fsift_model_free(m);
    return 0;
}
