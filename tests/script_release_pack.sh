#!/bin/bash
# script_release_pack.sh — facesift pack / unpack against GNU tar, gzip, sha256sum and Python's
# tarfile on a small generated release folder (tests/release_gen.py):
#   pack → `cat PREFIX.tar.gz.* > x.tar.gz && tar zxf x.tar.gz` (the published commands) →
#   identical tree (sha256 of every file); `sha256sum -c` accepts the manifest; gzip -t and
#   Python's tarfile read the joined stream; pack → facesift unpack → identical tree;
#   --threads 1/2/4 give identical bytes; kill -9 during pack and during unpack at several
#   moments, rerun → identical bytes / tree; hostile archives (path traversal, absolute
#   paths, symlink and hardlink escapes, writing through a symlink, devices, a 1 TiB
#   declared size, a truncated stream, a part with a wrong checksum) are refused with exit 1
#   and nothing is written outside the destination.
set -u
SRC=${FSIFT_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${FSIFT_BUILD_DIR:-$SRC/build}
BIN=${FSIFT_BIN:-$BUILD/facesift}
PY=/usr/bin/python3
W=$BUILD/release_pack_test
if ! $PY -c 'import PIL, numpy' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 lacks Pillow or NumPy (apt-get install python3-pil python3-numpy)"; exit 77
fi
if ! tar --version 2>/dev/null | grep -q 'GNU tar'; then echo "SKIP: GNU tar not installed"; exit 77; fi
[ -x "$BIN" ] || { echo "SKIP: $BIN not built"; exit 77; }
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
tree() { $PY "$SRC/tests/release_gen.py" tree "$1"; }

# --- a release folder: 60 samples (JPEG bytes under some .png), an empty folder, a long path
$PY "$SRC/tests/release_gen.py" release rel 60 || exit 1
mkdir -p rel/empty_dir "rel/$(printf 'd%.0s' {1..120})/$(printf 'e%.0s' {1..90})"
echo long > "rel/$(printf 'd%.0s' {1..120})/$(printf 'e%.0s' {1..90})/$(printf 'f%.0s' {1..100}).txt"
head -c 300000 /dev/urandom > rel/big.bin
tree rel > want.txt

# --- pack at 3 thread counts: identical bytes
for t in 1 2 4; do
    "$BIN" pack rel -o "p$t/rel" --part-size 64K --threads $t --quiet >/dev/null || fail "pack --threads $t"
done
for t in 2 4; do
    cmp -s p1/rel.sha256 p$t/rel.sha256 || fail "--threads $t manifest differs from --threads 1"
    for f in p1/rel.tar.gz.*; do cmp -s "$f" "p$t/$(basename "$f")" || fail "--threads $t: $(basename "$f") differs"; done
done
"$BIN" pack rel -o rel/inside/x --quiet >/dev/null 2>&1 && fail "pack into the packed folder accepted"
rm -rf rel/inside
nparts=$(ls p1/rel.tar.gz.* | wc -l)
[ "$nparts" -ge 5 ] || fail "expected several 64K parts, got $nparts"
for f in p1/rel.tar.gz.*; do
    s=$(stat -c %s "$f")
    [ "$f" = "$(ls p1/rel.tar.gz.* | tail -1)" ] || [ "$s" -eq 65536 ] || fail "$f is $s bytes, not 65536"
done

# --- the published restore commands + sha256sum + gzip -t + Python tarfile
(cd p1 && sha256sum -c --quiet --ignore-missing rel.sha256) || fail "sha256sum -c on the parts"
mkdir -p gnu && cat p1/rel.tar.gz.* > gnu/rel.tar.gz
(cd p1 && cp ../gnu/rel.tar.gz . && sha256sum -c --quiet rel.sha256 && rm rel.tar.gz) || fail "sha256sum -c with the joined archive"
gzip -t gnu/rel.tar.gz || fail "gzip -t"
(cd gnu && tar zxf rel.tar.gz && rm rel.tar.gz) || fail "tar zxf"
tree gnu/rel > got.txt; cmp -s want.txt got.txt || fail "GNU tar restored a different tree"
[ -d gnu/rel/empty_dir ] || fail "empty folder not restored by GNU tar"
$PY - "$W/p1" <<'EOF' || fail "Python tarfile could not read the joined stream"
import glob, gzip, io, sys, tarfile
data = b"".join(open(p, "rb").read() for p in sorted(glob.glob(sys.argv[1] + "/rel.tar.gz.*")))
t = tarfile.open(fileobj=io.BytesIO(gzip.decompress(data)))
names = t.getnames()
assert names[0] == "rel" and names.index("rel/face") < names.index("rel/face/0.png") < names.index("rel/0.npy") < names.index("rel/1.npy") < names.index("rel/0.png"), names[:5]
assert any(n.endswith("f" * 100 + ".txt") for n in names), "long name missing"
assert all(m.uid == 0 and m.gid == 0 and m.mtime == 0 for m in t.getmembers()), "metadata not fixed"
EOF

# --- facesift unpack
"$BIN" unpack p1/rel -o un --quiet >/dev/null || fail "unpack"
tree un/rel > got2.txt; cmp -s want.txt got2.txt || fail "facesift unpack restored a different tree"
[ -d un/rel/empty_dir ] || fail "empty folder not restored by unpack"
[ ! -e un/.fsift-unpack.journal ] || fail "unpack journal left behind"

# --- a GNU-tar-made archive (tar czf | split) unpacks too
tar czf - rel | split -b 50000 -d -a 3 - gt.tar.gz.
$PY - <<'EOF'
import glob, hashlib
parts = sorted(glob.glob("gt.tar.gz.[0-9]*"))
lines = ["%s  %s\n" % (hashlib.sha256(open(p, "rb").read()).hexdigest(), p) for p in parts]
open("gt.sha256", "w").write("".join(lines))
EOF
"$BIN" unpack gt -o gtun --quiet >/dev/null || fail "unpack of a GNU tar archive"
tree gtun/rel > got3.txt; cmp -s want.txt got3.txt || fail "unpack of a GNU tar archive: tree differs"

# --- kill -9 during pack at several moments, then resume: identical bytes (64K blocks so
# that the small folder spans several blocks; the test delay widens the window)
"$BIN" pack rel -o kref/rel --part-size 64K --block-size 64K --threads 1 --quiet >/dev/null || fail "pack 64K blocks"
for delay in 0.3 0.8 1.3; do
    rm -rf kp && mkdir kp
    FSIFT_PACK_TEST_DELAY_US=150000 "$BIN" pack rel -o kp/rel --part-size 64K --block-size 64K --threads 2 --quiet >/dev/null 2>&1 &
    pid=$!
    sleep $delay
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    done_parts=$(grep -c '^part' kp/rel.pack-journal 2>/dev/null || echo 0)
    out=$("$BIN" pack rel -o kp/rel --part-size 64K --block-size 64K --threads 3 2>&1) || fail "pack resume after kill at ${delay}s"
    echo "pack killed at ${delay}s: $done_parts part(s) journaled; rerun: $(echo "$out" | tail -1)"
    cmp -s kref/rel.sha256 kp/rel.sha256 || fail "pack resumed after kill at ${delay}s: manifest differs"
    for f in kref/rel.tar.gz.*; do cmp -s "$f" "kp/$(basename "$f")" || fail "resumed pack (${delay}s): $(basename "$f") differs"; done
    [ "$(ls kp | grep -c tmp)" -eq 0 ] || fail "temporary part left after resume"
    [ ! -e kp/rel.pack-journal ] || fail "pack journal left after completion"
done
echo "$out" | grep -q resumed || echo "note: the last kill came after pack finished"

# --- kill -9 during unpack, resume: identical tree
for delay in 0.2 0.7 1.2; do
    rm -rf ku
    FSIFT_UNPACK_TEST_DELAY_US=8000 "$BIN" unpack p1/rel -o ku --checkpoint 32K --quiet >/dev/null 2>&1 &
    pid=$!
    sleep $delay
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    j=$(cat ku/.fsift-unpack.journal 2>/dev/null | awk '{print $4}')
    out=$("$BIN" unpack p1/rel -o ku --checkpoint 32K 2>&1) || fail "unpack resume after kill at ${delay}s: $out"
    echo "unpack killed at ${delay}s: journal at member ${j:-none}; rerun: $(echo "$out" | tail -1)"
    find ku -name '.fsift-unpack*' | grep -q . && fail "unpack temporaries left after resume"
    tree ku/rel > got4.txt; cmp -s want.txt got4.txt || fail "unpack resumed after kill at ${delay}s: tree differs"
done

# --- hostile archives: refused (exit 1, a message), nothing outside the destination
$PY "$SRC/tests/release_gen.py" hostile hostile || exit 1
rm -f /tmp/fsift_abs_escape.txt
for d in hostile/*/; do
    name=$(basename "$d")
    mkdir -p "sand_$name/dest"
    before=$(find "sand_$name" | sort)
    out=$("$BIN" unpack "hostile/$name/$name" -o "sand_$name/dest/x" 2>&1); rc=$?
    [ $rc -eq 1 ] || fail "hostile '$name' not refused (exit $rc): $out"
    echo "$out" | grep -qi "refused\|truncated\|does not match\|over the limit\|corrupt" || fail "hostile '$name': unclear message: $out"
    outside=$(find "sand_$name" -path "sand_$name/dest/x" -prune -o -print | sort)
    [ "$outside" = "$before" ] || fail "hostile '$name' wrote outside the destination: $outside"
    echo "hostile $name: exit $rc: $(echo "$out" | tail -1 | cut -c1-150)"
done
[ ! -e /tmp/fsift_abs_escape.txt ] || fail "absolute path was written"
[ ! -e hostile/outside.txt ] || fail "hardlink escape created a file"
# the checksum failure happens before anything is extracted
[ ! -e sand_badsum/dest/x/top ] || fail "badsum: extraction started despite the wrong checksum"
# a stray part that cat would join
cp -r p1 stray && cp stray/rel.tar.gz.000 "stray/rel.tar.gz.$(printf %03d "$nparts")"
"$BIN" unpack stray/rel -o stray_out >/dev/null 2>&1 && fail "stray extra part not refused"

if [ $fails -ne 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "release pack/unpack: all checks passed"
[ -n "${KEEP:-}" ] || rm -rf "$W"
