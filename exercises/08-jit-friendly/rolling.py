"""rolling.py -- exercise 08-jit-friendly: a rolling mean of sensor readings.

Correct under CPython and PyPy, and written the way PyPy's JIT likes least:
README.md says why, and what to change."""


def rolling_mean(values, width):
    """For each i, the mean of the readings among values[i - width + 1 : i + 1]
    (a NaN is a missing reading, left out). A list as long as values."""
    if width < 1:
        raise ValueError(f"width must be at least 1, not {width}")
    means = []
    for i in range(len(values)):
        window = [v for v in values[max(0, i - width + 1):i + 1] if v == v]   # NaN != NaN
        means.append(sum(window) / len(window) if window else None)
    return means
