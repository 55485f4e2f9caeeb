# cython: language_level=3
"""Exercise 07-extension-type: running statistics, one value at a time
(Welford's method: no list of values is kept)."""


cdef class RunningStats:
    """Count, mean and sample variance of the numbers added so far."""

    cdef readonly Py_ssize_t count
    cdef double _mean
    cdef double _m2             # the sum of squared distances from the mean

    def __init__(self, values=()):
        self.count = 0
        self._mean = 0.0
        self._m2 = 0.0
        for value in values:
            self.add(value)

    cpdef add(self, double value):
        self.count += 1
        cdef double delta = value - self._mean
        self._mean += delta / self.count
        self._m2 += delta * (value - self._mean)

    @property
    def mean(self):
        if self.count == 0:
            raise ValueError("the mean of no values")
        return self._mean

    @property
    def variance(self):
        if self.count < 2:
            raise ValueError("the sample variance needs at least two values")
        return self._m2 / (self.count - 1)

    def __len__(self):
        return self.count

    def __repr__(self):
        return f"RunningStats(count={self.count})"
