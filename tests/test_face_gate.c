/*
 * test_face_gate.c — the build's first look (fsift_face_gate, BlazeFace front 128) on the real
 * model (models/, fetched by scripts/fetch-models.sh; skipped with the reason printed when
 * absent): it must see every labelled face that covers ≥ 4% of its photo at ≥ half that share
 * (the build's slack: FSIFT_BUILD_GATE_SLACK), on the photos and on copies reduced as the
 * build's pre-filter reduces them (256 px, BOX), and for a labelled face pasted at 4–16% of
 * canvases of three aspects; it must see nothing on a blank image; 1×1,
 * 20000×200 and gray images are answered without error; sessions on one shared gate agree.
 * The labelled faces come from tests/data/faces/labels.json (box = x1, y1, x2, y2) and the
 * photos from samples/photos/ (scripts/fetch-photos.sh); missing photos are skipped with the
 * reason printed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "facesift/face.h"
#include "facesift/pipeline.h"
#include "harness.h"

static fsift_face_gate *g_gate;

static float gate_ratio(fsift_face_gate_session *s, const fsift_image *img, int *n) {
    float r = -1;
    CHECK_OK(fsift_face_gate_run(s, img, &r, n));
    return r;
}

/* Every labelled face ≥ 4% of its photo: seen at ≥ slack × its share, at full size and on the
 * 256 px BOX reduction the build uses. */
static void test_labelled_faces(void) {
    if (!g_gate) TEST_SKIP("gate model missing (see the message above)");
    const char *src = test_env("FSIFT_SOURCE_DIR", ".");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/faces/labels.json", src);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    CHECK_MSG(root != NULL, "%s: %s", path, err.text);
    if (!root) return;
    fsift_face_gate_session *s = NULL;
    CHECK_OK(fsift_face_gate_session_new(g_gate, &s));
    json_t *images = json_object_get(root, "images");
    const char *name;
    json_t *rec;
    int checked = 0;
    json_object_foreach(images, name, rec) {
        snprintf(path, sizeof path, "%s/samples/photos/%s", src, name);
        fsift_image img = {0};
        if (test_load_image(path, &img)) {
            fprintf(stderr, "SKIP reason: %s missing (scripts/fetch-photos.sh)\n", path);
            continue;
        }
        double best = 0;
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(rec, "faces"), i, f) {
            json_t *b = json_object_get(f, "bbox");
            double w = json_number_value(json_array_get(b, 2)) - json_number_value(json_array_get(b, 0));
            double h = json_number_value(json_array_get(b, 3)) - json_number_value(json_array_get(b, 1));
            double r = w * h / ((double)img.width * img.height);
            if (r > best) best = r;
        }
        int big = img.width > img.height ? img.width : img.height;
        fsift_image small = {0};
        if (big > 256)
            CHECK_OK(fsift_image_resize(&img, (int)(img.width * 256.0 / big + 0.5), (int)(img.height * 256.0 / big + 0.5),
                                        FSIFT_RESIZE_BOX, &small));
        int n = 0;
        float r_full = gate_ratio(s, &img, &n), r_small = small.data ? gate_ratio(s, &small, NULL) : r_full;
        printf("  %-18s labelled largest face %.4f, first look %.4f (full) %.4f (256 px), %d candidates\n", name, best,
               r_full, r_small, n);
        if (best >= 0.04) {
            checked++;
            CHECK_MSG(r_full >= FSIFT_BUILD_GATE_SLACK * best, "%s: first look %.4f < %.2f x %.4f", name, r_full,
                      FSIFT_BUILD_GATE_SLACK, best);
            CHECK_MSG(r_small >= FSIFT_BUILD_GATE_SLACK * best, "%s at 256 px: first look %.4f < %.2f x %.4f", name,
                      r_small, FSIFT_BUILD_GATE_SLACK, best);
        }
        fsift_image_free(&small);
        fsift_image_free(&img);
    }
    if (!checked) fprintf(stderr, "SKIP reason: no labelled photo with a face >= 4%% found\n");
    fsift_face_gate_session_free(s);
    json_decref(root);
}

/* Grace Hopper's labelled face (box + 40% margin) pasted on gray canvases of aspect 2:1, 1:1
 * and 1:2 so that its box covers 4%, 8% and 16% of the canvas, at the centre and in a corner:
 * the first look must see at least the build's slack × that share on the 256 px reduction. */
static void test_pasted_faces(void) {
    if (!g_gate) TEST_SKIP("gate model missing (see the message above)");
    char path[4096];
    snprintf(path, sizeof path, "%s/samples/photos/grace_hopper.jpg", test_env("FSIFT_SOURCE_DIR", "."));
    fsift_image photo = {0};
    if (test_load_image(path, &photo)) TEST_SKIP("samples/photos/grace_hopper.jpg missing (scripts/fetch-photos.sh)");
    /* tests/data/faces/labels.json: grace_hopper.jpg face box */
    const float bx1 = 175.5f, by1 = 113.5f, bx2 = 353.0f, by2 = 331.5f;
    float mw = (bx2 - bx1) * 0.4f, mh = (by2 - by1) * 0.4f;
    int cx1 = (int)(bx1 - mw), cy1 = (int)(by1 - mh), cx2 = (int)(bx2 + mw), cy2 = (int)(by2 + mh);
    if (cx1 < 0) cx1 = 0;
    if (cy1 < 0) cy1 = 0;
    if (cx2 > photo.width) cx2 = photo.width;
    if (cy2 > photo.height) cy2 = photo.height;
    fsift_image crop = photo;
    crop.data = photo.data + (size_t)cy1 * photo.stride + 3 * (size_t)cx1;
    crop.width = cx2 - cx1, crop.height = cy2 - cy1;
    fsift_face_gate_session *s = NULL;
    CHECK_OK(fsift_face_gate_session_new(g_gate, &s));
    static const int dims[][2] = {{1600, 800}, {1200, 1200}, {800, 1600}};
    static const double shares[] = {0.04, 0.08, 0.16};
    for (int d = 0; d < 3; d++)
        for (int k = 0; k < 3; k++)
            for (int corner = 0; corner < 2; corner++) {
                int W = dims[d][0], H = dims[d][1];
                double scale = sqrt(shares[k] * W * H / ((double)(bx2 - bx1) * (by2 - by1)));
                int pw = (int)(crop.width * scale), ph = (int)(crop.height * scale);
                fsift_image canvas = {0}, pasted = {0}, small = {0};
                CHECK_OK(fsift_image_new(W, H, 3, &canvas));
                CHECK_OK(fsift_image_resize(&crop, pw, ph, FSIFT_RESIZE_BILINEAR, &pasted));
                if (!canvas.data || !pasted.data) continue;
                for (int y = 0; y < H; y++) memset(canvas.data + (size_t)y * canvas.stride, 128, (size_t)W * 3);
                /* the margin may not fit: the paste is clipped to the canvas */
                int ox = corner || pw >= W ? 0 : (W - pw) / 2, oy = corner || ph >= H ? 0 : (H - ph) / 2;
                for (int y = 0; y < ph && oy + y < H; y++)
                    memcpy(canvas.data + (size_t)(oy + y) * canvas.stride + 3 * (size_t)ox,
                           pasted.data + (size_t)y * pasted.stride, 3 * (size_t)(pw < W - ox ? pw : W - ox));
                int big = W > H ? W : H;
                CHECK_OK(fsift_image_resize(&canvas, (int)(W * 256.0 / big + 0.5), (int)(H * 256.0 / big + 0.5), FSIFT_RESIZE_BOX,
                                            &small));
                float r = gate_ratio(s, &small, NULL);
                CHECK_MSG(r >= FSIFT_BUILD_GATE_SLACK * shares[k], "%dx%d, face %.2f of it (%s): first look %.4f", W, H,
                          shares[k], corner ? "corner" : "centre", r);
                fsift_image_free(&canvas);
                fsift_image_free(&pasted);
                fsift_image_free(&small);
            }
    fsift_face_gate_session_free(s);
    fsift_image_free(&photo);
}

/* Nothing on a blank image; odd sizes and gray images answer without error; two sessions on
 * the shared gate give the same answer. */
static void test_blank_odd_sizes(void) {
    if (!g_gate) TEST_SKIP("gate model missing (see the message above)");
    fsift_face_gate_session *s = NULL, *s2 = NULL;
    CHECK_OK(fsift_face_gate_session_new(g_gate, &s));
    CHECK_OK(fsift_face_gate_session_new(g_gate, &s2));
    static const int sizes[][3] = {{320, 240, 3}, {1, 1, 3}, {20000, 200, 3}, {200, 20000, 3}, {300, 200, 1}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        fsift_image img = {0};
        CHECK_OK(fsift_image_new(sizes[k][0], sizes[k][1], sizes[k][2], &img));
        if (!img.data) continue;
        for (int y = 0; y < img.height; y++) memset(img.data + (size_t)y * img.stride, 128, (size_t)img.width * img.channels);
        int n = -1;
        float r = gate_ratio(s, &img, &n);
        CHECK_MSG(r == 0 && n == 0, "blank %dx%dx%d: ratio %g, %d candidates", sizes[k][0], sizes[k][1], sizes[k][2], r, n);
        CHECK(gate_ratio(s2, &img, NULL) == r);
        fsift_image_free(&img);
    }
    fsift_image none = {0};
    float r;
    CHECK(fsift_face_gate_run(s, &none, &r, NULL) == FSIFT_E_INVALID_ARG);
    fsift_face_gate_session_free(s);
    fsift_face_gate_session_free(s2);
}

int main(void) {
    fsift_face_gate *g = NULL;
    if (fsift_face_gate_load(NULL, &g))
        fprintf(stderr, "SKIP reason: %s (scripts/fetch-models.sh)\n", fsift_last_error());
    g_gate = g;
    RUN(test_labelled_faces);
    RUN(test_pasted_faces);
    RUN(test_blank_odd_sizes);
    fsift_face_gate_free(g);
    fsift_face_gate *bad = NULL;
    CHECK(fsift_face_gate_load("/nonexistent-models-dir", &bad) != FSIFT_OK && bad == NULL);
    return test_summary();
}
