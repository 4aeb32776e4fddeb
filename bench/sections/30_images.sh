#!/usr/bin/env bash
# Images vs Pillow (issue 3): JPEG decode at scale 1 and 1/4, resize, PNG/JPEG encode, on the
# same files in the same run, alternating turns. Prints markdown.
set -euo pipefail
# Sourced environment from bench/run.sh: ROOT BUILD WORK PY ITERS WARM QUICK CPU.
IMG=$WORK/images.md
{
  echo "### JPEG decode vs Pillow (Image.draft + load), same files, alternating"
  echo
  $PY "$ROOT/bench/image_bench.py" gen "$WORK/jpegs" >/dev/null
  { $PY "$ROOT/bench/image_bench.py" compare "$ROOT/$BUILD/bench/bench_image" "$WORK/jpegs" 2>&1 || echo "(image_bench failed)"; } | grep -v '^{' 
  echo
  echo "### JPEG decode vs Pillow on 200 LAION-sized photos (bench/image_bench.py gen-laion: crops of the"
  echo "### skimage and sample photos at LAION-400M's published size distribution, with quality, chroma,"
  echo "### progressive, EXIF and ICC mixes)"
  echo
  [ -d "$WORK/jpegs_laion400m" ] || $PY "$ROOT/bench/image_bench.py" gen-laion "$WORK/jpegs_laion400m" 200 "$ROOT/samples/photos" --sizes laion400m >/dev/null
  { $PY "$ROOT/bench/image_bench.py" compare "$ROOT/$BUILD/bench/bench_image" "$WORK/jpegs_laion400m" --iters 10 2>&1 || echo "(image_bench failed)"; } | grep -v '^{'
  echo
  echo "### The same on the earlier 200-photo web-size mix (gen-laion --sizes web: shorter side 384-1024 px)"
  echo
  [ -d "$WORK/jpegs_laion_web" ] || $PY "$ROOT/bench/image_bench.py" gen-laion "$WORK/jpegs_laion_web" 200 "$ROOT/samples/photos" --sizes web >/dev/null
  { $PY "$ROOT/bench/image_bench.py" compare "$ROOT/$BUILD/bench/bench_image" "$WORK/jpegs_laion_web" --iters 10 2>&1 || echo "(image_bench failed)"; } | grep -v '^{'
  echo
  echo "### Resize vs Pillow (Image.resize), alternating turns"
  echo
  "$ROOT/$BUILD/bench/bench_resize" --pillow 2>&1 || echo "(bench_resize failed)"
  echo
  echo "### PNG / JPEG encode vs Pillow at the same level / quality"
  echo
  echo "| codec | image | level/quality | facesift | Pillow | speed-up | bytes facesift / Pillow |"
  echo "|---|---|---|---|---|---|---|"
  FSIFT_SOURCE_DIR=$ROOT FSIFT_BUILD_DIR=$ROOT/$BUILD "$ROOT/$BUILD/bench/bench_encode" --iters 5 2>/dev/null | $PY -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"): continue
    r = json.loads(line)
    if r["bench"] == "png_encode":
        print("| PNG | %s | %d | %.1f MB/s | %.1f MB/s | %.2fx | %d / %d |" % (r["image"], r["level"], r["facesift_mb_s"], r["pillow_mb_s"], r["speedup"], r["facesift_bytes"], r["pillow_bytes"]))
    else:
        print("| JPEG | %s | q%d | %.0f MP/s | %.0f MP/s | %.2fx | %d / %d |" % (r["image"], r["quality"], r["facesift_mp_s"], r["pillow_mp_s"], r["speedup"], r["facesift_bytes"], r["pillow_bytes"]))
' || echo "(bench_encode failed)"
} >"$IMG"

echo "## Images vs Pillow"
echo
echo "- date: $(date -u +%Y-%m-%d)  commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)  CPU: $CPU, $(nproc) cores; command: \`bash bench/run.sh $BUILD --only images\`"
echo
echo "Pillow $($PY -c 'import PIL; print(PIL.__version__)') (Debian python3-pil), same files, same machine, same run."
echo
cat "$IMG"
