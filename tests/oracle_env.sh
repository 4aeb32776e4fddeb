# tests/oracle_env.sh — sourced by the ONNX Runtime agreement tests (script_clip_towers.sh,
# script_nn_ops_ort.sh, script_ort_agreement.sh): sets SRC (FSIFT_SOURCE_DIR), BIN
# (FSIFT_BIN), PY (/usr/bin/python3) and ORACLE (tests/oracle), and exits 77 (ctest's skip)
# with the reason when an oracle is missing: onnxruntime-node under tests/oracle/node_modules
# (scripts/setup-oracles.sh) or the python3 onnx / numpy modules (scripts/install-deps.sh).
SRC=${FSIFT_SOURCE_DIR:?}
BIN=${FSIFT_BIN:?}
PY=/usr/bin/python3
ORACLE=$SRC/tests/oracle

if [ ! -d "$ORACLE/node_modules/onnxruntime-node" ]; then
    echo "SKIP: onnxruntime-node is not installed (run scripts/setup-oracles.sh)"; exit 77
fi
if ! $PY -c 'import onnx, numpy' 2>/dev/null; then
    echo "SKIP: python3-onnx / python3-numpy missing (run scripts/install-deps.sh)"; exit 77
fi
