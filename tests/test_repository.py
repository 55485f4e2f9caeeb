"""Checks of the repository itself: the README lists the notebooks, every extension is complete."""
import ast
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_readme_contents_are_generated_from_the_notebooks():
    spec = importlib.util.spec_from_file_location("contents", ROOT / "tools/contents.py")
    contents = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(contents)
    readme = (ROOT / "README.md").read_text()
    assert readme == contents.readme_with_table(readme), "run: python tools/contents.py --write"
    listed = re.findall(r"\]\((notebooks/[^)]+\.ipynb)\)", contents.table())
    on_disk = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert listed == on_disk


def test_notebooks_are_named_for_order():
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        assert re.fullmatch(r"\d\d-[a-z0-9-]+\.ipynb", path.name), path.name


def test_every_extension_has_a_build_file_and_tests():
    # extensions/common holds headers several extensions include: not an extension.
    folders = [p for p in (ROOT / "extensions").iterdir()
               if p.is_dir() and not p.name.startswith((".", "_")) and p.name != "common"]
    assert folders
    python_tests = "\n".join(p.read_text() for p in ROOT.glob("extensions/*/tests/*.py"))
    workspace = (ROOT / "extensions/Cargo.toml").read_text()
    for folder in folders:
        if (folder / "Cargo.toml").exists():
            # A Rust crate: built by maturin, a member of the workspace (which
            # denies warnings), unit tests for cargo test, and a Python suite
            # (another extension's, parametrised) that imports it.
            assert (folder / "pyproject.toml").exists(), folder
            assert f'"{folder.name}"' in workspace, f"{folder} is not in extensions/Cargo.toml"
            assert any("#[cfg(test)]" in p.read_text() for p in folder.glob("src/*.rs")), folder
            assert re.search(rf"\b{folder.name}\b", python_tests), f"no Python test imports {folder.name}"
            continue
        if (folder / "CMakeLists.txt").exists():
            # A C++ module built by CMake (scikit-build-core for pip): a binding of
            # another folder's kernel, tested by that folder's suite, parametrised.
            assert "scikit_build_core" in (folder / "pyproject.toml").read_text(), folder
            assert re.search(r"course_build\.WARNINGS", (folder / "CMakeLists.txt").read_text()), folder
            assert re.search(rf"^import {folder.name}$", python_tests, re.M), f"no Python test imports {folder.name}"
            continue
        assert (folder / "setup.py").exists(), folder
        assert list(folder.glob("tests/test_*.py")), f"{folder} has no tests"
        for script in [folder / "setup.py", *folder.glob("*_build.py")]:
            text = script.read_text()
            # One warnings policy (extensions/common/course_build.py), not a copy per script.
            assert re.search(r"^from course_build import .*WARNINGS", text, re.M), f"{script}: no WARNINGS"
            assert not re.search(r"['\"]-W(all|extra|error)['\"]", text), f"{script} names warning flags itself"
    assert re.search(r'^warnings = "deny"', workspace, re.M), "the Rust crates must build warning-free"


def modules_provided_by(folder):
    """The top-level modules an extension folder provides: its Python files, what
    it compiles (the .so files built in it, and its .pyx sources), and a Rust
    crate's module (maturin installs it under the folder's name)."""
    names = {p.stem for p in folder.glob("*.py") if p.stem != "setup"}
    names |= {p.stem for p in folder.glob("*.pyx")}
    names |= {p.name.split(".")[0] for p in folder.glob("*.so")}
    if (folder / "Cargo.toml").exists():
        names.add(folder.name)
    return names


def test_no_extension_imports_another_ones_module():
    """Each extension folder stands alone: its Python files (tests and bench
    included) import no module another folder provides. The one exception is a
    C module's twin (NAME_rust, NAME_nanobind): its tests are the C module's, run on both."""
    folders = [f for f in sorted((ROOT / "extensions").iterdir()) if f.is_dir() and f.name != "common"]
    owner = {name: folder.name for folder in folders for name in modules_provided_by(folder)}
    crossings = []
    for folder in folders:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name.split(".")[0] for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module.split(".")[0]]
                else:
                    continue
                for name in names:
                    if owner.get(name, folder.name) not in (folder.name, f"{folder.name}_rust",
                                                            f"{folder.name}_nanobind"):
                        crossings.append(f"{path.relative_to(ROOT)} imports {name} ({owner[name]}'s)")
    assert not crossings, "\n".join(crossings)


def test_c_sources_keep_the_course_layout():
    """tools/format.sh --check: every tracked C and C++ file is as `make format`
    leaves it (.clang-format, with the clang-format requirements.txt pins)."""
    clang_format = pathlib.Path(sys.executable).parent / "clang-format"
    result = subprocess.run(["tools/format.sh", "--check"], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "CLANG_FORMAT": str(clang_format)})
    assert result.returncode == 0, result.stderr[-4000:]


def test_a_warning_stops_an_extensions_build(tmp_path):
    """The warnings policy works, not only is imported: extensions/first built as
    make build builds it (its setup.py, the course's Python) with one unused
    variable added fails, naming it; as it is, it builds."""
    first = ROOT / "extensions/first"
    source = (first / "first.c").read_text()
    anchor = "    Py_ssize_t steps = 0;\n"
    assert source.count(anchor) == 1
    results = {}
    for name, text in (("as it is", source), ("one unused variable", source.replace(anchor, anchor + "    int unused = 0;\n"))):
        folder = tmp_path / name.replace(" ", "_")
        folder.mkdir()
        (folder / "first.c").write_text(text)
        (folder / "setup.py").write_text((first / "setup.py").read_text())
        results[name] = subprocess.run([sys.executable, "setup.py", "--quiet", "build_ext", "--inplace"],
                                       cwd=folder, capture_output=True, text=True)
    assert results["as it is"].returncode == 0, results["as it is"].stderr[-3000:]
    refused = results["one unused variable"]
    assert refused.returncode != 0
    assert re.search(r"error: unused variable .unused. \[-Werror=unused-variable\]", refused.stderr), refused.stderr[-3000:]


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / "README.md").read_text()
    lines = [l for l in (ROOT / ".ci/run").read_text().splitlines() if l and not l.startswith("#")]
    assert lines[-1] == "make test"


def test_test_distro_rows_replace_their_release_and_keep_the_others():
    spec = importlib.util.spec_from_file_location("record", ROOT / "tools/test-distro-record.py")
    record = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(record)
    readme = (ROOT / "README.md").read_text()
    assert readme.count(record.START) == 1 and readme.count(record.END) == 1
    bookworm = "| Debian GNU/Linux 12 (bookworm) | Python 3.11.2, GCC 12.2.0 | 1 min 00 s | Debian's libs2-dev |"
    trixie = "| Debian GNU/Linux 13 (trixie) | Python 3.13.5, GCC 14.2.0 | 2 min 00 s | S2 built |"
    once = record.readme_with_row(readme, "bookworm", bookworm)
    twice = record.readme_with_row(once, "trixie", trixie)
    again = record.readme_with_row(twice, "trixie", trixie.replace("2 min", "3 min"))
    table = again.split(record.START)[1].split(record.END)[0].strip().splitlines()
    assert table == [*record.HEADER, trixie.replace("2 min", "3 min"), bookworm]
    assert again.split(record.START)[0] == readme.split(record.START)[0]
    assert again.split(record.END)[1] == readme.split(record.END)[1]
