/*
 * facesift/release.h — publishing and checking a finished dataset: split gzip tar archives
 * (`pack` / `unpack`), the release-layout and webdataset checks (`verify`), nested scaling
 * subsets (`subset`) and random access to one sample (`get`). See docs/release.md.
 *
 * Archive format (what `pack` writes and the published FaceID-6M commands restore):
 * PREFIX.tar.gz.000, .001, … are a byte split of ONE gzip stream holding ONE tar stream;
 * `cat PREFIX.tar.gz.* > x.tar.gz && tar zxf x.tar.gz` restores the tree. PREFIX.sha256 is
 * a sha256sum-compatible manifest: one line per part, then one for the joined PREFIX.tar.gz.
 * The tar is deterministic: each folder's entries grouped by extension, then in byte order,
 * a folder before its contents, mtime = $SOURCE_DATE_EPOCH or 0, uid/gid 0, empty user/group names, modes
 * 0755 (directories, executables) or 0644, POSIX ustar headers with pax records only for
 * long names or sizes ≥ 8 GiB. The gzip stream is compressed pigz-style: independent blocks
 * (each with the previous 32 KiB as dictionary, ended by a sync flush) compressed in parallel
 * and joined with crc32_combine, so the bytes do not depend on the thread count.
 *
 * Threads: every function here may use its own worker threads; none keeps global state, so
 * different calls may run concurrently on different paths.
 */
#ifndef FACESIFT_RELEASE_H
#define FACESIFT_RELEASE_H

#include <stdint.h>
#include <stdio.h>

#include "facesift/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- sizes ------------------------------------------------------------------------------ */

/* Parses "4G", "512M", "100K", "123" with binary suffixes (K = 1024, as split -b) into
 * *out. Returns FSIFT_E_INVALID_ARG on anything else, zero, or overflow. */
fsift_status fsift_parse_bytes(const char *s, uint64_t *out);
/* Parses a sample count "1K", "10K", "2M", "6231808" with decimal suffixes (K = 1000, as in
 * the paper's 1K … 4M subsets). */
fsift_status fsift_parse_count(const char *s, uint64_t *out);

/* ---- pack ------------------------------------------------------------------------------- */

typedef struct fsift_pack_opts {
    int threads;            /* compression threads; <= 0: online CPUs */
    uint64_t part_size;     /* bytes per part (default 4 GiB); at most 1000 parts */
    int level;              /* gzip level 1..9 (default 6, as gzip and tar czf) */
    uint32_t block_size;    /* uncompressed bytes per parallel block (default 1 MiB) */
    int quiet;              /* no progress lines on stderr */
} fsift_pack_opts;

typedef struct fsift_pack_result {
    uint64_t members;       /* tar members (files + directories) */
    uint64_t tar_bytes;     /* uncompressed tar stream */
    uint64_t gz_bytes;      /* joined archive */
    int parts;              /* number of PREFIX.tar.gz.NNN files */
    int parts_reused;       /* parts kept from an interrupted run (resume) */
    double cpu_busiest_s;   /* CPU seconds of the busiest thread (the critical path when
                               every thread has a core of its own) */
    double cpu_total_s;     /* CPU seconds of all threads */
} fsift_pack_result;

void fsift_pack_opts_default(fsift_pack_opts *o);

/* Packs the folder `dir` (its basename becomes the top-level folder in the archive, as
 * `tar czf - DIR` does) into prefix.tar.gz.NNN + prefix.sha256. Resumable: a journal
 * (prefix.pack-journal) records every finished part; a rerun after a kill redoes only the
 * unfinished parts and produces the same bytes. res may be NULL. */
fsift_status fsift_pack(const char *dir, const char *prefix, const fsift_pack_opts *opts,
                        fsift_pack_result *res);

/* ---- unpack ----------------------------------------------------------------------------- */

typedef struct fsift_unpack_opts {
    int threads;                /* checksum threads; <= 0: online CPUs */
    uint64_t max_member_bytes;  /* largest member accepted (default 4 GiB) */
    uint64_t max_total_bytes;   /* all members together (default unlimited: 0) */
    uint64_t checkpoint_bytes;  /* resume checkpoint interval (default 256 MiB) */
    int quiet;
} fsift_unpack_opts;

typedef struct fsift_unpack_result {
    uint64_t files, dirs, links;  /* members written */
    uint64_t bytes;               /* file bytes written */
    uint64_t skipped;             /* members already extracted by an interrupted run */
    int parts;
    double cpu_check_s;           /* CPU seconds of the parallel checksum phase */
    double wall_check_s;          /* its wall-clock seconds */
    double cpu_inflate_s, cpu_write_s; /* the two extraction threads */
} fsift_unpack_result;

void fsift_unpack_opts_default(fsift_unpack_opts *o);

/* Checks every part of prefix.sha256 against its digest, then extracts the tar stream read
 * straight from the parts into `dir` (created if missing). Refused with FSIFT_E_FORMAT
 * before anything is written for that member: absolute paths, `..` components, symlinks
 * whose target is absolute or contains `..`, hard links to paths outside the archive's
 * tree, paths through a symlink, members over the size limits, device files. Files are
 * written to a temporary name and renamed. Resumable through dir/.fsift-unpack.journal. */
fsift_status fsift_unpack(const char *prefix, const char *dir, const fsift_unpack_opts *opts,
                          fsift_unpack_result *res);

/* ---- the .sha256 manifest -------------------------------------------------------------- */

typedef struct fsift_manifest_entry {
    char name[256];         /* base name as written in the manifest */
    uint8_t digest[32];
} fsift_manifest_entry;

typedef struct fsift_manifest {
    fsift_manifest_entry *parts;  /* in order .000, .001, … (owned) */
    int nparts;
    int has_joined;
    fsift_manifest_entry joined;  /* NAME.tar.gz, the joined stream */
} fsift_manifest;

/* Parses manifest text (borrowed; sha256sum format "HEX  NAME" or "HEX *NAME", '#' comments)
 * for archive base name `base` (e.g. "laion_512"): the parts must be base.tar.gz.000,
 * .001, … consecutively with no gaps or repeats. Frees nothing on error. */
fsift_status fsift_manifest_parse(const char *text, size_t size, const char *base,
                                  fsift_manifest *out);
void fsift_manifest_free(fsift_manifest *m);

/* ---- verify ------------------------------------------------------------------------------ */

/* Problem kinds counted by verify (also the words printed by `facesift verify`). */
typedef enum fsift_verify_kind {
    FSIFT_VK_MISSING_IMAGE, FSIFT_VK_CORRUPT_IMAGE, FSIFT_VK_MISSING_NPY, FSIFT_VK_CORRUPT_NPY,
    FSIFT_VK_WRONG_DIM, FSIFT_VK_NONFINITE_NPY, FSIFT_VK_MISSING_FACE, FSIFT_VK_CORRUPT_FACE,
    FSIFT_VK_BAD_JSON, FSIFT_VK_EXTRA_FILE, FSIFT_VK_MISSING_JSON, FSIFT_VK_MISSING_TXT,
    FSIFT_VK_BAD_BBOX_KPS, FSIFT_VK_DUPLICATE_KEY, FSIFT_VK_INCOMPLETE_SHARD,
    FSIFT_VK_BAD_SHARD, FSIFT_VK_BAD_STATS, FSIFT_VK_COUNT
} fsift_verify_kind;

const char *fsift_verify_kind_name(fsift_verify_kind k);

typedef struct fsift_verify_report {
    int layout;                       /* 1 = release layout, 2 = webdataset output */
    uint64_t samples;                 /* jsonl lines / wds samples */
    uint64_t shards;                  /* wds only */
    uint64_t jpeg_as_png;             /* N.png holding JPEG bytes (accepted, counted) */
    uint64_t unknown_members;         /* wds members outside the contract (carried, OK) */
    int dim;                          /* embedding dimension seen (or required) */
    uint64_t counts[FSIFT_VK_COUNT];  /* problems by kind */
    uint64_t problems;                /* sum of counts */
} fsift_verify_report;

typedef struct fsift_verify_opts {
    int threads;     /* <= 0: online CPUs */
    int dim;         /* required embedding dimension; 0 = whatever sample 0 has */
    int max_examples;/* problems printed per kind to `log` (default 5) */
    int quick;       /* images: check headers only (fsift_image_probe), no pixel decode */
    FILE *log;       /* where examples go (NULL: none) */
} fsift_verify_opts;

void fsift_verify_opts_default(fsift_verify_opts *o);

/* Checks `dir`: a release-layout folder (one top-level .jsonl) or a webdataset output folder
 * (*.tar shards with NNNNN_stats.json). Returns FSIFT_OK when the check could run — the
 * verdict is report->problems == 0 — or an error when `dir` is neither layout. */
fsift_status fsift_verify(const char *dir, const fsift_verify_opts *opts,
                          fsift_verify_report *report);

/* ---- subset / get ----------------------------------------------------------------------- */

/* Nested random subsets of a release-layout folder: the subset of size s is the first s
 * samples of one seeded permutation of [0, n), so each subset contains every smaller one.
 * Writes out/<label>.jsonl for each size (label as given, e.g. "1K"): the chosen lines in
 * ascending sample order, each as {"sample":N, …the original line's fields}. With
 * `link`, also out/<label>/ as a release-layout folder of hard links (0.png … s-1.png,
 * .npy, face/, and a .jsonl whose line i is the original line of its sample). Memory: 8
 * bytes per sample. */
fsift_status fsift_subset(const char *dir, const char *const *labels, const uint64_t *sizes,
                          int nsizes, uint64_t seed, const char *out, int link);

/* The release folder's .jsonl (the only top-level *.jsonl); malloc'd path (caller frees). */
fsift_status fsift_release_find_jsonl(const char *dir, char **path);

/* Sample n of a release-layout folder as one JSON object (malloc'd, caller frees): sample,
 * caption, bbox, landmarks, the paths of its image, embedding and face crop (and whether
 * each exists), and the full original record. */
fsift_status fsift_release_get(const char *dir, uint64_t n, char **json);

#ifdef __cplusplus
}
#endif
#endif
