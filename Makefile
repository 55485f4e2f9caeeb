# pyext-lessons -- every command a teacher, a student or CI needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
KERNEL := pyext-lessons
KERNEL_DISPLAY := Python 3 (pyext-lessons)

EXTENSIONS := $(patsubst extensions/%/setup.py,%,$(wildcard extensions/*/setup.py))
# Rust crates (lesson 10): one Cargo workspace, extensions/Cargo.toml
RUST_EXTENSIONS := $(patsubst extensions/%/Cargo.toml,%,$(wildcard extensions/*/Cargo.toml))
# C++ modules built by CMake (lesson 06's nanobind binding): a CMakeLists.txt in the folder
CMAKE_EXTENSIONS := $(patsubst extensions/%/CMakeLists.txt,%,$(wildcard extensions/*/CMakeLists.txt))
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]-*.ipynb))
# The exercises at the end of each lesson: exercises/NN-name (see exercises/README.md)
EXERCISES := $(patsubst exercises/%/README.md,%,$(wildcard exercises/[0-9][0-9]-*/README.md))

# Caches of %%cython and matplotlib in one known place, outside git (see
# notebooks/TESTING.md); pip keeps its usual cache in the home directory.
export XDG_CACHE_HOME := $(CURDIR)/build/cache
export MPLCONFIGDIR := $(CURDIR)/build/cache/matplotlib
export PIP_CACHE_DIR ?= $(HOME)/.cache/pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Cargo's build folder for every crate, outside git (Cargo's own cache of
# downloaded crates stays in ~/.cargo).
export CARGO_TARGET_DIR := $(CURDIR)/build/cargo

VENV_STAMP := $(VENV)/.installed
PYPY ?= pypy3
PYPY_VENV := .venv-pypy
PYPY_STAMP := $(PYPY_VENV)/.installed
PATHS_STAMP := $(VENV)/.extension-paths
S2_STAMP := build/stamps/s2-library
BUILD_STAMPS := $(EXTENSIONS:%=build/stamps/%.built) $(RUST_EXTENSIONS:%=build/stamps/%.built-rust) \
                $(CMAKE_EXTENSIONS:%=build/stamps/%.built-cmake)
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help setup system build extensions format test test-lab lab run bench memcheck fuzz exercises exercise homework clean distclean lock test-distro \
        python-ft test-ft

help:
	@echo "make setup     system packages (apt, as root) and the .venv with the course kernel"
	@echo "make build     build every extension in place (only what changed)"
	@echo "make test      setup + build, then every extension's tests and nbval on every notebook"
	@echo "make lab       JupyterLab on the repository (lessons in notebooks/, exercises in exercises/)"
	@echo "make run       execute every notebook headless, storing fresh outputs"
	@echo "make bench     run every lesson's benchmark; one table of times and ratios"
	@echo "               (INSTRUCTIONS=1: and C instructions per item, counted by callgrind)"
	@echo "make memcheck  the C/C++/Cython extensions' tests under AddressSanitizer (not the Rust crates)"
	@echo "make test-ft   every extension built for a free-threaded Python and its tests run there:"
	@echo "               PYTHON_FT=/path/to/python3.14t (default: make python-ft's build, if any)"
	@echo "make python-ft build a free-threaded CPython 3.14 from source into build/python-ft (minutes)"
	@echo "make format    lay out every C, C++ and Rust file (.clang-format, rustfmt); make test checks it"
	@echo "make fuzz      fuzz every file reader (atheris) and the hostile-caller tests (Hypothesis);"
	@echo "               FUZZ_SECONDS=N per reader (default $(FUZZ_SECONDS)), FUZZ_EXAMPLES=N per test"
	@echo "               (default $(FUZZ_EXAMPLES)); needs clang (apt, as root) and atheris (pip)"
	@echo "make exercises every lesson's exercises, with their state (not started, failing N of M, passing)"
	@echo "make exercise NAME=01-longest-below   build your copy of one exercise and run its tests"
	@echo "make homework  build the student's pb (extensions/pb/homework) and run pb's tests on it, per milestone"
	@echo "make clean     remove build outputs (distclean also removes .venv, build/s2, build/distro, build/python-ft)"
	@echo "make test-distro DIST=trixie|bookworm   make test on a fresh Debian made with debootstrap (root)"

# ---- setup ----
setup: system $(VENV_STAMP) $(PATHS_STAMP) $(PYPY_STAMP) $(S2_STAMP)

# SYSTEM_PACKAGES=skip: the libraries come from elsewhere (conda: see environment.yml).
SYSTEM_PACKAGES ?= apt
system:
ifeq ($(SYSTEM_PACKAGES),skip)
	@echo "system-packages: skipped (SYSTEM_PACKAGES=skip)"
else
	@tools/system-packages.sh system-packages.txt
endif

$(VENV_STAMP): requirements.txt | system
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements.txt
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "$(KERNEL_DISPLAY)"
	touch $@

# Lesson 08 runs the same pure-Python code under PyPy, in a venv of its own with
# NumPy (a wheel built for PyPy) from requirements-pypy.txt. Without pypy3 the
# lesson says so and skips its PyPy cells.
$(PYPY_STAMP): requirements-pypy.txt | system
	@if command -v $(PYPY) >/dev/null; then \
	    $(PYPY) -m venv --clear $(PYPY_VENV) && \
	    $(PYPY_VENV)/bin/pip install --quiet --only-binary=:all: -r requirements-pypy.txt && touch $@; \
	else \
	    echo "pypy3 not found: lesson 08 will skip its PyPy cells (Debian: apt-get install pypy3 pypy3-venv)"; \
	fi

# Lesson 06's S2: Debian's libs2-dev where the release has it (Debian 12);
# elsewhere (Debian 13) the same S2 built once from Debian's source into build/s2,
# which make clean keeps (minutes to remake: see tools/build-s2.sh).
# (conda's s2geometry, environment.yml, counts as installed too.)
$(S2_STAMP): tools/build-s2.sh | system
	@if [ -e /usr/include/s2/s2cell_id.h ]; then echo "S2: Debian's libs2-dev"; \
	elif [ -n "$$CONDA_PREFIX" ] && [ -e "$$CONDA_PREFIX/include/s2/s2cell_id.h" ]; then echo "S2: conda's s2geometry"; \
	else tools/build-s2.sh "$(CURDIR)/build/s2"; fi
	@mkdir -p $(@D) && touch $@
build/stamps/s2cover.built: $(S2_STAMP)

# Every extension folder goes on the venv's sys.path through a .pth file, so
# `import counters` works in the notebooks, the tests and the benchmarks alike;
# and extensions/common, for the build settings every setup script imports
# (course_build.py).
$(PATHS_STAMP): $(VENV_STAMP) $(wildcard extensions/*/setup.py extensions/*/CMakeLists.txt)
	site=$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))') && \
	printf '%s\n' $(EXTENSIONS:%=$(CURDIR)/extensions/%) $(CMAKE_EXTENSIONS:%=$(CURDIR)/extensions/%) \
	    $(CURDIR)/extensions/common > "$$site/pyext-lessons.pth"
	touch $@

# ---- build ----
# The extensions are built side by side, one per CPU (each in its own folder).
build: setup
	@$(MAKE) --no-print-directory -j$$(nproc) extensions
extensions: $(BUILD_STAMPS)

# An extension is rebuilt when a file it is built from changes (extensions/common
# holds headers more than one extension includes, and course_build.py, the
# compiler warnings every setup script takes).
.SECONDEXPANSION:
build/stamps/%.built: $$(wildcard $$(addprefix extensions/$$*/,*.c *.h *.cpp *.hpp *.pyx *.pxd *.pxi *.py *.proto pyproject.toml)) \
                      $$(wildcard extensions/common/*.h extensions/common/*.py) | $(VENV_STAMP) $(PATHS_STAMP)
	cd extensions/$* && $(PY) setup.py --quiet build_ext --inplace --force \
	    --build-temp $(CURDIR)/build/temp/$* --build-lib $(CURDIR)/build/lib/$*
	@mkdir -p $(@D) && touch $@

# A Rust crate: maturin builds it (cargo, in release mode, with the versions
# Cargo.lock pins) and installs it into the venv, as `maturin develop` does for
# anyone working on a PyO3 module. The crates share one Cargo workspace.
build/stamps/%.built-rust: $$(wildcard extensions/$$*/src/*.rs) extensions/$$*/Cargo.toml \
                           extensions/$$*/pyproject.toml extensions/Cargo.toml extensions/Cargo.lock \
                           | $(VENV_STAMP)
	cd extensions/$* && VIRTUAL_ENV=$(CURDIR)/$(VENV) $(CURDIR)/$(VENV)/bin/maturin develop \
	    --release --locked --quiet
	@mkdir -p $(@D) && touch $@

# A CMake module: configured into build/cmake/NAME with the venv's CMake and Ninja
# (pinned in requirements.txt) and the venv's Python, built, then installed into
# its own folder: in place, as setup.py --inplace does. (pip install and python -m
# build run the same CMakeLists.txt through scikit-build-core, pyproject.toml.)
build/stamps/%.built-cmake: $$(wildcard extensions/$$*/*.cpp extensions/$$*/*.hpp) extensions/$$*/CMakeLists.txt \
                            $$(wildcard extensions/common/*.py) | $(VENV_STAMP) $(PATHS_STAMP)
	$(VENV)/bin/cmake -S extensions/$* -B build/cmake/$* -G Ninja --log-level=WARNING \
	    -DCMAKE_MAKE_PROGRAM=$(CURDIR)/$(VENV)/bin/ninja -DPython_EXECUTABLE=$(PY)
	env -u MAKEFLAGS -u MFLAGS $(VENV)/bin/cmake --build build/cmake/$*   # Ninja on its own jobs, not make's
	$(VENV)/bin/cmake --install build/cmake/$* --prefix extensions/$*
	@mkdir -p $(@D) && touch $@
# s2cover_nanobind wraps s2cover's kernel and finds S2 as s2cover does.
build/stamps/s2cover_nanobind.built-cmake: extensions/s2cover/geojson_cover.cpp extensions/s2cover/geojson_cover.hpp \
                                           extensions/s2cover/s2_library.py $(S2_STAMP)

# ---- use ----
lab: build
	$(VENV)/bin/jupyter lab --notebook-dir=. $(ROOT_FLAG)

run: build
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.kernel_name=$(KERNEL) --ExecutePreprocessor.timeout=900 \
	    --ExecutePreprocessor.record_timing=False $(NOTEBOOKS)

# INSTRUCTIONS=1 also counts C instructions per item with callgrind (tools/bench.py --instructions).
bench: build
	$(PY) tools/bench.py $(if $(INSTRUCTIONS),--instructions)

# ---- check ----
# The C and C++ layout (.clang-format); make test checks it (tests/test_repository.py).
format: setup
	tools/format.sh

test: build
	$(PY) -m pytest --nbval --nbval-kernel-name=$(KERNEL) \
	    --nbval-sanitize-with=tests/nbval-sanitize.cfg extensions tests $(NOTEBOOKS)
	cd extensions && PYO3_PYTHON=$(PY) cargo test --release --locked --quiet
	$(PY) tools/bench.py --quick --instructions
	@$(MAKE) --no-print-directory test-ft

# ---- free-threaded Python ----
# The extensions built for a free-threaded CPython (3.14t) and their suites run
# under it, each test file in a process of its own, then every module's GIL checked
# against extensions/common/gil_declarations.py (tools/test_ft.py). Found: PYTHON_FT,
# else make python-ft's build, else python3.14t on the PATH (not 3.13t: cffi 2 does
# not build for it). None: make test says so in one line and goes on.
PYTHON_FT ?= $(firstword $(wildcard $(CURDIR)/build/python-ft/bin/python3.14t) $(shell command -v python3.14t 2>/dev/null))
test-ft:
	@if [ -z "$(PYTHON_FT)" ]; then \
	    echo "test-ft: skipped: no free-threaded Python here (PYTHON_FT=/path/to/python3.14t make test-ft; make python-ft builds one)"; \
	else $(PYTHON_FT) tools/test_ft.py; fi

# CPython 3.14 built with --disable-gil from its source (tools/build-python-ft.sh),
# into build/python-ft, which make clean keeps. Not part of make test.
python-ft:
	tools/build-python-ft.sh build/python-ft


# Every lesson run in JupyterLab, Run All Cells, in headless Chromium (make test
# runs lessons 00 and 11 there and checks the others as stored).
test-lab: build
	LAB_RUN=all $(PY) -m pytest tests/test_browser.py

# The C, C++ and Cython extensions, each rebuilt with AddressSanitizer. Not the Rust
# crates: AddressSanitizer for Rust needs a nightly compiler (-Zsanitizer=address);
# make test runs their tests, and lesson 10 says what that leaves unchecked.
# The exercises' reference solutions too (exercise:NAME).
memcheck: build
	tools/memcheck.sh $(EXTENSIONS) $(EXERCISES:%=exercise:%)
	@echo "memcheck: the Rust crates ($(RUST_EXTENSIONS)) are not built with AddressSanitizer: for Rust it needs a nightly compiler"

# Each reader (extensions/*/tests/test_fuzz.py) under atheris for FUZZ_SECONDS,
# against a clang build with coverage hooks and AddressSanitizer (build/fuzz); a
# failing input is kept in the harness's fuzz-crashes/ (make test replays it).
# Then every test_hostile.py with Hypothesis' "fuzz" profile: FUZZ_EXAMPLES random
# examples per test.
FUZZ_SECONDS ?= 45
FUZZ_EXAMPLES ?= 1000
FUZZ_STAMP := $(VENV)/.fuzz-installed
$(FUZZ_STAMP): requirements-fuzz.txt system-packages-fuzz.txt | $(VENV_STAMP)
	@tools/system-packages.sh system-packages-fuzz.txt
	$(VENV)/bin/pip install --quiet -r requirements-fuzz.txt
	touch $@

fuzz: build $(FUZZ_STAMP)
	$(PY) tools/fuzz.py run --seconds $(FUZZ_SECONDS)
	HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider $(wildcard extensions/*/tests/test_hostile.py)

# An exercise: exercises/checker.py copies it to build/exercises/NAME/work, builds
# it there and runs each of its tests in a process of its own (a crash or an
# endless loop fails one test, named). Without NAME: the list.
exercises: setup
	@$(PY) exercises/checker.py list

exercise: setup
	@if [ -z "$(NAME)" ]; then echo "make exercise NAME=<exercise>, one of:"; \
	    printf '  %s\n' $(EXERCISES); exit 2; fi
	@$(PY) exercises/checker.py check $(NAME)

# The protobuf homework: build the student's pb (extensions/pb/homework/pb.c) into
# build/homework and run the reference's tests on it, each in a process of its own,
# reported per milestone (writer, reader, robustness; ALL=1 lists every test).
# Everything else (make test, the notebooks) uses the reference.
homework: setup
	@$(PY) exercises/homework.py $(if $(ALL),--all)

# ---- housekeeping ----
# build/s2 (S2 built from source), build/distro (debootstrapped systems) and
# build/python-ft (a free-threaded CPython) are slow to remake and stay;
# --one-file-system never follows a test-distro mount.
clean:
	if [ -d build ]; then find build -mindepth 1 -maxdepth 1 -not -name s2 -not -name distro -not -name python-ft \
	    -exec rm -rf --one-file-system {} +; fi
	rm -rf .pytest_cache .hypothesis
	find extensions \( -name '*.so' -o -name '*.pb-c.[ch]' \) -delete
	rm -rf extensions/*/build extensions/*/dist extensions/*/*.egg-info   # pip install ./extensions/NAME, python -m build
	-$(VENV)/bin/pip uninstall --quiet --yes $(RUST_EXTENSIONS) 2>/dev/null
	find . -name __pycache__ -not -path './$(VENV)/*' -not -path './build/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf --one-file-system $(VENV) $(PYPY_VENV) build

# make test on a fresh Debian of release DIST (trixie, bookworm), made with
# debootstrap under build/distro: see tools/test-distro.sh. Not part of make test.
DIST ?= trixie
test-distro:
	tools/test-distro.sh $(DIST)

# Re-resolve requirements.in into requirements.txt, every package pinned, one file
# for CPython 3.10-3.13 (uv's universal resolution; see tools/lock.sh).
lock:
	PYTHON=$(PYTHON) tools/lock.sh
