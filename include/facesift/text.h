/*
 * text.h — text: the FaceID-6M caption rule (lexicons + a whole-word multi-pattern matcher)
 * and the CLIP tokenizer. See DESIGN.md §2 and docs/text.md.
 *
 * A matcher is built once from the lexicons (the built-in ones compiled from data/lexicons/,
 * or a directory given with --lexicon) and is immutable afterwards: share it between threads.
 */
#ifndef FSIFT_TEXT_H
#define FSIFT_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/core.h"

/* ==== caption rule: lexicons and matcher (owner: the caption-filter work, issue 5) ======== */

typedef enum fsift_text_category {
    FSIFT_CAT_PEOPLE = 0,
    FSIFT_CAT_NATIONALITY = 1,
    FSIFT_CAT_ETHNICITY = 2,
    FSIFT_CAT_PROFESSION = 3,
    FSIFT_CAT_NAME = 4,
    FSIFT_CAT_COUNT = 5
} fsift_text_category;

/* "people", "nationality", "ethnicity", "profession", "name"; static storage. */
const char *fsift_text_category_name(int category);

/* How a match was made: a lexicon term (a word or words of a category file, or a full name
 * from the name registry), or the name rule "a first name followed by a capitalised word". */
typedef enum fsift_term_kind {
    FSIFT_TERM_WORD = 0,       /* a lexicon term (people, nationality, ethnicity, profession) */
    FSIFT_TERM_NAME = 1,       /* a full name from the name registry (category name) */
    FSIFT_TERM_FIRST_NAME = 2  /* first name + capitalised word (category name); term = first name */
} fsift_term_kind;

typedef struct fsift_text_match {
    int category;        /* fsift_text_category */
    const char *term;    /* the lexicon term (NUL-terminated, owned by the matcher) */
    size_t offset;       /* byte offset of the match in the caption */
    size_t length;       /* bytes matched in the caption */
    int kind;            /* fsift_term_kind */
} fsift_text_match;

typedef struct fsift_matcher fsift_matcher;

/* Builds a matcher from a lexicon directory (one file per category, as data/lexicons/), or
 * from the built-in lexicons when dir is NULL. */
fsift_status fsift_matcher_load(const char *dir, fsift_matcher **out);
void fsift_matcher_free(fsift_matcher *m); /* NULL is a no-op */

/* First match in text[0..len) (any bytes; invalid UTF-8 never matches inside a bad
 * sequence). Returns 1 and fills *m when the caption passes the rule, 0 otherwise. */
int fsift_matcher_first(const fsift_matcher *m, const char *text, size_t len, fsift_text_match *match);

/* Every match in text[0..len), in order of end offset (ties: longer first), at most cap
 * written to out[]; returns the total number found (may exceed cap). Overlapping matches are
 * all reported ("African-American" gives the ethnicity term and "American"). */
size_t fsift_matcher_all(const fsift_matcher *m, const char *text, size_t len,
                         fsift_text_match *out, size_t cap);

/* Number of lexicon entries loaded per category and kind (for reports and tests). */
typedef struct fsift_matcher_info {
    size_t terms[FSIFT_CAT_COUNT]; /* lexicon lines per category (name: registry names) */
    size_t first_names;            /* first names of the name rule */
    size_t exclusions;             /* false friends that suppress a match (exclude.txt) */
    size_t patterns;               /* patterns in the automaton (with generated plurals) */
    size_t states;                 /* automaton states */
    size_t bytes;                  /* memory held by the automaton */
} fsift_matcher_info;
void fsift_matcher_get_info(const fsift_matcher *m, fsift_matcher_info *info);

/* The i-th pattern (0 <= i < info.patterns): its folded words joined by single spaces
 * (borrowed, not NUL-terminated: *len bytes), its category and its kind (fsift_term_kind, or
 * 3 with category -1 for an exclusion). Returns 0 past the end. For tools and benchmarks. */
int fsift_matcher_pattern(const fsift_matcher *m, size_t i, const char **text, size_t *len, int *category,
                          int *kind);

/* Case-folds a caption as the matcher sees it (tests, tools): Latin letters lowered with
 * Unicode simple case folding, every non-word character (punctuation, spaces, hyphens,
 * apostrophes, invalid UTF-8 is kept as an opaque letter) mapped to one space. Writes at most
 * cap bytes to out and returns the length needed. */
size_t fsift_text_fold(const char *text, size_t len, char *out, size_t cap);

/* ==== CLIP tokenizer (owner: the evaluation work, issue 8) ================================ */
/*
 * OpenAI CLIP's tokenizer (docs/eval.md): clean (HTML unescape twice, whitespace collapse,
 * Python's lowercase; ftfy is not reproduced), pre-split with
 * <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
 * (Unicode 15.0 tables), byte-level BPE with "</w>" end of word, then
 * [start] tokens… [end] truncated to the context (the end token kept) and zero padded.
 * A tokenizer is immutable after load: share it between threads.
 */
#define FSIFT_CLIP_CONTEXT 77
#define FSIFT_CLIP_MAX_TEXT (64 * 1024) /* longest text accepted, bytes */

typedef struct fsift_clip_tokenizer fsift_clip_tokenizer;

/* Loads a vocabulary: OpenAI's merges file (bpe_simple_vocab_16e6.txt.gz, gzip or plain),
 * a Hugging Face vocab.json (merges.txt beside it), a tokenizer.json, or a directory holding
 * one of these. Caller owns *out. */
fsift_status fsift_clip_tokenizer_load(const char *path, fsift_clip_tokenizer **out);

/* The same from memory (borrowed). merges: OpenAI's file or merges.txt (first line is a
 * header, as in both). vocab_json NULL: OpenAI's construction (256 bytes, 256 bytes + "</w>",
 * one token per merge, <|startoftext|>, <|endoftext|>); else the ids come from vocab_json. */
fsift_status fsift_clip_tokenizer_from_memory(const char *merges, size_t merges_len, const char *vocab_json,
                                              size_t vocab_len, fsift_clip_tokenizer **out);
fsift_status fsift_clip_tokenizer_from_tokenizer_json(const char *json, size_t len, fsift_clip_tokenizer **out);
void fsift_clip_tokenizer_free(fsift_clip_tokenizer *t); /* NULL is a no-op */

/* ids[FSIFT_CLIP_CONTEXT]: start, tokens, end (the end token kept when truncated), zeros.
 * *n_tokens (may be NULL): tokens including start and end before truncation, counted up to
 * FSIFT_CLIP_CONTEXT + 1 (a larger value means the text was truncated). Any bytes are
 * accepted (invalid UTF-8 reads as U+FFFD); over FSIFT_CLIP_MAX_TEXT is FSIFT_E_LIMIT. */
fsift_status fsift_clip_tokenize(const fsift_clip_tokenizer *t, const char *text, size_t len,
                                 int32_t ids[FSIFT_CLIP_CONTEXT], int *n_tokens);

int32_t fsift_clip_tokenizer_start_id(const fsift_clip_tokenizer *t);
int32_t fsift_clip_tokenizer_end_id(const fsift_clip_tokenizer *t);
int32_t fsift_clip_tokenizer_vocab_size(const fsift_clip_tokenizer *t);
/* e.g. "openai-bpe(bpe_simple_vocab_16e6.txt.gz, 49408 tokens)"; owned by the tokenizer. */
const char *fsift_clip_tokenizer_id(const fsift_clip_tokenizer *t);
const char *fsift_clip_unicode_version_str(void); /* "15.0" */

#endif
