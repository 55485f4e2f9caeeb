/* person2_members.c -- Person, step 2 of 4: data in the object.
 * (lesson 03, "Your own types", builds Person in these steps)
 *
 * Two fields in the struct, exposed to Python as members (Python reads and
 * writes them itself, from their offset and C type), an __init__ that fills
 * them, and a dealloc that releases the one object the struct owns. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>       /* offsetof */
#include <structmember.h> /* T_OBJECT_EX, T_LONG (Py_T_OBJECT_EX, Py_T_LONG from 3.12) */

typedef struct {
    PyObject_HEAD
    PyObject *name; /* owned; NULL until __init__ sets it */
    long age;
} Person;

static int
person_init(PyObject *op, PyObject *args, PyObject *kwargs)
{
    Person *self = (Person *)op;
    static char *kwlist[] = {"name", "age", NULL};
    PyObject *name;
    long age = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "U|l:Person", kwlist, &name, &age))
        return -1;
    /* __init__ may run twice: release the old name, after storing the new one. */
    Py_XSETREF(self->name, Py_NewRef(name));
    self->age = age;
    return 0;
}

static void
person_dealloc(PyObject *op)
{
    Person *self = (Person *)op;
    PyTypeObject *type = Py_TYPE(op);
    Py_XDECREF(self->name);
    type->tp_free(op);
    Py_DECREF(type); /* an instance of a heap type holds a reference to it */
}

/* T_OBJECT_EX: reading a NULL field raises AttributeError (T_OBJECT would give None). */
static PyMemberDef person_members[] = {
    {"name", T_OBJECT_EX, offsetof(Person, name), 0, "The person's name."},
    {"age", T_LONG, offsetof(Person, age), 0, "Age in years."},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot person_slots[] = {
    {Py_tp_doc, (void *)"Person(name, age=0)"},
    {Py_tp_new, PyType_GenericNew}, /* zero-filled memory: name NULL, age 0 */
    {Py_tp_init, person_init},
    {Py_tp_dealloc, person_dealloc},
    {Py_tp_members, person_members},
    {0, NULL},
};

static PyType_Spec person_spec = {
    .name = "person2_members.Person",
    .basicsize = sizeof(Person),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = person_slots,
};

static int
person2_exec(PyObject *module)
{
    PyObject *type = PyType_FromModuleAndSpec(module, &person_spec, NULL);
    if (type == NULL)
        return -1;
    int result = PyModule_AddType(module, (PyTypeObject *)type);
    Py_DECREF(type);
    return result;
}

static PyModuleDef_Slot person2_slots[] = {
    {Py_mod_exec, person2_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    /* __init__ replaces name with no lock (custom.c takes one): a
     * free-threaded Python turns the GIL back on when it imports this step. */
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef person2_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "person2_members",
    .m_doc = "Step 2: fields, members and __init__.",
    .m_size = 0,
    .m_slots = person2_slots,
};

PyMODINIT_FUNC
PyInit_person2_members(void)
{
    return PyModuleDef_Init(&person2_module);
}
