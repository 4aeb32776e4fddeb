# fetch_server.sh — sourced by tests/script_fetch_*.sh with NAME set: checks for Pillow (exit
# 77 with the reason), makes WORK=$FSIFT_BUILD_DIR/NAME, starts tests/fetch_server.py on
# 127.0.0.1 (stopped when the script exits) and sets SRC, BIN, PY, WORK, PORT and fail=0.
set -u
SRC=${FSIFT_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=${FSIFT_BIN:-$SRC/build/facesift}
WORK=${FSIFT_BUILD_DIR:-/tmp}/$NAME
PY=/usr/bin/python3
if ! $PY -c 'import PIL' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 lacks Pillow (apt-get install python3-pil)"
    exit 77
fi
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
$PY "$SRC/tests/fetch_server.py" "$WORK/port" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/port") || { echo "server did not start"; exit 1; }
fail=0
