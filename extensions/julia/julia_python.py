"""Rung 0: the Julia set in pure Python, and the grid every rung is given.

The grid and the constants follow the lecture (and High Performance Python):
1000 x 1000 points over [-1.8, 1.8]^2, c = -0.62772 - 0.42193j, 300 iterations;
the sum of all iteration counts, 33219980, validates every variant.
"""
X1, X2, Y1, Y2 = -1.8, 1.8, -1.8, 1.8
C = complex(-0.62772, -0.42193)
WIDTH = 1000
MAXITER = 300
VALIDATION_SUM = 33219980


def grid(width=WIDTH):
    """The starting points z (row by row, top row first) and the constant c for each.

    The coordinates are built by repeatedly adding a step, as the lecture did: the
    rounding of those additions is part of what the validation sum checks.
    """
    x_step = (X2 - X1) / width
    y_step = (Y1 - Y2) / width
    xs, ys = [], []
    y = Y2
    while y > Y1:
        ys.append(y)
        y += y_step
    x = X1
    while x < X2:
        xs.append(x)
        x += x_step
    zs = [complex(x, y) for y in ys for x in xs]
    return zs, [C] * len(zs)


def calculate_z(maxiter, zs, cs):
    """For each point, how many iterations of z = z*z + c keep |z| < 2 (at most maxiter)."""
    output = [0] * len(zs)
    for i in range(len(zs)):
        n = 0
        z = zs[i]
        c = cs[i]
        while abs(z) < 2 and n < maxiter:
            z = z * z + c
            n += 1
        output[i] = n
    return output
