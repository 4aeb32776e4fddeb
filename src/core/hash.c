/*
 * hash.c — SHA-256 for manifests (pack's .sha256, fetch's per-sample sha256, verify), on
 * OpenSSL's libcrypto EVP interface, which picks SHA-NI or AVX2 code at run time. The state
 * lives in an EVP_MD_CTX owned by fsift_sha256; contexts are per caller (no shared state).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "facesift/core.h"

fsift_status fsift_sha256_init(fsift_sha256 *h) {
    if (!h) return fsift_error(FSIFT_E_INVALID_ARG, "sha256: NULL context");
    if (!h->impl) {
        h->impl = EVP_MD_CTX_new();
        if (!h->impl) return fsift_error(FSIFT_E_NOMEM, "sha256: out of memory");
    }
    if (EVP_DigestInit_ex((EVP_MD_CTX *)h->impl, EVP_sha256(), NULL) != 1)
        return fsift_error(FSIFT_E_INTERNAL, "sha256: EVP_DigestInit_ex failed");
    return FSIFT_OK;
}

void fsift_sha256_update(fsift_sha256 *h, const void *data, size_t size) {
    if (size) EVP_DigestUpdate((EVP_MD_CTX *)h->impl, data, size);
}

void fsift_sha256_final(fsift_sha256 *h, uint8_t digest[32]) {
    unsigned int n = 32;
    EVP_DigestFinal_ex((EVP_MD_CTX *)h->impl, digest, &n);
}

void fsift_sha256_free(fsift_sha256 *h) {
    if (!h || !h->impl) return;
    EVP_MD_CTX_free((EVP_MD_CTX *)h->impl);
    h->impl = NULL;
}

fsift_status fsift_sha256_buf(const void *data, size_t size, uint8_t digest[32]) {
    fsift_sha256 h = {0};
    fsift_status st = fsift_sha256_init(&h);
    if (st) return st;
    fsift_sha256_update(&h, data, size);
    fsift_sha256_final(&h, digest);
    fsift_sha256_free(&h);
    return FSIFT_OK;
}

fsift_status fsift_sha256_file(const char *path, uint8_t digest[32], uint64_t *size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fsift_error(FSIFT_E_IO, "cannot open '%s': %s", path, strerror(errno));
    fsift_sha256 h = {0};
    fsift_status s = fsift_sha256_init(&h);
    uint8_t *buf = s ? NULL : malloc(1 << 20);
    if (!s && !buf) s = fsift_error(FSIFT_E_NOMEM, "sha256: out of memory");
    uint64_t total = 0;
    while (!s) {
        ssize_t r = read(fd, buf, 1 << 20);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) s = fsift_error(FSIFT_E_IO, "read of '%s' failed: %s", path, strerror(errno));
        if (r <= 0) break;
        fsift_sha256_update(&h, buf, (size_t)r);
        total += (uint64_t)r;
    }
    if (!s) fsift_sha256_final(&h, digest);
    if (size) *size = total;
    fsift_sha256_free(&h);
    free(buf);
    close(fd);
    return s;
}

void fsift_hex(const uint8_t *bytes, size_t n, char *hex) {
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = d[bytes[i] >> 4];
        hex[2 * i + 1] = d[bytes[i] & 15];
    }
    hex[2 * n] = 0;
}
