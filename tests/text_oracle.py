#!/usr/bin/env python3
"""text_oracle.py — an independent Python model of the caption rule and of `facesift text`'s
output, for tests/script_text_cli.sh.

gen DIR PATTERNS EXCLUDE: writes DIR/caps.{jsonl,csv,tsv} (the same 3,000 random lower-case
  ASCII captions with ids) and DIR/expected.txt (the ids the rule must keep). The model:
  words are runs of [a-z0-9]; a caption passes when some run of words equals a pattern
  (facesift text --print-patterns) and no exclusion phrase (exclude.txt) occurrence covers
  that run. Lower-case captions never trigger the first-name rule.
check DIR OUT FORMAT: parses facesift's output with Python's json / csv modules and checks
  that exactly the expected rows were kept, unchanged, each with its facesift_match.
"""
import csv
import io
import json
import random
import re
import sys


def words(s):
    return re.findall(r"[a-z0-9]+", s.lower())


def load_patterns(path):
    return {tuple(line.split()) for line in open(path, encoding="utf-8") if line.strip()}


def load_exclusions(path):
    out = []
    for line in open(path, encoding="utf-8"):
        t = line.strip()
        if t and not t.startswith("#"):
            out.append(tuple(words(t)))
    return out


def passes(caption, patterns, exclusions, maxlen):
    w = words(caption)
    covers = []
    for x in exclusions:
        for a in range(len(w) - len(x) + 1):
            if tuple(w[a:a + len(x)]) == x:
                covers.append((a, a + len(x)))
    for i in range(len(w)):
        for j in range(i + 1, min(len(w), i + maxlen) + 1):
            if tuple(w[i:j]) in patterns and not any(a <= i and j <= b for a, b in covers):
                return True
    return False


def gen(d, pat_path, excl_path):
    rnd = random.Random(5)
    patterns = load_patterns(pat_path)
    exclusions = load_exclusions(excl_path)
    pool_terms = sorted(" ".join(p) for p in patterns)
    pool_excl = [" ".join(x) for x in exclusions]
    filler = ("the a of photo image with and in on for vector art background design red blue old new "
              "mankind romance germanium manchester humane kidney womanizer childhood dentistry "
              "engineering farmhouse momentum babylon pacman superman walkman 2019 x3 4k").split()
    seps = [" ", " ", " ", ", ", "-", "'s ", " / ", "  ", "\u2019s ", " \u2014 ", "\"", "; "]
    maxlen = max(len(p) for p in patterns)
    rows = []
    for i in range(3000):
        n = rnd.randint(1, 12)
        parts = []
        for _ in range(n):
            r = rnd.random()
            if r < 0.06:
                parts.append(rnd.choice(pool_terms))
            elif r < 0.12:
                parts.append(rnd.choice(pool_excl))
            else:
                parts.append(rnd.choice(filler))
        cap = parts[0]
        for p in parts[1:]:
            cap += rnd.choice(seps) + p
        rows.append((i, cap.lower()))
    with open(d + "/caps.jsonl", "w", encoding="utf-8") as f:
        for i, c in rows:
            f.write(json.dumps({"id": i, "caption": c, "url": "http://x/%d.jpg" % i}, ensure_ascii=i % 2 == 0) + "\n")
    for name, delim in (("csv", ","), ("tsv", "\t")):
        with open(d + "/caps." + name, "w", encoding="utf-8", newline="") as f:
            if delim == ",":
                wr = csv.writer(f, lineterminator="\n")
                wr.writerow(["id", "caption", "url"])
                for i, c in rows:
                    wr.writerow([i, c, "http://x/%d.jpg" % i])
            else:
                f.write("id\tcaption\turl\n")
                for i, c in rows:
                    f.write("%d\t%s\thttp://x/%d.jpg\n" % (i, c, i))
    keep = [i for i, c in rows if passes(c, patterns, exclusions, maxlen)]
    with open(d + "/expected.txt", "w") as f:
        f.write("\n".join(map(str, keep)) + "\n")
    print("generated %d captions, %d expected to pass" % (len(rows), len(keep)))


def check(d, out, fmt):
    expected = [int(x) for x in open(d + "/expected.txt").read().split()]
    cats = {"people", "nationality", "ethnicity", "profession", "name"}
    got = []
    if fmt == "jsonl":
        src = {json.loads(l)["id"]: l.rstrip("\n") for l in open(d + "/caps.jsonl", encoding="utf-8")}
        for line in open(out, encoding="utf-8"):
            o = json.loads(line)
            m = o.pop("facesift_match")
            assert m["category"] in cats and m["term"], m
            orig = src[o["id"]]
            assert json.loads(orig) == o, (orig, o)
            assert line.startswith(orig[:-1]), "row bytes changed: %r" % line
            got.append(o["id"])
    else:
        delim = "," if fmt == "csv" else "\t"
        with open(d + "/caps." + fmt, encoding="utf-8", newline="") as f:
            rd = csv.reader(f, delimiter=delim) if fmt == "csv" else (l.rstrip("\n").split("\t") for l in f)
            src = {r[0]: r for r in rd}
        with open(out, encoding="utf-8", newline="") as f:
            rd = csv.reader(f, delimiter=delim) if fmt == "csv" else (l.rstrip("\n").split("\t") for l in f)
            header = next(rd)
            assert header == ["id", "caption", "url", "facesift_match"], header
            for r in rd:
                assert r[:3] == src[r[0]], (r, src[r[0]])
                cat, term = r[3].split(":", 1)
                assert cat in cats and term, r
                got.append(int(r[0]))
    if got != expected:
        missing = sorted(set(expected) - set(got))[:10]
        extra = sorted(set(got) - set(expected))[:10]
        print("%s: kept %d rows, the model keeps %d; missing %s, extra %s" % (fmt, len(got), len(expected), missing, extra))
        sys.exit(1)
    print("%s: %d rows kept, as the model says" % (fmt, len(got)))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4])
