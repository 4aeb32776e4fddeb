#!/bin/bash
# script_encode_oracle.sh — the PNG and JPEG encoders against Pillow on skimage's photos and
# their upscales (tests/encode_oracle.py): PNG decodes to the exact pixels at every level and
# is no larger than Pillow's file at that level (level 6 on upscales: within 0.5%); JPEG matches Pillow's size (±3%) and PSNR
# (±0.1 dB) at q 50/75/95. Skips (77) without Pillow/NumPy or the skimage data.
set -u
SRC=${FSIFT_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${FSIFT_BUILD_DIR:-$SRC/build}
TOOL=$BUILD/tests/test_encode
WORK=$BUILD/encode_oracle
PY=/usr/bin/python3
if ! $PY -c 'import PIL, numpy' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 lacks Pillow or NumPy (apt-get install python3-pil python3-numpy)"
    exit 77
fi
if [ ! -x "$TOOL" ]; then
    echo "SKIP: $TOOL not built"
    exit 77
fi
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
$PY "$SRC/tests/encode_oracle.py" "$TOOL" "$WORK"
