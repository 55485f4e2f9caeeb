//! diffusion_rust -- one step of explicit 2-D diffusion, the kernel of lesson 09,
//! in Rust through PyO3: `evolve(grid, out, D, dt)` reads a NumPy array and writes
//! another in place, without copying either, and bit for bit equal to NumPy.
//!
//! Part 1 is the kernel in plain Rust, on slices: nothing in it touches Python,
//! so it runs with the GIL released (and `cargo test` checks it alone). Part 2 is
//! the binding: it checks every claim an array makes (type, dtype, dimensions,
//! contiguity, alignment, shape, overlap) before the kernel sees its memory.

// ======================= Part 1: the kernel, plain Rust =======================

// [region: kernel]
/// One row of the step: `target[j] = row[j] + rate * laplacian` for the interior
/// columns, the border columns copied. The same operations in the same order as
/// NumPy's `grid[1:-1, 1:-1] + D * dt * (...)` and C's `evolve_fast`: Rust never
/// fuses a multiply and an add into one `fma` on its own, so the sums round as theirs.
#[inline(always)]
fn evolve_row(up: &[f64], row: &[f64], down: &[f64], target: &mut [f64], rate: f64) {
    let n = row.len();
    // Slicing all four to one length lets the compiler drop the bounds checks
    // inside the loop (it has proved every index below n), and vectorise it.
    let (up, down, target) = (&up[..n], &down[..n], &mut target[..n]);
    target[0] = row[0];
    for j in 1..n - 1 {
        target[j] = row[j] + rate * (down[j] + up[j] + row[j + 1] + row[j - 1] - 4.0 * row[j]);
    }
    target[n - 1] = row[n - 1];
}

#[inline(always)]
fn evolve_rows(ny: usize, input: &[f64], out: &mut [f64], rate: f64) {
    let last = input.len() - ny;
    out[..ny].copy_from_slice(&input[..ny]); // the first and last rows stay
    out[last..].copy_from_slice(&input[last..]);
    // Output row i + 1 from input rows i, i + 1 and i + 2.
    for (i, target) in out[ny..last].chunks_exact_mut(ny).enumerate() {
        let (up, row, down) = (
            &input[i * ny..],
            &input[(i + 1) * ny..],
            &input[(i + 2) * ny..],
        );
        evolve_row(up, &row[..ny], down, target, rate);
    }
}

/// The same loop compiled a second time for AVX2 (4 doubles per instruction),
/// chosen at run time when the CPU has it: Rust's spelling of the
/// `target_clones("avx2", "default")` that libdiffusion's `evolve_fast` uses.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn evolve_rows_avx2(ny: usize, input: &[f64], out: &mut [f64], rate: f64) {
    evolve_rows(ny, input, out, rate)
}

/// One step from `input` into `out`, both `nx * ny` cells, row-major, with
/// `nx, ny >= 3` (the binding checks; here a wrong length is a panic, never a
/// read outside the slices). `rate` is `D * dt`.
pub fn evolve_step(ny: usize, input: &[f64], out: &mut [f64], rate: f64) {
    assert!(ny >= 3 && input.len() % ny == 0 && input.len() / ny >= 3 && out.len() == input.len());
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU was just asked: it has AVX2.
        return unsafe { evolve_rows_avx2(ny, input, out, rate) };
    }
    evolve_rows(ny, input, out, rate)
}
// [end: kernel]

// ======================= Part 2: the binding =======================

// [region: binding]
// gil_used = false: needs no GIL; rust-numpy's borrow checks refuse an array
// that another call is writing (BorrowError), with or without a GIL.
/// One step of 2-D diffusion in Rust, from NumPy arrays in place.
#[pyo3::pymodule(gil_used = false)]
mod diffusion_rust {
    use numpy::{
        BorrowError, PyArray2, PyArrayDescrMethods, PyArrayMethods, PyUntypedArray,
        PyUntypedArrayMethods,
    };
    use pyo3::exceptions::{PyTypeError, PyValueError};
    use pyo3::prelude::*;

    /// An argument as a 2-D float64 array, or the error that says what it is not.
    /// The checks read the array's own C struct (through the numpy crate), not its
    /// Python attributes, so a subclass that redefines `shape` or `dtype` cannot lie.
    fn float64_grid<'a, 'py>(
        array: &'a Bound<'py, PyAny>,
        name: &str,
    ) -> PyResult<&'a Bound<'py, PyArray2<f64>>> {
        let Ok(untyped) = array.cast::<PyUntypedArray>() else {
            let type_name = array.get_type().name()?;
            return Err(PyTypeError::new_err(format!(
                "{name} must be a NumPy array, not {type_name}"
            )));
        };
        let dtype = untyped.dtype();
        if !dtype.is_equiv_to(&numpy::dtype::<f64>(array.py())) {
            return Err(PyTypeError::new_err(format!(
                "{name} must have dtype float64, not {dtype}"
            )));
        }
        if untyped.ndim() != 2 {
            return Err(PyValueError::new_err(format!(
                "{name} must be 2-D, not {}-D",
                untyped.ndim()
            )));
        }
        if !untyped.is_c_contiguous() {
            return Err(PyValueError::new_err(format!(
                "{name} must be C-contiguous (a slice or a transpose is not: \
                 np.ascontiguousarray makes a copy that is)"
            )));
        }
        if !untyped.is_aligned() {
            return Err(PyValueError::new_err(format!(
                "{name} must be aligned for double (a view at an odd byte offset is not: \
                 np.ascontiguousarray makes a copy that is)"
            )));
        }
        // dtype and dimensions checked: the typed view cannot fail
        Ok(array.cast::<PyArray2<f64>>()?)
    }

    fn shape_text(shape: &[usize]) -> String {
        format!("({}, {})", shape[0], shape[1])
    }

    /// Write one step of 2-D diffusion from grid into out: float64, 2-D,
    /// C-contiguous arrays of one shape (each side at least 3) that do not
    /// overlap. The border stays fixed. The result equals NumPy's bit for bit.
    /// The step runs with the GIL released.
    #[pyfunction]
    #[pyo3(name = "evolve", signature = (grid, out, D, dt))]
    #[allow(non_snake_case)] // D, as the lesson and the lecture write it
    fn py_evolve(
        py: Python<'_>,
        grid: &Bound<'_, PyAny>,
        out: &Bound<'_, PyAny>,
        D: f64,
        dt: f64,
    ) -> PyResult<()> {
        let grid = float64_grid(grid, "grid")?;
        let out = float64_grid(out, "out")?;
        if out.shape() != grid.shape() {
            return Err(PyValueError::new_err(format!(
                "out has shape {}, grid {}",
                shape_text(out.shape()),
                shape_text(grid.shape())
            )));
        }
        let (nx, ny) = (grid.shape()[0], grid.shape()[1]);
        if nx < 3 || ny < 3 {
            return Err(PyValueError::new_err(format!(
                "grid shape {}: each side must be at least 3",
                shape_text(grid.shape())
            )));
        }
        // Both are contiguous: each is one range of bytes, and the ranges must not meet.
        let bytes = nx * ny * size_of::<f64>();
        let (g, o) = (grid.data() as usize, out.data() as usize);
        if g < o + bytes && o < g + bytes {
            return Err(PyValueError::new_err(
                "out must not overlap grid: the step reads cells it has already written",
            ));
        }
        // The numpy crate's borrows: shared for grid, exclusive for out. Another Rust
        // borrow of out at the same time (from another thread) would be refused here.
        let input = grid
            .try_readonly()
            .map_err(|e| PyValueError::new_err(format!("grid: {e}")))?;
        let mut output = out.try_readwrite().map_err(|e| match e {
            BorrowError::NotWriteable => PyValueError::new_err("out is read-only"),
            other => PyValueError::new_err(format!("out: {other}")),
        })?;
        let input = input.as_slice()?; // contiguous: checked above
        let output = output.as_slice_mut()?;
        let rate = D * dt;
        py.detach(|| super::evolve_step(ny, input, output, rate));
        Ok(())
    }
}
// [end: binding]

#[cfg(test)]
mod tests {
    use super::evolve_step;

    /// The step written out for one cell, as the lesson states it.
    fn by_hand(grid: &[f64], ny: usize, i: usize, j: usize, rate: f64) -> f64 {
        let at = |i: usize, j: usize| grid[i * ny + j];
        at(i, j)
            + rate * (at(i + 1, j) + at(i - 1, j) + at(i, j + 1) + at(i, j - 1) - 4.0 * at(i, j))
    }

    #[test]
    fn every_cell_is_the_formula_and_the_border_stays() {
        let (nx, ny) = (7, 11);
        let grid: Vec<f64> = (0..nx * ny)
            .map(|k| ((k * 37) % 101) as f64 / 7.0)
            .collect();
        let mut out = vec![f64::NAN; nx * ny];
        evolve_step(ny, &grid, &mut out, 0.05);
        for i in 0..nx {
            for j in 0..ny {
                let border = i == 0 || j == 0 || i == nx - 1 || j == ny - 1;
                let want = if border {
                    grid[i * ny + j]
                } else {
                    by_hand(&grid, ny, i, j, 0.05)
                };
                assert_eq!(out[i * ny + j].to_bits(), want.to_bits(), "cell ({i}, {j})");
            }
        }
    }

    #[test]
    fn the_smallest_grid_moves_only_its_centre() {
        let mut grid = vec![0.0; 9];
        grid[4] = 1.0;
        grid[1] = 2.0;
        let mut out = vec![0.0; 9];
        evolve_step(3, &grid, &mut out, 0.1);
        assert_eq!(
            out,
            [
                0.0,
                2.0,
                0.0,
                0.0,
                1.0 + 0.1 * (2.0 - 4.0),
                0.0,
                0.0,
                0.0,
                0.0
            ]
        );
    }

    #[test]
    #[should_panic]
    fn a_wrong_length_panics_instead_of_reading_past_the_end() {
        let grid = vec![0.0; 9];
        let mut out = vec![0.0; 8];
        evolve_step(3, &grid, &mut out, 0.1);
    }
}
