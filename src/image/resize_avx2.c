/*
 * resize_avx2.c — AVX2 row kernels for resize.c. Vertical pass: 16 pixels' bytes at a time,
 * widened to 32-bit lanes, multiplied by the tap's integer weight and summed over the taps
 * in registers (no scratch traffic), then shifted, clipped to 0..255 and packed back. Same
 * integer arithmetic as the portable loop, so the results are identical; the tail columns go
 * one by one. Horizontal pass: per output pixel, RGB sums two taps per vector (bytes
 * shuffled to R G B 0 | R G B 0 lanes times weights pre-expanded to w w w 0), gray eight taps
 * (bytes widened to 32-bit lanes); loads never pass the end of the row, and the last taps go
 * one by one.
 */
#include <immintrin.h>

#include "facesift/core.h"
#include "image/resize_internal.h"

void img_resize_vrow_avx2(const uint8_t *const *rows, const int32_t *w, int n, int len,
                          int32_t *acc, uint8_t *dst) {
    const __m256i half = _mm256_set1_epi32(1 << 21);
    int i = 0;
    for (; i + 16 <= len; i += 16) {
        __m256i a0 = half, a1 = half;
        for (int t = 0; t < n; t++) {
            __m128i px = _mm_loadu_si128((const __m128i *)(rows[t] + i));
            __m256i k = _mm256_set1_epi32(w[t]);
            __m256i p0 = _mm256_cvtepu8_epi32(px);
            __m256i p1 = _mm256_cvtepu8_epi32(_mm_srli_si128(px, 8));
            a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(p0, k));
            a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(p1, k));
        }
        a0 = _mm256_srai_epi32(a0, 22);
        a1 = _mm256_srai_epi32(a1, 22);
        /* packs saturate to int16 then uint8: exactly clip to 0..255 */
        __m256i s16 = _mm256_packs_epi32(a0, a1);          /* lanes: a0[0..3] a1[0..3] | a0[4..7] a1[4..7] */
        s16 = _mm256_permute4x64_epi64(s16, 0xD8);         /* a0[0..7] a1[0..7] */
        __m128i lo = _mm256_castsi256_si128(s16), hi = _mm256_extracti128_si256(s16, 1);
        _mm_storeu_si128((__m128i *)(dst + i), _mm_packus_epi16(lo, hi));
    }
    /* tail columns one by one, same arithmetic */
    for (; i < len; i++) {
        int32_t s = 1 << 21;
        for (int t = 0; t < n; t++) s += rows[t][i] * w[t];
        dst[i] = s < 0 ? 0 : (s >> 22) > 255 ? 255 : (uint8_t)(s >> 22);
    }
    (void)acc;
}

static inline uint8_t clip8s(int32_t s) { return s < 0 ? 0 : (s >> 22) > 255 ? 255 : (uint8_t)(s >> 22); }

void img_resize_hrow_avx2(const uint8_t *src, int sw, int ch, int out, int ksize, const int *first,
                          const int *count, const int32_t *w, const int32_t *wx, uint8_t *dst) {
    const size_t rowbytes = (size_t)sw * ch;
    if (ch == 3) {
        /* two taps per vector: bytes R0 G0 B0 R1 G1 B1 → lanes R0 G0 B0 0 R1 G1 B1 0 */
        const __m256i shuf = _mm256_setr_epi8(0, -1, -1, -1, 1, -1, -1, -1, 2, -1, -1, -1, -1, -1, -1, -1,
                                              0, -1, -1, -1, 1, -1, -1, -1, 2, -1, -1, -1, -1, -1, -1, -1);
        for (int xx = 0; xx < out; xx++) {
            const int n = count[xx];
            const size_t f = (size_t)first[xx] * 3;
            const uint8_t *p = src + f;
            const int32_t *k = wx + (size_t)xx * ksize * 4;
            __m256i acc = _mm256_setzero_si256();
            int i = 0;
            /* the 8-byte load must stay inside the row; taps past the count have weight 0 */
            for (; i < n && i + 2 <= ksize && f + (size_t)i * 3 + 8 <= rowbytes; i += 2) {
                __m128i b = _mm_loadl_epi64((const __m128i *)(p + 3 * i));
                __m256i bb = _mm256_set_m128i(_mm_srli_si128(b, 3), b);
                __m256i px = _mm256_shuffle_epi8(bb, shuf);
                acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(px, _mm256_loadu_si256((const __m256i *)(k + 4 * i))));
            }
            __m128i a = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
            int32_t s[4];
            _mm_storeu_si128((__m128i *)s, a);
            int32_t s0 = s[0] + (1 << 21), s1 = s[1] + (1 << 21), s2 = s[2] + (1 << 21);
            const int32_t *wk = w + (size_t)xx * ksize;
            for (; i < n; i++) {
                s0 += p[3 * i] * wk[i];
                s1 += p[3 * i + 1] * wk[i];
                s2 += p[3 * i + 2] * wk[i];
            }
            dst[3 * xx] = clip8s(s0);
            dst[3 * xx + 1] = clip8s(s1);
            dst[3 * xx + 2] = clip8s(s2);
        }
    } else {
        for (int xx = 0; xx < out; xx++) {
            const int n = count[xx];
            const size_t f = (size_t)first[xx];
            const uint8_t *p = src + f;
            const int32_t *wk = w + (size_t)xx * ksize;
            __m256i acc = _mm256_setzero_si256();
            int i = 0;
            for (; i < n && i + 8 <= ksize && f + (size_t)i + 8 <= rowbytes; i += 8) {
                __m256i px = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(p + i)));
                acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(px, _mm256_loadu_si256((const __m256i *)(wk + i))));
            }
            __m128i a = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
            a = _mm_add_epi32(a, _mm_shuffle_epi32(a, 0x4E));
            a = _mm_add_epi32(a, _mm_shuffle_epi32(a, 0xB1));
            int32_t s0 = _mm_cvtsi128_si32(a) + (1 << 21);
            for (; i < n; i++) s0 += p[i] * wk[i];
            dst[xx] = clip8s(s0);
        }
    }
}
