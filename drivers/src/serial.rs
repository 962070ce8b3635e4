//! Serial transport: open a port by path and reconnect with backoff.
//!
//! The transport only moves bytes. Protocols decode them elsewhere, and the
//! daemon decides what a lost or regained port means. Ports are opened
//! exclusively (`TIOCEXCL`), so a second program cannot read the same
//! device and steal frames. Paths may be stable udev names such as
//! `/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0`, which
//! are symlinks to the current `/dev/ttyUSB*` node.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_serial::{DataBits, FlowControl, Parity, SerialPortBuilderExt, SerialStream, StopBits};

/// How to open one serial port. Frames are 8 data bits, no parity, 1 stop
/// bit (8N1), without flow control, which every supported device uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSettings {
    pub path: PathBuf,
    /// Line speed in bits per second, e.g. 57600 for fingerprint modules.
    pub baud_rate: u32,
}

/// Errors from opening a serial port, each with the likely fix.
#[derive(Debug, thiserror::Error)]
pub enum SerialError {
    #[error("failed to open serial port '{}': it does not exist (check the cable and the path; `ls -l /dev/serial/by-id/` lists connected adapters)", .path.display())]
    NotFound { path: PathBuf },
    #[error("failed to open serial port '{}': permission denied (add the service user to the dialout group)", .path.display())]
    PermissionDenied { path: PathBuf },
    #[error("failed to open serial port '{}': it is in use by another program (stop the other program; hallbox opens ports exclusively)", .path.display())]
    Busy { path: PathBuf },
    #[error("failed to open serial port '{}': {source}", .path.display())]
    Other {
        path: PathBuf,
        #[source]
        source: tokio_serial::Error,
    },
}

/// Opens a port exclusively, in raw 8N1 mode, for use with tokio.
pub fn open(settings: &PortSettings) -> Result<SerialStream, SerialError> {
    let path_text = settings.path.to_string_lossy();
    let builder = tokio_serial::new(path_text.as_ref(), settings.baud_rate)
        .data_bits(DataBits::Eight)
        .parity(Parity::None)
        .stop_bits(StopBits::One)
        .flow_control(FlowControl::None)
        .timeout(Duration::from_millis(100));
    let mut stream = builder
        .open_native_async()
        .map_err(|source| classify(&settings.path, source))?;
    stream
        .set_exclusive(true)
        .map_err(|source| classify(&settings.path, source))?;
    Ok(stream)
}

fn classify(path: &Path, source: tokio_serial::Error) -> SerialError {
    let path = path.to_path_buf();
    // serialport reports a port held by another exclusive opener as
    // `NoDevice` with a description naming the exclusive lock.
    let description = source.description.to_lowercase();
    if description.contains("exclusive") || description.contains("busy") {
        return SerialError::Busy { path };
    }
    match source.kind() {
        tokio_serial::ErrorKind::NoDevice => SerialError::NotFound { path },
        tokio_serial::ErrorKind::Io(io::ErrorKind::NotFound) => SerialError::NotFound { path },
        tokio_serial::ErrorKind::Io(io::ErrorKind::PermissionDenied) => {
            SerialError::PermissionDenied { path }
        }
        _ => SerialError::Other { path, source },
    }
}

/// Delays between attempts to reopen a lost port: doubling from `initial`
/// up to `max`, and back to `initial` once a connection has lasted.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// A backoff that starts at `initial` and never waits longer than `max`.
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        let initial = initial.min(max);
        Backoff {
            initial,
            max,
            next: initial,
        }
    }

    /// The delay before the next attempt; each call doubles the one after.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(self.max);
        delay
    }

    /// Starts again from the initial delay, after a good connection.
    pub fn reset(&mut self) {
        self.next = self.initial;
    }
}

impl Default for Backoff {
    /// 250 ms doubling up to 30 s: a replugged adapter is back within a
    /// second, and a missing one costs one attempt every 30 s.
    fn default() -> Self {
        Backoff::new(Duration::from_millis(250), Duration::from_secs(30))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(700));
        let delays: Vec<u128> = (0..6).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 700, 700, 700]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Duration::from_millis(100));
    }

    #[test]
    fn open_missing_port_says_not_found() {
        let settings = PortSettings {
            path: PathBuf::from("/dev/serial/by-id/hallbox-no-such-adapter"),
            baud_rate: 9600,
        };
        let error = open(&settings).expect_err("no such port");
        let message = error.to_string();
        assert!(matches!(error, SerialError::NotFound { .. }), "{message}");
        assert!(message.contains("hallbox-no-such-adapter"), "{message}");
    }
}
