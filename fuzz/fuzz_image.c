/*
 * fuzz_image.c — libFuzzer target for the public decode entry points: any bytes go through
 * fsift_image_probe and fsift_image_decode (format sniffing, the limits, the GIF and BMP
 * readers, every decoder, EXIF orientation parsing for JPEG/PNG/WebP and its application),
 * with options from the last input byte. The bytes also go straight to the EXIF parser as a
 * TIFF block. Pixel limit 1 Mpx (see fuzz_jpeg.c). Nothing may crash, leak, hang or trip
 * ASan/UBSan.
 *
 * Seeds: fuzz/corpus/image/ (small files of every format made by fuzz/make_image_corpus.py).
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
    (void)img_exif_orientation(data, size);
    fsift_image_info info;
    (void)fsift_image_probe(data, size, &o, &info);
    fsift_image img;
    if (fsift_image_decode(data, size, &o, &img, &info) == FSIFT_OK) fsift_image_free(&img);
    return 0;
}
