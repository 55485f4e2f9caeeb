# Argument checks shared by the array rungs. An inline function in a .pxd is compiled
# into each module that cimports it (no _checks module exists at run time). setup.py's
# build finds this file next to the .pyx files; a %%cython cell, compiled elsewhere, finds
# it on sys.path, where make setup puts this folder.
cdef inline int check_arguments(int maxiter, Py_ssize_t n_zs, Py_ssize_t n_cs) except -1:
    if maxiter < 0:
        raise ValueError(f"maxiter must be >= 0, not {maxiter}")
    if n_zs != n_cs:
        raise ValueError(f"zs and cs must have the same length, not {n_zs} and {n_cs}")
    return 0
