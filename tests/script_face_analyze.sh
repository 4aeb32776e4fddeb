#!/usr/bin/env bash
# `facesift analyze` end to end: the JSON-line contract of docs/faces.md (keys, order of lines
# = order of inputs with 1 and 2 threads and identical lines, faces sorted by area, embedding
# length = the recognizer's dimension, --no-embedding / --embed-largest), a broken file in the
# middle gives an "error" line while the run goes on and exits 1, --draw writes a PNG preview
# per image, --help exits 0, bad usage exits 2, an unknown model set exits 1 with a message.
# Skips (77) with the reason when the embedded models or the test photos are missing.
set -euo pipefail
ROOT=${FSIFT_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=${FSIFT_BIN:-$ROOT/build/facesift}
MODELS=${FSIFT_MODELS_DIR:-$ROOT/models}
PY=/usr/bin/python3
A=/usr/lib/python3/dist-packages/skimage/data
for m in mtcnn/pnet.tflite blazeface/face_detection_back_256x256_barracuda.onnx; do
    [ -f "$MODELS/$m" ] || { echo "SKIP: $MODELS/$m missing (run scripts/fetch-models.sh)"; exit 77; }
done
[ -f "$A/astronaut.png" ] && [ -f "$A/chelsea.png" ] || { echo "SKIP: skimage's sample images missing (apt-get install python3-skimage)"; exit 77; }
[ -x "$PY" ] || { echo "SKIP: $PY not found"; exit 77; }
export FSIFT_MODELS_DIR=$MODELS
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cp "$A/astronaut.png" "$W/a.png"
head -c 3000 "$A/astronaut.png" >"$W/broken.png"
"$PY" -c "
from PIL import Image
im = Image.open('$A/astronaut.png')
im.resize((384, 384)).save('$W/small.jpg', quality=92)
Image.open('$A/chelsea.png').save('$W/cat.png')
"
IN=("$W/a.png" "$W/cat.png" "$W/broken.png" "$W/small.jpg" "$W/a.png")
set +e
"$BIN" analyze "${IN[@]}" >"$W/t1.jsonl" 2>"$W/t1.err"; rc1=$?
"$BIN" analyze --threads 2 "${IN[@]}" >"$W/t2.jsonl" 2>"$W/t2.err"; rc2=$?
set -e
[ $rc1 = 1 ] && [ $rc2 = 1 ] || fail "exit status with a broken file: $rc1 / $rc2 (want 1)"
"$PY" - "$W" <<'PYEOF' || fail "JSON contract"
import json, sys
w = sys.argv[1]
t1 = [json.loads(l) for l in open(w + "/t1.jsonl")]
t2 = [json.loads(l) for l in open(w + "/t2.jsonl")]
files = [w + "/a.png", w + "/cat.png", w + "/broken.png", w + "/small.jpg", w + "/a.png"]
assert [d["file"] for d in t1] == files, [d["file"] for d in t1]
# identical results with 2 threads, timings aside
strip = lambda d: {k: v for k, v in d.items() if k != "ms"}
assert [strip(d) for d in t1] == [strip(d) for d in t2], "1 and 2 threads differ"
assert set(t1[2]) == {"file", "error"} and t1[2]["error"], t1[2]
for d in (t1[0], t1[1], t1[3]):
    assert set(d) == {"file", "width", "height", "detector", "recognizer", "n_found", "faces", "ms"}, set(d)
    assert set(d["ms"]) == {"decode", "detect", "align", "embed"}
    areas = [(f["bbox"][2] - f["bbox"][0]) * (f["bbox"][3] - f["bbox"][1]) for f in d["faces"]]
    assert areas == sorted(areas, reverse=True)
    for f in d["faces"]:
        assert set(f) == {"bbox", "det_score", "kps", "area_ratio", "embedding"}, set(f)
        assert len(f["kps"]) == 5 and all(len(p) == 2 for p in f["kps"])
        assert len(f["embedding"]) == 192
assert (t1[0]["width"], t1[0]["height"], t1[0]["n_found"]) == (512, 512, 1), t1[0]
assert t1[1]["n_found"] == 0, "a face on the cat"
assert t1[3]["n_found"] == 1 and t1[3]["width"] == 384
assert t1[0]["detector"].startswith("blazeface256(") and t1[0]["recognizer"].startswith("mobilefacenet(")  # the default set
print("analyze: contract ok (%d lines, 1 and 2 threads identical)" % len(t1))
PYEOF

# --no-embedding, --embed-largest, --draw, other sets
"$BIN" analyze --no-embedding "$W/a.png" | grep -q '"embedding"' && fail "--no-embedding printed an embedding"
"$BIN" analyze --models mtcnn --embed-largest --draw "$W/draw" "$W/a.png" "$W/small.jpg" >"$W/b.jsonl"
[ -s "$W/draw/a.png" ] && [ -s "$W/draw/small.png" ] || fail "--draw wrote no previews"
"$PY" -c "
from PIL import Image
for n, size in (('a', (512, 512)), ('small', (384, 384))):
    im = Image.open('$W/draw/%s.png' % n); assert im.size == size, im.size
" || fail "--draw previews are not the image size"
grep -q '"detector":"mtcnn(' "$W/b.jsonl" || fail "--models mtcnn not used"

# usage and errors
"$BIN" analyze --help | grep -q "usage: facesift analyze" || fail "--help"
set +e
"$BIN" analyze >/dev/null 2>&1; [ $? = 2 ] || fail "no image: want exit 2"
"$BIN" analyze --bogus "$W/a.png" >/dev/null 2>&1; [ $? = 2 ] || fail "unknown option: want exit 2"
"$BIN" analyze --det-size 100 "$W/a.png" >/dev/null 2>&1; [ $? = 2 ] || fail "--det-size 100: want exit 2"
"$BIN" analyze --models nonsense "$W/a.png" >/dev/null 2>"$W/e.txt"; [ $? = 1 ] || fail "unknown model set: want exit 1"
grep -q "antelopev2:DIR" "$W/e.txt" || fail "unknown model set: message should list the sets"
FSIFT_MODELS_DIR=$W/none "$BIN" analyze "$W/a.png" >/dev/null 2>"$W/e2.txt"; [ $? = 1 ] || fail "missing models: want exit 1"
grep -q "fetch-models" "$W/e2.txt" || fail "missing models: message should say how to fetch them"
set -e
echo "analyze: CLI ok"
