"""Benchmark: Collatz step counts for 1..N in C vs pure Python."""
import first
from first_reference import python_collatz_steps


def run(quick, measure):
    limit = 2_000 if quick else 300_000
    numbers = range(1, limit + 1)

    def python_version():
        return sum(map(python_collatz_steps, numbers))

    def c_version():
        return sum(map(first.collatz_steps, numbers))

    assert c_version() == python_version()
    seconds = {"pure Python": measure(python_version, repeat=1), "C (first)": measure(c_version)}
    return [{"workload": f"collatz_steps for 1..{limit:,}", "baseline": "pure Python",
             "peer": None, "seconds": seconds}]
