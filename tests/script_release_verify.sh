#!/bin/bash
# script_release_verify.sh — facesift verify / get / subset on generated folders
# (tests/release_gen.py; Pillow writes the images, NumPy the .npy files, Python's json and
# os.stat are the oracles):
#   verify: a clean release folder and a clean webdataset output pass (exit 0) with the
#   JPEG-under-.png count Python computes; each injected fault (truncated image, missing
#   .npy, NaN in an embedding, wrong dimension, missing face crop, extra file, a line that is
#   not JSON; wds: missing stats file, sample without .txt, json without kps) gives exit 1
#   and exactly one problem of its kind;
#   get: caption, bbox, landmarks and paths equal the jsonl line's as Python reads it;
#   subset: sizes exact, nested, the same seed reproduces byte-identical index files, the
#   linked folders share inodes with the source and pass verify; 6.2 M lines (the release's
#   size) subset in bounded memory (max RSS < 500 MB).
set -u
SRC=${FSIFT_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${FSIFT_BUILD_DIR:-$SRC/build}
BIN=${FSIFT_BIN:-$BUILD/facesift}
PY=/usr/bin/python3
W=$BUILD/release_verify_test
if ! $PY -c 'import PIL, numpy' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 lacks Pillow or NumPy (apt-get install python3-pil python3-numpy)"; exit 77
fi
[ -x "$BIN" ] || { echo "SKIP: $BIN not built"; exit 77; }
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

$PY "$SRC/tests/release_gen.py" release rel 30 || exit 1
$PY "$SRC/tests/release_gen.py" wds wds 2 6 || exit 1

# --- clean folders pass
out=$("$BIN" verify rel --threads 2 2>&1) || fail "clean release folder: $out"
jpegs=$($PY -c "import glob; print(sum(open(p,'rb').read(3)==b'\xff\xd8\xff' for p in glob.glob('rel/[0-9]*.png')))")
echo "$out" | grep -q "30 samples, embedding dim 512, $jpegs JPEG-under-.png" || fail "release summary: $out (python counts $jpegs JPEG)"
out=$("$BIN" verify wds 2>&1) || fail "clean webdataset: $out"
echo "$out" | grep -q "2 shards, 12 samples" || fail "wds summary: $out"

# --- one fault each → exit 1 and exactly one problem of that kind
fault() { # name kind command...
    local name=$1 kind=$2; shift 2
    rm -rf "f_$name" && cp -r rel "f_$name" && (cd "f_$name" && eval "$@")
    local o; o=$("$BIN" verify "f_$name" 2>&1); local rc=$?
    [ $rc -eq 1 ] || fail "fault $name: exit $rc"
    echo "$o" | grep -Eq "^  $kind +1$" || fail "fault $name: no single '$kind' in: $o"
    echo "$o" | grep -q "(1 problem)" || fail "fault $name: more than one problem: $o"
}
fault trunc corrupt_image 'head -c 100 0.png > x && mv x 0.png'
fault nonpy missing_npy 'rm 6.npy'
fault nan nonfinite_npy "$PY -c 'import numpy as np; a=np.load(\"7.npy\"); a[3]=np.nan; np.save(\"7.npy\", a)'"
fault dim wrong_dim "$PY -c 'import numpy as np; np.save(\"8.npy\", np.zeros(192, np.float32))'"
fault noface missing_face 'rm face/9.png'
fault extra extra_file 'cp 1.png 30.png'
fault json bad_json "sed -i '4s/.*/not json/' meta.jsonl"
fault badface corrupt_face 'printf "\x89PNG\r\n\x1a\nxx" > face/3.png'

wfault() {
    local name=$1 kind=$2; shift 2
    rm -rf "w_$name" && cp -r wds "w_$name" && (cd "w_$name" && eval "$@")
    local o; o=$("$BIN" verify "w_$name" 2>&1); local rc=$?
    [ $rc -eq 1 ] || fail "wds fault $name: exit $rc"
    echo "$o" | grep -Eq "^  $kind +1$" || fail "wds fault $name: no single '$kind' in: $o"
}
wfault nostats incomplete_shard 'rm 00001_stats.json'
wfault notxt missing_txt "$PY -c '
import tarfile
src = tarfile.open(\"00000.tar\"); ms = [(m, src.extractfile(m).read()) for m in src.getmembers()]
import io
with tarfile.open(\"00000.tar.new\", \"w\") as t:
    for m, d in ms:
        if m.name != \"000000002.txt\": t.addfile(m, io.BytesIO(d))
'; mv 00000.tar.new 00000.tar"
wfault nokps bad_bbox_kps "$PY -c '
import tarfile, io, json
src = tarfile.open(\"00001.tar\"); ms = [(m, src.extractfile(m).read()) for m in src.getmembers()]
with tarfile.open(\"00001.tar.new\", \"w\") as t:
    for m, d in ms:
        if m.name == \"000010003.json\":
            j = json.loads(d); del j[\"kps\"]; d = json.dumps(j).encode(); m.size = len(d)
        t.addfile(m, io.BytesIO(d))
'; mv 00001.tar.new 00001.tar"

# --- get against Python's reading of the jsonl
"$BIN" get rel 17 > get.json || fail "get"
$PY - <<'EOF' || fail "get differs from the jsonl"
import json
g = json.load(open("get.json"))
rec = json.loads(open("rel/meta.jsonl").read().splitlines()[17])
assert g["sample"] == 17 and g["caption"] == rec["caption"] and g["bbox"] == rec["bbox"], g
assert g["landmarks"] == rec["landmarks"] and g["record"] == rec
assert g["image"] == "rel/17.png" and g["image_exists"] and g["face"] == "rel/face/17.png" and g["face_exists"]
assert g["embedding"] == "rel/17.npy" and g["embedding_exists"]
assert g["image_format"] == ("jpeg" if open("rel/17.png", "rb").read(2) == b"\xff\xd8" else "png")
EOF
"$BIN" get rel 30 >/dev/null 2>&1 && fail "get past the last line succeeded"

# --- subsets
"$BIN" subset rel --sizes 5,10,20,all --seed 3 -o sub --link >/dev/null || fail "subset"
"$BIN" subset rel --sizes 5,10,20,all --seed 3 -o sub2 >/dev/null || fail "subset again"
"$BIN" subset rel --sizes 5,10,20 --seed 4 -o sub4 >/dev/null || fail "subset seed 4"
for s in 5 10 20 all; do cmp -s sub/$s.jsonl sub2/$s.jsonl || fail "subset $s not reproducible"; done
cmp -s sub/10.jsonl sub4/10.jsonl && fail "seed 4 gave the same subset as seed 3"
$PY - <<'EOF' || fail "subset structure"
import json, os
lines = open("rel/meta.jsonl").read().splitlines()
prev = set()
for s, n in (("5", 5), ("10", 10), ("20", 20), ("all", 30)):
    rows = [json.loads(l) for l in open("sub/%s.jsonl" % s)]
    idx = [r.pop("sample") for r in rows]
    assert len(idx) == n and len(set(idx)) == n, (s, idx)
    assert idx == sorted(idx)
    assert prev <= set(idx), "not nested"
    prev = set(idx)
    for i, r in zip(idx, rows):
        assert r == json.loads(lines[i]), "record of sample %d changed" % i
    own = open("sub/%s/meta.jsonl" % s).read().splitlines()
    for k, i in enumerate(idx):
        assert own[k] == lines[i]
        for a, b in (("%d.png", "%d.png"), ("%d.npy", "%d.npy"), ("face/%d.png", "face/%d.png")):
            assert os.stat("sub/%s/" % s + a % k).st_ino == os.stat("rel/" + b % i).st_ino
EOF
"$BIN" verify sub/10 >/dev/null 2>&1 || fail "linked subset folder does not verify"
"$BIN" subset rel --sizes 31 -o bad >/dev/null 2>&1 && fail "size larger than the folder accepted"

# --- 6.2 M lines: bounded memory, fast
mkdir -p big
$PY "$SRC/tests/release_gen.py" jsonl big/meta.jsonl 6231808
start=$(date +%s%N)
$PY -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$BIN" subset big --sizes 1K,10K,100K,1M,2M,4M --seed 0 -o bigsub > rss.txt || fail "6.2M subset"
end=$(date +%s%N)
rss=$(tail -1 rss.txt)
echo "subset of 6,231,808 lines: $(( (end - start) / 1000000 )) ms, max RSS ${rss} KB"
[ "$rss" -lt 512000 ] || fail "6.2M subset used ${rss} KB (limit 500 MB)"
[ "$(wc -l < bigsub/4M.jsonl)" -eq 4000000 ] || fail "4M subset size"
[ "$(wc -l < bigsub/1K.jsonl)" -eq 1000 ] || fail "1K subset size"

if [ $fails -ne 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "release verify/get/subset: all checks passed"
rm -rf "$W"
