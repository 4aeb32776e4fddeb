/*
 * elementwise_cast.c — dtype conversion and the copy-like operators: Cast, CastLike,
 * Identity, Dropout (inference).
 *
 * nn_ew_convert implements ONNX Cast between float32, float16, float64, bool and the signed
 * and unsigned 8/16/32/64-bit integers. Conversions follow NumPy's astype where that is
 * defined: integer to integer wraps, anything to bool is "!= 0", float to integer truncates
 * toward zero. Where NumPy is undefined (a float out of the integer's range, NaN) we
 * saturate to the type's limits and map NaN to 0, so that the result is deterministic and
 * free of undefined behaviour. float16 rounds to nearest even. The common pairs have
 * dedicated loops; the rest go element by element through int64/uint64/double.
 *
 * Dropout is the identity at inference; its optional mask output is all true. Training mode
 * with a non-zero ratio (random masks) is not supported.
 *
 * Threading: reentrant; conversions are split across the pool by element ranges.
 */
#include <string.h>

#include "elementwise.h"

static int cast_dtype_ok(int dt) {
    return dt != FSIFT_DTYPE_STRING && fsift_dtype_size(dt) != 0;
}

/* Stores a signed integer value: wraps into narrower integers. */
static void store_i64(void *p, int dt, int64_t i, int64_t v) {
    switch (dt) {
    case FSIFT_DTYPE_FLOAT32: ((float *)p)[i] = (float)v; break;
    case FSIFT_DTYPE_FLOAT64: ((double *)p)[i] = (double)v; break;
    case FSIFT_DTYPE_FLOAT16: ((uint16_t *)p)[i] = fsift_f32_to_f16((float)v); break;
    case FSIFT_DTYPE_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case FSIFT_DTYPE_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    case FSIFT_DTYPE_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case FSIFT_DTYPE_INT64: ((int64_t *)p)[i] = v; break;
    case FSIFT_DTYPE_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case FSIFT_DTYPE_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case FSIFT_DTYPE_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    case FSIFT_DTYPE_UINT64: ((uint64_t *)p)[i] = (uint64_t)v; break;
    case FSIFT_DTYPE_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    default: break;
    }
}

/* uint64 sources: only the float conversions differ from the int64 path */
static void store_u64(void *p, int dt, int64_t i, uint64_t v) {
    switch (dt) {
    case FSIFT_DTYPE_FLOAT32: ((float *)p)[i] = (float)v; break;
    case FSIFT_DTYPE_FLOAT64: ((double *)p)[i] = (double)v; break;
    case FSIFT_DTYPE_FLOAT16: ((uint16_t *)p)[i] = fsift_f32_to_f16((float)v); break;
    default: store_i64(p, dt, i, (int64_t)v); break;
    }
}

#define CONV_FN(name, TS, TD, EXPR)                                                          \
    static void name(const TS *restrict s, TD *restrict d, int64_t n) {                      \
        NN_EW_LOOP(n, TS v = s[i]; d[i] = (TD)(EXPR));                                       \
    }
CONV_FN(conv_f32_f64, float, double, v)
CONV_FN(conv_f64_f32, double, float, v)
CONV_FN(conv_i64_f32, int64_t, float, v)
CONV_FN(conv_i32_f32, int32_t, float, v)
CONV_FN(conv_u8_f32, uint8_t, float, v)
CONV_FN(conv_b_f32, uint8_t, float, v != 0)
CONV_FN(conv_f32_b, float, uint8_t, v != 0)
CONV_FN(conv_i64_i32, int64_t, int32_t, v)
CONV_FN(conv_i32_i64, int32_t, int64_t, v)
#define CONV_LOOP(fn) (fn(src, dst, n), 1)

#define PAIR(a, b) ((a) * 32 + (b))

int nn_ew_convert(const void *src, int sdt, void *dst, int ddt, int64_t n) {
    if (!cast_dtype_ok(sdt) || !cast_dtype_ok(ddt)) return 0;
    if (n <= 0) return 1;
    if (sdt == ddt) {
        memcpy(dst, src, (size_t)n * fsift_dtype_size(sdt));
        return 1;
    }
    switch (PAIR(sdt, ddt)) {
    case PAIR(FSIFT_DTYPE_FLOAT32, FSIFT_DTYPE_FLOAT64): return CONV_LOOP(conv_f32_f64);
    case PAIR(FSIFT_DTYPE_FLOAT64, FSIFT_DTYPE_FLOAT32): return CONV_LOOP(conv_f64_f32);
    case PAIR(FSIFT_DTYPE_INT64, FSIFT_DTYPE_FLOAT32): return CONV_LOOP(conv_i64_f32);
    case PAIR(FSIFT_DTYPE_INT32, FSIFT_DTYPE_FLOAT32): return CONV_LOOP(conv_i32_f32);
    case PAIR(FSIFT_DTYPE_UINT8, FSIFT_DTYPE_FLOAT32): return CONV_LOOP(conv_u8_f32);
    case PAIR(FSIFT_DTYPE_BOOL, FSIFT_DTYPE_FLOAT32): return CONV_LOOP(conv_b_f32);
    case PAIR(FSIFT_DTYPE_FLOAT32, FSIFT_DTYPE_BOOL): return CONV_LOOP(conv_f32_b);
    case PAIR(FSIFT_DTYPE_INT64, FSIFT_DTYPE_INT32): return CONV_LOOP(conv_i64_i32);
    case PAIR(FSIFT_DTYPE_INT32, FSIFT_DTYPE_INT64): return CONV_LOOP(conv_i32_i64);
    case PAIR(FSIFT_DTYPE_FLOAT16, FSIFT_DTYPE_FLOAT32): {
        const uint16_t *s = src;
        float *d = dst;
        for (int64_t i = 0; i < n; i++) d[i] = fsift_f16_to_f32(s[i]);
        return 1;
    }
    case PAIR(FSIFT_DTYPE_FLOAT32, FSIFT_DTYPE_FLOAT16): {
        const float *s = src;
        uint16_t *d = dst;
        for (int64_t i = 0; i < n; i++) d[i] = fsift_f32_to_f16(s[i]);
        return 1;
    }
    default: break;
    }
    if (nn_dtype_is_float(sdt)) {
        for (int64_t i = 0; i < n; i++) nn_ew_store_f64(dst, ddt, i, nn_ew_load_f64(src, sdt, i));
    } else if (sdt == FSIFT_DTYPE_UINT64) {
        const uint64_t *s = src;
        for (int64_t i = 0; i < n; i++) store_u64(dst, ddt, i, s[i]);
    } else {
        nn_tensor t = {sdt, 1, {n}, (void *)src};
        for (int64_t i = 0; i < n; i++) store_i64(dst, ddt, i, nn_get_int(&t, i));
    }
    return 1;
}

/* ---- Cast, CastLike ---------------------------------------------------------------------- */

static fsift_status cast_check(nn_kctx *k, int to) {
    if (k->n_in < 1 || !k->in[0]) return nn_op_error(k, FSIFT_E_FORMAT, "input is missing");
    if (k->n_out < 1 || !k->out[0]) return nn_op_error(k, FSIFT_E_FORMAT, "output is missing");
    const nn_tensor *x = k->in[0];
    if (!cast_dtype_ok(x->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "cast from dtype %s (%d) not supported",
                           fsift_dtype_name(x->dtype), x->dtype);
    if (!cast_dtype_ok(to))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "cast to dtype %s (%d) not supported",
                           fsift_dtype_name(to), to);
    nn_set_out(k, 0, to, x->rank, x->dims);
    return FSIFT_OK;
}

typedef struct cast_job {
    const char *src;
    char *dst;
    int sdt, ddt;
} cast_job;

static void cast_range(void *arg, int64_t b, int64_t e) {
    const cast_job *j = arg;
    nn_ew_convert(j->src + (size_t)b * fsift_dtype_size(j->sdt), j->sdt,
                  j->dst + (size_t)b * fsift_dtype_size(j->ddt), j->ddt, e - b);
}

static fsift_status cast_run(nn_kctx *k) {
    cast_job j = {k->in[0]->data, k->out[0]->data, k->in[0]->dtype, k->out[0]->dtype};
    nn_parallel(k, fsift_tensor_numel(k->in[0]), 32768, cast_range, &j);
    return FSIFT_OK;
}

fsift_status nn_ew_infer_Cast(nn_kctx *k) {
    const nn_attr *a = nn_attr_find(k->node, "to");
    if (!a || a->type != NN_ATTR_INT)
        return nn_op_error(k, FSIFT_E_FORMAT, "integer attribute 'to' is required");
    if (a->i <= 0 || a->i > 64)
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "cast to dtype code %lld not supported",
                           (long long)a->i);
    return cast_check(k, (int)a->i);
}
fsift_status nn_ew_run_Cast(nn_kctx *k) { return cast_run(k); }

fsift_status nn_ew_infer_CastLike(nn_kctx *k) {
    if (k->n_in < 2 || !k->in[1]) return nn_op_error(k, FSIFT_E_FORMAT, "target_type input is missing");
    return cast_check(k, k->in[1]->dtype);
}
fsift_status nn_ew_run_CastLike(nn_kctx *k) { return cast_run(k); }

/* ---- Identity, Dropout -------------------------------------------------------------------- */

static fsift_status copy_infer(nn_kctx *k) {
    if (k->n_in < 1 || !k->in[0]) return nn_op_error(k, FSIFT_E_FORMAT, "input is missing");
    if (k->n_out < 1 || !k->out[0]) return nn_op_error(k, FSIFT_E_FORMAT, "output is missing");
    const nn_tensor *x = k->in[0];
    if (!fsift_dtype_size(x->dtype))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "dtype %s not supported",
                           fsift_dtype_name(x->dtype));
    nn_set_out(k, 0, x->dtype, x->rank, x->dims);
    return FSIFT_OK;
}

static void copy_run(nn_kctx *k) {
    const nn_tensor *x = k->in[0];
    int64_t n = fsift_tensor_numel(x);
    if (n > 0 && k->out[0]->data != x->data)
        memcpy(k->out[0]->data, x->data, (size_t)n * fsift_dtype_size(x->dtype));
}

fsift_status nn_ew_infer_Identity(nn_kctx *k) { return copy_infer(k); }
fsift_status nn_ew_run_Identity(nn_kctx *k) {
    copy_run(k);
    return FSIFT_OK;
}

/* Dropout(data, ratio?, training_mode?) -> (output, mask?) */
static int dropout_active(const nn_kctx *k, int *known) {
    const nn_tensor *tm = k->n_in > 2 ? k->in[2] : NULL;
    const nn_tensor *ratio = k->n_in > 1 ? k->in[1] : NULL;
    *known = 1;
    if (!tm) return 0;
    if (!tm->data) {
        *known = 0;
        return 0;
    }
    if (!nn_get_int(tm, 0)) return 0;
    if (!ratio) return 1; /* default ratio 0.5 */
    if (!ratio->data) {
        *known = 0;
        return 0;
    }
    return nn_ew_load_f64(ratio->data, ratio->dtype, 0) != 0;
}

fsift_status nn_ew_infer_Dropout(nn_kctx *k) {
    fsift_status s = copy_infer(k);
    if (s) return s;
    const nn_tensor *tm = k->n_in > 2 ? k->in[2] : NULL;
    if (tm && (fsift_tensor_numel(tm) != 1 || tm->dtype != FSIFT_DTYPE_BOOL))
        return nn_op_error(k, FSIFT_E_SHAPE, "training_mode must be a bool scalar");
    const nn_tensor *ratio = k->n_in > 1 ? k->in[1] : NULL;
    if (ratio && (fsift_tensor_numel(ratio) != 1 || !nn_dtype_is_float(ratio->dtype)))
        return nn_op_error(k, FSIFT_E_SHAPE, "ratio must be a float scalar");
    int known;
    if (dropout_active(k, &known))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "training mode (random dropout) not supported");
    if (k->n_out > 1 && k->out[1]) {
        const nn_tensor *x = k->in[0];
        nn_set_out(k, 1, k->opset >= 10 ? FSIFT_DTYPE_BOOL : x->dtype, x->rank, x->dims);
    }
    return FSIFT_OK;
}

fsift_status nn_ew_run_Dropout(nn_kctx *k) {
    int known;
    if (dropout_active(k, &known))
        return nn_op_error(k, FSIFT_E_UNSUPPORTED, "training mode (random dropout) not supported");
    copy_run(k);
    if (k->n_out > 1 && k->out[1]) {
        nn_tensor *m = k->out[1];
        int64_t n = fsift_tensor_numel(m);
        if (m->dtype == FSIFT_DTYPE_BOOL) {
            if (n > 0) memset(m->data, 1, (size_t)n);
        } else {
            for (int64_t i = 0; i < n; i++) nn_ew_store_f64(m->data, m->dtype, i, 1.0);
        }
    }
    return FSIFT_OK;
}
