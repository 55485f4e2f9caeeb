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
    Py_ssize_t limit = PyLong_AsSsize_t(arg);
    if (limit == -1 && PyErr_Occurred())
        return NULL;
    if (limit < 1)
        return PyErr_Format(PyExc_ValueError, "limit must be at least 1, not %zd", limit);

    /* counts[s]: how many n take s steps, for s < capacity. */
    Py_ssize_t *counts = NULL, capacity = 0;
    Py_ssize_t overflowing_n = 0; /* failures, kept until the GIL is back */
    int out_of_memory = 0;

    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t n = 1; n < limit; n++) {
        Py_ssize_t steps = collatz_steps((uint64_t)n);
        if (steps < 0) {
            overflowing_n = n;
            break;
        }
        if (steps >= capacity) {
            Py_ssize_t wanted = 2 * steps + 64;
            Py_ssize_t *grown = realloc(counts, (size_t)wanted * sizeof *counts);
            if (grown == NULL) {
                out_of_memory = 1;
                break;
            }
            for (Py_ssize_t s = capacity; s < wanted; s++)
                grown[s] = 0;
            counts = grown;
            capacity = wanted;
        }
        counts[steps]++;
    }
    Py_END_ALLOW_THREADS

    PyObject *result = NULL;
    if (out_of_memory) {
        PyErr_NoMemory();
        goto done;
    }
    if (overflowing_n) {
        PyErr_Format(PyExc_OverflowError, "the sequence of %zd leaves the 64-bit range",
                     overflowing_n);
        goto done;
    }
    result = PyDict_New();
    if (result == NULL)
        goto done;
    for (Py_ssize_t steps = 0; steps < capacity; steps++) {
        if (counts[steps] == 0)
            continue;
        PyObject *key = PyLong_FromSsize_t(steps);
        PyObject *value = PyLong_FromSsize_t(counts[steps]);
        int failed = key == NULL || value == NULL || PyDict_SetItem(result, key, value) < 0;
        Py_XDECREF(key);
        Py_XDECREF(value);
        if (failed) {
            Py_CLEAR(result);
            goto done;
        }
    }

done:
    free(counts);
    return result;
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
