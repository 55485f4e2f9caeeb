#!/usr/bin/env bash
# The layout of every C and C++ source of the course (.clang-format at the root),
# with the clang-format that requirements.txt pins (its output changes between
# versions, so everyone formats with the same one); and of the Rust crates
# (extensions/rustfmt.toml), with the rustfmt of the Rust toolchain, where one
# is installed (rustup's component, or Debian's rustfmt package).
#   tools/format.sh           rewrite the files in place (make format)
#   tools/format.sh --check   list what differs and fail; change nothing (make test)
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-.venv/bin/clang-format}
# Tracked files only: protoc-c's and Cython's generated C are build outputs.
mapfile -t files < <(git ls-files -- 'extensions/*.[ch]' 'extensions/*.[ch]pp' \
                                     'exercises/*.[ch]' 'exercises/*.[ch]pp')
mapfile -t rust_files < <(git ls-files -- 'extensions/*.rs')
rustfmt=${RUSTFMT:-$(command -v rustfmt || true)}
if [ "${1:-}" = --check ]; then
    "$clang_format" --dry-run -Werror "${files[@]}" ||
        { echo "format.sh: the files above differ from .clang-format's layout: run make format" >&2; exit 1; }
    if [ -n "$rustfmt" ]; then
        (cd extensions && "$rustfmt" --check --edition 2024 "${rust_files[@]#extensions/}") ||
            { echo "format.sh: the Rust files above differ from rustfmt's layout: run make format" >&2; exit 1; }
    else
        echo "format.sh: rustfmt is not installed: the Rust layout is not checked"
    fi
else
    "$clang_format" -i "${files[@]}"
    if [ -n "$rustfmt" ]; then
        (cd extensions && "$rustfmt" --edition 2024 "${rust_files[@]#extensions/}")
    fi
fi
