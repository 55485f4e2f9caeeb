/* kahan.c -- a plain C library for exercise 08-cffi-both-interpreters. You do
 * not edit it. */
#include <stddef.h>

/* The sum of values[0..n-1] with Kahan's compensated summation: the rounding
 * error of each addition is carried into the next, so adding a million 0.1s
 * gives 100000.0 where a plain loop drifts. */
double
kahan_sum(const double *values, size_t n)
{
    double sum = 0.0, carry = 0.0;
    for (size_t i = 0; i < n; i++) {
        double y = values[i] - carry;
        double t = sum + y;
        carry = (t - sum) - y;
        sum = t;
    }
    return sum;
}

/* How many of values[0..n-1] are greater than threshold. */
size_t
count_above(const double *values, size_t n, double threshold)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += values[i] > threshold;
    return count;
}
