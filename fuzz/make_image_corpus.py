#!/usr/bin/python3
"""make_image_corpus.py — writes the seed corpora of the image fuzz targets:
fuzz/corpus/{jpeg,png,webp,image}/. Small synthetic images only (no photos), each < 64 KB,
deterministic: JPEG baseline/progressive/gray/CMYK/4:4:4/restart/EXIF-rotated, PNG of every
colour type and bit depth (plain and interlaced, palette + tRNS, eXIf, XMP and raw-profile
orientation), WebP lossy/lossless/
alpha/animated/EXIF, GIF, BMP. Run with /usr/bin/python3 (Debian python3-pil, python3-numpy).
Re-run after changing it; the files are committed.
"""
import io
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
import gen_image_corpus as G  # the PNG writer and EXIF helper  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))


def synth(w, h):
    yy, xx = np.mgrid[0:h, 0:w]
    a = np.dstack([(xx * 255 // max(1, w - 1)), (yy * 255 // max(1, h - 1)), ((xx // 4 + yy // 4) % 2) * 180 + 30])
    return Image.fromarray(a.astype(np.uint8), "RGB")


def save(fmt_dir, name, data):
    d = os.path.join(here, "corpus", fmt_dir)
    os.makedirs(d, exist_ok=True)
    assert len(data) < 65536, name
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def enc(im, fmt, **kw):
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def main():
    im = synth(37, 23)
    files = {}
    files["jpeg"] = {
        "baseline.jpg": enc(im, "JPEG", quality=80),
        "progressive.jpg": enc(im, "JPEG", quality=70, progressive=True),
        "gray.jpg": enc(im.convert("L"), "JPEG"),
        "cmyk.jpg": enc(im.convert("CMYK"), "JPEG"),
        "s444.jpg": enc(im, "JPEG", subsampling=0),
        "orient6.jpg": enc(im, "JPEG", exif=G.exif_bytes(6)),
    }
    try:
        import cv2
        ok, b = cv2.imencode(".jpg", np.asarray(im)[:, :, ::-1], [cv2.IMWRITE_JPEG_RST_INTERVAL, 1])
        files["jpeg"]["restart.jpg"] = b.tobytes()
    except ImportError:
        pass
    tmp = os.path.join(here, "corpus", ".tmp.png")
    files["png"] = {}
    a = np.asarray(im)
    g = np.asarray(im.convert("L"))
    for il in (0, 1):
        for name, arr, bits, ct, kw in (
            ("g1", (g >> 7)[..., None], 1, 0, {}),
            ("g4", (g >> 4)[..., None], 4, 0, {}),
            ("g16", (g.astype(np.uint32) * 257)[..., None], 16, 0, {}),
            ("rgb8", a, 8, 2, {}),
            ("rgba16", np.dstack([a.astype(np.uint32) * 257, g.astype(np.uint32) * 257]), 16, 6, {}),
            ("ga8", np.dstack([g, 255 - g]), 8, 4, {}),
            ("p2trns", (g >> 6)[..., None], 2, 3, {"plte": [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]], "trns": b"\x00\x80"}),
            ("orient8", a, 8, 2, {"exif": G.exif_bytes(8)[6:]}),
        ):
            G.write_png(tmp, arr, bits, ct, bool(il), **kw)
            files["png"][f"{name}{'_i' if il else ''}.png"] = open(tmp, "rb").read()
    xmp = b'<x:xmpmeta><rdf:Description tiff:Orientation="6"/></x:xmpmeta>'
    hexed = G.exif_bytes(5).hex()
    raw = ("\nexif\n" + f"{len(hexed) // 2:8d}\n" + hexed + "\n").encode()
    import zlib
    for name, extra in (
        ("xmp_itxt_z.png", [(b"iTXt", b"XML:com.adobe.xmp\0\1\0\0\0" + zlib.compress(xmp))]),
        ("rawprofile_ztxt.png", [(b"zTXt", b"Raw profile type exif\0\0" + zlib.compress(raw))]),
    ):
        G.write_png(tmp, a, 8, 2, False, extra=extra)
        files["png"][name] = open(tmp, "rb").read()
    os.remove(tmp)
    rgba = im.convert("RGBA")
    rgba.putalpha(im.convert("L"))
    files["webp"] = {
        "lossy.webp": enc(im, "WEBP", quality=60),
        "lossless.webp": enc(im, "WEBP", lossless=True),
        "alpha.webp": enc(rgba, "WEBP", quality=60),
        "anim.webp": enc(im, "WEBP", save_all=True, append_images=[im.rotate(90)], duration=50),
        "orient3.webp": enc(im, "WEBP", exif=G.exif_bytes(3)),
    }
    files["image"] = {
        "a.gif": enc(im.convert("P", palette=Image.ADAPTIVE, colors=16), "GIF", transparency=2),
        "b.bmp": enc(im, "BMP"),
        "c.bmp": enc(im.convert("P", palette=Image.ADAPTIVE, colors=16), "BMP"),
    }
    for k in ("baseline.jpg", "orient6.jpg"):
        files["image"][k] = files["jpeg"][k]
    files["image"]["rgba16_i.png"] = files["png"]["rgba16_i.png"]
    files["image"]["alpha.webp"] = files["webp"]["alpha.webp"]
    files["image"]["exif_block.tif"] = G.exif_bytes(5)[6:]
    for d, fs in files.items():
        for n, data in fs.items():
            save(d, n, data)
    print(sum(len(v) for v in files.values()), "seed files")


if __name__ == "__main__":
    main()
