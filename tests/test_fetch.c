/*
 * test_fetch.c — the fetch rules that need no network: X-Robots-Tag opt-outs (img2dataset's
 * directive set, unscoped and `ua:`-scoped, case, spacing, lists), private-address
 * classification of IPv4/IPv6 socket addresses (RFC 1918, loopback, link-local, CGNAT,
 * unique-local, v4-mapped, documentation ranges vs public addresses), and option checks of
 * fsift_fetch_run. The network behaviour is tested end to end by script_fetch_*.sh.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "facesift/facesift.h"
#include "harness.h"

static int optout(const char *v, const char *tok) { return fsift_robots_optout(v, strlen(v), tok); }

static void test_robots(void) {
    const char *yes[] = {"noai", "noimageai", "noindex", "noimageindex", "none", "NoAI", " noindex , nofollow",
                         "nofollow, noimageai", "facesift: noai", "FaceSift :noimageindex", "facesift: nofollow, noindex"};
    const char *no[] = {"", "nofollow", "noarchive", "all", "otherbot: noai", "googlebot: noindex", "noai2",
                        "xnoai", "unavailable_after: 25 Jun 2010 15:00:00 PST", "facesift: nofollow"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) CHECK_MSG(optout(yes[i], "facesift") == 1, "'%s'", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) CHECK_MSG(optout(no[i], "facesift") == 0, "'%s'", no[i]);
    CHECK(optout("img2dataset: noai", "img2dataset") == 1);
    CHECK(optout("img2dataset: noai", "facesift") == 0);
}

static int priv4(const char *a) {
    struct sockaddr_in s;
    memset(&s, 0, sizeof s);
    s.sin_family = AF_INET;
    inet_pton(AF_INET, a, &s.sin_addr);
    return fsift_addr_is_private(&s, sizeof s);
}

static int priv6(const char *a) {
    struct sockaddr_in6 s;
    memset(&s, 0, sizeof s);
    s.sin6_family = AF_INET6;
    inet_pton(AF_INET6, a, &s.sin6_addr);
    return fsift_addr_is_private(&s, sizeof s);
}

static void test_private(void) {
    const char *p4[] = {"127.0.0.1", "127.255.1.2", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                        "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.5"};
    const char *pub4[] = {"8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "100.128.0.1", "193.0.0.1"};
    for (size_t i = 0; i < sizeof p4 / sizeof *p4; i++) CHECK_MSG(priv4(p4[i]) == 1, "%s", p4[i]);
    for (size_t i = 0; i < sizeof pub4 / sizeof *pub4; i++) CHECK_MSG(priv4(pub4[i]) == 0, "%s", pub4[i]);
    const char *p6[] = {"::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1",
                        "::ffff:10.0.0.1", "2001:db8::1", "64:ff9b::a00:1"};
    const char *pub6[] = {"2606:4700:4700::1111", "2a00:1450:4001::1", "::ffff:8.8.8.8"};
    for (size_t i = 0; i < sizeof p6 / sizeof *p6; i++) CHECK_MSG(priv6(p6[i]) == 1, "%s", p6[i]);
    for (size_t i = 0; i < sizeof pub6 / sizeof *pub6; i++) CHECK_MSG(priv6(pub6[i]) == 0, "%s", pub6[i]);
    CHECK(fsift_addr_is_private(NULL, 0) == 1);
}

static void test_opts(void) {
    fsift_fetch_opts o;
    fsift_fetch_opts_default(&o);
    CHECK(o.shard_size == 10000 && o.timeout_s == 10 && o.concurrency > 0);
    const char *lists[] = {"/nonexistent.jsonl"};
    fsift_fetch_stats st;
    CHECK(fsift_fetch_run(lists, 1, &o, &st) == FSIFT_E_INVALID_ARG); /* no output folder */
    o.out_dir = "/tmp";
    o.shard_size = 20000;
    CHECK(fsift_fetch_run(lists, 1, &o, &st) == FSIFT_E_INVALID_ARG); /* keys have 4 index digits */
}

int main(void) {
    RUN(test_robots);
    RUN(test_private);
    RUN(test_opts);
    return test_summary();
}
