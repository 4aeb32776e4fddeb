#!/usr/bin/python3
"""Reference for the CLIP tokenizer test (tests/test_clip_tokenizer.c).

    clip_tok_ref.py OUT_DIR [--strings N] [--merges M]

1. Builds a BPE vocabulary with CLIP's published construction, learned here on a generated
   corpus (nothing is downloaded): the 256 byte symbols of the GPT-2 byte map, the same 256
   with "</w>", M merges learned by counting adjacent symbol pairs over the corpus words
   (most frequent first, ties by the pair's text), then <|startoftext|> and <|endoftext|>.
2. Writes it in every format facesift reads:
     OUT/bpe_simple_vocab_test.txt.gz   OpenAI's merges file ("#version: 0.2" header)
     OUT/hf/vocab.json + OUT/hf/merges.txt   Hugging Face slow-tokenizer files
     OUT/tokenizer.json                 Hugging Face fast tokenizer (merges as "a b")
     OUT/tokenizer_pairs.json           the same with merges as [a, b] arrays (newer files)
3. Encodes N varied strings (ASCII, accents, CJK, emoji, numbers, punctuation, HTML
   entities, whitespace, contractions, special-token look-alikes, over-long text) with an
   independent Python port of OpenAI's SimpleTokenizer + open_clip's tokenize() run on
   Debian's python3-regex (the module OpenAI's code imports), html.unescape and str.lower;
   ftfy is left out on both sides (facesift does not reproduce it). Writes OUT/cases.jsonl:
   {"text": ..., "ids": [77 ints]} per line.
Exit 77 when python3-regex is missing.
"""

import collections
import gzip
import html
import json
import os
import random
import sys

try:
    import regex
except ImportError:
    print("SKIP: python3-regex is missing (apt-get install python3-regex)")
    sys.exit(77)

PAT = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE)
CONTEXT = 77


def byte_map():
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    chars = keep[:]
    extra = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(keep, [chr(c) for c in chars]))


BYTE_MAP = byte_map()


def clean(text):
    text = html.unescape(html.unescape(text)).strip()
    text = regex.sub(r"\s+", " ", text).strip()
    return text.lower()


def words(text):
    for tok in PAT.findall(clean(text)):
        yield "".join(BYTE_MAP[b] for b in tok.encode("utf-8"))


class Tokenizer:
    def __init__(self, merges):
        merges = merges[:49152 - 256 - 2]
        syms = list(BYTE_MAP.values())
        vocab = syms + [s + "</w>" for s in syms] + ["".join(m) for m in merges]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        self.encoder = dict(zip(vocab, range(len(vocab))))
        self.ranks = dict(zip(merges, range(len(merges))))
        self.vocab = vocab

    def bpe(self, tok):
        if tok in ("<|startoftext|>", "<|endoftext|>"):
            return [tok]
        word = list(tok[:-1]) + [tok[-1] + "</w>"]
        while len(word) > 1:
            pairs = set(zip(word, word[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == best[0] and word[i + 1] == best[1]:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        return word

    def encode(self, text):
        ids = [self.encoder["<|startoftext|>"]]
        for w in words(text):
            ids += [self.encoder[p] for p in self.bpe(w)]
        ids.append(self.encoder["<|endoftext|>"])
        if len(ids) > CONTEXT:
            ids = ids[:CONTEXT]
            ids[-1] = self.encoder["<|endoftext|>"]
        return ids + [0] * (CONTEXT - len(ids))


def learn_merges(corpus, n):
    freq = collections.Counter()
    for text in corpus:
        for w in words(text):
            if w in ("<|startoftext|>", "<|endoftext|>"):
                continue
            freq[tuple(w[:-1]) + (w[-1] + "</w>",)] += 1
    wordlist = [list(w) for w in freq]
    counts = [freq[w] for w in freq]
    merges = []
    while len(merges) < n:
        pairs = collections.Counter()
        for w, c in zip(wordlist, counts):
            for p in zip(w, w[1:]):
                pairs[p] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], tuple(-ord(ch) for ch in kv[0][0] + " " + kv[0][1])))[0]
        merges.append(best)
        for w in wordlist:
            i = 0
            while i + 1 < len(w):
                if w[i] == best[0] and w[i + 1] == best[1]:
                    w[i:i + 2] = [w[i] + w[i + 1]]
                i += 1
    return merges


WORDS = ("a photo of man woman person child girl boy engineer doctor teacher portrait smiling "
         "chinese east asian african european wearing shirt glasses beach city street night the "
         "and with in on at of old young happy standing sitting red blue green café naïve "
         "résumé jalapeño straße über crème brûlée mañana façade smörgåsbord").split()
SNIPPETS = ["&amp;", "&lt;b&gt;", "&quot;hi&quot;", "&#39;", "&#x27;", "&#8217;", "&nbsp;", "&copy",
            "&notin;", "&notit;", "&amp;amp;", "&#0;", "&#128;", "&#x110000;", "&#xD800;", "&#1;",
            "&#65;&#x42;", "&bogus;", "&", "&#", "&#x;", "&AMP", "&ltx", "&Sigma;", "&thinsp;",
            "<|startoftext|>", "<|endoftext|>", "<|ſtartoftext|>", "<|endoftext", "'s", "'S", "'ll",
            "'re", "'ve", "'m", "'d", "'t", "'ſ", "don't", "it's", "we'll", "you're", "I'M",
            "ΟΔΟΣ", "ΣΑΣ Σ", "İstanbul", "ǅemal", "ß", "ẞ", "Ω", "K", "Å", "ﬁne", "ｆｕｌｌ",
            "日本語のテキスト", "中文字幕", "한국어", "العربية", "עברית", "हिन्दी", "ไทย",
            "😀", "👩‍👩‍👧", "🇫🇷", "❤️", "👍🏽", "🎉🎉", "½", "²", "٣", "Ⅻ", "①", "123", "3.14",
            "1,000,000", "-42", "$9.99", "100%", "#hashtag", "@user", "e-mail", "C++", "a/b\\c",
            "(x)", "[y]", "{z}", "...", "!!!", "?!", "—", "–", "“quoted”", "‘single’", "«guillemets»",
            "\t", "\n", "\r\n", "\u00a0", "\u2003", "\u3000", "\x1c", "\x1f", "\u200b", "\u0345",
            "a\u0301", "e\u0308", "\ufeff", "\u2028", "\x00", "\x7f", "\U0001F600x", "x\U00010400",
            "Ꙁ", "ǈ", "ϴ", "ᾈ", "ﬀ", "\u0130", "Σ.", "aΣ", "aΣb", "aΣ'", "a'Σ", "ΣΣ"]


def random_char(rng):
    r = rng.random()
    if r < 0.5:
        return chr(rng.randrange(0x20, 0x7F))
    if r < 0.7:
        return chr(rng.randrange(0xA0, 0x2000))
    if r < 0.85:
        return chr(rng.randrange(0x2000, 0xD800))
    if r < 0.95:
        return chr(rng.randrange(0xE000, 0x10000))
    return chr(rng.randrange(0x10000, 0x30000))


def make_strings(rng, n):
    out = []
    for s in SNIPPETS:
        out.append(s)
        out.append("A photo of " + s + " person")
    while len(out) < n:
        kind = len(out) % 6
        if kind == 0:
            s = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 12)))
        elif kind == 1:
            s = "".join(rng.choice(WORDS + SNIPPETS + [" ", "  ", ","]) for _ in range(rng.randrange(1, 16)))
        elif kind == 2:
            s = "".join(random_char(rng) for _ in range(rng.randrange(1, 30)))
        elif kind == 3:
            s = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(60, 200)))
        elif kind == 4:
            s = "".join(rng.choice(WORDS).upper() if rng.random() < 0.3 else rng.choice(SNIPPETS)
                        for _ in range(rng.randrange(1, 10)))
        else:
            s = "".join(rng.choice(" 0123456789.,;:-+'\"&#x;ab") for _ in range(rng.randrange(1, 40)))
        out.append(s)
    return out


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    out = args[0]
    n_strings = int(args[args.index("--strings") + 1]) if "--strings" in args else 1500
    n_merges = int(args[args.index("--merges") + 1]) if "--merges" in args else 2000
    rng = random.Random(20240521)
    corpus = make_strings(random.Random(7), 600) + [" ".join(WORDS)] * 20
    merges = learn_merges(corpus, n_merges)
    tok = Tokenizer(merges)
    os.makedirs(os.path.join(out, "hf"), exist_ok=True)
    lines = "#version: 0.2\n" + "\n".join(a + " " + b for a, b in merges)
    with gzip.GzipFile(os.path.join(out, "bpe_simple_vocab_test.txt.gz"), "wb", mtime=0) as f:
        f.write(lines.encode("utf-8"))
    with open(os.path.join(out, "hf", "merges.txt"), "w", encoding="utf-8") as f:
        f.write(lines + "\n")
    with open(os.path.join(out, "hf", "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(tok.encoder, f, ensure_ascii=False)
    for name, form in (("tokenizer.json", lambda m: m[0] + " " + m[1]), ("tokenizer_pairs.json", list)):
        doc = {"version": "1.0",
               "added_tokens": [{"id": tok.encoder[s], "content": s, "special": True}
                                for s in ("<|startoftext|>", "<|endoftext|>")],
               "model": {"type": "BPE", "end_of_word_suffix": "</w>", "vocab": tok.encoder,
                         "merges": [form(m) for m in merges]}}
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=True)
    truncated = 0
    with open(os.path.join(out, "cases.jsonl"), "w", encoding="utf-8") as f:
        for s in make_strings(rng, n_strings):
            ids = tok.encode(s)
            truncated += ids[-1] != 0
            f.write(json.dumps({"text": s, "ids": ids}, ensure_ascii=True) + "\n")
    print("clip_tok_ref: %d merges, vocabulary %d, %d strings (%d truncated)" %
          (len(merges), len(tok.vocab), n_strings, truncated))
    return 0


if __name__ == "__main__":
    sys.exit(main())
