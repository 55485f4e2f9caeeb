"""One diffusion step in pure Python, on lists of lists of floats, and the
lecture's starting grid as lists: no imports at all, so any Python runs it
(lesson 08 runs it under PyPy)."""


def python_evolve(grid, out, D, dt):
    """grid and out are lists of lists of floats."""
    nx, ny = len(grid), len(grid[0])
    out[0][:] = grid[0]
    out[nx - 1][:] = grid[nx - 1]
    for i in range(1, nx - 1):
        up, row, down, target = grid[i - 1], grid[i], grid[i + 1], out[i]
        target[0], target[ny - 1] = row[0], row[ny - 1]
        for j in range(1, ny - 1):
            laplacian = down[j] + up[j] + row[j + 1] + row[j - 1] - 4 * row[j]
            target[j] = row[j] + D * dt * laplacian


def python_initial_grid(shape=(512, 512)):
    """The lecture's start (as diffusion_reference.initial_grid): zero, with a block
    of 0.005 from 40% to 50% of each side."""
    rows, columns = shape
    low, high = int(rows * 0.4), int(rows * 0.5)
    return [[0.005 if low <= i < high and low <= j < high else 0.0 for j in range(columns)]
            for i in range(rows)]
