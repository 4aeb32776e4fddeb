/*
 * test_draw.c — drawing: draw_kps's colours and layout on a known landmark set (limbs at 0.6
 * brightness, points at full colour, black elsewhere), argument checks, and the bounds of the
 * preview primitives: rectangles, discs and text at any coordinates — huge, negative, far off
 * the image — must never write outside the pixels (checked with guard bytes around a padded
 * image, and by ASan in the sanitizer build). Pixel agreement with OpenCV is in
 * script_image_oracle.sh.
 */
#include <limits.h>

#include "facesift/facesift.h"
#include "harness.h"

static const float KPS[5][2] = {{200, 200}, {300, 200}, {250, 250}, {210, 310}, {290, 310}};

static const uint8_t *px(const fsift_image *img, int x, int y) { return img->data + y * img->stride + x * 3; }

static int is_rgb(const uint8_t *p, int r, int g, int b) { return p[0] == r && p[1] == g && p[2] == b; }

static void test_kps_layout(void) {
    fsift_image out;
    CHECK_OK(fsift_draw_kps(512, 400, KPS, &out));
    CHECK(out.width == 512 && out.height == 400 && out.channels == 3);
    CHECK(is_rgb(px(&out, 200, 200), 255, 0, 0));   /* left eye */
    CHECK(is_rgb(px(&out, 300, 200), 0, 255, 0));   /* right eye */
    CHECK(is_rgb(px(&out, 250, 250), 0, 0, 255));   /* nose */
    CHECK(is_rgb(px(&out, 210, 310), 255, 255, 0)); /* left mouth */
    CHECK(is_rgb(px(&out, 290, 310), 255, 0, 255)); /* right mouth */
    CHECK(is_rgb(px(&out, 209, 200), 255, 0, 0));   /* radius 10 */
    CHECK(is_rgb(px(&out, 212, 200), 0, 0, 0));
    CHECK(is_rgb(px(&out, 225, 225), 153, 0, 0));   /* limb 0-2 at 0.6 */
    CHECK(is_rgb(px(&out, 230, 280), 153, 153, 0)); /* limb 3-2 */
    CHECK(is_rgb(px(&out, 5, 5), 0, 0, 0));
    CHECK(is_rgb(px(&out, 511, 399), 0, 0, 0));
    fsift_image_free(&out);
}

static void test_kps_args(void) {
    fsift_image out;
    float bad[5][2];
    memcpy(bad, KPS, sizeof bad);
    bad[2][1] = NAN;
    CHECK(fsift_draw_kps(64, 64, bad, &out) == FSIFT_E_INVALID_ARG);
    CHECK(out.data == NULL);
    CHECK(fsift_draw_kps(0, 64, KPS, &out) != FSIFT_OK);
    CHECK(fsift_draw_kps(64, 64, NULL, &out) == FSIFT_E_INVALID_ARG);
    /* far away or on top of each other: fine */
    float far[5][2] = {{-1e8f, 3e8f}, {5e8f, -2e8f}, {1e8f, 1e8f}, {-5, -5}, {70, 70}};
    CHECK_OK(fsift_draw_kps(64, 64, far, &out));
    fsift_image_free(&out);
    float same[5][2] = {{10, 10}, {10, 10}, {10, 10}, {10, 10}, {10, 10}};
    CHECK_OK(fsift_draw_kps(32, 32, same, &out));
    CHECK(is_rgb(px(&out, 10, 10), 255, 0, 255)); /* the last point drawn wins */
    fsift_image_free(&out);
}

/* A 37×23 RGB view into a larger buffer with guard bytes around it. */
#define GUARD 64
typedef struct guarded {
    uint8_t *buf;
    size_t size;
    fsift_image img;
} guarded;

static void guarded_clear(guarded *g) {
    for (int y = 0; y < 23; y++) memset(g->img.data + y * g->img.stride, 0, (size_t)37 * g->img.channels);
}

static void guarded_new(guarded *g, int channels) {
    g->img.width = 37;
    g->img.height = 23;
    g->img.channels = channels;
    g->img.stride = 37 * channels + 11;
    g->size = g->img.stride * 23 + 2 * GUARD;
    g->buf = malloc(g->size);
    memset(g->buf, 0xA5, g->size);
    g->img.data = g->buf + GUARD;
    guarded_clear(g);
}

static int guarded_ok(const guarded *g) {
    for (size_t i = 0; i < g->size; i++) {
        size_t off = i - GUARD;
        int inside = i >= GUARD && off < g->img.stride * 23 && off % g->img.stride < (size_t)37 * g->img.channels;
        if (!inside && g->buf[i] != 0xA5) return 0;
    }
    return 1;
}

static int count_ink(const guarded *g) {
    int n = 0;
    for (int y = 0; y < 23; y++)
        for (int x = 0; x < 37 * g->img.channels; x++) n += g->img.data[y * g->img.stride + x] != 0;
    return n;
}

static void test_bounds(void) {
    static const int coords[] = {INT_MIN, -1000000, -40, -1, 0, 1, 17, 36, 37, 1000000, INT_MAX};
    const int nc = sizeof coords / sizeof coords[0];
    const uint8_t c[3] = {9, 8, 7};
    for (int ch = 1; ch <= 3; ch += 2) {
        guarded g;
        guarded_new(&g, ch);
        for (int a = 0; a < nc; a++)
            for (int b = 0; b < nc; b++) {
                fsift_draw_rect(&g.img, coords[a], coords[b], coords[(a + 3) % nc], coords[(b + 5) % nc], c, 1 + a);
                fsift_draw_text(&g.img, coords[a], coords[b], "Hi! ~facesift~ 0.9\nsecond line", c, 1 + b % 4);
                fsift_draw_disc(&g.img, (float)coords[a], (float)coords[b], (float)(a * 7), c);
            }
        fsift_draw_rect(&g.img, 0, 0, 36, 22, c, INT_MAX);
        fsift_draw_text(&g.img, 0, 0, "", c, INT_MAX);
        fsift_draw_disc(&g.img, 18, 11, 1e30f, c);
        fsift_draw_disc(&g.img, NAN, 11, 5, c);
        fsift_draw_disc(&g.img, 18, 11, INFINITY, c);
        CHECK_MSG(guarded_ok(&g), "a primitive wrote outside the image (channels %d)", ch);
        fsift_draw_rect(NULL, 0, 0, 1, 1, c, 1);
        fsift_draw_text(NULL, 0, 0, "x", c, 1);
        fsift_draw_disc(NULL, 0, 0, 1, c);
        free(g.buf);
    }
}

static void test_primitives(void) {
    const uint8_t c[3] = {200, 100, 50};
    guarded g;
    guarded_new(&g, 3);
    fsift_draw_rect(&g.img, 2, 3, 10, 8, c, 1);
    /* outline: 2*(9+6)-4 = 26 pixels */
    CHECK(count_ink(&g) == 26 * 3);
    CHECK(is_rgb(g.img.data + 3 * g.img.stride + 2 * 3, 200, 100, 50));
    CHECK(g.img.data[5 * g.img.stride + 5 * 3] == 0); /* inside stays */
    guarded_clear(&g);
    fsift_draw_disc(&g.img, 18.5f, 11.5f, 3.0f, c);
    int n = count_ink(&g) / 3;
    CHECK_MSG(n >= 24 && n <= 32, "disc of radius 3 has %d pixels", n); /* pi r^2 = 28 */
    guarded_clear(&g);
    fsift_draw_text(&g.img, 1, 1, " ", c, 1);
    CHECK(count_ink(&g) == 0);
    fsift_draw_text(&g.img, 1, 1, "I", c, 1);
    CHECK(count_ink(&g) == 11 * 3); /* 3 + 5 + 3 pixels */
    guarded_clear(&g);
    fsift_draw_text(&g.img, 1, 1, "I", c, 2);
    CHECK(count_ink(&g) == 44 * 3);
    CHECK(guarded_ok(&g));
    free(g.buf);
}

int main(void) {
    RUN(test_kps_layout);
    RUN(test_kps_args);
    RUN(test_bounds);
    RUN(test_primitives);
    return test_summary();
}
