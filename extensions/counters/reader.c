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
/* The detection reads this much of the file's start: a gzip header's optional
 * name, comment and extra field must end inside it (real ones are short). */
#define PROBE_SIZE (64 * 1024)

static const unsigned char GZIP_MAGIC[3] = {0x1f, 0x8b, 0x08};
static const unsigned char LZ4_MAGIC[4] = {0x04, 0x22, 0x4d, 0x18};

struct reader {
    enum reader_format format;
    int detected; /* the format was detected, not named by the caller */
    int fd;       /* owned by gz once gzdopen() succeeds */
    /* The backend: read some bytes (0 = end of data, -1 = error). */
    ssize_t (*read_some)(reader *r, unsigned char *buf, size_t size, nogil_failure *failure);

    gzFile gz; /* FORMAT_GZIP */

    LZ4F_dctx *lz4; /* FORMAT_LZ4 */
    unsigned char *lz4_input;
    size_t lz4_input_len, lz4_input_pos;
    size_t lz4_hint; /* 0 when the decoder stands between frames */
    int lz4_input_ended;
};

/* read(2), retried when a signal interrupts it. */
static ssize_t
read_fd(int fd, unsigned char *buf, size_t size, nogil_failure *failure)
{
    for (;;) {
        ssize_t n = read(fd, buf, size);
        if (n >= 0)
            return n;
        if (errno != EINTR) {
            fail_os(failure);
            return -1;
        }
    }
}

/* ---- plain files ---- */

static ssize_t
plain_read_some(reader *r, unsigned char *buf, size_t size, nogil_failure *failure)
{
    return read_fd(r->fd, buf, size, failure);
}

/* ---- gzip, through zlib's gz* functions (they also handle multi-member files) ---- */

/* gzerror()'s text without the "<fd:N>: " it puts in front for a gzdopen()ed file. */
static const char *
gzip_message(gzFile gz, int *zerr)
{
    const char *msg = gzerror(gz, zerr);
    const char *rest = strstr(msg, ">: ");
    return strncmp(msg, "<fd:", 4) == 0 && rest != NULL ? rest + 3 : msg;
}

static ssize_t
gzip_read_some(reader *r, unsigned char *buf, size_t size, nogil_failure *failure)
{
    unsigned chunk = size > (1u << 30) ? (1u << 30) : (unsigned)size;
    int n = gzread(r->gz, buf, chunk);
    if (n < 0) {
        int zerr;
        const char *msg = gzip_message(r->gz, &zerr);
        if (zerr == Z_ERRNO)
            fail_os(failure);
        else if (zerr == Z_MEM_ERROR)
            fail_no_memory(failure);
        else
            fail_data(failure, "corrupt gzip stream: %s", msg);
        return -1;
    }
    if (n == 0) {
        /* A truncated file does not make gzread() fail: it returns the data it
         * could decode, then 0 as at a normal end, and only remembers
         * Z_BUF_ERROR ("unexpected end of file") for gzerror() to report. */
        int zerr;
        const char *msg = gzip_message(r->gz, &zerr);
        if (zerr == Z_BUF_ERROR) {
            fail_data(failure, "corrupt gzip stream: %s", msg);
            return -1;
        }
    }
    return n;
}

/* ---- LZ4 frames, through lz4frame's streaming decoder ---- */

static ssize_t
lz4_read_some(reader *r, unsigned char *buf, size_t size, nogil_failure *failure)
{
    size_t produced = 0;
    while (produced < size) {
        if (r->lz4_input_pos == r->lz4_input_len) {
            if (r->lz4_input_ended)
                break;
            ssize_t n = read_fd(r->fd, r->lz4_input, LZ4_INPUT_SIZE, failure);
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
            fail_data(failure, "corrupt LZ4 frame: %s", LZ4F_getErrorName(hint));
            return -1;
        }
        r->lz4_input_pos += in_size;
        produced += out_size;
        r->lz4_hint = hint;
    }
    if (produced == 0 && r->lz4_input_ended && r->lz4_hint != 0) {
        /* The file ended while the decoder still expected bytes of a frame. */
        fail_data(failure, "LZ4 frame is truncated");
        return -1;
    }
    return (ssize_t)produced;
}

/* ---- the formats' headers ---- */

/* 1 if p[0..n) starts with a complete gzip member header (RFC 1952, 2.3): the
 * magic number and method 8 (deflate), no reserved flag bit set, the optional
 * fields the flags announce all inside the n bytes (lengths checked against
 * what is there), and the header's CRC right when it has one. */
static int
gzip_header_complete(const unsigned char *p, size_t n)
{
    enum { FHCRC = 0x02, FEXTRA = 0x04, FNAME = 0x08, FCOMMENT = 0x10, RESERVED = 0xe0 };
    if (n < 10 || memcmp(p, GZIP_MAGIC, 3) != 0 || (p[3] & RESERVED))
        return 0;
    unsigned flags = p[3];
    size_t at = 10;
    if (flags & FEXTRA) { /* a 2-byte little-endian length, then that many bytes */
        if (n - at < 2)
            return 0;
        size_t extra = p[at] | (size_t)p[at + 1] << 8;
        at += 2;
        if (extra > n - at)
            return 0;
        at += extra;
    }
    for (unsigned flag = FNAME; flag <= FCOMMENT; flag <<= 1) { /* NUL-terminated */
        if (flags & flag) {
            const unsigned char *end = memchr(p + at, 0, n - at);
            if (end == NULL)
                return 0;
            at = (size_t)(end - p) + 1;
        }
    }
    if (flags & FHCRC) { /* the low 16 bits of the CRC-32 of the header before it */
        if (n - at < 2)
            return 0;
        unsigned long crc = crc32(0L, p, (uInt)at) & 0xffff;
        if (crc != (p[at] | (unsigned long)p[at + 1] << 8))
            return 0;
    }
    return 1;
}

/* 1 if p[0..n) starts with a complete LZ4 frame header: the magic number, a
 * descriptor lz4frame accepts (version, reserved bits, block size) and its
 * checksum byte right. `lz4` is a fresh context; it is left fresh. */
static int
lz4_header_complete(LZ4F_dctx *lz4, const unsigned char *p, size_t n)
{
    if (n < sizeof(LZ4_MAGIC) || memcmp(p, LZ4_MAGIC, sizeof(LZ4_MAGIC)) != 0)
        return 0;
    LZ4F_frameInfo_t info;
    size_t consumed = n;
    size_t status = LZ4F_getFrameInfo(lz4, &info, p, &consumed);
    LZ4F_resetDecompressionContext(lz4);
    return !LZ4F_isError(status);
}

/* pread() up to `size` bytes from the start of the file, retried until the
 * file ends or the buffer is full. */
static ssize_t
read_start(int fd, unsigned char *buf, size_t size, nogil_failure *failure)
{
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fail_os(failure);
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* ---- the interface ---- */

reader *
reader_open(const char *path, int format, nogil_failure *failure)
{
    unsigned char *probe = NULL;
    reader *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        fail_no_memory(failure);
        return NULL;
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        fail_os(failure);
        free(r);
        return NULL;
    }

    if (format != FORMAT_PLAIN) {
        /* Look at the file's start: pread() leaves the offset at 0. The LZ4
         * context checks an LZ4 header now and decodes the frames later. */
        probe = malloc(PROBE_SIZE);
        if (probe == NULL
            || LZ4F_isError(LZ4F_createDecompressionContext(&r->lz4, LZ4F_VERSION))) {
            fail_no_memory(failure);
            goto fail;
        }
        ssize_t got = read_start(r->fd, probe, PROBE_SIZE, failure);
        if (got < 0)
            goto fail;
        int is_gzip = gzip_header_complete(probe, (size_t)got);
        int is_lz4 = !is_gzip && lz4_header_complete(r->lz4, probe, (size_t)got);
        if (format == READER_AUTO) {
            format = is_gzip ? FORMAT_GZIP : is_lz4 ? FORMAT_LZ4 : FORMAT_PLAIN;
            r->detected = format != FORMAT_PLAIN;
        }
        else if (format == FORMAT_GZIP && !(got >= 3 && memcmp(probe, GZIP_MAGIC, 3) == 0)) {
            /* Named, gzip needs its magic number and method only: zlib checks the
             * rest of the header itself (a name of any length, say), but reads a
             * file without the magic number as it is, uncompressed. */
            fail_data(failure, "not a gzip file: it does not start with "
                               "1f 8b 08 (gzip's magic number and method), and format='gzip' was "
                               "given");
            goto fail;
        }
        else if (format == FORMAT_LZ4 && !is_lz4) {
            fail_data(failure, "not an LZ4 file: it does not start with a "
                               "complete LZ4 frame header (04 22 4d 18 ...), and format='lz4' was "
                               "given");
            goto fail;
        }
        free(probe);
        probe = NULL;
    }

    r->format = (enum reader_format)format;
    if (format == FORMAT_GZIP) {
        r->gz = gzdopen(r->fd, "rb");
        if (r->gz == NULL) {
            fail_no_memory(failure);
            goto fail;
        }
        r->fd = -1; /* gzclose() closes it now */
        gzbuffer(r->gz, 256 * 1024);
        r->read_some = gzip_read_some;
    }
    else if (format == FORMAT_LZ4) {
        if ((r->lz4_input = malloc(LZ4_INPUT_SIZE)) == NULL) {
            fail_no_memory(failure);
            goto fail;
        }
        r->read_some = lz4_read_some;
    }
    else {
        r->read_some = plain_read_some;
    }
    return r;

fail:
    free(probe);
    reader_close(r);
    return NULL;
}

enum reader_format
reader_format_of(const reader *r)
{
    return r->format;
}

/* A decoder refused a file whose format was detected, not named: say how it was
 * detected and how to read the file as plain records instead, since a plain
 * file may start with what looks like a compressed file's header. */
static void
explain_detection(const reader *r, nogil_failure *failure)
{
    int gzip = r->format == FORMAT_GZIP;
    size_t used = strlen(failure->reason);
    snprintf(failure->reason + used, sizeof(failure->reason) - used,
             " (read as %s because the file starts with %s header, %s; if it holds "
             "plain records, pass format='plain')",
             gzip ? "gzip" : "LZ4", gzip ? "a gzip" : "an LZ4", gzip ? "1f 8b 08" : "04 22 4d 18");
}

ssize_t
reader_read(reader *r, void *buf, size_t size, nogil_failure *failure)
{
    unsigned char *out = buf;
    size_t done = 0;
    while (done < size) {
        ssize_t n = r->read_some(r, out + done, size - done, failure);
        if (n < 0) {
            if (failure->kind == FAILURE_DATA && r->detected)
                explain_detection(r, failure);
            return -1;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

void
reader_close(reader *r)
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
