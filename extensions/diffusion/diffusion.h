/* diffusion.h -- a plain C library (no Python in it) for the FFI lesson.
 *
 * Grids are nx rows by ny columns of doubles, row-major and contiguous:
 * cell (i, j) is grid[i * ny + j]. One step of explicit 2-D diffusion:
 *     out = in + D * dt * laplacian(in)   on interior cells,
 *     out = in                            on the border (it stays fixed).
 */
#ifndef DIFFUSION_H
#define DIFFUSION_H

/* The lecture's kernel, written for flat arrays. */
void evolve(int nx, int ny, const double *in, double *out, double D, double dt);

/* The same step, written so the compiler can vectorise it: restrict pointers
 * (in and out never overlap) and an inner loop over three row pointers. */
void evolve_fast(int nx, int ny, const double *restrict in, double *restrict out,
                 double D, double dt);

/* `steps` steps in one call, alternating between grid and scratch; the result
 * ends in grid. One call instead of `steps` calls. */
void evolve_steps(int nx, int ny, double *grid, double *scratch, double D, double dt,
                  int steps);

/* The memory floor of a step: copy the grid to scratch and back, `steps` copies
 * in all, in one call; the result ends in grid. Every step of evolve reads one
 * grid and writes one, so no step can take less time than one of these copies. */
void copy_steps(int nx, int ny, double *grid, double *scratch, int steps);

/* The struct example: points passed and returned by value, and an array of them. */
typedef struct {
    double x, y;
} point;

point midpoint(point a, point b);
double path_length(const point *points, int n);

/* Nothing but a call: for measuring what a call through each FFI costs. */
long add(long a, long b);

#endif
