#!/usr/bin/python3
"""slurm_gen.py — inputs and checks for tests/script_slurm_array.sh (the Slurm job-array test).

  slurm_gen.py gen DIR --photos PHOTOS [--shards 24]
      DIR/shards/s000.tar ... : webdataset tars (Python's tarfile), 3 samples each, made from
      the test photos: a face photo with a people caption (kept or rejected by the face
      rules), the same photo with a caption about objects (caption reject, cheap) and a
      small copy (resolution reject). Deterministic: the same photos give the same bytes.
  slurm_gen.py sha DIR
      sha256 of every file under DIR, one "HASH  RELPATH" line each, sorted by path; a stats
      file is hashed without its "run" member (wall time and per-stage milliseconds, the
      only machine-dependent bytes a build writes).
  slurm_gen.py compare A B
      the two sha listings must name the same files with the same hashes; prints a summary.
"""
import hashlib
import io
import json
import os
import sys
import tarfile

from PIL import Image

FACES = ['grace_hopper.jpg', 'grace_hopper.jpg:flip', 'astronaut.png:crop', 'sample2.jpg',
         'grace_hopper.jpg:top', 'astronaut.png:crop:flip']
PEOPLE = ['portrait of a woman in a navy uniform', 'photo of a man smiling', 'a woman at a party',
          'a young girl on the beach', 'portrait of an actor', 'an astronaut woman in a suit']


def jpeg(im, q=90):
    b = io.BytesIO()
    im.save(b, 'JPEG', quality=q)
    return b.getvalue()


def tar_add(tf, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mtime = 0
    tf.addfile(ti, io.BytesIO(data))


def gen(work, photos, n_shards):
    out = os.path.join(work, 'shards')
    os.makedirs(out, exist_ok=True)
    imgs = []
    for spec in FACES:
        f, *ops = spec.split(':')
        im = Image.open(os.path.join(photos, f)).convert('RGB')
        w, h = im.size
        if 'crop' in ops:  # the astronaut's face fills ~4% of the whole photo: crop around it
            im = im.crop((w // 5, 0, w * 4 // 5, h * 3 // 5))
        if 'top' in ops:
            im = im.crop((0, 0, w, h * 3 // 4))
        if 'flip' in ops:
            im = im.transpose(Image.FLIP_LEFT_RIGHT)
        s = 640 / min(im.size)  # shorter side 640: above --min-side 513, cheap to detect
        imgs.append(im.resize((round(im.size[0] * s), round(im.size[1] * s)), Image.LANCZOS))
    key = 0
    for k in range(n_shards):
        im = imgs[k % len(imgs)]
        small = im.resize((im.size[0] // 2, im.size[1] // 2), Image.LANCZOS)
        samples = [(jpeg(im, 85 + k % 10), PEOPLE[k % len(PEOPLE)]),
                   (jpeg(im, 80), 'a red bicycle leaning on a wall'),
                   (jpeg(small), PEOPLE[(k + 1) % len(PEOPLE)])]
        with tarfile.open(os.path.join(out, 's%03d.tar' % k), 'w', format=tarfile.USTAR_FORMAT) as tf:
            for data, cap in samples:
                tar_add(tf, '%09d.jpg' % key, data)
                tar_add(tf, '%09d.txt' % key, cap.encode())
                key += 1
    print('%d shards, %d samples -> %s' % (n_shards, key, out))


def sha(d):
    lines = []
    for root, dirs, files in os.walk(d):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            with open(p, 'rb') as fh:
                data = fh.read()
            if f.endswith('_stats.json'):
                j = json.loads(data)
                j.pop('run', None)
                data = json.dumps(j, sort_keys=True).encode()
            lines.append('%s  %s' % (hashlib.sha256(data).hexdigest(), os.path.relpath(p, d)))
    return sorted(lines, key=lambda s: s.split('  ', 1)[1])


def compare(a, b):
    la, lb = sha(a), sha(b)
    fa = dict(l.split('  ', 1)[::-1] for l in la)
    fb = dict(l.split('  ', 1)[::-1] for l in lb)
    bad = 0
    for name in sorted(set(fa) | set(fb)):
        if fa.get(name) != fb.get(name):
            print('DIFFERS: %s (%s vs %s)' % (name, fa.get(name, 'missing')[:16], fb.get(name, 'missing')[:16]))
            bad += 1
    tars = sum(1 for n in fa if n.endswith('.tar'))
    if not fa:
        print('DIFFERS: %s is empty' % a)
        return False
    if bad == 0:
        print('identical: %d files (%d shard tars, reasons, stats minus "run") sha256-equal' % (len(fa), tars))
    return bad == 0


def main():
    cmd = sys.argv[1]
    if cmd == 'gen':
        photos = sys.argv[sys.argv.index('--photos') + 1]
        n = int(sys.argv[sys.argv.index('--shards') + 1]) if '--shards' in sys.argv else 24
        gen(sys.argv[2], photos, n)
        return 0
    if cmd == 'sha':
        print('\n'.join(sha(sys.argv[2])))
        return 0
    if cmd == 'compare':
        return 0 if compare(sys.argv[2], sys.argv[3]) else 1
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main())
