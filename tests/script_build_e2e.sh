#!/bin/bash
# script_build_e2e.sh — `facesift build` end to end with the real default models (MTCNN +
# MobileFaceNet) on inputs generated from the test photos by tests/build_e2e.py:
#   - every rule gives its expected reason code, for a webdataset tar, a .tar.gz, a folder
#     with .txt/.json sidecars, a JSONL list and a CSV list (duplicate key, corrupt JPEG,
#     decode-limit PNG header, member without caption included);
#   - the output loads with Python's tarfile + NumPy + Pillow (float32 (D,) .npy, 112x112
#     crops, image size as Image.open reads it, EXIF-rotated source re-encoded upright);
#   - landmarks re-detected (facesift analyze) on the saved images within 2 px of the stored;
#   - `facesift verify` passes on the webdataset output and the release layout;
#   - 1 and 2 threads give identical files (sha256); --shard 0/2 + 1/2 + merge equals one
#     run; kill -9 at several moments + rerun equals an uninterrupted run;
#   - --layout faceid6m equals `export --layout faceid6m`; InstantID JSONL keys and paths;
#   - `facesift report` writes a self-contained page (SVG charts, inline thumbnails);
#   - disk full (a small tmpfs, when mounting is allowed) fails cleanly and resumes.
# Skips (77) when Pillow/NumPy, the photos or the models are missing. With a sanitizer build
# (ASan makes the models ~10x slower) only the steps that test_pipeline does not cover run:
# one build of the shards with its reasons, read-back, verify, report and exports, the CSV
# list, disk full and the exit codes (threads, resume, kills, shard + merge and the release
# layout are test_pipeline's, which runs under the sanitizers too).
set -u
SRC=${FSIFT_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=${FSIFT_BIN:-$SRC/build/facesift}
export FSIFT_MODELS_DIR=${FSIFT_MODELS_DIR:-$SRC/models}
WORK=${FSIFT_BUILD_DIR:-/tmp}/build_e2e
PY=/usr/bin/python3
T=$SRC/tests/build_e2e.py
if ! $PY -c 'import PIL, numpy' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 lacks Pillow or NumPy (apt-get install python3-pil python3-numpy)"
    exit 77
fi
for m in mtcnn/pnet.tflite mtcnn/rnet.tflite mtcnn/onet.tflite mobilefacenet/MobileFaceNet.tflite; do
    if [ ! -f "$FSIFT_MODELS_DIR/$m" ]; then
        echo "SKIP: $FSIFT_MODELS_DIR/$m missing (run scripts/fetch-models.sh)"
        exit 77
    fi
done
PHOTOS=$SRC/samples/photos
if [ ! -f "$PHOTOS/sample5.jpg" ] || [ ! -f "$PHOTOS/grace_hopper.jpg" ]; then
    bash "$SRC/scripts/fetch-photos.sh" >/dev/null 2>&1 || true
fi
if [ ! -f "$PHOTOS/sample5.jpg" ] || [ ! -f "$PHOTOS/grace_hopper.jpg" ]; then
    echo "SKIP: test photos missing in $PHOTOS (scripts/fetch-photos.sh could not fetch them)"
    exit 77
fi
LIGHT=0
if grep -q __asan_init "$BIN" 2>/dev/null; then
    LIGHT=1
    echo "sanitizer build: light mode (see the top of this script)"
fi
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
cd "$WORK" || exit 1
$PY "$T" gen "$WORK" --photos "$PHOTOS" || exit 1
fail=0
step() { echo "== $*"; }
bad() { echo "FAILED: $*"; fail=1; }

step "build: webdataset shards, 1 and 2 threads"
"$BIN" build shards -o out1 --threads 1 --quiet >/dev/null || bad "build out1"
$PY "$T" check-reasons out1 expected.json s0.tar,s1.tar.gz || bad "reasons (tar, tar.gz)"
$PY "$T" sha out1 > sha1.txt
if [ $LIGHT = 0 ]; then
    "$BIN" build shards -o out2 --threads 2 --queue 3 --quiet >/dev/null || bad "build out2"
    $PY "$T" sha out2 > sha2.txt
    cmp -s sha1.txt sha2.txt && echo "1 vs 2 threads: $(wc -l < sha1.txt) files identical" || bad "1 vs 2 threads differ"
fi

step "read back with tarfile + numpy + Pillow; re-detect landmarks; verify"
$PY "$T" check-wds "$WORK/out1" || bad "check-wds"
if [ $LIGHT = 0 ]; then
    "$BIN" analyze "$WORK"/redetect/*.{jpg,png,webp} --no-embedding --embed-largest > analyze.jsonl 2>/dev/null
    $PY "$T" check-kps "$WORK/redetect" analyze.jsonl || bad "landmarks re-detected"
fi
"$BIN" verify out1 || bad "verify out1"

step "report"
kept1=$(cat out1/*_reasons.jsonl | grep -c '"reason":"kept"')
"$BIN" report out1 -o report.html >/dev/null || bad "report"
$PY "$T" check-report report.html "$kept1" out1 || bad "report content"

step "other inputs: folder, JSONL list, CSV list"
if [ $LIGHT = 0 ]; then
    "$BIN" build folder -o out_folder --quiet >/dev/null || bad "build folder"
    $PY "$T" check-reasons out_folder expected.json folder || bad "reasons (folder)"
    "$BIN" build list.jsonl -o out_jsonl --quiet >/dev/null || bad "build list.jsonl"
    $PY "$T" check-reasons out_jsonl expected.json list.jsonl || bad "reasons (jsonl)"
fi
"$BIN" build list.csv -o out_csv --quiet --input-shard-size 4 >/dev/null || bad "build list.csv"
$PY "$T" check-reasons out_csv expected.json list.csv || bad "reasons (csv, 3 input shards)"

step "release layout, export, InstantID JSONL"
if [ $LIGHT = 0 ]; then
    "$BIN" build shards -o rel --layout faceid6m --instantid-jsonl --threads 2 --quiet >/dev/null || bad "build faceid6m"
    kept=$(grep -c '"kept"' out1/*_reasons.jsonl | awk -F: '{s+=$2} END {print s}')
    $PY "$T" check-release rel/release "$kept" || bad "release layout"
    $PY "$T" check-instantid rel/instantid.jsonl || bad "instantid (release)"
    "$BIN" verify rel/release || bad "verify rel/release"
    "$BIN" export out1 --layout faceid6m -o exp >/dev/null || bad "export faceid6m"
    diff -r rel/release exp >/dev/null && echo "build --layout faceid6m == export: ok" || bad "build --layout faceid6m != export"
    "$BIN" verify exp || bad "verify exp"
fi
"$BIN" export out1 --layout instantid -o iid >/dev/null || bad "export instantid"
$PY "$T" check-instantid iid/instantid.jsonl || bad "instantid (export)"
if [ $LIGHT = 1 ]; then
    echo "(light mode: release layout, shard + merge, kills and threads are test_pipeline's)"
else
    "$BIN" build shards/s1.tar.gz -o out_iid --instantid-jsonl --quiet >/dev/null || bad "build --instantid-jsonl"
    $PY "$T" check-instantid out_iid/instantid/instantid.jsonl || bad "instantid (wds build)"

    "$BIN" verify out_iid >/dev/null || bad "verify out_iid (webdataset output with instantid/ beside it)"

    step "release folder as input"
    "$BIN" build rel/release -o out_relin --quiet >/dev/null || bad "build from a release folder"
    n_rel=$(grep -c '"reason":"kept"' out_relin/00000_reasons.jsonl)
    [ "$n_rel" = "$kept" ] && echo "release input: $n_rel of $kept samples kept again" || bad "release input: $n_rel kept, want $kept"

    step "--shard 0/2, 1/2 + merge == one run"
    "$BIN" build shards -o sh0 --shard 0/2 --quiet >/dev/null || bad "shard 0/2"
    "$BIN" build shards -o sh1 --shard 1/2 --threads 2 --quiet >/dev/null || bad "shard 1/2"
    "$BIN" merge sh1 sh0 -o merged >/dev/null || bad "merge"
    $PY "$T" sha merged > shm.txt
    cmp -s sha1.txt shm.txt && echo "shard + merge: identical" || bad "shard + merge differs"

    step "kill -9 at several moments, then resume (CSV list cut into 3 input shards)"
    for d in 0.2 0.6 1.0 1.4 1.8 2.2; do
        "$BIN" build list.csv -o killed --input-shard-size 4 --threads 2 --quiet >/dev/null 2>&1 &
        pid=$!
        sleep "$d"
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        left=$(find killed -name '*.tmp.*' 2>/dev/null | wc -l)
        echo "killed after ${d}s: $(ls killed 2>/dev/null | grep -c _stats.json) shards done, $left temporary files left"
    done
    "$BIN" build list.csv -o killed --input-shard-size 4 --threads 2 --quiet >/dev/null || bad "resume"
    [ -z "$(find killed -name '*.tmp.*')" ] || bad "temporary files left after resume"
    $PY "$T" sha out_csv > shc.txt
    $PY "$T" sha killed > shk.txt
    cmp -s shc.txt shk.txt && echo "kill -9 + resume: identical ($(wc -l < shk.txt) files)" || { bad "kill + resume differs"; diff shc.txt shk.txt | head; }
fi

step "disk full (a 256 KiB tmpfs), then resume after making room"
mkdir -p full
if mount -t tmpfs -o size=256k tmpfs full 2>/dev/null; then
    trap 'umount "$WORK/full" 2>/dev/null' EXIT
    "$BIN" build shards -o full/out --quiet >/dev/null 2>err.txt
    rc=$?
    [ $rc -eq 1 ] && grep -q "No space left" err.txt && echo "disk full: exit 1: $(head -c 160 err.txt)" || bad "disk full: exit $rc"
    [ -z "$(find full -name '*.tmp.*')" ] || bad "disk full: temporary files left"
    [ ! -f full/out/00000_stats.json ] || bad "disk full: shard 0 marked done"
    mount -o remount,size=64m full && "$BIN" build shards -o full/out --quiet >/dev/null || bad "resume after disk full"
    $PY "$T" sha full/out > shf.txt
    cmp -s sha1.txt shf.txt && echo "disk full + resume: identical" || bad "disk full + resume differs"
    umount full
else
    echo "disk full: NOT TESTED here (mounting a tmpfs needs root)"
fi

step "bad usage and unreadable output"
"$BIN" build shards >/dev/null 2>&1; [ $? -eq 2 ] || bad "no -o: exit 2"
"$BIN" build shards -o x --shard 2/2 >/dev/null 2>&1; [ $? -eq 2 ] || bad "--shard 2/2: exit 2"
"$BIN" build shards -o out1 --min-side 1024 --quiet >/dev/null 2>&1; [ $? -eq 1 ] || bad "other flags on a done output: exit 1"
touch notadir
"$BIN" build shards -o notadir/out --quiet >/dev/null 2>&1; [ $? -eq 1 ] || bad "unwritable output: exit 1"
exit $fail
