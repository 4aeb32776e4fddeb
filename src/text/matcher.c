/*
 * matcher.c — the caption rule's whole-word multi-pattern matcher: an Aho–Corasick
 * automaton over WORDS.
 *
 * Every lexicon pattern is a sequence of folded words (lexicon.c: " african american ").
 * The automaton's alphabet is the set of distinct words of all patterns (the vocabulary,
 * ids 1..V); id 0 stands for every other word. The trie, failure links and dictionary-suffix
 * links are the classic Aho–Corasick ones, built once at load, with edges in a hash table
 * keyed by (state, word id) and the root's edges in a direct array.
 *
 * Scanning cuts the caption into words with the fold.c classes and looks each one up:
 *  - ASCII words (the common case) are hashed straight from the caption bytes: up to 16
 *    bytes are loaded as two 64-bit chunks, lower-cased with one OR (letters and digits
 *    only, so | 0x20 is the exact fold), masked and mixed; other words are folded
 *    character by character (Latin case folding, fold.c) into a small buffer and hashed the
 *    same way;
 *  - a 64 KiB Bloom bitmap of the vocabulary rejects almost every unknown word from L1
 *    cache; a hit is confirmed in an open-addressing table that stores each word's first 16
 *    folded bytes (longer words are compared in full), so there are no false matches;
 *  - an unknown word sends the automaton to the root without any further lookup.
 * The cost is therefore one pass over the bytes plus one L1 probe per word, whatever the
 * size of the lexicons. Word starts of the last 16 words are kept in a ring, giving each
 * match's byte offset. Matches are reported at their last word, longest first (own pattern,
 * then the dictionary-suffix chain: "African-American" gives the ethnicity term, then
 * "American").
 *
 * Exclusions (exclude.txt) are not in the automaton: each pattern that occurs inside an
 * exclusion phrase lists it (with the word position) at load, and a match of such a pattern
 * is dropped when the caption holds the whole phrase around it ("man" in "Pac-Man"). First-
 * name patterns are accepted only when the caption writes the name capitalised ("Emma", not
 * "emma"/"EMMA") and a capitalised word follows after one space ("Emma Stone").
 *
 * The matcher is immutable after fsift_matcher_load: any number of threads may scan with it.
 * Scanning allocates nothing.
 */
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "text/text_internal.h"

#define RING 16            /* words remembered: the longest pattern has at most RING words */
#define MAX_WORD 256       /* folded bytes of the longest word that can be in the vocabulary */
#define BLOOM_BITS 19      /* 2^19 bits = 64 KiB */

typedef struct vocab_slot {
    uint64_t hash;   /* 0 = empty */
    uint64_t c0, c1; /* first 16 folded bytes, zero padded */
    uint32_t wid;
    uint32_t len;
    uint32_t off;    /* folded bytes in words_pool */
} vocab_slot;

typedef struct edge_slot {
    uint64_t key;    /* state << 32 | wid; 0 = empty (the root has no incoming edge) */
    int32_t child;
} edge_slot;

typedef struct excl_ref {
    int32_t excl;    /* index of the exclusion pattern */
    int32_t before;  /* words of the exclusion before the pattern's first word */
    int32_t next;    /* next ref of the same pattern, -1 */
} excl_ref;

struct fsift_matcher {
    lex_set lex;
    uint64_t *bloom;
    vocab_slot *vocab;
    size_t vocab_mask, nwords;
    unsigned char *words_pool;
    edge_slot *edges;
    size_t edge_mask;
    int32_t *root_child; /* by word id */
    int32_t *fail, *own, *dict;
    uint8_t *has_out;
    size_t nstates;
    int32_t *excl_first; /* per pattern: first excl_ref or -1 */
    excl_ref *excl_refs;
    size_t nrefs;
};

/* ---- hashing ------------------------------------------------------------------------------ */

static inline uint64_t load_le(const unsigned char *p, size_t n) { /* n <= 8 */
    uint64_t v = 0;
    if (n == 8) {
        memcpy(&v, p, 8);
        return v;
    }
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline uint64_t mix(uint64_t h) {
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    return h | 1; /* never 0: 0 marks an empty slot */
}

/* Hash of folded bytes given as their first two chunks plus the rest. */
static inline uint64_t hash_chunks(uint64_t c0, uint64_t c1, const unsigned char *rest, size_t restlen, size_t len) {
    uint64_t h = (c0 * 0x9E3779B97F4A7C15ull) ^ (c1 * 0xC2B2AE3D27D4EB4Full) ^ ((uint64_t)len << 56);
    while (restlen > 0) {
        size_t k = restlen < 8 ? restlen : 8;
        h = (h ^ load_le(rest, k)) * 0x9E3779B97F4A7C15ull;
        rest += k;
        restlen -= k;
    }
    return mix(h);
}

static uint64_t hash_folded(const unsigned char *w, size_t len, uint64_t *c0, uint64_t *c1) {
    *c0 = load_le(w, len < 8 ? len : 8);
    *c1 = len > 8 ? load_le(w + 8, len < 16 ? len - 8 : 8) : 0;
    return hash_chunks(*c0, *c1, w + (len < 16 ? len : 16), len > 16 ? len - 16 : 0, len);
}

/* ---- construction ------------------------------------------------------------------------- */

static size_t pow2_at_least(size_t n) {
    size_t p = 16;
    while (p < n) p <<= 1;
    return p;
}

/* Word id of folded bytes w[0..len), adding it when add is set; 0 when unknown. */
static uint32_t vocab_find(const fsift_matcher *m, const unsigned char *w, size_t len, uint64_t h, uint64_t c0,
                           uint64_t c1) {
    for (size_t i = h & m->vocab_mask;; i = (i + 1) & m->vocab_mask) {
        const vocab_slot *v = &m->vocab[i];
        if (!v->hash) return 0;
        if (v->hash == h && v->len == len && v->c0 == c0 && v->c1 == c1 &&
            (len <= 16 || !memcmp(m->words_pool + v->off + 16, w + 16, len - 16)))
            return v->wid;
    }
}

static int32_t edge_get(const fsift_matcher *m, int32_t s, uint32_t wid) {
    if (s == 0) return m->root_child[wid];
    uint64_t key = (uint64_t)s << 32 | wid;
    for (size_t i = mix(key) & m->edge_mask;; i = (i + 1) & m->edge_mask) {
        if (m->edges[i].key == key) return m->edges[i].child;
        if (!m->edges[i].key) return -1;
    }
}

static void edge_put(fsift_matcher *m, int32_t s, uint32_t wid, int32_t child) {
    if (s == 0) {
        m->root_child[wid] = child;
        return;
    }
    uint64_t key = (uint64_t)s << 32 | wid;
    size_t i = mix(key) & m->edge_mask;
    while (m->edges[i].key) i = (i + 1) & m->edge_mask;
    m->edges[i].key = key;
    m->edges[i].child = child;
}

/* Splits a pattern " w1 w2 " into words: calls back with each word's bytes. */
static int pattern_words(const lex_pattern *P, const unsigned char **w, size_t *wl, int cap) {
    int n = 0;
    const unsigned char *s = (const unsigned char *)P->folded + 1, *e = (const unsigned char *)P->folded + P->len - 1;
    while (s < e && n < cap) {
        const unsigned char *sp = memchr(s, ' ', (size_t)(e - s));
        if (!sp) sp = e;
        w[n] = s;
        wl[n] = (size_t)(sp - s);
        n++;
        s = sp + 1;
    }
    return n;
}

static int cmp_str(const char *a, size_t al, const char *b, size_t bl) {
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

typedef struct pat_key {
    const char *s;
    size_t len;
    int32_t p;
} pat_key;

static int cmp_pat(const void *a, const void *b) {
    const pat_key *x = a, *y = b;
    int c = cmp_str(x->s, x->len, y->s, y->len);
    return c ? c : (x->p > y->p) - (x->p < y->p);
}

static fsift_status build(fsift_matcher *m) {
    lex_set *L = &m->lex;
    size_t total_words = 0, pool_bytes = 0;
    for (size_t p = 0; p < L->npats; p++) {
        total_words += (size_t)L->pats[p].words;
        pool_bytes += L->pats[p].len;
    }
    m->vocab_mask = pow2_at_least(2 * total_words + 16) - 1;
    m->vocab = calloc(m->vocab_mask + 1, sizeof *m->vocab);
    m->words_pool = malloc(pool_bytes + 16);
    m->bloom = calloc((size_t)1 << (BLOOM_BITS - 6), sizeof *m->bloom);
    /* States: at most one per pattern word, plus the root. */
    size_t maxstates = total_words + 1;
    m->edge_mask = pow2_at_least(2 * maxstates) - 1;
    m->edges = calloc(m->edge_mask + 1, sizeof *m->edges);
    m->fail = malloc(maxstates * sizeof *m->fail);
    m->own = malloc(maxstates * sizeof *m->own);
    m->dict = malloc(maxstates * sizeof *m->dict);
    m->has_out = calloc(maxstates, 1);
    m->excl_first = malloc((L->npats + 1) * sizeof *m->excl_first);
    if (!m->vocab || !m->words_pool || !m->bloom || !m->edges || !m->fail || !m->own || !m->dict || !m->has_out ||
        !m->excl_first)
        return fsift_error(FSIFT_E_NOMEM, "lexicon: out of memory building the matcher");
    for (size_t p = 0; p < L->npats; p++) m->excl_first[p] = -1;
    size_t pool = 0;
    uint32_t nwords = 0;
    /* Vocabulary (exclusions included: their words are needed to compare phrases). */
    for (size_t p = 0; p < L->npats; p++) {
        const unsigned char *w[RING];
        size_t wl[RING];
        int nw = pattern_words(&L->pats[p], w, wl, RING);
        for (int k = 0; k < nw; k++) {
            if (wl[k] > MAX_WORD) continue;
            uint64_t c0, c1, h = hash_folded(w[k], wl[k], &c0, &c1);
            if (vocab_find(m, w[k], wl[k], h, c0, c1)) continue;
            size_t i = h & m->vocab_mask;
            while (m->vocab[i].hash) i = (i + 1) & m->vocab_mask;
            vocab_slot *v = &m->vocab[i];
            v->hash = h;
            v->c0 = c0;
            v->c1 = c1;
            v->len = (uint32_t)wl[k];
            v->off = (uint32_t)pool;
            v->wid = ++nwords;
            memcpy(m->words_pool + pool, w[k], wl[k]);
            pool += wl[k];
            m->bloom[(h >> (64 - BLOOM_BITS)) >> 6] |= 1ull << ((h >> (64 - BLOOM_BITS)) & 63);
        }
    }
    m->nwords = nwords;
    m->root_child = malloc((nwords + 1) * sizeof *m->root_child);
    if (!m->root_child) return fsift_error(FSIFT_E_NOMEM, "lexicon: out of memory building the matcher");
    for (size_t i = 0; i <= nwords; i++) m->root_child[i] = -1;
    /* Trie of the non-exclusion patterns. */
    m->nstates = 1;
    m->own[0] = -1;
    for (size_t p = 0; p < L->npats; p++) {
        const lex_pattern *P = &L->pats[p];
        if (L->terms[P->term].kind == TERM_EXCLUDE) continue;
        const unsigned char *w[RING + 1];
        size_t wl[RING + 1];
        int nw = pattern_words(P, w, wl, RING + 1);
        if (nw > RING) {
            fsift_log(FSIFT_LOG_WARN, "lexicon: '%s' has more than %d words; ignored", L->terms[P->term].text, RING);
            continue;
        }
        int32_t s = 0;
        int ok = 1;
        for (int k = 0; k < nw && ok; k++) {
            uint64_t c0, c1, h = hash_folded(w[k], wl[k], &c0, &c1);
            uint32_t wid = wl[k] <= MAX_WORD ? vocab_find(m, w[k], wl[k], h, c0, c1) : 0;
            if (!wid) {
                ok = 0;
                break;
            }
            int32_t nx = edge_get(m, s, wid);
            if (nx < 0) {
                nx = (int32_t)m->nstates++;
                m->own[nx] = -1;
                edge_put(m, s, wid, nx);
            }
            s = nx;
        }
        if (ok && s != 0 && m->own[s] < 0) m->own[s] = (int32_t)p; /* first wins */
    }
    /* Failure and dictionary links, breadth first. Children are found by walking the edge
     * table once: collect (parent, wid, child) triples ordered by child id, which is a valid
     * BFS-compatible order only per depth, so do a real BFS over a child list. */
    size_t ns = m->nstates;
    int32_t *first = malloc(ns * sizeof *first), *next = malloc(ns * sizeof *next);
    uint32_t *inwid = malloc(ns * sizeof *inwid);
    int32_t *queue = malloc(ns * sizeof *queue);
    if (!first || !next || !inwid || !queue) {
        free(first);
        free(next);
        free(inwid);
        free(queue);
        return fsift_error(FSIFT_E_NOMEM, "lexicon: out of memory building the matcher");
    }
    for (size_t s = 0; s < ns; s++) first[s] = -1;
    for (uint32_t w = 1; w <= nwords; w++) {
        int32_t c = m->root_child[w];
        if (c > 0) {
            inwid[c] = w;
            next[c] = first[0];
            first[0] = c;
        }
    }
    for (size_t i = 0; i <= m->edge_mask; i++)
        if (m->edges[i].key) {
            int32_t par = (int32_t)(m->edges[i].key >> 32), c = m->edges[i].child;
            inwid[c] = (uint32_t)m->edges[i].key;
            next[c] = first[par];
            first[par] = c;
        }
    size_t qh = 0, qt = 0;
    m->fail[0] = 0;
    m->dict[0] = -1;
    for (int32_t c = first[0]; c >= 0; c = next[c]) {
        m->fail[c] = 0;
        m->dict[c] = -1;
        queue[qt++] = c;
    }
    while (qh < qt) {
        int32_t s = queue[qh++];
        for (int32_t c = first[s]; c >= 0; c = next[c]) {
            int32_t f = m->fail[s], t;
            while ((t = edge_get(m, f, inwid[c])) < 0 && f != 0) f = m->fail[f];
            if (t < 0 || t == c) t = 0;
            m->fail[c] = t;
            m->dict[c] = m->own[t] >= 0 ? t : m->dict[t];
            queue[qt++] = c;
        }
    }
    for (size_t s = 0; s < ns; s++) m->has_out[s] = m->own[s] >= 0 || m->dict[s] >= 0;
    free(first);
    free(next);
    free(inwid);
    free(queue);
    /* Exclusions: every run of words of an exclusion phrase that is a term pattern gets a
     * reference to the phrase. Runs are looked up in the patterns sorted by folded text. */
    size_t nt = 0;
    pat_key *sorted = malloc((L->npats + 1) * sizeof *sorted);
    if (!sorted) return fsift_error(FSIFT_E_NOMEM, "lexicon: out of memory");
    for (size_t p = 0; p < L->npats; p++)
        if (L->terms[L->pats[p].term].kind != TERM_EXCLUDE)
            sorted[nt++] = (pat_key){L->pats[p].folded, L->pats[p].len, (int32_t)p};
    qsort(sorted, nt, sizeof *sorted, cmp_pat);
    size_t refcap = 0;
    fsift_status st = FSIFT_OK;
    for (size_t x = 0; x < L->npats && !st; x++) {
        const lex_pattern *X = &L->pats[x];
        if (L->terms[X->term].kind != TERM_EXCLUDE) continue;
        /* word starts (offsets of the spaces before each word) */
        size_t starts[RING + 1];
        int nw = 0;
        for (size_t i = 0; i + 1 < X->len && nw < RING; i++)
            if (X->folded[i] == ' ') starts[nw++] = i;
        starts[nw] = X->len - 1;
        for (int i = 0; i < nw && !st; i++)
            for (int j = i + 1; j <= nw && !st; j++) {
                const char *run = X->folded + starts[i];
                size_t rl = starts[j] - starts[i] + 1;
                size_t lo = 0, hi = nt;
                while (lo < hi) { /* first pattern >= run */
                    size_t mid = (lo + hi) / 2;
                    if (cmp_str(sorted[mid].s, sorted[mid].len, run, rl) < 0) lo = mid + 1;
                    else hi = mid;
                }
                for (; lo < nt && !cmp_str(sorted[lo].s, sorted[lo].len, run, rl); lo++) {
                    if (m->nrefs == refcap) {
                        refcap = refcap ? refcap * 2 : 64;
                        excl_ref *nr = realloc(m->excl_refs, refcap * sizeof *nr);
                        if (!nr) {
                            st = fsift_error(FSIFT_E_NOMEM, "lexicon: out of memory");
                            break;
                        }
                        m->excl_refs = nr;
                    }
                    int32_t p = sorted[lo].p;
                    excl_ref *r = &m->excl_refs[m->nrefs];
                    r->excl = (int32_t)x;
                    r->before = i;
                    r->next = m->excl_first[p];
                    m->excl_first[p] = (int32_t)m->nrefs++;
                }
            }
    }
    free(sorted);
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
    free(m->bloom);
    free(m->vocab);
    free(m->words_pool);
    free(m->edges);
    free(m->root_child);
    free(m->fail);
    free(m->own);
    free(m->dict);
    free(m->has_out);
    free(m->excl_first);
    free(m->excl_refs);
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
    info->bytes = ((size_t)1 << (BLOOM_BITS - 3)) + (m->vocab_mask + 1) * sizeof(vocab_slot) +
                  (m->edge_mask + 1) * sizeof(edge_slot) + (m->nwords + 1) * 4 + m->nstates * 13;
}

/* ---- scanning ------------------------------------------------------------------------------ */

/* Byte classes for the word cutter: 0 boundary, 1 ASCII letter or digit, 2 non-ASCII. */
static const uint8_t byte_class[256] = {
#define R8(a) a, a, a, a, a, a, a, a
    R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    R8(2), R8(2), R8(2), R8(2), R8(2), R8(2), R8(2), R8(2), R8(2), R8(2), R8(2), R8(2), R8(2), R8(2),
    R8(2), R8(2)
#undef R8
};

static int is_sep_at(const unsigned char *s, size_t n, size_t i, size_t *next) {
    int32_t cp;
    int k = fold_decode(s + i, n - i, &cp);
    if (next) *next = i + (size_t)k;
    return fold_cp(cp) == FOLD_SEP;
}

/* Start of the word `back` words before the word starting at pos (back >= 0). */
static size_t words_back(const unsigned char *s, size_t pos, int back) {
    size_t j = pos;
    for (int w = 0; w < back; w++) {
        while (j > 0) { /* the boundary run before the word */
            size_t k = fold_prev_start(s, j);
            if (!is_sep_at(s, j, k, NULL)) break;
            j = k;
        }
        while (j > 0) { /* the previous word */
            size_t k = fold_prev_start(s, j);
            if (is_sep_at(s, j, k, NULL)) break;
            j = k;
        }
    }
    return j;
}

/* Does the caption hold folded phrase pat (" w1 w2 ... ") starting at word start pos and
 * ending at a boundary? Sets *end to the offset after its last word. */
static int phrase_at(const unsigned char *s, size_t n, size_t pos, const char *pat, size_t plen, size_t *end) {
    size_t i = pos, k = 1; /* pat[0] is the leading space */
    while (k < plen) {
        if (pat[k] == ' ') {
            if (k == plen - 1) break;
            size_t nx;
            if (i >= n || !is_sep_at(s, n, i, &nx)) return 0;
            while (i < n && is_sep_at(s, n, i, &nx)) i = nx;
            k++;
            continue;
        }
        if (i >= n) return 0;
        int32_t cp;
        int len = fold_decode(s + i, n - i, &cp);
        int32_t f = fold_cp(cp);
        if (f < 0) return 0;
        unsigned char e[4];
        int ne = fold_encode(f, e);
        if (k + (size_t)ne > plen || memcmp(pat + k, e, (size_t)ne)) return 0;
        k += (size_t)ne;
        i += (size_t)len;
    }
    if (i < n && !is_sep_at(s, n, i, NULL)) return 0;
    *end = i;
    return 1;
}

static int excluded(const fsift_matcher *m, const unsigned char *s, size_t n, int32_t p, size_t ms, size_t me) {
    for (int32_t r = m->excl_first[p]; r >= 0; r = m->excl_refs[r].next) {
        const excl_ref *R = &m->excl_refs[r];
        const lex_pattern *X = &m->lex.pats[R->excl];
        size_t xs = words_back(s, ms, R->before), xe;
        if (phrase_at(s, n, xs, X->folded, X->len, &xe) && xe >= me) return 1;
    }
    return 0;
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
    /* O'Brien: an apostrophe between letters keeps the surname whole. */
    while (i + 1 < n && s[i] == '\'' && !is_sep_at(s, n, i + 1, NULL)) {
        i++;
        while (i < n && !is_sep_at(s, n, i, &next)) i = next;
    }
    return i;
}

typedef struct scan_ctx {
    const fsift_matcher *m;
    const unsigned char *s;
    size_t n;
    fsift_text_match *out;
    size_t cap, count;
    int first;
    size_t ring[RING]; /* start offsets of the last words */
    uint32_t nword;    /* words seen */
    int pending;       /* first mode: a first-name-rule match held for one more word */
    fsift_text_match pend;
    uint32_t pend_word;
} scan_ctx;

static int emit_pending(scan_ctx *c) {
    c->out[0] = c->pend;
    c->count = 1;
    c->pending = 0;
    return 1;
}

/* Reports the outputs of state st, whose last word ends at `end`. Returns 1 to stop.
 * First mode holds a first-name-rule match until the next word (its surname) is read, so
 * that a registry name or term starting at the same place ("Abraham Lincoln") is reported
 * instead of the rule. */
static int report(scan_ctx *c, int32_t st, size_t end) {
    const fsift_matcher *m = c->m;
    const lex_set *L = &m->lex;
    for (int32_t v = m->own[st] >= 0 ? st : m->dict[st]; v >= 0; v = m->dict[v]) {
        int32_t p = m->own[v];
        const lex_pattern *P = &L->pats[p];
        const lex_term *T = &L->terms[P->term];
        size_t ms = c->ring[(c->nword - (uint32_t)P->words) & (RING - 1)], me = end;
        if (T->kind == FSIFT_TERM_FIRST_NAME) {
            me = first_name_end(c->s, c->n, ms, end);
            if (!me) continue;
        }
        if (m->excl_first[p] >= 0 && excluded(m, c->s, c->n, p, ms, me)) continue;
        if (c->first && c->pending && ms > c->pend.offset) return emit_pending(c);
        if (c->first && T->kind == FSIFT_TERM_FIRST_NAME && !c->pending) {
            c->pending = 1;
            c->pend = (fsift_text_match){T->category, T->text, ms, me - ms, T->kind};
            c->pend_word = c->nword;
            continue;
        }
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

/* One word [ws, we) with its id: advance the automaton. */
static inline int step(scan_ctx *c, int32_t *st, uint32_t wid, size_t ws, size_t we) {
    const fsift_matcher *m = c->m;
    c->ring[c->nword & (RING - 1)] = ws;
    c->nword++;
    int r = 0;
    if (!wid) {
        *st = 0;
    } else {
        int32_t s = *st, t;
        while ((t = edge_get(m, s, wid)) < 0 && s != 0) s = m->fail[s];
        if (t < 0) t = 0;
        *st = t;
        if (m->has_out[t]) r = report(c, t, we);
    }
    if (!r && c->pending && c->nword > c->pend_word) r = emit_pending(c);
    return r;
}

/* End of the run of ASCII letters and digits starting at i. SSE2 (the x86-64 baseline):
 * 16 bytes are classified at once and the first other byte found with a bit scan; the tail
 * of the caption goes byte by byte. */
static inline size_t ascii_word_end(const unsigned char *s, size_t i, size_t n) {
#if defined(__SSE2__)
    const __m128i x20 = _mm_set1_epi8(0x20), a1 = _mm_set1_epi8('a' - 1), z1 = _mm_set1_epi8('z' + 1);
    const __m128i d0 = _mm_set1_epi8('0' - 1), d9 = _mm_set1_epi8('9' + 1);
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i l = _mm_or_si128(v, x20); /* bytes >= 0x80 stay negative: never a match */
        __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(l, a1), _mm_cmplt_epi8(l, z1));
        __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, d0), _mm_cmplt_epi8(v, d9));
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(letter, digit)) ^ 0xFFFFu;
        if (mask) return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
#endif
    while (i < n && byte_class[s[i]] == 1) i++;
    return i;
}

static inline int bloom_has(const fsift_matcher *m, uint64_t h) {
    uint64_t b = h >> (64 - BLOOM_BITS);
    return (int)(m->bloom[b >> 6] >> (b & 63) & 1);
}

static uint32_t lookup(const fsift_matcher *m, const unsigned char *w, size_t len) {
    if (len > MAX_WORD) return 0;
    uint64_t c0, c1, h = hash_folded(w, len, &c0, &c1);
    if (!bloom_has(m, h)) return 0;
    return vocab_find(m, w, len, h, c0, c1);
}

static void scan(scan_ctx *c) {
    const fsift_matcher *m = c->m;
    const unsigned char *s = c->s;
    size_t n = c->n, i = 0;
    int32_t st = 0;
    const uint64_t lower = 0x2020202020202020ull;
    while (i < n) {
        unsigned cls = byte_class[s[i]];
        if (cls == 0) {
            i++;
            continue;
        }
        if (cls == 2) { /* a non-ASCII boundary (’, —, NBSP, CJK, emoji) starts no word */
            size_t nx;
            if (is_sep_at(s, n, i, &nx)) {
                i = nx;
                continue;
            }
        }
        size_t ws = i;
        i = ascii_word_end(s, i, n);
        uint32_t wid;
        if (i == n || byte_class[s[i]] == 0) {
            /* ASCII word: hash straight from the caption. */
            size_t len = i - ws;
            uint64_t c0, c1, h;
            if (len <= 16 && ws + 16 <= n) {
                uint64_t a, b;
                memcpy(&a, s + ws, 8);
                memcpy(&b, s + ws + 8, 8);
                a |= lower;
                b |= lower;
                if (len < 8) {
                    a &= (1ull << (8 * len)) - 1;
                    b = 0;
                } else if (len < 16) {
                    b &= len == 8 ? 0 : (1ull << (8 * (len - 8))) - 1;
                }
                c0 = a;
                c1 = b;
                h = hash_chunks(c0, c1, NULL, 0, len);
                wid = bloom_has(m, h) ? vocab_find(m, NULL, len, h, c0, c1) : 0;
            } else if (len <= MAX_WORD) {
                unsigned char buf[MAX_WORD];
                for (size_t k = 0; k < len; k++) buf[k] = s[ws + k] | 0x20;
                wid = lookup(m, buf, len);
            } else {
                wid = 0;
            }
        } else {
            /* A word with non-ASCII characters: fold it character by character. */
            unsigned char buf[MAX_WORD + 8];
            size_t bl = 0;
            i = ws;
            while (i < n) {
                int32_t cp;
                int k = fold_decode(s + i, n - i, &cp);
                int32_t f = fold_cp(cp);
                if (f == FOLD_SEP) break;
                i += (size_t)k;
                if (bl <= MAX_WORD) {
                    if (f == FOLD_OTHER) buf[bl++] = 0x01; /* opaque: in no word */
                    else bl += (size_t)fold_encode(f, buf + bl);
                }
            }
            wid = bl <= MAX_WORD ? lookup(m, buf, bl) : 0;
        }
        if (step(c, &st, wid, ws, i)) return;
    }
    if (c->pending) emit_pending(c);
}

int fsift_matcher_first(const fsift_matcher *m, const char *text, size_t len, fsift_text_match *match) {
    if (!m || (!text && len)) return 0;
    fsift_text_match tmp;
    scan_ctx c;
    c.m = m;
    c.s = (const unsigned char *)text;
    c.n = len;
    c.out = match ? match : &tmp;
    c.cap = 1;
    c.count = 0;
    c.first = 1;
    c.nword = 0;
    c.pending = 0;
    scan(&c);
    return c.count ? 1 : 0;
}

size_t fsift_matcher_all(const fsift_matcher *m, const char *text, size_t len, fsift_text_match *out, size_t cap) {
    if (!m || (!text && len)) return 0;
    scan_ctx c;
    c.m = m;
    c.s = (const unsigned char *)text;
    c.n = len;
    c.out = out;
    c.cap = out ? cap : 0;
    c.count = 0;
    c.first = 0;
    c.nword = 0;
    c.pending = 0;
    scan(&c);
    return c.count;
}

int fsift_matcher_pattern(const fsift_matcher *m, size_t i, const char **text, size_t *len, int *category, int *kind) {
    if (!m || i >= m->lex.npats) return 0;
    const lex_pattern *P = &m->lex.pats[i];
    const lex_term *T = &m->lex.terms[P->term];
    *text = P->folded + 1;
    *len = P->len - 2;
    *category = T->category;
    *kind = T->kind;
    return 1;
}
