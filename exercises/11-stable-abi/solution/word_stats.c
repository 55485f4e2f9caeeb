/* word_stats: the longest word of a list, against the stable ABI of CPython
 * 3.10 (setup.py defines Py_LIMITED_API): one build for every later CPython. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* The name of an object's type, for a message (a new reference). The limited API
 * hides the type object's fields (tp_name); __name__ is an attribute, readable
 * by any API (PyType_GetName does it in one call, but only from 3.11). */
static PyObject *
type_name(PyObject *obj)
{
    return PyObject_GetAttrString((PyObject *)Py_TYPE(obj), "__name__");
}

/* longest(words) -> (word, characters, utf8_bytes): the first longest str of a list. */
static PyObject *
longest(PyObject *Py_UNUSED(module), PyObject *words)
{
    if (!PyList_Check(words)) {
        PyObject *name = type_name(words);
        if (name != NULL) {
            PyErr_Format(PyExc_TypeError, "words must be a list, not %U", name);
            Py_DECREF(name);
        }
        return NULL;
    }
    /* The macros (PyList_GET_SIZE, PyList_GET_ITEM, PyUnicode_GET_LENGTH) read
     * the objects' fields, which the limited API hides: their functions instead. */
    if (PyList_Size(words) == 0) {
        PyErr_SetString(PyExc_ValueError, "words is empty");
        return NULL;
    }
    PyObject *best = NULL;
    Py_ssize_t best_length = -1;
    for (Py_ssize_t i = 0; i < PyList_Size(words); i++) {
        PyObject *word = PyList_GetItem(words, i); /* borrowed, as the macro's was */
        if (word == NULL)
            return NULL;
        if (!PyUnicode_Check(word)) {
            PyObject *name = type_name(word);
            if (name != NULL) {
                PyErr_Format(PyExc_TypeError, "words[%zd] must be a str, not %U", i, name);
                Py_DECREF(name);
            }
            return NULL;
        }
        Py_ssize_t length = PyUnicode_GetLength(word);
        if (length > best_length) {
            best = word;
            best_length = length;
        }
    }
    /* PyUnicode_AsUTF8 is not in the limited API before 3.13; this one is, since 3.10. */
    Py_ssize_t utf8_bytes;
    if (PyUnicode_AsUTF8AndSize(best, &utf8_bytes) == NULL)
        return NULL; /* a lone surrogate has no UTF-8 */
    return Py_BuildValue("(Onn)", best, best_length, utf8_bytes);
}

static PyMethodDef word_stats_methods[] = {
    {"longest", longest, METH_O,
     "longest(words, /)\n--\n\n"
     "The first longest str of a list: (word, characters, bytes of its UTF-8)."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot word_stats_slots[] = {
    {0, NULL},
};

static struct PyModuleDef word_stats_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "word_stats",
    .m_doc = "The longest word of a list.",
    .m_size = 0,
    .m_methods = word_stats_methods,
    .m_slots = word_stats_slots,
};

PyMODINIT_FUNC
PyInit_word_stats(void)
{
    return PyModuleDef_Init(&word_stats_module);
}
