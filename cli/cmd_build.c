/*
 * cmd_build.c — `facesift build INPUT... -o OUT [...]`: the FaceID-6M pipeline (pipeline.h)
 * with the real face models (face.h) and the caption rule (text.h). Parses the flags of
 * DESIGN.md §9, loads the models once, runs fsift_build_run and prints the funnel (samples
 * per reason) on stdout. Exit 0 when every assigned shard is done, 1 on failure, 2 on bad
 * usage. See docs/build.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "facesift/pipeline.h"

static void build_usage(FILE *f) {
    fprintf(f,
            "usage: facesift build INPUT... -o OUT [--threads N] [--shard I/N] [--layout wds|faceid6m]\n"
            "                      [--instantid-jsonl] [--models SET] [--min-side 513] [--min-faces 1]\n"
            "                      [--max-faces 3] [--min-face-ratio 0.04] [--det-thresh 0.5]\n"
            "                      [--det-size 640] [--prefilter-side 256] [--full-redetect]\n"
            "                      [--no-first-look]\n"
            "                      [--no-text-filter] [--lexicon DIR]\n"
            "                      [--image-format source|png|jpg] [--jpeg-quality 95]\n"
            "                      [--input-shard-size 10000] [--max-pixels N] [--max-file-bytes N]\n"
            "                      [--queue N] [--quiet]\n\n"
            "Filters image-caption samples with the FaceID-6M rules and writes the kept ones with\n"
            "their face crop, embedding and metadata. INPUT: webdataset shards (.tar, .tar.gz,\n"
            ".tar.zst, or a folder of them), a folder of images with .txt/.json captions, a\n"
            "FaceID-6M release folder (N.png + .jsonl), or a .jsonl/.csv/.tsv list of paths and\n"
            "captions. Output shard I (NNNNN.tar + NNNNN_stats.json) comes from input shard I;\n"
            "rerunning the same command resumes (done shards are skipped). See docs/build.md.\n"
            "  --threads N          worker threads (default 1); output is identical for any N\n"
            "  --shard I/N          only input shards with index %% N == I (merge the outputs\n"
            "                       with 'facesift merge')\n"
            "  --layout L           wds (webdataset shards, default) or faceid6m (OUT/release/:\n"
            "                       N.png, N.npy, face/N.png, faceid6m.jsonl)\n"
            "  --instantid-jsonl    also write an InstantID training JSONL (faceid6m: OUT/\n"
            "                       instantid.jsonl; wds: OUT/instantid/ with images and .npy)\n"
            "  --models SET         default | mtcnn | blazeface | antelopev2:DIR (see analyze)\n"
            "  --min-side N         keep when the shorter side is >= N px (default 513, i.e.\n"
            "                       > 512; --min-side 1024 gives the FaceID-70K rule)\n"
            "  --min-faces N, --max-faces N   faces found must be within [N, M] (default 1..3)\n"
            "  --min-face-ratio R   largest face's box area / image area >= R (default 0.04)\n"
            "  --det-thresh T       detector score threshold (default 0.5)\n"
            "  --det-size N         SCRFD detector canvas (default 640)\n"
            "  --prefilter-side N   the face rules first run on the image scaled to a longer\n"
            "                       side of N (default 256: JPEGs decoded at the DCT scale\n"
            "                       nearest above 3/4 N, then resized); the faces of samples\n"
            "                       that pass get their landmarks, boxes and scores from the\n"
            "                       full-size pixels (O-Net on their crops) and that result\n"
            "                       decides and is stored. 0: detect at full size only\n"
            "  --no-first-look      run the detector on every decoded sample (by default a\n"
            "                       cheap first look, BlazeFace front 128, drops images with\n"
            "                       no face that could cover the --min-face-ratio share)\n"
            "  --full-redetect      detect samples that pass again at full size instead of\n"
            "                       refining the pre-filter's faces (slower)\n"
            "  --no-text-filter     keep samples whatever their caption\n"
            "  --lexicon DIR        caption lexicons (default: the built-in ones)\n"
            "  --image-format F     source (default for wds: the source bytes unless EXIF\n"
            "                       orientation must be applied), png (default for faceid6m),\n"
            "                       or jpg\n"
            "  --input-shard-size N samples per input shard of folders and lists (10000)\n"
            "  --max-pixels N, --max-file-bytes N   decode limits (89478485 px, 64 MiB)\n"
            "  --queue N            samples in flight (default 4 x threads + 4)\n"
            "  --quiet              no per-shard log lines\n");
}

static int parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse_float(const char *s, double lo, double hi, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (*end || end == s || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

#define USAGE_ERR(...)                                                                       \
    do {                                                                                     \
        fprintf(stderr, "facesift build: " __VA_ARGS__);                                     \
        fputc('\n', stderr);                                                                 \
        free(inputs);                                                                        \
        return CLI_USAGE;                                                                    \
    } while (0)

int cmd_build(int argc, char **argv) {
    fsift_build_options o;
    fsift_build_options_default(&o);
    o.progress = 1;
    const char *models = "default", *lexicon = NULL;
    double det_thresh = 0.5;
    long det_size = 640, prefilter = -1; /* -1: the face step's own (256) */
    int image_format_set = 0, first_look = 1;
    const char **inputs = calloc((size_t)argc, sizeof *inputs);
    int n_in = 0;
    if (!inputs) return CLI_FAIL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        double d;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            build_usage(stdout);
            free(inputs);
            return CLI_OK;
        } else if (!strcmp(a, "--no-text-filter")) {
            o.text_filter = 0;
        } else if (!strcmp(a, "--no-first-look")) {
            first_look = 0;
        } else if (!strcmp(a, "--full-redetect")) {
            o.full_redetect = 1;
        } else if (!strcmp(a, "--no-full-redetect")) { /* the default since 0.1: kept for old command lines */
            o.full_redetect = 0;
        } else if (!strcmp(a, "--instantid-jsonl")) {
            o.instantid_jsonl = 1;
        } else if (!strcmp(a, "--quiet")) {
            o.progress = 0;
        } else if (a[0] == '-' && a[1] && !v) {
            USAGE_ERR("option '%s' needs a value (or is unknown)", a);
        } else if (!strcmp(a, "-o")) {
            o.out_dir = argv[++i];
        } else if (!strcmp(a, "--threads")) {
            if (parse_int(argv[++i], 1, 256, &n)) USAGE_ERR("--threads must be 1..256");
            o.threads = (int)n;
        } else if (!strcmp(a, "--queue")) {
            if (parse_int(argv[++i], 1, 100000, &n)) USAGE_ERR("--queue must be 1..100000");
            o.queue = (int)n;
        } else if (!strcmp(a, "--shard")) {
            int si, sn;
            char tail;
            if (sscanf(argv[++i], "%d/%d%c", &si, &sn, &tail) != 2 || sn < 1 || si < 0 || si >= sn)
                USAGE_ERR("--shard wants I/N with 0 <= I < N, e.g. 0/4");
            o.shard_index = si;
            o.shard_count = sn;
        } else if (!strcmp(a, "--layout")) {
            i++;
            if (!strcmp(argv[i], "wds")) o.layout = FSIFT_LAYOUT_WDS;
            else if (!strcmp(argv[i], "faceid6m")) o.layout = FSIFT_LAYOUT_FACEID6M;
            else USAGE_ERR("--layout must be wds or faceid6m");
        } else if (!strcmp(a, "--image-format")) {
            i++;
            image_format_set = 1;
            if (!strcmp(argv[i], "source")) o.image_format = FSIFT_IMAGE_OUT_SOURCE;
            else if (!strcmp(argv[i], "png")) o.image_format = FSIFT_IMAGE_OUT_PNG;
            else if (!strcmp(argv[i], "jpg")) o.image_format = FSIFT_IMAGE_OUT_JPG;
            else USAGE_ERR("--image-format must be source, png or jpg");
        } else if (!strcmp(a, "--jpeg-quality")) {
            if (parse_int(argv[++i], 1, 100, &n)) USAGE_ERR("--jpeg-quality must be 1..100");
            o.jpeg_quality = (int)n;
        } else if (!strcmp(a, "--models")) {
            models = argv[++i];
        } else if (!strcmp(a, "--lexicon")) {
            lexicon = argv[++i];
        } else if (!strcmp(a, "--min-side")) {
            if (parse_int(argv[++i], 0, 65500, &n)) USAGE_ERR("--min-side must be 0..65500");
            o.min_side = (int)n;
        } else if (!strcmp(a, "--min-faces")) {
            if (parse_int(argv[++i], 1, 1000, &n)) USAGE_ERR("--min-faces must be 1..1000");
            o.min_faces = (int)n;
        } else if (!strcmp(a, "--max-faces")) {
            if (parse_int(argv[++i], 1, 1000, &n)) USAGE_ERR("--max-faces must be 1..1000");
            o.max_faces = (int)n;
        } else if (!strcmp(a, "--min-face-ratio")) {
            if (parse_float(argv[++i], 0, 1, &d)) USAGE_ERR("--min-face-ratio must be 0..1");
            o.min_face_ratio = (float)d;
        } else if (!strcmp(a, "--det-thresh")) {
            if (parse_float(argv[++i], 0, 1, &det_thresh)) USAGE_ERR("--det-thresh must be 0..1");
        } else if (!strcmp(a, "--det-size")) {
            if (parse_int(argv[++i], 32, 4096, &det_size) || det_size % 32) USAGE_ERR("--det-size must be a multiple of 32 in 32..4096");
        } else if (!strcmp(a, "--prefilter-side")) {
            if (parse_int(argv[++i], 0, 65500, &prefilter) || (prefilter && prefilter < 64))
                USAGE_ERR("--prefilter-side must be 0 (off) or 64..65500");
        } else if (!strcmp(a, "--input-shard-size")) {
            if (parse_int(argv[++i], 1, 100000000, &n)) USAGE_ERR("--input-shard-size must be >= 1");
            o.input_shard_size = n;
        } else if (!strcmp(a, "--max-pixels")) {
            if (parse_int(argv[++i], 1, 2000000000L, &n)) USAGE_ERR("--max-pixels must be >= 1");
            o.max_pixels = (uint64_t)n;
        } else if (!strcmp(a, "--max-file-bytes")) {
            if (parse_int(argv[++i], 1, 1L << 31, &n)) USAGE_ERR("--max-file-bytes must be 1..2 GiB");
            o.max_file_bytes = (size_t)n;
        } else if (a[0] == '-' && a[1]) {
            USAGE_ERR("unknown option '%s' (see --help)", a);
        } else {
            inputs[n_in++] = a;
        }
    }
    if (!o.out_dir) USAGE_ERR("-o OUT is required");
    if (n_in == 0) USAGE_ERR("no INPUT given");
    if (o.min_faces > o.max_faces) USAGE_ERR("--min-faces is above --max-faces");
    if (o.layout == FSIFT_LAYOUT_FACEID6M && o.shard_count > 1)
        USAGE_ERR("--layout faceid6m cannot be combined with --shard: build wds shards, merge, then export");
    if (o.layout == FSIFT_LAYOUT_FACEID6M && !image_format_set) o.image_format = FSIFT_IMAGE_OUT_PNG;
    if (o.layout == FSIFT_LAYOUT_FACEID6M && o.image_format == FSIFT_IMAGE_OUT_JPG)
        USAGE_ERR("--layout faceid6m stores N.png: use --image-format png or source");

    fsift_face_options fo;
    fsift_face_options_default(&fo);
    fo.det_thresh = (float)det_thresh;
    fo.det_size = (int)det_size;
    fsift_face_models *fm = NULL;
    if (fsift_face_models_load(models, &fo, &fm)) {
        free(inputs);
        return cli_fail("build: loading the face models");
    }
    fsift_pipe_face_ops face;
    fsift_pipe_face_ops_models(fm, &face);
    fsift_face_gate *gate = NULL;
    if (first_look) {
        if (fsift_face_gate_load(NULL, &gate)) {
            fsift_face_models_free(fm);
            free(inputs);
            return cli_fail("build: loading the first-look model (--no-first-look to run without it)");
        }
        fsift_pipe_face_ops_gate(gate, FSIFT_BUILD_GATE_SLACK, &face);
    }
    if (prefilter >= 0) face.det_size = (int)prefilter;
    prefilter = face.det_size;
    o.face = &face;
    fsift_matcher *matcher = NULL;
    fsift_pipe_text_ops text;
    memset(&text, 0, sizeof text);
    if (o.text_filter) {
        if (fsift_matcher_load(lexicon, &matcher)) {
            fsift_face_models_free(fm);
            free(inputs);
            return cli_fail("build: loading the caption lexicons");
        }
        fsift_pipe_text_ops_matcher(matcher, &text);
        o.text = &text;
    }
    char extra[512];
    const char *lexname = lexicon ? strrchr(lexicon, '/') : NULL;
    lexname = lexname && lexname[1] ? lexname + 1 : lexicon;
    snprintf(extra, sizeof extra,
             "\"det_thresh\":%.6g,\"det_size\":%ld,\"prefilter_side\":%ld,\"first_look\":%s,\"lexicon\":\"%s\"",
             det_thresh, det_size, prefilter, gate ? "true" : "false",
             o.text_filter ? (lexname ? lexname : "builtin") : "none");
    o.flags_json = extra;
    fsift_build_totals t;
    fsift_status st = fsift_build_run(&o, inputs, n_in, &t);
    int rc = CLI_OK;
    if (st) rc = cli_fail("build");
    printf("%lld samples, %lld kept (%.1f%%) in %lld shards (%lld already done) -> %s\n", (long long)t.samples,
           (long long)t.kept, t.samples ? 100.0 * (double)t.kept / (double)t.samples : 0.0,
           (long long)(t.shards_done + t.shards_skipped), (long long)t.shards_skipped, o.out_dir);
    for (int r = 1; r < FSIFT_R_COUNT; r++)
        if (t.reasons[r]) printf("  %-15s %lld\n", fsift_reason_name(r), (long long)t.reasons[r]);
    fsift_matcher_free(matcher);
    fsift_face_gate_free(gate);
    fsift_face_models_free(fm);
    free(inputs);
    return rc;
}
