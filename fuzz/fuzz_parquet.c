/*
 * fuzz_parquet.c — libFuzzer target for the parquet reader: any bytes are opened as an
 * in-memory file (fsift_parquet_open_mem) with small limits (64 Ki rows per row group, 4 MiB
 * pages and chunks, so a hostile header cannot ask for gigabytes), and every column of every
 * row group is decoded and turned into text cell by cell. Nothing may crash, leak, hang, or
 * trip ASan/UBSan; an error is the expected outcome for most inputs.
 *
 * Seeds: fuzz/corpus/parquet/ (small DuckDB-written files: every codec, pages v1 and v2,
 * dictionary, delta and byte-stream-split encodings, nulls).
 */
#include <stddef.h>
#include <stdint.h>

#include "facesift/core.h"
#include "facesift/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fsift_parquet_limits lim = {1 << 16, 4 << 20, 4 << 20};
    fsift_parquet *pq;
    if (fsift_parquet_open_mem(data, size, &lim, &pq) != FSIFT_OK) return 0;
    for (int g = 0; g < fsift_parquet_num_row_groups(pq) && g < 64; g++)
        for (int c = 0; c < fsift_parquet_num_columns(pq) && c < 64; c++) {
            fsift_parquet_column_data d;
            if (fsift_parquet_read_column(pq, g, c, &d) != FSIFT_OK) continue;
            char buf[80];
            const char *s;
            size_t len, total = 0;
            for (int64_t r = 0; r < d.rows; r++)
                if (fsift_parquet_cell_text(&d, r, buf, sizeof buf, &s, &len)) total += len + (size_t)(s[0] & 1);
            (void)total;
            fsift_parquet_column_data_free(&d);
        }
    fsift_parquet_free(pq);
    return 0;
}
