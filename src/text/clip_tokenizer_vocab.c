/*
 * clip_tokenizer_vocab.c — loads a CLIP BPE vocabulary into two open-addressing hash tables:
 * token string → id, and (left id, right id) → (merge rank, merged id).
 *
 * Formats:
 *   - OpenAI's merges file (bpe_simple_vocab_16e6.txt[.gz]): a header line, then one merge
 *     "a b" per line; only the first 49152 − 256 − 2 = 48,894 merges are used. The vocabulary
 *     is constructed as OpenAI does: the 256 byte symbols in the GPT-2 byte-map order, the
 *     same 256 with "</w>", one token per merge (a + b), then <|startoftext|> and
 *     <|endoftext|>. A string seen twice keeps its last id (as a Python dict built from the
 *     list does).
 *   - Hugging Face vocab.json (token → id) + merges.txt (same line format, header skipped).
 *   - Hugging Face tokenizer.json: model.vocab and model.merges ("a b" strings or [a, b]).
 * Merges whose parts are not in the vocabulary can never fire and are ignored; a merge whose
 * result is missing from a given vocab.json is an error. Empty lines are skipped.
 * Limits: files up to 64 MiB (decompressed), tokens up to 1 KiB, ids below 2^24.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <zlib.h>

#include "clip_tokenizer_internal.h"

#define VOCAB_MAX_BYTES ((size_t)64 << 20)
#define OPENAI_MERGES (49152 - 256 - 2)
#define TOKEN_MAX 1024
#define ID_MAX (1 << 24)

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static uint64_t hash_u64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

void fsift_clip_byte_map(uint32_t cp[256], uint8_t order[256]) {
    int used[256] = {0}, k = 0;
    for (int b = 0; b < 256; b++)
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) {
            used[b] = 1;
            cp[b] = (uint32_t)b;
            order[k++] = (uint8_t)b;
        }
    int n = 0;
    for (int b = 0; b < 256; b++)
        if (!used[b]) {
            cp[b] = 256u + (uint32_t)n++;
            order[k++] = (uint8_t)b;
        }
}

int32_t fsift_clip_vocab_get(const fsift_clip_tokenizer *t, const char *s, size_t len) {
    if (!t->vocab_cap || !len) return -1;
    size_t mask = t->vocab_cap - 1, i = hash_bytes(s, len) & mask;
    for (;; i = (i + 1) & mask) {
        const fsift_clip_vslot *v = &t->vocab[i];
        if (!v->len) return -1;
        if (v->len == len && !memcmp(t->strs + v->off, s, len)) return v->id;
    }
}

int32_t fsift_clip_pair_get(const fsift_clip_tokenizer *t, int32_t a, int32_t b, int32_t *merged) {
    if (!t->pairs_cap) return -1;
    uint64_t key = (((uint64_t)(uint32_t)a << 32) | (uint32_t)b) + 1;
    size_t mask = t->pairs_cap - 1, i = hash_u64(key) & mask;
    for (;; i = (i + 1) & mask) {
        const fsift_clip_pslot *p = &t->pairs[i];
        if (!p->key) return -1;
        if (p->key == key) {
            *merged = p->id;
            return p->rank;
        }
    }
}

static fsift_status grow_vocab(fsift_clip_tokenizer *t) {
    size_t cap = t->vocab_cap ? t->vocab_cap * 2 : 1024;
    fsift_clip_vslot *nv = calloc(cap, sizeof *nv);
    if (!nv) return fsift_error(FSIFT_E_NOMEM, "clip tokenizer: out of memory");
    for (size_t i = 0; i < t->vocab_cap; i++) {
        fsift_clip_vslot v = t->vocab[i];
        if (!v.len) continue;
        size_t j = hash_bytes(t->strs + v.off, v.len) & (cap - 1);
        while (nv[j].len) j = (j + 1) & (cap - 1);
        nv[j] = v;
    }
    free(t->vocab);
    t->vocab = nv;
    t->vocab_cap = cap;
    return FSIFT_OK;
}

/* Sets token s -> id (overwriting an existing entry). */
static fsift_status vocab_set(fsift_clip_tokenizer *t, const char *s, size_t len, int32_t id) {
    if (!len || len > TOKEN_MAX) return fsift_error(FSIFT_E_FORMAT, "clip vocabulary: token of %zu bytes (1..%d allowed)", len, TOKEN_MAX);
    if (id < 0 || id >= ID_MAX) return fsift_error(FSIFT_E_FORMAT, "clip vocabulary: token id %d out of range", (int)id);
    if ((t->vocab_n + 1) * 2 > t->vocab_cap) {
        fsift_status st = grow_vocab(t);
        if (st) return st;
    }
    size_t mask = t->vocab_cap - 1, i = hash_bytes(s, len) & mask;
    for (;; i = (i + 1) & mask) {
        fsift_clip_vslot *v = &t->vocab[i];
        if (!v->len) break;
        if (v->len == len && !memcmp(t->strs + v->off, s, len)) {
            v->id = id;
            return FSIFT_OK;
        }
    }
    if (t->strs_len + len > t->strs_cap) {
        size_t cap = t->strs_cap ? t->strs_cap * 2 : 65536;
        while (cap < t->strs_len + len) cap *= 2;
        char *ns = realloc(t->strs, cap);
        if (!ns) return fsift_error(FSIFT_E_NOMEM, "clip tokenizer: out of memory");
        t->strs = ns;
        t->strs_cap = cap;
    }
    memcpy(t->strs + t->strs_len, s, len);
    t->vocab[i] = (fsift_clip_vslot){(uint32_t)t->strs_len, (uint32_t)len, id};
    t->strs_len += len;
    t->vocab_n++;
    if (id >= t->vocab_size) t->vocab_size = id + 1;
    return FSIFT_OK;
}

static fsift_status pair_set(fsift_clip_tokenizer *t, int32_t a, int32_t b, int32_t rank, int32_t id) {
    if ((t->pairs_n + 1) * 2 > t->pairs_cap) {
        size_t cap = t->pairs_cap ? t->pairs_cap * 2 : 1024;
        fsift_clip_pslot *np = calloc(cap, sizeof *np);
        if (!np) return fsift_error(FSIFT_E_NOMEM, "clip tokenizer: out of memory");
        for (size_t i = 0; i < t->pairs_cap; i++) {
            if (!t->pairs[i].key) continue;
            size_t j = hash_u64(t->pairs[i].key) & (cap - 1);
            while (np[j].key) j = (j + 1) & (cap - 1);
            np[j] = t->pairs[i];
        }
        free(t->pairs);
        t->pairs = np;
        t->pairs_cap = cap;
    }
    uint64_t key = (((uint64_t)(uint32_t)a << 32) | (uint32_t)b) + 1;
    size_t mask = t->pairs_cap - 1, i = hash_u64(key) & mask;
    for (;; i = (i + 1) & mask) {
        fsift_clip_pslot *p = &t->pairs[i];
        if (!p->key) break;
        if (p->key == key) {
            p->rank = rank;
            p->id = id;
            return FSIFT_OK;
        }
    }
    t->pairs[i] = (fsift_clip_pslot){key, rank, id};
    t->pairs_n++;
    return FSIFT_OK;
}

/* UTF-8 of the byte symbol for b, with "</w>" when end; returns its length. */
static size_t byte_symbol(const uint32_t cp[256], int b, int end, char *buf) {
    size_t n = fsift_clip_utf8_put(cp[b], buf);
    if (end) {
        memcpy(buf + n, "</w>", 4);
        n += 4;
    }
    return n;
}

/* Splits "a b" (one line, no newline) at its single space. */
static int split_merge(const char *line, size_t len, size_t *sp) {
    const char *s = memchr(line, ' ', len);
    if (!s || s == line || (size_t)(s - line) + 1 >= len) return 0;
    if (memchr(s + 1, ' ', len - (size_t)(s - line) - 1)) return 0;
    *sp = (size_t)(s - line);
    return 1;
}

/* OpenAI's construction: the merged token a+b joins the vocabulary as id. */
static fsift_status add_merged_token(fsift_clip_tokenizer *t, const char *a, size_t al, const char *b, size_t bl,
                                     int32_t id, size_t lineno) {
    char buf[2 * TOKEN_MAX];
    if (al + bl > TOKEN_MAX)
        return fsift_error(FSIFT_E_FORMAT, "clip merges line %zu: merged token over %d bytes", lineno, TOKEN_MAX);
    memcpy(buf, a, al);
    memcpy(buf + al, b, bl);
    return vocab_set(t, buf, al + bl, id);
}

/* Pass 0: (construct) the merged tokens and the specials; pass 1: ranks for every merge
 * whose parts are known. The first line is a header in both formats. */
static fsift_status rank_merges(fsift_clip_tokenizer *t, const char *text, size_t len, int max_merges,
                                int construct) {
    size_t pos = 0, lineno = 0;
    int32_t rank = 0;
    char buf[2 * TOKEN_MAX];
    const char *nl = memchr(text, '\n', len);
    pos = nl ? (size_t)(nl - text) + 1 : len;
    lineno = 1;
    for (int pass = 0; pass < 2; pass++) {
        size_t p = pos, ln = lineno;
        rank = 0;
        while (p < len && rank < max_merges) {
            const char *e = memchr(text + p, '\n', len - p);
            size_t l = e ? (size_t)(e - text) - p : len - p;
            const char *line = text + p;
            p += l + (e ? 1 : 0);
            ln++;
            if (l && line[l - 1] == '\r') l--;
            if (!l) continue;
            size_t sp;
            if (!split_merge(line, l, &sp))
                return fsift_error(FSIFT_E_FORMAT, "clip merges line %zu: expected two tokens separated by one space", ln);
            if (pass == 0) {
                fsift_status st = construct ? add_merged_token(t, line, sp, line + sp + 1, l - sp - 1, 512 + rank, ln) : FSIFT_OK;
                if (st) return st;
            } else {
                int32_t ia = fsift_clip_vocab_get(t, line, sp), ib = fsift_clip_vocab_get(t, line + sp + 1, l - sp - 1);
                if (ia >= 0 && ib >= 0) {
                    if (l - 1 > TOKEN_MAX)
                        return fsift_error(FSIFT_E_FORMAT, "clip merges line %zu: merged token over %d bytes", ln, TOKEN_MAX);
                    memcpy(buf, line, sp);
                    memcpy(buf + sp, line + sp + 1, l - sp - 1);
                    int32_t im = fsift_clip_vocab_get(t, buf, l - 1);
                    if (im < 0)
                        return fsift_error(FSIFT_E_FORMAT, "clip merges line %zu: merged token '%.*s' is not in the vocabulary",
                                           ln, (int)(l - 1 > 64 ? 64 : l - 1), buf);
                    fsift_status st = pair_set(t, ia, ib, rank, im);
                    if (st) return st;
                }
            }
            rank++;
        }
        if (pass == 0 && construct) {
            fsift_status st = vocab_set(t, "<|startoftext|>", 15, 512 + rank);
            if (!st) st = vocab_set(t, "<|endoftext|>", 13, 512 + rank + 1);
            if (st) return st;
        }
    }
    return FSIFT_OK;
}

static fsift_status finish(fsift_clip_tokenizer *t) {
    uint32_t cp[256];
    uint8_t order[256];
    char buf[16];
    fsift_clip_byte_map(cp, order);
    for (int b = 0; b < 256; b++) {
        t->byte_id[b] = fsift_clip_vocab_get(t, buf, byte_symbol(cp, b, 0, buf));
        t->byte_end_id[b] = fsift_clip_vocab_get(t, buf, byte_symbol(cp, b, 1, buf));
        if (t->byte_id[b] < 0 || t->byte_end_id[b] < 0)
            return fsift_error(FSIFT_E_FORMAT, "clip vocabulary: the symbol for byte 0x%02X%s is missing", b,
                               t->byte_id[b] < 0 ? "" : " + </w>");
    }
    t->start_id = fsift_clip_vocab_get(t, "<|startoftext|>", 15);
    t->end_id = fsift_clip_vocab_get(t, "<|endoftext|>", 13);
    if (t->start_id < 0 || t->end_id < 0)
        return fsift_error(FSIFT_E_FORMAT, "clip vocabulary: <|startoftext|> or <|endoftext|> is missing");
    return FSIFT_OK;
}

static fsift_clip_tokenizer *tok_new(void) { return calloc(1, sizeof(fsift_clip_tokenizer)); }

void fsift_clip_tokenizer_free(fsift_clip_tokenizer *t) {
    if (!t) return;
    free(t->strs);
    free(t->vocab);
    free(t->pairs);
    free(t);
}

static fsift_status add_vocab_object(fsift_clip_tokenizer *t, json_t *obj, const char *what) {
    if (!json_is_object(obj)) return fsift_error(FSIFT_E_FORMAT, "%s: expected a JSON object of token -> id", what);
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        if (!json_is_integer(v)) return fsift_error(FSIFT_E_FORMAT, "%s: the id of '%.40s' is not an integer", what, k);
        json_int_t id = json_integer_value(v);
        if (id < 0 || id >= ID_MAX) return fsift_error(FSIFT_E_FORMAT, "%s: id %lld out of range", what, (long long)id);
        fsift_status st = vocab_set(t, k, strlen(k), (int32_t)id);
        if (st) return st;
    }
    return FSIFT_OK;
}

fsift_status fsift_clip_tokenizer_from_memory(const char *merges, size_t merges_len, const char *vocab_json,
                                              size_t vocab_len, fsift_clip_tokenizer **out) {
    *out = NULL;
    if (!merges) return fsift_error(FSIFT_E_INVALID_ARG, "clip tokenizer: no merges");
    fsift_clip_tokenizer *t = tok_new();
    if (!t) return fsift_error(FSIFT_E_NOMEM, "clip tokenizer: out of memory");
    fsift_status st = FSIFT_OK;
    if (!vocab_json) {
        uint32_t cp[256];
        uint8_t order[256];
        char buf[16];
        fsift_clip_byte_map(cp, order);
        for (int i = 0; i < 256 && !st; i++) st = vocab_set(t, buf, byte_symbol(cp, order[i], 0, buf), i);
        for (int i = 0; i < 256 && !st; i++) st = vocab_set(t, buf, byte_symbol(cp, order[i], 1, buf), 256 + i);
        if (!st) st = rank_merges(t, merges, merges_len, OPENAI_MERGES, 1);
        snprintf(t->id_str, sizeof t->id_str, "openai-bpe(%d tokens)", (int)t->vocab_size);
    } else {
        json_error_t err;
        json_t *root = json_loadb(vocab_json, vocab_len, 0, &err);
        if (!root) st = fsift_error(FSIFT_E_FORMAT, "vocab.json: line %d: %s", err.line, err.text);
        else st = add_vocab_object(t, root, "vocab.json");
        json_decref(root);
        if (!st) st = rank_merges(t, merges, merges_len, OPENAI_MERGES, 0);
        snprintf(t->id_str, sizeof t->id_str, "hf-vocab(%d tokens)", (int)t->vocab_size);
    }
    if (!st) st = finish(t);
    if (st) {
        fsift_clip_tokenizer_free(t);
        return st;
    }
    *out = t;
    return FSIFT_OK;
}

fsift_status fsift_clip_tokenizer_from_tokenizer_json(const char *json, size_t len, fsift_clip_tokenizer **out) {
    *out = NULL;
    json_error_t err;
    json_t *root = json_loadb(json, len, 0, &err);
    if (!root) return fsift_error(FSIFT_E_FORMAT, "tokenizer.json: line %d: %s", err.line, err.text);
    fsift_clip_tokenizer *t = tok_new();
    fsift_status st = t ? FSIFT_OK : fsift_error(FSIFT_E_NOMEM, "clip tokenizer: out of memory");
    json_t *model = json_object_get(root, "model");
    json_t *merges = json_object_get(model, "merges");
    if (!st && (!json_is_object(model) || !json_is_array(merges)))
        st = fsift_error(FSIFT_E_FORMAT, "tokenizer.json: no model.vocab / model.merges (not a BPE tokenizer)");
    if (!st) st = add_vocab_object(t, json_object_get(model, "vocab"), "tokenizer.json model.vocab");
    json_t *added = json_object_get(root, "added_tokens");
    size_t i;
    json_t *v;
    if (!st && json_is_array(added)) json_array_foreach(added, i, v) {
            json_t *c = json_object_get(v, "content"), *id = json_object_get(v, "id");
            if (st || !json_is_string(c) || !json_is_integer(id)) continue;
            json_int_t n = json_integer_value(id);
            if (n >= 0 && n < ID_MAX) st = vocab_set(t, json_string_value(c), strlen(json_string_value(c)), (int32_t)n);
        }
    char buf[2 * TOKEN_MAX + 2];
    if (!st) json_array_foreach(merges, i, v) {
            const char *a, *b;
            if (json_is_string(v)) {
                const char *s = json_string_value(v);
                size_t l = strlen(s), sp;
                if (!split_merge(s, l, &sp) || l > 2 * TOKEN_MAX) {
                    st = fsift_error(FSIFT_E_FORMAT, "tokenizer.json: merge %zu is not \"a b\"", i);
                    break;
                }
                memcpy(buf, s, l + 1);
                buf[sp] = 0;
                a = buf;
                b = buf + sp + 1;
            } else if (json_is_array(v) && json_array_size(v) == 2 && json_is_string(json_array_get(v, 0)) &&
                       json_is_string(json_array_get(v, 1))) {
                a = json_string_value(json_array_get(v, 0));
                b = json_string_value(json_array_get(v, 1));
            } else {
                st = fsift_error(FSIFT_E_FORMAT, "tokenizer.json: merge %zu is neither \"a b\" nor [a, b]", i);
                break;
            }
            size_t al = strlen(a), bl = strlen(b);
            int32_t ia = fsift_clip_vocab_get(t, a, al), ib = fsift_clip_vocab_get(t, b, bl);
            if (ia < 0 || ib < 0) continue;
            char m[2 * TOKEN_MAX];
            if (al + bl > TOKEN_MAX) {
                st = fsift_error(FSIFT_E_FORMAT, "tokenizer.json: merge %zu: token over %d bytes", i, TOKEN_MAX);
                break;
            }
            memcpy(m, a, al);
            memcpy(m + al, b, bl);
            int32_t im = fsift_clip_vocab_get(t, m, al + bl);
            if (im < 0) {
                st = fsift_error(FSIFT_E_FORMAT, "tokenizer.json: merge %zu: merged token is not in model.vocab", i);
                break;
            }
            if ((st = pair_set(t, ia, ib, (int32_t)i, im))) break;
        }
    json_decref(root);
    if (!st) {
        snprintf(t->id_str, sizeof t->id_str, "hf-tokenizer-json(%d tokens)", (int)t->vocab_size);
        st = finish(t);
    }
    if (st) {
        fsift_clip_tokenizer_free(t);
        return st;
    }
    *out = t;
    return FSIFT_OK;
}

/* Reads a whole file, gunzipping it when it starts with the gzip magic. */
static fsift_status read_maybe_gz(const char *path, char **data, size_t *size) {
    void *raw;
    size_t n;
    fsift_status st = fsift_file_read(path, VOCAB_MAX_BYTES, &raw, &n);
    if (st) return st;
    const unsigned char *u = raw;
    if (n < 2 || u[0] != 0x1f || u[1] != 0x8b) {
        *data = raw;
        *size = n;
        return FSIFT_OK;
    }
    free(raw);
    gzFile gz = gzopen(path, "rb");
    if (!gz) return fsift_error(FSIFT_E_IO, "%s: cannot open as gzip", path);
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len == cap) {
            if (cap >= VOCAB_MAX_BYTES) {
                free(buf);
                gzclose(gz);
                return fsift_error(FSIFT_E_LIMIT, "%s: over %zu MiB uncompressed", path, VOCAB_MAX_BYTES >> 20);
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
        int r = gzread(gz, buf + len, (unsigned)(cap - len));
        if (r < 0) {
            free(buf);
            gzclose(gz);
            return fsift_error(FSIFT_E_FORMAT, "%s: corrupt gzip data", path);
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    gzclose(gz);
    if (!buf) return fsift_error(FSIFT_E_NOMEM, "%s: out of memory", path);
    *data = buf;
    *size = len;
    return FSIFT_OK;
}

static int is_dir(const char *p) {
    struct stat s;
    return stat(p, &s) == 0 && S_ISDIR(s.st_mode);
}

static int exists(const char *p) {
    struct stat s;
    return stat(p, &s) == 0 && S_ISREG(s.st_mode);
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

fsift_status fsift_clip_tokenizer_load(const char *path, fsift_clip_tokenizer **out) {
    *out = NULL;
    char a[4096], b[4096];
    if (!path || strlen(path) > 4000) return fsift_error(FSIFT_E_INVALID_ARG, "clip vocabulary: bad path");
    if (is_dir(path)) {
        static const char *const names[] = {"tokenizer.json", "vocab.json", "bpe_simple_vocab_16e6.txt.gz",
                                            "bpe_simple_vocab_16e6.txt"};
        for (size_t i = 0; i < 4; i++) {
            snprintf(a, sizeof a, "%s/%s", path, names[i]);
            if (exists(a)) return fsift_clip_tokenizer_load(a, out);
        }
        return fsift_error(FSIFT_E_IO, "%s: no tokenizer.json, vocab.json + merges.txt or bpe_simple_vocab_16e6.txt.gz", path);
    }
    char *data = NULL, *merges = NULL;
    size_t n = 0, mn = 0;
    fsift_status st = read_maybe_gz(path, &data, &n);
    if (st) return st;
    size_t pl = strlen(path);
    const char *bn = base_name(path);
    if (pl > 5 && !strcmp(path + pl - 5, ".json")) {
        int is_tok = strcmp(bn, "vocab.json") != 0 && memmem(data, n, "\"model\"", 7) != NULL;
        if (is_tok) {
            st = fsift_clip_tokenizer_from_tokenizer_json(data, n, out);
        } else {
            snprintf(a, sizeof a, "%.*smerges.txt", (int)(bn - path), path);
            st = read_maybe_gz(a, &merges, &mn);
            if (st) st = fsift_error(st, "%s: a vocab.json needs merges.txt beside it (%s)", path, fsift_last_error());
            else st = fsift_clip_tokenizer_from_memory(merges, mn, data, n, out);
        }
    } else {
        st = fsift_clip_tokenizer_from_memory(data, n, NULL, 0, out);
    }
    if (st) st = fsift_error(st, "%s: %s", path, (snprintf(b, sizeof b, "%s", fsift_last_error()), b));
    else {
        char id[160];
        snprintf(id, sizeof id, "%s", (*out)->id_str);
        char *paren = strchr(id, '(');
        if (paren) snprintf((*out)->id_str, sizeof (*out)->id_str, "%.*s(%.60s, %s", (int)(paren - id), id, bn, paren + 1);
    }
    free(data);
    free(merges);
    return st;
}
