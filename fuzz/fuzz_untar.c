/*
 * fuzz_untar.c — libFuzzer target for the archive reader behind `facesift unpack` and
 * `facesift verify` (src/release/tarread.c) and unpack's path policy (safepath.c). Input is
 * a tar stream, or a gzip stream (starts 1f 8b) that is inflated first with a 4 MiB cap, as
 * unpack's inflate thread feeds the reader. Every member's name is cleaned and its link
 * target judged, and its data read in odd-sized chunks, exactly as unpack does before
 * writing; nothing touches the file system. Any crash, leak, sanitizer report or unbounded
 * allocation is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "release/release_internal.h"

typedef struct mem {
    const uint8_t *p;
    size_t n, pos;
} mem;

static long mem_read(void *ctx, uint8_t *buf, size_t len) {
    mem *m = ctx;
    size_t take = m->n - m->pos < len ? m->n - m->pos : len;
    if (take > 7777) take = 7777; /* short reads, like a pipe */
    memcpy(buf, m->p + m->pos, take);
    m->pos += take;
    return (long)take;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *plain = NULL;
    mem m = {data, size, 0};
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        size_t cap = 4u << 20;
        plain = malloc(cap);
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        if (!plain || inflateInit2(&zs, 16 + 15) != Z_OK) { free(plain); return 0; }
        zs.next_in = (Bytef *)data;
        zs.avail_in = (uInt)size;
        zs.next_out = plain;
        zs.avail_out = (uInt)cap;
        inflate(&zs, Z_FINISH);
        m.p = plain;
        m.n = cap - zs.avail_out;
        inflateEnd(&zs);
    }
    tar_reader *r = NULL;
    if (tar_reader_new(mem_read, &m, &r) != FSIFT_OK) { free(plain); return 0; }
    uint8_t buf[3001];
    for (int members = 0; members < 10000; members++) {
        tar_entry *e;
        int done;
        if (tar_reader_next(r, &e, &done) != FSIFT_OK || done) break;
        char *p = strdup(e->path);
        int empty;
        if (p && safepath_clean(p, &empty) == FSIFT_OK && !empty && strlen(p) == 0) abort();
        free(p);
        if (e->link) (void)safepath_link_ok(e->link);
        size_t got;
        while (tar_reader_data(r, buf, sizeof buf, &got) == FSIFT_OK && got) {
        }
    }
    tar_reader_free(r);
    free(plain);
    return 0;
}
