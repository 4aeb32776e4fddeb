/*
 * fuzz_tar.c — libFuzzer target for the build's input readers (src/data/): the first byte
 * picks the reader, the rest is the file:
 *   0: a (possibly compressed) webdataset tar through fsift_sample_reader (libarchive,
 *      member grouping by key, duplicate detection, oversize members, truncation);
 *   1: a CSV list, 2: a JSONL list (record scanning, quoting, shard offsets, path/caption
 *      columns; the image paths point nowhere, so samples come back as read errors).
 * Every sample read is released; nothing may crash, leak or read out of bounds.
 *
 * Seeds: fuzz/corpus/tar/ (made by fuzz/make_tar_corpus.py).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "facesift/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(const fsift_input_shard *sh) {
    fsift_sample_reader *r;
    if (fsift_sample_reader_open(sh, 1 << 20, &r)) return;
    fsift_sample s;
    for (int i = 0; i < 100000 && fsift_sample_reader_next(r, &s) > 0; i++) {
        if (s.json) free(fsift_json_caption((const char *)s.json, s.json_size));
        fsift_sample_clear(&s);
    }
    fsift_sample_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int mode = data[0] % 3;
    static const char *ext[] = {".tar", ".csv", ".jsonl"};
    char path[128];
    snprintf(path, sizeof path, "/tmp/fuzz_tar_%ld%s", (long)getpid(), ext[mode]);
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    const char *in[] = {path};
    fsift_input_set set;
    if (fsift_inputs_expand(in, 1, 3, &set) == FSIFT_OK) {
        for (int i = 0; i < set.n; i++) drain(&set.shards[i]);
        fsift_input_set_free(&set);
    }
    unlink(path);
    return 0;
}
