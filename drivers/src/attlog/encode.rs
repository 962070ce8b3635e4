//! Encoding of an [`AttlogRecord`] as an attendance line, for tests and for
//! generators of example exports.

use std::fmt::Write;

use super::{AttlogRecord, Layout};

/// Width the USB export right-aligns PINs to, in characters, as seen in
/// real `attlog.dat` files (`     1080`). Longer PINs are written in full.
const USB_PIN_WIDTH: usize = 9;

/// Format of the time column.
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Encodes `record` as one line laid out as `layout`, without a line ending.
///
/// [`Layout::UsbExport`] writes 6 columns when the record has a work code
/// and 5 without one, with the PIN right-aligned to 9 characters.
/// [`Layout::Push`] writes PIN and time, then status, verify mode and work
/// code up to the last one present, leaving an absent one before it empty,
/// and never writes the device id.
///
/// A record returned by [`parse_line`](super::parse_line) for a layout
/// encodes to a line that parses back to an equal record for that layout.
/// Other records may not: a `None` status, verify mode or device id in
/// [`Layout::UsbExport`] is written as an empty column, which the parser
/// rejects.
pub fn encode_line(record: &AttlogRecord, layout: Layout) -> String {
    let status = record.status.map(|status| status.code().to_string());
    let verify = record.verify.map(|verify| verify.to_string());
    let mut line = String::new();

    // Writing into a String cannot fail, so the fmt::Result is ignored.
    match layout {
        Layout::UsbExport => {
            let _ = write!(
                line,
                "{:>width$}\t{}\t{}\t{}\t{}",
                record.pin,
                record.time.format(TIME_FORMAT),
                record.device_id.as_deref().unwrap_or(""),
                status.as_deref().unwrap_or(""),
                verify.as_deref().unwrap_or(""),
                width = USB_PIN_WIDTH,
            );
            if let Some(work_code) = &record.work_code {
                let _ = write!(line, "\t{work_code}");
            }
        }
        Layout::Push => {
            let _ = write!(line, "{}\t{}", record.pin, record.time.format(TIME_FORMAT));
            let optional = [
                status.as_deref(),
                verify.as_deref(),
                record.work_code.as_deref(),
            ];
            let present = optional
                .iter()
                .rposition(Option::is_some)
                .map_or(0, |last| last + 1);
            for column in &optional[..present] {
                let _ = write!(line, "\t{}", column.unwrap_or(""));
            }
        }
    }
    line
}
