/*
 * text_internal.h — pieces shared by the caption-rule sources: the character classes and
 * case folding the matcher works in (fold.c), the lexicon term table (lexicon.c) and the
 * automaton (matcher.c). Not a public header.
 */
#ifndef FSIFT_TEXT_INTERNAL_H
#define FSIFT_TEXT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/text.h"

/* ---- characters (fold.c) ---------------------------------------------------------------- */

/* What one character is to the matcher. */
#define FOLD_SEP (-1)   /* a word boundary: space, punctuation, hyphen, apostrophe, symbol */
#define FOLD_OTHER (-2) /* an opaque word character that no term contains (invalid UTF-8) */

/* Decodes one UTF-8 character at s[0..n) (n >= 1): returns its length and writes the code
 * point, or returns 1 and writes -1 for an invalid or truncated sequence. */
int fold_decode(const unsigned char *s, size_t n, int32_t *cp);
/* The folded code point (>= 0), FOLD_SEP or FOLD_OTHER, for a decoded character (-1 =
 * invalid gives FOLD_OTHER). ASCII letters and Latin (and basic Greek/Cyrillic) capitals are
 * lowered; digits and letters of other scripts are word characters; CJK ideographs and kana
 * are boundaries (those scripts do not put spaces between words). */
int32_t fold_cp(int32_t cp);
/* 1 if the code point is an upper-case / lower-case letter (Latin, Greek, Cyrillic). */
int fold_is_upper(int32_t cp);
int fold_is_lower(int32_t cp);
/* Start of the character that ends at s[i] (i > 0): steps back over continuation bytes
 * only when they form one valid character. */
size_t fold_prev_start(const unsigned char *s, size_t i);
/* UTF-8 encoding of cp into out (4 bytes room); returns the length. */
int fold_encode(int32_t cp, unsigned char *out);

/* ---- lexicons (lexicon.c) ------------------------------------------------------------------ */

#define TERM_EXCLUDE 3 /* kind of an exclusion-list entry (beside fsift_term_kind) */

typedef struct lex_term {
    char *text;   /* the lexicon line as written (owned) */
    int category; /* fsift_text_category; -1 for exclusions */
    int kind;     /* fsift_term_kind or TERM_EXCLUDE */
} lex_term;

typedef struct lex_pattern {
    char *folded; /* " w1 w2 ... " : folded words, one space between, one at each end (owned) */
    size_t len;
    int term;     /* index into the term table */
    int words;    /* number of words */
} lex_pattern;

typedef struct lex_set {
    lex_term *terms;
    size_t nterms, terms_cap;
    lex_pattern *pats;
    size_t npats, pats_cap;
    size_t per_cat[FSIFT_CAT_COUNT];
    size_t first_names, exclusions;
} lex_set;

/* Loads every lexicon file of dir (NULL: the built-in copies) and expands each term into
 * its patterns (folded form, regular plurals for word categories). */
fsift_status lex_load(const char *dir, lex_set *set);
void lex_free(lex_set *set);
/* Folds a term into " w1 w2 ... " (see lex_pattern); returns 0 if it has no word. */
size_t lex_fold_term(const char *s, size_t n, char *out, size_t cap);

/* Built-in lexicon file contents (lexicons_builtin.c, generated at build time from
 * data/lexicons/ by src/text/embed_lexicons.cmake). */
typedef struct lex_builtin {
    const char *name; /* file name, e.g. "people.txt" */
    const char *data; /* NUL-terminated contents */
    size_t size;
} lex_builtin;
extern const lex_builtin fsift_lexicon_builtin[];
extern const size_t fsift_lexicon_builtin_count;

#endif
