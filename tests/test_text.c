/*
 * test_text.c — the caption rule: the hand-written cases of tests/data/captions.tsv (keep or
 * drop, and the category of the first match), match offsets and the all-matches order, the
 * folding of Latin text, hostile captions (invalid UTF-8, NUL bytes, a 10 MB caption),
 * lexicon directories given at run time (and their errors), the sizes the issue asks of the
 * built-in lexicons, and concurrent scans of one matcher.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "facesift/text.h"
#include "harness.h"

static fsift_matcher *M;

static int category_of(const char *name) {
    for (int c = 0; c < FSIFT_CAT_COUNT; c++)
        if (!strcmp(fsift_text_category_name(c), name)) return c;
    return -1;
}

static void test_captions_tsv(void) {
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/captions.tsv", test_env("FSIFT_SOURCE_DIR", "."));
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f) return;
    char line[4096];
    int cases = 0, keeps = 0, drops = 0, nonascii = 0;
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (line[0] == '#' || n == 0) continue;
        char *t1 = strchr(line, '\t');
        char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        char *t3 = t2 ? strchr(t2 + 1, '\t') : NULL;
        CHECK_MSG(t1 && t2 && t3, "bad case line: %s", line);
        if (!t1 || !t2 || !t3) continue;
        *t1 = *t2 = *t3 = 0;
        const char *caption = line, *expect = t1 + 1, *cat = t2 + 1, *why = t3 + 1;
        int want_keep = !strcmp(expect, "keep");
        CHECK_MSG(want_keep || !strcmp(expect, "drop"), "expect must be keep or drop: %s", expect);
        for (const char *p = caption; *p; p++)
            if ((unsigned char)*p >= 0x80) {
                nonascii++;
                break;
            }
        fsift_text_match m;
        memset(&m, 0, sizeof m);
        int got = fsift_matcher_first(M, caption, strlen(caption), &m);
        cases++;
        if (want_keep) {
            keeps++;
            int wc = category_of(cat);
            CHECK_MSG(wc >= 0, "unknown category '%s'", cat);
            CHECK_MSG(got == 1, "'%s' should pass (%s)", caption, why);
            if (got)
                CHECK_MSG(m.category == wc, "'%s': first match '%s' is %s, want %s (%s)", caption, m.term,
                          fsift_text_category_name(m.category), cat, why);
            if (got) CHECK(m.offset + m.length <= strlen(caption) && m.length > 0);
        } else {
            drops++;
            CHECK_MSG(got == 0, "'%s' should not pass but matched '%s' (%s) at %zu (%s)", caption, got ? m.term : "",
                      got ? fsift_text_category_name(m.category) : "", m.offset, why);
        }
    }
    fclose(f);
    CHECK_MSG(cases >= 150, "only %d cases", cases);
    CHECK(keeps >= 50 && drops >= 50 && nonascii >= 10);
}

static void test_offsets(void) {
    const char *s = "African-American women's rights";
    fsift_text_match m[8];
    size_t n = fsift_matcher_all(M, s, strlen(s), m, 8);
    CHECK(n == 3);
    if (n != 3) return;
    CHECK(m[0].category == FSIFT_CAT_ETHNICITY && m[0].offset == 0 && m[0].length == 16);
    CHECK(!strcmp(m[0].term, "African American"));
    CHECK(m[1].category == FSIFT_CAT_NATIONALITY && m[1].offset == 8 && m[1].length == 8);
    CHECK(m[2].category == FSIFT_CAT_PEOPLE && m[2].offset == 17 && m[2].length == 5);
    /* the first match is the earliest-ending, longest one */
    fsift_text_match f;
    CHECK(fsift_matcher_first(M, s, strlen(s), &f) == 1 && f.offset == 0 && f.length == 16);
    /* byte offsets after multi-byte characters */
    const char *u = "Ünïcödé “quotes” — a woman";
    CHECK(fsift_matcher_first(M, u, strlen(u), &f) == 1);
    CHECK(f.offset == strlen(u) - 5 && f.length == 5);
    /* count beyond cap, with NULL out */
    const char *many = "man woman boy girl child";
    CHECK(fsift_matcher_all(M, many, strlen(many), NULL, 0) == 5);
    CHECK(fsift_matcher_all(M, many, strlen(many), m, 2) == 5);
    CHECK(m[0].offset == 0 && m[1].offset == 4);
    /* the first-name rule spans the surname and is labelled */
    const char *nm = "photo of Jessica Alba, 2009";
    CHECK(fsift_matcher_first(M, nm, strlen(nm), &f) == 1);
    CHECK(f.kind == FSIFT_TERM_FIRST_NAME && f.offset == 9 && f.length == 12 && !strcmp(f.term, "Jessica"));
    const char *reg = "Albert Einstein";
    n = fsift_matcher_all(M, reg, strlen(reg), m, 8);
    int has_registry = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        if (m[i].kind == FSIFT_TERM_NAME && m[i].offset == 0 && m[i].length == 15) has_registry = 1;
    CHECK(has_registry);
    /* first mode: the registry name wins over the first-name rule at the same place */
    CHECK(fsift_matcher_first(M, reg, strlen(reg), &f) == 1 && f.kind == FSIFT_TERM_NAME && f.length == 15);
    const char *two = "Abraham Smith and Albert Einstein";
    CHECK(fsift_matcher_first(M, two, strlen(two), &f) == 1 && f.kind == FSIFT_TERM_FIRST_NAME && f.offset == 0 &&
          f.length == 13);
    const char *job = "Kevin Baker";
    CHECK(fsift_matcher_first(M, job, strlen(job), &f) == 1 && f.kind == FSIFT_TERM_FIRST_NAME && f.length == 11);
}

static void test_fold(void) {
    char out[128];
    const char *s = "ÉLÈVE, Ünïcode—Test’s  ŁÓDŹ ĲSSEL Ÿ";
    size_t n = fsift_text_fold(s, strlen(s), out, sizeof out);
    const char *want = "élève ünïcode test s łódź ĳssel ÿ";
    CHECK_MSG(n == strlen(want) && !memcmp(out, want, n), "fold gave '%.*s'", (int)n, out);
    /* invalid bytes are opaque letters (0x01), NUL and controls are boundaries */
    const char bad[] = "a\xff" "b\0c\x80";
    n = fsift_text_fold(bad, sizeof bad - 1, out, sizeof out);
    CHECK(n == 6 && !memcmp(out, "a\x01" "b c\x01", 6));
    /* the length is returned even when the buffer is short */
    CHECK(fsift_text_fold("hello world", 11, out, 3) == 11);
}

static void test_hostile(void) {
    fsift_text_match m;
    const char nul[] = "\0\0man\0";
    CHECK(fsift_matcher_first(M, nul, sizeof nul - 1, &m) == 1 && m.offset == 2 && m.length == 3);
    CHECK(fsift_matcher_first(M, "\xC3man", 4, &m) == 0);      /* truncated sequence glued to the word */
    CHECK(fsift_matcher_first(M, "\xffwoman\xfe", 7, &m) == 0); /* opaque bytes are letters */
    CHECK(fsift_matcher_first(M, "man \xff", 5, &m) == 1);
    CHECK(fsift_matcher_first(M, "\xED\xA0\x80 doctor", 10, &m) == 1 && m.offset == 4); /* surrogate */
    CHECK(fsift_matcher_first(M, NULL, 0, &m) == 0);
    CHECK(fsift_matcher_first(M, "", 0, NULL) == 0);
    /* a 10 MB caption: a match at its very end, and one with none */
    size_t big = 10u << 20;
    char *b = malloc(big + 16);
    CHECK(b != NULL);
    if (!b) return;
    for (size_t i = 0; i < big; i++) b[i] = "xyz qv "[i % 7];
    memcpy(b + big, " doctor", 7);
    CHECK(fsift_matcher_first(M, b, big + 7, &m) == 1 && m.offset == big + 1);
    CHECK(fsift_matcher_first(M, b, big, &m) == 0);
    /* one 10 MB word, and 10 MB of random bytes: no crash, bounded time */
    memset(b, 'a', big);
    CHECK(fsift_matcher_first(M, b, big, &m) == 0);
    uint32_t x = 12345;
    for (size_t i = 0; i < big; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (char)(x >> 24);
    }
    size_t nall = fsift_matcher_all(M, b, big, NULL, 0);
    CHECK(nall < big);
    free(b);
}

static void write_file(const char *dir, const char *name, const char *text) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_lexicon_dir(void) {
    char dir[] = "/tmp/fsift_lexXXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    write_file(dir, "people.txt", "# comment\n\n  lady  \r\nmailman\n");
    write_file(dir, "nationality.txt", "Kiwi\n");
    write_file(dir, "ethnicity.txt", "Afro-Latino\n");
    write_file(dir, "profession.txt", "tax inspector\nsecretary\n");
    fsift_matcher *m = NULL;
    /* name.txt missing: an error that names the directory */
    CHECK(fsift_matcher_load(dir, &m) != FSIFT_OK && m == NULL);
    CHECK(strstr(fsift_last_error(), "name.txt") != NULL);
    write_file(dir, "name.txt", "Ada Lovelace\n@first-names\nZorblax\n");
    CHECK_OK(fsift_matcher_load(dir, &m));
    if (m) {
        fsift_matcher_info info;
        fsift_matcher_get_info(m, &info);
        CHECK(info.terms[FSIFT_CAT_PEOPLE] == 2 && info.terms[FSIFT_CAT_NAME] == 1 && info.first_names == 1);
        CHECK(info.exclusions == 0);
        fsift_text_match t;
        CHECK(fsift_matcher_first(m, "ladies night", 12, &t) == 1 && !strcmp(t.term, "lady"));
        CHECK(fsift_matcher_first(m, "two mailmen", 11, &t) == 1 && !strcmp(t.term, "mailman"));
        CHECK(fsift_matcher_first(m, "Kiwis abroad", 12, &t) == 1 && t.category == FSIFT_CAT_NATIONALITY);
        CHECK(fsift_matcher_first(m, "kiwi fruit", 10, &t) == 1); /* no exclusion file: kept */
        CHECK(fsift_matcher_first(m, "tax  inspectors", 15, &t) == 1 && t.length == 15);
        CHECK(fsift_matcher_first(m, "secretaries", 11, &t) == 1);
        CHECK(fsift_matcher_first(m, "ada lovelace", 12, &t) == 1 && t.kind == FSIFT_TERM_NAME);
        CHECK(fsift_matcher_first(m, "Zorblax Qux", 11, &t) == 1 && t.kind == FSIFT_TERM_FIRST_NAME);
        CHECK(fsift_matcher_first(m, "a woman", 7, &t) == 0); /* not in this lexicon */
        fsift_matcher_free(m);
        m = NULL;
    }
    write_file(dir, "exclude.txt", "kiwi fruit\n");
    CHECK_OK(fsift_matcher_load(dir, &m));
    if (m) {
        fsift_text_match t;
        CHECK(fsift_matcher_first(m, "kiwi fruit", 10, &t) == 0);
        CHECK(fsift_matcher_first(m, "a Kiwi eating kiwi fruit", 24, &t) == 1 && t.offset == 2);
        fsift_matcher_free(m);
        m = NULL;
    }
    write_file(dir, "name.txt", "@bogus\n");
    CHECK(fsift_matcher_load(dir, &m) == FSIFT_E_FORMAT && m == NULL);
    CHECK(strstr(fsift_last_error(), "@bogus") != NULL);
    const char *names[] = {"people.txt", "nationality.txt", "ethnicity.txt", "profession.txt", "name.txt", "exclude.txt"};
    for (size_t i = 0; i < 6; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
    fsift_matcher_free(NULL);
}

static void test_builtin_sizes(void) {
    fsift_matcher_info info;
    fsift_matcher_get_info(M, &info);
    fprintf(stderr, "lexicons: people %zu, nationality %zu, ethnicity %zu, profession %zu, names %zu, "
                    "first names %zu, exclusions %zu; %zu patterns, %zu states, %zu bytes\n",
            info.terms[0], info.terms[1], info.terms[2], info.terms[3], info.terms[4], info.first_names,
            info.exclusions, info.patterns, info.states, info.bytes);
    CHECK(info.terms[FSIFT_CAT_PEOPLE] >= 150);
    CHECK(info.terms[FSIFT_CAT_NATIONALITY] >= 193);
    CHECK(info.terms[FSIFT_CAT_ETHNICITY] >= 60);
    CHECK(info.terms[FSIFT_CAT_PROFESSION] >= 800);
    CHECK(info.first_names >= 5000);
    CHECK(info.terms[FSIFT_CAT_NAME] >= 1000);
    CHECK(info.exclusions >= 10);
    CHECK(!strcmp(fsift_text_category_name(FSIFT_CAT_ETHNICITY), "ethnicity"));
    CHECK(!strcmp(fsift_text_category_name(99), "unknown"));
}

typedef struct thread_arg {
    int hits;
} thread_arg;

static void *scan_thread(void *p) {
    thread_arg *a = p;
    const char *caps[] = {"a man", "mankind", "Pac-Man", "Chinese tourists", "nothing here"};
    for (int r = 0; r < 2000; r++)
        for (int i = 0; i < 5; i++) {
            fsift_text_match m;
            a->hits += fsift_matcher_first(M, caps[i], strlen(caps[i]), &m);
        }
    return NULL;
}

static void test_threads(void) {
    pthread_t th[4];
    thread_arg args[4] = {{0}, {0}, {0}, {0}};
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, scan_thread, &args[i]);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) CHECK(args[i].hits == 4000);
}

int main(void) {
    if (fsift_matcher_load(NULL, &M)) {
        fprintf(stderr, "cannot load the built-in lexicons: %s\n", fsift_last_error());
        return 1;
    }
    RUN(test_captions_tsv);
    RUN(test_offsets);
    RUN(test_fold);
    RUN(test_hostile);
    RUN(test_lexicon_dir);
    RUN(test_builtin_sizes);
    RUN(test_threads);
    fsift_matcher_free(M);
    return test_summary();
}
