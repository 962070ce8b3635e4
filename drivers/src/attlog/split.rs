//! Splitting of a whole buffer or a byte stream into numbered lines.
//!
//! Both splitters follow the same rules, so a file read at once and the
//! same bytes fed in chunks give the same lines:
//!
//! - Lines end at LF, and one CR before the LF is dropped.
//! - A UTF-8 byte order mark at the very start is dropped.
//! - Line numbers are 1-based and count every line, blank or not.
//! - A line of only ASCII whitespace (space, tab, CR, form feed) is skipped.
//! - A line longer than [`MAX_LINE_LEN`] bytes is reported once as
//!   [`LineError::TooLong`], and splitting resumes after its LF.
//! - Bytes after the last LF form a final line.

use super::{parse_line, AttlogRecord, Layout, LineError, TimeLimits, MAX_LINE_LEN};

/// UTF-8 byte order mark, written by some export tools at the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A line number with the line's bytes (without CR and LF) or the reason
/// the line was rejected, as produced by [`LineSplitter`].
pub type StreamLine = (u64, Result<Vec<u8>, LineError>);

/// Returns an iterator over the attendance records in `buffer`, such as the
/// whole contents of an `attlog.dat` file.
///
/// Each non-blank line yields its 1-based line number and its record or
/// rejection, so one bad line never hides the lines after it.
pub fn records<'a>(buffer: &'a [u8], layout: Layout, limits: &TimeLimits) -> Records<'a> {
    Records {
        lines: lines(buffer),
        layout,
        limits: *limits,
    }
}

/// Returns an iterator over the non-blank lines of `buffer` with their
/// 1-based line numbers, each line without its CR and LF, or the reason it
/// was rejected before parsing (too long). Callers that keep the raw bytes
/// of each record parse the lines with [`parse_line`] themselves.
pub fn lines(buffer: &[u8]) -> Lines<'_> {
    Lines {
        rest: Some(buffer.strip_prefix(BOM).unwrap_or(buffer)),
        line_number: 0,
    }
}

/// Iterator over the lines of a byte buffer, returned by [`lines`].
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    /// Bytes not yet split, or `None` after the last line.
    rest: Option<&'a [u8]>,
    /// Number of the line returned last.
    line_number: u64,
}

impl<'a> Iterator for Lines<'a> {
    type Item = (u64, Result<&'a [u8], LineError>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.rest?;
            let line = match rest.iter().position(|&byte| byte == b'\n') {
                Some(end) => {
                    self.rest = Some(&rest[end + 1..]);
                    &rest[..end]
                }
                None => {
                    self.rest = None;
                    rest
                }
            };
            self.line_number += 1;

            if let Some(checked) = check_line(line) {
                return Some((self.line_number, checked));
            }
        }
    }
}

/// Iterator over the records of a byte buffer, returned by [`records`].
#[derive(Debug, Clone)]
pub struct Records<'a> {
    lines: Lines<'a>,
    layout: Layout,
    limits: TimeLimits,
}

impl Iterator for Records<'_> {
    type Item = (u64, Result<AttlogRecord, LineError>);

    fn next(&mut self) -> Option<Self::Item> {
        let (number, line) = self.lines.next()?;
        let record = line.and_then(|line| parse_line(line, self.layout, &self.limits));
        Some((number, record))
    }
}

/// Incremental line splitter for a byte stream such as a serial port.
///
/// Feed it chunks of any size, split anywhere, and it returns each complete
/// non-blank line with its 1-based line number. It keeps at most
/// [`MAX_LINE_LEN`] + 1 bytes of an unfinished line. A longer line is
/// reported as [`LineError::TooLong`] as soon as it crosses the cap, and its
/// remaining bytes are dropped up to the next LF. Pass each line to
/// [`parse_line`].
#[derive(Debug, Clone)]
pub struct LineSplitter {
    /// Bytes of the unfinished line.
    pending: Vec<u8>,
    /// Whether the unfinished line was already reported as too long.
    discarding: bool,
    /// Number of the unfinished line.
    line_number: u64,
    /// Count of byte order mark bytes matched at the start of the stream,
    /// or `None` once the start has been decided.
    bom_matched: Option<usize>,
    /// Lines completed by the current [`feed`](LineSplitter::feed) call.
    ready: Vec<StreamLine>,
}

impl Default for LineSplitter {
    fn default() -> Self {
        Self::new()
    }
}

impl LineSplitter {
    /// Creates a splitter at the start of a stream, before line 1.
    pub fn new() -> Self {
        LineSplitter {
            pending: Vec::with_capacity(MAX_LINE_LEN + 1),
            discarding: false,
            line_number: 1,
            bom_matched: Some(0),
            ready: Vec::new(),
        }
    }

    /// Consumes `chunk` and returns the lines it completes, in order.
    ///
    /// Lines not taken from the returned iterator before it is dropped are
    /// lost. The iterator yields at most one entry per LF in `chunk`, plus
    /// one for a line that crossed the length cap.
    pub fn feed(&mut self, chunk: &[u8]) -> impl Iterator<Item = StreamLine> + '_ {
        for &byte in chunk {
            self.feed_byte(byte);
        }
        self.ready.drain(..)
    }

    /// Ends the stream and returns its last line if it had no final LF.
    ///
    /// Returns `None` when the stream ended with an LF, or the last line is
    /// blank or was already reported as too long.
    pub fn finish(mut self) -> Option<StreamLine> {
        self.flush_partial_bom();
        if self.discarding {
            return None;
        }
        let line = check_line(&self.pending)?.map(<[u8]>::to_vec);
        Some((self.line_number, line))
    }

    /// Returns the number of bytes held for the unfinished line.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    fn feed_byte(&mut self, byte: u8) {
        if let Some(matched) = self.bom_matched {
            if byte == BOM[matched] {
                self.bom_matched = if matched + 1 == BOM.len() {
                    None
                } else {
                    Some(matched + 1)
                };
                return;
            }
            self.flush_partial_bom();
        }

        if byte == b'\n' {
            self.end_line();
            return;
        }
        if self.discarding {
            return;
        }

        // One CR beyond the cap is kept because it may precede an LF and
        // then does not count towards the line length.
        let fits = self.pending.len() < MAX_LINE_LEN
            || (self.pending.len() == MAX_LINE_LEN && byte == b'\r');
        if fits {
            self.pending.push(byte);
        } else {
            self.pending.clear();
            self.discarding = true;
            let error = LineError::TooLong { max: MAX_LINE_LEN };
            self.ready.push((self.line_number, Err(error)));
        }
    }

    /// Treats the start of a byte order mark as line bytes once a byte
    /// that does not continue it arrives.
    fn flush_partial_bom(&mut self) {
        if let Some(matched) = self.bom_matched.take() {
            for &byte in &BOM[..matched] {
                self.feed_byte(byte);
            }
        }
    }

    fn end_line(&mut self) {
        if self.discarding {
            self.discarding = false;
        } else if let Some(checked) = check_line(&self.pending) {
            let entry = checked.map(<[u8]>::to_vec);
            self.ready.push((self.line_number, entry));
        }
        self.pending.clear();
        self.line_number += 1;
    }
}

/// Drops one trailing CR from `line`, then returns `None` for a blank line,
/// [`LineError::TooLong`] for a line over the cap, or the line itself.
fn check_line(line: &[u8]) -> Option<Result<&[u8], LineError>> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > MAX_LINE_LEN {
        return Some(Err(LineError::TooLong { max: MAX_LINE_LEN }));
    }
    if line.iter().all(|byte| byte.is_ascii_whitespace()) {
        return None;
    }
    Some(Ok(line))
}
