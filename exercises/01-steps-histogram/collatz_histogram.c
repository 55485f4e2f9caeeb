/* collatz_histogram.c -- exercise 01-steps-histogram: how many n below a
 * limit take each number of Collatz steps, as a dict. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

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

PyDoc_STRVAR(histogram_doc, "histogram($module, limit, /)\n"
                            "--\n"
                            "\n"
                            "{steps: how many n in 1..limit-1 take that many Collatz steps}.");

static PyObject *
histogram(PyObject *Py_UNUSED(module), PyObject *arg)
{
    /* TODO: read limit (return NULL if that raised) and refuse one below 1; make
     * the dict; for each n in 1 .. limit-1 add one to counts[collatz_steps(n)];
     * return the dict. Every reference you own is released on every path: one
     * error label at the end, which releases the dict, keeps that simple.
     * Then delete the two lines below. */
    (void)arg;
    return PyErr_Format(PyExc_NotImplementedError, "histogram is not written yet");
}

static PyMethodDef collatz_histogram_methods[] = {
    {"histogram", histogram, METH_O, histogram_doc},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot collatz_histogram_slots[] = {
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef collatz_histogram_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "collatz_histogram",
    .m_doc = "Exercise 01-steps-histogram.",
    .m_size = 0,
    .m_methods = collatz_histogram_methods,
    .m_slots = collatz_histogram_slots,
};

PyMODINIT_FUNC
PyInit_collatz_histogram(void)
{
    return PyModuleDef_Init(&collatz_histogram_module);
}
