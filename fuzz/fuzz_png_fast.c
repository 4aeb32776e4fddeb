/*
 * fuzz_png_fast.c — differential libFuzzer target for the PNG fast path (src/image/png_fast.c):
 * every input is decoded by img_png_decode (fast path first, libspng behind it) and by
 * img_png_decode_spng (libspng only), with allow_truncated from bit 2 of the last byte and a
 * 1 Mpx limit as in fuzz_decoder.h. It aborts when libspng decodes a file the other call
 * refuses, or when both decode it to different sizes or pixels. One outcome is allowed: the
 * fast path decoding a file libspng calls corrupt, which happens only for the few malformed
 * deflate streams libdeflate accepts and zlib refuses (see png_fast.c). fuzz_png already
 * sends every input through the fast path for crashes, leaks and sanitizer reports; this one
 * checks the pixels.
 *
 * Seeds: fuzz/corpus/png_fast/ (8-bit non-interlaced files of every colour type, palette with
 * tRNS, a stream split over many IDATs).
 */
#include <stdlib.h>
#include <string.h>

#include "facesift/image.h"
#include "image/image_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    o.max_pixels = 1u << 20;
    o.allow_truncated = size && (data[size - 1] >> 2 & 1);
    fsift_image a, b;
    fsift_image_info ia, ib;
    memset(&ia, 0, sizeof ia);
    memset(&ib, 0, sizeof ib);
    fsift_status sa = img_png_decode(data, size, &o, &a, &ia);
    fsift_status sb = img_png_decode_spng(data, size, &o, &b, &ib);
    if (sb == FSIFT_OK && sa != FSIFT_OK) abort();
    if (sa == FSIFT_OK && sb == FSIFT_OK &&
        (a.width != b.width || a.height != b.height || a.stride != b.stride ||
         memcmp(a.data, b.data, (size_t)a.height * a.stride) != 0))
        abort();
    if (sa == FSIFT_OK) fsift_image_free(&a);
    if (sb == FSIFT_OK) fsift_image_free(&b);
    return 0;
}
