/*
 * fuzz_decoder.h — the body shared by the per-format decoder fuzz targets (fuzz_jpeg.c,
 * fuzz_png.c, fuzz_webp.c): any bytes go straight to one decoder wrapper's probe and decode
 * entry points (no sniffing in front), with options taken from the last input byte (DCT scale
 * 1/2/4/8, allow_truncated, orientation). The pixel limit is 1 Mpx so that a valid-looking
 * header cannot make every run allocate hundreds of MB (the limit checks themselves are
 * exercised all the same). Nothing may crash, leak, hang or trip ASan/UBSan; an error is the
 * expected outcome for most inputs.
 */
#ifndef FSIFT_FUZZ_DECODER_H
#define FSIFT_FUZZ_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/image.h"
#include "image/image_internal.h"

typedef fsift_status (*fuzz_probe_fn)(const uint8_t *, size_t, const fsift_decode_opts *, fsift_image_info *);
typedef fsift_status (*fuzz_decode_fn)(const uint8_t *, size_t, const fsift_decode_opts *, fsift_image *,
                                       fsift_image_info *);

static inline int fuzz_decoder(const uint8_t *data, size_t size, fuzz_probe_fn probe, fuzz_decode_fn decode) {
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    o.max_pixels = 1u << 20;
    uint8_t k = size ? data[size - 1] : 0;
    o.scale_denom = 1 << (k & 3);
    o.allow_truncated = (k >> 2) & 1;
    o.apply_orientation = (k >> 3) & 1;
    fsift_image_info info = {0};
    info.orientation = 1;
    (void)probe(data, size, &o, &info);
    fsift_image img;
    if (decode(data, size, &o, &img, &info) == FSIFT_OK) {
        if (o.apply_orientation && info.orientation > 1) {
            fsift_image r;
            if (fsift_image_orient(&img, info.orientation, &r) == FSIFT_OK) fsift_image_free(&r);
        }
        fsift_image_free(&img);
    }
    return 0;
}

#endif
