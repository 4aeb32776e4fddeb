/*
 * cpu.c — run-time CPU feature detection for kernel dispatch.
 *
 * Reads CPUID leaves 1 and 7 and XGETBV once (pthread_once): AVX2/FMA are usable only if the
 * OS saves YMM state, AVX-512 only if it also saves opmask and ZMM state. FSIFT_CPU in the
 * environment (generic | avx2 | avx512) caps the level, so tests and benchmarks can exercise
 * every code path on one machine. On non-x86 builds every feature reads as absent.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/core.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
static unsigned long long xgetbv0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
#endif

static fsift_cpu cpu_info;
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;
static char cpu_model[128] = "unknown";

static void cpu_detect(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
    int ymm_ok = (xcr0 & 0x6) == 0x6;
    int zmm_ok = (xcr0 & 0xe6) == 0xe6;
    unsigned int b7 = 0, c7 = 0, d7 = 0, a7 = 0;
    if (__get_cpuid_max(0, 0) >= 7) __cpuid_count(7, 0, a7, b7, c7, d7);
    int avx2 = (b7 >> 5) & 1;
    cpu_info.avx2_fma = avx && avx2 && fma && ymm_ok;
    cpu_info.avx512f = cpu_info.avx2_fma && ((b7 >> 16) & 1) && zmm_ok;
    cpu_info.avx512bw = cpu_info.avx512f && ((b7 >> 30) & 1);
    cpu_info.avx512vl = cpu_info.avx512f && ((b7 >> 31) & 1);
    (void)a7; (void)c7; (void)d7;
#endif
    const char *cap = getenv("FSIFT_CPU");
    if (cap && !strcmp(cap, "generic")) memset(&cpu_info, 0, sizeof cpu_info);
    else if (cap && !strcmp(cap, "avx2")) cpu_info.avx512f = cpu_info.avx512bw = cpu_info.avx512vl = 0;

    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f)) {
            if (!strncmp(line, "model name", 10)) {
                char *p = strchr(line, ':');
                if (p) {
                    p++;
                    while (*p == ' ' || *p == '\t') p++;
                    size_t n = strcspn(p, "\n");
                    if (n >= sizeof cpu_model) n = sizeof cpu_model - 1;
                    memcpy(cpu_model, p, n);
                    cpu_model[n] = 0;
                }
                break;
            }
        }
        fclose(f);
    }
}

const fsift_cpu *fsift_cpu_get(void) {
    pthread_once(&cpu_once, cpu_detect);
    return &cpu_info;
}

const char *fsift_cpu_level(void) {
    const fsift_cpu *c = fsift_cpu_get();
    return c->avx512f ? "avx512" : c->avx2_fma ? "avx2" : "generic";
}

const char *fsift_cpu_model(void) {
    fsift_cpu_get();
    return cpu_model;
}
