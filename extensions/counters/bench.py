"""Benchmark: get_counters in C (one table, and partitioned) and in Rust vs NumPy
vs pure Python, on the same plain file."""
import pathlib
import tempfile

import numpy as np

import counters
import counters_rust
import counters_reference as ref


def run(quick, measure):
    n = 100_000 if quick else 10_000_000
    distinct = n // 10          # ten records per id on average
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "records.bin"
        ref.write_records(path, ref.make_records(n, distinct, seed=1))

        def numpy_version():
            return ref.numpy_counters(np.fromfile(path, dtype=ref.record_dtype()), "banner", 1)

        def python_version():
            return ref.python_counters(path.read_bytes(), "banner", 1)

        def c_version():
            return counters.get_counters(path, "banner", 1)

        def c_partitioned():
            return counters.get_counters(path, "banner", 1, partitioned=True)

        def rust_version():
            return counters_rust.get_counters(path, "banner", 1)

        expected = numpy_version()
        assert python_version() == expected
        assert c_version() == expected
        assert c_partitioned() == expected
        assert rust_version() == expected
        seconds = {
            "pure Python": measure(python_version, repeat=1),
            "NumPy (np.unique)": measure(numpy_version),
            "C (counters)": measure(c_version),
            "C, partitioned (lesson 01's next step)": measure(c_partitioned),
            "Rust (PyO3)": measure(rust_version),
            # The limit: every variant reads the whole file; reading it, alone.
            "read the file alone (np.fromfile)": measure(lambda: np.fromfile(path, dtype=np.uint8)),
        }
    return [{"workload": f"counters: {n:,} records, {distinct:,} ids",
             "baseline": "pure Python", "peer": "NumPy (np.unique)",
             "limit": "read the file alone (np.fromfile)", "seconds": seconds}]
