/* callcost.c -- add(a, b) through the C API, two calling conventions.
 *
 * The work is nothing, so timing a call measures the call itself: how
 * arguments arrive (a tuple to parse, or a plain C array) and how the
 * result goes back. Lesson 09's call-cost table puts these next to Cython,
 * cffi and ctypes calling the same addition. As in add.c, the sum is
 * done in unsigned long: it wraps around where a signed sum would be undefined.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* [region: varargs] */
/* METH_VARARGS: Python packs the arguments into a tuple; PyArg_ParseTuple
 * interprets a format string to unpack it. */
static PyObject *
add_varargs(PyObject *Py_UNUSED(module), PyObject *args)
{
    long a, b;
    if (!PyArg_ParseTuple(args, "ll:add_varargs", &a, &b))
        return NULL;
    return PyLong_FromLong((long)((unsigned long)a + (unsigned long)b));
}
/* [end: varargs] */

/* [region: fastcall] */
/* METH_FASTCALL: the arguments arrive as a C array, no tuple is built; the
 * function checks their number and converts each one itself. */
static PyObject *
add_fastcall(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2)
        return PyErr_Format(PyExc_TypeError, "add_fastcall() takes 2 arguments (%zd given)",
                            nargs);
    long a = PyLong_AsLong(args[0]);
    if (a == -1 && PyErr_Occurred())
        return NULL;
    long b = PyLong_AsLong(args[1]);
    if (b == -1 && PyErr_Occurred())
        return NULL;
    return PyLong_FromLong((long)((unsigned long)a + (unsigned long)b));
}
/* [end: fastcall] */

static PyMethodDef callcost_methods[] = {
    {"add_varargs", add_varargs, METH_VARARGS, "add_varargs(a, b)\n--\n\na + b (METH_VARARGS)."},
    {"add_fastcall", (PyCFunction)(void (*)(void))add_fastcall, METH_FASTCALL,
     "add_fastcall(a, b)\n--\n\na + b (METH_FASTCALL)."},
    {NULL, NULL, 0, NULL},
};

/* A stable-ABI build for 3.10 (callcost_abi3, below) cannot name the slots of 3.12
 * and 3.13: an older Python refuses a slot it does not know. */
static PyModuleDef_Slot callcost_slots[] = {
#if PY_VERSION_HEX >= 0x030C0000 && (!defined(Py_LIMITED_API) || Py_LIMITED_API >= 0x030C0000)
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000 && (!defined(Py_LIMITED_API) || Py_LIMITED_API >= 0x030D0000)
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef callcost_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "callcost",
    .m_doc = "add(a, b) through two C-API calling conventions.",
    .m_size = 0,
    .m_methods = callcost_methods,
    .m_slots = callcost_slots,
};

PyMODINIT_FUNC
PyInit_callcost(void)
{
    return PyModuleDef_Init(&callcost_module);
}

/* setup.py compiles this file a second time, as callcost_abi3: with Py_LIMITED_API
 * set to 3.10, against the stable ABI (callcost_abi3.abi3.so, one file for CPython
 * 3.10 and later), for the call-cost table's stable-ABI rows. */
#ifdef CALLCOST_ABI3
PyMODINIT_FUNC
PyInit_callcost_abi3(void)
{
    return PyModuleDef_Init(&callcost_module);
}
#endif
