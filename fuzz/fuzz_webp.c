/*
 * fuzz_webp.c — libFuzzer target for the WebP decoder wrapper (src/image/decode_webp.c); the body and
 * its option encoding are in fuzz_decoder.h.
 *
 * Seeds: fuzz/corpus/webp/ (small files made by fuzz/make_image_corpus.py).
 */
#include "fuzz_decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_decoder(data, size, img_webp_probe, img_webp_decode);
}
