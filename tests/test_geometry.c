/*
 * test_geometry.c — fsift_similarity_estimate, fsift_warp_affine and fsift_norm_crop on cases
 * with known answers: exact transforms recovered, reflections answered with a proper rotation,
 * degenerate point sets rejected, identity and integer-shift warps copying pixels, borders
 * zero, hostile matrices harmless, and norm_crop of a face already on the template returning
 * the same pixels. Agreement with skimage and cv2.warpAffine is in script_image_oracle.sh.
 */
#include <math.h>

#include "facesift/facesift.h"
#include "harness.h"

static const float TEMPLATE[5][2] = {{38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f},
                                     {41.5493f, 92.3655f}, {70.7299f, 92.2041f}};

static void test_similarity_exact(void) {
    double src[6][2] = {{0, 0}, {10, 0}, {0, 5}, {3, 7}, {-4, 2}, {8, -9}}, dst[6][2], M[2][3];
    double s = 1.7, t = 0.6, a = s * cos(t), b = s * sin(t);
    for (int i = 0; i < 6; i++) {
        dst[i][0] = a * src[i][0] - b * src[i][1] + 12.5;
        dst[i][1] = b * src[i][0] + a * src[i][1] - 3.25;
    }
    for (int n = 2; n <= 6; n++) {
        CHECK_OK(fsift_similarity_estimate((const double(*)[2])src, (const double(*)[2])dst, n, M));
        CHECK_NEAR(M[0][0], a, 1e-12);
        CHECK_NEAR(M[0][1], -b, 1e-12);
        CHECK_NEAR(M[1][0], b, 1e-12);
        CHECK_NEAR(M[1][1], a, 1e-12);
        CHECK_NEAR(M[0][2], 12.5, 1e-11);
        CHECK_NEAR(M[1][2], -3.25, 1e-11);
    }
}

static void test_similarity_reflection(void) {
    /* a mirrored point set: the answer is still a rotation+scale (no reflection) */
    double src[4][2] = {{0, 0}, {4, 0}, {0, 2}, {4, 2}}, dst[4][2], M[2][3];
    for (int i = 0; i < 4; i++) {
        dst[i][0] = -src[i][0];
        dst[i][1] = src[i][1];
    }
    CHECK_OK(fsift_similarity_estimate((const double(*)[2])src, (const double(*)[2])dst, 4, M));
    CHECK_NEAR(M[0][0], M[1][1], 1e-12);
    CHECK_NEAR(M[0][1], -M[1][0], 1e-12);
}

static void test_similarity_degenerate(void) {
    double same[3][2] = {{1, 2}, {1, 2}, {1, 2}}, pts[3][2] = {{0, 0}, {1, 0}, {0, 1}}, M[2][3];
    double nan_pts[3][2] = {{0, 0}, {NAN, 0}, {0, 1}};
    CHECK(fsift_similarity_estimate((const double(*)[2])same, (const double(*)[2])pts, 3, M) == FSIFT_E_INVALID_ARG);
    CHECK(fsift_similarity_estimate((const double(*)[2])pts, (const double(*)[2])same, 3, M) == FSIFT_E_INVALID_ARG);
    CHECK(fsift_similarity_estimate((const double(*)[2])pts, (const double(*)[2])pts, 1, M) == FSIFT_E_INVALID_ARG);
    CHECK(fsift_similarity_estimate((const double(*)[2])pts, (const double(*)[2])nan_pts, 3, M) == FSIFT_E_INVALID_ARG);
    CHECK(fsift_similarity_estimate(NULL, (const double(*)[2])pts, 3, M) == FSIFT_E_INVALID_ARG);
    CHECK(*fsift_last_error() != 0);
}

static void pattern(fsift_image *img) {
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width * img->channels; x++)
            img->data[y * img->stride + x] = (uint8_t)(x * 7 + y * 3 + (x * y) % 11);
}

static void test_warp_identity_and_shift(void) {
    fsift_image src, out;
    CHECK_OK(fsift_image_new(40, 30, 3, &src));
    pattern(&src);
    const double I[2][3] = {{1, 0, 0}, {0, 1, 0}};
    CHECK_OK(fsift_warp_affine(&src, I, 40, 30, &out));
    CHECK(!memcmp(out.data, src.data, src.stride * src.height));
    fsift_image_free(&out);
    /* dst(x, y) = src(x - 5, y + 2): shifted copy, zeros where the source is missing */
    const double T[2][3] = {{1, 0, 5}, {0, 1, -2}};
    CHECK_OK(fsift_warp_affine(&src, T, 50, 30, &out));
    int ok = 1;
    for (int y = 0; y < 30; y++)
        for (int x = 0; x < 50; x++)
            for (int c = 0; c < 3; c++) {
                int sx = x - 5, sy = y + 2;
                uint8_t want = (sx >= 0 && sx < 40 && sy < 30) ? src.data[sy * src.stride + sx * 3 + c] : 0;
                ok &= out.data[y * out.stride + x * 3 + c] == want;
            }
    CHECK(ok);
    fsift_image_free(&out);
    /* half-pixel shift on a gray image: the average of neighbours, and border taps mixing 0 */
    fsift_image g;
    CHECK_OK(fsift_image_new(4, 1, 1, &g));
    g.data[0] = 100, g.data[1] = 200, g.data[2] = 50, g.data[3] = 0;
    const double H[2][3] = {{1, 0, -0.5}, {0, 1, 0}};
    CHECK_OK(fsift_warp_affine(&g, H, 4, 1, &out));
    CHECK(out.data[0] == 150 && out.data[1] == 125 && out.data[2] == 25 && out.data[3] == 0);
    fsift_image_free(&out);
    fsift_image_free(&g);
    fsift_image_free(&src);
}

static void test_warp_hostile(void) {
    fsift_image src, out;
    CHECK_OK(fsift_image_new(16, 16, 3, &src));
    pattern(&src);
    const double far[2][3] = {{1, 0, 1e15}, {0, 1, -1e15}};
    CHECK_OK(fsift_warp_affine(&src, far, 8, 8, &out));
    int zero = 1;
    for (size_t i = 0; i < out.stride * out.height; i++) zero &= out.data[i] == 0;
    CHECK(zero);
    fsift_image_free(&out);
    const double singular[2][3] = {{0, 0, 3}, {0, 0, 4}};
    CHECK_OK(fsift_warp_affine(&src, singular, 8, 8, &out)); /* as OpenCV: no crash */
    fsift_image_free(&out);
    const double tiny[2][3] = {{1e-300, 0, 0}, {0, 1e-300, 0}};
    CHECK_OK(fsift_warp_affine(&src, tiny, 8, 8, &out));
    fsift_image_free(&out);
    const double bad[2][3] = {{NAN, 0, 0}, {0, 1, 0}};
    CHECK(fsift_warp_affine(&src, bad, 8, 8, &out) == FSIFT_E_INVALID_ARG);
    CHECK(fsift_warp_affine(&src, far, 0, 8, &out) != FSIFT_OK);
    CHECK(out.data == NULL);
    fsift_image_free(&src);
}

static void test_norm_crop(void) {
    fsift_image src, out;
    CHECK_OK(fsift_image_new(200, 150, 3, &src));
    pattern(&src);
    double M[2][3];
    /* landmarks already on the template: identity, the top-left 112×112 */
    CHECK_OK(fsift_norm_crop(&src, TEMPLATE, 112, &out, M));
    CHECK_NEAR(M[0][0], 1, 1e-6);
    CHECK_NEAR(M[1][0], 0, 1e-6);
    CHECK_NEAR(M[0][2], 0, 1e-4);
    CHECK_NEAR(M[1][2], 0, 1e-4);
    CHECK(out.width == 112 && out.height == 112 && out.channels == 3);
    int diff = 0;
    for (int y = 0; y < 112; y++) diff += memcmp(out.data + y * out.stride, src.data + y * src.stride, 112 * 3) != 0;
    CHECK(diff == 0);
    fsift_image_free(&out);
    /* 224: template doubled; 128: template + 8 px in x */
    float k2[5][2];
    for (int i = 0; i < 5; i++) k2[i][0] = TEMPLATE[i][0] * 2, k2[i][1] = TEMPLATE[i][1] * 2;
    CHECK_OK(fsift_norm_crop(&src, k2, 224, &out, M));
    CHECK_NEAR(M[0][0], 1, 1e-6);
    CHECK_NEAR(M[0][2], 0, 1e-4);
    fsift_image_free(&out);
    for (int i = 0; i < 5; i++) k2[i][0] = TEMPLATE[i][0] + 8, k2[i][1] = TEMPLATE[i][1];
    CHECK_OK(fsift_norm_crop(&src, k2, 128, &out, NULL));
    CHECK(out.width == 128);
    fsift_image_free(&out);
    float same[5][2] = {{5, 5}, {5, 5}, {5, 5}, {5, 5}, {5, 5}};
    CHECK(fsift_norm_crop(&src, same, 112, &out, M) == FSIFT_E_INVALID_ARG);
    CHECK(fsift_norm_crop(&src, TEMPLATE, 0, &out, M) == FSIFT_E_INVALID_ARG);
    fsift_image_free(&src);
}

int main(void) {
    RUN(test_similarity_exact);
    RUN(test_similarity_reflection);
    RUN(test_similarity_degenerate);
    RUN(test_warp_identity_and_shift);
    RUN(test_warp_hostile);
    RUN(test_norm_crop);
    return test_summary();
}
