/*
 * cmd_verify.c — `facesift verify DIR`: checks a release-layout folder or a webdataset
 * output folder (fsift_verify, src/release/verify.c and verify_wds.c), prints a few examples
 * of each problem on stderr and a summary with counts by kind on stdout; exit 1 when
 * anything is wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void verify_usage(FILE *f) {
    fprintf(f,
            "usage: facesift verify DIR [--dim N] [--threads N] [--quick] [--examples N]\n\n"
            "DIR is either\n"
            "  a FaceID-6M release-layout folder: one .jsonl whose line N describes sample N,\n"
            "  N.png (decodable; JPEG bytes under .png are accepted and counted), N.npy\n"
            "  (float32, the expected dimension, finite) and face/N.png for every line; or\n"
            "  a webdataset output of 'facesift build': *.tar shards, each with its\n"
            "  NNNNN_stats.json, every sample with KEY.jpg|png|webp, KEY.face.png, KEY.npy,\n"
            "  KEY.json (bbox and kps) and KEY.txt.\n"
            "Problems (missing, corrupt, extra files ...) are counted by kind; exit 1 if any.\n\n"
            "  --dim N       expected embedding size (default: sample 0's; 512 for ArcFace)\n"
            "  --quick       check image headers only, without decoding the pixels\n"
            "  --examples N  examples printed per kind (default 5)\n");
}

int cmd_verify(int argc, char **argv) {
    const char *dir = NULL;
    fsift_verify_opts o;
    fsift_verify_opts_default(&o);
    o.log = stderr;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            verify_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "--dim") && i + 1 < argc) {
            o.dim = atoi(argv[++i]);
            if (o.dim < 1) { fprintf(stderr, "facesift verify: --dim must be >= 1\n"); return CLI_USAGE; }
        } else if (!strcmp(a, "--threads") && i + 1 < argc) {
            o.threads = atoi(argv[++i]);
            if (o.threads < 1) { fprintf(stderr, "facesift verify: --threads must be >= 1\n"); return CLI_USAGE; }
        } else if (!strcmp(a, "--examples") && i + 1 < argc) {
            o.max_examples = atoi(argv[++i]);
        } else if (!strcmp(a, "--quick")) {
            o.quick = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "facesift verify: unknown option '%s'\n", a);
            verify_usage(stderr);
            return CLI_USAGE;
        } else if (!dir) {
            dir = a;
        } else {
            fprintf(stderr, "facesift verify: one DIR only\n");
            return CLI_USAGE;
        }
    }
    if (!dir) {
        verify_usage(stderr);
        return CLI_USAGE;
    }
    fsift_verify_report r;
    if (fsift_verify(dir, &o, &r) != FSIFT_OK) return cli_fail(dir);
    if (r.layout == 1)
        printf("verify: %s: release layout, %llu samples, embedding dim %d, %llu JPEG-under-.png images (accepted)\n", dir,
               (unsigned long long)r.samples, r.dim, (unsigned long long)r.jpeg_as_png);
    else
        printf("verify: %s: webdataset output, %llu shards, %llu samples, embedding dim %d, %llu other members (carried)\n", dir,
               (unsigned long long)r.shards, (unsigned long long)r.samples, r.dim, (unsigned long long)r.unknown_members);
    for (int k = 0; k < FSIFT_VK_COUNT; k++)
        if (r.counts[k]) printf("  %-17s %llu\n", fsift_verify_kind_name((fsift_verify_kind)k), (unsigned long long)r.counts[k]);
    printf("verify: %s (%llu problem%s)\n", r.problems ? "FAILED" : "OK", (unsigned long long)r.problems, r.problems == 1 ? "" : "s");
    return r.problems ? CLI_FAIL : CLI_OK;
}
