#!/usr/bin/env bash
# `facesift build` throughput on a generated LAION-like webdataset shard (bench/build_shard.py:
# 256-2048 px, 80% JPEG, ~30% with a face; captions pre-matched, so the caption rule is off):
# samples/s and peak RSS at 1 and 2 threads (and at 1 thread with --full-redetect), the time per stage (from the shard's stats), and the floor: the same
# samples' probe + decode at the scale build uses + reduction to the 256 px pre-filter +
# first look + detector alone, one thread (bench/bench_build_floor.c). Configurations run in alternating turns; best turn kept.
# Prints markdown.
set -euo pipefail
# Sourced environment from bench/run.sh: ROOT BUILD WORK PY ITERS WARM QUICK CPU.
[ -f "$ROOT/models/mtcnn/onet.tflite" ] || { echo "bench: run scripts/fetch-models.sh first" >&2; exit 1; }
[ -f "$ROOT/samples/photos/sample1.jpg" ] || { echo "bench: run scripts/fetch-photos.sh first" >&2; exit 1; }
BIN=$ROOT/$BUILD/facesift
FLOOR=$ROOT/$BUILD/bench/bench_build_floor
N=2000; TURNS=2
[ "$QUICK" = "--quick" ] && { N=300; TURNS=1; }
SHARD=$WORK/build_laion_$N.tar
[ -f "$SHARD" ] || $PY "$ROOT/bench/build_shard.py" "$SHARD" $N
export FSIFT_MODELS_DIR=$ROOT/models
best1=""; best2=""; bestf=""; bestn=""; rss1=""; rss2=""; stats1=""; line_f=""
for turn in $(seq $TURNS); do
    for t in 1 2; do
        out=$WORK/build_out_$t
        rm -rf "$out"
        s=$(date +%s.%N)
        /usr/bin/time -f '%M' -o "$WORK/build_rss_$t" "$BIN" build "$SHARD" -o "$out" --no-text-filter --threads $t --quiet >/dev/null 2>&1
        e=$(date +%s.%N)
        rate=$(awk "BEGIN{printf \"%.2f\", $N / ($e - $s)}")
        echo "build t=$t turn $turn: $rate samples/s" >&2
        if [ $t = 1 ] && { [ -z "$best1" ] || awk "BEGIN{exit !($rate > $best1)}"; }; then
            best1=$rate; rss1=$(cat "$WORK/build_rss_1"); stats1=$(cat "$out/00000_stats.json"); fi
        if [ $t = 2 ] && { [ -z "$best2" ] || awk "BEGIN{exit !($rate > $best2)}"; }; then
            best2=$rate; rss2=$(cat "$WORK/build_rss_2"); fi
    done
    rm -rf "$WORK/build_out_nr"
    s=$(date +%s.%N)
    "$BIN" build "$SHARD" -o "$WORK/build_out_nr" --no-text-filter --full-redetect --threads 1 --quiet >/dev/null 2>&1
    e=$(date +%s.%N)
    rate=$(awk "BEGIN{printf \"%.2f\", $N / ($e - $s)}")
    echo "build --full-redetect turn $turn: $rate samples/s" >&2
    if [ -z "$bestn" ] || awk "BEGIN{exit !($rate > $bestn)}"; then bestn=$rate; fi
    l=$("$FLOOR" "$SHARD")
    r=$(echo "$l" | sed -n 's/.*"samples_per_s":\([0-9.]*\).*/\1/p')
    echo "floor turn $turn: $r samples/s" >&2
    if [ -z "$bestf" ] || awk "BEGIN{exit !($r > $bestf)}"; then bestf=$r; line_f=$l; fi
done
kept=$(echo "$stats1" | sed -n 's/.*"kept":\([0-9]*\).*/\1/p')
echo "## facesift build (LAION-like shard, default models)"
echo
echo "$(date -u +%Y-%m-%d), commit $(git -C "$ROOT" rev-parse --short HEAD), $CPU, $(nproc) cores."
echo "Measured on a shared, loaded machine (other jobs running): compare rows of this table only."
echo "Command: \`bash bench/run.sh $BUILD --only build${QUICK:+ $QUICK}\` — $N samples (bench/build_shard.py, seed 0;"
echo "$kept kept), \`facesift build SHARD -o OUT --no-text-filter --threads T\`, best of $TURNS turn(s)."
echo
echo "| configuration | samples/s | peak RSS MiB |"
echo "|---|---|---|"
echo "| build, 1 thread | $best1 | $((rss1 / 1024)) |"
echo "| build, 2 threads | $best2 | $((rss2 / 1024)) |"
echo "| build, 1 thread, --full-redetect (kept samples detected again at full size instead of refined) | $bestn | |"
echo "| floor: probe + decode at the scale used + reduce to 256 px + first look + detector, 1 thread | $bestf | |"
echo
awk "BEGIN{printf \"2 threads / 1 thread: %.2fx. Pipeline overhead over the floor at 1 thread: %.0f%% (the floor does not decode the kept samples at full size, refine, embed, encode or write them).\n\", $best2 / $best1, ($bestf / $best1 - 1) * 100}"
echo
echo "Time per stage, 1 thread (ms summed over the samples, from 00000_stats.json):"
echo
echo "| read | decode | detect | embed | encode | write |"
echo "|---|---|---|---|---|---|"
echo "$stats1" | $PY -c 'import json,sys; m=json.load(sys.stdin)["run"]["ms"]; print("| " + " | ".join("%.0f" % m[k] for k in ("read","decode","detect","embed","encode","write")) + " |")'
echo
echo "Floor detail: \`$line_f\`"
