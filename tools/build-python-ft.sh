#!/usr/bin/env bash
# Build a free-threaded CPython 3.14 (configure --disable-gil, "3.14t") into
# PREFIX (default build/python-ft), for `make test-ft` on a machine whose package
# sources offer none: Debian 12 and 13 package no free-threaded interpreter.
# 3.14, not 3.13: free threading is supported from 3.14 (PEP 779), and cffi 2
# refuses to build for a free-threaded 3.13.
# The source is the upstream tarball Ubuntu 26.04's python3.14 is built from,
# fetched from Ubuntu's archive (this machine's Debian mirror serves no 3.14
# source) and checked against a pinned SHA-256 sum; it is built as upstream ships
# it (no distribution patches, no PGO), with pip from ensurepip.
# Done once: a second run with the same version finds PREFIX/.complete and stops.
# `make python-ft` runs it; then: PYTHON_FT=build/python-ft/bin/python3.14t make test-ft
set -euo pipefail

VERSION=3.14.4
ARCHIVES="${UBUNTU_ARCHIVE:-http://archive.ubuntu.com/ubuntu}/pool/main/p/python3.14"
ORIG=python3.14_$VERSION.orig.tar.xz
ORIG_SHA256=d923c51303e38e249136fc1bdf3568d56ecb03214efdef48516176d3d7faaef8

prefix=$(realpath -m "${1:-build/python-ft}")
work=$(realpath -m "${PYTHON_FT_WORK:-build/python-ft-source}")
label="$VERSION --disable-gil"

if [ "$(cat "$prefix/.complete" 2>/dev/null)" = "$label" ]; then
    echo "build-python-ft: CPython $label already built in $prefix"
    exit 0
fi
for tool in gcc make tar xz python3; do
    command -v "$tool" >/dev/null || { echo "build-python-ft: needs $tool" >&2; exit 1; }
done
# The modules the course and pip need: ssl (pip), ctypes (lesson 02), zlib, bz2, lzma.
missing=$(for h in openssl/ssl.h ffi.h zlib.h bzlib.h lzma.h; do
    [ -e "/usr/include/$h" ] || [ -e "/usr/include/x86_64-linux-gnu/$h" ] || echo "$h"; done)
[ -z "$missing" ] || { echo "build-python-ft: missing headers: $missing" \
    "(apt-get install libssl-dev libffi-dev zlib1g-dev libbz2-dev liblzma-dev)" >&2; exit 1; }

start=$(date +%s)
rm -rf "$work" "$prefix"
mkdir -p "$work"
echo "build-python-ft: fetching CPython $VERSION from Ubuntu's archive"
python3 "$(dirname "$0")/fetch-pinned.py" build-python-ft "$ORIG" "$work/$ORIG" "$ORIG_SHA256" $ARCHIVES
tar -xJf "$work/$ORIG" -C "$work"
src=$work/Python-$VERSION
echo "build-python-ft: building with $(nproc) jobs (a few minutes; log: $work/build.log)"
(
    cd "$src"
    ./configure --prefix="$prefix" --disable-gil --with-ensurepip=install
    make -j"$(nproc)"
    make install
) > "$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
"$prefix/bin/python3.14t" -c 'import sys, sysconfig, ssl, ctypes, zlib, bz2, lzma
assert sysconfig.get_config_var("Py_GIL_DISABLED") == 1
assert not sys._is_gil_enabled()'
rm -rf "$work"
echo "$label" > "$prefix/.complete"
echo "build-python-ft: CPython $label in $prefix after $(( $(date +%s) - start )) s"
