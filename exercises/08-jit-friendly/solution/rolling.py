"""rolling.py -- exercise 08-jit-friendly: a rolling mean of sensor readings,
written so that PyPy's JIT keeps every float unboxed."""
import math


def rolling_mean(values, width):
    """For each i, the mean of the readings among values[i - width + 1 : i + 1]
    (a NaN is a missing reading, left out; a window without one gives NaN). A
    list of floats as long as values."""
    if width < 1:
        raise ValueError(f"width must be at least 1, not {width}")
    count_of_values = len(values)
    means = [0.0] * count_of_values         # floats from the start: PyPy's FloatListStrategy
    for i in range(count_of_values):
        total = 0.0                         # a float from the start: the JIT need not guard an int
        count = 0
        for j in range(max(0, i - width + 1), i + 1):
            value = values[j]
            if value == value:              # NaN != NaN: a missing reading
                total += value              # left to right, as sum() adds: the same result
                count += 1
        means[i] = total / count if count else math.nan
    return means
