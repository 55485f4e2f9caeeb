"""The references for lesson 09's C code, with no C in them: one diffusion step
in pure Python (lists of lists) and in NumPy, and the lecture's starting grid.
Lesson 08 runs them under PyPy as well as CPython."""
import numpy as np

from diffusion_python import python_evolve  # noqa: F401 (re-exported for diffusion_ffi)


# [region: numpy]
def numpy_evolve(grid, out, D, dt):
    """Slicing: each arithmetic operation makes a new temporary array."""
    laplacian = (grid[2:, 1:-1] + grid[:-2, 1:-1] + grid[1:-1, 2:] + grid[1:-1, :-2]
                 - 4 * grid[1:-1, 1:-1])
    out[...] = grid                       # the border stays fixed
    out[1:-1, 1:-1] = grid[1:-1, 1:-1] + D * dt * laplacian


def numpy_evolve_inplace(grid, out, D, dt, work=None):
    """The same arithmetic in the same order, every result written into `work`
    or `out` (out=): no temporary arrays. Pass `work` (shape of the interior)
    to reuse it from step to step."""
    if work is None:
        work = np.empty((grid.shape[0] - 2, grid.shape[1] - 2))
    np.add(grid[2:, 1:-1], grid[:-2, 1:-1], out=work)
    np.add(work, grid[1:-1, 2:], out=work)
    np.add(work, grid[1:-1, :-2], out=work)
    inner = out[1:-1, 1:-1]
    np.multiply(grid[1:-1, 1:-1], 4, out=inner)
    np.subtract(work, inner, out=work)
    np.multiply(work, D * dt, out=work)
    out[0], out[-1], out[:, 0], out[:, -1] = grid[0], grid[-1], grid[:, 0], grid[:, -1]
    np.add(grid[1:-1, 1:-1], work, out=inner)
# [end: numpy]


def initial_grid(shape=(512, 512)):
    """The lecture's start: zero, with a block of 0.005 from 40% to 50% of each side."""
    grid = np.zeros(shape)
    low, high = int(shape[0] * 0.4), int(shape[0] * 0.5)
    grid[low:high, low:high] = 0.005
    return grid
