#!/usr/bin/env bash
# Caption filter (issue 5): `facesift text` on a >= 1 GB LAION-like JSONL corpus beside
# ripgrep, GNU grep and Python `re` with the same term list, alternating turns. The corpus is
# generated once into the build directory (bench/gen_captions.py; never committed).
set -euo pipefail
# Sourced environment from bench/run.sh: ROOT BUILD WORK PY ITERS WARM QUICK CPU.
FS=$ROOT/$BUILD/facesift
SIZE=1100; TURNS=3
[ "$QUICK" = "--quick" ] && { SIZE=200; TURNS=1; }
CORPUS=$WORK/captions_${SIZE}mb.jsonl
if [ ! -s "$CORPUS" ]; then
  $PY "$ROOT/bench/gen_captions.py" --lexicons "$ROOT/data/lexicons" --size-mb "$SIZE" --unique-mb 128 -o "$CORPUS"
fi
"$FS" text --print-patterns >"$WORK/text_patterns.txt"
TABLE=$WORK/text_table.md
$PY "$ROOT/bench/text_bench.py" "$FS" "$CORPUS" "$WORK/text_patterns.txt" "$WORK" --turns "$TURNS" >"$TABLE"

echo "## Caption filter: facesift text vs ripgrep, grep and Python re"
echo
echo "- date: $(date -u +%Y-%m-%d)  commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)  CPU: $CPU, $(nproc) cores; command: \`bash bench/run.sh build --only text\`"
echo "- corpus: $(( $(stat -c %s "$CORPUS") / 1000000 )) MB of LAION-like JSONL rows (bench/gen_captions.py: url, caption, width, height, similarity, punsafe, pwatermark; log-normal caption lengths; ~10% of captions hold a lexicon term; a 128 MB block of unique rows repeated with fresh URLs)."
echo "- ripgrep $(rg --version | head -1 | cut -d' ' -f2), $(grep --version | head -1), Python $($PY -c 'import sys; print(sys.version.split()[0])'); every tool single-threaded, reading the same file from the page cache."
echo "- measured on a shared 2-core machine loaded by other jobs: MB/s per core divides by the process's own CPU time (user + system), which the load inflates less than wall time; wall MB/s is shown too. facesift parses every JSON row and tests only the caption; grep and rg scan whole lines. The slice rows compare with facesift on the same slice, where loading the lexicons (~25 ms) weighs more."
echo
cat "$TABLE"

# Hyperscan (Debian libhyperscan-dev), when installed: the same patterns as regular
# expressions, beside the matcher, on the captions alone (first 600,000 rows).
if pkg-config --exists libhs 2>/dev/null; then
  HS=$WORK/text_hyperscan
  if cc -O2 -I"$ROOT/include" "$ROOT/bench/text_hyperscan.c" "$ROOT/$BUILD/libfacesift.a" -o "$HS" \
       $(pkg-config --libs libhs libzstd zlib jansson libcrypto) -lm -lpthread 2>/dev/null; then
    head -n 600000 "$CORPUS" | $PY -c 'import json,sys
for l in sys.stdin: print(json.loads(l)["caption"].replace("\n", " "))' >"$WORK/text_captions.txt"
    echo
    echo "Hyperscan $(pkg-config --modversion libhs) vs the matcher, captions only ($(( $(stat -c %s "$WORK/text_captions.txt") / 1000000 )) MB, one per line, CPU time; second turn):"
    echo
    echo '```'
    "$HS" "$WORK/text_patterns.txt" "$WORK/text_captions.txt" | tail -n 1
    echo '```'
  fi
fi
