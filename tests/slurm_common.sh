# tests/slurm_common.sh — sourced by tests/script_slurm_*.sh: paths, prerequisites, helpers.
#   slurm_test_setup NAME   sets SRC, BIN (absolute), PY, G (slurm_gen.py), PHOTOS, and WORK =
#                           a fresh FSIFT_BUILD_DIR/NAME (physical path), cd's into it; skips
#                           (77, through skip) when Pillow, the models or the photos are missing
#   skip MSG                prints "SKIP: MSG" and exits 77 — or, with FSIFT_SLURM_REQUIRED=1
#                           (tests/slurm_ci.sh), prints FAILED and exits 1
#   step MSG / bad MSG      a step header (seconds since setup) / a failure (sets fail=1)
skip() {
    if [ "${FSIFT_SLURM_REQUIRED:-0}" = 1 ]; then echo "FAILED (FSIFT_SLURM_REQUIRED=1): $*"; exit 1; fi
    echo "SKIP: $*"
    exit 77
}
step() { echo "== [$(( $(date +%s) - T0 ))s] $*"; }
bad() { echo "FAILED: $*"; fail=1; }
slurm_test_setup() {
    T0=$(date +%s)
    fail=0
    SRC=${FSIFT_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
    BIN=${FSIFT_BIN:-$SRC/build/facesift}
    BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
    export FSIFT_MODELS_DIR=${FSIFT_MODELS_DIR:-$SRC/models}
    PY=/usr/bin/python3
    G=$SRC/tests/slurm_gen.py
    PHOTOS=$SRC/samples/photos
    $PY -c 'import PIL' 2>/dev/null || skip "/usr/bin/python3 lacks Pillow (apt-get install python3-pil)"
    local m p
    for m in mtcnn/pnet.tflite mtcnn/rnet.tflite mtcnn/onet.tflite mobilefacenet/MobileFaceNet.tflite; do
        [ -f "$FSIFT_MODELS_DIR/$m" ] || skip "$FSIFT_MODELS_DIR/$m missing (run scripts/fetch-models.sh)"
    done
    [ -f "$PHOTOS/grace_hopper.jpg" ] || bash "$SRC/scripts/fetch-photos.sh" >/dev/null 2>&1 || true
    for p in grace_hopper.jpg astronaut.png sample2.jpg; do
        [ -f "$PHOTOS/$p" ] || skip "test photo $PHOTOS/$p missing (scripts/fetch-photos.sh could not fetch it)"
    done
    WORK=${FSIFT_BUILD_DIR:-/tmp}/$1
    rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" && WORK=$(pwd -P) || exit 1
}
