#!/usr/bin/env python3
"""release_gen.py — small generated datasets for the release-tool tests (Pillow + NumPy).

  release_gen.py release DIR N [--dim 512] [--jpeg-every K]
      FaceID-6M release layout: N.png (real PNG, or JPEG bytes under .png every K-th sample),
      N.npy (float32 (dim,)), face/N.png, and DIR/meta.jsonl whose line N describes sample N.
  release_gen.py wds DIR SHARDS PER_SHARD [--dim 512]
      webdataset output as facesift build writes it: NNNNN.tar with KEY.jpg, KEY.face.png,
      KEY.npy, KEY.json (bbox, kps), KEY.txt, plus NNNNN_stats.json.
  release_gen.py jsonl FILE N
      a jsonl of N small lines (for subset scale tests).
  release_gen.py hostile DIR
      hostile split archives (see make_hostile) each as DIR/NAME.tar.gz.000… + NAME.sha256.
  release_gen.py tree DIR
      prints "sha256  relative/path" for every file under DIR, sorted (the identity oracle).
"""
import hashlib, io, json, os, sys, tarfile

def img_bytes(seed, w, h, fmt):
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, size=(h // 8 + 1, w // 8 + 1, 3), dtype=np.uint8)
    a = np.kron(base, np.ones((8, 8, 1), dtype=np.uint8))[:h, :w]
    b = io.BytesIO()
    Image.fromarray(a).save(b, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return b.getvalue()

def npy_bytes(seed, dim):
    import numpy as np
    b = io.BytesIO()
    np.save(b, np.random.default_rng(seed).standard_normal(dim).astype(np.float32))
    return b.getvalue()

def record(i):
    x = 10 + i % 7
    return {"caption": "a photo of a man number %d" % i, "bbox": [x, 12, x + 40, 60],
            "landmarks": [[x + 10, 25], [x + 30, 25], [x + 20, 35], [x + 12, 48], [x + 28, 48]],
            "image_file": "%d.png" % i}

def gen_release(d, n, dim=512, jpeg_every=3):
    os.makedirs(os.path.join(d, "face"), exist_ok=True)
    with open(os.path.join(d, "meta.jsonl"), "w") as f:
        for i in range(n):
            fmt = "JPEG" if jpeg_every and i % jpeg_every == 1 else "PNG"
            open(os.path.join(d, "%d.png" % i), "wb").write(img_bytes(i, 64 + i % 5, 48, fmt))
            open(os.path.join(d, "face", "%d.png" % i), "wb").write(img_bytes(1000 + i, 16, 16, "PNG"))
            open(os.path.join(d, "%d.npy" % i), "wb").write(npy_bytes(i, dim))
            f.write(json.dumps(record(i)) + "\n")

def add(t, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))

def gen_wds(d, shards, per, dim=512):
    os.makedirs(d, exist_ok=True)
    for s in range(shards):
        with tarfile.open(os.path.join(d, "%05d.tar" % s), "w", format=tarfile.PAX_FORMAT) as t:
            for k in range(per):
                key = "%05d%04d" % (s, k)
                r = record(s * per + k)
                meta = {"caption": r["caption"], "key": key, "width": 64, "height": 48, "bbox": r["bbox"],
                        "kps": r["landmarks"], "det_score": 0.9}
                add(t, key + ".jpg", img_bytes(s * 100 + k, 64, 48, "JPEG"))
                add(t, key + ".face.png", img_bytes(5000 + k, 16, 16, "PNG"))
                add(t, key + ".npy", npy_bytes(k, dim))
                add(t, key + ".json", json.dumps(meta).encode())
                add(t, key + ".txt", r["caption"].encode())
        json.dump({"count": per, "successes": per}, open(os.path.join(d, "%05d_stats.json" % s), "w"))

def split_archive(outdir, name, gz, part, manifest_override=None):
    os.makedirs(outdir, exist_ok=True)
    lines = []
    parts = [gz[i:i + part] for i in range(0, len(gz), part)] or [b""]
    for k, p in enumerate(parts):
        fn = "%s.tar.gz.%03d" % (name, k)
        open(os.path.join(outdir, fn), "wb").write(p)
        lines.append("%s  %s\n" % (hashlib.sha256(p).hexdigest(), fn))
    lines.append("%s  %s.tar.gz\n" % (hashlib.sha256(gz).hexdigest(), name))
    open(os.path.join(outdir, name + ".sha256"), "w").write("".join(manifest_override or lines))

def tar_gz(members):
    """members: list of (TarInfo kwargs dict, data or None)."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz", format=tarfile.GNU_FORMAT) as t:
        for kw, data in members:
            kw = dict(kw)
            ti = tarfile.TarInfo(kw.pop("name"))
            for k, v in kw.items():
                setattr(ti, k, v)
            if data is not None:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            else:
                t.addfile(ti)
    return b.getvalue()

def make_hostile(d):
    ok = ({"name": "top/ok.txt"}, b"fine\n")
    cases = {
        "traversal": [ok, ({"name": "top/../../escaped.txt"}, b"evil")],
        "absolute": [ok, ({"name": "/tmp/fsift_abs_escape.txt"}, b"evil")],
        "symlink_abs": [ok, ({"name": "top/link", "type": tarfile.SYMTYPE, "linkname": "/etc"}, None)],
        "symlink_up": [ok, ({"name": "top/link", "type": tarfile.SYMTYPE, "linkname": "../../"}, None)],
        "symlink_then_write": [ok, ({"name": "top/sub", "type": tarfile.SYMTYPE, "linkname": "."}, None),
                               ({"name": "top/sub/x.txt"}, b"through the link")],
        "hardlink_out": [ok, ({"name": "top/hl", "type": tarfile.LNKTYPE, "linkname": "../outside.txt"}, None)],
        "hardlink_abs": [ok, ({"name": "top/hl", "type": tarfile.LNKTYPE, "linkname": "/etc/passwd"}, None)],
        "device": [ok, ({"name": "top/dev", "type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3}, None)],
    }
    for name, members in cases.items():
        split_archive(os.path.join(d, name), name, tar_gz(members), 300)
    # huge declared size: a header claiming 1 TiB followed by a few bytes
    h = tarfile.TarInfo("top/huge.bin")
    h.size = 1 << 40
    raw = h.tobuf(format=tarfile.GNU_FORMAT) + b"x" * 1024
    import gzip
    split_archive(os.path.join(d, "huge"), "huge", gzip.compress(raw), 300)
    # truncated: a valid manifest over a stream cut in the middle
    gz = tar_gz([ok, ({"name": "top/big.bin"}, os.urandom(50000))])
    split_archive(os.path.join(d, "truncated"), "truncated", gz[: len(gz) // 2], 300)
    # wrong checksum: one part altered after the manifest was made
    split_archive(os.path.join(d, "badsum"), "badsum", tar_gz([ok]), 100)
    p = os.path.join(d, "badsum", "badsum.tar.gz.001")
    data = bytearray(open(p, "rb").read())
    data[0] ^= 0xFF
    open(p, "wb").write(bytes(data))

def tree(d):
    out = []
    for root, dirs, files in os.walk(d):
        for fn in files:
            p = os.path.join(root, fn)
            out.append("%s  %s" % (hashlib.sha256(open(p, "rb").read()).hexdigest(), os.path.relpath(p, d)))
    print("\n".join(sorted(out)))

def main():
    a = sys.argv[1:]
    opt = lambda name, dflt: int(a[a.index(name) + 1]) if name in a else dflt
    if a[0] == "release":
        gen_release(a[1], int(a[2]), opt("--dim", 512), opt("--jpeg-every", 3))
    elif a[0] == "wds":
        gen_wds(a[1], int(a[2]), int(a[3]), opt("--dim", 512))
    elif a[0] == "jsonl":
        n = int(a[2])
        with open(a[1], "w") as f:
            chunk = 100000
            for s in range(0, n, chunk):
                f.write("".join('{"caption":"c%d"}\n' % i for i in range(s, min(n, s + chunk))))
    elif a[0] == "hostile":
        make_hostile(a[1])
    elif a[0] == "tree":
        tree(a[1])
    else:
        sys.exit("unknown mode " + a[0])

if __name__ == "__main__":
    main()
