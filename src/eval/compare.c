/*
 * compare.c — `facesift eval-compare`: the scaling study. Reads each run's summary.json,
 * orders the runs by training-set size (the run's train_size, or one given on the command
 * line, or metadata.json {"train_size": N} in the run's folder), and writes
 *   compare.csv   label, size, and for each metric mean / CI low / CI high (0–1), no-face rate
 *   compare.md    the same as a markdown table (×100 as the paper's tables)
 *   scaling.svg   one panel per metric: mean against size (log axis when sizes span > 10×),
 *                 95% CI bars — the shape of FaceID-6M's scaling figure.
 * Everything is written atomically; numbers are formatted with fixed precision so the files
 * are deterministic.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "eval_internal.h"

#define N_MET 3
static const char *const MET_KEY[N_MET] = {"face_sim", "clip_t", "clip_i"};
static const char *const MET_NAME[N_MET] = {"Face Sim", "CLIP-T", "CLIP-I"};

typedef struct run_row {
    char label[256];
    double size; /* < 0 unknown */
    int has[N_MET];
    double mean[N_MET], lo[N_MET], hi[N_MET];
    double no_face;
} run_row;

static int cmp_row(const void *a, const void *b) {
    const run_row *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? -1 : 1;
    return strcmp(x->label, y->label);
}

static double json_num(json_t *v, double def) { return json_is_number(v) ? json_number_value(v) : def; }

static fsift_status read_run(const char *dir, double given, run_row *r) {
    memset(r, 0, sizeof *r);
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    if (!json_is_object(j)) {
        json_decref(j);
        return fsift_error(FSIFT_E_FORMAT, "%s: %s (run facesift eval first)", path, err.text);
    }
    const char *label = json_string_value(json_object_get(j, "label"));
    const char *b = strrchr(dir, '/');
    snprintf(r->label, sizeof r->label, "%s", label ? label : (b && b[1] ? b + 1 : dir));
    r->size = given >= 0 ? given : json_num(json_object_get(j, "train_size"), -1);
    if (r->size < 0) {
        snprintf(path, sizeof path, "%s/metadata.json", dir);
        json_t *m = json_load_file(path, 0, &err);
        r->size = json_num(json_object_get(m, "train_size"), -1);
        json_decref(m);
    }
    json_t *met = json_object_get(j, "metrics");
    for (int k = 0; k < N_MET; k++) {
        json_t *s = json_object_get(met, MET_KEY[k]);
        json_t *ci = json_object_get(s, "ci95");
        if (!json_is_object(s) || json_array_size(ci) != 2) continue;
        r->has[k] = 1;
        r->mean[k] = json_num(json_object_get(s, "mean"), 0);
        r->lo[k] = json_num(json_array_get(ci, 0), 0);
        r->hi[k] = json_num(json_array_get(ci, 1), 0);
    }
    r->no_face = json_num(json_object_get(j, "no_face_rate"), 0);
    json_decref(j);
    return FSIFT_OK;
}

static void size_str(double s, char *buf, size_t cap) {
    if (s < 0) snprintf(buf, cap, "?");
    else if (s >= 1e6 && fmod(s, 1e6) == 0) snprintf(buf, cap, "%.0fM", s / 1e6);
    else if (s >= 1e3 && fmod(s, 1e3) == 0) snprintf(buf, cap, "%.0fK", s / 1e3);
    else snprintf(buf, cap, "%.0f", s);
}

static void xml_text(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else fputc(*s, f);
    }
}

static void write_svg(FILE *f, const run_row *r, int n) {
    const double PW = 300, PH = 220, ML = 55, MT = 30, GAP = 40;
    double W = ML + N_MET * (PW + GAP), H = MT + PH + 60;
    double smin = INFINITY, smax = -INFINITY;
    for (int i = 0; i < n; i++)
        if (r[i].size > 0) {
            smin = fmin(smin, r[i].size);
            smax = fmax(smax, r[i].size);
        }
    int logx = smin > 0 && smax / smin > 10;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" font-size=\"11\">\n", W, H);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    for (int k = 0; k < N_MET; k++) {
        double x0 = ML + k * (PW + GAP), y0 = MT;
        double vmin = INFINITY, vmax = -INFINITY;
        int any = 0;
        for (int i = 0; i < n; i++)
            if (r[i].has[k] && r[i].size >= 0) {
                vmin = fmin(vmin, r[i].lo[k]);
                vmax = fmax(vmax, r[i].hi[k]);
                any = 1;
            }
        if (!any) vmin = 0, vmax = 1;
        if (vmax - vmin < 1e-3) vmin -= 0.01, vmax += 0.01;
        double pad = (vmax - vmin) * 0.1;
        vmin -= pad;
        vmax += pad;
        fprintf(f, "<g><rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#444\"/>\n", x0, y0, PW, PH);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\">%s</text>\n", x0 + PW / 2, y0 - 10, MET_NAME[k]);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">training-set size</text>\n", x0 + PW / 2, y0 + PH + 40);
        for (int t = 0; t <= 4; t++) {
            double v = vmin + (vmax - vmin) * t / 4, y = y0 + PH - PH * t / 4;
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>\n", x0 - 4, y + 4, v);
            fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x0, x0 + PW, y, y);
        }
        double px = 0, py = 0;
        int have_prev = 0;
        for (int i = 0; i < n; i++) {
            if (!r[i].has[k] || r[i].size < 0) continue;
            double fx;
            if (smax <= smin) fx = 0.5;
            else if (logx) fx = (log10(r[i].size) - log10(smin)) / (log10(smax) - log10(smin));
            else fx = (r[i].size - smin) / (smax - smin);
            double x = x0 + 20 + fx * (PW - 40);
            double y = y0 + PH - PH * (r[i].mean[k] - vmin) / (vmax - vmin);
            double ylo = y0 + PH - PH * (r[i].lo[k] - vmin) / (vmax - vmin), yhi = y0 + PH - PH * (r[i].hi[k] - vmin) / (vmax - vmin);
            if (have_prev) fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n", px, py, x, y);
            fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#1f77b4\"/>\n", x, x, ylo, yhi);
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#1f77b4\"/>\n", x, y);
            char sz[32];
            size_str(r[i].size, sz, sizeof sz);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, y0 + PH + 16);
            xml_text(f, sz);
            fprintf(f, "</text>\n");
            px = x;
            py = y;
            have_prev = 1;
        }
        fprintf(f, "</g>\n");
    }
    fprintf(f, "</svg>\n");
}

static fsift_status write_mem(const char *dir, const char *name, char *buf, size_t len) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fsift_status st = fsift_file_write_atomic(path, buf, len);
    free(buf);
    return st;
}

fsift_status fsift_eval_compare(const char *const *run_dirs, int n, const double *sizes, const char *out_dir,
                                FILE *table) {
    if (n < 1) return fsift_error(FSIFT_E_INVALID_ARG, "eval-compare: no run folders");
    run_row *r = calloc((size_t)n, sizeof *r);
    if (!r) return fsift_error(FSIFT_E_NOMEM, "eval-compare: out of memory");
    fsift_status st = FSIFT_OK;
    for (int i = 0; i < n && !st; i++) st = read_run(run_dirs[i], sizes ? sizes[i] : -1, &r[i]);
    if (!st) st = eval_mkdirs(out_dir);
    if (st) {
        free(r);
        return st;
    }
    qsort(r, (size_t)n, sizeof *r, cmp_row);
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "label,train_size");
    for (int k = 0; k < N_MET; k++) fprintf(f, ",%s,%s_ci_lo,%s_ci_hi", MET_KEY[k], MET_KEY[k], MET_KEY[k]);
    fprintf(f, ",no_face_rate\n");
    for (int i = 0; i < n; i++) {
        fprintf(f, "\"%s\",", r[i].label);
        if (r[i].size >= 0) fprintf(f, "%.0f", r[i].size);
        for (int k = 0; k < N_MET; k++)
            if (r[i].has[k]) fprintf(f, ",%.6f,%.6f,%.6f", r[i].mean[k], r[i].lo[k], r[i].hi[k]);
            else fprintf(f, ",,,");
        fprintf(f, ",%.6f\n", r[i].no_face);
    }
    fclose(f);
    st = write_mem(out_dir, "compare.csv", buf, len);
    f = open_memstream(&buf, &len);
    fprintf(f, "| run | training-set size | Face Sim (x100) | CLIP-T (x100) | CLIP-I (x100) | no face |\n|---|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < n; i++) {
        char sz[32];
        size_str(r[i].size, sz, sizeof sz);
        fprintf(f, "| %s | %s |", r[i].label, sz);
        for (int k = 0; k < N_MET; k++)
            if (r[i].has[k]) fprintf(f, " %.2f [%.2f, %.2f] |", 100 * r[i].mean[k], 100 * r[i].lo[k], 100 * r[i].hi[k]);
            else fprintf(f, " — |");
        fprintf(f, " %.1f%% |\n", 100 * r[i].no_face);
    }
    fclose(f);
    if (table) fwrite(buf, 1, len, table);
    if (!st) st = write_mem(out_dir, "compare.md", buf, len);
    else free(buf);
    f = open_memstream(&buf, &len);
    write_svg(f, r, n);
    fclose(f);
    if (!st) st = write_mem(out_dir, "scaling.svg", buf, len);
    else free(buf);
    free(r);
    return st;
}
