#!/bin/bash
# script_decode_oracle.sh — facesift's image decoding against Pillow: generates the corpus
# (tests/gen_image_corpus.py: JPEG/PNG/WebP/GIF/BMP variants, all 8 EXIF orientations),
# decodes every file with `facesift image decode` (JPEGs also at --scale 2/4/8) to PPM, and
# requires every pixel to equal Pillow's decode (ImageOps.exif_transpose, alpha onto white,
# Image.draft for scaled JPEG). Skips (77) when Pillow/NumPy are missing.
set -u
SRC=${FSIFT_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=${FSIFT_BIN:-$SRC/build/facesift}
WORK=${FSIFT_BUILD_DIR:-/tmp}/decode_oracle
PY=/usr/bin/python3
if ! $PY -c 'import PIL, numpy' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 lacks Pillow or NumPy (apt-get install python3-pil python3-numpy)"
    exit 77
fi
rm -rf "$WORK" && mkdir -p "$WORK/out" || exit 1
$PY "$SRC/tests/gen_image_corpus.py" gen "$WORK" || exit 1
fail=0
while read -r name scales; do
    for s in $scales; do
        if ! "$BIN" image decode "$WORK/$name" -o "$WORK/out/$name.s$s.ppm" --scale "$s" >/dev/null; then
            echo "decode failed: $name --scale $s"
            fail=1
        fi
    done
done < <($PY -c 'import json,sys; [print(f["name"], " ".join(map(str, f["scales"]))) for f in json.load(open(sys.argv[1]))]' "$WORK/manifest.json")
# The PNG writer path once: decode to PNG and compare with the PPM through Pillow.
"$BIN" image decode "$WORK/jpeg_orient6_big.jpg" -o "$WORK/out/png_roundtrip.png" >/dev/null || fail=1
$PY - "$WORK" <<'PYEOF' || fail=1
import sys, numpy as np
from PIL import Image
d = sys.argv[1]
a = np.asarray(Image.open(f"{d}/out/png_roundtrip.png").convert("RGB"))
raw = open(f"{d}/out/jpeg_orient6_big.jpg.s1.ppm", "rb").read().split(b"\n", 3)[3]
b = np.frombuffer(raw, np.uint8).reshape(a.shape)
print("png output equals ppm output:", (a == b).all())
sys.exit(0 if (a == b).all() else 1)
PYEOF
# CLI contract: a truncated file fails (exit 1) unless --allow-truncated; junk fails; bad
# usage is exit 2.
head -c 9000 "$WORK/jpeg_420.jpg" > "$WORK/out/cut.jpg"
echo "not an image" > "$WORK/out/junk.jpg"
expect_rc() { local want=$1; shift; "$@" >/dev/null 2>"$WORK/out/err.txt"; local rc=$?
    if [ $rc -ne "$want" ]; then echo "FAIL: exit $rc, want $want: $*"; cat "$WORK/out/err.txt"; fail=1;
    else echo "ok   exit $rc: ${*:2}"; fi; }
expect_rc 1 "$BIN" image decode "$WORK/out/cut.jpg" -o "$WORK/out/cut.ppm"
expect_rc 0 "$BIN" image decode "$WORK/out/cut.jpg" -o "$WORK/out/cut.ppm" --allow-truncated
expect_rc 1 "$BIN" image decode "$WORK/out/junk.jpg" -o "$WORK/out/junk.ppm"
expect_rc 2 "$BIN" image decode "$WORK/jpeg_420.jpg" -o "$WORK/out/x.ppm" --scale 3
expect_rc 2 "$BIN" image decode "$WORK/jpeg_420.jpg"
expect_rc 0 "$BIN" image decode --help
$PY "$SRC/tests/gen_image_corpus.py" check "$WORK" || fail=1
exit $fail
