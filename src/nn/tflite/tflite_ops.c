/*
 * tflite_ops.c — one function per TFLite operator, mapping it onto graph IR nodes with ONNX
 * semantics plus the extension attributes of ../ops.h (the mapping table is in the top
 * comment of tflite_load.c); tl_map_op dispatches on the builtin operator code.
 * Threading: no shared state; loads may run concurrently.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tflite_internal.h"

/* ---- operators ------------------------------------------------------------------------------ */

static fsift_status op_conv2d(tl_ctx *c, opx *o) {
    fb_buf *b = &c->fb;
    TRY(tl_need_io(c, o, 2, 3, 1));
    TRY(tl_want_opts(c, o, BO_CONV2D));
    int padding = fb_i8(b, &o->opt, 0, 0);
    int32_t sw = fb_i32(b, &o->opt, 1, 0), sh = fb_i32(b, &o->opt, 2, 0);
    int act = fb_i8(b, &o->opt, 3, 0);
    int32_t dw = fb_i32(b, &o->opt, 4, 1), dh = fb_i32(b, &o->opt, 5, 1);
    FB_OK(c);
    TRY(tl_check_pos(c, "strides", sh, sw));
    TRY(tl_check_pos(c, "dilations", dh, dw));
    TRY(tl_check_act(c, act));
    tinfo xi, wi;
    TRY(tl_tensor_info(c, (uint32_t)o->in[0], &xi));
    TRY(tl_tensor_info(c, (uint32_t)o->in[1], &wi));
    if (wi.rank != 4) return tl_op_err(c, FSIFT_E_FORMAT, "filter has rank %d, expected 4", wi.rank);
    int64_t group = 1;
    if (xi.rank == 4 && xi.dims[3] > 0 && wi.dims[3] > 0 && xi.dims[3] != wi.dims[3]) {
        if (xi.dims[3] % wi.dims[3] != 0)
            return tl_op_err(c, FSIFT_E_SHAPE, "input has %lld channels, filter %lld",
                          (long long)xi.dims[3], (long long)wi.dims[3]);
        group = xi.dims[3] / wi.dims[3];
    }
    int node;
    TRY(tl_emit_simple(c, o, "Conv", &node));
    int64_t strides[2] = {sh, sw}, dil[2] = {dh, dw};
    SET(tl_set_str(c, node, "layout", "NHWC"));
    SET(nn_node_set_ints(c->g, node, "strides", strides, 2));
    SET(nn_node_set_ints(c->g, node, "dilations", dil, 2));
    if (wi.dims[1] > 0 && wi.dims[2] > 0) {
        int64_t ks[2] = {wi.dims[1], wi.dims[2]};
        SET(nn_node_set_ints(c->g, node, "kernel_shape", ks, 2));
    }
    if (group != 1) SET(nn_node_set_int(c->g, node, "group", group));
    TRY(tl_padding_attr(c, node, padding));
    return tl_set_act(c, node, act);
}

static fsift_status op_depthwise(tl_ctx *c, opx *o) {
    fb_buf *b = &c->fb;
    TRY(tl_need_io(c, o, 2, 3, 1));
    TRY(tl_want_opts(c, o, BO_DEPTHWISE));
    int padding = fb_i8(b, &o->opt, 0, 0);
    int32_t sw = fb_i32(b, &o->opt, 1, 0), sh = fb_i32(b, &o->opt, 2, 0);
    int32_t mult = fb_i32(b, &o->opt, 3, 0);
    int act = fb_i8(b, &o->opt, 4, 0);
    int32_t dw = fb_i32(b, &o->opt, 5, 1), dh = fb_i32(b, &o->opt, 6, 1);
    FB_OK(c);
    TRY(tl_check_pos(c, "strides", sh, sw));
    TRY(tl_check_pos(c, "dilations", dh, dw));
    TRY(tl_check_act(c, act));
    tinfo xi, wi;
    TRY(tl_tensor_info(c, (uint32_t)o->in[0], &xi));
    TRY(tl_tensor_info(c, (uint32_t)o->in[1], &wi));
    if (wi.rank != 4 || wi.dims[0] != 1 || wi.dims[1] <= 0 || wi.dims[2] <= 0 || wi.dims[3] <= 0)
        return tl_op_err(c, FSIFT_E_FORMAT, "filter must have static shape [1,kH,kW,C*m]");
    int64_t cm = wi.dims[3], ch;
    /* TFLite derives the multiplier from the shapes (depth_multiplier is redundant) */
    if (xi.rank == 4 && xi.dims[3] > 0)
        ch = xi.dims[3];
    else if (mult >= 1 && cm % mult == 0)
        ch = cm / mult;
    else
        return tl_op_err(c, FSIFT_E_SHAPE, "cannot tell the input channels (input shape unknown, "
                      "depth_multiplier %d, %lld output channels)", mult, (long long)cm);
    if (cm % ch != 0)
        return tl_op_err(c, FSIFT_E_SHAPE, "%lld output channels are not a multiple of %lld input "
                      "channels", (long long)cm, (long long)ch);

    int x, w, bias = -1, y;
    TRY(tl_in_val(c, o->in[0], &x));
    if (o->n_in > 2) TRY(tl_in_val(c, o->in[2], &bias));
    TRY(tl_out_val(c, o->out[0], &y));
    int64_t kh = wi.dims[1], kw = wi.dims[2];
    int64_t wdims[4] = {cm, kh, kw, 1};
    cview v;
    fsift_status st;
    if (tl_const_view(c, o->in[1], &v, &st)) {
        /* [1,kH,kW,CM] → [CM,kH,kW,1]: out[o][i][j] = in[i][j][o] */
        if (v.rank != 4 || v.dims[0] != 1 || v.dims[1] != kh || v.dims[2] != kw || v.dims[3] != cm)
            return tl_op_err(c, FSIFT_E_FORMAT, "filter data does not have the filter's declared shape");
        size_t es = fsift_dtype_size(v.dtype);
        int t1 = o->in[1];
        uint8_t *tmp = NULL;
        const uint8_t *src = v.data;
        if (c->t[t1].val >= 0 && c->t[t1].uses == 1) {
            /* a constant made at load (DEQUANTIZE) read only here: re-lay it in place */
            w = c->t[t1].val;
            tmp = (uint8_t *)malloc(v.nbytes ? v.nbytes : 1);
            if (!tmp) return tl_op_err(c, FSIFT_E_NOMEM, "out of memory");
            memcpy(tmp, v.data, v.nbytes);
            src = tmp;
            memcpy(c->g->vals[w].dims, wdims, sizeof wdims);
        } else {
            TRY(nn_graph_add_const(c->g, NULL, v.dtype, 4, wdims, NULL, v.nbytes, &w));
        }
        uint8_t *dst = (uint8_t *)c->g->vals[w].data;
        for (int64_t oc = 0; oc < cm; oc++)
            for (int64_t k = 0; k < kh * kw; k++)
                memcpy(dst + (size_t)(oc * kh * kw + k) * es, src + (size_t)(k * cm + oc) * es, es);
        free(tmp);
    } else {
        if (st != FSIFT_OK) return st;
        int wsrc, node;
        TRY(tl_in_val(c, o->in[1], &wsrc));
        TRY(tl_tmp_val(c, "dw_filter", &w));
        TRY(tl_emit(c, "Transpose", 1, &wsrc, 1, &w, &node));
        int64_t perm[4] = {3, 1, 2, 0};
        SET(nn_node_set_ints(c->g, node, "perm", perm, 4));
    }
    int in[3] = {x, w, bias}, node;
    TRY(tl_emit(c, "Conv", bias >= 0 ? 3 : 2, in, 1, &y, &node));
    int64_t strides[2] = {sh, sw}, dil[2] = {dh, dw}, ks[2] = {kh, kw};
    SET(tl_set_str(c, node, "layout", "NHWC"));
    SET(nn_node_set_ints(c->g, node, "strides", strides, 2));
    SET(nn_node_set_ints(c->g, node, "dilations", dil, 2));
    SET(nn_node_set_ints(c->g, node, "kernel_shape", ks, 2));
    SET(nn_node_set_int(c->g, node, "group", ch));
    TRY(tl_padding_attr(c, node, padding));
    return tl_set_act(c, node, act);
}

/* Shape value "dims of x except the last, then `last`": a constant when x's declared shape is
 * static, else Shape/Slice/Concat nodes. */
static fsift_status shape_with_last(tl_ctx *c, int x, const tinfo *xi, int64_t last, int *val) {
    if (!xi->dyn && !c->graph_dynamic && xi->rank >= 1) {
        int64_t d[NN_MAX_RANK];
        memcpy(d, xi->dims, sizeof d);
        d[xi->rank - 1] = last;
        return tl_const_i64(c, d, xi->rank, 1, val);
    }
    int shp, head, lastc, node, st, en, ax;
    int64_t zero = 0, minus1 = -1;
    TRY(tl_tmp_val(c, "shape", &shp));
    TRY(tl_emit(c, "Shape", 1, &x, 1, &shp, &node));
    TRY(tl_const_i64(c, &zero, 1, 1, &st));
    TRY(tl_const_i64(c, &minus1, 1, 1, &en));
    TRY(tl_const_i64(c, &zero, 1, 1, &ax));
    TRY(tl_tmp_val(c, "shape_head", &head));
    int sl[4] = {shp, st, en, ax};
    TRY(tl_emit(c, "Slice", 4, sl, 1, &head, &node));
    TRY(tl_const_i64(c, &last, 1, 1, &lastc));
    TRY(tl_tmp_val(c, "out_shape", val));
    int cc[2] = {head, lastc};
    TRY(tl_emit(c, "Concat", 2, cc, 1, val, &node));
    return nn_node_set_int(c->g, node, "axis", 0);
}

static fsift_status op_fully_connected(tl_ctx *c, opx *o) {
    fb_buf *b = &c->fb;
    TRY(tl_need_io(c, o, 2, 3, 1));
    TRY(tl_want_opts(c, o, BO_FULLY_CONNECTED));
    int act = fb_i8(b, &o->opt, 0, 0);
    int wfmt = fb_i8(b, &o->opt, 1, 0);
    int keep = fb_u8(b, &o->opt, 2, 0);
    FB_OK(c);
    TRY(tl_check_act(c, act));
    if (wfmt != 0)
        return tl_op_err(c, FSIFT_E_UNSUPPORTED, "weights_format %d (shuffled) is not supported", wfmt);
    tinfo xi, wi;
    TRY(tl_tensor_info(c, (uint32_t)o->in[0], &xi));
    TRY(tl_tensor_info(c, (uint32_t)o->in[1], &wi));
    if (wi.rank != 2 || wi.dims[0] <= 0 || wi.dims[1] <= 0)
        return tl_op_err(c, FSIFT_E_FORMAT, "weights must have a static shape [O,K]");
    int64_t nout = wi.dims[0], k = wi.dims[1];
    int x, w, bias = -1, y, node;
    TRY(tl_in_val(c, o->in[0], &x));
    TRY(tl_in_val(c, o->in[1], &w));
    if (o->n_in > 2) TRY(tl_in_val(c, o->in[2], &bias));
    TRY(tl_out_val(c, o->out[0], &y));
    int flat = x;
    if (!(xi.rank == 2 && xi.dims[1] == k)) {
        int64_t shp[2] = {-1, k};
        int sv;
        TRY(tl_const_i64(c, shp, 2, 1, &sv));
        TRY(tl_tmp_val(c, "flat", &flat));
        int in[2] = {x, sv};
        TRY(tl_emit(c, "Reshape", 2, in, 1, &flat, &node));
    }
    int reshape_back = keep && xi.rank != 2;
    int gy = y;
    if (reshape_back) TRY(tl_tmp_val(c, "gemm", &gy));
    int in[3] = {flat, w, bias};
    TRY(tl_emit(c, "Gemm", bias >= 0 ? 3 : 2, in, 1, &gy, &node));
    SET(nn_node_set_int(c->g, node, "transB", 1));
    TRY(tl_set_act(c, node, act));
    if (reshape_back) {
        if (xi.rank < 1)
            return tl_op_err(c, FSIFT_E_UNSUPPORTED, "keep_num_dims with an input of unknown rank");
        int sv;
        TRY(shape_with_last(c, x, &xi, nout, &sv));
        int rin[2] = {gy, sv};
        TRY(tl_emit(c, "Reshape", 2, rin, 1, &y, &node));
    }
    return FSIFT_OK;
}

static fsift_status op_pool(tl_ctx *c, opx *o, const char *op_type) {
    fb_buf *b = &c->fb;
    TRY(tl_need_io(c, o, 1, 1, 1));
    TRY(tl_want_opts(c, o, BO_POOL2D));
    int padding = fb_i8(b, &o->opt, 0, 0);
    int32_t sw = fb_i32(b, &o->opt, 1, 0), sh = fb_i32(b, &o->opt, 2, 0);
    int32_t fw = fb_i32(b, &o->opt, 3, 0), fh = fb_i32(b, &o->opt, 4, 0);
    int act = fb_i8(b, &o->opt, 5, 0);
    FB_OK(c);
    TRY(tl_check_pos(c, "strides", sh, sw));
    TRY(tl_check_pos(c, "filter size", fh, fw));
    TRY(tl_check_act(c, act));
    int node;
    TRY(tl_emit_simple(c, o, op_type, &node));
    int64_t ks[2] = {fh, fw}, strides[2] = {sh, sw};
    SET(tl_set_str(c, node, "layout", "NHWC"));
    SET(nn_node_set_ints(c->g, node, "kernel_shape", ks, 2));
    SET(nn_node_set_ints(c->g, node, "strides", strides, 2));
    if (!strcmp(op_type, "AveragePool")) SET(nn_node_set_int(c->g, node, "count_include_pad", 0));
    TRY(tl_padding_attr(c, node, padding));
    return tl_set_act(c, node, act);
}

static fsift_status op_binary(tl_ctx *c, opx *o, const char *op_type, int opt_type) {
    TRY(tl_need_io(c, o, 2, 2, 1));
    int act = 0;
    if (opt_type) {
        TRY(tl_want_opts(c, o, opt_type));
        act = fb_i8(&c->fb, &o->opt, 0, 0);
        FB_OK(c);
        TRY(tl_check_act(c, act));
    }
    int node;
    TRY(tl_emit_simple(c, o, op_type, &node));
    return tl_set_act(c, node, act);
}

static fsift_status op_unary(tl_ctx *c, opx *o, const char *op_type) {
    TRY(tl_need_io(c, o, 1, 1, 1));
    int node;
    return tl_emit_simple(c, o, op_type, &node);
}

static fsift_status op_clip(tl_ctx *c, opx *o, int act) {
    TRY(tl_need_io(c, o, 1, 1, 1));
    int x, y;
    TRY(tl_in_val(c, o->in[0], &x));
    TRY(tl_out_val(c, o->out[0], &y));
    return tl_emit_clamp(c, act, x, y);
}

static fsift_status op_leaky_relu(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 1, 1, 1));
    TRY(tl_want_opts(c, o, BO_LEAKY_RELU));
    float alpha = fb_f32(&c->fb, &o->opt, 0, 0.f);
    FB_OK(c);
    int node;
    TRY(tl_emit_simple(c, o, "LeakyRelu", &node));
    return nn_node_set_float(c->g, node, "alpha", alpha);
}

static fsift_status op_softmax(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 1, 1, 1));
    TRY(tl_want_opts(c, o, BO_SOFTMAX));
    float beta = fb_f32(&c->fb, &o->opt, 0, 0.f); /* schema default 0, as TFLite reads it */
    FB_OK(c);
    int node;
    TRY(tl_emit_simple(c, o, "Softmax", &node));
    SET(nn_node_set_int(c->g, node, "axis", -1));
    if (beta != 1.f) SET(nn_node_set_float(c->g, node, "beta", beta));
    return FSIFT_OK;
}

static fsift_status op_log_softmax(tl_ctx *c, opx *o) {
    int node;
    TRY(tl_need_io(c, o, 1, 1, 1));
    TRY(tl_emit_simple(c, o, "LogSoftmax", &node));
    return nn_node_set_int(c->g, node, "axis", -1);
}

static fsift_status op_l2norm(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 1, 1, 1));
    TRY(tl_want_opts(c, o, BO_L2NORM));
    int act = fb_i8(&c->fb, &o->opt, 0, 0);
    FB_OK(c);
    TRY(tl_check_act(c, act)); /* and then ignored, as the TFLite kernel does */
    int node;
    TRY(tl_emit_simple(c, o, "LpNormalization", &node));
    SET(nn_node_set_int(c->g, node, "axis", -1));
    return nn_node_set_int(c->g, node, "p", 2);
}

static fsift_status op_reshape(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 1, 2, 1));
    int64_t shp[NN_MAX_RANK];
    int n = -1, nc = 0;
    int x, y, sv = -1, node;
    if (o->n_in > 1 && o->in[1] >= 0) {
        tinfo si;
        TRY(tl_tensor_info(c, (uint32_t)o->in[1], &si));
        if (si.rank == 1) { /* else TFLite falls back to the options, as we do */
            TRY(tl_const_ints(c, o->in[1], "shape", shp, NN_MAX_RANK, &n, &nc));
            if (nc) { /* computed at run time: hand it over as int64 */
                if (si.dtype != FSIFT_DTYPE_INT32 && si.dtype != FSIFT_DTYPE_INT64)
                    return tl_op_err(c, FSIFT_E_FORMAT, "shape tensor has type %s", tl_type_name(si.type));
                int s0;
                TRY(tl_in_val(c, o->in[1], &s0));
                sv = s0;
                if (si.dtype == FSIFT_DTYPE_INT32) {
                    TRY(tl_tmp_val(c, "shape_i64", &sv));
                    TRY(tl_emit(c, "Cast", 1, &s0, 1, &sv, &node));
                    SET(nn_node_set_int(c->g, node, "to", FSIFT_DTYPE_INT64));
                }
                n = -1;
            } else if (n == 1 && shp[0] == 0) {
                n = 0; /* legacy TFLite files write [0] for a scalar */
            }
        }
    }
    if (n < 0 && sv < 0) {
        TRY(tl_want_opts(c, o, BO_RESHAPE));
        fb_vec ns;
        if (fb_vec_field(&c->fb, &o->opt, 0, 4, &ns)) {
            if (ns.len > NN_MAX_RANK) return tl_op_err(c, FSIFT_E_FORMAT, "new_shape has %u dims", ns.len);
            for (uint32_t i = 0; i < ns.len; i++) shp[i] = fb_vec_i32(&c->fb, &ns, i);
            n = (int)ns.len;
        }
        FB_OK(c);
    }
    if (n < 0 && sv < 0) { /* no shape anywhere: the output tensor's declared shape */
        tinfo yi;
        TRY(tl_tensor_info(c, (uint32_t)o->out[0], &yi));
        if (yi.dyn) return tl_op_err(c, FSIFT_E_FORMAT, "has no target shape");
        n = yi.rank;
        memcpy(shp, yi.dims, sizeof shp);
    }
    if (sv < 0) {
        int minus = 0;
        for (int i = 0; i < n; i++) {
            if (shp[i] == 0)
                return tl_op_err(c, FSIFT_E_UNSUPPORTED, "target shape has a zero-sized dimension");
            if (shp[i] < -1 || (shp[i] == -1 && minus++))
                return tl_op_err(c, FSIFT_E_FORMAT, "target shape entry %d is %lld", i, (long long)shp[i]);
        }
        /* A constant shape that spells out the batch (MobileFaceNet's [2,192]) would pin the
         * model to its declared batch; when both the reshaped tensor and the first graph
         * input declare that leading size, write -1 instead. At the declared batch the result
         * is the same; other batch sizes then run too, as inputs are resizable. */
        if (!minus && n >= 1 && shp[0] > 0 && c->g->n_inputs > 0) {
            const nn_value *gin = &c->g->vals[c->g->inputs[0]];
            tinfo xi;
            TRY(tl_tensor_info(c, (uint32_t)o->in[0], &xi));
            if (!xi.dyn && xi.rank >= 1 && xi.dims[0] == shp[0] && gin->rank >= 1 && gin->dims[0] == shp[0])
                shp[0] = -1;
        }
        TRY(tl_const_i64(c, shp, n, 1, &sv));
    }
    TRY(tl_in_val(c, o->in[0], &x));
    TRY(tl_out_val(c, o->out[0], &y));
    int in[2] = {x, sv};
    return tl_emit(c, "Reshape", 2, in, 1, &y, &node);
}

static fsift_status op_squeeze(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 1, 1, 1));
    TRY(tl_want_opts(c, o, BO_SQUEEZE));
    fb_vec dv;
    int64_t axes[NN_MAX_RANK];
    int n = 0;
    if (fb_vec_field(&c->fb, &o->opt, 0, 4, &dv)) {
        if (dv.len > NN_MAX_RANK) return tl_op_err(c, FSIFT_E_FORMAT, "%u squeeze_dims", dv.len);
        for (uint32_t i = 0; i < dv.len; i++) axes[n++] = fb_vec_i32(&c->fb, &dv, i);
    }
    FB_OK(c);
    int in[2], y, node;
    TRY(tl_in_val(c, o->in[0], &in[0]));
    TRY(tl_out_val(c, o->out[0], &y));
    if (n > 0) TRY(tl_const_i64(c, axes, n, 1, &in[1]));
    return tl_emit(c, "Squeeze", n > 0 ? 2 : 1, in, 1, &y, &node);
}

static fsift_status op_expand_dims(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 2, 2, 1));
    int64_t ax[1];
    int n;
    TRY(tl_const_ints(c, o->in[1], "axis", ax, 1, &n, NULL));
    if (n != 1) return tl_op_err(c, FSIFT_E_FORMAT, "axis has %d values, expected 1", n);
    int in[2], y, node;
    TRY(tl_in_val(c, o->in[0], &in[0]));
    TRY(tl_out_val(c, o->out[0], &y));
    TRY(tl_const_i64(c, ax, 1, 1, &in[1]));
    return tl_emit(c, "Unsqueeze", 2, in, 1, &y, &node);
}

static fsift_status op_transpose(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 2, 2, 1));
    int64_t perm[NN_MAX_RANK];
    int n;
    TRY(tl_const_ints(c, o->in[1], "perm", perm, NN_MAX_RANK, &n, NULL));
    int x, y, node;
    TRY(tl_in_val(c, o->in[0], &x));
    TRY(tl_out_val(c, o->out[0], &y));
    TRY(tl_emit(c, "Transpose", 1, &x, 1, &y, &node));
    return nn_node_set_ints(c->g, node, "perm", perm, n);
}

static fsift_status op_concat(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 1, NN_MAX_IO, 1));
    for (int i = 0; i < o->n_in; i++)
        if (o->in[i] < 0) return tl_op_err(c, FSIFT_E_FORMAT, "input %d is missing", i);
    TRY(tl_want_opts(c, o, BO_CONCATENATION));
    int32_t axis = fb_i32(&c->fb, &o->opt, 0, 0);
    int act = fb_i8(&c->fb, &o->opt, 1, 0);
    FB_OK(c);
    TRY(tl_check_act(c, act));
    int node;
    TRY(tl_emit_simple(c, o, "Concat", &node));
    SET(nn_node_set_int(c->g, node, "axis", axis));
    return tl_set_act(c, node, act);
}

static fsift_status op_pad(tl_ctx *c, opx *o, int code) {
    const char *mode = NULL;
    if (code == OPC_MIRROR_PAD) {
        TRY(tl_need_io(c, o, 2, 2, 1));
        TRY(tl_want_opts(c, o, BO_MIRROR_PAD));
        int m = fb_i8(&c->fb, &o->opt, 0, 0);
        FB_OK(c);
        if (m != 0) return tl_op_err(c, FSIFT_E_UNSUPPORTED, "SYMMETRIC mirror padding is not supported");
        mode = "reflect";
    } else {
        TRY(tl_need_io(c, o, 2, code == OPC_PADV2 ? 3 : 2, 1));
    }
    int64_t p[2 * NN_MAX_RANK], pads[2 * NN_MAX_RANK];
    int n, nc, x, y, pv, cv = -1, node;
    TRY(tl_const_ints(c, o->in[1], "paddings", p, 2 * NN_MAX_RANK, &n, &nc));
    if (!nc) {
        if (n % 2) return tl_op_err(c, FSIFT_E_FORMAT, "paddings have %d values, expected [rank,2]", n);
        int r = n / 2;
        for (int i = 0; i < r; i++) { /* TFLite [[b0,e0],[b1,e1]…] → ONNX [b0,b1…,e0,e1…] */
            if (p[2 * i] < 0 || p[2 * i + 1] < 0)
                return tl_op_err(c, FSIFT_E_FORMAT, "negative padding");
            pads[i] = p[2 * i];
            pads[r + i] = p[2 * i + 1];
        }
        TRY(tl_const_i64(c, pads, n, 1, &pv));
    } else { /* run-time paddings: Cast → Transpose → Reshape to ONNX order */
        int p0, p64, pt, m1, in2[2];
        int64_t minus1 = -1, perm[2] = {1, 0};
        TRY(tl_in_val(c, o->in[1], &p0));
        TRY(tl_tmp_val(c, "pads_i64", &p64));
        TRY(tl_emit(c, "Cast", 1, &p0, 1, &p64, &node));
        SET(nn_node_set_int(c->g, node, "to", FSIFT_DTYPE_INT64));
        TRY(tl_tmp_val(c, "pads_t", &pt));
        TRY(tl_emit(c, "Transpose", 1, &p64, 1, &pt, &node));
        SET(nn_node_set_ints(c->g, node, "perm", perm, 2));
        TRY(tl_const_i64(c, &minus1, 1, 1, &m1));
        TRY(tl_tmp_val(c, "pads", &pv));
        in2[0] = pt;
        in2[1] = m1;
        TRY(tl_emit(c, "Reshape", 2, in2, 1, &pv, &node));
    }
    if (o->n_in > 2 && o->in[2] >= 0) {
        cview v;
        fsift_status st;
        if (tl_const_view(c, o->in[2], &v, &st)) {
            if (v.numel != 1) return tl_op_err(c, FSIFT_E_FORMAT, "constant_values has %lld values", (long long)v.numel);
            TRY(nn_graph_add_const(c->g, NULL, v.dtype, 0, NULL, v.data, v.nbytes, &cv));
        } else {
            if (st != FSIFT_OK) return st;
            TRY(tl_in_val(c, o->in[2], &cv));
        }
    }
    TRY(tl_in_val(c, o->in[0], &x));
    TRY(tl_out_val(c, o->out[0], &y));
    int in[3] = {x, pv, cv};
    TRY(tl_emit(c, "Pad", cv >= 0 ? 3 : 2, in, 1, &y, &node));
    return mode ? tl_set_str(c, node, "mode", mode) : FSIFT_OK;
}

static fsift_status op_reduce(tl_ctx *c, opx *o, const char *op_type) {
    TRY(tl_need_io(c, o, 2, 2, 1));
    TRY(tl_want_opts(c, o, BO_REDUCER));
    int keep = fb_u8(&c->fb, &o->opt, 0, 0);
    FB_OK(c);
    int64_t axes[NN_MAX_RANK];
    int n, x, y, node;
    TRY(tl_const_ints(c, o->in[1], "axes", axes, NN_MAX_RANK, &n, NULL));
    TRY(tl_in_val(c, o->in[0], &x));
    TRY(tl_out_val(c, o->out[0], &y));
    if (n == 0) /* TF reduces over no axis: the identity (ONNX would reduce over all) */
        return tl_emit(c, "Identity", 1, &x, 1, &y, &node);
    if (!strcmp(op_type, "ReduceSum")) { /* opset 13: axes is an input */
        int in[2] = {x, -1};
        TRY(tl_const_i64(c, axes, n, 1, &in[1]));
        TRY(tl_emit(c, op_type, 2, in, 1, &y, &node));
    } else {
        TRY(tl_emit(c, op_type, 1, &x, 1, &y, &node));
        SET(nn_node_set_ints(c->g, node, "axes", axes, n));
    }
    return nn_node_set_int(c->g, node, "keepdims", keep ? 1 : 0);
}

static fsift_status op_resize(tl_ctx *c, opx *o, int code) {
    TRY(tl_need_io(c, o, 2, 2, 1));
    int align, half;
    if (code == OPC_RESIZE_BILINEAR) {
        TRY(tl_want_opts(c, o, BO_RESIZE_BILINEAR));
        align = fb_u8(&c->fb, &o->opt, 2, 0);
        half = fb_u8(&c->fb, &o->opt, 3, 0);
    } else {
        TRY(tl_want_opts(c, o, BO_RESIZE_NEAREST));
        align = fb_u8(&c->fb, &o->opt, 0, 0);
        half = fb_u8(&c->fb, &o->opt, 1, 0);
    }
    FB_OK(c);
    if (align && half)
        return tl_op_err(c, FSIFT_E_FORMAT, "align_corners and half_pixel_centers are both set");
    int64_t hw[2];
    int n;
    TRY(tl_const_ints(c, o->in[1], "size", hw, 2, &n, NULL));
    if (n != 2 || hw[0] <= 0 || hw[1] <= 0 || hw[0] > NN_MAX_DIM || hw[1] > NN_MAX_DIM)
        return tl_op_err(c, FSIFT_E_FORMAT, "size must be two positive values");
    tinfo xi;
    TRY(tl_tensor_info(c, (uint32_t)o->in[0], &xi));
    if (xi.rank != 4) return tl_op_err(c, FSIFT_E_FORMAT, "input has rank %d, expected 4", xi.rank);
    int x, y, sizes, node;
    TRY(tl_in_val(c, o->in[0], &x));
    TRY(tl_out_val(c, o->out[0], &y));
    if (!xi.dyn && !c->graph_dynamic) {
        int64_t s[4] = {xi.dims[0], hw[0], hw[1], xi.dims[3]};
        TRY(tl_const_i64(c, s, 4, 1, &sizes));
    } else { /* N and C from the input's run-time shape */
        int shp, nv, cv, hwv, s0, e0, s3, e3, ax;
        int64_t zero = 0, one = 1, three = 3, four = 4;
        TRY(tl_tmp_val(c, "shape", &shp));
        TRY(tl_emit(c, "Shape", 1, &x, 1, &shp, &node));
        TRY(tl_const_i64(c, &zero, 1, 1, &s0));
        TRY(tl_const_i64(c, &one, 1, 1, &e0));
        TRY(tl_const_i64(c, &three, 1, 1, &s3));
        TRY(tl_const_i64(c, &four, 1, 1, &e3));
        TRY(tl_const_i64(c, &zero, 1, 1, &ax));
        TRY(tl_tmp_val(c, "batch", &nv));
        int sl0[4] = {shp, s0, e0, ax};
        TRY(tl_emit(c, "Slice", 4, sl0, 1, &nv, &node));
        TRY(tl_tmp_val(c, "channels", &cv));
        int sl3[4] = {shp, s3, e3, ax};
        TRY(tl_emit(c, "Slice", 4, sl3, 1, &cv, &node));
        TRY(tl_const_i64(c, hw, 2, 1, &hwv));
        TRY(tl_tmp_val(c, "sizes", &sizes));
        int cc[3] = {nv, hwv, cv};
        TRY(tl_emit(c, "Concat", 3, cc, 1, &sizes, &node));
        SET(nn_node_set_int(c->g, node, "axis", 0));
    }
    int in[4] = {x, -1, -1, sizes};
    TRY(tl_emit(c, "Resize", 4, in, 1, &y, &node));
    SET(tl_set_str(c, node, "layout", "NHWC"));
    const char *ctm = align ? "align_corners" : "asymmetric";
    if (code == OPC_RESIZE_BILINEAR) {
        SET(tl_set_str(c, node, "mode", "linear"));
        if (half) ctm = "half_pixel";
    } else {
        SET(tl_set_str(c, node, "mode", "nearest"));
        if (half) ctm = "tf_half_pixel_for_nn";
        SET(tl_set_str(c, node, "nearest_mode", align ? "round_prefer_ceil" : "floor"));
    }
    return tl_set_str(c, node, "coordinate_transformation_mode", ctm);
}

/* DEQUANTIZE: constants are converted at load; run-time float16 becomes a Cast. */
static fsift_status op_dequantize(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 1, 1, 1));
    int ti = o->in[0];
    tinfo xi;
    TRY(tl_tensor_info(c, (uint32_t)ti, &xi));
    int is_const = (c->t[ti].flags & TF_CONST) ||
                   (c->t[ti].val >= 0 && c->g->vals[c->t[ti].val].kind == NN_VAL_CONST);
    if (!is_const) {
        int x, y, node;
        if (xi.dtype != FSIFT_DTYPE_FLOAT16)
            return tl_op_err(c, FSIFT_E_UNSUPPORTED, "run-time dequantization of %s is not supported "
                          "(quantized model)", tl_type_name(xi.type));
        TRY(tl_in_val(c, ti, &x));
        TRY(tl_out_val(c, o->out[0], &y));
        TRY(tl_emit(c, "Cast", 1, &x, 1, &y, &node));
        return nn_node_set_int(c->g, node, "to", FSIFT_DTYPE_FLOAT32);
    }
    /* constant: raw bytes from the file (the quantized tensor itself is never a graph value) */
    const uint8_t *src;
    int rank;
    int64_t dims[NN_MAX_RANK];
    int64_t n;
    int dtype;
    if (c->t[ti].val >= 0) {
        const nn_value *gv = &c->g->vals[c->t[ti].val];
        src = (const uint8_t *)gv->data;
        rank = gv->rank;
        memcpy(dims, gv->dims, sizeof dims);
        dtype = gv->dtype;
    } else {
        src = xi.data;
        rank = xi.rank;
        memcpy(dims, xi.dims, sizeof dims);
        dtype = xi.dtype;
    }
    n = tl_shape_numel(rank, dims);
    if (n < 0) return tl_op_err(c, FSIFT_E_FORMAT, "bad constant shape");
    int64_t nb = tl_mul_checked(n, 4);
    if (nb < 0 || (uint64_t)nb > SIZE_MAX) return tl_op_err(c, FSIFT_E_LIMIT, "constant too large");
    /* per-axis parameters */
    int64_t axis_len = 1, inner = 1;
    uint32_t nscale = xi.scale.len, nzp = xi.zero_point.len;
    if (dtype != FSIFT_DTYPE_FLOAT16 && dtype != FSIFT_DTYPE_FLOAT32) {
        if (dtype != FSIFT_DTYPE_INT8 && dtype != FSIFT_DTYPE_UINT8 && dtype != FSIFT_DTYPE_INT16)
            return tl_op_err(c, FSIFT_E_UNSUPPORTED, "dequantizing %s is not supported", tl_type_name(xi.type));
        if (nscale == 0) return tl_op_err(c, FSIFT_E_FORMAT, "quantized constant has no scale");
        if (nscale > 1) {
            if (xi.qdim < 0 || xi.qdim >= rank || dims[xi.qdim] != (int64_t)nscale)
                return tl_op_err(c, FSIFT_E_FORMAT, "%u scales do not match quantized_dimension %d",
                              nscale, xi.qdim);
            axis_len = nscale;
            for (int i = xi.qdim + 1; i < rank; i++) inner *= dims[i];
        }
        if (nzp != 0 && nzp != 1 && nzp != nscale)
            return tl_op_err(c, FSIFT_E_FORMAT, "%u zero points for %u scales", nzp, nscale);
    }
    int y;
    tinfo yi;
    TRY(tl_tensor_info(c, (uint32_t)o->out[0], &yi));
    if (c->t[o->out[0]].flags & (TF_DEFINED | TF_CONST))
        return tl_op_err(c, FSIFT_E_FORMAT, "writes tensor %d, which is already defined", o->out[0]);
    char name[TL_NAME_MAX + 128];
    TRY(tl_unique_name(c, yi.name, yi.name_len, NULL, o->out[0], name, sizeof name));
    TRY(nn_graph_add_const(c->g, name, FSIFT_DTYPE_FLOAT32, rank, dims, NULL, (size_t)nb, &y));
    float *dst = (float *)c->g->vals[y].data;
    if (dtype == FSIFT_DTYPE_FLOAT16) {
        for (int64_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            dst[i] = fsift_f16_to_f32(h);
        }
    } else if (dtype == FSIFT_DTYPE_FLOAT32) {
        memcpy(dst, src, (size_t)nb);
    } else {
        for (int64_t i = 0; i < n; i++) {
            uint32_t a = nscale > 1 ? (uint32_t)((i / inner) % axis_len) : 0;
            double scale = fb_vec_f32(&c->fb, &xi.scale, a);
            double zp = nzp == 0 ? 0 : (double)fb_vec_i64(&c->fb, &xi.zero_point, nzp == 1 ? 0 : a);
            double q;
            if (dtype == FSIFT_DTYPE_INT8) {
                q = (int8_t)src[i];
            } else if (dtype == FSIFT_DTYPE_UINT8) {
                q = src[i];
            } else {
                int16_t v;
                memcpy(&v, src + 2 * i, 2);
                q = v;
            }
            dst[i] = (float)(scale * (q - zp));
        }
        FB_OK(c);
    }
    c->t[o->out[0]].val = y;
    c->t[o->out[0]].flags |= TF_DEFINED;
    return FSIFT_OK;
}

static fsift_status op_cast(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 1, 1, 1));
    tinfo yi;
    TRY(tl_tensor_info(c, (uint32_t)o->out[0], &yi));
    if (!yi.dtype)
        return tl_op_err(c, FSIFT_E_UNSUPPORTED, "cast to %s is not supported", tl_type_name(yi.type));
    int node;
    TRY(tl_emit_simple(c, o, "Cast", &node));
    return nn_node_set_int(c->g, node, "to", yi.dtype);
}

static fsift_status op_gather(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 2, 2, 1));
    TRY(tl_want_opts(c, o, BO_GATHER));
    int32_t axis = fb_i32(&c->fb, &o->opt, 0, 0), bd = fb_i32(&c->fb, &o->opt, 1, 0);
    FB_OK(c);
    if (bd != 0) return tl_op_err(c, FSIFT_E_UNSUPPORTED, "batch_dims %d is not supported", bd);
    int node;
    TRY(tl_emit_simple(c, o, "Gather", &node));
    return nn_node_set_int(c->g, node, "axis", axis);
}

static fsift_status op_slice(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 3, 3, 1));
    int64_t begin[NN_MAX_RANK], size[NN_MAX_RANK], end[NN_MAX_RANK], axes[NN_MAX_RANK];
    int nb, ns;
    TRY(tl_const_ints(c, o->in[1], "begin", begin, NN_MAX_RANK, &nb, NULL));
    TRY(tl_const_ints(c, o->in[2], "size", size, NN_MAX_RANK, &ns, NULL));
    if (nb != ns) return tl_op_err(c, FSIFT_E_FORMAT, "begin has %d values, size %d", nb, ns);
    for (int i = 0; i < nb; i++) {
        if (begin[i] < 0 || size[i] < -1 || begin[i] > NN_MAX_DIM || size[i] > NN_MAX_DIM)
            return tl_op_err(c, FSIFT_E_FORMAT, "bad begin/size on axis %d", i);
        end[i] = size[i] == -1 ? INT64_MAX : begin[i] + size[i];
        axes[i] = i;
    }
    int in[4], y, node;
    TRY(tl_in_val(c, o->in[0], &in[0]));
    TRY(tl_out_val(c, o->out[0], &y));
    TRY(tl_const_i64(c, begin, nb, 1, &in[1]));
    TRY(tl_const_i64(c, end, nb, 1, &in[2]));
    TRY(tl_const_i64(c, axes, nb, 1, &in[3]));
    return tl_emit(c, "Slice", 4, in, 1, &y, &node);
}

static fsift_status op_batch_matmul(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 2, 2, 1));
    TRY(tl_want_opts(c, o, BO_BATCH_MATMUL));
    int ax = fb_u8(&c->fb, &o->opt, 0, 0), ay = fb_u8(&c->fb, &o->opt, 1, 0);
    FB_OK(c);
    if (ax || ay) return tl_op_err(c, FSIFT_E_UNSUPPORTED, "adj_x/adj_y are not supported");
    int node;
    return tl_emit_simple(c, o, "MatMul", &node);
}

/* Two-node mappings: y = f(g(x)) or x∘x. */
static fsift_status op_rsqrt(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 1, 1, 1));
    int x, t, y, node;
    TRY(tl_in_val(c, o->in[0], &x));
    TRY(tl_out_val(c, o->out[0], &y));
    TRY(tl_tmp_val(c, "sqrt", &t));
    TRY(tl_emit(c, "Sqrt", 1, &x, 1, &t, &node));
    return tl_emit(c, "Reciprocal", 1, &t, 1, &y, &node);
}

static fsift_status op_square(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 1, 1, 1));
    int in[2], y, node;
    TRY(tl_in_val(c, o->in[0], &in[0]));
    in[1] = in[0];
    TRY(tl_out_val(c, o->out[0], &y));
    return tl_emit(c, "Mul", 2, in, 1, &y, &node);
}

static fsift_status op_squared_difference(tl_ctx *c, opx *o) {
    TRY(tl_need_io(c, o, 2, 2, 1));
    int in[2], d, y, node;
    TRY(tl_in_val(c, o->in[0], &in[0]));
    TRY(tl_in_val(c, o->in[1], &in[1]));
    TRY(tl_out_val(c, o->out[0], &y));
    TRY(tl_tmp_val(c, "diff", &d));
    TRY(tl_emit(c, "Sub", 2, in, 1, &d, &node));
    int m[2] = {d, d};
    return tl_emit(c, "Mul", 2, m, 1, &y, &node);
}

static fsift_status op_elu(tl_ctx *c, opx *o) {
    int node;
    TRY(tl_need_io(c, o, 1, 1, 1));
    TRY(tl_emit_simple(c, o, "Elu", &node));
    return nn_node_set_float(c->g, node, "alpha", 1.f);
}

fsift_status tl_map_op(tl_ctx *c, opx *o) {
    switch (o->code) {
    case OPC_CONV_2D: return op_conv2d(c, o);
    case OPC_DEPTHWISE_CONV_2D: return op_depthwise(c, o);
    case OPC_FULLY_CONNECTED: return op_fully_connected(c, o);
    case OPC_MAX_POOL_2D: return op_pool(c, o, "MaxPool");
    case OPC_AVERAGE_POOL_2D: return op_pool(c, o, "AveragePool");
    case OPC_ADD: return op_binary(c, o, "Add", BO_ADD);
    case OPC_SUB: return op_binary(c, o, "Sub", BO_SUB);
    case OPC_MUL: return op_binary(c, o, "Mul", BO_MUL);
    case OPC_DIV: return op_binary(c, o, "Div", BO_DIV);
    case OPC_MAXIMUM: return op_binary(c, o, "Max", 0);
    case OPC_MINIMUM: return op_binary(c, o, "Min", 0);
    case OPC_POW: return op_binary(c, o, "Pow", 0);
    case OPC_PRELU: return op_binary(c, o, "PRelu", 0);
    case OPC_SQUARED_DIFFERENCE: return op_squared_difference(c, o);
    case OPC_NEG: return op_unary(c, o, "Neg");
    case OPC_ABS: return op_unary(c, o, "Abs");
    case OPC_RELU: return op_unary(c, o, "Relu");
    case OPC_RELU6: return op_clip(c, o, 3);
    case OPC_RELU_N1_TO_1: return op_clip(c, o, 2);
    case OPC_TANH: return op_unary(c, o, "Tanh");
    case OPC_LOGISTIC: return op_unary(c, o, "Sigmoid");
    case OPC_EXP: return op_unary(c, o, "Exp");
    case OPC_LOG: return op_unary(c, o, "Log");
    case OPC_SQRT: return op_unary(c, o, "Sqrt");
    case OPC_RSQRT: return op_rsqrt(c, o);
    case OPC_SQUARE: return op_square(c, o);
    case OPC_FLOOR: return op_unary(c, o, "Floor");
    case OPC_CEIL: return op_unary(c, o, "Ceil");
    case OPC_ROUND: return op_unary(c, o, "Round");
    case OPC_SIN: return op_unary(c, o, "Sin");
    case OPC_COS: return op_unary(c, o, "Cos");
    case OPC_ELU: return op_elu(c, o);
    case OPC_HARD_SWISH: return op_unary(c, o, "HardSwish");
    case OPC_LEAKY_RELU: return op_leaky_relu(c, o);
    case OPC_SOFTMAX: return op_softmax(c, o);
    case OPC_LOG_SOFTMAX: return op_log_softmax(c, o);
    case OPC_L2_NORMALIZATION: return op_l2norm(c, o);
    case OPC_RESHAPE: return op_reshape(c, o);
    case OPC_SQUEEZE: return op_squeeze(c, o);
    case OPC_EXPAND_DIMS: return op_expand_dims(c, o);
    case OPC_TRANSPOSE: return op_transpose(c, o);
    case OPC_CONCATENATION: return op_concat(c, o);
    case OPC_PAD:
    case OPC_PADV2:
    case OPC_MIRROR_PAD: return op_pad(c, o, o->code);
    case OPC_MEAN: return op_reduce(c, o, "ReduceMean");
    case OPC_SUM: return op_reduce(c, o, "ReduceSum");
    case OPC_REDUCE_MAX: return op_reduce(c, o, "ReduceMax");
    case OPC_REDUCE_MIN: return op_reduce(c, o, "ReduceMin");
    case OPC_REDUCE_PROD: return op_reduce(c, o, "ReduceProd");
    case OPC_RESIZE_BILINEAR:
    case OPC_RESIZE_NEAREST_NEIGHBOR: return op_resize(c, o, o->code);
    case OPC_DEQUANTIZE: return op_dequantize(c, o);
    case OPC_CAST: return op_cast(c, o);
    case OPC_GATHER: return op_gather(c, o);
    case OPC_SLICE: return op_slice(c, o);
    case OPC_BATCH_MATMUL: return op_batch_matmul(c, o);
    default:
        return fsift_error(FSIFT_E_UNSUPPORTED, "tflite: operator %d is %s (%d), which is not supported",
                           c->op_index, c->op_name, o->code);
    }
}
