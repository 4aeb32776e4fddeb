/*
 * lexicon.c — reads the caption-rule lexicons (data/lexicons/, or the built-in copies) and
 * expands every term into the folded patterns the automaton is built from.
 *
 * Files: people.txt, nationality.txt, ethnicity.txt, profession.txt, name.txt (one per
 * category) and exclude.txt (false friends). UTF-8, one term per line; '#' starts a comment
 * line; blank lines are ignored. In name.txt the line "@registry" starts full names of people
 * (kind FSIFT_TERM_NAME, the default) and "@first-names" starts the first names of the rule
 * "first name + capitalised word" (kind FSIFT_TERM_FIRST_NAME).
 *
 * A pattern is the term folded as captions are (fold.c), words joined by one space, with a
 * space at each end: whole-word matching is then plain substring matching on the folded
 * caption. Terms of the word categories also get their regular English plural forms
 * (+s; +es after s, x, z, ch, sh; consonant+y -> ies; -man -> -men; -person -> -people),
 * so lexicon files list singulars and irregular plurals only. Possessives need no pattern:
 * the apostrophe is a word boundary ("women's" = "women" + "s").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/text_internal.h"

#define MAX_TERM_BYTES 240

static const char *const cat_files[FSIFT_CAT_COUNT] = {"people.txt", "nationality.txt", "ethnicity.txt",
                                                       "profession.txt", "name.txt"};

const char *fsift_text_category_name(int category) {
    static const char *const names[FSIFT_CAT_COUNT] = {"people", "nationality", "ethnicity", "profession", "name"};
    return category >= 0 && category < FSIFT_CAT_COUNT ? names[category] : "unknown";
}

size_t lex_fold_term(const char *s, size_t n, char *out, size_t cap) {
    if (cap < 3) return 0;
    out[0] = ' ';
    size_t m = fsift_text_fold(s, n, out + 1, cap - 2);
    if (m == 0 || m > cap - 2) return 0;
    for (size_t i = 0; i < m; i++)
        if (out[1 + i] == 0x01) return 0; /* invalid UTF-8 in a term: never matchable */
    out[1 + m] = ' ';
    return m + 2;
}

/* Makes room for one more element in *arr (count n, capacity *cap). 0 on success. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 4096;
    void *na = realloc(*arr, nc * elem);
    if (!na) return -1;
    *arr = na;
    *cap = nc;
    return 0;
}

/* A NUL-terminated copy of s[0..n), or NULL. */
static char *dup_bytes(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static fsift_status add_pattern(lex_set *set, const char *folded, size_t len, int term) {
    if (grow((void **)&set->pats, &set->pats_cap, set->npats, sizeof *set->pats))
        return fsift_error(FSIFT_E_NOMEM, "lexicon: out of memory");
    lex_pattern *p = &set->pats[set->npats];
    p->folded = dup_bytes(folded, len);
    if (!p->folded) return fsift_error(FSIFT_E_NOMEM, "lexicon: out of memory");
    p->len = len;
    p->term = term;
    p->words = 0;
    for (size_t i = 1; i < len; i++)
        if (folded[i] == ' ') p->words++;
    set->npats++;
    return FSIFT_OK;
}

static int is_vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

/* Adds the regular plural forms of a folded pattern f[0..n) (" ... word ") to set. */
static fsift_status add_plurals(lex_set *set, const char *f, size_t n, int term) {
    char buf[MAX_TERM_BYTES + 16];
    size_t w = n - 1; /* end of the last word */
    if (w < 2 || n + 8 > sizeof buf) return FSIFT_OK;
    const char *e = f + w; /* one past the last letter */
    char last = e[-1], prev = e[-2];
    memcpy(buf, f, w);
    size_t m;
#define EMIT(suffix, cut)                                                                    \
    do {                                                                                     \
        m = w - (cut);                                                                       \
        memcpy(buf + m, suffix, strlen(suffix));                                             \
        m += strlen(suffix);                                                                 \
        buf[m++] = ' ';                                                                      \
        fsift_status st_ = add_pattern(set, buf, m, term);                                   \
        if (st_) return st_;                                                                 \
    } while (0)
    if (w >= 4 && !memcmp(e - 3, "man", 3) && (w < 6 || memcmp(e - 5, "human", 5))) EMIT("men", 3);
    if (w >= 7 && !memcmp(e - 6, "person", 6)) EMIT("people", 6);
    if (last == 's' || last == 'x' || last == 'z' || (last == 'h' && (prev == 'c' || prev == 's'))) {
        EMIT("es", 0);
    } else if (last == 'y' && !is_vowel(prev) && prev != ' ') {
        EMIT("ies", 1);
    } else if ((unsigned char)last < 0x80) {
        EMIT("s", 0);
    }
#undef EMIT
    return FSIFT_OK;
}

static fsift_status add_term(lex_set *set, const char *s, size_t n, int category, int kind) {
    char folded[MAX_TERM_BYTES + 4];
    size_t fl = lex_fold_term(s, n, folded, sizeof folded);
    if (fl == 0) return FSIFT_OK; /* no word in it (or too long): nothing to match */
    if (grow((void **)&set->terms, &set->terms_cap, set->nterms, sizeof *set->terms))
        return fsift_error(FSIFT_E_NOMEM, "lexicon: out of memory");
    lex_term *t = &set->terms[set->nterms];
    t->text = dup_bytes(s, n);
    if (!t->text) return fsift_error(FSIFT_E_NOMEM, "lexicon: out of memory");
    t->category = category;
    t->kind = kind;
    int id = (int)set->nterms++;
    fsift_status st = add_pattern(set, folded, fl, id);
    if (st) return st;
    if (kind == FSIFT_TERM_WORD) st = add_plurals(set, folded, fl, id);
    if (kind == TERM_EXCLUDE) set->exclusions++;
    else if (kind == FSIFT_TERM_FIRST_NAME) set->first_names++;
    else set->per_cat[category]++;
    return st;
}

static fsift_status parse_file(lex_set *set, const char *name, const char *data, size_t size, int category) {
    int kind = category < 0 ? TERM_EXCLUDE : category == FSIFT_CAT_NAME ? FSIFT_TERM_NAME : FSIFT_TERM_WORD;
    const char *p = data, *e = data + size;
    int lineno = 0;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *le = nl ? nl : e;
        lineno++;
        const char *s = p;
        while (s < le && (*s == ' ' || *s == '\t')) s++;
        const char *t = le;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r')) t--;
        p = nl ? nl + 1 : e;
        if (s == t || *s == '#') continue;
        if (*s == '@') {
            size_t n = (size_t)(t - s);
            if (category == FSIFT_CAT_NAME && n == 9 && !memcmp(s, "@registry", 9)) kind = FSIFT_TERM_NAME;
            else if (category == FSIFT_CAT_NAME && n == 12 && !memcmp(s, "@first-names", 12))
                kind = FSIFT_TERM_FIRST_NAME;
            else
                return fsift_error(FSIFT_E_FORMAT, "lexicon %s line %d: unknown section '%.*s'", name, lineno,
                                   (int)(n > 40 ? 40 : n), s);
            continue;
        }
        if ((size_t)(t - s) > MAX_TERM_BYTES) {
            fsift_log(FSIFT_LOG_WARN, "lexicon %s line %d: term longer than %d bytes ignored", name, lineno,
                      MAX_TERM_BYTES);
            continue;
        }
        fsift_status st = add_term(set, s, (size_t)(t - s), category, kind);
        if (st) return st;
    }
    return FSIFT_OK;
}

static const lex_builtin *find_builtin(const char *name) {
    for (size_t i = 0; i < fsift_lexicon_builtin_count; i++)
        if (!strcmp(fsift_lexicon_builtin[i].name, name)) return &fsift_lexicon_builtin[i];
    return NULL;
}

/* Loads one file; exclude.txt may be absent, the category files may not. */
static fsift_status load_one(lex_set *set, const char *dir, const char *name, int category) {
    if (!dir) {
        const lex_builtin *b = find_builtin(name);
        if (!b) {
            if (category < 0) return FSIFT_OK;
            return fsift_error(FSIFT_E_INTERNAL, "lexicon: built-in %s missing from this build", name);
        }
        return parse_file(set, name, b->data, b->size, category);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    void *data = NULL;
    size_t size = 0;
    fsift_status st = fsift_file_read(path, (size_t)256 << 20, &data, &size);
    if (st) {
        if (category < 0) {
            fsift_clear_error();
            return FSIFT_OK;
        }
        fsift_error_prefix("lexicon directory %s needs people.txt, nationality.txt, ethnicity.txt, "
                           "profession.txt and name.txt",
                           dir);
        return st;
    }
    st = parse_file(set, path, data, size, category);
    free(data);
    return st;
}

fsift_status lex_load(const char *dir, lex_set *set) {
    memset(set, 0, sizeof *set);
    /* Exclusions first: a false friend spelled like a term (same pattern) wins over it. */
    fsift_status st = load_one(set, dir, "exclude.txt", -1);
    for (int c = 0; c < FSIFT_CAT_COUNT && !st; c++) st = load_one(set, dir, cat_files[c], c);
    if (st) lex_free(set);
    return st;
}

void lex_free(lex_set *set) {
    if (!set) return;
    for (size_t i = 0; i < set->nterms; i++) free(set->terms[i].text);
    for (size_t i = 0; i < set->npats; i++) free(set->pats[i].folded);
    free(set->terms);
    free(set->pats);
    memset(set, 0, sizeof *set);
}
