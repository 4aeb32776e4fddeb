/*
 * items.c — what `facesift eval` scores: one item per line of a JSONL manifest
 * ({"generated": PATH, "prompt": TEXT, "reference": PATH}; relative paths are taken from the
 * manifest's folder), or the images of a folder matched by name (file name without its
 * extension) with a reference folder (or one reference file for all) and a prompts file of
 * "name<TAB>prompt" lines. A bad line becomes an item with its error (reported on stderr
 * and in per_image.csv), so a run always finishes. Limits: lines up to 1 MiB, 1 M items.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "eval_internal.h"

#define MAX_ITEMS 1000000 /* rows of per_image.csv are kept in memory (~0.5 KiB each) */
#define MAX_LINE (1 << 20)

static char *dup_str(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static char *join(const char *dir, const char *p) {
    if (!p) return NULL;
    if (p[0] == '/' || !dir || !*dir) return dup_str(p);
    size_t a = strlen(dir), b = strlen(p);
    char *s = malloc(a + b + 2);
    if (!s) return NULL;
    memcpy(s, dir, a);
    s[a] = '/';
    memcpy(s + a + 1, p, b + 1);
    return s;
}

static eval_item *push(eval_items *it, int line) {
    if (it->n >= MAX_ITEMS) return NULL;
    if (it->n == it->cap) {
        int cap = it->cap ? it->cap * 2 : 64;
        eval_item *v = realloc(it->v, sizeof *v * (size_t)cap);
        if (!v) return NULL;
        it->v = v;
        it->cap = cap;
    }
    eval_item *e = &it->v[it->n++];
    memset(e, 0, sizeof *e);
    e->line = line;
    return e;
}

static void bad(eval_item *e, int quiet, const char *src, const char *fmt, const char *detail) {
    char msg[512];
    snprintf(msg, sizeof msg, fmt, detail);
    e->error = dup_str(msg);
    if (!quiet) fprintf(stderr, "facesift eval: %s line %d: %s\n", src, e->line, msg);
}

void eval_items_free(eval_items *it) {
    if (!it) return;
    for (int i = 0; i < it->n; i++) {
        free(it->v[i].generated);
        free(it->v[i].reference);
        free(it->v[i].prompt);
        free(it->v[i].error);
    }
    free(it->v);
    memset(it, 0, sizeof *it);
}

fsift_status eval_mkdirs(const char *dir) {
    char p[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof p) return fsift_error(FSIFT_E_INVALID_ARG, "bad output folder '%s'", dir);
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) return fsift_error(FSIFT_E_IO, "%s: cannot create (%s)", p, strerror(errno));
        p[i] = c;
    }
    return FSIFT_OK;
}

/* Reads manifest lines from f; path names the source in messages, dir resolves relative paths. */
static fsift_status read_manifest(FILE *f, const char *path, const char *dir, eval_items *out, int quiet) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0;
    fsift_status st = FSIFT_OK;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) line[--n] = 0;
        if (n == 0) continue;
        eval_item *e = push(out, lineno);
        if (!e) {
            st = fsift_error(FSIFT_E_LIMIT, "%s: more than %d items (or out of memory)", path, MAX_ITEMS);
            break;
        }
        if (n > MAX_LINE) {
            bad(e, quiet, path, "line longer than 1 MiB%s", "");
            continue;
        }
        json_error_t err;
        json_t *o = json_loadb(line, (size_t)n, 0, &err);
        if (!json_is_object(o)) {
            bad(e, quiet, path, "not a JSON object: %s", o ? "wrong type" : err.text);
            json_decref(o);
            continue;
        }
        json_t *g = json_object_get(o, "generated"), *r = json_object_get(o, "reference"), *p = json_object_get(o, "prompt");
        if (!json_is_string(g)) bad(e, quiet, path, "\"generated\" (a path) is missing%s", "");
        else if (r && !json_is_string(r) && !json_is_null(r)) bad(e, quiet, path, "\"reference\" is not a path%s", "");
        else if (p && !json_is_string(p) && !json_is_null(p)) bad(e, quiet, path, "\"prompt\" is not a string%s", "");
        else {
            e->generated = join(dir, json_string_value(g));
            e->reference = json_is_string(r) ? join(dir, json_string_value(r)) : NULL;
            e->prompt = json_is_string(p) ? dup_str(json_string_value(p)) : NULL;
            if (json_is_string(p) && strlen(json_string_value(p)) != json_string_length(p))
                bad(e, quiet, path, "\"prompt\" contains a NUL character%s", "");
        }
        json_decref(o);
    }
    free(line);
    if (st) eval_items_free(out);
    return st;
}

fsift_status eval_items_from_manifest(const char *path, eval_items *out, int quiet) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return fsift_error(FSIFT_E_IO, "%s: cannot open the manifest (%s)", path, strerror(errno));
    char dir[4096] = "";
    const char *slash = strrchr(path, '/');
    if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    fsift_status st = read_manifest(f, path, dir, out, quiet);
    fclose(f);
    return st;
}

fsift_status eval_items_from_manifest_memory(const char *data, size_t len, const char *base_dir, eval_items *out,
                                             int quiet) {
    memset(out, 0, sizeof *out);
    if (!len) return FSIFT_OK;
    FILE *f = fmemopen((void *)data, len, "rb");
    if (!f) return fsift_error(FSIFT_E_NOMEM, "manifest: cannot open the buffer");
    fsift_status st = read_manifest(f, "manifest", base_dir, out, quiet);
    fclose(f);
    return st;
}

static int is_image_name(const char *n) {
    const char *d = strrchr(n, '.');
    if (!d || d == n) return 0;
    static const char *const ext[] = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (!strcasecmp(d, ext[i])) return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted image file names of a folder. */
static fsift_status list_images(const char *dir, char ***names, int *count) {
    DIR *d = opendir(dir);
    if (!d) return fsift_error(FSIFT_E_IO, "%s: cannot open the folder (%s)", dir, strerror(errno));
    char **v = NULL;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !is_image_name(de->d_name)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, sizeof *v * (size_t)cap);
            if (!nv) break;
            v = nv;
        }
        if (n >= MAX_ITEMS || !(v[n] = dup_str(de->d_name))) break;
        n++;
    }
    closedir(d);
    qsort(v, (size_t)n, sizeof *v, cmp_str);
    *names = v;
    *count = n;
    return FSIFT_OK;
}

static size_t stem_len(const char *n) {
    const char *d = strrchr(n, '.');
    return d ? (size_t)(d - n) : strlen(n);
}

typedef struct prompt_row {
    char *name, *text;
} prompt_row;

static int cmp_prompt(const void *a, const void *b) {
    return strcmp(((const prompt_row *)a)->name, ((const prompt_row *)b)->name);
}

fsift_status eval_items_from_dirs(const char *generated_dir, const char *reference, const char *prompts,
                                  eval_items *out, int quiet) {
    memset(out, 0, sizeof *out);
    char **gen = NULL, **refs = NULL;
    int ng = 0, nr = 0, np = 0, pcap = 0;
    prompt_row *pr = NULL;
    struct stat sb;
    int ref_is_dir = reference && stat(reference, &sb) == 0 && S_ISDIR(sb.st_mode);
    fsift_status st = list_images(generated_dir, &gen, &ng);
    if (!st && ref_is_dir) st = list_images(reference, &refs, &nr);
    if (!st && prompts) {
        FILE *f = fopen(prompts, "rb");
        if (!f) st = fsift_error(FSIFT_E_IO, "%s: cannot open the prompts file (%s)", prompts, strerror(errno));
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        int lineno = 0;
        while (f && (n = getline(&line, &cap, f)) >= 0) {
            lineno++;
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
            if (!n) continue;
            char *tab = strchr(line, '\t');
            if (!tab) {
                if (!quiet) fprintf(stderr, "facesift eval: %s line %d: expected NAME<TAB>PROMPT; line ignored\n", prompts, lineno);
                continue;
            }
            *tab = 0;
            if (np == pcap) {
                pcap = pcap ? pcap * 2 : 64;
                prompt_row *nv = realloc(pr, sizeof *pr * (size_t)pcap);
                if (!nv) break;
                pr = nv;
            }
            pr[np].name = dup_str(line);
            pr[np].text = dup_str(tab + 1);
            np++;
        }
        free(line);
        if (f) fclose(f);
        if (pr) qsort(pr, (size_t)np, sizeof *pr, cmp_prompt);
    }
    for (int i = 0; !st && i < ng; i++) {
        eval_item *e = push(out, i + 1);
        if (!e) {
            st = fsift_error(FSIFT_E_NOMEM, "eval: out of memory");
            break;
        }
        e->generated = join(generated_dir, gen[i]);
        char stem[1024];
        snprintf(stem, sizeof stem, "%.*s", (int)stem_len(gen[i]), gen[i]);
        if (reference && !ref_is_dir) e->reference = dup_str(reference);
        for (int k = 0; ref_is_dir && k < nr; k++)
            if (stem_len(refs[k]) == strlen(stem) && !strncmp(refs[k], stem, strlen(stem))) {
                e->reference = join(reference, refs[k]);
                break;
            }
        if (pr) {
            prompt_row key = {stem, NULL};
            prompt_row *hit = bsearch(&key, pr, (size_t)np, sizeof *pr, cmp_prompt);
            if (hit) e->prompt = dup_str(hit->text);
        }
        if (ref_is_dir && !e->reference && !quiet)
            fprintf(stderr, "facesift eval: %s: no reference named %s.* in %s\n", gen[i], stem, reference);
        if (prompts && !e->prompt && !quiet) fprintf(stderr, "facesift eval: %s: no prompt for '%s' in %s\n", gen[i], stem, prompts);
    }
    for (int i = 0; i < ng; i++) free(gen[i]);
    for (int i = 0; i < nr; i++) free(refs[i]);
    for (int i = 0; i < np; i++) {
        free(pr[i].name);
        free(pr[i].text);
    }
    free(gen);
    free(refs);
    free(pr);
    if (st) eval_items_free(out);
    return st;
}
