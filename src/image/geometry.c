/*
 * geometry.c — face alignment: the least-squares similarity transform between point sets
 * (Umeyama 1991, with skimage's SimilarityTransform.estimate conventions), the bilinear
 * affine warp of cv2.warpAffine, and insightface's norm_crop built from the two.
 *
 * Similarity: with the demeaned points and A = (1/n) Σ dst_i src_iᵀ (2×2), Umeyama's rotation
 * is U·diag(1, d)·Vᵀ where d = sign(det A), and the scale is (σ1 + d·σ2) / var(src). In 2-D
 * this has a closed form: the best proper rotation is the angle of (A00 + A11, A10 − A01), and
 * σ1 + d·σ2 = |(A00 + A11, A10 − A01)| (since (σ1 ± σ2)² = ‖A‖² ± 2|det A|). Like skimage,
 * the rotation is always proper (a reflected point set gives the best rotation, not a mirror).
 * A = 0 (all destination points equal) or var(src) = 0 (all source points equal) has no
 * transform and is an error.
 *
 * Warp: as OpenCV, M is inverted (determinant 0 → zero matrix) and each destination pixel's
 * source position is computed in fixed point: per-row and per-column terms rounded (half to
 * even) to 1/1024 pixel, summed, rounded to 1/32 pixel (INTER_BITS = 5). The four taps get
 * the weights (32 − fx)(32 − fy)·32 … whose sum is 2^15 exactly, and the result is
 * (Σ w·p + 2^14) >> 15. Taps outside the source read 0 (BORDER_CONSTANT), so border pixels
 * mix with black. The output equals cv2.warpAffine's.
 *
 * No global state; thread-safe.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/image.h"

fsift_status fsift_similarity_estimate(const double (*src)[2], const double (*dst)[2], int n,
                                       double M[2][3]) {
    if (!src || !dst || !M) return fsift_error(FSIFT_E_INVALID_ARG, "similarity: NULL argument");
    if (n < 2) return fsift_error(FSIFT_E_INVALID_ARG, "similarity: need at least 2 point pairs, got %d", n);
    double sm[2] = {0, 0}, dm[2] = {0, 0};
    for (int i = 0; i < n; i++) {
        if (!isfinite(src[i][0]) || !isfinite(src[i][1]) || !isfinite(dst[i][0]) || !isfinite(dst[i][1]))
            return fsift_error(FSIFT_E_INVALID_ARG, "similarity: point %d is not finite", i);
        sm[0] += src[i][0];
        sm[1] += src[i][1];
        dm[0] += dst[i][0];
        dm[1] += dst[i][1];
    }
    sm[0] /= n;
    sm[1] /= n;
    dm[0] /= n;
    dm[1] /= n;
    double A[2][2] = {{0, 0}, {0, 0}}, var = 0.0;
    for (int i = 0; i < n; i++) {
        double sx = src[i][0] - sm[0], sy = src[i][1] - sm[1];
        double dx = dst[i][0] - dm[0], dy = dst[i][1] - dm[1];
        A[0][0] += dx * sx;
        A[0][1] += dx * sy;
        A[1][0] += dy * sx;
        A[1][1] += dy * sy;
        var += sx * sx + sy * sy;
    }
    A[0][0] /= n;
    A[0][1] /= n;
    A[1][0] /= n;
    A[1][1] /= n;
    var /= n;
    double p = A[0][0] + A[1][1], q = A[1][0] - A[0][1];
    double r = hypot(p, q);
    if (!(var > 0.0)) return fsift_error(FSIFT_E_INVALID_ARG, "similarity: all source points are equal");
    if (!(r > 0.0))
        return fsift_error(FSIFT_E_INVALID_ARG, "similarity: the points do not determine a rotation (all destination points equal)");
    double c = p / r, s = q / r, scale = r / var;
    double a = scale * c, b = scale * s;
    M[0][0] = a;
    M[0][1] = -b;
    M[1][0] = b;
    M[1][1] = a;
    M[0][2] = dm[0] - (a * sm[0] - b * sm[1]);
    M[1][2] = dm[1] - (b * sm[0] + a * sm[1]);
    if (!isfinite(a) || !isfinite(b) || !isfinite(M[0][2]) || !isfinite(M[1][2]))
        return fsift_error(FSIFT_E_INVALID_ARG, "similarity: degenerate point sets");
    return FSIFT_OK;
}

/* saturate_cast<int>(double): round half to even, clipped to the int range. */
static int64_t round_sat(double v) {
    if (!(v == v)) return 0;
    if (v >= 2147483647.0) return 2147483647;
    if (v <= -2147483648.0) return -2147483648LL;
    return (int64_t)nearbyint(v);
}

/* floor(v / 2^k) for possibly negative v */
static inline int64_t shr_floor(int64_t v, int k) {
    return v >= 0 ? v >> k : -((-v + ((int64_t)1 << k) - 1) >> k);
}

#define WA_AB_BITS 10
#define WA_INTER_BITS 5

fsift_status fsift_warp_affine(const fsift_image *src, const double M[2][3], int width,
                               int height, fsift_image *out) {
    if (!out) return fsift_error(FSIFT_E_INVALID_ARG, "warp: out is NULL");
    memset(out, 0, sizeof *out);
    if (!src || !src->data || src->width <= 0 || src->height <= 0 ||
        (src->channels != 1 && src->channels != 3) ||
        src->stride < (size_t)src->width * (size_t)src->channels || !M)
        return fsift_error(FSIFT_E_INVALID_ARG, "warp: invalid source image or matrix");
    for (int i = 0; i < 6; i++)
        if (!isfinite(M[i / 3][i % 3])) return fsift_error(FSIFT_E_INVALID_ARG, "warp: matrix is not finite");
    fsift_status st = fsift_image_new(width, height, src->channels, out);
    if (st) return st;

    /* inverse of M (OpenCV's invertAffineTransform) */
    double D = M[0][0] * M[1][1] - M[0][1] * M[1][0];
    D = D != 0.0 ? 1.0 / D : 0.0;
    double A11 = M[1][1] * D, A22 = M[0][0] * D, A12 = -M[0][1] * D, A21 = -M[1][0] * D;
    double B1 = -A11 * M[0][2] - A12 * M[1][2];
    double B2 = -A21 * M[0][2] - A22 * M[1][2];

    const double ab_scale = (double)(1 << WA_AB_BITS);
    const int64_t round_delta = (1 << WA_AB_BITS) / (1 << WA_INTER_BITS) / 2;
    const int ch = src->channels, sw = src->width, sh = src->height;
    /* per-column terms, rounded once (as OpenCV's adelta/bdelta) */
    int64_t *adelta = malloc((size_t)width * 2 * sizeof(int64_t));
    if (!adelta) {
        fsift_image_free(out);
        return fsift_error(FSIFT_E_NOMEM, "warp: out of memory");
    }
    int64_t *bdelta = adelta + width;
    for (int x = 0; x < width; x++) {
        adelta[x] = round_sat(A11 * x * ab_scale);
        bdelta[x] = round_sat(A21 * x * ab_scale);
    }
    for (int y = 0; y < height; y++) {
        int64_t X0 = round_sat((A12 * y + B1) * ab_scale) + round_delta;
        int64_t Y0 = round_sat((A22 * y + B2) * ab_scale) + round_delta;
        uint8_t *d = out->data + (size_t)y * out->stride;
        for (int x = 0; x < width; x++, d += ch) {
            int64_t X = shr_floor(X0 + adelta[x], WA_AB_BITS - WA_INTER_BITS);
            int64_t Y = shr_floor(Y0 + bdelta[x], WA_AB_BITS - WA_INTER_BITS);
            int64_t sx = shr_floor(X, WA_INTER_BITS), sy = shr_floor(Y, WA_INTER_BITS);
            int fx = (int)(X & 31), fy = (int)(Y & 31);
            if (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0) continue; /* stays 0 */
            int w00 = (32 - fx) * (32 - fy) * 32, w01 = fx * (32 - fy) * 32;
            int w10 = (32 - fx) * fy * 32, w11 = fx * fy * 32;
            int in_x0 = sx >= 0, in_x1 = sx + 1 < sw, in_y0 = sy >= 0, in_y1 = sy + 1 < sh;
            const uint8_t *r0 = in_y0 ? src->data + (size_t)sy * src->stride : NULL;
            const uint8_t *r1 = in_y1 ? src->data + (size_t)(sy + 1) * src->stride : NULL;
            for (int c = 0; c < ch; c++) {
                int v = 1 << 14;
                if (r0 && in_x0) v += w00 * r0[sx * ch + c];
                if (r0 && in_x1) v += w01 * r0[(sx + 1) * ch + c];
                if (r1 && in_x0) v += w10 * r1[sx * ch + c];
                if (r1 && in_x1) v += w11 * r1[(sx + 1) * ch + c];
                d[c] = (uint8_t)(v >> 15);
            }
        }
    }
    free(adelta);
    return FSIFT_OK;
}

fsift_status fsift_norm_crop(const fsift_image *src, const float kps[5][2], int size,
                             fsift_image *out, double M[2][3]) {
    /* ArcFace template for 112×112, float32 as insightface keeps it */
    static const float tmpl[5][2] = {{38.2946f, 51.6963f}, {73.5318f, 51.5014f},
                                     {56.0252f, 71.7366f}, {41.5493f, 92.3655f},
                                     {70.7299f, 92.2041f}};
    if (!out) return fsift_error(FSIFT_E_INVALID_ARG, "norm_crop: out is NULL");
    memset(out, 0, sizeof *out);
    if (!kps) return fsift_error(FSIFT_E_INVALID_ARG, "norm_crop: kps is NULL");
    if (size <= 0 || size > 4096) return fsift_error(FSIFT_E_INVALID_ARG, "norm_crop: size %d out of range", size);
    float ratio, diff_x;
    if (size % 112 == 0) {
        ratio = (float)((double)size / 112.0);
        diff_x = 0.0f;
    } else {
        ratio = (float)((double)size / 128.0);
        diff_x = 8.0f * ratio;
    }
    double s[5][2], d[5][2], Mt[2][3];
    for (int i = 0; i < 5; i++) {
        s[i][0] = kps[i][0];
        s[i][1] = kps[i][1];
        d[i][0] = (double)(tmpl[i][0] * ratio + diff_x);
        d[i][1] = (double)(tmpl[i][1] * ratio);
    }
    fsift_status st = fsift_similarity_estimate((const double(*)[2])s, (const double(*)[2])d, 5, Mt);
    if (st) {
        fsift_error_prefix("norm_crop");
        return st;
    }
    if (M) memcpy(M, Mt, sizeof Mt);
    return fsift_warp_affine(src, (const double(*)[3])Mt, size, size, out);
}
