/* collatz_iter.c -- exercise 03-collatz-iterator: an iterator type over a
 * Collatz sequence, computed one value per next(). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

typedef struct {
    PyObject_HEAD
    Py_ssize_t start; /* n, as given: for error messages */
    uint64_t next;    /* the value next() returns; 0 once the sequence ended */
    int overflowed;   /* the value after `next` is out of range: raise, then end */
} SequenceObject;

/* Sequence(n): parse n (PyArg_ParseTupleAndKeywords, format "n:Sequence"),
 * refuse n < 1 with ValueError, allocate the object with type->tp_alloc and
 * fill in its fields. */
static PyObject *
sequence_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    /* TODO: write it, then delete the three lines below. */
    (void)type, (void)args, (void)kwargs;
    return PyErr_Format(PyExc_NotImplementedError, "Sequence is not written yet");
}

/* next(s): the next value as a Python int, advancing the sequence; at the end,
 * NULL with no exception set (Python turns that into StopIteration). */
static PyObject *
sequence_iternext(PyObject *op)
{
    /* TODO: write it, then delete the two lines below. */
    (void)op;
    return PyErr_Format(PyExc_NotImplementedError, "next() is not written yet");
}

/* Free the object; an instance of a heap type also owns a reference to its type. */
static void
sequence_dealloc(PyObject *op)
{
    /* TODO: write it, then delete the line below. */
    (void)op;
}

PyDoc_STRVAR(sequence_doc,
             "Sequence(n)\n"
             "--\n"
             "\n"
             "An iterator over the Collatz sequence of n: n, then n/2 or 3n+1, ..., 1.");

static PyType_Slot sequence_slots[] = {
    {Py_tp_doc, (void *)sequence_doc},
    {Py_tp_new, sequence_new},
    {Py_tp_dealloc, sequence_dealloc},
    {Py_tp_iter, PyObject_SelfIter}, /* iter(s) is s */
    {Py_tp_iternext, sequence_iternext},
    /* the end of the table */
    {0, NULL},
};

static PyType_Spec sequence_spec = {
    .name = "collatz_iter.Sequence",
    .basicsize = sizeof(SequenceObject),
    /* Not BASETYPE: no subclasses. IMMUTABLETYPE: Sequence.x = 1 is refused,
     * as for a built-in type (a heap type is mutable unless it says so). */
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = sequence_slots,
};

static int
collatz_iter_exec(PyObject *module)
{
    PyObject *type = PyType_FromModuleAndSpec(module, &sequence_spec, NULL);
    if (type == NULL)
        return -1;
    int result = PyModule_AddType(module, (PyTypeObject *)type);
    Py_DECREF(type);
    return result;
}

static PyModuleDef_Slot collatz_iter_slots[] = {
    {Py_mod_exec, collatz_iter_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef collatz_iter_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "collatz_iter",
    .m_doc = "Exercise 03-collatz-iterator.",
    .m_size = 0,
    .m_slots = collatz_iter_slots,
};

PyMODINIT_FUNC
PyInit_collatz_iter(void)
{
    return PyModuleDef_Init(&collatz_iter_module);
}
