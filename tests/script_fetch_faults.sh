#!/bin/bash
# script_fetch_faults.sh — `facesift fetch` against tests/fetch_server.py (127.0.0.1 only),
# whose paths each carry one fault: 404, 500, 500-then-200, 429 + Retry-After then 200,
# 429 + a Retry-After over the limit, a 30 s stall, a slow drip, a TCP reset, a truncated
# body, text/html, non-image octets, redirects (ok, loop, to ftp://), a 200 MB
# Content-Length, an endless chunked body, a GIF, X-Robots-Tag opt-outs (unscoped, scoped to
# our token, someone else's, noindex+nofollow, nofollow alone), plus URLs refused before any
# request (ftp:, javascript:, control characters, no host). Checks:
#  - every row ends with the expected status and error_message in NNNNN.jsonl, and the
#    stats file counts them;
#  - every image kept is byte-identical to what the server sends (Python urllib as the
#    oracle), its sha256/width/height in KEY.json agree with hashlib and Pillow, and GNU tar
#    lists KEY.ext/.txt/.json in key order;
#  - retries: /404 requested once, /500 1 + retries times, /flaky and /429 succeed on the
#    second request;
#  - the run ends in well under its worst case (no hang), a --deadline run stops on time
#    and leaves no stats file, and without --allow-private every loopback URL is refused;
#  - --host-conns and --host-rps hold (the server counts requests in flight).
NAME=fetch_faults
. "$(dirname "$0")/fetch_server.sh"

# The list and the expected outcome of each row (status, error substring).
$PY - "$PORT" "$WORK" <<'PYEOF' || exit 1
import json, sys
port, work = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{port}"
ok = ("success", None)
cases = [
    ("/img/1.jpg", ok), ("/img/2.png", ok), ("/img/3.webp", ok),
    ("/404", ("failed_to_download", "HTTP 404")), ("/500", ("failed_to_download", "HTTP 500")),
    ("/flaky/1", ok), ("/429/1", ok),
    ("/429long", ("failed_to_download", "Retry-After 3600 s is longer than")),
    ("/timeout", ("failed_to_download", "timeout")), ("/drip", ("failed_to_download", "timeout")),
    ("/reset", ("failed_to_download", "connection error")),
    ("/truncated", ("failed_to_download", "truncated body")),
    ("/html", ("failed_to_download", "not an image: content type text/html")),
    ("/octet", ("failed_to_download", "not an image: unrecognised bytes")),
    ("/redirect", ok), ("/redirloop", ("failed_to_download", "too many redirects")),
    ("/redirftp", ("failed_to_download", "unsupported URL scheme")),
    ("/huge", ("failed_to_download", "larger than --max-size")),
    ("/hugechunked", ("failed_to_download", "larger than --max-size")),
    ("/gif/1.gif", ("failed_to_download", "unsupported image format gif")),
]
for k in ["noai", "noimageai", "noindex", "noimageindex", "ours", "multi"]:
    cases.append((f"/robots/{k}", ("failed_to_download", "opted out: X-Robots-Tag")))
cases += [("/robots/other", ok), ("/robots/nofollow", ok)]
rows = [(base + p, e) for p, e in cases]
rows += [("ftp://127.0.0.1/x.jpg", ("failed_to_download", "unsupported URL scheme")),
         ("javascript:alert(1)", ("failed_to_download", "unsupported URL scheme")),
         (base + "/img/\u0001.jpg", ("failed_to_download", "URL has control characters")),
         ("http://", ("failed_to_download", "malformed URL"))]
with open(f"{work}/list.jsonl", "w") as f, open(f"{work}/expect.json", "w") as g:
    for i, (u, e) in enumerate(rows):
        f.write(json.dumps({"url": u, "caption": f"row {i} caption \u00e9"}) + "\n")
    json.dump(rows, g)
PYEOF

t0=$(date +%s.%N)
"$BIN" fetch "$WORK/list.jsonl" -o "$WORK/out" --no-text-filter --allow-private --quiet \
    --timeout 2 --retries 1 --backoff 0.2 --max-size 1000000 --concurrency 16 2> "$WORK/fetch.log"
rc=$?
t1=$(date +%s.%N)
cat "$WORK/fetch.log"
[ $rc = 0 ] || { echo "FAIL: fetch exited $rc"; fail=1; }
# worst case per row: 2 tries x 2 s + backoff; all rows run at once: well under 15 s
$PY -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); print(f'fault run: {t:.1f} s'); sys.exit(t > 15)" "$t0" "$t1" \
    || { echo "FAIL: the fault run took too long"; fail=1; }

$PY - "$WORK" "$PORT" <<'PYEOF' || fail=1
import hashlib, io, json, subprocess, sys, tarfile, urllib.request
from PIL import Image
work, port = sys.argv[1], sys.argv[2]
rows = json.load(open(f"{work}/expect.json"))
got = [json.loads(l) for l in open(f"{work}/out/00000.jsonl")]
bad = 0
if len(got) != len(rows):
    print(f"FAIL: {len(got)} rows in 00000.jsonl, expected {len(rows)}"); sys.exit(1)
members = subprocess.run(["tar", "-tf", f"{work}/out/00000.tar"], capture_output=True, text=True, check=True).stdout.split()
tar = tarfile.open(f"{work}/out/00000.tar")
want_members = []
for i, ((url, (status, err)), g) in enumerate(zip(rows, got)):
    key = f"00000{i:04d}"
    if g["key"] != key or g["url"] != url:
        print(f"FAIL row {i}: key/url {g['key']} {g['url']!r}"); bad += 1; continue
    if g["status"] != status or (err is None) != (g["error_message"] is None) or (err and err not in g["error_message"]):
        print(f"FAIL row {i} {url}: got {g['status']} / {g['error_message']!r}, want {status} / {err!r}"); bad += 1; continue
    if status != "success":
        print(f"ok {url[:60]:60s} {g['error_message']}")
        continue
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[g["content_type"]]
    want_members += [f"{key}.{ext}", f"{key}.txt", f"{key}.json"]
    img = tar.extractfile(f"{key}.{ext}").read()
    oracle = urllib.request.urlopen(url).read()
    meta = json.loads(tar.extractfile(f"{key}.json").read())
    cap = tar.extractfile(f"{key}.txt").read().decode()
    w, h = Image.open(io.BytesIO(img)).size
    checks = [img == oracle, meta == g, meta["sha256"] == hashlib.sha256(img).hexdigest(),
              (meta["width"], meta["height"]) == (w, h), cap == f"row {i} caption \u00e9", meta["bytes"] == len(img)]
    if not all(checks):
        print(f"FAIL row {i} {url}: image/json/caption checks {checks}"); bad += 1
    else:
        print(f"ok {url[:60]:60s} {ext} {w}x{h}")
if members != want_members:
    print(f"FAIL: tar members {members} != {want_members}"); bad += 1
stats = json.load(open(f"{work}/out/00000_stats.json"))
nok = sum(1 for _, (s, _) in rows if s == "success")
if stats["successes"] != nok or stats["failed_to_download"] != len(rows) - nok or \
        sum(stats["error_messages"].values()) != len(rows) - nok:
    print(f"FAIL: stats {stats}"); bad += 1
counts = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_counts").read())
for path, want in [("/404", 1), ("/500", 2), ("/flaky/1", 2), ("/429/1", 2), ("/robots/noai", 1), ("/html", 1)]:
    if counts.get(path) != want + (1 if path in ("/flaky/1", "/429/1") else 0):  # + the oracle's own request
        print(f"FAIL: {path} requested {counts.get(path)} times"); bad += 1
print(f"fault matrix: {len(rows) - bad}/{len(rows)} rows as expected")
sys.exit(1 if bad else 0)
PYEOF

# --deadline: 8 stalled URLs with a 20 s timeout must stop at ~2 s, exit 1, write no stats.
for i in $(seq 8); do echo "{\"url\": \"http://127.0.0.1:$PORT/timeout?$i\", \"caption\": \"x\"}"; done > "$WORK/stall.jsonl"
t0=$(date +%s.%N)
"$BIN" fetch "$WORK/stall.jsonl" -o "$WORK/stall" --no-text-filter --allow-private --quiet --timeout 20 --deadline 2 2> "$WORK/stall.log"
rc=$?
t1=$(date +%s.%N)
if [ $rc != 1 ] || ! grep -q "deadline" "$WORK/stall.log" || [ -e "$WORK/stall/00000_stats.json" ]; then
    echo "FAIL: --deadline run: exit $rc, $(cat "$WORK/stall.log")"; fail=1
fi
$PY -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); print(f'deadline run (2 s): {t:.1f} s'); sys.exit(not 1.5 < t < 4)" "$t0" "$t1" \
    || { echo "FAIL: the --deadline run did not stop on time"; fail=1; }

# Without --allow-private, loopback (by address and by name) is refused at connect time.
printf '{"url": "http://127.0.0.1:%s/img/1.jpg"}\n{"url": "http://localhost:%s/img/2.jpg"}\n{"url": "http://[::1]:%s/img/3.jpg"}\n' \
    "$PORT" "$PORT" "$PORT" > "$WORK/private.jsonl"
"$BIN" fetch "$WORK/private.jsonl" -o "$WORK/private" --no-text-filter --quiet 2> /dev/null
n=$(grep -c '"private address refused' "$WORK/private/00000.jsonl" 2>/dev/null)
if [ "$n" != 3 ]; then echo "FAIL: $n of 3 loopback URLs refused without --allow-private"; fail=1
else echo "ok: loopback refused without --allow-private (127.0.0.1, localhost, [::1])"; fi

# Per-host limits: 16 slow URLs at --concurrency 8 --host-conns 2 are never served more than 2
# at once (the server counts); 10 URLs at --host-rps 10 take at least 0.9 s.
for i in $(seq 16); do echo "{\"url\": \"http://127.0.0.1:$PORT/slow/$i.jpg?conns\"}"; done > "$WORK/conns.jsonl"
"$BIN" fetch "$WORK/conns.jsonl" -o "$WORK/conns" --no-text-filter --allow-private --quiet --concurrency 8 --host-conns 2 2> /dev/null
max=$(curl -s "http://127.0.0.1:$PORT/_inflight?conns" | $PY -c 'import json,sys; print(json.load(sys.stdin)["max"])')
ok=$(grep -c '"status":"success"' "$WORK/conns/00000.jsonl" 2>/dev/null)
if [ "$max" != 1 ] && [ "$max" != 2 ] || [ "$ok" != 16 ]; then echo "FAIL: --host-conns 2: $max at once, $ok/16 fetched"; fail=1
else echo "ok: --host-conns 2: at most $max requests at once on the server, 16/16 fetched"; fi
for i in $(seq 10); do echo "{\"url\": \"http://127.0.0.1:$PORT/img/$i.jpg?rps\"}"; done > "$WORK/rps.jsonl"
t0=$(date +%s.%N)
"$BIN" fetch "$WORK/rps.jsonl" -o "$WORK/rps" --no-text-filter --allow-private --quiet --concurrency 8 --host-rps 10 2> /dev/null
t1=$(date +%s.%N)
$PY -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); print(f'--host-rps 10, 10 URLs: {t:.2f} s'); sys.exit(t < 0.9)" "$t0" "$t1" \
    || { echo "FAIL: --host-rps 10 did not space the requests"; fail=1; }

# Bad usage exits 2.
"$BIN" fetch 2> /dev/null; [ $? = 2 ] || { echo "FAIL: fetch without arguments should exit 2"; fail=1; }
"$BIN" fetch x.jsonl -o y --concurrency 0 2> /dev/null; [ $? = 2 ] || { echo "FAIL: --concurrency 0 should exit 2"; fail=1; }
[ $fail = 0 ] && echo "script_fetch_faults: all passed"
exit $fail
