/* vectors.c -- a plain C library (no Python in it) for exercise
 * 09-careless-wrapper. You do not edit it: you repair its Python wrapper. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* The mean of values[0..n-1]; NaN when n is 0. */
double
vec_mean(const double *values, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += values[i];
    return n ? sum / (double)n : NAN;
}

/* The sum of values[0..n-1], in 64 bits. */
int64_t
vec_sum_i64(const int64_t *values, size_t n)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += values[i];
    return sum;
}

/* values[i] *= factor, in place. */
void
vec_scale(double *values, size_t n, double factor)
{
    for (size_t i = 0; i < n; i++)
        values[i] *= factor;
}

/* The index of the largest value (the first one, on a tie). n must be at least 1. */
size_t
vec_argmax(const double *values, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (values[i] > values[best])
            best = i;
    return best;
}
