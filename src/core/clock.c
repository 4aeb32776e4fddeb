/*
 * clock.c — a monotonic millisecond clock and a sort for timing samples, shared by the
 * CLI's --repeat and the benchmarks.
 */
#include <stdlib.h>
#include <time.h>

#include "facesift/core.h"

double fsift_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void fsift_sort_doubles(double *v, size_t n) { qsort(v, n, sizeof *v, cmp_double); }
