/* integrate.c -- a plain C library for exercise 09-ctypes-callback: it calls
 * back a function it is given. You do not edit it. */

/* The integral of f from a to b by the midpoint rule with n intervals:
 * h * (f(a + h/2) + f(a + 3h/2) + ...), h = (b - a) / n, summed in that order. */
double
integrate(double (*f)(double), double a, double b, int n)
{
    double h = (b - a) / n, sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += f(a + (i + 0.5) * h);
    return sum * h;
}
