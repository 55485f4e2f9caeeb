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
 *
 * The Python type that uses this file is in tarantool_snapshot.c; what the two
 * share is in snapshot_format.h.
 */
#include "snapshot_format.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

static const unsigned char PLAIN_MAGIC[4] = {0xd5, 0xba, 0x0b, 0xab};
static const unsigned char ZSTD_MAGIC[4] = {0xd5, 0xba, 0x0b, 0xba};
static const unsigned char END_MAGIC[4] = {0xd5, 0x10, 0xad, 0xed};

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
    uint32_t crc = 0; /* Tarantool: start at 0, no final inversion */
    for (size_t i = 0; i < size; i++)
        crc = crc_table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
    return crc;
}

int
snapshot_format_init(void)
{
    if (pthread_once(&crc_table_once, crc_init) != 0) {
        PyErr_SetString(PyExc_RuntimeError, "cannot build the CRC-32C table");
        return -1;
    }
    return 0;
}

/* Where row byte `at` of the current block is, for messages: in a plain block
 * the file offset itself; in a zstd block the block's offset (and the byte). */
static PyObject *
row_error(SnapshotIterator *self, size_t at, const char *what)
{
    if (self->compressed)
        return snapshot_error(self, self->block_offset,
                              "%s at byte %zu of the rows "
                              "decompressed from the block",
                              what, at);
    return snapshot_error(self, self->block_offset + FIXED_HEADER_SIZE + (long long)at, "%s",
                          what);
}

/* ---------------------------------------------------------------------------
 * MessagePack -> Python, bounds-checked. `*at` advances past the value.
 * ------------------------------------------------------------------------- */

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
        *value = (*value << 8) | p[i]; /* MessagePack is big-endian */
    return 0;
}

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
        PyList_SET_ITEM(list, (Py_ssize_t)i, item); /* steals the reference */
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
                PyErr_Clear(); /* a list or dict as a key: valid MessagePack, not Python */
                row_error(r->self, key_at, "unhashable map key (an array or a map)");
            }
            Py_DECREF(dict);
            return NULL;
        }
    }
    return dict;
}

static PyObject *
decode_value(Reader *r, size_t *at, int depth)
{
    if (depth > MAX_DEPTH) /* recursion bounded: no C stack overflow */
        return row_error(r->self, *at, "arrays or maps nested too deep");
    size_t start = *at;
    const unsigned char *p = take(r, at, 1);
    if (p == NULL)
        return NULL;
    unsigned char c = *p;
    uint64_t n;

    if (c <= 0x7f) /* positive fixint */
        return PyLong_FromLong(c);
    if (c >= 0xe0) /* negative fixint */
        return PyLong_FromLong((long)(int8_t)c);
    if (c >= 0xa0 && c <= 0xbf) /* fixstr */
        return decode_str(r, at, c & 0x1f, 0);
    if (c >= 0x90 && c <= 0x9f) /* fixarray */
        return decode_array(r, at, c & 0x0f, depth);
    if (c >= 0x80 && c <= 0x8f) /* fixmap */
        return decode_map(r, at, c & 0x0f, depth);

    /* The other first bytes: nil, bools and numbers of a fixed size, or a
     * length (bin, str, array, map) that take_be() reads first, or one of
     * Tarantool's extension types, which are refused. */
    switch (c) {
        case 0xc0:
            Py_RETURN_NONE;
        case 0xc2:
            Py_RETURN_FALSE;
        case 0xc3:
            Py_RETURN_TRUE;
        case 0xc4:
        case 0xc5:
        case 0xc6: /* bin 8/16/32 */
            if (take_be(r, at, 1 << (c - 0xc4), &n) < 0)
                return NULL;
            return decode_str(r, at, (size_t)n, 1);
        case 0xd9:
        case 0xda:
        case 0xdb: /* str 8/16/32 */
            if (take_be(r, at, 1 << (c - 0xd9), &n) < 0)
                return NULL;
            return decode_str(r, at, (size_t)n, 0);
        case 0xdc:
        case 0xdd: /* array 16/32 */
            if (take_be(r, at, c == 0xdc ? 2 : 4, &n) < 0)
                return NULL;
            return decode_array(r, at, (size_t)n, depth);
        case 0xde:
        case 0xdf: /* map 16/32 */
            if (take_be(r, at, c == 0xde ? 2 : 4, &n) < 0)
                return NULL;
            return decode_map(r, at, (size_t)n, depth);
        case 0xca: { /* float 32 */
            if (take_be(r, at, 4, &n) < 0)
                return NULL;
            uint32_t bits = (uint32_t)n;
            float value;
            memcpy(&value, &bits, sizeof value);
            return PyFloat_FromDouble(value);
        }
        case 0xcb: { /* float 64 */
            if (take_be(r, at, 8, &n) < 0)
                return NULL;
            double value;
            memcpy(&value, &n, sizeof value);
            return PyFloat_FromDouble(value);
        }
        case 0xcc:
        case 0xcd:
        case 0xce:
        case 0xcf: /* uint 8/16/32/64 */
            if (take_be(r, at, 1 << (c - 0xcc), &n) < 0)
                return NULL;
            return PyLong_FromUnsignedLongLong(n);
        case 0xd0:
        case 0xd1:
        case 0xd2:
        case 0xd3: { /* int 8/16/32/64 */
            int size = 1 << (c - 0xd0);
            if (take_be(r, at, size, &n) < 0)
                return NULL;
            if (size < 8 && (n >> (8 * size - 1))) /* sign-extend */
                n |= ~(uint64_t)0 << (8 * size);
            return PyLong_FromLongLong((long long)n);
        }
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8: /* fixext 1..16 */
        case 0xc7:
        case 0xc8:
        case 0xc9: /* ext 8/16/32 */
            /* How Tarantool stores its decimal, uuid and error values. */
            return row_error(r->self, start,
                             "a MessagePack extension value (Tarantool's "
                             "decimal, uuid or error type) is not supported");
        default: /* 0xc1: never used */
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
    else
        switch (c) {
            case 0xc4:
            case 0xc5:
            case 0xc6:
                if (take_be(r, at, 1 << (c - 0xc4), &n) < 0)
                    return -1;
                extra = (size_t)n;
                break;
            case 0xd9:
            case 0xda:
            case 0xdb:
                if (take_be(r, at, 1 << (c - 0xd9), &n) < 0)
                    return -1;
                extra = (size_t)n;
                break;
            case 0xdc:
            case 0xdd:
                if (take_be(r, at, c == 0xdc ? 2 : 4, &n) < 0)
                    return -1;
                items = n;
                break;
            case 0xde:
            case 0xdf:
                if (take_be(r, at, c == 0xde ? 2 : 4, &n) < 0)
                    return -1;
                items = 2 * n;
                break;
            case 0xca:
                extra = 4;
                break;
            case 0xcb:
                extra = 8;
                break;
            case 0xcc:
            case 0xcd:
            case 0xce:
            case 0xcf:
                extra = (size_t)1 << (c - 0xcc);
                break;
            case 0xd0:
            case 0xd1:
            case 0xd2:
            case 0xd3:
                extra = (size_t)1 << (c - 0xd0);
                break;
            case 0xd4:
            case 0xd5:
            case 0xd6:
            case 0xd7:
            case 0xd8:
                extra = 1 + ((size_t)1 << (c - 0xd4)); /* type byte + data */
                break;
            case 0xc7:
            case 0xc8:
            case 0xc9:
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
        row_error(r->self, *at,
                  is_map ? "map longer than its block" : "array longer than its block");
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

/* Decode the row at self->position. Returns a new (space_id, tuple) for an
 * INSERT row, Py_None (borrowed, not a new reference) for a row to skip, NULL
 * on error. */
PyObject *
snapshot_decode_row(SnapshotIterator *self)
{
    Reader r = {self, self->rows, self->rows_size};
    size_t at = self->position;
    uint64_t entries, key, type = UINT64_MAX, space_id = 0;
    int has_type = 0, has_space_id = 0; /* (any uint64 is a value: none can mean "none") */
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
            row_error(self, at,
                      key == SPACE_ID_KEY ? "a row body gives its space id twice"
                                          : "a row body gives its tuple twice");
            goto error;
        }
        if (key == SPACE_ID_KEY && type == ROW_TYPE_INSERT) {
            if (read_uint(&r, &at, "a space id is not an unsigned integer", &space_id) < 0)
                goto error;
            has_space_id = 1;
        }
        else if (key == TUPLE_KEY && type == ROW_TYPE_INSERT) {
            if (at < r.size
                && !((r.data[at] >= 0x90 && r.data[at] <= 0x9f) || r.data[at] == 0xdc
                     || r.data[at] == 0xdd)) {
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
    return result; /* "N" took our reference to tuple, even on failure */

error:
    Py_XDECREF(tuple);
    return NULL;
}

/* ---------------------------------------------------------------------------
 * Reading a block: plain C, run with the GIL released.
 * ------------------------------------------------------------------------- */

static int
read_exactly(SnapshotIterator *self, void *buffer, size_t size, struct failure *failure,
             long long offset)
{
    size_t got = fread(buffer, 1, size, self->file);
    if (got == size)
        return 0;
    if (ferror(self->file)) {
        return fail_os(at_offset(failure, offset));
    }
    return fail_data(at_offset(failure, offset), "truncated: %zu bytes missing", size - got);
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
decompress(SnapshotIterator *self, size_t length, signal_check *check, struct failure *failure)
{
    long long offset = self->block_offset;
    size_t limit = self->max_block_size;
    /* A frame that states its size is refused before anything is allocated; one
     * that does not is streamed into a buffer of at most limit + 1 bytes: the
     * extra byte is how a frame that goes past the limit is told apart. */
    unsigned long long stated = ZSTD_getFrameContentSize(self->data, length);
    if (stated != ZSTD_CONTENTSIZE_UNKNOWN && stated != ZSTD_CONTENTSIZE_ERROR && stated > limit)
        return fail_data(at_offset(failure, offset),
                         "a block decompresses to %llu bytes, more "
                         "than the limit of %zu bytes (max_block_size)",
                         stated, limit);
    ZSTD_inBuffer in = {self->data, length, 0};
    size_t status = ZSTD_DCtx_reset(self->zstd, ZSTD_reset_session_only);
    self->rows_size = 0;
    while (!ZSTD_isError(status)) {
        size_t wanted = limit - self->rows_size < 65536 ? limit + 1 : self->rows_size + 65536;
        if (grow(&self->rows, &self->rows_capacity, wanted, limit + 1) < 0) {
            return fail_no_memory(at_offset(failure, offset));
        }
        size_t room = self->rows_capacity < limit + 1 ? self->rows_capacity : limit + 1;
        ZSTD_outBuffer out = {self->rows, room, self->rows_size};
        status = ZSTD_decompressStream(self->zstd, &out, &in);
        self->rows_size = out.pos;
        if (ZSTD_isError(status))
            break;
        if (signal_check_stop(check)) /* up to 2 GiB to inflate: answer Ctrl-C meanwhile */
            return fail_stopped(&failure->what);
        if (self->rows_size > limit)
            return fail_data(at_offset(failure, offset),
                             "a block decompresses to more than the "
                             "limit of %zu bytes (max_block_size)",
                             limit);
        if (status == 0) { /* the frame is complete */
            if (in.pos != in.size)
                return fail_data(at_offset(failure, offset), "%zu bytes after the zstd frame",
                                 in.size - in.pos);
            return BLOCK_READ;
        }
        if (in.pos == in.size && out.pos < out.size)
            return fail_data(at_offset(failure, offset), "truncated zstd frame");
    }
    return fail_data(at_offset(failure, offset), "corrupt zstd frame (%s)",
                     ZSTD_getErrorName(status));
}

/* Read the next block into self->rows. No Python object is touched: a problem
 * is recorded in *failure (a nogil_failure and its offset), and next_row raises it once it
 * holds the GIL again. The helpers above: read_exactly() (fread all of it, or
 * record why not), fixed_uint() (one MessagePack uint of the fixed header),
 * grow() (a buffer at least this large) and decompress() (one zstd frame,
 * streamed into self->rows, Ctrl-C checked on the way: signal_check.h). */
int
snapshot_read_block(SnapshotIterator *self, signal_check *check, struct failure *failure)
{
    long long offset = self->next_offset;
    unsigned char fixed[FIXED_HEADER_SIZE];

    size_t got = fread(fixed, 1, 4, self->file);
    if (got < 4) {
        if (ferror(self->file)) {
            return fail_os(at_offset(failure, offset));
        }
        return fail_data(at_offset(failure, offset), "truncated: the file ends without "
                                                     "the end-of-snapshot marker");
    }
    if (memcmp(fixed, END_MAGIC, 4) == 0)
        return BLOCK_END;
    int compressed = memcmp(fixed, ZSTD_MAGIC, 4) == 0;
    if (!compressed && memcmp(fixed, PLAIN_MAGIC, 4) != 0)
        return fail_data(at_offset(failure, offset),
                         "no block starts here (magic %02x %02x %02x "
                         "%02x)",
                         fixed[0], fixed[1], fixed[2], fixed[3]);
    if (read_exactly(self, fixed + 4, FIXED_HEADER_SIZE - 4, failure, offset) < 0)
        return BLOCK_FAILED;

    size_t at = 4;
    uint64_t length, previous_crc, crc;
    if (fixed_uint(fixed, FIXED_HEADER_SIZE, &at, &length) < 0
        || fixed_uint(fixed, FIXED_HEADER_SIZE, &at, &previous_crc) < 0
        || fixed_uint(fixed, FIXED_HEADER_SIZE, &at, &crc) < 0)
        return fail_data(at_offset(failure, offset), "malformed block header");
    /* Compared as unsigned: a length of 2**63 or more must not turn negative. */
    long long remaining = self->file_size - offset - FIXED_HEADER_SIZE;
    if (remaining < 0 || length > (unsigned long long)remaining)
        return fail_data(at_offset(failure, offset),
                         "truncated block: %llu bytes announced, "
                         "%lld in the file",
                         (unsigned long long)length, remaining);
    if (length > self->max_block_size)
        return fail_data(at_offset(failure, offset),
                         "a block of %llu bytes is larger than the "
                         "limit of %zu bytes (max_block_size)",
                         (unsigned long long)length, self->max_block_size);
    if (grow(&self->data, &self->data_capacity, length ? length : 1, self->max_block_size) < 0) {
        return fail_no_memory(at_offset(failure, offset));
    }
    if (read_exactly(self, self->data, length, failure, offset) < 0)
        return BLOCK_FAILED;
    uint32_t computed = crc32c(self->data, length);
    if (computed != crc)
        return fail_data(at_offset(failure, offset),
                         "checksum mismatch: the block says %08llx, "
                         "its data gives %08x",
                         (unsigned long long)crc, computed);

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
