/*
 * cmd_subset.c — `facesift subset DIR --sizes 1K,10K,100K,1M,2M,4M [--seed 0] -o OUT
 * [--link]`: nested random subsets of a release-layout folder (fsift_subset,
 * src/release/subset.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_SIZES 64

static void subset_usage(FILE *f) {
    fprintf(f,
            "usage: facesift subset DIR --sizes 1K,10K,100K,1M,2M,4M [--seed 0] -o OUT [--link]\n\n"
            "Draws nested random subsets of the release folder DIR (each contains every\n"
            "smaller one; the same seed gives the same subsets). Sizes count samples with\n"
            "K = 1000, M = 1000000 ('all' = every sample). For each size writes OUT/SIZE.jsonl:\n"
            "the chosen lines in sample order, each as {\"sample\":N, ...original fields}.\n"
            "With --link also OUT/SIZE/, a release-layout folder of hard links to DIR's files\n"
            "renumbered 0..SIZE-1 with its own .jsonl (same file system as DIR).\n");
}

int cmd_subset(int argc, char **argv) {
    const char *dir = NULL, *out = NULL, *sizes_arg = NULL;
    uint64_t seed = 0;
    int link = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            subset_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(a, "--sizes") && i + 1 < argc) {
            sizes_arg = argv[++i];
        } else if (!strcmp(a, "--seed") && i + 1 < argc) {
            char *end;
            seed = strtoull(argv[++i], &end, 10);
            if (*end || !argv[i][0]) { fprintf(stderr, "facesift subset: --seed needs a number\n"); return CLI_USAGE; }
        } else if (!strcmp(a, "--link")) {
            link = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "facesift subset: unknown option '%s'\n", a);
            subset_usage(stderr);
            return CLI_USAGE;
        } else if (!dir) {
            dir = a;
        } else {
            fprintf(stderr, "facesift subset: one DIR only\n");
            return CLI_USAGE;
        }
    }
    if (!dir || !out || !sizes_arg) {
        subset_usage(stderr);
        return CLI_USAGE;
    }
    char *copy = strdup(sizes_arg);
    const char *labels[MAX_SIZES];
    uint64_t sizes[MAX_SIZES];
    int n = 0;
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        if (n == MAX_SIZES) { fprintf(stderr, "facesift subset: at most %d sizes\n", MAX_SIZES); free(copy); return CLI_USAGE; }
        labels[n] = tok;
        if (!strcmp(tok, "all")) sizes[n] = 0;
        else if (fsift_parse_count(tok, &sizes[n]) != FSIFT_OK) {
            fprintf(stderr, "facesift subset: size '%s' is not a count such as 1K or 2M\n", tok);
            free(copy);
            return CLI_USAGE;
        }
        for (int k = 0; k < n; k++)
            if (!strcmp(labels[k], tok)) { fprintf(stderr, "facesift subset: size '%s' given twice\n", tok); free(copy); return CLI_USAGE; }
        n++;
    }
    if (n == 0) { fprintf(stderr, "facesift subset: --sizes is empty\n"); free(copy); return CLI_USAGE; }
    int rc = CLI_OK;
    if (fsift_subset(dir, labels, sizes, n, seed, out, link) != FSIFT_OK) rc = cli_fail("subset");
    else {
        for (int k = 0; k < n; k++) {
            printf("subset: %s/%s.jsonl", out, labels[k]);
            if (link) printf(" and %s/%s/", out, labels[k]);
            printf("\n");
        }
    }
    free(copy);
    return rc;
}
