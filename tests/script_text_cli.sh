#!/usr/bin/env bash
# script_text_cli.sh — `facesift text` end to end against an independent Python model of the
# rule (tests/text_oracle.py): the same 3,000 random captions as JSONL, CSV and TSV, plain,
# gzip, zstd and on stdin; output rows parsed back with Python's json and csv modules; stats
# JSON; malformed rows counted, --strict fatal; usage errors exit 2; a failed run leaves no
# output file behind.
set -euo pipefail
BIN=${FSIFT_BIN:?run through ctest}
SRC=${FSIFT_SOURCE_DIR:?run through ctest}
PY=${PYTHON:-python3}
command -v "$PY" >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
W=$(mktemp -d "${TMPDIR:-/tmp}/fsift_text_cli.XXXXXX")
trap 'rm -rf "$W"' EXIT

"$BIN" text --print-patterns >"$W/patterns.txt"
test "$(wc -l <"$W/patterns.txt")" -gt 10000
"$PY" "$SRC/tests/text_oracle.py" gen "$W" "$W/patterns.txt" "$SRC/data/lexicons/exclude.txt"

for fmt in jsonl csv tsv; do
  "$BIN" text "$W/caps.$fmt" -o "$W/out.$fmt" --stats "$W/stats.json" 2>"$W/err"
  "$PY" "$SRC/tests/text_oracle.py" check "$W" "$W/out.$fmt" "$fmt"
  "$PY" - "$W/stats.json" "$W/expected.txt" <<'EOF'
import json, sys
st = json.load(open(sys.argv[1]))
kept = len(open(sys.argv[2]).read().split())
assert st["rows_read"] == 3000 and st["kept"] == kept and st["malformed"] == 0, st
assert sum(st["per_category"].values()) == kept, st
EOF
done

# compressed inputs and stdin give the same bytes
gzip -c "$W/caps.jsonl" >"$W/caps.jsonl.gz"
zstd -q -c "$W/caps.csv" >"$W/caps.csv.zst"
"$BIN" text "$W/caps.jsonl.gz" -o "$W/out_gz.jsonl" 2>/dev/null
cmp "$W/out.jsonl" "$W/out_gz.jsonl"
"$BIN" text "$W/caps.csv.zst" -o "$W/out_zst.csv" 2>/dev/null
cmp "$W/out.csv" "$W/out_zst.csv"
gzip -c "$W/caps.tsv" | "$BIN" text --format tsv -o - 2>/dev/null >"$W/out_stdin.tsv"
cmp "$W/out.tsv" "$W/out_stdin.tsv"
# two inputs of one format: one header, rows of both
"$BIN" text "$W/caps.csv" "$W/caps.csv.zst" -o "$W/out2.csv" 2>/dev/null
test "$(grep -c '^id,' "$W/out2.csv")" -eq 1
test "$(wc -l <"$W/out2.csv")" -eq $(( 2 * $(wc -l <"$W/out.csv") - 1 ))

# malformed rows: counted and skipped, or fatal with --strict (and no output file then)
{ head -n 5 "$W/caps.jsonl"; echo 'not json'; echo '{"caption": "a man", "x": [}'; printf '{"caption": "doctor \xff\x00 \xc3"}\n'; } >"$W/bad.jsonl"
"$BIN" text "$W/bad.jsonl" -o "$W/bad_out.jsonl" --stats "$W/bad_stats.json" 2>"$W/err"
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["malformed"] == 2 and s["rows_read"] == 8, s' "$W/bad_stats.json"
grep -q "malformed" "$W/err"
tail -n 1 "$W/bad_out.jsonl" | grep -q '"facesift_match": {"category": "profession", "term": "doctor"}'
set +e
"$BIN" text "$W/bad.jsonl" -o "$W/strict_out.jsonl" --strict 2>"$W/err"; rc=$?
set -e
test $rc -eq 1 && grep -q "line 6" "$W/err" && test ! -e "$W/strict_out.jsonl"
ls "$W" | grep -q 'strict_out.jsonl.tmp' && { echo "temporary file left behind"; exit 1; }

# usage errors
set +e
"$BIN" text "$W/caps.jsonl" 2>/dev/null; rc1=$?
"$BIN" text --format xml -o - 2>/dev/null; rc2=$?
"$BIN" text "$W/caps.csv" --caption-col TEXT -o "$W/x.csv" 2>"$W/err"; rc3=$?
"$BIN" text --help >/dev/null; rc4=$?
set -e
test $rc1 -eq 2 && test $rc2 -eq 2 && test $rc3 -eq 1 && test $rc4 -eq 0
grep -q "TEXT" "$W/err"
echo "script_text_cli: ok"
