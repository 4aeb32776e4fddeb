/*
 * cmd_pack.c — `facesift pack DIR -o PREFIX [--part-size 4G] [--threads N] [--level 6]`:
 * DIR as PREFIX.tar.gz.000, .001, … plus PREFIX.sha256 (fsift_pack, src/release/pack.c).
 * Rerunning the same command after an interruption resumes from the finished parts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void pack_usage(FILE *f) {
    fprintf(f,
            "usage: facesift pack DIR -o PREFIX [--part-size 4G] [--threads N] [--level 6]\n\n"
            "Writes DIR (a release-layout folder or a webdataset output) as one gzip tar split\n"
            "into PREFIX.tar.gz.000, .001, ... plus PREFIX.sha256 (sha256sum format: every part\n"
            "and the joined PREFIX.tar.gz). Restore with the published commands:\n"
            "  cat PREFIX.tar.gz.* > PREFIX.tar.gz && tar zxf PREFIX.tar.gz\n"
            "or with 'facesift unpack PREFIX -o DIR'. The archive's top folder is DIR's name.\n\n"
            "  --part-size SIZE  bytes per part, K/M/G = 1024-based as split -b (default 4G)\n"
            "  --threads N       compression threads (default: all CPUs); the bytes do not\n"
            "                    depend on N\n"
            "  --level L         gzip level 1..9 (default 6, as gzip)\n"
            "  --quiet           no progress lines\n\n"
            "Member order and metadata are fixed (each folder's names grouped by extension,\n"
            "then sorted; mtime $SOURCE_DATE_EPOCH or 0; owner 0), so the same files give the\n"
            "same bytes. Killed, rerun the same command:\n"
            "finished parts are kept (PREFIX.pack-journal) and the result is identical.\n");
}

int cmd_pack(int argc, char **argv) {
    const char *dir = NULL, *prefix = NULL;
    fsift_pack_opts o;
    fsift_pack_opts_default(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            pack_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            prefix = argv[++i];
        } else if (!strcmp(a, "--part-size") && i + 1 < argc) {
            if (fsift_parse_bytes(argv[++i], &o.part_size) != FSIFT_OK || o.part_size < 1024) {
                fprintf(stderr, "facesift pack: --part-size '%s' is not a size of at least 1K (e.g. 4G, 512M)\n", argv[i]);
                return CLI_USAGE;
            }
        } else if (!strcmp(a, "--block-size") && i + 1 < argc) {
            uint64_t v;
            if (fsift_parse_bytes(argv[++i], &v) != FSIFT_OK || v < 65536 || v > (64u << 20)) {
                fprintf(stderr, "facesift pack: --block-size must be 64K..64M\n");
                return CLI_USAGE;
            }
            o.block_size = (uint32_t)v;
        } else if (!strcmp(a, "--threads") && i + 1 < argc) {
            o.threads = atoi(argv[++i]);
            if (o.threads < 1) {
                fprintf(stderr, "facesift pack: --threads must be >= 1\n");
                return CLI_USAGE;
            }
        } else if (!strcmp(a, "--level") && i + 1 < argc) {
            o.level = atoi(argv[++i]);
            if (o.level < 1 || o.level > 9) {
                fprintf(stderr, "facesift pack: --level must be 1..9\n");
                return CLI_USAGE;
            }
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o.quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "facesift pack: unknown option '%s'\n", a);
            pack_usage(stderr);
            return CLI_USAGE;
        } else if (!dir) {
            dir = a;
        } else {
            fprintf(stderr, "facesift pack: one DIR only\n");
            return CLI_USAGE;
        }
    }
    if (!dir || !prefix) {
        pack_usage(stderr);
        return CLI_USAGE;
    }
    fsift_pack_result r;
    if (fsift_pack(dir, prefix, &o, &r) != FSIFT_OK) return cli_fail(dir);
    printf("pack: %llu members, %llu tar bytes -> %llu gzip bytes (%.1f%%) in %d part(s)%s; manifest %s.sha256\n",
           (unsigned long long)r.members, (unsigned long long)r.tar_bytes, (unsigned long long)r.gz_bytes,
           r.tar_bytes ? 100.0 * (double)r.gz_bytes / (double)r.tar_bytes : 0.0, r.parts,
           r.parts_reused ? " (resumed)" : "", prefix);
    if (!o.quiet) printf("pack: CPU %.2f s in all threads, %.2f s in the busiest\n", r.cpu_total_s, r.cpu_busiest_s);
    return CLI_OK;
}
