#!/bin/bash
# script_face_labelled.sh — `facesift analyze` with the default models against the
# hand-checked labels of the test photos (tests/data/faces/labels.json) and their generated
# variants (tests/face_variants.py): recall of faces >= 1% of the image, no faces on the
# negatives, exact counts on the 1-5-face composites, landmark NME <= 0.10 IOD, embedding
# cosine >= 0.8 for the same face across variants and <= 0.5 between people
# (tests/face_accuracy.py; docs/faces-accuracy.md explains the numbers and known limits).
# Exit 77 (skip) with a reason when the photos (scripts/fetch-photos.sh), the models
# (scripts/fetch-models.sh) or the Debian Python oracle are missing. Under a sanitizer build
# it analyses a subset (--quick) to stay within about a minute.
set -u
src=${FSIFT_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${FSIFT_BUILD_DIR:-$src/build}
bin=${FSIFT_BIN:-$build/facesift}
models=${FSIFT_MODELS_DIR:-$src/models}
py=/usr/bin/python3
if [ ! -x "$py" ] || ! "$py" -c 'import PIL' 2>/dev/null; then
    echo "SKIP: $py with Pillow not found (Debian python3-pil)"; exit 77
fi
if [ ! -x "$bin" ]; then echo "FAIL: $bin not built"; exit 1; fi
missing=""
while IFS=$'\t' read -r name _; do
    case "$name" in ''|'#'*) continue ;; esac
    [ -f "$src/samples/photos/$name" ] || missing="$missing $name"
done <"$src/samples/photos.tsv"
if [ -n "$missing" ]; then
    echo "SKIP: test photos missing in samples/photos/:$missing (run scripts/fetch-photos.sh)"; exit 77
fi
for m in mtcnn/pnet.tflite mtcnn/rnet.tflite mtcnn/onet.tflite mobilefacenet/MobileFaceNet.tflite \
         blazeface/face_detection_back_256x256_barracuda.onnx; do
    if [ ! -f "$models/$m" ]; then
        echo "SKIP: model $models/$m missing (run scripts/fetch-models.sh)"; exit 77
    fi
done
export FSIFT_MODELS_DIR="$models"
quick=()
if grep -q '^FSIFT_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
    quick=(--quick)
    echo "sanitizer build: analysing the --quick subset of small images (see tests/face_accuracy.py)"
fi
work=$build/face_variants
"$py" "$src/tests/face_variants.py" "$work" --photos "$src/samples/photos" \
    --labels "$src/tests/data/faces/labels.json" || exit 1
"$py" "$src/tests/face_accuracy.py" "$work" --bin "$bin" --models default --threads 2 "${quick[@]}"
