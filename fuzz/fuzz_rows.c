/*
 * fuzz_rows.c — libFuzzer target for the caption-row readers: the first byte picks the format
 * (JSONL, CSV, TSV), strictness and a small record limit; the rest is the stream, read from
 * memory (so gzip and zstd inputs go through the decompressors too) with two wanted columns.
 * Every returned value must lie inside the record or the reader's scratch, and counts must
 * add up. Nothing may crash, leak, hang or trip ASan/UBSan.
 *
 * Seeds: fuzz/corpus/rows/ (JSONL, CSV, TSV, gzip and zstd samples, each behind its byte).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t ctl = data[0];
    static const fsift_rows_format fmts[4] = {FSIFT_ROWS_JSONL, FSIFT_ROWS_CSV, FSIFT_ROWS_TSV, FSIFT_ROWS_JSONL};
    const char *cols[2] = {"caption", "url"};
    fsift_rows_opts o = {cols, 2, (ctl & 4) ? 64 : 0, (ctl >> 3) & 1, (ctl >> 4) & 1};
    fsift_rows *r = NULL;
    if (fsift_rows_open_mem(data + 1, size - 1, fmts[ctl & 3], &o, &r) != FSIFT_OK) return 0;
    fsift_row row;
    int rc;
    int64_t n = 0;
    volatile unsigned sink = 0;
    while ((rc = fsift_rows_next(r, &row)) > 0) {
        n++;
        for (int i = 0; i < 2; i++)
            if (row.value[i])
                for (size_t k = 0; k < row.value_len[i]; k++) sink += (unsigned char)row.value[i][k];
        for (size_t k = 0; k < row.raw_len; k++) sink += (unsigned char)row.raw[k];
    }
    fsift_rows_stats st;
    fsift_rows_get_stats(r, &st);
    if (st.records != n || st.too_long > st.malformed) abort();
    fsift_rows_free(r);
    (void)sink;
    return 0;
}
