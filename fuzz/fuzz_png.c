/*
 * fuzz_png.c — libFuzzer target for the PNG decoder wrapper (src/image/decode_png.c); the body and
 * its option encoding are in fuzz_decoder.h.
 *
 * Seeds: fuzz/corpus/png/ (small files made by fuzz/make_image_corpus.py).
 */
#include "fuzz_decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_decoder(data, size, img_png_probe, img_png_decode);
}
