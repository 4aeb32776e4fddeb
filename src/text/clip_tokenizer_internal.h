/*
 * clip_tokenizer_internal.h — shared between the CLIP tokenizer's files: the generated
 * Unicode/HTML tables (clip_tokenizer_tables.c, written by tests/clip_unicode_gen.py), the
 * text cleaning (clip_tokenizer_clean.c), the vocabulary loaders (clip_tokenizer_vocab.c) and
 * the pre-split + BPE (clip_tokenizer.c).
 */
#ifndef FSIFT_CLIP_TOKENIZER_INTERNAL_H
#define FSIFT_CLIP_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/text.h"

typedef struct fsift_clip_entity {
    const char *name;  /* without the leading '&'; ends in ';' or not, as in the HTML5 list */
    const char *utf8;  /* replacement text */
} fsift_clip_entity;

extern const char fsift_clip_unicode_version[];
extern const uint32_t fsift_clip_letter[][2];
extern const size_t fsift_clip_letter_count;
extern const uint32_t fsift_clip_number[][2];
extern const size_t fsift_clip_number_count;
extern const uint32_t fsift_clip_space[][2];
extern const size_t fsift_clip_space_count;
extern const uint32_t fsift_clip_cased[][2];
extern const size_t fsift_clip_cased_count;
extern const uint32_t fsift_clip_case_ignorable[][2];
extern const size_t fsift_clip_case_ignorable_count;
extern const uint32_t fsift_clip_lower[][4];
extern const size_t fsift_clip_lower_count;
extern const fsift_clip_entity fsift_clip_entities[];
extern const size_t fsift_clip_entities_count;
extern const uint32_t fsift_clip_charref_replace[0xA0];
extern const uint32_t fsift_clip_charref_invalid[][2];
extern const size_t fsift_clip_charref_invalid_count;

/* 1 if cp lies in one of the n sorted, disjoint [lo, hi] ranges. */
int fsift_clip_in_ranges(const uint32_t (*r)[2], size_t n, uint32_t cp);

/* A growable array of code points. */
typedef struct fsift_clip_cps {
    uint32_t *v;
    size_t n, cap;
} fsift_clip_cps;

fsift_status fsift_clip_cps_push(fsift_clip_cps *c, uint32_t cp);

/* Decodes UTF-8 (invalid sequences become U+FFFD, one per bad byte) into out (appended). */
fsift_status fsift_clip_utf8_decode(const char *s, size_t len, fsift_clip_cps *out);

/* Appends the UTF-8 encoding of cp to buf (4 bytes of room needed); returns bytes written. */
size_t fsift_clip_utf8_put(uint32_t cp, char *buf);

/* OpenAI's cleaning without ftfy: html.unescape twice, strip, \s+ -> ' ', strip, then
 * Python's str.lower() (full mappings, final sigma). in: code points; out: replaced. */
fsift_status fsift_clip_clean(const fsift_clip_cps *in, fsift_clip_cps *out);

/* Python's str.isspace() (White_Space + U+001C..U+001F) and regex's \s (White_Space). */
int fsift_clip_is_space(uint32_t cp);
int fsift_clip_is_pyspace(uint32_t cp);

/* ---- the loaded tokenizer (clip_tokenizer_vocab.c builds it, clip_tokenizer.c reads it) --- */

typedef struct fsift_clip_vslot { /* vocabulary hash slot: token string -> id */
    uint32_t off, len;           /* into strs; len 0 = empty slot */
    int32_t id;
} fsift_clip_vslot;

typedef struct fsift_clip_pslot { /* merge hash slot: (left id, right id) -> rank, merged id */
    uint64_t key;                /* (left << 32 | right) + 1; 0 = empty slot */
    int32_t rank, id;
} fsift_clip_pslot;

struct fsift_clip_tokenizer {
    char *strs;
    size_t strs_len, strs_cap;
    fsift_clip_vslot *vocab;
    size_t vocab_cap, vocab_n;
    fsift_clip_pslot *pairs;
    size_t pairs_cap, pairs_n;
    int32_t byte_id[256], byte_end_id[256]; /* ids of the byte symbols, plain and "</w>" */
    int32_t start_id, end_id, vocab_size;
    char id_str[160];
};

/* Vocabulary lookup by token bytes; -1 when absent. */
int32_t fsift_clip_vocab_get(const fsift_clip_tokenizer *t, const char *s, size_t len);
/* Merge lookup: rank (or -1) and the merged id. */
int32_t fsift_clip_pair_get(const fsift_clip_tokenizer *t, int32_t a, int32_t b, int32_t *merged);
/* The GPT-2/CLIP byte-to-character map: code point standing for byte b; order[i] = the byte
 * whose symbol has id i in OpenAI's construction. */
void fsift_clip_byte_map(uint32_t cp[256], uint8_t order[256]);

#endif
