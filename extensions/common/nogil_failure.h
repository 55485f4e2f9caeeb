/* nogil_failure.h -- a failure found without the GIL, raised once it is held again.
 *
 * Between releasing the GIL and taking it back, C code may not touch a Python
 * object, so it cannot raise. It records what went wrong in a nogil_failure
 * instead, with one of the fail_*() functions below, and returns -1 up to the
 * code that released the GIL. That code takes the GIL back and calls its
 * module's raise_failure(), which turns the record into the module's
 * exception. Every C module of the course that can fail without the GIL does
 * it this way (counters, targets, tarantool_snapshot, pb; s2cover, in C++,
 * carries a std::exception_ptr across instead). Where the exception has the
 * place as an attribute (targets: which file; tarantool_snapshot: the byte
 * offset), the module keeps it beside the record; counters and pb write it into
 * the reason.
 */
#ifndef COURSE_NOGIL_FAILURE_H
#define COURSE_NOGIL_FAILURE_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

enum failure_kind {
    FAILURE_NONE = 0,
    FAILURE_OS,        /* a system call failed: error_number holds its errno */
    FAILURE_DATA,      /* the data is wrong: reason says how */
    FAILURE_NO_MEMORY, /* an allocation failed */
    FAILURE_STOPPED,   /* a signal handler raised (signal_check.h): its exception is set */
};

typedef struct {
    enum failure_kind kind;
    int error_number; /* FAILURE_OS: the errno of the call that failed */
    char reason[320]; /* FAILURE_DATA: what is wrong; FAILURE_OS: empty, or what to
                       * say instead of strerror's text */
} nogil_failure;

/* Each returns -1, so that a function can `return fail_...(failure, ...);`. */

/* The system call that just failed, by its errno (EIO if it set none). */
static inline int
fail_os(nogil_failure *failure)
{
    failure->kind = FAILURE_OS;
    failure->error_number = errno != 0 ? errno : EIO;
    failure->reason[0] = '\0';
    return -1;
}

static inline int fail_data(nogil_failure *failure, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Wrong data: the reason, printf-style. */
static inline int
fail_data(nogil_failure *failure, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(failure->reason, sizeof failure->reason, format, args);
    va_end(args);
    failure->kind = FAILURE_DATA;
    failure->error_number = 0;
    return -1;
}

static inline int
fail_no_memory(nogil_failure *failure)
{
    failure->kind = FAILURE_NO_MEMORY;
    failure->error_number = 0;
    failure->reason[0] = '\0';
    return -1;
}

/* Asked to stop (signal_check_stop() said so): nothing to raise, the handler's
 * exception is already set once the GIL is back. */
static inline int
fail_stopped(nogil_failure *failure)
{
    failure->kind = FAILURE_STOPPED;
    failure->error_number = 0;
    failure->reason[0] = '\0';
    return -1;
}

#endif
