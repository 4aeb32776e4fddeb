/*
 * conv_common.c — what the GEMM-based operators (conv.c: Conv; linear.c: Gemm, MatMul;
 * convt.c: ConvTranspose) share: overflow-checked size products, the worker count a node
 * may run with, and packed weights (conv_common.h): a constant weight is packed once at
 * load into node->packed for the CPU level of fsift_cpu_get() (immutable, shared by all
 * sessions), or at plan time into plan memory when the session runs at another level or the
 * weight only becomes known when planning.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conv_common.h"
int conv_mul_ok(int64_t a, int64_t b, int64_t *out) {
    int64_t r;
    if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r) || r > MAX_GEMM_DIM * 64) return 0;
    *out = r;
    return 1;
}

/* Workers the session may run the node with (the executor sets nthreads before run; at
 * plan time it may not be known yet, then the number of online CPUs bounds it). */
int conv_threads(const nn_kctx *k) {
    if (k->nthreads > 0) return k->nthreads;
    if (k->pool) return fsift_pool_size(k->pool);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > 64) n = 64;
    return (int)n;
}

nn_isa conv_isa(const nn_kctx *k) { return nn_isa_for(k->cpu); }


void conv_wpack_free(void *ptr) {
    wpack *w = ptr;
    if (!w) return;
    free(w->data);
    free(w);
}

/* Floats for a packed weight, or 0 if too large to be worth packing (the packed copy may not
 * exceed 4× the weight plus 64 Ki floats, so a hostile shape cannot inflate memory). */
static size_t conv_wpack_floats(const nn_gemm_kernel *kern, int kind, int64_t group, int64_t rows,
                           int64_t K, size_t *gstride) {
    int64_t wn;
    if (!conv_mul_ok(group, rows, &wn) || !conv_mul_ok(wn, K, &wn)) return 0;
    size_t per;
    if (kind == WK_DW_NHWC) {
        per = (size_t)rows * (size_t)K;
    } else {
        per = kind == WK_GEMM_A ? nn_gemm_packed_a_floats(kern, rows, K, nn_gemm_balanced_ph(kern, rows))
                                : nn_gemm_packed_floats(rows, K, kern->nr);
        if (!per && rows && K) return 0;
        per = (per + 15) & ~(size_t)15;
    }
    if (group && per > SIZE_MAX / (size_t)group) return 0;
    size_t total = per * (size_t)group;
    if (total > (size_t)wn * 4 + 65536) return 0;
    *gstride = per;
    return total ? total : 16;
}

/* Fills dst with the packed weight. GEMM kinds: group g's source is dense at
 * w + g*rows*K with strides (rs, cs) as an A (rows × K) or B (K × rows) operand. */
static void conv_wpack_fill(const nn_gemm_kernel *kern, int kind, int64_t group, int64_t rows,
                       int64_t K, const float *w, int64_t rs, int64_t cs, size_t gstride,
                       const nn_conv_params *dwp, float *dst) {
    if (kind == WK_DW_NHWC) {
        nn_dw_pack_nhwc(dwp, w, dst);
        return;
    }
    if (kind == WK_GEMM_BT) {
        /* w [group*rows][C][taps] -> panels of NR output channels, k = t*C + c */
        const int64_t taps = rs, C = K / taps, NR = kern->nr;
        for (int64_t g = 0; g < group; g++) {
            float *d = dst + (size_t)g * gstride;
            for (int64_t j0 = 0; j0 < rows; j0 += NR)
                for (int64_t t = 0; t < taps; t++)
                    for (int64_t c = 0; c < C; c++, d += NR)
                        for (int64_t j = 0; j < NR; j++)
                            d[j] = j0 + j < rows ? w[(g * rows + j0 + j) * K + c * taps + t] : 0.f;
        }
        return;
    }
    for (int64_t g = 0; g < group; g++) {
        nn_gemm_src s = {NN_GEMM_DENSE, w + g * rows * K, rs, cs, NULL, 0};
        if (kind == WK_GEMM_A) /* A panels of balanced height (see nn_gemm_balanced_ph) */
            nn_gemm_pack_a(kern, &s, rows, K, nn_gemm_balanced_ph(kern, rows), dst + (size_t)g * gstride);
        else
            nn_gemm_pack(kern, 1, &s, rows, K, dst + (size_t)g * gstride);
    }
}

/* Makes a load-time pack (owned by the node). Returns NULL when not worth it / no memory. */
wpack *conv_wpack_new(nn_isa isa, int kind, int64_t group, int64_t rows, int64_t K,
                        const float *w, int64_t rs, int64_t cs, const nn_conv_params *dwp) {
    const nn_gemm_kernel *kern = nn_gemm_kernel_for(isa);
    if (!kern) return NULL;
    size_t gstride = 0, total = conv_wpack_floats(kern, kind, group, rows, K, &gstride);
    if (!total) return NULL;
    wpack *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->data = aligned_alloc(64, (total * sizeof(float) + 63) & ~(size_t)63);
    if (!p->data) {
        free(p);
        return NULL;
    }
    p->isa = isa;
    p->kind = kind;
    p->group = group;
    p->rows = rows;
    p->K = K;
    p->gstride = gstride;
    conv_wpack_fill(kern, kind, group, rows, K, w, rs, cs, gstride, dwp, p->data);
    return p;
}

/* The packed data usable for (isa, kind, shape): the node's load-time pack, or a pack made
 * now in plan memory when the weight is known (w != NULL); NULL: pack per block at run. */
const float *conv_wpack_get(nn_kctx *k, nn_isa isa, int kind, int64_t group, int64_t rows,
                              int64_t K, const float *w, int64_t rs, int64_t cs,
                              const nn_conv_params *dwp, size_t *gstride) {
    const wpack *p = k->node->packed;
    if (p && p->isa == isa && p->kind == kind && p->group == group && p->rows == rows && p->K == K) {
        *gstride = p->gstride;
        return p->data;
    }
    if (!w) return NULL;
    const nn_gemm_kernel *kern = nn_gemm_kernel_for(isa);
    if (!kern) return NULL;
    size_t total = conv_wpack_floats(kern, kind, group, rows, K, gstride);
    if (!total) return NULL;
    float *dst = nn_kctx_alloc(k, total * sizeof(float));
    if (!dst) return NULL;
    conv_wpack_fill(kern, kind, group, rows, K, w, rs, cs, *gstride, dwp, dst);
    return dst;
}

fsift_status conv_check_f32(const nn_kctx *k, int i, const char *what) {
    const nn_tensor *t = k->in[i];
    if (t->dtype != FSIFT_DTYPE_FLOAT32)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported for %s (float32 only)",
                           fsift_dtype_name(t->dtype), what);
    return FSIFT_OK;
}

int conv_scratch_ok(size_t per, int nth, size_t *total) {
    if (per && (size_t)nth > SIZE_MAX / 2 / per) return 0;
    *total = per * (size_t)nth;
    return 1;
}
