/*
 * test_core.c — core utilities: error messages, .npy round trips and hostile headers,
 * float16 conversion, the thread pool, atomic writes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "facesift/core.h"
#include "harness.h"

static void test_errors(void) {
    fsift_status s = fsift_error(FSIFT_E_FORMAT, "bad %s %d", "thing", 7);
    CHECK(s == FSIFT_E_FORMAT);
    CHECK(!strcmp(fsift_last_error(), "bad thing 7"));
    fsift_error_prefix("ctx");
    CHECK(!strcmp(fsift_last_error(), "ctx: bad thing 7"));
    CHECK(!strcmp(fsift_status_str(FSIFT_E_LIMIT), "limit exceeded"));
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    fsift_error(FSIFT_E_IO, "%s", big); /* truncated, not overflowing */
    fsift_error_prefix("%s", big);
    CHECK(strlen(fsift_last_error()) < 1024);
}

static void test_npy_roundtrip(void) {
    float v[6] = {1, -2, 3.5f, 0, 1e-7f, 65504};
    fsift_tensor t = {FSIFT_DTYPE_FLOAT32, 2, {2, 3}, v};
    void *buf;
    size_t n;
    CHECK_OK(fsift_npy_encode(&t, &buf, &n));
    CHECK(n % 64 == 24 + 0 || n == 128 + 24 || (n - 24) % 64 == 0); /* header padded to 64 */
    CHECK(!memcmp((char *)buf + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 59));
    fsift_tensor r;
    CHECK_OK(fsift_npy_parse(buf, n, &r));
    CHECK(r.dtype == FSIFT_DTYPE_FLOAT32 && r.rank == 2 && r.dims[0] == 2 && r.dims[1] == 3);
    CHECK(!memcmp(r.data, v, sizeof v));
    free(r.data);
    /* every truncation fails cleanly */
    for (size_t cut = 0; cut < n; cut++) {
        fsift_tensor q;
        CHECK(fsift_npy_parse(buf, cut, &q) != FSIFT_OK);
    }
    free(buf);

    int64_t iv[3] = {1, -5, 1LL << 40};
    fsift_tensor ti = {FSIFT_DTYPE_INT64, 1, {3}, iv};
    CHECK_OK(fsift_npy_encode(&ti, &buf, &n));
    CHECK(strstr((char *)buf + 10, "'shape': (3,)") != NULL);
    CHECK_OK(fsift_npy_parse(buf, n, &r));
    CHECK(r.dtype == FSIFT_DTYPE_INT64 && r.rank == 1 && ((int64_t *)r.data)[2] == (1LL << 40));
    free(r.data);
    free(buf);

    float sc = 4.f;
    fsift_tensor t0 = {FSIFT_DTYPE_FLOAT32, 0, {0}, &sc};
    CHECK_OK(fsift_npy_encode(&t0, &buf, &n));
    CHECK(strstr((char *)buf + 10, "'shape': ()") != NULL);
    CHECK_OK(fsift_npy_parse(buf, n, &r));
    CHECK(r.rank == 0 && *(float *)r.data == 4.f);
    free(r.data);
    free(buf);
}

static void test_npy_hostile(void) {
    const char *hdrs[] = {
        "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }",
        "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }",
        "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,2,3,4,5,6,7,8,9), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", /* data too short */
        "{'fortran_order': False, 'shape': (1,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1", 
    };
    for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++) {
        unsigned char buf[256];
        size_t hl = strlen(hdrs[i]);
        memcpy(buf, "\x93NUMPY\x01\x00", 8);
        buf[8] = (unsigned char)hl;
        buf[9] = 0;
        memcpy(buf + 10, hdrs[i], hl);
        memset(buf + 10 + hl, 0, 4);
        fsift_tensor r;
        fsift_status s = fsift_npy_parse(buf, 10 + hl + 4, &r);
        CHECK_MSG(s != FSIFT_OK, "header %zu accepted", i);
        if (s == FSIFT_OK) free(r.data);
    }
}

static void test_f16(void) {
    /* exhaustive: every half converts to float and back to itself (NaNs stay NaN) */
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = fsift_f16_to_f32((uint16_t)h);
        uint16_t back = fsift_f32_to_f16(f);
        if (f != f) bad += (back & 0x7c00) != 0x7c00 || !(back & 0x3ff);
        else bad += back != h;
    }
    CHECK_MSG(bad == 0, "%d half values do not round-trip", bad);
    CHECK(fsift_f16_to_f32(0x3c00) == 1.0f);
    CHECK(fsift_f16_to_f32(0xc000) == -2.0f);
    CHECK(fsift_f16_to_f32(0x0001) == 5.960464477539063e-08f);
    CHECK(fsift_f32_to_f16(65520.f) == 0x7c00);      /* rounds to inf */
    CHECK(fsift_f32_to_f16(65519.f) == 0x7bff);
    CHECK(fsift_f32_to_f16(1.0f + 1.0f / 2048) == 0x3c00); /* tie to even */
    CHECK(fsift_f32_to_f16(1.0f + 3.0f / 2048) == 0x3c02);
}

static atomic_int hits[64];

static void pool_body(void *arg, int ith, int nth) {
    (void)arg;
    CHECK(nth >= 1 && ith < nth);
    atomic_fetch_add(&hits[ith], 1);
}

static void test_pool(void) {
    fsift_pool *p;
    CHECK_OK(fsift_pool_new(4, &p));
    CHECK(fsift_pool_size(p) == 4);
    for (int r = 0; r < 2000; r++) fsift_pool_run(p, pool_body, NULL, (r % 4) + 1);
    /* worker i runs in jobs with want > i: 2000 jobs, want cycles 1..4 */
    CHECK(atomic_load(&hits[0]) == 2000);
    CHECK(atomic_load(&hits[1]) == 1500);
    CHECK(atomic_load(&hits[2]) == 1000);
    CHECK(atomic_load(&hits[3]) == 500);
    usleep(20000); /* let workers fall asleep, then wake them */
    fsift_pool_run(p, pool_body, NULL, 0);
    CHECK(atomic_load(&hits[3]) == 501);
    fsift_pool_free(p);
    fsift_pool_free(NULL);
    fsift_pool_run(NULL, pool_body, NULL, 8);
    CHECK(atomic_load(&hits[0]) == 2002);
    int64_t b, e, total = 0;
    for (int i = 0; i < 7; i++) {
        fsift_split_range(100, i, 7, &b, &e);
        total += e - b;
        CHECK(e - b == 14 || e - b == 15);
    }
    CHECK(total == 100);
}

static void test_atomic_write(void) {
    char dir[] = "/tmp/fsift_core_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/a.bin", dir);
    CHECK_OK(fsift_file_write_atomic(path, "hello", 5));
    void *d;
    size_t n;
    CHECK_OK(fsift_file_read(path, 100, &d, &n));
    CHECK(n == 5 && !memcmp(d, "hello", 5) && ((char *)d)[5] == 0);
    free(d);
    CHECK(fsift_file_read(path, 4, &d, &n) == FSIFT_E_LIMIT);
    CHECK(fsift_file_read(dir, 100, &d, &n) == FSIFT_E_IO);
    char missing[300];
    snprintf(missing, sizeof missing, "%s/nope/x", dir);
    CHECK(fsift_file_write_atomic(missing, "x", 1) == FSIFT_E_IO);
    unlink(path);
    rmdir(dir);
}

static void test_cpu(void) {
    const fsift_cpu *c = fsift_cpu_get();
    CHECK(c != NULL);
    CHECK(!c->avx512f || c->avx2_fma);
    CHECK(strlen(fsift_cpu_level()) > 0);
    CHECK(strlen(fsift_cpu_model()) > 0);
}

/* FIPS 180-2 test vectors, one-shot and streamed in odd pieces. */
static void test_sha256(void) {
    uint8_t d[32];
    char hex[65];
    CHECK(fsift_sha256_buf("abc", 3, d) == FSIFT_OK);
    fsift_hex(d, 32, hex);
    CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    CHECK(fsift_sha256_buf("", 0, d) == FSIFT_OK);
    fsift_hex(d, 32, hex);
    CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    fsift_sha256 h = {0};
    CHECK(fsift_sha256_init(&h) == FSIFT_OK);
    for (int i = 0; i < 1000000; i += 7) fsift_sha256_update(&h, "aaaaaaa", i + 7 <= 1000000 ? 7 : 1000000 - i);
    fsift_sha256_final(&h, d);
    fsift_sha256_free(&h);
    fsift_sha256_free(&h);
    fsift_hex(d, 32, hex);
    CHECK(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    /* a file of 3 MiB + 7 bytes ('a' repeated) against the streamed digest of the same bytes */
    char path[] = "/tmp/fsift_sha_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    size_t n = (3u << 20) + 7;
    char *big = malloc(n);
    memset(big, 'a', n);
    CHECK(write(fd, big, n) == (ssize_t)n);
    close(fd);
    uint8_t want[32];
    uint64_t size = 0;
    CHECK(fsift_sha256_buf(big, n, want) == FSIFT_OK);
    CHECK(fsift_sha256_file(path, d, &size) == FSIFT_OK);
    CHECK(size == n && !memcmp(d, want, 32));
    unlink(path);
    CHECK(fsift_sha256_file(path, d, NULL) == FSIFT_E_IO);
    free(big);
}

int main(void) {
    RUN(test_errors);
    RUN(test_npy_roundtrip);
    RUN(test_npy_hostile);
    RUN(test_f16);
    RUN(test_pool);
    RUN(test_atomic_write);
    RUN(test_cpu);
    RUN(test_sha256);
    return test_summary();
}
