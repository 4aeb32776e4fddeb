/*
 * test_image_oracle.c — the C side of tests/script_image_oracle.sh: runs the resize,
 * similarity, warp, norm_crop and draw_kps cases that tests/image_oracle.py wrote and writes
 * the results back as .npy files for the script to compare with Pillow, skimage and OpenCV.
 *
 * Usage: test_image_oracle MANIFEST. Each manifest line is one job (paths relative to the
 * manifest's folder):
 *   resize IN.npy W H FILTER OUT.npy       IN: uint8 (H,W) or (H,W,3); FILTER 0..3
 *   sim IN.npy OUT.npy                     IN: float64 (K,N,4) = src x,y, dst x,y; OUT (K,2,3),
 *                                          NaN where estimation fails
 *   warp IN.npy M.npy W H OUT.npy          M: float64 (2,3)
 *   normcrop IN.npy KPS.npy SIZE OUT.npy OUTM.npy   KPS float32 (K,5,2); OUT (K,S,S,C)
 *   kps W H KPS.npy OUT.npy                KPS float32 (K,5,2); OUT uint8 (K,H,W,3)
 * Without a manifest (as CTest runs every test_*.c) it checks nothing and says so.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/facesift.h"


static char base_dir[4096];

static void join(char *dst, size_t n, const char *name) { snprintf(dst, n, "%s/%s", base_dir, name); }

static int load(const char *name, fsift_tensor *t) {
    char p[8192];
    join(p, sizeof p, name);
    if (fsift_npy_load(p, t)) {
        fprintf(stderr, "load %s: %s\n", p, fsift_last_error());
        return -1;
    }
    return 0;
}

static int save(const char *name, int dtype, int rank, const int64_t *dims, void *data) {
    char p[8192];
    join(p, sizeof p, name);
    fsift_tensor t = {0};
    t.dtype = dtype;
    t.rank = rank;
    for (int i = 0; i < rank; i++) t.dims[i] = dims[i];
    t.data = data;
    if (fsift_npy_save(p, &t)) {
        fprintf(stderr, "save %s: %s\n", p, fsift_last_error());
        return -1;
    }
    return 0;
}

static int tensor_image(fsift_tensor *t, fsift_image *img) {
    if (t->dtype != FSIFT_DTYPE_UINT8 || (t->rank != 2 && t->rank != 3)) return -1;
    img->height = (int)t->dims[0];
    img->width = (int)t->dims[1];
    img->channels = t->rank == 3 ? (int)t->dims[2] : 1;
    img->stride = (size_t)img->width * img->channels;
    img->data = t->data;
    return 0;
}

static int save_image(const char *name, const fsift_image *img) {
    int64_t dims[3] = {img->height, img->width, img->channels};
    return save(name, FSIFT_DTYPE_UINT8, img->channels == 1 ? 2 : 3, dims, img->data);
}

static int job(char *line) {
    char *tok[8];
    int n = 0;
    for (char *s = strtok(line, " \t\r\n"); s && n < 8; s = strtok(NULL, " \t\r\n")) tok[n++] = s;
    if (n == 0) return 0;
    fsift_tensor a = {0}, b = {0};
    int rc = -1;
    if (!strcmp(tok[0], "resize") && n == 6) {
        fsift_image src, out;
        if (load(tok[1], &a) || tensor_image(&a, &src)) goto done;
        if (fsift_image_resize(&src, atoi(tok[2]), atoi(tok[3]), (fsift_resize_filter)atoi(tok[4]), &out)) {
            fprintf(stderr, "resize: %s\n", fsift_last_error());
            goto done;
        }
        rc = save_image(tok[5], &out);
        fsift_image_free(&out);
    } else if (!strcmp(tok[0], "sim") && n == 3) {
        if (load(tok[1], &a) || a.dtype != FSIFT_DTYPE_FLOAT64 || a.rank != 3 || a.dims[2] != 4) goto done;
        int64_t K = a.dims[0], N = a.dims[1];
        double *in = a.data, *res = malloc((size_t)K * 6 * sizeof(double));
        double(*s)[2] = malloc((size_t)N * sizeof *s), (*d)[2] = malloc((size_t)N * sizeof *d);
        for (int64_t k = 0; k < K; k++) {
            for (int64_t i = 0; i < N; i++) {
                const double *p = in + (k * N + i) * 4;
                s[i][0] = p[0];
                s[i][1] = p[1];
                d[i][0] = p[2];
                d[i][1] = p[3];
            }
            double M[2][3];
            if (fsift_similarity_estimate((const double(*)[2])s, (const double(*)[2])d, (int)N, M))
                for (int j = 0; j < 6; j++) res[k * 6 + j] = NAN;
            else
                memcpy(res + k * 6, M, sizeof M);
        }
        int64_t dims[3] = {K, 2, 3};
        rc = save(tok[2], FSIFT_DTYPE_FLOAT64, 3, dims, res);
        free(res);
        free(s);
        free(d);
    } else if (!strcmp(tok[0], "warp") && n == 6) {
        fsift_image src, out;
        if (load(tok[1], &a) || tensor_image(&a, &src) || load(tok[2], &b) || b.dtype != FSIFT_DTYPE_FLOAT64)
            goto done;
        if (fsift_warp_affine(&src, (const double(*)[3])b.data, atoi(tok[3]), atoi(tok[4]), &out)) {
            fprintf(stderr, "warp: %s\n", fsift_last_error());
            goto done;
        }
        rc = save_image(tok[5], &out);
        fsift_image_free(&out);
    } else if (!strcmp(tok[0], "normcrop") && n == 6) {
        fsift_image src;
        if (load(tok[1], &a) || tensor_image(&a, &src) || load(tok[2], &b) || b.dtype != FSIFT_DTYPE_FLOAT32)
            goto done;
        int size = atoi(tok[3]);
        int64_t K = b.dims[0];
        size_t one = (size_t)size * size * src.channels;
        uint8_t *res = calloc((size_t)K, one);
        double *Ms = calloc((size_t)K * 6, sizeof(double));
        for (int64_t k = 0; k < K; k++) {
            fsift_image out;
            double M[2][3];
            if (fsift_norm_crop(&src, (const float(*)[2])((float *)b.data + k * 10), size, &out, M)) {
                fprintf(stderr, "normcrop: %s\n", fsift_last_error());
                continue;
            }
            memcpy(res + k * one, out.data, one);
            memcpy(Ms + k * 6, M, sizeof M);
            fsift_image_free(&out);
        }
        int64_t dims[4] = {K, size, size, src.channels}, mdims[3] = {K, 2, 3};
        rc = save(tok[4], FSIFT_DTYPE_UINT8, 4, dims, res) || save(tok[5], FSIFT_DTYPE_FLOAT64, 3, mdims, Ms);
        free(res);
        free(Ms);
    } else if (!strcmp(tok[0], "kps") && n == 5) {
        int W = atoi(tok[1]), H = atoi(tok[2]);
        if (load(tok[3], &b) || b.dtype != FSIFT_DTYPE_FLOAT32) goto done;
        int64_t K = b.dims[0];
        size_t one = (size_t)W * H * 3;
        uint8_t *res = calloc((size_t)K, one);
        for (int64_t k = 0; k < K; k++) {
            fsift_image out;
            if (fsift_draw_kps(W, H, (const float(*)[2])((float *)b.data + k * 10), &out)) {
                fprintf(stderr, "kps: %s\n", fsift_last_error());
                continue;
            }
            memcpy(res + k * one, out.data, one);
            fsift_image_free(&out);
        }
        int64_t dims[4] = {K, H, W, 3};
        rc = save(tok[4], FSIFT_DTYPE_UINT8, 4, dims, res);
        free(res);
    } else {
        fprintf(stderr, "bad manifest line: %s\n", tok[0]);
    }
done:
    free(a.data);
    free(b.data);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "test_image_oracle: no manifest; this driver is run by script_image_oracle.sh\n");
        return 0;
    }
    snprintf(base_dir, sizeof base_dir, "%s", argv[1]);
    char *slash = strrchr(base_dir, '/');
    if (slash)
        *slash = 0;
    else
        strcpy(base_dir, ".");
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 1;
    }
    char line[16384];
    int bad = 0, jobs = 0;
    while (fgets(line, sizeof line, f)) {
        jobs++;
        if (job(line)) bad++;
    }
    fclose(f);
    fprintf(stderr, "test_image_oracle: %d jobs, %d failed\n", jobs, bad);
    return bad ? 1 : 0;
}
