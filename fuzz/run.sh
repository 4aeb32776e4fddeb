#!/usr/bin/env bash
# fuzz/run.sh BUILD_DIR SECONDS — runs every libFuzzer target BUILD_DIR/fuzz/fuzz_<name>
# (a build configured with -DFSIFT_FUZZ=ON -DCMAKE_C_COMPILER=clang) for SECONDS each, on a
# scratch copy of its seed corpus fuzz/corpus/<name>/ (the committed seeds are never
# modified), with inputs up to 64 KiB and 2 GiB of resident memory. Fails (exit 1) if any target finds
# a crash, a leak, a sanitizer report, a timeout or an out-of-memory; the reproducer is kept
# in BUILD_DIR/fuzz-artifacts/<name>/ and the log tail is printed.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: fuzz/run.sh BUILD_DIR [SECONDS]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
secs=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
shopt -s nullglob
targets=("$build"/fuzz/fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz/run.sh: no fuzz targets in $build/fuzz (configure with -DFSIFT_FUZZ=ON -DCMAKE_C_COMPILER=clang)" >&2
  exit 1
fi
status=0
for bin in "${targets[@]}"; do
  [ -x "$bin" ] && [ -f "$bin" ] || continue
  name=$(basename "$bin")
  short=${name#fuzz_}
  work=$(mktemp -d "${TMPDIR:-/tmp}/fsift-fuzz-$short.XXXXXX")
  mkdir -p "$work/corpus" "$work/artifacts"
  if [ -d "$here/corpus/$short" ]; then
    cp -R "$here/corpus/$short/." "$work/corpus/"
  fi
  echo "== $name: ${secs}s from $(ls "$work/corpus" | wc -l) seeds"
  # A valid model may plan gigabytes of activations; FSIFT_MAX_ACTIVATION_MB caps what the
  # planner may allocate (activations and constant folding), so libFuzzer's default malloc
  # limit (= the RSS limit, 2 GiB) holds and any larger allocation is a finding.
  if FSIFT_MAX_ACTIVATION_MB=256 "$bin" "$work/corpus" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
       -timeout=30 -artifact_prefix="$work/artifacts/" \
       -print_final_stats=1 >"$work/log" 2>&1; then
    grep -E "^stat::(number_of_executed_units|new_units_added|peak_rss_mb)" "$work/log" || tail -n 3 "$work/log"
    rm -rf "$work"
  else
    echo "FAIL: $name found a problem" >&2
    tail -n 60 "$work/log" >&2
    mkdir -p "$build/fuzz-artifacts/$name"
    cp "$work"/artifacts/* "$build/fuzz-artifacts/$name/" 2>/dev/null || true
    echo "reproducers: $build/fuzz-artifacts/$name/ (rerun: $bin FILE)" >&2
    rm -rf "$work"
    status=1
  fi
done
exit $status
