#!/bin/bash
# script_image_oracle.sh — resize, similarity transform, warpAffine, norm_crop and draw_kps
# against Pillow, skimage and OpenCV (tests/image_oracle.py drives tests/test_image_oracle.c).
# Then the resize cases again with the portable kernels (FSIFT_CPU=generic).
# Exit 77 (skip) with a reason when the Debian Python oracles are missing.
set -u
src=${FSIFT_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${FSIFT_BUILD_DIR:-$src/build}
driver=$build/tests/test_image_oracle
py=/usr/bin/python3
if [ ! -x "$py" ]; then echo "SKIP: $py not found (Debian python3 with python3-pil, -opencv, -skimage)"; exit 77; fi
if [ ! -x "$driver" ]; then echo "FAIL: $driver not built"; exit 1; fi
work=$build/image_oracle
rm -rf "$work"
"$py" "$src/tests/image_oracle.py" "$driver" "$work" "$@"
rc=$?
[ $rc -ne 0 ] && exit $rc
# the portable kernels too (the run above uses the best the CPU has)
echo "--- resize with FSIFT_CPU=generic"
FSIFT_CPU=generic "$py" "$src/tests/image_oracle.py" "$driver" "$work/generic" --only=resize --quick
