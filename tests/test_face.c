/*
 * test_face.c — unit tests of the face-analysis plumbing that needs no model file: greedy
 * NMS (Union / Min, with and without insightface's +1), weighted NMS, sorting by area with
 * its tie rules, the max_faces cap with n_found, rescaling, cosine, and SCRFD decoding of
 * hand-made output maps. Expected values are worked out by hand from the definitions in
 * REFERENCE.md / face.h (written next to each check), never taken from the code under test.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/face_internal.h"
#include "harness.h"

static face_cand box(float x1, float y1, float x2, float y2, float s) {
    face_cand c;
    memset(&c, 0, sizeof c);
    c.x1 = x1, c.y1 = y1, c.x2 = x2, c.y2 = y2, c.score = s;
    return c;
}

static void test_nms_union(void) {
    /* A (0,0,10,10) s .9; B (1,0,11,10) s .8: IoU = 90/110 = 0.818 → dropped at 0.5;
     * C (20,20,30,30) s .95 disjoint → kept, first (highest score). */
    face_cand c[3] = {box(0, 0, 10, 10, 0.9f), box(1, 0, 11, 10, 0.8f), box(20, 20, 30, 30, 0.95f)};
    int k = face_nms(c, 3, 0.5f, FACE_NMS_UNION, 0);
    CHECK(k == 2);
    CHECK(c[0].score == 0.95f && c[1].score == 0.9f);
    /* at 0.85 B survives (0.818 ≤ 0.85) */
    face_cand d[2] = {box(0, 0, 10, 10, 0.9f), box(1, 0, 11, 10, 0.8f)};
    CHECK(face_nms(d, 2, 0.85f, FACE_NMS_UNION, 0) == 2);
}

static void test_nms_plus_one(void) {
    /* A (0,0,9,9), B (5,0,14,9). Without +1: inter 4·9=36, areas 81 → IoU 36/126 = 0.2857.
     * With +1: inter 5·10=50, areas 100 → IoU 50/150 = 0.3333. Threshold 0.3 separates them. */
    face_cand a[2] = {box(0, 0, 9, 9, 0.9f), box(5, 0, 14, 9, 0.8f)};
    CHECK(face_nms(a, 2, 0.3f, FACE_NMS_UNION, 0) == 2);
    face_cand b[2] = {box(0, 0, 9, 9, 0.9f), box(5, 0, 14, 9, 0.8f)};
    CHECK(face_nms(b, 2, 0.3f, FACE_NMS_UNION, 1) == 1);
}

static void test_nms_min(void) {
    /* small box inside a big one: Union IoU = 4/100 = 0.04, Min overlap = 4/4 = 1 */
    face_cand a[2] = {box(0, 0, 10, 10, 0.9f), box(2, 2, 4, 4, 0.8f)};
    CHECK(face_nms(a, 2, 0.7f, FACE_NMS_UNION, 0) == 2);
    face_cand b[2] = {box(0, 0, 10, 10, 0.9f), box(2, 2, 4, 4, 0.8f)};
    CHECK(face_nms(b, 2, 0.7f, FACE_NMS_MIN, 0) == 1);
}

static void test_nms_equal_scores_stable(void) {
    /* equal scores keep input order: the first of two overlapping boxes wins */
    face_cand a[2] = {box(0, 0, 10, 10, 0.5f), box(0, 0, 10, 11, 0.5f)};
    CHECK(face_nms(a, 2, 0.5f, FACE_NMS_UNION, 0) == 1);
    CHECK(a[0].y2 == 10.0f);
}

static void test_nms_many(void) {
    /* 30000 identical boxes (over FACE_MAX_CANDIDATES): one survives, no crash */
    int n = 30000;
    face_cand *c = malloc((size_t)n * sizeof *c);
    for (int i = 0; i < n; i++) c[i] = box(0, 0, 10, 10, (float)(i % 1000) / 1000.0f);
    CHECK(face_nms(c, n, 0.5f, FACE_NMS_UNION, 0) == 1);
    CHECK(c[0].score == 0.999f);
    free(c);
}

static void test_weighted_nms(void) {
    /* two overlapping boxes (IoU 0.818 > 0.3) merge into the score-weighted mean:
     * x1 = (0·3 + 1·1)/4 = 0.25, x2 = (10·3 + 11·1)/4 = 10.25; score stays the best (0.75). */
    face_cand c[3] = {box(1, 0, 11, 10, 0.25f), box(0, 0, 10, 10, 0.75f), box(50, 50, 60, 60, 0.5f)};
    int k = face_weighted_nms(c, 3, 0.3f);
    CHECK(k == 2);
    CHECK_NEAR(c[0].x1, 0.25, 1e-6);
    CHECK_NEAR(c[0].x2, 10.25, 1e-6);
    CHECK_NEAR(c[0].score, 0.75, 1e-7);
    CHECK_NEAR(c[1].x1, 50.0, 1e-6);
}

static void test_sort_cap_ratio(void) {
    /* areas: 100, 400, 400 (tie: higher score first), 25; image 100×50 = 5000 px */
    face_cand c[4] = {box(0, 0, 10, 10, 0.9f), box(10, 10, 30, 30, 0.6f), box(40, 0, 60, 20, 0.7f),
                      box(0, 0, 5, 5, 0.99f)};
    fsift_face_list l = {0};
    CHECK_OK(face_list_fill(&l, c, 4, 100, 100, 50));
    CHECK(l.n == 4 && l.n_found == 4);
    CHECK(l.faces[0].bbox[0] == 40.0f); /* area 400, score 0.7 */
    CHECK(l.faces[1].bbox[0] == 10.0f); /* area 400, score 0.6 */
    CHECK(l.faces[2].bbox[2] == 10.0f);
    CHECK(l.faces[3].bbox[2] == 5.0f);
    CHECK_NEAR(l.faces[0].area_ratio, 400.0 / 5000.0, 1e-7);
    /* same area and score: smaller x1 first */
    face_cand d[2] = {box(50, 0, 60, 10, 0.5f), box(0, 0, 10, 10, 0.5f)};
    CHECK_OK(face_list_fill(&l, d, 2, 100, 100, 50));
    CHECK(l.faces[0].bbox[0] == 0.0f);
    /* cap: 300 faces, max 100 → the 100 largest, n_found 300 */
    face_cand *e = malloc(300 * sizeof *e);
    for (int i = 0; i < 300; i++) e[i] = box(0, 0, (float)(i + 1), 1, 0.9f);
    CHECK_OK(face_list_fill(&l, e, 300, 100, 1000, 1000));
    CHECK(l.n == 100 && l.n_found == 300);
    CHECK(l.faces[0].bbox[2] == 300.0f && l.faces[99].bbox[2] == 201.0f);
    /* 0 faces */
    CHECK_OK(face_list_fill(&l, e, 0, 100, 10, 10));
    CHECK(l.n == 0 && l.n_found == 0);
    /* max_faces 0: nothing kept, count reported */
    CHECK_OK(face_list_fill(&l, e, 5, 0, 10, 10));
    CHECK(l.n == 0 && l.n_found == 5);
    free(e);
    fsift_face_list_free(&l);
    CHECK(l.faces == NULL && l.capacity == 0);
    fsift_face_list_free(NULL);
}

static void test_rescale(void) {
    face_cand c = box(10, 20, 30, 60, 0.9f);
    for (int k = 0; k < 5; k++) c.kps[k][0] = 10.0f + k, c.kps[k][1] = 20.0f + k;
    fsift_face_list l = {0};
    CHECK_OK(face_list_fill(&l, &c, 1, 10, 100, 100));
    fsift_face_list_rescale(&l, 2.0, 0.5, 200, 50); /* box → (20,10,60,30): 40·20 / (200·50) */
    CHECK(l.faces[0].bbox[0] == 20.0f && l.faces[0].bbox[1] == 10.0f && l.faces[0].bbox[2] == 60.0f &&
          l.faces[0].bbox[3] == 30.0f);
    CHECK(l.faces[0].kps[4][0] == 28.0f && l.faces[0].kps[4][1] == 12.0f);
    CHECK_NEAR(l.faces[0].area_ratio, 800.0 / 10000.0, 1e-7);
    fsift_face_list_free(&l);
}

static void test_cosine(void) {
    float a[3] = {1, 0, 0}, b[3] = {2, 0, 0}, c[3] = {0, 3, 0}, d[3] = {-1, 0, 0}, z[3] = {0, 0, 0};
    CHECK_NEAR(fsift_face_cosine(a, b, 3), 1.0, 1e-6);
    CHECK_NEAR(fsift_face_cosine(a, c, 3), 0.0, 1e-6);
    CHECK_NEAR(fsift_face_cosine(a, d, 3), -1.0, 1e-6);
    CHECK(fsift_face_cosine(a, z, 3) == 0.0f);
}

static void test_scrfd_decode(void) {
    /* 32×32 canvas: stride 8 → 4×4 cells ×2 = 32 rows, stride 16 → 8, stride 32 → 2. */
    float s8[32] = {0}, s16[8] = {0}, s32[2] = {0}, b8[128] = {0}, b16[32] = {0}, b32[8] = {0};
    float k8[320] = {0}, k16[80] = {0}, k32[20] = {0};
    /* row 11 of stride 8: cell 5 → (x, y) = (1, 1) → centre (8, 8); distances (1,2,3,4)·8 */
    s8[11] = 0.9f;
    b8[44] = 1, b8[45] = 2, b8[46] = 3, b8[47] = 4;
    for (int j = 0; j < 5; j++) k8[110 + 2 * j] = 0.5f * (float)j, k8[110 + 2 * j + 1] = -0.25f;
    /* row 3 of stride 32 would be out of range; row 1: cell 0 → centre (0, 0) */
    s32[1] = 0.6f;
    b32[4] = b32[5] = b32[6] = b32[7] = 0.5f;
    s16[0] = 0.49f; /* below the threshold */
    const float *sc[3] = {s8, s16, s32}, *bx[3] = {b8, b16, b32}, *kp[3] = {k8, k16, k32};
    int64_t counts[3] = {32, 8, 2};
    face_cands out = {0};
    CHECK_OK(face_scrfd_decode(sc, bx, kp, counts, 32, 32, 0.5f, 2.0f, &out));
    CHECK(out.n == 2);
    if (out.n == 2) {
        /* (8−8, 8−16, 8+24, 8+32) / 2 = (0, −4, 16, 20) */
        CHECK(out.v[0].x1 == 0.0f && out.v[0].y1 == -4.0f && out.v[0].x2 == 16.0f && out.v[0].y2 == 20.0f);
        /* kps j: ((8 + 0.5j·8)/2, (8 − 2)/2) */
        for (int j = 0; j < 5; j++) CHECK(out.v[0].kps[j][0] == (8.0f + 4.0f * j) / 2 && out.v[0].kps[j][1] == 3.0f);
        /* stride 32, centre (0,0): (−16, −16, 16, 16) / 2 */
        CHECK(out.v[1].x1 == -8.0f && out.v[1].x2 == 8.0f && out.v[1].score == 0.6f);
    }
    /* wrong row count: a clear error */
    int64_t bad[3] = {30, 8, 2};
    out.n = 0;
    CHECK(face_scrfd_decode(sc, bx, kp, bad, 32, 32, 0.5f, 2.0f, &out) == FSIFT_E_SHAPE);
    face_cands_free(&out);
}

static void test_bad_specs(void) {
    fsift_face_models *m = NULL;
    CHECK(fsift_face_models_load("nonsense", NULL, &m) == FSIFT_E_INVALID_ARG && m == NULL);
    CHECK(strstr(fsift_last_error(), "antelopev2:DIR") != NULL);
    CHECK(fsift_face_models_load("antelopev2:/nonexistent-dir", NULL, &m) != FSIFT_OK && m == NULL);
    fsift_face_options o;
    fsift_face_options_default(&o);
    o.det_size = 100; /* not a multiple of 32 */
    CHECK(fsift_face_models_load("mtcnn", &o, &m) == FSIFT_E_INVALID_ARG);
    fsift_face_models_free(NULL);
    fsift_face_analyzer_free(NULL);
}

int main(void) {
    RUN(test_nms_union);
    RUN(test_nms_plus_one);
    RUN(test_nms_min);
    RUN(test_nms_equal_scores_stable);
    RUN(test_nms_many);
    RUN(test_weighted_nms);
    RUN(test_sort_cap_ratio);
    RUN(test_rescale);
    RUN(test_cosine);
    RUN(test_scrfd_decode);
    RUN(test_bad_specs);
    return test_summary();
}
