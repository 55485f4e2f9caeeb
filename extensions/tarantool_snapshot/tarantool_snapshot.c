/* tarantool_snapshot.c -- an iterator type over the rows of a Tarantool .snap file.
 *
 *     for space_id, tuple in tarantool_snapshot.iter("00000000000000001002.snap"):
 *         ...
 *
 * The file format (Tarantool 2.x, "0.13"), read here without Tarantool's code:
 *
 *   a text header     "SNAP\n" "0.13\n" then "Key: value\n" lines, then "\n"
 *   blocks            each a 19-byte fixed header and `length` bytes of data:
 *                       4 bytes  magic d5 ba 0b ab (plain data) or d5 ba 0b ba (zstd frame)
 *                       MessagePack uints: length, CRC of the previous block, CRC of
 *                       this block's data (CRC-32C, initial value 0, no final inversion)
 *                       padding up to 19 bytes
 *   an end marker     d5 10 ad ed
 *
 * A block's (decompressed) data is a run of rows, each two MessagePack maps: a
 * header {0: request type, 3: lsn, ...} and a body {16: space id, 33: tuple}.
 * A snapshot holds only INSERT rows (type 2); other rows are skipped.
 *
 * MessagePack is decoded by hand (see decode_value): it is small, it builds the
 * Python objects directly with no intermediate tree, and every read is bounds
 * checked against the block, which is what turns corrupt input into an
 * exception with an offset rather than a crash.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>       /* PyMemberDef's T_OBJECT_EX before 3.12 */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <zstd.h>

#include "signal_check.h"      /* extensions/common: Ctrl-C during a long call */

/* [region: format] */
#define FIXED_HEADER_SIZE 19
static const unsigned char PLAIN_MAGIC[4] = {0xd5, 0xba, 0x0b, 0xab};
static const unsigned char ZSTD_MAGIC[4] = {0xd5, 0xba, 0x0b, 0xba};
static const unsigned char END_MAGIC[4] = {0xd5, 0x10, 0xad, 0xed};

#define ROW_TYPE_KEY 0x00       /* in a row's header map */
#define ROW_TYPE_INSERT 2
#define SPACE_ID_KEY 0x10       /* in a row's body map */
#define TUPLE_KEY 0x21

#define MAX_HEADER_TEXT 65536           /* the text header is a few hundred bytes */
#define MAX_BLOCK_SIZE ((size_t)1 << 31) /* bytes a block may hold, stored or decompressed */
#define MAX_DEPTH 256                   /* nesting of arrays and maps in a tuple */
/* [end: format] */

/* ---------------------------------------------------------------------------
 * CRC-32C (Castagnoli), bytewise with a table: Tarantool's block checksum.
 * ------------------------------------------------------------------------- */
static uint32_t crc_table[256];
/* Filled once per process: module_exec runs in every interpreter that imports
 * the module, and another may be reading the table meanwhile. */
static pthread_once_t crc_table_once = PTHREAD_ONCE_INIT;

static void
crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int bit = 0; bit < 8; bit++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t
crc32c(const unsigned char *data, size_t size)
{
    uint32_t crc = 0;           /* Tarantool: start at 0, no final inversion */
    for (size_t i = 0; i < size; i++)
        crc = crc_table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
    return crc;
}

/* ---------------------------------------------------------------------------
 * Module state and the iterator object.
 * ------------------------------------------------------------------------- */

/* [region: object] */
typedef struct {
    PyObject *SnapshotError;
    PyTypeObject *SnapshotIterator;
} module_state;

typedef struct {
    PyObject_HEAD
    PyObject *path;             /* str: a str, bytes or path object, decoded */
    PyObject *meta;             /* dict of the text header's "Key: value" lines */
    FILE *file;                 /* NULL once closed or exhausted */
    long long file_size;
    long long block_offset;     /* file offset of the current block */
    long long next_offset;      /* file offset of the next block */
    unsigned char *data;        /* the current block's data, as read */
    size_t data_capacity;
    unsigned char *rows;        /* its rows: `data` itself, or decompressed */
    size_t rows_size, rows_capacity;
    size_t position;            /* next row in rows */
    int compressed;             /* current block was zstd */
    ZSTD_DCtx *zstd;
    size_t max_block_size;      /* MAX_BLOCK_SIZE, or less if the caller asked */
    int busy;                   /* a next() call is running: decoding, or reading a
                                   block with the GIL released */
} SnapshotIterator;
/* [end: object] */

static module_state *
state_of_type(PyTypeObject *type)
{
    /* A heap type created from a spec finds its module, hence its state. */
    return (module_state *)PyType_GetModuleState(type);
}

/* ---------------------------------------------------------------------------
 * Errors: SnapshotError(message) with .offset, the file offset it concerns.
 * ------------------------------------------------------------------------- */

static PyObject *
snapshot_error(SnapshotIterator *self, long long offset, const char *format, ...)
{
    module_state *state = state_of_type(Py_TYPE(self));
    va_list args;
    va_start(args, format);
    PyObject *detail = PyUnicode_FromFormatV(format, args);
    va_end(args);
    if (detail == NULL)
        return NULL;
    PyObject *message = PyUnicode_FromFormat("%S: %U (offset %lld)", self->path, detail,
                                             offset);
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

/* Where row byte `at` of the current block is, for messages: in a plain block
 * the file offset itself; in a zstd block the block's offset (and the byte). */
static PyObject *
row_error(SnapshotIterator *self, size_t at, const char *what)
{
    if (self->compressed)
        return snapshot_error(self, self->block_offset, "%s at byte %zu of the rows "
                              "decompressed from the block", what, at);
    return snapshot_error(self, self->block_offset + FIXED_HEADER_SIZE + (long long)at,
                          "%s", what);
}

/* ---------------------------------------------------------------------------
 * MessagePack -> Python, bounds-checked. `*at` advances past the value.
 * ------------------------------------------------------------------------- */

/* [region: take] */
typedef struct {
    SnapshotIterator *self;
    const unsigned char *data;
    size_t size;
} Reader;

static PyObject *decode_value(Reader *r, size_t *at, int depth);

/* Read n bytes at *at, or fail with "truncated". */
static const unsigned char *
take(Reader *r, size_t *at, size_t n)
{
    if (n > r->size - *at) {
        row_error(r->self, *at, "truncated row");
        return NULL;
    }
    const unsigned char *p = r->data + *at;
    *at += n;
    return p;
}

static int
take_be(Reader *r, size_t *at, int n, uint64_t *value)
{
    const unsigned char *p = take(r, at, (size_t)n);
    if (p == NULL)
        return -1;
    *value = 0;
    for (int i = 0; i < n; i++)
        *value = (*value << 8) | p[i];      /* MessagePack is big-endian */
    return 0;
}
/* [end: take] */

static PyObject *
decode_str(Reader *r, size_t *at, size_t n, int is_bytes)
{
    const char *p = (const char *)take(r, at, n);
    if (p == NULL)
        return NULL;
    if (is_bytes)
        return PyBytes_FromStringAndSize(p, (Py_ssize_t)n);
    /* Tarantool does not check that a string is UTF-8 (a Lua string may hold
     * any bytes): undecodable bytes become surrogate escapes (PEP 383), so
     * s.encode("utf-8", "surrogateescape") gives back exactly what was stored. */
    return PyUnicode_DecodeUTF8(p, (Py_ssize_t)n, "surrogateescape");
}

/* [region: containers] */
static PyObject *
decode_array(Reader *r, size_t *at, size_t n, int depth)
{
    /* Every element takes at least one byte: a corrupt count cannot make us
     * allocate more than the block could hold. */
    if (n > r->size - *at)
        return row_error(r->self, *at, "array longer than its block");
    PyObject *list = PyList_New((Py_ssize_t)n);
    if (list == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        PyObject *item = decode_value(r, at, depth + 1);
        if (item == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, item);     /* steals the reference */
    }
    return list;
}

static PyObject *
decode_map(Reader *r, size_t *at, size_t n, int depth)
{
    if (n > (r->size - *at) / 2)
        return row_error(r->self, *at, "map longer than its block");
    PyObject *dict = PyDict_New();
    if (dict == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t key_at = *at;
        PyObject *key = decode_value(r, at, depth + 1);
        PyObject *value = key ? decode_value(r, at, depth + 1) : NULL;
        int status = value ? PyDict_SetItem(dict, key, value) : -1;
        Py_XDECREF(key);
        Py_XDECREF(value);
        if (status < 0) {
            if (value != NULL && PyErr_ExceptionMatches(PyExc_TypeError)) {
                PyErr_Clear();  /* a list or dict as a key: valid MessagePack, not Python */
                row_error(r->self, key_at, "unhashable map key (an array or a map)");
            }
            Py_DECREF(dict);
            return NULL;
        }
    }
    return dict;
}
/* [end: containers] */

/* [region: value] */
static PyObject *
decode_value(Reader *r, size_t *at, int depth)
{
    if (depth > MAX_DEPTH)      /* recursion bounded: no C stack overflow */
        return row_error(r->self, *at, "arrays or maps nested too deep");
    size_t start = *at;
    const unsigned char *p = take(r, at, 1);
    if (p == NULL)
        return NULL;
    unsigned char c = *p;
    uint64_t n;

    if (c <= 0x7f)                              /* positive fixint */
        return PyLong_FromLong(c);
    if (c >= 0xe0)                              /* negative fixint */
        return PyLong_FromLong((long)(int8_t)c);
    if (c >= 0xa0 && c <= 0xbf)                 /* fixstr */
        return decode_str(r, at, c & 0x1f, 0);
    if (c >= 0x90 && c <= 0x9f)                 /* fixarray */
        return decode_array(r, at, c & 0x0f, depth);
    if (c >= 0x80 && c <= 0x8f)                 /* fixmap */
        return decode_map(r, at, c & 0x0f, depth);

    /* The other first bytes: nil, bools and numbers of a fixed size, or a
     * length (bin, str, array, map) that take_be() reads first, or one of
     * Tarantool's extension types, which are refused. */
    /* [end: value] */
    switch (c) {
    case 0xc0: Py_RETURN_NONE;
    case 0xc2: Py_RETURN_FALSE;
    case 0xc3: Py_RETURN_TRUE;
    case 0xc4: case 0xc5: case 0xc6:            /* bin 8/16/32 */
        if (take_be(r, at, 1 << (c - 0xc4), &n) < 0)
            return NULL;
        return decode_str(r, at, (size_t)n, 1);
    case 0xd9: case 0xda: case 0xdb:            /* str 8/16/32 */
        if (take_be(r, at, 1 << (c - 0xd9), &n) < 0)
            return NULL;
        return decode_str(r, at, (size_t)n, 0);
    case 0xdc: case 0xdd:                       /* array 16/32 */
        if (take_be(r, at, c == 0xdc ? 2 : 4, &n) < 0)
            return NULL;
        return decode_array(r, at, (size_t)n, depth);
    case 0xde: case 0xdf:                       /* map 16/32 */
        if (take_be(r, at, c == 0xde ? 2 : 4, &n) < 0)
            return NULL;
        return decode_map(r, at, (size_t)n, depth);
    case 0xca: {                                /* float 32 */
        if (take_be(r, at, 4, &n) < 0)
            return NULL;
        uint32_t bits = (uint32_t)n;
        float value;
        memcpy(&value, &bits, sizeof value);
        return PyFloat_FromDouble(value);
    }
    case 0xcb: {                                /* float 64 */
        if (take_be(r, at, 8, &n) < 0)
            return NULL;
        double value;
        memcpy(&value, &n, sizeof value);
        return PyFloat_FromDouble(value);
    }
    case 0xcc: case 0xcd: case 0xce: case 0xcf: /* uint 8/16/32/64 */
        if (take_be(r, at, 1 << (c - 0xcc), &n) < 0)
            return NULL;
        return PyLong_FromUnsignedLongLong(n);
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: { /* int 8/16/32/64 */
        int size = 1 << (c - 0xd0);
        if (take_be(r, at, size, &n) < 0)
            return NULL;
        if (size < 8 && (n >> (8 * size - 1)))  /* sign-extend */
            n |= ~(uint64_t)0 << (8 * size);
        return PyLong_FromLongLong((long long)n);
    }
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:  /* fixext 1..16 */
    case 0xc7: case 0xc8: case 0xc9:            /* ext 8/16/32 */
        /* How Tarantool stores its decimal, uuid and error values. */
        return row_error(r->self, start, "a MessagePack extension value (Tarantool's "
                         "decimal, uuid or error type) is not supported");
    default:                                    /* 0xc1: never used */
        return row_error(r->self, start, "invalid MessagePack byte 0xc1");
    }
}

/* Step over one value without building it (row headers, unused body keys). */
static int
skip_value(Reader *r, size_t *at, int depth)
{
    if (depth > MAX_DEPTH) {
        row_error(r->self, *at, "arrays or maps nested too deep");
        return -1;
    }
    size_t start = *at;
    const unsigned char *p = take(r, at, 1);
    if (p == NULL)
        return -1;
    unsigned char c = *p;
    uint64_t n = 0, items = 0;
    size_t extra = 0;

    if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3)
        return 0;
    if (c >= 0xa0 && c <= 0xbf)
        extra = c & 0x1f;
    else if (c >= 0x90 && c <= 0x9f)
        items = c & 0x0f;
    else if (c >= 0x80 && c <= 0x8f)
        items = 2 * (uint64_t)(c & 0x0f);
    else switch (c) {
    case 0xc4: case 0xc5: case 0xc6:
        if (take_be(r, at, 1 << (c - 0xc4), &n) < 0)
            return -1;
        extra = (size_t)n;
        break;
    case 0xd9: case 0xda: case 0xdb:
        if (take_be(r, at, 1 << (c - 0xd9), &n) < 0)
            return -1;
        extra = (size_t)n;
        break;
    case 0xdc: case 0xdd:
        if (take_be(r, at, c == 0xdc ? 2 : 4, &n) < 0)
            return -1;
        items = n;
        break;
    case 0xde: case 0xdf:
        if (take_be(r, at, c == 0xde ? 2 : 4, &n) < 0)
            return -1;
        items = 2 * n;
        break;
    case 0xca: extra = 4; break;
    case 0xcb: extra = 8; break;
    case 0xcc: case 0xcd: case 0xce: case 0xcf: extra = (size_t)1 << (c - 0xcc); break;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: extra = (size_t)1 << (c - 0xd0); break;
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        extra = 1 + ((size_t)1 << (c - 0xd4));          /* type byte + data */
        break;
    case 0xc7: case 0xc8: case 0xc9:
        if (take_be(r, at, 1 << (c - 0xc7), &n) < 0)
            return -1;
        extra = 1 + (size_t)n;
        break;
    default:
        row_error(r->self, start, "invalid MessagePack byte 0xc1");
        return -1;
    }
    if (extra && take(r, at, extra) == NULL)
        return -1;
    /* Each item takes a byte at least: refuse a count the block cannot hold
     * now, as decode_array() and decode_map() do, rather than after stepping
     * through the rest of the block. */
    if (items > r->size - *at) {
        int is_map = (c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf;
        row_error(r->self, *at, is_map ? "map longer than its block"
                                       : "array longer than its block");
        return -1;
    }
    for (uint64_t i = 0; i < items; i++)
        if (skip_value(r, at, depth + 1) < 0)
            return -1;
    return 0;
}

static int
read_uint(Reader *r, size_t *at, const char *what, uint64_t *value)
{
    size_t start = *at;
    const unsigned char *p = take(r, at, 1);
    if (p == NULL)
        return -1;
    if (*p <= 0x7f) {
        *value = *p;
        return 0;
    }
    if (*p >= 0xcc && *p <= 0xcf)
        return take_be(r, at, 1 << (*p - 0xcc), value);
    row_error(r->self, start, what);
    return -1;
}

static int
read_map_size(Reader *r, size_t *at, const char *what, uint64_t *size)
{
    size_t start = *at;
    const unsigned char *p = take(r, at, 1);
    if (p == NULL)
        return -1;
    if (*p >= 0x80 && *p <= 0x8f)
        *size = *p & 0x0f;
    else if (*p == 0xde || *p == 0xdf) {
        if (take_be(r, at, *p == 0xde ? 2 : 4, size) < 0)
            return -1;
    }
    else {
        row_error(r->self, start, what);
        return -1;
    }
    /* A key and a value per entry, a byte each at least. */
    if (*size > (r->size - *at) / 2) {
        row_error(r->self, *at, "map longer than its block");
        return -1;
    }
    return 0;
}

/* [region: row] */
/* Decode the row at self->position. Returns a new (space_id, tuple) for an
 * INSERT row, Py_None (borrowed, not a new reference) for a row to skip, NULL
 * on error. */
static PyObject *
decode_row(SnapshotIterator *self)
{
    Reader r = {self, self->rows, self->rows_size};
    size_t at = self->position;
    uint64_t entries, key, type = UINT64_MAX, space_id = 0;
    int has_type = 0, has_space_id = 0;     /* (any uint64 is a value: none can mean "none") */
    PyObject *tuple = NULL;

    if (read_map_size(&r, &at, "a row does not start with a header map", &entries) < 0)
        return NULL;
    for (uint64_t i = 0; i < entries; i++) {
        if (read_uint(&r, &at, "a row header key is not an unsigned integer", &key) < 0)
            return NULL;
        /* A key given twice would leave the row to whichever a reader takes,
         * the first or the last (msgpack's dict keeps the last): refused. */
        if (key == ROW_TYPE_KEY) {
            if (has_type) {
                row_error(self, at, "a row header gives its type twice");
                return NULL;
            }
            if (read_uint(&r, &at, "a row type is not an unsigned integer", &type) < 0)
                return NULL;
            has_type = 1;
        }
        else if (skip_value(&r, &at, 0) < 0) {
            return NULL;
        }
    }
    if (read_map_size(&r, &at, "a row has no body map", &entries) < 0)
        return NULL;
    for (uint64_t i = 0; i < entries; i++) {
        if (read_uint(&r, &at, "a row body key is not an unsigned integer", &key) < 0)
            goto error;
        if ((key == SPACE_ID_KEY && has_space_id) || (key == TUPLE_KEY && tuple != NULL)) {
            row_error(self, at, key == SPACE_ID_KEY ? "a row body gives its space id twice"
                                                     : "a row body gives its tuple twice");
            goto error;
        }
        if (key == SPACE_ID_KEY && type == ROW_TYPE_INSERT) {
            if (read_uint(&r, &at, "a space id is not an unsigned integer", &space_id) < 0)
                goto error;
            has_space_id = 1;
        }
        else if (key == TUPLE_KEY && type == ROW_TYPE_INSERT) {
            if (at < r.size && !((r.data[at] >= 0x90 && r.data[at] <= 0x9f)
                                 || r.data[at] == 0xdc || r.data[at] == 0xdd)) {
                row_error(self, at, "a tuple is not a MessagePack array");
                goto error;
            }
            tuple = decode_value(&r, &at, 0);
            if (tuple == NULL)
                goto error;
        }
        else if (skip_value(&r, &at, 0) < 0) {
            goto error;
        }
    }
    self->position = at;
    if (type != ROW_TYPE_INSERT) {
        Py_XDECREF(tuple);
        return Py_None;
    }
    if (tuple == NULL || !has_space_id) {
        Py_XDECREF(tuple);
        return row_error(self, at, "an INSERT row without a space id or a tuple");
    }
    PyObject *result = Py_BuildValue("(KN)", (unsigned long long)space_id, tuple);
    return result;              /* "N" took our reference to tuple, even on failure */

error:
    Py_XDECREF(tuple);
    return NULL;
}
/* [end: row] */

/* ---------------------------------------------------------------------------
 * Reading a block: plain C, run with the GIL released.
 * ------------------------------------------------------------------------- */

enum { BLOCK_READ, BLOCK_END, BLOCK_FAILED, BLOCK_STOPPED /* a signal handler raised */ };

typedef struct {
    long long offset;           /* file offset of the problem */
    int error_number;           /* errno of a failed read, or 0 for bad contents */
    char reason[200];
} BlockFailure;

static int
block_failure(BlockFailure *failure, long long offset, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static int
block_failure(BlockFailure *failure, long long offset, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(failure->reason, sizeof failure->reason, format, args);
    va_end(args);
    failure->offset = offset;
    failure->error_number = 0;
    return BLOCK_FAILED;
}

static int
read_exactly(SnapshotIterator *self, void *buffer, size_t size, BlockFailure *failure,
             long long offset)
{
    size_t got = fread(buffer, 1, size, self->file);
    if (got == size)
        return 0;
    if (ferror(self->file)) {
        failure->error_number = errno ? errno : EIO;
        failure->offset = offset;
        return -1;
    }
    block_failure(failure, offset, "truncated: %zu bytes missing", size - got);
    return -1;
}

/* Make *buffer hold `needed` bytes (needed <= most), doubling its capacity but
 * never past `most`: a block's limit is never exceeded, and the doubling cannot
 * overflow size_t. */
static int
grow(unsigned char **buffer, size_t *capacity, size_t needed, size_t most)
{
    if (needed <= *capacity)
        return 0;
    size_t size = *capacity ? *capacity : 65536;
    while (size < needed && size <= most / 2)
        size *= 2;
    if (size < needed || size > most)
        size = needed > most ? needed : most;
    unsigned char *bigger = realloc(*buffer, size);
    if (bigger == NULL)
        return -1;
    *buffer = bigger;
    *capacity = size;
    return 0;
}

/* A MessagePack uint from the fixed header's 15 bytes after the magic. */
static int
fixed_uint(const unsigned char *p, size_t size, size_t *at, uint64_t *value)
{
    if (*at >= size)
        return -1;
    unsigned char c = p[(*at)++];
    if (c <= 0x7f) {
        *value = c;
        return 0;
    }
    if (c < 0xcc || c > 0xcf)
        return -1;
    size_t n = (size_t)1 << (c - 0xcc);
    if (n > size - *at)
        return -1;
    *value = 0;
    for (size_t i = 0; i < n; i++)
        *value = (*value << 8) | p[(*at)++];
    return 0;
}

static int
decompress(SnapshotIterator *self, size_t length, signal_check *check, BlockFailure *failure)
{
    long long offset = self->block_offset;
    size_t limit = self->max_block_size;
    /* A frame that states its size is refused before anything is allocated; one
     * that does not is streamed into a buffer of at most limit + 1 bytes: the
     * extra byte is how a frame that goes past the limit is told apart. */
    unsigned long long stated = ZSTD_getFrameContentSize(self->data, length);
    if (stated != ZSTD_CONTENTSIZE_UNKNOWN && stated != ZSTD_CONTENTSIZE_ERROR
            && stated > limit)
        return block_failure(failure, offset, "a block decompresses to %llu bytes, more "
                             "than the limit of %zu bytes (max_block_size)", stated, limit);
    ZSTD_inBuffer in = {self->data, length, 0};
    size_t status = ZSTD_DCtx_reset(self->zstd, ZSTD_reset_session_only);
    self->rows_size = 0;
    while (!ZSTD_isError(status)) {
        size_t wanted = limit - self->rows_size < 65536 ? limit + 1 : self->rows_size + 65536;
        if (grow(&self->rows, &self->rows_capacity, wanted, limit + 1) < 0) {
            failure->error_number = ENOMEM;
            failure->offset = offset;
            return BLOCK_FAILED;
        }
        size_t room = self->rows_capacity < limit + 1 ? self->rows_capacity : limit + 1;
        ZSTD_outBuffer out = {self->rows, room, self->rows_size};
        status = ZSTD_decompressStream(self->zstd, &out, &in);
        self->rows_size = out.pos;
        if (ZSTD_isError(status))
            break;
        if (signal_check_stop(check))   /* up to 2 GiB to inflate: answer Ctrl-C meanwhile */
            return BLOCK_STOPPED;
        if (self->rows_size > limit)
            return block_failure(failure, offset, "a block decompresses to more than the "
                                 "limit of %zu bytes (max_block_size)", limit);
        if (status == 0) {      /* the frame is complete */
            if (in.pos != in.size)
                return block_failure(failure, offset, "%zu bytes after the zstd frame",
                                     in.size - in.pos);
            return BLOCK_READ;
        }
        if (in.pos == in.size && out.pos < out.size)
            return block_failure(failure, offset, "truncated zstd frame");
    }
    return block_failure(failure, offset, "corrupt zstd frame (%s)",
                         ZSTD_getErrorName(status));
}

/* [region: read_block] */
/* Read the next block into self->rows. No Python object is touched: a problem
 * is recorded in *failure (a BlockFailure), and iterator_next raises it once it
 * holds the GIL again. The helpers above: read_exactly() (fread all of it, or
 * record why not), fixed_uint() (one MessagePack uint of the fixed header),
 * grow() (a buffer at least this large) and decompress() (one zstd frame,
 * streamed into self->rows, Ctrl-C checked on the way: signal_check.h). */
static int
read_block(SnapshotIterator *self, signal_check *check, BlockFailure *failure)
{
    long long offset = self->next_offset;
    unsigned char fixed[FIXED_HEADER_SIZE];

    size_t got = fread(fixed, 1, 4, self->file);
    if (got < 4) {
        if (ferror(self->file)) {
            failure->error_number = errno ? errno : EIO;
            failure->offset = offset;
            return BLOCK_FAILED;
        }
        return block_failure(failure, offset, "truncated: the file ends without "
                             "the end-of-snapshot marker");
    }
    if (memcmp(fixed, END_MAGIC, 4) == 0)
        return BLOCK_END;
    int compressed = memcmp(fixed, ZSTD_MAGIC, 4) == 0;
    if (!compressed && memcmp(fixed, PLAIN_MAGIC, 4) != 0)
        return block_failure(failure, offset, "no block starts here (magic %02x %02x %02x "
                             "%02x)", fixed[0], fixed[1], fixed[2], fixed[3]);
    if (read_exactly(self, fixed + 4, FIXED_HEADER_SIZE - 4, failure, offset) < 0)
        return BLOCK_FAILED;

    size_t at = 4;
    uint64_t length, previous_crc, crc;
    if (fixed_uint(fixed, FIXED_HEADER_SIZE, &at, &length) < 0
            || fixed_uint(fixed, FIXED_HEADER_SIZE, &at, &previous_crc) < 0
            || fixed_uint(fixed, FIXED_HEADER_SIZE, &at, &crc) < 0)
        return block_failure(failure, offset, "malformed block header");
    /* Compared as unsigned: a length of 2**63 or more must not turn negative. */
    long long remaining = self->file_size - offset - FIXED_HEADER_SIZE;
    if (remaining < 0 || length > (unsigned long long)remaining)
        return block_failure(failure, offset, "truncated block: %llu bytes announced, "
                             "%lld in the file", (unsigned long long)length, remaining);
    if (length > self->max_block_size)
        return block_failure(failure, offset, "a block of %llu bytes is larger than the "
                             "limit of %zu bytes (max_block_size)", (unsigned long long)length,
                             self->max_block_size);
    if (grow(&self->data, &self->data_capacity, length ? length : 1,
             self->max_block_size) < 0) {
        failure->error_number = ENOMEM;
        failure->offset = offset;
        return BLOCK_FAILED;
    }
    if (read_exactly(self, self->data, length, failure, offset) < 0)
        return BLOCK_FAILED;
    uint32_t computed = crc32c(self->data, length);
    if (computed != crc)
        return block_failure(failure, offset, "checksum mismatch: the block says %08llx, "
                             "its data gives %08x", (unsigned long long)crc, computed);

    self->block_offset = offset;
    self->next_offset = offset + FIXED_HEADER_SIZE + (long long)length;
    self->compressed = compressed;
    self->position = 0;
    if (compressed)
        return decompress(self, length, check, failure);
    /* A plain block's rows are its data: swap the buffers rather than copy. */
    unsigned char *rows = self->rows;
    size_t rows_capacity = self->rows_capacity;
    self->rows = self->data;
    self->rows_capacity = self->data_capacity;
    self->rows_size = length;
    self->data = rows;
    self->data_capacity = rows_capacity;
    return BLOCK_READ;
}
/* [end: read_block] */

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
    self->rows_size = self->position = 0;       /* nothing more to yield */
}

/* [region: next] */
static PyObject *next_row(SnapshotIterator *self);

static PyObject *
iterator_next(SnapshotIterator *self)
{
    /* Busy for the whole call, not only while the GIL is released: decoding a
     * row allocates, an allocation may run the garbage collector, and the
     * collector runs Python code (a __del__, gc.callbacks) that may call next()
     * again, or let another thread do so. A second call would read or replace
     * the buffer this one is decoding from. */
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "this snapshot iterator is already running "
                        "(in another thread, or next() was called again by code that "
                        "ran during next(), such as a __del__)");
        return NULL;
    }
    self->busy = 1;
    Py_INCREF(self);            /* whatever that code drops, the buffers stay ours */
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
            PyObject *row = decode_row(self);
            if (row == NULL) {
                close_file(self);       /* after an error the iterator is finished */
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
            return NULL;                /* NULL without an exception: StopIteration */

        BlockFailure failure = {0, 0, ""};
        int status;
        /* Py_BEGIN_ALLOW_THREADS spelled out: the check needs the released thread
         * state. Busy: no other call touches the buffers meanwhile. */
        signal_check check = {PyEval_SaveThread(), {0, 0}};
        status = read_block(self, &check, &failure);
        PyEval_RestoreThread(check.thread);

        if (status == BLOCK_END) {
            close_file(self);
            return NULL;
        }
        if (status == BLOCK_STOPPED) {  /* the handler's exception is set */
            close_file(self);
            return NULL;
        }
        if (status == BLOCK_FAILED) {
            close_file(self);
            if (failure.error_number != 0) {
                errno = failure.error_number;
                return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, self->path);
            }
            return snapshot_error(self, failure.offset, "%s", failure.reason);
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

    for (int number = 0; ; number++) {
        errno = 0;
        if (fgets(line, sizeof line, self->file) == NULL) {
            if (ferror(self->file)) {
                PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, self->path);
                return -1;
            }
            snapshot_error(self, offset, number == 0 ? "empty file, not a Tarantool "
                           "snapshot" : "the file ends inside its text header");
            return -1;
        }
        size_t length = strlen(line);   /* a NUL byte inside also ends up here: */
        if (length == 0 || line[length - 1] != '\n') {      /* too long, or binary */
            snapshot_error(self, offset, number == 0 ? "not a Tarantool snapshot" :
                           "malformed text header");
            return -1;
        }
        line[--length] = '\0';
        if (number < 2) {       /* "SNAP" then the format version */
            const char *expected = number == 0 ? "SNAP" : "0.13";
            if (strcmp(line, expected) != 0) {
                PyObject *shown = PyUnicode_DecodeLatin1(line, (Py_ssize_t)length, NULL);
                if (shown != NULL)
                    snapshot_error(self, offset, number == 0 ? "not a Tarantool snapshot "
                                   "(its first line is %R)" : "format version %R is not "
                                   "supported (only 0.13)", shown);
                Py_XDECREF(shown);
                return -1;
            }
        }
        else if (length == 0) {
            self->next_offset = offset + 1;     /* the empty line ends the header */
            return 0;
        }
        else {
            char *colon = strstr(line, ": ");
            if (colon == NULL) {
                snapshot_error(self, offset, "malformed text header line");
                return -1;
            }
            PyObject *key = PyUnicode_DecodeUTF8(line, colon - line, "replace");
            PyObject *value = PyUnicode_DecodeUTF8(colon + 2, (Py_ssize_t)length
                                                   - (colon + 2 - line), "replace");
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
        PyErr_Format(PyExc_ValueError, "max_block_size must be from 1 to MAX_BLOCK_SIZE "
                     "(%zu), not %R", MAX_BLOCK_SIZE, arg);
        return 0;
    }
    *(size_t *)address = (size_t)value;
    return 1;
}

static PyObject *
iterator_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"path", "max_block_size", NULL};
    PyObject *path_bytes = NULL;
    size_t max_block_size = MAX_BLOCK_SIZE;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&|$O&:iter", kwlist,
                                     PyUnicode_FSConverter, &path_bytes,
                                     block_size_converter, &max_block_size))
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
    Py_BEGIN_ALLOW_THREADS      /* opening may wait on a slow disk */
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
    Py_DECREF(self);            /* dealloc frees what was set up */
    return NULL;
}

/* [region: lifetime] */
static int
iterator_traverse(SnapshotIterator *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));    /* a heap type's instances own a reference to it */
    Py_VISIT(self->meta);       /* a dict: user code could put a cycle through it */
    return 0;
}

static int
iterator_clear(SnapshotIterator *self)
{
    Py_CLEAR(self->meta);
    return 0;
}

static void
iterator_dealloc(SnapshotIterator *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    close_file(self);
    ZSTD_freeDCtx(self->zstd);  /* accepts NULL */
    free(self->data);
    free(self->rows);
    iterator_clear(self);
    Py_CLEAR(self->path);
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}
/* [end: lifetime] */

static PyObject *
iterator_close(SnapshotIterator *self, PyObject *Py_UNUSED(ignored))
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "cannot close: the iterator is running (in "
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
iterator_exit(SnapshotIterator *self, PyObject *const *Py_UNUSED(args),
              Py_ssize_t Py_UNUSED(nargs))
{
    return iterator_close(self, NULL);
}

static PyMethodDef iterator_methods[] = {
    {"close", (PyCFunction)iterator_close, METH_NOARGS,
     "Close the file; the iterator then yields nothing more."},
    {"__enter__", iterator_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)(void (*)(void))iterator_exit, METH_FASTCALL, NULL},
    {NULL, NULL, 0, NULL}
};

static PyMemberDef iterator_members[] = {
    {"path", T_OBJECT_EX, offsetof(SnapshotIterator, path), READONLY,
     "The snapshot's path."},
    {"meta", T_OBJECT_EX, offsetof(SnapshotIterator, meta), READONLY,
     "The text header's fields: Version, Instance, VClock."},
    {NULL, 0, 0, 0, NULL}
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
    {0, NULL}
};

static PyType_Spec iterator_spec = {
    .name = "tarantool_snapshot.SnapshotIterator",
    .basicsize = sizeof(SnapshotIterator),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = iterator_slots,
};

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
    module_state *state = PyModule_GetState(module);
    if (pthread_once(&crc_table_once, crc_init) != 0) {
        PyErr_SetString(PyExc_RuntimeError, "cannot build the CRC-32C table");
        return -1;
    }
    state->SnapshotError = PyErr_NewExceptionWithDoc(
        "tarantool_snapshot.SnapshotError", error_doc, PyExc_ValueError, NULL);
    if (state->SnapshotError == NULL
            || PyModule_AddObjectRef(module, "SnapshotError", state->SnapshotError) < 0)
        return -1;
    PyObject *limit = PyLong_FromSize_t(MAX_BLOCK_SIZE);
    int added = limit != NULL ? PyModule_AddObjectRef(module, "MAX_BLOCK_SIZE", limit) : -1;
    Py_XDECREF(limit);
    if (added < 0)
        return -1;
    state->SnapshotIterator = (PyTypeObject *)PyType_FromModuleAndSpec(
        module, &iterator_spec, NULL);
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
    module_state *state = PyModule_GetState(module);
    Py_VISIT(state->SnapshotError);
    Py_VISIT(state->SnapshotIterator);
    return 0;
}

static int
module_clear(PyObject *module)
{
    module_state *state = PyModule_GetState(module);
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
    {0, NULL}
};

static struct PyModuleDef snapshot_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "tarantool_snapshot",
    .m_doc = "Read the rows of Tarantool .snap files: iter(path) yields (space_id, tuple).",
    .m_size = sizeof(module_state),
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
