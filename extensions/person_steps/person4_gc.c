/* person4_gc.c -- Person, step 4 of 4: objects that can form cycles.
 * (lesson 03, "Your own types", builds Person in these steps)
 *
 * A friends list may hold the person itself, or a friend whose list holds
 * them: a cycle, which reference counting alone never frees. The type joins
 * the garbage collector: it says it can hold objects (HAVE_GC), lists them
 * when the collector asks (tp_traverse), and drops them to break a cycle
 * (tp_clear). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyObject *name; /* owned; a non-empty str */
    long age;
    PyObject *friends; /* owned; a list of anything, maybe of us */
} Person;

static PyObject *
person_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwargs))
{
    Person *self = (Person *)type->tp_alloc(type, 0); /* a GC type: tracked from here */
    if (self == NULL)
        return NULL;
    self->name = PyUnicode_FromString("nobody");
    self->friends = PyList_New(0);
    if (self->name == NULL || self->friends == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

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
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete the name attribute");
        return -1;
    }
    if (check_name(value) < 0)
        return -1;
    Py_SETREF(((Person *)op)->name, Py_NewRef(value));
    return 0;
}

/* The collector asks: which objects do you hold? */
static int
person_traverse(PyObject *op, visitproc visit, void *arg)
{
    Person *self = (Person *)op;
    Py_VISIT(Py_TYPE(op)); /* a heap type's instance holds its type */
    Py_VISIT(self->friends);
    Py_VISIT(self->name);
    return 0;
}

/* ... and, to break a cycle: drop what could lead back to us. A cleared
 * Person may still be reached (from a __del__, a weak reference callback):
 * friends is then NULL, which the member (T_OBJECT_EX) reports as missing. */
static int
person_clear(PyObject *op)
{
    Py_CLEAR(((Person *)op)->friends);
    return 0;
}

static void
person_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op); /* first: nothing below may find a half-freed object */
    person_clear(op);
    Py_CLEAR(((Person *)op)->name);
    type->tp_free(op);
    Py_DECREF(type);
}

static PyGetSetDef person_getset[] = {
    {"name", person_get_name, person_set_name, "The person's name: a non-empty str.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef person_members[] = {
    {"age", T_LONG, offsetof(Person, age), 0, "Age in years."},
    {"friends", T_OBJECT_EX, offsetof(Person, friends), READONLY, "A list: add anything to it."},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot person_slots[] = {
    {Py_tp_doc, (void *)"Person(name, age=0)"},
    {Py_tp_new, person_new},
    {Py_tp_init, person_init},
    {Py_tp_dealloc, person_dealloc},
    {Py_tp_traverse, person_traverse},
    {Py_tp_clear, person_clear},
    {Py_tp_getset, person_getset},
    {Py_tp_members, person_members},
    {0, NULL},
};

static PyType_Spec person_spec = {
    .name = "person4_gc.Person",
    .basicsize = sizeof(Person),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = person_slots,
};

static int
person4_exec(PyObject *module)
{
    PyObject *type = PyType_FromModuleAndSpec(module, &person_spec, NULL);
    if (type == NULL)
        return -1;
    int result = PyModule_AddType(module, (PyTypeObject *)type);
    Py_DECREF(type);
    return result;
}

static PyModuleDef_Slot person4_slots[] = {
    {Py_mod_exec, person4_exec},
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

static struct PyModuleDef person4_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "person4_gc",
    .m_doc = "Step 4: garbage collector support.",
    .m_size = 0,
    .m_slots = person4_slots,
};

PyMODINIT_FUNC
PyInit_person4_gc(void)
{
    return PyModuleDef_Init(&person4_module);
}
