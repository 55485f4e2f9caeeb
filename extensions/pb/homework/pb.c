/* pb.c -- YOUR homework: write and read gzip streams of DeviceApps messages.
 *
 * This is the lecture's stub, modernised to Python 3: it compiles, imports and
 * has the module's constants and exception; the two functions are yours.
 * Build it and run the reference test suite against it with
 *
 *     make homework
 *
 * Every failing test is a behaviour still missing. ../pb.c is the reference
 * solution: try before you read it.
 *
 * File format: a gzip stream of records; each record is an 8-byte header,
 * little-endian on every host (write the bytes one by one, not a C struct):
 *     uint32 magic (MAGIC), uint16 type (DEVICE_APPS_TYPE), uint16 length
 * followed by `length` bytes: the packed DeviceApps message.
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

typedef struct {
    PyObject *error;            /* pb.Error, a ValueError subclass */
} pb_state;

/* How protobuf-c packs a message (https://github.com/protobuf-c/protobuf-c/wiki/Examples):
 *
 *     DeviceApps msg = DEVICE_APPS__INIT;
 *     DeviceApps__Device device = DEVICE_APPS__DEVICE__INIT;
 *     device.has_id = 1;
 *     device.id.data = (uint8_t *)id;      device.id.len = id_len;
 *     msg.device = &device;
 *     msg.has_lat = 1;                     msg.lat = 67.7835424444;
 *     msg.n_apps = n;                      msg.apps = apps;   (uint32_t *)
 *     size_t len = device_apps__get_packed_size(&msg);
 *     device_apps__pack(&msg, buffer);     (buffer of at least len bytes)
 *
 * and unpacks one: DeviceApps *m = device_apps__unpack(NULL, len, buffer);
 * ... device_apps__free_unpacked(m, NULL);
 */

PyDoc_STRVAR(xwrite_doc,
"deviceapps_xwrite_pb(iterable, path, compresslevel=6)\n"
"--\n"
"\n"
"Write the dicts of `iterable` to `path` as a gzip stream of DeviceApps records\n"
"and return the number of uncompressed bytes written, headers included.");

/* TODO: iterate over the dicts (any iterable, lazily); pack each into a DeviceApps
 * message and write header + message; return the bytes written as an int.
 * Wrong types -> TypeError naming the field and the record's index; an app out of
 * 0..2**32-1 or a message longer than 65535 bytes -> ValueError; write to a temporary
 * file and rename it on success; release the GIL around compression and writes. */
static PyObject *
deviceapps_xwrite_pb(PyObject *Py_UNUSED(module), PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"iterable", "path", "compresslevel", NULL};
    PyObject *iterable, *path;
    int level = 6;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|i:deviceapps_xwrite_pb", kwlist,
                                     &iterable, &path, &level))
        return NULL;
    PyErr_SetString(PyExc_NotImplementedError, "deviceapps_xwrite_pb: your homework");
    return NULL;
}

PyDoc_STRVAR(xread_doc,
"deviceapps_xread_pb(path)\n"
"--\n"
"\n"
"Return an iterator over the records of a file written by deviceapps_xwrite_pb.");

/* TODO: return a lazy iterator (a C type with tp_iter/tp_iternext) that reads one
 * record at a time and yields its dict; skip records of other types; a missing file
 * -> OSError at once; bad magic, truncated or unparsable records, corrupt gzip ->
 * pb.Error with the record's byte offset. */
static PyObject *
deviceapps_xread_pb(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(path))
{
    PyErr_SetString(PyExc_NotImplementedError, "deviceapps_xread_pb: your homework");
    return NULL;
}

static PyMethodDef pb_methods[] = {
    {"deviceapps_xwrite_pb", (PyCFunction)(void (*)(void))deviceapps_xwrite_pb,
     METH_VARARGS | METH_KEYWORDS, xwrite_doc},
    {"deviceapps_xread_pb", deviceapps_xread_pb, METH_O, xread_doc},
    {NULL, NULL, 0, NULL}
};

static int pb_exec(PyObject *module)
{
    pb_state *st = PyModule_GetState(module);
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

static int pb_traverse(PyObject *module, visitproc visit, void *arg)
{
    Py_VISIT(((pb_state *)PyModule_GetState(module))->error);
    return 0;
}

static int pb_clear(PyObject *module)
{
    Py_CLEAR(((pb_state *)PyModule_GetState(module))->error);
    return 0;
}

static void pb_free(void *module)
{
    pb_clear((PyObject *)module);
}

static PyModuleDef_Slot pb_slots[] = {
    {Py_mod_exec, pb_exec},
    {0, NULL}
};

static struct PyModuleDef pb_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pb",
    .m_doc = "Write and read gzip streams of DeviceApps protobuf records (your homework).",
    .m_size = sizeof(pb_state),
    .m_methods = pb_methods,
    .m_slots = pb_slots,
    .m_traverse = pb_traverse,
    .m_clear = pb_clear,
    .m_free = pb_free,
};

PyMODINIT_FUNC PyInit_pb(void)
{
    return PyModuleDef_Init(&pb_module);
}
