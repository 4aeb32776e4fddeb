/*
 * run.c — `facesift eval`: scores every item (items.c) and writes the results.
 *
 * Per item: decode the generated image; Face Sim = max(0, cosine) of the recognizer's
 * embeddings of its largest face and of the reference's largest face (no face in the
 * generated image: 0, counted as no-face and kept in the mean; no face in the reference: 0,
 * counted apart); CLIP-T = cosine(CLIP image embedding, CLIP text embedding of the prompt);
 * CLIP-I = cosine of the generated and reference CLIP image embeddings. References are
 * analysed once and cached by path. Items whose generated image cannot be read are reported
 * and left out of every mean; a missing/unreadable reference leaves out Face Sim and CLIP-I
 * for that item; a missing prompt leaves out CLIP-T. Prompts over 77 tokens are truncated as
 * CLIP does (the end token kept) and counted.
 * Outputs: per_image.csv (one row per item, in input order) and summary.json, written
 * atomically; a one-screen table. Threads: --jobs workers (each with its own face analyzer
 * and CLIP sessions of --threads runtime threads) first embed the distinct references, then
 * score the items; rows are kept by item index and messages printed afterwards in input
 * order, so the output is the same for any number of workers.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "eval_internal.h"
#include "facesift/face.h"

void fsift_eval_opts_default(fsift_eval_opts *o) {
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->jobs = 1;
    o->n_boot = 1000;
    o->train_size = -1;
}

typedef struct ref_entry {
    char *path;
    char error[256];      /* "" when read */
    int face_found;
    float face[FSIFT_FACE_MAX_EMBED];
    int face_dim;
    float *clip;          /* CLIP image embedding (clip_dim) or NULL */
    int clip_dim;
} ref_entry;

typedef struct row {
    char status[320];
    int read;                       /* the generated image was read (the item is scored) */
    int face_found, ref_face_found; /* -1 unknown / not computed */
    double face_sim, clip_t, clip_i; /* NAN when not computed */
    int n_tokens;
} row;

/* Shared by all workers: read-only models, the references (each filled by one worker in
 * phase 1, read by all in phase 2), the items and their rows (each row written by one worker). */
typedef struct ctx {
    const fsift_eval_opts *o;
    fsift_face_models *fm;
    fsift_clip *clip;
    ref_entry *refs;       /* sorted by path */
    int n_refs;
    const eval_items *items;
    row *rows;
    atomic_int next;       /* work counter of the current phase */
} ctx;

/* One worker's state: never shared. */
typedef struct worker {
    ctx *c;
    fsift_face_analyzer *fa; /* NULL with --no-face */
    fsift_face_list faces;
    fsift_clip_runner *cr;   /* NULL without CLIP towers */
    float *gclip, *temb, *gface;
    fsift_status st;         /* setup failure (nothing else fails a run) */
} worker;

static fsift_status load_image(const char *path, fsift_image *img) {
    void *data;
    size_t size;
    fsift_status st = fsift_file_read(path, FSIFT_DEFAULT_MAX_FILE_BYTES, &data, &size);
    if (st) return st;
    st = fsift_image_decode(data, size, NULL, img, NULL);
    free(data);
    return st;
}

/* Largest face's normalised embedding; returns 1 when a face was found. */
static fsift_status largest_face(worker *c, const fsift_image *img, float *emb, int *dim, int *found) {
    *found = 0;
    if (!c->fa) return FSIFT_OK; /* --no-face */
    fsift_status st = fsift_face_analyze(c->fa, img, 0, &c->faces);
    if (st) return st;
    if (c->faces.n < 1 || c->faces.faces[0].embedding_dim < 1) return FSIFT_OK;
    *dim = c->faces.faces[0].embedding_dim;
    memcpy(emb, c->faces.faces[0].normed_embedding, sizeof(float) * (size_t)*dim);
    *found = 1;
    return FSIFT_OK;
}

static int cmp_ref(const void *a, const void *b) {
    return strcmp(((const ref_entry *)a)->path, ((const ref_entry *)b)->path);
}

/* The distinct reference paths of the items, sorted (phase 1 fills them in). */
static fsift_status collect_refs(ctx *c) {
    const eval_items *it = c->items;
    c->refs = calloc((size_t)(it->n ? it->n : 1), sizeof *c->refs);
    if (!c->refs) return fsift_error(FSIFT_E_NOMEM, "eval: out of memory");
    int n = 0;
    for (int i = 0; i < it->n; i++)
        if (it->v[i].reference) c->refs[n++].path = it->v[i].reference; /* borrowed from the items */
    qsort(c->refs, (size_t)n, sizeof *c->refs, cmp_ref);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (k == 0 || strcmp(c->refs[k - 1].path, c->refs[i].path)) c->refs[k++] = c->refs[i];
    c->n_refs = k;
    return FSIFT_OK;
}

static const ref_entry *find_ref(const ctx *c, const char *path) {
    ref_entry key;
    key.path = (char *)path;
    return bsearch(&key, c->refs, (size_t)c->n_refs, sizeof *c->refs, cmp_ref);
}

static void embed_ref(worker *c, ref_entry *r) {
    fsift_image img = {0};
    fsift_status st = load_image(r->path, &img);
    if (!st) st = largest_face(c, &img, r->face, &r->face_dim, &r->face_found);
    if (!st && c->cr && fsift_clip_has_image(c->c->clip)) {
        r->clip = malloc(sizeof(float) * FSIFT_CLIP_MAX_EMBED);
        st = r->clip ? fsift_clip_embed_image(c->cr, &img, r->clip, FSIFT_CLIP_MAX_EMBED, &r->clip_dim)
                     : fsift_error(FSIFT_E_NOMEM, "out of memory");
    }
    if (st) snprintf(r->error, sizeof r->error, "reference %s: %s", r->path, fsift_last_error());
    fsift_image_free(&img);
}

static void score_item(worker *c, const eval_item *e, row *w) {
    float *gclip = c->gclip, *temb = c->temb, *gface = c->gface;
    w->face_found = w->ref_face_found = -1;
    w->face_sim = w->clip_t = w->clip_i = NAN;
    if (e->error) {
        snprintf(w->status, sizeof w->status, "bad line: %s", e->error);
        return;
    }
    fsift_image img = {0};
    fsift_status st = load_image(e->generated, &img);
    if (st) {
        snprintf(w->status, sizeof w->status, "generated %s: %s", e->generated, fsift_last_error());
        return;
    }
    snprintf(w->status, sizeof w->status, "ok");
    int gdim = 0, found = 0, cdim = 0, tdim = 0;
    st = largest_face(c, &img, gface, &gdim, &found);
    int have_gclip = 0;
    if (!st && fsift_clip_has_image(c->c->clip)) {
        st = fsift_clip_embed_image(c->cr, &img, gclip, FSIFT_CLIP_MAX_EMBED, &cdim);
        have_gclip = !st;
    }
    fsift_image_free(&img);
    if (st) {
        snprintf(w->status, sizeof w->status, "generated %s: %s", e->generated, fsift_last_error());
        return;
    }
    w->read = 1;
    w->face_found = c->fa ? found : -1;
    if (e->prompt && have_gclip && fsift_clip_has_text(c->c->clip)) {
        st = fsift_clip_embed_text(c->cr, e->prompt, temb, FSIFT_CLIP_MAX_EMBED, &tdim, &w->n_tokens);
        if (st) snprintf(w->status, sizeof w->status, "prompt: %s", fsift_last_error());
        else if (tdim != cdim) snprintf(w->status, sizeof w->status, "CLIP text (%d) and image (%d) embeddings differ in size", tdim, cdim);
        else w->clip_t = fsift_eval_cosine(gclip, temb, cdim);
    }
    if (!e->reference) {
        if (!strcmp(w->status, "ok")) snprintf(w->status, sizeof w->status, "no reference");
        return;
    }
    const ref_entry *r = find_ref(c->c, e->reference);
    if (!r || r->error[0]) {
        snprintf(w->status, sizeof w->status, "%s", r ? r->error : "reference not embedded");
        return;
    }
    w->ref_face_found = c->fa ? r->face_found : -1;
    if (!c->fa) {
        /* Face Sim not computed */
    } else if (!found || !r->face_found) {
        w->face_sim = 0.0;
    } else {
        double cs = r->face_dim == gdim ? fsift_eval_cosine(gface, r->face, gdim) : 0.0;
        w->face_sim = cs > 0 ? cs : 0.0;
    }
    if (have_gclip && r->clip && r->clip_dim == cdim) w->clip_i = fsift_eval_cosine(gclip, r->clip, cdim);
}

static void worker_free(worker *w) {
    fsift_face_list_free(&w->faces);
    fsift_face_analyzer_free(w->fa);
    fsift_clip_runner_free(w->cr);
    free(w->gclip);
    free(w->temb);
    free(w->gface);
}

static fsift_status worker_init(worker *w, ctx *c) {
    memset(w, 0, sizeof *w);
    w->c = c;
    fsift_status st = FSIFT_OK;
    if (c->fm) st = fsift_face_analyzer_new(c->fm, &w->fa);
    if (!st && c->clip) st = fsift_clip_runner_new(c->clip, c->o->threads, &w->cr);
    w->gclip = malloc(sizeof(float) * FSIFT_CLIP_MAX_EMBED);
    w->temb = malloc(sizeof(float) * FSIFT_CLIP_MAX_EMBED);
    w->gface = malloc(sizeof(float) * FSIFT_FACE_MAX_EMBED);
    if (!st && (!w->gclip || !w->temb || !w->gface)) st = fsift_error(FSIFT_E_NOMEM, "eval: out of memory");
    return st;
}

/* Phase 1 embeds the references, phase 2 scores the items; work is handed out by an atomic
 * counter, results land in their own slots, so the output does not depend on the order. */
static void *phase_refs(void *p) {
    worker *w = p;
    for (int i; (i = atomic_fetch_add(&w->c->next, 1)) < w->c->n_refs;) embed_ref(w, &w->c->refs[i]);
    return NULL;
}

static void *phase_items(void *p) {
    worker *w = p;
    for (int i; (i = atomic_fetch_add(&w->c->next, 1)) < w->c->items->n;)
        score_item(w, &w->c->items->v[i], &w->c->rows[i]);
    return NULL;
}

static void run_phase(ctx *c, worker *w, int n, void *(*fn)(void *)) {
    pthread_t th[FSIFT_EVAL_MAX_JOBS];
    int started = 0;
    atomic_store(&c->next, 0);
    for (int i = 1; i < n; i++)
        if (pthread_create(&th[i], NULL, fn, &w[i]) == 0) started = i;
        else break;
    fn(&w[0]);
    for (int i = 1; i <= started; i++) pthread_join(th[i], NULL);
}

/* One CSV cell (quoted when needed; NULL = empty) followed by sep. */
static void csv_field(FILE *f, const char *s, char sep) {
    if (s && !strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
    } else if (s) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"') fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    }
    fputc(sep, f);
}

/* A number cell: fmt applied when present (not NaN / not negative), then ','. */
static void csv_num(FILE *f, const char *fmt, double v, int present) {
    if (present && !isnan(v)) fprintf(f, fmt, v);
    fputc(',', f);
}

static json_t *stat_json(const fsift_eval_stat *s) {
    if (!s->n) return json_null();
    return json_pack("{s:i,s:f,s:f,s:[f,f],s:f,s:f,s:[f,f]}", "n", s->n, "mean", s->mean, "std", s->std, "ci95", s->ci_lo,
                     s->ci_hi, "mean_x100", s->mean * 100, "std_x100", s->std * 100, "ci95_x100", s->ci_lo * 100,
                     s->ci_hi * 100);
}

static void print_row(FILE *t, const char *name, const fsift_eval_stat *s) {
    if (!s->n) {
        fprintf(t, "  %-9s %8s\n", name, "—");
        return;
    }
    fprintf(t, "  %-9s %8.4f %8.4f  [%.4f, %.4f]  %7.2f  %6d\n", name, s->mean, s->std, s->ci_lo, s->ci_hi, s->mean * 100, s->n);
}

static fsift_status collect(const row *rows, int n, int which, uint64_t seed, int n_boot, fsift_eval_stat *out) {
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    if (!v) return fsift_error(FSIFT_E_NOMEM, "eval: out of memory");
    int k = 0;
    for (int i = 0; i < n; i++) {
        double x = which == 0 ? rows[i].face_sim : which == 1 ? rows[i].clip_t : rows[i].clip_i;
        if (!isnan(x)) v[k++] = x;
    }
    fsift_status st = fsift_eval_stat_compute(v, k, seed, n_boot, out);
    free(v);
    return st;
}

static fsift_status write_outputs(const fsift_eval_opts *o, ctx *c, const eval_items *it, const row *rows,
                                  fsift_eval_result *res) {
    char path[4200];
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return fsift_error(FSIFT_E_NOMEM, "eval: out of memory");
    const char *rec = c->fm ? fsift_face_models_recognizer_id(c->fm) : "", *det = c->fm ? fsift_face_models_detector_id(c->fm) : "";
    const char *ci = c->clip ? fsift_clip_image_id(c->clip) : "", *ct = c->clip ? fsift_clip_text_id(c->clip) : "";
    fprintf(f, "line,generated,reference,prompt,status,face_found,ref_face_found,face_sim,clip_t,clip_i,n_tokens,"
               "truncated,recognizer,clip_image,clip_text\n");
    for (int i = 0; i < it->n; i++) {
        const eval_item *e = &it->v[i];
        const row *w = &rows[i];
        fprintf(f, "%d,", e->line);
        csv_field(f, e->generated, ',');
        csv_field(f, e->reference, ',');
        csv_field(f, e->prompt, ',');
        csv_field(f, w->status, ',');
        csv_num(f, "%.0f", w->face_found, w->face_found >= 0);
        csv_num(f, "%.0f", w->ref_face_found, w->ref_face_found >= 0);
        csv_num(f, "%.6f", w->face_sim, 1);
        csv_num(f, "%.6f", w->clip_t, 1);
        csv_num(f, "%.6f", w->clip_i, 1);
        csv_num(f, "%.0f", w->n_tokens, w->n_tokens > 0);
        csv_num(f, "%.0f", w->n_tokens > FSIFT_CLIP_CONTEXT, w->n_tokens > 0);
        csv_field(f, rec, ',');
        csv_field(f, ci, ',');
        csv_field(f, ct, '\n');
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/per_image.csv", o->out_dir);
    fsift_status st = fsift_file_write_atomic(path, buf, len);
    free(buf);
    if (st) return st;

    int scored_faces = res->n_scored;
    json_t *j = json_pack("{s:s,s:i,s:i,s:i,s:{s:s,s:s,s:s,s:s,s:s},s:o,s:s?,s:I,s:i,s:{s:o,s:o,s:o},"
                          "s:f,s:f,s:i,s:i,s:i}",
                          "facesift", FSIFT_VERSION_STRING, "n_items", res->n_items, "n_scored", res->n_scored,
                          "n_errors", res->n_errors, "models", "detector", det, "recognizer", rec, "clip_image", ci,
                          "clip_text", ct, "clip_vocab", c->clip ? fsift_clip_vocab_id(c->clip) : "", "train_size",
                          o->train_size >= 0 ? json_real(o->train_size) : json_null(), "label", o->label, "seed",
                          (json_int_t)o->seed, "bootstrap", o->n_boot, "metrics", "face_sim", stat_json(&res->face_sim),
                          "clip_t", stat_json(&res->clip_t), "clip_i", stat_json(&res->clip_i), "no_face_rate",
                          scored_faces ? (double)res->n_no_face / scored_faces : 0.0, "no_face_rate_x100",
                          scored_faces ? 100.0 * res->n_no_face / scored_faces : 0.0, "no_face", res->n_no_face,
                          "reference_no_face", res->n_ref_no_face, "truncated_prompts", res->n_truncated);
    if (!j) return fsift_error(FSIFT_E_INTERNAL, "eval: cannot build summary.json");
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    json_decref(j);
    if (!s) return fsift_error(FSIFT_E_NOMEM, "eval: out of memory");
    snprintf(path, sizeof path, "%s/summary.json", o->out_dir);
    size_t sl = strlen(s);
    s[sl] = '\n'; /* json_dumps' NUL becomes the final newline */
    st = fsift_file_write_atomic(path, s, sl + 1);
    free(s);
    return st;
}

fsift_status fsift_eval_run(const fsift_eval_opts *o, fsift_eval_result *res, FILE *table) {
    memset(res, 0, sizeof *res);
    if (!o->out_dir) return fsift_error(FSIFT_E_INVALID_ARG, "eval: no output folder (-o DIR)");
    if (!o->manifest && !o->generated_dir)
        return fsift_error(FSIFT_E_INVALID_ARG, "eval: give a manifest or --generated DIR");
    double t0 = fsift_now_ms();
    ctx c = {.o = o};
    eval_items it = {0};
    row *rows = NULL;
    int jobs = o->jobs < 1 ? 1 : o->jobs > FSIFT_EVAL_MAX_JOBS ? FSIFT_EVAL_MAX_JOBS : o->jobs, n_workers = 0;
    worker *wk = calloc((size_t)jobs, sizeof *wk);
    fsift_status st = wk ? eval_mkdirs(o->out_dir) : fsift_error(FSIFT_E_NOMEM, "eval: out of memory");
    fsift_face_options fo;
    fsift_face_options_default(&fo);
    fo.threads = o->threads > 0 ? o->threads : 1;
    if (!st && !o->no_face) st = fsift_face_models_load(o->face_models ? o->face_models : "default", &fo, &c.fm);
    if (!st && (o->clip_image || o->clip_text)) {
        st = fsift_clip_load(o->clip_image, o->clip_text, o->clip_vocab, &c.clip);
        if (!st && o->clip_text && !o->clip_image)
            st = fsift_error(FSIFT_E_INVALID_ARG, "CLIP-T needs the image tower too (--clip-image)");
    }
    if (!st) st = o->manifest ? eval_items_from_manifest(o->manifest, &it, o->quiet)
                              : eval_items_from_dirs(o->generated_dir, o->reference, o->prompts, &it, o->quiet);
    if (!st) {
        rows = calloc((size_t)(it.n ? it.n : 1), sizeof *rows);
        if (!rows) st = fsift_error(FSIFT_E_NOMEM, "eval: out of memory");
        c.items = &it;
        c.rows = rows;
    }
    if (!st) st = collect_refs(&c);
    for (; !st && n_workers < jobs; n_workers++) st = worker_init(&wk[n_workers], &c);
    double t_score = fsift_now_ms();
    if (!st) {
        run_phase(&c, wk, jobs, phase_refs);
        run_phase(&c, wk, jobs, phase_items);
    }
    for (int i = 0; !st && i < it.n; i++) {
        row *w = &rows[i];
        res->n_items++;
        if (!w->read) {
            res->n_errors++;
        } else {
            res->n_scored++;
            res->n_no_face += w->face_found == 0;
            res->n_ref_no_face += w->ref_face_found == 0;
            res->n_truncated += w->n_tokens > FSIFT_CLIP_CONTEXT;
            if (strcmp(w->status, "ok") && strcmp(w->status, "no reference")) res->n_errors++;
        }
        if (!o->quiet && strcmp(w->status, "ok") && !it.v[i].error) /* bad lines: reported by items.c */
            fprintf(stderr, "facesift eval: item %d (line %d): %s\n", i + 1, it.v[i].line, w->status);
        if (!o->quiet && w->n_tokens > FSIFT_CLIP_CONTEXT)
            fprintf(stderr, "facesift eval: line %d: prompt over %d tokens truncated (the end token kept)\n",
                    it.v[i].line, FSIFT_CLIP_CONTEXT);
    }
    if (!st) st = collect(rows, it.n, 0, o->seed, o->n_boot, &res->face_sim);
    if (!st) st = collect(rows, it.n, 1, o->seed, o->n_boot, &res->clip_t);
    if (!st) st = collect(rows, it.n, 2, o->seed, o->n_boot, &res->clip_i);
    res->seconds_scoring = (fsift_now_ms() - t_score) / 1000.0;
    res->seconds = (fsift_now_ms() - t0) / 1000.0;
    if (!st) st = write_outputs(o, &c, &it, rows, res);
    if (!st && table) {
        fprintf(table, "facesift eval: %d items, %d scored, %d with errors -> %s\n", res->n_items, res->n_scored,
                res->n_errors, o->out_dir);
        fprintf(table, "  %-9s %8s %8s  %-18s  %7s  %6s\n", "metric", "mean", "std", "95% CI (bootstrap)", "x100", "n");
        print_row(table, "Face Sim", &res->face_sim);
        print_row(table, "CLIP-T", &res->clip_t);
        print_row(table, "CLIP-I", &res->clip_i);
        if (c.fm) fprintf(table, "  no face in %d of %d generated images (%.1f%%); reference without a face: %d; truncated prompts: %d\n",
                res->n_no_face, res->n_scored, res->n_scored ? 100.0 * res->n_no_face / res->n_scored : 0.0,
                res->n_ref_no_face, res->n_truncated);
        if (c.fm) fprintf(table, "  recognizer %s, detector %s\n", fsift_face_models_recognizer_id(c.fm), fsift_face_models_detector_id(c.fm));
        if (c.clip) fprintf(table, "  CLIP image %s, text %s, vocabulary %s\n", fsift_clip_image_id(c.clip),
                            fsift_clip_text_id(c.clip), fsift_clip_vocab_id(c.clip));
        fprintf(table, "  %.1f s (models %.1f s, scoring %.2f s: %.2f images/s)\n", res->seconds,
                res->seconds - res->seconds_scoring, res->seconds_scoring,
                res->seconds_scoring > 0 ? res->n_items / res->seconds_scoring : 0.0);
    }
    for (int i = 0; i < c.n_refs; i++) free(c.refs[i].clip);
    free(c.refs);
    free(rows);
    for (int i = 0; i < n_workers; i++) worker_free(&wk[i]);
    free(wk);
    eval_items_free(&it);
    fsift_face_models_free(c.fm);
    fsift_clip_free(c.clip);
    return st;
}
