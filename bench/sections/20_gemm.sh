#!/usr/bin/env bash
# GEMM / convolution throughput of the runtime's kernels (bench/bench_gemm). Prints markdown.
set -euo pipefail
# Sourced environment from bench/run.sh: ROOT BUILD WORK PY ITERS WARM QUICK CPU.
GEMM=$WORK/gemm.txt
if [ -x "$ROOT/$BUILD/bench/bench_gemm" ]; then "$ROOT/$BUILD/bench/bench_gemm" >"$GEMM" 2>&1 || true; else echo "(bench_gemm not built)" >"$GEMM"; fi

echo "## GEMM / convolution throughput (bench/bench_gemm)"
echo
echo "- date: $(date -u +%Y-%m-%d)  commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)  CPU: $CPU, $(nproc) cores; command: \`bash bench/run.sh build --only gemm\`"
echo
echo '```'
cat "$GEMM"
echo '```'
