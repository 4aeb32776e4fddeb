/*
 * cmd_analyze.c — `facesift analyze IMAGE... [--models SET] [--threads N] [--draw DIR] …`:
 * detects faces, their 5 landmarks and embeddings (face.h) and prints one JSON line per input
 * image, in input order (the contract in docs/faces.md):
 *   {"file":…,"width":…,"height":…,"detector":…,"recognizer":…,"n_found":…,
 *    "faces":[{"bbox":[x1,y1,x2,y2],"det_score":…,"kps":[[x,y]×5],"area_ratio":…,
 *              "embedding":[…]}],"ms":{"decode":…,"detect":…,"align":…,"embed":…}}
 * Pixels are printed with %.3f, scores/ratios and embeddings with %.9g (a non-finite
 * embedding value, possible only with a broken model, as null). An image that cannot
 * be read or decoded prints {"file":…,"error":…}; the run goes on and exits 1 at the end.
 * Threads: the model set is loaded once and shared; each of N workers owns an analyzer and
 * takes the next image; finished lines are printed in input order as soon as every earlier
 * line is out. --draw writes DIR/<name>.png previews (boxes, landmarks, scores) atomically.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "facesift/face.h"

static void analyze_usage(FILE *f) {
    fprintf(f,
            "usage: facesift analyze IMAGE... [--models SET] [--threads N] [--draw DIR]\n"
            "                        [--no-embedding] [--embed-largest] [--det-thresh T]\n"
            "                        [--det-size N] [--max-faces N] [--no-fallback]\n\n"
            "Detects faces with 5 landmarks, aligns and embeds them, and prints one JSON line\n"
            "per image (faces largest first; see docs/faces.md).\n"
            "  --models SET      default | mtcnn | blazeface | antelopev2:DIR (SCRFD + ArcFace\n"
            "                    ONNX files in DIR); embedded models come from $FSIFT_MODELS_DIR\n"
            "                    or ./models (scripts/fetch-models.sh)\n"
            "  --threads N       images analysed in parallel (default 1)\n"
            "  --draw DIR        write DIR/<name>.png previews with boxes, landmarks, scores\n"
            "  --no-embedding    detect only; no \"embedding\" in the output\n"
            "  --embed-largest   embed only the largest face\n"
            "  --det-thresh T    keep faces scoring at least T (default 0.5)\n"
            "  --det-size N      detector canvas side (default 640; a multiple of 32)\n"
            "  --max-faces N     keep at most N faces (default 100; n_found counts all)\n"
            "  --no-fallback     SCRFD: no second pass for large faces\n");
}

typedef struct job {
    char **files;
    int n;
    const fsift_face_models *models;
    int embed; /* 0 none, 1 largest, 2 all */
    const char *draw_dir;
    int next;       /* next image to take (under mu) */
    int printed;    /* lines printed so far (under mu) */
    char **lines;   /* finished lines waiting for their turn */
    int failed;
    pthread_mutex_t mu;
} job;

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static const char *base_of(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static fsift_status draw_preview(const char *dir, const char *file, const fsift_image *img, const fsift_face_list *l) {
    static const uint8_t kp_col[5][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}, {255, 0, 255}};
    static const uint8_t box_col[3] = {0, 255, 0};
    fsift_image c;
    fsift_status st = fsift_image_new(img->width, img->height, 3, &c);
    if (st) return st;
    for (int y = 0; y < img->height; y++) memcpy(c.data + (size_t)y * c.stride, img->data + (size_t)y * img->stride, (size_t)img->width * 3);
    int th = (img->width > img->height ? img->width : img->height) / 400 + 1;
    for (int i = 0; i < l->n; i++) {
        const fsift_face *f = &l->faces[i];
        fsift_draw_rect(&c, (int)f->bbox[0], (int)f->bbox[1], (int)f->bbox[2], (int)f->bbox[3], box_col, th);
        for (int k = 0; k < 5; k++) fsift_draw_disc(&c, f->kps[k][0], f->kps[k][1], (float)th + 1.0f, kp_col[k]);
        char txt[32];
        snprintf(txt, sizeof txt, "%d %.2f", i, f->det_score);
        fsift_draw_text(&c, (int)f->bbox[0], (int)f->bbox[1] - 8 * th - 2, txt, box_col, th);
    }
    void *png = NULL;
    size_t size = 0;
    st = fsift_png_encode(&c, 6, &png, &size);
    fsift_image_free(&c);
    if (st) return st;
    char name[4096];
    const char *b = base_of(file);
    const char *dot = strrchr(b, '.');
    int bl = dot && dot != b ? (int)(dot - b) : (int)strlen(b);
    snprintf(name, sizeof name, "%s/%.*s.png", dir, bl, b);
    st = fsift_file_write_atomic(name, png, size);
    free(png);
    return st;
}

/* Analyses one image into a malloc'd JSON line (with its newline). */
static char *analyze_one(job *j, fsift_face_analyzer *a, fsift_face_list *l, const char *file, int *failed) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    double t0 = fsift_now_ms();
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    void *data = NULL;
    size_t size = 0;
    fsift_image img = {0};
    fsift_status st = fsift_file_read(file, o.max_file_bytes, &data, &size);
    if (!st) st = fsift_image_decode(data, size, &o, &img, NULL);
    free(data);
    double t1 = fsift_now_ms();
    if (!st) st = j->embed == 0 ? fsift_face_detect(a, &img, l) : fsift_face_analyze(a, &img, j->embed == 2, l);
    if (!st && j->draw_dir) st = draw_preview(j->draw_dir, file, &img, l);
    if (st) {
        fputs("{\"file\":", f);
        json_string(f, file);
        fputs(",\"error\":", f);
        json_string(f, fsift_last_error()[0] ? fsift_last_error() : fsift_status_str(st));
        fputs("}\n", f);
        *failed = 1;
    } else {
        fputs("{\"file\":", f);
        json_string(f, file);
        fprintf(f, ",\"width\":%d,\"height\":%d,\"detector\":", img.width, img.height);
        json_string(f, fsift_face_models_detector_id(j->models));
        fputs(",\"recognizer\":", f);
        json_string(f, fsift_face_models_recognizer_id(j->models));
        fprintf(f, ",\"n_found\":%d,\"faces\":[", l->n_found);
        for (int i = 0; i < l->n; i++) {
            const fsift_face *x = &l->faces[i];
            fprintf(f, "%s{\"bbox\":[%.3f,%.3f,%.3f,%.3f],\"det_score\":%.9g,\"kps\":[", i ? "," : "", x->bbox[0],
                    x->bbox[1], x->bbox[2], x->bbox[3], x->det_score);
            for (int k = 0; k < 5; k++) fprintf(f, "%s[%.3f,%.3f]", k ? "," : "", x->kps[k][0], x->kps[k][1]);
            fprintf(f, "],\"area_ratio\":%.9g", x->area_ratio);
            if (x->embedding_dim > 0) {
                fputs(",\"embedding\":[", f);
                for (int d = 0; d < x->embedding_dim; d++) {
                    if (d) fputc(',', f);
                    if (isfinite(x->embedding[d]))
                        fprintf(f, "%.9g", x->embedding[d]);
                    else
                        fputs("null", f); /* JSON has no NaN/Inf: a broken model must not break the line */
                }
                fputc(']', f);
            }
            fputc('}', f);
        }
        fprintf(f, "],\"ms\":{\"decode\":%.3f,\"detect\":%.3f,\"align\":%.3f,\"embed\":%.3f}}\n", t1 - t0, l->ms_detect,
                l->ms_align, l->ms_embed);
    }
    fsift_image_free(&img);
    fclose(f);
    return buf;
}

static void *worker(void *arg) {
    job *j = arg;
    fsift_face_analyzer *a = NULL;
    fsift_face_list l = {0};
    fsift_status st = fsift_face_analyzer_new(j->models, &a);
    for (;;) {
        pthread_mutex_lock(&j->mu);
        int i = j->next < j->n ? j->next++ : -1;
        pthread_mutex_unlock(&j->mu);
        if (i < 0) break;
        int failed = 0;
        char *line;
        if (st) {
            line = NULL;
            failed = 1;
            fprintf(stderr, "facesift analyze: %s\n", fsift_last_error());
        } else {
            line = analyze_one(j, a, &l, j->files[i], &failed);
            if (!line) failed = 1;
        }
        pthread_mutex_lock(&j->mu);
        j->lines[i] = line ? line : strdup("");
        if (failed) j->failed = 1;
        while (j->printed < j->n && j->lines[j->printed]) {
            fputs(j->lines[j->printed], stdout);
            free(j->lines[j->printed]);
            j->lines[j->printed] = (char *)""; /* printed: never freed again */
            j->printed++;
        }
        fflush(stdout);
        pthread_mutex_unlock(&j->mu);
    }
    fsift_face_list_free(&l);
    fsift_face_analyzer_free(a);
    return NULL;
}

static int parse_int(const char *s, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

int cmd_analyze(int argc, char **argv) {
    fsift_face_options opts;
    fsift_face_options_default(&opts);
    const char *set = "default", *draw = NULL;
    int threads = 1, embed = 2;
    char **files = calloc((size_t)argc + 1, sizeof *files);
    int nf = 0;
    if (!files) return CLI_FAIL;
    int rc = CLI_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            analyze_usage(stdout);
            rc = CLI_OK;
            goto out;
        } else if (!strcmp(a, "--no-embedding")) {
            embed = 0;
        } else if (!strcmp(a, "--embed-largest")) {
            embed = 1;
        } else if (!strcmp(a, "--no-fallback")) {
            opts.large_face_fallback = 0;
        } else if (!strcmp(a, "--models") && v) {
            set = argv[++i];
        } else if (!strcmp(a, "--draw") && v) {
            draw = argv[++i];
        } else if (!strcmp(a, "--threads") && v) {
            if (parse_int(argv[++i], 1, 256, &threads)) goto bad;
        } else if (!strcmp(a, "--det-size") && v) {
            if (parse_int(argv[++i], 32, 8192, &opts.det_size) || opts.det_size % 32) goto bad;
        } else if (!strcmp(a, "--max-faces") && v) {
            if (parse_int(argv[++i], 0, 100000, &opts.max_faces)) goto bad;
        } else if (!strcmp(a, "--det-thresh") && v) {
            char *end;
            opts.det_thresh = strtof(argv[++i], &end);
            if (*end || !(opts.det_thresh >= 0.0f && opts.det_thresh <= 1.0f)) goto bad;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "facesift analyze: unknown option '%s'\n", a);
            analyze_usage(stderr);
            goto out;
        } else {
            files[nf++] = argv[i];
        }
        continue;
    bad:
        fprintf(stderr, "facesift analyze: bad value '%s' for %s\n", argv[i], a);
        goto out;
    }
    if (nf == 0) {
        analyze_usage(stderr);
        goto out;
    }
    if (draw && mkdir(draw, 0777) && errno != EEXIST) {
        fprintf(stderr, "facesift analyze: cannot create --draw folder '%s': %s\n", draw, strerror(errno));
        rc = CLI_FAIL;
        goto out;
    }
    fsift_face_models *m = NULL;
    if (fsift_face_models_load(set, &opts, &m)) {
        rc = cli_fail("analyze");
        goto out;
    }
    job j = {.files = files, .n = nf, .models = m, .embed = embed, .draw_dir = draw};
    j.lines = calloc((size_t)nf, sizeof *j.lines);
    if (!j.lines) {
        fsift_face_models_free(m);
        rc = CLI_FAIL;
        goto out;
    }
    pthread_mutex_init(&j.mu, NULL);
    if (threads > nf) threads = nf;
    pthread_t tid[256];
    int started = 0;
    for (int t = 1; t < threads; t++)
        if (!pthread_create(&tid[started], NULL, worker, &j)) started++;
    worker(&j);
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&j.mu);
    free(j.lines);
    fsift_face_models_free(m);
    rc = j.failed ? CLI_FAIL : CLI_OK;
out:
    free(files);
    return rc;
}
