"""make test-ft: the extensions' suites under a free-threaded CPython (3.14t or newer;
not 3.13t, for which cffi 2 refuses to build).

    PYTHON_FT=/path/to/python3.14t make test-ft     (make python-ft builds one)

Run by the free-threaded Python itself (this file needs only the standard library):

1. A virtualenv of its own, build/ft/venv-<3.14t>, with the packages the builds
   and the suites need, at the versions requirements.txt pins (it is the
   constraints file). The suites' own libraries come as wheels, or else are built
   from source within 5 minutes each: one that cannot be had for this Python is
   reported, and the test files that import it are left out, named.
2. Every extension built in place for it, beside the course's own build: the file
   names carry the ABI tag (first.cpython-313t-x86_64-linux-gnu.so), so the two
   builds do not meet. The setup.py folders, the CMake folder, the Rust crates
   (cargo's output in build/ft/cargo).
3. Each test file in a pytest process of its own, so that a module which turns
   the GIL back on (Py_MOD_GIL_USED) does so for its own file only; each process
   reports whether the GIL was on when it ended. Then
   tests/test_free_threading.py, which imports every module in a fresh process
   and checks the GIL against extensions/common/gil_declarations.py.
"""
import argparse
import ast
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import sysconfig
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXTENSIONS = ROOT / "extensions"
# Every extension folder, found as the Makefile finds them: by its build file.
SETUP_FOLDERS = sorted(p.parent.name for p in EXTENSIONS.glob("*/setup.py"))
CMAKE_FOLDERS = sorted(p.parent.name for p in EXTENSIONS.glob("*/CMakeLists.txt"))
RUST_CRATES = sorted(p.parent.name for p in EXTENSIONS.glob("*/Cargo.toml"))
BUILD_TOOLS = ["setuptools", "cython", "cffi", "pybind11", "nanobind", "cmake", "ninja", "maturin"]
TEST_LIBRARIES = ["pytest", "hypothesis", "numpy", "lz4", "msgpack", "zstandard", "crc32c",
                  "protobuf", "grpcio-tools", "s2geometry", "numba"]
GIL_WARNING = "The global interpreter lock (GIL) has been enabled"


def say(*words):
    print("test-ft:", *words, flush=True)


def run(command, **kwargs):
    return subprocess.run([str(c) for c in command], check=True, **kwargs)


def installs(command, timeout=None):
    """pip install, True if it worked. At the time limit the whole process group
    goes (pip's compilers with it)."""
    process = subprocess.Popen([str(c) for c in command], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        return process.wait(timeout=timeout) == 0
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return False


def make_venv(top, tag):
    venv = top / f"venv-{tag}"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    wanted = (ROOT / "requirements.txt").read_text()
    if stamp.is_file() and stamp.read_text() == wanted:
        return python, stamp.with_name(".missing").read_text().split()
    shutil.rmtree(venv, ignore_errors=True)
    run([sys.executable, "-m", "venv", venv])
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "-c", ROOT / "requirements.txt"]
    say(f"installing the build tools into {venv.relative_to(ROOT)}")
    run([*pip, *BUILD_TOOLS])
    missing = []
    for name in TEST_LIBRARIES:   # one at a time: one that will not install must not stop the rest
        if installs([*pip, "--only-binary=:all:", name]):
            continue
        say(f"{name}: no wheel for this Python; building it from source (at most 5 minutes)")
        if not installs([*pip, name], timeout=300):
            missing.append(name)
    stamp.with_name(".missing").write_text(" ".join(missing))
    stamp.write_text(wanted)
    return python, missing


def build(python, top):
    env = dict(os.environ, PATH=f"{python.parent}{os.pathsep}{os.environ['PATH']}")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The folders on the venv's path, as make setup does for the course's own venv.
    folders = [EXTENSIONS / f for f in SETUP_FOLDERS + CMAKE_FOLDERS] + [EXTENSIONS / "common"]
    pathlib.Path(site, "pyext-lessons.pth").write_text("".join(f"{f}\n" for f in folders))
    for folder in SETUP_FOLDERS:
        say(f"building {folder}")
        run([python, "setup.py", "--quiet", "build_ext", "--inplace", "--force",
             "--build-temp", top / "temp" / folder, "--build-lib", top / "lib" / folder],
            cwd=EXTENSIONS / folder, env=env, stdout=subprocess.DEVNULL)
    for folder in CMAKE_FOLDERS:
        say(f"building {folder} (CMake)")
        where = top / "cmake" / folder
        run([python.parent / "cmake", "-S", EXTENSIONS / folder, "-B", where, "-G", "Ninja",
             "--log-level=WARNING", f"-DPython_EXECUTABLE={python}"], env=env, stdout=subprocess.DEVNULL)
        run([python.parent / "cmake", "--build", where], env=env, stdout=subprocess.DEVNULL)
        run([python.parent / "cmake", "--install", where, "--prefix", EXTENSIONS / folder],
            env=env, stdout=subprocess.DEVNULL)
    if shutil.which("cargo") is None:
        say("the Rust crates are not built: no cargo")
        return
    for crate in RUST_CRATES:
        say(f"building {crate} (maturin, release)")
        run([python.parent / "maturin", "develop", "--release", "--locked", "--quiet"],
            cwd=EXTENSIONS / crate, stdout=subprocess.DEVNULL,
            env=dict(env, VIRTUAL_ENV=str(python.parent.parent), CARGO_TARGET_DIR=str(top / "cargo")))


def imported_names(path):
    """The top-level names a test file imports, but for those it tries inside a
    try statement (optional, as s2cover's test_hostile.py takes the official S2
    bindings)."""
    tree = ast.parse(path.read_text())
    optional = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.Try)
                for statement in node.body for inner in ast.walk(statement)}
    names = set()
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def runnable(python, test_files):
    """The test files whose imports all work in the venv, and the others with the
    modules they lack (a helper module's own imports count: each name is
    imported, in a fresh process, from the test file's folder)."""
    probe = ("import importlib, sys\n"
             "sys.path.insert(0, sys.argv[1])\n"
             "for name in sys.argv[2:]:\n"
             "    try:\n"
             "        importlib.import_module(name)\n"
             "    except ModuleNotFoundError as missing:\n"
             "        print(name, missing.name)")
    keep, left_out = [], {}
    for f in test_files:
        names = sorted(imported_names(f) - {p.stem for p in f.parent.glob("*.py")})
        printed = subprocess.run([python, "-c", probe, f.parent, *names], capture_output=True,
                                 text=True, cwd=ROOT).stdout.split("\n")
        lacking = sorted({line.split()[1] for line in printed if line.strip()})
        (left_out.__setitem__(f, lacking) if lacking else keep.append(f))
    return keep, left_out


def suites(python, top):
    """Each test file in a pytest process of its own. Returns the failures."""
    failed = []
    report = top / "gil-at-exit.txt"
    for folder in sorted(p.parent for p in EXTENSIONS.glob("*/tests")):
        files = sorted(folder.glob("tests/test_*.py"))
        conftest = folder / "tests" / "conftest.py"
        if conftest.is_file():          # what it imports, every test file of the folder needs
            _, lacking = runnable(python, [conftest])
            if lacking:
                say(f"left out {folder.name}'s suite: its conftest.py needs {', '.join(lacking[conftest])} "
                    "(not installable for this Python)")
                continue
        keep, left_out = runnable(python, files)
        for f, lacking in left_out.items():
            say(f"left out {f.relative_to(ROOT)}: needs {', '.join(lacking)} (not installable for this Python)")
        for test_file in keep:
            report.unlink(missing_ok=True)
            started = time.monotonic()
            result = subprocess.run(
                [python, "-X", "faulthandler", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 "-p", "tools.ft_report",
                 # A module that declares the GIL used turns it on with this warning:
                 # expected here (tests/test_free_threading.py checks which ones do).
                 "-W", f"ignore:{GIL_WARNING}:RuntimeWarning", test_file],
                cwd=ROOT, env=dict(os.environ, PYEXT_FT_REPORT=str(report), PYTHONPATH=str(ROOT)),
                capture_output=True, text=True)
            summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
            gil = report.read_text().strip() if report.is_file() else "unknown"
            say(f"{test_file.relative_to(EXTENSIONS)}: {summary}; GIL at the end: {gil}")
            if result.returncode != 0:
                failed.append(str(test_file.relative_to(EXTENSIONS)))
                print(result.stdout[-6000:], result.stderr[-3000:], sep="\n")
    return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    if not sysconfig.get_config_var("Py_GIL_DISABLED"):
        sys.exit(f"test-ft: {sys.executable} is not a free-threaded build (sysconfig's Py_GIL_DISABLED is not 1)")
    if sys.version_info < (3, 14):
        sys.exit(f"test-ft: {sys.executable} is a free-threaded {sys.version.split()[0]}: cffi 2 does not build "
                 "for a free-threaded 3.13 (the course's cffi modules); use 3.14t or newer (make python-ft)")
    tag = f"{sys.version_info.major}.{sys.version_info.minor}t"
    say(f"CPython {sys.version.split()[0]} free-threaded ({sys.executable})")
    started = time.monotonic()
    top = ROOT / "build" / "ft"
    top.mkdir(parents=True, exist_ok=True)
    python, missing = make_venv(top, tag)
    if missing:
        say(f"not installable for this Python (no wheel; no source build within 5 minutes): {', '.join(missing)}")
    build(python, top)
    failed = suites(python, top)
    say("every module imported in a fresh process (tests/test_free_threading.py)")
    declarations = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_free_threading.py"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if declarations.returncode != 0:
        failed.append("tests/test_free_threading.py")
    say(f"{'failed: ' + ', '.join(failed) if failed else 'passed'} after {time.monotonic() - started:.0f} s")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
