"""Exercise 09-ctypes-callback: a Python function called back from C."""
import ctypes

from library import load

lib = load("libintegrate.so")

# double (*f)(double): the C type of the callback.
FUNCTION = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)
lib.integrate.argtypes = [FUNCTION, ctypes.c_double, ctypes.c_double, ctypes.c_int]
lib.integrate.restype = ctypes.c_double


def integrate(f, a, b, n=1000):
    """The integral of f (a Python function of one float) from a to b, by the
    midpoint rule with n intervals, computed by libintegrate.so's integrate()."""
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    failure = None

    def call(x):
        # ctypes cannot raise through C: an exception here would be printed and
        # the call would return 0. Keep the first one, raise it after the C call.
        nonlocal failure
        if failure is not None:
            return 0.0
        try:
            return float(f(x))
        except BaseException as error:      # KeyboardInterrupt too: it is the caller's
            failure = error
            return 0.0

    # The CFUNCTYPE object must outlive the C call: `callback` holds it until then.
    callback = FUNCTION(call)
    result = lib.integrate(callback, a, b, n)
    if failure is not None:
        raise failure
    return result
