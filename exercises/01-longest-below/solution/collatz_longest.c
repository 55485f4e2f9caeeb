/* collatz_longest.c -- exercise 01-longest-below: the n below a limit with the
 * longest Collatz sequence. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

/* Steps from n down to 1, or -1 if the sequence leaves the 64-bit range (it
 * does not for any n this exercise can reach in reasonable time). */
static inline Py_ssize_t
collatz_steps(uint64_t n)
{
    Py_ssize_t steps = 0;
    while (n != 1) {
        if (n % 2 == 0) {
            n /= 2;
        }
        else {
            if (n > (UINT64_MAX - 1) / 3)
                return -1;
            n = 3 * n + 1;
        }
        steps++;
    }
    return steps;
}

PyDoc_STRVAR(longest_below_doc,
             "longest_below($module, limit, /)\n"
             "--\n"
             "\n"
             "(n, steps) for the n in 1..limit-1 with the longest Collatz sequence\n"
             "(the smallest such n on a tie).");

static PyObject *
longest_below(PyObject *Py_UNUSED(module), PyObject *arg)
{
    Py_ssize_t limit = PyLong_AsSsize_t(arg);
    if (limit == -1 && PyErr_Occurred())
        return NULL;
    if (limit < 2)
        return PyErr_Format(PyExc_ValueError, "limit must be at least 2, not %zd", limit);

    Py_ssize_t best_n = 1, best_steps = 0;
    for (Py_ssize_t n = 2; n < limit; n++) {
        Py_ssize_t steps = collatz_steps((uint64_t)n);
        if (steps < 0)
            return PyErr_Format(PyExc_OverflowError, "the sequence of %zd leaves the 64-bit range",
                                n);
        if (steps > best_steps) {
            best_n = n;
            best_steps = steps;
        }
    }
    return Py_BuildValue("(nn)", best_n, best_steps);
}

static PyMethodDef collatz_longest_methods[] = {
    {"longest_below", longest_below, METH_O, longest_below_doc},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot collatz_longest_slots[] = {
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef collatz_longest_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "collatz_longest",
    .m_doc = "Exercise 01-longest-below.",
    .m_size = 0,
    .m_methods = collatz_longest_methods,
    .m_slots = collatz_longest_slots,
};

PyMODINIT_FUNC
PyInit_collatz_longest(void)
{
    return PyModuleDef_Init(&collatz_longest_module);
}
