/* custom.c -- a new type done properly: custom.Person.
 *
 * The Python 2 documentation's "Noddy" example, as it is written today: a heap
 * type created from a spec (PyType_FromModuleAndSpec) and kept in module state,
 * members and getters/setters, a method, __repr__, rich comparison, garbage
 * collector support, weak references, and subclassing from Python.
 *
 *     class Person:                        # what it behaves like
 *         def __init__(self, name, age=0, email=""): ...
 *         friends: list                    # read-only attribute, a mutable list
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h> /* T_LONG, T_OBJECT_EX, READONLY (Py_T_* from 3.12) */

/* A critical section (3.13+) locks one object, or two, for the statements
 * between BEGIN and END on a free-threaded Python, where two threads can run
 * this file's functions on the same Person at once; with a GIL the macros
 * compile to nothing. Older Pythons have only the GIL: nothing to lock. */
#if PY_VERSION_HEX < 0x030D0000
#  define Py_BEGIN_CRITICAL_SECTION(op) {
#  define Py_END_CRITICAL_SECTION() }
#  define Py_BEGIN_CRITICAL_SECTION2(a, b) {
#  define Py_END_CRITICAL_SECTION2() }
#endif

/* [region: object] */
typedef struct {
    PyObject_HEAD
    PyObject *name;        /* str, never empty: set through a checked setter */
    PyObject *email;       /* str, through a checked setter */
    long age;              /* a plain member: Python checks it is an int */
    PyObject *friends;     /* a list of anything: cycles can go through it */
    PyObject *weakreflist; /* for weakref.ref(person) */
} Person;
/* [end: object] */

typedef struct {
    PyTypeObject *Person;
} custom_state;

static struct PyModuleDef custom_module;

static custom_state *
get_state(PyObject *module)
{
    return (custom_state *)PyModule_GetState(module);
}

/* The module state from the type of any Person, also a Python subclass of it
 * (whose type was not made by this module: its base was). */
static custom_state *
get_state_by_type(PyTypeObject *type)
{
#if PY_VERSION_HEX >= 0x030B0000
    PyObject *module = PyType_GetModuleByDef(type, &custom_module);
#else /* 3.10: walk the MRO to the type this module created */
    PyObject *module = NULL, *mro = type->tp_mro;
    for (Py_ssize_t i = 0; module == NULL && i < PyTuple_GET_SIZE(mro); i++) {
        PyTypeObject *base = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
        PyObject *owner =
            (base->tp_flags & Py_TPFLAGS_HEAPTYPE) ? ((PyHeapTypeObject *)base)->ht_module : NULL;
        if (owner != NULL && PyModule_GetDef(owner) == &custom_module)
            module = owner;
    }
    if (module == NULL)
        PyErr_SetString(PyExc_TypeError, "not a custom.Person");
#endif
    return module ? get_state(module) : NULL;
}

static PyObject *
person_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwargs))
{
    /* tp_alloc zero-fills: every pointer starts NULL, age 0. Give each field
     * a valid value here, so a Person is usable even if __init__ never runs
     * (a subclass may forget to call it). */
    Person *self = (Person *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->name = PyUnicode_FromString("nobody");
    self->email = PyUnicode_FromString("");
    self->friends = PyList_New(0);
    if (self->name == NULL || self->email == NULL || self->friends == NULL) {
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
    static char *kwlist[] = {"name", "age", "email", NULL};
    PyObject *name, *email = NULL;
    long age = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|lU:Person", kwlist, &name, &age, &email))
        return -1;
    if (check_name(name) < 0)
        return -1;
    if (age < 0) {
        PyErr_Format(PyExc_ValueError, "age must be at least 0, not %ld", age);
        return -1;
    }
    /* __init__ may run twice: the old values are released, after the new ones
     * are stored (under the lock), so nothing leaks and no half-updated object
     * is seen. Released outside the lock: releasing may run any code (a str
     * subclass's __del__). */
    PyObject *old_name, *old_email = NULL;
    Py_BEGIN_CRITICAL_SECTION(self);
    old_name = self->name;
    self->name = Py_NewRef(name);
    if (email != NULL) {
        old_email = self->email;
        self->email = Py_NewRef(email);
    }
    self->age = age;
    Py_END_CRITICAL_SECTION();
    Py_XDECREF(old_name);
    Py_XDECREF(old_email);
    return 0;
}

/* The garbage collector asks: which objects do you hold? */
static int
person_traverse(PyObject *op, visitproc visit, void *arg)
{
    Person *self = (Person *)op;
    Py_VISIT(Py_TYPE(self)); /* a heap type: each instance owns a reference */
    Py_VISIT(self->friends);
    Py_VISIT(self->name);
    Py_VISIT(self->email);
    return 0;
}

/* ... and to break a cycle: drop what could lead back to us. */
static int
person_clear(PyObject *op)
{
    Person *self = (Person *)op;
    Py_CLEAR(self->friends);
    return 0;
}

static void
person_dealloc(PyObject *op)
{
    Person *self = (Person *)op;
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self); /* before anything can trigger a collection */
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    person_clear(op);
    Py_CLEAR(self->name);
    Py_CLEAR(self->email);
    type->tp_free((PyObject *)self); /* the memory goes back the way it came */
    Py_DECREF(type);
}

/* [region: critical_section] */
/* name and email: getters and setters that check, and refuse deletion. The
 * reference is taken, or the field replaced, under the Person's lock: without
 * it, on a free-threaded Python, a getter could read the old name just as a
 * setter in another thread releases it. */
static PyObject *
get_field(Person *self, PyObject **field)
{
    PyObject *value;
    (void)self; /* used by the lock only, which a build with a GIL compiles away */
    Py_BEGIN_CRITICAL_SECTION(self);
    value = Py_NewRef(*field);
    Py_END_CRITICAL_SECTION();
    return value;
}

static void
set_field(Person *self, PyObject **field, PyObject *value)
{
    PyObject *old;
    (void)self; /* as in get_field */
    Py_BEGIN_CRITICAL_SECTION(self);
    old = *field;
    *field = Py_NewRef(value);
    Py_END_CRITICAL_SECTION();
    Py_DECREF(old); /* outside the lock: releasing may run any code */
}
/* [end: critical_section] */

static PyObject *
person_get_name(PyObject *op, void *Py_UNUSED(closure))
{
    Person *self = (Person *)op;
    return get_field(self, &self->name);
}

static int
person_set_name(PyObject *op, PyObject *value, void *Py_UNUSED(closure))
{
    Person *self = (Person *)op;
    if (value == NULL) { /* del person.name */
        PyErr_SetString(PyExc_AttributeError, "cannot delete the name attribute");
        return -1;
    }
    if (check_name(value) < 0)
        return -1;
    set_field(self, &self->name, value);
    return 0;
}

static PyObject *
person_get_email(PyObject *op, void *Py_UNUSED(closure))
{
    Person *self = (Person *)op;
    return get_field(self, &self->email);
}

static int
person_set_email(PyObject *op, PyObject *value, void *Py_UNUSED(closure))
{
    Person *self = (Person *)op;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete the email attribute");
        return -1;
    }
    if (!PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError, "email must be a str, not %.100s", Py_TYPE(value)->tp_name);
        return -1;
    }
    set_field(self, &self->email, value);
    return 0;
}

static PyGetSetDef person_getset[] = {
    {"name", person_get_name, person_set_name, "The person's name: a non-empty str.", NULL},
    {"email", person_get_email, person_set_email, "The person's e-mail address: a str.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* age and friends: plain members, read and written by Python itself. A T_LONG
 * member checks the type and range of what is assigned, nothing more (a
 * negative age gets in: a setter is the place for rules). Prefer T_LONG to
 * T_INT: an int too large for a C int is truncated with only a RuntimeWarning
 * (before 3.12), while a C long's overflow raises OverflowError. */
static PyMemberDef person_members[] = {
    {"age", T_LONG, offsetof(Person, age), 0, "Age in years (an int)."},
    {"friends", T_OBJECT_EX, offsetof(Person, friends), READONLY, "A list: add anything to it."},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(Person, weakreflist), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

/* [region: methods] */
static PyObject *
person_birthday(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    Person *self = (Person *)op;
    long age;
    int at_limit;
    /* Test and add as one step: two threads' birthdays add two years. */
    Py_BEGIN_CRITICAL_SECTION(self);
    at_limit = self->age == LONG_MAX;
    age = at_limit ? LONG_MAX : ++self->age;
    Py_END_CRITICAL_SECTION();
    if (at_limit)
        return PyErr_Format(PyExc_OverflowError, "age cannot exceed %ld", LONG_MAX);
    return PyLong_FromLong(age);
}

static PyObject *
person_repr(PyObject *op)
{
    Person *self = (Person *)op;
    /* Name the actual class, so a subclass's repr is right too. */
    const char *class_name = strrchr(Py_TYPE(self)->tp_name, '.');
    class_name = class_name ? class_name + 1 : Py_TYPE(self)->tp_name;
    PyObject *name, *email;
    long age;
    Py_BEGIN_CRITICAL_SECTION(self); /* references of our own: %R runs repr() */
    name = Py_NewRef(self->name);
    email = Py_NewRef(self->email);
    age = self->age;
    Py_END_CRITICAL_SECTION();
    PyObject *repr = PyUnicode_FromFormat("%s(%R, %ld, email=%R)", class_name, name, age, email);
    Py_DECREF(name);
    Py_DECREF(email);
    return repr;
}

/* Order by (name, age), like a tuple; anything but a Person: NotImplemented. */
static PyObject *
person_richcompare(PyObject *self, PyObject *other, int op)
{
    custom_state *state = get_state_by_type(Py_TYPE(self));
    if (state == NULL)
        return NULL;
    if (!PyObject_TypeCheck(other, state->Person))
        Py_RETURN_NOTIMPLEMENTED;
    Person *a = (Person *)self, *b = (Person *)other;
    PyObject *key_a, *key_b;
    Py_BEGIN_CRITICAL_SECTION2(a, b); /* both, in an order that cannot deadlock */
    key_a = Py_BuildValue("(Ol)", a->name, a->age);
    key_b = Py_BuildValue("(Ol)", b->name, b->age);
    Py_END_CRITICAL_SECTION2();
    PyObject *result = key_a && key_b ? PyObject_RichCompare(key_a, key_b, op) : NULL;
    Py_XDECREF(key_a);
    Py_XDECREF(key_b);
    return result;
}

static PyMethodDef person_methods[] = {
    {"birthday", person_birthday, METH_NOARGS,
     "birthday()\n--\n\nAdd one year to age; return the new age."},
    {NULL, NULL, 0, NULL},
};
/* [end: methods] */

/* [region: type] */
PyDoc_STRVAR(person_doc,
             "Person(name, age=0, email='')\n"
             "--\n"
             "\n"
             "A person: name (a non-empty str), age (an int), email (a str) and friends\n"
             "(a list). Persons compare by (name, age). Subclassable.");

static PyType_Slot person_slots[] = {
    {Py_tp_doc, (void *)person_doc},
    {Py_tp_new, person_new},
    {Py_tp_init, person_init},
    {Py_tp_dealloc, person_dealloc},
    {Py_tp_traverse, person_traverse},
    {Py_tp_clear, person_clear},
    {Py_tp_repr, person_repr},
    {Py_tp_richcompare, person_richcompare},
    {Py_tp_methods, person_methods},
    {Py_tp_members, person_members},
    {Py_tp_getset, person_getset},
    /* the end of the table */
    {0, NULL},
};

static PyType_Spec person_spec = {
    .name = "custom.Person",
    .basicsize = sizeof(Person),
    /* BASETYPE: Python classes may inherit from it (their own classes are
     * mutable as usual). HAVE_GC: it holds a list of arbitrary objects, so
     * reference cycles can pass through it. */
    .flags =
        Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = person_slots,
};

static int
custom_exec(PyObject *module)
{
    custom_state *state = get_state(module);
    /* FromModuleAndSpec: the type remembers its module, so its methods can
     * find the module state (get_state_by_type above). */
    state->Person = (PyTypeObject *)PyType_FromModuleAndSpec(module, &person_spec, NULL);
    if (state->Person == NULL)
        return -1;
    return PyModule_AddObjectRef(module, "Person", (PyObject *)state->Person);
}
/* [end: type] */

static int
custom_traverse(PyObject *module, visitproc visit, void *arg)
{
    custom_state *state = get_state(module);
    Py_VISIT(state->Person);
    return 0;
}

static int
custom_clear(PyObject *module)
{
    custom_state *state = get_state(module);
    Py_CLEAR(state->Person);
    return 0;
}

static void
custom_free(void *module)
{
    custom_clear((PyObject *)module);
}

static PyModuleDef_Slot custom_slots[] = {
    {Py_mod_exec, custom_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    /* Safe without the GIL: name, email and birthday's age are read and
     * replaced under the Person's critical section (above). */
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef custom_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "custom",
    .m_doc = "A new type done properly: custom.Person.",
    .m_size = sizeof(custom_state),
    .m_slots = custom_slots,
    .m_traverse = custom_traverse,
    .m_clear = custom_clear,
    .m_free = custom_free,
};

PyMODINIT_FUNC
PyInit_custom(void)
{
    return PyModuleDef_Init(&custom_module);
}
