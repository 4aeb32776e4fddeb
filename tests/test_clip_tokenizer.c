/*
 * test_clip_tokenizer.c — the CLIP tokenizer (src/text/clip_tokenizer*.c).
 *
 * Oracle: tests/clip_tok_ref.py builds a BPE vocabulary with CLIP's published construction
 * (learned on a generated corpus; nothing downloaded), writes it as OpenAI's .txt.gz, Hugging
 * Face vocab.json + merges.txt and tokenizer.json (merges as strings and as pairs), and
 * encodes ≥ 1,000 varied strings with an independent Python port run on python3-regex. Every
 * format loaded here must give exactly the same 77 ids for every string. Unit checks cover
 * framing, truncation, the byte map, HTML unescaping details and malformed vocabularies.
 */
#include <jansson.h>
#include <sys/wait.h>
#include <stdint.h>

#include "facesift/facesift.h"
#include "harness.h"

static char oracle_dir[1024];
static int oracle_ok = -1; /* -1 not run, 0 skipped/failed, 1 ok */

static void run_oracle(void) {
    if (oracle_ok >= 0) return;
    const char *src = test_env("FSIFT_SOURCE_DIR", ".");
    const char *bld = test_env("FSIFT_BUILD_DIR", ".");
    snprintf(oracle_dir, sizeof oracle_dir, "%s/clip_tok", bld);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/clip_tok_ref.py' '%s' >&2", src, oracle_dir);
    int rc = system(cmd);
    oracle_ok = rc == 0;
    /* exit 77: python3-regex missing (a skip, with the reason printed by the script) */
    CHECK_MSG(rc == 0 || (WIFEXITED(rc) && WEXITSTATUS(rc) == 77), "clip_tok_ref.py failed (status %d)", rc);
}

/* Compares every case of cases.jsonl with tokenizer t; returns the number compared. */
static int compare_cases(const fsift_clip_tokenizer *t, const char *label) {
    char path[1200];
    snprintf(path, sizeof path, "%s/cases.jsonl", oracle_dir);
    FILE *f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "%s missing", path);
    if (!f) return 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int cases = 0, bad = 0, truncated = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        json_error_t err;
        json_t *o = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &err);
        json_t *text = json_object_get(o, "text"), *ids = json_object_get(o, "ids");
        CHECK(json_is_string(text) && json_array_size(ids) == FSIFT_CLIP_CONTEXT);
        if (json_is_string(text) && json_array_size(ids) == FSIFT_CLIP_CONTEXT) {
            int32_t got[FSIFT_CLIP_CONTEXT];
            int nt = 0;
            fsift_status st = fsift_clip_tokenize(t, json_string_value(text), json_string_length(text), got, &nt);
            int same = st == FSIFT_OK;
            for (int i = 0; i < FSIFT_CLIP_CONTEXT && same; i++)
                same = got[i] == json_integer_value(json_array_get(ids, (size_t)i));
            if (json_integer_value(json_array_get(ids, FSIFT_CLIP_CONTEXT - 1)) != 0) {
                truncated++;
                CHECK(nt > FSIFT_CLIP_CONTEXT || nt == FSIFT_CLIP_CONTEXT);
            }
            if (!same && bad++ < 5) {
                fprintf(stderr, "[%s] case %d mismatch: %s\n  got:", label, cases, json_dumps(text, JSON_ENCODE_ANY | JSON_ENSURE_ASCII));
                for (int i = 0; i < 20; i++) fprintf(stderr, " %d", got[i]);
                fprintf(stderr, "\n  ref:");
                for (int i = 0; i < 20; i++) fprintf(stderr, " %d", (int)json_integer_value(json_array_get(ids, (size_t)i)));
                fprintf(stderr, "\n");
            }
            cases++;
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    CHECK_MSG(bad == 0, "%s: %d of %d strings differ from the reference", label, bad, cases);
    CHECK_MSG(truncated >= 50, "%s: only %d over-long strings", label, truncated);
    fprintf(stderr, "[%s] %d strings, %d truncated, %d mismatches\n", label, cases, truncated, bad);
    return cases;
}

static void test_oracle_formats(void) {
    run_oracle();
    if (!oracle_ok) TEST_SKIP("tests/clip_tok_ref.py did not run (python3-regex missing?)");
    static const char *const files[] = {"bpe_simple_vocab_test.txt.gz", "hf/vocab.json", "tokenizer.json",
                                        "tokenizer_pairs.json", "hf"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", oracle_dir, files[i]);
        fsift_clip_tokenizer *t = NULL;
        CHECK_OK(fsift_clip_tokenizer_load(path, &t));
        if (!t) continue;
        CHECK(fsift_clip_tokenizer_vocab_size(t) == 256 * 2 + 2000 + 2);
        CHECK(fsift_clip_tokenizer_start_id(t) == 512 + 2000);
        CHECK(fsift_clip_tokenizer_end_id(t) == 512 + 2001);
        CHECK(compare_cases(t, files[i]) >= 1000);
        fsift_clip_tokenizer_free(t);
    }
}

/* A tiny hand-made vocabulary: merges "h e", "l l", "he ll", "o</w>" doesn't merge. */
static fsift_clip_tokenizer *tiny(void) {
    static const char merges[] = "#version: 0.2\nh e\nl l\nhe ll\nhell o</w>\n";
    fsift_clip_tokenizer *t = NULL;
    CHECK_OK(fsift_clip_tokenizer_from_memory(merges, sizeof merges - 1, NULL, 0, &t));
    return t;
}

static void test_framing(void) {
    fsift_clip_tokenizer *t = tiny();
    if (!t) return;
    CHECK(fsift_clip_tokenizer_vocab_size(t) == 512 + 4 + 2);
    int32_t ids[FSIFT_CLIP_CONTEXT];
    int n = 0;
    CHECK_OK(fsift_clip_tokenize(t, "  HELLO  ", 9, ids, &n));
    CHECK(n == 3);
    CHECK(ids[0] == 516 && ids[1] == 515 && ids[2] == 517 && ids[3] == 0 && ids[76] == 0);
    /* "h" alone: the byte symbol 'h' is id 'h' - '!' = 71 in the byte map; with </w>: 256 + 71 */
    CHECK_OK(fsift_clip_tokenize(t, "h", 1, ids, &n));
    CHECK(ids[1] == 256 + ('h' - '!'));
    /* empty text: start, end */
    CHECK_OK(fsift_clip_tokenize(t, "", 0, ids, &n));
    CHECK(n == 2 && ids[0] == 516 && ids[1] == 517 && ids[2] == 0);
    /* truncation keeps the end token */
    char longtxt[1000];
    for (int i = 0; i < 100; i++) memcpy(longtxt + 4 * i, "hi! ", 4);
    CHECK_OK(fsift_clip_tokenize(t, longtxt, 400, ids, &n));
    CHECK(n > FSIFT_CLIP_CONTEXT);
    CHECK(ids[0] == 516 && ids[76] == 517 && ids[75] != 0);
    /* invalid UTF-8 is accepted; over the limit is an error */
    CHECK_OK(fsift_clip_tokenize(t, "\xff\xfe\xc3", 3, ids, &n));
    char *big = calloc(FSIFT_CLIP_MAX_TEXT + 1, 1);
    CHECK(fsift_clip_tokenize(t, big, FSIFT_CLIP_MAX_TEXT + 1, ids, &n) == FSIFT_E_LIMIT);
    free(big);
    fsift_clip_tokenizer_free(t);
}

static void test_bad_vocab(void) {
    fsift_clip_tokenizer *t = NULL;
    static const char three[] = "#v\na b c\n";
    CHECK(fsift_clip_tokenizer_from_memory(three, sizeof three - 1, NULL, 0, &t) == FSIFT_E_FORMAT && !t);
    static const char ok[] = "#v\na b\n";
    static const char vjson[] = "{\"a\": 0}";
    CHECK(fsift_clip_tokenizer_from_memory(ok, sizeof ok - 1, vjson, sizeof vjson - 1, &t) == FSIFT_E_FORMAT && !t);
    static const char notjson[] = "{\"a\": ";
    CHECK(fsift_clip_tokenizer_from_memory(ok, sizeof ok - 1, notjson, sizeof notjson - 1, &t) == FSIFT_E_FORMAT);
    static const char tj[] = "{\"model\": {\"vocab\": {\"a\": 1}, \"merges\": 3}}";
    CHECK(fsift_clip_tokenizer_from_tokenizer_json(tj, sizeof tj - 1, &t) == FSIFT_E_FORMAT && !t);
    CHECK(fsift_clip_tokenizer_load("/nonexistent/vocab.txt.gz", &t) != FSIFT_OK && !t);
    fsift_clip_tokenizer_free(NULL);
}

/* OpenAI's layout: only the first 48,894 merges count, ids 49406/49407 for the specials and a
 * 49,408-token vocabulary, whatever follows in the file. */
static void test_openai_layout(void) {
    size_t cap = 60000 * 24, len = 0;
    char *m = malloc(cap);
    len += (size_t)snprintf(m + len, cap - len, "\"bpe_simple_vocab_16e6.txt#version: 0.2\n");
    for (int i = 0; i < 48894 + 500; i++) len += (size_t)snprintf(m + len, cap - len, "t%d u%d\n", i, i);
    fsift_clip_tokenizer *t = NULL;
    CHECK_OK(fsift_clip_tokenizer_from_memory(m, len, NULL, 0, &t));
    if (t) {
        CHECK(fsift_clip_tokenizer_vocab_size(t) == 49408);
        CHECK(fsift_clip_tokenizer_start_id(t) == 49406);
        CHECK(fsift_clip_tokenizer_end_id(t) == 49407);
        int32_t ids[FSIFT_CLIP_CONTEXT];
        CHECK_OK(fsift_clip_tokenize(t, "<|endoftext|>", 13, ids, NULL));
        CHECK(ids[0] == 49406 && ids[1] == 49407 && ids[2] == 49407 && ids[3] == 0);
        fsift_clip_tokenizer_free(t);
    }
    free(m);
}

int main(void) {
    RUN(test_framing);
    RUN(test_openai_layout);
    RUN(test_bad_vocab);
    RUN(test_oracle_formats);
    return test_summary();
}
