/*
 * shape_transpose.c — the N-D permutation engine (nn_transpose) and the operators built on
 * it: Transpose, DepthToSpace and SpaceToDepth (a transpose of a 6-D view).
 *
 * nn_transpose first simplifies the problem: axes of size 1 are dropped, and output axes
 * that stay neighbours in the same order in the input are merged, so NCHW→NHWC
 * ([0,2,3,1] on [N,C,H,W]) becomes the batched 2-D transpose [0,2,1] on [N, C, H*W], and
 * [0,2,1,3] keeps a contiguous inner run. Then one of three paths runs:
 *   - identity after simplification: one memcpy;
 *   - the innermost output axis is also innermost in the input: memcpy of contiguous runs;
 *   - otherwise a tiled 2-D transpose between the output's innermost axis and the input's
 *     innermost axis (32×32 tiles, element size 1/2/4/8 bytes), repeated over the other
 *     axes. Reads and writes of a tile stay in L1.
 * Work is split across the pool by runs or by (outer index, tile row) pairs.
 *
 * Threading: reentrant; workers write disjoint parts of the output.
 */
#include <string.h>

#include "shape.h"

#define TILE 32

typedef struct tr_plan {
    int r;                      /* simplified rank */
    size_t es;                  /* element size */
    int64_t od[NN_MAX_RANK];    /* output dims */
    int64_t ist[NN_MAX_RANK];   /* input stride (elements) of each output axis */
    int64_t ost[NN_MAX_RANK];   /* output strides */
    int64_t total;
    const char *src;
    char *dst;
    /* tiled path */
    int q;                      /* output axis that is the input's innermost */
    int64_t nblk;               /* tiles along axis q */
    int outer[NN_MAX_RANK];     /* the other axes (not q, not r-1) */
    int nouter;
} tr_plan;

static void tr_simplify(tr_plan *p, int rank, const int64_t *dims, const int *perm) {
    /* keep axes of size > 1, renumbered */
    int newidx[NN_MAX_RANK], kd = 0;
    int64_t d[NN_MAX_RANK];
    for (int i = 0; i < rank; i++) {
        newidx[i] = dims[i] > 1 ? kd : -1;
        if (dims[i] > 1) d[kd++] = dims[i];
    }
    int pp[NN_MAX_RANK], np = 0;
    for (int j = 0; j < rank; j++)
        if (newidx[perm[j]] >= 0) pp[np++] = newidx[perm[j]];
    /* merge output-neighbour axes that are input neighbours in the same order: groups of
     * consecutive input axes, listed in output order by their first input axis */
    int gstart[NN_MAX_RANK], glen[NN_MAX_RANK], ng = 0;
    for (int j = 0; j < np; j++) {
        if (ng > 0 && pp[j] == gstart[ng - 1] + glen[ng - 1]) {
            glen[ng - 1]++;
        } else {
            gstart[ng] = pp[j];
            glen[ng] = 1;
            ng++;
        }
    }
    /* input stride of each input axis (of the kept axes) */
    int64_t st[NN_MAX_RANK];
    int64_t s = 1;
    for (int i = kd - 1; i >= 0; i--) {
        st[i] = s;
        s *= d[i];
    }
    p->r = ng;
    for (int g = 0; g < ng; g++) {
        int64_t len = 1;
        for (int i = 0; i < glen[g]; i++) len *= d[gstart[g] + i];
        p->od[g] = len;
        p->ist[g] = st[gstart[g] + glen[g] - 1];
    }
    s = 1;
    for (int g = ng - 1; g >= 0; g--) {
        p->ost[g] = s;
        s *= p->od[g];
    }
    p->total = s;
}

/* ---- contiguous runs --------------------------------------------------------------------- */

static void tr_runs(void *arg, int64_t b, int64_t e) {
    const tr_plan *p = arg;
    const int r = p->r;
    const int64_t run = p->od[r - 1];
    const size_t bytes = (size_t)run * p->es;
    int64_t c[NN_MAX_RANK], off = 0, rem = b;
    for (int j = r - 2; j >= 0; j--) {
        c[j] = rem % p->od[j];
        rem /= p->od[j];
        off += c[j] * p->ist[j];
    }
    for (int64_t row = b; row < e; row++) {
        memcpy(p->dst + (size_t)row * bytes, p->src + (size_t)off * p->es, bytes);
        for (int j = r - 2; j >= 0; j--) {
            c[j]++;
            off += p->ist[j];
            if (c[j] < p->od[j]) break;
            off -= c[j] * p->ist[j];
            c[j] = 0;
        }
    }
}

/* ---- tiled 2-D transpose ------------------------------------------------------------------- */

#define TR_TILE(T)                                                                           \
    do {                                                                                     \
        const T *s = (const T *)p->src + bi;                                                 \
        T *d = (T *)p->dst + bo;                                                             \
        for (int64_t v0 = 0; v0 < DL; v0 += TILE) {                                          \
            int64_t v1 = v0 + TILE < DL ? v0 + TILE : DL;                                    \
            for (int64_t u = u0; u < u1; u++) {                                              \
                const T *sp = s + u + v0 * sL;                                               \
                T *dp = d + u * oq + v0;                                                     \
                for (int64_t v = 0; v < v1 - v0; v++) dp[v] = sp[v * sL];                    \
            }                                                                                \
        }                                                                                    \
    } while (0)

static void tr_tiles(void *arg, int64_t b, int64_t e) {
    const tr_plan *p = arg;
    const int L = p->r - 1, q = p->q;
    const int64_t DL = p->od[L], Dq = p->od[q], sL = p->ist[L], oq = p->ost[q];
    for (int64_t w = b; w < e; w++) {
        int64_t blk = w % p->nblk, rem = w / p->nblk;
        int64_t bi = 0, bo = 0;
        for (int t = p->nouter - 1; t >= 0; t--) {
            int j = p->outer[t];
            int64_t c = rem % p->od[j];
            rem /= p->od[j];
            bi += c * p->ist[j];
            bo += c * p->ost[j];
        }
        int64_t u0 = blk * TILE, u1 = u0 + TILE < Dq ? u0 + TILE : Dq;
        switch (p->es) {
        case 1: TR_TILE(uint8_t); break;
        case 2: TR_TILE(uint16_t); break;
        case 4: TR_TILE(uint32_t); break;
        default: TR_TILE(uint64_t); break;
        }
    }
}

void nn_transpose(const nn_kctx *k, size_t es, int rank, const int64_t *dims, const int *perm,
                  const void *src, void *dst) {
    tr_plan p;
    memset(&p, 0, sizeof p);
    tr_simplify(&p, rank, dims, perm);
    p.es = es;
    p.src = src;
    p.dst = dst;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    if (n <= 0) return;
    if (p.r <= 1) {
        nn_shape_copy(k, dst, src, (size_t)n * es);
        return;
    }
    if (p.ist[p.r - 1] == 1) {
        int64_t rows = p.total / p.od[p.r - 1];
        int64_t grain = (int64_t)(65536 / ((size_t)p.od[p.r - 1] * es)) + 1;
        nn_parallel(k, rows, grain, tr_runs, &p);
        return;
    }
    p.q = -1;
    for (int j = 0; j < p.r; j++)
        if (p.ist[j] == 1) p.q = j;
    for (int j = 0; j < p.r - 1; j++)
        if (j != p.q) p.outer[p.nouter++] = j;
    p.nblk = (p.od[p.q] + TILE - 1) / TILE;
    int64_t items = p.nblk;
    for (int t = 0; t < p.nouter; t++) items *= p.od[p.outer[t]];
    int64_t per_item = TILE * p.od[p.r - 1];
    nn_parallel(k, items, 16384 / per_item + 1, tr_tiles, &p);
}

/* ---- Transpose --------------------------------------------------------------------------- */

static fsift_status read_perm(const nn_kctx *k, int rank, int *perm) {
    int n;
    const int64_t *a = nn_attr_ints(k->node, "perm", &n);
    if (!a) {
        for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        return FSIFT_OK;
    }
    if (n != rank)
        return nn_op_error(k, FSIFT_E_SHAPE, "perm has %d entries for rank %d", n, rank);
    int seen[NN_MAX_RANK] = {0};
    for (int i = 0; i < n; i++) {
        int64_t v = a[i] < 0 ? a[i] + rank : a[i];
        if (v < 0 || v >= rank || seen[v])
            return nn_op_error(k, FSIFT_E_SHAPE, "perm is not a permutation of 0..%d", rank - 1);
        seen[v] = 1;
        perm[i] = (int)v;
    }
    return FSIFT_OK;
}

static fsift_status need_io(const nn_kctx *k) {
    if (k->n_in < 1 || !k->in[0]) return nn_op_error(k, FSIFT_E_FORMAT, "input is missing");
    fsift_status s = nn_shape_need_out(k);
    if (s) return s;
    if (!fsift_dtype_size(k->in[0]->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                           fsift_dtype_name(k->in[0]->dtype));
    return FSIFT_OK;
}

fsift_status nn_sh_infer_Transpose(nn_kctx *k) {
    fsift_status s = need_io(k);
    if (s) return s;
    const nn_tensor *x = k->in[0];
    int perm[NN_MAX_RANK];
    s = read_perm(k, x->rank, perm);
    if (s) return s;
    int64_t d[NN_MAX_RANK];
    for (int j = 0; j < x->rank; j++) d[j] = x->dims[perm[j]];
    nn_set_out(k, 0, x->dtype, x->rank, d);
    return FSIFT_OK;
}

fsift_status nn_sh_run_Transpose(nn_kctx *k) {
    const nn_tensor *x = k->in[0];
    int perm[NN_MAX_RANK];
    fsift_status s = read_perm(k, x->rank, perm);
    if (s) return s;
    nn_transpose(k, fsift_dtype_size(x->dtype), x->rank, x->dims, perm, x->data, k->out[0]->data);
    return FSIFT_OK;
}

/* ---- DepthToSpace / SpaceToDepth ----------------------------------------------------------- */

/* 6-D view and permutation. d2s: mode DCR / CRD; s2d: the inverse of DCR. */
static fsift_status d2s_setup(const nn_kctx *k, int to_space, int64_t *v6, int *perm,
                              int64_t *odims) {
    const nn_tensor *x = k->in[0];
    if (x->rank != 4) return nn_op_error(k, FSIFT_E_SHAPE, "input must be 4-D, has rank %d", x->rank);
    int64_t b = nn_attr_int(k->node, "blocksize", 0);
    if (b < 1 || b > 4096) return nn_op_error(k, FSIFT_E_FORMAT, "blocksize %lld is invalid", (long long)b);
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    if (to_space) {
        const char *mode = nn_attr_str(k->node, "mode", "DCR");
        int crd = !strcmp(mode, "CRD");
        if (!crd && strcmp(mode, "DCR"))
            return nn_op_error(k, FSIFT_E_UNSUPPORTED, "mode '%s' not supported", mode);
        if (C % (b * b))
            return nn_op_error(k, FSIFT_E_SHAPE, "channels %lld not divisible by blocksize^2", (long long)C);
        int64_t c = C / (b * b);
        if (crd) {
            int64_t v[6] = {N, c, b, b, H, W};
            int pm[6] = {0, 1, 4, 2, 5, 3};
            memcpy(v6, v, sizeof v);
            memcpy(perm, pm, sizeof pm);
        } else {
            int64_t v[6] = {N, b, b, c, H, W};
            int pm[6] = {0, 3, 4, 1, 5, 2};
            memcpy(v6, v, sizeof v);
            memcpy(perm, pm, sizeof pm);
        }
        odims[0] = N;
        odims[1] = c;
        odims[2] = H * b;
        odims[3] = W * b;
    } else {
        if (H % b || W % b)
            return nn_op_error(k, FSIFT_E_SHAPE, "spatial dims %lldx%lld not divisible by blocksize",
                               (long long)H, (long long)W);
        int64_t v[6] = {N, C, H / b, b, W / b, b};
        int pm[6] = {0, 3, 5, 1, 2, 4};
        memcpy(v6, v, sizeof v);
        memcpy(perm, pm, sizeof pm);
        odims[0] = N;
        odims[1] = C * b * b;
        odims[2] = H / b;
        odims[3] = W / b;
    }
    return FSIFT_OK;
}

static fsift_status d2s_infer(nn_kctx *k, int to_space) {
    fsift_status s = need_io(k);
    if (s) return s;
    int64_t v6[6], od[4];
    int perm[6];
    s = d2s_setup(k, to_space, v6, perm, od);
    if (s) return s;
    s = nn_shape_check_out(k, 4, od);
    if (s) return s;
    nn_set_out(k, 0, k->in[0]->dtype, 4, od);
    return FSIFT_OK;
}

static fsift_status d2s_run(nn_kctx *k, int to_space) {
    int64_t v6[6], od[4];
    int perm[6];
    fsift_status s = d2s_setup(k, to_space, v6, perm, od);
    if (s) return s;
    nn_transpose(k, fsift_dtype_size(k->in[0]->dtype), 6, v6, perm, k->in[0]->data,
                 k->out[0]->data);
    return FSIFT_OK;
}

fsift_status nn_sh_infer_DepthToSpace(nn_kctx *k) { return d2s_infer(k, 1); }
fsift_status nn_sh_run_DepthToSpace(nn_kctx *k) { return d2s_run(k, 1); }
fsift_status nn_sh_infer_SpaceToDepth(nn_kctx *k) { return d2s_infer(k, 0); }
fsift_status nn_sh_run_SpaceToDepth(nn_kctx *k) { return d2s_run(k, 0); }
