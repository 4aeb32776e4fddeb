/*
 * eval.h — evaluation of FaceID models with the paper's metrics (docs/eval.md):
 *   Face Sim  cosine of recognizer embeddings, largest face of the generated image vs the
 *             largest face of the reference, clamped at 0; no face in the generated image
 *             scores 0, stays in the mean and is counted (the no-face rate);
 *   CLIP-T    cosine of the CLIP image embedding of the generated image and the CLIP text
 *             embedding of its prompt;
 *   CLIP-I    cosine of the CLIP image embeddings of the generated and the reference image.
 * CLIP towers are user-supplied ONNX files run on facesift's runtime; the tokenizer is
 * text.h's. A fsift_clip (loaded towers + vocabulary) is immutable and shareable; a
 * fsift_clip_runner holds one thread's sessions.
 */
#ifndef FSIFT_EVAL_H
#define FSIFT_EVAL_H

#include <stdint.h>
#include <stdio.h>

#include "facesift/core.h"
#include "facesift/image.h"
#include "facesift/text.h"

#define FSIFT_CLIP_MAX_EMBED 4096 /* largest CLIP embedding accepted */
#define FSIFT_EVAL_MAX_JOBS 256

/* ---- CLIP towers (src/eval/clip.c) --------------------------------------------------------- */

typedef struct fsift_clip fsift_clip;
typedef struct fsift_clip_runner fsift_clip_runner;

/* Loads the towers and the vocabulary; any path may be NULL (that part is unavailable).
 * The image tower takes one float input [1,3,S,S] (S from the graph, 224 when dynamic) and
 * has a float output [1,D]; the text tower takes int64 or int32 ids [1,77] (and optionally a
 * second "attention mask" input, filled with 1 up to the end token) and outputs [1,D]
 * (pooled) or [1,77,D] (pooled here at the end token, argmax of the ids). */
fsift_status fsift_clip_load(const char *image_onnx, const char *text_onnx, const char *vocab, fsift_clip **out);
void fsift_clip_free(fsift_clip *c); /* NULL is a no-op */
int fsift_clip_has_image(const fsift_clip *c);
int fsift_clip_has_text(const fsift_clip *c);
/* "FILE(sha256 first 12 hex)" of each tower and the tokenizer's id; "" when absent. */
const char *fsift_clip_image_id(const fsift_clip *c);
const char *fsift_clip_text_id(const fsift_clip *c);
const char *fsift_clip_vocab_id(const fsift_clip *c);

/* Per-thread sessions with nthreads runtime threads each. Borrows c. */
fsift_status fsift_clip_runner_new(const fsift_clip *c, int nthreads, fsift_clip_runner **out);
void fsift_clip_runner_free(fsift_clip_runner *r); /* NULL is a no-op */

/* CLIP pre-processing: shorter side to size (Pillow bicubic; the longer side
 * int(size·long/short) as torchvision), centre crop size×size (offsets round((d−size)/2)),
 * RGB, (v/255 − mean)/std with OpenAI's mean and std. chw: 3·size·size floats. */
fsift_status fsift_clip_preprocess(const fsift_image *img, int size, float *chw);

/* L2-normalised embeddings; *dim receives D (≤ cap). */
fsift_status fsift_clip_embed_image(fsift_clip_runner *r, const fsift_image *img, float *emb, int cap, int *dim);
/* *n_tokens as fsift_clip_tokenize (> 77: the prompt was truncated). */
fsift_status fsift_clip_embed_text(fsift_clip_runner *r, const char *text, float *emb, int cap, int *dim,
                                   int *n_tokens);

/* ---- metric arithmetic (src/eval/metrics.c) ------------------------------------------------ */

/* Cosine similarity in double precision (0 when either vector is zero). */
double fsift_eval_cosine(const float *a, const float *b, int n);

typedef struct fsift_eval_stat {
    int n;
    double mean, std;        /* std: population (NumPy's default ddof = 0) */
    double ci_lo, ci_hi;     /* bootstrap 95% interval of the mean (percentiles 2.5, 97.5) */
} fsift_eval_stat;

/* Mean, std and a percentile bootstrap (n_boot resamples drawn with splitmix64(seed); index
 * = next() mod n; percentiles interpolated linearly as numpy.percentile). n = 0 gives zeros. */
fsift_status fsift_eval_stat_compute(const double *v, int n, uint64_t seed, int n_boot, fsift_eval_stat *out);

/* splitmix64: the generator behind the bootstrap (documented so oracles can replay it). */
uint64_t fsift_eval_splitmix64(uint64_t *state);

/* ---- the evaluation run (src/eval/run.c) ---------------------------------------------------- */

typedef struct fsift_eval_opts {
    const char *manifest;      /* JSONL: {"generated", "prompt", "reference"} per line, or NULL */
    const char *generated_dir; /* or: a folder of generated images ... */
    const char *reference;     /* ... a folder of references matched by name, or one file */
    const char *prompts;       /* ... and a TSV "name<TAB>prompt" file (name without extension) */
    const char *out_dir;       /* per_image.csv, summary.json */
    const char *face_models;   /* "default", "antelopev2:DIR", ...; NULL: "default" */
    const char *clip_image, *clip_text, *clip_vocab; /* NULL: that metric is skipped */
    int threads;               /* runtime threads per model (default 1) */
    int jobs;                  /* items scored in parallel, each worker with its own sessions
                                  (default 1, at most FSIFT_EVAL_MAX_JOBS) */
    uint64_t seed;             /* bootstrap seed (default 0) */
    int n_boot;                /* bootstrap resamples (default 1000) */
    double train_size;         /* training-set size of the evaluated model, < 0 unknown */
    const char *label;         /* a name for the run (eval-compare's rows), may be NULL */
    int quiet;                 /* 1: no per-line messages on stderr */
    int no_face;               /* 1: skip Face Sim (no face models loaded; CLIP metrics only) */
} fsift_eval_opts;

void fsift_eval_opts_default(fsift_eval_opts *o);

typedef struct fsift_eval_result {
    int n_items, n_scored, n_errors; /* manifest items; items with a generated image read; errors */
    int n_no_face, n_ref_no_face, n_truncated;
    fsift_eval_stat face_sim, clip_t, clip_i; /* n = 0 when the metric was not computed */
    double seconds;          /* wall time of the whole run */
    double seconds_scoring;  /* of the scoring loop only (models already loaded) */
} fsift_eval_result;

/* Runs the whole evaluation and writes out_dir/per_image.csv and out_dir/summary.json
 * (atomically). Bad lines and unreadable files are reported per line and counted; the run
 * finishes. table (may be NULL) receives the one-screen summary. */
fsift_status fsift_eval_run(const fsift_eval_opts *o, fsift_eval_result *res, FILE *table);

/* eval-compare: reads each run's summary.json (sizes[i] ≥ 0 overrides the run's
 * train_size), writes out_dir/compare.csv, compare.md and scaling.svg (each metric against
 * training-set size, log axis, 95% CI bars), prints the table to table (may be NULL). */
fsift_status fsift_eval_compare(const char *const *run_dirs, int n, const double *sizes, const char *out_dir,
                                FILE *table);

#endif
