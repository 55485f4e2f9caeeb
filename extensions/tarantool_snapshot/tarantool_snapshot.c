/* tarantool_snapshot.c -- an iterator type over the rows of a Tarantool .snap file.
 *
 *     for space_id, tuple in tarantool_snapshot.iter("00000000000000001002.snap"):
 *         ...
 *
 * This file is the Python side: the iterator type's slots and the module.
 * Reading the file format (blocks, CRC-32C, zstd, MessagePack) is in
 * snapshot_format.c; the object both work on is in snapshot_format.h.
 */
#include "snapshot_format.h"
#include <structmember.h> /* PyMemberDef's T_OBJECT_EX before 3.12 */

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

static snapshot_state *
get_state(PyObject *module)
{
    return (snapshot_state *)PyModule_GetState(module);
}

/* The state from the iterator's type: a heap type created from a spec finds
 * its module, hence its state. (The type cannot be subclassed.) */
static snapshot_state *
get_state_by_type(PyTypeObject *type)
{
    return (snapshot_state *)PyType_GetModuleState(type);
}

/* ---------------------------------------------------------------------------
 * Errors: SnapshotError(message) with .offset, the file offset it concerns.
 * ------------------------------------------------------------------------- */

PyObject *
snapshot_error(SnapshotIterator *self, long long offset, const char *format, ...)
{
    snapshot_state *state = get_state_by_type(Py_TYPE(self));
    va_list args;
    va_start(args, format);
    PyObject *detail = PyUnicode_FromFormatV(format, args);
    va_end(args);
    if (detail == NULL)
        return NULL;
    PyObject *message = PyUnicode_FromFormat("%S: %U (offset %lld)", self->path, detail, offset);
    Py_DECREF(detail);
    if (message == NULL)
        return NULL;
    PyObject *error = PyObject_CallOneArg(state->SnapshotError, message);
    Py_DECREF(message);
    if (error == NULL)
        return NULL;
    PyObject *where = PyLong_FromLongLong(offset);
    if (where != NULL && PyObject_SetAttrString(error, "offset", where) == 0
        && PyObject_SetAttrString(error, "path", self->path) == 0)
        PyErr_SetObject(state->SnapshotError, error);
    Py_XDECREF(where);
    Py_DECREF(error);
    return NULL;
}

/* ---------------------------------------------------------------------------
 * The type's slots.
 * ------------------------------------------------------------------------- */

static void
close_file(SnapshotIterator *self)
{
    if (self->file != NULL) {
        fclose(self->file);
        self->file = NULL;
    }
    self->rows_size = self->position = 0; /* nothing more to yield */
}

/* [region: next] */
/* Raise what snapshot_read_block() recorded without the GIL. */
static PyObject *
raise_failure(SnapshotIterator *self, const struct failure *failure)
{
    switch (failure->what.kind) {
        case FAILURE_OS:
            errno = failure->what.error_number;
            return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, self->path);
        case FAILURE_NO_MEMORY:
            return PyErr_NoMemory();
        case FAILURE_STOPPED: /* Ctrl-C: the signal handler's exception is set */
            return NULL;
        default:
            return snapshot_error(self, failure->offset, "%s", failure->what.reason);
    }
}

static PyObject *next_row(SnapshotIterator *self);

static PyObject *
iterator_next(PyObject *op)
{
    SnapshotIterator *self = (SnapshotIterator *)op;
    /* Busy for the whole call, not only while the GIL is released: decoding a
     * row allocates, an allocation may run the garbage collector, and the
     * collector runs Python code (a __del__, gc.callbacks) that may call next()
     * again, or let another thread do so. A second call would read or replace
     * the buffer this one is decoding from. */
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError,
                        "this snapshot iterator is already running "
                        "(in another thread, or next() was called again by code that "
                        "ran during next(), such as a __del__)");
        return NULL;
    }
    self->busy = 1;
    Py_INCREF(self); /* whatever that code drops, the buffers stay ours */
    PyObject *row = next_row(self);
    self->busy = 0;
    Py_DECREF(self);
    return row;
}

static PyObject *
next_row(SnapshotIterator *self)
{
    unsigned skipped = 0;
    for (;;) {
        if (self->position < self->rows_size) {
            PyObject *row = snapshot_decode_row(self);
            if (row == NULL) {
                close_file(self); /* after an error the iterator is finished */
                return NULL;
            }
            if (row != Py_None)
                return row;
            /* Not an INSERT: skip it. Blocks of nothing else keep this call going,
             * so Ctrl-C is looked at every 4096 rows (with the GIL, that is cheap). */
            if (++skipped % 4096 == 0 && PyErr_CheckSignals() < 0) {
                close_file(self);
                return NULL;
            }
            continue;
        }
        if (self->file == NULL)
            return NULL; /* NULL without an exception: StopIteration */

        struct failure failure = {{FAILURE_NONE, 0, ""}, 0};
        int status;
        /* Py_BEGIN_ALLOW_THREADS spelled out: the check needs the released thread
         * state. Busy: no other call touches the buffers meanwhile. */
        signal_check check = {PyEval_SaveThread(), {0, 0}};
        status = snapshot_read_block(self, &check, &failure);
        PyEval_RestoreThread(check.thread);

        if (status != BLOCK_READ) {
            close_file(self);
            return status == BLOCK_END ? NULL : raise_failure(self, &failure);
        }
    }
}
/* [end: next] */

/* Read the text header: "SNAP", "0.13", "Key: value" lines, an empty line. */
static int
read_text_header(SnapshotIterator *self)
{
    char line[1024];
    long long offset = 0;

    for (int number = 0;; number++) {
        errno = 0;
        if (fgets(line, sizeof line, self->file) == NULL) {
            if (ferror(self->file)) {
                PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, self->path);
                return -1;
            }
            snapshot_error(self, offset,
                           number == 0 ? "empty file, not a Tarantool snapshot"
                                       : "the file ends inside its text header");
            return -1;
        }
        size_t length = strlen(line);                  /* a NUL byte inside also ends up here: */
        if (length == 0 || line[length - 1] != '\n') { /* too long, or binary */
            snapshot_error(self, offset,
                           number == 0 ? "not a Tarantool snapshot" : "malformed text header");
            return -1;
        }
        line[--length] = '\0';
        if (number < 2) { /* "SNAP" then the format version */
            const char *expected = number == 0 ? "SNAP" : "0.13";
            if (strcmp(line, expected) != 0) {
                PyObject *shown = PyUnicode_DecodeLatin1(line, (Py_ssize_t)length, NULL);
                if (shown != NULL)
                    snapshot_error(self, offset,
                                   number == 0 ? "not a Tarantool snapshot "
                                                 "(its first line is %R)"
                                               : "format version %R is not "
                                                 "supported (only 0.13)",
                                   shown);
                Py_XDECREF(shown);
                return -1;
            }
        }
        else if (length == 0) {
            self->next_offset = offset + 1; /* the empty line ends the header */
            return 0;
        }
        else {
            char *colon = strstr(line, ": ");
            if (colon == NULL) {
                snapshot_error(self, offset, "malformed text header line");
                return -1;
            }
            PyObject *key = PyUnicode_DecodeUTF8(line, colon - line, "replace");
            PyObject *value = PyUnicode_DecodeUTF8(
                colon + 2, (Py_ssize_t)length - (colon + 2 - line), "replace");
            int added = key && value ? PyDict_SetItem(self->meta, key, value) : -1;
            Py_XDECREF(key);
            Py_XDECREF(value);
            if (added < 0)
                return -1;
        }
        offset += (long long)length + 1;
        if (offset > MAX_HEADER_TEXT) {
            snapshot_error(self, offset, "the text header never ends");
            return -1;
        }
    }
}

/* An O& converter: max_block_size, an int from 1 to MAX_BLOCK_SIZE. */
static int
block_size_converter(PyObject *arg, void *address)
{
    if (!PyLong_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "max_block_size must be an int, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return 0;
    }
    int overflow;
    long long value = PyLong_AsLongLongAndOverflow(arg, &overflow);
    if (value == -1 && PyErr_Occurred())
        return 0;
    if (overflow || value < 1 || (unsigned long long)value > MAX_BLOCK_SIZE) {
        PyErr_Format(PyExc_ValueError,
                     "max_block_size must be from 1 to MAX_BLOCK_SIZE "
                     "(%zu), not %R",
                     MAX_BLOCK_SIZE, arg);
        return 0;
    }
    *(size_t *)address = (size_t)value;
    return 1;
}

/* [region: new] */
static PyObject *
iterator_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"path", "max_block_size", NULL};
    PyObject *path_bytes = NULL;
    size_t max_block_size = MAX_BLOCK_SIZE;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&|$O&:iter", kwlist, PyUnicode_FSConverter,
                                     &path_bytes, block_size_converter, &max_block_size))
        return NULL;
    SnapshotIterator *self = (SnapshotIterator *)type->tp_alloc(type, 0);
    if (self == NULL) {
        Py_DECREF(path_bytes);
        return NULL;
    }
    self->max_block_size = max_block_size;
    const char *path = PyBytes_AS_STRING(path_bytes);
    self->path = PyUnicode_DecodeFSDefault(path);
    self->meta = PyDict_New();
    self->zstd = ZSTD_createDCtx();
    if (self->path == NULL || self->meta == NULL)
        goto error;
    if (self->zstd == NULL) {
        PyErr_NoMemory();
        goto error;
    }

    struct stat info;
    Py_BEGIN_ALLOW_THREADS /* opening may wait on a slow disk */
    self->file = fopen(path, "rb");
    if (self->file != NULL) {
        int failed = fstat(fileno(self->file), &info) < 0;
        if (!failed && S_ISDIR(info.st_mode)) {
            errno = EISDIR;
            failed = 1;
        }
        if (failed) {
            int saved = errno;
            fclose(self->file);
            self->file = NULL;
            errno = saved;
        }
    }
    Py_END_ALLOW_THREADS
    if (self->file == NULL) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, self->path);
        goto error;
    }
    self->file_size = (long long)info.st_size;
    if (read_text_header(self) < 0)
        goto error;
    Py_DECREF(path_bytes);
    return (PyObject *)self;

error:
    Py_DECREF(path_bytes);
    Py_DECREF(self); /* dealloc frees what was set up */
    return NULL;
}
/* [end: new] */

/* [region: lifetime] */
static int
iterator_traverse(PyObject *op, visitproc visit, void *arg)
{
    SnapshotIterator *self = (SnapshotIterator *)op;
    Py_VISIT(Py_TYPE(self)); /* a heap type's instances own a reference to it */
    Py_VISIT(self->meta);    /* a dict: user code could put a cycle through it */
    return 0;
}

static int
iterator_clear(PyObject *op)
{
    SnapshotIterator *self = (SnapshotIterator *)op;
    Py_CLEAR(self->meta);
    return 0;
}

static void
iterator_dealloc(PyObject *op)
{
    SnapshotIterator *self = (SnapshotIterator *)op;
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    close_file(self);
    ZSTD_freeDCtx(self->zstd); /* accepts NULL */
    free(self->data);
    free(self->rows);
    iterator_clear(op);
    Py_CLEAR(self->path);
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}
/* [end: lifetime] */

static PyObject *
iterator_close(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    SnapshotIterator *self = (SnapshotIterator *)op;
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError,
                        "cannot close: the iterator is running (in "
                        "another thread, or close() was called by code that ran during "
                        "next())");
        return NULL;
    }
    close_file(self);
    Py_RETURN_NONE;
}

static PyObject *
iterator_enter(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return Py_NewRef(self);
}

static PyObject *
iterator_exit(PyObject *op, PyObject *const *Py_UNUSED(args), Py_ssize_t Py_UNUSED(nargs))
{
    return iterator_close(op, NULL);
}

static PyMethodDef iterator_methods[] = {
    {"close", iterator_close, METH_NOARGS,
     "Close the file; the iterator then yields nothing more."},
    {"__enter__", iterator_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)(void (*)(void))iterator_exit, METH_FASTCALL, NULL},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef iterator_members[] = {
    {"path", T_OBJECT_EX, offsetof(SnapshotIterator, path), READONLY, "The snapshot's path."},
    {"meta", T_OBJECT_EX, offsetof(SnapshotIterator, meta), READONLY,
     "The text header's fields: Version, Instance, VClock."},
    {NULL, 0, 0, 0, NULL},
};

PyDoc_STRVAR(iterator_doc,
             "iter(path, *, max_block_size=MAX_BLOCK_SIZE)\n"
             "--\n"
             "\n"
             "Iterate over the rows of a Tarantool snapshot (.snap) file, yielding\n"
             "(space_id, tuple) for each, system spaces (id < 512) included, in file order.\n"
             "Tuple fields become int, float, str, bytes, bool, None, list and dict; a string\n"
             "that is not UTF-8 keeps its bytes as surrogate escapes.\n"
             "\n"
             "Lazy: one block of the file is in memory at a time. A block may hold at most\n"
             "max_block_size bytes, stored and decompressed (MAX_BLOCK_SIZE, 2 GiB, unless a\n"
             "smaller limit is given): a larger one is refused before its memory is taken.\n"
             "Raises OSError if the file cannot be opened or read, and SnapshotError (with\n"
             ".offset) if it is not a snapshot, is truncated, fails its checksum, holds\n"
             "malformed data or a block over the limit. The file is read and decompressed\n"
             "with the GIL released, and Ctrl-C is answered during a long next() call\n"
             "(a large block, or many rows that are not INSERTs). After an OSError, a\n"
             "SnapshotError or Ctrl-C the iterator is finished.\n"
             "\n"
             "One call of next() at a time: a call made while another is running, from\n"
             "another thread or from code the first one ran (a __del__ run by the garbage\n"
             "collector), raises RuntimeError, as a running generator refuses with\n"
             "ValueError.");

/* [region: type] */
static PyType_Slot iterator_slots[] = {
    {Py_tp_doc, (void *)iterator_doc},
    {Py_tp_new, iterator_new},
    {Py_tp_iter, PyObject_SelfIter},
    {Py_tp_iternext, iterator_next},
    {Py_tp_traverse, iterator_traverse},
    {Py_tp_clear, iterator_clear},
    {Py_tp_dealloc, iterator_dealloc},
    {Py_tp_methods, iterator_methods},
    {Py_tp_members, iterator_members},
    /* the end of the table */
    {0, NULL},
};

static PyType_Spec iterator_spec = {
    .name = "tarantool_snapshot.SnapshotIterator",
    .basicsize = sizeof(SnapshotIterator),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = iterator_slots,
};
/* [end: type] */

/* ---------------------------------------------------------------------------
 * The module.
 * ------------------------------------------------------------------------- */

PyDoc_STRVAR(error_doc,
             "The file is not a Tarantool snapshot, or it is damaged (truncated, a failed\n"
             "checksum, a corrupt zstd frame, malformed MessagePack). .offset is the file\n"
             "offset of the problem (for data inside a zstd block: the block's offset),\n"
             ".path the file.");

static int
module_exec(PyObject *module)
{
    snapshot_state *state = get_state(module);
    if (snapshot_format_init() < 0)
        return -1;
    state->SnapshotError = PyErr_NewExceptionWithDoc("tarantool_snapshot.SnapshotError", error_doc,
                                                     PyExc_ValueError, NULL);
    if (state->SnapshotError == NULL
        || PyModule_AddObjectRef(module, "SnapshotError", state->SnapshotError) < 0)
        return -1;
    PyObject *limit = PyLong_FromSize_t(MAX_BLOCK_SIZE);
    int added = limit != NULL ? PyModule_AddObjectRef(module, "MAX_BLOCK_SIZE", limit) : -1;
    Py_XDECREF(limit);
    if (added < 0)
        return -1;
    state->SnapshotIterator =
        (PyTypeObject *)PyType_FromModuleAndSpec(module, &iterator_spec, NULL);
    if (state->SnapshotIterator == NULL)
        return -1;
    PyObject *type = (PyObject *)state->SnapshotIterator;
    if (PyModule_AddObjectRef(module, "SnapshotIterator", type) < 0
        || PyModule_AddObjectRef(module, "iter", type) < 0)
        return -1;
    return 0;
}

static int
module_traverse(PyObject *module, visitproc visit, void *arg)
{
    snapshot_state *state = get_state(module);
    Py_VISIT(state->SnapshotError);
    Py_VISIT(state->SnapshotIterator);
    return 0;
}

static int
module_clear(PyObject *module)
{
    snapshot_state *state = get_state(module);
    Py_CLEAR(state->SnapshotError);
    Py_CLEAR(state->SnapshotIterator);
    return 0;
}

static void
module_free(void *module)
{
    module_clear((PyObject *)module);
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    /* The iterator's busy flag and buffers are guarded by the GIL: on a free-threaded build the GIL stays on for this module. */
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef snapshot_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "tarantool_snapshot",
    .m_doc = "Read the rows of Tarantool .snap files: iter(path) yields (space_id, tuple).",
    .m_size = sizeof(snapshot_state),
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC
PyInit_tarantool_snapshot(void)
{
    return PyModuleDef_Init(&snapshot_module);
}