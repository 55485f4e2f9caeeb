"""Benchmark: targets_negative in C vs NumPy (np.isin) vs a Python set, file to file."""
import pathlib
import tempfile

import numpy as np

import targets
import targets_reference as ref


def run(quick, measure):
    n = 100_000 if quick else 10_000_000
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        all_path = ref.write_keys(folder / "all", ref.make_keys(n, seed=1))
        in_path = ref.write_keys(folder / "in", ref.make_keys(n // 2, seed=2))
        out_path = folder / "out"

        # Every variant reads both files and writes the output, as the C one does.
        def numpy_version():
            result = ref.numpy_negative(ref.read_keys(all_path), ref.read_keys(in_path))
            ref.write_keys(out_path, result)
            return len(result)

        def python_version():
            result = ref.python_negative(ref.read_keys(all_path).tolist(),
                                         ref.read_keys(in_path).tolist())
            ref.write_keys(out_path, result)
            return len(result)

        def c_version():
            return targets.targets_negative(all_path, in_path, out_path)

        expected = numpy_version()
        expected_bytes = out_path.read_bytes()
        for variant in (python_version, c_version):
            assert variant() == expected and out_path.read_bytes() == expected_bytes
        seconds = {
            "Python set": measure(python_version, repeat=1),
            "NumPy (np.isin)": measure(numpy_version),
            "C (targets)": measure(c_version),
        }
    return [{"workload": f"targets_negative: {n:,} keys minus {n // 2:,}",
             "baseline": "Python set", "peer": "NumPy (np.isin)", "seconds": seconds,
             "items": n}]
