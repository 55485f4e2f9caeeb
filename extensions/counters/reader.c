/* reader.c -- the plain, gzip (zlib) and LZ4-frame backends behind reader.h. */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lz4frame.h>
#include <zlib.h>

#define LZ4_INPUT_SIZE (256 * 1024)

struct reader {
    enum reader_format format;
    int fd;                     /* owned by gz once gzdopen() succeeds */
    /* The backend: read some bytes (0 = end of data, -1 = error). */
    ssize_t (*read_some)(reader *r, unsigned char *buf, size_t size, reader_error *err);

    gzFile gz;                  /* FORMAT_GZIP */

    LZ4F_dctx *lz4;             /* FORMAT_LZ4 */
    unsigned char *lz4_input;
    size_t lz4_input_len, lz4_input_pos;
    size_t lz4_hint;            /* 0 when the decoder stands between frames */
    int lz4_input_ended;
};

static void set_error(reader_error *err, enum reader_error_kind kind, int errnum,
                      const char *fmt, ...)
{
    va_list ap;
    err->kind = kind;
    err->errnum = errnum;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
}

/* read(2), retried when a signal interrupts it. */
static ssize_t read_fd(int fd, unsigned char *buf, size_t size, reader_error *err)
{
    for (;;) {
        ssize_t n = read(fd, buf, size);
        if (n >= 0)
            return n;
        if (errno != EINTR) {
            set_error(err, READER_OS_ERROR, errno, "read failed");
            return -1;
        }
    }
}

/* ---- plain files ---- */

static ssize_t plain_read_some(reader *r, unsigned char *buf, size_t size, reader_error *err)
{
    return read_fd(r->fd, buf, size, err);
}

/* ---- gzip, through zlib's gz* functions (they also handle multi-member files) ---- */

/* gzerror()'s text without the "<fd:N>: " it puts in front for a gzdopen()ed file. */
static const char *gzip_message(gzFile gz, int *zerr)
{
    const char *msg = gzerror(gz, zerr);
    const char *rest = strstr(msg, ">: ");
    return strncmp(msg, "<fd:", 4) == 0 && rest != NULL ? rest + 3 : msg;
}

static ssize_t gzip_read_some(reader *r, unsigned char *buf, size_t size, reader_error *err)
{
    unsigned chunk = size > (1u << 30) ? (1u << 30) : (unsigned)size;
    int n = gzread(r->gz, buf, chunk);
    if (n < 0) {
        int zerr;
        const char *msg = gzip_message(r->gz, &zerr);
        if (zerr == Z_ERRNO)
            set_error(err, READER_OS_ERROR, errno, "read failed");
        else if (zerr == Z_MEM_ERROR)
            set_error(err, READER_NO_MEMORY, 0, "out of memory");
        else
            set_error(err, READER_BAD_DATA, 0, "corrupt gzip stream: %s", msg);
        return -1;
    }
    if (n == 0) {
        /* A truncated file does not make gzread() fail: it returns the data it
         * could decode, then 0 as at a normal end, and only remembers
         * Z_BUF_ERROR ("unexpected end of file") for gzerror() to report. */
        int zerr;
        const char *msg = gzip_message(r->gz, &zerr);
        if (zerr == Z_BUF_ERROR) {
            set_error(err, READER_BAD_DATA, 0, "corrupt gzip stream: %s", msg);
            return -1;
        }
    }
    return n;
}

/* ---- LZ4 frames, through lz4frame's streaming decoder ---- */

static ssize_t lz4_read_some(reader *r, unsigned char *buf, size_t size, reader_error *err)
{
    size_t produced = 0;
    while (produced < size) {
        if (r->lz4_input_pos == r->lz4_input_len) {
            if (r->lz4_input_ended)
                break;
            ssize_t n = read_fd(r->fd, r->lz4_input, LZ4_INPUT_SIZE, err);
            if (n < 0)
                return -1;
            if (n == 0) {
                r->lz4_input_ended = 1;
                break;
            }
            r->lz4_input_len = (size_t)n;
            r->lz4_input_pos = 0;
        }
        size_t out_size = size - produced;
        size_t in_size = r->lz4_input_len - r->lz4_input_pos;
        size_t hint = LZ4F_decompress(r->lz4, buf + produced, &out_size,
                                      r->lz4_input + r->lz4_input_pos, &in_size, NULL);
        if (LZ4F_isError(hint)) {
            set_error(err, READER_BAD_DATA, 0, "corrupt LZ4 frame: %s", LZ4F_getErrorName(hint));
            return -1;
        }
        r->lz4_input_pos += in_size;
        produced += out_size;
        r->lz4_hint = hint;
    }
    if (produced == 0 && r->lz4_input_ended && r->lz4_hint != 0) {
        /* The file ended while the decoder still expected bytes of a frame. */
        set_error(err, READER_BAD_DATA, 0, "LZ4 frame is truncated");
        return -1;
    }
    return (ssize_t)produced;
}

/* ---- the interface ---- */

reader *reader_open(const char *path, reader_error *err)
{
    reader *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        set_error(err, READER_NO_MEMORY, 0, "out of memory");
        return NULL;
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        set_error(err, READER_OS_ERROR, errno, "cannot open");
        free(r);
        return NULL;
    }

    /* Detect the format from the magic bytes; pread() leaves the offset at 0. */
    unsigned char magic[4] = {0};
    ssize_t got = pread(r->fd, magic, sizeof(magic), 0);
    if (got < 0) {
        set_error(err, READER_OS_ERROR, errno, "read failed");
        goto fail;
    }
    if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        r->format = FORMAT_GZIP;
        r->gz = gzdopen(r->fd, "rb");
        if (r->gz == NULL) {
            set_error(err, READER_NO_MEMORY, 0, "out of memory");
            goto fail;
        }
        r->fd = -1;             /* gzclose() closes it now */
        gzbuffer(r->gz, 256 * 1024);
        r->read_some = gzip_read_some;
    }
    else if (got == 4 && magic[0] == 0x04 && magic[1] == 0x22 && magic[2] == 0x4d && magic[3] == 0x18) {
        r->format = FORMAT_LZ4;
        if (LZ4F_isError(LZ4F_createDecompressionContext(&r->lz4, LZ4F_VERSION))
            || (r->lz4_input = malloc(LZ4_INPUT_SIZE)) == NULL) {
            set_error(err, READER_NO_MEMORY, 0, "out of memory");
            goto fail;
        }
        r->read_some = lz4_read_some;
    }
    else {
        r->format = FORMAT_PLAIN;
        r->read_some = plain_read_some;
    }
    return r;

fail:
    reader_close(r);
    return NULL;
}

enum reader_format reader_format_of(const reader *r)
{
    return r->format;
}

ssize_t reader_read(reader *r, void *buf, size_t size, reader_error *err)
{
    unsigned char *out = buf;
    size_t done = 0;
    while (done < size) {
        ssize_t n = r->read_some(r, out + done, size - done, err);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

void reader_close(reader *r)
{
    if (r == NULL)
        return;
    if (r->gz != NULL)
        gzclose(r->gz);
    if (r->fd >= 0)
        close(r->fd);
    if (r->lz4 != NULL)
        LZ4F_freeDecompressionContext(r->lz4);
    free(r->lz4_input);
    free(r);
}
