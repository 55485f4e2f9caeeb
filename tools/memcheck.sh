#!/usr/bin/env bash
# make memcheck: run each extension's tests against an AddressSanitizer build of it.
#
#   tools/memcheck.sh EXTENSION... [exercise:NAME...]
#
# exercise:NAME is an exercise's reference solution (exercises/NAME/solution),
# copied out by exercises/checker.py and checked like an extension.
# For each extension: build it with -fsanitize=address into build/asan/lib/NAME
# (the in-place build is left alone; built again only when its inputs changed), put that folder first on sys.path, preload
# libasan into the interpreter (Python itself is not built with ASan) and set
# PYTHONMALLOC=malloc so every Python object is a malloc() ASan can see. For a
# C++ extension libstdc++ is preloaded too: ASan intercepts __cxa_throw, and an
# interceptor for a library loaded only later (when the extension is imported)
# finds no real function to call and stops the process at the first throw. Then:
#   - a memory error (overflow, use after free, ...) aborts the test run: fail;
#   - at exit LeakSanitizer lists unfreed blocks with the stack that allocated
#     them. The interpreter leaves many of its own at exit, so only a leak whose
#     stack passes through the extension's code counts: any such leak fails.
#     Stacks are unwound through frame pointers (fast: the extension is built
#     with them), so a malloc() made by the extension is always traced back to
#     it. A Python object the extension forgets to release (a reference leak) is
#     allocated inside libpython, which has no frame pointers: its stack stops
#     there. Those leaks are caught by each extension's own memory test
#     (repeated calls under tracemalloc), which runs here too.
# A clean verdict is kept (build/asan/verdicts/NAME) with a key: a hash of every
# file under extensions/ (sources, tests, the Rust crates the tests import), the
# root conftest.py, pytest.ini, requirements.txt, this script, the compiler and
# the interpreter. A later run with the same key prints the kept verdict instead
# of running the same tests on the same build again (make test runs the lessons'
# memcheck cells twice: under nbval and in JupyterLab). MEMCHECK_AGAIN=1 runs
# them anyway; a failure is never kept.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=$root/.venv/bin/python
libasan=$(gcc -print-file-name=libasan.so)
libstdcxx=$(gcc -print-file-name=libstdc++.so.6)
asan=$root/build/asan
failed=()

# What a verdict depends on besides one extension's build (see above).
shared_inputs=$( (cd "$root" && find extensions exercises conftest.py pytest.ini requirements.txt tools/memcheck.sh \
                      -type f -not -name '*.so' -not -path '*/__pycache__/*' -not -path '*/.hypothesis/*' \
                      -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1)

for ext in "$@"; do
    if [[ $ext == exercise:* ]]; then
        ext=${ext#exercise:}
        src=$("$py" "$root/exercises/checker.py" prepare "$ext" --solution)
        ext=exercise-$ext
    else
        src=$root/extensions/$ext
    fi
    lib=$asan/lib/$ext
    logs=$asan/logs/$ext
    kept=$asan/verdicts/$ext
    # Built again only when what it is built from changed: its folder's sources,
    # the shared headers and build settings, the flags, the compiler and the
    # interpreter. (A lesson and make test run the same check twice: under nbval
    # and in JupyterLab.)
    flags="-fsanitize=address -fno-omit-frame-pointer -g -O1"
    inputs=$( (cd "$src" && find . -maxdepth 2 -type f \( -name '*.c' -o -name '*.cc' -o -name '*.cpp' \
                  -o -name '*.h' -o -name '*.hpp' -o -name '*.pyx' -o -name '*.pxd' -o -name setup.py \) \
                  -not -path './tests/*' -print0 | sort -z | xargs -0 sha256sum
               sha256sum "$root"/extensions/common/*.h "$root"/extensions/common/*.py
               echo "$flags"; gcc --version | head -1; "$py" -VV) | sha256sum | cut -d' ' -f1)
    key=$(printf '%s\n' "$inputs" "$shared_inputs" | sha256sum | cut -d' ' -f1)
    if [ -z "${MEMCHECK_AGAIN:-}" ] && [ -f "$kept/key" ] && [ "$(cat "$kept/key")" = "$key" ] \
       && [ -s "$logs/junit.xml" ]; then
        echo "== memcheck $ext: passed before with this same build and these same tests (kept in $kept;"
        echo "   MEMCHECK_AGAIN=1 runs them again)"
        cat "$kept/verdict"
        echo "== memcheck $ext: OK"
        continue
    fi
    rm -rf "$logs" "$kept"
    mkdir -p "$logs"
    if [ -f "$lib/.inputs" ] && [ "$(cat "$lib/.inputs")" = "$inputs" ]; then
        echo "== memcheck $ext: the AddressSanitizer build is up to date"
    else
        rm -rf "$lib"
        echo "== memcheck $ext: building with AddressSanitizer"
        (cd "$src" && CFLAGS="$flags" LDFLAGS="-fsanitize=address" \
            "$py" setup.py --quiet build_ext --force --build-lib "$lib" --build-temp "$asan/temp/$ext")
        mkdir -p "$lib"   # a pure-Python exercise (08-jit-friendly) builds nothing into it
        echo "$inputs" > "$lib/.inputs"
    fi

    # The sanitized build first; then the folder itself, for its Python files (an FFI
    # exercise's wrapper): a library found on the path is found in $lib first.
    export PYTHONPATH=$lib:$src PYTHONMALLOC=malloc LD_PRELOAD="$libasan $libstdcxx"
    export HYPOTHESIS_PROFILE=memcheck     # fewer examples per test: see conftest.py
    export PYEXT_MEMCHECK=1                # a suite shared with a Rust module runs the C one alone
    export ASAN_OPTIONS="detect_leaks=1:log_path=$logs/asan:abort_on_error=0:halt_on_error=1"
    export LSAN_OPTIONS="exitcode=0"      # leaks are judged below, not by the exit code
    # Prove the tests will see the sanitized build, not the in-place one.
    "$py" - "$lib" <<'EOF'
import importlib, pathlib, sys
lib = pathlib.Path(sys.argv[1])
# Python modules only (a plain C library such as libdiffusion.so is not one).
for so in [*lib.glob("*.cpython-*.so"), *lib.glob("*.abi3.so")]:
    module = importlib.import_module(so.name.split(".")[0])
    assert pathlib.Path(module.__file__).parent == lib, f"{module.__file__} is not the ASan build"
EOF
    echo "== memcheck $ext: running its tests"
    test_status=0
    # The JUnit report is written only when pytest finishes: a process that ASan
    # stopped (its exit code is LSAN_OPTIONS' 0) leaves none, and fails below.
    "$py" -m pytest -q -p no:cacheprovider --junitxml="$logs/junit.xml" "$src/tests" || test_status=$?
    if [ ! -s "$logs/junit.xml" ]; then
        echo "== memcheck $ext: the test run did not finish"
        test_status=99
    fi
    unset PYTHONPATH PYTHONMALLOC LD_PRELOAD ASAN_OPTIONS LSAN_OPTIONS HYPOTHESIS_PROFILE PYEXT_MEMCHECK

    # Split the reports into leak records; keep those that name the extension.
    verdict=$("$py" - "$logs" "$lib" "$src" <<'EOF'
import pathlib, re, sys
logs, lib, src = sys.argv[1:4]
errors, ours, theirs = [], [], 0
for log in sorted(pathlib.Path(logs).glob("asan*")):
    text = log.read_text(errors="replace")
    if re.search(r"ERROR: AddressSanitizer", text):
        errors.append(text)
    for record in re.split(r"\n(?=(?:Direct|Indirect) leak of )", text):
        if not re.match(r"(Direct|Indirect) leak of ", record):
            continue
        if "_tracemalloc.c" in record:   # tracemalloc's own bookkeeping (the memory tests use it)
            theirs += 1
        elif lib in record or src in record:
            ours.append(record.strip())
        else:
            theirs += 1
for e in errors:
    print(e)
for record in ours[:10]:
    print(record, end="\n\n")
print(f"memory errors: {len(errors)}; leaks from the extension: {len(ours)}; "
      f"leak records from the interpreter itself (ignored): {theirs}")
sys.exit(1 if errors or ours else 0)
EOF
) && leak_status=0 || leak_status=$?
    echo "$verdict"
    if [ "$test_status" -ne 0 ] || [ "$leak_status" -ne 0 ]; then
        echo "== memcheck $ext: FAILED (tests exit $test_status; reports in $logs)"
        failed+=("$ext")
    else
        echo "== memcheck $ext: OK"
        mkdir -p "$kept"
        echo "$verdict" > "$kept/verdict"
        echo "$key" > "$kept/key"
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "memcheck failed for: ${failed[*]}"
    exit 1
fi
echo "memcheck: all clean (${*})"
