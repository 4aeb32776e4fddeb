/*
 * report.c — `facesift report OUT`: one self-contained HTML page about a finished webdataset
 * output (no network: charts are inline SVG, thumbnails are inline base64 JPEG data URIs).
 *
 * Sources: the stats files (the funnel of reasons, versions, flags, time per stage), the
 * reasons files (per-sample size, face count, largest-face share and score, the detail of
 * each reject: histograms and reject examples, with the thumbnail the build stored for the
 * rejects decided after the decode — thumb.c), and the first kept samples of the tars (the
 * contact sheet: each image scaled to a 240 px wide thumbnail with every stored face's box
 * and 5 landmarks drawn). The page is a function of OUT only, except its timing table.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pipe_internal.h"

#define SHEET_MAX 24   /* thumbnails on the contact sheet */
#define EXAMPLES_MAX PIPE_THUMBS_MAX /* examples listed per reject reason (the build keeps as
                                          many thumbnails per reason and shard) */
#define THUMB_W 240

typedef struct vec {
    double *v;
    size_t n, cap;
} vec;

static void vec_push(vec *a, double x) {
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 256;
        double *nv = realloc(a->v, nc * sizeof *nv);
        if (!nv) return;
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = x;
}

static void html_text(jbuf *b, const char *s) {
    for (; *s; s++) {
        if (*s == '<') jb_puts(b, "&lt;");
        else if (*s == '>') jb_puts(b, "&gt;");
        else if (*s == '&') jb_puts(b, "&amp;");
        else if (*s == '"') jb_puts(b, "&quot;");
        else jb_raw(b, s, 1);
    }
}

/* A histogram of v over [lo, hi) in `bins` bars, with an optional threshold line. */
static void svg_hist(jbuf *b, const char *title, const vec *a, double lo, double hi, int bins, const char *xfmt,
                     double threshold) {
    int cnt[64] = {0};
    if (bins > 64) bins = 64;
    int maxc = 1;
    for (size_t i = 0; i < a->n; i++) {
        int k = (int)floor((a->v[i] - lo) / (hi - lo) * bins);
        if (k < 0) k = 0;
        if (k >= bins) k = bins - 1;
        if (++cnt[k] > maxc) maxc = cnt[k];
    }
    const int W = 420, H = 170, L = 36, B = 24;
    jb_printf(b, "<figure><svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">", W, H + B + 10, W,
              H + B + 10);
    double bw = (double)(W - L - 10) / bins;
    for (int k = 0; k < bins; k++) {
        double h = (double)cnt[k] / maxc * (H - 10);
        jb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4a7ab5\"><title>%d</title></rect>",
                  L + k * bw + 0.5, H - h, bw - 1, h, cnt[k]);
    }
    jb_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>", L, H, W - 10, H);
    jb_printf(b, "<text x=\"2\" y=\"12\" font-size=\"11\">%d</text>", maxc);
    char t[64];
    for (int k = 0; k <= 4; k++) {
        double x = lo + (hi - lo) * k / 4;
        snprintf(t, sizeof t, xfmt, x);
        jb_printf(b, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>",
                  L + (W - L - 10) * k / 4.0, H + 16, t);
    }
    if (threshold > lo && threshold < hi) {
        double x = L + (threshold - lo) / (hi - lo) * (W - L - 10);
        jb_printf(b, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c33\" stroke-dasharray=\"4 3\"/>", x, x, H);
    }
    jb_puts(b, "</svg><figcaption>");
    html_text(b, title);
    jb_printf(b, " (%zu samples)</figcaption></figure>\n", a->n);
}

/* One kept sample as a thumbnail with its faces drawn. */
static void thumb(jbuf *b, const fsift_sample *s) {
    fsift_decode_opts o;
    fsift_decode_opts_default(&o);
    o.apply_orientation = 0; /* the stored frame: the coordinates' frame */
    fsift_image im = {0}, sm = {0};
    json_error_t err;
    json_t *j = s->json ? json_loadb((const char *)s->json, s->json_size, 0, &err) : NULL;
    if (!s->image || !j || fsift_image_decode(s->image, s->image_size, &o, &im, NULL)) {
        json_decref(j);
        return;
    }
    int th = (int)lround((double)im.height * THUMB_W / im.width);
    if (th < 1) th = 1;
    double sc = (double)THUMB_W / im.width;
    void *jpg = NULL;
    size_t jn = 0;
    if (!fsift_image_resize(&im, THUMB_W, th, FSIFT_RESIZE_BILINEAR, &sm)) {
        static const uint8_t green[3] = {40, 220, 60}, red[3] = {240, 40, 40};
        json_t *faces = json_object_get(j, "faces");
        for (size_t i = 0; i < json_array_size(faces); i++) {
            json_t *f = json_array_get(faces, i), *bb = json_object_get(f, "bbox"), *kp = json_object_get(f, "kps");
            double x[4];
            for (int q = 0; q < 4; q++) x[q] = json_number_value(json_array_get(bb, (size_t)q)) * sc;
            fsift_draw_rect(&sm, (int)x[0], (int)x[1], (int)x[2], (int)x[3], i ? red : green, 2);
            for (size_t k = 0; k < 5; k++) {
                json_t *p = json_array_get(kp, k);
                fsift_draw_disc(&sm, (float)(json_number_value(json_array_get(p, 0)) * sc),
                                (float)(json_number_value(json_array_get(p, 1)) * sc), 2.0f, i ? red : green);
            }
        }
        fsift_jpeg_encode(&sm, 80, &jpg, &jn);
    }
    if (jpg) {
        jb_puts(b, "<figure class=\"t\"><img alt=\"\" src=\"data:image/jpeg;base64,");
        pipe_base64(b, jpg, jn);
        jb_puts(b, "\"><figcaption>");
        html_text(b, s->key);
        json_t *c = json_object_get(j, "caption");
        if (json_is_string(c)) {
            jb_puts(b, "<br><small>");
            char cap[121];
            snprintf(cap, sizeof cap, "%s", json_string_value(c));
            html_text(b, cap);
            jb_puts(b, "</small>");
        }
        jb_puts(b, "</figcaption></figure>\n");
    }
    free(jpg);
    fsift_image_free(&im);
    fsift_image_free(&sm);
    json_decref(j);
}

/* Whether s is base64 text (what may go into a data URI unescaped). */
static int is_base64(const char *s, size_t n) {
    if (n == 0 || n % 4) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
                 (c == '=' && i + 2 >= n);
        if (!ok) return 0;
    }
    return 1;
}

/* One reject example (a reasons line): a figure with its thumbnail when the build stored one
 * (figs), a list item otherwise (items). */
static void reject_example(jbuf *items, jbuf *figs, json_t *r, const char *shard) {
    const char *key = json_string_value(json_object_get(r, "key"));
    const char *dt = json_string_value(json_object_get(r, "detail"));
    json_t *th = json_object_get(r, "thumb");
    const char *tv = json_string_value(th);
    size_t tn = json_string_length(th);
    int fig = tv && is_base64(tv, tn);
    jbuf *b = fig ? figs : items;
    if (fig) {
        jb_puts(b, "<figure class=\"r\"><img alt=\"\" class=\"rj\" src=\"data:image/jpeg;base64,");
        jb_raw(b, tv, tn);
        jb_puts(b, "\"><figcaption><code>");
    } else {
        jb_puts(b, "<li><code>");
    }
    html_text(b, key ? key : "");
    jb_printf(b, "</code> (shard %s)%s", shard, fig ? "<br>" : ": ");
    html_text(b, dt ? dt : "");
    jb_puts(b, fig ? "</figcaption></figure>" : "</li>");
}

static const char *const funnel_label[FSIFT_R_COUNT] = {
    "kept", "readable", "unique key", "has a caption", "caption matches", "within decode limits", "decodes",
    "resolution", "enough faces", "not too many faces", "face large enough", "embedded"};

fsift_status fsift_report(const char *out_dir, const char *html_path) {
    DIR *d = opendir(out_dir);
    if (!d) return fsift_error(FSIFT_E_IO, "cannot open '%s'", out_dir);
    char **names = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l == 16 && !strcmp(e->d_name + 5, "_stats.json")) {
            char **nn = realloc(names, (size_t)(n + 1) * sizeof *nn);
            if (!nn) break;
            names = nn;
            names[n++] = strndup(e->d_name, 5);
        }
    }
    closedir(d);
    if (n == 0) {
        free(names);
        return fsift_error(FSIFT_E_FORMAT, "'%s' holds no finished shards (NNNNN_stats.json)", out_dir);
    }
    for (int i = 1; i < n; i++) /* insertion sort: shard names have equal length */
        for (int k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
            char *t = names[k];
            names[k] = names[k - 1];
            names[k - 1] = t;
        }
    int64_t reasons[FSIFT_R_COUNT] = {0}, samples = 0;
    double ms[ST_COUNT] = {0}, wall = 0;
    vec side = {0}, nfaces = {0}, ratio = {0}, score = {0};
    jbuf ex[FSIFT_R_COUNT], exfig[FSIFT_R_COUNT];
    int nex[FSIFT_R_COUNT] = {0};
    memset(ex, 0, sizeof ex);
    memset(exfig, 0, sizeof exfig);
    json_t *first_stats = NULL;
    char p[4200];
    for (int i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s/%s_stats.json", out_dir, names[i]);
        json_error_t err;
        json_t *st = json_load_file(p, 0, &err);
        json_t *rs = json_object_get(st, "reasons");
        samples += json_integer_value(json_object_get(st, "samples"));
        for (int r = 0; r < FSIFT_R_COUNT; r++) reasons[r] += json_integer_value(json_object_get(rs, fsift_reason_name(r)));
        json_t *run = json_object_get(st, "run"), *rms = json_object_get(run, "ms");
        wall += json_number_value(json_object_get(run, "wall_ms"));
        for (int k = 0; k < ST_COUNT; k++) ms[k] += json_number_value(json_object_get(rms, pipe_stage_names[k]));
        if (!first_stats) first_stats = st;
        else json_decref(st);
        snprintf(p, sizeof p, "%s/%s_reasons.jsonl", out_dir, names[i]);
        FILE *f = fopen(p, "r");
        char *line = NULL; /* a line with a thumbnail is several kB */
        size_t line_cap = 0;
        while (f && getline(&line, &line_cap, f) > 0) {
            json_t *r = json_loads(line, 0, &err);
            if (!r) continue;
            json_t *w = json_object_get(r, "width"), *h = json_object_get(r, "height");
            if (json_is_integer(w)) {
                double a = (double)json_integer_value(w), c = (double)json_integer_value(h);
                vec_push(&side, a < c ? a : c);
            }
            json_t *nf = json_object_get(r, "n_faces");
            if (json_is_integer(nf)) vec_push(&nfaces, (double)json_integer_value(nf));
            if (json_is_number(json_object_get(r, "area_ratio"))) {
                vec_push(&ratio, json_number_value(json_object_get(r, "area_ratio")));
                vec_push(&score, json_number_value(json_object_get(r, "det_score")));
            }
            const char *why = json_string_value(json_object_get(r, "reason"));
            for (int k = 1; why && k < FSIFT_R_COUNT; k++)
                if (!strcmp(why, fsift_reason_name(k)) && nex[k] < EXAMPLES_MAX) {
                    nex[k]++;
                    reject_example(&ex[k], &exfig[k], r, names[i]);
                }
            json_decref(r);
        }
        free(line);
        if (f) fclose(f);
    }
    jbuf b = {0};
    jb_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>facesift build report</title>"
                "<style>body{font:14px sans-serif;margin:24px;max-width:1100px}table{border-collapse:collapse}"
                "td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}"
                "figure{display:inline-block;margin:8px}figure.t{width:240px;vertical-align:top}figure.r{width:136px;vertical-align:top}figcaption{font-size:12px}"
                "code{font-size:12px}</style></head><body>\n<h1>facesift build report</h1>\n<p>");
    html_text(&b, out_dir);
    jb_printf(&b, ": %d shards, %lld samples, %lld kept (%.2f%%).</p>\n", n, (long long)samples, (long long)reasons[0],
              samples ? 100.0 * (double)reasons[0] / (double)samples : 0.0);
    /* funnel: samples left after each rule, in rule order */
    jb_puts(&b, "<h2>Funnel</h2>\n");
    {
        const int W = 760, RH = 22, L = 190;
        jb_printf(&b, "<svg width=\"%d\" height=\"%d\" role=\"img\">", W, RH * FSIFT_R_COUNT + 4);
        int64_t left = samples;
        for (int k = 0; k < FSIFT_R_COUNT; k++) {
            int r = k == 0 ? -1 : k; /* row 0: all samples */
            if (r > 0) left -= reasons[r];
            const char *label = k == 0 ? "input samples" : funnel_label[k];
            double w = samples ? (double)(W - L - 150) * (double)left / (double)samples : 0;
            jb_printf(&b, "<text x=\"0\" y=\"%d\" font-size=\"12\">%s</text>", RH * k + 15, label);
            jb_printf(&b, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#4a7ab5\"/>", L, RH * k + 3, w, RH - 6);
            jb_printf(&b, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\">%lld", L + w + 6, RH * k + 15, (long long)left);
            if (r > 0) jb_printf(&b, " (−%lld %s)", (long long)reasons[r], fsift_reason_name(r));
            jb_puts(&b, "</text>");
        }
        jb_puts(&b, "</svg>\n<table><tr><th>reason</th><th>samples</th><th>share</th></tr>\n");
        for (int r = 0; r < FSIFT_R_COUNT; r++)
            jb_printf(&b, "<tr><td>%s</td><td>%lld</td><td>%.2f%%</td></tr>\n", fsift_reason_name(r), (long long)reasons[r],
                      samples ? 100.0 * (double)reasons[r] / (double)samples : 0.0);
        jb_puts(&b, "</table>\n");
    }
    json_t *flags = json_object_get(first_stats, "flags");
    double min_side = json_number_value(json_object_get(flags, "min_side"));
    double min_ratio = json_number_value(json_object_get(flags, "min_face_ratio"));
    jb_puts(&b, "<h2>Distributions</h2>\n");
    svg_hist(&b, "shorter side (px) of every decodable sample; dashed: --min-side", &side, 0, 2048, 32, "%.0f", min_side);
    svg_hist(&b, "faces found per sample that reached detection", &nfaces, 0, 8, 8, "%.0f", -1);
    svg_hist(&b, "largest face's box area / image area; dashed: --min-face-ratio", &ratio, 0, 0.4, 40, "%.2f", min_ratio);
    svg_hist(&b, "largest face's detection score", &score, 0.5, 1.0, 25, "%.2f", -1);
    /* contact sheet */
    jb_printf(&b, "<h2>Kept samples (first %d, boxes and landmarks as stored; green: the largest face)</h2>\n", SHEET_MAX);
    int shown = 0;
    for (int i = 0; i < n && shown < SHEET_MAX; i++) {
        snprintf(p, sizeof p, "%s/%s.tar", out_dir, names[i]);
        fsift_input_shard sh = {FSIFT_INPUT_TAR, p, p, 0, -1, 0, NULL};
        fsift_sample_reader *rd;
        if (fsift_sample_reader_open(&sh, (size_t)64 << 20, &rd)) continue;
        fsift_sample s;
        while (shown < SHEET_MAX && fsift_sample_reader_next(rd, &s) > 0) {
            thumb(&b, &s);
            shown++;
            fsift_sample_clear(&s);
        }
        fsift_sample_reader_close(rd);
    }
    jb_puts(&b, "<h2>Examples of each reject reason</h2>\n");
    for (int k = 1; k < FSIFT_R_COUNT; k++) {
        if (!nex[k]) continue;
        jb_printf(&b, "<h3>%s (%lld)</h3>", fsift_reason_name(k), (long long)reasons[k]);
        if (exfig[k].n) {
            jb_puts(&b, "<div>");
            jb_raw(&b, exfig[k].p, exfig[k].n);
            jb_puts(&b, "</div>");
        }
        if (ex[k].n) {
            jb_puts(&b, "<ul>");
            jb_raw(&b, ex[k].p, ex[k].n);
            jb_puts(&b, "</ul>");
        }
        jb_puts(&b, "\n");
    }
    jb_puts(&b, "<h2>Run</h2>\n<table><tr><th>stage</th><th>ms (summed over samples)</th></tr>\n");
    for (int k = 0; k < ST_COUNT; k++) jb_printf(&b, "<tr><td>%s</td><td>%.0f</td></tr>\n", pipe_stage_names[k], ms[k]);
    jb_printf(&b, "<tr><td>wall, all shards</td><td>%.0f</td></tr></table>\n<h2>Versions and flags</h2><pre>", wall);
    char *vj = json_dumps(json_object_get(first_stats, "versions"), JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    char *fj = json_dumps(flags, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    html_text(&b, vj ? vj : "");
    jb_puts(&b, "\n");
    html_text(&b, fj ? fj : "");
    jb_puts(&b, "</pre>\n</body></html>\n");
    free(vj);
    free(fj);
    fsift_status s = b.oom ? fsift_error(FSIFT_E_NOMEM, "out of memory") : fsift_file_write_atomic(html_path, b.p, b.n);
    jb_free(&b);
    for (int k = 0; k < FSIFT_R_COUNT; k++) {
        jb_free(&ex[k]);
        jb_free(&exfig[k]);
    }
    json_decref(first_stats);
    free(side.v);
    free(nfaces.v);
    free(ratio.v);
    free(score.v);
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    return s;
}
