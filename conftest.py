"""Test settings for the whole repository: nbval made strict about what a
student sees, and Hypothesis' profiles.

nbval compares a cell's fresh outputs with its stored ones, so a blank output
stored and re-run blank passes. Here every notebook cell that nbval runs must
also have stored outputs that show something: no empty stream, no display or
result whose text or HTML is blank (a code listing that lost its code). The
check runs after the cell, so the kernel's state stays the same for the
cells that follow.
"""
import dataclasses
import html
import os
import pathlib
import re
import subprocess
import sys
import tracemalloc

import pytest
from hypothesis import settings

# Hypothesis runs the same examples every time under make test ("course": a
# deterministic slice, nothing stored between runs); make fuzz selects "fuzz":
# random examples, many of them, for as long as its time budget allows.
settings.register_profile("course", derandomize=True, database=None, deadline=None)
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 1000)),
                          deadline=None, database=None)
# tools/memcheck.sh (make memcheck, and the lessons that show it) selects
# "memcheck": 20 fixed examples per test instead of 100. Under AddressSanitizer
# every call is several times slower; the 100 run in make test without it, and
# make fuzz runs a thousand.
settings.register_profile("memcheck", derandomize=True, database=None, deadline=None,
                          max_examples=20)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "course"))


# ---- Shared by every extension's test suite --------------------------------

# tools/memcheck.sh runs the suites with AddressSanitizer preloaded.
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


@dataclasses.dataclass
class Growth:
    traced: int             # bytes Python allocated during the run and still holds (tracemalloc)
    resident: "int | None"  # growth of the process' resident memory, C and C++ buffers included;
    # None under AddressSanitizer, whose quarantine keeps freed memory resident on purpose
    # (LeakSanitizer judges C memory there)


def _resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_growth(work, warm_up=None):
    """Run warm_up() (default: work()) first, since what a first call allocates
    once (a cache, an interned string) is no leak; then work() once more,
    measured. Returns a Growth."""
    (warm_up or work)()
    resident_before = _resident_bytes()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        work()
        traced = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return Growth(traced, None if UNDER_ASAN else _resident_bytes() - resident_before)


@pytest.fixture
def memory_growth():
    """measure_growth(work, warm_up=None) -> Growth: what repeated calls keep.
    Each suite states its own bound: what one round may leave depends on the calls."""
    return measure_growth


def blank_outputs(cell):
    """Descriptions of the cell's stored outputs that show nothing."""
    blank = []
    for output in cell.get("outputs", []):
        kind = output["output_type"]
        if kind == "stream":
            if not "".join(output["text"]).strip():
                blank.append(f"an empty {output['name']} stream")
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            plain = data.get("text/plain")
            if plain is not None and not "".join(plain).strip():
                blank.append(f"an output ({kind}) whose text/plain is empty")
            page = data.get("text/html")
            if page is not None:
                page = re.sub(r"(?s)<style.*?</style>", "", "".join(page))
                if not html.unescape(re.sub(r"<[^>]+>", "", page)).strip():
                    blank.append(f"an output ({kind}) whose HTML shows no text (an empty code listing?)")
    return blank


def pytest_collection_modifyitems(items):
    for item in items:
        if type(item).__name__ == "IPyNbCell":
            item.runtest = _checked(item, item.runtest)


def _checked(item, runtest):
    def run():
        runtest()
        blank = blank_outputs(item.cell)
        if blank:
            item.raise_cell_error("Stored output shows nothing", "; ".join(blank))
    return run


@pytest.fixture
def fuzz_replay():
    """Replays a fuzz harness's fixed slice (tools/fuzz.py replay) in a child
    process, so that a crash or a hang fails this one test with its input named."""
    def replay(harness):
        tool = pathlib.Path(__file__).resolve().parent / "tools" / "fuzz.py"
        result = subprocess.run([sys.executable, str(tool), "replay", str(harness)],
                                capture_output=True, text=True, errors="replace", timeout=600)
        lines = result.stdout.splitlines()
        # Under make memcheck a memory error may end the child with exit code 0
        # (LSAN_OPTIONS=exitcode=0): the last line tells whether it finished.
        if result.returncode != 0 or not lines or not lines[-1].startswith("replayed "):
            last = "\n".join(lines[-5:])
            pytest.fail(f"replay exited with {result.returncode}\n{last}\n{result.stderr[-3000:]}",
                        pytrace=False)
        return lines[-1]
    return replay


CTRL_C_CHILD = """\
import os, signal, subprocess, time
# Python leaves SIGINT ignored if it started so (a background job of a shell):
# Ctrl-C raises KeyboardInterrupt here however the tests were started.
signal.signal(signal.SIGINT, signal.default_int_handler)
{setup}
started = time.monotonic()
# Another process presses Ctrl-C: a thread of this one could not, while a call
# that keeps the GIL runs.
presser = subprocess.Popen(["sh", "-c", f"sleep {after}; kill -INT {{os.getpid()}}"])
try:
    {call}
    print("finished", time.monotonic() - started)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
except KeyboardInterrupt:
    print("KeyboardInterrupt", time.monotonic() - started - {after})
presser.wait()
{then}
"""


@pytest.fixture
def ctrl_c():
    """Presses Ctrl-C during a call: runs `setup` (statements) in a fresh
    interpreter, then the one-line statement `call`, and sends the process
    SIGINT `after` seconds into it. Returns ("KeyboardInterrupt", seconds from
    the signal to the exception) or ("finished", seconds the call took), and the
    lines printed by `then` (statements run afterwards). A crash fails the test."""
    def press(setup, call, after=0.3, then=""):
        program = CTRL_C_CHILD.format(setup=setup, call=call, after=after, then=then)
        result = subprocess.run([sys.executable, "-c", program], capture_output=True,
                                text=True, errors="replace", timeout=300)
        if result.returncode != 0 or not result.stdout:
            pytest.fail(f"the child exited with {result.returncode}\n{result.stderr[-3000:]}",
                        pytrace=False)
        first, *rest = result.stdout.splitlines()
        what, seconds = first.split()
        return (what, float(seconds)), rest
    return press
