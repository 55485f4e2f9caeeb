//! add(a, b) through PyO3: the Rust row of the call-cost table (lessons 09 and
//! 10), beside the C API, Cython, ctypes and cffi rows of `extensions/callcost`.

/// The sum, wrapping around as add.c's does (in C a signed overflow is
/// undefined, so add.c sums in unsigned long; Rust says what it wants).
pub fn wrapping_add(a: i64, b: i64) -> i64 {
    a.wrapping_add(b)
}

// [region: add]
// gil_used = false (PyO3 0.30's default, written out): needs no GIL, add keeps no state.
/// add(a, b): what a call costs when the work is nothing.
#[pyo3::pymodule(gil_used = false)]
mod callcost_rust {
    use pyo3::prelude::*;

    /// add(a, b): a + b. Arguments are converted to i64 (an int out of range
    /// raises OverflowError); the sum wraps around, as add.c's does.
    #[pyfunction]
    fn add(a: i64, b: i64) -> i64 {
        super::wrapping_add(a, b)
    }
}
// [end: add]

#[cfg(test)]
mod tests {
    use super::wrapping_add;

    #[test]
    fn adds_and_wraps_around() {
        assert_eq!(wrapping_add(40, 2), 42);
        assert_eq!(wrapping_add(-5, 3), -2);
        assert_eq!(wrapping_add(i64::MAX, 1), i64::MIN);
        assert_eq!(wrapping_add(i64::MIN, -1), i64::MAX);
    }
}
