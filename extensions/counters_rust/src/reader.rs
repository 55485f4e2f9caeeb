//! Read a file that may be plain, gzip or LZ4-frame compressed: counters' reader.c
//! in Rust, with the same detection rules and the same error texts. Nothing here
//! touches Python, so it runs with the GIL released.
//!
//! gzip: flate2 on zlib-rs (a Rust port of zlib, whose error texts are zlib's),
//! read member after member as zlib's gzread does. LZ4: the C liblz4 through the
//! lz4-sys crate, the one `unsafe` part of the crate, kept in `Lz4Decoder`.

use std::ffi::CStr;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

use flate2::{Decompress, FlushDecompress, Status};
use lz4_sys::{
    LZ4F_createDecompressionContext, LZ4F_decompress, LZ4F_freeDecompressionContext,
    LZ4F_getErrorName, LZ4F_getFrameInfo, LZ4F_isError, LZ4F_resetDecompressionContext,
    LZ4FDecompressionContext, LZ4FFrameInfo,
};

pub const FORMAT_PLAIN: i32 = 0;
pub const FORMAT_GZIP: i32 = 1;
pub const FORMAT_LZ4: i32 = 2;
/// What `Reader::open` may be asked for besides a format: detect it.
pub const AUTO: i32 = -1;

const INPUT_SIZE: usize = 256 * 1024;
/// The detection reads this much of the file's start (as reader.c does).
const PROBE_SIZE: usize = 64 * 1024;
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];
const LZ4_MAGIC: [u8; 4] = [0x04, 0x22, 0x4d, 0x18];
const LZ4F_VERSION: u32 = 100;

/// Why a read failed: the file (an errno, becomes OSError), or its content
/// (becomes ValueError with this text).
#[derive(Debug)]
pub enum ReadError {
    Os(io::Error),
    BadData(String),
}

impl From<io::Error> for ReadError {
    fn from(error: io::Error) -> Self {
        ReadError::Os(error)
    }
}

type Result<T> = std::result::Result<T, ReadError>;

/// read(2) on the file, retried when a signal interrupts it.
fn read_fd(file: &mut File, buf: &mut [u8]) -> Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            result => return Ok(result?),
        }
    }
}

// ---- LZ4: liblz4's frame decoder behind a safe interface ----

/// An LZ4F decompression context, freed on drop. Every `unsafe` block of the
/// crate is in here: the rest of it cannot misuse the C pointers.
struct Lz4Decoder(LZ4FDecompressionContext);

// SAFETY: the context is plain C memory that liblz4 uses from whichever thread
// calls it, one call at a time (`&mut self`): nothing ties it to one thread.
unsafe impl Send for Lz4Decoder {}

fn lz4_error_name(code: usize) -> String {
    // SAFETY: LZ4F_getErrorName returns a static NUL-terminated string for any code.
    unsafe { CStr::from_ptr(LZ4F_getErrorName(code)) }
        .to_string_lossy()
        .into_owned()
}

impl Lz4Decoder {
    fn new() -> io::Result<Self> {
        let mut context = LZ4FDecompressionContext(std::ptr::null_mut());
        // SAFETY: `context` is a valid place for the new context's pointer.
        let code = unsafe { LZ4F_createDecompressionContext(&mut context, LZ4F_VERSION) };
        // SAFETY: LZ4F_isError only looks at the number.
        if unsafe { LZ4F_isError(code) } != 0 {
            return Err(io::Error::from(io::ErrorKind::OutOfMemory));
        }
        Ok(Lz4Decoder(context))
    }

    /// True when `data` starts with a complete, valid frame header (magic number,
    /// a descriptor liblz4 accepts, its checksum byte); the context stays fresh.
    fn header_complete(&mut self, data: &[u8]) -> bool {
        if !data.starts_with(&LZ4_MAGIC) {
            return false;
        }
        let mut info: LZ4FFrameInfo = unsafe { std::mem::zeroed() };
        let mut consumed = data.len();
        // SAFETY: `data` holds `consumed` readable bytes; `info` is writable.
        let code = unsafe { LZ4F_getFrameInfo(self.0, &mut info, data.as_ptr(), &mut consumed) };
        // SAFETY: a live context, reset to its fresh state.
        unsafe { LZ4F_resetDecompressionContext(self.0) };
        unsafe { LZ4F_isError(code) == 0 }
    }

    /// Decode from `input` into `output`: (bytes read, bytes written, liblz4's
    /// hint: 0 when a frame just ended), or the error's name.
    fn decompress(
        &mut self,
        input: &[u8],
        output: &mut [u8],
    ) -> std::result::Result<(usize, usize, usize), String> {
        let (mut read, mut written) = (input.len(), output.len());
        // SAFETY: the two lengths are those of the slices, which liblz4 stays inside.
        let hint = unsafe {
            LZ4F_decompress(
                self.0,
                output.as_mut_ptr(),
                &mut written,
                input.as_ptr(),
                &mut read,
                std::ptr::null(),
            )
        };
        if unsafe { LZ4F_isError(hint) } != 0 {
            return Err(lz4_error_name(hint));
        }
        Ok((read, written, hint))
    }
}

impl Drop for Lz4Decoder {
    fn drop(&mut self) {
        // SAFETY: created by LZ4F_createDecompressionContext, freed once.
        unsafe { LZ4F_freeDecompressionContext(self.0) };
    }
}

// ---- the formats' headers ----

/// True when `p` starts with a complete gzip member header (RFC 1952, 2.3): the
/// magic number and method 8, no reserved flag bit, every optional field the
/// flags announce inside `p`, and the header's CRC right when it has one.
fn gzip_header_complete(p: &[u8]) -> bool {
    const FHCRC: u8 = 0x02;
    const FEXTRA: u8 = 0x04;
    const FNAME: u8 = 0x08;
    const FCOMMENT: u8 = 0x10;
    const RESERVED: u8 = 0xe0;
    if p.len() < 10 || !p.starts_with(&GZIP_MAGIC) || p[3] & RESERVED != 0 {
        return false;
    }
    let flags = p[3];
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let Some(length) = p.get(at..at + 2) else {
            return false;
        };
        at += 2 + u16::from_le_bytes([length[0], length[1]]) as usize;
        if at > p.len() {
            return false;
        }
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let Some(end) = p[at..].iter().position(|&b| b == 0) else {
                return false;
            };
            at += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        let Some(stored) = p.get(at..at + 2) else {
            return false;
        };
        let crc = crc32fast::hash(&p[..at]) & 0xffff;
        return crc == u16::from_le_bytes([stored[0], stored[1]]) as u32;
    }
    true
}

/// pread() the file's first `PROBE_SIZE` bytes (or all of a shorter file).
fn read_start(file: &File) -> Result<Vec<u8>> {
    let mut probe = vec![0; PROBE_SIZE];
    let mut got = 0;
    while got < probe.len() {
        match file.read_at(&mut probe[got..], got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
    }
    probe.truncate(got);
    Ok(probe)
}

// ---- the reader ----

enum Backend {
    Plain,
    Gzip {
        inflate: Option<Decompress>, // None between two members
        ended: bool,                 // the last member is done (the rest is ignored)
    },
    Lz4 {
        decoder: Lz4Decoder,
        hint: usize, // 0 while the decoder stands between frames
    },
}

pub struct Reader {
    file: File,
    format: i32,
    detected: bool, // the format was detected, not named by the caller
    backend: Backend,
    input: Vec<u8>, // compressed bytes read from the file, not decoded yet
    input_pos: usize,
    input_len: usize,
    input_ended: bool,
}

impl Reader {
    /// Open `path` as `format` (a FORMAT_* or AUTO), by reader.c's rules.
    pub fn open(path: &Path, format: i32) -> Result<Reader> {
        let file = File::open(path)?;
        let mut format = format;
        let mut detected = false;
        let mut lz4 = None;
        if format != FORMAT_PLAIN {
            let probe = read_start(&file)?;
            let mut decoder = Lz4Decoder::new()?;
            let is_gzip = gzip_header_complete(&probe);
            let is_lz4 = !is_gzip && decoder.header_complete(&probe);
            if format == AUTO {
                format = if is_gzip {
                    FORMAT_GZIP
                } else if is_lz4 {
                    FORMAT_LZ4
                } else {
                    FORMAT_PLAIN
                };
                detected = format != FORMAT_PLAIN;
            } else if format == FORMAT_GZIP && !probe.starts_with(&GZIP_MAGIC) {
                return Err(ReadError::BadData(
                    "not a gzip file: it does not start with 1f 8b 08 (gzip's magic number and \
                     method), and format='gzip' was given"
                        .into(),
                ));
            } else if format == FORMAT_LZ4 && !is_lz4 {
                return Err(ReadError::BadData(
                    "not an LZ4 file: it does not start with a complete LZ4 frame header \
                     (04 22 4d 18 ...), and format='lz4' was given"
                        .into(),
                ));
            }
            lz4 = Some(decoder);
        }
        let backend = match format {
            FORMAT_GZIP => Backend::Gzip {
                inflate: None,
                ended: false,
            },
            FORMAT_LZ4 => Backend::Lz4 {
                decoder: lz4.expect("made above"),
                hint: 0,
            },
            _ => Backend::Plain,
        };
        let input = if format == FORMAT_PLAIN {
            Vec::new()
        } else {
            vec![0; INPUT_SIZE]
        };
        Ok(Reader {
            file,
            format,
            detected,
            backend,
            input,
            input_pos: 0,
            input_len: 0,
            input_ended: false,
        })
    }

    pub fn format(&self) -> i32 {
        self.format
    }

    /// Move the unread input to the front and read more after it; false at the
    /// end of the file.
    fn fill_input(&mut self) -> Result<bool> {
        if self.input_ended {
            return Ok(false);
        }
        self.input.copy_within(self.input_pos..self.input_len, 0);
        self.input_len -= self.input_pos;
        self.input_pos = 0;
        let n = read_fd(&mut self.file, &mut self.input[self.input_len..])?;
        self.input_len += n;
        self.input_ended = n == 0;
        Ok(n > 0)
    }

    /// Some uncompressed bytes: 0 only at the end of the data.
    fn read_some(&mut self, buf: &mut [u8]) -> Result<usize> {
        match &mut self.backend {
            Backend::Plain => read_fd(&mut self.file, buf),
            Backend::Gzip { .. } => self.gzip_read_some(buf),
            Backend::Lz4 { .. } => self.lz4_read_some(buf),
        }
    }

    /// Members one after another, as zlib's gzread reads them: after a member,
    /// another starts only where the next two bytes are gzip's magic number;
    /// anything else after the last member is ignored.
    fn gzip_read_some(&mut self, buf: &mut [u8]) -> Result<usize> {
        loop {
            let Backend::Gzip { inflate, ended } = &mut self.backend else {
                unreachable!()
            };
            if *ended {
                return Ok(0);
            }
            if inflate.is_none() {
                // Between members: look at the next two bytes.
                while self.input_len - self.input_pos < 2 && self.fill_input()? {}
                let Backend::Gzip { inflate, ended } = &mut self.backend else {
                    unreachable!()
                };
                if self.input[self.input_pos..self.input_len].starts_with(&[0x1f, 0x8b]) {
                    *inflate = Some(Decompress::new_gzip(15));
                } else {
                    *ended = true;
                    continue;
                }
            }
            if self.input_pos == self.input_len && !self.fill_input()? {
                // The file ended inside a member (zlib: "unexpected end of file").
                return Err(ReadError::BadData(
                    "corrupt gzip stream: unexpected end of file".into(),
                ));
            }
            let Backend::Gzip {
                inflate: Some(stream),
                ..
            } = &mut self.backend
            else {
                unreachable!()
            };
            let (in_before, out_before) = (stream.total_in(), stream.total_out());
            let status = stream.decompress(
                &self.input[self.input_pos..self.input_len],
                buf,
                FlushDecompress::None,
            );
            let consumed = (stream.total_in() - in_before) as usize;
            let produced = (stream.total_out() - out_before) as usize;
            self.input_pos += consumed;
            match status {
                Err(error) => {
                    let message = error.message().unwrap_or("compressed data error");
                    return Err(ReadError::BadData(format!(
                        "corrupt gzip stream: {message}"
                    )));
                }
                Ok(Status::StreamEnd) => {
                    let Backend::Gzip { inflate, .. } = &mut self.backend else {
                        unreachable!()
                    };
                    *inflate = None;
                }
                Ok(_) => {}
            }
            if produced > 0 {
                return Ok(produced);
            }
        }
    }

    fn lz4_read_some(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut produced = 0;
        while produced < buf.len() {
            if self.input_pos == self.input_len {
                self.input_pos = 0;
                self.input_len = 0;
                if !self.fill_input()? {
                    break;
                }
            }
            let Backend::Lz4 { decoder, hint } = &mut self.backend else {
                unreachable!()
            };
            let (read, written, next) = decoder
                .decompress(
                    &self.input[self.input_pos..self.input_len],
                    &mut buf[produced..],
                )
                .map_err(|name| ReadError::BadData(format!("corrupt LZ4 frame: {name}")))?;
            self.input_pos += read;
            produced += written;
            *hint = next;
        }
        let Backend::Lz4 { hint, .. } = &self.backend else {
            unreachable!()
        };
        if produced == 0 && self.input_ended && *hint != 0 {
            // The file ended while the decoder still expected bytes of a frame.
            return Err(ReadError::BadData("LZ4 frame is truncated".into()));
        }
        Ok(produced)
    }

    /// Fill `buf` with uncompressed bytes; fewer only at the end of the data.
    /// A decoder's refusal of a detected format says how it was detected, and
    /// how to read the file as plain records instead.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.read_some(&mut buf[done..]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(ReadError::BadData(message)) if self.detected => {
                    let (name, article, magic) = match self.format {
                        FORMAT_GZIP => ("gzip", "a gzip", "1f 8b 08"),
                        _ => ("LZ4", "an LZ4", "04 22 4d 18"),
                    };
                    return Err(ReadError::BadData(format!(
                        "{message} (read as {name} because the file starts with {article} header, \
                         {magic}; if it holds plain records, pass format='plain')"
                    )));
                }
                Err(error) => return Err(error),
            }
        }
        Ok(done)
    }
}
