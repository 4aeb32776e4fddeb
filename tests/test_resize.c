/*
 * test_resize.c — fsift_image_resize: argument checks, exact copies, constant images, strides,
 * and agreement with a plain reimplementation of Pillow's separable convolution written here
 * from the same description (double weights → 2^22 fixed point, horizontal pass first). The
 * comparison with Pillow itself is in script_image_oracle.sh; this test needs no Python and
 * checks whichever kernel (portable or AVX2) the CPU selects, bit for bit.
 */
#include <limits.h>
#include <stdint.h>

#include "facesift/facesift.h"
#include "harness.h"
#include "image/resize_internal.h"

static uint32_t rng_state = 12345;
static uint32_t rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

static void fill_random(fsift_image *img) {
    for (int y = 0; y < img->height; y++)
        for (size_t i = 0; i < (size_t)img->width * img->channels; i++)
            img->data[(size_t)y * img->stride + i] = (uint8_t)rnd();
}

/* ---- the plain reference ---- */
static double ref_filter(int f, double x) {
    if (x < 0) x = -x;
    if (f == FSIFT_RESIZE_BILINEAR) return x < 1 ? 1 - x : 0;
    if (f == FSIFT_RESIZE_BICUBIC) {
        double a = -0.5;
        if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
        return 0;
    }
    return 0;
}

static double ref_box(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }

/* one axis resample of a line of `n` samples spaced `step` apart */
static void ref_line(const uint8_t *in, int n, size_t istep, uint8_t *out, int m, size_t ostep, int f) {
    double scale = (double)n / m, fs = scale > 1 ? scale : 1;
    double support = (f == FSIFT_RESIZE_BOX ? 0.5 : f == FSIFT_RESIZE_BILINEAR ? 1.0 : 2.0) * fs;
    for (int j = 0; j < m; j++) {
        double c = (j + 0.5) * scale;
        int lo = (int)(c - support + 0.5), hi = (int)(c + support + 0.5);
        if (lo < 0) lo = 0;
        if (hi > n) hi = n;
        double w[4096], sum = 0;
        for (int i = lo; i < hi; i++) {
            double x = (i - c + 0.5) / fs;
            w[i - lo] = f == FSIFT_RESIZE_BOX ? ref_box(x) : ref_filter(f, x);
            sum += w[i - lo];
        }
        long long acc = 1 << 21;
        for (int i = lo; i < hi; i++) {
            double v = (sum != 0 ? w[i - lo] / sum : w[i - lo]) * (1 << 22);
            long long wi = (long long)(v < 0 ? v - 0.5 : v + 0.5);
            acc += wi * in[(size_t)i * istep];
        }
        long long r = acc < 0 ? 0 : acc >> 22;
        out[(size_t)j * ostep] = (uint8_t)(r > 255 ? 255 : r);
    }
}

static void ref_resize(const fsift_image *s, int W, int H, int f, uint8_t *out) {
    int ch = s->channels;
    uint8_t *tmp = malloc((size_t)W * s->height * ch);
    for (int y = 0; y < s->height; y++)
        for (int c = 0; c < ch; c++) {
            if (W == s->width)
                for (int x = 0; x < W; x++) tmp[((size_t)y * W + x) * ch + c] = s->data[y * s->stride + (size_t)x * ch + c];
            else
                ref_line(s->data + y * s->stride + c, s->width, ch, tmp + (size_t)y * W * ch + c, W, ch, f);
        }
    for (int x = 0; x < W; x++)
        for (int c = 0; c < ch; c++) {
            if (H == s->height)
                for (int y = 0; y < H; y++) out[((size_t)y * W + x) * ch + c] = tmp[((size_t)y * W + x) * ch + c];
            else
                ref_line(tmp + (size_t)x * ch + c, s->height, (size_t)W * ch, out + (size_t)x * ch + c, H, (size_t)W * ch, f);
        }
    free(tmp);
}

static void test_errors(void) {
    fsift_image src, out;
    CHECK_OK(fsift_image_new(4, 3, 3, &src));
    CHECK(fsift_image_resize(NULL, 2, 2, FSIFT_RESIZE_BILINEAR, &out) == FSIFT_E_INVALID_ARG);
    CHECK(out.data == NULL);
    CHECK(fsift_image_resize(&src, 0, 2, FSIFT_RESIZE_BILINEAR, &out) == FSIFT_E_INVALID_ARG);
    CHECK(fsift_image_resize(&src, 2, -1, FSIFT_RESIZE_BILINEAR, &out) == FSIFT_E_INVALID_ARG);
    CHECK(fsift_image_resize(&src, 2, 2, (fsift_resize_filter)7, &out) == FSIFT_E_INVALID_ARG);
    CHECK(fsift_image_resize(&src, 2, 2, FSIFT_RESIZE_BILINEAR, NULL) == FSIFT_E_INVALID_ARG);
    CHECK(fsift_image_resize(&src, INT_MAX, INT_MAX, FSIFT_RESIZE_BICUBIC, &out) != FSIFT_OK);
    CHECK(out.data == NULL);
    /* both images within the limits, the intermediate (out width × in height) is not */
    fsift_image tall = {.width = 2, .height = 60000, .channels = 1, .stride = 2};
    tall.data = calloc(2, 60000);
    CHECK(fsift_image_resize(&tall, 60000, 1000, FSIFT_RESIZE_BILINEAR, &out) == FSIFT_E_LIMIT);
    CHECK(out.data == NULL);
    free(tall.data);
    fsift_image bad = src;
    bad.channels = 4;
    CHECK(fsift_image_resize(&bad, 2, 2, FSIFT_RESIZE_BOX, &out) == FSIFT_E_INVALID_ARG);
    bad = src;
    bad.stride = 2;
    CHECK(fsift_image_resize(&bad, 2, 2, FSIFT_RESIZE_BOX, &out) == FSIFT_E_INVALID_ARG);
    fsift_image_free(&src);
}

static void test_constant_and_copy(void) {
    static const int sizes[][4] = {{1, 1, 9, 4}, {9, 4, 1, 1}, {17, 33, 5, 70}, {640, 3, 1, 9}, {5, 5, 5, 5}};
    for (int ch = 1; ch <= 3; ch += 2)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            fsift_image src, out;
            CHECK_OK(fsift_image_new(sizes[k][0], sizes[k][1], ch, &src));
            memset(src.data, 77, src.stride * src.height);
            for (int f = 0; f <= 3; f++) {
                CHECK_OK(fsift_image_resize(&src, sizes[k][2], sizes[k][3], (fsift_resize_filter)f, &out));
                CHECK(out.width == sizes[k][2] && out.height == sizes[k][3] && out.channels == ch);
                int ok = 1;
                for (int y = 0; y < out.height; y++)
                    for (int x = 0; x < out.width * ch; x++) ok &= out.data[y * out.stride + x] == 77;
                CHECK_MSG(ok, "constant image %dx%d -> %dx%d filter %d ch %d", sizes[k][0], sizes[k][1],
                          sizes[k][2], sizes[k][3], f, ch);
                fsift_image_free(&out);
            }
            fsift_image_free(&src);
        }
}

static void test_vs_reference(void) {
    static const int sizes[][4] = {{1, 1, 3, 2},    {7, 5, 1, 1},    {64, 48, 23, 17}, {23, 17, 64, 48},
                                   {100, 3, 7, 40}, {300, 200, 299, 201}, {1000, 4, 3, 4}, {33, 65, 130, 16},
                                   {2, 2, 3, 3},    {517, 13, 64, 13}};
    int bad = 0, cases = 0;
    for (int ch = 1; ch <= 3; ch += 2)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            fsift_image src, out;
            CHECK_OK(fsift_image_new(sizes[k][0], sizes[k][1], ch, &src));
            fill_random(&src);
            for (int f = 1; f <= 3; f++) {
                int W = sizes[k][2], H = sizes[k][3];
                uint8_t *ref = malloc((size_t)W * H * ch);
                ref_resize(&src, W, H, f, ref);
                CHECK_OK(fsift_image_resize(&src, W, H, (fsift_resize_filter)f, &out));
                cases++;
                if (memcmp(ref, out.data, (size_t)W * H * ch)) {
                    bad++;
                    fprintf(stderr, "differs: %dx%dx%d -> %dx%d filter %d\n", src.width, src.height, ch, W, H, f);
                }
                fsift_image_free(&out);
                free(ref);
            }
            fsift_image_free(&src);
        }
    CHECK_MSG(bad == 0, "%d of %d cases differ from the reference", bad, cases);
}

static void test_stride(void) {
    /* the same pixels in a padded buffer give the same result */
    fsift_image a, out1, out2;
    CHECK_OK(fsift_image_new(31, 19, 3, &a));
    fill_random(&a);
    fsift_image b = a;
    b.stride = a.stride + 13;
    b.data = calloc(b.stride, (size_t)a.height);
    for (int y = 0; y < a.height; y++) memcpy(b.data + y * b.stride, a.data + y * a.stride, a.stride);
    for (int f = 0; f <= 3; f++) {
        CHECK_OK(fsift_image_resize(&a, 12, 40, (fsift_resize_filter)f, &out1));
        CHECK_OK(fsift_image_resize(&b, 12, 40, (fsift_resize_filter)f, &out2));
        CHECK(!memcmp(out1.data, out2.data, out1.stride * out1.height));
        fsift_image_free(&out1);
        fsift_image_free(&out2);
    }
    CHECK_OK(fsift_image_resize(&b, 31, 19, FSIFT_RESIZE_BICUBIC, &out1)); /* same size: copy */
    for (int y = 0; y < a.height; y++) CHECK(!memcmp(out1.data + y * out1.stride, a.data + y * a.stride, a.stride));
    fsift_image_free(&out1);
    free(b.data);
    fsift_image_free(&a);
}

static void test_nearest(void) {
    /* 4 -> 2 picks pixels 1 and 3 (centres 1.0 and 3.0); 2 -> 4 repeats */
    fsift_image src, out;
    CHECK_OK(fsift_image_new(4, 1, 1, &src));
    for (int i = 0; i < 4; i++) src.data[i] = (uint8_t)(10 * i);
    CHECK_OK(fsift_image_resize(&src, 2, 1, FSIFT_RESIZE_NEAREST, &out));
    CHECK(out.data[0] == 10 && out.data[1] == 30);
    fsift_image_free(&out);
    CHECK_OK(fsift_image_resize(&src, 8, 3, FSIFT_RESIZE_NEAREST, &out));
    CHECK(out.data[0] == 0 && out.data[1] == 0 && out.data[2] == 10 && out.data[7] == 30);
    CHECK(!memcmp(out.data, out.data + 2 * out.stride, 8));
    fsift_image_free(&out);
    fsift_image_free(&src);
}

static void test_vrow_kernels(void) {
    /* the AVX2 vertical kernel against the portable one, including clipping */
    if (!fsift_cpu_get()->avx2_fma) TEST_SKIP("no AVX2");
    uint8_t rows[6][77], d1[77], d2[77];
    const uint8_t *rp[6];
    int32_t acc[77], w[6] = {-300000, 1500000, 2800000, 900000, -700000, 3000000};
    for (int t = 0; t < 6; t++) {
        for (int i = 0; i < 77; i++) rows[t][i] = (uint8_t)rnd();
        rp[t] = rows[t];
    }
    for (int n = 1; n <= 6; n++)
        for (int len = 1; len <= 77; len += 19) {
            img_resize_vrow_generic(rp, w, n, len, acc, d1);
            img_resize_vrow_avx2(rp, w, n, len, acc, d2);
            CHECK(!memcmp(d1, d2, (size_t)len));
        }
}

int main(void) {
    RUN(test_errors);
    RUN(test_constant_and_copy);
    RUN(test_vs_reference);
    RUN(test_stride);
    RUN(test_nearest);
    RUN(test_vrow_kernels);
    return test_summary();
}
