/* pb.c -- write and read gzip streams of DeviceApps protobuf messages.
 *
 * The reference solution of the course's homework. A file is a gzip stream of
 * records; each record is an 8-byte header, little-endian on every host:
 *     uint32 magic (0xFFFFFFFF), uint16 type (DEVICE_APPS_TYPE = 1),
 *     uint16 length of the packed message
 * followed by the packed DeviceApps message (deviceapps.proto, protobuf-c).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "deviceapps.pb-c.h" /* generated from deviceapps.proto by protoc-c at build time */

#include "nogil_failure.h" /* extensions/common: a failure recorded without the GIL */
#include "replace_file.h"  /* extensions/common: the rule for replacing a file */

#define MAGIC 0xFFFFFFFFu
#define DEVICE_APPS_TYPE 1
#define HEADER_SIZE 8
#define MAX_MESSAGE_SIZE 0xFFFF /* the header's length field is 16 bits */
#define FLUSH_SIZE (256 * 1024) /* hand packed records to zlib in blocks this big */
#define DEFAULT_COMPRESSLEVEL 6

/* ---- module state: the exception, the reader type, interned dict keys ---- */

typedef struct {
    PyObject *error;           /* pb.Error */
    PyTypeObject *reader_type; /* the iterator returned by deviceapps_xread_pb */
    PyObject *key_device, *key_id, *key_type, *key_lat, *key_lon, *key_apps;
} pb_state;

static inline pb_state *
get_state(PyObject *module)
{
    return (pb_state *)PyModule_GetState(module);
}

/* The state from the reader's type: made by PyType_FromModuleAndSpec, it knows
 * its module. (The reader type cannot be subclassed.) */
static inline pb_state *
get_state_by_type(PyTypeObject *type)
{
    return (pb_state *)PyType_GetModuleState(type);
}

/* ---- a growable byte buffer, filled with the GIL held, written without it ---- */

typedef struct {
    unsigned char *data;
    size_t len, cap;
} bytebuf;

static int
bytebuf_reserve(bytebuf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : FLUSH_SIZE + HEADER_SIZE + MAX_MESSAGE_SIZE;
    while (cap < b->len + extra)
        cap *= 2;
    unsigned char *data = realloc(b->data, cap);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

/* [region: le] */
static void
put_le16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void
put_le32(unsigned char *p, uint32_t v)
{
    put_le16(p, (uint16_t)v);
    put_le16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t
get_le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
get_le32(const unsigned char *p)
{
    return (uint32_t)get_le16(p) | ((uint32_t)get_le16(p + 2) << 16);
}
/* [end: le] */

/* ================================ writing ================================ */

/* [region: fields] */
/* id and type: str (written as UTF-8) or bytes. The pointer points into `value`:
 * it is valid only while `value` lives, so the caller holds a reference to
 * `value` of its own until the message is packed (see append_record). The reader
 * gives these fields back as str, so bytes must be UTF-8 too: bytes it could not
 * decode are refused here, not written into a file pb itself cannot read. */
static int
parse_bytes_field(PyObject *value, ProtobufCBinaryData *out, const char *name, Py_ssize_t index)
{
    const char *data;
    Py_ssize_t size;
    if (PyUnicode_Check(value)) {
        data = PyUnicode_AsUTF8AndSize(value, &size);
        if (data == NULL)
            return -1;
    }
    else if (PyBytes_Check(value)) {
        data = PyBytes_AS_STRING(value);
        size = PyBytes_GET_SIZE(value);
        PyObject *text = PyUnicode_DecodeUTF8(data, size, "strict");
        if (text == NULL) {
            if (PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) { /* else MemoryError */
                PyErr_Clear();
                PyErr_Format(PyExc_ValueError,
                             "record %zd: device.%s is bytes that are not "
                             "UTF-8, which the reader could not give back as str",
                             index, name);
            }
            return -1;
        }
        Py_DECREF(text);
    }
    else {
        PyErr_Format(PyExc_TypeError, "record %zd: device.%s must be str or bytes, not %s", index,
                     name, Py_TYPE(value)->tp_name);
        return -1;
    }
    out->data = (uint8_t *)data;
    out->len = (size_t)size;
    return 0;
}

/* lat and lon. An int subclass may define __float__: Python code runs here. */
static int
parse_double(PyObject *value, double *out, const char *name, Py_ssize_t index)
{
    if (!PyFloat_Check(value) && !PyLong_Check(value)) {
        PyErr_Format(PyExc_TypeError, "record %zd: %s must be int or float, not %s", index, name,
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    *out = PyFloat_AsDouble(value);
    return *out == -1.0 && PyErr_Occurred() ? -1 : 0;
}
/* [end: fields] */

/* [region: apps] */
/* apps: any sequence (or iterable) of ints in 0..2**32-1. Fills a PyMem_Malloc()ed
 * array the caller releases with PyMem_Free(). */
static int
parse_apps(PyObject *value, uint32_t **apps, size_t *n_apps, Py_ssize_t index)
{
    /* Only a value that is not iterable at all gets this message; str, bytes and
     * dict are iterable, but not of ints. */
    if (PyUnicode_Check(value) || PyBytes_Check(value) || PyDict_Check(value)
        || (Py_TYPE(value)->tp_iter == NULL && !PySequence_Check(value))) {
        PyErr_Format(PyExc_TypeError, "record %zd: apps must be a sequence of ints, not %s", index,
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    /* A list or a tuple as it is, anything else copied into a list. What the
     * caller's iterator raises (its own error, KeyboardInterrupt, MemoryError)
     * passes through unchanged. */
    PyObject *seq = PyList_CheckExact(value) || PyTuple_CheckExact(value) ? Py_NewRef(value)
                                                                          : PySequence_List(value);
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    uint32_t *out = PyMem_Malloc(n > 0 ? (size_t)n * sizeof(uint32_t) : 1);
    if (out == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *app = PySequence_Fast_GET_ITEM(seq, i); /* borrowed: no Python code runs */
        if (!PyLong_Check(app)) {
            PyErr_Format(PyExc_TypeError, "record %zd: apps[%zd] must be int, not %s", index, i,
                         Py_TYPE(app)->tp_name);
            goto error;
        }
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(app, &overflow);
        if (v == -1 && PyErr_Occurred())
            goto error;
        if (overflow != 0 || v < 0 || v > UINT32_MAX) {
            Py_INCREF(app); /* %R runs its __repr__, which may empty the list */
            PyErr_Format(PyExc_ValueError,
                         "record %zd: apps[%zd] = %R is out of range 0..4294967295", index, i,
                         app);
            Py_DECREF(app);
            goto error;
        }
        out[i] = (uint32_t)v;
    }
    Py_DECREF(seq);
    *apps = out;
    *n_apps = (size_t)n;
    return 0;
error:
    Py_DECREF(seq);
    PyMem_Free(out);
    return -1;
}
/* [end: apps] */

/* [region: append] */
/* Look a key up. 1: found, 0: absent, -1: error. *value is a new reference (NULL
 * when absent), not a borrowed one: Python code runs while the record is read (a
 * key's __eq__ in a lookup, __float__, the apps iterator, the garbage collector)
 * and may remove the value from its dict, which would free it. */
static int
lookup(PyObject *dict, PyObject *key, PyObject **value)
{
    *value = Py_XNewRef(PyDict_GetItemWithError(dict, key));
    if (*value != NULL)
        return 1;
    return PyErr_Occurred() ? -1 : 0;
}

/* Append one record (header + packed message) for the dict `item` to `out`. */
static int
append_record(pb_state *st, PyObject *item, Py_ssize_t index, bytebuf *out, size_t *written)
{
    DeviceApps msg = DEVICE_APPS__INIT;
    DeviceApps__Device device = DEVICE_APPS__DEVICE__INIT;
    uint32_t *apps = NULL;
    /* The values, held until the message is packed: msg points into id and type. */
    PyObject *device_dict = NULL, *id = NULL, *type = NULL, *lat = NULL, *lon = NULL,
             *apps_value = NULL;
    int found, status = -1;

    if (!PyDict_Check(item)) {
        PyErr_Format(PyExc_TypeError, "record %zd: expected a dict, not %s", index,
                     Py_TYPE(item)->tp_name);
        return -1;
    }
    if ((found = lookup(item, st->key_device, &device_dict)) < 0)
        goto done;
    if (found) {
        if (!PyDict_Check(device_dict)) {
            PyErr_Format(PyExc_TypeError, "record %zd: device must be a dict, not %s", index,
                         Py_TYPE(device_dict)->tp_name);
            goto done;
        }
        if ((found = lookup(device_dict, st->key_id, &id)) < 0
            || (found && parse_bytes_field(id, &device.id, "id", index) < 0))
            goto done;
        device.has_id = found;
        if ((found = lookup(device_dict, st->key_type, &type)) < 0
            || (found && parse_bytes_field(type, &device.type, "type", index) < 0))
            goto done;
        device.has_type = found;
        msg.device = &device;
    }
    if ((found = lookup(item, st->key_lat, &lat)) < 0
        || (found && parse_double(lat, &msg.lat, "lat", index) < 0))
        goto done;
    msg.has_lat = found;
    if ((found = lookup(item, st->key_lon, &lon)) < 0
        || (found && parse_double(lon, &msg.lon, "lon", index) < 0))
        goto done;
    msg.has_lon = found;
    if ((found = lookup(item, st->key_apps, &apps_value)) < 0
        || (found && parse_apps(apps_value, &apps, &msg.n_apps, index) < 0))
        goto done;
    msg.apps = apps;
    /* [end: append] */

    /* [region: pack] */
    /* The length must fit the header's 16 bits: refuse, never truncate. */
    size_t size = device_apps__get_packed_size(&msg);
    if (size > MAX_MESSAGE_SIZE) {
        PyErr_Format(PyExc_ValueError,
                     "record %zd: packed message is %zu bytes, more than the %d a record "
                     "header's 16-bit length can hold",
                     index, size, MAX_MESSAGE_SIZE);
        goto done;
    }
    if (bytebuf_reserve(out, HEADER_SIZE + size) < 0)
        goto done;
    unsigned char *p = out->data + out->len;
    put_le32(p, MAGIC);
    put_le16(p + 4, DEVICE_APPS_TYPE);
    put_le16(p + 6, (uint16_t)size);
    device_apps__pack(&msg, p + HEADER_SIZE);
    out->len += HEADER_SIZE + size;
    *written += HEADER_SIZE + size;
    status = 0;
done:
    PyMem_Free(apps);
    Py_XDECREF(device_dict);
    Py_XDECREF(id);
    Py_XDECREF(type);
    Py_XDECREF(lat);
    Py_XDECREF(lon);
    Py_XDECREF(apps_value);
    return status;
}
/* [end: pack] */

/* [region: flush] */
/* gzwrite the buffer with the GIL released. 0, or -1 with an exception set. */
static int
flush_buffer(gzFile gz, bytebuf *out, PyObject *path)
{
    int n = 0;
    if (out->len == 0)
        return 0;
    Py_BEGIN_ALLOW_THREADS
    n = gzwrite(gz, out->data, (unsigned)out->len);
    Py_END_ALLOW_THREADS
    if (n != (int)out->len) {
        int zerr;
        const char *msg = gzerror(gz, &zerr);
        if (zerr == Z_ERRNO)
            PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
        else
            PyErr_Format(PyExc_OSError, "%R: gzip write failed: %s", path, msg);
        return -1;
    }
    out->len = 0;
    return 0;
}
/* [end: flush] */

PyDoc_STRVAR(xwrite_doc,
             "deviceapps_xwrite_pb(iterable, path, compresslevel=6)\n"
             "--\n"
             "\n"
             "Write the dicts of `iterable` to `path` as a gzip stream of DeviceApps records\n"
             "and return the number of uncompressed bytes written, headers included.\n"
             "\n"
             "Each dict may have the keys device (a dict with optional id and type, str or\n"
             "bytes), lat and lon (int or float) and apps (a sequence of ints in\n"
             "0..2**32-1). A field is written only when its key is present; other keys are\n"
             "ignored. The iterable is consumed lazily. compresslevel is gzip's, 0..9 (0\n"
             "stores the records uncompressed, still in gzip framing).\n"
             "\n"
             "The file appears only when everything was written: the records go to a\n"
             "temporary file next to `path`, renamed to `path` on success and removed on\n"
             "any error (an existing file at `path` is then left untouched). A new file\n"
             "gets the permissions open() would give it (0666 less the umask), a file\n"
             "replaced keeps its own, a symlink is written through (the file it names is\n"
             "replaced); a directory, FIFO, device or socket at `path` is refused with\n"
             "OSError before anything is written.\n"
             "Raises TypeError for a value of the wrong type (naming the field and the\n"
             "record's index), ValueError for an app out of range, bytes that are not\n"
             "UTF-8 in device.id or device.type, or a message too large for the 16-bit\n"
             "length, OSError when the file cannot be written.");

/* [region: write-open] */
/* The OSError for a failed replace_open(): errno's, or the refusal of a path
 * that is not a regular file (IsADirectoryError for a directory). */
static void
raise_replace_error(const struct replace *r, int error, PyObject *path)
{
    errno = error;
    if (r->refusal == NULL) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
        return;
    }
    /* OSError(errno, ...) makes the subclass errno names, as PyErr_SetFromErrno does. */
    PyObject *exception = PyObject_CallFunction(PyExc_OSError, "isO", error, r->refusal, path);
    if (exception != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(exception), exception);
        Py_DECREF(exception);
    }
}

static PyObject *
deviceapps_xwrite_pb(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"iterable", "path", "compresslevel", NULL};
    pb_state *st = get_state(module);
    PyObject *iterable, *path_arg, *path = NULL, *iterator = NULL, *item = NULL, *result = NULL;
    struct replace file = {NULL, NULL, -1, NULL};
    int level = DEFAULT_COMPRESSLEVEL;
    char mode[] = "wb6";
    gzFile gz = NULL;
    bytebuf out = {0};
    size_t written = 0;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|i:deviceapps_xwrite_pb", kwlist, &iterable,
                                     &path_arg, &level))
        return NULL;
    if (level < 0 || level > 9)
        return PyErr_Format(PyExc_ValueError, "compresslevel must be 0..9, not %d", level);
    mode[2] = (char)('0' + level);
    /* From here on path_arg is os.fspath(path), a reference of our own: an OSError
     * names the file as os functions do (a str for a pathlib.Path). */
    if ((path_arg = PyOS_FSPath(path_arg)) == NULL)
        return NULL;
    if (!PyUnicode_FSConverter(path_arg, &path)) /* file-system bytes */
        goto error;
    iterator = PyObject_GetIter(iterable); /* TypeError if not iterable */
    if (iterator == NULL)
        goto error;

    /* The temporary file, next to the file `path` names (see replace_open). */
    int opened, saved_errno;
    Py_BEGIN_ALLOW_THREADS
    opened = replace_open(&file, PyBytes_AS_STRING(path));
    saved_errno = errno;
    Py_END_ALLOW_THREADS
    if (opened < 0) {
        raise_replace_error(&file, saved_errno, path_arg);
        goto error;
    }
    gz = gzdopen(file.fd, mode);
    if (gz == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    file.fd = -1; /* gzclose() closes it now */
    /* [end: write-open] */

    /* [region: write-loop] */
    Py_ssize_t index = 0;
    while ((item = PyIter_Next(iterator)) != NULL) {
        if (append_record(st, item, index, &out, &written) < 0)
            goto error;
        Py_CLEAR(item);
        if (out.len >= FLUSH_SIZE && flush_buffer(gz, &out, path_arg) < 0)
            goto error;
        index++;
        /* A list runs no Python code between its records: without this, Ctrl-C
         * would wait for the last one. (With the GIL held, a check is cheap.) */
        if (index % 4096 == 0 && PyErr_CheckSignals() < 0)
            goto error;
    }
    if (PyErr_Occurred()) /* the iterator itself raised */
        goto error;
    if (flush_buffer(gz, &out, path_arg) < 0)
        goto error;
    /* [end: write-loop] */

    /* [region: write-commit] */
    int close_status, commit_status = -1;
    Py_BEGIN_ALLOW_THREADS
    errno = 0;
    close_status = gzclose(gz);
    if (close_status == Z_OK)
        commit_status = replace_commit(&file); /* rename() over the target */
    saved_errno = errno;
    Py_END_ALLOW_THREADS
    gz = NULL;
    if (close_status != Z_OK || commit_status != 0) {
        errno = saved_errno != 0 ? saved_errno : EIO; /* a zlib error sets no errno */
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path_arg);
        goto error;
    }
    result = PyLong_FromSize_t(written);
    goto done;

error:
    if (gz != NULL)
        gzclose(gz);
done:
    replace_end(&file); /* on error: removes the temporary file */
    Py_XDECREF(item);
    Py_XDECREF(iterator);
    Py_XDECREF(path);
    Py_DECREF(path_arg);
    free(out.data);
    return result;
}
/* [end: write-commit] */

/* ================================ reading ================================ */

/* [region: read-record] */
/* The iterator: one open gzip stream, read one record per __next__. */
typedef struct {
    PyObject_HEAD
    gzFile gz;       /* NULL once exhausted, failed or closed */
    PyObject *path;  /* for error messages */
    uint64_t offset; /* uncompressed byte offset of the next record */
    unsigned char body[MAX_MESSAGE_SIZE];
    int busy; /* a next() is running: another is refused */
} ReaderObject;

/* Read exactly `size` bytes; returns how many were read, or -1 on a zlib error. */
static long
read_exact(gzFile gz, unsigned char *buf, unsigned size)
{
    unsigned done = 0;
    while (done < size) {
        int n = gzread(gz, buf + done, size - done);
        if (n < 0)
            return -1;
        if (n == 0) {
            /* gzread() reports a truncated stream only through gzerror(). */
            int zerr;
            gzerror(gz, &zerr);
            return zerr == Z_BUF_ERROR ? -1 : (long)done;
        }
        done += (unsigned)n;
    }
    return (long)done;
}

/* Why the read failed: the system's errno, or zlib's reason for the record at `offset`. */
static int
fail_zlib(nogil_failure *failure, gzFile gz, unsigned long long offset)
{
    int zerr;
    const char *msg = gzerror(gz, &zerr);
    if (zerr == Z_ERRNO) /* the file could not be read: errno says why */
        return fail_os(failure);
    return fail_data(failure, "corrupt gzip stream in the record at byte offset %llu: %s", offset,
                     msg);
}

/* Read one record's header and body. Runs without the GIL: no Python here.
 * Returns 1 (a record; the caller checks its magic), 0 at the end of the file,
 * or -1 with *failure filled in (nogil_failure.h). */
static int
read_record(ReaderObject *self, unsigned char header[HEADER_SIZE], nogil_failure *failure)
{
    unsigned long long offset = self->offset;
    long got = read_exact(self->gz, header, HEADER_SIZE);
    if (got < 0)
        return fail_zlib(failure, self->gz, offset);
    if (got == 0)
        return 0;
    if (got < HEADER_SIZE)
        return fail_data(failure, "truncated record header at byte offset %llu (%ld of %d bytes)",
                         offset, got, HEADER_SIZE);
    if (get_le32(header) != MAGIC)
        return 1; /* the caller reports the bad magic */
    uint16_t length = get_le16(header + 6);
    got = read_exact(self->gz, self->body, length);
    if (got < 0)
        return fail_zlib(failure, self->gz, offset);
    if (got < length)
        return fail_data(failure, "truncated record at byte offset %llu (%ld of %u message bytes)",
                         offset, got, length);
    return 1;
}
/* [end: read-record] */

/* [region: to-dict] */
static PyObject *
decode_text(pb_state *st, ProtobufCBinaryData *data, const char *name, PyObject *path,
            uint64_t offset)
{
    PyObject *text =
        PyUnicode_DecodeUTF8((const char *)data->data, (Py_ssize_t)data->len, "strict");
    if (text == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        PyErr_Clear();
        PyErr_Format(st->error, "%R: device.%s is not UTF-8 in the record at byte offset %llu",
                     path, name, (unsigned long long)offset);
    }
    return text;
}

static int
set_new(PyObject *dict, PyObject *key, PyObject *value)
{
    if (value == NULL)
        return -1;
    int rc = PyDict_SetItem(dict, key, value);
    Py_DECREF(value); /* PyDict_SetItem took its own reference */
    return rc;
}

/* The dict for one unpacked message. */
static PyObject *
message_to_dict(pb_state *st, DeviceApps *msg, PyObject *path, uint64_t offset)
{
    PyObject *dict = PyDict_New(), *apps = NULL;
    if (dict == NULL)
        return NULL;
    if (msg->device != NULL) {
        PyObject *device = PyDict_New();
        if (device == NULL
            || (msg->device->has_id
                && set_new(device, st->key_id,
                           decode_text(st, &msg->device->id, "id", path, offset))
                       < 0)
            || (msg->device->has_type
                && set_new(device, st->key_type,
                           decode_text(st, &msg->device->type, "type", path, offset))
                       < 0)
            || set_new(dict, st->key_device, Py_XNewRef(device)) < 0) {
            Py_XDECREF(device);
            goto error;
        }
        Py_DECREF(device);
    }
    if ((msg->has_lat && set_new(dict, st->key_lat, PyFloat_FromDouble(msg->lat)) < 0)
        || (msg->has_lon && set_new(dict, st->key_lon, PyFloat_FromDouble(msg->lon)) < 0))
        goto error;
    apps = PyList_New((Py_ssize_t)msg->n_apps);
    if (apps == NULL)
        goto error;
    for (size_t i = 0; i < msg->n_apps; i++) {
        PyObject *app = PyLong_FromUnsignedLong(msg->apps[i]);
        if (app == NULL)
            goto error;
        PyList_SET_ITEM(apps, (Py_ssize_t)i, app); /* steals the reference */
    }
    if (set_new(dict, st->key_apps, apps) < 0) {
        apps = NULL; /* set_new released it */
        goto error;
    }
    return dict;
error:
    Py_XDECREF(apps);
    Py_DECREF(dict);
    return NULL;
}
/* [end: to-dict] */

/* [region: next] */
/* Raise what read_record() recorded without the GIL: OSError for a file that
 * could not be read, pb.Error for a damaged one. */
static void
raise_failure(pb_state *st, const nogil_failure *failure, PyObject *path)
{
    if (failure->kind == FAILURE_OS) {
        errno = failure->error_number;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
    }
    else {
        PyErr_Format(st->error, "%R: %s", path, failure->reason);
    }
}

static void
reader_close_stream(ReaderObject *self)
{
    if (self->gz != NULL) {
        gzclose(self->gz);
        self->gz = NULL;
    }
}

static PyObject *read_next_record(ReaderObject *self);

/* Busy for the whole call, not only while the GIL is released: building the
 * dict allocates, an allocation may run the garbage collector, and the code it
 * runs (a __del__, gc.callbacks) may call next() again, or let another thread
 * do so. A second call is refused, as a generator refuses one. */
static PyObject *
reader_next(PyObject *op)
{
    ReaderObject *self = (ReaderObject *)op;
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError,
                        "this reader is already running (in another thread, "
                        "or next() was called again by code that ran during next())");
        return NULL;
    }
    self->busy = 1;
    Py_INCREF(self); /* whatever that code drops, the buffers stay ours */
    PyObject *record = read_next_record(self);
    self->busy = 0;
    Py_DECREF(self);
    return record;
}

static PyObject *
read_next_record(ReaderObject *self)
{
    pb_state *st = get_state_by_type(Py_TYPE(self));
    unsigned char header[HEADER_SIZE];

    for (;;) {
        if (self->gz == NULL)
            return NULL; /* exhausted: StopIteration */
        int status;
        nogil_failure failure = {FAILURE_NONE, 0, ""};
        Py_BEGIN_ALLOW_THREADS
        status = read_record(self, header, &failure);
        Py_END_ALLOW_THREADS

        unsigned long long offset = self->offset;
        /* zlib reads a file that is not gzip at all as it is ("transparent"
         * mode): a file of records, but not the format. Refused. */
        if (status != 0 && offset == 0 && gzdirect(self->gz)) {
            PyErr_Format(st->error, "%R: not a gzip file (gzip starts with the bytes 1f 8b)",
                         self->path);
            goto fail;
        }
        if (status == 0) {
            reader_close_stream(self);
            return NULL;
        }
        if (status < 0) {
            raise_failure(st, &failure, self->path);
            goto fail;
        }
        uint32_t magic = get_le32(header);
        if (magic != MAGIC) {
            PyErr_Format(st->error, "%R: bad magic 0x%08x at byte offset %llu (expected 0x%08x)",
                         self->path, (unsigned)magic, offset, MAGIC);
            goto fail;
        }
        uint16_t type = get_le16(header + 4), length = get_le16(header + 6);
        self->offset += HEADER_SIZE + length;
        if (type != DEVICE_APPS_TYPE)
            continue; /* another kind of record: skipped, body included */

        DeviceApps *msg = device_apps__unpack(NULL, length, self->body);
        if (msg == NULL) {
            PyErr_Format(st->error, "%R: unparsable DeviceApps message at byte offset %llu",
                         self->path, offset);
            goto fail;
        }
        PyObject *dict = message_to_dict(st, msg, self->path, offset);
        device_apps__free_unpacked(msg, NULL);
        return dict;
    }
fail:
    reader_close_stream(self); /* after an error the iterator is finished */
    return NULL;
}
/* [end: next] */

/* [region: reader-type] */
static int
reader_traverse(PyObject *op, visitproc visit, void *arg)
{
    ReaderObject *self = (ReaderObject *)op;
    Py_VISIT(Py_TYPE(self)); /* a heap type's instances own a reference to it */
    Py_VISIT(self->path);
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
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    reader_close_stream((ReaderObject *)op);
    reader_clear(op);
    tp->tp_free(op);
    Py_DECREF(tp);
}

static PyType_Slot reader_slots[] = {
    {Py_tp_doc, "Iterator over the DeviceApps records of a file (from deviceapps_xread_pb)."},
    {Py_tp_iter, PyObject_SelfIter},
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
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION
             | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = reader_slots,
};
/* [end: reader-type] */

PyDoc_STRVAR(xread_doc,
             "deviceapps_xread_pb(path)\n"
             "--\n"
             "\n"
             "Return an iterator over the records of a file written by deviceapps_xwrite_pb.\n"
             "\n"
             "Records are read one at a time (constant memory). Each is a dict with apps\n"
             "(a list) and, when present in the record, device (a dict with id and type as\n"
             "str), lat and lon. Records of another type than DEVICE_APPS_TYPE are skipped.\n"
             "Raises OSError at once if the file cannot be opened; while iterating, a bad\n"
             "magic, a truncated header or message, an unparsable message or a corrupt gzip\n"
             "stream raise pb.Error with the record's uncompressed byte offset.");

/* [region: xread] */
static PyObject *
deviceapps_xread_pb(PyObject *module, PyObject *arg)
{
    pb_state *st = get_state(module);
    PyObject *path = NULL, *filename = PyOS_FSPath(arg); /* what an OSError names */
    gzFile gz = NULL;
    int fd;
    if (filename == NULL || !PyUnicode_FSConverter(filename, &path)) {
        Py_XDECREF(filename);
        return NULL;
    }
    struct stat info;
    Py_BEGIN_ALLOW_THREADS
    fd = open(PyBytes_AS_STRING(path), O_RDONLY | O_CLOEXEC);
    /* A directory opens, and would fail only at the first read, as a "corrupt
     * gzip stream": refuse it here, as open() in Python does. */
    int refused = fd < 0 ? 0 : fstat(fd, &info) < 0 ? errno : S_ISDIR(info.st_mode) ? EISDIR : 0;
    if (refused) {
        close(fd);
        fd = -1;
        errno = refused;
    }
    if (fd >= 0 && (gz = gzdopen(fd, "rb")) != NULL)
        gzbuffer(gz, 128 * 1024);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (fd < 0)
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, filename);
    Py_DECREF(filename);
    if (fd < 0)
        return NULL;
    if (gz == NULL) {
        close(fd);
        return PyErr_NoMemory();
    }
    ReaderObject *self = PyObject_GC_New(ReaderObject, st->reader_type);
    if (self == NULL) {
        gzclose(gz);
        return NULL;
    }
    self->gz = gz;
    self->path = Py_NewRef(arg);
    self->offset = 0;
    self->busy = 0;
    PyObject_GC_Track(self);
    return (PyObject *)self;
}
/* [end: xread] */

/* ================================ the module ================================ */

static PyMethodDef pb_methods[] = {
    {"deviceapps_xwrite_pb", (PyCFunction)(void (*)(void))deviceapps_xwrite_pb,
     METH_VARARGS | METH_KEYWORDS, xwrite_doc},
    {"deviceapps_xread_pb", deviceapps_xread_pb, METH_O, xread_doc},
    {NULL, NULL, 0, NULL},
};

/* [region: exec] */
static int
pb_exec(PyObject *module)
{
    pb_state *st = get_state(module);
    st->error = PyErr_NewExceptionWithDoc(
        "pb.Error", "A DeviceApps file is damaged: bad magic, truncated, unparsable or corrupt.",
        PyExc_ValueError, NULL);
    if (st->error == NULL || PyModule_AddObjectRef(module, "Error", st->error) < 0)
        return -1;
    st->reader_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &reader_spec, NULL);
    if (st->reader_type == NULL || PyModule_AddType(module, st->reader_type) < 0)
        return -1;
    if ((st->key_device = PyUnicode_InternFromString("device")) == NULL
        || (st->key_id = PyUnicode_InternFromString("id")) == NULL
        || (st->key_type = PyUnicode_InternFromString("type")) == NULL
        || (st->key_lat = PyUnicode_InternFromString("lat")) == NULL
        || (st->key_lon = PyUnicode_InternFromString("lon")) == NULL
        || (st->key_apps = PyUnicode_InternFromString("apps")) == NULL)
        return -1;
    PyObject *magic = PyLong_FromUnsignedLong(MAGIC);
    int rc = magic == NULL ? -1 : PyModule_AddObjectRef(module, "MAGIC", magic);
    Py_XDECREF(magic);
    if (rc < 0 || PyModule_AddIntMacro(module, DEVICE_APPS_TYPE) < 0
        || PyModule_AddIntMacro(module, HEADER_SIZE) < 0)
        return -1;
    return 0;
}
/* [end: exec] */

static int
pb_traverse(PyObject *module, visitproc visit, void *arg)
{
    pb_state *st = get_state(module);
    Py_VISIT(st->error);
    Py_VISIT(st->reader_type);
    return 0;
}

static int
pb_clear(PyObject *module)
{
    pb_state *st = get_state(module);
    Py_CLEAR(st->error);
    Py_CLEAR(st->reader_type);
    Py_CLEAR(st->key_device);
    Py_CLEAR(st->key_id);
    Py_CLEAR(st->key_type);
    Py_CLEAR(st->key_lat);
    Py_CLEAR(st->key_lon);
    Py_CLEAR(st->key_apps);
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
    /* The reader's busy flag and buffers are guarded by the GIL: on a free-threaded build the GIL stays on for this module. */
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef pb_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "pb",
    .m_doc = "Write and read gzip streams of DeviceApps protobuf records.",
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
