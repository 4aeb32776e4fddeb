/*
 * facesift/core.h — status codes, error messages, logging, the thread pool, .npy files and
 * small file helpers shared by every subsystem.
 *
 * Errors: every fallible function returns fsift_status (0 = OK, negative = error) and writes
 * its results through out-parameters. The failing function also records a human-readable
 * detail message in a thread-local buffer, read with fsift_last_error(); the message says
 * what went wrong in words a user can act on ("onnx: initializer 'w' claims 4000 bytes but
 * only 12 remain in the file"). Bad data is an error, never an abort.
 *
 * Threads: fsift_pool is a fixed set of worker threads that run one parallel job at a time
 * (fork/join). The caller's thread takes part as worker 0. A pool is not shared between
 * threads that submit jobs concurrently: give each session its own pool.
 */
#ifndef FACESIFT_CORE_H
#define FACESIFT_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FSIFT_VERSION_STRING "0.1.0"

typedef enum fsift_status {
    FSIFT_OK = 0,
    FSIFT_E_INVALID_ARG = -1, /* a caller passed something meaningless */
    FSIFT_E_NOMEM = -2,       /* allocation failed */
    FSIFT_E_IO = -3,          /* a file could not be read or written */
    FSIFT_E_FORMAT = -4,      /* input data is corrupt or malformed */
    FSIFT_E_UNSUPPORTED = -5, /* valid input using a feature facesift does not implement */
    FSIFT_E_LIMIT = -6,       /* input exceeds a configured or built-in limit */
    FSIFT_E_SHAPE = -7,       /* tensor shapes or types do not fit together */
    FSIFT_E_INTERNAL = -8     /* a facesift bug: please report */
} fsift_status;

/* Name of a status code ("format error"); static storage. */
const char *fsift_status_str(fsift_status s);

/* The detail message of the last error set on this thread ("" if none). Thread-local
 * storage, valid until the next error on this thread. */
const char *fsift_last_error(void);

/* Records a detail message for this thread and returns `s`, so that code can write
 * `return fsift_error(FSIFT_E_FORMAT, "tflite: buffer %u out of range", i);`. */
fsift_status fsift_error(fsift_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
fsift_status fsift_verror(fsift_status s, const char *fmt, va_list ap);

/* Prepends "prefix: " to this thread's current detail message (for context on the way up). */
void fsift_error_prefix(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

void fsift_clear_error(void);

/* Our own invariants only (never input validation): prints and aborts. */
#define FSIFT_ASSERT(cond)                                                                   \
    do {                                                                                     \
        if (!(cond)) fsift_assert_fail(#cond, __FILE__, __LINE__);                           \
    } while (0)
void fsift_assert_fail(const char *cond, const char *file, int line);

/* ---- logging ------------------------------------------------------------------------ */

typedef enum fsift_log_level {
    FSIFT_LOG_ERROR = 0,
    FSIFT_LOG_WARN = 1,
    FSIFT_LOG_INFO = 2,
    FSIFT_LOG_DEBUG = 3
} fsift_log_level;

/* Sets the level below which messages are dropped (default INFO, or FSIFT_LOG env var:
 * error|warn|info|debug). Messages go to stderr, one line each, thread-safe. */
void fsift_log_set_level(fsift_log_level level);
void fsift_log(fsift_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ---- CPU features (run-time dispatch) ------------------------------------------------ */

typedef struct fsift_cpu {
    int avx2_fma;  /* AVX2 + FMA3 usable (CPU and OS) */
    int avx512f;   /* AVX-512 F usable (CPU and OS saves ZMM state) */
    int avx512bw;  /* AVX-512 BW */
    int avx512vl;  /* AVX-512 VL */
} fsift_cpu;

/* Detected once (pthread_once); FSIFT_CPU=generic|avx2|avx512 in the environment caps the
 * level, for tests and benchmarks of each code path. Static storage. */
const fsift_cpu *fsift_cpu_get(void);
/* Name of the best level in use: "avx512", "avx2" or "generic". */
const char *fsift_cpu_level(void);
/* The CPU's model name from /proc/cpuinfo or "unknown"; static storage. */
const char *fsift_cpu_model(void);

/* ---- thread pool ---------------------------------------------------------------------- */

typedef struct fsift_pool fsift_pool;

/* Job body: runs once per worker with ith in [0, nth). */
typedef void (*fsift_pool_fn)(void *arg, int ith, int nth);

/* Creates a pool of nthreads workers (the caller counts as one, so nthreads-1 threads are
 * started). nthreads <= 0 means the number of online CPUs. Caller owns the pool. */
fsift_status fsift_pool_new(int nthreads, fsift_pool **out);
void fsift_pool_free(fsift_pool *pool); /* NULL is a no-op */
int fsift_pool_size(const fsift_pool *pool); /* 1 for NULL */

/* Runs fn(arg, ith, nth) on nth = min(want, pool size) workers (want <= 0: all) and returns
 * when all have finished. A NULL pool runs fn(arg, 0, 1) on the caller. Not re-entrant. */
void fsift_pool_run(fsift_pool *pool, fsift_pool_fn fn, void *arg, int want);

/* Splits [0, n) into nth near-equal contiguous ranges; writes worker ith's range. */
static inline void fsift_split_range(int64_t n, int ith, int nth, int64_t *begin, int64_t *end) {
    int64_t q = n / nth, r = n % nth;
    *begin = (int64_t)ith * q + (ith < r ? ith : r);
    *end = *begin + q + (ith < r ? 1 : 0);
}

/* ---- time ------------------------------------------------------------------------------ */

/* Milliseconds on a monotonic clock (for durations only). */
double fsift_now_ms(void);
/* Sorts n doubles ascending (timing samples: median = v[n/2]). */
void fsift_sort_doubles(double *v, size_t n);

/* ---- process set-up -------------------------------------------------------------------- */

/* Keeps large blocks (decoded images, libjpeg's coefficient buffers) in the heap for reuse
 * instead of a fresh mmap + page faults per image (src/core/mem.c). For executables: call
 * once at start-up, before any thread; the library itself never calls it. */
void fsift_malloc_tune(void);

/* ---- files ----------------------------------------------------------------------------- */

/* Reads a whole file into a new malloc'd buffer (caller frees). Fails with FSIFT_E_LIMIT if
 * the file is larger than max_bytes. A NUL byte is appended (not counted in *size). */
fsift_status fsift_file_read(const char *path, size_t max_bytes, void **data, size_t *size);

/* Writes a file atomically: to "path.tmp.<pid>.<n>" first, fsync, then rename over path. */
fsift_status fsift_file_write_atomic(const char *path, const void *data, size_t size);

/* ---- .npy (NumPy format 1.0/2.0/3.0, little-endian, C order) ----------------------------- */

/* dtype codes shared with the runtime: the ONNX TensorProto numbering. */
typedef enum fsift_dtype {
    FSIFT_DTYPE_UNDEFINED = 0,
    FSIFT_DTYPE_FLOAT32 = 1,
    FSIFT_DTYPE_UINT8 = 2,
    FSIFT_DTYPE_INT8 = 3,
    FSIFT_DTYPE_UINT16 = 4,
    FSIFT_DTYPE_INT16 = 5,
    FSIFT_DTYPE_INT32 = 6,
    FSIFT_DTYPE_INT64 = 7,
    FSIFT_DTYPE_STRING = 8,
    FSIFT_DTYPE_BOOL = 9,
    FSIFT_DTYPE_FLOAT16 = 10,
    FSIFT_DTYPE_FLOAT64 = 11,
    FSIFT_DTYPE_UINT32 = 12,
    FSIFT_DTYPE_UINT64 = 13
} fsift_dtype;

/* Size in bytes of one element; 0 for UNDEFINED/STRING/unknown codes. */
size_t fsift_dtype_size(int dtype);
/* "float32", "int64", … or "unknown"; static storage. */
const char *fsift_dtype_name(int dtype);

#define FSIFT_MAX_RANK 8

/* A dense tensor: dtype, shape, row-major contiguous data. Whether data is owned is stated by
 * each function that hands one out. */
typedef struct fsift_tensor {
    int dtype;                     /* fsift_dtype */
    int rank;                      /* 0..FSIFT_MAX_RANK */
    int64_t dims[FSIFT_MAX_RANK];  /* elements per axis */
    void *data;
} fsift_tensor;

/* Number of elements (product of dims; 1 for rank 0). Returns -1 if a dim is negative or
 * the product overflows int64. */
int64_t fsift_tensor_numel(const fsift_tensor *t);

/* Parses .npy bytes (borrowed) into *out with freshly malloc'd data (caller frees
 * out->data). Supports dtypes <f4 <f8 <f2 <i8 <i4 <i2 |i1 <u8 <u4 <u2 |u1 |b1, C order only.
 * Every header field is checked against the buffer size. */
fsift_status fsift_npy_parse(const void *buf, size_t size, fsift_tensor *out);
fsift_status fsift_npy_load(const char *path, fsift_tensor *out);
/* Serialises a tensor as NumPy 1.0 .npy bytes into a new malloc'd buffer (caller frees). */
fsift_status fsift_npy_encode(const fsift_tensor *t, void **buf, size_t *size);
/* Writes .npy atomically. */
fsift_status fsift_npy_save(const char *path, const fsift_tensor *t);

/* ---- hashing --------------------------------------------------------------------------- */

/* SHA-256 (OpenSSL libcrypto underneath: SHA-NI / AVX2 code paths). Streaming: init, update
 * any number of times, final writes 32 bytes and leaves the context reusable after init. */
typedef struct fsift_sha256 {
    void *impl; /* EVP_MD_CTX, owned */
} fsift_sha256;
fsift_status fsift_sha256_init(fsift_sha256 *h);
void fsift_sha256_update(fsift_sha256 *h, const void *data, size_t size);
void fsift_sha256_final(fsift_sha256 *h, uint8_t digest[32]);
void fsift_sha256_free(fsift_sha256 *h); /* releases impl; a zeroed struct is a no-op */
/* One-shot digest, and the 64-char lower-case hex form (hex needs 65 bytes, NUL included). */
fsift_status fsift_sha256_buf(const void *data, size_t size, uint8_t digest[32]);
/* Digest of a whole file, read in 1 MiB blocks; *size (may be NULL) gets its length. */
fsift_status fsift_sha256_file(const char *path, uint8_t digest[32], uint64_t *size);
void fsift_hex(const uint8_t *bytes, size_t n, char *hex);

/* IEEE half <-> float conversions (round to nearest even). */
float fsift_f16_to_f32(uint16_t h);
uint16_t fsift_f32_to_f16(float f);

#ifdef __cplusplus
}
#endif
#endif
