# Argument checks shared by the array rungs. An inline function in a .pxd is compiled
# into each module that cimports it (no _checks module exists at run time). Cython
# finds a cimported .pxd on sys.path too, so a %%cython cell finds it as setup.py does.
cdef inline int check_arguments(int maxiter, Py_ssize_t n_zs, Py_ssize_t n_cs) except -1:
    if maxiter < 0:
        raise ValueError(f"maxiter must be >= 0, not {maxiter}")
    if n_zs != n_cs:
        raise ValueError(f"zs and cs must have the same length, not {n_zs} and {n_cs}")
    return 0
