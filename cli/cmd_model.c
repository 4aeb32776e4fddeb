/*
 * cmd_model.c — `facesift model info FILE` and `facesift model run FILE IN.npy... -o DIR`.
 *
 * info prints the format, producer, opset, inputs and outputs (with shapes; outputs after a
 * plan at the declared input shapes, dynamic dims taken as 1 unless --shape is given), op
 * counts, parameters and the planned peak activation memory.
 * run feeds .npy inputs in graph input order and writes DIR/0.npy, DIR/1.npy … in graph
 * output order (atomic writes).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

static void model_usage(FILE *f) {
    fprintf(f,
            "usage: facesift model info FILE [--shape NAME=D1xD2x...]...\n"
            "       facesift model run FILE IN.npy... -o DIR [--threads N] [--repeat N]\n\n"
            "info: format, inputs/outputs, op counts, parameters, peak activation memory.\n"
            "run:  inputs in graph input order (.npy, C order); writes DIR/0.npy, DIR/1.npy, ...\n"
            "      in graph output order. --repeat N runs N times and prints the median time.\n");
}

static void print_dims(FILE *f, int rank, const int64_t *dims) {
    fputc('[', f);
    for (int d = 0; d < rank; d++) {
        if (dims[d] < 0) fprintf(f, "%s?", d ? "," : "");
        else fprintf(f, "%s%lld", d ? "," : "", (long long)dims[d]);
    }
    fputc(']', f);
}

/* Parses "name=1x3x640x640" into the matching input's dims. */
static int apply_shape(const fsift_model *m, fsift_tensor *ins, const char *spec) {
    const char *eq = strchr(spec, '=');
    if (!eq) return -1;
    for (int i = 0; i < fsift_model_num_inputs(m); i++) {
        fsift_io_info info;
        fsift_model_input(m, i, &info);
        if (strlen(info.name) != (size_t)(eq - spec) || strncmp(info.name, spec, (size_t)(eq - spec))) continue;
        int r = 0;
        const char *p = eq + 1;
        while (*p && r < FSIFT_MAX_RANK) {
            char *end;
            long long v = strtoll(p, &end, 10);
            if (end == p || v < 0) return -1;
            ins[i].dims[r++] = v;
            p = *end == 'x' ? end + 1 : end;
            if (*end && *end != 'x') return -1;
        }
        ins[i].rank = r;
        return 0;
    }
    return -1;
}

static int model_info(int argc, char **argv) {
    const char *file = NULL;
    const char *shapes[16];
    int nshapes = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--shape") && i + 1 < argc && nshapes < 16) shapes[nshapes++] = argv[++i];
        else if (argv[i][0] == '-') { model_usage(stderr); return CLI_USAGE; }
        else if (!file) file = argv[i];
        else { model_usage(stderr); return CLI_USAGE; }
    }
    if (!file) { model_usage(stderr); return CLI_USAGE; }
    fsift_model *m;
    if (fsift_model_load(file, &m)) return cli_fail("model info");
    fsift_model_summary sum;
    fsift_model_summarize(m, &sum);
    printf("file:       %s\nformat:     %s\nproducer:   %s\nopset:      %lld\nnodes:      %lld\n", file,
           sum.format, sum.producer, (long long)sum.opset, (long long)sum.num_nodes);
    printf("parameters: %lld (%.2f MB)\n", (long long)sum.num_params, (double)sum.param_bytes / 1e6);
    int nin = fsift_model_num_inputs(m), nout = fsift_model_num_outputs(m);
    fsift_tensor *ins = calloc((size_t)nin + 1, sizeof *ins);
    if (!ins) { fsift_model_free(m); return cli_fail("model info"); }
    for (int i = 0; i < nin; i++) {
        fsift_io_info info;
        fsift_model_input(m, i, &info);
        printf("input  %d:   %s %s ", i, info.name, fsift_dtype_name(info.dtype));
        print_dims(stdout, info.rank, info.dims);
        putchar('\n');
        ins[i].dtype = info.dtype;
        ins[i].rank = info.rank;
        for (int d = 0; d < info.rank; d++) ins[i].dims[d] = info.dims[d] < 0 ? 1 : info.dims[d];
    }
    int rc = CLI_OK;
    for (int i = 0; i < nshapes; i++)
        if (apply_shape(m, ins, shapes[i])) {
            fprintf(stderr, "facesift: model info: bad --shape '%s' (want NAME=D1xD2x...)\n", shapes[i]);
            rc = CLI_USAGE;
        }
    fsift_session *s = NULL;
    if (rc == CLI_OK && fsift_session_new(m, 1, &s) == FSIFT_OK && fsift_session_plan(s, ins, nin) == FSIFT_OK) {
        for (int i = 0; i < nout; i++) {
            fsift_io_info info;
            fsift_tensor t;
            fsift_model_output(m, i, &info);
            fsift_session_output(s, i, &t);
            printf("output %d:   %s %s ", i, info.name, fsift_dtype_name(t.dtype));
            print_dims(stdout, t.rank, t.dims);
            putchar('\n');
        }
        printf("peak activation memory: %.2f MB (%.2f MB without buffer reuse)\n",
               (double)fsift_session_peak_bytes(s) / 1e6, (double)fsift_session_naive_bytes(s) / 1e6);
    } else if (rc == CLI_OK) {
        for (int i = 0; i < nout; i++) {
            fsift_io_info info;
            fsift_model_output(m, i, &info);
            printf("output %d:   %s\n", i, info.name);
        }
        printf("plan: %s\n", fsift_last_error());
    }
    printf("ops:        %s\n", sum.op_counts);
    fsift_session_free(s);
    free(ins);
    fsift_model_free(m);
    return rc;
}

static int model_run(int argc, char **argv) {
    const char *file = NULL, *outdir = NULL;
    const char *inputs[64];
    int nin_files = 0, threads = 1, repeat = 1;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) outdir = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
        else if (argv[i][0] == '-' && argv[i][1]) { model_usage(stderr); return CLI_USAGE; }
        else if (!file) file = argv[i];
        else if (nin_files < 64) inputs[nin_files++] = argv[i];
        else { fprintf(stderr, "facesift: model run: too many inputs\n"); return CLI_USAGE; }
    }
    if (!file || !outdir || repeat < 1 || repeat > 100000) { model_usage(stderr); return CLI_USAGE; }
    fsift_model *m;
    if (fsift_model_load(file, &m)) return cli_fail("model run");
    int nin = fsift_model_num_inputs(m);
    if (nin != nin_files) {
        fprintf(stderr, "facesift: model run: the model has %d inputs, %d .npy files given\n", nin, nin_files);
        fsift_model_free(m);
        return CLI_USAGE;
    }
    fsift_tensor ins[64];
    memset(ins, 0, sizeof ins);
    int rc = CLI_OK;
    for (int i = 0; i < nin && rc == CLI_OK; i++)
        if (fsift_npy_load(inputs[i], &ins[i])) rc = cli_fail("model run");
    fsift_session *s = NULL;
    double *times = calloc((size_t)repeat, sizeof *times);
    if (rc == CLI_OK && !times) rc = cli_fail("model run");
    if (rc == CLI_OK && fsift_session_new(m, threads, &s)) rc = cli_fail("model run");
    for (int r = 0; rc == CLI_OK && r < repeat; r++) {
        double t0 = fsift_now_ms();
        if (fsift_session_run(s, ins, nin)) rc = cli_fail("model run");
        times[r] = fsift_now_ms() - t0;
    }
    if (rc == CLI_OK) {
        mkdir(outdir, 0755);
        for (int i = 0; i < fsift_model_num_outputs(m) && rc == CLI_OK; i++) {
            fsift_tensor t;
            char path[4096];
            fsift_session_output(s, i, &t);
            snprintf(path, sizeof path, "%s/%d.npy", outdir, i);
            if (fsift_npy_save(path, &t)) rc = cli_fail("model run");
        }
        if (repeat > 1) {
            fsift_sort_doubles(times, (size_t)repeat);
            printf("median %.3f ms, min %.3f ms over %d runs, %d thread(s)\n", times[repeat / 2], times[0], repeat, threads);
        }
    }
    free(times);
    for (int i = 0; i < nin; i++) free(ins[i].data);
    fsift_session_free(s);
    fsift_model_free(m);
    return rc;
}

int cmd_model(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        model_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "info")) return model_info(argc - 2, argv + 2);
    if (!strcmp(argv[1], "run")) return model_run(argc - 2, argv + 2);
    fprintf(stderr, "facesift: model: unknown subcommand '%s'\n", argv[1]);
    model_usage(stderr);
    return CLI_USAGE;
}
