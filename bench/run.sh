#!/usr/bin/env bash
# make bench: every benchmark section beside its peer in the same run on the same machine;
# writes docs/perf.md and prints it.
#
#   bash bench/run.sh BUILD_DIR [--quick] [--only NAME[,NAME...]]
#
# Sections are bench/sections/NN_NAME.sh, run in NN order. Each prints one markdown section
# ("## Title", how it was measured, the table) that is stored as docs/perf/NAME.md; with
# --only, just those sections are re-measured and the others keep their last committed
# fragment (each fragment names its own date, commit and command). docs/perf.md is the
# fragments in order, then docs/perf-notes.md (hand-written reading of the numbers).
set -euo pipefail
BUILD=${1:-build}
shift || true
QUICK=""; ONLY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=--quick ;;
        --only) ONLY=",$2,"; shift ;;
        *) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$ROOT/$BUILD/bench_work
PY=/usr/bin/python3
ITERS=200; WARM=20
[ "$QUICK" = "--quick" ] && { ITERS=30; WARM=5; }
CPU=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
export ROOT BUILD WORK PY ITERS WARM QUICK CPU
mkdir -p "$WORK" "$ROOT/docs/perf"

for sec in "$ROOT"/bench/sections/[0-9][0-9]_*.sh; do
    name=$(basename "$sec" .sh); name=${name#[0-9][0-9]_}
    if [ -n "$ONLY" ] && [[ "$ONLY" != *",$name,"* ]]; then continue; fi
    echo "== bench section $name" >&2
    if bash "$sec" >"$ROOT/docs/perf/$name.md.tmp"; then
        mv "$ROOT/docs/perf/$name.md.tmp" "$ROOT/docs/perf/$name.md"
    else
        echo "bench: section $name failed (its previous fragment is kept)" >&2
        rm -f "$ROOT/docs/perf/$name.md.tmp"
    fi
done

OUT=$ROOT/docs/perf.md
{
echo "# Performance"
echo
echo "Written by \`make bench\` (bench/run.sh; one section: \`bash bench/run.sh build --only NAME\`)."
echo "Numbers are only comparable within one section's run: each row runs facesift and its peer"
echo "alternately on the same machine; each section names its date, commit, CPU and command."
for sec in "$ROOT"/bench/sections/[0-9][0-9]_*.sh; do
    name=$(basename "$sec" .sh); name=${name#[0-9][0-9]_}
    [ -f "$ROOT/docs/perf/$name.md" ] || continue
    echo
    cat "$ROOT/docs/perf/$name.md"
done
if [ -f "$ROOT/docs/perf-notes.md" ]; then echo; cat "$ROOT/docs/perf-notes.md"; fi
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$OUT"
