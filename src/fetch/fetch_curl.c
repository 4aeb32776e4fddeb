/*
 * fetch_curl.c — the libcurl side of `facesift fetch`: easy-handle setup, the header, body and
 * open-socket callbacks, and the classification of each finished transfer into an image, a
 * retryable failure or a final failure with a stable error message.
 *
 * Decisions are taken as early as the protocol allows: the open-socket callback refuses
 * private addresses before connecting; the header callback, at the end of the final
 * response's headers, aborts on an X-Robots-Tag opt-out, a non-image Content-Type or a
 * Content-Length over max_size, before any body byte is read; the body callback drops the
 * bodies of non-2xx responses, aborts past max_size, and checks the magic bytes on the first
 * 16 bytes. Easy handles and their buffers are reused (a free list).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fetch/fetch_engine.h"

fsift_status engine_init(engine *en) {
    static int global_done;
    if (!global_done) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT)) return fsift_error(FSIFT_E_INTERNAL, "fetch: libcurl init failed");
        global_done = 1;
    }
    en->multi = curl_multi_init();
    en->cu = curl_url();
    if (!en->multi || !en->cu) return fsift_error(FSIFT_E_NOMEM, "fetch: libcurl init failed");
    curl_multi_setopt(en->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)en->o->concurrency);
    curl_multi_setopt(en->multi, CURLMOPT_MAXCONNECTS, (long)en->o->concurrency);
    if (en->o->user_agent) snprintf(en->ua, sizeof en->ua, "%s", en->o->user_agent);
    else snprintf(en->ua, sizeof en->ua, "facesift/%s (compatible; %s; +https://github.com/facesift)",
                  FSIFT_VERSION_STRING, en->o->ua_token);
    return FSIFT_OK;
}

void engine_free(engine *en) {
    for (size_t i = 0; i < en->nall; i++) { /* transfers still running at a deadline are dropped */
        xfer *x = en->all[i];
        if (x->it) {
            curl_multi_remove_handle(en->multi, x->easy);
            free(x->it->url);
            free(x->it->req_url);
            free(x->it->caption);
            free(x->it);
        }
        curl_easy_cleanup(x->easy);
        free(x->buf);
        free(x);
    }
    free(en->all);
    for (size_t i = 0; i < en->hcap; i++) {
        host *h = en->htab[i];
        if (!h) continue;
        while (h->head) {
            item *it = h->head;
            h->head = it->next;
            free(it->url);
            free(it->req_url);
            free(it->caption);
            free(it);
        }
        free(h->name);
        free(h);
    }
    free(en->htab);
    free(en->ring);
    if (en->multi) curl_multi_cleanup(en->multi);
    for (int i = 0; i < en->nopen; i++) {
        fetch_shard_close(en->open[i]);
        free(en->open[i]);
    }
    free(en->open);
    if (en->cu) curl_url_cleanup(en->cu);
    fetch_input_free(en->in);
}

const char *engine_host_of(engine *en, item *it) {
    CURLU *u = en->cu;
    if (curl_url_set(u, CURLUPART_URL, it->url, CURLU_ALLOW_SPACE | CURLU_URLENCODE | CURLU_NON_SUPPORT_SCHEME))
        return "malformed URL";
    char *hostname = NULL, *full = NULL;
    if (curl_url_get(u, CURLUPART_HOST, &hostname, 0) || !hostname || !*hostname) {
        curl_free(hostname);
        return "malformed URL (no host)";
    }
    for (char *p = hostname; *p; p++) *p = (char)tolower((unsigned char)*p);
    host *h = fetch_host_get(en, hostname);
    curl_free(hostname);
    if (!h) return "out of memory";
    it->host = h;
    if (!curl_url_get(u, CURLUPART_URL, &full, 0) && full && strcmp(full, it->url)) it->req_url = strdup(full);
    curl_free(full);
    return NULL;
}

/* ---- callbacks -------------------------------------------------------------------------------------- */

static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a) {
    xfer *x = ud;
    if (!x->en->o->allow_private && fsift_addr_is_private(&a->addr, a->addrlen)) {
        x->blocked = 1;
        const void *src = a->family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)&a->addr)->sin6_addr
                                                : (const void *)&((struct sockaddr_in *)&a->addr)->sin_addr;
        if (!inet_ntop(a->family, src, x->blocked_addr, sizeof x->blocked_addr)) strcpy(x->blocked_addr, "?");
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static void trim_copy(char *dst, size_t cap, const char *s, size_t n) {
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n >= cap) n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = 0;
}

static size_t on_header(char *b, size_t sz, size_t nm, void *ud) {
    xfer *x = ud;
    size_t n = sz * nm;
    const fsift_fetch_opts *o = x->en->o;
    if (n >= 5 && !memcmp(b, "HTTP/", 5)) { /* a new response (1xx, redirect or final) */
        const char *sp = memchr(b, ' ', n);
        x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        x->ctype[0] = 0;
        x->optout = 0;
        x->retry_after = -1;
        x->clen = -1;
        return n;
    }
    if (n <= 2 && (b[0] == '\r' || b[0] == '\n')) { /* end of this response's headers */
        if (x->status >= 200 && x->status < 300) {
            if (x->optout) return 0;
            if (fetch_content_type_problem(x->ctype)) {
                x->bad_ctype = 1;
                return 0;
            }
            if (x->clen > o->max_size) {
                x->too_big = 1;
                return 0;
            }
        }
        return n;
    }
    const char *colon = memchr(b, ':', n);
    if (!colon) return n;
    size_t kl = (size_t)(colon - b);
    const char *v = colon + 1;
    size_t vl = n - kl - 1;
    if (kl == 12 && !strncasecmp(b, "X-Robots-Tag", 12)) {
        if (!o->ignore_robots && fsift_robots_optout(v, vl, o->ua_token) && !x->optout) {
            x->optout = 1;
            trim_copy(x->robots, sizeof x->robots, v, vl);
        }
    } else if (kl == 12 && !strncasecmp(b, "Content-Type", 12)) {
        trim_copy(x->ctype, sizeof x->ctype, v, vl);
    } else if (kl == 14 && !strncasecmp(b, "Content-Length", 14)) {
        char t[32];
        trim_copy(t, sizeof t, v, vl);
        x->clen = strtoll(t, NULL, 10);
    } else if (kl == 11 && !strncasecmp(b, "Retry-After", 11)) {
        char t[64];
        trim_copy(t, sizeof t, v, vl);
        char *end;
        double s = strtod(t, &end);
        if (end != t && *end == 0 && s >= 0) x->retry_after = s;
        else {
            time_t when = curl_getdate(t, NULL);
            if (when > 0) {
                double d = difftime(when, time(NULL));
                x->retry_after = d > 0 ? d : 0;
            }
        }
    }
    return n;
}

static size_t on_body(char *b, size_t sz, size_t nm, void *ud) {
    xfer *x = ud;
    size_t n = sz * nm;
    if (x->status < 200 || x->status >= 300) return n; /* an error page: not kept */
    int64_t max = x->en->o->max_size;
    if ((int64_t)(x->len + n) > max) {
        x->too_big = 1;
        return 0;
    }
    if (x->len + n > x->cap) {
        size_t cap = x->cap ? x->cap : 65536;
        while (cap < x->len + n) cap *= 2;
        uint8_t *nb = realloc(x->buf, cap);
        if (!nb) return 0;
        x->buf = nb;
        x->cap = cap;
    }
    memcpy(x->buf + x->len, b, n);
    x->len += n;
    if (!x->sniffed && x->len >= 16) {
        x->sniffed = 1;
        if (fsift_image_sniff(x->buf, x->len) == FSIFT_IMG_UNKNOWN) {
            x->bad_magic = 1;
            return 0;
        }
    }
    return n;
}

/* ---- transfers ---------------------------------------------------------------------------------------- */

int engine_start(engine *en, item *it, double now) {
    const fsift_fetch_opts *o = en->o;
    xfer *x = en->free_x;
    if (x) {
        en->free_x = x->next_free;
        curl_easy_reset(x->easy);
    } else {
        if (en->nall == en->all_cap) {
            size_t nc = en->all_cap ? en->all_cap * 2 : 64;
            xfer **na = realloc(en->all, nc * sizeof *na);
            if (!na) return -1;
            en->all = na;
            en->all_cap = nc;
        }
        x = calloc(1, sizeof *x);
        if (!x) return -1;
        x->easy = curl_easy_init();
        if (!x->easy) {
            free(x);
            return -1;
        }
        en->all[en->nall++] = x;
    }
    x->en = en;
    x->it = it;
    x->len = 0;
    x->status = 0;
    x->ctype[0] = x->robots[0] = x->blocked_addr[0] = 0;
    x->optout = x->too_big = x->bad_ctype = x->bad_magic = x->blocked = x->sniffed = 0;
    x->retry_after = -1;
    x->clen = -1;
    long tmo = (long)(o->timeout_s * 1000);
    if (en->deadline) {
        double left = en->deadline - now;
        if (left < tmo) tmo = left > 1 ? (long)left : 1;
    }
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, it->req_url ? it->req_url : it->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)o->max_redirects);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tmo);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, tmo);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, en->ua);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_size);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    if (curl_multi_add_handle(en->multi, e) != CURLM_OK) {
        engine_release(en, x);
        return -1;
    }
    return 0;
}

void engine_release(engine *en, xfer *x) {
    if (x->cap > ((size_t)256 << 10)) { /* idle transfers keep at most 256 KiB each */
        free(x->buf);
        x->buf = NULL;
        x->cap = 0;
    }
    x->it = NULL;
    x->next_free = en->free_x;
    en->free_x = x;
}

int engine_classify(engine *en, xfer *x, CURLcode res, char *why, size_t cap, double *retry_after,
                    fsift_image_info *info) {
    const fsift_fetch_opts *o = en->o;
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code) x->status = code;
    *retry_after = -1;
    if (x->blocked) return snprintf(why, cap, "private address refused (%s); --allow-private allows it", x->blocked_addr), 2;
    if (x->optout) return snprintf(why, cap, "opted out: X-Robots-Tag %s", x->robots), 2;
    if (x->too_big || res == CURLE_FILESIZE_EXCEEDED)
        return snprintf(why, cap, "body larger than --max-size (%lld bytes)", (long long)o->max_size), 2;
    if (x->bad_ctype) return snprintf(why, cap, "not an image: content type %s", x->ctype), 2;
    if (x->bad_magic) return snprintf(why, cap, "not an image: unrecognised bytes"), 2;
    switch (res) {
    case CURLE_OK:
        break;
    case CURLE_OPERATION_TIMEDOUT:
        return snprintf(why, cap, "timeout"), 1;
    case CURLE_TOO_MANY_REDIRECTS:
        return snprintf(why, cap, "too many redirects (more than %d)", o->max_redirects), 2;
    case CURLE_PARTIAL_FILE:
        return snprintf(why, cap, "truncated body"), 1;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
        return snprintf(why, cap, "connection error: %s", curl_easy_strerror(res)), 1;
    case CURLE_COULDNT_CONNECT:
        return snprintf(why, cap, "could not connect"), 1;
    case CURLE_COULDNT_RESOLVE_HOST:
        return snprintf(why, cap, "could not resolve host"), 2;
    case CURLE_UNSUPPORTED_PROTOCOL:
        return snprintf(why, cap, "unsupported URL scheme (only http and https)"), 2;
    case CURLE_URL_MALFORMAT:
        return snprintf(why, cap, "malformed URL"), 2;
    default:
        return snprintf(why, cap, "%s", curl_easy_strerror(res)), 2;
    }
    if (x->status < 200 || x->status >= 300) {
        snprintf(why, cap, "HTTP %ld", x->status);
        if (x->status == 429 || x->status == 503) {
            if (x->retry_after > o->max_retry_after_s) {
                snprintf(why, cap, "HTTP %ld (Retry-After %.0f s is longer than %.0f s)", x->status, x->retry_after,
                         o->max_retry_after_s);
                return 2;
            }
            *retry_after = x->retry_after;
        }
        return x->status == 408 || x->status == 425 || x->status == 429 || x->status == 500 || x->status == 502 ||
                       x->status == 503 || x->status == 504
                   ? 1
                   : 2;
    }
    if (x->len == 0) return snprintf(why, cap, "empty body"), 2;
    if (fsift_image_probe(x->buf, x->len, NULL, info))
        return snprintf(why, cap, "not a decodable image: %s", fsift_last_error()), 2;
    if (info->format != FSIFT_IMG_JPEG && info->format != FSIFT_IMG_PNG && info->format != FSIFT_IMG_WEBP &&
        (!o->encode || !strcmp(o->encode, "keep")))
        return snprintf(why, cap, "unsupported image format %s (kept only with --encode jpg|png)",
                        fsift_image_format_name(info->format)), 2;
    return 0;
}
