/*
 * cmd_unpack.c — `facesift unpack PREFIX -o DIR`: checks every part of PREFIX.sha256, then
 * extracts straight from the parts into DIR, refusing anything that would land outside it
 * (fsift_unpack, src/release/unpack.c). Rerun after an interruption to resume.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void unpack_usage(FILE *f) {
    fprintf(f,
            "usage: facesift unpack PREFIX -o DIR [--threads N] [--max-member-size 4G]\n"
            "                       [--max-total-size SIZE] [--checkpoint 256M]\n\n"
            "Checks PREFIX.tar.gz.000, .001, ... against PREFIX.sha256 (all parts first), then\n"
            "extracts the archive into DIR reading the parts in sequence (no joined copy).\n"
            "Refused with an error, before anything is written for that member: absolute\n"
            "paths, '..', symlinks whose target is absolute or holds '..', hard links to\n"
            "paths outside the archive, writing through a symlink, devices and fifos, members\n"
            "over --max-member-size (default 4G) or a total over --max-total-size.\n"
            "Files appear under their names only when complete. Killed, rerun the same\n"
            "command: members finished before the last checkpoint are not written again.\n");
}

int cmd_unpack(int argc, char **argv) {
    const char *prefix = NULL, *dir = NULL;
    fsift_unpack_opts o;
    fsift_unpack_opts_default(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        uint64_t *size_opt = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            unpack_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            dir = argv[++i];
        } else if (!strcmp(a, "--threads") && i + 1 < argc) {
            o.threads = atoi(argv[++i]);
            if (o.threads < 1) {
                fprintf(stderr, "facesift unpack: --threads must be >= 1\n");
                return CLI_USAGE;
            }
        } else if (!strcmp(a, "--max-member-size")) {
            size_opt = &o.max_member_bytes;
        } else if (!strcmp(a, "--max-total-size")) {
            size_opt = &o.max_total_bytes;
        } else if (!strcmp(a, "--checkpoint")) {
            size_opt = &o.checkpoint_bytes;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o.quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "facesift unpack: unknown option '%s'\n", a);
            unpack_usage(stderr);
            return CLI_USAGE;
        } else if (!prefix) {
            prefix = a;
        } else {
            fprintf(stderr, "facesift unpack: one PREFIX only\n");
            return CLI_USAGE;
        }
        if (size_opt) {
            if (i + 1 >= argc || fsift_parse_bytes(argv[++i], size_opt) != FSIFT_OK) {
                fprintf(stderr, "facesift unpack: %s needs a size such as 4G or 512M\n", a);
                return CLI_USAGE;
            }
        }
    }
    if (!prefix || !dir) {
        unpack_usage(stderr);
        return CLI_USAGE;
    }
    fsift_unpack_result r;
    if (fsift_unpack(prefix, dir, &o, &r) != FSIFT_OK) return cli_fail(prefix);
    printf("unpack: %d part(s) checked; %llu files (%llu bytes), %llu folders, %llu links written to %s",
           r.parts, (unsigned long long)r.files, (unsigned long long)r.bytes, (unsigned long long)r.dirs,
           (unsigned long long)r.links, dir);
    if (r.skipped) printf(" (%llu members kept from the interrupted run)", (unsigned long long)r.skipped);
    printf("\n");
    if (!o.quiet)
        printf("unpack: CPU %.2f s checking parts (%.2f s wall), %.2f s inflating, %.2f s writing\n", r.cpu_check_s,
               r.wall_check_s, r.cpu_inflate_s, r.cpu_write_s);
    return CLI_OK;
}
