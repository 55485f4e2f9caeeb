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
import gc
import html
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time
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


def measure_growth(work, warm_up=None, rounds=2):
    """Run warm_up() (default: work()) first, since what a first call allocates
    once (a cache, an interned string) is no leak; then work() `rounds` times,
    each measured, and return the least Growth of them: a leak shows in every
    round, a one-off growth of the interpreter's own tables (its dict of
    interned strings doubling) in one only."""
    (warm_up or work)()

    def one_round(work):
        gc.collect()            # what earlier work left for the collector is not this round's
        resident_before = _resident_bytes()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            work()
            gc.collect()        # nor is a cycle this round made and the collector frees
            traced = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        return Growth(traced, None if UNDER_ASAN else _resident_bytes() - resident_before)

    # What a round of no work leaves is the measurement's, not the work's: nothing
    # with a GIL; on a free-threaded build a few KB of the interpreter's own, every
    # round (4.7 KB seen on 3.14t).
    empty = min(one_round(lambda: None).traced for _ in range(rounds))
    growths = [one_round(work) for _ in range(rounds)]
    return Growth(min(g.traced for g in growths) - empty,
                  None if UNDER_ASAN else min(g.resident for g in growths))


@pytest.fixture
def memory_growth():
    """measure_growth(work, warm_up=None) -> Growth: what repeated calls keep.
    Each suite states its own bound: what one round may leave depends on the calls."""
    return measure_growth


@dataclasses.dataclass
class Overlap:
    seconds: float          # how long the call took
    share: float            # the part of the call during which the other thread ran: first to last pass inside it
    longest_gap: float      # the longest stretch inside the call in which the other thread did not run


def call_beside_a_python_thread(call):
    """Call call() while another thread runs a Python loop that notes the time
    at each pass: a call that releases the GIL lets it run throughout; one that
    holds it stops it (after the first switch interval, 5 ms) until it returns."""
    done, window, seen = threading.Event(), {}, {"first": None, "last": None, "gap": 0.0}

    def passes():
        previous = None
        while not done.is_set():
            now = time.perf_counter()
            start, end = window.get("start"), window.get("end")
            if start is not None and now >= start and (end is None or now <= end):
                if seen["first"] is None:
                    seen["first"] = now
                seen["gap"] = max(seen["gap"], now - max(previous or start, start))
                seen["last"] = now
            previous = now

    other = threading.Thread(target=passes)
    other.start()
    time.sleep(0.05)                # the loop is running before the call starts
    window["start"] = time.perf_counter()
    try:
        call()
    finally:
        window["end"] = end = time.perf_counter()
        done.set()
        other.join()
    start, first, last = window["start"], seen["first"], seen["last"]
    if first is None:
        return Overlap(end - start, 0.0, end - start)
    return Overlap(end - start, (last - first) / (end - start), max(seen["gap"], end - last))


@pytest.fixture
def python_thread_beside():
    """call_beside_a_python_thread(call) -> Overlap: does another thread run
    while call() runs? (The GIL checks of the suites that release it.)"""
    return call_beside_a_python_thread


@dataclasses.dataclass
class FinishedChild:
    returncode: int         # when a signal killed the child: minus its number (as subprocess gives it)
    stdout: str
    stderr: str

    @property
    def signal(self):
        """The signal that killed the child (a signal.Signals where Python names it), or None."""
        if self.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.returncode)
        except ValueError:      # a real-time signal Python has no name for
            return -self.returncode

    @property
    def ended(self):
        """How the child ended, in words: "exit code 1", "killed by SIGSEGV"."""
        if self.signal is None:
            return f"exit code {self.returncode}"
        return f"killed by {getattr(self.signal, 'name', f'signal {self.signal}')}"

    @property
    def report(self):
        """For an assertion's message: how the child ended and the end of its stderr."""
        if not self.stderr.strip():
            return f"{self.ended}, nothing on stderr"
        return f"{self.ended}; its stderr ends:\n{self.stderr[-3000:]}"


def run_program(command, timeout, env=None, cwd=None):
    """Run command with its output captured as text. A child that is still
    running after `timeout` seconds fails the test: it gets SIGABRT first, on
    which a Python started with -X faulthandler prints where each of its
    threads was (a hang with the GIL released included), then SIGKILL."""
    __tracebackhide__ = True    # a failure is the test's: pytest shows the test's line, not these
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, errors="replace", env=env, cwd=cwd)
    hung = False
    with child:
        try:
            stdout, stderr = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            hung = True
            child.send_signal(signal.SIGABRT)
            try:
                stdout, stderr = child.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                stdout, stderr = child.communicate()
        finally:
            if child.poll() is None:    # pytest was interrupted: leave no child behind
                child.kill()
    finished = FinishedChild(child.returncode, stdout, stderr)
    if hung:
        pytest.fail(f"the child was still running after {timeout} s (a hang?): {finished.report}")
    return finished


def run_python_child(code, *argv, options=(), timeout=120, env=None, cwd=None):
    """Run `code` in a fresh interpreter (python -X faulthandler *options -c code
    *argv), so that a crash, a hang or a deliberate misuse fails one test
    instead of ending pytest. env: the child's whole environment (default:
    this process'). Returns a FinishedChild; a crash prints the Python traceback
    of each thread to its stderr (faulthandler), which .report shows."""
    __tracebackhide__ = True
    return run_program([sys.executable, "-X", "faulthandler", *options, "-c", code, *argv],
                       timeout, env=env, cwd=cwd)


@pytest.fixture
def python_child():
    """run_python_child(code, *argv, options=(), timeout=120, env=None, cwd=None)
    -> FinishedChild: the one way the suites run Python code in a child process."""
    return run_python_child


def coalesced(outputs):
    """The outputs as a page shows them: consecutive parts of one stream joined
    (the kernel may send "Writing x" and its newline apart; nbval joins them too)."""
    joined = []
    for output in outputs:
        if (output["output_type"] == "stream" and joined and joined[-1]["output_type"] == "stream"
                and joined[-1]["name"] == output["name"]):
            joined[-1] = {**joined[-1], "text": "".join(joined[-1]["text"]) + "".join(output["text"])}
        else:
            joined.append(output)
    return joined


def blank_outputs(cell):
    """Descriptions of the cell's stored outputs that show nothing."""
    blank = []
    for output in coalesced(cell.get("outputs", [])):
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
        result = run_program([sys.executable, "-X", "faulthandler", str(tool), "replay", str(harness)],
                             timeout=600)
        lines = result.stdout.splitlines()
        # Under make memcheck a memory error may end the child with exit code 0
        # (LSAN_OPTIONS=exitcode=0): the last line tells whether it finished.
        if result.returncode != 0 or not lines or not lines[-1].startswith("replayed "):
            last = "\n".join(lines[-5:])
            pytest.fail(f"replay: {result.ended}\n{last}\n{result.stderr[-3000:]}", pytrace=False)
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
        result = run_python_child(program, timeout=300)
        if result.returncode != 0 or not result.stdout:
            pytest.fail(f"the child: {result.report}", pytrace=False)
        first, *rest = result.stdout.splitlines()
        what, seconds = first.split()
        return (what, float(seconds)), rest
    return press
