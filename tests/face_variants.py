#!/usr/bin/python3
"""face_variants.py — generated variants of the labelled face photos, with exact labels.

Reads the photos (samples/photos/, fetched by scripts/fetch-photos.sh) and their hand-checked
labels (tests/data/faces/labels.json) and writes into OUTDIR:
  - every face photo scaled by 0.25, 0.5, 1.5 and 2 (Pillow LANCZOS resize; labels scaled by
    the exact per-axis factor new_size / old_size),
  - every face photo rotated by -20, -10, +10, +20 degrees (counter-clockwise positive, canvas
    expanded to hold the whole image, BICUBIC; done with Image.transform and our own affine
    matrix so the label mapping is exact: Pillow's AFFINE maps output to input in corner-origin
    continuous coordinates, checked with a blob centroid when this was written),
  - composites: 1, 2, 3, 4 and 5 faces cut from the photos (box + margin) pasted on each
    negative (cat, coffee; upscaled to 1200 px wide), one grid cell per face, so boxes never
    overlap and each face box is ≥ 1% of the image,
and OUTDIR/variants.json: one record per image
  {"file", "kind": original|scale|rotate|composite|negative, "source", "param",
   "width", "height", "faces": [{"bbox", "kps", "id", "pose"}]}.
"id" names the person (photo#index in labels.json) so tests can compare embeddings of the
same face across variants. Rotated boxes keep the labelled width and height around the
rotated box centre (what a detector would box for a face tilted by ≤ 20°); landmarks are
mapped exactly. Output is deterministic (no randomness; JPEG quality 95, 4:4:4). A stamp file
(sha256 of this script + labels + photos list) makes a second run with the same inputs a no-op.

Usage: face_variants.py OUTDIR [--photos DIR] [--labels FILE]
"""
import argparse
import hashlib
import json
import math
import os
import sys

from PIL import Image, ImageOps

SCALES = (0.25, 0.5, 1.5, 2.0)
ANGLES = (-20, -10, 10, 20)
NEGATIVES = ('chelsea.png', 'coffee.png')
CANVAS_W = 1200


def load_rgb(path):
    return ImageOps.exif_transpose(Image.open(path)).convert('RGB')


def save(img, outdir, name):
    path = os.path.join(outdir, name)
    tmp = path + '.tmp'
    img.save(tmp, format='JPEG', quality=95, subsampling=0)
    os.replace(tmp, path)
    return name


def map_face(face, fn, keep_size=False):
    """Maps a labelled face through the point map fn(x, y) -> (x', y')."""
    x1, y1, x2, y2 = face['bbox']
    kps = [list(fn(x, y)) for x, y in face['kps']]
    if keep_size:
        cx, cy = fn((x1 + x2) / 2, (y1 + y2) / 2)
        w, h = x2 - x1, y2 - y1
        bbox = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]
    else:
        (ax, ay), (bx, by) = fn(x1, y1), fn(x2, y2)
        bbox = [ax, ay, bx, by]
    return dict(face, bbox=[round(v, 3) for v in bbox], kps=[[round(x, 3), round(y, 3)] for x, y in kps])


def scaled(img, faces, s):
    w, h = max(1, round(img.width * s)), max(1, round(img.height * s))
    sx, sy = w / img.width, h / img.height
    out = img.resize((w, h), Image.LANCZOS)
    return out, [map_face(f, lambda x, y: (x * sx, y * sy)) for f in faces]


def rotated(img, faces, deg):
    """Counter-clockwise rotation by deg about the image centre, canvas expanded."""
    t = math.radians(deg)
    c, s = math.cos(t), math.sin(t)
    w, h = img.width, img.height
    # forward map (y down): rotating counter-clockwise on screen
    def fwd0(x, y):
        dx, dy = x - w / 2, y - h / 2
        return (c * dx + s * dy, -s * dx + c * dy)
    corners = [fwd0(x, y) for x, y in ((0, 0), (w, 0), (0, h), (w, h))]
    minx = min(p[0] for p in corners)
    miny = min(p[1] for p in corners)
    W = math.ceil(max(p[0] for p in corners) - minx - 1e-6)
    H = math.ceil(max(p[1] for p in corners) - miny - 1e-6)
    ox, oy = (W - (max(p[0] for p in corners) - minx)) / 2 - minx, (H - (max(p[1] for p in corners) - miny)) / 2 - miny

    def fwd(x, y):
        u, v = fwd0(x, y)
        return (u + ox, v + oy)
    # inverse: (X, Y) -> input: dx = c*(X-ox) - s*(Y-oy), dy = s*(X-ox) + c*(Y-oy)
    a, b, cc = c, -s, -c * ox + s * oy + w / 2
    d, e, f = s, c, -s * ox - c * oy + h / 2
    out = img.transform((W, H), Image.AFFINE, (a, b, cc, d, e, f), resample=Image.BICUBIC,
                        fillcolor=(0, 0, 0))
    return out, [map_face(fc, fwd, keep_size=True) for fc in faces]


def composite(neg, pool, k, start):
    """k faces from pool (list of (img, face, other faces of img)) pasted in a grid on the negative."""
    s = CANVAS_W / neg.width
    canvas = neg.resize((CANVAS_W, round(neg.height * s)), Image.LANCZOS)
    cols = min(k, 3)
    rows = (k + cols - 1) // cols
    cw, ch = canvas.width // cols, canvas.height // rows
    faces = []
    for j in range(k):
        img, face, others = pool[(start + j) % len(pool)]
        x1, y1, x2, y2 = face['bbox']
        bw, bh = x2 - x1, y2 - y1
        # the widest margin whose crop holds no part of another labelled face
        for m in (0.45, 0.3, 0.2, 0.1, 0.0):
            crop_box = (max(0, round(x1 - m * bw)), max(0, round(y1 - m * bh)),
                        min(img.width, round(x2 + m * bw)), min(img.height, round(y2 + m * bh)))
            if not any(o[0] < crop_box[2] and o[2] > crop_box[0] and o[1] < crop_box[3] and
                       o[3] > crop_box[1] for o in (g['bbox'] for g in others)):
                break
        crop = img.crop(crop_box)
        # the face box fills ~45% of the cell's smaller side, whatever its source size
        f = 0.45 * min(cw, ch) / max(bw, bh)
        nw, nh = max(1, round(crop.width * f)), max(1, round(crop.height * f))
        if nw > cw or nh > ch:
            f *= min(cw / nw, ch / nh)
            nw, nh = max(1, round(crop.width * f)), max(1, round(crop.height * f))
        crop = crop.resize((nw, nh), Image.LANCZOS)
        col, row = j % cols, j // cols
        px = col * cw + (cw - nw) // 2
        py = row * ch + (ch - nh) // 2
        canvas.paste(crop, (px, py))
        fx, fy = nw / (crop_box[2] - crop_box[0]), nh / (crop_box[3] - crop_box[1])
        faces.append(map_face(face, lambda x, y, fx=fx, fy=fy, cb=crop_box, px=px, py=py:
                              ((x - cb[0]) * fx + px, (y - cb[1]) * fy + py)))
    return canvas, faces


def stamp_of(photos, labels_path):
    h = hashlib.sha256()
    for p in (os.path.abspath(__file__), labels_path):
        with open(p, 'rb') as fh:
            h.update(fh.read())
    h.update(repr(sorted(os.listdir(photos))).encode())
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument('outdir')
    ap.add_argument('--photos', default=os.path.join(here, '..', 'samples', 'photos'))
    ap.add_argument('--labels', default=os.path.join(here, 'data', 'faces', 'labels.json'))
    a = ap.parse_args()
    labels = json.load(open(a.labels))['images']
    missing = [n for n in labels if not os.path.isfile(os.path.join(a.photos, n))]
    if missing:
        print('face_variants: photos missing in %s: %s (run scripts/fetch-photos.sh)'
              % (a.photos, ' '.join(missing)), file=sys.stderr)
        return 3
    os.makedirs(a.outdir, exist_ok=True)
    stamp = stamp_of(a.photos, a.labels)
    stamp_path = os.path.join(a.outdir, 'stamp')
    index_path = os.path.join(a.outdir, 'variants.json')
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp and os.path.exists(index_path):
        return 0
    records = []

    def add(img, name, kind, source, param, faces):
        records.append(dict(file=name, kind=kind, source=source, param=param,
                            width=img.width, height=img.height, faces=faces))

    pool = []
    for name, lab in labels.items():
        img = load_rgb(os.path.join(a.photos, name))
        stem = os.path.splitext(name)[0]
        faces = [dict(f, id='%s#%d' % (name, i)) for i, f in enumerate(lab['faces'])]
        kind = 'original' if faces else 'negative'
        records.append(dict(file=os.path.abspath(os.path.join(a.photos, name)), kind=kind,
                            source=name, param=None, width=img.width, height=img.height,
                            faces=faces))
        if not faces:
            continue
        for s in SCALES:
            out, fs = scaled(img, faces, s)
            add(out, save(out, a.outdir, '%s_s%g.jpg' % (stem, s)), 'scale', name, s, fs)
        for deg in ANGLES:
            out, fs = rotated(img, faces, deg)
            add(out, save(out, a.outdir, '%s_r%+d.jpg' % (stem, deg)), 'rotate', name, deg, fs)
        pool += [(img, f, [g for g in faces if g is not f]) for f in faces
                 if f.get('pose', '').startswith('frontal')]
    for k in range(1, 6):
        for ni, neg_name in enumerate(NEGATIVES):
            neg = load_rgb(os.path.join(a.photos, neg_name))
            out, fs = composite(neg, pool, k, start=(k * (k - 1) // 2 + 7 * ni) % len(pool))
            stem = os.path.splitext(neg_name)[0]
            add(out, save(out, a.outdir, 'composite%d_%s.jpg' % (k, stem)), 'composite', neg_name, k, fs)
    for r in records:
        if not os.path.isabs(r['file']):
            r['file'] = os.path.abspath(os.path.join(a.outdir, r['file']))
    tmp = index_path + '.tmp'
    with open(tmp, 'w') as fh:
        json.dump(records, fh, indent=0)
    os.replace(tmp, index_path)
    with open(stamp_path + '.tmp', 'w') as fh:
        fh.write(stamp)
    os.replace(stamp_path + '.tmp', stamp_path)
    n = sum(1 for r in records if r['kind'] != 'original' and r['kind'] != 'negative')
    print('face_variants: %d variants of %d photos in %s' % (n, len(labels), a.outdir))
    return 0


if __name__ == '__main__':
    sys.exit(main())
