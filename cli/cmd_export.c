/*
 * cmd_export.c — `facesift export OUT --layout faceid6m|instantid -o DIR [--image-format
 * png|source]`: converts a finished webdataset output of `facesift build` into the FaceID-6M
 * release layout (N.png, N.npy, face/N.png, faceid6m.jsonl) or an InstantID
 * training folder (images/N.EXT, embeds/N.npy, instantid.jsonl). See docs/build.md.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "facesift/pipeline.h"

static void export_usage(FILE *f) {
    fprintf(f, "usage: facesift export OUT --layout faceid6m|instantid -o DIR [--image-format png|source]\n\n"
               "Converts a finished webdataset output (NNNNN.tar + NNNNN_stats.json) into:\n"
               "  faceid6m   N.png, N.npy, face/N.png, faceid6m.jsonl (line N = sample N);\n"
               "             N.png is a real PNG unless --image-format source\n"
               "             (the stored bytes under the .png name, as the published release)\n"
               "  instantid  images/N.EXT (stored bytes), embeds/N.npy and instantid.jsonl with\n"
               "             image_file, file_name, additional_feature, bbox, landmarks,\n"
               "             insightface_feature_file (paths relative to DIR)\n");
}

int cmd_export(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    int layout = -1, fmt = FSIFT_IMAGE_OUT_PNG;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            export_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(a, "--layout") && i + 1 < argc) {
            a = argv[++i];
            layout = !strcmp(a, "faceid6m") ? FSIFT_LAYOUT_FACEID6M : !strcmp(a, "instantid") ? FSIFT_LAYOUT_INSTANTID : -2;
        } else if (!strcmp(a, "--image-format") && i + 1 < argc) {
            a = argv[++i];
            fmt = !strcmp(a, "png") ? FSIFT_IMAGE_OUT_PNG : !strcmp(a, "source") ? FSIFT_IMAGE_OUT_SOURCE : -1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "facesift export: unknown option '%s'\n", a);
            export_usage(stderr);
            return CLI_USAGE;
        } else if (!in) {
            in = a;
        } else {
            fprintf(stderr, "facesift export: one OUT folder only\n");
            return CLI_USAGE;
        }
    }
    if (!in || !out || layout < 0 || fmt < 0) {
        fprintf(stderr, "facesift export: need OUT, --layout faceid6m|instantid, -o DIR (and --image-format png|source)\n");
        return CLI_USAGE;
    }
    if (fsift_export(in, layout, fmt, out)) return cli_fail("export");
    printf("exported %s -> %s\n", in, out);
    return CLI_OK;
}
