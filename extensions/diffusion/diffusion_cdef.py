"""The C declarations cffi needs, shared by its ABI mode (ffi.dlopen) and its
API mode (diffusion_cffi_build.py): copied from diffusion.h, minus `restrict`
and the include guard, since cffi parses declarations, not a whole header."""
CDEF = """
void evolve(int nx, int ny, const double *in, double *out, double D, double dt);
void evolve_fast(int nx, int ny, const double *in, double *out, double D, double dt);
void evolve_steps(int nx, int ny, double *grid, double *scratch, double D, double dt,
                  int steps);
void copy_steps(int nx, int ny, double *grid, double *scratch, int steps);
typedef struct { double x, y; } point;
point midpoint(point a, point b);
double path_length(const point *points, int n);
long add(long a, long b);
"""
