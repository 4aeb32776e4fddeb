/*
 * fuzz_matcher.c — libFuzzer target for the caption rule: any bytes are a caption for the
 * built-in matcher (first and all matches) and for the folding function. Every reported
 * match must lie inside the caption, the first match must be one of all the matches, and
 * folding must give the length it promised. Also, when the input holds a NUL, the bytes
 * before it are a tiny lexicon (one term per line) loaded from a scratch directory, so the
 * lexicon parser is fuzzed too (only for inputs that start with '#', to keep the rate up). Nothing may crash, leak, hang or trip ASan/UBSan.
 *
 * Seeds: fuzz/corpus/matcher/ (captions with terms, exclusions, names, bad UTF-8).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "facesift/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fsift_matcher *builtin;
static char lexdir[64];

static void check(const fsift_matcher *m, const char *s, size_t n) {
    fsift_text_match all[16], first;
    size_t k = fsift_matcher_all(m, s, n, all, 16);
    int f = fsift_matcher_first(m, s, n, &first);
    if ((k > 0) != (f == 1)) abort();
    for (size_t i = 0; i < k && i < 16; i++) {
        if (all[i].offset > n || all[i].length > n - all[i].offset || all[i].length == 0) abort();
        if (all[i].category < 0 || all[i].category >= FSIFT_CAT_COUNT || !all[i].term) abort();
    }
    /* first mode prefers a registry name over the first-name rule at the same place */
    int found = k > 16;
    for (size_t i = 0; i < k && i < 16 && f; i++)
        if (first.offset == all[i].offset && first.length == all[i].length && first.term == all[i].term) found = 1;
    if (f && !found) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!builtin && fsift_matcher_load(NULL, &builtin)) abort();
    const char *s = (const char *)data;
    check(builtin, s, size);
    char out[256];
    size_t need = fsift_text_fold(s, size, out, sizeof out);
    if (need > 4 * size) abort();
    const uint8_t *nul = memchr(data, 0, size);
    if (nul && nul - data < 4096 && data[0] == '#') {
        if (!lexdir[0]) {
            snprintf(lexdir, sizeof lexdir, "/tmp/fsift_fuzzlex.%d", (int)getpid());
            if (mkdir(lexdir, 0700) && access(lexdir, W_OK)) return 0;
        }
        static const char *const files[] = {"people.txt", "nationality.txt", "ethnicity.txt", "profession.txt",
                                            "name.txt", "exclude.txt"};
        for (int i = 0; i < 6; i++) {
            char p[128];
            snprintf(p, sizeof p, "%s/%s", lexdir, files[i]);
            FILE *fp = fopen(p, "wb");
            if (!fp) return 0;
            /* the lexicon bytes go to file i % 6 chosen by the first byte; others get one term */
            if ((size_t)i == (size ? data[0] % 6u : 0)) fwrite(data, 1, (size_t)(nul - data), fp);
            else fputs("term\n", fp);
            fclose(fp);
        }
        fsift_matcher *m = NULL;
        if (fsift_matcher_load(lexdir, &m) == FSIFT_OK) {
            check(m, (const char *)nul + 1, size - (size_t)(nul - data) - 1);
            fsift_matcher_free(m);
        }
    }
    return 0;
}
