/* diffusion.c -- see diffusion.h. Built into libdiffusion.so by setup.py. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "diffusion.h"

/* [region: evolve] */
void
evolve(int nx, int ny, const double *in, double *out, double D, double dt)
{
    memcpy(out, in, (size_t)ny * sizeof *out);                      /* first row */
    memcpy(out + (size_t)(nx - 1) * ny, in + (size_t)(nx - 1) * ny, /* last row */
           (size_t)ny * sizeof *out);
    for (int i = 1; i < nx - 1; i++) {
        out[i * ny] = in[i * ny]; /* first column */
        for (int j = 1; j < ny - 1; j++) {
            double laplacian = in[(i + 1) * ny + j] + in[(i - 1) * ny + j] + in[i * ny + j + 1]
                               + in[i * ny + j - 1] - 4 * in[i * ny + j];
            out[i * ny + j] = in[i * ny + j] + D * dt * laplacian;
        }
        out[i * ny + ny - 1] = in[i * ny + ny - 1]; /* last column */
    }
}
/* [end: evolve] */

/* [region: fast] */
/* target_clones: GCC compiles this function twice, for AVX2 (4 doubles per
 * instruction) and for plain x86-64 (SSE2, 2 doubles), and picks one when the
 * library is loaded, by asking the CPU. Not "fma": a fused multiply-add rounds
 * once instead of twice, and the results would no longer equal NumPy's bit for bit
 * (which also rules out "avx512f": its instruction set includes fused multiply-adds,
 * and GCC uses them). */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx2", "default")))
#endif
void
evolve_fast(int nx, int ny, const double *restrict in, double *restrict out, double D, double dt)
{
    const double rate = D * dt;
    memcpy(out, in, (size_t)ny * sizeof *out);
    memcpy(out + (size_t)(nx - 1) * ny, in + (size_t)(nx - 1) * ny, (size_t)ny * sizeof *out);
    for (int i = 1; i < nx - 1; i++) {
        const double *restrict up = in + (size_t)(i - 1) * ny;
        const double *restrict row = in + (size_t)i * ny;
        const double *restrict down = in + (size_t)(i + 1) * ny;
        double *restrict target = out + (size_t)i * ny;
        target[0] = row[0];
        for (int j = 1; j < ny - 1; j++) /* no aliasing, unit stride: SIMD */
            target[j] = row[j] + rate * (down[j] + up[j] + row[j + 1] + row[j - 1] - 4 * row[j]);
        target[ny - 1] = row[ny - 1];
    }
}
/* [end: fast] */

/* [region: two-rows] */
/* Cells from..to-1 of two neighbouring output rows, upper and lower, from the
 * four input rows around them: each input row is loaded once for both outputs,
 * where one row at a time loads the middle rows twice. The arithmetic, and its
 * order, is evolve_fast's. */
static inline void
two_rows(int from, int to, const double *restrict above, const double *restrict upper,
         const double *restrict lower, const double *restrict below, double *restrict upper_out,
         double *restrict lower_out, double rate)
{
    for (int j = from; j < to; j++) {
        double here = upper[j], there = lower[j];
        upper_out[j] = here + rate * (there + above[j] + upper[j + 1] + upper[j - 1] - 4 * here);
        lower_out[j] = there + rate * (below[j] + here + lower[j + 1] + lower[j - 1] - 4 * there);
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx2", "default"))) /* as evolve_fast */
#endif
void
evolve_two_rows(int nx, int ny, const double *restrict in, double *restrict out, double D,
                double dt)
{
    const double rate = D * dt;
    memcpy(out, in, (size_t)ny * sizeof *out);
    memcpy(out + (size_t)(nx - 1) * ny, in + (size_t)(nx - 1) * ny, (size_t)ny * sizeof *out);
    int i = 1;
    for (; i + 1 < nx - 1; i += 2) { /* rows i and i + 1 */
        const double *above = in + (size_t)(i - 1) * ny, *upper = above + ny;
        const double *lower = upper + ny, *below = lower + ny;
        double *upper_out = out + (size_t)i * ny, *lower_out = upper_out + ny;
        upper_out[0] = upper[0];
        lower_out[0] = lower[0];
        /* Start the vector loop at a cell of the upper row whose address is a multiple
         * of 32 bytes (AVX2's width): then its stores, and fewer loads, do not straddle
         * two cache lines (the lower row's stores too, when ny is a multiple of 4). */
        int aligned = 1;
        while (aligned < ny - 1 && (uintptr_t)(upper_out + aligned) % 32 != 0)
            aligned++;
        two_rows(1, aligned, above, upper, lower, below, upper_out, lower_out, rate);
        two_rows(aligned, ny - 1, above, upper, lower, below, upper_out, lower_out, rate);
        upper_out[ny - 1] = upper[ny - 1];
        lower_out[ny - 1] = lower[ny - 1];
    }
    if (i < nx - 1) { /* an odd number of interior rows: the last one alone */
        const double *above = in + (size_t)(i - 1) * ny, *row = above + ny, *below = row + ny;
        double *target = out + (size_t)i * ny;
        target[0] = row[0];
        for (int j = 1; j < ny - 1; j++)
            target[j] =
                row[j] + rate * (below[j] + above[j] + row[j + 1] + row[j - 1] - 4 * row[j]);
        target[ny - 1] = row[ny - 1];
    }
}
/* [end: two-rows] */

void
evolve_steps(int nx, int ny, double *grid, double *scratch, double D, double dt, int steps)
{
    double *from = grid, *to = scratch;
    for (int step = 0; step < steps; step++) {
        evolve_two_rows(nx, ny, from, to, D, dt);
        double *swap = from;
        from = to;
        to = swap;
    }
    if (from != grid) /* an odd number of steps: the result is in scratch */
        memcpy(grid, from, (size_t)nx * ny * sizeof *grid);
}

void
copy_steps(int nx, int ny, double *grid, double *scratch, int steps)
{
    double *from = grid, *to = scratch;
    for (int step = 0; step < steps; step++) {
        memcpy(to, from, (size_t)nx * ny * sizeof *grid);
        double *swap = from;
        from = to;
        to = swap;
    }
    if (from != grid)
        memcpy(grid, from, (size_t)nx * ny * sizeof *grid);
}

/* [region: points] */
point
midpoint(point a, point b)
{
    point middle = {(a.x + b.x) / 2, (a.y + b.y) / 2};
    return middle;
}

double
path_length(const point *points, int n)
{
    double length = 0;
    for (int i = 1; i < n; i++)
        length += hypot(points[i].x - points[i - 1].x, points[i].y - points[i - 1].y);
    return length;
}
/* [end: points] */
