#!/usr/bin/env bash
# Runtime latency beside ONNX Runtime (onnxruntime-node), 1 and 2 threads: BlazeFace 128 and
# 256 (ONNX), MTCNN O-Net 48x48 batch 1 and 16, MobileFaceNet batch 2 and 8 (TFLite; ONNX
# Runtime runs an op-by-op ONNX translation made by tests/oracle/check_tflite_np.py), the
# SCRFD-10G-shaped graph at 640x640 and the ArcFace-R100-shaped graph (tests/oracle/gen_graphs.py,
# random weights). Each row runs the two engines alternately: facesift, ORT, facesift, ORT
# (median of ITERS after WARM warm-up each; the better of the two medians per engine is kept,
# which discounts a burst of machine noise hitting one engine's turn). Then the MTCNN cascade
# as the face code runs it (bench/bench_pnet.c, facesift only). Prints markdown.
set -euo pipefail
# Sourced environment from bench/run.sh: ROOT BUILD WORK PY ITERS WARM QUICK CPU.
[ -d "$ROOT/tests/oracle/node_modules/onnxruntime-node" ] || { echo "bench: run scripts/setup-oracles.sh first" >&2; exit 1; }
[ -f "$ROOT/models/mtcnn/onet.tflite" ] || { echo "bench: run scripts/fetch-models.sh first" >&2; exit 1; }
# generated graphs and TFLite translations
[ -f "$WORK/graphs/arcface_like.onnx" ] || $PY "$ROOT/tests/oracle/gen_graphs.py" "$WORK/graphs" >/dev/null
for spec in onet:1,48,48,3 onet:16,48,48,3 MobileFaceNet:2,112,112,3; do
    name=${spec%%:*}; shp=${spec#*:}; b=${shp%%,*}
    src=$ROOT/models/mtcnn/$name.tflite
    [ -f "$src" ] || src=$ROOT/models/mobilefacenet/$name.tflite
    dst=$WORK/tfl_${name}_b$b
    [ -f "$dst/$name.onnx" ] || $PY "$ROOT/tests/oracle/check_tflite_np.py" --keep "$dst" "$src:$shp" >/dev/null
done
# MobileFaceNet's file pins batch 2 in a Reshape ([2,192]); facesift's loader makes that
# leading 2 a -1 (see tflite_load.c), and the ORT peer gets the same edit for batch 8.
mkdir -p "$WORK/tfl_MobileFaceNet_b8"
[ -f "$WORK/tfl_MobileFaceNet_b8/MobileFaceNet.onnx" ] || $PY - "$WORK/tfl_MobileFaceNet_b2/MobileFaceNet.onnx" "$WORK/tfl_MobileFaceNet_b8/MobileFaceNet.onnx" <<'PYEOF'
import sys, onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
inits = {i.name: i for i in m.graph.initializer}
for n in m.graph.node:
    if n.op_type == "Reshape" and n.input[1] in inits:
        a = numpy_helper.to_array(inits[n.input[1]]).copy()
        if a.size and a[0] == 2:
            a[0] = -1
            inits[n.input[1]].CopyFrom(numpy_helper.from_array(a, n.input[1]))
for t in list(m.graph.input) + list(m.graph.output):
    t.type.tensor_type.shape.dim[0].dim_param = "batch"
del m.graph.value_info[:]
onnx.save(m, sys.argv[2])
PYEOF

# name | facesift model | facesift shape | ORT model | ORT shape
ROWS=(
  "BlazeFace front 128|$ROOT/models/blazeface/face_detection_front_128x128_barracuda.onnx|1x128x128x3|$ROOT/models/blazeface/face_detection_front_128x128_barracuda.onnx|1,128,128,3"
  "BlazeFace back 256|$ROOT/models/blazeface/face_detection_back_256x256_barracuda.onnx|1x256x256x3|$ROOT/models/blazeface/face_detection_back_256x256_barracuda.onnx|1,256,256,3"
  "MTCNN O-Net 48, batch 1|$ROOT/models/mtcnn/onet.tflite|1x48x48x3|$WORK/tfl_onet_b1/onet.onnx|1,48,48,3"
  "MTCNN O-Net 48, batch 16|$ROOT/models/mtcnn/onet.tflite|16x48x48x3|$WORK/tfl_onet_b16/onet.onnx|16,48,48,3"
  "MobileFaceNet, batch 2 (native)|$ROOT/models/mobilefacenet/MobileFaceNet.tflite|2x112x112x3|$WORK/tfl_MobileFaceNet_b2/MobileFaceNet.onnx|2,112,112,3"
  "MobileFaceNet, batch 8|$ROOT/models/mobilefacenet/MobileFaceNet.tflite|8x112x112x3|$WORK/tfl_MobileFaceNet_b8/MobileFaceNet.onnx|8,112,112,3"
  "SCRFD-10G-shaped 640x640|$WORK/graphs/scrfd_like.onnx|1x3x640x640|$WORK/graphs/scrfd_like.onnx|1,3,640,640"
  "ArcFace-R100-shaped 112x112|$WORK/graphs/arcface_like.onnx|1x3x112x112|$WORK/graphs/arcface_like.onnx|1,3,112,112"
)

field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
#CPU=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
TABLE=$WORK/table.md
{
echo "| model | threads | facesift median ms (p10–p90) | ONNX Runtime median ms (p10–p90) | facesift / ORT |"
echo "|---|---|---|---|---|"
} >"$TABLE"
for row in "${ROWS[@]}"; do
    IFS='|' read -r name fm fs om os <<<"$row"
    if [ ! -f "$fm" ] || [ ! -f "$om" ]; then echo "| $name | – | missing model | | |" >>"$TABLE"; continue; fi
    for t in 1 2; do
        best_f=""; best_o=""; fl=""; ol=""
        for rep in 1 2; do
            f=$("$ROOT/$BUILD/bench/bench_model" "$fm" --threads $t --shape "$fs" --iters $ITERS --warmup $WARM 2>/dev/null || echo '{}')
            o=$(node "$ROOT/bench/ort_bench.js" "$om" --threads $t --shape "$os" --iters $ITERS --warmup $WARM 2>/dev/null || echo '{}')
            fm_=$(echo "$f" | field median_ms); om_=$(echo "$o" | field median_ms)
            if [ -n "$fm_" ] && { [ -z "$best_f" ] || awk "BEGIN{exit !($fm_ < $best_f)}"; }; then best_f=$fm_; fl=$f; fi
            if [ -n "$om_" ] && { [ -z "$best_o" ] || awk "BEGIN{exit !($om_ < $best_o)}"; }; then best_o=$om_; ol=$o; fi
        done
        if [ -z "$best_f" ] || [ -z "$best_o" ]; then echo "| $name | $t | ${best_f:-failed} | ${best_o:-failed} | |" >>"$TABLE"; continue; fi
        ratio=$(awk "BEGIN{printf \"%.2f\", $best_f / $best_o}")
        printf '| %s | %d | %.3f (%.3f–%.3f) | %.3f (%.3f–%.3f) | %s× |\n' "$name" $t \
            "$best_f" "$(echo "$fl" | field p10_ms)" "$(echo "$fl" | field p90_ms)" \
            "$best_o" "$(echo "$ol" | field p10_ms)" "$(echo "$ol" | field p90_ms)" "$ratio" >>"$TABLE"
        echo "$name t=$t: facesift $best_f ms, ORT $best_o ms ($ratio×)" >&2
    done
done


echo "## Runtime latency vs ONNX Runtime"
echo
echo "- date: $(date -u +%Y-%m-%d)  commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)"
echo "- CPU: $CPU, $(nproc) cores; facesift kernels: $(FSIFT_LOG=error "$ROOT/$BUILD/bench/bench_model" "$ROOT/models/mtcnn/onet.tflite" --iters 1 --warmup 0 2>/dev/null | sed -n 's/.*"isa":"\([a-z0-9]*\)".*/\1/p')"
echo "- ONNX Runtime: onnxruntime-node $(node -e "console.log(require('$ROOT/tests/oracle/node_modules/onnxruntime-node/package.json').version)"), CPU EP, graph optimisation 'all', intra-op threads = threads, sequential"
echo "- command: \`make bench\` (median of $ITERS after $WARM warm-up, best of 2 alternating turns per engine); random inputs"
echo
cat "$TABLE"

# MTCNN as src/face/mtcnn.c runs it (bench/bench_pnet.c): one session per network, P-Net
# re-planned for each pyramid level of a 256x171 image, R-Net/O-Net batches whose size
# changes from image to image; facesift only (no ONNX Runtime peer for the cascade).
PN=$("$ROOT/$BUILD/bench/bench_pnet" --models "$ROOT/models/mtcnn" --iters $ITERS --warmup $WARM --rnet 30 --onet 8 2>/dev/null || echo '{}')
echo
echo "### MTCNN cascade as the face code runs it (1 thread)"
echo
echo "- command: \`bench_pnet --iters $ITERS --warmup $WARM --rnet 30 --onet 8\` (median wall ms; thread CPU ms in brackets)"
echo
echo "| stage | facesift median ms |"
echo "|---|---|"
echo "| P-Net, $(echo "$PN" | field levels)-level pyramid of 256x171 (re-planned per level) | $(echo "$PN" | field pnet_ms) ($(echo "$PN" | field pnet_cpu_ms)) |"
echo "| P-Net, same levels on one session each (no re-plan) | $(echo "$PN" | field pnet_steady_ms) ($(echo "$PN" | field pnet_steady_cpu_ms)) |"
echo "| R-Net, batch 30±2 | $(echo "$PN" | field rnet_ms) ($(echo "$PN" | field rnet_cpu_ms)) |"
echo "| O-Net, batch 8–9 | $(echo "$PN" | field onet_ms) ($(echo "$PN" | field onet_cpu_ms)) |"
