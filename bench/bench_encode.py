#!/usr/bin/python3
"""bench_encode.py — the Pillow side of bench_encode.c, and its test photos.

    bench_encode.py prep DIR          writes the photos as PPM/PGM into DIR, one name a line
    bench_encode.py png|jpeg PARAM FILE ITERS
                                      Pillow's Image.save to memory (PNG compress_level=PARAM,
                                      JPEG quality=PARAM) of the image in FILE; prints
                                      "median_ms min_ms bytes"

Photos: skimage's astronaut (512x512), coffee (600x400) and 2x/3x bicubic upscales of
astronaut and chelsea (1024x1024, 1353x900: resized web photos of 1-1.2 MP).
"""
import io
import os
import sys
import time

from PIL import Image

DATA = '/usr/lib/python3/dist-packages/skimage/data/'

if sys.argv[1] == 'prep':
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for name, up in (('astronaut', 1), ('coffee', 1), ('astronaut', 2), ('chelsea', 3)):
        im = Image.open(DATA + name + '.png').convert('RGB')
        if up > 1:
            im = im.resize((im.width * up, im.height * up), Image.BICUBIC)
        path = os.path.join(out, '%s_%dx%d.ppm' % (name, im.width, im.height))
        im.save(path)
        print(path)
    sys.exit(0)

kind, param, path, iters = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
img = Image.open(path)
img.load()


def once():
    b = io.BytesIO()
    if kind == 'png':
        img.save(b, 'PNG', compress_level=param)
    else:
        img.save(b, 'JPEG', quality=param)
    return len(b.getvalue())


for _ in range(2):
    n = once()
t = []
for _ in range(iters):
    t0 = time.perf_counter()
    once()
    t.append((time.perf_counter() - t0) * 1e3)
t.sort()
print('%.4f %.4f %d' % (t[len(t) // 2], t[0], n))
