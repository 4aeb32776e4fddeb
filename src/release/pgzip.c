/*
 * pgzip.c — pigz-style block-parallel gzip framing on zlib.
 *
 * The uncompressed stream is cut into fixed-size blocks. Each block is compressed on its own
 * raw-deflate stream whose window is primed with the 32 KiB of input just before the block
 * (deflateSetDictionary), so matches may reach back across the cut exactly as a serial
 * compressor's would. Every block but the last ends with a sync flush (an empty stored block
 * that byte-aligns the output and leaves no final bit), the last with Z_FINISH. Concatenated
 * in order behind a gzip header and followed by crc32_combine'd CRC and length, the pieces
 * form ONE ordinary gzip member that gzip, GNU tar and zlib decode. A block's bytes depend
 * only on its input and dictionary, never on which thread compressed it or when.
 *
 * Threads: a pgz_worker is one thread's deflate state; use one per thread.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "release/release_internal.h"

struct pgz_worker {
    z_stream zs;
    uint8_t *out;
    size_t out_cap;
};

fsift_status pgz_worker_new(int level, uint32_t block_size, pgz_worker **out) {
    *out = NULL;
    pgz_worker *w = calloc(1, sizeof *w);
    if (!w) return fsift_error(FSIFT_E_NOMEM, "pack: out of memory");
    /* memLevel 9: larger literal buffers, fewer block headers; on JPEG-heavy tars this is
     * both faster than memLevel 8 and slightly smaller than gzip -6 (docs/release.md) */
    if (deflateInit2(&w->zs, level, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(w);
        return fsift_error(FSIFT_E_INTERNAL, "pack: zlib deflateInit2 failed");
    }
    /* bound for one block plus the sync-flush marker and the final block's end */
    w->out_cap = deflateBound(&w->zs, block_size) + 64;
    w->out = malloc(w->out_cap);
    if (!w->out) {
        pgz_worker_free(w);
        return fsift_error(FSIFT_E_NOMEM, "pack: out of memory");
    }
    *out = w;
    return FSIFT_OK;
}

void pgz_worker_free(pgz_worker *w) {
    if (!w) return;
    deflateEnd(&w->zs);
    free(w->out);
    free(w);
}

fsift_status pgz_compress(pgz_worker *w, const uint8_t *dict, size_t dict_len,
                          const uint8_t *in, size_t len, int last, const uint8_t **out,
                          size_t *out_len) {
    if (deflateReset(&w->zs) != Z_OK) return fsift_error(FSIFT_E_INTERNAL, "pack: deflateReset failed");
    if (dict_len > 32768) {
        dict += dict_len - 32768;
        dict_len = 32768;
    }
    if (dict_len && deflateSetDictionary(&w->zs, dict, (uInt)dict_len) != Z_OK)
        return fsift_error(FSIFT_E_INTERNAL, "pack: deflateSetDictionary failed");
    w->zs.next_in = (Bytef *)in;
    w->zs.avail_in = (uInt)len;
    w->zs.next_out = w->out;
    w->zs.avail_out = (uInt)w->out_cap;
    int r = deflate(&w->zs, last ? Z_FINISH : Z_SYNC_FLUSH);
    if (w->zs.avail_in != 0 || (last ? r != Z_STREAM_END : r != Z_OK))
        return fsift_error(FSIFT_E_INTERNAL, "pack: deflate did not finish a block (%d)", r);
    *out = w->out;
    *out_len = w->out_cap - w->zs.avail_out;
    return FSIFT_OK;
}

void pgz_header(uint8_t hdr[10]) {
    static const uint8_t h[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    memcpy(hdr, h, 10);
}
