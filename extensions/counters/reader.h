/* reader.h -- read a file that may be plain, gzip or LZ4-frame compressed.
 *
 * One small interface in front of three backends (the lecture's "rbfile" idea):
 * the caller opens a path and reads uncompressed bytes; the format is the one
 * the caller names, or detected from the file's first bytes. Nothing here
 * touches Python, so a caller may use it with the GIL released. Errors are
 * recorded in a nogil_failure (OS, data, no memory), never printed.
 */
#ifndef COUNTERS_READER_H
#define COUNTERS_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nogil_failure.h" /* extensions/common: how errors are reported */

/* The formats, as exported to Python by counters.detect_format(). */
enum reader_format {
    FORMAT_PLAIN = 0,
    FORMAT_GZIP = 1,
    FORMAT_LZ4 = 2,
};

/* What reader_open() may be asked for besides a reader_format: detect it. */
#define READER_AUTO (-1)

typedef struct reader reader;

/* Open `path` as `format`: a reader_format, or READER_AUTO to detect it. The
 * detection takes gzip or LZ4 only for a complete, valid header of that
 * format at the start of the file (a plain file's first record may begin with
 * either magic number), and anything else as plain. Named, LZ4 needs that
 * header too, gzip its magic number and method (zlib checks the rest). NULL
 * on error (failure filled in). */
reader *reader_open(const char *path, int format, nogil_failure *failure);

enum reader_format reader_format_of(const reader *r);

/* Read up to `size` uncompressed bytes into `buf`; fewer only at the end of
 * the data. Returns the count (0 at the end) or -1 on error (failure filled in). */
ssize_t reader_read(reader *r, void *buf, size_t size, nogil_failure *failure);

/* Close the file and free everything; NULL is allowed. */
void reader_close(reader *r);

#endif
