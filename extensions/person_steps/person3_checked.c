/* person3_checked.c -- Person, step 3 of 4: rules the fields keep.
 * (lesson 03, "Your own types", builds Person in these steps)
 *
 * Step 2 let any object into name (p.name = 42), let it be deleted, and left
 * it NULL in an object made without __init__. Here name is a getset: Python
 * calls a getter and a setter, which check; and tp_new gives every field a
 * valid value before anyone can see the object. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyObject *name; /* owned; a non-empty str from tp_new on */
    long age;
} Person;

/* A new object is usable even if __init__ never runs (Person.__new__(Person),
 * or a subclass that forgets to call it). */
static PyObject *
person_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwargs))
{
    Person *self = (Person *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->name = PyUnicode_FromString("nobody");
    if (self->name == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* The rule for a name, in one place: __init__ and the setter both use it. */
static int
check_name(PyObject *value)
{
    if (!PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError, "name must be a str, not %.100s", Py_TYPE(value)->tp_name);
        return -1;
    }
    if (PyUnicode_GET_LENGTH(value) == 0) {
        PyErr_SetString(PyExc_ValueError, "name must not be empty");
        return -1;
    }
    return 0;
}

static int
person_init(PyObject *op, PyObject *args, PyObject *kwargs)
{
    Person *self = (Person *)op;
    static char *kwlist[] = {"name", "age", NULL};
    PyObject *name;
    long age = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|l:Person", kwlist, &name, &age))
        return -1;
    if (check_name(name) < 0)
        return -1;
    if (age < 0) {
        PyErr_Format(PyExc_ValueError, "age must be at least 0, not %ld", age);
        return -1;
    }
    Py_SETREF(self->name, Py_NewRef(name));
    self->age = age;
    return 0;
}

static PyObject *
person_get_name(PyObject *op, void *Py_UNUSED(closure))
{
    return Py_NewRef(((Person *)op)->name);
}

static int
person_set_name(PyObject *op, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == NULL) { /* del person.name */
        PyErr_SetString(PyExc_AttributeError, "cannot delete the name attribute");
        return -1;
    }
    if (check_name(value) < 0)
        return -1;
    Py_SETREF(((Person *)op)->name, Py_NewRef(value));
    return 0;
}

static void
person_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    Py_XDECREF(((Person *)op)->name); /* NULL only if tp_new failed half-way */
    type->tp_free(op);
    Py_DECREF(type);
}

static PyGetSetDef person_getset[] = {
    {"name", person_get_name, person_set_name, "The person's name: a non-empty str.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef person_members[] = {
    {"age", T_LONG, offsetof(Person, age), 0, "Age in years."},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot person_slots[] = {
    {Py_tp_doc, (void *)"Person(name, age=0)"},
    {Py_tp_new, person_new},
    {Py_tp_init, person_init},
    {Py_tp_dealloc, person_dealloc},
    {Py_tp_getset, person_getset},
    {Py_tp_members, person_members},
    {0, NULL},
};

static PyType_Spec person_spec = {
    .name = "person3_checked.Person",
    .basicsize = sizeof(Person),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = person_slots,
};

static int
person3_exec(PyObject *module)
{
    PyObject *type = PyType_FromModuleAndSpec(module, &person_spec, NULL);
    if (type == NULL)
        return -1;
    int result = PyModule_AddType(module, (PyTypeObject *)type);
    Py_DECREF(type);
    return result;
}

static PyModuleDef_Slot person3_slots[] = {
    {Py_mod_exec, person3_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    /* __init__ and the setter replace name with no lock (custom.c takes one): a
     * free-threaded Python turns the GIL back on when it imports this step. */
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef person3_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "person3_checked",
    .m_doc = "Step 3: a getset that checks, and tp_new.",
    .m_size = 0,
    .m_slots = person3_slots,
};

PyMODINIT_FUNC
PyInit_person3_checked(void)
{
    return PyModuleDef_Init(&person3_module);
}
