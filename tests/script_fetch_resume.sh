#!/bin/bash
# script_fetch_resume.sh — `facesift fetch` resume, determinism, caption rule and parquet
# input, against tests/fetch_server.py on 127.0.0.1.
#  - 240 rows, half with captions the caption rule keeps ("portrait of a woman"), half not
#    ("a red bicycle"): the rejected URLs are never requested; the 120 kept rows make 4
#    shards of 30.
#  - Run A goes uninterrupted. Run B is killed with SIGKILL as soon as its first shard is
#    finished, then restarted with the same command: its shards must be byte-identical to A's
#    (tar, jsonl), no URL of a finished shard is requested again, and at most
#    `concurrency` URLs (those in flight at the kill) are requested twice.
#  - Run C reads the same rows from a LAION-shaped parquet file written by DuckDB (URL/TEXT
#    columns, detected without flags): same keys, images and statuses as A.
NAME=fetch_resume
. "$(dirname "$0")/fetch_server.sh"
for run in a b; do
    $PY -c "
import json, sys
for i in range(240):
    cap = f'portrait of a woman number {i}' if i % 2 == 0 else f'a red bicycle number {i}'
    print(json.dumps({'url': f'http://127.0.0.1:$PORT/slow/{i}.jpg?$run', 'caption': cap}))
" > "$WORK/list_$run.jsonl"
done
OPTS=(--allow-private --quiet --shard-size 30 --timeout 5)

"$BIN" fetch "$WORK/list_a.jsonl" -o "$WORK/a" "${OPTS[@]}" --concurrency 4 2> "$WORK/a.log" \
    || { echo "FAIL: run A: $(cat "$WORK/a.log")"; fail=1; }
cat "$WORK/a.log"

"$BIN" fetch "$WORK/list_b.jsonl" -o "$WORK/b" "${OPTS[@]}" --concurrency 2 2> "$WORK/b1.log" &
BPID=$!
for _ in $(seq 300); do [ -e "$WORK/b/00000_stats.json" ] && break; sleep 0.02; done
sleep 0.25  # let shard 1 get part of its rows into its spool
kill -9 $BPID 2>/dev/null
wait $BPID 2>/dev/null
finished=$(ls "$WORK/b" | grep -c '_stats.json$')
echo "killed run B with $finished of 4 shards finished; spools: $(ls -a "$WORK/b" | grep -c spool)"
if [ "$finished" -lt 1 ] || [ "$finished" -ge 4 ]; then echo "FAIL: the kill did not land mid-run"; fail=1; fi
cp -r "$WORK/b" "$WORK/b_killed"
"$BIN" fetch "$WORK/list_b.jsonl" -o "$WORK/b" "${OPTS[@]}" --concurrency 2 2> "$WORK/b2.log" \
    || { echo "FAIL: resumed run B: $(cat "$WORK/b2.log")"; fail=1; }
cat "$WORK/b2.log"
done_n=$(sed -n 's/.* \([0-9]*\) already done.*/\1/p' "$WORK/b2.log")
if [ -z "$done_n" ] || [ "$done_n" -le $((30 * finished)) ] || [ "$done_n" -ge 120 ]; then
    echo "FAIL: the resumed run took $done_n rows as done; expected the $finished finished shard(s) plus spooled rows"
    fail=1
fi
$PY - "$WORK" "$PORT" <<'PYEOF' || fail=1
import json, os, sys, tarfile, urllib.request
work, port = sys.argv[1], sys.argv[2]
bad = 0
def members(path, run):
    t = tarfile.open(path)
    return [(m.name, t.extractfile(m).read().replace(f"?{run}".encode(), b"?X")) for m in t.getmembers()]
def rows(path, run):
    return [l.replace(f"?{run}", "?X") for l in open(path)]
for s in range(4):
    for other in ("b",):
        a, b = f"{work}/a/{s:05d}", f"{work}/{other}/{s:05d}"
        if members(a + ".tar", "a") != members(b + ".tar", other) or rows(a + ".jsonl", "a") != rows(b + ".jsonl", other):
            print(f"FAIL: shard {s:05d} of the killed+resumed run differs from the uninterrupted one"); bad += 1
        # the tar header bytes too: same members -> same archive, apart from the URL bytes
        if os.path.getsize(a + ".tar") != os.path.getsize(b + ".tar"):
            print(f"FAIL: shard {s:05d} tar sizes differ"); bad += 1
counts = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_counts").read())
done_before = sorted(f for f in os.listdir(f"{work}/b_killed") if f.endswith("_stats.json"))
first_done = {int(f[:5]) for f in done_before}
twice = 0
for i in range(240):
    for run in ("a", "b"):
        n = counts.get(f"/slow/{i}.jpg?{run}", 0)
        if i % 2:
            if n:
                print(f"FAIL: /slow/{i}.jpg?{run} requested although its caption fails the rule"); bad += 1
            continue
        k = i // 2
        if n < 1 or (run == "a" and n != 1) or n > 2:
            print(f"FAIL: /slow/{i}.jpg?{run} requested {n} times"); bad += 1
        if run == "b" and n == 2:
            twice += 1
            if k // 30 in first_done:
                print(f"FAIL: row {k} of a shard finished before the kill was fetched again"); bad += 1
if twice > 2:
    print(f"FAIL: {twice} URLs fetched twice after the kill (at most 2 were in flight)"); bad += 1
print(f"resume: shards identical to the uninterrupted run; {twice} in-flight URL(s) fetched again; "
      f"{len(first_done)} shard(s) finished before the kill not touched; 120 rejected captions never requested")
sys.exit(1 if bad else 0)
PYEOF

# Run C: the kept rows from a LAION-shaped parquet file (URL, TEXT, WIDTH, HEIGHT, ...).
if [ -d "$SRC/tests/oracle/node_modules/@duckdb/node-api" ]; then
    (cd "$SRC/tests/oracle" && node --input-type=module -e "
import { DuckDBInstance } from '@duckdb/node-api';
const c = await (await DuckDBInstance.create(':memory:')).connect();
await c.run(\`COPY (SELECT 'http://127.0.0.1:$PORT/slow/' || i || '.jpg?c' AS URL,
  CASE WHEN i % 2 = 0 THEN 'portrait of a woman number ' || i ELSE 'a red bicycle number ' || i END AS TEXT,
  640.0::DOUBLE AS WIDTH, 480.0::DOUBLE AS HEIGHT, 0.3 AS similarity, i::BIGINT AS hash,
  0.1::FLOAT AS punsafe, 0.2::FLOAT AS pwatermark FROM range(240) r(i))
  TO '$WORK/list_c.parquet' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 128)\`);
") || { echo "FAIL: DuckDB could not write the parquet list"; fail=1; }
    "$BIN" fetch "$WORK/list_c.parquet" -o "$WORK/c" "${OPTS[@]}" --concurrency 8 2> "$WORK/c.log" \
        || { echo "FAIL: run C: $(cat "$WORK/c.log")"; fail=1; }
    cat "$WORK/c.log"
    for s in 00000 00001 00002 00003; do
        if ! cmp -s <(sed 's/?a/?X/g' "$WORK/a/$s.jsonl") <(sed 's/?c/?X/g' "$WORK/c/$s.jsonl"); then
            echo "FAIL: shard $s from the parquet list differs from the JSONL one"; fail=1
        fi
    done
    [ $fail = 0 ] && echo "ok: the parquet list (URL/TEXT detected) gives the same shards"
else
    echo "FAIL: tests/oracle/node_modules lacks @duckdb/node-api (run scripts/setup-oracles.sh)"; fail=1
fi
[ $fail = 0 ] && echo "script_fetch_resume: all passed"
exit $fail
