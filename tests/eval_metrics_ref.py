#!/usr/bin/python3
"""NumPy reference for tests/test_eval_metrics.c: fixed embeddings and the metric arithmetic.

    eval_metrics_ref.py OUT.json

Writes seeded embeddings (192-d face pairs incl. anti-correlated and zero vectors, 512-d CLIP
pairs) with NumPy's cosines (float64 accumulation), Face Sim clamped at 0, and for each score
list NumPy's mean, std (ddof 0) and the percentile bootstrap of the mean replayed with the
documented generator (splitmix64 from the seed, index = next() mod n, 1000 resamples,
numpy.percentile 2.5 / 97.5).
"""
import json
import sys

import numpy as np

M64 = (1 << 64) - 1


def splitmix(seed):
    s = seed
    while True:
        s = (s + 0x9E3779B97F4A7C15) & M64
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        yield z ^ (z >> 31)


def cosine(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return 0.0 if na == 0 or nb == 0 else float(a @ b / (na * nb))


def stats(v, seed, n_boot=1000):
    v = np.asarray(v, dtype=np.float64)
    g = splitmix(seed)
    means = [v[[next(g) % len(v) for _ in range(len(v))]].mean() for _ in range(n_boot)]
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {"mean": float(v.mean()), "std": float(v.std()), "lo": float(lo), "hi": float(hi)}


def main():
    rng = np.random.default_rng(123)
    pairs = []
    for i in range(40):
        d = 192 if i % 2 == 0 else 512
        a = rng.standard_normal(d).astype(np.float32)
        b = (a * rng.uniform(-1, 1) + rng.standard_normal(d) * rng.uniform(0, 2)).astype(np.float32)
        if i == 6:
            b = -a
        if i == 8:
            b = np.zeros(d, np.float32)
        pairs.append((a, b))
    cos = [cosine(a, b) for a, b in pairs]
    face = [max(0.0, c) for c in cos]
    out = {"pairs": [{"a": a.tolist(), "b": b.tolist(), "cos": c} for (a, b), c in zip(pairs, cos)],
           "face": face, "face_stats": stats(face, 0), "cos_stats": stats(cos, 42),
           "single": stats([0.25], 7)}
    with open(sys.argv[1], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
