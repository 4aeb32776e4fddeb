#!/usr/bin/python3
"""build_sample.py — the bundled sample that `make run` feeds to `facesift build`.

Writes OUTDIR (default samples/build/, git-ignored) as a folder input: one image per sample
with a sidecar caption NAME.txt, made deterministically from the test photos that
scripts/fetch-photos.sh fetched into samples/photos/ (labels: tests/data/faces/labels.json):

  - the photos themselves (the face-api group photos, grace_hopper, astronaut, camera,
    chelsea, coffee), some upscaled 2x so that they pass the resolution rule;
  - crops of single faces out of the group photos (one face filling the frame: kept);
  - variants that exercise every rule: too small (the 512 px originals), too many faces,
    face too small, no face (cat, coffee), a corrupt (truncated) JPEG, a caption that does
    not mention people, a sample without a caption, an EXIF-rotated JPEG.

Captions are written here (short, LAION-like); `expect` in OUTDIR/expected.tsv says which rule
each sample was made for (a guide for readers, not a test: the detector decides the face rules).

Usage: build_sample.py [OUTDIR] [--photos DIR]
"""
import io
import json
import os
import sys

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    args = [a for a in sys.argv[1:]]
    photos = os.path.join(ROOT, 'samples', 'photos')
    if '--photos' in args:
        i = args.index('--photos')
        photos = args[i + 1]
        del args[i:i + 2]
    out = args[0] if args else os.path.join(ROOT, 'samples', 'build')
    os.makedirs(out, exist_ok=True)
    labels = json.load(open(os.path.join(ROOT, 'tests', 'data', 'faces', 'labels.json')))['images']

    def img(name):
        return Image.open(os.path.join(photos, name)).convert('RGB')

    rows = []

    def put(name, im, caption, expect, fmt='JPEG', raw=None, exif=None):
        ext = {'JPEG': 'jpg', 'PNG': 'png'}[fmt]
        path = os.path.join(out, f'{name}.{ext}')
        if raw is None:
            b = io.BytesIO()
            kw = {'quality': 92} if fmt == 'JPEG' else {}
            if exif is not None:
                kw['exif'] = exif
            im.save(b, fmt, **kw)
            raw = b.getvalue()
        with open(path, 'wb') as f:
            f.write(raw)
        if caption is not None:
            with open(os.path.join(out, f'{name}.txt'), 'w') as f:
                f.write(caption)
        rows.append((f'{name}.{ext}', caption if caption is not None else '(none)', expect))

    def up(im, k=2):
        return im.resize((im.width * k, im.height * k), Image.LANCZOS)

    hop = img('grace_hopper.jpg')
    put('01_hopper', up(hop), 'Portrait of Rear Admiral Grace Hopper in navy uniform', 'kept')
    put('02_hopper_caption', up(hop), 'Vintage photograph, studio lighting, 1984', 'caption')
    put('03_hopper_nocaption', up(hop), None, 'no_caption')
    put('04_hopper_small', hop, 'A woman in a navy uniform', 'resolution (512 px)')
    ex = Image.Exif()
    ex[0x0112] = 8
    put('05_hopper_rotated', up(hop).transpose(Image.ROTATE_270), 'Old portrait of an American officer', 'kept (EXIF-rotated: re-encoded)', exif=ex.tobytes())
    b = io.BytesIO()
    up(hop).save(b, 'JPEG', quality=92)
    put('06_corrupt', None, 'A woman in uniform', 'decode_error (truncated JPEG)', raw=b.getvalue()[:len(b.getvalue()) // 2])
    put('07_astronaut', up(img('astronaut.png')), 'Astronaut Eileen Collins in her orange suit', 'near the 4% rule', fmt='PNG')
    put('08_camera', up(img('camera.png')), 'A photographer with a vintage camera', 'profile face')
    put('09_cat', up(img('chelsea.png')), 'A man\'s cat sitting on the floor', 'too_few_faces (no face)')
    put('10_coffee', up(img('coffee.png')), 'A cup of coffee on a saucer', 'caption')
    caps = ['Three friends smiling at a party', 'Group of people at a wedding', 'Family portrait outdoors',
            'Four colleagues posing at work', 'Five students at graduation', 'Four teammates after the game']
    for i in range(1, 7):
        name = f'sample{i}.jpg'
        im = img(name)
        n = labels[name]['n_faces']
        put(f'{10 + i}_group{i}', im, caps[i - 1], 'too_many_faces' if n > 3 else 'face_too_small')
        # one face cropped to fill the frame: box grown 2.5x, upscaled to a 640 px short side
        x1, y1, x2, y2 = labels[name]['faces'][0]['bbox']
        cx, cy, s = (x1 + x2) / 2, (y1 + y2) / 2, max(x2 - x1, y2 - y1) * 1.25
        box = (int(max(0, cx - s)), int(max(0, cy - s)), int(min(im.width, cx + s)), int(min(im.height, cy + s)))
        crop = im.crop(box)
        k = 640 / min(crop.size)
        crop = crop.resize((round(crop.width * k), round(crop.height * k)), Image.LANCZOS)
        put(f'{20 + i}_face{i}', crop, f'Close-up portrait of a {"woman" if i % 2 else "man"} smiling', 'kept (face crop)')
    with open(os.path.join(out, 'expected.tsv'), 'w') as f:
        f.write('# file\tcaption\tmade for\n')
        for r in rows:
            f.write('\t'.join(r) + '\n')
    print(f'{len(rows)} samples in {out}')


if __name__ == '__main__':
    sys.exit(main())
