#!/usr/bin/env bash
# Agreement with ONNX Runtime for the "nn" operator group, one operator per model: every case
# that tests/nn_ops_cases.py writes (pools, normalisations, softmax, reductions, resize,
# upsample, pad with the attribute combinations the ONNX node tests leave out) runs on its
# random input through `facesift model run` and through onnxruntime-node
# (tests/oracle/ort_run.js); every output must agree within max|a-b| / max(max|b|, 1e-3)
# <= 1e-4 (tests/oracle/compare.py). Cases where ONNX Runtime itself fails to run are
# reported and not counted. Exit 77 (skip) with a reason when an oracle is missing.
set -uo pipefail
. "$(dirname "$0")/oracle_env.sh" # SRC BIN PY ORACLE; exit 77 when an oracle is missing
OUT=${FSIFT_BUILD_DIR:?}/nn_ops_ort
rm -rf "$OUT"
mkdir -p "$OUT/cases"
$PY "$SRC/tests/nn_ops_cases.py" "$OUT/cases" >"$OUT/gen.log" 2>&1 ||
    { cat "$OUT/gen.log"; echo "FAIL: nn_ops_cases.py"; exit 1; }

pass=0 fail=0 noref=0
for model in "$OUT"/cases/*.onnx; do
    name=$(basename "$model" .onnx)
    in="$OUT/cases/$name.in0.npy"
    if ! node "$ORACLE/ort_run.js" "$model" "$in" -o "$OUT/$name.ort" >"$OUT/$name.ort.log" 2>&1; then
        echo "NOREF $name: onnxruntime failed: $(grep -v "^\s*$" "$OUT/$name.ort.log" | tail -1)"
        noref=$((noref + 1)); continue
    fi
    if ! "$BIN" model run "$model" "$in" -o "$OUT/$name.fs" >"$OUT/$name.fs.log" 2>&1; then
        echo "FAIL $name: facesift: $(tail -1 "$OUT/$name.fs.log")"
        fail=$((fail + 1)); continue
    fi
    if $PY "$ORACLE/compare.py" "$OUT/$name.fs" "$OUT/$name.ort" --tol 1e-4 >"$OUT/$name.cmp" 2>&1; then
        pass=$((pass + 1))
    else
        echo "FAIL $name: $(grep -v '^ok' "$OUT/$name.cmp" | head -2 | tr '\n' ' ')"
        fail=$((fail + 1))
    fi
done
echo "nn ops vs ONNX Runtime: $pass agree, $fail differ, $noref without a reference"
[ "$fail" -eq 0 ]
