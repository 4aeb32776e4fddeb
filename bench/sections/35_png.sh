#!/usr/bin/env bash
# PNG decode: the fast path (src/image/png_fast.c) against the libspng path it replaces, on the
# 200 PNGs of the build benchmark shard (bench/build_shard.py, 2,000 samples, seed 0) and on
# the test photos, alternating the two paths every iteration (bench/bench_png.c); then the
# row defilter alone, SSE2 against the scalar reference. Prints markdown.
set -euo pipefail
# Sourced environment from bench/run.sh: ROOT BUILD WORK PY ITERS WARM QUICK CPU.
D=$WORK/png_shard
if [ ! -d "$D" ]; then
    $PY "$ROOT/bench/build_shard.py" "$WORK/png_shard.tar" 2000 >/dev/null
    rm -rf "$D.tmp" && mkdir -p "$D.tmp"
    tar -xf "$WORK/png_shard.tar" -C "$D.tmp" --wildcards '*.png'
    mv "$D.tmp" "$D"
fi
N=9
[ "$QUICK" = "--quick" ] && N=3
OUT=$WORK/png.jsonl
: >"$OUT"
for set in shard photos; do
    if [ $set = shard ]; then files=("$D"/*.png); else files=("$ROOT"/samples/photos/*.png); fi
    "$ROOT/$BUILD/bench/bench_png" --iters $N "${files[@]}" | sed "s/^{/{\"set\":\"$set\",/" >>"$OUT"
done

echo "## PNG decode: fast path vs libspng"
echo
echo "- date: $(date -u +%Y-%m-%d)  commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)  CPU: $CPU, $(nproc) cores; command: \`bash bench/run.sh $BUILD --only png\`"
echo
echo "bench/bench_png.c, $N iterations, the two paths alternating (which goes first alternates too);"
echo "per image: median wall time over iterations, and median thread CPU time (steadier on a shared"
echo "machine). The CRC-32 of all output pixels must be equal for the two paths or the run fails."
echo "shard = the 200 PNGs (RGB, Pillow level 6, 256-2048 px) of \`bench/build_shard.py OUT 2000\`;"
echo "photos = samples/photos/*.png."
echo
$PY - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
print('| files | images | fast path ms | libspng ms | fast CPU ms | libspng CPU ms | speed-up (CPU) | fast Mpx/s | declined to libspng | same pixels |')
print('|---|---|---|---|---|---|---|---|---|---|')
for s in ('shard', 'photos'):
    f = next((r for r in rows if r.get('set') == s and r['row'] == 'png_decode_fast'), None)
    g = next((r for r in rows if r.get('set') == s and r['row'] == 'png_decode_spng'), None)
    if not f or not g: continue
    print('| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2fx | %.0f | %d | %s |' % (
        s, f['images'], f['median_ms'], g['median_ms'], f['median_cpu_ms'], g['median_cpu_ms'],
        g['median_cpu_ms'] / f['median_cpu_ms'], f['mpix_per_s'], f['declined'],
        'yes' if f['crc32'] == g['crc32'] else 'NO'))
print()
print('Row defilter, one row of 2048 pixels (ns, thread CPU):')
print()
print('| bytes/pixel | filter | SSE2 | scalar reference | speed-up |')
print('|---|---|---|---|---|')
names = {1: 'Sub', 2: 'Up', 3: 'Average', 4: 'Paeth'}
for r in rows:
    if r.get('set') == 'shard' and r['row'] == 'unfilter':
        print('| %d | %s | %.0f | %.0f | %.1fx |' % (r['bpp'], names[r['filter']], r['simd_ns'], r['scalar_ns'], r['scalar_ns'] / r['simd_ns']))
for r in rows:
    if r.get('set') == 'shard' and r['row'] == 'unfilter_paeth_two_rows':
        print('| %d | Paeth, two rows together (per row) | %.0f | | |' % (r['bpp'], r['simd_ns_per_row']))
PY
