#!/usr/bin/env python3
"""gen_captions.py — a LAION-like caption corpus for the caption-filter benchmark (issue 5).

JSONL rows shaped like LAION-400M/5B metadata (url, caption, width, height, similarity,
punsafe, pwatermark). Captions: a word count drawn from a log-normal (median ~9 words, long
tail to 60, like LAION's caption lengths), words drawn with Zipf weights from Debian
wamerican's dictionary minus every word of the lexicons (and their plural forms), so that
only the injected lexicon terms can match; some captions in Title Case, some with
punctuation, digits or non-ASCII (accents, curly quotes, CJK); --match-rate of the
captions (default 10%) get one lexicon term at a random place. python3 standard library only.

usage: gen_captions.py --lexicons data/lexicons --size-mb 1100 -o corpus.jsonl
A block of --unique-mb unique rows is generated and then repeated (with fresh URLs)
until the size is reached, to keep generation time down.
"""
import argparse
import itertools
import json
import os
import random
import re


def lexicon_terms(d):
    terms, first, words = [], [], set()
    for name in ("people", "nationality", "ethnicity", "profession", "name"):
        kind = "registry"
        for line in open(os.path.join(d, name + ".txt"), encoding="utf-8"):
            t = line.strip()
            if not t or t.startswith("#"):
                continue
            if t.startswith("@"):
                kind = t[1:]
                continue
            for w in re.split(r"[^\w]+", t.lower()):
                if w:
                    words.update({w, w + "s", w + "es", w[:-1] + "ies", w.replace("man", "men")})
            (first if kind == "first-names" else terms).append(t)
    return terms, first, words


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lexicons", required=True)
    ap.add_argument("--dict", default="/usr/share/dict/american-english")
    ap.add_argument("--size-mb", type=float, default=1100)
    ap.add_argument("--unique-mb", type=float, default=128)
    ap.add_argument("--match-rate", type=float, default=0.10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--out", required=True)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    terms, first, lexwords = lexicon_terms(a.lexicons)
    vocab = sorted({w.strip().lower() for w in open(a.dict, encoding="utf-8", errors="replace")
                    if re.fullmatch(r"[a-z]+", w.strip()) and w.strip().lower() not in lexwords})
    rnd.shuffle(vocab)
    vocab = vocab[:40000]
    cum = list(itertools.accumulate(1.0 / (i + 1) ** 1.07 for i in range(len(vocab))))
    extra = ["café", "naïve", "résumé", "jalapeño", "São", "Zürich", "“quoted”", "—", "北京", "東京", "ñandú", "2019",
             "4k", "hd", "png", "jpg", "x", "&", "|", "-", "3d"]
    domains = ["cdn.shopify.com/s/files/1", "i.pinimg.com/736x", "images.example-stock.com/photos",
               "upload.wikimedia.org/wikipedia/commons", "static.blogimg.net/img", "m.media-store.com/images/I"]
    target_unique = int(a.unique_mb * 1e6)
    rows, size = [], 0
    while size < target_unique:
        n = max(1, min(60, int(rnd.lognormvariate(2.2, 0.65))))
        ws = rnd.choices(vocab, cum_weights=cum, k=n)
        if rnd.random() < 0.15:
            ws.insert(rnd.randrange(n + 1), rnd.choice(extra))
        if rnd.random() < a.match_rate:
            t = rnd.choice(terms) if rnd.random() < 0.9 else rnd.choice(first) + " " + rnd.choice(vocab).title()
            ws.insert(rnd.randrange(n + 1), t)
        r = rnd.random()
        if r < 0.25:
            cap = " ".join(w[:1].upper() + w[1:] for w in ws)
        elif r < 0.3:
            cap = ", ".join(ws)
        else:
            cap = " ".join(ws)
            cap = cap[:1].upper() + cap[1:]
        rows.append(cap)
        size += len(cap) + 160
    with open(a.out + ".tmp", "w", encoding="utf-8") as f:
        written, k = 0, 0
        while written < a.size_mb * 1e6:
            for cap in rows:
                w, h = rnd.choice((512, 640, 768, 1024, 1200, 1500)), rnd.choice((384, 512, 683, 768, 1024))
                url = "https://%s/%08x%04x/%s.jpg" % (rnd.choice(domains), k, rnd.getrandbits(16), "-".join(cap.split()[:3]).lower())
                line = json.dumps({"url": url, "caption": cap, "width": w, "height": h,
                                   "similarity": round(0.28 + rnd.random() * 0.2, 6),
                                   "punsafe": round(rnd.random() * 0.1, 6), "pwatermark": round(rnd.random() * 0.5, 6)},
                                  ensure_ascii=rnd.random() < 0.5) + "\n"
                f.write(line)
                written += len(line.encode("utf-8"))
                k += 1
                if written >= a.size_mb * 1e6:
                    break
    os.replace(a.out + ".tmp", a.out)


if __name__ == "__main__":
    main()
