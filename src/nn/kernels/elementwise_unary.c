/*
 * elementwise_unary.c — one-input elementwise operators: activations (Relu, Sigmoid, Tanh,
 * Gelu, Elu, Selu, Celu, LeakyRelu, ThresholdedRelu, HardSigmoid, HardSwish, Softplus,
 * Softsign), math functions (Erf, Exp, Log, Sqrt, Reciprocal, Abs, Neg, Floor, Ceil, Round,
 * Sign, trigonometric and hyperbolic), Not, Clip, IsNaN and IsInf.
 *
 * float32 is the main path: one loop per operator over a contiguous range, the cheap ones
 * written so that GCC vectorises them (NN_EW_LOOP), the transcendental ones calling libm
 * (correctly rounded or close to it; the tolerance target is 1e-6 relative) except erf (Erf,
 * Gelu), which uses its own rational approximation (erf_fast, 4e-7). On CPUs with AVX2+FMA,
 * Erf, Gelu, Exp and Sigmoid run the vector kernels of elementwise_avx2.c. float64 and
 * float16 go through a scalar double version of the same formulas (float16 rounds the
 * result). Abs, Neg, Sign and Relu also take signed integers; Not takes bool. Work is split
 * across the pool by element ranges.
 *
 * Clip reads its bounds from attributes (opset < 11) or from its optional scalar inputs
 * (opset >= 11); an input bound need not be known at plan time, it is read at run time.
 *
 * Threading: reentrant; ranges run concurrently on disjoint outputs.
 */
#include <float.h>
#include <string.h>

#include "elementwise.h"

#define UN_ENUM(name) UN_##name,
typedef enum un_op { NN_EW_UNARY_OPS(UN_ENUM) UN_COUNT } un_op;

typedef struct un_param {
    float alpha, beta, gamma;
    int tanh_approx; /* Gelu approximate="tanh" */
} un_param;

/* ---- parameters ------------------------------------------------------------------------ */

static fsift_status un_params(const nn_kctx *k, un_op op, un_param *p) {
    const nn_node *n = k->node;
    memset(p, 0, sizeof *p);
    switch (op) {
    case UN_Elu: p->alpha = nn_attr_float(n, "alpha", 1.f); break;
    case UN_Celu:
        p->alpha = nn_attr_float(n, "alpha", 1.f);
        if (p->alpha == 0.f) return nn_op_error(k, FSIFT_E_FORMAT, "alpha must not be 0");
        break;
    case UN_Selu:
        p->alpha = nn_attr_float(n, "alpha", 1.67326319217681884765625f);
        p->gamma = nn_attr_float(n, "gamma", 1.05070102214813232421875f);
        break;
    case UN_LeakyRelu: p->alpha = nn_attr_float(n, "alpha", 0.01f); break;
    case UN_ThresholdedRelu: p->alpha = nn_attr_float(n, "alpha", 1.f); break;
    case UN_HardSigmoid:
        p->alpha = nn_attr_float(n, "alpha", 0.2f);
        p->beta = nn_attr_float(n, "beta", 0.5f);
        break;
    case UN_HardSwish:
        p->alpha = 1.f / 6.f;
        p->beta = 0.5f;
        break;
    case UN_Gelu: {
        const char *a = nn_attr_str(n, "approximate", "none");
        if (!strcmp(a, "tanh")) p->tanh_approx = 1;
        else if (strcmp(a, "none"))
            return nn_op_error(k, FSIFT_E_UNSUPPORTED, "approximate='%s' not supported", a);
        break;
    }
    default: break;
    }
    return FSIFT_OK;
}

/* ---- float32 ---------------------------------------------------------------------------- */

static inline float sigmoidf(float x) { return 1.f / (1.f + expf(-x)); }

/* erf for float32 without libm, written so that GCC vectorises it (glibc's erff is scalar and
 * is the bottleneck of GELU in transformer MLPs). erf(x) = x * P(x^2) / Q(x^2) on
 * |x| <= 3.925, a rational fit (degrees 6 and 4, coefficients fitted for this file by
 * iteratively reweighted least squares on relative error); beyond that erf(x) rounds to
 * ±1 in float32. Max error measured over all float32 inputs in [-4.5, 4.5] and tiny
 * magnitudes: 4.4e-7 relative (7 ulp, near |x| = 3.9); NaN stays NaN. */
static inline float erf_fast(float x) {
    const float lim = 3.925f;
    float c = x < -lim ? -lim : (x > lim ? lim : x); /* NaN stays NaN */
    float t = c * c;
    float p = 1.9869331069344298e-08f;
    p = p * t + -1.9566050468711182e-06f;
    p = p * t + 1.4217616990208626e-04f;
    p = p * t + 3.7193864118307830e-03f;
    p = p * t + 5.0631865859031677e-02f;
    p = p * t + 2.0036992430686951e-01f;
    p = p * t + 1.1283791065216064e+00f;
    float q = 9.6001732163131240e-04f;
    q = q * t + 1.4390445314347744e-02f;
    q = q * t + 1.1518197506666183e-01f;
    q = q * t + 5.1090484857559204e-01f;
    q = q * t + 1.0f;
    float r = c * p / q;
    r = x >= lim ? 1.f : r;
    return x <= -lim ? -1.f : r;
}
static inline float softplusf(float x) {
    return x > 0.f ? x + log1pf(expf(-x)) : log1pf(expf(x));
}
static inline float signf(float x) { return x > 0.f ? 1.f : (x < 0.f ? -1.f : x); }

#define F32_MAP(EXPR) NN_EW_LOOP(n, float v = x[i]; y[i] = (EXPR))
/* t = clamp(EXPR, 0, 1) as two selects (vectorises, unlike fminf/fmaxf; NaN stays NaN);
 * y = RES */
#define F32_MAP_CLAMP01(EXPR, RES)                                                           \
    NN_EW_LOOP(n, float v = x[i]; float t = (EXPR); t = t < 0.f ? 0.f : t;                   \
               t = t > 1.f ? 1.f : t; y[i] = (RES))
#define F32_MAP_LIBM(EXPR)                                                                   \
    for (int64_t i = 0; i < n; i++) {                                                        \
        float v = x[i];                                                                      \
        y[i] = (EXPR);                                                                       \
    }

static void un_f32(un_op op, const float *restrict x, float *restrict y, int64_t n,
                   const un_param *p) {
    const float al = p->alpha, be = p->beta, ga = p->gamma;
    switch (op) {
    case UN_Relu: F32_MAP(v > 0.f ? v : 0.f); break;
    case UN_Sigmoid: F32_MAP_LIBM(sigmoidf(v)); break;
    case UN_Tanh: F32_MAP_LIBM(tanhf(v)); break;
    case UN_Erf: F32_MAP(erf_fast(v)); break;
    case UN_Exp: F32_MAP_LIBM(expf(v)); break;
    case UN_Log: F32_MAP_LIBM(logf(v)); break;
    case UN_Sqrt: F32_MAP(sqrtf(v)); break;
    case UN_Reciprocal: F32_MAP(1.f / v); break;
    case UN_Abs: F32_MAP(fabsf(v)); break;
    case UN_Neg: F32_MAP(-v); break;
    case UN_Floor: F32_MAP_LIBM(floorf(v)); break;
    case UN_Ceil: F32_MAP_LIBM(ceilf(v)); break;
    case UN_Round: F32_MAP_LIBM(nearbyintf(v)); break;
    case UN_Sign: F32_MAP(signf(v)); break;
    case UN_Sin: F32_MAP_LIBM(sinf(v)); break;
    case UN_Cos: F32_MAP_LIBM(cosf(v)); break;
    case UN_Tan: F32_MAP_LIBM(tanf(v)); break;
    case UN_Asin: F32_MAP_LIBM(asinf(v)); break;
    case UN_Acos: F32_MAP_LIBM(acosf(v)); break;
    case UN_Atan: F32_MAP_LIBM(atanf(v)); break;
    case UN_Sinh: F32_MAP_LIBM(sinhf(v)); break;
    case UN_Cosh: F32_MAP_LIBM(coshf(v)); break;
    case UN_Asinh: F32_MAP_LIBM(asinhf(v)); break;
    case UN_Acosh: F32_MAP_LIBM(acoshf(v)); break;
    case UN_Atanh: F32_MAP_LIBM(atanhf(v)); break;
    case UN_Softplus: F32_MAP_LIBM(softplusf(v)); break;
    case UN_Softsign: F32_MAP(v / (1.f + fabsf(v))); break;
    case UN_HardSigmoid: {
        F32_MAP_CLAMP01(al * v + be, t);
        break;
    }
    case UN_HardSwish: {
        F32_MAP_CLAMP01(al * v + be, v * t);
        break;
    }
    case UN_Elu: F32_MAP_LIBM(v < 0.f ? al * expm1f(v) : v); break;
    case UN_Selu: F32_MAP_LIBM(v <= 0.f ? ga * al * expm1f(v) : ga * v); break;
    case UN_Celu: F32_MAP_LIBM(fmaxf(0.f, v) + fminf(0.f, al * expm1f(v / al))); break;
    case UN_LeakyRelu: F32_MAP((v < 0.f ? 0.f : v) + al * (v < 0.f ? v : 0.f)); break;
    case UN_ThresholdedRelu: F32_MAP(v > al ? v : 0.f); break;
    case UN_Gelu:
        if (p->tanh_approx) {
            const float c = 0.7978845608028654f; /* sqrt(2/pi) */
            F32_MAP_LIBM(0.5f * v * (1.f + tanhf(c * (v + 0.044715f * v * v * v))));
        } else {
            F32_MAP(0.5f * v * (1.f + erf_fast(v * 0.70710678f)));
            /* as in ONNX's float32 reference, 1 + erf cancels for x << 0: the error is
             * absolute (about 1e-6 |x|), not relative */
        }
        break;
    default: break;
    }
}

/* ---- float64 / float16: the same formulas in double ------------------------------------ */

static double un_scalar(un_op op, double v, const un_param *p) {
    const double al = p->alpha, be = p->beta, ga = p->gamma;
    switch (op) {
    case UN_Relu: return v > 0 ? v : 0;
    case UN_Sigmoid: return 1.0 / (1.0 + exp(-v));
    case UN_Tanh: return tanh(v);
    case UN_Erf: return erf(v);
    case UN_Exp: return exp(v);
    case UN_Log: return log(v);
    case UN_Sqrt: return sqrt(v);
    case UN_Reciprocal: return 1.0 / v;
    case UN_Abs: return fabs(v);
    case UN_Neg: return -v;
    case UN_Floor: return floor(v);
    case UN_Ceil: return ceil(v);
    case UN_Round: return nearbyint(v);
    case UN_Sign: return v > 0 ? 1 : (v < 0 ? -1 : v);
    case UN_Sin: return sin(v);
    case UN_Cos: return cos(v);
    case UN_Tan: return tan(v);
    case UN_Asin: return asin(v);
    case UN_Acos: return acos(v);
    case UN_Atan: return atan(v);
    case UN_Sinh: return sinh(v);
    case UN_Cosh: return cosh(v);
    case UN_Asinh: return asinh(v);
    case UN_Acosh: return acosh(v);
    case UN_Atanh: return atanh(v);
    case UN_Softplus: return v > 0 ? v + log1p(exp(-v)) : log1p(exp(v));
    case UN_Softsign: return v / (1 + fabs(v));
    case UN_HardSigmoid: return fmax(0, fmin(1, al * v + be));
    case UN_HardSwish: return v * fmax(0, fmin(1, v / 6 + 0.5));
    case UN_Elu: return v < 0 ? al * expm1(v) : v;
    case UN_Selu: return v <= 0 ? ga * al * expm1(v) : ga * v;
    case UN_Celu: return fmax(0, v) + fmin(0, al * expm1(v / al));
    case UN_LeakyRelu: return v < 0 ? al * v : v;
    case UN_ThresholdedRelu: return v > al ? v : 0;
    case UN_Gelu:
        if (p->tanh_approx)
            return 0.5 * v * (1 + tanh(0.79788456080286535588 * (v + 0.044715 * v * v * v)));
        return 0.5 * v * (1 + erf(v * 0.70710678118654752440));
    default: return v;
    }
}

/* ---- integers and bool ------------------------------------------------------------------ */

#define INT_UNARY(sfx, T, U)                                                                 \
    static void int_unary_##sfx(un_op op, const T *restrict x, T *restrict y, int64_t n) {   \
        switch (op) {                                                                        \
        case UN_Abs: NN_EW_LOOP(n, y[i] = x[i] < 0 ? (T)(0 - (U)x[i]) : x[i]); break;         \
        case UN_Neg: NN_EW_LOOP(n, y[i] = (T)(0 - (U)x[i])); break;                          \
        case UN_Sign: NN_EW_LOOP(n, y[i] = (T)((x[i] > 0) - (x[i] < 0))); break;             \
        case UN_Relu: NN_EW_LOOP(n, y[i] = x[i] > 0 ? x[i] : 0); break;                      \
        default: break;                                                                      \
        }                                                                                    \
    }
INT_UNARY(i8, int8_t, uint32_t)
INT_UNARY(i16, int16_t, uint32_t)
INT_UNARY(i32, int32_t, uint32_t)
INT_UNARY(i64, int64_t, uint64_t)

static void not_bool(const uint8_t *restrict x, uint8_t *restrict y, int64_t n) {
    NN_EW_LOOP(n, y[i] = x[i] == 0);
}

static int un_int_ok(un_op op) {
    return op == UN_Abs || op == UN_Neg || op == UN_Sign || op == UN_Relu;
}

/* ---- infer / run ------------------------------------------------------------------------ */

static int un_dtype_ok(un_op op, int dt) {
    if (op == UN_Not) return dt == FSIFT_DTYPE_BOOL;
    if (nn_dtype_is_float(dt)) return 1;
    switch (dt) {
    case FSIFT_DTYPE_INT8: case FSIFT_DTYPE_INT16: case FSIFT_DTYPE_INT32: case FSIFT_DTYPE_INT64:
        return un_int_ok(op);
    default: return 0;
    }
}

static fsift_status one_in_out(const nn_kctx *k) {
    if (k->n_in < 1 || !k->in[0]) return nn_op_error(k, FSIFT_E_FORMAT, "input is missing");
    if (k->n_out < 1 || !k->out[0]) return nn_op_error(k, FSIFT_E_FORMAT, "output is missing");
    return FSIFT_OK;
}

static fsift_status un_infer(nn_kctx *k, un_op op) {
    fsift_status s = one_in_out(k);
    if (s) return s;
    un_param p;
    s = un_params(k, op, &p);
    if (s) return s;
    const nn_tensor *x = k->in[0];
    if (!un_dtype_ok(op, x->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                           fsift_dtype_name(x->dtype));
    nn_set_out(k, 0, x->dtype, x->rank, x->dims);
    return FSIFT_OK;
}

typedef struct un_job {
    un_op op;
    int dtype;
    int avx2; /* AVX2+FMA kernels usable */
    const void *x;
    void *y;
    un_param p;
} un_job;

static void un_range(void *arg, int64_t b, int64_t e) {
    const un_job *j = arg;
    const un_op op = j->op;
    const int64_t n = e - b;
    switch (j->dtype) {
    case FSIFT_DTYPE_FLOAT32: {
        const float *x = (const float *)j->x + b;
        float *y = (float *)j->y + b;
        if (j->avx2) {
            if (op == UN_Erf) { nn_ew_erf_avx2(x, y, n); break; }
            if (op == UN_Exp) { nn_ew_exp_avx2(x, y, n); break; }
            if (op == UN_Sigmoid) { nn_ew_sigmoid_avx2(x, y, n); break; }
            if (op == UN_Gelu && !j->p.tanh_approx) { nn_ew_gelu_avx2(x, y, n); break; }
        }
        un_f32(op, x, y, n, &j->p);
        break;
    }
    case FSIFT_DTYPE_FLOAT64: {
        const double *x = (const double *)j->x + b;
        double *y = (double *)j->y + b;
        for (int64_t i = 0; i < n; i++) y[i] = un_scalar(op, x[i], &j->p);
        break;
    }
    case FSIFT_DTYPE_FLOAT16: {
        const uint16_t *x = (const uint16_t *)j->x + b;
        uint16_t *y = (uint16_t *)j->y + b;
        for (int64_t i = 0; i < n; i++)
            y[i] = fsift_f32_to_f16((float)un_scalar(op, fsift_f16_to_f32(x[i]), &j->p));
        break;
    }
    case FSIFT_DTYPE_BOOL: not_bool((const uint8_t *)j->x + b, (uint8_t *)j->y + b, n); break;
    case FSIFT_DTYPE_INT8: int_unary_i8(op, (const int8_t *)j->x + b, (int8_t *)j->y + b, n); break;
    case FSIFT_DTYPE_INT16:
        int_unary_i16(op, (const int16_t *)j->x + b, (int16_t *)j->y + b, n);
        break;
    case FSIFT_DTYPE_INT32:
        int_unary_i32(op, (const int32_t *)j->x + b, (int32_t *)j->y + b, n);
        break;
    case FSIFT_DTYPE_INT64:
        int_unary_i64(op, (const int64_t *)j->x + b, (int64_t *)j->y + b, n);
        break;
    default: break;
    }
}

/* elements per worker below which splitting does not pay: cheap ops move memory only */
static int64_t un_grain(un_op op) {
    switch (op) {
    case UN_Relu: case UN_Abs: case UN_Neg: case UN_Reciprocal: case UN_Sqrt: case UN_Sign:
    case UN_Softsign: case UN_HardSigmoid: case UN_HardSwish: case UN_LeakyRelu:
    case UN_ThresholdedRelu: case UN_Not:
        return 32768;
    default: return 4096;
    }
}

static fsift_status un_run(nn_kctx *k, un_op op) {
    un_job j;
    fsift_status s = un_params(k, op, &j.p);
    if (s) return s;
    j.op = op;
    j.dtype = k->in[0]->dtype;
    j.avx2 = k->cpu && k->cpu->avx2_fma;
    j.x = k->in[0]->data;
    j.y = k->out[0]->data;
    nn_parallel(k, fsift_tensor_numel(k->out[0]), un_grain(op), un_range, &j);
    return FSIFT_OK;
}

#define UN_DEFINE(name)                                                                      \
    fsift_status nn_ew_infer_##name(nn_kctx *k) { return un_infer(k, UN_##name); }           \
    fsift_status nn_ew_run_##name(nn_kctx *k) { return un_run(k, UN_##name); }
NN_EW_UNARY_OPS(UN_DEFINE)

/* ---- Clip --------------------------------------------------------------------------------- */

static int clip_dtype_ok(int dt) { return nn_dtype_is_float(dt) || nn_dtype_is_int(dt); }

/* Bound i (1 = min, 2 = max) from an optional input: NULL if absent. */
static const nn_tensor *clip_bound(const nn_kctx *k, int i) {
    return k->opset >= 11 && i < k->n_in ? k->in[i] : NULL;
}

fsift_status nn_ew_infer_Clip(nn_kctx *k) {
    fsift_status s = one_in_out(k);
    if (s) return s;
    const nn_tensor *x = k->in[0];
    if (!clip_dtype_ok(x->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                           fsift_dtype_name(x->dtype));
    for (int i = 1; i <= 2; i++) {
        const nn_tensor *b = clip_bound(k, i);
        if (!b) continue;
        if (b->dtype != x->dtype)
            return nn_op_error(k, FSIFT_E_SHAPE, "bound %d has dtype %s, input has %s", i,
                               fsift_dtype_name(b->dtype), fsift_dtype_name(x->dtype));
        if (fsift_tensor_numel(b) != 1)
            return nn_op_error(k, FSIFT_E_SHAPE, "bound %d must be a scalar", i);
    }
    if (k->opset < 11 && !nn_dtype_is_float(x->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported before opset 11",
                           fsift_dtype_name(x->dtype));
    nn_set_out(k, 0, x->dtype, x->rank, x->dims);
    return FSIFT_OK;
}

typedef struct clip_job {
    int dtype;
    const void *x;
    void *y;
    double lo, hi;       /* float types */
    int64_t ilo, ihi;    /* signed integer types */
    uint64_t ulo, uhi;   /* unsigned integer types */
} clip_job;

#define CLIP_FN(sfx, T)                                                                      \
    static void clip_##sfx(const T *restrict x, T *restrict y, int64_t n, T lo, T hi) {      \
        NN_EW_LOOP(n, T t = x[i] < lo ? lo : x[i]; y[i] = t > hi ? hi : t);                  \
    }
CLIP_FN(f32, float)
CLIP_FN(f64, double)
CLIP_FN(i8, int8_t)
CLIP_FN(i16, int16_t)
CLIP_FN(i32, int32_t)
CLIP_FN(i64, int64_t)
CLIP_FN(u8, uint8_t)
CLIP_FN(u16, uint16_t)
CLIP_FN(u32, uint32_t)
CLIP_FN(u64, uint64_t)
#define CLIP_LOOP(sfx, T, LO, HI) clip_##sfx((const T *)j->x + b, (T *)j->y + b, n, (T)(LO), (T)(HI))

static void clip_range(void *arg, int64_t b, int64_t e) {
    const clip_job *j = arg;
    const int64_t n = e - b;
    switch (j->dtype) {
    case FSIFT_DTYPE_FLOAT32: CLIP_LOOP(f32, float, j->lo, j->hi); break;
    case FSIFT_DTYPE_FLOAT64: CLIP_LOOP(f64, double, j->lo, j->hi); break;
    case FSIFT_DTYPE_FLOAT16: {
        const uint16_t *x = (const uint16_t *)j->x + b;
        uint16_t *y = (uint16_t *)j->y + b;
        for (int64_t i = 0; i < n; i++) {
            float v = fsift_f16_to_f32(x[i]);
            float t = v < j->lo ? (float)j->lo : v;
            y[i] = t > j->hi ? fsift_f32_to_f16((float)j->hi) : fsift_f32_to_f16(t);
        }
        break;
    }
    case FSIFT_DTYPE_INT8: CLIP_LOOP(i8, int8_t, j->ilo, j->ihi); break;
    case FSIFT_DTYPE_INT16: CLIP_LOOP(i16, int16_t, j->ilo, j->ihi); break;
    case FSIFT_DTYPE_INT32: CLIP_LOOP(i32, int32_t, j->ilo, j->ihi); break;
    case FSIFT_DTYPE_INT64: CLIP_LOOP(i64, int64_t, j->ilo, j->ihi); break;
    case FSIFT_DTYPE_UINT8: CLIP_LOOP(u8, uint8_t, j->ulo, j->uhi); break;
    case FSIFT_DTYPE_UINT16: CLIP_LOOP(u16, uint16_t, j->ulo, j->uhi); break;
    case FSIFT_DTYPE_UINT32: CLIP_LOOP(u32, uint32_t, j->ulo, j->uhi); break;
    case FSIFT_DTYPE_UINT64: CLIP_LOOP(u64, uint64_t, j->ulo, j->uhi); break;
    default: break;
    }
}

/* The type's own extreme values as the default bounds. */
static void int_limits(int dt, int64_t *lo, int64_t *hi, uint64_t *uhi) {
    switch (dt) {
    case FSIFT_DTYPE_INT8: *lo = INT8_MIN; *hi = INT8_MAX; break;
    case FSIFT_DTYPE_INT16: *lo = INT16_MIN; *hi = INT16_MAX; break;
    case FSIFT_DTYPE_INT32: *lo = INT32_MIN; *hi = INT32_MAX; break;
    case FSIFT_DTYPE_UINT8: *uhi = UINT8_MAX; break;
    case FSIFT_DTYPE_UINT16: *uhi = UINT16_MAX; break;
    case FSIFT_DTYPE_UINT32: *uhi = UINT32_MAX; break;
    default: *lo = INT64_MIN; *hi = INT64_MAX; *uhi = UINT64_MAX; break;
    }
}

fsift_status nn_ew_run_Clip(nn_kctx *k) {
    clip_job j;
    memset(&j, 0, sizeof j);
    j.dtype = k->in[0]->dtype;
    j.x = k->in[0]->data;
    j.y = k->out[0]->data;
    if (k->opset < 11) {
        j.lo = nn_attr_float(k->node, "min", -FLT_MAX);
        j.hi = nn_attr_float(k->node, "max", FLT_MAX);
    } else {
        j.lo = -INFINITY;
        j.hi = INFINITY;
    }
    int_limits(j.dtype, &j.ilo, &j.ihi, &j.uhi);
    j.ulo = 0;
    const nn_tensor *lo = clip_bound(k, 1), *hi = clip_bound(k, 2);
    if (lo) {
        j.lo = nn_ew_load_f64(lo->data, lo->dtype, 0);
        j.ilo = nn_get_int(lo, 0);
        j.ulo = (uint64_t)nn_get_int(lo, 0);
    }
    if (hi) {
        j.hi = nn_ew_load_f64(hi->data, hi->dtype, 0);
        j.ihi = nn_get_int(hi, 0);
        j.uhi = (uint64_t)nn_get_int(hi, 0);
    }
    if (j.dtype == FSIFT_DTYPE_FLOAT32) {
        /* keep the bounds representable as float (±inf stays ±inf) */
        j.lo = (float)j.lo;
        j.hi = (float)j.hi;
    }
    nn_parallel(k, fsift_tensor_numel(k->out[0]), 32768, clip_range, &j);
    return FSIFT_OK;
}

/* ---- IsNaN, IsInf ----------------------------------------------------------------------- */

static fsift_status isx_infer(nn_kctx *k) {
    fsift_status s = one_in_out(k);
    if (s) return s;
    const nn_tensor *x = k->in[0];
    if (!nn_dtype_is_float(x->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                           fsift_dtype_name(x->dtype));
    nn_set_out(k, 0, FSIFT_DTYPE_BOOL, x->rank, x->dims);
    return FSIFT_OK;
}

/* mode 0: NaN; mode 1: infinities, with pos/neg selecting which */
static void isx_run(nn_kctx *k, int mode, int pos, int neg) {
    const nn_tensor *x = k->in[0];
    uint8_t *y = k->out[0]->data;
    int64_t n = fsift_tensor_numel(x);
    for (int64_t i = 0; i < n; i++) {
        double v = nn_ew_load_f64(x->data, x->dtype, i);
        y[i] = mode == 0 ? v != v : ((pos && v == INFINITY) || (neg && v == -INFINITY));
    }
}

fsift_status nn_ew_infer_IsNaN(nn_kctx *k) { return isx_infer(k); }
fsift_status nn_ew_run_IsNaN(nn_kctx *k) {
    isx_run(k, 0, 0, 0);
    return FSIFT_OK;
}
fsift_status nn_ew_infer_IsInf(nn_kctx *k) { return isx_infer(k); }
fsift_status nn_ew_run_IsInf(nn_kctx *k) {
    isx_run(k, 1, (int)nn_attr_int(k->node, "detect_positive", 1),
            (int)nn_attr_int(k->node, "detect_negative", 1));
    return FSIFT_OK;
}
