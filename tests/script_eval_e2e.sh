#!/usr/bin/env bash
# `facesift eval` end to end with the embedded recognizer (MobileFaceNet) on the bundled
# photos and random-weight ViT-B/32-shaped CLIP towers (tests/clip_graphs.py, 1 block) over
# a vocabulary the test learns itself (tests/clip_tok_ref.py):
#   - the same photo as generated and reference: Face Sim >= 0.99, CLIP-I ~ 1;
#   - different people: Face Sim < 0.5; a cat (no face): Face Sim 0, counted in the no-face
#     rate, which the summary reports;
#   - bad input reported per line while the run finishes (exit 0): a line that is not JSON,
#     one without "generated", a missing file, an unreadable image, a prompt over 77 tokens
#     (truncated, counted);
#   - CLIP-T and CLIP-I agree with Pillow pre-processing + the Python tokenizer port +
#     onnxruntime-node (tests/clip_eval_ref.py) within 2e-3;
#   - summary.json's statistics equal NumPy's on per_image.csv's scores;
#   - the folder mode (--generated/--reference/--prompts) gives the same scores, and
#     eval-compare orders runs by training-set size and writes a valid SVG.
# Exit 77 (skip) with a reason when models, photos or oracles are missing.
set -uo pipefail
SRC=${FSIFT_SOURCE_DIR:?}
BIN=${FSIFT_BIN:?}
OUT=${FSIFT_BUILD_DIR:?}/eval_e2e
PY=/usr/bin/python3
export FSIFT_MODELS_DIR=${FSIFT_MODELS_DIR:-$SRC/models}

[ -f "$FSIFT_MODELS_DIR/mobilefacenet/MobileFaceNet.tflite" ] || [ -d "$FSIFT_MODELS_DIR/mobilefacenet" ] ||
    { echo "SKIP: embedded models missing (run scripts/fetch-models.sh)"; exit 77; }
[ -d "$SRC/tests/oracle/node_modules/onnxruntime-node" ] || { echo "SKIP: onnxruntime-node missing (scripts/setup-oracles.sh)"; exit 77; }
$PY -c 'import regex, onnx, numpy, PIL' 2>/dev/null || { echo "SKIP: python3-regex/onnx/numpy/pil missing (scripts/install-deps.sh)"; exit 77; }
PHOTOS=$SRC/samples/photos
SK=/usr/lib/python3/dist-packages/skimage/data
rm -rf "$OUT"; mkdir -p "$OUT/img" "$OUT/gen" "$OUT/ref"
if [ -f "$PHOTOS/grace_hopper.jpg" ]; then
    cp "$PHOTOS/astronaut.png" "$PHOTOS/grace_hopper.jpg" "$PHOTOS/chelsea.png" "$OUT/img/"
elif [ -f "$SK/astronaut.png" ]; then
    cp "$SK/astronaut.png" "$SK/chelsea.png" "$OUT/img/"; cp "$SK/camera.png" "$OUT/img/grace_hopper.jpg.png"
    echo "note: samples/photos missing; using skimage's camera.png as the second person"
else
    echo "SKIP: no test photos (run scripts/fetch-photos.sh)"; exit 77
fi
SECOND=$(ls "$OUT/img" | grep -v -e astronaut -e chelsea | head -1)
printf 'not a jpeg' > "$OUT/img/broken.jpg"

$PY "$SRC/tests/clip_tok_ref.py" "$OUT/vocab" --strings 10 --merges 400 >/dev/null || { echo "FAIL: clip_tok_ref.py"; exit 1; }
V=$((512 + 400 + 2))
$PY "$SRC/tests/clip_graphs.py" "$OUT/g" --layers 1 --vocab $V >/dev/null || { echo "FAIL: clip_graphs.py"; exit 1; }
LONG=$(for i in $(seq 120); do printf 'portrait of a smiling person '; done)
I=$OUT/img
cat > "$OUT/m.jsonl" <<JSON
{"generated": "img/astronaut.png", "prompt": "a photo of an astronaut woman", "reference": "img/astronaut.png"}
{"generated": "img/$SECOND", "prompt": "a portrait of a woman", "reference": "img/astronaut.png"}
{"generated": "img/chelsea.png", "prompt": "a cat", "reference": "img/astronaut.png"}
this line is not json
{"prompt": "no generated image"}
{"generated": "img/missing.png", "prompt": "x", "reference": "img/astronaut.png"}
{"generated": "img/broken.jpg", "prompt": "x", "reference": "img/astronaut.png"}
{"generated": "img/$SECOND", "prompt": "$LONG", "reference": "img/$SECOND"}
{"generated": "img/astronaut.png", "prompt": "an astronaut", "reference": "img/no_such_reference.png"}
JSON
CLIP=(--clip-image "$OUT/g/image_op17.onnx" --clip-text "$OUT/g/text_op14.onnx" --clip-vocab "$OUT/vocab/bpe_simple_vocab_test.txt.gz")
"$BIN" eval "$OUT/m.jsonl" -o "$OUT/run1" "${CLIP[@]}" --train-size 2M --label run1 >"$OUT/run1.txt" 2>"$OUT/run1.err"
rc=$?
cat "$OUT/run1.txt"; cat "$OUT/run1.err"
[ $rc -eq 0 ] || { echo "FAIL: eval exited $rc"; exit 1; }
fail=0
$PY - "$OUT" <<'PYEOF' || fail=1
import csv, json, sys
import numpy as np
out = sys.argv[1]
rows = list(csv.DictReader(open(out + "/run1/per_image.csv", newline="")))
s = json.load(open(out + "/run1/summary.json"))
err = open(out + "/run1.err").read()
bad = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: bad.append(what)
check(len(rows) == 9, "9 rows, one per manifest line")
r = {int(x["line"]): x for x in rows}
check(r[1]["status"] == "ok" and float(r[1]["face_sim"]) >= 0.99, "same photo: Face Sim %s >= 0.99" % r[1]["face_sim"])
check(float(r[1]["clip_i"]) > 0.999, "same photo: CLIP-I %s ~ 1" % r[1]["clip_i"])
check(r[2]["face_found"] == "1" and float(r[2]["face_sim"]) < 0.5, "different people: Face Sim %s < 0.5" % r[2]["face_sim"])
check(r[3]["face_found"] == "0" and float(r[3]["face_sim"]) == 0.0, "no face (cat): Face Sim 0")
check(s["no_face"] == 1 and abs(s["no_face_rate"] - 1 / 5) < 1e-9, "no-face rate 1/5 (%s)" % s["no_face_rate"])
check("no_such_reference" in r[9]["status"] and r[9]["face_sim"] == "" and r[9]["clip_i"] == "" and r[9]["clip_t"] != "",
      "missing reference: Face Sim and CLIP-I left out, CLIP-T kept (%s)" % r[9]["status"])
check("line 9" in err, "line 9 reported on stderr")
for line, word in ((4, "bad line"), (5, "bad line"), (6, "missing.png"), (7, "broken.jpg")):
    check(word in r[line]["status"], "line %d reported in per_image.csv: %s" % (line, r[line]["status"]))
    check(("line %d" % line) in err, "line %d reported on stderr" % line)
check(r[8]["truncated"] == "1" and s["truncated_prompts"] == 1, "over-long prompt truncated and counted")
check("truncated" in err, "truncation reported on stderr")
check(s["n_items"] == 9 and s["n_scored"] == 5 and s["n_errors"] == 5, "counts %d/%d/%d" % (s["n_items"], s["n_scored"], s["n_errors"]))
check(s["models"]["recognizer"].startswith("mobilefacenet"), "summary names the recognizer: " + s["models"]["recognizer"])
for key in ("face_sim", "clip_t", "clip_i"):
    v = np.array([float(x[key]) for x in rows if x[key] != ""])
    m = s["metrics"][key]
    check(m["n"] == len(v) and abs(m["mean"] - v.mean()) < 1e-6 and abs(m["std"] - v.std()) < 1e-6
          and abs(m["mean_x100"] - 100 * v.mean()) < 1e-4, "%s mean/std match NumPy (%d values)" % (key, len(v)))
    # the bootstrap replayed in NumPy: splitmix64(seed 0), index = next() % n, 1000 means
    st, M = 0, (1 << 64) - 1
    def nxt():
        global st
        st = (st + 0x9E3779B97F4A7C15) & M
        z = st
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        return z ^ (z >> 31)
    means = [np.mean([v[nxt() % len(v)] for _ in range(len(v))]) for _ in range(1000)]
    lo, hi = np.percentile(means, [2.5, 97.5])
    check(abs(m["ci95"][0] - lo) < 2e-6 and abs(m["ci95"][1] - hi) < 2e-6,  # CSV keeps 6 decimals
          "%s bootstrap CI [%.6f, %.6f] = NumPy's replay [%.6f, %.6f]" % (key, m["ci95"][0], m["ci95"][1], lo, hi))
sys.exit(1 if bad else 0)
PYEOF
$PY "$SRC/tests/clip_eval_ref.py" "$OUT/m.jsonl" "$OUT/run1/per_image.csv" "$OUT/g/image_op17.onnx" "$OUT/g/text_op14.onnx" \
    "$OUT/vocab/bpe_simple_vocab_test.txt.gz" "$OUT/ref_work" || fail=1

# --jobs 3: three workers give byte-identical outputs
"$BIN" eval "$OUT/m.jsonl" -o "$OUT/run1j" "${CLIP[@]}" --train-size 2M --label run1 --jobs 3 >/dev/null 2>"$OUT/run1j.err" ||
    { echo "FAIL: eval --jobs 3"; fail=1; }
if cmp -s "$OUT/run1/per_image.csv" "$OUT/run1j/per_image.csv" && cmp -s "$OUT/run1/summary.json" "$OUT/run1j/summary.json" &&
    cmp -s "$OUT/run1.err" "$OUT/run1j.err"; then
    echo "ok   --jobs 3 gives the same per_image.csv, summary.json and messages"
else
    echo "FAIL --jobs 3 output differs"; diff "$OUT/run1/per_image.csv" "$OUT/run1j/per_image.csv" | head -5; fail=1
fi
# CLIP-T of run $1 must equal run1's (the pooled op14 text graph), within 2e-6
same_clip_t() {
    $PY - "$OUT/run1/per_image.csv" "$OUT/$1/per_image.csv" "$2" <<'PYEOF'
import csv, sys
a = list(csv.DictReader(open(sys.argv[1], newline="")))
b = list(csv.DictReader(open(sys.argv[2], newline="")))
same = len(a) == len(b) and all((x["clip_t"] == "") == (y["clip_t"] == "") and
                                (x["clip_t"] == "" or abs(float(x["clip_t"]) - float(y["clip_t"])) <= 2e-6)
                                for x, y in zip(a, b))
print(("ok   " if same else "FAIL ") + sys.argv[3])
sys.exit(0 if same else 1)
PYEOF
}
# a text tower that does not pool ([1,77,D] out): facesift pools at the end token itself
"$BIN" eval "$OUT/m.jsonl" -o "$OUT/run3" --clip-image "$OUT/g/image_op17.onnx" --clip-text "$OUT/g/text_nopool.onnx" \
    --clip-vocab "$OUT/vocab/hf/vocab.json" --no-face -q >/dev/null || { echo "FAIL: eval (unpooled text tower)"; fail=1; }
same_clip_t run3 "unpooled text tower pooled in C (+ HF vocab.json) gives the pooled graph's CLIP-T" || fail=1
# a text tower with an attention-mask input: facesift fills it with 1 up to the end token;
# with a causal mask the padding keys never reach the end token, so CLIP-T must not change
"$BIN" eval "$OUT/m.jsonl" -o "$OUT/run4" --clip-image "$OUT/g/image_op17.onnx" --clip-text "$OUT/g/text_mask.onnx" \
    --clip-vocab "$OUT/vocab/tokenizer.json" --no-face -q >/dev/null || { echo "FAIL: eval (text tower with a mask input)"; fail=1; }
same_clip_t run4 "text tower with an attention-mask input (+ tokenizer.json) gives the same CLIP-T" || fail=1

# folder mode: same pairs for lines 1-3, matched by name
cp "$I/astronaut.png" "$OUT/gen/a.png"; cp "$I/$SECOND" "$OUT/gen/b.${SECOND##*.}"; cp "$I/chelsea.png" "$OUT/gen/c.png"
printf 'a\ta photo of an astronaut woman\nb\ta portrait of a woman\nc\ta cat\n' > "$OUT/prompts.tsv"
"$BIN" eval --generated "$OUT/gen" --reference "$I/astronaut.png" --prompts "$OUT/prompts.tsv" -o "$OUT/run2" "${CLIP[@]}" \
    --train-size 10K -q >/dev/null || { echo "FAIL: eval (folder mode)"; fail=1; }
$PY - "$OUT" <<'PYEOF' || fail=1
import csv, sys
out = sys.argv[1]
a = list(csv.DictReader(open(out + "/run1/per_image.csv", newline="")))[:3]
b = list(csv.DictReader(open(out + "/run2/per_image.csv", newline="")))
same = len(b) == 3 and all(x[k] == y[k] for x, y in zip(a, b) for k in ("face_sim", "clip_t", "clip_i"))
print(("ok   " if same else "FAIL ") + "folder mode gives the manifest's scores")
sys.exit(0 if same else 1)
PYEOF
"$BIN" eval-compare "$OUT/run1" "$OUT/run2" -o "$OUT/cmp" > "$OUT/cmp.txt" || { echo "FAIL: eval-compare"; fail=1; }
# sizes given on the command line win over the runs' own; a run without one reads metadata.json
"$BIN" eval "$OUT/m.jsonl" -o "$OUT/run5" --clip-image "$OUT/g/image_op17.onnx" --no-face -q >/dev/null
echo '{"train_size": 1000}' > "$OUT/run5/metadata.json"
"$BIN" eval-compare "$OUT/run1" "$OUT/run2" "$OUT/run5" -o "$OUT/cmp2" >/dev/null || { echo "FAIL: eval-compare (metadata.json)"; fail=1; }
"$BIN" eval-compare "$OUT/run1" "$OUT/run2" -o "$OUT/cmp3" --sizes 4M,1K >/dev/null || { echo "FAIL: eval-compare --sizes"; fail=1; }
"$BIN" eval-compare "$OUT/run1" "$OUT/run2" -o "$OUT/cmp4" --sizes 4M >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: --sizes with the wrong count should exit 2"; fail=1; }
cat "$OUT/cmp.txt"
$PY - "$OUT" <<'PYEOF' || fail=1
import csv, sys, xml.etree.ElementTree as ET
out = sys.argv[1]
rows = list(csv.DictReader(open(out + "/cmp/compare.csv", newline="")))
ok = [r["label"] for r in rows] == ["run2", "run1"] and [r["train_size"] for r in rows] == ["10000", "2000000"]
ET.parse(out + "/cmp/scaling.svg")
r2 = list(csv.DictReader(open(out + "/cmp2/compare.csv", newline="")))
ok = ok and [r["label"] for r in r2] == ["run5", "run2", "run1"]
r3 = list(csv.DictReader(open(out + "/cmp3/compare.csv", newline="")))
ok = ok and [(r["label"], r["train_size"]) for r in r3] == [("run2", "1000"), ("run1", "4000000")]
print(("ok   " if ok else "FAIL ") + "eval-compare orders runs by size (own, metadata.json, --sizes); scaling.svg is valid XML")
sys.exit(0 if ok else 1)
PYEOF
# The reference recognizer path (--models antelopev2:DIR): SCRFD- and ArcFace-shaped ONNX
# graphs with random weights (tests/face_scrfd_oracle.py builds them); the same photo as
# generated and reference must score 1, and the summary must name the ONNX recognizer.
$PY -c "import sys; sys.path.insert(0, '$SRC/tests'); import face_scrfd_oracle as s; s.build_models('$OUT/antelope')" >/dev/null
printf '{"generated":"%s","prompt":"a photo","reference":"%s"}\n' "$OUT/astronaut_ref.png" "$OUT/astronaut_ref.png" > "$OUT/ante.jsonl"
cp /usr/lib/python3/dist-packages/skimage/data/astronaut.png "$OUT/astronaut_ref.png"
"$BIN" eval "$OUT/ante.jsonl" -o "$OUT/run_ante" --models "antelopev2:$OUT/antelope/static" -q >/dev/null || { echo "FAIL: eval --models antelopev2"; fail=1; }
$PY - "$OUT" <<'PYEOF' || fail=1
import csv, json, sys
out = sys.argv[1]
s = json.load(open(out + "/run_ante/summary.json"))
r = list(csv.DictReader(open(out + "/run_ante/per_image.csv", newline="")))
ok = (s["models"]["recognizer"].startswith("arcface_like.onnx@") and len(r) == 1 and r[0]["face_found"] == "1"
      and float(r[0]["face_sim"]) >= 0.99)
print(("ok   " if ok else "FAIL ") + "antelopev2:DIR: recognizer %s, same photo Face Sim %s" % (s["models"]["recognizer"], r[0]["face_sim"] if r else "?"))
sys.exit(0 if ok else 1)
PYEOF
"$BIN" eval --help >/dev/null && "$BIN" eval-compare --help >/dev/null || { echo "FAIL: --help"; fail=1; }
"$BIN" eval >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: eval without arguments should exit 2"; fail=1; }
rm -f "$OUT"/g/*.onnx
exit $fail
