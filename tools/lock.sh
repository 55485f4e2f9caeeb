#!/usr/bin/env bash
# Resolve requirements.in into requirements.txt (every package pinned) for every
# CPython the course supports at once, 3.10 or newer (README). `make lock` runs it.
#
# uv's universal resolution writes one file that pip reads on any of them: where
# one version cannot serve every Python (NumPy 2.4 needs 3.11, soupsieve 4 needs
# 3.11.5, ...), it pins one per range, behind an environment marker pip evaluates.
# Pins already in requirements.txt are kept wherever they still fit (uv takes
# them as preferences): the notebooks' stored outputs were made with them.
# To move pins on purpose: tools/lock.sh --upgrade-package NAME (or --upgrade).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
MIN_PYTHON=3.10          # the README's promise
CHECK_PYTHONS="3.10 3.11 3.12 3.13"
UV_VERSION=0.13.9        # the uv that made the current file; change it on purpose
# s2geometry ships Linux wheels for x86_64 only, glibc 2.28 or newer (no sdist).
PLATFORM=x86_64-manylinux_2_28

work=build/lock
rm -rf "$work"
mkdir -p "$work"
# uv in a throwaway venv, from PyPI itself: a local wheel folder must not decide it.
"$PYTHON" -m venv "$work/venv"
env -u PIP_FIND_LINKS "$work/venv/bin/pip" install --quiet "uv==$UV_VERSION"
uv=$work/venv/bin/uv

# uv reads the pins of its output file as preferences, so it resolves a copy
# and requirements.txt changes only once everything below has passed.
if [ -f requirements.txt ]; then cp requirements.txt "$work/requirements.txt"; fi
"$uv" pip compile --quiet --no-config --universal --python-version "$MIN_PYTHON" \
    --no-header --annotation-style line "$@" requirements.in -o "$work/requirements.txt"

# Every pin must come as a wheel for each Python, and for each Python where a
# marker switches pins (e.g. 3.11.5): a build from source is what a teacher's
# machine would fail at (s2geometry has no sdist at all).
versions=$({ printf '%s\n' $CHECK_PYTHONS
             grep -oP "python_full_version [<>=!]+ '\K[0-9.]+" "$work/requirements.txt" || true
           } | sort -uV)
for v in $versions; do
    "$uv" pip compile --quiet --no-config --no-deps --only-binary :all: \
        --python-version "$v" --python-platform "$PLATFORM" \
        "$work/requirements.txt" -o /dev/null ||
        { echo "lock.sh: no wheel of some pin for Python $v ($PLATFORM); requirements.txt unchanged" >&2; exit 1; }
done

{
    echo "# Pinned by 'make lock' (tools/lock.sh) from requirements.in. Do not edit by hand."
    echo "# One file for CPython $MIN_PYTHON or newer, resolved with"
    echo "#   uv pip compile --universal --python-version $MIN_PYTHON requirements.in   (uv $UV_VERSION)"
    echo "# A package pinned twice has one version per Python range, chosen by its marker."
    echo "# Checked to have $PLATFORM wheels for Python:" $versions
    cat "$work/requirements.txt"
} > "$work/final.txt"
mv "$work/final.txt" requirements.txt
rm -rf "$work"
