/* mistakes.c -- mistakes this homework invites, each as a small
 * deliberately WRONG function next to the right one. Built as the module
 * pb_mistakes; tests/test_mistakes.py shows each symptom. Never copy these.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* [region: swallowed] */
/* WRONG: the parse error is noticed, then "handled" by returning NULL after
 * clearing it -- a C function returning NULL must leave an exception set. */
static PyObject *
swallowed_error(PyObject *Py_UNUSED(module), PyObject *arg)
{
    long value = PyLong_AsLong(arg);
    if (value == -1 && PyErr_Occurred()) {
        PyErr_Clear(); /* the bug */
        return NULL;
    }
    return PyLong_FromLong(value * 2);
}

/* RIGHT: keep the exception the failing call set, and return NULL. */
static PyObject *
kept_error(PyObject *Py_UNUSED(module), PyObject *arg)
{
    long value = PyLong_AsLong(arg);
    if (value == -1 && PyErr_Occurred())
        return NULL;
    return PyLong_FromLong(value * 2);
}
/* [end: swallowed] */

/* [region: leak] */
/* n + 1000 as a new int (not one of the small ints Python caches), or NULL with
 * the exception set: TypeError for a non-int, OverflowError if it does not fit. */
static PyObject *
plus_1000(PyObject *arg)
{
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (n == -1 && PyErr_Occurred())
        return NULL;
    if (n > PY_SSIZE_T_MAX - 1000)
        return PyErr_Format(PyExc_OverflowError, "%zd + 1000 does not fit in a Py_ssize_t", n);
    return PyLong_FromSsize_t(n + 1000);
}

/* WRONG: PyDict_SetItemString does not steal the value; our reference to the
 * new int is never released, so every call leaks one int. */
static PyObject *
leaky_dict(PyObject *Py_UNUSED(module), PyObject *arg)
{
    PyObject *dict = PyDict_New(), *value = plus_1000(arg);
    if (dict == NULL || value == NULL || PyDict_SetItemString(dict, "value", value) < 0) {
        Py_XDECREF(value);
        Py_XDECREF(dict);
        return NULL;
    }
    return dict; /* the bug: no Py_DECREF(value) */
}

/* RIGHT: release our reference once the dict holds its own. */
static PyObject *
tidy_dict(PyObject *Py_UNUSED(module), PyObject *arg)
{
    PyObject *dict = PyDict_New(), *value = plus_1000(arg);
    if (dict == NULL || value == NULL || PyDict_SetItemString(dict, "value", value) < 0) {
        Py_XDECREF(value);
        Py_XDECREF(dict);
        return NULL;
    }
    Py_DECREF(value); /* the dict keeps its own reference */
    return dict;
}
/* [end: leak] */

/* [region: open] */
/* WRONG: an early return on the error path forgets to close the file. */
static PyObject *
first_byte_leaky(PyObject *Py_UNUSED(module), PyObject *arg)
{
    const char *path = PyUnicode_AsUTF8(arg);
    if (path == NULL)
        return NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, arg);
    int c = fgetc(f);
    if (c == EOF)
        return PyErr_Format(PyExc_ValueError, "%R is empty", arg); /* f stays open */
    fclose(f);
    return PyLong_FromLong(c);
}

/* RIGHT: one exit path that always closes. */
static PyObject *
first_byte(PyObject *Py_UNUSED(module), PyObject *arg)
{
    const char *path = PyUnicode_AsUTF8(arg);
    if (path == NULL)
        return NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, arg);
    int c = fgetc(f);
    fclose(f);
    if (c == EOF)
        return PyErr_Format(PyExc_ValueError, "%R is empty", arg);
    return PyLong_FromLong(c);
}
/* [end: open] */

/* [region: header] */
/* WRONG: a C struct copied as bytes: native byte order (big-endian hosts write
 * another file) and a length cast to 16 bits without a check. */
typedef struct {
    uint32_t magic;
    uint16_t type;
    uint16_t length;
} header_struct;

static PyObject *
header_careless(PyObject *Py_UNUSED(module), PyObject *arg)
{
    Py_ssize_t length = PyLong_AsSsize_t(arg);
    if (length == -1 && PyErr_Occurred())
        return NULL;
    header_struct h = {0xFFFFFFFFu, 1, (uint16_t)length}; /* silently length % 65536 */
    return PyBytes_FromStringAndSize((const char *)&h, sizeof(h));
}

/* RIGHT: refuse what does not fit; write each byte in little-endian order. */
static PyObject *
header_checked(PyObject *Py_UNUSED(module), PyObject *arg)
{
    Py_ssize_t length = PyLong_AsSsize_t(arg);
    if (length == -1 && PyErr_Occurred())
        return NULL;
    if (length < 0 || length > 0xFFFF)
        return PyErr_Format(PyExc_ValueError, "length %zd does not fit in 16 bits", length);
    unsigned char h[8] = {0xff,
                          0xff,
                          0xff,
                          0xff,
                          1,
                          0,
                          (unsigned char)(length & 0xff),
                          (unsigned char)(length >> 8)};
    return PyBytes_FromStringAndSize((const char *)h, sizeof(h));
}
/* [end: header] */

/* [region: borrowed] */
/* Both functions return (record["id"] in UTF-8, the number of record["apps"]),
 * copying the id's bytes as pb packs them.
 *
 * Counts the items of record["apps"]: iterating runs Python code (a generator,
 * an iterator's __next__), which may do anything, the record included.
 * -1 with an exception set on error. */
static Py_ssize_t
count_apps(PyObject *record)
{
    PyObject *apps = PyMapping_GetItemString(record, "apps");
    PyObject *iterator = apps ? PyObject_GetIter(apps) : NULL, *item;
    Py_XDECREF(apps);
    if (iterator == NULL)
        return -1;
    Py_ssize_t count = 0;
    while ((item = PyIter_Next(iterator)) != NULL) {
        Py_DECREF(item);
        count++;
    }
    Py_DECREF(iterator);
    return PyErr_Occurred() ? -1 : count;
}

/* WRONG: `id` is borrowed from the dict and `text` points into it; then
 * count_apps() runs Python code. If that code replaces record["id"], the dict
 * drops the last reference to the old str, it is freed, and `text` is read
 * from freed memory. */
static PyObject *
id_and_apps_careless(PyObject *Py_UNUSED(module), PyObject *record)
{
    if (!PyDict_Check(record))
        return PyErr_Format(PyExc_TypeError, "record must be a dict, not %.100s",
                            Py_TYPE(record)->tp_name);
    PyObject *id = PyDict_GetItemString(record, "id"); /* borrowed */
    if (id == NULL)
        return PyErr_Format(PyExc_KeyError, "id");
    Py_ssize_t size;
    const char *text = PyUnicode_AsUTF8AndSize(id, &size); /* points into id */
    if (text == NULL)
        return NULL;
    Py_ssize_t count = count_apps(record); /* Python code runs */
    if (count < 0)
        return NULL;
    return Py_BuildValue("(y#n)", text, size, count); /* the bug: text may be freed */
}

/* RIGHT: own a reference to `id` for as long as `text` is used, whatever
 * the Python code in between does to the dict. */
static PyObject *
id_and_apps(PyObject *Py_UNUSED(module), PyObject *record)
{
    if (!PyDict_Check(record))
        return PyErr_Format(PyExc_TypeError, "record must be a dict, not %.100s",
                            Py_TYPE(record)->tp_name);
    PyObject *id = PyMapping_GetItemString(record, "id"); /* a new reference */
    if (id == NULL)
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t size;
    const char *text = PyUnicode_AsUTF8AndSize(id, &size);
    if (text != NULL) {
        Py_ssize_t count = count_apps(record);
        if (count >= 0)
            result = Py_BuildValue("(y#n)", text, size, count);
    }
    Py_DECREF(id); /* only now may the str go */
    return result;
}
/* [end: borrowed] */

static PyMethodDef mistakes_methods[] = {
    {"swallowed_error", swallowed_error, METH_O, "WRONG: returns NULL without an exception."},
    {"kept_error", kept_error, METH_O, "Doubles an int; keeps the error of a bad argument."},
    {"leaky_dict", leaky_dict, METH_O, "WRONG: {'value': n + 1000}, leaking the int."},
    {"tidy_dict", tidy_dict, METH_O, "{'value': n + 1000}."},
    {"first_byte_leaky", first_byte_leaky, METH_O,
     "WRONG: first byte of a file; leaks it if empty."},
    {"first_byte", first_byte, METH_O, "First byte of a file."},
    {"header_careless", header_careless, METH_O,
     "WRONG: a native-endian header, length cut to 16 bits."},
    {"header_checked", header_checked, METH_O,
     "A little-endian header; ValueError if it cannot hold the length."},
    {"id_and_apps_careless", id_and_apps_careless, METH_O,
     "WRONG: (record['id'] in UTF-8, number of record['apps']), read through a pointer that may dangle."},
    {"id_and_apps", id_and_apps, METH_O, "(record['id'] in UTF-8, number of record['apps'])."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot mistakes_slots[] = {
/* Wrong code on purpose: one interpreter, with the GIL. */
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef mistakes_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "pb_mistakes",
    .m_doc = "Mistakes the pb homework invites, each next to its fix. Never copy these.",
    .m_size = 0,
    .m_methods = mistakes_methods,
    .m_slots = mistakes_slots,
};

PyMODINIT_FUNC
PyInit_pb_mistakes(void)
{
    return PyModuleDef_Init(&mistakes_module);
}
