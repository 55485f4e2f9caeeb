/* type_mistakes.c -- three classic mistakes with types and the GIL, on purpose.
 *
 * WRONG CODE, kept small so each mistake is the only thing to see. Lessons 02
 * and 03 run them; the two that end the process run in a subprocess:
 *
 *   Leaky            its tp_dealloc forgets tp_free: every instance's memory leaks
 *   unready()        an object of a static type nobody passed to PyType_Ready:
 *                    the type never inherited object's slots, so its tp_dealloc
 *                    is NULL, and freeing the object calls a NULL pointer
 *   list_without_gil()  creates a list with the GIL released: with no current
 *                    thread state the allocator's per-interpreter data is out of
 *                    reach (CPython 3.11: a segmentation fault at once; other
 *                    versions may instead corrupt memory silently)
 *
 * The right forms are in custom.c (Person) and targets.c.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* [region: leaky] */
typedef struct {
    PyObject_HEAD
    char payload[200];
} Leaky;

static void
leaky_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    /* MISSING: type->tp_free(op); -- the object's memory is never returned */
    Py_DECREF(type);
}
/* [end: leaky] */

static PyType_Slot leaky_slots[] = {
    {Py_tp_dealloc, leaky_dealloc},
    {Py_tp_doc, "An object whose memory is never freed (tp_dealloc without tp_free)."},
    {0, NULL},
};

static PyType_Spec leaky_spec = {
    .name = "type_mistakes.Leaky",
    .basicsize = sizeof(Leaky),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = leaky_slots,
};

/* [region: unready] */
/* A static type, the legacy way (before heap types): it must go through
 * PyType_Ready before its first use, which fills in tp_mro, tp_dict and the
 * inherited slots. Here nobody calls it. */
static PyTypeObject UnreadyType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "type_mistakes.Unready",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
};

static PyObject *
unready(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    /* MISSING: if (PyType_Ready(&UnreadyType) < 0) return NULL; */
    return PyObject_New(PyObject, &UnreadyType);
}
/* [end: unready] */

/* [region: nogil] */
static PyObject *
list_without_gil(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    PyObject *list;
    Py_BEGIN_ALLOW_THREADS
    list = PyList_New(0); /* WRONG: a C-API call without the GIL */
    Py_END_ALLOW_THREADS
    return list;
}
/* [end: nogil] */

static PyMethodDef methods[] = {
    {"unready", unready, METH_NOARGS, "An object whose type was never made ready."},
    {"list_without_gil", list_without_gil, METH_NOARGS,
     "Create a list with the GIL released (wrong)."},
    {NULL, NULL, 0, NULL},
};

static int
type_mistakes_exec(PyObject *module)
{
    PyObject *leaky = PyType_FromSpec(&leaky_spec);
    if (leaky == NULL)
        return -1;
    int status = PyModule_AddObjectRef(module, "Leaky", leaky);
    Py_DECREF(leaky);
    return status;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, type_mistakes_exec},
/* Wrong code on purpose, a static type among it: one interpreter, with the GIL. */
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef type_mistakes_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "type_mistakes",
    .m_doc = "Classic mistakes with types and the GIL, on purpose (lessons 02 and 03).",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC
PyInit_type_mistakes(void)
{
    return PyModuleDef_Init(&type_mistakes_module);
}
