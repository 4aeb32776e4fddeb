#!/usr/bin/python3
"""gen_image_corpus.py — the decode-oracle corpus and its checker (tests only; Debian's
python3-pil 9.4, python3-numpy, python3-opencv; run with /usr/bin/python3).

  gen_image_corpus.py gen DIR     writes test images into DIR and DIR/manifest.json
  gen_image_corpus.py check DIR   compares DIR/out/<name>.s<N>.ppm (facesift's decodes) with
                                  Pillow's decode of each file and prints a summary

Images come from skimage's public-domain photos (chelsea 451x300 has an odd width, so edge
MCUs and rounded-up scaled sizes are exercised) and synthetic patterns. The corpus covers:
JPEG baseline 4:4:4/4:2:2/4:2:0, progressive, grayscale, CMYK (Pillow writes Adobe CMYK),
restart intervals (written with OpenCV's IMWRITE_JPEG_RST_INTERVAL), odd sizes, a damaged
but complete scan, and all 8 EXIF
orientations; PNG in every colour type and bit depth (1/2/4/8/16-bit gray, gray+alpha, RGB,
RGBA, palette ± tRNS, gray/RGB with tRNS), Adam7-interlaced variants (written by the small PNG
writer below, since Pillow cannot interlace), eXIf orientations; WebP lossy/lossless/alpha,
animated (first frame) and EXIF orientations; GIF (with transparency, interlaced); BMP 8/24/32
bit, bottom-up and top-down; GIF first frames smaller than the screen.

The oracle for a file at scale n: Image.open; for n > 1 im.draft('RGB', (w//n, h//n)) (the
draft scale is checked to be n); ImageOps.exif_transpose; images with alpha (an A band or
'transparency') are composited onto opaque white with Image.alpha_composite; then
convert('RGB'). One documented exception: 16-bit grayscale PNG, which Pillow 9.4 opens as mode
'I' and clips to 255 in convert('RGB'); facesift takes the high byte, so the oracle is
np.asarray(im) >> 8 there.
"""
import io
import json
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image, ImageOps

SKI = "/usr/lib/python3/dist-packages/skimage/data"


# ---- a small PNG writer (every colour type / bit depth, optional Adam7, tRNS, eXIf) -------

def _chunk(t, data):
    c = struct.pack(">I", len(data)) + t + data
    return c + struct.pack(">I", zlib.crc32(t + data) & 0xFFFFFFFF)


def _pack_rows(a, bits):
    """a: (h, w*ch) array of samples -> list of byte rows (no filter byte)."""
    if bits == 16:
        return [r.astype(">u2").tobytes() for r in a]
    if bits == 8:
        return [r.astype(np.uint8).tobytes() for r in a]
    per = 8 // bits
    out = []
    for r in a:
        r = r.astype(np.uint8)
        n = len(r)
        pad = (-n) % per
        r = np.concatenate([r, np.zeros(pad, np.uint8)]).reshape(-1, per)
        b = np.zeros(len(r), np.uint16)
        for i in range(per):
            b = (b << bits) | r[:, i]
        out.append(b.astype(np.uint8).tobytes())
    return out


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, arr, bits, ctype, interlace=False, plte=None, trns=None, exif=None, extra=()):
    """arr: (h, w, ch) samples already in range for `bits`."""
    h, w = arr.shape[:2]
    ch = arr.shape[2]
    raw = b""
    if interlace:
        for x0, y0, dx, dy in ADAM7:
            sub = arr[y0::dy, x0::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue
            for row in _pack_rows(sub.reshape(sub.shape[0], -1), bits):
                raw += b"\0" + row
    else:
        for row in _pack_rows(arr.reshape(h, w * ch), bits):
            raw += b"\0" + row
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bits, ctype, 0, 0, 1 if interlace else 0))
    if plte is not None:
        png += _chunk(b"PLTE", bytes(np.asarray(plte, np.uint8).reshape(-1)))
    if trns is not None:
        png += _chunk(b"tRNS", trns)
    if exif is not None:
        png += _chunk(b"eXIf", exif)
    for t, data in extra:
        png += _chunk(t, data)
    png += _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def exif_bytes(orientation):
    e = Image.Exif()
    e[0x0112] = orientation
    return e.tobytes()  # starts with "Exif\0\0"


def photo(name, size=None):
    im = Image.open(os.path.join(SKI, name))
    im.load()
    if size:
        im = im.resize(size, Image.BILINEAR)
    return im


def gen(d):
    os.makedirs(d, exist_ok=True)
    files = []  # (name, scales)

    def add(name, scales=(1,)):
        files.append({"name": name, "scales": list(scales)})

    J = (1, 2, 4, 8)
    chelsea = photo("chelsea.png").convert("RGB")       # 451x300
    astro = photo("astronaut.png").convert("RGB")       # 512x512
    coffee = photo("coffee.png").convert("RGB")         # 600x400
    camera = photo("camera.png").convert("L")           # 512x512 gray
    small = chelsea.crop((13, 7, 13 + 101, 7 + 77))     # odd, small
    # JPEG
    for ss, tag in ((0, "444"), (1, "422"), (2, "420")):
        chelsea.save(f"{d}/jpeg_{tag}.jpg", quality=90, subsampling=ss); add(f"jpeg_{tag}.jpg", J)
    astro.save(f"{d}/jpeg_progressive.jpg", quality=85, progressive=True); add("jpeg_progressive.jpg", J)
    coffee.save(f"{d}/jpeg_q50_prog444.jpg", quality=50, progressive=True, subsampling=0); add("jpeg_q50_prog444.jpg", J)
    camera.save(f"{d}/jpeg_gray.jpg", quality=90); add("jpeg_gray.jpg", J)
    camera.save(f"{d}/jpeg_gray_prog.jpg", quality=75, progressive=True); add("jpeg_gray_prog.jpg", J)
    chelsea.convert("CMYK").save(f"{d}/jpeg_cmyk.jpg", quality=90); add("jpeg_cmyk.jpg", J)
    small.save(f"{d}/jpeg_small_odd.jpg", quality=95); add("jpeg_small_odd.jpg", J)
    try:
        import cv2
        bgr = np.asarray(chelsea)[:, :, ::-1]
        for rst in (1, 7):
            ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90, cv2.IMWRITE_JPEG_RST_INTERVAL, rst])
            assert ok and b"\xff\xdd" in buf.tobytes()
            open(f"{d}/jpeg_restart{rst}.jpg", "wb").write(buf.tobytes()); add(f"jpeg_restart{rst}.jpg", J)
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 80, cv2.IMWRITE_JPEG_PROGRESSIVE, 1, cv2.IMWRITE_JPEG_RST_INTERVAL, 3])
        open(f"{d}/jpeg_restart3_prog.jpg", "wb").write(buf.tobytes()); add("jpeg_restart3_prog.jpg", J)
    except ImportError:
        print("note: python3-opencv missing: no restart-interval JPEGs")
    # Damaged but complete: bytes flipped inside the scan data (libjpeg warns, both decode).
    raw = bytearray(open(f"{d}/jpeg_420.jpg", "rb").read())
    sos = raw.index(b"\xff\xda")
    for at in range(sos + 400, len(raw) - 64, 997):
        for k in range(3):
            if raw[at + k] not in (0xFF, 0x00) and raw[at + k - 1] != 0xFF:
                raw[at + k] ^= 0x5A
                if raw[at + k] == 0xFF:
                    raw[at + k] = 0x12
    open(f"{d}/jpeg_damaged_scan.jpg", "wb").write(raw); add("jpeg_damaged_scan.jpg", J)
    for o in range(1, 9):
        small.save(f"{d}/jpeg_orient{o}.jpg", quality=92, exif=exif_bytes(o)); add(f"jpeg_orient{o}.jpg", J)
    chelsea.save(f"{d}/jpeg_orient6_big.jpg", quality=85, exif=exif_bytes(6)); add("jpeg_orient6_big.jpg", J)
    # PNG via Pillow
    chelsea.save(f"{d}/png_rgb_pil.png"); add("png_rgb_pil.png")
    camera.save(f"{d}/png_gray_pil.png"); add("png_gray_pil.png")
    for name in ("palette_color.png", "palette_gray.png", "foo3x5x4indexed.png", "green_palette.png"):
        im = Image.open(os.path.join(SKI, name)); im.save(f"{d}/png_ski_{name}"); add(f"png_ski_{name}")
    # PNG via the writer above: every colour type and bit depth, plain and interlaced
    rng = np.random.default_rng(1)
    h, w = 37, 53
    base = np.asarray(small.resize((w, h)))
    g8 = np.asarray(small.convert("L").resize((w, h)))
    yy, xx = np.mgrid[0:h, 0:w]
    alpha = ((xx * 5 + yy * 7) % 256).astype(np.uint16)
    for il in (False, True):
        t = "_i" if il else ""
        for bits in (1, 2, 4, 8, 16):
            mx = (1 << bits) - 1
            a = (g8.astype(np.uint32) * mx // 255) if bits <= 8 else (g8.astype(np.uint32) * 257 + rng.integers(0, 256, g8.shape))
            write_png(f"{d}/png_g{bits}{t}.png", a[..., None], bits, 0, il); add(f"png_g{bits}{t}.png")
        for bits in (1, 2, 4, 8):
            n = 1 << bits
            pal = rng.integers(0, 256, (n, 3))
            idx = (g8.astype(np.uint32) * (n - 1) // 255)[..., None]
            write_png(f"{d}/png_p{bits}{t}.png", idx, bits, 3, il, plte=pal); add(f"png_p{bits}{t}.png")
            tr = bytes(rng.integers(0, 256, max(1, n // 2)).astype(np.uint8))
            write_png(f"{d}/png_p{bits}_trns{t}.png", idx, bits, 3, il, plte=pal, trns=tr); add(f"png_p{bits}_trns{t}.png")
        write_png(f"{d}/png_rgb8{t}.png", base, 8, 2, il); add(f"png_rgb8{t}.png")
        b16 = base.astype(np.uint32) * 257 + rng.integers(0, 256, base.shape)
        write_png(f"{d}/png_rgb16{t}.png", b16, 16, 2, il); add(f"png_rgb16{t}.png")
        write_png(f"{d}/png_ga8{t}.png", np.dstack([g8, alpha]), 8, 4, il); add(f"png_ga8{t}.png")
        write_png(f"{d}/png_ga16{t}.png", np.dstack([g8.astype(np.uint32) * 257, alpha * 257]), 16, 4, il); add(f"png_ga16{t}.png")
        write_png(f"{d}/png_rgba8{t}.png", np.dstack([base, alpha]), 8, 6, il); add(f"png_rgba8{t}.png")
        write_png(f"{d}/png_rgba16{t}.png", np.dstack([b16, alpha * 257 + 3]), 16, 6, il); add(f"png_rgba16{t}.png")
        key = int(g8[5, 5])
        write_png(f"{d}/png_g8_trns{t}.png", g8[..., None], 8, 0, il, trns=struct.pack(">H", key)); add(f"png_g8_trns{t}.png")
        kr = base[5, 5]
        write_png(f"{d}/png_rgb8_trns{t}.png", base, 8, 2, il, trns=struct.pack(">HHH", *[int(v) for v in kr])); add(f"png_rgb8_trns{t}.png")
    for o in range(1, 9):
        write_png(f"{d}/png_orient{o}.png", base, 8, 2, False, exif=exif_bytes(o)[6:]); add(f"png_orient{o}.png")
    # PNG orientation the other ways Pillow 9.4's getexif finds it: XMP (iTXt, plain and
    # compressed), ImageMagick's "Raw profile type exif" (zTXt hex), and their precedence.
    def xmp(o, attr=True):
        body = f'tiff:Orientation="{o}"' if attr else f"<tiff:Orientation>{o}</tiff:Orientation>"
        return ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description ' + body + "/></rdf:RDF></x:xmpmeta>").encode()
    def itxt(key, text, comp=False):
        return (b"iTXt", key + b"\0" + (b"\1\0" if comp else b"\0\0") + b"\0\0" + (zlib.compress(text) if comp else text))
    hexed = exif_bytes(5).hex()
    rawprof = ("\nexif\n" + f"{len(hexed) // 2:8d}" + "\n" + "\n".join(hexed[i:i + 72] for i in range(0, len(hexed), 72)) + "\n").encode()
    no_orient = Image.Exif(); no_orient[0x010F] = "cam"
    for nm, kw in (
        ("png_xmp6.png", {"extra": [itxt(b"XML:com.adobe.xmp", xmp(6))]}),
        ("png_xmp8_elem_z.png", {"extra": [itxt(b"XML:com.adobe.xmp", xmp(8, False), True)]}),
        ("png_xmp9_invalid.png", {"extra": [itxt(b"XML:com.adobe.xmp", xmp(9))]}),
        ("png_exif3_xmp6.png", {"exif": exif_bytes(3)[6:], "extra": [itxt(b"XML:com.adobe.xmp", xmp(6))]}),
        ("png_exif_noorient_xmp7.png", {"exif": no_orient.tobytes()[6:], "extra": [itxt(b"XML:com.adobe.xmp", xmp(7))]}),
        ("png_rawprofile5.png", {"extra": [(b"zTXt", b"Raw profile type exif\0\0" + zlib.compress(rawprof))]}),
        ("png_rawprofile5_text.png", {"extra": [(b"tEXt", b"Raw profile type exif\0" + rawprof)]}),
    ):
        write_png(f"{d}/{nm}", base, 8, 2, False, **kw); add(nm)
    # WebP
    chelsea.save(f"{d}/webp_lossy.webp", quality=80); add("webp_lossy.webp")
    chelsea.save(f"{d}/webp_lossless.webp", lossless=True); add("webp_lossless.webp")
    rgba = small.convert("RGBA"); rgba.putalpha(Image.fromarray((np.mgrid[0:77, 0:101][1] * 2 % 256).astype(np.uint8)))
    rgba.save(f"{d}/webp_lossy_alpha.webp", quality=80); add("webp_lossy_alpha.webp")
    rgba.save(f"{d}/webp_lossless_alpha.webp", lossless=True); add("webp_lossless_alpha.webp")
    small.save(f"{d}/webp_anim.webp", save_all=True, append_images=[small.rotate(90, expand=False)], duration=100); add("webp_anim.webp")
    for o in range(1, 9):
        small.save(f"{d}/webp_orient{o}.webp", quality=90, exif=exif_bytes(o)); add(f"webp_orient{o}.webp")
    # GIF
    small.convert("P", palette=Image.ADAPTIVE).save(f"{d}/gif_adaptive.gif"); add("gif_adaptive.gif")
    p = small.convert("P", palette=Image.ADAPTIVE, colors=64)
    p.save(f"{d}/gif_transparent.gif", transparency=3); add("gif_transparent.gif")
    p.save(f"{d}/gif_noninterlaced.gif", interlace=False); add("gif_noninterlaced.gif")
    camera.resize((64, 48)).save(f"{d}/gif_gray.gif"); add("gif_gray.gif")
    # A first frame smaller than the logical screen (placed at 7,5): Pillow fills the rest
    # with the background colour, or transparent (white here) when the frame has a
    # transparent index.
    for tr in (None, 3):
        b = io.BytesIO()
        p.crop((0, 0, 40, 30)).save(b, "GIF", **({} if tr is None else {"transparency": tr}))
        g = bytearray(b.getvalue())
        struct.pack_into("<HH", g, 6, 60, 50)
        i = g.index(b"\x2c", 13 + 3 * (2 << (g[10] & 7)))
        struct.pack_into("<HH", g, i + 1, 7, 5)
        nm = f"gif_partial_frame{'_trns' if tr is not None else ''}.gif"
        open(f"{d}/{nm}", "wb").write(g); add(nm)
    # BMP
    small.save(f"{d}/bmp_24.bmp"); add("bmp_24.bmp")
    small.convert("P", palette=Image.ADAPTIVE).save(f"{d}/bmp_8.bmp"); add("bmp_8.bmp")
    camera.resize((65, 33)).save(f"{d}/bmp_gray8.bmp"); add("bmp_gray8.bmp")
    small.convert("RGBA").save(f"{d}/bmp_32.bmp"); add("bmp_32.bmp")
    # top-down: negate the height and reverse the rows of the 24-bit file
    raw = bytearray(open(f"{d}/bmp_24.bmp", "rb").read())
    off = struct.unpack_from("<I", raw, 10)[0]
    wd, ht = struct.unpack_from("<ii", raw, 18)
    row = (wd * 3 + 3) // 4 * 4
    rows = [raw[off + i * row: off + (i + 1) * row] for i in range(ht)]
    struct.pack_into("<i", raw, 22, -ht)
    raw[off:off + row * ht] = b"".join(reversed(rows))
    open(f"{d}/bmp_24_topdown.bmp", "wb").write(raw); add("bmp_24_topdown.bmp")
    with open(f"{d}/manifest.json", "w") as f:
        json.dump(files, f, indent=0)
    print(f"{len(files)} files, {sum(len(x['scales']) for x in files)} decodes -> {d}")


def oracle(path, scale):
    im = Image.open(path)
    if scale > 1:
        w, h = im.size
        im.draft("RGB", (max(1, w // scale), max(1, h // scale)))
        exp = ((w + scale - 1) // scale, (h + scale - 1) // scale)
        if im.size != exp:
            return None, f"draft gave {im.size}, expected {exp}"
    im = ImageOps.exif_transpose(im)
    if im.mode in ("I", "I;16", "I;16B"):
        a = (np.asarray(im).astype(np.int64) >> 8).astype(np.uint8)
        return np.dstack([a, a, a]), "16-bit gray: high byte (Pillow clips)"
    if "A" in im.mode or "transparency" in im.info:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB")), ""
    return np.asarray(im.convert("RGB")), ""


def read_ppm(path):
    data = open(path, "rb").read()
    parts = data.split(b"\n", 3)
    w, h = map(int, parts[1].split())
    return np.frombuffer(parts[3], np.uint8).reshape(h, w, 3)


def check(d):
    files = json.load(open(f"{d}/manifest.json"))
    bad = 0
    n = 0
    for f in files:
        for s in f["scales"]:
            n += 1
            exp, note = oracle(f"{d}/{f['name']}", s)
            out = f"{d}/out/{f['name']}.s{s}.ppm"
            tag = f"{f['name']} scale 1/{s}"
            if exp is None:
                print(f"SKIP {tag}: {note}")
                continue
            if not os.path.exists(out):
                print(f"FAIL {tag}: no output"); bad += 1; continue
            got = read_ppm(out)
            if got.shape != exp.shape:
                print(f"FAIL {tag}: shape {got.shape} vs Pillow {exp.shape}"); bad += 1; continue
            diff = np.abs(got.astype(int) - exp.astype(int))
            if diff.max():
                print(f"FAIL {tag}: max diff {diff.max()}, {np.count_nonzero(diff)} of {diff.size} values differ"); bad += 1
            else:
                print(f"ok   {tag} {got.shape[1]}x{got.shape[0]}" + (f" ({note})" if note else ""))
    print(f"{n - bad} of {n} decodes equal to Pillow, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("gen", "check"):
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2]))
