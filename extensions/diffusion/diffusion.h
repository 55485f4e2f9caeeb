/* diffusion.h -- a plain C library (no Python in it) for the FFI lesson.
 *
 * Grids are nx rows by ny columns of doubles, row-major and contiguous:
 * cell (i, j) is grid[i * ny + j]. One step of explicit 2-D diffusion:
 *     out = in + D * dt * laplacian(in)   on interior cells,
 *     out = in                            on the border (it stays fixed).
 *
 * The contract every function below relies on and none checks (the Python
 * wrappers in diffusion_ffi.py check it before calling): nx >= 3 and ny >= 3,
 * nx * ny <= INT_MAX (the int index i * ny + j never overflows), each pointer
 * holds nx * ny doubles, and in and out (grid and scratch) do not overlap.
 */
#ifndef DIFFUSION_H
#define DIFFUSION_H

/* The lecture's kernel, written for flat arrays. */
void evolve(int nx, int ny, const double *in, double *out, double D, double dt);

/* The same step, written differently: restrict pointers (a promise that in and
 * out never overlap), an inner loop over three row pointers found with size_t
 * offsets (no int index that -fwrapv could make wrap), D * dt computed once, and
 * on x86-64 a second copy compiled for AVX2, chosen at load time (diffusion.c). */
void evolve_fast(int nx, int ny, const double *restrict in, double *restrict out, double D,
                 double dt);

/* The same step again, two rows per pass: the four input rows around two output
 * rows are loaded once for both, and the vector loop starts at an address AVX2
 * stores fastest to (diffusion.c). Same arithmetic in the same order, so the same
 * bits as evolve and NumPy. */
void evolve_two_rows(int nx, int ny, const double *restrict in, double *restrict out, double D,
                     double dt);

/* `steps` steps in one call, each by evolve_two_rows, alternating between grid
 * and scratch; the result ends in grid. One call instead of `steps` calls. */
void evolve_steps(int nx, int ny, double *grid, double *scratch, double D, double dt, int steps);

/* A step's memory traffic without its arithmetic: memcpy the grid to scratch
 * and back, `steps` copies in all, in one call; the result ends in grid. A step
 * also reads one grid and writes one, but it is not bound to take longer than a
 * copy: how fast memcpy goes depends on the block's size and on the strategy the
 * C library picks for the CPU (lesson 09 measures both by grid size). */
void copy_steps(int nx, int ny, double *grid, double *scratch, int steps);

/* The struct example: points passed and returned by value, and an array of them. */
typedef struct {
    double x, y;
} point;

point midpoint(point a, point b);
double path_length(const point *points, int n);

#endif
