/*
 * resize_avx2.c — AVX2 vertical-pass row kernel for resize.c: 16 pixels' bytes at a time,
 * widened to 32-bit lanes, multiplied by the tap's integer weight and summed over the taps
 * in registers (no scratch traffic), then shifted, clipped to 0..255 and packed back. Same
 * integer arithmetic as the portable loop, so the results are identical. The tail falls back
 * to the portable loop.
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
