/* add.h -- the plain C function lesson 09's call-cost table calls through
 * ctypes and cffi (libadd.so, and compiled into _callcost_cffi). */
#ifndef CALLCOST_ADD_H
#define CALLCOST_ADD_H

long add(long a, long b);

#endif
