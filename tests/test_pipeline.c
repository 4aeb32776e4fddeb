/*
 * test_pipeline.c — the build pipeline with a deterministic test detector (no models): rule
 * order and reason codes, 1 vs N threads byte-identical, resume after a simulated crash,
 * --shard + merge equal to one run, the release layout written directly equal to export,
 * truncated tar members, duplicate keys, members without captions.
 *
 * Inputs are generated here: flat-colour PNG/JPEG images whose colour encodes what the test
 * detector "sees" (red = 40 × number of faces, green = face side as a share of the shorter
 * side × 255), packed into webdataset tars with the deterministic tar writer. The expected
 * reason of every sample is the generator's own specification, never the pipeline's output.
 */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "facesift/data.h"
#include "facesift/pipeline.h"
#include "harness.h"

/* ---- test face step --------------------------------------------------------------------- */

static void mean_rgb(const fsift_image *img, double m[3]) {
    double s[3] = {0, 0, 0};
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++)
            for (int c = 0; c < 3; c++) s[c] += img->data[(size_t)y * img->stride + (size_t)x * 3 + (size_t)c];
    for (int c = 0; c < 3; c++) m[c] = s[c] / ((double)img->width * img->height);
}

static fsift_status t_detect(void *state, const fsift_image *img, fsift_face_list *out) {
    (void)state;
    double m[3];
    mean_rgb(img, m);
    int n = (int)lround(m[0] / 40.0);
    double side = m[1] / 255.0 * (img->width < img->height ? img->width : img->height);
    if (n > out->capacity) {
        fsift_face *nf = realloc(out->faces, (size_t)n * sizeof *nf);
        if (!nf) return fsift_error(FSIFT_E_NOMEM, "oom");
        out->faces = nf;
        out->capacity = n;
    }
    out->n = out->n_found = n;
    for (int i = 0; i < n; i++) {
        fsift_face *f = &out->faces[i];
        memset(f, 0, sizeof *f);
        double sd = side / (1 + i); /* largest first */
        double x = i * side * 0.5, y = i * side * 0.25;
        f->bbox[0] = (float)x, f->bbox[1] = (float)y, f->bbox[2] = (float)(x + sd), f->bbox[3] = (float)(y + sd);
        static const float t[5][2] = {{.3f, .4f}, {.7f, .4f}, {.5f, .6f}, {.35f, .8f}, {.65f, .8f}};
        for (int k = 0; k < 5; k++) f->kps[k][0] = (float)(x + t[k][0] * sd), f->kps[k][1] = (float)(y + t[k][1] * sd);
        f->det_score = 0.9f - 0.1f * (float)i;
        f->area_ratio = (float)(sd * sd / ((double)img->width * img->height));
    }
    return FSIFT_OK;
}

static fsift_status t_embed(void *state, const fsift_image *img, fsift_face *face, fsift_image *crop) {
    (void)state;
    fsift_status s = fsift_norm_crop(img, face->kps, 112, crop, NULL);
    if (s) return s;
    face->embedding_dim = 8;
    double m[3];
    mean_rgb(crop, m);
    for (int i = 0; i < 8; i++) face->embedding[i] = (float)(m[i % 3] / 255.0 + face->kps[i % 5][i & 1] / 1000.0);
    return FSIFT_OK;
}

static int t_match(void *ctx, const char *text, size_t len, fsift_text_match *m) {
    (void)ctx;
    (void)len;
    const char *p = strstr(text, "person");
    if (!p) return 0;
    m->category = FSIFT_CAT_PEOPLE;
    m->term = "person";
    m->offset = (size_t)(p - text);
    m->length = 6;
    return 1;
}

/* the fake refine: detection again on the full-size pixels (exact, so the tests can tell the
   refined result from the mapped one) */
static fsift_status t_refine(void *state, const fsift_image *img, fsift_face_list *faces) {
    return t_detect(state, img, faces);
}

static fsift_pipe_face_ops FACE = {.detector_id = "testdet", .recognizer_id = "testrec", .embedding_dim = 8,
                                   .det_size = 256, .detect = t_detect, .refine = t_refine, .embed = t_embed};
/* a coarse pre-filter detection (marked by its score) that refine must replace, and that must
   never be stored: when the pre-filter image is the full image, detect runs instead */
static fsift_status t_detect_coarse(void *state, const fsift_image *img, fsift_face_list *out) {
    fsift_status st = t_detect(state, img, out);
    for (int i = 0; i < out->n; i++) out->faces[i].det_score = 0.25f;
    return st;
}
static fsift_pipe_face_ops FACE_COARSE = {.detector_id = "testdet", .recognizer_id = "testrec", .embedding_dim = 8,
                                          .det_size = 256, .detect = t_detect, .detect_coarse = t_detect_coarse,
                                          .refine = t_refine, .embed = t_embed};
static fsift_pipe_face_ops FACE_COARSE_FULL = {.detector_id = "testdet", .recognizer_id = "testrec", .embedding_dim = 8,
                                               .det_size = 0, .detect = t_detect, .detect_coarse = t_detect_coarse,
                                               .refine = t_refine, .embed = t_embed};
/* no refine step: the pre-filter's faces are only mapped onto the full image */
static fsift_pipe_face_ops FACE_NOREFINE = {.detector_id = "testdet", .recognizer_id = "testrec", .embedding_dim = 8,
                                            .det_size = 256, .detect = t_detect, .embed = t_embed};
static fsift_pipe_text_ops TEXT = {NULL, t_match};

/* ---- input generation ------------------------------------------------------------------------ */

typedef struct spec {
    const char *key;
    int w, h, faces, face_pct; /* face side as % of the shorter side */
    int jpeg, corrupt, no_caption, bad_caption, no_image, dup, unused;
    int expect;
} spec;

static char work[512];

static void img_bytes(const spec *s, void **buf, size_t *n) {
    fsift_image im;
    CHECK_OK(fsift_image_new(s->w, s->h, 3, &im));
    for (int y = 0; y < s->h; y++)
        for (int x = 0; x < s->w; x++) {
            uint8_t *p = im.data + (size_t)y * im.stride + (size_t)x * 3;
            p[0] = (uint8_t)(40 * s->faces);
            p[1] = (uint8_t)(s->face_pct * 255 / 100);
            p[2] = 77;
        }
    if (s->jpeg) CHECK_OK(fsift_jpeg_encode(&im, 95, buf, n));
    else CHECK_OK(fsift_png_encode(&im, 1, buf, n));
    fsift_image_free(&im);
    if (s->corrupt) memset((uint8_t *)*buf + *n / 3, 0xAB, *n - *n / 3); /* header kept, data garbage */
}

static void add(fsift_tar_writer *w, const char *key, const char *ext, const void *d, size_t n) {
    char name[256];
    snprintf(name, sizeof name, "%s.%s", key, ext);
    CHECK_OK(fsift_tar_writer_add(w, name, d, n));
}

static void write_shard(const char *path, const spec *v, int n) {
    fsift_tar_writer *w;
    CHECK_OK(fsift_tar_writer_open(path, &w));
    for (int i = 0; i < n; i++) {
        const spec *s = &v[i];
        if (!s->no_image) {
            void *b;
            size_t bn;
            img_bytes(s, &b, &bn);
            add(w, s->key, s->jpeg ? "jpg" : "png", b, bn);
            free(b);
        }
        if (!s->no_caption) {
            const char *cap = s->bad_caption ? "a red bicycle" : "a person standing outside";
            add(w, s->key, "txt", cap, strlen(cap));
        }
        char js[128];
        snprintf(js, sizeof js, "{\"url\":\"http://example.com/%s\",\"width\":%d}", s->key, s->w);
        add(w, s->key, "json", js, strlen(js));
        add(w, s->key, "cls", "7", 1);
    }
    CHECK_OK(fsift_tar_writer_commit(w));
}

/* shard 0 covers every rule; shard 1 and 2 are plain mixes. */
static spec S0[] = {
    {"a000", 600, 560, 1, 40, 0, 0, 0, 0, 0, 0, 0, FSIFT_R_KEPT},
    {"a001", 600, 560, 1, 40, 0, 0, 1, 0, 0, 0, 0, FSIFT_R_NO_CAPTION},
    {"a002", 600, 560, 1, 40, 0, 0, 0, 1, 0, 0, 0, FSIFT_R_CAPTION},
    {"a003", 400, 700, 1, 40, 0, 0, 0, 0, 0, 0, 0, FSIFT_R_RESOLUTION},
    {"a004", 600, 560, 0, 40, 0, 0, 0, 0, 0, 0, 0, FSIFT_R_TOO_FEW_FACES},
    {"a005", 600, 560, 4, 40, 0, 0, 0, 0, 0, 0, 0, FSIFT_R_TOO_MANY_FACES},
    {"a006", 600, 560, 1, 10, 0, 0, 0, 0, 0, 0, 0, FSIFT_R_FACE_TOO_SMALL},
    {"a007", 600, 560, 1, 40, 0, 1, 0, 0, 0, 0, 0, FSIFT_R_DECODE_ERROR},
    {"a008", 600, 560, 1, 40, 0, 0, 0, 0, 1, 0, 0, FSIFT_R_READ_ERROR},
    {"a009", 2000, 1200, 2, 50, 1, 0, 0, 0, 0, 0, 0, FSIFT_R_KEPT},
    {"a000", 600, 560, 1, 40, 0, 0, 0, 0, 0, 1, 0, FSIFT_R_DUPLICATE_KEY},
    {"a010", 513, 513, 3, 30, 1, 0, 0, 0, 0, 0, 0, FSIFT_R_KEPT},
    {"a011", 512, 900, 1, 40, 0, 0, 0, 0, 0, 0, 0, FSIFT_R_RESOLUTION},
    {"a012", 1100, 700, 1, 21, 1, 0, 0, 0, 0, 0, 0, FSIFT_R_FACE_TOO_SMALL},
};

static spec S1[8], S2[9];

static void gen_inputs(void) {
    char p[600];
    snprintf(p, sizeof p, "%s/in", work);
    mkdir(p, 0755);
    static char keys[32][16];
    int k = 0;
    for (int i = 0; i < 8; i++, k++) {
        snprintf(keys[k], sizeof keys[k], "b%03d", i);
        S1[i] = (spec){keys[k], 560 + 40 * i, 600, i % 4, 45, i & 1, 0, 0, 0, 0, 0, 0, 0};
        S1[i].expect = S1[i].faces == 0 ? FSIFT_R_TOO_FEW_FACES : FSIFT_R_KEPT;
    }
    for (int i = 0; i < 9; i++, k++) {
        snprintf(keys[k], sizeof keys[k], "c%03d", i);
        S2[i] = (spec){keys[k], 900, 520 + i, 1 + i % 5, 35, !(i & 1), 0, 0, i == 4, 0, 0, 0, 0};
        S2[i].expect = i == 4 ? FSIFT_R_CAPTION : S2[i].faces > 3 ? FSIFT_R_TOO_MANY_FACES : FSIFT_R_KEPT;
    }
    snprintf(p, sizeof p, "%s/in/s0.tar", work);
    write_shard(p, S0, (int)(sizeof S0 / sizeof S0[0]));
    snprintf(p, sizeof p, "%s/in/s1.tar", work);
    write_shard(p, S1, 8);
    snprintf(p, sizeof p, "%s/in/s2.tar", work);
    write_shard(p, S2, 9);
}

/* ---- helpers --------------------------------------------------------------------------------- */

static void opts(fsift_build_options *o, const char *out, int threads) {
    fsift_build_options_default(o);
    o->out_dir = out;
    o->threads = threads;
    o->queue = threads == 1 ? 2 : 5;
    o->face = &FACE;
    o->text = &TEXT;
}

static int run_build(const char *out, int threads, int si, int sn, int layout) {
    fsift_build_options o;
    opts(&o, out, threads);
    o.shard_index = si;
    o.shard_count = sn;
    o.layout = layout;
    char in[600];
    snprintf(in, sizeof in, "%s/in", work);
    const char *inputs[] = {in};
    fsift_status s = fsift_build_run(&o, inputs, 1, NULL);
    CHECK_MSG(s == 0, "build %s: %s", out, fsift_last_error());
    return s;
}

static void rm_rf(const char *dir) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

/* Bytes of a file with a stats file's machine-dependent "run" member cut off. */
static char *load_cmp(const char *path, size_t *n) {
    void *d;
    if (fsift_file_read(path, (size_t)1 << 28, &d, n)) return NULL;
    char *s = d, *run = strstr(s, ",\"run\":{");
    if (run && strstr(path, "_stats.json")) {
        *run = 0;
        *n = (size_t)(run - s);
    }
    return s;
}

/* Compares every file under a and b (recursively, names and bytes; stats without "run"). */
static int same_tree(const char *a, const char *b, const char *rel) {
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/%s", a, rel);
    snprintf(pb, sizeof pb, "%s/%s", b, rel);
    struct dirent **la, **lb;
    int na = scandir(pa, &la, NULL, alphasort), nb = scandir(pb, &lb, NULL, alphasort);
    int ok = na == nb && na >= 0;
    if (!ok) fprintf(stderr, "same_tree: %s has %d entries, %s has %d\n", pa, na, pb, nb);
    for (int i = 0; ok && i < na; i++) {
        const char *nm = la[i]->d_name;
        if (strcmp(nm, lb[i]->d_name)) {
            fprintf(stderr, "same_tree: %s/%s vs %s/%s\n", pa, nm, pb, lb[i]->d_name);
            ok = 0;
            break;
        }
        if (!strcmp(nm, ".") || !strcmp(nm, "..")) continue;
        char r2[1024], fa[1200], fb[1200];
        snprintf(r2, sizeof r2, "%s%s%s", rel, rel[0] ? "/" : "", nm);
        snprintf(fa, sizeof fa, "%s/%s", a, r2);
        snprintf(fb, sizeof fb, "%s/%s", b, r2);
        struct stat st;
        stat(fa, &st);
        if (S_ISDIR(st.st_mode)) {
            ok = same_tree(a, b, r2);
            continue;
        }
        size_t sa, sb;
        char *da = load_cmp(fa, &sa), *db = load_cmp(fb, &sb);
        if (!da || !db || sa != sb || memcmp(da, db, sa)) {
            fprintf(stderr, "same_tree: %s differs\n", r2);
            ok = 0;
        }
        free(da);
        free(db);
    }
    for (int i = 0; i < na; i++) free(la[i]);
    for (int i = 0; i < nb; i++) free(lb[i]);
    if (na >= 0) free(la);
    if (nb >= 0) free(lb);
    return ok;
}

static void check_reasons(const char *out, int shard, const spec *v, int n) {
    char p[700];
    snprintf(p, sizeof p, "%s/%05d_reasons.jsonl", out, shard);
    void *d;
    size_t sz;
    CHECK_OK(fsift_file_read(p, 1 << 20, &d, &sz));
    if (!d) return;
    char *line = d;
    for (int i = 0; i < n; i++) {
        char want[128];
        snprintf(want, sizeof want, "{\"key\":\"%s\",\"reason\":\"%s\"", v[i].key, fsift_reason_name(v[i].expect));
        CHECK_MSG(line && !strncmp(line, want, strlen(want)), "shard %d sample %d: want %s, got %.80s", shard, i, want,
                  line ? line : "(end)");
        line = line ? strchr(line, '\n') : NULL;
        if (line) line++;
    }
    CHECK_MSG(line && !*line, "shard %d: more lines than samples", shard);
    free(d);
}

/* ---- tests ------------------------------------------------------------------------------------ */

static void test_tar_roundtrip(void) {
    char p[600];
    snprintf(p, sizeof p, "%s/rt.tar", work);
    fsift_tar_writer *w;
    CHECK_OK(fsift_tar_writer_open(p, &w));
    char longname[200];
    memset(longname, 'd', sizeof longname);
    memcpy(longname + 120, "/x.txt", 7);
    CHECK_OK(fsift_tar_writer_add(w, "k1.txt", "hello", 5));
    CHECK_OK(fsift_tar_writer_add(w, "k1.bin", "", 0));
    CHECK_OK(fsift_tar_writer_add(w, longname, "z", 1));
    CHECK_OK(fsift_tar_writer_commit(w));
    fsift_tar_reader *r;
    CHECK_OK(fsift_tar_reader_open(p, 1 << 20, &r));
    fsift_tar_member m;
    CHECK(fsift_tar_reader_next(r, &m) == 1 && !strcmp(m.name, "k1.txt") && m.size == 5 && !memcmp(m.data, "hello", 5));
    CHECK(fsift_tar_reader_next(r, &m) == 1 && !strcmp(m.name, "k1.bin") && m.size == 0);
    CHECK(fsift_tar_reader_next(r, &m) == 1 && !strcmp(m.name, longname) && m.size == 1);
    CHECK(fsift_tar_reader_next(r, &m) == 0);
    fsift_tar_reader_close(r);
    struct stat st;
    CHECK(stat(p, &st) == 0 && st.st_size % 10240 == 0);
}

static void test_rules_and_threads(void) {
    char o1[600], o3[600];
    snprintf(o1, sizeof o1, "%s/out1", work);
    snprintf(o3, sizeof o3, "%s/out3", work);
    if (run_build(o1, 1, 0, 1, FSIFT_LAYOUT_WDS) || run_build(o3, 3, 0, 1, FSIFT_LAYOUT_WDS)) return;
    check_reasons(o1, 0, S0, (int)(sizeof S0 / sizeof S0[0]));
    check_reasons(o1, 1, S1, 8);
    check_reasons(o1, 2, S2, 9);
    CHECK_MSG(same_tree(o1, o3, ""), "1 and 3 threads differ");
    /* the output tar: kept samples in input order, members in the documented order */
    char p[700];
    snprintf(p, sizeof p, "%s/00000.tar", o1);
    fsift_tar_reader *r;
    CHECK_OK(fsift_tar_reader_open(p, 1 << 26, &r));
    static const char *want[] = {"a000.png", "a000.face.png", "a000.npy", "a000.json", "a000.txt", "a000.cls",
                                 "a009.jpg", "a009.face.png", "a009.npy", "a009.json", "a009.txt", "a009.cls",
                                 "a010.jpg"};
    fsift_tar_member m;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK_MSG(fsift_tar_reader_next(r, &m) == 1 && !strcmp(m.name, want[i]), "member %zu: want %s got %s", i,
                  want[i], m.name ? m.name : "(none)");
    fsift_tar_reader_close(r);
    /* a009 (2000 px) is detected at 1/4 scale (the smallest DCT scale whose longer side is
       still ≥ det_size 256): its box must come back in full-size pixels */
    snprintf(p, sizeof p, "%s/00000.tar", o1);
    CHECK_OK(fsift_tar_reader_open(p, 1 << 26, &r));
    int found = 0;
    while (fsift_tar_reader_next(r, &m) == 1)
        if (!strcmp(m.name, "a009.json")) {
            found = 1;
            CHECK_MSG(strstr((char *)m.data, "\"width\":2000,\"height\":1200"), "%s", (char *)m.data);
            /* 2 faces of side 0.5 × 1200 px: found at 1/4 scale, stored in full-size pixels */
            const char *bb = strstr((char *)m.data, "\"bbox\":[");
            float b[4] = {0};
            CHECK(bb && sscanf(bb, "\"bbox\":[%f,%f,%f,%f]", &b[0], &b[1], &b[2], &b[3]) == 4);
            CHECK_MSG(fabsf(b[2] - 600) < 8 && fabsf(b[3] - 600) < 8 && b[0] == 0, "bbox %g %g %g %g", b[0], b[1], b[2], b[3]);
            CHECK_MSG(strstr((char *)m.data, "\"lexicon_match\":{\"category\":\"people\",\"term\":\"person\""), "%s",
                      (char *)m.data);
        }
    CHECK(found);
    fsift_tar_reader_close(r);
}

/* Builds s0 into work/NAME with the given face step and mode; a009's stored box must be the
 * full-size 600 px face within tol. */
static void build_a009(const char *name, const fsift_pipe_face_ops *face, int full_redetect, float tol,
                       float want_score) {
    char out[600], p[700];
    snprintf(out, sizeof out, "%s/%s", work, name);
    fsift_build_options o;
    opts(&o, out, 2);
    o.face = face;
    o.full_redetect = full_redetect;
    char in[600];
    snprintf(in, sizeof in, "%s/in/s0.tar", work);
    const char *inputs[] = {in};
    CHECK_OK(fsift_build_run(&o, inputs, 1, NULL));
    check_reasons(out, 0, S0, (int)(sizeof S0 / sizeof S0[0]));
    snprintf(p, sizeof p, "%s/00000.tar", out);
    fsift_tar_reader *r;
    CHECK_OK(fsift_tar_reader_open(p, 1 << 26, &r));
    fsift_tar_member m;
    int found = 0;
    while (fsift_tar_reader_next(r, &m) == 1)
        if (!strcmp(m.name, "a009.json")) {
            const char *bb = strstr((char *)m.data, "\"bbox\":[");
            float b[4] = {0};
            found = bb && sscanf(bb, "\"bbox\":[%f,%f,%f,%f]", &b[0], &b[1], &b[2], &b[3]) == 4;
            CHECK_MSG(fabsf(b[2] - 600) <= tol && fabsf(b[3] - 600) <= tol, "%s: bbox %g %g %g %g", name, b[0], b[1],
                      b[2], b[3]);
            const char *sc = strstr((char *)m.data, "\"det_score\":");
            float score = -1;
            CHECK(sc && sscanf(sc, "\"det_score\":%f", &score) == 1);
            CHECK_MSG(fabsf(score - want_score) < 1e-4f, "%s: det_score %g, want %g", name, score, want_score);
        }
    CHECK(found);
    fsift_tar_reader_close(r);
}

/* no refine step: the 1/4-scale detection (side 0.5 x 300 px, x4) is only mapped; with
 * full_redetect or the (fake, exact) refine, the full-size detection decides (7.06 px: the
 * fake detector on 2400 px) */
static void test_rescale(void) {
    build_a009("rescale", &FACE_NOREFINE, 0, 10, 0.9f);
    build_a009("redetect", &FACE_NOREFINE, 1, 8, 0.9f);
    build_a009("refine", &FACE, 0, 8, 0.9f);
    /* the coarse pre-filter result is replaced by refine, and not used at all when the
       pre-filter image is the full image (--prefilter-side 0) */
    build_a009("coarse", &FACE_COARSE, 0, 8, 0.9f);
    build_a009("coarse_full", &FACE_COARSE_FULL, 0, 8, 0.9f);
}

static void test_resume(void) {
    char o1[600], o2[600], p[700];
    snprintf(o1, sizeof o1, "%s/out1", work);
    snprintf(o2, sizeof o2, "%s/resume", work);
    if (run_build(o2, 2, 0, 1, FSIFT_LAYOUT_WDS)) return;
    /* simulate a crash in shard 1: stats and reasons gone, a half-written tar left behind by
       a dead process, and a stale temporary file */
    snprintf(p, sizeof p, "%s/00001_stats.json", o2);
    unlink(p);
    snprintf(p, sizeof p, "%s/00001_reasons.jsonl", o2);
    unlink(p);
    snprintf(p, sizeof p, "%s/00001.tar", o2);
    CHECK(truncate(p, 1024) == 0);
    snprintf(p, sizeof p, "%s/00002.tar.tmp.999999999", o2);
    FILE *f = fopen(p, "wb");
    if (f) fclose(f);
    fsift_build_options o;
    opts(&o, o2, 1);
    char in[600];
    snprintf(in, sizeof in, "%s/in", work);
    const char *inputs[] = {in};
    fsift_build_totals t;
    CHECK_OK(fsift_build_run(&o, inputs, 1, &t));
    CHECK(t.shards_skipped == 2 && t.shards_done == 1);
    CHECK(t.samples == 14 + 8 + 9);
    CHECK_MSG(same_tree(o1, o2, ""), "resumed output differs");
    /* other flags on the same output are refused */
    o.min_side = 1024;
    CHECK(fsift_build_run(&o, inputs, 1, NULL) == FSIFT_E_INVALID_ARG);
}

/* Shard stats files NNNNN_stats.json in dir. */
static int count_stats(const char *dir) {
    int n = 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strlen(e->d_name) == 16 && !strcmp(e->d_name + 5, "_stats.json")) n++;
    closedir(d);
    return n;
}

static void test_shard_merge(void) {
    char o1[600], a[600], b[600], m[600];
    snprintf(o1, sizeof o1, "%s/out1", work);
    snprintf(a, sizeof a, "%s/sh0", work);
    snprintf(b, sizeof b, "%s/sh1", work);
    snprintf(m, sizeof m, "%s/merged", work);
    if (run_build(a, 1, 0, 2, FSIFT_LAYOUT_WDS) || run_build(b, 2, 1, 2, FSIFT_LAYOUT_WDS)) return;
    char p[700];
    snprintf(p, sizeof p, "%s/00001_stats.json", a);
    CHECK(access(p, F_OK) != 0); /* shard 1 belongs to run 1/2 */
    const char *dirs[] = {b, a};
    CHECK_OK(fsift_merge(dirs, 2, m));
    CHECK_MSG(same_tree(o1, m, ""), "shard + merge differs from one run");
    /* merging fewer shards into the same folder leaves none of the earlier, larger merge */
    int n_full = count_stats(m), n_a = count_stats(a);
    const char *only_a[] = {a};
    CHECK_OK(fsift_merge(only_a, 1, m));
    CHECK_MSG(n_full > n_a && count_stats(m) == n_a, "merge of %d shards over a merge of %d leaves %d", n_a, n_full,
              count_stats(m));
    snprintf(p, sizeof p, "%s/%05d.tar", m, n_a);
    CHECK(access(p, F_OK) != 0);
    const char *twice[] = {a, a};
    char m2[600];
    snprintf(m2, sizeof m2, "%s/merged2", work);
    CHECK(fsift_merge(twice, 2, m2) != 0);
}

static void test_release_layout(void) {
    char o1[600], d[600], e[600];
    snprintf(o1, sizeof o1, "%s/out1", work);
    snprintf(d, sizeof d, "%s/rel", work);
    snprintf(e, sizeof e, "%s/exp", work);
    fsift_build_options o;
    opts(&o, d, 2);
    o.layout = FSIFT_LAYOUT_FACEID6M;
    o.image_format = FSIFT_IMAGE_OUT_PNG;
    o.instantid_jsonl = 1;
    char in[600];
    snprintf(in, sizeof in, "%s/in", work);
    const char *inputs[] = {in};
    CHECK_OK(fsift_build_run(&o, inputs, 1, NULL));
    CHECK_OK(fsift_export(o1, FSIFT_LAYOUT_FACEID6M, FSIFT_IMAGE_OUT_PNG, e));
    /* OUT/release holds the same files as the export */
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "diff -r '%s/release' '%s' >/dev/null", d, e);
    CHECK_MSG(system(cmd) == 0, "build --layout faceid6m and export differ");
    /* resume of the release layout: shard 1 redone (its N.png files already there, its stats
       gone), shard 2's files half-written by a dead process */
    char snap[700];
    snprintf(snap, sizeof snap, "%s/rel_snapshot", work);
    char cmd2[6000];
    snprintf(cmd2, sizeof cmd2, "cp -a '%s' '%s' && rm '%s/00001_stats.json' '%s/00002_stats.json' '%s/release/faceid6m.jsonl' && "
             "rm '%s/release/14.png' && echo junk > '%s/release/13.npy.tmp.999999999.0'", d, snap, d, d, d, d, d);
    CHECK(system(cmd2) == 0);
    CHECK_OK(fsift_build_run(&o, inputs, 1, NULL));
    CHECK_MSG(same_tree(snap, d, ""), "resumed release layout differs");
    /* 3 + 6 + 6 kept samples → N.png 0..14 */
    char p[700];
    snprintf(p, sizeof p, "%s/14.png", e);
    CHECK(access(p, F_OK) == 0);
    snprintf(p, sizeof p, "%s/15.png", e);
    CHECK(access(p, F_OK) != 0);
    snprintf(p, sizeof p, "%s/face/14.png", e);
    CHECK(access(p, F_OK) == 0);
}

static void test_truncated(void) {
    char p[800], out[600];
    snprintf(p, sizeof p, "%s/trunc", work);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/trunc/t.tar", work);
    write_shard(p, S1, 8);
    struct stat st;
    CHECK(stat(p, &st) == 0);
    /* cut inside the image of the 5th sample: samples 0-3 whole, sample 4 truncated */
    fsift_tar_reader *r;
    CHECK_OK(fsift_tar_reader_open(p, 1 << 26, &r));
    fsift_tar_member m;
    long off = 0;
    int members = 0;
    while (fsift_tar_reader_next(r, &m) == 1) {
        if (members == 16) break; /* 4 members per sample: this is sample 4's image */
        off += 512 + (long)((m.size + 511) / 512 * 512);
        members++;
    }
    fsift_tar_reader_close(r);
    CHECK(truncate(p, off + 512 + 100) == 0);
    snprintf(out, sizeof out, "%s/trunc_out", work);
    fsift_build_options o;
    opts(&o, out, 2);
    snprintf(p, sizeof p, "%s/trunc/t.tar", work);
    const char *inputs[] = {p};
    fsift_build_totals t;
    CHECK_OK(fsift_build_run(&o, inputs, 1, &t));
    CHECK_MSG(t.samples == 5, "samples %lld", (long long)t.samples);
    CHECK(t.reasons[FSIFT_R_READ_ERROR] == 1);
    spec v[5];
    memcpy(v, S1, sizeof v);
    v[4].expect = FSIFT_R_READ_ERROR;
    check_reasons(out, 0, v, 5);
    snprintf(p, sizeof p, "%s/00000_stats.json", out);
    size_t n;
    char *d = load_cmp(p, &n);
    CHECK(d && strstr(d, "\"input_error\":\"tar "));
    free(d);
}

/* Folder, JSONL and CSV inputs (cut into input shards of 2) give the reasons of their specs. */
static void test_folder_and_lists(void) {
    char dir[700], p[900];
    snprintf(dir, sizeof dir, "%s/folder_in", work);
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/sub", dir);
    mkdir(p, 0755);
    /* S0's first 8 samples minus the duplicate: names sort as the spec order */
    static const int pick[] = {0, 1, 2, 3, 4, 5, 6, 7};
    FILE *jl, *csv;
    snprintf(p, sizeof p, "%s/list.jsonl", work);
    jl = fopen(p, "w");
    snprintf(p, sizeof p, "%s/list.csv", work);
    csv = fopen(p, "w");
    if (!jl || !csv) return;
    fprintf(csv, "image,caption,key\n");
    spec want[8], want_list[8];
    for (int i = 0; i < 8; i++) {
        const spec *s = &S0[pick[i]];
        void *b;
        size_t n;
        img_bytes(s, &b, &n);
        char rel[64];
        snprintf(rel, sizeof rel, "%s%s.%s", i >= 6 ? "sub/" : "", s->key, s->jpeg ? "jpg" : "png");
        snprintf(p, sizeof p, "%s/%s", dir, rel);
        CHECK_OK(fsift_file_write_atomic(p, b, n));
        free(b);
        const char *cap = s->no_caption ? NULL : s->bad_caption ? "a red bicycle" : "a person, \"quoted\"";
        if (cap && i % 2 == 0) { /* .txt sidecar */
            snprintf(p, sizeof p, "%s/%.*s.txt", dir, (int)(strrchr(rel, '.') - rel), rel);
            CHECK_OK(fsift_file_write_atomic(p, cap, strlen(cap)));
        } else if (cap) { /* caption inside the .json sidecar */
            char js[200];
            snprintf(js, sizeof js, "{\"caption\": \"%s\"}", s->bad_caption ? "a red bicycle" : "a person");
            snprintf(p, sizeof p, "%s/%.*s.json", dir, (int)(strrchr(rel, '.') - rel), rel);
            CHECK_OK(fsift_file_write_atomic(p, js, strlen(js)));
        }
        want[i] = *s;
        want_list[i] = *s;
        if (i >= 6) { /* folder keys: relative path with '/' -> '_' */
            static char k[2][32];
            snprintf(k[i - 6], sizeof k[0], "sub_%s", s->key);
            want[i].key = k[i - 6];
        }
        fprintf(jl, "{\"path\": \"folder_in/%s\"%s%s%s, \"key\": \"%s\"}\n\n", rel, cap ? ", \"caption\": \"" : "",
                cap ? (s->bad_caption ? "a red bicycle" : "a person") : "", cap ? "\"" : "", s->key);
        /* CSV: an empty caption field is an empty caption (fails the rule, not no_caption) */
        fprintf(csv, "folder_in/%s,\"%s\",%s\n", rel, cap ? (s->bad_caption ? "a red bicycle" : "a \"\"person\"\", quoted") : "",
                s->key);
        if (!cap) want_list[i].expect = FSIFT_R_CAPTION;
    }
    fclose(jl);
    fclose(csv);
    /* folder order is byte order of the relative path: a000..a005 then sub/a006, sub/a007 */
    const char *names[3] = {"folder", "list.jsonl", "list.csv"};
    for (int k = 0; k < 3; k++) {
        char in[800], out[800];
        if (k == 0) snprintf(in, sizeof in, "%s", dir);
        else snprintf(in, sizeof in, "%s/%s", work, names[k]);
        snprintf(out, sizeof out, "%s/out_%s", work, names[k]);
        fsift_build_options o;
        opts(&o, out, 2);
        o.input_shard_size = 3;
        const char *inputs[] = {in};
        fsift_build_totals t;
        CHECK_OK(fsift_build_run(&o, inputs, 1, &t));
        CHECK_MSG(t.samples == 8 && t.shards_done == 3, "%s: %lld samples, %lld shards", names[k], (long long)t.samples,
                  (long long)t.shards_done);
        const spec *w = k == 0 ? want : k == 1 ? want : want_list;
        if (k == 1) { /* list keys come from the "key" field: the spec's */
            static spec wl[8];
            memcpy(wl, S0, sizeof wl);
            w = wl;
        }
        check_reasons(out, 0, w, 3);
        check_reasons(out, 1, w + 3, 3);
        check_reasons(out, 2, w + 6, 2);
    }
}

/* A zstd-compressed shard reads like the plain one (libarchive's filter). */
static void test_zstd(void) {
    char p[800], z[800], a[800], b[800];
    snprintf(p, sizeof p, "%s/in/s1.tar", work);
    snprintf(z, sizeof z, "%s/zst", work);
    mkdir(z, 0755);
    snprintf(z, sizeof z, "%s/zst/s1.tar.zst", work);
    void *d;
    size_t n;
    CHECK_OK(fsift_file_read(p, 1 << 26, &d, &n));
    size_t cap = ZSTD_compressBound(n);
    void *c = malloc(cap);
    size_t cn = ZSTD_compress(c, cap, d, n, 3);
    CHECK(!ZSTD_isError(cn));
    CHECK_OK(fsift_file_write_atomic(z, c, cn));
    free(c);
    free(d);
    snprintf(a, sizeof a, "%s/zst_out", work);
    snprintf(b, sizeof b, "%s/plain_out", work);
    fsift_build_options o;
    opts(&o, a, 2);
    const char *in1[] = {z};
    CHECK_OK(fsift_build_run(&o, in1, 1, NULL));
    o.out_dir = b;
    const char *in2[] = {p};
    CHECK_OK(fsift_build_run(&o, in2, 1, NULL));
    check_reasons(a, 0, S1, 8);
    /* the same output but for the recorded input name */
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "cmp -s '%s/00000_reasons.jsonl' '%s/00000_reasons.jsonl'", a, b);
    CHECK(system(cmd) == 0);
}

/* ---- reject thumbnails: which rejects carry one, how many, same bytes at 1 and 3 threads ---- */

/* base64 → bytes (the test's own decoder); returns the length, or -1 on a bad character. */
static long b64_decode(const char *s, size_t n, uint8_t *out) {
    long o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *q = memchr(tab, s[i], 64);
        if (!q || !s[i]) return -1;
        acc = acc << 6 | (uint32_t)(q - tab);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits & 0xff);
        }
    }
    return o;
}

/* The "thumb" of a reasons line (up to its end) decoded into *img; 0 when it has none. */
static int line_thumb(const char *line, const char *end, fsift_image *img) {
    const char *t = strstr(line, ",\"thumb\":\"");
    if (!t || t > end) return 0;
    t += 10;
    const char *q = memchr(t, '"', (size_t)(end - t));
    if (!q) return -1;
    uint8_t *jpg = malloc((size_t)(q - t));
    long n = jpg ? b64_decode(t, (size_t)(q - t), jpg) : -1;
    fsift_status s = n > 0 ? fsift_image_decode(jpg, (size_t)n, NULL, img, NULL) : FSIFT_E_FORMAT;
    free(jpg);
    return s ? -1 : 1;
}

static void test_reject_thumbs(void) {
    enum { N = 27 };
    static spec v[N];
    static char keys[N][16];
    char dir[700], in[800], o1[700], o3[700], p[2000];
    snprintf(dir, sizeof dir, "%s/thumbs_in", work);
    mkdir(dir, 0755);
    /* 9 too_few_faces and 8 too_many_faces (more than the 6 kept), interleaved with face_too_small,
       the rejects decided before the decode (no thumbnail) and kept samples */
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "t%03d", i);
        int kind = i % 9;
        v[i] = (spec){keys[i], 600 + 4 * i, 560, 0, 40, i & 1, 0, 0, 0, 0, 0, 0, FSIFT_R_TOO_FEW_FACES};
        if (kind == 1 || kind == 4 || kind == 7) v[i].faces = 4 + i % 2, v[i].expect = FSIFT_R_TOO_MANY_FACES;
        if (kind == 2) v[i].faces = 1, v[i].face_pct = 12, v[i].expect = FSIFT_R_FACE_TOO_SMALL;
        if (kind == 5) v[i].bad_caption = 1, v[i].expect = FSIFT_R_CAPTION;
        if (kind == 8) v[i].faces = 1, v[i].expect = FSIFT_R_KEPT;
        if (i == 3) v[i].w = 480, v[i].expect = FSIFT_R_RESOLUTION;
        if (i == 12) v[i].corrupt = 1, v[i].jpeg = 0, v[i].expect = FSIFT_R_DECODE_ERROR;
        if (i == 21) v[i].w = 2000, v[i].h = 1200, v[i].jpeg = 1; /* decoded at 1/4 scale */
    }
    snprintf(in, sizeof in, "%s/t.tar", dir);
    write_shard(in, v, N);
    snprintf(o1, sizeof o1, "%s/thumbs1", work);
    snprintf(o3, sizeof o3, "%s/thumbs3", work);
    const char *inputs[] = {in};
    fsift_build_options o;
    opts(&o, o1, 1);
    CHECK_OK(fsift_build_run(&o, inputs, 1, NULL));
    opts(&o, o3, 3);
    CHECK_OK(fsift_build_run(&o, inputs, 1, NULL));
    check_reasons(o1, 0, v, N);
    snprintf(p, sizeof p, "cmp -s '%s/00000_reasons.jsonl' '%s/00000_reasons.jsonl'", o1, o3);
    CHECK_MSG(system(p) == 0, "reasons with thumbnails differ at 1 and 3 threads");
    snprintf(p, sizeof p, "%s/00000_reasons.jsonl", o1);
    void *d;
    size_t sz;
    CHECK_OK(fsift_file_read(p, 1 << 24, &d, &sz));
    if (!d) return;
    int seen[FSIFT_R_COUNT] = {0}, thumbs = 0;
    const char *line = d;
    for (int i = 0; i < N && line && *line; i++) {
        const char *end = strchr(line, '\n');
        if (!end) break;
        int r = v[i].expect;
        int want = (r == FSIFT_R_TOO_FEW_FACES || r == FSIFT_R_TOO_MANY_FACES || r == FSIFT_R_FACE_TOO_SMALL) && seen[r] < 6;
        seen[r]++;
        fsift_image t = {0};
        int got = line_thumb(line, end, &t);
        CHECK_MSG(got == want, "%s (%s): thumbnail %d, want %d", v[i].key, fsift_reason_name(r), got, want);
        if (got == 1) {
            thumbs++;
            /* longest side 128, the source's aspect ratio, the source's colour away from the boxes */
            int big = t.width > t.height ? t.width : t.height;
            double ar = (double)v[i].w / v[i].h;
            CHECK_MSG(big == 128 && fabs((double)t.width / t.height - ar) < 0.05, "%s: thumbnail %dx%d of %dx%d", v[i].key,
                      t.width, t.height, v[i].w, v[i].h);
            const uint8_t *px = t.data + (size_t)(t.height - 3) * t.stride + (size_t)(t.width - 3) * 3;
            int want_rgb[3] = {40 * v[i].faces, v[i].face_pct * 255 / 100, 77};
            for (int c = 0; c < 3; c++)
                CHECK_MSG(abs(px[c] - want_rgb[c]) <= 12, "%s: corner channel %d = %d, want %d", v[i].key, c, px[c], want_rgb[c]);
            if (r != FSIFT_R_TOO_FEW_FACES) { /* the largest face's box, green, from the top-left corner: its top edge */
                const uint8_t *edge = t.data + 2 * 3;
                CHECK_MSG(edge[1] > want_rgb[1] + 50, "%s: no box drawn (green %d)", v[i].key, edge[1]);
            }
        }
        fsift_image_free(&t);
        line = end + 1;
    }
    CHECK_MSG(thumbs == 6 + 6 + 3, "%d thumbnails", thumbs);
    free(d);
    /* the report shows them as data URIs, next to the key and detail */
    char html[800];
    snprintf(html, sizeof html, "%s/report.html", work);
    CHECK_OK(fsift_report(o1, html));
    char *h = NULL;
    if (!fsift_file_read(html, 1 << 26, &d, &sz)) h = d;
    int n_rj = 0;
    for (const char *q = h; q && (q = strstr(q, "class=\"rj\" src=\"data:image/jpeg;base64,")); q++) n_rj++;
    CHECK_MSG(n_rj == 15, "report: %d reject thumbnails", n_rj);
    CHECK(h && strstr(h, "<code>t001</code> (shard 00000)<br>5 faces"));
    CHECK(h && strstr(h, "<li><code>t005</code> (shard 00000): caption matches no lexicon term</li>"));
    free(h);
    /* merge keeps them */
    char m[800];
    snprintf(m, sizeof m, "%s/thumbs_merged", work);
    const char *dirs[] = {o3};
    CHECK_OK(fsift_merge(dirs, 1, m));
    snprintf(p, sizeof p, "cmp -s '%s/00000_reasons.jsonl' '%s/00000_reasons.jsonl'", o1, m);
    CHECK_MSG(system(p) == 0, "merge changed the reasons file");
}

/* ---- crash safety: SIGKILL at 20 random moments on a 240-sample input --------------------- */

static void gen_big(const char *dir, spec *v, int per_shard, int shards) {
    static char keys[400][16];
    char p[800];
    mkdir(dir, 0755);
    for (int s = 0; s < shards; s++) {
        for (int i = 0; i < per_shard; i++) {
            int k = s * per_shard + i;
            snprintf(keys[k], sizeof keys[k], "%04d", k);
            /* 1 in 4 with a kept face, the rest spread over the cheap rejects */
            int kind = (k * 7) % 8;
            v[k] = (spec){keys[k], 520 + (k % 5) * 8, 530, kind < 2 ? 1 : kind == 2 ? 5 : 0, 40, k & 1, 0, 0, kind == 3, 0, 0, 0, 0};
            if (kind == 4) v[k].w = 500;
        }
        snprintf(p, sizeof p, "%s/big%02d.tar", dir, s);
        write_shard(p, v + s * per_shard, per_shard);
    }
}

static fsift_status build_dir(const char *in, const char *out, int threads) {
    fsift_build_options o;
    opts(&o, out, threads);
    const char *inputs[] = {in};
    return fsift_build_run(&o, inputs, 1, NULL);
}

static int count_done(const char *out, int shards) {
    int done = 0;
    for (int sh = 0; sh < shards; sh++) {
        char sp[800];
        snprintf(sp, sizeof sp, "%s/%05d_stats.json", out, sh);
        done += access(sp, F_OK) == 0;
    }
    return done;
}

static void test_crash_resume(void) {
    enum { PER = 40, SHARDS = 6, KILLS = 20 };
    static spec v[PER * SHARDS];
    char in[600], ref[600], out[600];
    snprintf(in, sizeof in, "%s/big", work);
    snprintf(ref, sizeof ref, "%s/big_ref", work);
    snprintf(out, sizeof out, "%s/big_killed", work);
    gen_big(in, v, PER, SHARDS);
    double t0 = fsift_now_ms();
    CHECK_OK(build_dir(in, ref, 2));
    double full = fsift_now_ms() - t0;
    unsigned seed = (unsigned)time(NULL);
    fprintf(stderr, "[test_crash_resume] full run %.0f ms; kill moments drawn with seed %u\n", full, seed);
    srand(seed);
    /* each kill lands at a random moment within the work left (done shards are skipped on
       restart); a kill that comes after the run ended does not count; when everything is
       done the output is deleted and the killing goes on from scratch */
    int effective = 0, attempts = 0, restarts = 0;
    while (effective < KILLS && attempts < 10 * KILLS) {
        attempts++;
        int done = count_done(out, SHARDS);
        if (done == SHARDS) {
            rm_rf(out);
            done = 0;
            restarts++;
        }
        double at = full * (double)(SHARDS - done) / SHARDS * (double)rand() / RAND_MAX;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            fsift_log_set_level(FSIFT_LOG_ERROR);
            _exit(build_dir(in, out, 2) ? 1 : 0);
        }
        CHECK(pid > 0);
        if (pid <= 0) return;
        struct timespec ts = {(time_t)(at / 1000), (long)(fmod(at, 1000.0) * 1e6)};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        if (WIFSIGNALED(status)) effective++;
    }
    fprintf(stderr, "[test_crash_resume] %d runs killed mid-way (%d attempts, %d fresh starts), %d of %d shards done before the final run\n",
            effective, attempts, restarts, count_done(out, SHARDS), SHARDS);
    CHECK(effective >= KILLS);
    CHECK_OK(build_dir(in, out, 1));
    CHECK_MSG(same_tree(ref, out, ""), "killed + resumed output differs from the uninterrupted run");
    /* every sample accounted for once */
    char p[800];
    int lines = 0;
    for (int s = 0; s < SHARDS; s++) {
        snprintf(p, sizeof p, "%s/%05d_reasons.jsonl", out, s);
        FILE *f = fopen(p, "r");
        int c;
        while (f && (c = getc(f)) != EOF) lines += c == '\n';
        if (f) fclose(f);
    }
    CHECK(lines == PER * SHARDS);
}

int main(void) {
    snprintf(work, sizeof work, "%s/test_pipeline", getenv("FSIFT_BUILD_DIR") ? getenv("FSIFT_BUILD_DIR") : "/tmp");
    rm_rf(work);
    mkdir(work, 0755);
    gen_inputs();
    RUN(test_tar_roundtrip);
    RUN(test_rules_and_threads);
    RUN(test_rescale);
    RUN(test_resume);
    RUN(test_shard_merge);
    RUN(test_release_layout);
    RUN(test_truncated);
    RUN(test_zstd);
    RUN(test_folder_and_lists);
    RUN(test_reject_thumbs);
    RUN(test_crash_resume);
    return test_summary();
}
