/*
 * cmd_eval_compare.c — `facesift eval-compare RUN_DIR... -o DIR [--sizes 1K,10K,...]`: the
 * scaling study over several `facesift eval` runs (fsift_eval_compare): DIR/compare.csv,
 * DIR/compare.md (also printed) and DIR/scaling.svg, each metric against training-set size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "facesift/eval.h"

double cli_parse_size_count(const char *s); /* cmd_eval.c */

static void compare_usage(FILE *f) {
    fprintf(f,
            "usage: facesift eval-compare RUN_DIR... -o DIR [--sizes N,N,...]\n\n"
            "Tabulates several `facesift eval` runs (their summary.json) by training-set size and\n"
            "plots each metric against it (DIR/scaling.svg, log axis, 95%% CI bars); also writes\n"
            "DIR/compare.csv and DIR/compare.md. Sizes come from each run's --train-size, a\n"
            "metadata.json {\"train_size\": N} in the run folder, or --sizes (one per run, in order;\n"
            "1K, 2M accepted).\n");
}

int cmd_eval_compare(int argc, char **argv) {
    const char *out = NULL, *sizes_arg = NULL;
    const char **runs = calloc((size_t)argc, sizeof *runs);
    double *sizes = calloc((size_t)argc, sizeof *sizes);
    int n = 0, rc = CLI_OK;
    if (!runs || !sizes) {
        free(runs);
        free(sizes);
        return CLI_FAIL;
    }
    for (int i = 1; i < argc && rc == CLI_OK; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            compare_usage(stdout);
            free(runs);
            free(sizes);
            return CLI_OK;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(a, "--sizes") && i + 1 < argc) {
            sizes_arg = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "facesift eval-compare: unknown option '%s'\n", a);
            rc = CLI_USAGE;
        } else {
            runs[n++] = a;
        }
    }
    if (rc == CLI_OK && (!out || n == 0)) {
        compare_usage(stderr);
        rc = CLI_USAGE;
    }
    if (rc == CLI_OK && sizes_arg) {
        char *copy = strdup(sizes_arg), *save = NULL;
        int k = 0;
        for (char *t = strtok_r(copy, ",", &save); t && rc == CLI_OK; t = strtok_r(NULL, ",", &save)) {
            double v = cli_parse_size_count(t);
            if (v < 0 || k >= n) {
                fprintf(stderr, "facesift eval-compare: --sizes wants %d counts (1K, 2M ...), got '%s'\n", n, sizes_arg);
                rc = CLI_USAGE;
            } else {
                sizes[k++] = v;
            }
        }
        free(copy);
        if (rc == CLI_OK && k != n) {
            fprintf(stderr, "facesift eval-compare: --sizes has %d counts for %d runs\n", k, n);
            rc = CLI_USAGE;
        }
    }
    if (rc == CLI_OK && fsift_eval_compare(runs, n, sizes_arg ? sizes : NULL, out, stdout)) rc = cli_fail("eval-compare");
    free(runs);
    free(sizes);
    return rc;
}
