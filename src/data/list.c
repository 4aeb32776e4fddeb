/*
 * list.c — row-based build inputs: a JSONL / CSV / TSV list of local image paths and
 * captions, and the .jsonl of a FaceID-6M release folder (line N describes N.png).
 *
 * Lists: JSONL rows are objects; the image path is the first string among "path", "image",
 * "file", "filepath", "image_file", "file_name", "filename"; the caption is read as
 * fsift_json_caption does ("caption", "additional_feature", "text", ...); "key" names the
 * sample (otherwise the 9-digit row number). CSV/TSV lists have a header row with the same
 * column names (RFC 4180 quoting; TSV without quoting). Relative paths are relative to the
 * list's folder. Blank lines are skipped in lists. The JSONL row is carried as the sample's
 * source JSON.
 *
 * Release folders: line N (blank lines count) describes sample N, whose image is N.png (or
 * N.jpg); the key is N as 9 digits. The published release holds JPEG bytes under .png names;
 * the pipeline sniffs the real format from the bytes.
 *
 * Shards: fsift_list_expand scans the file once, counting records and remembering the byte
 * offset of every shard_size-th record, so a shard's reader seeks straight to its first row.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "samples_internal.h"

#define MAX_RECORD ((size_t)1 << 20) /* longest accepted row (1 MiB) */

static int list_sep(const char *path) {
    size_t n = strlen(path);
    if (n >= 4 && !strcasecmp(path + n - 4, ".csv")) return ',';
    if (n >= 4 && !strcasecmp(path + n - 4, ".tsv")) return '\t';
    return 0;
}

void fsift_free_fields(char **fields, int n) {
    for (int i = 0; i < n; i++) free(fields[i]);
    free(fields);
}

/* Growable byte buffer for one field. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static int sb_put(sbuf *b, int c) {
    if (b->n + 2 > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        char *np = realloc(b->p, nc);
        if (!np) return -1;
        b->p = np;
        b->cap = nc;
    }
    b->p[b->n++] = (char)c;
    b->p[b->n] = 0;
    return 0;
}

int fsift_read_record(FILE *f, int sep, char ***fields_out) {
    *fields_out = NULL;
    char **fields = NULL;
    int nf = 0;
    sbuf b = {0};
    int c, inq = 0, any = 0;
    size_t total = 0;
    for (;;) {
        c = getc(f);
        if (c == EOF && !any) {
            free(b.p);
            return 0;
        }
        any = 1;
        if (++total > MAX_RECORD) {
            free(b.p);
            fsift_free_fields(fields, nf);
            return fsift_error(FSIFT_E_LIMIT, "list: a row is longer than 1 MiB");
        }
        int end_field = 0, end_rec = 0;
        if (c == EOF) end_rec = 1;
        else if (sep == ',' && inq) {
            if (c == '"') {
                int d = getc(f);
                if (d == '"') {
                    if (sb_put(&b, '"')) goto nomem;
                } else {
                    inq = 0;
                    if (d != EOF) ungetc(d, f);
                }
            } else if (sb_put(&b, c)) goto nomem;
            continue;
        } else if (sep == ',' && c == '"' && b.n == 0) {
            inq = 1;
            continue;
        } else if (sep && c == sep) end_field = 1;
        else if (c == '\n') end_rec = 1;
        else if (c == '\r') continue;
        else if (sb_put(&b, c)) goto nomem;
        if (end_field || end_rec) {
            char **nfld = realloc(fields, (size_t)(nf + 1) * sizeof *nfld);
            if (!nfld) goto nomem;
            fields = nfld;
            fields[nf++] = b.p ? b.p : strdup("");
            if (!fields[nf - 1]) goto nomem;
            memset(&b, 0, sizeof b);
            if (end_rec) break;
        }
    }
    *fields_out = fields;
    return nf;
nomem:
    free(b.p);
    fsift_free_fields(fields, nf);
    return fsift_error(FSIFT_E_NOMEM, "out of memory");
}

static int blank(char **fields, int n) { return n == 1 && fields[0][strspn(fields[0], " \t")] == 0; }

char *fsift_release_jsonl(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char *found = NULL;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 6 && !strcmp(e->d_name + l - 6, ".jsonl") && e->d_name[0] != '.') {
            n++;
            if (!found || strcmp(e->d_name, found + strlen(dir) + 1) < 0) {
                free(found);
                found = malloc(strlen(dir) + l + 2);
                if (found) sprintf(found, "%s/%s", dir, e->d_name);
            }
        }
    }
    closedir(d);
    return found; /* with several .jsonl files, the first in byte order */
}

fsift_status fsift_list_expand(int kind, const char *path, const char *listfile, int64_t shard_size,
                               fsift_input_set *out) {
    FILE *f = fopen(listfile, "rb");
    if (!f) return fsift_error(FSIFT_E_IO, "cannot open list '%s'", listfile);
    int sep = kind == FSIFT_INPUT_LIST ? list_sep(listfile) : 0;
    char **fields;
    int nf;
    if (sep) { /* header */
        nf = fsift_read_record(f, sep, &fields);
        if (nf <= 0) {
            fclose(f);
            return nf < 0 ? (fsift_status)nf : fsift_error(FSIFT_E_FORMAT, "list '%s' is empty", listfile);
        }
        fsift_free_fields(fields, nf);
    }
    const char *base = strrchr(path, '/');
    base = base && base[1] ? base + 1 : path;
    int64_t rec = 0;
    fsift_status s = FSIFT_OK;
    for (;;) {
        long long off = ftello(f);
        nf = fsift_read_record(f, sep, &fields);
        if (nf < 0) {
            fsift_error_prefix("list '%s'", listfile);
            s = (fsift_status)nf;
            break;
        }
        if (nf == 0) break;
        int skip = kind == FSIFT_INPUT_LIST && blank(fields, nf);
        fsift_free_fields(fields, nf);
        if (skip) continue;
        if (rec % shard_size == 0) {
            fsift_input_shard sh = {0};
            sh.kind = kind;
            sh.first = rec;
            sh.count = 0;
            sh.byte_offset = off;
            sh.path = strdup(path);
            sh.name = malloc(strlen(base) + 32);
            if (!sh.path || !sh.name) {
                free(sh.path);
                free(sh.name);
                s = fsift_error(FSIFT_E_NOMEM, "out of memory");
                break;
            }
            sprintf(sh.name, "%s@%lld", base, (long long)rec);
            if ((s = fsift_input_set_push(out, &sh))) break;
        }
        out->shards[out->n - 1].count++;
        rec++;
    }
    fclose(f);
    if (!s && rec == 0) s = fsift_error(FSIFT_E_FORMAT, "list '%s' has no rows", listfile);
    return s;
}

static int col_index(char **fields, int nf, const char *const *names, size_t nn) {
    for (size_t k = 0; k < nn; k++)
        for (int i = 0; i < nf; i++)
            if (!strcasecmp(fields[i], names[k])) return i;
    return -1;
}

static const char *const path_names[] = {"path", "image", "file", "filepath", "image_file", "file_name", "filename"};
static const char *const caption_names[] = {"caption", "additional_feature", "text", "prompt", "TEXT"};

fsift_status fsift_list_reader_init(fsift_sample_reader *r) {
    const fsift_input_shard *sh = r->sh;
    char *listfile = sh->kind == FSIFT_INPUT_RELEASE ? fsift_release_jsonl(sh->path) : strdup(sh->path);
    if (!listfile) return fsift_error(FSIFT_E_IO, "release folder '%s' has no .jsonl", sh->path);
    r->f = fopen(listfile, "rb");
    if (!r->f) {
        fsift_status s = fsift_error(FSIFT_E_IO, "cannot open '%s'", listfile);
        free(listfile);
        return s;
    }
    if (sh->kind == FSIFT_INPUT_RELEASE) {
        r->dir = strdup(sh->path);
    } else {
        const char *sl = strrchr(listfile, '/');
        r->dir = sl ? strndup(listfile, (size_t)(sl - listfile)) : strdup(".");
        r->csv_sep = list_sep(listfile);
    }
    free(listfile);
    if (!r->dir) return fsift_error(FSIFT_E_NOMEM, "out of memory");
    r->col_path = r->col_caption = r->col_key = -1;
    if (r->csv_sep) {
        char **fields;
        int nf = fsift_read_record(r->f, r->csv_sep, &fields);
        if (nf <= 0) return fsift_error(FSIFT_E_FORMAT, "list '%s': no header row", sh->path);
        r->col_path = col_index(fields, nf, path_names, sizeof path_names / sizeof path_names[0]);
        r->col_caption = col_index(fields, nf, caption_names, sizeof caption_names / sizeof caption_names[0]);
        static const char *const key_names[] = {"key"};
        r->col_key = col_index(fields, nf, key_names, 1);
        fsift_free_fields(fields, nf);
        if (r->col_path < 0)
            return fsift_error(FSIFT_E_FORMAT, "list '%s': no path column (path, image, file, image_file, ...)", sh->path);
    }
    if (fseeko(r->f, sh->byte_offset, SEEK_SET) != 0) return fsift_error(FSIFT_E_IO, "cannot seek in '%s'", sh->path);
    return FSIFT_OK;
}

static char *join_path(const char *dir, const char *p) {
    if (p[0] == '/') return strdup(p);
    char *o = malloc(strlen(dir) + strlen(p) + 2);
    if (o) sprintf(o, "%s/%s", dir, p);
    return o;
}

static void set_ext(fsift_sample *s, const char *path) {
    const char *dot = strrchr(path, '.');
    const char *sl = strrchr(path, '/');
    if (!dot || (sl && dot < sl)) return;
    snprintf(s->image_ext, sizeof s->image_ext, "%s", dot + 1);
    for (char *q = s->image_ext; *q; q++)
        if (*q >= 'A' && *q <= 'Z') *q = (char)(*q - 'A' + 'a');
}

int fsift_list_sample_next(fsift_sample_reader *r, fsift_sample *s) {
    const fsift_input_shard *sh = r->sh;
    char **fields = NULL;
    int nf;
    for (;;) {
        if (r->index >= sh->count) return 0; /* r->index is advanced by fsift_sample_reader_next */
        nf = fsift_read_record(r->f, r->csv_sep, &fields);
        if (nf < 0) return nf;
        if (nf == 0) return fsift_error(FSIFT_E_FORMAT, "'%s' ended early (was it changed since the run started?)", sh->path);
        if (sh->kind == FSIFT_INPUT_LIST && blank(fields, nf)) {
            fsift_free_fields(fields, nf);
            continue;
        }
        break;
    }
    int64_t row = sh->first + r->index;
    char keybuf[32];
    snprintf(keybuf, sizeof keybuf, "%09lld", (long long)row);
    char *path = NULL;
    if (sh->kind == FSIFT_INPUT_RELEASE) {
        s->json = (uint8_t *)fields[0];
        s->json_size = strlen(fields[0]);
        fields[0] = NULL;
        char *p = malloc(strlen(r->dir) + 40);
        if (p) {
            sprintf(p, "%s/%lld.png", r->dir, (long long)row);
            FILE *t = fopen(p, "rb");
            if (t) fclose(t);
            else sprintf(p, "%s/%lld.jpg", r->dir, (long long)row);
        }
        path = p;
        s->key = strdup(keybuf);
    } else if (r->csv_sep) {
        path = r->col_path < nf ? join_path(r->dir, fields[r->col_path]) : NULL;
        if (r->col_caption >= 0 && r->col_caption < nf) {
            s->caption = fields[r->col_caption];
            s->caption_len = strlen(s->caption);
            fields[r->col_caption] = NULL;
        }
        s->key = strdup(r->col_key >= 0 && r->col_key < nf && fields[r->col_key][0] ? fields[r->col_key] : keybuf);
    } else {
        s->json = (uint8_t *)fields[0];
        s->json_size = strlen(fields[0]);
        fields[0] = NULL;
        json_error_t err;
        json_t *o = json_loadb((const char *)s->json, s->json_size, 0, &err);
        const char *key = keybuf;
        if (json_is_object(o)) {
            for (size_t k = 0; k < sizeof path_names / sizeof path_names[0] && !path; k++) {
                json_t *v = json_object_get(o, path_names[k]);
                if (json_is_string(v)) path = join_path(r->dir, json_string_value(v));
            }
            json_t *kv = json_object_get(o, "key");
            if (json_is_string(kv) && json_string_value(kv)[0]) key = json_string_value(kv);
        }
        s->key = strdup(key);
        json_decref(o);
    }
    fsift_free_fields(fields, nf);
    if (!s->key) {
        free(path);
        return fsift_error(FSIFT_E_NOMEM, "out of memory");
    }
    for (char *q = s->key; *q; q++) /* keep keys valid webdataset keys */
        if (*q == '/' || *q == '.') *q = '_';
    if (!s->caption && s->json) {
        s->caption = fsift_json_caption((const char *)s->json, s->json_size);
        if (s->caption) s->caption_len = strlen(s->caption);
    }
    if (!path) {
        s->read_error = "row has no image path";
        return 1;
    }
    set_ext(s, path);
    fsift_read_image_file(path, r->max_member, s);
    free(path);
    return 1;
}
