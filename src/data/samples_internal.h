/*
 * samples_internal.h — what the sample readers of src/data/ share: the reader struct (one
 * per input shard, one thread), the per-kind open/next functions, and small helpers (a string
 * set for duplicate keys, whole-file reads with a limit, line/record scanning).
 */
#ifndef FSIFT_SAMPLES_INTERNAL_H
#define FSIFT_SAMPLES_INTERNAL_H

#include <stdio.h>

#include "facesift/data.h"

typedef struct fsift_strset {
    char **slots;
    size_t cap, n;
} fsift_strset;

/* Adds s; returns 1 if it was new, 0 if present, < 0 on allocation failure. */
int fsift_strset_add(fsift_strset *set, const char *s);
void fsift_strset_free(fsift_strset *set);

struct fsift_sample_reader {
    const fsift_input_shard *sh;
    size_t max_member;
    fsift_strset keys;
    int64_t index;               /* samples returned so far */
    /* tar */
    fsift_tar_reader *tar;
    fsift_sample_member pending; /* lookahead member (ext holds the full name) */
    int has_pending, pending_truncated, tar_done;  /* tar_done: 1 end, < 0 failed (errmsg says why) */
    char errmsg[256];
    /* list / release */
    FILE *f;
    char *dir;                   /* folder that relative paths refer to */
    int csv_sep;                 /* ',' or '\t' for CSV/TSV lists, 0 for JSONL */
    int col_path, col_caption, col_key;
};

int fsift_tar_sample_next(fsift_sample_reader *r, fsift_sample *s);
int fsift_folder_sample_next(fsift_sample_reader *r, fsift_sample *s);
int fsift_list_sample_next(fsift_sample_reader *r, fsift_sample *s);
fsift_status fsift_list_reader_init(fsift_sample_reader *r);

/* Counts the records of a list / release .jsonl and appends one shard per shard_size
 * records to the set (kind, path and name given). */
fsift_status fsift_list_expand(int kind, const char *path, const char *listfile, int64_t shard_size,
                               fsift_input_set *out);
fsift_status fsift_folder_expand(const char *dir, int64_t shard_size, fsift_input_set *out);
/* The single .jsonl of a release folder (malloc'd path) or NULL when there is none. */
char *fsift_release_jsonl(const char *dir);

/* Appends a shard to the set (takes ownership of files). */
fsift_status fsift_input_set_push(fsift_input_set *out, const fsift_input_shard *sh);

/* Reads a whole file of at most max bytes into s->image (oversize flagged, never read). */
int fsift_read_image_file(const char *path, size_t max, fsift_sample *s);
/* Reads one CSV/TSV record (RFC 4180 quotes) or one line (sep 0) into a malloc'd array of
 * fields; returns the field count, 0 at EOF, < 0 on error. */
int fsift_read_record(FILE *f, int sep, char ***fields);
void fsift_free_fields(char **fields, int n);

#endif
