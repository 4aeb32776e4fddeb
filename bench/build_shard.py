#!/usr/bin/python3
"""build_shard.py — a LAION-like webdataset shard for the `facesift build` benchmark.

  build_shard.py OUT.tar N [--photos DIR] [--seed 0] [--sources FILE.tsv]

N samples (keys 000000000…), longer side 256–2048 px (uniform), aspect 0.6–1.7; 80% JPEG
(quality 85, 4:2:0), 10% PNG, 10% WebP. About 30% show one labelled face from the test
photos (tests/data/faces/labels.json) cropped so that the face box covers 1–25% of the image;
the rest are crops of the face-free photos (cat, coffee) or smooth synthetic scenes. Captions
are short LAION-style sentences that all mention a person (the shard is "pre-matched": the
benchmark turns the caption rule off). Deterministic for a given seed. --sources writes one
line per sample (key, then `face PHOTO#INDEX`, `negative PHOTO` or `synthetic`) to tell a
kept face-free crop from a kept face when comparing model sets.
"""
import io
import json
import os
import random
import sys
import tarfile

from PIL import Image, ImageDraw, ImageFilter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAPS = ['A woman walking her dog in the park', 'Portrait of a young man in a suit',
        'Person holding a coffee cup at a desk', 'Smiling girl with a red umbrella',
        'A man reading a newspaper on a bench', 'Stock photo of a businesswoman on the phone',
        'Child playing with a cat at home', 'Chef preparing food in a restaurant kitchen',
        'Actor on the red carpet', 'Senior man with glasses looking at the camera']


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    photos = os.path.join(ROOT, 'samples', 'photos')
    seed = 0
    a = sys.argv[3:]
    if '--photos' in a:
        photos = a[a.index('--photos') + 1]
    if '--seed' in a:
        seed = int(a[a.index('--seed') + 1])
    rnd = random.Random(seed)
    sources = []
    labels = json.load(open(os.path.join(ROOT, 'tests', 'data', 'faces', 'labels.json')))['images']
    faces = []
    for name, rec in sorted(labels.items()):
        for idx, f in enumerate(rec['faces']):
            if f.get('pose') != 'profile':
                faces.append((name, f['bbox'], idx))
    cache = {}

    def photo(name):
        if name not in cache:
            cache[name] = Image.open(os.path.join(photos, name)).convert('RGB')
        return cache[name]

    with tarfile.open(out + '.tmp', 'w', format=tarfile.USTAR_FORMAT) as tf:
        for i in range(n):
            long_side = rnd.randint(256, 2048)
            aspect = rnd.uniform(0.6, 1.7)
            w, h = (long_side, max(64, int(long_side / aspect))) if aspect >= 1 else (max(64, int(long_side * aspect)), long_side)
            r = rnd.random()
            if r < 0.30:
                name, (x1, y1, x2, y2), idx = rnd.choice(faces)
                src = 'face %s#%d' % (name, idx)
                im = photo(name)
                share = rnd.uniform(0.01, 0.25)
                fw = (x2 - x1)
                # window so that the face box is `share` of its area
                win_w = fw / (share * (w / h)) ** 0.5 * (w / h) ** 0.5
                win_w = fw / share ** 0.5 * (w / (w * h) ** 0.5)
                win_h = win_w * h / w
                cx, cy = (x1 + x2) / 2 + rnd.uniform(-0.3, 0.3) * win_w / 2, (y1 + y2) / 2 + rnd.uniform(-0.3, 0.3) * win_h / 2
                img = im.crop((int(cx - win_w / 2), int(cy - win_h / 2), int(cx + win_w / 2), int(cy + win_h / 2))).resize((w, h), Image.BILINEAR)
            elif r < 0.65:
                src = 'negative ' + rnd.choice(['chelsea.png', 'coffee.png'])
                im = photo(src.split()[1])
                cw = rnd.uniform(0.4, 1.0) * im.width
                ch = min(im.height, cw * h / w)
                x = rnd.uniform(0, im.width - cw)
                y = rnd.uniform(0, im.height - ch)
                img = im.crop((int(x), int(y), int(x + cw), int(y + ch))).resize((w, h), Image.BILINEAR)
            else:
                src = 'synthetic'
                img = Image.new('RGB', (w, h), tuple(rnd.randint(0, 255) for _ in range(3)))
                d = ImageDraw.Draw(img)
                for _ in range(12):
                    x0, y0 = rnd.randint(0, w), rnd.randint(0, h)
                    d.ellipse((x0, y0, x0 + rnd.randint(10, w // 2 + 10), y0 + rnd.randint(10, h // 2 + 10)),
                              fill=tuple(rnd.randint(0, 255) for _ in range(3)))
                img = img.filter(ImageFilter.GaussianBlur(3))
            f = rnd.random()
            b = io.BytesIO()
            if f < 0.8:
                img.save(b, 'JPEG', quality=85)
                ext = 'jpg'
            elif f < 0.9:
                img.save(b, 'PNG', compress_level=6)
                ext = 'png'
            else:
                img.save(b, 'WEBP', quality=80)
                ext = 'webp'
            key = f'{i:09d}'
            sources.append(f'{key}\t{src}\n')
            for mname, data in ((f'{key}.{ext}', b.getvalue()), (f'{key}.txt', rnd.choice(CAPS).encode()),
                                (f'{key}.json', json.dumps({'url': f'https://example.com/{key}.{ext}', 'width': w,
                                                            'height': h}).encode())):
                ti = tarfile.TarInfo(mname)
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
    os.replace(out + '.tmp', out)
    if '--sources' in a:
        path = a[a.index('--sources') + 1]
        with open(path + '.tmp', 'w') as fh:
            fh.writelines(sources)
        os.replace(path + '.tmp', path)


if __name__ == '__main__':
    main()
