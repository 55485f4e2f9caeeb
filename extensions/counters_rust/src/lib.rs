//! counters_rust -- "build a dict" in Rust through PyO3: `get_counters` and
//! `detect_format` of the C module `counters`, over the same record files (plain,
//! gzip, LZ4), with the same results and the same errors, so that counters' test
//! suites run against both modules unchanged.
//!
//! `table` counts and `reader` reads, in plain Rust that touches no Python object
//! (they run with the GIL released); this file is the binding.

pub mod reader;
pub mod table;

use std::path::Path;
use std::time::{Duration, Instant};

use reader::{ReadError, Reader};
use table::{Counter, Counts};

/// Records read per buffer, as counters.c reads them.
const RECORDS_PER_READ: usize = 65536;

/// Why `count_file` stopped early: the file or its content, or the caller's
/// `stop` said so (the binding then has Python's exception to raise).
#[derive(Debug)]
pub enum CountError {
    Read(ReadError),
    Stopped,
}

impl From<ReadError> for CountError {
    fn from(error: ReadError) -> Self {
        CountError::Read(error)
    }
}

// [region: count_file]
/// Read every record of `path` (as `format`: a reader format or reader::AUTO)
/// and count them. After each buffer it asks `stop()` whether to give up.
pub fn count_file(
    path: &Path,
    format: i32,
    key_size: usize,
    mut stop: impl FnMut() -> bool,
) -> Result<Counts, CountError> {
    let mut reader = Reader::open(path, format)?;
    let mut counter = Counter::new(key_size);
    let record_size = counter.record_size();
    let mut buffer = vec![0u8; RECORDS_PER_READ * record_size];
    let mut offset = 0u64; // uncompressed bytes counted so far
    let mut carry = 0; // bytes of an incomplete record at the buffer's start
    loop {
        let got = reader.read(&mut buffer[carry..])?;
        if got == 0 {
            break;
        }
        let available = carry + got;
        let whole = available / record_size * record_size;
        counter.add_records(&buffer[..whole]);
        offset += whole as u64;
        buffer.copy_within(whole..available, 0);
        carry = available - whole;
        if stop() {
            return Err(CountError::Stopped);
        }
    }
    if carry != 0 {
        return Err(CountError::Read(ReadError::BadData(format!(
            "truncated record at byte offset {offset}: {carry} trailing bytes, records are \
             {record_size} bytes (key_size={key_size})"
        ))));
    }
    Ok(counter.finish())
}
// [end: count_file]

/// The format `path` would be read as, from its first bytes.
pub fn detect_format(path: &Path) -> Result<i32, ReadError> {
    Ok(Reader::open(path, reader::AUTO)?.format())
}

// [region: json]
/// `s`, given as UTF-16 code units, as a JSON string exactly as json.dumps()
/// writes it: ASCII only, everything else as \uXXXX. Code units, because a
/// Python str may hold a lone surrogate, which no Rust `str` can.
fn json_string(text: &mut String, units: impl Iterator<Item = u16>) {
    text.push('"');
    for unit in units {
        match unit {
            0x22 => text.push_str("\\\""),
            0x5c => text.push_str("\\\\"),
            0x0a => text.push_str("\\n"),
            0x0d => text.push_str("\\r"),
            0x09 => text.push_str("\\t"),
            0x08 => text.push_str("\\b"),
            0x0c => text.push_str("\\f"),
            0x20..0x7f => text.push(unit as u8 as char),
            _ => text.push_str(&format!("\\u{unit:04x}")),
        }
    }
    text.push('"');
}

fn counts_as_json(type_units: impl Iterator<Item = u16>, id: u64, c: &Counts) -> String {
    let list = |values: &[u64]| {
        values
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = String::from("{\"type\": ");
    json_string(&mut text, type_units);
    text.push_str(&format!(
        ", \"id\": {id}, \"shows_all\": {}, \"clicks_all\": {}, \"shows_uniq\": {}, \
         \"clicks_uniq\": {}, \"shows_freq\": [{}], \"clicks_freq\": [{}]}}",
        c.shows_all,
        c.clicks_all,
        c.shows_uniq,
        c.clicks_uniq,
        list(&c.shows_freq),
        list(&c.clicks_freq)
    ));
    text
}
// [end: json]

// gil_used = false: needs no GIL. Each call counts into tables of its own, and
// already does so with the GIL released (py.detach) beside other calls.
/// Count shows and clicks per id in plain, gzip or LZ4 record files (in Rust).
#[pyo3::pymodule(gil_used = false)]
mod counters_rust {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
    use pyo3::prelude::*;
    use pyo3::types::{PyBytes, PyDict, PyString};

    use super::*;

    #[pymodule_export]
    const FREQ_BUCKETS: usize = table::FREQ_BUCKETS;
    #[pymodule_export]
    const FORMAT_PLAIN: i32 = reader::FORMAT_PLAIN;
    #[pymodule_export]
    const FORMAT_GZIP: i32 = reader::FORMAT_GZIP;
    #[pymodule_export]
    const FORMAT_LZ4: i32 = reader::FORMAT_LZ4;

    /// filepath as bytes, the way PyUnicode_FSConverter takes it in counters.c:
    /// str, bytes or os.PathLike (its __fspath__ runs here), without a NUL.
    fn path_bytes<'py>(filepath: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let py = filepath.py();
        let os = py.import("os")?;
        let bytes = os
            .call_method1(pyo3::intern!(py, "fsencode"), (filepath,))?
            .cast_into::<PyBytes>()?;
        if bytes.as_bytes().contains(&0) {
            return Err(PyValueError::new_err("embedded null byte"));
        }
        Ok(bytes)
    }

    /// A ReadError as the exception counters.c raises: OSError (its subclass by
    /// errno) with the filename as str, or ValueError "'path': what is wrong".
    fn read_error(error: ReadError, path: &Bound<'_, PyBytes>) -> PyErr {
        let py = path.py();
        let name = match py
            .import("os")
            .and_then(|os| os.call_method1(pyo3::intern!(py, "fsdecode"), (path,)))
        {
            Ok(name) => name,
            Err(decoding) => return decoding,
        };
        match error {
            ReadError::Os(e) if e.raw_os_error().is_some() => {
                let errno = e.raw_os_error().unwrap();
                let text = py
                    .import("os")
                    .and_then(|os| os.call_method1(pyo3::intern!(py, "strerror"), (errno,)));
                match text {
                    Ok(text) => PyOSError::new_err((errno, text.unbind(), name.unbind())),
                    Err(e) => e,
                }
            }
            ReadError::Os(e) if e.kind() == std::io::ErrorKind::OutOfMemory => {
                pyo3::exceptions::PyMemoryError::new_err(())
            }
            ReadError::Os(e) => PyOSError::new_err(e.to_string()),
            ReadError::BadData(message) => match name.repr() {
                Ok(repr) => PyValueError::new_err(format!("{repr}: {message}")),
                Err(e) => e,
            },
        }
    }

    /// An optional argument as the caller gave it, None included. (For an
    /// `Option<T>` argument PyO3 takes None to mean "not given"; counters.c's
    /// parser converts a None like any other value, and refuses it.)
    enum Arg<'py> {
        Given(Bound<'py, PyAny>),
        Omitted,
    }

    impl<'a, 'py> FromPyObject<'a, 'py> for Arg<'py> {
        type Error = PyErr;
        fn extract(value: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
            Ok(Arg::Given(value.to_owned()))
        }
    }

    fn format_code(format: &Bound<'_, PyAny>) -> PyResult<i32> {
        let Ok(name) = format.cast::<PyString>() else {
            let type_name = format.get_type().name()?;
            return Err(PyTypeError::new_err(format!(
                "format must be a str, not {type_name}"
            )));
        };
        match name.to_str() {
            Ok("auto") => Ok(reader::AUTO),
            Ok("plain") => Ok(reader::FORMAT_PLAIN),
            Ok("gzip") => Ok(reader::FORMAT_GZIP),
            Ok("lz4") => Ok(reader::FORMAT_LZ4),
            _ => Err(PyValueError::new_err(format!(
                "format must be 'auto', 'plain', 'gzip' or 'lz4', not {}",
                name.repr()?
            ))),
        }
    }

    fn counts_as_dict<'py>(
        entity_type: &Bound<'py, PyAny>,
        id: u64,
        c: &Counts,
    ) -> PyResult<Bound<'py, PyAny>> {
        let dict = PyDict::new(entity_type.py());
        dict.set_item("type", entity_type)?;
        dict.set_item("id", id)?;
        dict.set_item("shows_all", c.shows_all)?;
        dict.set_item("clicks_all", c.clicks_all)?;
        dict.set_item("shows_uniq", c.shows_uniq)?;
        dict.set_item("clicks_uniq", c.clicks_uniq)?;
        dict.set_item("shows_freq", c.shows_freq.to_vec())?;
        dict.set_item("clicks_freq", c.clicks_freq.to_vec())?;
        Ok(dict.into_any())
    }

    /// Count shows and clicks per id in a record file: counters.get_counters in
    /// Rust (see its docstring), with the same arguments, result and errors.
    /// The file is read and counted with the GIL released; Ctrl-C stops it
    /// within about 50 ms.
    #[pyfunction]
    #[pyo3(signature = (filepath, entity_type, entity_id, key_size = Arg::Omitted,
                        as_json = Arg::Omitted, *, format = Arg::Omitted),
           text_signature = "(filepath, entity_type, entity_id, key_size=8, as_json=False, *, format='auto')")]
    fn get_counters<'py>(
        py: Python<'py>,
        filepath: &Bound<'py, PyAny>,
        entity_type: &Bound<'py, PyAny>,
        entity_id: &Bound<'py, PyAny>,
        key_size: Arg<'py>,
        as_json: Arg<'py>,
        format: Arg<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        // Converted one after another in the order of counters.c's format string
        // ("O&UO!|ip$O&"): each conversion may run Python code (__fspath__,
        // __index__, __bool__), and runs before the file is opened.
        let path = path_bytes(filepath)?;
        if !entity_type.is_instance_of::<PyString>() {
            let type_name = entity_type.get_type().name()?;
            return Err(PyTypeError::new_err(format!(
                "get_counters() argument 2 must be str, not {type_name}"
            )));
        }
        if !entity_id.is_instance_of::<pyo3::types::PyInt>() {
            let type_name = entity_id.get_type().name()?;
            return Err(PyTypeError::new_err(format!(
                "get_counters() argument 3 must be int, not {type_name}"
            )));
        }
        let key_size: i32 = match key_size {
            Arg::Given(value) => value.extract()?,
            Arg::Omitted => 8,
        };
        let as_json = match as_json {
            Arg::Given(value) => value.is_truthy()?,
            Arg::Omitted => false,
        };
        let format = match format {
            Arg::Given(value) => format_code(&value)?,
            Arg::Omitted => reader::AUTO,
        };
        let Ok(id) = entity_id.extract::<u64>() else {
            return Err(PyValueError::new_err("entity_id must be in 0..2**64-1"));
        };
        if key_size != 4 && key_size != 8 {
            return Err(PyValueError::new_err(format!(
                "key_size must be 4 or 8, not {key_size}"
            )));
        }

        // [region: detach]
        let file = Path::new(OsStr::from_bytes(path.as_bytes())).to_path_buf();
        let mut interrupted = None; // the exception a signal handler raised
        let mut next_check = Instant::now() + Duration::from_millis(50);
        let result = py.detach(|| {
            count_file(&file, format, key_size as usize, || {
                // Every 50 ms: attach to Python again, just long enough to run the
                // signal handlers (Ctrl-C raises KeyboardInterrupt in one).
                if Instant::now() < next_check {
                    return false;
                }
                next_check = Instant::now() + Duration::from_millis(50);
                interrupted = Python::attach(|py| py.check_signals().err());
                interrupted.is_some()
            })
        });
        // [end: detach]
        let counts = match result {
            Ok(counts) => counts,
            Err(CountError::Stopped) => return Err(interrupted.expect("stopped by a signal")),
            Err(CountError::Read(error)) => return Err(read_error(error, &path)),
        };
        if as_json {
            // The type's UTF-16 code units, lone surrogates included.
            let units = entity_type
                .call_method1(pyo3::intern!(py, "encode"), ("utf-16-le", "surrogatepass"))?;
            let units = units.cast::<PyBytes>()?.as_bytes();
            let units = units
                .chunks_exact(2)
                .map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
            return Ok(PyString::new(py, &counts_as_json(units, id, &counts)).into_any());
        }
        counts_as_dict(entity_type, id, &counts)
    }

    /// The format get_counters() would read the file as: FORMAT_PLAIN, FORMAT_GZIP
    /// or FORMAT_LZ4, from the file's first bytes (counters.detect_format's rules).
    #[pyfunction]
    fn detect_format(py: Python<'_>, filepath: &Bound<'_, PyAny>) -> PyResult<i32> {
        let path = path_bytes(filepath)?;
        let file = Path::new(OsStr::from_bytes(path.as_bytes())).to_path_buf();
        py.detach(|| super::detect_format(&file))
            .map_err(|error| read_error(error, &path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_as_json_dumps_does() {
        let mut text = String::new();
        let units: Vec<u16> = "a\"\\\n\t\u{1f}é\u{1F600}"
            .encode_utf16()
            .chain([0xdc80])
            .collect();
        json_string(&mut text, units.into_iter());
        assert_eq!(text, r#""a\"\\\n\t\u001f\u00e9\ud83d\ude00\udc80""#);
    }

    #[test]
    fn a_file_cut_inside_a_record_names_the_offset() {
        let path = std::env::temp_dir().join(format!("counters_rust_test_{}", std::process::id()));
        std::fs::write(&path, [0u8; 12 * 3 + 5]).unwrap();
        let error = count_file(&path, reader::AUTO, 8, || false).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        match error {
            CountError::Read(ReadError::BadData(message)) => assert_eq!(
                message,
                "truncated record at byte offset 36: 5 trailing bytes, records are 12 bytes (key_size=8)"
            ),
            other => panic!("{other:?}"),
        }
    }
}
