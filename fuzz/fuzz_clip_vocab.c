/*
 * fuzz_clip_vocab.c — libFuzzer target for the CLIP tokenizer: the vocabulary loaders and the
 * text path. The first byte picks the mode:
 *   0  the rest is an OpenAI merges file (fsift_clip_tokenizer_from_memory, constructed ids);
 *   1  the rest is a tokenizer.json;
 *   2  the rest is merges.txt NUL vocab.json (Hugging Face's two files);
 *   3+ the rest is text, tokenized with a small fixed vocabulary (cleaning, HTML entities,
 *      Unicode classes, lowercasing, BPE, truncation).
 * Any vocabulary that loads also tokenizes the input bytes and a few fixed strings. Nothing
 * may crash, leak or trip ASan/UBSan; errors are the expected outcome of most inputs.
 * Seeds: fuzz/corpus/clip_vocab/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "facesift/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const fsift_clip_tokenizer *t, const char *text, size_t len) {
    static const char *const fixed[] = {"a photo of a man", "&amp;lt; ΣΑΣ İ 'll <|endoftext|> 😀 12", ""};
    int32_t ids[FSIFT_CLIP_CONTEXT];
    int n;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) fsift_clip_tokenize(t, fixed[i], strlen(fixed[i]), ids, &n);
    fsift_clip_tokenize(t, text, len, ids, &n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int mode = data[0];
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    fsift_clip_tokenizer *t = NULL;
    if (mode == 0) {
        fsift_clip_tokenizer_from_memory(p, n, NULL, 0, &t);
    } else if (mode == 1) {
        fsift_clip_tokenizer_from_tokenizer_json(p, n, &t);
    } else if (mode == 2) {
        const char *z = memchr(p, 0, n);
        if (z) fsift_clip_tokenizer_from_memory(p, (size_t)(z - p), z + 1, n - (size_t)(z - p) - 1, &t);
    } else {
        static const char merges[] = "#version: 0.2\nh e\nl l\nhe ll\no </w>\nt h\nth e</w>\na </w>\n";
        fsift_clip_tokenizer_from_memory(merges, sizeof merges - 1, NULL, 0, &t);
    }
    if (t) exercise(t, p, n);
    fsift_clip_tokenizer_free(t);
    return 0;
}
