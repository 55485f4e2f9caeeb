"""Reference: the Julia set vectorised with NumPy, what a NumPy user would try first.

All points advance one iteration per step; points that escape are dropped from
the working arrays, so late steps only touch the few points still inside.
"""
import numpy as np


def calculate_z(maxiter, zs, cs):
    if maxiter < 0:
        raise ValueError(f"maxiter must be >= 0, not {maxiter}")
    if len(zs) != len(cs):
        raise ValueError(f"zs and cs must have the same length, not {len(zs)} and {len(cs)}")
    output = np.zeros(len(zs), dtype=np.intc)
    index = np.arange(len(zs))
    z, c = np.array(zs, dtype=complex), np.array(cs, dtype=complex)
    for _ in range(maxiter):
        inside = z.real * z.real + z.imag * z.imag < 4
        index, z, c = index[inside], z[inside], c[inside]
        if len(index) == 0:
            break
        output[index] += 1
        z = z * z + c
    return output
