// s2cover: the S2 covering of GeoJSON polygons, bound to Python by hand with
// the CPython C API from C++ (the lecture's rbs2, remade for Python 3 and
// today's S2). The work itself is geojson_cover.cpp; this file is the boundary:
// arguments in, the GIL released around the C++ call, C++ exceptions caught and
// turned into Python ones, results out.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cerrno>
#include <exception>
#include <new>
#include <string>
#include <vector>

#if defined(__GLIBCXX__)
#  include <cxxabi.h>  // abi::__forced_unwind
#endif

#include "geojson_cover.hpp"

namespace gc = geojson_cover;

// [region: state]
// Module state (PEP 3121): the Cell record type lives here, not in a C global.
// With multi-phase initialisation (PEP 489) every module object made from
// s2cover_module gets its own state, so each interpreter that imports s2cover
// gets its own Cell type.
struct s2cover_state {
    PyTypeObject *cell_type;
};

static s2cover_state *
get_state(PyObject *module)
{
    return static_cast<s2cover_state *>(PyModule_GetState(module));
}

// The state holds a reference: the garbage collector visits it (traverse) and
// drops it (clear, and free when the module object is deallocated).
static int
s2cover_traverse(PyObject *module, visitproc visit, void *arg)
{
    Py_VISIT(get_state(module)->cell_type);
    return 0;
}

static int
s2cover_clear(PyObject *module)
{
    Py_CLEAR(get_state(module)->cell_type);
    return 0;
}

static void
s2cover_free(void *module)
{
    s2cover_clear(static_cast<PyObject *>(module));
}
// [end: state]

// [region: exceptions]
// A C++ exception must never unwind through the interpreter's C frames: the
// interpreter cannot run destructors or release what it holds, and an
// exception leaving a function called from C is undefined behaviour (in
// practice std::terminate, an abort). So every entry point catches
// everything, and this function turns what was caught into a Python exception.
// It runs with the GIL held; the caught exception travels here as an
// exception_ptr from the block that ran without the GIL.
static PyObject *
raise_python_error(std::exception_ptr failure)
{
    try {
        std::rethrow_exception(failure);
    } catch (const gc::FileError &e) {
        errno = e.errno_value();  // OSError picks the subclass from errno: FileNotFoundError, ...
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, e.what());
    } catch (const gc::InvalidInput &e) {
        PyErr_SetString(PyExc_ValueError, e.what());  // the kernel's messages are valid UTF-8
    } catch (const gc::Interrupted &) {
        PyErr_SetNone(PyExc_KeyboardInterrupt);
    } catch (const std::bad_alloc &e) {
        PyErr_SetString(PyExc_MemoryError, e.what());  // as pybind11 does: the same text
    } catch (const std::exception &e) {
        PyErr_Format(PyExc_RuntimeError, "s2cover: unexpected C++ exception: %s", e.what());
    } catch (...) {
        PyErr_SetString(PyExc_RuntimeError, "s2cover: unknown C++ exception");
    }
    return nullptr;
}
// [end: exceptions]

// [region: cell]
static PyStructSequence_Field cell_fields[] = {
    {"id", "the 64-bit S2 cell id"},
    {"token", "the id as S2's compact hex token (trailing zeros dropped)"},
    {"level", "0 (a cube face) to 30 (about 1 cm)"},
    {"face", "the cube face, 0 to 5"},
    {"vertices", "the four corners as (lat, lng) in degrees, counter-clockwise"},
    {nullptr, nullptr},
};

static PyStructSequence_Desc cell_desc = {
    "s2cover.Cell",
    "One cell of a covering: cover_geojson(..., only_id=False) returns these.",
    cell_fields,
    5,
};

static PyObject *
new_cell(PyTypeObject *type, const gc::CellInfo &info)
{
    PyObject *cell = PyStructSequence_New(type);
    if (cell == nullptr)
        return nullptr;
    PyObject *items[5] = {
        PyLong_FromUnsignedLongLong(info.id),
        PyUnicode_FromStringAndSize(info.token.data(), static_cast<Py_ssize_t>(info.token.size())),
        PyLong_FromLong(info.level),
        PyLong_FromLong(info.face),
        Py_BuildValue("((dd)(dd)(dd)(dd))", info.vertex_lat[0], info.vertex_lng[0],
                      info.vertex_lat[1], info.vertex_lng[1], info.vertex_lat[2],
                      info.vertex_lng[2], info.vertex_lat[3], info.vertex_lng[3]),
    };
    bool ok = true;
    for (int i = 0; i < 5; ++i) {
        if (items[i] == nullptr)
            ok = false;
        PyStructSequence_SetItem(cell, i, items[i]);  // steals; NULL slots are fine to free
    }
    if (!ok) {
        Py_DECREF(cell);
        return nullptr;
    }
    return cell;
}
// [end: cell]

// [region: signals]
// The kernel runs without the GIL and asks this every 50 ms whether to stop. A
// C function is never interrupted by Ctrl-C: the interpreter only notes the
// signal, and runs the handler (the default raises KeyboardInterrupt) when it
// next gets control. So this takes the GIL back, runs the pending handlers and,
// if one raised, keeps the exception for cover_geojson to re-raise once the
// kernel has stopped and cleaned up. A handler is Python code: it may do
// anything, call cover_geojson again included; nothing here is shared with it.
struct SignalCheck {
    PyThreadState *thread;       // this thread's state, from PyEval_SaveThread
    PyObject *raised = nullptr;  // what a handler raised (owned)

    bool
    operator()()
    {
        PyEval_RestoreThread(thread);
        const bool stop = PyErr_CheckSignals() < 0;
        if (stop) {
#if PY_VERSION_HEX >= 0x030C0000
            raised = PyErr_GetRaisedException();
#else
            PyObject *type, *traceback;
            PyErr_Fetch(&type, &raised, &traceback);
            PyErr_NormalizeException(&type, &raised, &traceback);
            if (traceback != nullptr)
                PyException_SetTraceback(raised, traceback);
            Py_XDECREF(type);
            Py_XDECREF(traceback);
#endif
        }
        thread = PyEval_SaveThread();
        return stop;
    }

    // With the GIL: raise what the handler raised again (hands the reference over).
    PyObject *
    reraise()
    {
#if PY_VERSION_HEX >= 0x030C0000
        PyErr_SetRaisedException(raised);
#else
        PyErr_Restore(Py_NewRef(reinterpret_cast<PyObject *>(Py_TYPE(raised))), raised,
                      PyException_GetTraceback(raised));
#endif
        raised = nullptr;
        return nullptr;
    }
};
// [end: signals]

// [region: cover_geojson]
PyDoc_STRVAR(
    cover_geojson_doc,
    "cover_geojson(path, only_id=True, max_cells=4096, min_level=0, max_level=30, level_mod=1)\n"
    "--\n\n"
    "The Google S2 covering of the polygons in the GeoJSON file at path.\n\n"
    "Reads Polygon, MultiPolygon, Feature, FeatureCollection and GeometryCollection\n"
    "objects (positions are [longitude, latitude]), unites every polygon found and\n"
    "returns the cells S2RegionCoverer chooses to cover that region:\n"
    "only_id   -- True: a list of int cell ids; False: a list of Cell records\n"
    "             (id, token, level, face, vertices)\n"
    "max_cells -- at most this many cells (S2 may return more when min_level or\n"
    "             level_mod forbid larger cells)\n"
    "min_level -- no cell larger than this level (0 = a whole cube face)\n"
    "max_level -- no cell smaller than this level (30 = about 1 cm)\n"
    "level_mod -- use only levels where (level - min_level) is a multiple of this:\n"
    "             1, 2 or 3, branching factors of 4, 16 or 64.\n\n"
    "Limits: a covering holds at most 1,000,000 cells (250,000 with level_mod=2,\n"
    "62,500 with level_mod=3): a larger max_cells, or a min_level that would need\n"
    "more cells on the region, is a ValueError. JSON nested more than 512 deep\n"
    "is a ValueError too.\n\n"
    "Raises OSError if the file cannot be read and ValueError for bad JSON (byte\n"
    "offsets count from 0), an invalid polygon or a parameter out of range. The\n"
    "GIL is released while the file is read and covered; Ctrl-C (a signal\n"
    "handler that raises) stops the call within about 50 ms.");

static PyObject *
cover_geojson(PyObject *module, PyObject *args, PyObject *kwargs)
{
    // PyArg_ParseTupleAndKeywords takes char** (char* const* from 3.13): C++
    // will not turn string literals into char*, hence the const_cast.
    static const char *keywords[] = {"path",      "only_id",   "max_cells", "min_level",
                                     "max_level", "level_mod", nullptr};
    PyObject *path_bytes = nullptr;  // str, bytes or os.PathLike, encoded for the OS
    int only_id = 1;
    gc::CoverOptions options;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&|piiii:cover_geojson",
                                     const_cast<char **>(keywords), PyUnicode_FSConverter,
                                     &path_bytes, &only_id, &options.max_cells, &options.min_level,
                                     &options.max_level, &options.level_mod))
        return nullptr;
    // Copying the path allocates, and may throw std::bad_alloc: inside a try too.
    std::string path;
    try {
        path.assign(PyBytes_AS_STRING(path_bytes), PyBytes_GET_SIZE(path_bytes));
    } catch (...) {
        Py_DECREF(path_bytes);
        return raise_python_error(std::current_exception());
    }
    Py_DECREF(path_bytes);

    std::vector<S2CellId> cells;
    std::vector<gc::CellInfo> infos;
    std::exception_ptr failure;
    // Without the GIL, as Py_BEGIN/END_ALLOW_THREADS would do, but the thread
    // state stays at hand for the signal check. No Python object is touched in
    // here but by the check, which takes the GIL back first.
    SignalCheck check{PyEval_SaveThread()};
    try {
        cells = gc::cover_file(path, options, [&check] { return check(); });
        if (!only_id) {
            infos.reserve(cells.size());
            for (S2CellId cell : cells)
                infos.push_back(gc::describe(cell));
        }
#if defined(__GLIBCXX__)
    } catch (abi::__forced_unwind &) {  // the interpreter is ending this thread: let it
        throw;
#endif
    } catch (...) {
        failure = std::current_exception();
    }
    PyEval_RestoreThread(check.thread);
    if (check.raised != nullptr)
        return check.reraise();  // KeyboardInterrupt, say
    if (failure)
        return raise_python_error(failure);

    PyObject *result = PyList_New(static_cast<Py_ssize_t>(cells.size()));
    if (result == nullptr)
        return nullptr;
    PyTypeObject *cell_type = get_state(module)->cell_type;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        PyObject *item =
            only_id ? PyLong_FromUnsignedLongLong(cells[i].id()) : new_cell(cell_type, infos[i]);
        if (item == nullptr) {
            Py_DECREF(result);
            return nullptr;
        }
        PyList_SET_ITEM(result, static_cast<Py_ssize_t>(i), item);
    }
    return result;
}
// [end: cover_geojson]

// [region: cell_id]
PyDoc_STRVAR(cell_id_doc,
             "cell_id(lat, lng, level, /)\n"
             "--\n\n"
             "The id of the S2 cell at level (0..30) that holds the point (degrees).");

// METH_FASTCALL: the arguments arrive as a C array, no tuple is built, and
// none by keyword (hence the / in the signature above). This is the function
// lesson 06 times over many calls to measure the cost of a call.
static PyObject *
cell_id(PyObject *, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "cell_id() takes 3 arguments (lat, lng, level), %zd given",
                     nargs);
        return nullptr;
    }
    const double lat = PyFloat_AsDouble(args[0]);
    if (lat == -1.0 && PyErr_Occurred())
        return nullptr;
    const double lng = PyFloat_AsDouble(args[1]);
    if (lng == -1.0 && PyErr_Occurred())
        return nullptr;
    const long level_arg = PyLong_AsLong(args[2]);
    if (level_arg == -1 && PyErr_Occurred())
        return nullptr;
    // Out of int's range is out of 0..30 too: let the kernel's check report it.
    const int level = (level_arg < 0 || level_arg > 30) ? -1 : static_cast<int>(level_arg);
    try {
        return PyLong_FromUnsignedLongLong(gc::cell_id_at(lat, lng, level));
    } catch (...) {
        return raise_python_error(std::current_exception());
    }
}
// [end: cell_id]

// [region: module]
static PyMethodDef s2cover_methods[] = {
    {"cover_geojson",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(cover_geojson)),
     METH_VARARGS | METH_KEYWORDS, cover_geojson_doc},
    {"cell_id", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(cell_id)),
     METH_FASTCALL, cell_id_doc},
    {nullptr, nullptr, 0, nullptr},
};

static int
s2cover_exec(PyObject *module)
{
    s2cover_state *state = get_state(module);
    state->cell_type = PyStructSequence_NewType(&cell_desc);
    if (state->cell_type == nullptr)
        return -1;
    // AddObjectRef adds a reference of its own: the state keeps the one NewType gave.
    return PyModule_AddObjectRef(module, "Cell", reinterpret_cast<PyObject *>(state->cell_type));
}

static PyModuleDef_Slot s2cover_slots[] = {
    {Py_mod_exec, reinterpret_cast<void *>(s2cover_exec)},
#if PY_VERSION_HEX >= 0x030C0000
    // What a module without this slot gets: S2's own static data has not been
    // reviewed for an interpreter with a GIL of its own.
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    // Safe without the GIL: cover_geojson already runs its C++ with the GIL
    // released, beside other calls (test_hostile's threads), and the rest only
    // reads immutable arguments and builds new objects.
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, nullptr},
};

// C++17 has no designated initializers: the fields in their order, each named.
static PyModuleDef s2cover_module = {
    PyModuleDef_HEAD_INIT,
    "s2cover",                                                                     // m_name
    "Google S2 coverings of GeoJSON polygons (C++, hand-written CPython C API).",  // m_doc
    sizeof(s2cover_state),                                                         // m_size
    s2cover_methods,                                                               // m_methods
    s2cover_slots,                                                                 // m_slots
    s2cover_traverse,                                                              // m_traverse
    s2cover_clear,                                                                 // m_clear
    s2cover_free,                                                                  // m_free
};

// PyMODINIT_FUNC expands to extern "C" in C++, with default visibility: the
// interpreter looks the function up by its plain C name, which C++ name
// mangling would otherwise turn into _Z14PyInit_s2coverv.
PyMODINIT_FUNC
PyInit_s2cover(void)
{
    return PyModuleDef_Init(&s2cover_module);
}
// [end: module]
