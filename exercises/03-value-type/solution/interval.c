/* interval.c -- exercise 03-value-type: Interval(lo, hi), an immutable value
 * type: equal intervals are equal and hash alike, so they work as dict keys. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>       /* offsetof */
#include <structmember.h> /* T_DOUBLE, READONLY (Py_T_DOUBLE, Py_READONLY from 3.12) */

typedef struct {
    PyObject_HEAD
    double lo, hi; /* lo <= hi, neither NaN; never changed after tp_new */
} IntervalObject;

/* Interval(lo, hi): parse two numbers (PyArg_ParseTupleAndKeywords, format
 * "dd:Interval", keywords lo and hi), refuse lo > hi or a NaN with ValueError
 * (the message: README.md), allocate with type->tp_alloc and set both bounds.
 * Everything is set here, in tp_new: an immutable object has no __init__. */
static PyObject *
interval_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"lo", "hi", NULL};
    double lo, hi;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "dd:Interval", kwlist, &lo, &hi))
        return NULL;
    if (!(lo <= hi)) { /* false for NaN as well */
        PyObject *lo_obj = PyFloat_FromDouble(lo), *hi_obj = PyFloat_FromDouble(hi);
        if (lo_obj != NULL && hi_obj != NULL)
            PyErr_Format(PyExc_ValueError, "an interval needs lo <= hi and no NaN, not %R, %R",
                         lo_obj, hi_obj);
        Py_XDECREF(lo_obj);
        Py_XDECREF(hi_obj);
        return NULL;
    }
    IntervalObject *self = (IntervalObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->lo = lo;
    self->hi = hi;
    return (PyObject *)self;
}

/* (lo, hi) as a new tuple of floats: repr and hash are built from it. */
static PyObject *
as_tuple(IntervalObject *self)
{
    return Py_BuildValue("(dd)", self->lo, self->hi);
}

/* repr(i): "Interval(1.0, 2.5)", each bound as repr(float) writes it
 * (PyUnicode_FromFormat's %R takes objects: make the two floats first). */
static PyObject *
interval_repr(PyObject *op)
{
    PyObject *bounds = as_tuple((IntervalObject *)op);
    if (bounds == NULL)
        return NULL;
    PyObject *text = PyUnicode_FromFormat("Interval(%R, %R)", PyTuple_GET_ITEM(bounds, 0),
                                          PyTuple_GET_ITEM(bounds, 1));
    Py_DECREF(bounds);
    return text;
}

/* hash(i) == hash((lo, hi)): equal intervals hash alike, as they must
 * (Py_BuildValue("(dd)", ...) makes the tuple, PyObject_Hash hashes it). */
static Py_hash_t
interval_hash(PyObject *op)
{
    PyObject *bounds = as_tuple((IntervalObject *)op);
    if (bounds == NULL)
        return -1;
    Py_hash_t hash = PyObject_Hash(bounds);
    Py_DECREF(bounds);
    return hash;
}

/* == and != against another Interval; anything else is NotImplemented, so
 * Python tries the other operand (and == falls back to identity). */
static PyObject *
interval_richcompare(PyObject *a, PyObject *b, int op)
{
    if (Py_TYPE(b) != Py_TYPE(a) || (op != Py_EQ && op != Py_NE))
        Py_RETURN_NOTIMPLEMENTED;
    IntervalObject *x = (IntervalObject *)a, *y = (IntervalObject *)b;
    int equal = x->lo == y->lo && x->hi == y->hi;
    if (op == Py_EQ ? equal : !equal)
        Py_RETURN_TRUE;
    Py_RETURN_FALSE;
}

/* x in i: lo <= x <= hi, for anything float() accepts; 1 or 0, or -1 with
 * the exception PyFloat_AsDouble raised (a str is a TypeError). */
static int
interval_contains(PyObject *op, PyObject *value)
{
    IntervalObject *self = (IntervalObject *)op;
    double x = PyFloat_AsDouble(value);
    if (x == -1.0 && PyErr_Occurred())
        return -1;
    return self->lo <= x && x <= self->hi;
}

/* An instance of a heap type owns a reference to its type. */
static void
interval_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    type->tp_free(op);
    Py_DECREF(type);
}

static PyMemberDef interval_members[] = {
    {"lo", T_DOUBLE, offsetof(IntervalObject, lo), READONLY, "The lower bound."},
    {"hi", T_DOUBLE, offsetof(IntervalObject, hi), READONLY, "The upper bound."},
    {NULL, 0, 0, 0, NULL},
};

PyDoc_STRVAR(interval_doc,
             "Interval(lo, hi)\n"
             "--\n"
             "\n"
             "The closed interval [lo, hi] of floats: immutable, equal to an Interval with\n"
             "the same bounds, hashable; `x in interval` tests lo <= x <= hi.");

static PyType_Slot interval_slots[] = {
    {Py_tp_doc, (void *)interval_doc},
    {Py_tp_new, interval_new},
    {Py_tp_dealloc, interval_dealloc},
    {Py_tp_members, interval_members},
    {Py_tp_repr, interval_repr},
    {Py_tp_hash, interval_hash},
    {Py_tp_richcompare, interval_richcompare},
    {Py_sq_contains, interval_contains},
    {0, NULL},
};

static PyType_Spec interval_spec = {
    .name = "interval.Interval",
    .basicsize = sizeof(IntervalObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = interval_slots,
};

static int
interval_exec(PyObject *module)
{
    PyObject *type = PyType_FromModuleAndSpec(module, &interval_spec, NULL);
    if (type == NULL)
        return -1;
    int result = PyModule_AddType(module, (PyTypeObject *)type);
    Py_DECREF(type);
    return result;
}

static PyModuleDef_Slot interval_module_slots[] = {
    {Py_mod_exec, interval_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef interval_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "interval",
    .m_doc = "Exercise 03-value-type.",
    .m_size = 0,
    .m_slots = interval_module_slots,
};

PyMODINIT_FUNC
PyInit_interval(void)
{
    return PyModuleDef_Init(&interval_module);
}
