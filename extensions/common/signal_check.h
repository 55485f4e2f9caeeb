/* signal_check.h -- Ctrl-C during a long call that runs without the GIL.
 *
 * A signal never interrupts C code: Python's own handler only notes that it
 * came, and the Python-level handler (for SIGINT: raise KeyboardInterrupt) runs
 * when the interpreter next gets control. A call that reads and counts for
 * seconds would otherwise answer Ctrl-C only when it is over. So the loop of
 * such a call asks, once per piece of work (a buffer, a chunk):
 *
 *     if (signal_check_stop(&check))   // a handler raised: clean up, return
 *         ...
 *
 * It costs a clock read; at most every SIGNAL_CHECK_INTERVAL_MS it takes the
 * GIL back, runs the pending handlers (PyErr_CheckSignals) and releases it
 * again. If a handler raised, the exception stays set on this thread: the
 * loop stops, frees what it holds, and the caller returns NULL once it holds
 * the GIL again. A handler is Python code and may do anything, calling the same
 * function again included: the loop keeps nothing a handler could reach.
 *
 * check.thread is what PyEval_SaveThread() returned, or NULL where the caller
 * keeps the GIL (targets_gil): then the handlers run without the GIL dance.
 *
 * A header of static functions, included by each module's C file, as
 * replace_file.h is. */
#ifndef SIGNAL_CHECK_H
#define SIGNAL_CHECK_H

#include <Python.h>
#include <time.h>

/* [region: stop] */
#define SIGNAL_CHECK_INTERVAL_MS 50

typedef struct {
    PyThreadState *thread; /* the caller's released thread state, or NULL */
    struct timespec next;  /* no check before this time; zero: check at once */
} signal_check;

/* 1 if a signal handler raised (the exception is set), else 0. */
static inline int
signal_check_stop(signal_check *check)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec < check->next.tv_sec
        || (now.tv_sec == check->next.tv_sec && now.tv_nsec < check->next.tv_nsec))
        return 0;
    long nanoseconds = now.tv_nsec + SIGNAL_CHECK_INTERVAL_MS * 1000000L;
    check->next.tv_sec = now.tv_sec + nanoseconds / 1000000000L;
    check->next.tv_nsec = nanoseconds % 1000000000L;

    if (check->thread != NULL)
        PyEval_RestoreThread(check->thread);
    int raised = PyErr_CheckSignals() < 0;
    if (check->thread != NULL)
        check->thread = PyEval_SaveThread();
    return raised;
}
/* [end: stop] */

#endif
