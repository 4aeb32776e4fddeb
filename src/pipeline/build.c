/*
 * build.c — fsift_build_run: input shards in, output shards + stats out, resumable.
 *
 * Input shard i (in the order the inputs expand, data.h) gives output shard i: NNNNN.tar
 * (webdataset layout) or files OUT/release/N.* (release layout, N counting kept samples over
 * all shards in order; OUT/release holds nothing else, so it can be verified and packed as
 * it is), then NNNNN_reasons.jsonl (one line per input sample: key, reason, detail — every
 * sample is accounted for), then NNNNN_stats.json, always last. Each file is written to a
 * temporary name and renamed, so a shard is either done (its stats file exists) or redone
 * from scratch; a run killed at any moment and restarted with the same command skips the
 * done shards, rewrites the rest with the same bytes, and deletes the temporary files the
 * dead process left. A stats file written with other output-affecting flags stops the run
 * (mixing two configurations in one output would be silent corruption).
 *
 * Shards are processed one after another; the threads work inside a shard (order.c). Each
 * worker keeps its face-analyzer state for the whole run.
 *
 * A reasons line may end with "thumb" (base64 JPEG, thumb.c): the first PIPE_THUMBS_MAX
 * rejects of each post-decode reason in the shard carry one; the writer counts them in
 * shard_run.thumbs, which the workers read to skip thumbnails no longer needed.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "pipe_internal.h"

static const char *const reason_names[FSIFT_R_COUNT] = {
    "kept", "read_error", "duplicate_key", "no_caption", "caption", "decode_limit", "decode_error",
    "resolution", "too_few_faces", "too_many_faces", "face_too_small", "face_error"};

const char *fsift_reason_name(int reason) {
    return reason >= 0 && reason < FSIFT_R_COUNT ? reason_names[reason] : NULL;
}

void fsift_build_options_default(fsift_build_options *o) {
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->shard_count = 1;
    o->layout = FSIFT_LAYOUT_WDS;
    o->image_format = FSIFT_IMAGE_OUT_SOURCE;
    o->jpeg_quality = 95;
    o->min_side = 513;
    o->min_faces = 1;
    o->max_faces = 3;
    o->min_face_ratio = 0.04f;
    o->text_filter = 1;
    o->full_redetect = 0;
    o->input_shard_size = 10000;
    o->max_pixels = FSIFT_DEFAULT_MAX_PIXELS;
    o->max_file_bytes = FSIFT_DEFAULT_MAX_FILE_BYTES;
}

/* ---- temporary files, folders ------------------------------------------------------------ */

static int tmp_owner_dead(const char *name) {
    const char *t = strstr(name, ".tmp.");
    if (!t) return 0;
    char *end;
    long pid = strtol(t + 5, &end, 10);
    if (end == t + 5 || (*end && *end != '.')) return 0;
    if (pid == (long)getpid()) return 0;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static void clean_dir(const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[4096];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR) {
            if (depth > 0) clean_dir(p, depth - 1);
        } else if (tmp_owner_dead(e->d_name)) {
            unlink(p);
        }
    }
    closedir(d);
}

void pipe_clean_tmp(const char *dir) { clean_dir(dir, 2); }

fsift_status pipe_concat(const char *const *srcs, int n, const char *dst) {
    jbuf b = {0};
    for (int i = 0; i < n; i++) {
        void *d;
        size_t sz;
        fsift_status s = fsift_file_read(srcs[i], (size_t)1 << 34, &d, &sz);
        if (s) {
            jb_free(&b);
            return s;
        }
        jb_raw(&b, d, sz);
        free(d);
    }
    if (b.oom) {
        jb_free(&b);
        return fsift_error(FSIFT_E_NOMEM, "out of memory joining %d files into '%s'", n, dst);
    }
    fsift_status s = fsift_file_write_atomic(dst, b.p ? b.p : "", b.n);
    jb_free(&b);
    return s;
}

/* ---- one shard -------------------------------------------------------------------------- */

typedef struct shard_run {
    const fsift_build_options *o;
    pipe_stage_cfg cfg;
    void **face_states;
    fsift_sample_reader *rd;
    fsift_tar_writer *tw;
    pipe_release *rl;
    int64_t next_n;
    pipe_progress *progress;
    int64_t counts[FSIFT_R_COUNT], samples;
    double ms[ST_COUNT], read_ms;
    jbuf reasons;
    atomic_int thumbs[FSIFT_R_COUNT]; /* thumbnails written per reason (writer: stores; workers: loads) */
} shard_run;

static int cb_read(void *ctx, fsift_sample *s) {
    shard_run *sr = ctx;
    double t = fsift_now_ms();
    int rc = fsift_sample_reader_next(sr->rd, s);
    sr->read_ms += fsift_now_ms() - t;
    return rc;
}

static void cb_work(void *ctx, int worker, pipe_slot *slot) {
    shard_run *sr = ctx;
    pipe_process(&sr->cfg, sr->face_states[worker], &slot->s, &slot->r);
}

static fsift_status cb_write(void *ctx, pipe_slot *slot) {
    shard_run *sr = ctx;
    const fsift_sample *s = &slot->s;
    pipe_result *r = &slot->r;
    double t = fsift_now_ms();
    sr->samples++;
    sr->counts[r->reason]++;
    for (int i = 0; i < ST_COUNT; i++) sr->ms[i] += r->ms[i];
    jb_puts(&sr->reasons, "{\"key\":");
    jb_str(&sr->reasons, s->key, strlen(s->key));
    jb_printf(&sr->reasons, ",\"reason\":\"%s\"", reason_names[r->reason]);
    if (r->reason) {
        jb_puts(&sr->reasons, ",\"detail\":");
        jb_str(&sr->reasons, r->detail, strlen(r->detail));
    }
    if (r->seen_w > 0) jb_printf(&sr->reasons, ",\"width\":%d,\"height\":%d", r->seen_w, r->seen_h);
    if (r->seen_faces >= 0) jb_printf(&sr->reasons, ",\"n_faces\":%d", r->seen_faces);
    if (r->seen_faces > 0) jb_printf(&sr->reasons, ",\"area_ratio\":%.6f,\"det_score\":%.6f", r->seen_ratio, r->seen_score);
    if (r->thumb && pipe_thumb_reason(r->reason)) {
        int have = atomic_load_explicit(&sr->thumbs[r->reason], memory_order_relaxed);
        if (have < PIPE_THUMBS_MAX) { /* the first ones in input order, whatever the threads did */
            jb_puts(&sr->reasons, ",\"thumb\":\"");
            jb_raw(&sr->reasons, r->thumb, r->thumb_size);
            jb_puts(&sr->reasons, "\"");
            atomic_store_explicit(&sr->thumbs[r->reason], have + 1, memory_order_relaxed);
        }
    }
    free(r->thumb); /* done with it here (pipe_result_clear frees it on the other paths) */
    r->thumb = NULL;
    r->thumb_size = 0;
    jb_puts(&sr->reasons, "}\n");
    fsift_status st = FSIFT_OK;
    if (r->reason == FSIFT_R_KEPT) {
        pipe_kept k = {s->key, r->image, r->image_size, r->ext, r->face_png, r->npy, r->face_png_size, r->npy_size,
                       r->json, r->json_len, s->caption, s->caption_len, r->release_png, r->release_png_size,
                       s->extra, s->n_extra, {0}, {{0}}};
        memcpy(k.bbox, r->bbox, sizeof k.bbox);
        memcpy(k.kps, r->kps, sizeof k.kps);
        if (sr->tw) st = pipe_wds_put(sr->tw, &k);
        else st = pipe_release_put(sr->rl, sr->next_n++, &k);
    }
    sr->ms[ST_WRITE] += fsift_now_ms() - t;
    pipe_progress_sample(sr->progress, r->reason == FSIFT_R_KEPT);
    return st;
}

static const char *kind_name(int k) {
    switch (k) {
    case FSIFT_INPUT_TAR: return "tar";
    case FSIFT_INPUT_FOLDER: return "folder";
    case FSIFT_INPUT_RELEASE: return "release";
    default: return "list";
    }
}

/* The output-affecting flags, as a JSON object (deterministic text). */
static char *flags_json(const fsift_build_options *o) {
    static const char *fmt_names[] = {"source", "png", "jpg"};
    jbuf b = {0};
    jb_printf(&b, "{\"layout\":\"%s\",\"image_format\":\"%s\",\"jpeg_quality\":%d,\"min_side\":%d,"
                  "\"min_faces\":%d,\"max_faces\":%d,\"min_face_ratio\":%.6g,\"text_filter\":%s,\"full_redetect\":%s,"
                  "\"input_shard_size\":%lld,\"max_pixels\":%llu,\"max_file_bytes\":%zu,\"instantid_jsonl\":%s",
              o->layout == FSIFT_LAYOUT_FACEID6M ? "faceid6m" : "wds", fmt_names[o->image_format], o->jpeg_quality,
              o->min_side, o->min_faces, o->max_faces, (double)o->min_face_ratio, o->text_filter ? "true" : "false",
              o->full_redetect ? "true" : "false", (long long)o->input_shard_size, (unsigned long long)o->max_pixels, o->max_file_bytes,
              o->instantid_jsonl ? "true" : "false");
    if (o->flags_json && o->flags_json[0]) {
        jb_puts(&b, ",");
        jb_puts(&b, o->flags_json);
    }
    jb_puts(&b, "}");
    return b.oom ? (jb_free(&b), NULL) : b.p;
}

static fsift_status write_stats(const shard_run *sr, const char *path, const fsift_input_shard *sh, int index,
                                const char *flags, const char *input_err, double wall_ms, int64_t first_id) {
    const fsift_build_options *o = sr->o;
    jbuf b = {0};
    jb_puts(&b, "{\"input\":");
    jb_str(&b, sh->name, strlen(sh->name));
    jb_printf(&b, ",\"input_index\":%d,\"input_kind\":\"%s\",\"samples\":%lld,\"kept\":%lld,", index,
              kind_name(sh->kind), (long long)sr->samples, (long long)sr->counts[0]);
    if (o->layout == FSIFT_LAYOUT_FACEID6M) jb_printf(&b, "\"first_id\":%lld,", (long long)first_id);
    jb_puts(&b, "\"reasons\":{");
    for (int i = 0; i < FSIFT_R_COUNT; i++) jb_printf(&b, "%s\"%s\":%lld", i ? "," : "", reason_names[i], (long long)sr->counts[i]);
    jb_puts(&b, "},\"input_error\":");
    if (input_err && input_err[0]) jb_str(&b, input_err, strlen(input_err));
    else jb_puts(&b, "null");
    jb_puts(&b, ",\"versions\":{\"facesift\":\"" FSIFT_VERSION_STRING "\",\"detector\":");
    const char *det = o->face->detector_id ? o->face->detector_id : "";
    const char *rec = o->face->recognizer_id ? o->face->recognizer_id : "";
    jb_str(&b, det, strlen(det));
    jb_puts(&b, ",\"recognizer\":");
    jb_str(&b, rec, strlen(rec));
    jb_printf(&b, ",\"embedding_dim\":%d},\"flags\":%s,", o->face->embedding_dim, flags);
    /* everything after "run" depends on the machine and the thread count, not the output */
    jb_printf(&b, "\"run\":{\"threads\":%d,\"wall_ms\":%.1f,\"ms\":{", o->threads, wall_ms);
    for (int i = 0; i < ST_COUNT; i++)
        jb_printf(&b, "%s\"%s\":%.1f", i ? "," : "", pipe_stage_names[i], i == ST_READ ? sr->read_ms : sr->ms[i]);
    jb_puts(&b, "}}}\n");
    if (b.oom) {
        jb_free(&b);
        return fsift_error(FSIFT_E_NOMEM, "out of memory");
    }
    fsift_status s = fsift_file_write_atomic(path, b.p, b.n);
    jb_free(&b);
    return s;
}

/* Reads a done shard's stats: checks its flags against ours and returns its kept count. */
static fsift_status read_done_stats(const char *path, const char *flags, int64_t *kept) {
    void *d;
    size_t n;
    fsift_status s = fsift_file_read(path, (size_t)1 << 20, &d, &n);
    if (s) return s;
    json_error_t err;
    json_t *j = json_loadb(d, n, 0, &err);
    json_t *fl = json_object_get(j, "flags");
    char *dump = fl ? json_dumps(fl, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_t *ours = json_loads(flags, 0, &err);
    char *odump = ours ? json_dumps(ours, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (!j || !json_is_integer(json_object_get(j, "kept")))
        s = fsift_error(FSIFT_E_FORMAT, "'%s' is not a facesift stats file (delete it to redo the shard)", path);
    else if (!dump || !odump || strcmp(dump, odump))
        s = fsift_error(FSIFT_E_INVALID_ARG,
                        "'%s' was written with other flags (%s); use the same flags or another output folder", path,
                        dump ? dump : "?");
    else
        *kept = json_integer_value(json_object_get(j, "kept"));
    free(dump);
    free(odump);
    json_decref(ours);
    json_decref(j);
    free(d);
    return s;
}

static fsift_status run_shard(const fsift_build_options *o, void **states, const fsift_input_shard *sh, int index,
                              const char *flags, int64_t first_id, pipe_release *rl, pipe_progress *pg,
                              int64_t *kept) {
    char path[4096], tmp[4096];
    double t0 = fsift_now_ms();
    shard_run sr;
    memset(&sr, 0, sizeof sr);
    sr.o = o;
    sr.cfg.o = o;
    sr.cfg.input_name = sh->name;
    for (int i = 0; i < FSIFT_R_COUNT; i++) atomic_init(&sr.thumbs[i], 0);
    sr.cfg.thumbs_written = sr.thumbs;
    sr.face_states = states;
    sr.next_n = first_id;
    sr.rl = rl;
    sr.progress = pg;
    pipe_progress_shard(pg, sh->count);
    fsift_status s = fsift_sample_reader_open(sh, o->max_file_bytes, &sr.rd);
    if (s) return s;
    if (o->layout == FSIFT_LAYOUT_WDS) {
        snprintf(path, sizeof path, "%s/%05d.tar", o->out_dir, index);
        s = fsift_tar_writer_open(path, &sr.tw);
    } else {
        jb_free(&rl->lines);
        jb_free(&rl->instantid_lines);
    }
    char input_err[512] = "";
    if (!s) {
        pipe_order_cb cb = {&sr, cb_read, cb_work, cb_write};
        s = pipe_order_run(&cb, o->threads, o->queue > 0 ? o->queue : 4 * o->threads + 4, input_err, sizeof input_err);
    }
    fsift_sample_reader_close(sr.rd);
    if (s) {
        fsift_tar_writer_abort(sr.tw);
        jb_free(&sr.reasons);
        return s;
    }
    if (sr.tw) s = fsift_tar_writer_commit(sr.tw);
    if (!s && rl) {
        snprintf(tmp, sizeof tmp, "%s/.parts/%05d.jsonl", o->out_dir, index);
        s = fsift_file_write_atomic(tmp, rl->lines.p ? rl->lines.p : "", rl->lines.n);
        if (!s && rl->instantid) {
            snprintf(tmp, sizeof tmp, "%s/.parts/%05d.instantid.jsonl", o->out_dir, index);
            s = fsift_file_write_atomic(tmp, rl->instantid_lines.p ? rl->instantid_lines.p : "", rl->instantid_lines.n);
        }
    }
    if (!s && sr.reasons.oom) s = fsift_error(FSIFT_E_NOMEM, "out of memory");
    if (!s) {
        snprintf(path, sizeof path, "%s/%05d_reasons.jsonl", o->out_dir, index);
        s = fsift_file_write_atomic(path, sr.reasons.p ? sr.reasons.p : "", sr.reasons.n);
    }
    jb_free(&sr.reasons);
    if (!s) {
        snprintf(path, sizeof path, "%s/%05d_stats.json", o->out_dir, index);
        s = write_stats(&sr, path, sh, index, flags, input_err, fsift_now_ms() - t0, first_id);
    }
    if (!s) {
        *kept = sr.counts[0];
        pipe_progress_shard_done(pg, sr.samples);
        if (input_err[0]) fsift_log(FSIFT_LOG_WARN, "shard %05d (%s): input ends early: %s", index, sh->name, input_err);
        if (o->progress && !pg->tty) {
            double dt = (fsift_now_ms() - t0) / 1000.0;
            fsift_log(FSIFT_LOG_INFO, "shard %05d (%s): %lld samples, %lld kept, %.1f samples/s", index, sh->name,
                      (long long)sr.samples, (long long)sr.counts[0], dt > 0 ? (double)sr.samples / dt : 0.0);
        }
    }
    return s;
}

/* ---- the run ------------------------------------------------------------------------------ */

static fsift_status check_options(const fsift_build_options *o) {
    if (!o->out_dir || !o->out_dir[0]) return fsift_error(FSIFT_E_INVALID_ARG, "build: no output folder");
    if (!o->face || !o->face->detect || !o->face->embed) return fsift_error(FSIFT_E_INVALID_ARG, "build: no face step");
    if (o->text_filter && (!o->text || !o->text->match))
        return fsift_error(FSIFT_E_INVALID_ARG, "build: the caption rule is on but no matcher was given");
    if (o->threads < 1 || o->threads > 256) return fsift_error(FSIFT_E_INVALID_ARG, "build: threads must be 1..256");
    if (o->shard_count < 1 || o->shard_index < 0 || o->shard_index >= o->shard_count)
        return fsift_error(FSIFT_E_INVALID_ARG, "build: --shard I/N needs 0 <= I < N");
    if (o->layout == FSIFT_LAYOUT_FACEID6M && o->shard_count > 1)
        return fsift_error(FSIFT_E_INVALID_ARG, "build: --layout faceid6m numbers samples across all shards, so it "
                                                "cannot run with --shard; build webdataset shards, merge, then export");
    if (o->layout != FSIFT_LAYOUT_WDS && o->layout != FSIFT_LAYOUT_FACEID6M)
        return fsift_error(FSIFT_E_INVALID_ARG, "build: layout must be wds or faceid6m");
    if (o->image_format < 0 || o->image_format > 2) return fsift_error(FSIFT_E_INVALID_ARG, "build: bad image format");
    if (o->min_faces < 1 || o->max_faces < o->min_faces)
        return fsift_error(FSIFT_E_INVALID_ARG, "build: need 1 <= --min-faces <= --max-faces");
    return FSIFT_OK;
}

fsift_status fsift_build_run(const fsift_build_options *o, const char *const *inputs, int n_inputs,
                             fsift_build_totals *totals) {
    fsift_build_totals local;
    if (!totals) totals = &local;
    memset(totals, 0, sizeof *totals);
    fsift_status s = check_options(o);
    if (s) return s;
    if ((s = pipe_mkdir(o->out_dir))) return s;
    char path[4096];
    pipe_release rl;
    memset(&rl, 0, sizeof rl);
    char reldir[3900];
    snprintf(reldir, sizeof reldir, "%s/release", o->out_dir);
    if (o->layout == FSIFT_LAYOUT_FACEID6M) {
        rl.dir = reldir;
        rl.layout = FSIFT_LAYOUT_FACEID6M;
        rl.image_format = o->image_format;
        rl.instantid = o->instantid_jsonl;
        rl.iid_prefix = "release/";
        snprintf(path, sizeof path, "%s/.parts", o->out_dir);
        if ((s = pipe_release_prepare(reldir, FSIFT_LAYOUT_FACEID6M)) || (s = pipe_mkdir(path))) return s;
    }
    pipe_clean_tmp(o->out_dir);
    fsift_input_set in;
    if ((s = fsift_inputs_expand(inputs, n_inputs, o->input_shard_size, &in))) return s;
    char *flags = flags_json(o);
    void **states = calloc((size_t)o->threads, sizeof *states);
    if (!flags || !states) s = fsift_error(FSIFT_E_NOMEM, "out of memory");
    for (int t = 0; !s && t < o->threads; t++)
        if (o->face->thread_new) s = o->face->thread_new(o->face, &states[t]);
    int64_t next_id = 0;
    int mine = 0;
    for (int i = 0; i < in.n; i++) mine += i % o->shard_count == o->shard_index;
    pipe_progress pg;
    pipe_progress_start(&pg, o->progress, mine);
    fsift_status first_fail = FSIFT_OK;
    char fail_msg[1024] = "";
    for (int i = 0; !s && i < in.n; i++) {
        if (i % o->shard_count != o->shard_index) continue;
        int64_t kept = 0;
        snprintf(path, sizeof path, "%s/%05d_stats.json", o->out_dir, i);
        if (access(path, F_OK) == 0) {
            s = read_done_stats(path, flags, &kept);
            if (!s) totals->shards_skipped++;
            if (!s) pg.shards_total--; /* the ETA counts the work left */
        } else {
            fsift_status e = run_shard(o, states, &in.shards[i], i, flags, next_id, o->layout ? &rl : NULL, &pg,
                                       &kept);
            if (e == FSIFT_E_IO || e == FSIFT_E_NOMEM || e == FSIFT_E_INTERNAL) {
                s = e; /* the output side failed: stop */
                fsift_error_prefix("shard %05d (%s)", i, in.shards[i].name);
            } else if (e) { /* this input cannot be read: the others go on; no stats, so it is retried */
                if (!first_fail) {
                    first_fail = e;
                    snprintf(fail_msg, sizeof fail_msg, "shard %05d (%s): %s", i, in.shards[i].name, fsift_last_error());
                }
                fsift_log(FSIFT_LOG_ERROR, "shard %05d (%s): %s", i, in.shards[i].name, fsift_last_error());
                if (o->layout == FSIFT_LAYOUT_FACEID6M) {
                    s = fsift_error(e, "%s (the release layout numbers samples across shards: fix it and rerun)", fail_msg);
                }
                continue;
            } else {
                totals->shards_done++;
            }
        }
        if (s) break;
        next_id += kept;
        totals->kept += kept;
    }
    pipe_progress_end(&pg);
    /* totals from every stats file of this run's shards */
    for (int i = 0; !s && i < in.n; i++) {
        if (i % o->shard_count != o->shard_index) continue;
        snprintf(path, sizeof path, "%s/%05d_stats.json", o->out_dir, i);
        json_error_t err;
        json_t *j = json_load_file(path, 0, &err);
        json_t *rs = json_object_get(j, "reasons");
        totals->samples += json_integer_value(json_object_get(j, "samples"));
        for (int r = 0; r < FSIFT_R_COUNT; r++) totals->reasons[r] += json_integer_value(json_object_get(rs, reason_names[r]));
        json_decref(j);
    }
    if (!s && !first_fail && o->layout == FSIFT_LAYOUT_FACEID6M) {
        char **parts = calloc((size_t)in.n + 1, sizeof *parts);
        for (int pass = 0; parts && !s && pass < (o->instantid_jsonl ? 2 : 1); pass++) {
            for (int i = 0; i < in.n; i++) {
                parts[i] = malloc(strlen(o->out_dir) + 64);
                if (parts[i]) sprintf(parts[i], "%s/.parts/%05d%s.jsonl", o->out_dir, i, pass ? ".instantid" : "");
            }
            if (pass) snprintf(path, sizeof path, "%s/instantid.jsonl", o->out_dir);
            else snprintf(path, sizeof path, "%s/faceid6m.jsonl", reldir);
            s = pipe_concat((const char *const *)parts, in.n, path);
            for (int i = 0; i < in.n; i++) free(parts[i]);
        }
        if (!parts) s = fsift_error(FSIFT_E_NOMEM, "out of memory");
        free(parts);
    }
    if (!s && !first_fail && o->layout == FSIFT_LAYOUT_WDS && o->instantid_jsonl && o->shard_count == 1) {
        snprintf(path, sizeof path, "%s/instantid", o->out_dir);
        s = fsift_export(o->out_dir, FSIFT_LAYOUT_INSTANTID, FSIFT_IMAGE_OUT_SOURCE, path);
    }
    for (int t = 0; t < o->threads && states; t++)
        if (o->face->thread_free) o->face->thread_free(states[t]);
    free(states);
    free(flags);
    jb_free(&rl.lines);
    jb_free(&rl.instantid_lines);
    fsift_input_set_free(&in);
    if (!s && first_fail) s = fsift_error(first_fail, "%s", fail_msg);
    return s;
}
