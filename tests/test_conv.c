/*
 * test_conv.c — the Conv operator (src/nn/kernels/conv.c and the kernels behind it) on many
 * random shapes, at every CPU level this machine has, against a naive convolution written
 * here straight from the ONNX definition (its own output-size and auto_pad arithmetic), and
 * the plain-loop reference (conv_ref.c) against the same naive code.
 *
 * Shapes: NCHW and NHWC, 1-D and 2-D, batch 1–3, odd sizes, kernels 1–5, strides 1–3,
 * dilations 1–2, explicit pads and every auto_pad mode, group 1, grouped and depthwise
 * (multipliers 1–3), bias or not, every fused activation, the weight constant (packed at load
 * for the default level, at plan time for the others) or a run-time input, 1 or 2 workers.
 * A few large cases cross the GEMM blocking (K > 256, M > 168, N > 256). Malformed nodes
 * (channel mismatch, kernel larger than the padded input, bad group) must fail in infer.
 * Tolerance: max|a−b| / max(max|ref before the activation|, 1) ≤ 1e-5.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/facesift.h"
#include "harness.h"
#include "kernel_harness.h"
#include "nn/exec.h"
#include "nn/graph.h"
#include "nn/kernels/conv_impl.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static int64_t rint_in(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint32_t)(hi - lo + 1)); }
static float rflt(void) { return (float)((double)(rnd() % 2000001) / 1000000.0 - 1.0); }

static fsift_cpu levels[3];
static int nlevels;

typedef struct conv_case {
    int nhwc, rank;          /* rank 3 (1-D) or 4 */
    int64_t N, C, H, W, M, group, kh, kw, sh, sw, dh, dw;
    int64_t pads[4];         /* t, l, b, r */
    const char *auto_pad;
    int bias, wconst, act;   /* act: index into acts[] */
} conv_case;

static const char *acts[] = {NULL, "RELU", "RELU6", "RELU_N1_TO_1", "TANH"};

static float act_apply(float v, int a) {
    switch (a) {
    case 1: return v > 0 ? v : 0;
    case 2: return v < 0 ? 0 : v > 6 ? 6 : v;
    case 3: return v < -1 ? -1 : v > 1 ? 1 : v;
    case 4: return tanhf(v);
    default: return v;
    }
}

/* Output size and begin pad per the ONNX spec; 0 if the kernel does not fit. */
static int out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe, const char *ap,
                    int64_t *out, int64_t *pbegin) {
    int64_t ext = d * (k - 1) + 1;
    if (ap && (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER"))) {
        int64_t o = (in + s - 1) / s;
        int64_t total = (o - 1) * s + ext - in;
        if (total < 0) total = 0;
        *pbegin = !strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2;
        *out = o;
        return 1;
    }
    if (ap && !strcmp(ap, "VALID")) pb = pe = 0;
    if (in + pb + pe < ext) return 0;
    *pbegin = pb;
    *out = (in + pb + pe - ext) / s + 1;
    return 1;
}

/* largest |value| before the activation in the last naive_conv: errors are measured
 * relative to it (a clamp or tanh shrinks the outputs but not the rounding of the sums) */
static double naive_pre_max;

static void naive_conv(const conv_case *c, const float *x, const float *w, const float *b, int64_t OH,
                       int64_t OW, int64_t pt, int64_t pl, float *y) {
    naive_pre_max = 0;
    int64_t cg = c->C / c->group, mg = c->M / c->group;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t m = 0; m < c->M; m++)
            for (int64_t oy = 0; oy < OH; oy++)
                for (int64_t ox = 0; ox < OW; ox++) {
                    double acc = b ? b[m] : 0;
                    int64_t g = m / mg;
                    for (int64_t ci = 0; ci < cg; ci++)
                        for (int64_t ky = 0; ky < c->kh; ky++)
                            for (int64_t kx = 0; kx < c->kw; kx++) {
                                int64_t iy = oy * c->sh - pt + ky * c->dh, ix = ox * c->sw - pl + kx * c->dw;
                                if (iy < 0 || iy >= c->H || ix < 0 || ix >= c->W) continue;
                                int64_t C = g * cg + ci;
                                float xv = c->nhwc ? x[((n * c->H + iy) * c->W + ix) * c->C + C]
                                                   : x[((n * c->C + C) * c->H + iy) * c->W + ix];
                                float wv = c->nhwc ? w[((m * c->kh + ky) * c->kw + kx) * cg + ci]
                                                   : w[((m * cg + ci) * c->kh + ky) * c->kw + kx];
                                acc += (double)xv * wv;
                            }
                    if (fabs(acc) > naive_pre_max) naive_pre_max = fabs(acc);
                    float v = act_apply((float)acc, c->act);
                    if (c->nhwc) y[((n * OH + oy) * OW + ox) * c->M + m] = v;
                    else y[((n * c->M + m) * OH + oy) * OW + ox] = v;
                }
}

static int add_val(nn_graph *g, const char *name) {
    int i = -1;
    CHECK_OK(nn_graph_value(g, name, &i));
    return i;
}

/* Runs node ni via infer/run with a hand-made context (kernel_harness.h). */
static fsift_status run_node(nn_graph *g, int ni, const fsift_cpu *cpu, nn_tensor *const *in, int n_in,
                             nn_tensor *out, fsift_pool *pool, int nth) {
    kh_call c = {.g = g, .node = &g->nodes[ni], .cpu = cpu, .pool = pool, .nthreads = nth, .n_in = n_in};
    for (int i = 0; i < n_in; i++) c.in[i] = in[i];
    c.out[0] = out;
    return kh_run(&c);
}

/* Builds the graph for a case; returns the node index, or -1. */
static int build(const conv_case *c, nn_graph **gp, const float *w, const float *b, int *vw) {
    nn_graph *g;
    CHECK_OK(nn_graph_new(&g));
    *gp = g;
    int vx = add_val(g, "x"), vb = -1, vy = add_val(g, "y");
    int sp = c->rank - 2;
    int64_t xd[4], wd[4];
    xd[0] = c->N;
    wd[0] = c->M;
    int64_t cg = c->C / c->group;
    if (c->nhwc) {
        if (sp == 2) { xd[1] = c->H; xd[2] = c->W; wd[1] = c->kh; wd[2] = c->kw; }
        else { xd[1] = c->W; wd[1] = c->kw; }
        xd[c->rank - 1] = c->C;
        wd[c->rank - 1] = cg;
    } else {
        xd[1] = c->C;
        wd[1] = cg;
        if (sp == 2) { xd[2] = c->H; xd[3] = c->W; wd[2] = c->kh; wd[3] = c->kw; }
        else { xd[2] = c->W; wd[2] = c->kw; }
    }
    CHECK_OK(nn_graph_add_input(g, vx, FSIFT_DTYPE_FLOAT32, c->rank, xd, NULL));
    int64_t wn = c->M * cg * c->kh * c->kw;
    if (c->wconst) {
        CHECK_OK(nn_graph_add_const(g, "w", FSIFT_DTYPE_FLOAT32, c->rank, wd, w, (size_t)wn * 4, vw));
    } else {
        *vw = add_val(g, "w");
        CHECK_OK(nn_graph_add_input(g, *vw, FSIFT_DTYPE_FLOAT32, c->rank, wd, NULL));
    }
    if (c->bias) {
        int64_t bd[1] = {c->M};
        CHECK_OK(nn_graph_add_const(g, "b", FSIFT_DTYPE_FLOAT32, 1, bd, b, (size_t)c->M * 4, &vb));
    }
    int ins[3] = {vx, *vw, vb}, ni = -1;
    CHECK_OK(nn_graph_add_node(g, "Conv", "", "conv", c->bias ? 3 : 2, ins, 1, &vy, &ni));
    if (c->group != 1 || rnd() % 2) CHECK_OK(nn_node_set_int(g, ni, "group", c->group));
    if (c->nhwc) CHECK_OK(nn_node_set_string(g, ni, "layout", "NHWC", 4));
    if (c->act) CHECK_OK(nn_node_set_string(g, ni, "activation", acts[c->act], strlen(acts[c->act])));
    int64_t v[4];
    if (sp == 2) {
        v[0] = c->sh; v[1] = c->sw;
        CHECK_OK(nn_node_set_ints(g, ni, "strides", v, 2));
        v[0] = c->dh; v[1] = c->dw;
        CHECK_OK(nn_node_set_ints(g, ni, "dilations", v, 2));
        v[0] = c->kh; v[1] = c->kw;
        if (rnd() % 2) CHECK_OK(nn_node_set_ints(g, ni, "kernel_shape", v, 2));
        if (!c->auto_pad || !strcmp(c->auto_pad, "NOTSET") || rnd() % 2) CHECK_OK(nn_node_set_ints(g, ni, "pads", c->pads, 4));
    } else {
        v[0] = c->sw;
        CHECK_OK(nn_node_set_ints(g, ni, "strides", v, 1));
        v[0] = c->dw;
        CHECK_OK(nn_node_set_ints(g, ni, "dilations", v, 1));
        v[0] = c->pads[1];
        v[1] = c->pads[3];
        if (!c->auto_pad || !strcmp(c->auto_pad, "NOTSET") || rnd() % 2) CHECK_OK(nn_node_set_ints(g, ni, "pads", v, 2));
    }
    if (c->auto_pad) CHECK_OK(nn_node_set_string(g, ni, "auto_pad", c->auto_pad, strlen(c->auto_pad)));
    CHECK_OK(nn_graph_add_output(g, vy));
    g->opset = 13;
    g->format = FSIFT_MODEL_ONNX;
    CHECK_OK(nn_graph_finalize(g));
    return ni;
}

static int cases_run, cases_invalid;

static void run_case(const conv_case *c, fsift_pool *pool) {
    int64_t cg = c->C / c->group;
    int64_t OH = 1, OW, pt = 0, pl;
    int ok = out_size(c->W, c->kw, c->sw, c->dw, c->pads[1], c->pads[3], c->auto_pad, &OW, &pl);
    if (c->rank == 4) ok = ok && out_size(c->H, c->kh, c->sh, c->dh, c->pads[0], c->pads[2], c->auto_pad, &OH, &pt);
    int64_t xn = c->N * c->C * c->H * c->W, wn = c->M * cg * c->kh * c->kw, yn = c->N * c->M * OH * OW;
    float *x = malloc((size_t)(xn + 1) * 4), *w = malloc((size_t)(wn + 1) * 4), *b = malloc((size_t)(c->M + 1) * 4);
    for (int64_t i = 0; i < xn; i++) x[i] = rflt();
    for (int64_t i = 0; i < wn; i++) w[i] = rflt();
    for (int64_t i = 0; i < c->M; i++) b[i] = rflt();
    nn_graph *g;
    int vw;
    int ni = build(c, &g, w, b, &vw);
    nn_tensor xt = {FSIFT_DTYPE_FLOAT32, c->rank, {0}, x};
    nn_tensor wt = {FSIFT_DTYPE_FLOAT32, c->rank, {0}, c->wconst ? g->vals[vw].data : w};
    nn_tensor bt = {FSIFT_DTYPE_FLOAT32, 1, {c->M}, c->bias ? b : NULL};
    memcpy(xt.dims, g->vals[g->nodes[ni].in[0]].dims, sizeof xt.dims);
    memcpy(wt.dims, g->vals[vw].dims, sizeof wt.dims);
    nn_tensor *in[3] = {&xt, &wt, &bt};
    char desc[256];
    snprintf(desc, sizeof desc, "%s r%d N%lld C%lld H%lld W%lld M%lld g%lld k%lldx%lld s%lld,%lld d%lld,%lld p%lld,%lld,%lld,%lld %s b%d wc%d a%d",
             c->nhwc ? "NHWC" : "NCHW", c->rank, (long long)c->N, (long long)c->C, (long long)c->H, (long long)c->W,
             (long long)c->M, (long long)c->group, (long long)c->kh, (long long)c->kw, (long long)c->sh, (long long)c->sw,
             (long long)c->dh, (long long)c->dw, (long long)c->pads[0], (long long)c->pads[1], (long long)c->pads[2],
             (long long)c->pads[3], c->auto_pad ? c->auto_pad : "-", c->bias, c->wconst, c->act);
    if (!ok) {
        for (int l = 0; l < nlevels; l++) {
            nn_tensor out;
            fsift_status st = run_node(g, ni, &levels[l], in, c->bias ? 3 : 2, &out, pool, 2);
            CHECK_MSG(st == FSIFT_E_SHAPE, "%s: expected a shape error, got %d", desc, st);
        }
        cases_invalid++;
    } else {
        float *ref = malloc((size_t)(yn + 1) * 4);
        naive_conv(c, x, w, c->bias ? b : NULL, OH, OW, pt, pl, ref);
        for (int l = 0; l < nlevels; l++) {
            nn_tensor out;
            fsift_status st = run_node(g, ni, &levels[l], in, c->bias ? 3 : 2, &out, pool, 1 + (int)(rnd() % 2));
            CHECK_MSG(st == FSIFT_OK, "%s: %s", desc, fsift_last_error());
            if (st) continue;
            CHECK(fsift_tensor_numel(&out) == yn);
            double e = 0, mx = naive_pre_max > 1 ? naive_pre_max : 1;
            for (int64_t i = 0; i < yn; i++) {
                double d = fabs((double)((float *)out.data)[i] - ref[i]);
                if (!(d <= e)) e = d;
                if (fabs(ref[i]) > mx) mx = fabs(ref[i]);
            }
            CHECK_MSG(e / mx <= 1e-5, "%s level %d: err %g", desc, l, e / mx);
            free(out.data);
        }
        free(ref);
        cases_run++;
    }
    nn_graph_free(g);
    free(x);
    free(w);
    free(b);
}

static void random_case(conv_case *c) {
    memset(c, 0, sizeof *c);
    c->nhwc = rnd() % 2;
    c->rank = rnd() % 5 == 0 ? 3 : 4;
    c->N = rint_in(1, 3);
    int kind = (int)(rnd() % 4); /* 0,1: group 1; 2: depthwise; 3: grouped */
    int64_t mult = 1;
    if (kind == 2) {
        c->C = rint_in(1, 40);
        c->group = c->C;
        mult = rnd() % 3 == 0 ? rint_in(2, 3) : 1;
        c->M = c->C * mult;
    } else if (kind == 3) {
        c->group = rint_in(2, 4);
        c->C = c->group * rint_in(1, 6);
        c->M = c->group * rint_in(1, 7);
    } else {
        c->group = 1;
        c->C = rint_in(1, 24);
        c->M = rint_in(1, 40);
    }
    c->H = c->rank == 4 ? rint_in(1, 19) : 1;
    c->W = rint_in(1, 23);
    c->kh = c->rank == 4 ? rint_in(1, 5) : 1;
    c->kw = rint_in(1, 5);
    c->sh = c->rank == 4 ? rint_in(1, 3) : 1;
    c->sw = rint_in(1, 3);
    c->dh = c->rank == 4 ? rint_in(1, 2) : 1;
    c->dw = rint_in(1, 2);
    for (int i = 0; i < 4; i++) c->pads[i] = rint_in(0, 2);
    if (c->rank == 3) c->pads[0] = c->pads[2] = 0;
    static const char *aps[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    c->auto_pad = rnd() % 3 == 0 ? aps[rnd() % 4] : NULL;
    c->bias = rnd() % 2;
    c->wconst = rnd() % 4 != 0;
    c->act = rnd() % 3 == 0 ? (int)rint_in(1, 4) : 0;
}

static void test_random(void) {
    fsift_pool *pool = NULL;
    CHECK_OK(fsift_pool_new(2, &pool));
    for (int it = 0; it < 400; it++) {
        conv_case c;
        random_case(&c);
        run_case(&c, pool);
    }
    fprintf(stderr, "  %d cases compared, %d invalid shapes rejected\n", cases_run, cases_invalid);
    fsift_pool_free(pool);
}

static void test_model_shapes(void) {
    /* shapes from the target models, and cases crossing the GEMM blocking */
    fsift_pool *pool = NULL;
    CHECK_OK(fsift_pool_new(2, &pool));
    conv_case base;
    memset(&base, 0, sizeof base);
    base.rank = 4;
    base.N = 1;
    base.sh = base.sw = base.dh = base.dw = 1;
    base.bias = 1;
    base.wconst = 1;
    conv_case c;
    /* BlazeFace stem: 5x5 s2, pads 1,1,2,2 */
    c = base; c.C = 3; c.H = c.W = 64; c.M = 24; c.group = 1; c.kh = c.kw = 5; c.sh = c.sw = 2;
    c.pads[0] = c.pads[1] = 1; c.pads[2] = c.pads[3] = 2; run_case(&c, pool);
    /* BlazeFace depthwise 3x3 s1 and s2 (pads 0,0,1,1) */
    c = base; c.C = c.M = c.group = 28; c.H = c.W = 32; c.kh = c.kw = 3; c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1; run_case(&c, pool);
    c = base; c.C = c.M = c.group = 42; c.H = c.W = 32; c.kh = c.kw = 3; c.sh = c.sw = 2; c.pads[2] = c.pads[3] = 1; run_case(&c, pool);
    /* depthwise 3x3 fast paths on wide rows: NCHW stride 1 and 2 (interior blocks need
     * 34 input columns for AVX-512 stride 2), NHWC stride 2 with a channel tail */
    c = base; c.N = 2; c.C = c.M = c.group = 5; c.H = 7; c.W = 75; c.kh = c.kw = 3; c.sh = c.sw = 2;
    c.pads[0] = c.pads[1] = 1; c.pads[2] = c.pads[3] = 1; c.act = 2; run_case(&c, pool);
    c = base; c.C = c.M = c.group = 3; c.H = 6; c.W = 77; c.kh = c.kw = 3; c.pads[1] = 1; c.pads[3] = 1; run_case(&c, pool);
    c = base; c.nhwc = 1; c.N = 2; c.C = c.M = c.group = 40; c.H = 9; c.W = 11; c.kh = c.kw = 3; c.sh = c.sw = 2;
    c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1; c.act = 1; run_case(&c, pool);
    /* depthwise 3x3 "same" on planes narrower than a vector (several rows per vector) */
    for (int64_t wdt = 1; wdt <= 16; wdt *= 2) {
        c = base; c.C = c.M = c.group = 7; c.H = wdt == 8 ? 8 : 5; c.W = wdt; c.kh = c.kw = 3;
        c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1; c.act = 2; run_case(&c, pool);
    }
    /* 1x1 pointwise */
    c = base; c.C = 24; c.M = 28; c.group = 1; c.H = c.W = 64; c.kh = c.kw = 1; run_case(&c, pool);
    /* ArcFace-like 3x3 at 14x14 and 7x7: K = 2304/4608, M = 256/512 */
    c = base; c.C = 256; c.M = 256; c.group = 1; c.H = c.W = 14; c.kh = c.kw = 3; c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1; run_case(&c, pool);
    c = base; c.C = 300; c.M = 200; c.group = 1; c.H = c.W = 7; c.kh = c.kw = 3; c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1; c.act = 1; run_case(&c, pool);
    /* indirect NCHW tiles (>= 128 channels in, >= 64 out per group): stride 2 with
     * asymmetric pads, dilation, groups and batch 2, a 1x1 stride-2 downsample (no padded
     * copy), tanh */
    c = base; c.N = 2; c.C = 130; c.M = 70; c.group = 1; c.H = 11; c.W = 9; c.kh = c.kw = 3; c.sh = c.sw = 2;
    c.pads[0] = 1; c.pads[1] = 0; c.pads[2] = 2; c.pads[3] = 1; c.act = 4; run_case(&c, pool);
    c = base; c.N = 2; c.C = 256; c.M = 130; c.group = 2; c.H = c.W = 8; c.kh = 3; c.kw = 2; c.dh = c.dw = 2;
    c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 2; c.act = 1; run_case(&c, pool);
    c = base; c.C = 128; c.M = 96; c.group = 1; c.H = c.W = 14; c.kh = c.kw = 1; c.sh = c.sw = 2; run_case(&c, pool);
    c = base; c.C = 128; c.M = 64; c.group = 1; c.H = 5; c.W = 13; c.kh = c.kw = 3; c.wconst = 0; run_case(&c, pool);
    /* SCRFD-like 3x3 s2 with N > 256 */
    c = base; c.C = 28; c.M = 56; c.group = 1; c.H = c.W = 41; c.kh = c.kw = 3; c.sh = c.sw = 2; c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1; run_case(&c, pool);
    /* direct-convolution tiles: wide rows, stride 1 with dilation 2, stride 2, left/right
     * borders, a partial last tile, M not a multiple of the panel height */
    c = base; c.C = 20; c.M = 30; c.group = 1; c.H = 9; c.W = 70; c.kh = c.kw = 3; c.dh = c.dw = 2;
    c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 2; run_case(&c, pool);
    c = base; c.N = 2; c.C = 6; c.M = 34; c.group = 2; c.H = 7; c.W = 90; c.kh = 3; c.kw = 5; c.sh = c.sw = 2;
    c.pads[1] = 2; c.pads[3] = 1; c.act = 3; run_case(&c, pool);
    /* MobileFaceNet NHWC: 3x3 s2 stem, depthwise 3x3, 1x1, 7x7 GDConv */
    c = base; c.nhwc = 1; c.N = 2; c.C = 3; c.M = 64; c.group = 1; c.H = c.W = 56; c.kh = c.kw = 3; c.sh = c.sw = 2; c.pads[2] = c.pads[3] = 1; c.act = 2; run_case(&c, pool);
    c = base; c.nhwc = 1; c.N = 2; c.C = c.M = c.group = 64; c.H = c.W = 28; c.kh = c.kw = 3; c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1; run_case(&c, pool);
    c = base; c.nhwc = 1; c.N = 2; c.C = 64; c.M = 128; c.group = 1; c.H = c.W = 28; c.kh = c.kw = 1; run_case(&c, pool);
    c = base; c.nhwc = 1; c.N = 2; c.C = c.M = c.group = 512; c.H = c.W = 7; c.kh = c.kw = 7; run_case(&c, pool);
    /* O-Net batch 16 NHWC 3x3 */
    c = base; c.nhwc = 1; c.N = 16; c.C = 32; c.M = 64; c.group = 1; c.H = c.W = 23; c.kh = c.kw = 3; run_case(&c, pool);
    /* MTCNN P-Net NHWC 3x3 valid on a pyramid level (3->10, 10->16, 16->32; tiles of one
     * output row and tiles across rows, half-width tiles for M <= 16), its 1x1 heads, and
     * the same geometry with stride 2 + padding (merged taps beside border pixels) and with
     * dilation 2 (taps not merged) */
    c = base; c.nhwc = 1; c.C = 3; c.M = 10; c.group = 1; c.H = 55; c.W = 37; c.kh = c.kw = 3; c.act = 1; run_case(&c, pool);
    c = base; c.nhwc = 1; c.C = 10; c.M = 16; c.group = 1; c.H = 26; c.W = 17; c.kh = c.kw = 3; run_case(&c, pool);
    c = base; c.nhwc = 1; c.N = 2; c.C = 16; c.M = 32; c.group = 1; c.H = 12; c.W = 7; c.kh = c.kw = 3; run_case(&c, pool);
    c = base; c.nhwc = 1; c.C = 32; c.M = 4; c.group = 1; c.H = 10; c.W = 5; c.kh = c.kw = 1; run_case(&c, pool);
    c = base; c.nhwc = 1; c.N = 2; c.C = 3; c.M = 10; c.group = 1; c.H = 20; c.W = 33; c.kh = c.kw = 3; c.sh = c.sw = 2;
    c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1; run_case(&c, pool);
    c = base; c.nhwc = 1; c.C = 10; c.M = 16; c.group = 1; c.H = 20; c.W = 33; c.kh = c.kw = 3; c.dh = c.dw = 2; run_case(&c, pool);
    fsift_pool_free(pool);
}

static void test_ref_vs_naive(void) {
    /* conv_ref.c directly, on a grouped, strided, dilated case in both layouts */
    for (int nhwc = 0; nhwc < 2; nhwc++) {
        conv_case c;
        memset(&c, 0, sizeof c);
        c.nhwc = nhwc; c.rank = 4; c.N = 2; c.C = 6; c.H = 9; c.W = 11; c.M = 9; c.group = 3;
        c.kh = 3; c.kw = 2; c.sh = 2; c.sw = 1; c.dh = 1; c.dw = 2; c.pads[0] = 1; c.pads[1] = 2; c.pads[2] = 0; c.pads[3] = 1;
        c.act = 2;
        int64_t OH, OW, pt, pl;
        out_size(c.H, c.kh, c.sh, c.dh, c.pads[0], c.pads[2], NULL, &OH, &pt);
        out_size(c.W, c.kw, c.sw, c.dw, c.pads[1], c.pads[3], NULL, &OW, &pl);
        int64_t xn = c.N * c.C * c.H * c.W, wn = c.M * 2 * 3 * 2, yn = c.N * c.M * OH * OW;
        float *x = malloc((size_t)xn * 4), *w = malloc((size_t)wn * 4), *b = malloc((size_t)c.M * 4);
        float *y1 = malloc((size_t)yn * 4), *y2 = malloc((size_t)yn * 4);
        for (int64_t i = 0; i < xn; i++) x[i] = rflt();
        for (int64_t i = 0; i < wn; i++) w[i] = rflt();
        for (int64_t i = 0; i < c.M; i++) b[i] = rflt();
        naive_conv(&c, x, w, b, OH, OW, pt, pl, y1);
        nn_conv_params p = {nhwc, c.N, c.C, c.H, c.W, c.M, OH, OW, c.group, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, pt, pl, NN_ACT_RELU6};
        nn_conv_ref(&p, x, w, b, y2);
        double e = 0;
        for (int64_t i = 0; i < yn; i++) e = fmax(e, fabs((double)y1[i] - y2[i]));
        CHECK_MSG(e <= 1e-5, "ref vs naive (nhwc %d): %g", nhwc, e);
        free(x); free(w); free(b); free(y1); free(y2);
    }
}

static void test_bad_nodes(void) {
    conv_case c;
    memset(&c, 0, sizeof c);
    c.rank = 4; c.N = 1; c.C = 4; c.H = c.W = 5; c.M = 4; c.group = 1; c.kh = c.kw = 3;
    c.sh = c.sw = c.dh = c.dw = 1; c.wconst = 1;
    float x[100] = {0}, w[200] = {0};
    nn_graph *g;
    int vw;
    int ni = build(&c, &g, w, NULL, &vw);
    nn_tensor xt = {FSIFT_DTYPE_FLOAT32, 4, {1, 4, 5, 5}, x};
    nn_tensor wt = {FSIFT_DTYPE_FLOAT32, 4, {4, 4, 3, 3}, w};
    nn_tensor *in[2] = {&xt, &wt};
    nn_tensor out;
    CHECK_OK(run_node(g, ni, &levels[nlevels - 1], in, 2, &out, NULL, 1));
    free(out.data);
    xt.dims[1] = 3; /* channel mismatch */
    CHECK(run_node(g, ni, &levels[nlevels - 1], in, 2, &out, NULL, 1) == FSIFT_E_SHAPE);
    xt.dims[1] = 4;
    xt.dims[2] = 2; /* kernel larger than the input */
    CHECK(run_node(g, ni, &levels[nlevels - 1], in, 2, &out, NULL, 1) == FSIFT_E_SHAPE);
    xt.rank = 5; /* 3-D conv */
    fsift_status st = run_node(g, ni, &levels[nlevels - 1], in, 2, &out, NULL, 1);
    CHECK(st == FSIFT_E_UNSUPPORTED);
    xt.rank = 4;
    xt.dims[2] = 5;
    xt.dtype = FSIFT_DTYPE_FLOAT64;
    st = run_node(g, ni, &levels[nlevels - 1], in, 2, &out, NULL, 1);
    CHECK(st == FSIFT_E_UNSUPPORTED && strstr(fsift_last_error(), "dtype float64 not supported"));
    nn_graph_free(g);
}

int main(void) {
    const fsift_cpu *host = fsift_cpu_get();
    memset(levels, 0, sizeof levels);
    nlevels = 1;
    if (host->avx2_fma) {
        levels[nlevels].avx2_fma = 1;
        nlevels++;
    }
    if (host->avx512f) levels[nlevels++] = *host;
    fprintf(stderr, "levels compared: %d (host %s)\n", nlevels, fsift_cpu_level());
    RUN(test_ref_vs_naive);
    RUN(test_random);
    RUN(test_model_shapes);
    RUN(test_bad_nodes);
    return test_summary();
}
