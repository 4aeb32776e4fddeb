/*
 * bench_parquet.c — parquet read speed: `bench_parquet FILE COLUMN... [--iters N]` decodes the
 * named columns of every row group of FILE with fsift_parquet_read_column (one thread) and
 * prints one JSON line: rows, value bytes, best and median seconds over N runs, rows/s and
 * MB/s of file. bench/sections/80_fetch.sh runs it beside DuckDB on the same file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "facesift/facesift.h"

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_parquet FILE COLUMN... [--iters N]\n");
        return 2;
    }
    int iters = 5, ncol = 0;
    const char *cols[64];
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (ncol < 64) cols[ncol++] = argv[i];
    }
    if (iters < 1) iters = 1;
    double t[64];
    if (iters > 64) iters = 64;
    int64_t rows = 0;
    uint64_t bytes = 0;
    for (int it = 0; it < iters; it++) {
        double t0 = fsift_now_ms();
        fsift_parquet *pq;
        if (fsift_parquet_open(argv[1], NULL, &pq)) {
            fprintf(stderr, "bench_parquet: %s\n", fsift_last_error());
            return 1;
        }
        rows = 0;
        bytes = 0;
        for (int g = 0; g < fsift_parquet_num_row_groups(pq); g++) {
            for (int c = 0; c < ncol; c++) {
                int ci = fsift_parquet_find_column(pq, cols[c]);
                fsift_parquet_column_data d;
                if (ci < 0 || fsift_parquet_read_column(pq, g, ci, &d)) {
                    fprintf(stderr, "bench_parquet: column %s: %s\n", cols[c], fsift_last_error());
                    return 1;
                }
                if (d.offsets) bytes += d.offsets[d.rows];
                if (c == 0) rows += d.rows;
                fsift_parquet_column_data_free(&d);
            }
        }
        fsift_parquet_free(pq);
        t[it] = (fsift_now_ms() - t0) / 1000.0;
    }
    fsift_sort_doubles(t, (size_t)iters);
    struct stat sb;
    stat(argv[1], &sb);
    printf("{\"rows\": %lld, \"value_bytes\": %llu, \"best_s\": %.4f, \"median_s\": %.4f, \"rows_per_s\": %.0f, "
           "\"file_mb_per_s\": %.1f}\n",
           (long long)rows, (unsigned long long)bytes, t[0], t[iters / 2], rows / t[0], sb.st_size / 1e6 / t[0]);
    return 0;
}
