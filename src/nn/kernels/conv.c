/*
 * conv.c — operator group nn_ops_conv (see ../ops.h): Conv. Gemm and MatMul are in linear.c,
 * ConvTranspose in convt.c; the weight packing they share in conv_common.c.
 *
 * Every operator parses and checks its node in infer (attributes, dtypes, shapes, every size
 * product checked for overflow), picks an algorithm for the CPU level in k->cpu, and keeps
 * the result in its state; run only moves pointers and calls kernels.
 *
 * Conv (ONNX NCHW, and the NHWC extension for graphs made from TFLite; 1-D and 2-D), by
 * shape, all as register-tiled GEMMs (gemm.h) that never build an im2col matrix:
 *   - depthwise (group == C, each group one input channel): dwconv_*.c, NCHW vectorised
 *     along rows, NHWC across channels;
 *   - NHWC: indirect tiles, rows = MR output pixels (any image of the batch), columns = NR
 *     output channels, A read through per-pixel, per-tap pointers (zero row for padding);
 *   - NCHW with >= 128 input and >= 64 output channels per group (deep layers, small
 *     feature maps): the same indirect tiles over a zero-padded copy of each image, so a 7×7
 *     or 14×14 map wastes no vector lanes; weights packed tap-major (WK_GEMM_BT);
 *   - other NCHW: direct tiles (rows = output channels in balanced panels, columns = 32 or 16
 *     pixels of an output row read straight from the image; 1×1 stride-1 convolutions as one
 *     flat row), unless rows are so short that lanes would be wasted: then the packed GEMM
 *     with an implicit im2col packer (gemm.c);
 *   - the plain-loop reference (conv_ref.c) when no SIMD level is usable.
 * Bias and clamp activations are fused into the tiles' stores; TANH is applied afterwards.
 * Fused epilogues (ops.h): PRELU slopes on Conv/Gemm/MatMul and the Conv residual input go
 *   into the tiles' stores; the depthwise kernels fuse them too; only the reference path
 *   and TANH use a pass over the output afterwards.
 *
 * Packing: a constant weight (the GEMM operand on the weight side, or the tap-major
 * depthwise layout) is packed once at load by the `pack` hook into n->packed, for the CPU
 * level of fsift_cpu_get(); it is immutable and shared by all sessions. If the session runs
 * at another level, or the weight only becomes known at plan time (folded), infer packs it
 * into plan memory instead; a weight that is a run-time input is packed block by block.
 *
 * Threads: GEMMs go through nn_gemm_batch (one fork/join per batch of tasks), depthwise
 * kernels through nn_parallel. Scratch (packing buffers) is sized in infer for the number of
 * workers the session may use.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conv_common.h"

/* Least work (flops, or multiply-adds for depthwise) one worker gets: a fork/join costs a
 * few microseconds on an idle machine and far more when the cores are shared, so work that
 * small runs on the calling thread. */
#define PAR_MIN_FLOPS 1000000.0
#define PAR_MIN_DW_MACS 250000

/* ---- Conv ------------------------------------------------------------------------------ */

enum { ALGO_REF = 0, ALGO_DW = 1, ALGO_GEMM = 2, ALGO_DIRECT = 3, ALGO_IND = 4 };

#define IND_MAX_TAPS 64       /* NHWC indirect tiles: kh*kw at most this */
#define IND_MAX_C 4096        /* ... and at most this many channels per group */
static const float zero_row[IND_MAX_C]; /* what padding taps point at */

typedef struct conv_state {
    nn_conv_params p;
    int algo;
    nn_isa isa;
    const nn_gemm_kernel *kern;
    int direct;           /* GEMM straight on x (1×1, stride 1, no padding) */
    int64_t row_tiles;    /* ALGO_DIRECT: tiles of conv_nr pixels per output row */
    nn_conv_params dp;    /* ALGO_DIRECT: the geometry tiled (1×1 stride-1 unpadded
                             convolutions as one row of H*W pixels) */
    int pad_copy;         /* ALGO_IND, NCHW: x is copied into a zero-padded Hp×Wp buffer */
    int64_t Hp, Wp;       /* ALGO_IND, NCHW: the (padded) plane the taps index */
    const float *wpk;     /* packed weights or NULL */
    size_t wpk_gstride;
    int wph;              /* WK_GEMM_A: rows per packed panel */
    size_t dw_scratch;    /* NHWC depthwise with run-time weights: floats to pack them */
    nn_conv_geom geom;
    nn_gemm_task *tasks;  /* TASK_CHUNK */
    const float *slope;   /* NN_ACT_PRELU: [M] slopes (the graph's constant) */
    size_t conv_scratch;  /* scratch bytes of the convolution itself (at the start) */
    /* residual (input 3): of the output's shape (fused into the tiles' store, or added by a
     * pass over the output), or of another shape that broadcasts with it (res_bcast: the
     * convolution goes to scratch after conv_scratch, then the output is the broadcast sum) */
    int res_bcast;
    int orank, crank, ch_axis;  /* res_bcast: output and convolution ranks, channel axis */
    int64_t odims[NN_MAX_RANK];
    int64_t cstr[NN_MAX_RANK];  /* res_bcast: element strides of the convolution and the */
    int64_t rstr[NN_MAX_RANK];  /* residual along each output axis (0: broadcast) */
} conv_state;

void nn_dw_pack_nhwc(const nn_conv_params *p, const float *w, float *dst) {
    const int64_t taps = p->kh * p->kw;
    for (int64_t m = 0; m < p->M; m++)
        for (int64_t t = 0; t < taps; t++) dst[t * p->M + m] = w[m * taps + t];
}

/* Parses layout, ranks and attributes into *p (no allocation). */
static fsift_status conv_parse(const nn_kctx *k, nn_conv_params *p, int64_t *pads_end, const float **slope) {
    memset(p, 0, sizeof *p);
    const nn_node *n = k->node;
    if (k->n_in < 2 || !k->in[0] || !k->in[1])
        return nn_op_error(k, FSIFT_E_FORMAT, "needs inputs X and W");
    fsift_status st;
    if ((st = conv_check_f32(k, 0, "X")) || (st = conv_check_f32(k, 1, "W"))) return st;
    if (k->n_in > 2 && k->in[2] && (st = conv_check_f32(k, 2, "B"))) return st;
    if (k->n_in > 4) return nn_op_error(k, FSIFT_E_FORMAT, "%d inputs, at most 4 (X, W, B, residual)", k->n_in);
    if (k->n_in > 3 && k->in[3] && (st = conv_check_f32(k, 3, "the residual"))) return st;
    const char *layout = nn_attr_str(n, "layout", "NCHW");
    if (!strcmp(layout, "NHWC")) p->nhwc = 1;
    else if (strcmp(layout, "NCHW"))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "layout '%s' not supported", layout);

    const nn_tensor *x = k->in[0], *w = k->in[1];
    if (x->rank == 5)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "3-D convolution not supported");
    if (x->rank != 3 && x->rank != 4)
        return nn_op_error(k, FSIFT_E_SHAPE, "X must have rank 3 or 4, has %d", x->rank);
    if (w->rank != x->rank)
        return nn_op_error(k, FSIFT_E_SHAPE, "W has rank %d, X rank %d", w->rank, x->rank);
    const int nsp = x->rank - 2;
    int64_t in_sp[2] = {1, 1}, k_sp[2] = {1, 1};
    p->N = x->dims[0];
    if (p->nhwc) {
        p->C = x->dims[x->rank - 1];
        p->M = w->dims[0];
        for (int i = 0; i < nsp; i++) {
            in_sp[2 - nsp + i] = x->dims[1 + i];
            k_sp[2 - nsp + i] = w->dims[1 + i];
        }
    } else {
        p->C = x->dims[1];
        p->M = w->dims[0];
        for (int i = 0; i < nsp; i++) {
            in_sp[2 - nsp + i] = x->dims[2 + i];
            k_sp[2 - nsp + i] = w->dims[2 + i];
        }
    }
    const int64_t wcg = p->nhwc ? w->dims[w->rank - 1] : w->dims[1];
    p->group = nn_attr_int(n, "group", 1);
    if (p->group < 1 || p->group > p->C || p->C % p->group)
        return nn_op_error(k, FSIFT_E_SHAPE, "group %lld does not divide the %lld input channels",
                           (long long)p->group, (long long)p->C);
    if (wcg != p->C / p->group)
        return nn_op_error(k, FSIFT_E_SHAPE, "W has %lld input channels per group, X has %lld / group %lld",
                           (long long)wcg, (long long)p->C, (long long)p->group);
    if (p->M < 1 || p->M % p->group)
        return nn_op_error(k, FSIFT_E_SHAPE, "%lld output channels do not split into %lld groups",
                           (long long)p->M, (long long)p->group);
    int cnt;
    const int64_t *ks = nn_attr_ints(n, "kernel_shape", &cnt);
    if (ks) {
        if (cnt != nsp) return nn_op_error(k, FSIFT_E_SHAPE, "kernel_shape has %d values, expected %d", cnt, nsp);
        for (int i = 0; i < nsp; i++)
            if (ks[i] != k_sp[2 - nsp + i])
                return nn_op_error(k, FSIFT_E_SHAPE, "kernel_shape does not match W");
    }
    int64_t s_sp[2] = {1, 1}, d_sp[2] = {1, 1}, pb[2] = {0, 0}, pe[2] = {0, 0};
    const int64_t *v = nn_attr_ints(n, "strides", &cnt);
    if (v) {
        if (cnt != nsp) return nn_op_error(k, FSIFT_E_SHAPE, "strides has %d values, expected %d", cnt, nsp);
        for (int i = 0; i < nsp; i++) s_sp[2 - nsp + i] = v[i];
    }
    v = nn_attr_ints(n, "dilations", &cnt);
    if (v) {
        if (cnt != nsp) return nn_op_error(k, FSIFT_E_SHAPE, "dilations has %d values, expected %d", cnt, nsp);
        for (int i = 0; i < nsp; i++) d_sp[2 - nsp + i] = v[i];
    }
    v = nn_attr_ints(n, "pads", &cnt);
    if (v) {
        if (cnt != 2 * nsp) return nn_op_error(k, FSIFT_E_SHAPE, "pads has %d values, expected %d", cnt, 2 * nsp);
        for (int i = 0; i < nsp; i++) {
            pb[2 - nsp + i] = v[i];
            pe[2 - nsp + i] = v[nsp + i];
        }
    }
    for (int i = 0; i < 2; i++) {
        if (s_sp[i] < 1 || s_sp[i] > MAX_ATTR_VAL || d_sp[i] < 1 || d_sp[i] > MAX_ATTR_VAL)
            return nn_op_error(k, FSIFT_E_UNSUPPORTED, "strides and dilations must be in 1..%lld",
                               (long long)MAX_ATTR_VAL);
        if (pb[i] < 0 || pe[i] < 0 || pb[i] > MAX_ATTR_VAL || pe[i] > MAX_ATTR_VAL)
            return nn_op_error(k, FSIFT_E_UNSUPPORTED, "pads must be in 0..%lld", (long long)MAX_ATTR_VAL);
        if (k_sp[i] < 1) return nn_op_error(k, FSIFT_E_SHAPE, "empty kernel");
    }
    const char *ap = nn_attr_str(n, "auto_pad", "NOTSET");
    int same = 0;
    if (!strcmp(ap, "SAME_UPPER")) same = 1;
    else if (!strcmp(ap, "SAME_LOWER")) same = 2;
    else if (!strcmp(ap, "VALID")) pb[0] = pb[1] = pe[0] = pe[1] = 0;
    else if (strcmp(ap, "NOTSET") && *ap)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "auto_pad '%s' not supported", ap);
    int64_t out_sp[2];
    for (int i = 0; i < 2; i++) {
        int64_t ext;  /* dilated kernel extent */
        if (!conv_mul_ok(d_sp[i], k_sp[i] - 1, &ext)) return nn_op_error(k, FSIFT_E_LIMIT, "kernel too large");
        ext += 1;
        if (same) {
            int64_t o = (in_sp[i] + s_sp[i] - 1) / s_sp[i];
            int64_t total = (o - 1) * s_sp[i] + ext - in_sp[i];
            if (total < 0) total = 0;
            pb[i] = same == 1 ? total / 2 : total - total / 2;
            pe[i] = total - pb[i];
        }
        int64_t span = in_sp[i] + pb[i] + pe[i] - ext;
        if (span < 0)
            return nn_op_error(k, FSIFT_E_SHAPE, "kernel extent %lld exceeds the padded input %lld",
                               (long long)ext, (long long)(in_sp[i] + pb[i] + pe[i]));
        out_sp[i] = span / s_sp[i] + 1;
    }
    p->H = in_sp[0];
    p->W = in_sp[1];
    p->kh = k_sp[0];
    p->kw = k_sp[1];
    p->sh = s_sp[0];
    p->sw = s_sp[1];
    p->dh = d_sp[0];
    p->dw = d_sp[1];
    p->pt = pb[0];
    p->pl = pb[1];
    p->OH = out_sp[0];
    p->OW = out_sp[1];
    pads_end[0] = pe[0];
    pads_end[1] = pe[1];
    int64_t t;
    if (!conv_mul_ok(p->kh, p->kw, &t) || !conv_mul_ok(t, p->C / p->group, &t))
        return nn_op_error(k, FSIFT_E_LIMIT, "kernel too large");
    if (k->n_in > 2 && k->in[2]) {
        const nn_tensor *b = k->in[2];
        if (b->rank != 1 || b->dims[0] != p->M)
            return nn_op_error(k, FSIFT_E_SHAPE, "B must be [%lld]", (long long)p->M);
    }
    return nn_act_parse_slope(k, p->M, &p->act, slope);
}

/* NCHW convolutions with many channels run as indirect tiles (rows = output pixels, so
 * small feature maps waste nothing) with weights packed tap-major (WK_GEMM_BT); the others
 * as direct tiles / GEMM with WK_GEMM_A. Decided from the weight shape and strides alone,
 * so that the pack hook (which does not know the input size) and infer agree. */
static int nchw_use_ind(int64_t cg, int64_t mg, int64_t kh, int64_t kw, int unit_stride) {
    return cg >= 128 && mg >= 64 && kh * kw <= IND_MAX_TAPS && !(kh == 1 && kw == 1 && unit_stride);
}

static int conv_is_dw(const nn_conv_params *p) {
    return p->group == p->C && p->C > 0 && p->M % p->C == 0 && p->W < ((int64_t)1 << 30) &&
           p->sw <= 4096 && (!p->nhwc || p->M == p->C);
}

static fsift_status conv_pack(nn_graph *g, nn_node *n) {
    if (n->n_in < 2 || n->in[1] < 0) return FSIFT_OK;
    const nn_value *wv = &g->vals[n->in[1]];
    if (wv->kind != NN_VAL_CONST || wv->dtype != FSIFT_DTYPE_FLOAT32 || (wv->rank != 3 && wv->rank != 4))
        return FSIFT_OK;
    nn_isa isa = nn_isa_for(NULL);
    if (isa == NN_ISA_REF) return FSIFT_OK;
    const int nhwc = !strcmp(nn_attr_str(n, "layout", "NCHW"), "NHWC");
    int64_t group = nn_attr_int(n, "group", 1);
    int64_t M = wv->dims[0], cg = nhwc ? wv->dims[wv->rank - 1] : wv->dims[1];
    int64_t kh = wv->rank == 4 ? wv->dims[nhwc ? 1 : 2] : 1;
    int64_t kw = wv->dims[nhwc ? wv->rank - 2 : wv->rank - 1];
    if (group < 1 || M < 1 || M % group || cg < 1 || kh < 1 || kw < 1) return FSIFT_OK;
    int64_t K;
    if (!conv_mul_ok(kh, kw, &K) || !conv_mul_ok(K, cg, &K)) return FSIFT_OK;
    const float *w = wv->data;
    wpack *pk = NULL;
    if (cg == 1) {
        /* depthwise: NCHW kernels read the raw weight; NHWC wants it tap-major */
        if (nhwc && M == group) {
            nn_conv_params dp;
            memset(&dp, 0, sizeof dp);
            dp.M = M;
            dp.kh = kh;
            dp.kw = kw;
            pk = conv_wpack_new(isa, WK_DW_NHWC, 1, M, kh * kw, w, 0, 0, &dp);
        }
    } else if (nhwc) {
        pk = conv_wpack_new(isa, WK_GEMM_B, group, M / group, K, w, 1, K, NULL);
    } else {
        int cnt;
        const int64_t *st = nn_attr_ints(n, "strides", &cnt);
        int unit = 1;
        for (int i = 0; st && i < cnt; i++) unit = unit && st[i] == 1;
        if (nchw_use_ind(cg, M / group, kh, kw, unit))
            pk = conv_wpack_new(isa, WK_GEMM_BT, group, M / group, K, w, kh * kw, 0, NULL);
        else
            pk = conv_wpack_new(isa, WK_GEMM_A, group, M / group, K, w, K, 1, NULL);
    }
    if (pk) {
        n->packed = pk;
        n->packed_free = conv_wpack_free;
    }
    return FSIFT_OK;
}

static fsift_status conv_infer_core(nn_kctx *k) {
    nn_conv_params p;
    int64_t pe[2] = {0, 0};
    const float *slope = NULL;
    fsift_status st = conv_parse(k, &p, pe, &slope);
    if (st) return st;
    conv_state *s = nn_kctx_alloc(k, sizeof *s);
    if (!s) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    k->state = s;
    s->p = p;
    s->slope = slope;
    int64_t od[4];
    const int rank = k->in[0]->rank;
    od[0] = p.N;
    if (p.nhwc) {
        if (rank == 4) od[1] = p.OH;
        od[rank - 2] = p.OW;
        od[rank - 1] = p.M;
    } else {
        od[1] = p.M;
        if (rank == 4) od[2] = p.OH;
        od[rank - 1] = p.OW;
    }
    nn_set_out(k, 0, FSIFT_DTYPE_FLOAT32, rank, od);

    s->isa = conv_isa(k);
    s->kern = nn_gemm_kernel_for(s->isa);
    k->scratch_bytes = 0;
    if (!s->kern) {
        s->algo = ALGO_REF;
        return FSIFT_OK;
    }
    const float *w = k->in[1]->data;
    const int64_t cg = p.C / p.group, mg = p.M / p.group, K = cg * p.kh * p.kw;
    if (conv_is_dw(&p)) {
        s->algo = ALGO_DW;
        if (p.nhwc) {
            s->wpk = conv_wpack_get(k, s->isa, WK_DW_NHWC, 1, p.M, p.kh * p.kw, w, 0, 0, &p, &s->wpk_gstride);
            if (!s->wpk) {
                s->dw_scratch = (size_t)(p.M * p.kh * p.kw);
                k->scratch_bytes = s->dw_scratch * sizeof(float);
            }
        }
        return FSIFT_OK;
    }
    s->algo = ALGO_GEMM;
    s->direct = p.kh == 1 && p.kw == 1 && p.sh == 1 && p.sw == 1 && p.pt == 0 && p.pl == 0 &&
                pe[0] == 0 && pe[1] == 0;
    if (!p.nhwc && s->kern->ukr_ind && nchw_use_ind(cg, mg, p.kh, p.kw, p.sh == 1 && p.sw == 1)) {
        s->wpk = conv_wpack_get(k, s->isa, WK_GEMM_BT, p.group, mg, K, w, p.kh * p.kw, 0, NULL, &s->wpk_gstride);
        if (s->wpk) {
            /* the input, zero-padded to cover every tap (a copy only if padding is needed) */
            s->algo = ALGO_IND;
            s->Hp = (p.OH - 1) * p.sh + (p.kh - 1) * p.dh + 1;
            s->Wp = (p.OW - 1) * p.sw + (p.kw - 1) * p.dw + 1;
            s->pad_copy = p.pt > 0 || p.pl > 0 || s->Hp > p.H || s->Wp > p.W;
            if (!s->pad_copy) {
                s->Hp = p.H;
                s->Wp = p.W;
            } else {
                int64_t n;
                if (!conv_mul_ok(s->Hp, s->Wp, &n) || !conv_mul_ok(n, cg, &n))
                    return nn_op_error(k, FSIFT_E_LIMIT, "padded input too large");
                k->scratch_bytes = (size_t)n * sizeof(float);
            }
            return FSIFT_OK;
        }
    }
    if (p.nhwc)
        s->wpk = conv_wpack_get(k, s->isa, WK_GEMM_B, p.group, mg, K, w, 1, K, NULL, &s->wpk_gstride);
    else
        s->wpk = conv_wpack_get(k, s->isa, WK_GEMM_A, p.group, mg, K, w, K, 1, NULL, &s->wpk_gstride);
    s->wph = nn_gemm_balanced_ph(s->kern, mg);
    if (p.nhwc && s->wpk && s->kern->ukr_ind && p.kh * p.kw <= IND_MAX_TAPS && cg <= IND_MAX_C) {
        s->algo = ALGO_IND;
        return FSIFT_OK;
    }
    s->dp = p;
    if (s->direct) {
        s->dp.W = s->dp.OW = p.H * p.W;
        s->dp.H = s->dp.OH = 1;
    }
    if (!p.nhwc && s->wpk && s->kern->convk && (p.sw == 1 || p.sw == 2) && p.kw <= NN_CONVK_MAX_KW &&
        s->dp.W < ((int64_t)1 << 31)) {
        /* direct tiles cover whole output rows in steps of conv_nr pixels: worth it unless
         * the last tile of each row wastes too much (the packed GEMM's im2col copy costs
         * about 1/(2*M/g) of the arithmetic, so small M tolerates more waste) */
        const int64_t nr = s->kern->conv_nr, tail = s->dp.OW % nr;
        s->row_tiles = (s->dp.OW + nr - 1) / nr;
        /* columns computed per row: full tiles, and a tail of <= nr/2 pixels as a half tile */
        int64_t cols = (s->dp.OW / nr) * nr + (tail == 0 ? 0 : tail <= nr / 2 ? nr / 2 : nr);
        double eff = (double)s->dp.OW / (double)cols;
        if (eff >= 0.74 || (eff >= 0.5 && mg <= 32)) {
            s->algo = ALGO_DIRECT;
            return FSIFT_OK;
        }
    }
    nn_conv_geom *g = &s->geom;
    g->nhwc = p.nhwc;
    g->C = cg;
    g->H = p.H;
    g->W = p.W;
    g->kh = p.kh;
    g->kw = p.kw;
    g->sh = p.sh;
    g->sw = p.sw;
    g->dh = p.dh;
    g->dw = p.dw;
    g->pt = p.pt;
    g->pl = p.pl;
    g->OH = p.OH;
    g->OW = p.OW;
    g->ctot = p.C;
    g->img_stride = p.H * p.W * p.C;
    s->tasks = nn_kctx_alloc(k, TASK_CHUNK * sizeof *s->tasks);
    if (!s->tasks) return nn_op_error(k, FSIFT_E_NOMEM, "out of memory");
    int64_t opix = p.OH * p.OW, gm, gn;
    if (p.nhwc) {
        if (!conv_mul_ok(p.N, opix, &gm)) return nn_op_error(k, FSIFT_E_LIMIT, "output too large");
        gn = mg;
    } else {
        gm = mg;
        gn = opix;
    }
    size_t per = nn_gemm_scratch_per_thread(s->kern, gm, gn, K);
    if (!conv_scratch_ok(per, conv_threads(k), &k->scratch_bytes))
        return nn_op_error(k, FSIFT_E_LIMIT, "scratch too large");
    return FSIFT_OK;
}

/* Strides of a tensor of rank r and dims d along the axes of an R-dimensional broadcast
 * output (0 where d is 1 or missing). */
static void bcast_strides(int r, const int64_t *d, int R, int64_t *str) {
    int64_t st = 1;
    for (int i = R - 1; i >= 0; i--) {
        int ai = i - (R - r);
        int64_t di = ai >= 0 ? d[ai] : 1;
        str[i] = di == 1 ? 0 : st;
        st *= di;
    }
}

static fsift_status conv_infer(nn_kctx *k) {
    fsift_status st = conv_infer_core(k);
    if (st) return st;
    conv_state *s = k->state;
    s->conv_scratch = k->scratch_bytes;
    const nn_tensor *r = k->n_in > 3 ? k->in[3] : NULL, *y = k->out[0];
    if (!r) return FSIFT_OK;
    /* the residual broadcasts with the output as ONNX Add would */
    int R;
    int64_t od[NN_MAX_RANK];
    if (r->rank > NN_MAX_RANK) return nn_op_error(k, FSIFT_E_SHAPE, "residual of rank %d", r->rank);
    if ((st = nn_broadcast_shape(k, y->rank, y->dims, r->rank, r->dims, &R, od))) return st;
    int same = R == y->rank && r->rank == y->rank;
    for (int i = 0; same && i < R; i++) same = r->dims[i] == y->dims[i];
    if (same) return FSIFT_OK;
    s->res_bcast = 1;
    s->orank = R;
    s->crank = y->rank;
    s->ch_axis = s->p.nhwc ? R - 1 : R - y->rank + 1;
    memcpy(s->odims, od, sizeof od);
    bcast_strides(y->rank, y->dims, R, s->cstr);
    bcast_strides(r->rank, r->dims, R, s->rstr);
    int64_t yn = nn_numel(y->rank, y->dims), on = nn_numel(R, od);
    if (yn < 0 || on < 0 || (uint64_t)yn > SIZE_MAX / 8)
        return nn_op_error(k, FSIFT_E_LIMIT, "output too large");
    size_t head = (s->conv_scratch + 63) & ~(size_t)63;
    k->scratch_bytes = head + (size_t)yn * sizeof(float);
    nn_set_out(k, 0, FSIFT_DTYPE_FLOAT32, R, od);
    return FSIFT_OK;
}

/* ---- epilogue passes: what a kernel cannot fuse (TANH; PRELU and the residual on the
 * depthwise and reference paths) -------------------------------------------------------- */

static inline float post_one(float v, nn_act act, float lo, float hi, float slope) {
    if (act == NN_ACT_TANH) return tanhf(v);
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    if (act == NN_ACT_PRELU && v < 0.f) v *= slope;
    return v;
}

typedef struct post_job {
    const nn_conv_params *p;
    float *y;
    const float *r;      /* residual laid out like y, or NULL */
    nn_act act;
    const float *slope;
} post_job;

/* y = act(y + r) over units [u0, u1): NCHW output planes, NHWC output pixels. */
static void post_units(const post_job *j, int64_t u0, int64_t u1) {
    const nn_conv_params *p = j->p;
    const int64_t opix = p->OH * p->OW, M = p->M;
    float lo, hi;
    nn_act_bounds(j->act, &lo, &hi);
    const nn_act act = j->act;
    if (!p->nhwc) {
        for (int64_t u = u0; u < u1; u++) {
            float *yp = j->y + u * opix;
            const float *rp = j->r ? j->r + u * opix : NULL;
            const float sl = j->slope ? j->slope[u % M] : 1.f;
            if (rp)
                for (int64_t i = 0; i < opix; i++) yp[i] = post_one(yp[i] + rp[i], act, lo, hi, sl);
            else
                for (int64_t i = 0; i < opix; i++) yp[i] = post_one(yp[i], act, lo, hi, sl);
        }
        return;
    }
    for (int64_t u = u0; u < u1; u++) {
        float *yp = j->y + u * M;
        const float *rp = j->r ? j->r + u * M : NULL;
        for (int64_t m = 0; m < M; m++) {
            float v = rp ? yp[m] + rp[m] : yp[m];
            yp[m] = post_one(v, act, lo, hi, j->slope ? j->slope[m] : 1.f);
        }
    }
}

/* The residual of another shape: out = act(conv ⊕ r) over the broadcast output. */
static void post_bcast(const conv_state *s, const float *cv, const float *r, float *out) {
    const int R = s->orank;
    const int64_t M = s->p.M;
    float lo, hi;
    nn_act_bounds(s->p.act, &lo, &hi);
    int64_t idx[NN_MAX_RANK] = {0};
    const int64_t total = nn_numel(R, s->odims);
    const int64_t inner = R ? s->odims[R - 1] : 1;
    if (total <= 0 || inner <= 0) return;
    int64_t co = 0, ro = 0;
    const int64_t cs = R ? s->cstr[R - 1] : 0, rs = R ? s->rstr[R - 1] : 0;
    for (int64_t o = 0; o < total; o += inner) {
        for (int64_t i = 0; i < inner; i++) {
            const int64_t ch = R && s->ch_axis == R - 1 ? i : (R ? idx[s->ch_axis] : 0);
            const float sl = s->slope ? s->slope[M == 1 ? 0 : ch] : 1.f;
            out[o + i] = post_one(cv[co + i * cs] + r[ro + i * rs], s->p.act, lo, hi, sl);
        }
        for (int d = R - 2; d >= 0; d--) { /* odometer over the outer axes */
            co += s->cstr[d];
            ro += s->rstr[d];
            if (++idx[d] < s->odims[d]) break;
            co -= s->cstr[d] * s->odims[d];
            ro -= s->rstr[d] * s->odims[d];
            idx[d] = 0;
        }
    }
}

typedef struct dw_job {
    const conv_state *s;
    nn_conv_params kp;  /* s->p with the activation the kernel applies */
    const float *x, *w, *b;
    float *y;
    nn_dw_epi ex;       /* PRELU slopes and residual, fused by the kernel */
} dw_job;

static void dw_range(void *arg, int64_t begin, int64_t end) {
    const dw_job *j = arg;
    const conv_state *s = j->s;
    if (s->p.nhwc) {
        if (s->isa == NN_ISA_AVX512) nn_dw_nhwc_avx512(&j->kp, j->x, j->w, j->b, j->y, begin, end, &j->ex);
        else nn_dw_nhwc_avx2(&j->kp, j->x, j->w, j->b, j->y, begin, end, &j->ex);
    } else {
        if (s->isa == NN_ISA_AVX512) nn_dw_nchw_avx512(&j->kp, j->x, j->w, j->b, j->y, begin, end, &j->ex);
        else nn_dw_nchw_avx2(&j->kp, j->x, j->w, j->b, j->y, begin, end, &j->ex);
    }
}

typedef struct direct_job {
    const conv_state *s;
    const float *x, *b;
    float *y;
    int64_t t0; /* added to the work-item index (ALGO_IND, NCHW: first tile of the group) */
    const float *r;      /* residual laid out like y (from the same base), or NULL */
    float lo, hi;        /* clamp of the tiles' store */
    const float *slope;  /* PRELU slopes [M], or NULL */
} direct_job;

/* Tiles per work item so that one item is at least PAR_MIN_FLOPS. */
static int64_t direct_grain(const conv_state *s) {
    const nn_conv_params *p = &s->dp;
    double flops = 2.0 * (double)(p->M / p->group) * (double)(p->C / p->group) * (double)(p->kh * p->kw) *
                   (double)s->kern->conv_nr;
    return flops >= PAR_MIN_FLOPS ? 1 : (int64_t)(PAR_MIN_FLOPS / (flops > 1 ? flops : 1));
}

static void direct_range(void *arg, int64_t begin, int64_t end) {
    const direct_job *j = arg;
    const conv_state *s = j->s;
    const nn_conv_params *p = &s->dp;
    const nn_gemm_kernel *kern = s->kern;
    const int64_t cg = p->C / p->group, mg = p->M / p->group, opix = p->OH * p->OW;
    const int64_t nr = kern->conv_nr;
    nn_convk_args a;
    memset(&a, 0, sizeof a);
    a.C = cg;
    a.H = p->H;
    a.W = p->W;
    a.kh = p->kh;
    a.kw = p->kw;
    a.dh = p->dh;
    a.dw = p->dw;
    a.sw = p->sw;
    a.rs = opix;
    a.e.alpha = 1.f;
    a.e.lo = j->lo;
    a.e.hi = j->hi;
    for (int64_t t = begin; t < end; t++) {
        const int64_t xt = t % s->row_tiles, oy = (t / s->row_tiles) % p->OH;
        const int64_t ng = t / (s->row_tiles * p->OH), n = ng / p->group, g = ng % p->group;
        const int64_t ox0 = xt * nr;
        a.x = j->x + (n * p->C + g * cg) * p->H * p->W;
        a.iy0 = oy * p->sh - p->pt;
        a.ix0 = ox0 * p->sw - p->pl;
        a.nr = (int)(p->OW - ox0 < nr ? p->OW - ox0 : nr);
        const float *wg = s->wpk + (size_t)g * s->wpk_gstride;
        const int64_t K = cg * p->kh * p->kw;
        const int ph = s->wph;
        for (int64_t m0 = 0; m0 < mg; m0 += ph) {
            a.mr = (int)(mg - m0 < ph ? mg - m0 : ph);
            a.pa = wg + (m0 / ph) * K * kern->mr;
            const int64_t off = (n * p->M + g * mg + m0) * opix + oy * p->OW + ox0;
            a.c = j->y + off;
            a.e.brow = j->b ? j->b + g * mg + m0 : NULL;
            a.e.srow = j->slope ? j->slope + g * mg + m0 : NULL;
            a.e.res = j->r ? j->r + off : NULL;
            kern->convk(&a);
        }
    }
}

/* NHWC through indirect tiles: work items are (group, tile of MR output pixels). */
static int64_t ind_grain(const conv_state *s) {
    const nn_conv_params *p = &s->p;
    double flops = 2.0 * (double)(p->M / p->group) * (double)(p->C / p->group) * (double)(p->kh * p->kw) *
                   (double)s->kern->mr;
    return flops >= PAR_MIN_FLOPS ? 1 : (int64_t)(PAR_MIN_FLOPS / (flops > 1 ? flops : 1));
}

/* The next output pixel in row-major order (image n, row oy, column ox). */
#define IND_NEXT_PIXEL(p, n, oy, ox)                 \
    do {                                             \
        if (++(ox) == (p)->OW) {                     \
            (ox) = 0;                                \
            if (++(oy) == (p)->OH) (oy) = 0, (n)++;  \
        }                                            \
    } while (0)

static void ind_range(void *arg, int64_t begin, int64_t end) {
    const direct_job *j = arg;
    const conv_state *s = j->s;
    const nn_conv_params *p = &s->p;
    const nn_gemm_kernel *kern = s->kern;
    const int MR = kern->mr, NR = kern->nr;
    const int64_t cg = p->C / p->group, mg = p->M / p->group, taps = p->kh * p->kw, K = taps * cg;
    const int64_t opix = p->OH * p->OW, rows = p->nhwc ? p->N * opix : opix;
    const int64_t tiles = (rows + MR - 1) / MR;
    const float *ind[IND_MAX_TAPS * NN_GEMM_MAX_MR];
    nn_ind_args a;
    memset(&a, 0, sizeof a);
    a.rows = ind;
    a.e.alpha = 1.f;
    a.e.lo = j->lo;
    a.e.hi = j->hi;
    if (p->nhwc) {
        a.cstride = 1;
        a.rs = p->M;
        a.cs = 1;
    } else {
        a.cstride = s->Hp * s->Wp;
        a.rs = 1;
        a.cs = opix;
    }
    /* tap offsets from a pixel's first tap (elements), and the kernel's extent */
    int64_t toff[IND_MAX_TAPS];
    for (int64_t ky = 0; ky < p->kh; ky++)
        for (int64_t kx = 0; kx < p->kw; kx++)
            toff[ky * p->kw + kx] = p->nhwc ? (ky * p->dh * p->W + kx * p->dw) * p->C : ky * p->dh * s->Wp + kx * p->dw;
    const int64_t ext_h = (p->kh - 1) * p->dh, ext_w = (p->kw - 1) * p->dw;
    const int64_t img = p->H * p->W * p->C;
    /* NHWC, one group, no dilation along W: the kw taps of a kernel row are kw*C contiguous
     * floats (in the packed K order), so a tile whose pixels are all inside the image is run
     * as kh "taps" of kw*C channels: a third of the pointers for 3×3, longer inner loops. */
    const int merge = p->nhwc && p->group == 1 && p->dw == 1 && p->kw > 1;
    /* the first tile's group and first pixel; the next tiles follow without divisions */
    int64_t g = (begin + j->t0) / tiles, ti = (begin + j->t0) % tiles;
    int64_t n = ti * MR / opix, oy = ti * MR % opix / p->OW, ox = ti * MR % opix % p->OW;
    for (int64_t tt = begin; tt < end; tt++) {
        if (ti == tiles) ti = 0, g++, n = oy = ox = 0;
        const int64_t i0 = ti++ * MR;
        const int mr = (int)(rows - i0 < MR ? rows - i0 : MR);
        const int64_t n0 = n, oy0 = oy, ox0 = ox;
        if (merge) {
            /* the common case: every pixel of the tile inside the image; along each output
             * row they are evenly spaced (sw*C floats apart), so each row's run of pixels
             * gets its pointers without per-pixel checks */
            int i = 0;
            while (i < mr) {
                const int seg = (int)(p->OW - ox < mr - i ? p->OW - ox : mr - i);
                const int64_t iy0 = oy * p->sh - p->pt, ix0 = ox * p->sw - p->pl, ix1 = ix0 + (seg - 1) * p->sw;
                if (iy0 < 0 || iy0 + ext_h >= p->H || ix0 < 0 || ix1 + ext_w >= p->W) break;
                const float *base = j->x + n * img + (iy0 * p->W + ix0) * p->C;
                const int64_t step = p->sw * p->C;
                for (int64_t ky = 0; ky < p->kh; ky++) {
                    const float *q = base + toff[ky * p->kw];
                    for (int u = 0; u < seg; u++) ind[ky * MR + i + u] = q + u * step;
                }
                i += seg;
                if ((ox += seg) == p->OW) {
                    ox = 0;
                    if (++oy == p->OH) oy = 0, n++;
                }
            }
            if (i == mr) {
                a.taps = p->kh;
                a.C = p->kw * cg;
                goto run;
            }
            n = n0, oy = oy0, ox = ox0; /* a pixel near the border: every tap on its own */
        }
        a.taps = taps;
        a.C = cg;
        for (int i = 0; i < mr; i++) {
            if (p->nhwc) {
                const float *xn = j->x + n * img + g * cg;
                const int64_t iy0 = oy * p->sh - p->pt, ix0 = ox * p->sw - p->pl;
                if (iy0 >= 0 && iy0 + ext_h < p->H && ix0 >= 0 && ix0 + ext_w < p->W) {
                    const float *base = xn + (iy0 * p->W + ix0) * p->C;
                    for (int64_t q = 0; q < taps; q++) ind[q * MR + i] = base + toff[q];
                } else {
                    for (int64_t ky = 0; ky < p->kh; ky++) {
                        const int64_t iy = iy0 + ky * p->dh;
                        for (int64_t kx = 0; kx < p->kw; kx++) {
                            const int64_t ix = ix0 + kx * p->dw;
                            const int ok = iy >= 0 && iy < p->H && ix >= 0 && ix < p->W;
                            ind[(ky * p->kw + kx) * MR + i] = ok ? xn + (iy * p->W + ix) * p->C : zero_row;
                        }
                    }
                }
            } else {
                /* j->x: this image and group's (padded) planes; every tap is inside */
                const float *base = j->x + oy * p->sh * s->Wp + ox * p->sw;
                for (int64_t q = 0; q < taps; q++) ind[q * MR + i] = base + toff[q];
            }
            IND_NEXT_PIXEL(p, n, oy, ox);
        }
    run:
        a.mr = mr;
        const float *wg = s->wpk + (size_t)g * s->wpk_gstride;
        for (int64_t j0 = 0; j0 < mg; j0 += NR) {
            a.nr = (int)(mg - j0 < NR ? mg - j0 : NR);
            a.pb = wg + (j0 / NR) * K * NR;
            a.e.bcol = j->b ? j->b + g * mg + j0 : NULL;
            a.e.scol = j->slope ? j->slope + g * mg + j0 : NULL;
            const int64_t off = p->nhwc ? i0 * p->M + g * mg + j0 : (g * mg + j0) * opix + i0;
            a.c = j->y + off;
            a.e.res = j->r ? j->r + off : NULL;
            kern->ukr_ind(&a);
        }
    }
}

/* Copies channels [begin, end) of one image/group into the zero-padded planes. */
typedef struct pad_job {
    const conv_state *s;
    const float *x;
    float *dst;
} pad_job;

static void pad_range(void *arg, int64_t begin, int64_t end) {
    const pad_job *j = arg;
    const conv_state *s = j->s;
    const nn_conv_params *p = &s->p;
    const int64_t Hp = s->Hp, Wp = s->Wp;
    /* input column range that lands inside the padded plane */
    const int64_t x0 = 0, x1 = p->W < Wp - p->pl ? p->W : Wp - p->pl;
    for (int64_t c = begin; c < end; c++) {
        float *d = j->dst + c * Hp * Wp;
        const float *src = j->x + c * p->H * p->W;
        for (int64_t r = 0; r < Hp; r++) {
            float *dr = d + r * Wp;
            const int64_t iy = r - p->pt;
            if (iy < 0 || iy >= p->H || x1 <= x0) {
                memset(dr, 0, (size_t)Wp * sizeof(float));
                continue;
            }
            if (p->pl > 0) memset(dr, 0, (size_t)p->pl * sizeof(float));
            memcpy(dr + p->pl, src + iy * p->W, (size_t)(x1 - x0) * sizeof(float));
            const int64_t filled = p->pl + x1 - x0;
            if (filled < Wp) memset(dr + filled, 0, (size_t)(Wp - filled) * sizeof(float));
        }
    }
}

/* The convolution into y: act(conv(x, w) + b + r) with r laid out like y (or NULL). raw:
 * no activation and no residual (the caller applies them). scratch: the convolution's own
 * (conv_scratch bytes). */
static void conv_compute(nn_kctx *k, const conv_state *s, const float *x, const float *w, const float *b,
                         const float *r, float *y, int raw, void *scratch) {
    const nn_conv_params *p = &s->p;
    const int64_t opix = p->OH * p->OW;
    const int64_t ytotal = p->N * p->M * opix;
    const nn_act act = raw ? NN_ACT_NONE : p->act;
    const float *slope = act == NN_ACT_PRELU ? s->slope : NULL;
    if (raw) r = NULL;
    if (s->algo == ALGO_REF) {
        /* the reference kernel applies clamps only: the rest in a pass afterwards */
        const int need_post = r || act == NN_ACT_TANH || act == NN_ACT_PRELU;
        nn_conv_params kp = *p;
        kp.act = need_post ? NN_ACT_NONE : act;
        nn_conv_ref(&kp, x, w, b, y);
        post_job post = {p, y, r, act, slope};
        if (need_post) post_units(&post, 0, p->nhwc ? p->N * opix : p->N * p->M);
        return;
    }
    if (s->algo == ALGO_DW) {
        /* clamps, PRELU and the residual in the kernels' stores; TANH afterwards */
        nn_conv_params kp = *p;
        kp.act = act == NN_ACT_TANH ? NN_ACT_NONE : act;
        dw_job j = {s, kp, x, w, b, y, {slope, r}};
        const int64_t taps = p->kh * p->kw;
        if (p->nhwc) {
            if (!s->wpk) {
                float *wp = scratch;
                nn_dw_pack_nhwc(p, w, wp);
                j.w = wp;
            } else {
                j.w = s->wpk;
            }
            int64_t work = p->OW * p->C * taps;
            nn_parallel(k, p->N * p->OH, work > PAR_MIN_DW_MACS ? 1 : PAR_MIN_DW_MACS / (work ? work : 1), dw_range,
                        &j);
        } else {
            int64_t work = opix * taps;
            nn_parallel(k, p->N * p->M, work > PAR_MIN_DW_MACS ? 1 : PAR_MIN_DW_MACS / (work ? work : 1), dw_range,
                        &j);
        }
        if (act == NN_ACT_TANH) post_units(&(post_job){p, y, NULL, act, NULL}, 0, p->nhwc ? p->N * opix : p->N * p->M);
        return;
    }
    /* tile paths: bias, clamp, PRELU and the residual in the store; TANH afterwards */
    float lo, hi;
    nn_act_bounds(act, &lo, &hi);
    if (s->algo == ALGO_IND && p->nhwc) {
        direct_job j = {s, x, b, y, 0, r, lo, hi, slope};
        int64_t rows = p->N * opix, tiles = (rows + s->kern->mr - 1) / s->kern->mr;
        nn_parallel(k, p->group * tiles, ind_grain(s), ind_range, &j);
    } else if (s->algo == ALGO_IND) {
        /* NCHW: one image and group at a time (the padded copy lives in scratch) */
        const int64_t cg = p->C / p->group;
        const int64_t tiles = (opix + s->kern->mr - 1) / s->kern->mr;
        for (int64_t n = 0; n < p->N; n++)
            for (int64_t g = 0; g < p->group; g++) {
                const float *xg = x + (n * p->C + g * cg) * p->H * p->W;
                if (s->pad_copy) {
                    pad_job pj = {s, xg, scratch};
                    nn_parallel(k, cg, 16, pad_range, &pj);
                    xg = scratch;
                }
                /* work items g*tiles .. (g+1)*tiles-1 of ind_range's numbering */
                direct_job j = {s, xg, b, y + (n * p->M) * opix, g * tiles, r ? r + (n * p->M) * opix : NULL,
                                lo, hi, slope};
                nn_parallel(k, tiles, ind_grain(s), ind_range, &j);
            }
    } else if (s->algo == ALGO_DIRECT) {
        direct_job j = {s, x, b, y, 0, r, lo, hi, slope};
        int64_t tiles = p->N * p->group * s->dp.OH * s->row_tiles;
        nn_parallel(k, tiles, direct_grain(s), direct_range, &j);
    } else {
        /* GEMM */
        const int64_t cg = p->C / p->group, mg = p->M / p->group, K = cg * p->kh * p->kw;
        nn_gemm_task *tasks = s->tasks;
        const int64_t ntasks = p->nhwc ? p->group : p->N * p->group;
        for (int64_t t0 = 0; t0 < ntasks; t0 += TASK_CHUNK) {
            int64_t cnt = ntasks - t0 < TASK_CHUNK ? ntasks - t0 : TASK_CHUNK;
            for (int64_t i = 0; i < cnt; i++) {
                nn_gemm_task *t = &tasks[i];
                memset(t, 0, sizeof *t);
                const int64_t idx = t0 + i;
                t->alpha = 1.f;
                t->lo = lo;
                t->hi = hi;
                t->K = K;
                int64_t g;
                if (p->nhwc) {
                    g = idx;
                    t->M = p->N * opix;
                    t->N = mg;
                    if (s->direct) {
                        t->a = (nn_gemm_src){NN_GEMM_DENSE, x + g * cg, p->C, 1, NULL, 0};
                    } else {
                        t->a = (nn_gemm_src){NN_GEMM_CONV, x + g * cg, 0, 0, &s->geom, 0};
                    }
                    if (s->wpk)
                        t->b = (nn_gemm_src){NN_GEMM_PACKED, s->wpk + (size_t)g * s->wpk_gstride, 0, 0, NULL, 0};
                    else
                        t->b = (nn_gemm_src){NN_GEMM_DENSE, w + g * mg * K, 1, K, NULL, 0};
                    t->c = y + g * mg;
                    t->rs_c = p->M;
                    t->cs_c = 1;
                    t->bias_per_col = 1;
                } else {
                    const int64_t n = idx / p->group;
                    g = idx % p->group;
                    const float *xg = x + (n * p->C + g * cg) * p->H * p->W;
                    t->M = mg;
                    t->N = opix;
                    if (s->wpk)
                        t->a = (nn_gemm_src){NN_GEMM_PACKED, s->wpk + (size_t)g * s->wpk_gstride, 0, 0, NULL, s->wph};
                    else
                        t->a = (nn_gemm_src){NN_GEMM_DENSE, w + g * mg * K, K, 1, NULL, 0};
                    if (s->direct)
                        t->b = (nn_gemm_src){NN_GEMM_DENSE, xg, p->H * p->W, 1, NULL, 0};
                    else
                        t->b = (nn_gemm_src){NN_GEMM_CONV, xg, 0, 0, &s->geom, 0};
                    t->c = y + (n * p->M + g * mg) * opix;
                    t->rs_c = opix;
                    t->cs_c = 1;
                    t->bias_per_col = 0;
                }
                t->bias = b ? b + g * mg : NULL;
                t->res = r ? r + (t->c - y) : NULL;
                t->slope = slope ? slope + g * mg : NULL;
                t->slope_per_col = t->bias_per_col;
            }
            nn_gemm_batch(s->kern, tasks, cnt, k->pool, k->nthreads, scratch, s->conv_scratch);
        }
    }
    if (act == NN_ACT_TANH) nn_act_apply(y, ytotal, NN_ACT_TANH);
}

static fsift_status conv_run(nn_kctx *k) {
    const conv_state *s = k->state;
    const nn_conv_params *p = &s->p;
    const float *x = k->in[0]->data, *w = k->in[1]->data;
    const float *b = k->n_in > 2 && k->in[2] ? k->in[2]->data : NULL;
    const float *r = k->n_in > 3 && k->in[3] ? k->in[3]->data : NULL;
    float *y = k->out[0]->data;
    if (nn_numel(k->out[0]->rank, k->out[0]->dims) == 0) return FSIFT_OK;
    if (!s->res_bcast) {
        if (p->N * p->M * p->OH * p->OW == 0) return FSIFT_OK;
        conv_compute(k, s, x, w, b, r, y, 0, k->scratch);
        return FSIFT_OK;
    }
    /* residual of another shape: the convolution into scratch, then the broadcast sum */
    float *cv = (float *)((unsigned char *)k->scratch + ((s->conv_scratch + 63) & ~(size_t)63));
    if (p->N * p->M * p->OH * p->OW > 0) conv_compute(k, s, x, w, b, NULL, cv, 1, k->scratch);
    post_bcast(s, cv, r, y);
    return FSIFT_OK;
}

const nn_op_def nn_ops_conv[] = {
    {"Conv", "", 0, conv_pack, conv_infer, conv_run},
    {0},
};
