/* snapshot_format.h -- what the two C files of tarantool_snapshot share.
 *
 * tarantool_snapshot.c is the Python type (the iterator's slots, the module);
 * snapshot_format.c reads the file format (the fixed block headers, CRC-32C,
 * zstd, MessagePack) and knows nothing of slots. This header holds the object
 * both work on, and the three calls that cross between them. */
#ifndef SNAPSHOT_FORMAT_H
#define SNAPSHOT_FORMAT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdio.h>
#include <zstd.h>

#include "nogil_failure.h" /* extensions/common: a failure recorded without the GIL */
#include "signal_check.h"  /* extensions/common: Ctrl-C during a long call */

#define FIXED_HEADER_SIZE 19
#define ROW_TYPE_KEY 0x00 /* in a row's header map */
#define ROW_TYPE_INSERT 2
#define SPACE_ID_KEY 0x10 /* in a row's body map */
#define TUPLE_KEY 0x21

#define MAX_HEADER_TEXT 65536            /* the text header is a few hundred bytes */
#define MAX_BLOCK_SIZE ((size_t)1 << 31) /* bytes a block may hold, stored or decompressed */
#define MAX_DEPTH 256                    /* nesting of arrays and maps in a tuple */

/* [region: object] */
typedef struct {
    PyObject *SnapshotError;
    PyTypeObject *SnapshotIterator;
} snapshot_state;

typedef struct {
    PyObject_HEAD
    PyObject *path; /* str: a str, bytes or path object, decoded */
    PyObject *meta; /* dict of the text header's "Key: value" lines */
    FILE *file;     /* NULL once closed or exhausted */
    long long file_size;
    long long block_offset; /* file offset of the current block */
    long long next_offset;  /* file offset of the next block */
    unsigned char *data;    /* the current block's data, as read */
    size_t data_capacity;
    unsigned char *rows; /* its rows: `data` itself, or decompressed */
    size_t rows_size, rows_capacity;
    size_t position; /* next row in rows */
    int compressed;  /* current block was zstd */
    ZSTD_DCtx *zstd;
    size_t max_block_size; /* MAX_BLOCK_SIZE, or less if the caller asked */
    int busy;              /* a next() call is running: decoding, or reading a
                            * block with the GIL released */
} SnapshotIterator;
/* [end: object] */

/* ---------------------------------------------------------------------------
 * snapshot_format.c: reading the file.
 * ------------------------------------------------------------------------- */

/* Build the CRC-32C table, once per process (any thread, any interpreter).
 * Returns 0, or -1 with a Python exception set. */
int snapshot_format_init(void);

/* Read the block at self->next_offset into self->rows. Plain C, run with the
 * GIL released: returns BLOCK_READ, BLOCK_END, or BLOCK_FAILED with *failure
 * filled in, for the caller to raise once it holds the GIL again. */
enum { BLOCK_FAILED = -1, BLOCK_READ, BLOCK_END };

/* What went wrong (extensions/common/nogil_failure.h), and the file offset it
 * concerns. */
struct failure {
    nogil_failure what;
    long long offset;
};

/* The record of a failure at `offset`: fail_os(at_offset(failure, offset)). */
static inline nogil_failure *
at_offset(struct failure *failure, long long offset)
{
    failure->offset = offset;
    return &failure->what;
}

int snapshot_read_block(SnapshotIterator *self, signal_check *check, struct failure *failure);

/* Decode the row at self->position: a new (space_id, tuple) for an INSERT
 * row, Py_None (borrowed) for a row to skip, NULL with SnapshotError set. */
PyObject *snapshot_decode_row(SnapshotIterator *self);

/* ---------------------------------------------------------------------------
 * tarantool_snapshot.c: the error both files raise.
 * ------------------------------------------------------------------------- */

/* Set SnapshotError("PATH: what (offset N)") with .path and .offset; returns NULL. */
PyObject *snapshot_error(SnapshotIterator *self, long long offset, const char *format, ...);

#endif
