"""Benchmark: what one call costs through each binding -- add(a, b), a million
calls each, in one run (the seconds column is nanoseconds per call x 1e-3)."""
import timeit

import callcost_rust
from callcost_variants import VARIANTS


def run(quick, measure):
    calls = 10_000 if quick else 1_000_000
    # PyO3 is added here, not in VARIANTS: lesson 09's stored outputs list that dict.
    variants = {**VARIANTS, "PyO3": callcost_rust.add}
    for name, add in variants.items():
        assert add(40, 2) == 42, name
    seconds = {}
    for name, add in variants.items():
        # timeit runs the loop in compiled code, so the loop adds little to each call.
        timer = timeit.Timer("add(40, 2)", globals={"add": add})
        seconds[name] = measure(lambda: timer.timeit(calls))
    return [{"workload": f"add(40, 2), {calls:,} calls", "items": calls,
             "baseline": "pure Python", "peer": "C API, METH_FASTCALL", "seconds": seconds}]
