/*
 * cmd_merge.c — `facesift merge SHARD_OUT... -o OUT`: combines the webdataset outputs of
 * `facesift build --shard I/N` runs into one output, shards ordered by their input index and
 * renumbered 00000, 00001, ... (fsift_merge; see docs/build.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "facesift/pipeline.h"

static void merge_usage(FILE *f) {
    fprintf(f, "usage: facesift merge SHARD_OUT... -o OUT\n\n"
               "Combines finished webdataset outputs of 'facesift build --shard I/N' into OUT:\n"
               "shards (NNNNN.tar, NNNNN_reasons.jsonl, NNNNN_stats.json) in input order,\n"
               "renumbered from 00000. The result equals one build without --shard. A shard\n"
               "present twice, or outputs built with different flags, are errors.\n");
}

int cmd_merge(int argc, char **argv) {
    const char *out = NULL;
    const char **dirs = calloc((size_t)argc, sizeof *dirs);
    int n = 0;
    if (!dirs) return CLI_FAIL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            merge_usage(stdout);
            free(dirs);
            return CLI_OK;
        } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "facesift merge: unknown option '%s'\n", argv[i]);
            merge_usage(stderr);
            free(dirs);
            return CLI_USAGE;
        } else {
            dirs[n++] = argv[i];
        }
    }
    if (!out || n == 0) {
        merge_usage(stderr);
        free(dirs);
        return CLI_USAGE;
    }
    int rc = fsift_merge(dirs, n, out) ? cli_fail("merge") : CLI_OK;
    if (rc == CLI_OK) printf("merged %d outputs -> %s\n", n, out);
    free(dirs);
    return rc;
}
