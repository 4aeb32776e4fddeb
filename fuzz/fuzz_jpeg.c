/*
 * fuzz_jpeg.c — libFuzzer target for the JPEG decoder wrapper (src/image/decode_jpeg.c); the body and
 * its option encoding are in fuzz_decoder.h.
 *
 * Seeds: fuzz/corpus/jpeg/ (small files made by fuzz/make_image_corpus.py).
 */
#include "fuzz_decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_decoder(data, size, img_jpeg_probe, img_jpeg_decode);
}
