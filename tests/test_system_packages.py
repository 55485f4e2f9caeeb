"""tools/system-packages.sh against a made-up release: which packages exist and which
are installed come from stand-in `dpkg-query` and `apt-cache` scripts, so every
branch runs here whatever this machine has (and nothing is installed)."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "system-packages.sh"

LIST = """\
# --- every lesson: a compiler ---
build-essential

# --- lesson 6: S2 ---
libs2-dev else cmake libabsl-dev
nlohmann-json3-dev

# --- lesson 8: PyPy ---
pypy3 optional
"""


def run(tmp_path, *, installed, available, with_lists=True):
    """The script as not-root on a release with `available` packages, `installed` of them installed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "dpkg-query").write_text(
        '#!/bin/sh\nfor p in $INSTALLED; do [ "$p" = "$3" ] && { printf installed; exit 0; }; done\nexit 1\n')
    (bin_dir / "apt-cache").write_text(
        '#!/bin/sh\necho "$2:"\nfor p in $AVAILABLE; do [ "$p" = "$2" ] && { echo "  Candidate: 1.0-1"; exit 0; }; done\n'
        'echo "  Candidate: (none)"\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    lists = tmp_path / "lists"
    lists.mkdir(exist_ok=True)
    if with_lists:
        (lists / "deb.debian.org_debian_dists_trixie_main_binary-amd64_Packages").touch()
    (tmp_path / "packages.txt").write_text(LIST)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "APT_LISTS": str(lists),
           "SYSTEM_PACKAGES_AS_USER": "1", "INSTALLED": " ".join(installed), "AVAILABLE": " ".join(available)}
    return subprocess.run(["bash", str(SCRIPT), str(tmp_path / "packages.txt")],
                          capture_output=True, text=True, env=env)


EVERYTHING = ["build-essential", "libs2-dev", "cmake", "libabsl-dev", "nlohmann-json3-dev", "pypy3"]


def test_nothing_to_do_when_everything_is_installed(tmp_path):
    done = run(tmp_path, installed=EVERYTHING, available=EVERYTHING)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_missing_packages_give_the_exact_install_line(tmp_path):
    done = run(tmp_path, installed=["build-essential"], available=EVERYTHING)
    assert done.returncode == 1
    assert "sudo apt-get update && sudo apt-get install -y libs2-dev nlohmann-json3-dev pypy3\n" in done.stderr


def test_a_release_without_the_package_gets_its_else_packages(tmp_path):
    release = [p for p in EVERYTHING if p != "libs2-dev"]
    done = run(tmp_path, installed=["build-essential", "nlohmann-json3-dev", "pypy3"], available=release)
    assert done.returncode == 1
    assert "libs2-dev: not on" in done.stdout and "installing cmake libabsl-dev instead (lesson 6: S2)" in done.stdout
    assert "sudo apt-get install -y cmake libabsl-dev\n" in done.stderr


def test_else_packages_installed_count_as_done(tmp_path):
    release = [p for p in EVERYTHING if p != "libs2-dev"]
    installed = [p for p in EVERYTHING if p != "libs2-dev"]
    done = run(tmp_path, installed=installed, available=release)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_an_optional_package_the_release_lacks_is_only_noted(tmp_path):
    release = [p for p in EVERYTHING if p != "pypy3"]
    done = run(tmp_path, installed=["build-essential"], available=release)
    assert done.returncode == 1
    assert "pypy3: not on" in done.stdout and "optional, the course runs without it (lesson 8: PyPy)" in done.stdout
    assert "sudo apt-get install -y libs2-dev nlohmann-json3-dev\n" in done.stderr
    # once everything else is in, the optional one alone is no reason to call apt again
    done = run(tmp_path, installed=[p for p in EVERYTHING if p != "pypy3"], available=release)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.parametrize("lacking", ["nlohmann-json3-dev", "build-essential"])
def test_a_needed_package_the_release_lacks_is_named_with_its_lesson(tmp_path, lacking):
    release = [p for p in EVERYTHING if p != lacking]
    done = run(tmp_path, installed=[], available=release)
    assert done.returncode == 1
    section = {"nlohmann-json3-dev": "lesson 6: S2", "build-essential": "every lesson: a compiler"}[lacking]
    assert f"  {lacking} (needed by {section})\n" in done.stderr
    # the others are still offered for installation
    assert "sudo apt-get install -y" in done.stderr and "pypy3" in done.stderr
    assert f"install -y {lacking}" not in done.stderr and f" {lacking} " not in done.stderr.split("install -y")[1]


def test_without_package_lists_the_user_is_asked_to_update_first(tmp_path):
    # a fresh image: apt knows nothing yet, so an install line might name a package
    # the release lacks (libs2-dev on Debian 13)
    done = run(tmp_path, installed=["build-essential"], available=EVERYTHING, with_lists=False)
    assert done.returncode == 1
    assert "Run 'sudo apt-get update', then make again." in done.stderr and "install -y" not in done.stderr


def test_missing_optional_packages_alone_do_not_stop_make(tmp_path):
    done = run(tmp_path, installed=[p for p in EVERYTHING if p != "pypy3"], available=EVERYTHING)
    assert done.returncode == 0
    assert done.stdout == "system-packages: optional, not installed: pypy3 (sudo apt-get install -y pypy3)\n"
