/*
 * clip_tokenizer.c — CLIP text → 77 token ids: cleaning (clip_tokenizer_clean.c), the
 * pre-split, byte-level BPE and the start/end/truncate/pad framing.
 *
 * Pre-split: at each position the first alternative that matches wins, as in OpenAI's
 * regex (compiled with IGNORECASE):
 *   "<|startoftext|>" | "<|endoftext|>" | 's 't 're 've 'm 'll 'd | letters+ | one number |
 *   run of characters that are neither \s, letters nor numbers; else skip one character.
 * IGNORECASE effects kept: U+017F (ſ) matches "s" in the literals; U+0345 (which folds to a
 * letter) matches no class and is skipped like whitespace. Only the exact special strings
 * map to the special ids; anything else is BPE-encoded.
 * BPE: a word's UTF-8 bytes become byte symbols (the last with "</w>"); repeatedly the
 * adjacent pair with the lowest merge rank is merged everywhere, left to right, until no
 * pair has a rank. Work per word is O(length × merges applied); only the first
 * FSIFT_CLIP_CONTEXT − 2 tokens are produced (later words are counted, not encoded).
 * Thread-safe: the tokenizer is read-only.
 */
#include <stdlib.h>
#include <string.h>

#include "clip_tokenizer_internal.h"

int32_t fsift_clip_tokenizer_start_id(const fsift_clip_tokenizer *t) { return t->start_id; }
int32_t fsift_clip_tokenizer_end_id(const fsift_clip_tokenizer *t) { return t->end_id; }
int32_t fsift_clip_tokenizer_vocab_size(const fsift_clip_tokenizer *t) { return t->vocab_size; }
const char *fsift_clip_tokenizer_id(const fsift_clip_tokenizer *t) { return t->id_str; }
const char *fsift_clip_unicode_version_str(void) { return fsift_clip_unicode_version; }

static int is_letter(uint32_t c) { return fsift_clip_in_ranges(fsift_clip_letter, fsift_clip_letter_count, c); }
static int is_number(uint32_t c) { return fsift_clip_in_ranges(fsift_clip_number, fsift_clip_number_count, c); }
static int is_other(uint32_t c) { return c != 0x345 && !fsift_clip_is_space(c) && !is_letter(c) && !is_number(c); }

/* Case-insensitive literal match as the regex sees lowercase text: only ſ also reads as s. */
static size_t match_lit(const uint32_t *s, size_t n, const char *lit) {
    size_t l = strlen(lit);
    if (l > n) return 0;
    for (size_t i = 0; i < l; i++) {
        uint32_t c = s[i], want = (unsigned char)lit[i];
        if (c >= 'A' && c <= 'Z') c += 32;
        if (c == 0x17F) c = 's';
        if (c != want) return 0;
    }
    return l;
}

/* Length of the pre-split token at s[0..n) (0: skip one character). */
static size_t next_token(const uint32_t *s, size_t n) {
    static const char *const lits[] = {"<|startoftext|>", "<|endoftext|>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
    for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++) {
        size_t l = match_lit(s, n, lits[i]);
        if (l) return l;
    }
    size_t k = 0;
    if (is_letter(s[0])) {
        while (k < n && is_letter(s[k])) k++;
        return k;
    }
    if (is_number(s[0])) return 1;
    while (k < n && is_other(s[k])) k++;
    return k;
}

/* BPE over syms[0..n) in place; returns the new length. */
static size_t bpe(const fsift_clip_tokenizer *t, int32_t *syms, size_t n) {
    while (n > 1) {
        int32_t best = -1, best_id = -1, a = -1, b = -1;
        for (size_t i = 0; i + 1 < n; i++) {
            int32_t m, r = fsift_clip_pair_get(t, syms[i], syms[i + 1], &m);
            if (r >= 0 && (best < 0 || r < best)) {
                best = r;
                best_id = m;
                a = syms[i];
                b = syms[i + 1];
            }
        }
        if (best < 0) break;
        size_t o = 0;
        for (size_t i = 0; i < n;) {
            if (i + 1 < n && syms[i] == a && syms[i + 1] == b) {
                syms[o++] = best_id;
                i += 2;
            } else {
                syms[o++] = syms[i++];
            }
        }
        n = o;
    }
    return n;
}

fsift_status fsift_clip_tokenize(const fsift_clip_tokenizer *t, const char *text, size_t len,
                                 int32_t ids[FSIFT_CLIP_CONTEXT], int *n_tokens) {
    memset(ids, 0, sizeof(int32_t) * FSIFT_CLIP_CONTEXT);
    if (n_tokens) *n_tokens = 0;
    if (len > FSIFT_CLIP_MAX_TEXT)
        return fsift_error(FSIFT_E_LIMIT, "clip tokenizer: text of %zu bytes (at most %d)", len, FSIFT_CLIP_MAX_TEXT);
    fsift_clip_cps raw = {0}, clean = {0};
    int32_t *syms = NULL;
    fsift_status st = fsift_clip_utf8_decode(text ? text : "", text ? len : 0, &raw);
    if (!st) st = fsift_clip_clean(&raw, &clean);
    const int max_body = FSIFT_CLIP_CONTEXT - 2;
    int count = 0; /* content tokens (capped at max_body + 1) */
    ids[0] = t->start_id;
    size_t i = 0;
    while (!st && i < clean.n && count <= max_body) {
        size_t l = next_token(clean.v + i, clean.n - i);
        if (!l) {
            i++;
            continue;
        }
        const uint32_t *w = clean.v + i;
        i += l;
        if ((l == 15 && match_lit(w, l, "<|startoftext|>") && w[2] == 's') ||
            (l == 13 && match_lit(w, l, "<|endoftext|>"))) {
            int exact = 1;
            for (size_t q = 0; q < l; q++) exact &= w[q] < 0x80;
            if (exact) {
                if (count < max_body) ids[1 + count] = l == 15 ? t->start_id : t->end_id;
                count++;
                continue;
            }
        }
        /* UTF-8 bytes → byte symbols */
        size_t nb = 0;
        free(syms);
        syms = malloc(l * 4 * sizeof *syms);
        if (!syms) {
            st = fsift_error(FSIFT_E_NOMEM, "clip tokenizer: out of memory");
            break;
        }
        for (size_t q = 0; q < l; q++) {
            char u[4];
            size_t k = fsift_clip_utf8_put(w[q], u);
            for (size_t z = 0; z < k; z++) syms[nb++] = t->byte_id[(unsigned char)u[z]];
            if (q + 1 == l) syms[nb - 1] = t->byte_end_id[(unsigned char)u[k - 1]];
        }
        nb = bpe(t, syms, nb);
        for (size_t q = 0; q < nb && count <= max_body; q++) {
            if (count < max_body) ids[1 + count] = syms[q];
            count++;
        }
    }
    if (!st) {
        int body = count < max_body ? count : max_body;
        ids[1 + body] = t->end_id;
        if (n_tokens) *n_tokens = count + 2;
    } else {
        memset(ids, 0, sizeof(int32_t) * FSIFT_CLIP_CONTEXT);
    }
    free(syms);
    free(raw.v);
    free(clean.v);
    return st;
}
