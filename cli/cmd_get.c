/*
 * cmd_get.c — `facesift get DIR N`: sample N of a release-layout folder as one JSON line
 * (caption, bbox, landmarks, the paths of its image, embedding and face crop, the whole
 * original record); fsift_release_get in src/release/subset.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void get_usage(FILE *f) {
    fprintf(f,
            "usage: facesift get DIR N\n\n"
            "Prints sample N (0-based line N of DIR's .jsonl) of a release-layout folder as one\n"
            "JSON line: sample, caption, bbox, landmarks, image / embedding / face paths (with\n"
            "whether each exists and the image format found in its bytes), and the record.\n");
}

int cmd_get(int argc, char **argv) {
    const char *dir = NULL, *num = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            get_usage(stdout);
            return CLI_OK;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "facesift get: unknown option '%s'\n", a);
            get_usage(stderr);
            return CLI_USAGE;
        } else if (!dir) {
            dir = a;
        } else if (!num) {
            num = a;
        } else {
            get_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (!dir || !num) {
        get_usage(stderr);
        return CLI_USAGE;
    }
    char *end;
    errno = 0;
    unsigned long long n = strtoull(num, &end, 10);
    if (*end || !num[0] || num[0] == '-' || errno) {
        fprintf(stderr, "facesift get: N must be a sample number (0, 1, ...)\n");
        return CLI_USAGE;
    }
    char *json = NULL;
    if (fsift_release_get(dir, n, &json) != FSIFT_OK) return cli_fail("get");
    printf("%s\n", json);
    free(json);
    return CLI_OK;
}
