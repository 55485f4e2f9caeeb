/* targets.c -- the module's own exception, and a computation that runs without the GIL.
 *
 * targets_negative(all, in, out) writes the keys of `all` that are not in `in`.
 * Everything between parsing the arguments and building the result -- reading
 * both files, the hash set, writing the output -- touches no Python object, so
 * it runs with the GIL released and other Python threads run meanwhile.
 *
 * The same source builds a second module, targets_gil, with -DTARGETS_HOLD_GIL:
 * identical except that it keeps the GIL, for the lesson's side-by-side timing.
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

#include "replace_file.h"  /* extensions/common: the rule for replacing a file */
#include "signal_check.h"  /* extensions/common: Ctrl-C during a long call */
#include "nogil_failure.h" /* extensions/common: a failure recorded without the GIL */

/* [region: gil] */
#ifdef TARGETS_HOLD_GIL
#  define MODULE_NAME "targets_gil"
#  define MODULE_INIT PyInit_targets_gil
#  define RELEASE_GIL(save) ((void)(save))
#  define ACQUIRE_GIL(save) ((void)(save))
#else
#  define MODULE_NAME "targets"
#  define MODULE_INIT PyInit_targets
#  define RELEASE_GIL(save) ((save) = PyEval_SaveThread())
#  define ACQUIRE_GIL(save) PyEval_RestoreThread(save)
#endif
/* [end: gil] */

/* Header of a key file: 16 bytes, little-endian.
 *   0  4  magic "TGTS"
 *   4  4  key size in bytes: 4 or 8
 *   8  8  number of keys that follow */
#define HEADER_MAGIC "TGTS"
#define HEADER_SIZE 16

/* ---------------------------------------------------------------------------
 * The computation. No Python object below this line until targets_negative():
 * failures are described in a `struct failure` and raised once the GIL is back.
 * ------------------------------------------------------------------------- */

/* [region: failure] */
enum which_file { FILE_ALL, FILE_IN, FILE_OUT };

/* What went wrong (a nogil_failure: extensions/common/nogil_failure.h), and in
 * which of the three files. */
struct failure {
    nogil_failure what;
    enum which_file file;
};

/* The record of a failure concerning `file`: fail_os(in_file(failure, FILE_IN)). */
static nogil_failure *
in_file(struct failure *failure, enum which_file file)
{
    failure->file = file;
    return &failure->what;
}
/* [end: failure] */

static uint64_t
load_le(const unsigned char *p, int size)
{
    uint64_t value = 0;
    for (int i = size - 1; i >= 0; i--)
        value = (value << 8) | p[i];
    return value;
}

static void
store_le(unsigned char *p, uint64_t value, int size)
{
    for (int i = 0; i < size; i++, value >>= 8)
        p[i] = (unsigned char)value;
}

/* An open key file, checked: `count` keys follow the header. */
struct key_file {
    int fd;
    size_t count;
};

static int
read_exactly(int fd, unsigned char *buffer, size_t size)
{
    size_t done = 0;
    while (done < size) {
        ssize_t got = read(fd, buffer + done, size - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = EIO; /* the file shrank while we read it */
            return -1;
        }
        done += (size_t)got;
    }
    return 0;
}

/* Open a key file and check its size and header; the keys are read later. */
static int
open_key_file(const char *path, enum which_file file, int key_size, int has_header,
              struct key_file *result, struct failure *failure)
{
    /* O_NONBLOCK: opening a named pipe must not wait for a writer (regular
     * files ignore the flag). Only regular files are accepted below. */
    result->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (result->fd < 0)
        return fail_os(in_file(failure, file));
    struct stat info;
    int bad = fstat(result->fd, &info) < 0;
    if (!bad && !S_ISREG(info.st_mode)) { /* a directory, a device, a pipe */
        errno = S_ISDIR(info.st_mode) ? EISDIR : EINVAL;
        bad = 1;
    }
    if (bad)
        return fail_os(in_file(failure, file));
    size_t size = (size_t)info.st_size;

    /* [region: checks] */
    size_t body = size;
    if (has_header) {
        unsigned char header[HEADER_SIZE];
        if (size < HEADER_SIZE)
            return fail_data(in_file(failure, file),
                             "%zu bytes is shorter than the %d-byte header", size, HEADER_SIZE);
        if (read_exactly(result->fd, header, HEADER_SIZE) < 0)
            return fail_os(in_file(failure, file));
        if (memcmp(header, HEADER_MAGIC, 4) != 0)
            return fail_data(in_file(failure, file),
                             "no \"%s\" header (has_header=False for a bare array of keys?)",
                             HEADER_MAGIC);
        uint64_t header_key_size = load_le(header + 4, 4);
        if (header_key_size != (uint64_t)key_size)
            return fail_data(in_file(failure, file),
                             "the header says %llu-byte keys, the call says %d (key64=%s)",
                             (unsigned long long)header_key_size, key_size,
                             key_size == 8 ? "True" : "False");
        body = size - HEADER_SIZE;
        uint64_t header_count = load_le(header + 8, 8);
        if (body % (size_t)key_size == 0 && header_count != body / (size_t)key_size)
            return fail_data(in_file(failure, file),
                             "the header counts %llu keys, the file holds %zu",
                             (unsigned long long)header_count, body / (size_t)key_size);
    }
    if (body % (size_t)key_size != 0)
        return fail_data(in_file(failure, file),
                         "%zu bytes of keys is not a multiple of the key size %d", body, key_size);
    /* [end: checks] */
    result->count = body / (size_t)key_size;
    return 0;
}

/* [region: set] */
/* The keys of `in`, in one of two shapes, chosen by measuring them first:
 *  - a bitmap, one bit per value from min to max, when that range is dense
 *    enough that the bitmap takes less memory than the smallest hash set could
 *    (two 8-byte slots per key; the real one rounds up to a power of two): a
 *    lookup is one shift and one load, and a small bitmap stays in the cache;
 *  - otherwise a hash set: open addressing, linear probing, at most half full.
 *    Slot value EMPTY marks a free slot; the key EMPTY itself is kept aside. */
#define EMPTY UINT64_MAX

struct key_set {
    uint64_t *bitmap;  /* bit (key - min) is set for each key ... */
    uint64_t min, max; /* ... with min <= key <= max */
    uint64_t *slots;   /* or else the hash set */
    size_t mask;       /* capacity - 1, capacity a power of two */
    int shift;         /* 64 - log2(capacity): keeps the top bits */
    int has_empty_key;
};

static size_t
slot_of(const struct key_set *set, uint64_t key)
{
    /* Fibonacci hashing: the multiply mixes every bit into the top ones. */
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> set->shift);
}

static int
set_build(struct key_set *set, const unsigned char *keys, size_t count, int key_size)
{
    memset(set, 0, sizeof *set);
    if (count == 0) {
        set->min = 1; /* empty: min > max, so set_contains finds nothing */
        return 0;
    }
    set->min = UINT64_MAX;
    for (size_t i = 0; i < count; i++) {
        uint64_t key = load_le(keys + i * key_size, key_size);
        set->min = key < set->min ? key : set->min;
        set->max = key > set->max ? key : set->max;
    }
    uint64_t range = set->max - set->min;
    if (range / 8 < 16 * (uint64_t)count) { /* under 16 bytes per key */
        set->bitmap = calloc(range / 64 + 1, sizeof *set->bitmap);
        if (set->bitmap == NULL)
            return -1;
        for (size_t i = 0; i < count; i++) {
            uint64_t bit = load_le(keys + i * key_size, key_size) - set->min;
            set->bitmap[bit / 64] |= (uint64_t)1 << (bit % 64);
        }
        return 0;
    }

    size_t capacity = 16;
    int shift = 60;
    while (capacity < 2 * count) {
        capacity *= 2;
        shift--;
    }
    set->slots = malloc(capacity * sizeof *set->slots);
    if (set->slots == NULL)
        return -1;
    memset(set->slots, 0xff, capacity * sizeof *set->slots); /* all EMPTY */
    set->mask = capacity - 1;
    set->shift = shift;
    for (size_t i = 0; i < count; i++) {
        uint64_t key = load_le(keys + i * key_size, key_size);
        if (key == EMPTY) {
            set->has_empty_key = 1;
            continue;
        }
        size_t slot = slot_of(set, key);
        while (set->slots[slot] != EMPTY && set->slots[slot] != key)
            slot = (slot + 1) & set->mask;
        set->slots[slot] = key;
    }
    return 0;
}
/* [end: set] */

/* [region: lookup] */
static int
set_contains(const struct key_set *set, uint64_t key)
{
    if (key < set->min || key > set->max)
        return 0;
    if (set->bitmap != NULL) {
        uint64_t bit = key - set->min;
        return (int)((set->bitmap[bit / 64] >> (bit % 64)) & 1);
    }
    if (key == EMPTY)
        return set->has_empty_key;
    size_t slot = slot_of(set, key);
    while (set->slots[slot] != EMPTY) {
        if (set->slots[slot] == key)
            return 1;
        slot = (slot + 1) & set->mask;
    }
    return 0;
}

static void
set_free(struct key_set *set)
{
    free(set->bitmap);
    free(set->slots);
}
/* [end: lookup] */

static int
write_all(int fd, const unsigned char *data, size_t size)
{
    while (size > 0) {
        ssize_t done = write(fd, data, size);
        if (done < 0 && errno == EINTR)
            continue;
        if (done < 0)
            return -1;
        data += done;
        size -= (size_t)done;
    }
    return 0;
}

/* [region: negative] */
#define CHUNK_KEYS 65536 /* `all` is streamed through a buffer of this many keys */

/* The keys of all_path not in in_path, in order, into out_path. Memory: the
 * set of `in`, and one chunk of `all` in and out. The output is written to a
 * temporary file next to it and renamed over it only when complete, so a
 * failure never leaves a partial output (replace_open(), in replace_file.h).
 * After each chunk of `all`, however long it is, stop(context) is asked whether
 * to give up (targets_negative answers: when Ctrl-C was pressed). Returns the
 * count, or -1 with `failure` filled in. */
static Py_ssize_t
negative(const char *all_path, const char *in_path, const char *out_path, int has_header,
         int key_size, int (*stop)(void *), void *context, struct failure *failure)
{
    struct key_file all = {-1, 0}, in = {-1, 0};
    struct key_set set = {0};
    unsigned char *in_keys = NULL, *chunk = NULL, *out = NULL;
    struct replace file = {NULL, NULL, -1, NULL};
    Py_ssize_t written = -1;

    if (open_key_file(all_path, FILE_ALL, key_size, has_header, &all, failure) < 0
        || open_key_file(in_path, FILE_IN, key_size, has_header, &in, failure) < 0)
        goto done;

    /* The whole of `in`, into a set. */
    in_keys = malloc(in.count * key_size + 1);
    if (in_keys == NULL || read_exactly(in.fd, in_keys, in.count * key_size) < 0
        || set_build(&set, in_keys, in.count, key_size) < 0) {
        fail_os(in_file(failure, FILE_IN));
        goto done;
    }
    free(in_keys);
    in_keys = NULL;

    chunk = malloc(CHUNK_KEYS * key_size);
    out = malloc(CHUNK_KEYS * key_size);
    if (chunk == NULL || out == NULL) {
        fail_os(in_file(failure, FILE_OUT));
        goto done;
    }
    if (replace_open(&file, out_path) < 0) {
        fail_os(in_file(failure, FILE_OUT));
        if (file.refusal != NULL) /* not a regular file: say so, not strerror */
            snprintf(failure->what.reason, sizeof failure->what.reason, "%s", file.refusal);
        goto done;
    }
    unsigned char header[HEADER_SIZE] = {0}; /* rewritten once the count is known */
    if (has_header && write_all(file.fd, header, HEADER_SIZE) < 0) {
        fail_os(in_file(failure, FILE_OUT));
        goto done;
    }
    /* [end: negative] */

    /* [region: chunks] */
    /* `all`, chunk by chunk: keep the keys not in the set. */
    size_t count = 0;
    for (size_t first = 0; first < all.count; first += CHUNK_KEYS) {
        size_t n = all.count - first < CHUNK_KEYS ? all.count - first : CHUNK_KEYS;
        if (read_exactly(all.fd, chunk, n * key_size) < 0) {
            fail_os(in_file(failure, FILE_ALL));
            goto done;
        }
        unsigned char *cursor = out;
        for (size_t i = 0; i < n; i++) {
            const unsigned char *key = chunk + i * key_size;
            if (!set_contains(&set, load_le(key, key_size))) {
                memcpy(cursor, key, key_size);
                cursor += key_size;
            }
        }
        if (write_all(file.fd, out, (size_t)(cursor - out)) < 0) {
            fail_os(in_file(failure, FILE_OUT));
            goto done;
        }
        count += (size_t)(cursor - out) / key_size;
        if (stop(context)) {
            fail_stopped(&failure->what);
            goto done;
        }
    }
    /* [end: chunks] */

    /* [region: commit] */
    if (has_header) {
        memcpy(header, HEADER_MAGIC, 4);
        store_le(header + 4, (uint64_t)key_size, 4);
        store_le(header + 8, count, 8);
        errno = 0; /* a short write sets no errno: don't report a stale one */
        if (pwrite(file.fd, header, HEADER_SIZE, 0) != HEADER_SIZE) {
            if (errno == 0)
                errno = EIO;
            fail_os(in_file(failure, FILE_OUT));
            goto done;
        }
    }
    if (replace_commit(&file) < 0) { /* close(), rename() over the target */
        fail_os(in_file(failure, FILE_OUT));
        goto done;
    }
    written = (Py_ssize_t)count;

done:
    replace_end(&file); /* after a failure: closes and removes the temporary file */
    if (all.fd >= 0)
        close(all.fd);
    if (in.fd >= 0)
        close(in.fd);
    free(in_keys);
    free(chunk);
    free(out);
    set_free(&set);
    return written;
}
/* [end: commit] */

/* ---------------------------------------------------------------------------
 * The Python side.
 * ------------------------------------------------------------------------- */

/* [region: state] */
typedef struct {
    PyObject *Error; /* targets.Error, created in targets_exec */
} targets_state;

static targets_state *
get_state(PyObject *module)
{
    return (targets_state *)PyModule_GetState(module);
}
/* [end: state] */

/* [region: raise] */
/* Raise targets.Error for `failure`. Every Error has .path and .reason, and, as
 * any OSError naming a file, .filename (the path) and .strerror (the reason).
 * A failed system call also has .errno: Error(errno, reason, path). Wrong
 * contents have none: errno None, and the message "path: reason" (error_str). */
static void
raise_failure(targets_state *state, const struct failure *failure, PyObject *path)
{
    PyObject *error, *reason;
    const nogil_failure *what = &failure->what;
    if (what->kind == FAILURE_OS) {
        reason = PyUnicode_FromString(what->reason[0] != '\0' ? what->reason
                                                              : strerror(what->error_number));
        error = reason
                    ? PyObject_CallFunction(state->Error, "iOO", what->error_number, reason, path)
                    : NULL;
    }
    else { /* FAILURE_DATA */
        reason = PyUnicode_FromString(what->reason);
        PyObject *message = reason ? PyUnicode_FromFormat("%U: %U", path, reason) : NULL;
        error = message ? PyObject_CallOneArg(state->Error, message) : NULL;
        Py_XDECREF(message);
        if (error != NULL
            && (PyObject_SetAttrString(error, "strerror", reason) < 0
                || PyObject_SetAttrString(error, "filename", path) < 0))
            Py_CLEAR(error);
    }
    if (error != NULL && PyObject_SetAttrString(error, "path", path) == 0
        && PyObject_SetAttrString(error, "reason", reason) == 0)
        PyErr_SetObject(state->Error, error);
    Py_XDECREF(error);
    Py_XDECREF(reason);
}
/* [end: raise] */

PyDoc_STRVAR(targets_negative_doc,
             "targets_negative(all_path, in_path, out_path, has_header=True, key64=False)\n"
             "--\n"
             "\n"
             "Write the keys of all_path that are not in in_path to out_path, in the order\n"
             "of all_path (repeats kept), and return how many were written.\n"
             "\n"
             "A key file is an array of little-endian unsigned keys, 4 bytes each (8 with\n"
             "key64=True). With has_header=True (the default) every file -- the output too --\n"
             "starts with a 16-byte header: the magic b'TGTS', the key size as a 4-byte\n"
             "integer, the number of keys as an 8-byte integer (all little-endian).\n"
             "\n"
             "Raises targets.Error, naming the file: missing or unreadable file, a size that\n"
             "is not a whole number of keys, a header that is missing or disagrees with the\n"
             "call or with the file's size, an output that cannot be written. The output is\n"
             "replaced only when complete. The GIL is released for the whole computation;\n"
             "Ctrl-C (a signal handler that raises) stops it within about 50 ms, and the\n"
             "output is then left as it was.");

/* negative()'s stop(): Ctrl-C (any signal whose handler raises) ends the call. */
static int
stop_on_signal(void *check)
{
    return signal_check_stop(check);
}

/* [region: function] */
static PyObject *
targets_negative(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"all_path", "in_path", "out_path", "has_header", "key64", NULL};
    PyObject *paths[3] = {NULL, NULL, NULL}; /* bytes, from PyUnicode_FSConverter */
    int has_header = 1, key64 = 0;
    PyObject *result = NULL;

    /* O&: the converter turns str, bytes or pathlib.Path into file-system bytes. */
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&O&O&|pp:targets_negative", kwlist,
                                     PyUnicode_FSConverter, &paths[FILE_ALL],
                                     PyUnicode_FSConverter, &paths[FILE_IN], PyUnicode_FSConverter,
                                     &paths[FILE_OUT], &has_header, &key64))
        goto done;

    /* Plain C strings: they stay valid while `paths` holds the bytes objects. */
    const char *all_path = PyBytes_AS_STRING(paths[FILE_ALL]);
    const char *in_path = PyBytes_AS_STRING(paths[FILE_IN]);
    const char *out_path = PyBytes_AS_STRING(paths[FILE_OUT]);
    struct failure failure = {{FAILURE_NONE, 0, ""}, FILE_ALL};
    Py_ssize_t written;
    signal_check check = {NULL, {0, 0}}; /* .thread: NULL while the GIL is held */

    RELEASE_GIL(check.thread); /* no Python object may be touched from here ... */
    written = negative(all_path, in_path, out_path, has_header, key64 ? 8 : 4, stop_on_signal,
                       &check, &failure);
    ACQUIRE_GIL(check.thread); /* ... to here */

    if (written < 0 && failure.what.kind == FAILURE_STOPPED) /* Ctrl-C: its exception is set */
        goto done;
    if (written < 0) {
        /* Report the path as a str, decoded from the file-system bytes, whether the
         * caller passed a str, bytes or a path object. */
        PyObject *path = PyUnicode_DecodeFSDefault(PyBytes_AS_STRING(paths[failure.file]));
        if (path != NULL)
            raise_failure(get_state(module), &failure, path);
        Py_XDECREF(path);
        goto done;
    }
    result = PyLong_FromSsize_t(written);

done:
    for (int i = 0; i < 3; i++)
        Py_XDECREF(paths[i]);
    return result;
}
/* [end: function] */

/* [region: module] */
PyDoc_STRVAR(error_doc,
             "A key file is missing, unreadable, malformed, or the output cannot be written.\n"
             "\n"
             "A subclass of OSError: every failure concerns a file, so `except OSError`\n"
             "catches it. .path names the file and .reason says what went wrong; as in\n"
             "any OSError about a file, .filename is the path and .strerror the reason.\n"
             "A failed system call has its .errno; wrong contents have .errno None and\n"
             "the message \"path: reason\".");

/* str(error). OSError's own gives "[Errno 2] reason: 'path'", and for wrong
 * contents, which have no errno but a filename, "[Errno None] reason: 'path'":
 * those get "path: reason" instead. */
static PyObject *
error_str(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *number = PyObject_GetAttrString(self, "errno");
    PyObject *filename = number ? PyObject_GetAttrString(self, "filename") : NULL;
    PyObject *reason = filename ? PyObject_GetAttrString(self, "strerror") : NULL;
    PyObject *text = NULL;
    if (reason != NULL) {
        if (number == Py_None && filename != Py_None && reason != Py_None)
            text = PyUnicode_FromFormat("%S: %S", filename, reason);
        else
            text = ((PyTypeObject *)PyExc_OSError)->tp_str(self);
    }
    Py_XDECREF(number);
    Py_XDECREF(filename);
    Py_XDECREF(reason);
    return text;
}

static PyMethodDef error_str_def = {"__str__", error_str, METH_NOARGS, NULL};

static int
targets_exec(PyObject *module)
{
    targets_state *state = get_state(module);
    /* The class body: __str__ only, a method of OSError instances. */
    PyObject *body = PyDict_New();
    PyObject *str = body ? PyDescr_NewMethod((PyTypeObject *)PyExc_OSError, &error_str_def) : NULL;
    if (str != NULL && PyDict_SetItemString(body, "__str__", str) == 0)
        state->Error =
            PyErr_NewExceptionWithDoc(MODULE_NAME ".Error", error_doc, PyExc_OSError, body);
    Py_XDECREF(str);
    Py_XDECREF(body);
    if (state->Error == NULL)
        return -1;
    /* PyModule_AddObjectRef leaves our reference alone: the state keeps it. */
    if (PyModule_AddObjectRef(module, "Error", state->Error) < 0)
        return -1;
    if (PyModule_AddIntConstant(module, "HEADER_SIZE", HEADER_SIZE) < 0)
        return -1;
    PyObject *magic = PyBytes_FromString(HEADER_MAGIC);
    int status = magic ? PyModule_AddObjectRef(module, "HEADER_MAGIC", magic) : -1;
    Py_XDECREF(magic);
    if (status < 0)
        return -1;
#ifdef TARGETS_HOLD_GIL
    return PyModule_AddIntConstant(module, "RELEASES_GIL", 0);
#else
    return PyModule_AddIntConstant(module, "RELEASES_GIL", 1);
#endif
}

/* The module state holds a Python object: the garbage collector must see it. */
static int
targets_traverse(PyObject *module, visitproc visit, void *arg)
{
    Py_VISIT(get_state(module)->Error);
    return 0;
}

static int
targets_clear(PyObject *module)
{
    Py_CLEAR(get_state(module)->Error);
    return 0;
}

static void
targets_free(void *module)
{
    targets_clear((PyObject *)module);
}
/* [end: module] */

/* [region: moduledef] */
static PyMethodDef targets_methods[] = {
    {"targets_negative", (PyCFunction)(void (*)(void))targets_negative,
     METH_VARARGS | METH_KEYWORDS, targets_negative_doc},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot targets_slots[] = {
    {Py_mod_exec, targets_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef targets_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = MODULE_NAME,
    .m_doc = "Key-file difference in C: a module exception, and the GIL released.",
    .m_size = sizeof(targets_state),
    .m_methods = targets_methods,
    .m_slots = targets_slots,
    .m_traverse = targets_traverse,
    .m_clear = targets_clear,
    .m_free = targets_free,
};

PyMODINIT_FUNC
MODULE_INIT(void)
{
    return PyModuleDef_Init(&targets_module);
}
/* [end: moduledef] */
