/*
 * main.c — the facesift command: dispatches to one subcommand per file (cmd_*.c).
 * `facesift --help` lists the subcommands; each has its own --help.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"build", cmd_build, "the FaceID-6M pipeline: shards in, filtered dataset out (build INPUT... -o OUT)"},
    {"merge", cmd_merge, "combine build --shard outputs in input order (merge SHARD_OUT... -o OUT)"},
    {"export", cmd_export, "webdataset output to FaceID-6M / InstantID layout (export OUT --layout L -o DIR)"},
    {"report", cmd_report, "one self-contained HTML page about a build output (report OUT [-o OUT/report.html])"},
    {"verify", cmd_verify, "check a release-layout or webdataset output folder (verify DIR)"},
    {"text", cmd_text, "keep the caption rows that pass the caption rule (text [FILE...] [--format F] -o OUT)"},
    {"fetch", cmd_fetch, "download a URL list (parquet/csv/jsonl) into webdataset shards (fetch LIST... -o SHARDS)"},
    {"analyze", cmd_analyze, "detect, align and embed faces; one JSON line per image (analyze IMAGE... [--models SET])"},
    {"kps", cmd_kps, "draw InstantID's landmark control image (kps IMAGE --kps 'x1,y1,...,x5,y5' -o OUT.png)"},
    {"eval", cmd_eval, "Face Sim, CLIP-T, CLIP-I of generated images (eval MANIFEST.jsonl -o DIR)"},
    {"eval-compare", cmd_eval_compare, "scaling study over eval runs: table + SVG (eval-compare RUN_DIR... -o DIR)"},
    {"pack", cmd_pack, "split gzip tar of a dataset folder (pack DIR -o PREFIX [--part-size 4G])"},
    {"unpack", cmd_unpack, "check and extract split archives (unpack PREFIX -o DIR)"},
    {"subset", cmd_subset, "nested random subsets of a release folder (subset DIR --sizes 1K,10K -o OUT)"},
    {"get", cmd_get, "one sample of a release folder as JSON (get DIR N)"},
    {"slurm", cmd_slurm, "build as a Slurm job array, then status/resume/merge (slurm build INPUT... -o OUT --tasks N)"},
    {"model", cmd_model, "inspect or run an ONNX/TFLite model (model info FILE, model run FILE IN.npy... -o DIR)"},
    {"image", cmd_image, "decode an image as facesift sees it (image decode IN -o OUT.png [--scale N])"},
};

static void usage(FILE *f) {
    fprintf(f, "facesift %s — build and evaluate FaceID datasets\n\nusage: facesift COMMAND [ARGS]\n\ncommands:\n",
            FSIFT_VERSION_STRING);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'facesift COMMAND --help' for a command's options.\n");
}

int cli_fail(const char *context) {
    fprintf(stderr, "facesift: %s: %s\n", context, fsift_last_error());
    return CLI_FAIL;
}

int main(int argc, char **argv) {
    fsift_malloc_tune(); /* before any thread: see src/core/mem.c */
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("facesift %s\n", FSIFT_VERSION_STRING);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "facesift: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
