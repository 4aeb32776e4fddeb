/*
 * fuzz_eval_manifest.c — libFuzzer target for `facesift eval`'s manifest reader
 * (src/eval/items.c): any bytes as JSONL lines of {"generated", "prompt", "reference"},
 * parsed from memory with a base folder, so the fuzzer never opens a file. Every line must
 * become an item (scored or reported as bad); nothing may crash, leak or trip ASan/UBSan.
 * Seeds: fuzz/corpus/eval_manifest/.
 */
#include <stddef.h>
#include <stdint.h>

#include "eval/eval_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    eval_items it;
    if (eval_items_from_manifest_memory((const char *)data, size, "base/dir", &it, 1) == FSIFT_OK) {
        for (int i = 0; i < it.n; i++) {
            const eval_item *e = &it.v[i];
            if (!e->error && !e->generated) __builtin_trap(); /* a good line always has its image */
        }
        eval_items_free(&it);
    }
    return 0;
}
