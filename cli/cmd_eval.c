/*
 * cmd_eval.c — `facesift eval`: Face Sim, CLIP-T and CLIP-I of generated images
 * (fsift_eval_run in src/eval/). Input: a JSONL manifest, or --generated DIR with
 * --reference DIR|FILE and --prompts FILE matched by name. Output: DIR/per_image.csv,
 * DIR/summary.json and a one-screen table on stdout. Bad lines and unreadable files are
 * reported on stderr and counted; the run finishes (exit 0) unless setup fails (models,
 * output folder: exit 1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "facesift/eval.h"

static void eval_usage(FILE *f) {
    fprintf(f,
            "usage: facesift eval MANIFEST.jsonl -o DIR [options]\n"
            "       facesift eval --generated DIR --reference DIR|FILE [--prompts FILE] -o DIR [options]\n\n"
            "Scores generated images with the FaceID papers' metrics: Face Sim (largest face vs the\n"
            "reference's, cosine clamped at 0, no face = 0 and counted), CLIP-T (prompt vs image) and\n"
            "CLIP-I (image vs reference). MANIFEST: one JSON object per line with \"generated\",\n"
            "\"prompt\", \"reference\" (paths relative to the manifest). --prompts: NAME<TAB>PROMPT lines,\n"
            "NAME = generated file name without extension. Writes DIR/per_image.csv, DIR/summary.json.\n\n"
            "options:\n"
            "  --models SET        face models: default (embedded MobileFaceNet) or antelopev2:DIR (ArcFace)\n"
            "  --clip-image F      CLIP image tower (ONNX); needed for CLIP-T and CLIP-I\n"
            "  --clip-text F       CLIP text tower (ONNX); needed for CLIP-T\n"
            "  --clip-vocab F      bpe_simple_vocab_16e6.txt.gz, vocab.json (+ merges.txt) or tokenizer.json\n"
            "  --threads N         runtime threads per model (default 1)\n"
            "  --jobs J            score J items in parallel, each with its own sessions (default 1)\n"
            "  --seed S            bootstrap seed (default 0); --bootstrap N resamples (default 1000)\n"
            "  --train-size N      training-set size of the evaluated model (for eval-compare; 1K, 2M ok)\n"
            "  --label NAME        name of this run in eval-compare's table\n"
            "  --no-face           skip Face Sim (CLIP metrics only; no face models loaded)\n"
            "  -q, --quiet         no per-line messages\n");
}

/* "1000", "10K", "2M", "1.5G" → number; -1 on error. */
double cli_parse_size_count(const char *s) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0) return -1;
    if (*end == 'K' || *end == 'k') v *= 1e3, end++;
    else if (*end == 'M' || *end == 'm') v *= 1e6, end++;
    else if (*end == 'G' || *end == 'g' || *end == 'B' || *end == 'b') v *= 1e9, end++;
    return *end ? -1 : v;
}

int cmd_eval(int argc, char **argv) {
    fsift_eval_opts o;
    fsift_eval_opts_default(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            eval_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o.quiet = 1;
        } else if (!strcmp(a, "--no-face")) {
            o.no_face = 1;
        } else if (a[0] == '-' && a[1] && !v) {
            fprintf(stderr, "facesift eval: option '%s' needs a value\n", a);
            return CLI_USAGE;
        } else if (!strcmp(a, "-o")) {
            o.out_dir = argv[++i];
        } else if (!strcmp(a, "--generated")) {
            o.generated_dir = argv[++i];
        } else if (!strcmp(a, "--reference")) {
            o.reference = argv[++i];
        } else if (!strcmp(a, "--prompts")) {
            o.prompts = argv[++i];
        } else if (!strcmp(a, "--models")) {
            o.face_models = argv[++i];
        } else if (!strcmp(a, "--clip-image")) {
            o.clip_image = argv[++i];
        } else if (!strcmp(a, "--clip-text")) {
            o.clip_text = argv[++i];
        } else if (!strcmp(a, "--clip-vocab")) {
            o.clip_vocab = argv[++i];
        } else if (!strcmp(a, "--label")) {
            o.label = argv[++i];
        } else if (!strcmp(a, "--threads") || !strcmp(a, "--jobs") || !strcmp(a, "--seed") || !strcmp(a, "--bootstrap")) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(argv[++i], &end, 10);
            if (*end || errno || (a[2] != 's' && (n < 1 || n > 100000))) {
                fprintf(stderr, "facesift eval: %s wants a number, got '%s'\n", a, argv[i]);
                return CLI_USAGE;
            }
            if (a[2] == 't') o.threads = (int)n;
            else if (a[2] == 'j') o.jobs = n > FSIFT_EVAL_MAX_JOBS ? FSIFT_EVAL_MAX_JOBS : (int)n;
            else if (a[2] == 's') o.seed = n;
            else o.n_boot = (int)n;
        } else if (!strcmp(a, "--train-size")) {
            o.train_size = cli_parse_size_count(argv[++i]);
            if (o.train_size < 0) {
                fprintf(stderr, "facesift eval: --train-size wants a count such as 100000 or 2M, got '%s'\n", argv[i]);
                return CLI_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "facesift eval: unknown option '%s'\n", a);
            eval_usage(stderr);
            return CLI_USAGE;
        } else if (!o.manifest) {
            o.manifest = a;
        } else {
            fprintf(stderr, "facesift eval: one manifest only ('%s')\n", a);
            return CLI_USAGE;
        }
    }
    if (!o.out_dir || (!o.manifest == !o.generated_dir)) {
        fprintf(stderr, "facesift eval: give -o DIR and either a manifest or --generated DIR\n");
        eval_usage(stderr);
        return CLI_USAGE;
    }
    if (o.clip_text && (!o.clip_vocab || !o.clip_image)) {
        fprintf(stderr, "facesift eval: --clip-text needs --clip-vocab and --clip-image\n");
        return CLI_USAGE;
    }
    fsift_eval_result r;
    if (fsift_eval_run(&o, &r, stdout)) return cli_fail("eval");
    return CLI_OK;
}
