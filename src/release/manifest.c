/*
 * manifest.c — the PREFIX.sha256 manifest that pack writes and unpack trusts: sha256sum's
 * text format ("HEX  NAME", or "HEX *NAME" for binary mode), one line per part in order and
 * one for the joined NAME.tar.gz, so `sha256sum -c --ignore-missing PREFIX.sha256` checks
 * the parts and, after `cat`, the joined archive. The parser is strict (it decides which
 * files unpack reads): names are bare file names of this archive only, parts numbered
 * consecutively from 000 in order, no duplicates, digests of exactly 64 hex digits.
 */
#include <stdlib.h>
#include <string.h>

#include "release/release_internal.h"

#define MANIFEST_MAX_PARTS 100000

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void fsift_manifest_free(fsift_manifest *m) {
    if (!m) return;
    free(m->parts);
    memset(m, 0, sizeof *m);
}

fsift_status fsift_manifest_parse(const char *text, size_t size, const char *base,
                                  fsift_manifest *out) {
    memset(out, 0, sizeof *out);
    size_t blen = strlen(base);
    if (blen == 0 || blen > 200 || strchr(base, '/'))
        return fsift_error(FSIFT_E_INVALID_ARG, "manifest: bad archive name '%s'", base);
    int cap = 0, lineno = 0;
    fsift_status s = FSIFT_OK;
    size_t i = 0;
    while (i < size && !s) {
        const char *line = text + i;
        const char *nl = memchr(line, '\n', size - i);
        size_t len = nl ? (size_t)(nl - line) : size - i;
        i += len + (nl ? 1 : 0);
        lineno++;
        if (len && line[len - 1] == '\r') len--;
        if (len == 0 || line[0] == '#') continue;
        uint8_t d[32];
        int ok = len > 66 && (line[64] == ' ') && (line[65] == ' ' || line[65] == '*');
        for (int k = 0; ok && k < 32; k++) {
            int hi = hexval(line[2 * k]), lo = hexval(line[2 * k + 1]);
            if (hi < 0 || lo < 0) ok = 0;
            else d[k] = (uint8_t)(hi << 4 | lo);
        }
        if (!ok) {
            s = fsift_error(FSIFT_E_FORMAT, "manifest line %d is not 'SHA256  NAME'", lineno);
            break;
        }
        const char *name = line + 66;
        size_t nlen = len - 66;
        if (nlen >= sizeof out->parts[0].name || memchr(name, '/', nlen) || memchr(name, 0, nlen)) {
            s = fsift_error(FSIFT_E_FORMAT, "manifest line %d: '%.*s' is not a bare file name", lineno, (int)(nlen < 80 ? nlen : 80), name);
            break;
        }
        if (nlen < blen + 7 || memcmp(name, base, blen) || memcmp(name + blen, ".tar.gz", 7)) {
            s = fsift_error(FSIFT_E_FORMAT, "manifest line %d names '%.*s', not a part of %s.tar.gz", lineno, (int)(nlen < 80 ? nlen : 80), name, base);
            break;
        }
        fsift_manifest_entry *e;
        if (nlen == blen + 7) {
            if (out->has_joined) {
                s = fsift_error(FSIFT_E_FORMAT, "manifest line %d: the joined archive is listed twice", lineno);
                break;
            }
            out->has_joined = 1;
            e = &out->joined;
        } else {
            const char *num = name + blen + 7;
            size_t dl = nlen - blen - 7;
            long idx = 0;
            int good = dl >= 4 && dl <= 7 && num[0] == '.';
            for (size_t k = 1; good && k < dl; k++) {
                if (num[k] < '0' || num[k] > '9') good = 0;
                else idx = idx * 10 + (num[k] - '0');
            }
            if (!good || idx != out->nparts || (dl > 4 && idx < 1000)) {
                s = fsift_error(FSIFT_E_FORMAT, "manifest line %d: '%.*s' is not part %03d (parts must be listed in order, from .000)", lineno, (int)(nlen < 80 ? nlen : 80), name, out->nparts);
                break;
            }
            if (out->nparts >= MANIFEST_MAX_PARTS) {
                s = fsift_error(FSIFT_E_LIMIT, "manifest: more than %d parts", MANIFEST_MAX_PARTS);
                break;
            }
            if (out->nparts == cap) {
                cap = cap ? cap * 2 : 16;
                fsift_manifest_entry *np = realloc(out->parts, (size_t)cap * sizeof *np);
                if (!np) { s = fsift_error(FSIFT_E_NOMEM, "manifest: out of memory"); break; }
                out->parts = np;
            }
            e = &out->parts[out->nparts++];
        }
        memcpy(e->name, name, nlen);
        e->name[nlen] = 0;
        memcpy(e->digest, d, 32);
    }
    if (!s && out->nparts == 0) s = fsift_error(FSIFT_E_FORMAT, "manifest lists no parts of %s.tar.gz", base);
    if (s) fsift_manifest_free(out);
    return s;
}
