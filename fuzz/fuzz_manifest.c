/*
 * fuzz_manifest.c — libFuzzer target for the PREFIX.sha256 manifest parser
 * (src/release/manifest.c) that decides which files `facesift unpack` reads: any input must
 * give a manifest whose part names are bare "rel.tar.gz.NNN" names in order, or an error;
 * never a crash, a leak or a name with a '/'.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fsift_manifest m;
    if (fsift_manifest_parse((const char *)data, size, "rel", &m) != FSIFT_OK) return 0;
    for (int k = 0; k < m.nparts; k++) {
        char want[64];
        snprintf(want, sizeof want, "rel.tar.gz.%03d", k);
        if (strchr(m.parts[k].name, '/') || strcmp(m.parts[k].name, want)) abort();
    }
    fsift_manifest_free(&m);
    return 0;
}
