/*
 * test_release.c — unit tests of the release tools' parts: size parsing, the .sha256
 * manifest parser (good and malformed), archive path cleaning and symlink-target policy,
 * block-parallel gzip framing (zlib's own inflate is the oracle: the joined pieces must be
 * one gzip member that inflates to the input, whatever the block size), the tar plan's
 * random-access reads (every window equals the same bytes of one sequential read), and
 * subsets (exact sizes, nesting, the same seed → the same subsets, another seed → others).
 * GNU tar, gzip and Python's tarfile check the whole archives in script_release_pack.sh.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "facesift/facesift.h"
#include "harness.h"
#include "release/release_internal.h"

static void test_sizes(void) {
    uint64_t v;
    CHECK(fsift_parse_bytes("4G", &v) == FSIFT_OK && v == 4ull << 30);
    CHECK(fsift_parse_bytes("512M", &v) == FSIFT_OK && v == 512ull << 20);
    CHECK(fsift_parse_bytes("100k", &v) == FSIFT_OK && v == 102400);
    CHECK(fsift_parse_bytes("3GiB", &v) == FSIFT_OK && v == 3ull << 30);
    CHECK(fsift_parse_bytes("123", &v) == FSIFT_OK && v == 123);
    CHECK(fsift_parse_bytes("0", &v) != FSIFT_OK);
    CHECK(fsift_parse_bytes("4X", &v) != FSIFT_OK);
    CHECK(fsift_parse_bytes("-1", &v) != FSIFT_OK);
    CHECK(fsift_parse_bytes("99999999999999999999", &v) != FSIFT_OK);
    CHECK(fsift_parse_bytes("17179869184G", &v) != FSIFT_OK);
    CHECK(fsift_parse_count("1K", &v) == FSIFT_OK && v == 1000);
    CHECK(fsift_parse_count("4M", &v) == FSIFT_OK && v == 4000000);
    CHECK(fsift_parse_count("6231808", &v) == FSIFT_OK && v == 6231808);
}

static const char *H = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void test_manifest(void) {
    char text[2048];
    snprintf(text, sizeof text, "%s  rel.tar.gz.000\n%s *rel.tar.gz.001\r\n# comment\n\n%s  rel.tar.gz\n", H, H, H);
    fsift_manifest m;
    CHECK(fsift_manifest_parse(text, strlen(text), "rel", &m) == FSIFT_OK);
    CHECK(m.nparts == 2 && m.has_joined);
    CHECK(!strcmp(m.parts[1].name, "rel.tar.gz.001"));
    CHECK(m.parts[0].digest[0] == 0x01 && m.parts[0].digest[31] == 0xef);
    fsift_manifest_free(&m);
    const char *bad[] = {
        "%s  rel.tar.gz.001\n",               /* does not start at 000 */
        "%s  rel.tar.gz.000\n%s  rel.tar.gz.000\n", /* repeated */
        "%s  ../rel.tar.gz.000\n",            /* a path */
        "%s  other.tar.gz.000\n",             /* another archive */
        "%s  rel.tar.gz.00x\n",               /* not a number */
        "%s rel.tar.gz.000\n",                /* one space */
        "%s  rel.tar.gz\n",                   /* no parts */
        "zz  rel.tar.gz.000\n",               /* short digest */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, bad[i], H, H);
        CHECK_MSG(fsift_manifest_parse(text, strlen(text), "rel", &m) != FSIFT_OK, "case %zu accepted", i);
        CHECK(m.parts == NULL && m.nparts == 0);
    }
    snprintf(text, sizeof text, "%s  rel.tar.gz.000\n", H);
    text[10] = 'G';
    CHECK(fsift_manifest_parse(text, strlen(text), "rel", &m) != FSIFT_OK);
}

static void test_paths(void) {
    struct { const char *in, *out; int ok; } c[] = {
        {"rel/0.png", "rel/0.png", 1}, {"./rel//x/./y", "rel/x/y", 1}, {"rel/", "rel", 1},
        {"./", "", 1}, {"/etc/passwd", NULL, 0}, {"a/../b", NULL, 0}, {"..", NULL, 0},
        {"a/..", NULL, 0}, {"a/b\nc", NULL, 0}, {"..a/b", "..a/b", 1}, {"a/...", "a/...", 1},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", c[i].in);
        int empty;
        fsift_status s = safepath_clean(buf, &empty);
        CHECK_MSG((s == FSIFT_OK) == c[i].ok, "'%s'", c[i].in);
        if (s == FSIFT_OK && c[i].ok) CHECK_MSG(!strcmp(buf, c[i].out) && empty == !c[i].out[0], "'%s' -> '%s'", c[i].in, buf);
    }
    char longc[300];
    memset(longc, 'a', 299);
    longc[299] = 0;
    int empty;
    CHECK(safepath_clean(longc, &empty) != FSIFT_OK);
    CHECK(safepath_link_ok("a/b.png"));
    CHECK(safepath_link_ok("./x"));
    CHECK(!safepath_link_ok("/etc"));
    CHECK(!safepath_link_ok("../x"));
    CHECK(!safepath_link_ok("a/../../x"));
    CHECK(!safepath_link_ok(""));
}

/* Joins pgz pieces for `data` with blocks of `bs` bytes; returns the gzip bytes. */
static uint8_t *pgz_join(const uint8_t *data, size_t n, size_t bs, size_t *out_n) {
    pgz_worker *w = NULL;
    CHECK(pgz_worker_new(6, (uint32_t)bs, &w) == FSIFT_OK);
    size_t cap = n + n / 8 + 1024 * (n / bs + 2), len = 10;
    uint8_t *out = malloc(cap);
    pgz_header(out);
    uint32_t crc = 0;
    for (size_t off = 0; off < n; off += bs) {
        size_t l = n - off < bs ? n - off : bs, dict = off < 32768 ? off : 32768;
        const uint8_t *p;
        size_t pl;
        CHECK(pgz_compress(w, data + off - dict, dict, data + off, l, off + l >= n, &p, &pl) == FSIFT_OK);
        memcpy(out + len, p, pl);
        len += pl;
        crc = (uint32_t)crc32_combine(crc, crc32(0, data + off, (uInt)l), (z_off_t)l);
    }
    for (int i = 0; i < 4; i++) out[len + i] = (uint8_t)(crc >> (8 * i));
    for (int i = 0; i < 4; i++) out[len + 4 + i] = (uint8_t)(n >> (8 * i));
    *out_n = len + 8;
    pgz_worker_free(w);
    return out;
}

static void test_pgzip(void) {
    size_t n = 3 * 65536 + 1234;
    uint8_t *data = malloc(n);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) { /* half text-like (compressible), half noise */
        x = x * 1103515245u + 12345u;
        data[i] = (i / 20000) % 2 ? (uint8_t)(x >> 24) : (uint8_t)("facesift release "[i % 17]);
    }
    size_t sizes[] = {65536, 100000, 1 << 20};
    uint8_t *ref = NULL;
    size_t ref_n = 0;
    for (size_t k = 0; k < 3; k++) {
        size_t gn;
        uint8_t *gz = pgz_join(data, n, sizes[k], &gn);
        uint8_t *back = malloc(n + 16);
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        CHECK(inflateInit2(&zs, 16 + 15) == Z_OK);
        zs.next_in = gz;
        zs.avail_in = (uInt)gn;
        zs.next_out = back;
        zs.avail_out = (uInt)n + 16;
        int r = inflate(&zs, Z_FINISH);
        CHECK_MSG(r == Z_STREAM_END, "block %zu: inflate %d (%s)", sizes[k], r, zs.msg ? zs.msg : "");
        CHECK(zs.total_out == n && !memcmp(back, data, n));
        CHECK(zs.avail_in == 0); /* one member, nothing after the trailer */
        inflateEnd(&zs);
        free(back);
        if (k == 0) { ref = gz; ref_n = gn; continue; }
        /* a larger block compresses no worse than 64 KiB blocks, within a few bytes */
        CHECK(gn <= ref_n + 64);
        free(gz);
    }
    free(ref);
    free(data);
}

static void write_file(const char *path, size_t n, unsigned seed) {
    FILE *f = fopen(path, "wb");
    for (size_t i = 0; i < n; i++) fputc((int)((i * 31 + seed) & 0xff), f);
    fclose(f);
}

static void test_tarplan(void) {
    char dir[] = "/tmp/fsift_tarplan_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char p[512];
    snprintf(p, sizeof p, "%s/rel", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/rel/face", dir);
    mkdir(p, 0755);
    for (int i = 0; i < 12; i++) {
        snprintf(p, sizeof p, "%s/rel/%d.png", dir, i);
        write_file(p, (size_t)(i * 977 + 3), (unsigned)i);
        snprintf(p, sizeof p, "%s/rel/face/%d.png", dir, i);
        write_file(p, 513, (unsigned)i + 50);
    }
    snprintf(p, sizeof p, "%s/rel", dir);
    tar_plan plan;
    CHECK(tar_plan_build(p, &plan) == FSIFT_OK);
    CHECK(plan.n == 26);
    CHECK(plan.total % 10240 == 0);
    CHECK(!strcmp(plan.names + plan.m[0].name_off, "rel/"));
    /* within a folder: by extension ("" first: face/), then byte order: 0.png 1.png 10.png … */
    CHECK(!strcmp(plan.names + plan.m[1].name_off, "rel/face/"));
    CHECK(!strcmp(plan.names + plan.m[16].name_off, "rel/10.png"));
    uint8_t *all = malloc(plan.total), *win = malloc(70000);
    CHECK(tar_plan_read(&plan, 0, plan.total, all) == FSIFT_OK);
    uint32_t x = 7;
    for (int t = 0; t < 200; t++) {
        x = x * 1664525u + 1013904223u;
        uint64_t off = x % plan.total;
        size_t len = (size_t)((x >> 8) % 70000);
        if (off + len > plan.total) len = (size_t)(plan.total - off);
        CHECK(tar_plan_read(&plan, off, len, win) == FSIFT_OK);
        CHECK_MSG(!memcmp(win, all + off, len), "window %llu+%zu", (unsigned long long)off, len);
    }
    /* header checksums are valid ustar */
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? ' ' : all[i];
    CHECK(strtoul((char *)all + 148, NULL, 8) == sum);
    CHECK(!memcmp(all + 257, "ustar", 6));
    /* a file changing size under pack is an error, not a short archive */
    snprintf(p, sizeof p, "%s/rel/5.png", dir);
    write_file(p, 10, 1);
    CHECK(tar_plan_read(&plan, 0, plan.total, all) != FSIFT_OK);
    free(all);
    free(win);
    tar_plan_free(&plan);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

static void read_lines(const char *path, uint64_t *v, size_t *n, size_t max) {
    FILE *f = fopen(path, "rb");
    *n = 0;
    if (!f) return;
    unsigned long long s;
    char line[512];
    while (*n < max && fgets(line, sizeof line, f))
        if (sscanf(line, "{\"sample\":%llu", &s) == 1) v[(*n)++] = s;
    fclose(f);
}

static void test_subset(void) {
    char dir[] = "/tmp/fsift_subset_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char p[512], out[512];
    snprintf(p, sizeof p, "%s/meta.jsonl", dir);
    FILE *f = fopen(p, "wb");
    for (int i = 0; i < 5000; i++) fprintf(f, "{\"caption\":\"c%d\"}\n", i);
    fclose(f);
    const char *labels[] = {"10", "100", "1K", "all"};
    uint64_t sizes[] = {10, 100, 1000, 0};
    static uint64_t a[4][5000], b[5000];
    size_t na[4], nb;
    snprintf(out, sizeof out, "%s/s1", dir);
    CHECK(fsift_subset(dir, labels, sizes, 4, 7, out, 0) == FSIFT_OK);
    for (int k = 0; k < 4; k++) {
        snprintf(p, sizeof p, "%s/s1/%s.jsonl", dir, labels[k]);
        read_lines(p, a[k], &na[k], 5000);
        CHECK_MSG(na[k] == (sizes[k] ? sizes[k] : 5000), "%s: %zu lines", labels[k], na[k]);
        for (size_t i = 1; i < na[k]; i++) CHECK(a[k][i] > a[k][i - 1]); /* ascending, distinct */
    }
    /* nested: every smaller subset inside the next */
    for (int k = 0; k + 1 < 4; k++) {
        size_t j = 0, in = 0;
        for (size_t i = 0; i < na[k]; i++) {
            while (j < na[k + 1] && a[k + 1][j] < a[k][i]) j++;
            in += j < na[k + 1] && a[k + 1][j] == a[k][i];
        }
        CHECK_MSG(in == na[k], "subset %s not inside %s", labels[k], labels[k + 1]);
    }
    /* same seed: same subsets; other seed: other subsets */
    snprintf(out, sizeof out, "%s/s2", dir);
    CHECK(fsift_subset(dir, labels, sizes, 3, 7, out, 0) == FSIFT_OK);
    snprintf(p, sizeof p, "%s/s2/1K.jsonl", dir);
    read_lines(p, b, &nb, 5000);
    CHECK(nb == na[2] && !memcmp(b, a[2], nb * sizeof b[0]));
    snprintf(out, sizeof out, "%s/s3", dir);
    CHECK(fsift_subset(dir, labels, sizes, 3, 8, out, 0) == FSIFT_OK);
    snprintf(p, sizeof p, "%s/s3/1K.jsonl", dir);
    read_lines(p, b, &nb, 5000);
    CHECK(nb == 1000 && memcmp(b, a[2], nb * sizeof b[0]) != 0);
    /* too large a size is an error */
    uint64_t big[] = {6000};
    const char *bl[] = {"6K"};
    CHECK(fsift_subset(dir, bl, big, 1, 0, out, 0) != FSIFT_OK);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void) {
    RUN(test_sizes);
    RUN(test_manifest);
    RUN(test_paths);
    RUN(test_pgzip);
    RUN(test_tarplan);
    RUN(test_subset);
    return test_summary();
}
