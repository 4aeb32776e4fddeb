/*
 * test_face_models.c — the face analyzer on the real embedded models (models/, fetched by
 * scripts/fetch-models.sh; skipped with the reason printed when absent) and on the bad
 * inputs of issue 4: an image with one known face (skimage's astronaut: one face, box ≈
 * 3.4–4.3% of the image per REFERENCE.md, eyes in the upper half of the box, left eye left
 * of the right eye), a blank 320×240 image (0 faces), 1×1 and 20000×200 images (no crash: zero
 * faces), a face cut by the image border (landmarks outside the image, still embedded), and
 * a grid of 169 faces (100 kept: the max_faces cap; n_found reports the ≥ 110 found). Also
 * threads: two analyzers on one shared model set give identical results, and the same face
 * shifted/rescaled embeds with cosine ≥ 0.8, and `facesift build`'s detect-small-then-refine
 * path gives the landmarks of detect on the full photo within 2 px (astronaut.png, and the
 * labelled photos when scripts/fetch-photos.sh fetched them). Runs for the "mtcnn" and "blazeface" sets
 * (FSIFT_FACE_SET=NAME: that set only).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "facesift/face.h"
#include "harness.h"

static fsift_face_models *g_models;
static fsift_image g_astro;

/* Copies src into dst at (ox, oy), clipped. */
static void paste(fsift_image *dst, const fsift_image *src, int ox, int oy) {
    for (int y = 0; y < src->height; y++) {
        int dy = oy + y;
        if (dy < 0 || dy >= dst->height) continue;
        for (int x = 0; x < src->width; x++) {
            int dx = ox + x;
            if (dx < 0 || dx >= dst->width) continue;
            memcpy(dst->data + (size_t)dy * dst->stride + 3 * (size_t)dx, src->data + (size_t)y * src->stride + 3 * (size_t)x, 3);
        }
    }
}

static int have_models(void) { return g_models != NULL && g_astro.data != NULL; }

static void test_astronaut(void) {
    if (!have_models()) TEST_SKIP("models or astronaut.png missing (see the message above)");
    fsift_face_analyzer *a = NULL;
    CHECK_OK(fsift_face_analyzer_new(g_models, &a));
    fsift_face_list l = {0};
    CHECK_OK(fsift_face_analyze(a, &g_astro, 1, &l));
    CHECK_MSG(l.n == 1, "found %d faces", l.n);
    if (l.n >= 1) {
        fsift_face *f = &l.faces[0];
        CHECK_MSG(f->area_ratio > 0.025f && f->area_ratio < 0.06f, "area_ratio %g", f->area_ratio);
        CHECK(f->det_score >= 0.5f && f->det_score <= 1.0f);
        CHECK(f->kps[0][0] < f->kps[1][0]);                 /* left eye left of right eye */
        CHECK(f->kps[3][0] < f->kps[4][0]);                 /* mouth corners likewise */
        CHECK(f->kps[2][1] > f->kps[0][1] && f->kps[3][1] > f->kps[2][1]); /* eyes, nose, mouth downwards */
        for (int k = 0; k < 5; k++)
            CHECK(f->kps[k][0] > f->bbox[0] && f->kps[k][0] < f->bbox[2] && f->kps[k][1] > f->bbox[1] &&
                  f->kps[k][1] < f->bbox[3]);
        CHECK(f->embedding_dim == fsift_face_models_embedding_dim(g_models));
        double nn = 0;
        for (int i = 0; i < f->embedding_dim; i++) nn += (double)f->normed_embedding[i] * f->normed_embedding[i];
        CHECK_NEAR(nn, 1.0, 1e-4);
        /* the same face moved and scaled ×1.5 inside a bigger canvas: same person */
        fsift_image big, scaled;
        CHECK_OK(fsift_image_resize(&g_astro, 768, 768, FSIFT_RESIZE_BILINEAR, &scaled));
        CHECK_OK(fsift_image_new(900, 800, 3, &big));
        paste(&big, &scaled, 100, 20);
        fsift_face_list l2 = {0};
        CHECK_OK(fsift_face_analyze(a, &big, 0, &l2));
        CHECK(l2.n >= 1);
        if (l2.n >= 1) {
            float cs = fsift_face_cosine(f->embedding, l2.faces[0].embedding, f->embedding_dim);
            CHECK_MSG(cs >= 0.8f, "cosine %g", cs);
            CHECK_NEAR(l2.faces[0].kps[0][0], 100 + 1.5 * f->kps[0][0], 6.0);
            CHECK_NEAR(l2.faces[0].kps[0][1], 20 + 1.5 * f->kps[0][1], 6.0);
        }
        fsift_face_list_free(&l2);
        fsift_image_free(&big);
        fsift_image_free(&scaled);
    }
    fsift_face_list_free(&l);
    fsift_face_analyzer_free(a);
}

static void test_blank_tiny_wide(void) {
    if (!have_models()) TEST_SKIP("models or astronaut.png missing");
    fsift_face_analyzer *a = NULL;
    CHECK_OK(fsift_face_analyzer_new(g_models, &a));
    fsift_face_list l = {0};
    fsift_image img;
    static const int sizes[][2] = {{320, 240}, {1, 1}, {20000, 200}, {200, 20000}, {13, 7}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        CHECK_OK(fsift_image_new(sizes[i][0], sizes[i][1], 3, &img));
        memset(img.data, 128, img.stride * (size_t)img.height);
        CHECK_OK(fsift_face_analyze(a, &img, 1, &l));
        CHECK_MSG(l.n == 0 && l.n_found == 0, "%dx%d: %d faces", sizes[i][0], sizes[i][1], l.n);
        fsift_image_free(&img);
    }
    /* invalid image: an error with a message, not a crash */
    fsift_image bad = {.width = 0, .height = 5, .channels = 3, .stride = 0, .data = (uint8_t *)"x"};
    CHECK(fsift_face_detect(a, &bad, &l) == FSIFT_E_INVALID_ARG);
    CHECK(fsift_face_detect(a, NULL, &l) == FSIFT_E_INVALID_ARG);
    fsift_face_list_free(&l);
    fsift_face_analyzer_free(a);
}

static void test_border_face(void) {
    if (!have_models()) TEST_SKIP("models or astronaut.png missing");
    /* shift the astronaut left so that her face (x ≈ 180–265) is cut at the left edge */
    fsift_image img;
    CHECK_OK(fsift_image_new(400, 512, 3, &img));
    paste(&img, &g_astro, -215, 0);
    fsift_face_analyzer *a = NULL;
    CHECK_OK(fsift_face_analyzer_new(g_models, &a));
    fsift_face_list l = {0};
    CHECK_OK(fsift_face_analyze(a, &img, 1, &l));
    for (int i = 0; i < l.n; i++) {
        CHECK(l.faces[i].embedding_dim > 0);
        CHECK(l.faces[i].area_ratio >= 0.0f && l.faces[i].area_ratio < 1.0f);
    }
    /* a hand-made face with landmarks outside the image still aligns and embeds */
    fsift_face f;
    memset(&f, 0, sizeof f);
    const float kps[5][2] = {{-30, 40}, {10, 40}, {-10, 60}, {-26, 80}, {6, 80}};
    memcpy(f.kps, kps, sizeof kps);
    fsift_image crop;
    CHECK_OK(fsift_face_embed(a, &img, &f, &crop));
    CHECK(f.embedding_dim == fsift_face_models_embedding_dim(g_models));
    CHECK(crop.width == 112 && crop.height == 112);
    fsift_image_free(&crop);
    f.kps[2][0] = 0.0f / 0.0f; /* NaN: refused */
    CHECK(fsift_face_embed(a, &img, &f, NULL) == FSIFT_E_INVALID_ARG);
    fsift_face_list_free(&l);
    fsift_face_analyzer_free(a);
    fsift_image_free(&img);
}

static void test_many_faces(void) {
    if (!have_models()) TEST_SKIP("models or astronaut.png missing");
    /* a 13×13 grid of the astronaut's head (cropped 150×150 around the face, scaled to 56) */
    fsift_image head, tile, grid;
    CHECK_OK(fsift_image_new(150, 150, 3, &head));
    paste(&head, &g_astro, -150, -40);
    CHECK_OK(fsift_image_resize(&head, 56, 56, FSIFT_RESIZE_BILINEAR, &tile));
    CHECK_OK(fsift_image_new(13 * 56, 13 * 56, 3, &grid));
    for (int r = 0; r < 13; r++)
        for (int c = 0; c < 13; c++) paste(&grid, &tile, c * 56, r * 56);
    CHECK(fsift_face_models_options(g_models)->max_faces == 100); /* the default cap */
    /* MTCNN's pyramid finds most of the 169 and the cap keeps the 100 largest; BlazeFace sees
     * the image at 256 px (faces ~20 px, a 16 px anchor grid) and finds fewer than 169 but
     * still far more than the build's 3: each set must report what it found, sorted */
    static const char *sets[] = {"mtcnn", "default"};
    for (int s = 0; s < 2; s++) {
        fsift_face_models *m = NULL;
        CHECK_OK(fsift_face_models_load(sets[s], NULL, &m));
        if (!m) continue;
        fsift_face_analyzer *a = NULL;
        CHECK_OK(fsift_face_analyzer_new(m, &a));
        fsift_face_list l = {0};
        CHECK_OK(fsift_face_detect(a, &grid, &l));
        if (s == 0) {
            CHECK_MSG(l.n == 100, "%s kept %d", sets[s], l.n);
            CHECK_MSG(l.n_found >= 110 && l.n_found <= 169, "%s found %d of 169", sets[s], l.n_found);
        } else {
            CHECK_MSG(l.n_found >= 60 && l.n_found <= 169, "%s found %d of 169", sets[s], l.n_found);
            CHECK_MSG(l.n == (l.n_found < 100 ? l.n_found : 100), "%s kept %d of %d", sets[s], l.n, l.n_found);
        }
        for (int i = 1; i < l.n; i++) {
            float a0 = (l.faces[i - 1].bbox[2] - l.faces[i - 1].bbox[0]) * (l.faces[i - 1].bbox[3] - l.faces[i - 1].bbox[1]);
            float a1 = (l.faces[i].bbox[2] - l.faces[i].bbox[0]) * (l.faces[i].bbox[3] - l.faces[i].bbox[1]);
            CHECK(a0 >= a1);
        }
        fsift_face_list_free(&l);
        fsift_face_analyzer_free(a);
        fsift_face_models_free(m);
    }
    fsift_image_free(&head);
    fsift_image_free(&tile);
    fsift_image_free(&grid);
}

static void test_two_analyzers_agree(void) {
    if (!have_models()) TEST_SKIP("models or astronaut.png missing");
    fsift_face_analyzer *a = NULL, *b = NULL;
    CHECK_OK(fsift_face_analyzer_new(g_models, &a));
    CHECK_OK(fsift_face_analyzer_new(g_models, &b));
    fsift_face_list la = {0}, lb = {0};
    fsift_image small; /* half size: the face is still ~45 px wide */
    CHECK_OK(fsift_image_resize(&g_astro, 256, 256, FSIFT_RESIZE_BILINEAR, &small));
    CHECK_OK(fsift_face_analyze(a, &small, 1, &la));
    CHECK_OK(fsift_face_analyze(b, &small, 1, &lb));
    CHECK_OK(fsift_face_analyze(a, &small, 1, &la)); /* second run on a warm analyzer */
    CHECK(la.n >= 1);
    fsift_image_free(&small);
    CHECK(la.n == lb.n);
    for (int i = 0; i < la.n && i < lb.n; i++) {
        CHECK(!memcmp(la.faces[i].bbox, lb.faces[i].bbox, sizeof la.faces[i].bbox));
        CHECK(!memcmp(la.faces[i].embedding, lb.faces[i].embedding, sizeof(float) * (size_t)la.faces[i].embedding_dim));
    }
    fsift_face_list_free(&la);
    fsift_face_list_free(&lb);
    fsift_face_analyzer_free(a);
    fsift_face_analyzer_free(b);
}

/* `facesift build`'s path against `facesift analyze`'s: detect on a 1/4-size copy, map the
 * faces onto the full photo (fsift_face_list_rescale), refine there — the landmarks must
 * agree with detect on the full photo within 2 px (the build's e2e test compares the stored
 * landmarks with analyze on the saved image). Every face of the full-size detection that the
 * 1/4 copy also found is compared; the worst difference is printed. */
static double g_refine_worst;

static void refine_vs_detect(fsift_face_analyzer *a, const char *name, const fsift_image *full, int coarse,
                             int small_side) {
    fsift_image quarter;
    int qw = (full->width + 2) / 4, qh = (full->height + 2) / 4;
    if (small_side > 0) { /* the build's pre-filter size: longest side small_side */
        double k = (double)small_side / (full->width > full->height ? full->width : full->height);
        qw = (int)lround(full->width * k), qh = (int)lround(full->height * k);
    }
    CHECK_OK(fsift_image_resize(full, qw, qh, FSIFT_RESIZE_BILINEAR, &quarter));
    fsift_face_list ref = {0}, l = {0};
    CHECK_OK(fsift_face_detect(a, full, &ref));
    CHECK_OK(coarse ? fsift_face_detect_coarse(a, &quarter, &l) : fsift_face_detect(a, &quarter, &l));
    fsift_face_list_rescale(&l, (double)full->width / qw, (double)full->height / qh, full->width, full->height);
    CHECK_OK(fsift_face_refine(a, full, &l));
    int compared = 0;
    for (int i = 0; i < ref.n; i++) {
        const fsift_face *r = &ref.faces[i];
        float cx = 0.5f * (r->bbox[0] + r->bbox[2]), cy = 0.5f * (r->bbox[1] + r->bbox[3]);
        const fsift_face *best = NULL;
        for (int j = 0; j < l.n; j++) {
            const fsift_face *f = &l.faces[j];
            if (cx > f->bbox[0] && cx < f->bbox[2] && cy > f->bbox[1] && cy < f->bbox[3]) best = f;
        }
        if (!best) continue; /* too small on the 1/4 copy */
        double worst = 0;
        for (int k = 0; k < 5; k++) {
            double d = hypot(best->kps[k][0] - r->kps[k][0], best->kps[k][1] - r->kps[k][1]);
            if (d > worst) worst = d;
        }
        compared++;
        if (worst > g_refine_worst) g_refine_worst = worst;
        CHECK_MSG(worst <= 2.0, "%s face %d (box %.0fx%.0f): refined landmarks %.2f px from detect's", name, i,
                  r->bbox[2] - r->bbox[0], r->bbox[3] - r->bbox[1], worst);
    }
    fprintf(stderr, "  %s from %dx%d%s: %d of %d faces compared, refine vs detect worst landmark %.2f px so far\n",
            name, qw, qh, coarse ? " (coarse)" : "", compared, ref.n, g_refine_worst);
    CHECK_MSG(compared >= 1, "%s: no face found on both the full and the 1/4 copy", name);
    fsift_face_list_free(&ref);
    fsift_face_list_free(&l);
    fsift_image_free(&quarter);
}

static void test_refine_matches_detect(void) {
    if (!have_models()) TEST_SKIP("models or astronaut.png missing");
    fsift_face_analyzer *a = NULL;
    CHECK_OK(fsift_face_analyzer_new(g_models, &a));
    g_refine_worst = 0;
    refine_vs_detect(a, "astronaut.png", &g_astro, 0, 0);
    refine_vs_detect(a, "astronaut.png", &g_astro, 1, 256);
    /* the labelled photos (scripts/fetch-photos.sh): 1920-px photos with 3-5 faces */
    const char *src = test_env("FSIFT_SOURCE_DIR", ".");
    static const char *photos[] = {"grace_hopper.jpg", "sample1.jpg", "sample3.jpg", "sample4.jpg", "sample5.jpg",
                                   "sample6.jpg"};
    int missing = 0;
    for (size_t i = 0; i < sizeof photos / sizeof photos[0]; i++) {
        char path[4096];
        fsift_image img;
        snprintf(path, sizeof path, "%s/samples/photos/%s", src, photos[i]);
        if (test_load_image(path, &img)) /* any format; EXIF orientation applied */ {
            missing++;
            continue;
        }
        refine_vs_detect(a, photos[i], &img, 0, 0);
        refine_vs_detect(a, photos[i], &img, 1, 0); /* the small copy detected with fsift_face_detect_coarse */
        if (i == 0) refine_vs_detect(a, photos[i], &img, 1, 256); /* grace_hopper: a face big enough at 256 px */
        fsift_image_free(&img);
    }
    if (missing) fprintf(stderr, "  %d labelled photos missing in samples/photos (run scripts/fetch-photos.sh)\n", missing);
    fsift_face_analyzer_free(a);
}

static void run_set(const char *set) {
    fprintf(stderr, "== model set %s\n", set);
    char path[4096];
    snprintf(path, sizeof path, "%s/mtcnn/pnet.tflite", test_env("FSIFT_MODELS_DIR", "models"));
    if (access(path, R_OK))
        fprintf(stderr, "SKIP reason: %s is missing (run scripts/fetch-models.sh)\n", path);
    else if (fsift_face_models_load(set, NULL, &g_models)) {
        fprintf(stderr, "face model set '%s' present but not loadable: %s\n", set, fsift_last_error());
        test_failures_++;
    }
    RUN(test_astronaut);
    RUN(test_blank_tiny_wide);
    RUN(test_border_face);
    RUN(test_many_faces);
    RUN(test_two_analyzers_agree);
    RUN(test_refine_matches_detect);
    fsift_face_models_free(g_models);
    g_models = NULL;
}

int main(void) {
    const char *astro = test_env("FSIFT_ASTRONAUT", "/usr/lib/python3/dist-packages/skimage/data/astronaut.png");
    if (test_load_image(astro, &g_astro)) fprintf(stderr, "SKIP reason: cannot read %s (Debian python3-skimage)\n", astro);
    const char *one = getenv("FSIFT_FACE_SET");
    if (one && *one)
        run_set(one);
    else {
        run_set("mtcnn");
        run_set("blazeface");
    }
    fsift_image_free(&g_astro);
    return test_summary();
}
