/*
 * bench_build_floor.c — the floor under `facesift build`: for every sample of a webdataset
 * shard, only what the pipeline cannot avoid on a sample it rejects at the face rules —
 * the header probe, the decode at the DCT scale build uses (fsift_pipe_prefilter_denom of
 * the pre-filter side, 256), the reduction to that side, the first look (fsift_face_gate, as
 * build: samples it ends get no detector run; --no-first-look: off) and the detector —
 * single-threaded, in one loop, no I/O besides
 * reading the shard. Prints one JSON line: samples, ms per stage, samples/s.
 *
 * Samples whose shorter side is under --min-side (513) are only probed, as in the pipeline.
 *
 * usage: bench_build_floor SHARD.tar [--models SET] [--det-size 640] [--min-side 513]
 *                          [--prefilter-side 256] [--no-first-look] [--min-face-ratio 0.04]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facesift/data.h"
#include "facesift/face.h"
#include "facesift/pipeline.h"

int main(int argc, char **argv) {
    const char *shard = NULL, *models = "default";
    int det_size = 640, min_side = 513, pre = 256, first_look = 1;
    double min_ratio = 0.04;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--models") && i + 1 < argc) models = argv[++i];
        else if (!strcmp(argv[i], "--det-size") && i + 1 < argc) det_size = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-side") && i + 1 < argc) min_side = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--prefilter-side") && i + 1 < argc) pre = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-face-ratio") && i + 1 < argc) min_ratio = atof(argv[++i]);
        else if (!strcmp(argv[i], "--no-first-look")) first_look = 0;
        else shard = argv[i];
    }
    if (!shard) {
        fprintf(stderr, "usage: bench_build_floor SHARD.tar [--models SET] [--det-size 640] [--min-side 513]\n");
        return 2;
    }
    fsift_face_options fo;
    fsift_face_options_default(&fo);
    fo.det_size = det_size;
    fsift_face_models *m;
    fsift_face_analyzer *a;
    fsift_face_gate *gate = NULL;
    fsift_face_gate_session *gs = NULL;
    if (fsift_face_models_load(models, &fo, &m) || fsift_face_analyzer_new(m, &a) ||
        (first_look && (fsift_face_gate_load(NULL, &gate) || fsift_face_gate_session_new(gate, &gs)))) {
        fprintf(stderr, "bench_build_floor: %s\n", fsift_last_error());
        return 1;
    }
    fsift_input_shard sh = {FSIFT_INPUT_TAR, (char *)shard, (char *)shard, 0, -1, 0, NULL};
    fsift_sample_reader *rd;
    if (fsift_sample_reader_open(&sh, (size_t)64 << 20, &rd)) {
        fprintf(stderr, "bench_build_floor: %s\n", fsift_last_error());
        return 1;
    }
    double t_read = 0, t_dec = 0, t_det = 0, t0 = fsift_now_ms();
    long n = 0, faces = 0, gated = 0;
    fsift_face_list fl;
    memset(&fl, 0, sizeof fl);
    for (;;) {
        fsift_sample s;
        double t = fsift_now_ms();
        int rc = fsift_sample_reader_next(rd, &s);
        t_read += fsift_now_ms() - t;
        if (rc <= 0) break;
        n++;
        fsift_decode_opts o;
        fsift_decode_opts_default(&o);
        fsift_image_info info;
        fsift_image img = {0};
        t = fsift_now_ms();
        if (s.image && !fsift_image_probe(s.image, s.image_size, &o, &info) &&
            (info.width < info.height ? info.width : info.height) >= min_side) {
            int W = info.width > info.height ? info.width : info.height;
            if (info.format == FSIFT_IMG_JPEG) o.scale_denom = fsift_pipe_prefilter_denom(W, pre);
            if (fsift_image_decode(s.image, s.image_size, &o, &img, NULL)) img.data = NULL;
            int big = img.width > img.height ? img.width : img.height;
            if (img.data && pre > 0 && big > pre) {
                fsift_image sm;
                if (!fsift_image_resize(&img, (int)(img.width * (double)pre / big + 0.5) ? (int)(img.width * (double)pre / big + 0.5) : 1,
                                        (int)(img.height * (double)pre / big + 0.5) ? (int)(img.height * (double)pre / big + 0.5) : 1,
                                        FSIFT_RESIZE_BOX, &sm)) {
                    fsift_image_free(&img);
                    img = sm;
                }
            }
        }
        t_dec += fsift_now_ms() - t;
        if (img.data) {
            t = fsift_now_ms();
            float gr = 1;
            if (gs && fsift_face_gate_run(gs, &img, &gr, NULL)) gr = 1;
            if (!gs || gr >= min_ratio * FSIFT_BUILD_GATE_SLACK) {
                if (!fsift_face_detect(a, &img, &fl)) faces += fl.n;
            } else {
                gated++;
            }
            t_det += fsift_now_ms() - t;
        }
        fsift_image_free(&img);
        fsift_sample_clear(&s);
    }
    double wall = fsift_now_ms() - t0;
    printf("{\"samples\":%ld,\"first_look_ended\":%ld,\"faces\":%ld,\"read_ms\":%.1f,\"decode_ms\":%.1f,\"detect_ms\":%.1f,\"wall_ms\":%.1f,"
           "\"samples_per_s\":%.2f}\n",
           n, gated, faces, t_read, t_dec, t_det, wall, wall > 0 ? n * 1000.0 / wall : 0.0);
    fsift_face_list_free(&fl);
    fsift_sample_reader_close(rd);
    fsift_face_gate_session_free(gs);
    fsift_face_gate_free(gate);
    fsift_face_analyzer_free(a);
    fsift_face_models_free(m);
    return 0;
}
