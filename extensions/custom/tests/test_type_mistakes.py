"""The wrong examples do go wrong, in the way lessons 02 and 03 say (crashes in a subprocess)."""
import os
import signal
import tracemalloc

import type_mistakes


def without_the_memory_checker():
    """This environment without the memory checker's preloaded runtime (make
    memcheck): the crashes below are the plain interpreter's."""
    return {k: v for k, v in os.environ.items()
            if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "LSAN_OPTIONS", "PYTHONMALLOC", "PYTHONPATH")}


def test_leaky_instances_are_never_freed():
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(1000):
        type_mistakes.Leaky()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown >= 1000 * 200, grown          # at least the payload of each object


def test_unready_type_crashes_when_its_object_is_freed(python_child):
    # tp_dealloc was never inherited from object: freeing calls a NULL pointer.
    finished = python_child("import type_mistakes; type_mistakes.unready()",
                            env=without_the_memory_checker(), timeout=60)
    assert finished.signal == signal.SIGSEGV, finished.report


def test_list_without_gil_crashes(python_child):
    # Without the GIL there is no current thread state, and the list allocator
    # (its free list lives in the interpreter's state) is reached through it.
    finished = python_child("import type_mistakes; type_mistakes.list_without_gil()",
                            options=["-X", "dev"], env=without_the_memory_checker(), timeout=60)
    assert finished.signal is not None, finished.report
    assert "Fatal Python error" in finished.stderr, finished.report
