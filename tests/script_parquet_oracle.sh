#!/bin/bash
# script_parquet_oracle.sh — the parquet reader against DuckDB (npm @duckdb/node-api), an
# independent writer, and parquet-wasm (npm; the Rust arrow-rs writer as WebAssembly), a second
# one: tests/oracle/gen_parquet.mjs writes tables with every codec (uncompressed, snappy,
# gzip, zstd), data pages v1 (DuckDB, arrow-rs V1) and v2 (arrow-rs V2), PLAIN, dictionary,
# DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT and RLE
# booleans, nulls in every type, several row groups, and a LAION-shaped file; the expected
# values come from DuckDB's JSON export of the same in-memory table or from the JavaScript
# arrays the arrow-rs files were written from. Every value that
# `test_parquet --dump` reads back must equal DuckDB's (numbers compared as numbers, floats
# exactly). Nested files must fail with a message naming the column; damaged copies of the
# files (truncated, bytes flipped) must fail cleanly or read, never crash or hang.
set -u
SRC=${FSIFT_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${FSIFT_BUILD_DIR:-$SRC/build}
DUMP="$BUILD/tests/test_parquet"
WORK=$BUILD/parquet_oracle
PY=/usr/bin/python3
if [ ! -d "$SRC/tests/oracle/node_modules/@duckdb/node-api" ] || [ ! -d "$SRC/tests/oracle/node_modules/parquet-wasm" ]; then
    echo "SKIP: tests/oracle/node_modules lacks @duckdb/node-api or parquet-wasm (run scripts/setup-oracles.sh)"
    exit 77
fi
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
(cd "$SRC/tests/oracle" && node gen_parquet.mjs "$WORK") || { echo "generator failed"; exit 1; }
fail=0
while read -r name; do
    if ! "$DUMP" --dump "$WORK/$name.parquet" > "$WORK/$name.got" 2> "$WORK/$name.err"; then
        echo "FAIL $name: $(cat "$WORK/$name.err")"
        fail=1
    fi
done < "$WORK/cases.txt"
$PY - "$WORK" <<'PYEOF' || fail=1
import json, sys, os
work = sys.argv[1]
bad = 0
encs = set()
for name in open(os.path.join(work, "cases.txt")).read().split():
    exp = [json.loads(l) for l in open(os.path.join(work, name + ".jsonl"))]
    try:
        got = [json.loads(l) for l in open(os.path.join(work, name + ".got"))]
    except Exception as e:
        print(f"{name}: unreadable dump: {e}"); bad += 1; continue
    for l in open(os.path.join(work, name + ".enc")):
        encs.update(x.strip() for x in l.split("\t")[1].split(","))
    if len(exp) != len(got):
        print(f"{name}: {len(got)} rows, DuckDB wrote {len(exp)}"); bad += 1; continue
    n = 0
    for i, (e, g) in enumerate(zip(exp, got)):
        if list(e.keys()) != list(g.keys()):
            print(f"{name} row {i}: columns {list(g.keys())} != {list(e.keys())}"); bad += 1; break
        for k in e:
            a, b = e[k], g[k]
            same = (a == b) if not (isinstance(a, float) or isinstance(b, float)) else \
                   (a is not None and b is not None and float(a) == float(b))
            if isinstance(a, bool) != isinstance(b, bool):
                same = False
            if not same:
                if n < 5:
                    print(f"{name} row {i} column {k}: got {b!r}, DuckDB {a!r}")
                n += 1
    if n:
        bad += 1
        print(f"{name}: {n} values differ")
    else:
        print(f"ok {name}: {len(exp)} rows x {len(exp[0]) if exp else 0} columns equal")
need = {"PLAIN", "PLAIN_DICTIONARY", "RLE_DICTIONARY", "DELTA_BINARY_PACKED",
        "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "BYTE_STREAM_SPLIT", "RLE"}
if not need <= encs:
    print(f"coverage: the files lack encodings {sorted(need - encs)}"); bad += 1
sys.exit(1 if bad else 0)
PYEOF
# Page kinds: parquet-wasm's V2 files must hold data pages v2 only, every V1 file v1 only.
for f in "$WORK"/w_*.pages; do
    name=$(basename "$f" .pages)
    kinds=$("$DUMP" --pages "$WORK/$name.parquet") || { echo "FAIL $name: page walk failed"; fail=1; continue; }
    case "$(cat "$f")/$kinds" in
        v2/"v1 0 v2 "[1-9]*|v1/"v1 "[1-9]*" v2 0 "*) ;;
        *) echo "FAIL $name: pages $kinds, expected $(cat "$f") pages"; fail=1 ;;
    esac
done
echo "page kinds: $(for f in "$WORK"/w_zstd_V1_dict "$WORK"/w_zstd_V2_dict; do echo -n "$(basename "$f"): $("$DUMP" --pages "$f.parquet"); "; done)"
# The generic row reader (fsift_rows, FSIFT_ROWS_PARQUET) over the LAION-shaped file: URL,
# TEXT and WIDTH as text cells, in file order, against DuckDB's export.
if "$DUMP" --rows "$WORK/laion.parquet" URL TEXT WIDTH > "$WORK/laion.rows" 2> "$WORK/laion.rows.err"; then
    $PY - "$WORK" <<'PYEOF' || fail=1
import json, sys
w = sys.argv[1]
exp = [json.loads(l) for l in open(f"{w}/laion.jsonl")]
got = [json.loads(l) for l in open(f"{w}/laion.rows")]
bad = len(exp) != len(got)
for e, g in zip(exp, got):
    if g["URL"] != e["URL"] or g["TEXT"] != e["TEXT"] or \
            (e["WIDTH"] is None) != (g["WIDTH"] is None) or (e["WIDTH"] is not None and float(g["WIDTH"]) != e["WIDTH"]):
        bad = True
        print(f"rows reader: {g} != {e}")
        break
print("FAIL rows reader" if bad else f"ok fsift_rows over parquet: {len(got)} rows of URL, TEXT, WIDTH equal")
sys.exit(1 if bad else 0)
PYEOF
else
    echo "FAIL fsift_rows over parquet: $(cat "$WORK/laion.rows.err")"; fail=1
fi
for n in nested_struct nested_list; do
    if "$DUMP" --dump "$WORK/$n.parquet" > /dev/null 2> "$WORK/$n.err"; then
        echo "FAIL $n: a nested file was accepted"; fail=1
    elif ! grep -q "nested group" "$WORK/$n.err"; then
        echo "FAIL $n: unclear error: $(cat "$WORK/$n.err")"; fail=1
    else
        echo "ok $n refused: $(cat "$WORK/$n.err")"
    fi
done
# Damaged files: 200 truncations and byte flips of three files; exit 0 or 1 only (a crash or
# a sanitizer report exits otherwise), each within 10 s.
$PY - "$WORK" "$DUMP" <<'PYEOF' || fail=1
import os, random, subprocess, sys
work, dump = sys.argv[1], sys.argv[2]
rng = random.Random(9)
bad = 0
for name in ["t_snappy_V1_dict", "w_zstd_V2_plain", "laion"]:
    data = open(os.path.join(work, name + ".parquet"), "rb").read()
    for t in range(70):
        b = bytearray(data)
        if t % 3 == 0:
            b = b[:rng.randrange(len(b))] + b[-8:]
        else:
            for _ in range(rng.randrange(1, 6)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        p = os.path.join(work, "damaged.parquet")
        open(p, "wb").write(b)
        try:
            r = subprocess.run([dump, "--dump", p], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=10)
        except subprocess.TimeoutExpired:
            print(f"{name} damage {t}: hang"); bad += 1; continue
        if r.returncode not in (0, 1) or b"runtime error" in r.stderr or b"Sanitizer" in r.stderr:
            print(f"{name} damage {t}: exit {r.returncode}: {r.stderr.decode()[-400:]}"); bad += 1
print(f"damaged files: {210 - bad}/210 handled")
sys.exit(1 if bad else 0)
PYEOF
# `facesift text` on the LAION-shaped parquet file: the kept rows are JSONL objects whose
# columns equal DuckDB's values for the same rows, and exactly the rows whose caption holds a
# people word the file was written with ("woman", per the generator) are kept.
if [ -n "${FSIFT_BIN:-}" ] && [ -x "$FSIFT_BIN" ]; then
    "$FSIFT_BIN" text "$WORK/laion.parquet" --caption-col TEXT -o "$WORK/laion.text.jsonl" 2>"$WORK/laion.text.err" || { echo "FAIL facesift text on parquet: $(cat "$WORK/laion.text.err")"; fail=1; }
    $PY - "$WORK" <<'PYEOF' || fail=1
import json, os, re, sys
work = sys.argv[1]
exp = [json.loads(l) for l in open(os.path.join(work, "laion.jsonl"))]
got = [json.loads(l) for l in open(os.path.join(work, "laion.text.jsonl"))]
want = [e for e in exp if e.get("TEXT") is not None and re.search(r"\bwom[ae]n\b", e["TEXT"], re.I)]
ok = len(got) == len(want) and len(got) > 0
for e, g in zip(want, got):
    m = g.pop("facesift_match", None)
    same = list(e.keys()) == list(g.keys()) and all(
        (float(e[k]) == float(g[k])) if isinstance(e[k], float) else e[k] == g[k] for k in e)
    if not same or not m or m.get("category") != "people":
        print(f"text on parquet: row {e} came out as {g} / {m}"); ok = False; break
print(f"facesift text on parquet: {len(got)} of {len(exp)} rows kept, columns equal DuckDB's: {'ok' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PYEOF
fi
[ $fail = 0 ] && echo "script_parquet_oracle: all passed"
exit $fail
