/* add.c -- what a call costs when the work is nothing: a + b.
 *
 * Plain C, no Python in it. setup.py builds it twice: as libadd.so, a shared
 * library that ctypes and cffi's ABI mode load, and into _callcost_cffi, cffi's
 * API mode. callcost.c and callcost_cython.pyx add the same way, so every row of
 * the table does the same work.
 */
#include "add.h"

/* [region: add] */
/* Signed overflow is undefined behaviour in C, so the sum is done in unsigned
 * long, which wraps around, and converted back (GCC defines that conversion as
 * modulo 2**64). */
long
add(long a, long b)
{
    return (long)((unsigned long)a + (unsigned long)b);
}
/* [end: add] */
