/*
 * mem.c — process-level allocator tuning for the facesift command and its benchmarks.
 *
 * glibc serves blocks above the mmap threshold (128 KiB at first, adapting upwards) with
 * fresh mmap()s and returns them to the kernel on free, so every decoded image — and every
 * progressive JPEG's whole-image coefficient buffer inside libjpeg — costs one page fault
 * and one kernel page clear per 4 KiB, every time: measured as 20–25% of a progressive JPEG
 * decode (docs/images.md). Raising the mmap threshold to glibc's maximum (32 MiB) and the
 * trim threshold above it keeps such blocks in the heap for reuse. Memory stays bounded by
 * the pipeline's working set (queue sizes), which is what facesift bounds anyway.
 *
 * A library should not change its host's allocator: only the facesift executable and the
 * benchmarks that stand for it call this, once, at start-up, before threads exist.
 */
#include <malloc.h>

#include "facesift/core.h"

void fsift_malloc_tune(void) {
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}
