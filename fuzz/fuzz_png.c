/*
 * fuzz_png.c — libFuzzer target for the PNG decoder wrapper (src/image/decode_png.c): any bytes
 * go to its probe and decode entry points directly (no sniffing in front), with options
 * taken from the last input byte (DCT scale 1/2/4/8, allow_truncated, orientation). The pixel
 * limit is 1 Mpx so that a valid-looking header cannot make every run allocate hundreds of MB
 * (the limit checks themselves are exercised all the same). Nothing may crash, leak, hang or
 * trip ASan/UBSan; an error is the expected outcome for most inputs.
 *
 * Seeds: fuzz/corpus/png/ (small files made by fuzz/make_image_corpus.py).
 */
#include <stddef.h>
#include <stdint.h>

#include "facesift/image.h"
#include "image/image_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    o.max_pixels = 1u << 20;
    uint8_t k = size ? data[size - 1] : 0;
    o.scale_denom = 1 << (k & 3);
    o.allow_truncated = (k >> 2) & 1;
    o.apply_orientation = (k >> 3) & 1;
    fsift_image_info info = {0};
    info.orientation = 1;
    (void)img_png_probe(data, size, &o, &info);
    fsift_image img;
    if (img_png_decode(data, size, &o, &img, &info) == FSIFT_OK) {
        if (o.apply_orientation && info.orientation > 1) {
            fsift_image r;
            if (fsift_image_orient(&img, info.orientation, &r) == FSIFT_OK) fsift_image_free(&r);
        }
        fsift_image_free(&img);
    }
    return 0;
}
