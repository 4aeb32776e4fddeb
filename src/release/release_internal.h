/*
 * release_internal.h — pieces shared by the release tools (src/release/): the deterministic
 * tar plan and its random-access byte generator (tarplan.c), block-parallel gzip framing
 * (pgzip.c), the streaming tar reader (tarread.c) and safe path handling (safepath.c).
 */
#ifndef FSIFT_RELEASE_INTERNAL_H
#define FSIFT_RELEASE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "facesift/release.h"

/* ---- tar plan: every member of DIR, its header bytes and its place in the stream ------- */

typedef struct tar_member {
    uint64_t name_off;   /* into plan->names: archive path, NUL-terminated; the source path
                            is src_root + the name without its first top_len bytes */
    uint64_t size;       /* data bytes (0 for directories) */
    uint64_t offset;     /* where this member's header block(s) start in the tar stream */
    uint32_t hdr_len;    /* header bytes (512, or pax 'x' header + data + 512) */
    uint8_t is_dir;
    uint8_t exec;
} tar_member;

typedef struct tar_plan {
    tar_member *m;
    size_t n, cap;
    char *names;
    uint64_t names_len, names_cap;
    char *src_root;        /* "DIR/" as given */
    size_t top_len;        /* bytes of "basename(DIR)/" at the start of every name */
    uint64_t total;        /* bytes of the whole tar stream (end blocks and record padding) */
    uint64_t mtime;        /* written in every header */
    uint8_t fingerprint[32];/* sha256 of names, sizes, modes and source mtimes */
} tar_plan;

/* Walks dir in sorted order (members named "basename(dir)/…"). */
fsift_status tar_plan_build(const char *dir, tar_plan *plan);
void tar_plan_free(tar_plan *plan);

/* Writes the tar stream bytes [off, off + len) into buf, reading files with pread. Fails
 * with FSIFT_E_IO when a file cannot be read or has changed size since the plan. */
fsift_status tar_plan_read(const tar_plan *plan, uint64_t off, size_t len, uint8_t *buf);

/* The 512-byte header block(s) of member i; returns bytes written (hdr_len). buf must hold
 * at least 2048 bytes. */
size_t tar_plan_header(const tar_plan *plan, size_t i, uint8_t *buf);

/* ---- block-parallel gzip ------------------------------------------------------------- */

typedef struct pgz_worker pgz_worker;

fsift_status pgz_worker_new(int level, uint32_t block_size, pgz_worker **out);
void pgz_worker_free(pgz_worker *w);
/* Compresses in[0, len) as one raw-deflate piece of the joined stream: dict (≤ 32 KiB, the
 * input just before) primes the window; last = 1 ends the stream, otherwise a sync flush
 * byte-aligns it. *out points into the worker's buffer until the next call. */
fsift_status pgz_compress(pgz_worker *w, const uint8_t *dict, size_t dict_len,
                          const uint8_t *in, size_t len, int last, const uint8_t **out,
                          size_t *out_len);
/* The fixed 10-byte gzip header facesift writes (no name, mtime 0, OS unix). */
void pgz_header(uint8_t hdr[10]);

/* ---- tar reader ----------------------------------------------------------------------- */

typedef enum tar_type { TAR_FILE, TAR_DIR, TAR_SYMLINK, TAR_HARDLINK, TAR_OTHER } tar_type;

typedef struct tar_entry {
    tar_type type;
    char typeflag;
    char *path;          /* as stored (pax/GNU long names applied); owned by the reader */
    char *link;          /* link target or NULL */
    uint64_t size;       /* data bytes that follow */
    uint32_t mode;
    int64_t mtime;
} tar_entry;

/* Pulls bytes from the decompressed stream: returns bytes read (0 at end) or < 0 on error
 * (the callee has set the error message). */
typedef long (*tar_read_fn)(void *ctx, uint8_t *buf, size_t len);

typedef struct tar_reader tar_reader;

fsift_status tar_reader_new(tar_read_fn fn, void *ctx, tar_reader **out);
void tar_reader_free(tar_reader *r);
/* Next member's header (pax and GNU long-name records folded in). *done = 1 at the end of
 * the archive (two zero blocks or a clean end of input). The entry is valid until the next
 * call. The caller must consume the data with tar_reader_data / tar_reader_skip. */
fsift_status tar_reader_next(tar_reader *r, tar_entry **e, int *done);
/* Reads up to len bytes of the current member's data; returns bytes (0 = member ended). */
fsift_status tar_reader_data(tar_reader *r, uint8_t *buf, size_t len, size_t *got);
fsift_status tar_reader_skip(tar_reader *r);
/* Members read so far. */
uint64_t tar_reader_index(const tar_reader *r);

/* ---- paths ----------------------------------------------------------------------------- */

/* Normalises an archive path in place: drops "./" and empty components and a trailing "/".
 * Refuses (FSIFT_E_FORMAT, message names the member) absolute paths, ".." components,
 * control characters, components over 255 bytes and paths over 4095 bytes. An empty result
 * (the archive's "./") gives *empty = 1. */
fsift_status safepath_clean(char *path, int *empty);
/* A symlink target is acceptable when relative, non-empty and free of ".." components. */
int safepath_link_ok(const char *target);

/* Writes "DIR/N.png"-style paths safely: opens the parent directory of `rel` under root_fd,
 * component by component with O_NOFOLLOW (creating missing directories with mode 0755 when
 * create = 1); never follows a symlink. Returns the open directory fd (caller closes) and
 * points *leaf at the last component inside rel. */
fsift_status safepath_open_parent(int root_fd, char *rel, int create, int *dir_fd,
                                  const char **leaf);

/* ---- verify: problem counting and per-file checks (verify.c), webdataset (verify_wds.c) -- */

typedef struct vstate {
    const fsift_verify_opts *o;
    fsift_verify_report *rep;
    void *mu;                     /* pthread_mutex_t */
    int shown[FSIFT_VK_COUNT];
} vstate;

/* Counts one problem of kind k and prints the example "kind: what" while under the limit. */
void vproblem(vstate *v, fsift_verify_kind k, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void vcount(vstate *v, uint64_t *field, uint64_t n);
/* 0 ok, else the problem kind (CORRUPT_* / WRONG_DIM / NONFINITE); *is_jpeg set for images. */
int vcheck_image(const void *data, size_t size, int quick, int *is_jpeg);
int vcheck_npy(const void *data, size_t size, int dim, int *got_dim);
/* A webdataset sample's json: an object with "bbox" [4 numbers] and "kps" [[x,y] × 5]. */
int vcheck_sample_json(const void *data, size_t size);
fsift_status verify_wds(const char *dir, vstate *v, int *found);

/* ---- misc ------------------------------------------------------------------------------- */

fsift_status release_write_all(int fd, const void *buf, size_t len, const char *what);
int release_threads(int want);
/* CPU seconds used so far by the calling thread. */
double release_thread_cpu_s(void);
/* The names in folder dir (not "." and ".."), those ending in suffix only when suffix is not
 * NULL, sorted byte-wise: a malloc'd array of malloc'd strings (free with
 * release_names_free). */
fsift_status release_list_dir(const char *dir, const char *suffix, char ***names, size_t *n);
void release_names_free(char **names, size_t n);

#endif
