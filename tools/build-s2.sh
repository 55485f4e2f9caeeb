#!/usr/bin/env bash
# Build Google's S2 library into PREFIX (default build/s2) for a release that
# packages no S2 (Debian 13). It is the source Debian 12's libs2-dev is built
# from -- s2geometry 0.10.0 with Debian's patches 0.10.0-6 -- fetched from
# Debian's archive and checked against pinned SHA-256 sums, then built with
# CMake against the release's own abseil and OpenSSL (system-packages.txt
# installs them in place of libs2-dev), the way Debian builds it:
#   - no NDEBUG, so S2's debug checks stay on (lesson 5 shows them abort);
#   - C++17, the standard the release's abseil is compiled with (S2 0.10's
#     CMakeLists says 11, which abseil 2024 no longer accepts);
#   - a shared libs2.so, no examples, no SWIG bindings (the course
#     cross-checks against the official s2geometry wheel from PyPI).
# Done once: a second run with the same version finds PREFIX/.complete and stops.
set -euo pipefail

VERSION=0.10.0
DEBIAN_REVISION=6
# deb.debian.org serves these while a Debian release refers to them (Debian 12
# does); snapshot.debian.org keeps them for good. The pinned sums make either safe.
ARCHIVES="${DEBIAN_ARCHIVE:-http://deb.debian.org/debian}/pool/main/s/s2geometry
https://snapshot.debian.org/archive/debian/20250520T000000Z/pool/main/s/s2geometry"
ORIG=s2geometry_$VERSION.orig.tar.gz
ORIG_SHA256=1c17b04f1ea20ed09a67a83151ddd5d8529716f509dde49a8190618d70532a3d
PATCHES=s2geometry_$VERSION-$DEBIAN_REVISION.debian.tar.xz
PATCHES_SHA256=1d788121c7a1e6473c1f4623cbb5d8b55093d5759fa68a5c916efc4f3665a0d4

prefix=$(realpath -m "${1:-build/s2}")
work=$(realpath -m "${S2_WORK:-build/s2-source}")
label="$VERSION-$DEBIAN_REVISION"

if [ "$(cat "$prefix/.complete" 2>/dev/null)" = "$label" ]; then
    echo "build-s2: S2 $label already built in $prefix"
    exit 0
fi

for tool in cmake patch tar xz python3; do
    command -v "$tool" >/dev/null || {
        echo "build-s2: needs $tool (make setup installs it with the other packages)" >&2; exit 1; }
done

start=$(date +%s)
rm -rf "$work" "$prefix"
mkdir -p "$work"

# The pinned sum is the check (tools/fetch-pinned.py).
fetch() {
    python3 "$(dirname "$0")/fetch-pinned.py" build-s2 "$1" "$work/$1" "$2" $ARCHIVES
}
echo "build-s2: fetching s2geometry $label from Debian's archive"
fetch "$ORIG" "$ORIG_SHA256"
fetch "$PATCHES" "$PATCHES_SHA256"

tar -xzf "$work/$ORIG" -C "$work"
tar -xJf "$work/$PATCHES" -C "$work/s2geometry-$VERSION"
src=$work/s2geometry-$VERSION
while read -r p; do
    case "$p" in ''|'#'*) continue ;; esac
    patch -s -p1 -d "$src" < "$src/debian/patches/$p"
done < "$src/debian/patches/series"
sed -i 's/set(CMAKE_CXX_STANDARD 11)/set(CMAKE_CXX_STANDARD 17)/' "$src/CMakeLists.txt"

echo "build-s2: building with $(nproc) jobs (a few minutes)"
# -ffile-prefix-map: S2's log lines name source files as Debian's build does
# ("./src/s2/s2loop.cc:134"), not by this machine's path.
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_CXX_FLAGS="-O2 -ffile-prefix-map=$src=." \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
    -DBUILD_SHARED_LIBS=ON -DBUILD_EXAMPLES=OFF -DWITH_PYTHON=OFF -DWITH_GFLAGS=OFF \
    -DWITH_GLOG=OFF > "$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; exit 1; }
cmake --build "$work/build" --parallel "$(nproc)" > "$work/build.log" 2>&1 ||
    { tail -40 "$work/build.log" >&2; echo "build-s2: full log in $work/build.log" >&2; exit 1; }
cmake --install "$work/build" > /dev/null

echo "$label" > "$prefix/.complete"
rm -rf "$work"
echo "build-s2: S2 $label built into $prefix in $(( ($(date +%s) - start) / 60 )) min $(( ($(date +%s) - start) % 60 )) s"
