"""Small helpers shared by the lesson notebooks.

Timings are printed in one format, "<label>: 12.3 ms", and ratios as "4.2x";
tests/nbval-sanitize.cfg masks exactly these, so every other output of a
notebook is compared exactly by `make test`.
"""
import pathlib
import re
import time

from IPython.display import Code

ROOT = pathlib.Path(__file__).resolve().parent.parent


def show_source(path, region=None, language=None):
    """Display a file of the repository, or the part of it between the lines
    `[region: NAME]` and `[end: NAME]`: the code shown is the code built."""
    text = (ROOT / path).read_text()
    if region is not None:
        match = re.search(rf"^.*\[region: {re.escape(region)}\].*\n(.*?)^.*\[end: {re.escape(region)}\]",
                          text, re.S | re.M)
        if match is None:
            raise ValueError(f"no region {region!r} in {path}")
        text = match.group(1)
    if language is None:
        language = {".c": "c", ".h": "c", ".py": "python", ".cpp": "cpp", ".hpp": "cpp"}.get(pathlib.Path(path).suffix, "text")
    return Code(text.rstrip("\n"), language=language)


def best_time(fn, repeat=3):
    """The best of `repeat` calls of fn(), in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def format_time(seconds):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def report(label, seconds):
    print(f"{label}: {format_time(seconds)}")
