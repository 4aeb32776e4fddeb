/*
 * text_hyperscan.c — the Hyperscan side of the caption-filter benchmark (bench/sections/
 * 60_text.sh, built there only when libhs is installed; not part of libfacesift): the same
 * patterns (`facesift text --print-patterns`) compiled as caseless `\bw1[^a-z0-9]+w2\b`
 * regular expressions (HS_FLAG_SINGLEMATCH, block mode), scanned caption by caption (one
 * per line of a text file) beside fsift_matcher_first on the same lines; CPU time per core.
 * Hyperscan sees ASCII word boundaries only and has no exclusions or first-name rule, so
 * its hit count differs a little; the point is the speed of each engine on the same text.
 *
 * usage: text_hyperscan PATTERNS CAPTIONS.txt
 */
#include "facesift/core.h"
#include "facesift/text.h"
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx) {
    (void)id;
    (void)from;
    (void)to;
    (void)flags;
    *(int *)ctx = 1;
    return 1;
}
typedef struct hs_ctx {
    hs_database_t *db;
    hs_scratch_t *scratch;
} hs_ctx;

/* Calls fn on each line of data[0..n) and returns how many lines it said matched. */
static size_t count_lines(const char *data, size_t n, int (*fn)(const char *, size_t, void *), void *ctx) {
    const char *p = data, *e = data + n;
    size_t hits = 0;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl)
            nl = e;
        hits += (size_t)fn(p, (size_t)(nl - p), ctx);
        p = nl + 1;
    }
    return hits;
}

static int hs_line(const char *p, size_t n, void *ctx) {
    hs_ctx *h = ctx;
    int hit = 0;
    hs_scan(h->db, p, (unsigned)n, 0, h->scratch, on_match, &hit);
    return hit;
}

static int fs_line(const char *p, size_t n, void *ctx) {
    fsift_text_match mm;
    return fsift_matcher_first(ctx, p, n, &mm);
}

static double cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: text_hyperscan PATTERNS CAPTIONS.txt\n");
        return 2;
    }
    /* patterns: one per line, words separated by single spaces */
    FILE *f = fopen(argv[1], "r");
    char line[1024];
    size_t np = 0, cap = 1 << 15;
    char **exprs = malloc(cap * sizeof *exprs);
    unsigned *flags = malloc(cap * sizeof *flags), *ids = malloc(cap * sizeof *ids);
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n'))
            line[--n] = 0;
        if (!n)
            continue;
        char buf[4096];
        size_t o = 0;
        o += sprintf(buf + o, "\\b");
        for (size_t i = 0; i < n; i++) {
            unsigned char c = line[i];
            if (c == ' ')
                o += sprintf(buf + o, "[^a-z0-9]+");
            else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                buf[o++] = c;
            else
                o += sprintf(buf + o, "\\x%02x", c);
        }
        o += sprintf(buf + o, "\\b");
        buf[o] = 0;
        exprs[np] = strdup(buf);
        flags[np] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
        ids[np] = np;
        np++;
    }
    hs_database_t *db;
    hs_compile_error_t *err;
    double t0 = cpu();
    if (hs_compile_multi((const char *const *)exprs, flags, ids, np, HS_MODE_BLOCK, NULL, &db, &err) !=
        HS_SUCCESS) {
        printf("compile: %s (expr %d)\n", err->message, err->expression);
        return 1;
    }
    double tc = cpu() - t0;
    hs_scratch_t *scratch = NULL;
    hs_alloc_scratch(db, &scratch);
    void *data;
    size_t n;
    fsift_file_read(argv[2], (size_t)1 << 32, &data, &n);
    fsift_matcher *m;
    fsift_matcher_load(NULL, &m);
    hs_ctx hc = {db, scratch};
    for (int turn = 0; turn < 2; turn++) {
        t0 = cpu();
        size_t hits = count_lines(data, n, hs_line, &hc);
        double th = cpu() - t0;
        t0 = cpu();
        size_t hits2 = count_lines(data, n, fs_line, m);
        double tf = cpu() - t0;
        printf("%zu patterns (hyperscan compile %.1f s): hyperscan %.0f MB/s per core (%zu hits), facesift "
               "matcher %.0f MB/s per core (%zu hits)\n",
               np, tc, n / th / 1e6, hits, n / tf / 1e6, hits2);
    }
    return 0;
}
