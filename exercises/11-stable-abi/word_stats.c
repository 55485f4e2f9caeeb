/* word_stats: the longest word of a list, written against the full C API of
 * the Python that builds it. The exercise: make it build against the stable ABI
 * of CPython 3.10 (README.md). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* longest(words) -> (word, characters, utf8_bytes): the first longest str of a list. */
static PyObject *
longest(PyObject *Py_UNUSED(module), PyObject *words)
{
    if (!PyList_Check(words)) {
        PyErr_Format(PyExc_TypeError, "words must be a list, not %.100s", Py_TYPE(words)->tp_name);
        return NULL;
    }
    if (PyList_GET_SIZE(words) == 0) {
        PyErr_SetString(PyExc_ValueError, "words is empty");
        return NULL;
    }
    PyObject *best = NULL;
    Py_ssize_t best_length = -1;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(words); i++) {
        PyObject *word = PyList_GET_ITEM(words, i);
        if (!PyUnicode_Check(word)) {
            PyErr_Format(PyExc_TypeError, "words[%zd] must be a str, not %.100s", i,
                         Py_TYPE(word)->tp_name);
            return NULL;
        }
        if (PyUnicode_GET_LENGTH(word) > best_length) {
            best = word;
            best_length = PyUnicode_GET_LENGTH(word);
        }
    }
    const char *utf8 = PyUnicode_AsUTF8(best);
    if (utf8 == NULL)
        return NULL; /* a lone surrogate has no UTF-8 */
    return Py_BuildValue("(Onn)", best, best_length, (Py_ssize_t)strlen(utf8));
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
