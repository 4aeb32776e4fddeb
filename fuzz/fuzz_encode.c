/*
 * fuzz_encode.c — libFuzzer target for the encoders: the first 6 bytes pick width and height
 * (1..96), channels (1 or 3), row padding (0..7), the PNG level (0..9) and the JPEG quality
 * (1..100); the rest are the pixels (repeated to fill the image). The PNG must decode
 * (fsift_image_decode) to exactly those pixels, and the JPEG must decode to the same size;
 * anything else traps. Small random widths exercise the SSE2 filter's tails and every
 * filter choice; ASan/UBSan watch the in-place IDAT splitting and libjpeg's destination.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 7) return 0;
    int w = 1 + data[0] % 96, h = 1 + data[1] % 96, c = data[2] & 1 ? 3 : 1;
    size_t pad = data[3] % 8;
    int level = data[4] % 10, quality = 1 + data[5] % 100;
    const uint8_t *px = data + 6;
    size_t npx = size - 6;
    fsift_image im = {w, h, c, (size_t)w * (size_t)c + pad, NULL};
    im.data = malloc(im.stride * (size_t)h);
    if (!im.data) return 0;
    for (size_t i = 0; i < im.stride * (size_t)h; i++) im.data[i] = px[i % npx];

    void *buf = NULL;
    size_t n = 0;
    if (fsift_png_encode(&im, level, &buf, &n)) __builtin_trap();
    fsift_image d = {0};
    if (fsift_image_decode(buf, n, NULL, &d, NULL) || d.width != w || d.height != h) __builtin_trap();
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < 3; k++)
                if (d.data[(size_t)y * d.stride + (size_t)x * 3 + (size_t)k] !=
                    im.data[(size_t)y * im.stride + (size_t)x * (size_t)c + (c == 3 ? (size_t)k : 0)])
                    __builtin_trap();
    fsift_image_free(&d);
    free(buf);

    if (fsift_jpeg_encode(&im, quality, &buf, &n)) __builtin_trap();
    if (fsift_image_decode(buf, n, NULL, &d, NULL) || d.width != w || d.height != h) __builtin_trap();
    fsift_image_free(&d);
    free(buf);
    free(im.data);
    return 0;
}
