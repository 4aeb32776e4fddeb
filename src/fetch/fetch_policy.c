/*
 * fetch_policy.c — the rules `facesift fetch` applies to each URL, address and response
 * before it keeps an image: which URLs are requested at all (http/https only, no control
 * characters, a host present), which addresses may be connected to (public unicast only,
 * unless --allow-private), which X-Robots-Tag values opt an image out (img2dataset's rule:
 * noai, noimageai, noindex, noimageindex, plus none, unscoped or scoped to our token), and
 * which bodies are images (content type, then magic bytes). Pure functions, no state.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "facesift/fetch.h"
#include "fetch/fetch_internal.h"

static int v4_private(uint32_t a) { /* host byte order */
    uint8_t b0 = (uint8_t)(a >> 24), b1 = (uint8_t)(a >> 16), b2 = (uint8_t)(a >> 8);
    if (b0 == 0 || b0 == 10 || b0 == 127) return 1;
    if (b0 == 100 && (b1 & 0xc0) == 64) return 1;          /* 100.64/10 CGNAT */
    if (b0 == 169 && b1 == 254) return 1;                  /* link-local */
    if (b0 == 172 && (b1 & 0xf0) == 16) return 1;          /* 172.16/12 */
    if (b0 == 192 && b1 == 168) return 1;
    if (b0 == 192 && b1 == 0 && (b2 == 0 || b2 == 2)) return 1; /* 192.0.0/24, TEST-NET-1 */
    if (b0 == 198 && (b1 & 0xfe) == 18) return 1;          /* 198.18/15 benchmarking */
    if (b0 == 198 && b1 == 51 && b2 == 100) return 1;      /* TEST-NET-2 */
    if (b0 == 203 && b1 == 0 && b2 == 113) return 1;       /* TEST-NET-3 */
    if (b0 >= 224) return 1;                               /* multicast, reserved, broadcast */
    return 0;
}

int fsift_addr_is_private(const void *sa, size_t len) {
    const struct sockaddr *s = sa;
    if (!sa || len < sizeof(sa_family_t)) return 1;
    if (s->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = sa;
        return v4_private(ntohl(in->sin_addr.s_addr));
    }
    if (s->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
        if (!memcmp(b, mapped, 12) || !memcmp(b, nat64, 12))
            return v4_private((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
        int zero = 1;
        for (int i = 0; i < 15; i++) zero &= b[i] == 0;
        if (zero) return 1;                                /* :: and ::1 */
        if ((b[0] & 0xfe) == 0xfc) return 1;               /* fc00::/7 unique local */
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return 1; /* fe80::/10 link-local */
        if (b[0] == 0xff) return 1;                        /* multicast */
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return 1; /* documentation */
        return 0;
    }
    return 1;
}

static int directive_blocks(const char *s, size_t n) {
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    static const char *const bad[] = {"noai", "noimageai", "noindex", "noimageindex", "none"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (n == strlen(bad[i]) && !strncasecmp(s, bad[i], n)) return 1;
    return 0;
}

int fsift_robots_optout(const char *v, size_t len, const char *token) {
    /* A header value is "[agent:] directive, directive, ...". */
    const char *colon = memchr(v, ':', len);
    const char *d = v;
    size_t dn = len;
    if (colon) {
        const char *a = v;
        size_t an = (size_t)(colon - v);
        while (an && isspace((unsigned char)*a)) a++, an--;
        while (an && isspace((unsigned char)a[an - 1])) an--;
        if (!token || an != strlen(token) || strncasecmp(a, token, an)) return 0;
        d = colon + 1;
        dn = len - (size_t)(colon - v) - 1;
    }
    while (dn) {
        const char *comma = memchr(d, ',', dn);
        size_t k = comma ? (size_t)(comma - d) : dn;
        if (directive_blocks(d, k)) return 1;
        if (!comma) break;
        d += k + 1;
        dn -= k + 1;
    }
    return 0;
}

const char *fetch_url_problem(const char *url, size_t len) {
    if (len == 0) return "empty URL";
    if (len > 8192) return "URL longer than 8192 bytes";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c < 0x20 || c == 0x7f) return "URL has control characters";
    }
    if (len >= 7 && !strncasecmp(url, "http://", 7)) return NULL;
    if (len >= 8 && !strncasecmp(url, "https://", 8)) return NULL;
    return "unsupported URL scheme (only http and https)";
}

const char *fetch_content_type_problem(const char *ct) {
    if (!ct || !*ct) return NULL; /* absent: the magic bytes decide */
    if (!strncasecmp(ct, "image/", 6)) return NULL;
    if (!strncasecmp(ct, "application/octet-stream", 24) || !strncasecmp(ct, "binary/octet-stream", 19)) return NULL;
    return "not an image: content type";
}
