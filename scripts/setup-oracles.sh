#!/usr/bin/env bash
# Install the Node test oracles (tests/oracle: onnxruntime-node, @tensorflow/tfjs) from the
# committed package-lock.json with `npm ci`.
#
# Nothing is downloaded from outside the npm registry: onnxruntime-node ships its CPU
# binaries inside the npm tarball, and its postinstall script (which on linux/x64 would fetch
# CUDA provider libraries from NuGet) is not run: tests/oracle/.npmrc sets ignore-scripts,
# the command line repeats it, and ONNXRUNTIME_NODE_INSTALL=skip makes the script a no-op
# should it ever run.
#
# Idempotent: skipped when node_modules was installed from the same lock file by the same
# Node.js version (a stamp file in node_modules records both) and ORT still loads.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/tests/oracle"
STAMP="$DIR/node_modules/.facesift-oracles.stamp"

die() { echo "setup-oracles: error: $*" >&2; exit 1; }
command -v node >/dev/null || die "node not found (run scripts/install-deps.sh)"
command -v npm >/dev/null || die "npm not found (run scripts/install-deps.sh)"
[ -f "$DIR/package-lock.json" ] || die "$DIR/package-lock.json is missing"

want="$(sha256sum "$DIR/package-lock.json" "$DIR/package.json" | cut -d' ' -f1 | tr '\n' ' ') node $(node --version)"

smoke() {
    (cd "$DIR" && node -e "
        const ort = require('onnxruntime-node');
        require('@tensorflow/tfjs');
        if (!ort.InferenceSession) process.exit(1);
        process.stdout.write('onnxruntime-node ' + ort.env.versions.node + '\n');
    ")
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && smoke >/dev/null 2>&1; then
    echo "setup-oracles: node_modules is current ($(smoke))"
    exit 0
fi

echo "setup-oracles: npm ci in tests/oracle"
rm -f "$STAMP"
(cd "$DIR" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
smoke || die "onnxruntime-node does not load after npm ci"
printf '%s' "$want" >"$STAMP"
echo "setup-oracles: done"
