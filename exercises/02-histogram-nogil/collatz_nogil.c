/* collatz_nogil.c -- exercise 02-histogram-nogil: the step-count histogram,
 * counted without the GIL. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>

/* Steps from n down to 1, or -1 if the sequence leaves the 64-bit range. */
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

PyDoc_STRVAR(histogram_doc,
             "histogram($module, limit, /)\n"
             "--\n"
             "\n"
             "{steps: how many n in 1..limit-1 take that many Collatz steps}, counted\n"
             "without the GIL.");

static PyObject *
histogram(PyObject *Py_UNUSED(module), PyObject *arg)
{
    /* TODO: the four steps of the statement (README.md): read limit with the
     * GIL; count into a malloc'ed array without it, remembering a failure in a
     * local variable; with the GIL again, raise the failure or build the dict;
     * free the array on every path. Then delete the two lines below. */
    (void)arg;
    return PyErr_Format(PyExc_NotImplementedError, "histogram is not written yet");
}

static PyMethodDef collatz_nogil_methods[] = {
    {"histogram", histogram, METH_O, histogram_doc},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot collatz_nogil_slots[] = {
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef collatz_nogil_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "collatz_nogil",
    .m_doc = "Exercise 02-histogram-nogil.",
    .m_size = 0,
    .m_methods = collatz_nogil_methods,
    .m_slots = collatz_nogil_slots,
};

PyMODINIT_FUNC
PyInit_collatz_nogil(void)
{
    return PyModuleDef_Init(&collatz_nogil_module);
}
