# scripts/lib-fetch.sh — sourced (not run) by scripts/fetch-models.sh and scripts/fetch-photos.sh:
# what both do the same way. The caller sets MANIFEST and CACHE, then calls
#   fetch_init NAME FLAG VAR "$@"
#       NAME prefixes every message ("fetch-models"); `FLAG DIR` sets the variable VAR to DIR;
#       -h/--help prints the calling script's header comment (from line 2 to the first line
#       that is not a comment) and exits 0; any other argument exits 2. Then checks that
#       MANIFEST exists and that sha256sum is there.
# and uses
#   die MSG          "NAME: error: MSG" on stderr, exit 1
#   sha256_of FILE   the file's sha256 in hex
#   workdir          sets WORK to a temporary folder (once), removed when the script exits
#   ensure_npm PKG VER SHA
#                    sets TGZ to PKG@VER's tarball in $CACHE/npm/, checked against SHA: the
#                    cached copy when its sha256 matches, else `npm pack PKG@VER` into WORK,
#                    its sha256 checked (a mismatch is an error), then copied to the cache
#                    under a temporary name and renamed.
# shellcheck shell=bash disable=SC2034  # TGZ and FETCH_NAME are read by the sourcing script

fetch_init() {
    FETCH_NAME="$1"
    local flag="$2" var="$3"
    shift 3
    while [ $# -gt 0 ]; do
        case "$1" in
            "$flag") [ $# -ge 2 ] || { echo "$FETCH_NAME: $flag needs a folder" >&2; exit 2; }
                printf -v "$var" '%s' "$2"; shift 2 ;;
            -h|--help) sed -n '2,${/^#/!q;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
            *) echo "$FETCH_NAME: unknown argument: $1" >&2; exit 2 ;;
        esac
    done
    [ -f "$MANIFEST" ] || die "manifest not found: $MANIFEST"
    command -v sha256sum >/dev/null || die "sha256sum not found (coreutils)"
}

die() { echo "$FETCH_NAME: error: $*" >&2; exit 1; }
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

WORK=""
fetch_cleanup() { if [ -n "$WORK" ]; then rm -rf "$WORK"; fi; }
trap fetch_cleanup EXIT
workdir() { [ -n "$WORK" ] || WORK="$(mktemp -d "${TMPDIR:-/tmp}/fsift-${FETCH_NAME#fetch-}.XXXXXX")"; }

ensure_npm() {
    local pkg="$1" ver="$2" want="$3"
    local cached="$CACHE/npm/${pkg//\//+}-$ver.tgz"
    if [ -f "$cached" ]; then
        if [ "$(sha256_of "$cached")" = "$want" ]; then TGZ="$cached"; return 0; fi
        echo "$FETCH_NAME: cached $cached has the wrong sha256; fetching it again" >&2
        rm -f "$cached"
    fi
    command -v npm >/dev/null || die "npm is needed to fetch $pkg@$ver (run scripts/install-deps.sh)"
    workdir
    local tmp="$WORK/npm-${pkg//\//+}-$ver"
    rm -rf "$tmp" && mkdir -p "$tmp" "$CACHE/npm"
    echo "$FETCH_NAME: npm pack $pkg@$ver" >&2
    if ! (cd "$tmp" && npm pack --silent "$pkg@$ver" >/dev/null 2>"$tmp/npm.log"); then
        cat "$tmp/npm.log" >&2
        die "npm pack $pkg@$ver failed"
    fi
    local tgz; tgz="$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -n 1)"
    [ -n "$tgz" ] || die "npm pack $pkg@$ver wrote no tarball"
    local got; got="$(sha256_of "$tgz")"
    [ "$got" = "$want" ] || die "$pkg@$ver tarball sha256 mismatch: expected $want, got $got"
    cp "$tgz" "$cached.part.$$" && mv -f "$cached.part.$$" "$cached"
    TGZ="$cached"
}
