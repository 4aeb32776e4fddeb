#!/usr/bin/python3
"""Independent CLIP-T / CLIP-I for `facesift eval`'s end-to-end test (script_eval_e2e.sh).

    clip_eval_ref.py MANIFEST.jsonl PER_IMAGE.csv IMAGE.onnx TEXT.onnx VOCAB.txt.gz WORK_DIR

For every row of per_image.csv with status ok: pre-processes the generated and reference
images with Pillow exactly as OpenAI's CLIP transform (shorter side to 224 with BICUBIC, the
longer side int(224*long/short), centre crop at round((d-224)/2), /255, mean/std), tokenizes
the prompt with tests/clip_tok_ref.py's Python port (python3-regex), runs both towers with
onnxruntime-node (tests/oracle/ort_run.js), L2-normalises, and checks facesift's clip_t and
clip_i within 2e-3 (Pillow vs facesift bicubic may differ by one level on a few pixels).
Exit 0 when all agree, 1 otherwise.
"""

import csv
import gzip
import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import clip_tok_ref  # noqa: E402

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def preprocess(path, size=224):
    im = Image.open(path).convert("RGB")
    w, h = im.size
    if w <= h:
        nw, nh = size, int(size * h / w)
    else:
        nw, nh = int(size * w / h), size
    im = im.resize((nw, nh), Image.BICUBIC)
    top, left = int(round((nh - size) / 2.0)), int(round((nw - size) / 2.0))
    a = np.asarray(im, dtype=np.float32)[top:top + size, left:left + size] / 255.0
    a = (a - MEAN) / STD
    return a.transpose(2, 0, 1)[None].astype(np.float32)


def run_ort(model, arr, work, tag):
    inp = os.path.join(work, tag + ".npy")
    np.save(inp, arr)
    out = os.path.join(work, tag + ".out")
    subprocess.run(["node", os.path.join(HERE, "oracle", "ort_run.js"), model, inp, "-o", out],
                   check=True, stdout=subprocess.DEVNULL)
    v = np.load(os.path.join(out, "0.npy")).astype(np.float64).reshape(-1)
    return v / np.linalg.norm(v)


def main(argv):
    manifest, per_image, image_onnx, text_onnx, vocab, work = argv
    os.makedirs(work, exist_ok=True)
    with gzip.open(vocab, "rb") as f:
        lines = f.read().decode("utf-8").split("\n")[1:]
    tok = clip_tok_ref.Tokenizer([tuple(l.split()) for l in lines if l])
    base = os.path.dirname(manifest)
    cache = {}

    def img_emb(path):
        if path not in cache:
            cache[path] = run_ort(image_onnx, preprocess(path), work, "img%d" % len(cache))
        return cache[path]

    bad = checked = 0
    with open(per_image, newline="", encoding="utf-8") as f:
        for k, row in enumerate(csv.DictReader(f)):
            if row["status"] != "ok":
                continue
            g = img_emb(os.path.join(base, row["generated"]) if not os.path.isabs(row["generated"]) else row["generated"])
            r = img_emb(os.path.join(base, row["reference"]) if not os.path.isabs(row["reference"]) else row["reference"])
            ids = np.array([tok.encode(row["prompt"])], dtype=np.int64)
            t = run_ort(text_onnx, ids, work, "txt%d" % k)
            ref_t, ref_i = float(g @ t), float(g @ r)
            for name, got, want in (("clip_t", float(row["clip_t"]), ref_t), ("clip_i", float(row["clip_i"]), ref_i)):
                checked += 1
                ok = abs(got - want) <= 2e-3
                bad += not ok
                print("%s line %s %s: facesift %.6f reference %.6f" % ("ok  " if ok else "FAIL", row["line"], name, got, want))
    print("clip_eval_ref: %d values checked, %d differ" % (checked, bad))
    return 1 if bad or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
