/* collatz_errors.c -- exercise 02-step-limit-error: the module's own
 * exception, kept in module state. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

typedef struct {
    PyObject *StepLimitError; /* the exception class this module object made */
} module_state;

static inline module_state *
get_state(PyObject *module)
{
    return (module_state *)PyModule_GetState(module);
}

PyDoc_STRVAR(collatz_steps_doc,
             "collatz_steps($module, n, max_steps, /)\n"
             "--\n"
             "\n"
             "Number of Collatz steps from n down to 1. Raises StepLimitError if 1 is\n"
             "not reached within max_steps steps.");

static PyObject *
collatz_steps(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2)
        return PyErr_Format(PyExc_TypeError, "collatz_steps() takes 2 arguments (%zd given)",
                            nargs);
    Py_ssize_t n = PyLong_AsSsize_t(args[0]);
    if (n == -1 && PyErr_Occurred())
        return NULL;
    Py_ssize_t max_steps = PyLong_AsSsize_t(args[1]);
    if (max_steps == -1 && PyErr_Occurred())
        return NULL;
    if (n < 1)
        return PyErr_Format(PyExc_ValueError, "n must be at least 1, not %zd", n);

    uint64_t value = (uint64_t)n;
    Py_ssize_t steps = 0;
    while (value != 1) {
        if (steps >= max_steps)
            return PyErr_Format(get_state(module)->StepLimitError,
                                "%zd needs more than max_steps=%zd steps", n, max_steps);
        if (value % 2 == 0)
            value /= 2;
        else if (value > (UINT64_MAX - 1) / 3)
            return PyErr_Format(PyExc_OverflowError, "the sequence of %zd leaves the 64-bit range",
                                n);
        else
            value = 3 * value + 1;
        steps++;
    }
    return PyLong_FromSsize_t(steps);
}

static PyMethodDef collatz_errors_methods[] = {
    {"collatz_steps", (PyCFunction)(void (*)(void))collatz_steps, METH_FASTCALL,
     collatz_steps_doc},
    {NULL, NULL, 0, NULL},
};

static int
collatz_errors_exec(PyObject *module)
{
    module_state *state = get_state(module);
    state->StepLimitError = PyErr_NewExceptionWithDoc(
        "collatz_errors.StepLimitError",
        "A Collatz sequence did not reach 1 within max_steps steps.", PyExc_ValueError, NULL);
    if (state->StepLimitError == NULL)
        return -1;
    return PyModule_AddObjectRef(module, "StepLimitError", state->StepLimitError);
}

static int
collatz_errors_traverse(PyObject *module, visitproc visit, void *arg)
{
    Py_VISIT(get_state(module)->StepLimitError);
    return 0;
}

static int
collatz_errors_clear(PyObject *module)
{
    Py_CLEAR(get_state(module)->StepLimitError);
    return 0;
}

static void
collatz_errors_free(void *module)
{
    (void)collatz_errors_clear((PyObject *)module);
}

static PyModuleDef_Slot collatz_errors_slots[] = {
    {Py_mod_exec, collatz_errors_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef collatz_errors_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "collatz_errors",
    .m_doc = "Exercise 02-step-limit-error.",
    .m_size = sizeof(module_state),
    .m_methods = collatz_errors_methods,
    .m_slots = collatz_errors_slots,
    .m_traverse = collatz_errors_traverse,
    .m_clear = collatz_errors_clear,
    .m_free = collatz_errors_free,
};

PyMODINIT_FUNC
PyInit_collatz_errors(void)
{
    return PyModuleDef_Init(&collatz_errors_module);
}
