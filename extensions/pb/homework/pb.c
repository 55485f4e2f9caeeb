/* pb.c -- YOUR homework: write and read gzip streams of DeviceApps messages.
 *
 * The brief, the file format and every error message the tests check are in
 * README.md next to this file. This stub compiles and imports: it has the
 * module's constants, its exception pb.Error, and the reader's type declared
 * and registered. What is marked TODO is yours, milestone by milestone:
 *
 *     make homework          builds this file and runs the reference's tests on it
 *
 * ../pb.c is the reference solution (lesson 05 walks through it): try
 * first.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#include <zlib.h>

#include "deviceapps.pb-c.h"

#define MAGIC 0xFFFFFFFFu
#define DEVICE_APPS_TYPE 1
#define HEADER_SIZE 8
#define MAX_MESSAGE_SIZE 0xFFFF /* the header's length field is 16 bits */

typedef struct {
    PyObject *error;           /* pb.Error, a ValueError subclass */
    PyTypeObject *reader_type; /* pb.DeviceAppsReader, what deviceapps_xread_pb returns */
} pb_state;

static inline pb_state *
get_state(PyObject *module)
{
    return (pb_state *)PyModule_GetState(module);
}

/* [region: protobuf-c-example] */
/* How protobuf-c packs a message (https://github.com/protobuf-c/protobuf-c/wiki/Examples):
 *
 *     DeviceApps msg = DEVICE_APPS__INIT;
 *     DeviceApps__Device device = DEVICE_APPS__DEVICE__INIT;
 *     device.has_id = 1;
 *     device.id.data = (uint8_t *)id;      device.id.len = id_len;
 *     msg.device = &device;
 *     msg.has_lat = 1;                     msg.lat = 67.7835424444;
 *     msg.n_apps = n;                      msg.apps = apps;   (apps: a uint32_t array)
 *     size_t len = device_apps__get_packed_size(&msg);
 *     device_apps__pack(&msg, buffer);     (buffer of at least len bytes)
 *
 * and unpacks one: DeviceApps *m = device_apps__unpack(NULL, len, buffer);
 * ... device_apps__free_unpacked(m, NULL);
 */
/* [end: protobuf-c-example] */

PyDoc_STRVAR(xwrite_doc,
             "deviceapps_xwrite_pb(iterable, path, compresslevel=6)\n"
             "--\n"
             "\n"
             "Write the dicts of `iterable` to `path` as a gzip stream of DeviceApps records\n"
             "and return the number of uncompressed bytes written, headers included.");

/* [region: todo-write] */
/* TODO, milestone 1: refuse a compresslevel outside 0..9 (ValueError, README.md);
 * turn path into a file name (PyUnicode_FSConverter, as for any os.PathLike);
 * iterate over the dicts (any iterable, one record at a time: PyObject_GetIter,
 * PyIter_Next); read each key with PyDict_GetItemWithError (NULL and no
 * exception: the key is absent); pack each record into a DeviceApps message;
 * write header + message to a gzip file (gzopen with the level in the mode,
 * "wb6"; "wb0" stores the data uncompressed; gzwrite, gzclose); return the
 * number of uncompressed bytes written as an int.
 * Milestone 3 adds the other errors of README.md, a temporary file renamed over
 * `path` only on success (../../common/replace_file.h does it), and the GIL
 * released around compression and writes. */
static PyObject *
deviceapps_xwrite_pb(PyObject *Py_UNUSED(module), PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"iterable", "path", "compresslevel", NULL};
    PyObject *iterable, *path;
    int level = 6;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|i:deviceapps_xwrite_pb", kwlist, &iterable,
                                     &path, &level))
        return NULL;
    PyErr_SetString(PyExc_NotImplementedError, "deviceapps_xwrite_pb: your homework");
    return NULL;
}
/* [end: todo-write] */

PyDoc_STRVAR(xread_doc,
             "deviceapps_xread_pb(path)\n"
             "--\n"
             "\n"
             "Return an iterator over the records of a file written by deviceapps_xwrite_pb.");

/* ---- reading: the iterator type, declared and registered for you ---- */

/* [region: todo-next] */
/* One open gzip stream; each next() reads one record. */
typedef struct {
    PyObject_HEAD
    gzFile gz;       /* NULL once the stream ended or failed */
    PyObject *path;  /* the path as given: error messages begin with its repr */
    uint64_t offset; /* uncompressed byte offset of the next record's header */
    unsigned char body[MAX_MESSAGE_SIZE]; /* room for the largest message a header allows */
} ReaderObject;

/* The module state from the reader's type (for st->error): the type was made
 * by PyType_FromModuleAndSpec, so it knows its module. */
static inline pb_state *
get_state_by_type(PyTypeObject *type)
{
    return (pb_state *)PyType_GetModuleState(type);
}

/* TODO, milestone 2: next(reader). Read the next 8-byte header and the message
 * after it (gzread), skip records of another type, unpack the message
 * (device_apps__unpack) and return it as a dict (free it with
 * device_apps__free_unpacked). At the end of the stream: close it, set
 * self->gz = NULL, and return NULL without an exception (StopIteration).
 * A bad magic raises pb.Error already in milestone 2 (README.md has the
 * message: PyErr_Format(get_state_by_type(Py_TYPE(op))->error, ...)); milestone 3 adds the
 * other pb.Error messages for damaged files. */
static PyObject *
reader_next(PyObject *op)
{
    ReaderObject *self = (ReaderObject *)op;
    (void)self;
    PyErr_SetString(PyExc_NotImplementedError, "next() of the reader: your homework");
    return NULL;
}
/* [end: todo-next] */

static int
reader_traverse(PyObject *op, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(op)); /* a heap type's instances own a reference to it */
    Py_VISIT(((ReaderObject *)op)->path);
    return 0;
}

static int
reader_clear(PyObject *op)
{
    Py_CLEAR(((ReaderObject *)op)->path);
    return 0;
}

static void
reader_dealloc(PyObject *op)
{
    ReaderObject *self = (ReaderObject *)op;
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    if (self->gz != NULL)
        gzclose(self->gz);
    reader_clear(op);
    type->tp_free(op);
    Py_DECREF(type);
}

static PyType_Slot reader_slots[] = {
    {Py_tp_doc, "Iterator over the DeviceApps records of a file (from deviceapps_xread_pb)."},
    {Py_tp_iter, PyObject_SelfIter}, /* iter(reader) is reader */
    {Py_tp_iternext, reader_next},
    {Py_tp_traverse, reader_traverse},
    {Py_tp_clear, reader_clear},
    {Py_tp_dealloc, reader_dealloc},
    /* No tp_new: only deviceapps_xread_pb makes a reader (DISALLOW_INSTANTIATION). */
    {0, NULL},
};

static PyType_Spec reader_spec = {
    .name = "pb.DeviceAppsReader",
    .basicsize = sizeof(ReaderObject),
    /* GC: a reader holds a Python object (path). Only deviceapps_xread_pb makes one. */
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION
             | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = reader_slots,
};

/* [region: todo-open] */
/* TODO, milestone 2: open the file (gzopen on the bytes PyUnicode_FSConverter
 * makes of path; milestone 3 checks that a file that cannot be opened raises
 * OSError here, at the call, with PyErr_SetFromErrnoWithFilenameObject and
 * PyOS_FSPath(path) as the filename, and that a directory is refused here too:
 * open(), fstat(), gzdopen()), then
 * make the reader:
 *     ReaderObject *self = PyObject_GC_New(ReaderObject, get_state(module)->reader_type);
 * set its fields (self->path = Py_NewRef(path), ...), PyObject_GC_Track(self),
 * and return it. Nothing is read here: each next() reads one record. */
static PyObject *
deviceapps_xread_pb(PyObject *module, PyObject *path)
{
    (void)module, (void)path;
    PyErr_SetString(PyExc_NotImplementedError, "deviceapps_xread_pb: your homework");
    return NULL;
}
/* [end: todo-open] */

static PyMethodDef pb_methods[] = {
    {"deviceapps_xwrite_pb", (PyCFunction)(void (*)(void))deviceapps_xwrite_pb,
     METH_VARARGS | METH_KEYWORDS, xwrite_doc},
    {"deviceapps_xread_pb", deviceapps_xread_pb, METH_O, xread_doc},
    {NULL, NULL, 0, NULL},
};

static int
pb_exec(PyObject *module)
{
    pb_state *st = get_state(module);
    st->reader_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &reader_spec, NULL);
    if (st->reader_type == NULL)
        return -1;
    st->error = PyErr_NewExceptionWithDoc("pb.Error", "A DeviceApps file is damaged.",
                                          PyExc_ValueError, NULL);
    if (st->error == NULL || PyModule_AddObjectRef(module, "Error", st->error) < 0)
        return -1;
    PyObject *magic = PyLong_FromUnsignedLong(MAGIC);
    int rc = magic == NULL ? -1 : PyModule_AddObjectRef(module, "MAGIC", magic);
    Py_XDECREF(magic);
    if (rc < 0 || PyModule_AddIntMacro(module, DEVICE_APPS_TYPE) < 0
        || PyModule_AddIntMacro(module, HEADER_SIZE) < 0)
        return -1;
    return 0;
}

static int
pb_traverse(PyObject *module, visitproc visit, void *arg)
{
    Py_VISIT(get_state(module)->error);
    Py_VISIT(get_state(module)->reader_type);
    return 0;
}

static int
pb_clear(PyObject *module)
{
    Py_CLEAR(get_state(module)->error);
    Py_CLEAR(get_state(module)->reader_type);
    return 0;
}

static void
pb_free(void *module)
{
    pb_clear((PyObject *)module);
}

static PyModuleDef_Slot pb_slots[] = {
    {Py_mod_exec, pb_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    /* The reader is guarded by the GIL: on a free-threaded build the GIL
     * stays on for this module. */
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef pb_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "pb",
    .m_doc = "Write and read gzip streams of DeviceApps protobuf records (your homework).",
    .m_size = sizeof(pb_state),
    .m_methods = pb_methods,
    .m_slots = pb_slots,
    .m_traverse = pb_traverse,
    .m_clear = pb_clear,
    .m_free = pb_free,
};

PyMODINIT_FUNC
PyInit_pb(void)
{
    return PyModuleDef_Init(&pb_module);
}
