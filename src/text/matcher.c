/*
 * matcher.c — the caption rule's whole-word multi-pattern matcher: an Aho–Corasick automaton
 * compiled to a full DFA over a small alphabet, scanned one byte per step.
 *
 * Alphabet: symbol 0 is the word boundary (every character that folds to FOLD_SEP), 1 is
 * "a word byte no pattern contains", and each other byte that occurs in a folded pattern has
 * its own symbol. Captions are folded on the fly: an ASCII byte goes through one 128-entry
 * table (fold + symbol); a non-ASCII character is decoded, folded (fold.c) and its folded
 * UTF-8 bytes are fed one by one, so "ÉLÈVE" walks the same states as "élève". A virtual
 * boundary is fed before the first and after the last byte.
 *
 * Patterns are " w1 w2 … " (lexicon.c), so a match is a whole-word match. Runs of
 * boundaries ("man , woman", "African - American") act as one: every state entered on a
 * boundary loops on further boundaries. Transitions are stored premultiplied by the alphabet
 * size with bit 31 set when the target state ends a pattern, so the hot loop is
 * `t = delta[s + sym]; if (t & FLAG) …; s = t`. Match ends are the offset of the boundary
 * character that completed the pattern; starts are found by walking back over the pattern's
 * number of words in the original text. Outputs of a state: its own pattern (the longest)
 * then the shorter ones along dictionary-suffix links ("african american " → "american ").
 *
 * Exclusions (exclude.txt) are patterns too; a term match lying inside an exclusion match
 * ("man" in "Pac-Man") is dropped — checked by rescanning a small window around the match,
 * which only matching captions pay for. First-name patterns are accepted only when the
 * caption writes the name capitalised ("Emma", not "emma" or "EMMA") and a capitalised word
 * follows after one space ("Emma Stone").
 *
 * The matcher is immutable after fsift_matcher_load: any number of threads may scan with it.
 * Scanning allocates nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "text/text_internal.h"

#define FLAG 0x80000000u
#define SYM_SEP 0
#define SYM_OTHER 1

struct fsift_matcher {
    lex_set lex;
    unsigned nsym;
    uint8_t byte_sym[256]; /* folded byte -> symbol */
    uint8_t asc_sym[128];  /* caption ASCII byte -> symbol (fold included) */
    uint32_t *delta;       /* nstates * nsym, premultiplied targets | FLAG */
    int32_t *own;          /* per state: its pattern or -1 */
    int32_t *dict;         /* per state: next state with a pattern along the fail chain, or -1 */
    size_t nstates;
    uint32_t start;        /* state after the virtual leading boundary (premultiplied) */
    size_t excl_window;    /* bytes around a match searched for an exclusion; 0 = none loaded */
};

/* ---- construction ------------------------------------------------------------------------ */

typedef struct builder {
    int32_t *go; /* nstates_cap * nsym */
    int32_t *own;
    uint8_t *in_sep; /* state entered on a boundary */
    size_t n, cap;
    unsigned nsym;
} builder;

static int32_t new_state(builder *b) {
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 1024;
        int32_t *go = realloc(b->go, nc * b->nsym * sizeof *go);
        if (!go) return -1;
        b->go = go;
        int32_t *own = realloc(b->own, nc * sizeof *own);
        if (!own) return -1;
        b->own = own;
        uint8_t *is = realloc(b->in_sep, nc);
        if (!is) return -1;
        b->in_sep = is;
        b->cap = nc;
    }
    int32_t s = (int32_t)b->n++;
    for (unsigned c = 0; c < b->nsym; c++) b->go[(size_t)s * b->nsym + c] = -1;
    b->own[s] = -1;
    b->in_sep[s] = 0;
    return s;
}

static fsift_status build(fsift_matcher *m) {
    lex_set *L = &m->lex;
    /* Alphabet. */
    memset(m->byte_sym, SYM_OTHER, sizeof m->byte_sym);
    m->byte_sym[' '] = SYM_SEP;
    unsigned nsym = 2;
    for (size_t p = 0; p < L->npats; p++)
        for (size_t i = 0; i < L->pats[p].len; i++) {
            unsigned char c = (unsigned char)L->pats[p].folded[i];
            if (c != ' ' && m->byte_sym[c] == SYM_OTHER && c != 0x01) {
                if (nsym == 255) return fsift_error(FSIFT_E_LIMIT, "lexicon: more than 253 distinct bytes in terms");
                m->byte_sym[c] = (uint8_t)nsym++;
            }
        }
    m->nsym = nsym;
    for (int b = 0; b < 128; b++) {
        int32_t f = fold_cp(b);
        m->asc_sym[b] = f == FOLD_SEP ? SYM_SEP : f < 0 ? SYM_OTHER : m->byte_sym[f];
    }
    /* Trie. */
    builder B = {0};
    B.nsym = nsym;
    fsift_status st = FSIFT_OK;
    if (new_state(&B) < 0) goto nomem;
    for (size_t p = 0; p < L->npats; p++) {
        const lex_pattern *P = &L->pats[p];
        int32_t s = 0;
        for (size_t i = 0; i < P->len; i++) {
            unsigned c = m->byte_sym[(unsigned char)P->folded[i]];
            int32_t nx = B.go[(size_t)s * nsym + c];
            if (nx < 0) {
                nx = new_state(&B);
                if (nx < 0) goto nomem;
                B.go[(size_t)s * nsym + c] = nx;
                B.in_sep[nx] = c == SYM_SEP;
            }
            s = nx;
        }
        if (B.own[s] < 0) B.own[s] = (int32_t)p; /* first wins: exclusions, then category order */
    }
    if (B.n * nsym >= (size_t)FLAG) {
        st = fsift_error(FSIFT_E_LIMIT, "lexicon: automaton too large (%zu states)", B.n);
        goto out;
    }
    /* Failure links, breadth first, turning go[] into the DFA in place. */
    int32_t *fail = malloc(B.n * sizeof *fail);
    int32_t *queue = malloc(B.n * sizeof *queue);
    m->dict = malloc(B.n * sizeof *m->dict);
    if (!fail || !queue || !m->dict) {
        free(fail);
        free(queue);
        goto nomem;
    }
    size_t qh = 0, qt = 0;
    fail[0] = 0;
    m->dict[0] = -1;
    for (unsigned c = 0; c < nsym; c++) {
        int32_t u = B.go[c];
        if (u < 0) B.go[c] = 0;
        else {
            fail[u] = 0;
            m->dict[u] = -1;
            queue[qt++] = u;
        }
    }
    while (qh < qt) {
        int32_t s = queue[qh++];
        int32_t *row = B.go + (size_t)s * nsym;
        const int32_t *frow = B.go + (size_t)fail[s] * nsym;
        for (unsigned c = 0; c < nsym; c++) {
            int32_t u = row[c];
            if (u < 0) {
                row[c] = frow[c];
            } else {
                int32_t f = frow[c];
                fail[u] = f;
                m->dict[u] = B.own[f] >= 0 ? f : m->dict[f];
                queue[qt++] = u;
            }
        }
    }
    free(fail);
    free(queue);
    /* Premultiply, flag states with outputs, and let boundary-entered states absorb runs of
     * boundaries (no flag on that loop: the match was reported on entry). */
    m->delta = malloc(B.n * nsym * sizeof *m->delta);
    if (!m->delta) goto nomem;
    for (size_t s = 0; s < B.n; s++)
        for (unsigned c = 0; c < nsym; c++) {
            int32_t t = B.go[s * nsym + c];
            uint32_t v = (uint32_t)t * nsym;
            if (B.own[t] >= 0 || m->dict[t] >= 0) v |= FLAG;
            m->delta[s * nsym + c] = v;
        }
    for (size_t s = 0; s < B.n; s++)
        if (B.in_sep[s]) m->delta[s * nsym + SYM_SEP] = (uint32_t)(s * nsym);
    m->own = B.own;
    B.own = NULL;
    m->nstates = B.n;
    m->start = m->delta[SYM_SEP] & ~FLAG;
    size_t maxx = 0;
    for (size_t p = 0; p < L->npats; p++)
        if (L->terms[L->pats[p].term].kind == TERM_EXCLUDE && L->pats[p].len > maxx) maxx = L->pats[p].len;
    m->excl_window = maxx ? 4 * maxx + 64 : 0;
    goto out;
nomem:
    st = fsift_error(FSIFT_E_NOMEM, "lexicon: out of memory building the automaton");
out:
    free(B.go);
    free(B.own);
    free(B.in_sep);
    return st;
}

fsift_status fsift_matcher_load(const char *dir, fsift_matcher **out) {
    if (!out) return fsift_error(FSIFT_E_INVALID_ARG, "matcher: NULL out");
    *out = NULL;
    fsift_matcher *m = calloc(1, sizeof *m);
    if (!m) return fsift_error(FSIFT_E_NOMEM, "matcher: out of memory");
    fsift_status st = lex_load(dir, &m->lex);
    if (!st) st = build(m);
    if (st) {
        fsift_matcher_free(m);
        return st;
    }
    *out = m;
    return FSIFT_OK;
}

void fsift_matcher_free(fsift_matcher *m) {
    if (!m) return;
    lex_free(&m->lex);
    free(m->delta);
    free(m->own);
    free(m->dict);
    free(m);
}

void fsift_matcher_get_info(const fsift_matcher *m, fsift_matcher_info *info) {
    memset(info, 0, sizeof *info);
    if (!m) return;
    for (int c = 0; c < FSIFT_CAT_COUNT; c++) info->terms[c] = m->lex.per_cat[c];
    info->first_names = m->lex.first_names;
    info->exclusions = m->lex.exclusions;
    info->patterns = m->lex.npats;
    info->states = m->nstates;
    info->bytes = m->nstates * (m->nsym * sizeof(uint32_t) + 2 * sizeof(int32_t));
}

/* ---- scanning ------------------------------------------------------------------------------ */

/* Called for each state with outputs that the scan enters; end = offset of the boundary
 * character that completed them. Returns 1 to stop the scan. */
typedef int (*out_fn)(void *ctx, uint32_t state, size_t end);

static inline int feed_sym(const fsift_matcher *m, uint32_t *st, unsigned sym, size_t end, out_fn fn, void *ctx) {
    uint32_t t = m->delta[*st + sym];
    if (t & FLAG) {
        t &= ~FLAG;
        *st = t;
        return fn(ctx, t / m->nsym, end);
    }
    *st = t;
    return 0;
}

static int scan(const fsift_matcher *m, const unsigned char *s, size_t n, out_fn fn, void *ctx) {
    const uint32_t *d = m->delta;
    const uint8_t *asc = m->asc_sym;
    uint32_t st = m->start;
    size_t i = 0;
    while (i < n) {
        unsigned b = s[i];
        if (b < 0x80) {
            uint32_t t = d[st + asc[b]];
            if (t & FLAG) {
                t &= ~FLAG;
                if (fn(ctx, t / m->nsym, i)) return 1;
            }
            st = t;
            i++;
            continue;
        }
        int32_t cp;
        int k = fold_decode(s + i, n - i, &cp);
        int32_t f = fold_cp(cp);
        if (f == FOLD_SEP) {
            if (feed_sym(m, &st, SYM_SEP, i, fn, ctx)) return 1;
        } else if (f == FOLD_OTHER) {
            st = d[st + SYM_OTHER] & ~FLAG;
        } else {
            unsigned char e[4];
            int ne = fold_encode(f, e);
            for (int j = 0; j < ne; j++) st = d[st + m->byte_sym[e[j]]] & ~FLAG; /* only boundaries end patterns */
        }
        i += (size_t)k;
    }
    return feed_sym(m, &st, SYM_SEP, n, fn, ctx);
}

static int is_sep_at(const unsigned char *s, size_t n, size_t i, size_t *next) {
    int32_t cp;
    int k = fold_decode(s + i, n - i, &cp);
    if (next) *next = i + (size_t)k;
    return fold_cp(cp) == FOLD_SEP;
}

/* Start of a match of `words` words that ends at `end`. */
static size_t match_start(const unsigned char *s, size_t end, int words) {
    size_t j = end;
    for (int w = 0; w < words; w++) {
        while (j > 0) {
            size_t k = fold_prev_start(s, j);
            if (is_sep_at(s, j, k, NULL)) break;
            j = k;
        }
        if (w + 1 < words)
            while (j > 0) {
                size_t k = fold_prev_start(s, j);
                if (!is_sep_at(s, j, k, NULL)) break;
                j = k;
            }
    }
    return j;
}

typedef struct excl_ctx {
    const fsift_matcher *m;
    const unsigned char *w; /* window */
    size_t ws, we, n;       /* window bounds in the caption, caption length */
    size_t ms, me;          /* the match to test */
    int hit;
} excl_ctx;

static int excl_out(void *vctx, uint32_t state, size_t end) {
    excl_ctx *c = vctx;
    const lex_set *L = &c->m->lex;
    for (int32_t v = (int32_t)state; v >= 0; v = c->m->dict[v]) {
        int32_t p = c->m->own[v];
        if (p < 0) continue;
        const lex_pattern *P = &L->pats[p];
        if (L->terms[P->term].kind != TERM_EXCLUDE) continue;
        size_t xs = c->ws + match_start(c->w, end, P->words), xe = c->ws + end;
        if ((xs > c->ws || c->ws == 0) && (xe < c->we || c->we == c->n) && xs <= c->ms && xe >= c->me) {
            c->hit = 1;
            return 1;
        }
    }
    return 0;
}

static int excluded(const fsift_matcher *m, const unsigned char *s, size_t n, size_t ms, size_t me) {
    if (!m->excl_window) return 0;
    size_t W = m->excl_window;
    size_t ws = ms > W ? ms - W : 0;
    while (ws > 0 && (s[ws] & 0xC0) == 0x80) ws--;
    size_t we = n - me > W ? me + W : n;
    while (we < n && (s[we] & 0xC0) == 0x80) we++;
    excl_ctx c = {m, s + ws, ws, we, n, ms, me, 0};
    scan(m, s + ws, we - ws, excl_out, &c);
    return c.hit;
}

/* The first-name rule: "Emma" capitalised, one space, then a capitalised word. Returns the
 * end of that word, or 0 when the rule does not hold. */
static size_t first_name_end(const unsigned char *s, size_t n, size_t ms, size_t me) {
    int32_t a, b;
    int k = fold_decode(s + ms, n - ms, &a);
    if (!fold_is_upper(a) || ms + (size_t)k >= me) return 0;
    fold_decode(s + ms + k, n - ms - (size_t)k, &b);
    if (!fold_is_lower(b)) return 0;
    if (me + 2 >= n || s[me] != ' ') return 0;
    size_t i = me + 1;
    k = fold_decode(s + i, n - i, &a);
    if (!fold_is_upper(a) || i + (size_t)k >= n) return 0;
    fold_decode(s + i + k, n - i - (size_t)k, &b);
    if (!fold_is_lower(b) && b != '\'') return 0;
    size_t next;
    while (i < n && !is_sep_at(s, n, i, &next)) i = next;
    /* O'Brien, McDonald-… : a word with an apostrophe stays one surname. */
    while (i + 1 < n && s[i] == '\'' && !is_sep_at(s, n, i + 1, NULL)) {
        i++;
        while (i < n && !is_sep_at(s, n, i, &next)) i = next;
    }
    return i;
}

typedef struct find_ctx {
    const fsift_matcher *m;
    const unsigned char *s;
    size_t n;
    fsift_text_match *out;
    size_t cap, count;
    int first;
} find_ctx;

static int find_out(void *vctx, uint32_t state, size_t end) {
    find_ctx *c = vctx;
    const fsift_matcher *m = c->m;
    const lex_set *L = &m->lex;
    for (int32_t v = (int32_t)state; v >= 0; v = m->dict[v]) {
        int32_t p = m->own[v];
        if (p < 0) continue;
        const lex_pattern *P = &L->pats[p];
        const lex_term *T = &L->terms[P->term];
        if (T->kind == TERM_EXCLUDE) continue;
        size_t ms = match_start(c->s, end, P->words), me = end;
        if (T->kind == FSIFT_TERM_FIRST_NAME) {
            me = first_name_end(c->s, c->n, ms, end);
            if (!me) continue;
        }
        if (excluded(m, c->s, c->n, ms, me)) continue;
        if (c->count < c->cap) {
            fsift_text_match *o = &c->out[c->count];
            o->category = T->category;
            o->term = T->text;
            o->offset = ms;
            o->length = me - ms;
            o->kind = T->kind;
        }
        c->count++;
        if (c->first) return 1;
    }
    return 0;
}

int fsift_matcher_first(const fsift_matcher *m, const char *text, size_t len, fsift_text_match *match) {
    if (!m || (!text && len)) return 0;
    fsift_text_match tmp;
    find_ctx c = {m, (const unsigned char *)text, len, match ? match : &tmp, 1, 0, 1};
    return scan(m, c.s, len, find_out, &c) ? 1 : 0;
}

size_t fsift_matcher_all(const fsift_matcher *m, const char *text, size_t len, fsift_text_match *out, size_t cap) {
    if (!m || (!text && len)) return 0;
    find_ctx c = {m, (const unsigned char *)text, len, out, out ? cap : 0, 0, 0};
    scan(m, c.s, len, find_out, &c);
    return c.count;
}
