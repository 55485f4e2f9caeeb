"""Benchmark: what one call costs through each binding -- add(a, b), a million
calls each, in one run (the seconds column is nanoseconds per call x 1e-3)."""
import timeit

from callcost_variants import VARIANTS


def run(quick, measure):
    calls = 10_000 if quick else 1_000_000
    for name, add in VARIANTS.items():
        assert add(40, 2) == 42, name
    seconds = {}
    for name, add in VARIANTS.items():
        # timeit runs the loop in compiled code, so the loop adds little to each call.
        timer = timeit.Timer("add(40, 2)", globals={"add": add})
        seconds[name] = measure(lambda: timer.timeit(calls))
    return [{"workload": f"add(40, 2), {calls:,} calls", "items": calls,
             "baseline": "pure Python", "peer": "C API, METH_FASTCALL", "seconds": seconds}]
