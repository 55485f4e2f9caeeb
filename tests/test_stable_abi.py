"""The stable ABI: first_abi3 and callcost_abi3 (first.c and callcost.c compiled
with Py_LIMITED_API = 3.10 by `make build`) use nothing outside it, and the one
build works under every CPython from 3.10 to 3.13 this machine has."""
import glob
import importlib.machinery
import json
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILDS = [ROOT / "extensions/first/first_abi3.abi3.so", ROOT / "extensions/callcost/callcost_abi3.abi3.so"]
ABI3AUDIT = pathlib.Path(sys.executable).parent / "abi3audit"
VERSIONS = ["3.10", "3.11", "3.12", "3.13"]


def find_cpython(version):
    """A CPython VERSION: pythonX.Y on the PATH, else pyenv's newest X.Y.*
    (PYENV_ROOT, or ~/.pyenv), else None. Free-threaded builds (3.13t) are
    not matched: they load no abi3 module."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = pathlib.Path(os.environ.get("PYENV_ROOT", pathlib.Path.home() / ".pyenv"))
    candidates += sorted(glob.glob(str(pyenv / "versions" / f"{version}.*" / "bin" / f"python{version}")),
                         reverse=True)
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys, sysconfig; print('%d.%d' % sys.version_info[:2], "
                                "sys.implementation.name, bool(sysconfig.get_config_var('Py_GIL_DISABLED')))"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.split() == [version, "cpython", "False"]:
            return candidate
    return None


def audit(paths):
    """abi3audit's JSON report on each path, assuming the 3.10 baseline (a bare
    .abi3.so carries no version; a wheel's cp310-abi3 tag would)."""
    result = subprocess.run([str(ABI3AUDIT), "--report", "--assume-minimum-abi3", "3.10", *map(str, paths)],
                            capture_output=True, text=True)
    report = json.loads(result.stdout)["specs"]
    return {pathlib.Path(spec).name: entry["object"]["result"] for spec, entry in report.items()}


def test_the_builds_are_named_for_the_stable_abi():
    for path in BUILDS:
        assert path.is_file(), f"{path} missing: run make build"
    assert ".abi3.so" in importlib.machinery.EXTENSION_SUFFIXES


def test_abi3audit_finds_only_stable_abi_symbols(tmp_path):
    """Every symbol the two modules import from Python is in the stable ABI of
    3.10 or older. And the check can fail: a module that calls PyUnicode_AsUTF8
    (in the limited API only from 3.13), compiled without Py_LIMITED_API and
    named .abi3.so all the same, is caught."""
    bad = tmp_path / "bad.c"
    bad.write_text(
        "#include <Python.h>\n"
        "static PyObject *first_char(PyObject *m, PyObject *arg) {\n"
        "    (void)m; const char *s = PyUnicode_AsUTF8(arg); return s ? PyLong_FromLong(s[0]) : NULL; }\n"
        "static PyMethodDef methods[] = {{\"first_char\", first_char, METH_O, NULL}, {NULL, NULL, 0, NULL}};\n"
        "static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = \"bad\", .m_methods = methods};\n"
        "PyMODINIT_FUNC PyInit_bad(void) { return PyModuleDef_Init(&def); }\n")
    compiler = (sysconfig.get_config_var("CC") or "cc").split()
    subprocess.run([*compiler, "-shared", "-fPIC", "-I", sysconfig.get_paths()["include"], str(bad),
                    "-o", str(tmp_path / "bad.abi3.so")], check=True)
    results = audit([*BUILDS, tmp_path / "bad.abi3.so"])
    for path in BUILDS:
        result = results[path.name]
        assert result["is_abi3"] and result["is_abi3_baseline_compatible"], (path.name, result)
        assert result["non_abi3_symbols"] == [] and result["future_abi3_objects"] == {}, (path.name, result)
    assert results["bad.abi3.so"]["non_abi3_symbols"] == ["PyUnicode_AsUTF8"]


@pytest.mark.parametrize("version", VERSIONS)
def test_one_build_runs_under_every_cpython(version, tmp_path):
    """The two files make build made, copied alone into a folder, imported and
    checked (tests/stable_abi_check.py) by CPython VERSION, not the one that built them."""
    python = find_cpython(version)
    if python is None:
        pytest.skip(f"no CPython {version} on this machine (PATH, or pyenv's versions)")
    for path in BUILDS:
        shutil.copy(path, tmp_path)
    result = subprocess.run([python, "-I", str(ROOT / "tests/stable_abi_check.py"), str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    said, under, ran = result.stdout.split()[:3]
    assert (said, under) == ("passed", "under") and ran.startswith(version + "."), result.stdout
