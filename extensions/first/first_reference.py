"""The pure-Python version of first.collatz_steps, to check it against and time it against."""


def python_collatz_steps(n):
    steps = 0
    while n != 1:
        n = 3 * n + 1 if n % 2 else n // 2
        steps += 1
    return steps
