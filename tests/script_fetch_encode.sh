#!/bin/bash
# script_fetch_encode.sh — `facesift fetch --resize N --encode png|jpg` against Pillow: JPEG,
# PNG, WebP and GIF sources from tests/fetch_server.py are stored resized (shorter side N,
# ratio kept, never enlarged) and re-encoded. With PNG output every stored pixel must be
# within 1 of Pillow's ImageOps.exif_transpose(...).convert("RGB").resize(size, Image.BOX) of
# the bytes the server sends (fetched again with urllib), and size, width/height and
# original_width/original_height in KEY.json must match; with JPEG output (quality 90) the
# stored file must be a JPEG of the right size within 30 dB PSNR of Pillow's resize.
NAME=fetch_encode
. "$(dirname "$0")/fetch_server.sh"
$PY - "$PORT" > "$WORK/list.jsonl" <<'PYEOF'
import json, sys
port = sys.argv[1]
paths = [f"/img/{n}.jpg" for n in range(1, 13)] + [f"/img/{n}.png" for n in range(1, 7)] + \
        [f"/img/{n}.webp" for n in range(1, 7)] + [f"/gif/{n}.gif" for n in range(1, 4)]
for p in paths:
    print(json.dumps({"url": f"http://127.0.0.1:{port}{p}", "caption": p}))
PYEOF
for enc in png jpg; do
    "$BIN" fetch "$WORK/list.jsonl" -o "$WORK/$enc" --no-text-filter --allow-private --quiet --resize 24 \
        --encode "$enc" --jpeg-quality 90 --encode-threads 2 2> "$WORK/$enc.log" \
        || { echo "FAIL: fetch --encode $enc: $(cat "$WORK/$enc.log")"; fail=1; }
done
$PY - "$WORK" <<'PYEOF' || fail=1
import io, json, sys, tarfile, urllib.request
import numpy as np
from PIL import Image, ImageOps
work = sys.argv[1]
bad = n = 0
for enc in ("png", "jpg"):
    tar = tarfile.open(f"{work}/{enc}/00000.tar")
    for line in open(f"{work}/{enc}/00000.jsonl"):
        j = json.loads(line)
        if j["status"] != "success":
            print(f"FAIL {enc} {j['url']}: {j['error_message']}"); bad += 1; continue
        src = ImageOps.exif_transpose(Image.open(io.BytesIO(urllib.request.urlopen(j["url"]).read()))).convert("RGB")
        w, h = src.size
        s = min(w, h)
        if s > 24:
            nw, nh = ((w * 48 + s) // (2 * s), (h * 48 + s) // (2 * s))
            nw, nh = (24, nh) if w == s else (nw, 24)
            ref = src.resize((nw, nh), Image.BOX)
        else:
            ref = src
        data = tar.extractfile(f"{j['key']}.{enc}").read()
        got = Image.open(io.BytesIO(data))
        a = np.asarray(got.convert("RGB"), dtype=np.int16)
        b = np.asarray(ref, dtype=np.int16)
        meta_ok = (j["width"], j["height"]) == ref.size == got.size and (j["original_width"], j["original_height"]) == (w, h) \
            and got.format == {"png": "PNG", "jpg": "JPEG"}[enc]
        if not meta_ok or a.shape != b.shape:
            print(f"FAIL {enc} {j['url']}: stored {got.format} {got.size}, json {j['width']}x{j['height']} "
                  f"(orig {j['original_width']}x{j['original_height']}), Pillow {ref.size} from {w}x{h}"); bad += 1; continue
        if enc == "png":
            d = int(np.abs(a - b).max())
            if d > 1:
                print(f"FAIL png {j['url']}: max pixel difference {d} vs Pillow"); bad += 1; continue
        else:
            mse = float(((a - b) ** 2).mean())
            psnr = 99.0 if mse == 0 else 10 * np.log10(255 ** 2 / mse)
            if psnr < 30:
                print(f"FAIL jpg {j['url']}: PSNR {psnr:.1f} dB vs Pillow"); bad += 1; continue
        n += 1
print(f"re-encoding: {n} images (jpg/png/webp/gif sources, resized and not) match Pillow")
sys.exit(1 if bad or n != 54 else 0)
PYEOF
[ $fail = 0 ] && echo "script_fetch_encode: all passed"
exit $fail
