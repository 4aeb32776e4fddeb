/*
 * cmd_report.c — `facesift report OUT [-o OUT/report.html]`: one self-contained HTML page
 * about a finished `facesift build` webdataset output (fsift_report; see docs/build.md).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "facesift/pipeline.h"

static void report_usage(FILE *f) {
    fprintf(f, "usage: facesift report OUT [-o OUT/report.html]\n\n"
               "Writes one HTML page (no network: inline SVG charts and thumbnails) about a\n"
               "finished build output: the funnel of reject reasons, histograms of resolution,\n"
               "face count, largest-face area share and detection score, a contact sheet of\n"
               "kept samples with boxes and landmarks drawn, and examples of each reject reason.\n");
}

int cmd_report(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            report_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "facesift report: unknown option '%s'\n", argv[i]);
            report_usage(stderr);
            return CLI_USAGE;
        } else if (!in) {
            in = argv[i];
        } else {
            fprintf(stderr, "facesift report: one OUT folder only\n");
            return CLI_USAGE;
        }
    }
    if (!in) {
        report_usage(stderr);
        return CLI_USAGE;
    }
    char def[4200];
    if (!out) {
        snprintf(def, sizeof def, "%s/report.html", in);
        out = def;
    }
    if (fsift_report(in, out)) return cli_fail("report");
    printf("%s\n", out);
    return CLI_OK;
}
