#!/usr/bin/python3
"""bench_resize.py — Pillow's Image.resize time for one bench_resize.c row.

Usage: bench_resize.py SW SH DW DH FILTER CHANNELS ITERS  (FILTER as fsift_resize_filter:
0 nearest, 1 box, 2 bilinear, 3 bicubic). Prints "median_ms min_ms". The source is the same
deterministic pattern as bench_resize.c.
"""
import sys
import time

import numpy as np
from PIL import Image

sw, sh, dw, dh, f, ch, iters = (int(v) for v in sys.argv[1:8])
y, x = np.mgrid[0:sh, 0:sw].astype(np.int64)
planes = [((x * 7 + y * 13 + c * 50 + (x * y) % 31) & 255).astype(np.uint8) for c in range(ch)]
arr = np.stack(planes, 2) if ch == 3 else planes[0]
img = Image.fromarray(arr)
filt = {0: Image.NEAREST, 1: Image.BOX, 2: Image.BILINEAR, 3: Image.BICUBIC}[f]
for _ in range(3):
    img.resize((dw, dh), filt)
t = []
for _ in range(iters):
    t0 = time.perf_counter()
    img.resize((dw, dh), filt)
    t.append((time.perf_counter() - t0) * 1e3)
t.sort()
print("%.4f %.4f" % (t[len(t) // 2], t[0]))
