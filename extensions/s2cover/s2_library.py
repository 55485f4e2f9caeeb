"""Where the S2 library is, for everything that compiles against it.

Debian 12 packages S2 (libs2-dev: headers in /usr/include/s2, libs2.so in the
compiler's default path), so `-ls2` is all a build needs. Debian 13 has no S2
package; there `make setup` builds the same S2 release from Debian's source into
build/s2 (tools/build-s2.sh), and a build needs its include and library folders,
plus an rpath so the module finds libs2.so when it is imported.
"""
import os
import pathlib
import subprocess

BUILT_HERE = pathlib.Path(__file__).resolve().parents[2] / "build" / "s2"
DEBIAN_HEADER = pathlib.Path("/usr/include/s2/s2cell_id.h")


def built_here():
    """True when the course uses the S2 that make setup built into build/s2: only
    where the system has none (the Makefile decides the same way)."""
    return not DEBIAN_HEADER.is_file() and (BUILT_HERE / ".complete").is_file()


def _from_conda():
    prefix = os.environ.get("CONDA_PREFIX")
    return bool(prefix) and pathlib.Path(prefix, "include", "s2", "s2cell_id.h").is_file()


def include_args():
    """Compiler arguments for S2's headers. -isystem, as /usr/include would be: S2's
    headers then do not trip our -Wextra -Werror (an unused parameter in its logging)."""
    return ["-isystem", str(BUILT_HERE / "include")] if built_here() else []


def library_dirs():
    return [str(BUILT_HERE / "lib")] if built_here() else []


def compiler_args():
    """What g++ needs to compile and link a program against S2."""
    args = include_args()
    for d in library_dirs():
        args += [f"-L{d}", f"-Wl,-rpath,{d}"]
    return args + ["-ls2"]


def version():
    """The S2 release the course's modules link, e.g. '0.10.0' (Debian's s2geometry source)."""
    if built_here():
        label = (BUILT_HERE / ".complete").read_text()
    else:
        try:
            label = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libs2-dev"],
                                   capture_output=True, text=True).stdout
        except FileNotFoundError:   # not Debian: conda's s2geometry, say
            label = ""
    return label.split("-")[0] or "unknown"


def origin():
    """Where that S2 came from, in words."""
    if built_here():
        return f"built from Debian's source package into {BUILT_HERE}"
    if DEBIAN_HEADER.is_file():
        return "Debian's package libs2-dev"
    return "conda's s2geometry" if _from_conda() else "not found"
