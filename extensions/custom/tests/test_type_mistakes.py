"""The wrong examples do go wrong, in the way lessons 02 and 03 say (crashes in a subprocess)."""
import os
import signal
import subprocess
import sys
import tracemalloc

import type_mistakes


def run_python(code, *options):
    # A clean environment: not the memory checker's preloaded runtime (make memcheck).
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "LSAN_OPTIONS", "PYTHONMALLOC", "PYTHONPATH")}
    return subprocess.run([sys.executable, *options, "-c", code], capture_output=True,
                          text=True, timeout=60, env=env)


def test_leaky_instances_are_never_freed():
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(1000):
        type_mistakes.Leaky()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown >= 1000 * 200, grown          # at least the payload of each object


def test_unready_type_crashes_when_its_object_is_freed():
    # tp_dealloc was never inherited from object: freeing calls a NULL pointer.
    finished = run_python("import type_mistakes; type_mistakes.unready()")
    assert finished.returncode == -signal.SIGSEGV, finished


def test_list_without_gil_crashes():
    # Without the GIL there is no current thread state, and the list allocator
    # (its free list lives in the interpreter's state) is reached through it.
    finished = run_python("import type_mistakes; type_mistakes.list_without_gil()", "-X", "dev")
    assert finished.returncode < 0, finished          # killed by a signal
    assert "Fatal Python error" in finished.stderr
