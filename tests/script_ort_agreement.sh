#!/usr/bin/env bash
# Agreement with ONNX Runtime (a test oracle only): every model below runs on random inputs
# through `facesift model run` and through onnxruntime-node (tests/oracle/ort_run.js), and
# every output must agree within max|a-b| / max(max|b|, 1e-3) <= 1e-4 (tests/oracle/compare.py).
# Models: both BlazeFace ONNX files (fetched, pinned) and the random-weight graphs that
# tests/oracle/gen_graphs.py builds (SCRFD-like with and without BN, ArcFace-like, CLIP text
# and image towers at opsets 14 and 17). Also checked with FSIFT_CPU=generic and =avx2 so
# every kernel level meets the oracle. Exit 77 (skip) with a reason when an oracle is missing.
set -uo pipefail
. "$(dirname "$0")/oracle_env.sh" # SRC BIN PY ORACLE; exit 77 when an oracle is missing
OUT=${FSIFT_BUILD_DIR:?}/ort_agreement
rm -rf "$OUT"
mkdir -p "$OUT/graphs"
$PY "$ORACLE/gen_graphs.py" "$OUT/graphs" >"$OUT/gen.log" 2>&1 || { cat "$OUT/gen.log"; echo "FAIL: gen_graphs.py"; exit 1; }

# Random inputs for a model that has no *.in0.npy beside it: float in [-1,1], dynamic dims 1.
make_inputs() {
    $PY - "$1" "$2" <<'PYEOF'
import sys, numpy as np, onnx
m = onnx.load(sys.argv[1], load_external_data=False)
inits = {i.name for i in m.graph.initializer}
rng = np.random.default_rng(7)
k = 0
for inp in m.graph.input:
    if inp.name in inits: continue
    t = inp.type.tensor_type
    shape = [d.dim_value if d.HasField('dim_value') else 1 for d in t.shape.dim]
    if t.elem_type == 1: a = rng.uniform(-1, 1, shape).astype(np.float32)
    elif t.elem_type == 7: a = rng.integers(0, 100, shape).astype(np.int64)
    else: raise SystemExit('unsupported input type %d' % t.elem_type)
    np.save('%s.in%d.npy' % (sys.argv[2], k), a)
    k += 1
PYEOF
}

models=()
for f in "$OUT"/graphs/*.onnx; do models+=("$f"); done
for f in "$SRC"/models/blazeface/*.onnx; do [ -f "$f" ] && models+=("$f"); done
if [ ! -f "$SRC/models/blazeface/face_detection_back_256x256_barracuda.onnx" ]; then
    echo "NOTE: BlazeFace models not fetched (scripts/fetch-models.sh); checking generated graphs only"
fi

fail=0; n=0
for m in "${models[@]}"; do
    name=$(basename "$m" .onnx)
    stem="${m%.onnx}"
    if ! ls "$stem".in0.npy >/dev/null 2>&1; then
        stem="$OUT/$name"
        make_inputs "$m" "$stem" || { echo "FAIL $name: cannot make inputs"; fail=1; continue; }
    fi
    ins=$(ls "$stem".in*.npy | sort -V)
    node "$ORACLE/ort_run.js" "$m" $ins -o "$OUT/$name/ort" >"$OUT/$name.ort.log" 2>&1 ||
        { echo "FAIL $name: onnxruntime failed"; cat "$OUT/$name.ort.log"; fail=1; continue; }
    for level in native generic avx2; do
        if [ $level = native ]; then envset=(); else envset=(FSIFT_CPU=$level); fi
        if ! env "${envset[@]}" "$BIN" model run "$m" $ins -o "$OUT/$name/fs_$level" >"$OUT/$name.fs.log" 2>&1; then
            echo "FAIL $name [$level]: facesift model run failed: $(cat "$OUT/$name.fs.log")"; fail=1; continue
        fi
        if $PY "$ORACLE/compare.py" "$OUT/$name/fs_$level" "$OUT/$name/ort" --tol 1e-4 >"$OUT/$name.cmp.log" 2>&1; then
            echo "PASS $name [$level]: $(tr '\n' ' ' <"$OUT/$name.cmp.log")"
        else
            echo "FAIL $name [$level]:"; cat "$OUT/$name.cmp.log"; fail=1
        fi
    done
    n=$((n + 1))
done
echo "ort agreement: $n models checked, $([ $fail = 0 ] && echo all agree || echo FAILURES)"
exit $fail
