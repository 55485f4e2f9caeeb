/* first.c -- a first C extension: one function, one constant, nothing else. */
/* Before 3.13, '#' formats (s#, y#) need this macro to take Py_ssize_t lengths;
 * this module uses none, and 3.13 no longer needs it. Kept as the customary first line. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

#define DEFAULT_MAX_STEPS 100000

/* [region: function] */
PyDoc_STRVAR(collatz_steps_doc,
             "collatz_steps(n, max_steps=DEFAULT_MAX_STEPS)\n"
             "--\n"
             "\n"
             "Number of Collatz steps (n -> n/2 if n is even, else 3n+1) from n down to 1.\n"
             "\n"
             "Raises ValueError if n < 1 or max_steps < 0, or if 1 is not reached within\n"
             "max_steps steps, and OverflowError if the sequence leaves the 64-bit range.");

static PyObject *
collatz_steps(PyObject *Py_UNUSED(module), PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"n", "max_steps", NULL};
    Py_ssize_t n, max_steps = DEFAULT_MAX_STEPS;

    /* "n|n": two Py_ssize_t, the second optional; the name after ':' goes into
     * error messages. A wrong type or a too-large int raises here. */
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "n|n:collatz_steps", kwlist, &n, &max_steps))
        return NULL;
    if (n < 1)
        return PyErr_Format(PyExc_ValueError, "n must be at least 1, not %zd", n);
    /* A negative limit would never equal the step count: refuse it, or the
     * guard against an endless loop would be silently switched off. */
    if (max_steps < 0)
        return PyErr_Format(PyExc_ValueError, "max_steps must be at least 0, not %zd", max_steps);

    uint64_t value = (uint64_t)n;
    Py_ssize_t steps = 0;
    while (value != 1) {
        if (steps == max_steps)
            return PyErr_Format(PyExc_ValueError, "%zd needs more than max_steps=%zd steps", n,
                                max_steps);
        if (value % 2 == 0) {
            value /= 2;
        }
        else {
            /* Python ints never overflow; C's do, silently. Check first. */
            if (value > (UINT64_MAX - 1) / 3)
                return PyErr_Format(PyExc_OverflowError,
                                    "the sequence of %zd leaves the 64-bit range", n);
            value = 3 * value + 1;
        }
        steps++;
    }
    return PyLong_FromSsize_t(steps);
}
/* [end: function] */

/* [region: module] */
static PyMethodDef first_methods[] = {
    {"collatz_steps", (PyCFunction)(void (*)(void))collatz_steps, METH_VARARGS | METH_KEYWORDS,
     collatz_steps_doc},
    {NULL, NULL, 0, NULL}, /* the end of the table */
};

/* Py_mod_exec runs once the module object exists: fill it in here. */
static int
first_exec(PyObject *module)
{
    return PyModule_AddIntMacro(module, DEFAULT_MAX_STEPS);
}

/* Python 3.12 and 3.13 read two more slots: this module may be imported in a
 * subinterpreter with a GIL of its own, and needs no GIL at all (free-threaded
 * builds). A stable-ABI build for 3.10 (first_abi3, below) cannot name them:
 * an older Python refuses a slot it does not know. */
static PyModuleDef_Slot first_slots[] = {
    {Py_mod_exec, first_exec},
#if PY_VERSION_HEX >= 0x030C0000 && (!defined(Py_LIMITED_API) || Py_LIMITED_API >= 0x030C0000)
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000 && (!defined(Py_LIMITED_API) || Py_LIMITED_API >= 0x030D0000)
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef first_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "first",
    .m_doc = "A first C extension module.",
    .m_size = 0,
    .m_methods = first_methods,
    .m_slots = first_slots,
};

/* The one symbol Python looks for: PyInit_<module name>. With multi-phase
 * init (PEP 489) it only hands over the definition; Python creates the module. */
PyMODINIT_FUNC
PyInit_first(void)
{
    return PyModuleDef_Init(&first_module);
}
/* [end: module] */

/* setup.py compiles this file a second time, as first_abi3: with Py_LIMITED_API
 * set to 3.10, against the stable ABI, into first_abi3.abi3.so, one file for
 * CPython 3.10 and every later version. The module takes its name
 * from the file it was found in; its init function must carry that name. */
#ifdef FIRST_ABI3
PyMODINIT_FUNC
PyInit_first_abi3(void)
{
    return PyModuleDef_Init(&first_module);
}
#endif
