"""Every extension folder is a project pip can build (PEP 517), not only a folder
`make build` compiles in place.

Each build runs on a copy of the folder beside a copy of extensions/common (what
its setup.py and headers reach for), so the repository is left as it was.
"""
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

try:
    import tomllib
except ImportError:   # Python 3.10: the same parser, as a package (requirements.txt)
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
SETUPTOOLS_FOLDERS = sorted(p.parent.name for p in ROOT.glob("extensions/*/setup.py"))
# The platform tag of a wheel this Python builds, e.g. cp311-cp311-linux_x86_64.
TAG = f"cp{sys.version_info.major}{sys.version_info.minor}"
PLATFORM = sysconfig.get_platform().replace("-", "_").replace(".", "_")


def copy_of(name, tmp_path):
    """extensions/NAME and extensions/common copied under tmp_path, without build outputs.
    (s2cover_nanobind's wheel, built by scikit-build-core, is left to a user: make build runs the
    same CMakeLists.txt, and lesson 11 builds first with scikit-build-core.)"""
    ignore = shutil.ignore_patterns("*.so", "build", "dist", "*.egg-info", "__pycache__", "*.pb-c.*", "tests")
    for folder in (name, "common"):
        shutil.copytree(ROOT / "extensions" / folder, tmp_path / "extensions" / folder, ignore=ignore)
    return tmp_path / "extensions" / name


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def wheel_files(wheel):
    with zipfile.ZipFile(wheel) as archive:
        return sorted(archive.namelist())


@pytest.mark.parametrize("name", SETUPTOOLS_FOLDERS)
def test_each_folder_declares_its_build(name):
    """pyproject.toml names setuptools as the backend and everything the build
    imports; setup.py only describes the modules: no command-line parsing, no
    compiler or code generator run when it is imported (build steps are build_ext
    hooks, which run when the build does)."""
    folder = ROOT / "extensions" / name
    project = tomllib.loads((folder / "pyproject.toml").read_text())
    assert project["build-system"]["build-backend"] == "setuptools.build_meta"
    requires = {re.split(r"[<>=!~ ]", r)[0].lower() for r in project["build-system"]["requires"]}
    assert "setuptools" in requires
    setup_py = (folder / "setup.py").read_text()
    imported = set(re.findall(r"^(?:from|import) (\w+)", setup_py, re.M))
    for module, package in (("Cython", "cython"), ("pybind11", "pybind11")):
        assert (module in imported) == (package in requires), (module, requires)
    assert ("cffi_modules" in setup_py) == ("cffi" in requires)
    assert project["project"]["name"] == name
    assert "name=" not in setup_py, "the name is pyproject.toml's"
    for forbidden in ("sys.argv", "subprocess", "os.system"):
        assert forbidden not in setup_py, f"{name}/setup.py uses {forbidden}"
    spawned = re.findall(r"^\s*(?:self\.spawn|ffibuilder\.compile)\(", setup_py, re.M)
    if spawned:   # only inside a build_ext subclass
        assert re.search(r"^class \w+\(build_ext\):", setup_py, re.M), name


def test_first_builds_a_wheel_and_installs_into_a_clean_venv(tmp_path):
    """The issue's check, as a user runs it: `python -m build --wheel` (an isolated
    build: a fresh environment with only what pyproject.toml requires), then
    `pip install` of the folder into a new virtualenv, then the module from there."""
    first = copy_of("first", tmp_path)
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(first)])
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    assert wheel.name == f"first-0.1.0-{TAG}-{TAG}-{PLATFORM}.whl"
    files = wheel_files(wheel)
    assert [f for f in files if not f.startswith("first-0.1.0.dist-info/")] == [
        f"first{sysconfig.get_config_var('EXT_SUFFIX')}", "first_abi3.abi3.so"]

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", str(first)])
    for module in ("first", "first_abi3"):
        used = run([str(python), "-c", f"import {module}; print({module}.__file__, {module}.collatz_steps(27))"],
                   cwd=tmp_path).stdout.split()
        assert pathlib.Path(used[0]).is_relative_to(venv) and used[1] == "111", used


@pytest.mark.parametrize("name, built", [
    # libdiffusion.so comes from a build_ext hook (its own compiler line), the cffi module from cffi's
    ("diffusion", ["_diffusion_cffi.abi3.so", "diffusion_cdef.py", "diffusion_ffi.py", "diffusion_python.py",
                   "diffusion_reference.py", "libdiffusion.so"]),
    # protoc-c runs as the first step of build_ext
    ("pb", [f"pb{sysconfig.get_config_var('EXT_SUFFIX')}", f"pb_mistakes{sysconfig.get_config_var('EXT_SUFFIX')}"]),
])
def test_build_hooks_run_inside_a_wheel_build(tmp_path, name, built):
    """The folders whose builds have a step of their own build as wheels too. Not
    isolated, to save fetching the build requirements again: the course's venv
    has them (the isolated path is the test above)."""
    folder = copy_of(name, tmp_path)
    run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist"),
         str(folder)])
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    assert [f for f in wheel_files(wheel) if ".dist-info/" not in f] == built

