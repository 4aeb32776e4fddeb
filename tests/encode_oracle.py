"""encode_oracle.py — facesift's PNG and JPEG encoders against Pillow (the oracle).

    encode_oracle.py TOOL WORKDIR [--levels 0,1,...] [--quick]

TOOL is the test_encode executable (`TOOL --encode png|jpeg PARAM IN.ppm OUT` writes a file).
Photos: skimage's astronaut, coffee, chelsea (RGB) and camera (gray), and 2-3x bicubic
upscales of each (~1-1.2 MP, smoother, as resized web photos are). For every photo:
  PNG, every level 0..9: Pillow decodes our file to exactly the source pixels, and our file
      is no larger than Pillow's own save(compress_level=L) of the same image — except at
      level 6 on smooth (upscaled) images, where the encoder trades up to 0.5% of size for
      speed (src/image/encode_png.c, docs/images.md) and the check allows that;
  JPEG, q 50/75/95: Pillow decodes it; size within 3% of Pillow's save(quality=q) and PSNR
      against the source within 0.1 dB of Pillow's file's (same libjpeg settings).
Prints one line per check and exits 1 on any failure.
"""
import io, os, subprocess, sys
import numpy as np
from PIL import Image

DATA = '/usr/lib/python3/dist-packages/skimage/data/'


def photos(work):
    out = []
    for name, up in (('astronaut', 2), ('coffee', 2), ('chelsea', 3), ('camera', 2)):
        path = os.path.join(DATA, name + '.png')
        if not os.path.exists(path):
            continue
        im = Image.open(path)
        im.load()
        if im.mode not in ('RGB', 'L'):
            im = im.convert('RGB')
        for tag, img in ((name, im), ('%s_x%d' % (name, up),
                                      im.resize((im.width * up, im.height * up), Image.BICUBIC))):
            p = os.path.join(work, tag + ('.pgm' if img.mode == 'L' else '.ppm'))
            img.save(p)
            out.append((tag, p, img))
    return out


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def main():
    tool, work = sys.argv[1], sys.argv[2]
    levels = list(range(10))
    if '--levels' in sys.argv:
        levels = [int(x) for x in sys.argv[sys.argv.index('--levels') + 1].split(',')]
    os.makedirs(work, exist_ok=True)
    imgs = photos(work)
    if not imgs:
        print('SKIP: skimage data photos not found')
        return 77
    fail = 0
    for tag, path, img in imgs:
        src = np.asarray(img)
        for lvl in levels:
            out = os.path.join(work, '%s.L%d.png' % (tag, lvl))
            subprocess.run([tool, '--encode', 'png', str(lvl), path, out], check=True,
                           stdout=subprocess.DEVNULL)
            ours = open(out, 'rb').read()
            dec = Image.open(io.BytesIO(ours))
            same = dec.mode == img.mode and np.array_equal(np.asarray(dec), src)
            b = io.BytesIO()
            img.save(b, 'PNG', compress_level=lvl)
            pil = len(b.getvalue())
            slack = 1.005 if lvl == 6 and '_x' in tag else 1.0
            ok = same and len(ours) <= pil * slack
            fail |= not ok
            print('%-4s png  %-12s L%d  ours %8d  Pillow %8d  %+6.2f%%  pixels %s' % (
                'ok' if ok else 'FAIL', tag, lvl, len(ours), pil, 100.0 * (len(ours) / pil - 1),
                'equal' if same else 'DIFFER'))
        for q in (50, 75, 95):
            out = os.path.join(work, '%s.q%d.jpg' % (tag, q))
            subprocess.run([tool, '--encode', 'jpeg', str(q), path, out], check=True,
                           stdout=subprocess.DEVNULL)
            ours = open(out, 'rb').read()
            dec = Image.open(io.BytesIO(ours))
            b = io.BytesIO()
            img.save(b, 'JPEG', quality=q)
            pil = b.getvalue()
            p_ours = psnr(np.asarray(dec.convert(img.mode)), src)
            p_pil = psnr(np.asarray(Image.open(io.BytesIO(pil)).convert(img.mode)), src)
            ok = (dec.size == img.size and dec.mode == img.mode and
                  abs(len(ours) / len(pil) - 1) <= 0.03 and abs(p_ours - p_pil) <= 0.1)
            fail |= not ok
            print('%-4s jpeg %-12s q%-3d ours %8d  Pillow %8d  %+6.2f%%  PSNR %.2f vs %.2f dB%s' % (
                'ok' if ok else 'FAIL', tag, q, len(ours), len(pil), 100.0 * (len(ours) / len(pil) - 1),
                p_ours, p_pil, '  (same bytes)' if ours == pil else '  (same pixels)' if np.array_equal(
                    np.asarray(dec), np.asarray(Image.open(io.BytesIO(pil)))) else ''))
    return 1 if fail else 0


if __name__ == '__main__':
    sys.exit(main())
