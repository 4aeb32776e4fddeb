#!/usr/bin/env bash
# CLIP towers on facesift's runtime vs onnxruntime-node: tests/clip_graphs.py writes
# random-weight image and text towers shaped like OpenAI's ViT-B/32 export (224x224, patch 32,
# width 768 / 512, 12 / 8 heads, vocabulary 49,408; 2 blocks here for test time — the
# benchmark runs all 12) in both LayerNorm spellings (LayerNormalization, opset 17;
# ReduceMean/Sub/Pow/Sqrt/Div, opset 14), QuickGELU and erf GELU, a text tower pooled in the
# graph at the end token, one that is not pooled, and one with an attention-mask input. Each runs through `facesift model run`
# and tests/oracle/ort_run.js; outputs must agree within max|a-b| / max(max|b|, 1e-3) <= 1e-4
# (tests/oracle/compare.py, the runtime's tolerance). Exit 77 (skip) when an oracle is missing.
set -uo pipefail
. "$(dirname "$0")/oracle_env.sh" # SRC BIN PY ORACLE; exit 77 when an oracle is missing
OUT=${FSIFT_BUILD_DIR:?}/clip_towers
rm -rf "$OUT"
$PY "$SRC/tests/clip_graphs.py" "$OUT" --layers 2 || { echo "FAIL: clip_graphs.py"; exit 1; }

fail=0
for m in image_op17 image_op14 text_op17 text_op14 text_nopool text_mask; do
    in=$OUT/${m%%_*}.in0.npy
    [ $m = text_mask ] && in="$in $OUT/text.in1.npy"
    if ! node "$ORACLE/ort_run.js" "$OUT/$m.onnx" $in -o "$OUT/$m.ort" >"$OUT/$m.ort.log" 2>&1; then
        echo "FAIL $m: onnxruntime: $(tail -1 "$OUT/$m.ort.log")"; fail=1; continue
    fi
    if ! "$BIN" model run "$OUT/$m.onnx" $in -o "$OUT/$m.fs" >"$OUT/$m.fs.log" 2>&1; then
        echo "FAIL $m: facesift: $(tail -1 "$OUT/$m.fs.log")"; fail=1; continue
    fi
    if $PY "$ORACLE/compare.py" "$OUT/$m.fs" "$OUT/$m.ort" --tol 1e-4 >"$OUT/$m.cmp" 2>&1; then
        echo "ok   $m: $(head -1 "$OUT/$m.cmp")"
    else
        echo "FAIL $m:"; cat "$OUT/$m.cmp"; fail=1
    fi
done
rm -f "$OUT"/*.onnx
exit $fail
