"""Instructions counted, not timed: run Python code under valgrind's callgrind
and report how many machine instructions each foreign call executed.

A clock says how long a kernel took on this machine, today, beside whatever
else ran; callgrind says how much work it did, the same count on every run
(it executes the program on a simulated CPU, some 50 times slower, counting
each instruction). Time divided by instructions then tells a kernel that waits
on memory (few instructions, much time) from one that is busy computing.

Only the instructions executed inside one C function are counted, each call
apart: by default `ffi_call`, libffi's one function through which ctypes (and
cffi's ABI mode) call into C, so each count is one call's C work, with nothing
of Python's around it. (Callgrind follows one function per run, named exactly
as the symbol table spells it.)
Lesson 09 and `make bench INSTRUCTIONS=1` use it.
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile


class CallgrindError(RuntimeError):
    """valgrind is missing, or the counted program failed."""


# [region: count]
def instructions_per_call(script, function="ffi_call"):
    """Run `script` in a new Python under callgrind; return the instructions
    executed inside each call of the C function `function`, in call order."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise CallgrindError("valgrind is not installed: `make setup` installs it "
                             "(Debian/Ubuntu package valgrind)")
    with tempfile.TemporaryDirectory() as folder:
        out = pathlib.Path(folder) / "callgrind.out"
        command = [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}",
                   "--collect-atstart=no",          # count nothing ...
                   f"--toggle-collect={function}",  # ... but what runs inside `function`,
                   f"--dump-after={function}",      # and write one file per call
                   sys.executable, "-c", script]
        # LD_BIND_NOW: the C library's functions are linked before the first call, so
        # a first call does not count the dynamic linker's work; a fixed hash seed
        # makes Python's own work the same on every run.
        environment = {**os.environ, "LD_BIND_NOW": "1", "PYTHONHASHSEED": "0"}
        run = subprocess.run(command, capture_output=True, text=True, env=environment)
        if run.returncode != 0:
            raise CallgrindError(f"the counted program failed (exit {run.returncode}):\n"
                                 + "\n".join(run.stderr.splitlines()[-15:]))
        parts = sorted(out.parent.glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
        return [int(re.search(r"^totals: (\d+)", part.read_text(), re.M).group(1))
                for part in parts]
# [end: count]
