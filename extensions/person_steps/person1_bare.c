/* person1_bare.c -- Person, step 1 of 4: the smallest type there is.
 * (lesson 03, "Your own types", builds Person in these steps)
 *
 * An object struct, a spec that describes the type, and the module's exec
 * function that creates the type from the spec and adds it to the module. The
 * type has no fields and no behaviour of its own: what it does not define, it
 * inherits from object (creating an instance, freeing it, repr). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Every object starts with PyObject_HEAD: its reference count and its type. */
typedef struct {
    PyObject_HEAD
} Person;

static PyType_Slot person_slots[] = {
    {Py_tp_doc, (void *)"A person, with nothing to say yet."},
    {0, NULL},
};

static PyType_Spec person_spec = {
    .name = "person1_bare.Person", /* module.Name: Python reads __module__ from it */
    .basicsize = sizeof(Person),   /* how many bytes an instance takes */
    /* IMMUTABLETYPE: Person.x = 1 is refused, as for a built-in type. */
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = person_slots,
};

/* A heap type: made when the module is, one per module object. */
static int
person1_exec(PyObject *module)
{
    PyObject *type = PyType_FromModuleAndSpec(module, &person_spec, NULL);
    if (type == NULL)
        return -1;
    int result = PyModule_AddType(module, (PyTypeObject *)type);
    Py_DECREF(type); /* the module holds its own reference now */
    return result;
}

static PyModuleDef_Slot person1_slots[] = {
    {Py_mod_exec, person1_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef person1_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "person1_bare",
    .m_doc = "Step 1: a bare type.",
    .m_size = 0,
    .m_slots = person1_slots,
};

PyMODINIT_FUNC
PyInit_person1_bare(void)
{
    return PyModuleDef_Init(&person1_module);
}
