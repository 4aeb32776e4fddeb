/*
 * harness.h — the tiny test harness: CHECK* macros that count and report failures without
 * stopping, TEST_SKIP that prints a reason, and test_main-style summary. Each test file is
 * one executable: write `static void test_x(void)` functions and call them from main via
 * RUN(test_x); end main with `return test_summary();`.
 */
#ifndef FSIFT_TEST_HARNESS_H
#define FSIFT_TEST_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures_;
static int test_checks_;
static const char *test_current_ = "";

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        test_checks_++;                                                                      \
        if (!(cond)) {                                                                       \
            test_failures_++;                                                                \
            fprintf(stderr, "%s:%d: [%s] CHECK failed: %s\n", __FILE__, __LINE__,            \
                    test_current_, #cond);                                                   \
        }                                                                                    \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                 \
    do {                                                                                     \
        test_checks_++;                                                                      \
        if (!(cond)) {                                                                       \
            test_failures_++;                                                                \
            fprintf(stderr, "%s:%d: [%s] CHECK failed: %s: ", __FILE__, __LINE__,            \
                    test_current_, #cond);                                                   \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fputc('\n', stderr);                                                             \
        }                                                                                    \
    } while (0)

/* Checks an fsift_status is FSIFT_OK and prints fsift_last_error() otherwise. */
#define CHECK_OK(expr)                                                                       \
    do {                                                                                     \
        int st_ = (int)(expr);                                                               \
        CHECK_MSG(st_ == 0, "%s -> %d (%s)", #expr, st_, fsift_last_error());                \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                \
    do {                                                                                     \
        double a_ = (a), b_ = (b);                                                           \
        CHECK_MSG(fabs(a_ - b_) <= (tol), "%g vs %g (tol %g)", a_, b_, (double)(tol));       \
    } while (0)

#define TEST_SKIP(...)                                                                       \
    do {                                                                                     \
        fprintf(stderr, "[%s] SKIP: ", test_current_);                                       \
        fprintf(stderr, __VA_ARGS__);                                                        \
        fputc('\n', stderr);                                                                 \
        return;                                                                              \
    } while (0)

#define RUN(fn)                                                                              \
    do {                                                                                     \
        test_current_ = #fn;                                                                 \
        int before_ = test_failures_;                                                        \
        fn();                                                                                \
        fprintf(stderr, "%-40s %s\n", #fn, test_failures_ == before_ ? "ok" : "FAILED");     \
    } while (0)

static inline int test_summary(void) {
    fprintf(stderr, "%d checks, %d failures\n", test_checks_, test_failures_);
    return test_failures_ ? 1 : 0;
}

/* Reads and decodes an image file (any format facesift decodes, up to 64 MiB); 0 on success.
 * Defined for the tests that include facesift/image.h (directly or through face.h) first. */
#ifdef FACESIFT_IMAGE_H
static inline int test_load_image(const char *path, fsift_image *img) {
    void *data = NULL;
    size_t size = 0;
    if (fsift_file_read(path, 64 << 20, &data, &size)) return -1;
    int st = fsift_image_decode(data, size, NULL, img, NULL);
    free(data);
    return st;
}
#endif

/* Path helpers: $FSIFT_SOURCE_DIR etc., with fallbacks for running by hand. */
static inline const char *test_env(const char *name, const char *def) {
    const char *v = getenv(name);
    return v && *v ? v : def;
}

#endif
