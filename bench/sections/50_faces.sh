#!/usr/bin/env bash
# Face analysis throughput (`facesift analyze`'s path: decode -> detect -> align -> embed) on
# 512-1024 px photos at 1 and 2 threads, per stage, for the embedded sets (blazeface = the
# default, mtcnn) and for antelopev2-shaped random-weight graphs (SCRFD-10G-shaped
# detector at 640x640 with detector-like heads from tests/face_scrfd_oracle.py, IResNet-shaped
# ArcFace); then each detector network alone beside ONNX Runtime on the same graph. Each row
# runs its configurations in alternating turns and keeps the best turn. Prints markdown.
set -euo pipefail
# Sourced environment from bench/run.sh: ROOT BUILD WORK PY ITERS WARM QUICK CPU.
[ -f "$ROOT/models/mtcnn/onet.tflite" ] || { echo "bench: run scripts/fetch-models.sh first" >&2; exit 1; }
[ -f "$ROOT/samples/photos/sample1.jpg" ] || { echo "bench: run scripts/fetch-photos.sh first" >&2; exit 1; }
[ -d "$ROOT/tests/oracle/node_modules/onnxruntime-node" ] || { echo "bench: run scripts/setup-oracles.sh first" >&2; exit 1; }
BF=$ROOT/$BUILD/bench/bench_face
BM=$ROOT/$BUILD/bench/bench_model
PH=$WORK/face_photos
ROUNDS=3; [ "$QUICK" = "--quick" ] && ROUNDS=1
# photos: the six face-api samples scaled to 1024 px on the long side (JPEG q90, 4:2:0) and
# grace_hopper.jpg (512x600) as they are: 7 photos, 24 faces
mkdir -p "$PH"
[ -f "$PH/sample6.jpg" ] || $PY - "$ROOT/samples/photos" "$PH" <<'PYEOF'
import os, sys
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]
for i in range(1, 7):
    im = Image.open(os.path.join(src, "sample%d.jpg" % i)).convert("RGB")
    s = 1024 / max(im.size)
    im.resize((round(im.width * s), round(im.height * s)), Image.LANCZOS).save(os.path.join(dst, "sample%d.jpg" % i), quality=90)
im = Image.open(os.path.join(src, "grace_hopper.jpg"))
im.save(os.path.join(dst, "grace_hopper.jpg"), quality=90)
PYEOF
[ -f "$WORK/face_antelope/static/scrfd_oracle_kps.onnx" ] || $PY - "$ROOT/tests" "$WORK/face_antelope" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import face_scrfd_oracle as o
o.build_models(sys.argv[2])
PYEOF
ANT=$WORK/face_antelope/static
IMGS=("$PH"/*.jpg)
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
# name | bench_face arguments
ROWS=(
  "default (blazeface + R-Net gate + O-Net landmark stage + MobileFaceNet), all faces embedded|--models default"
  "default, largest face embedded|--models default --embed-largest"
  "mtcnn + O-Net landmark stage + MobileFaceNet, all faces|--models mtcnn"
  "antelopev2-shaped (random SCRFD 640 + ArcFace), det_thresh 0.85|--models antelopev2:$ANT --det-thresh 0.85"
)
TABLE=$WORK/face_table.md
{
echo "| model set | threads | images/s (wall) | CPU ms/image: decode + analyse | images per CPU-second | wall ms/image: decode, detect, align, embed | faces/image |"
echo "|---|---|---|---|---|---|---|"
} >"$TABLE"
for row in "${ROWS[@]}"; do
    IFS='|' read -r name args <<<"$row"
    for t in 1 2; do
        best=""; bl=""; bestc=""; cl=""
        for turn in 1 2 3; do
            # shellcheck disable=SC2086
            l=$("$BF" $args --threads $t --rounds $ROUNDS "${IMGS[@]}" 2>/dev/null || echo '{}')
            v=$(echo "$l" | field images_per_s)
            if [ -n "$v" ] && { [ -z "$best" ] || awk "BEGIN{exit !($v > $best)}"; }; then best=$v; bl=$l; fi
            c=$(echo "$l" | field cpu_ms_per_image)
            if [ -n "$c" ] && { [ -z "$bestc" ] || awk "BEGIN{exit !($c < $bestc)}"; }; then bestc=$c; cl=$l; fi
        done
        if [ -z "$best" ]; then echo "| $name | $t | failed | | | | |" >>"$TABLE"; continue; fi
        faces=$(echo "$bl" | field faces); n=$(echo "$bl" | field images)
        cd_=$(echo "$cl" | sed -n 's/.*"cpu_ms":{"decode":\([0-9.]*\),"analyze":\([0-9.]*\)}.*/\1 + \2/p')
        ws=$(echo "$bl" | sed -n 's/.*"ms_per_image":{"decode":\([0-9.]*\),"detect":\([0-9.]*\),"align":\([0-9.]*\),"embed":\([0-9.]*\)}.*/\1, \2, \3, \4/p')
        printf '| %s | %d | %.1f | %s | %.1f | %s | %.2f |\n' "$name" $t "$best" "$cd_" \
            "$(awk "BEGIN{print 1000 / $bestc}")" "$ws" "$(awk "BEGIN{print $faces / $n}")" >>"$TABLE"
        echo "faces $name t=$t: $best images/s, $bestc CPU ms/image" >&2
    done
done
# detectors alone: facesift runtime vs ONNX Runtime, same graph, alternating turns
DT=$WORK/face_det_table.md
{
echo "| detector network | threads | facesift median ms | ONNX Runtime median ms | facesift / ORT |"
echo "|---|---|---|---|---|"
} >"$DT"
DROWS=(
  "SCRFD-10G-shaped 640x640 (random, detector-like heads)|$ANT/scrfd_oracle_kps.onnx|1x3x640x640|1,3,640,640"
  "BlazeFace back 256|$ROOT/models/blazeface/face_detection_back_256x256_barracuda.onnx|1x256x256x3|1,256,256,3"
)
for row in "${DROWS[@]}"; do
    IFS='|' read -r name m fs os <<<"$row"
    for t in 1 2; do
        bf=""; bo=""
        for turn in 1 2; do
            f=$("$BM" "$m" --threads $t --shape "$fs" --iters $ITERS --warmup $WARM 2>/dev/null | field median_ms || true)
            o=$(node "$ROOT/bench/ort_bench.js" "$m" --threads $t --shape "$os" --iters $ITERS --warmup $WARM 2>/dev/null | field median_ms || true)
            if [ -n "$f" ] && { [ -z "$bf" ] || awk "BEGIN{exit !($f < $bf)}"; }; then bf=$f; fi
            if [ -n "$o" ] && { [ -z "$bo" ] || awk "BEGIN{exit !($o < $bo)}"; }; then bo=$o; fi
        done
        if [ -z "$bf" ] || [ -z "$bo" ]; then echo "| $name | $t | ${bf:-failed} | ${bo:-failed} | |" >>"$DT"; continue; fi
        printf '| %s | %d | %.3f | %.3f | %.2f× |\n' "$name" $t "$bf" "$bo" "$(awk "BEGIN{print $bf / $bo}")" >>"$DT"
    done
done

echo "## Face analysis (facesift analyze)"
echo
echo "- date: $(date -u +%Y-%m-%d)  commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)"
echo "- CPU: $CPU, $(nproc) cores, shared with other jobs while measured: numbers are noisy: best of 3 turns per row (2 for the detector rows, alternating engines)"
echo "- images/s is wall-clock throughput (what the box gave while shared); CPU ms/image is the workers' own CPU time (CLOCK_THREAD_CPUTIME_ID; sessions run 1 thread each, so it is all the work), the steadier number on a loaded machine: images per CPU-second = what one free core would do. Wall stage times include waiting for the CPU."
echo "- photos: ${#IMGS[@]} JPEGs (face-api samples 1-6 scaled to 1024 px, grace_hopper 512x600), every image $ROUNDS times per turn; bench/bench_face.c (files in memory; decode + analyse per image; stage times are per image on each worker's clock)"
echo "- command: \`bash bench/run.sh BUILD --only faces\` (\`bench_face ARGS --threads N --rounds $ROUNDS IMAGES\`)"
echo
cat "$TABLE"
echo
echo "Detector networks alone, same graph and input shape in both engines (median of $ITERS after $WARM warm-up; ONNX Runtime: onnxruntime-node, CPU EP, intra-op threads = threads):"
echo
cat "$DT"
