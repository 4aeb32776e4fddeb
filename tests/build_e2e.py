#!/usr/bin/python3
"""build_e2e.py — inputs and oracles for tests/script_build_e2e.sh (`facesift build` with the
real default models).

  build_e2e.py gen WORK --photos DIR
      Writes WORK/shards/s0.tar (one sample per rule: kept JPEG/PNG/WebP, EXIF-rotated JPEG,
      caption miss, no caption, too small, no face, too many faces, face too small, corrupt
      JPEG, decode limit, duplicate key, large JPEG detected at a DCT scale), WORK/shards/
      s1.tar.gz (gzip shard), WORK/folder/ (images + .txt/.json sidecars), WORK/list.jsonl and
      WORK/list.csv, and WORK/expected.json: {key: reason} for every sample of each input.
  build_e2e.py check-reasons OUT EXPECTED_JSON
      Every sample of every NNNNN_reasons.jsonl has its expected reason; nothing is missing
      or listed twice; stats counts add up.
  build_e2e.py check-wds OUT
      Reads every shard with Python's tarfile: members per kept sample (image, face.png, npy,
      json, txt), .npy float32 shape (D,) finite via numpy, face crop 112x112 via Pillow,
      image size == json width/height as Pillow's Image.open reads it, extension == format.
      Writes OUT/../redetect/KEY.EXT + redetect.json for the landmark check.
  build_e2e.py check-kps REDETECT_DIR ANALYZE_JSONL
      Landmarks re-detected on the saved images (facesift analyze) within 2 px of the stored
      ones; prints the deviation of each.
  build_e2e.py check-instantid JSONL
      Keys image_file, file_name, additional_feature, bbox, landmarks, insightface_feature_file;
      paths resolve relative to the JSONL's folder; .npy loads as float32 (D,).
  build_e2e.py check-release DIR N
      FaceID-6M layout: 0..N-1 .png (real PNGs), .npy, face/.png; faceid6m.jsonl has N lines.
  build_e2e.py check-report HTML KEPT [OUT]
      The report parses, has the funnel + 4 histograms as inline SVG, one 240 px inline JPEG
      thumbnail per kept sample (up to 24), and refers to nothing outside the page. With OUT:
      the reasons files carry a "thumb" (JPEG, longest side 128) only on rejects decided after
      the decode, at most 6 per reason per shard, and the page shows exactly those among the
      first 6 examples of each reason.
  build_e2e.py sha DIR
      sha256 of every file under DIR (stats files without their "run" member), one per line.
"""
import hashlib
import io
import json
import os
import struct
import sys
import tarfile
import zlib

import numpy as np
from PIL import Image

PEOPLE = 'portrait of a woman in a navy uniform'


def jpeg(im, q=92, exif=None):
    b = io.BytesIO()
    if exif is not None:
        im.save(b, 'JPEG', quality=q, exif=exif)
    else:
        im.save(b, 'JPEG', quality=q)
    return b.getvalue()


def png(im):
    b = io.BytesIO()
    im.save(b, 'PNG')
    return b.getvalue()


def webp(im):
    b = io.BytesIO()
    im.save(b, 'WEBP', quality=90)
    return b.getvalue()


def bomb_png(w, h):
    """A PNG header claiming w x h pixels (over the 89.5 Mpx limit) with a tiny IDAT."""
    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    ihdr = struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(b'\0' * 64)) + chunk(b'IEND', b'')


def cases(photos):
    hop = Image.open(os.path.join(photos, 'grace_hopper.jpg')).convert('RGB')
    hop2 = hop.resize((640, 750), Image.LANCZOS)
    cat = Image.open(os.path.join(photos, 'chelsea.png')).convert('RGB').resize((1200, 798), Image.LANCZOS)
    # group photos at 1024 px wide (the face share does not change with the scale; the
    # detector's work does)
    s1 = Image.open(os.path.join(photos, 'sample1.jpg')).convert('RGB')
    s1 = s1.resize((1024, s1.height * 1024 // s1.width), Image.LANCZOS)
    s5 = Image.open(os.path.join(photos, 'sample5.jpg')).convert('RGB')
    s5 = s5.resize((1024, s5.height * 1024 // s5.width), Image.LANCZOS)
    ast = Image.open(os.path.join(photos, 'astronaut.png')).convert('RGB')
    # two people side by side: hopper (largest face ~6% of the canvas) and the astronaut
    duo = Image.new('RGB', (1100, 688), (128, 128, 128))
    duo.paste(hop.resize((550, 645), Image.LANCZOS), (0, 21))
    duo.paste(ast.resize((550, 550), Image.LANCZOS), (550, 69))
    # EXIF orientation 6 (rotate 90 CW to display): store the pixels rotated the other way
    ex = Image.Exif()
    ex[0x0112] = 6
    rot = jpeg(hop2.transpose(Image.ROTATE_90), exif=ex.tobytes())
    big = hop.resize((1100, 1289), Image.LANCZOS)  # pre-filter: DCT 1/2, then resized
    full = jpeg(hop2)
    out = [  # key, image bytes, ext, caption (None: no .txt), expected reason
        ('000000000', full, 'jpg', PEOPLE, 'kept'),
        ('000000001', png(hop2), 'png', 'a nurse standing', 'kept'),
        ('000000002', webp(hop2), 'webp', 'photo of a woman', 'kept'),
        ('000000003', rot, 'jpg', 'a woman in uniform', 'kept'),
        ('000000004', full, 'jpg', 'a red bicycle on a hill', 'caption'),
        ('000000005', full, 'jpg', None, 'no_caption'),
        ('000000006', jpeg(hop), 'jpg', PEOPLE, 'resolution'),
        ('000000007', jpeg(cat), 'jpg', 'a man with his cat', 'too_few_faces'),
        ('000000008', jpeg(s5), 'jpg', 'five people at a party', 'too_many_faces'),
        ('000000009', jpeg(s1), 'jpg', 'three people at a party', 'face_too_small'),
        ('000000010', full[:len(full) * 6 // 10], 'jpg', PEOPLE, 'decode_error'),
        ('000000011', bomb_png(20000, 20000), 'png', PEOPLE, 'decode_limit'),
        ('000000012', jpeg(duo), 'jpg', 'two women', 'kept'),
        ('000000013', jpeg(big), 'jpg', 'a woman, large photo', 'kept'),
        ('000000000', full, 'jpg', PEOPLE, 'duplicate_key'),
    ]
    return out


def tar_add(tf, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mtime = 0
    tf.addfile(ti, io.BytesIO(data))


def gen(work, photos):
    os.makedirs(os.path.join(work, 'shards'), exist_ok=True)
    os.makedirs(os.path.join(work, 'folder'), exist_ok=True)
    cs = cases(photos)
    expected = {'s0.tar': [], 's1.tar.gz': [], 'folder': [], 'list.jsonl': [], 'list.csv': []}
    with tarfile.open(os.path.join(work, 'shards', 's0.tar'), 'w', format=tarfile.USTAR_FORMAT) as tf:
        for key, data, ext, cap, why in cs:
            tar_add(tf, f'{key}.{ext}', data)
            if cap is not None:
                tar_add(tf, f'{key}.txt', cap.encode())
            tar_add(tf, f'{key}.json', json.dumps({'url': f'https://example.com/{key}.{ext}', 'key': key}).encode())
            expected['s0.tar'].append([key, why])
    with tarfile.open(os.path.join(work, 'shards', 's1.tar.gz'), 'w:gz', format=tarfile.USTAR_FORMAT) as tf:
        for key, data, ext, cap, why in cs[:2] + cs[4:5]:
            key = '1' + key[1:]
            tar_add(tf, f'{key}.{ext}', data)
            tar_add(tf, f'{key}.txt', cap.encode())
            expected['s1.tar.gz'].append([key, why])
    # folder: sorted by relative path; .txt sidecar, or the caption inside .json
    rows = []
    for i, (key, data, ext, cap, why) in enumerate(cs[:10]):
        name = f'img{i:02d}'
        with open(os.path.join(work, 'folder', f'{name}.{ext}'), 'wb') as f:
            f.write(data)
        if cap is not None and i % 2 == 0:
            open(os.path.join(work, 'folder', f'{name}.txt'), 'w').write(cap)
        elif cap is not None:
            json.dump({'caption': cap}, open(os.path.join(work, 'folder', f'{name}.json'), 'w'))
        expected['folder'].append([name, why])
        rows.append((f'folder/{name}.{ext}', cap, why))
    with open(os.path.join(work, 'list.jsonl'), 'w') as f:
        for i, (p, cap, why) in enumerate(rows):
            rec = {'path': p}
            if cap is not None:
                rec['caption'] = cap
            f.write(json.dumps(rec) + '\n')
            expected['list.jsonl'].append([f'{i:09d}', why])
    with open(os.path.join(work, 'list.csv'), 'w') as f:
        f.write('key,image,caption\n')
        for i, (p, cap, why) in enumerate(rows):
            c = '' if cap is None else '"' + cap.replace('"', '""') + '"'
            f.write(f'k{i},{p},{c}\n')
            # an empty CSV caption is a caption that matches nothing
            expected['list.csv'].append([f'k{i}', 'caption' if cap is None else why])
    json.dump(expected, open(os.path.join(work, 'expected.json'), 'w'), indent=1)


def read_reasons(out):
    names = sorted(n for n in os.listdir(out) if n.endswith('_reasons.jsonl'))
    res = []
    for n in names:
        lines = [json.loads(x) for x in open(os.path.join(out, n))]
        st = json.load(open(os.path.join(out, n.replace('_reasons.jsonl', '_stats.json'))))
        counts = {}
        for r in lines:
            counts[r['reason']] = counts.get(r['reason'], 0) + 1
        assert st['samples'] == len(lines), (n, st['samples'], len(lines))
        for k, v in st['reasons'].items():
            assert counts.get(k, 0) == v, (n, k, v, counts)
        res.append((st['input'], lines))
    return res


def check_reasons(out, expected_file, which):
    exp = json.load(open(expected_file))
    want = []
    for w in which.split(','):
        want += exp[w]
    got = []
    for _, lines in read_reasons(out):
        got += [[r['key'], r['reason']] for r in lines]
    bad = 0
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else None
        g = got[i] if i < len(got) else None
        if w != g:
            print(f'sample {i}: expected {w}, got {g}')
            bad += 1
    print(f'reasons: {len(got)} samples, {bad} unexpected')
    return bad == 0


def check_wds(out):
    red = os.path.join(os.path.dirname(out.rstrip('/')), 'redetect')
    os.makedirs(red, exist_ok=True)
    meta = {}
    shards = sorted(n for n in os.listdir(out) if n.endswith('.tar'))
    ok = True
    n = 0
    for sh in shards:
        with tarfile.open(os.path.join(out, sh)) as tf:
            groups = {}
            order = []
            for m in tf.getmembers():
                base = os.path.basename(m.name)
                key, ext = base.split('.', 1)
                if key not in groups:
                    groups[key] = {}
                    order.append(key)
                groups[key][ext] = tf.extractfile(m).read()
        for key in order:
            g = groups[key]
            n += 1
            img_ext = [e for e in g if e in ('jpg', 'png', 'webp')]
            need = {'face.png', 'npy', 'json', 'txt'}
            if len(img_ext) != 1 or not need <= set(g):
                print(f'{sh}/{key}: members {sorted(g)}')
                ok = False
                continue
            e = img_ext[0]
            arr = np.load(io.BytesIO(g['npy']), allow_pickle=False)
            if arr.dtype != np.float32 or arr.ndim != 1 or not np.isfinite(arr).all() or arr.shape[0] < 64:
                print(f'{sh}/{key}: npy {arr.dtype} {arr.shape}')
                ok = False
            face = Image.open(io.BytesIO(g['face.png']))
            if face.size != (112, 112) or face.format != 'PNG':
                print(f'{sh}/{key}: face crop {face.size} {face.format}')
                ok = False
            im = Image.open(io.BytesIO(g[e]))
            j = json.loads(g['json'])
            fmt = {'jpg': 'JPEG', 'png': 'PNG', 'webp': 'WEBP'}[e]
            if im.format != fmt or im.size != (j['width'], j['height']):
                print(f'{sh}/{key}: image {im.format} {im.size} vs .{e} {j["width"]}x{j["height"]}')
                ok = False
            if im.getexif().get(0x0112, 1) != 1:
                print(f'{sh}/{key}: stored image still has EXIF orientation {im.getexif().get(0x0112)}')
                ok = False
            if g['txt'].decode() != (j['caption'] or ''):
                print(f'{sh}/{key}: txt != json caption')
                ok = False
            x1, y1, x2, y2 = j['bbox']
            if not (0 <= x1 < x2 <= j['width'] + 1 and 0 <= y1 < y2 <= j['height'] + 1):
                print(f'{sh}/{key}: bbox {j["bbox"]} outside {j["width"]}x{j["height"]}')
                ok = False
            fn = os.path.join(red, f'{sh[:-4]}_{key}.{e}')
            open(fn, 'wb').write(g[e])
            meta[fn] = {'kps': j['kps'], 'reencoded': j['reencoded'], 'width': j['width']}
    json.dump(meta, open(os.path.join(red, 'redetect.json'), 'w'))
    print(f'wds: {len(shards)} shards, {n} samples read back with tarfile + numpy + Pillow: {"ok" if ok else "FAILED"}')
    return ok


def check_kps(red, analyze_jsonl):
    meta = json.load(open(os.path.join(red, 'redetect.json')))
    ok = True
    for line in open(analyze_jsonl):
        r = json.loads(line)
        m = meta[r['file']]
        if not r.get('faces'):
            print(f'{r["file"]}: no face re-detected')
            ok = False
            continue
        a = np.array(r['faces'][0]['kps'])
        b = np.array(m['kps'])
        dev = float(np.abs(a - b).max())
        scaled = max(r['width'], r['height']) > 256  # build's pre-filter ran on a 256 px copy
        flag = 'ok' if dev <= 2.0 else 'FAILED'
        if flag == 'FAILED':
            ok = False
        print(f'kps {os.path.basename(r["file"])}: max |re-detected - stored| = {dev:.3f} px ({"pre-filtered at 256 px, refined at full size" if scaled else "full scale"}) {flag}')
    return ok


def check_instantid(path):
    base = os.path.dirname(os.path.abspath(path))
    ok = True
    n = 0
    for line in open(path):
        r = json.loads(line)
        n += 1
        for k in ('image_file', 'file_name', 'additional_feature', 'bbox', 'landmarks', 'insightface_feature_file'):
            if k not in r:
                print(f'line {n}: no {k}')
                ok = False
        if len(r['bbox']) != 4 or len(r['landmarks']) != 5 or any(len(p) != 2 for p in r['landmarks']):
            print(f'line {n}: bbox/landmarks shape')
            ok = False
        im = os.path.join(base, r['image_file'])
        npy = os.path.join(base, r['insightface_feature_file'])
        if not os.path.isfile(im) or r['file_name'] != r['image_file']:
            print(f'line {n}: image {r["image_file"]} does not resolve')
            ok = False
        else:
            Image.open(im).verify()
        arr = np.load(npy)
        if arr.dtype != np.float32 or arr.ndim != 1:
            print(f'line {n}: {npy} {arr.dtype} {arr.shape}')
            ok = False
        if arr.reshape(1, -1).shape[0] != 1:
            ok = False
    print(f'instantid: {n} lines in {path}: {"ok" if ok and n else "FAILED"}')
    return ok and n > 0


def check_release(d, n):
    n = int(n)
    ok = True
    for i in range(n):
        im = Image.open(os.path.join(d, f'{i}.png'))
        if im.format != 'PNG':
            print(f'{i}.png is {im.format}')
            ok = False
        if Image.open(os.path.join(d, 'face', f'{i}.png')).size != (112, 112):
            ok = False
        if np.load(os.path.join(d, f'{i}.npy')).dtype != np.float32:
            ok = False
    if os.path.exists(os.path.join(d, f'{n}.png')):
        print(f'{n}.png exists')
        ok = False
    lines = open(os.path.join(d, 'faceid6m.jsonl')).read().splitlines()
    ids = [json.loads(x)['id'] for x in lines]
    if ids != list(range(n)):
        print(f'faceid6m.jsonl ids {ids}')
        ok = False
    print(f'release layout: {n} samples: {"ok" if ok else "FAILED"}')
    return ok


THUMB_REASONS = ('too_few_faces', 'too_many_faces', 'face_too_small', 'face_error')


def reject_thumbs(out):
    """Checks the "thumb" fields of OUT's reasons files; returns (ok, thumbnails the report
    should show: those among the first 6 examples of each reason, shards in order)."""
    import base64
    ok, shown, listed = True, 0, {}
    for n in sorted(x for x in os.listdir(out) if x.endswith('_reasons.jsonl')):
        per = {}
        for line in open(os.path.join(out, n)):
            j = json.loads(line)
            r = j['reason']
            listed[r] = listed.get(r, 0) + 1
            if 'thumb' not in j:
                continue
            per[r] = per.get(r, 0) + 1
            shown += listed[r] <= 6
            im = Image.open(io.BytesIO(base64.b64decode(j['thumb'], validate=True)))
            if r not in THUMB_REASONS or per[r] > 6 or im.format != 'JPEG' or max(im.size) > 128:
                print(f'{n} {j["key"]}: thumbnail {im.format} {im.size} on {r} (#{per[r]})')
                ok = False
        print(f'{n}: reject thumbnails {per}')
    return ok, shown


def check_report(path, kept, out=None):
    """Self-contained page: parses, 1 funnel + 4 histogram SVGs, one inline JPEG per kept
    sample (up to 24) that Pillow decodes, no external resource; with out, the reject
    thumbnails (class "rj") are those of out's reasons files."""

    import base64
    import html.parser
    import re

    class P(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.svg = 0
            self.imgs = []
            self.rejects = []
            self.external = []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == 'svg':
                self.svg += 1
            for k in ('src', 'href'):
                v = a.get(k) or ''
                if v and not v.startswith('data:'):
                    self.external.append(v)
            if tag == 'img':
                (self.rejects if a.get('class') == 'rj' else self.imgs).append(a.get('src', ''))
            if tag in ('script', 'link', 'iframe'):
                self.external.append(tag)

    p = P()
    text = open(path, encoding='utf-8').read()
    p.feed(text)
    ok = p.svg == 5 and not p.external and len(p.imgs) == min(int(kept), 24)
    for src in p.imgs:
        m = re.match(r'data:image/jpeg;base64,(.*)$', src)
        im = Image.open(io.BytesIO(base64.b64decode(m.group(1)))) if m else None
        if not im or im.width != 240:
            ok = False
    for src in p.rejects:
        m = re.match(r'data:image/jpeg;base64,(.*)$', src)
        im = Image.open(io.BytesIO(base64.b64decode(m.group(1)))) if m else None
        if not im or max(im.size) > 128:
            ok = False
    if out:
        tok, want = reject_thumbs(out)
        print(f'report: {len(p.rejects)} reject thumbnails, {want} expected')
        ok = ok and tok and len(p.rejects) == want
    print(f'report: {p.svg} svg, {len(p.imgs)} thumbnails, external {p.external[:3]}: {"ok" if ok else "FAILED"}')
    return ok


def sha(d):
    for root, dirs, files in os.walk(d):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            data = open(p, 'rb').read()
            if f.endswith('_stats.json'):
                j = json.loads(data)
                j.pop('run', None)
                data = json.dumps(j, sort_keys=True).encode()
            print(hashlib.sha256(data).hexdigest(), os.path.relpath(p, d))


def main():
    cmd = sys.argv[1]
    if cmd == 'gen':
        photos = sys.argv[sys.argv.index('--photos') + 1]
        gen(sys.argv[2], photos)
        return 0
    if cmd == 'check-reasons':
        return 0 if check_reasons(sys.argv[2], sys.argv[3], sys.argv[4]) else 1
    if cmd == 'check-wds':
        return 0 if check_wds(sys.argv[2]) else 1
    if cmd == 'check-kps':
        return 0 if check_kps(sys.argv[2], sys.argv[3]) else 1
    if cmd == 'check-instantid':
        return 0 if check_instantid(sys.argv[2]) else 1
    if cmd == 'check-release':
        return 0 if check_release(sys.argv[2], sys.argv[3]) else 1
    if cmd == 'check-report':
        return 0 if check_report(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None) else 1
    if cmd == 'sha':
        sha(sys.argv[2])
        return 0
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main())
