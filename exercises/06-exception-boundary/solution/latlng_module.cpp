// latlng_module.cpp -- exercise 06-exception-boundary: the Python module around
// the C++ kernel in latlng.cpp. No C++ exception may leave a function Python
// calls: each one is caught here and becomes a Python exception.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <exception>
#include <new>

#include "latlng.hpp"

// Called inside a catch block: the exception being handled, as a Python exception.
static PyObject *
raise_python_error()
{
    try {
        throw;  // the exception being handled, again
    } catch (const latlng::ParseError &e) {
        PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const latlng::OutOfRange &e) {
        PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const std::bad_alloc &) {
        PyErr_NoMemory();
    } catch (const std::exception &e) {
        PyErr_Format(PyExc_RuntimeError, "latlng: unexpected C++ exception: %s", e.what());
    } catch (...) {
        PyErr_SetString(PyExc_RuntimeError, "latlng: unknown C++ exception");
    }
    return nullptr;
}

static PyObject *
point_tuple(const latlng::Point &point)
{
    return Py_BuildValue("(dd)", point.lat, point.lng);
}

PyDoc_STRVAR(parse_doc, "parse($module, text, /)\n"
                        "--\n\n"
                        "(lat, lng) in degrees from the text \"lat,lng\".");

static PyObject *
parse(PyObject *, PyObject *arg)
{
    Py_ssize_t size;
    const char *text = PyUnicode_AsUTF8AndSize(arg, &size);
    if (text == nullptr)
        return nullptr;
    try {
        return point_tuple(latlng::parse({text, static_cast<size_t>(size)}));
    } catch (...) {
        return raise_python_error();
    }
}

PyDoc_STRVAR(repeat_doc, "repeat($module, text, n, /)\n"
                         "--\n\n"
                         "A list of n copies of the point parse(text) gives.");

static PyObject *
repeat(PyObject *, PyObject *args)
{
    const char *text;
    Py_ssize_t size, n;
    if (!PyArg_ParseTuple(args, "s#n:repeat", &text, &size, &n))
        return nullptr;
    if (n < 0)
        return PyErr_Format(PyExc_ValueError, "n must be at least 0, not %zd", n);
    std::vector<latlng::Point> points;
    try {
        points = latlng::repeat({text, static_cast<size_t>(size)}, static_cast<size_t>(n));
    } catch (...) {
        return raise_python_error();
    }
    PyObject *list = PyList_New(n);
    if (list == nullptr)
        return nullptr;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = point_tuple(points[i]);
        if (item == nullptr) {
            Py_DECREF(list);
            return nullptr;
        }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

static PyMethodDef latlng_methods[] = {
    {"parse", parse, METH_O, parse_doc},
    {"repeat", repeat, METH_VARARGS, repeat_doc},
    {nullptr, nullptr, 0, nullptr},
};

static PyModuleDef_Slot latlng_slots[] = {
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, nullptr},
};

static PyModuleDef latlng_module = {
    PyModuleDef_HEAD_INIT,
    "latlng",                           // m_name
    "Exercise 06-exception-boundary.",  // m_doc
    0,                                  // m_size
    latlng_methods,                     // m_methods
    latlng_slots,                       // m_slots
    nullptr,
    nullptr,
    nullptr,  // m_traverse, m_clear, m_free
};

PyMODINIT_FUNC
PyInit_latlng(void)
{
    return PyModuleDef_Init(&latlng_module);
}
