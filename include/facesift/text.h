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

typedef struct fsift_text_match {
    int category;        /* fsift_text_category */
    const char *term;    /* the lexicon term (NUL-terminated, owned by the matcher) */
    size_t offset;       /* byte offset of the match in the caption */
    size_t length;       /* bytes matched in the caption */
} fsift_text_match;

typedef struct fsift_matcher fsift_matcher;

/* Builds a matcher from a lexicon directory (one file per category, as data/lexicons/), or
 * from the built-in lexicons when dir is NULL. */
fsift_status fsift_matcher_load(const char *dir, fsift_matcher **out);
void fsift_matcher_free(fsift_matcher *m); /* NULL is a no-op */

/* First match in text[0..len) (any bytes; invalid UTF-8 never matches inside a bad
 * sequence). Returns 1 and fills *m when the caption passes the rule, 0 otherwise. */
int fsift_matcher_first(const fsift_matcher *m, const char *text, size_t len, fsift_text_match *match);

/* ==== CLIP tokenizer (owner: the evaluation work, issue 8) ================================ */

#endif
