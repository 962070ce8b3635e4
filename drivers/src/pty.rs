//! Pseudo-terminal pairs that stand in for a serial device.
//!
//! The daemon opens the pair's slave end by path with the same tokio-serial
//! code as a USB adapter, while a simulated device reads and writes the
//! master end. A stable symlink, like udev's `/dev/serial/by-id/` names, can
//! point at the slave; "unplugging" closes the master and "replugging"
//! creates a new pair and moves the symlink.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::pty::openpty;
use nix::sys::termios::{self, SetArg};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The device side of a pseudo-terminal pair.
pub struct PtyDevice {
    master: AsyncFd<OwnedFd>,
    /// Kept open so the master never reads EIO while no program has the
    /// slave open, for example between two reconnects of the daemon.
    _slave: OwnedFd,
    slave_path: PathBuf,
}

impl PtyDevice {
    /// Creates a pair in raw mode and returns its device side.
    pub fn open() -> io::Result<PtyDevice> {
        let pair = openpty(None, None).map_err(io::Error::from)?;
        let mut attributes = termios::tcgetattr(&pair.slave).map_err(io::Error::from)?;
        termios::cfmakeraw(&mut attributes);
        termios::tcsetattr(&pair.slave, SetArg::TCSANOW, &attributes).map_err(io::Error::from)?;
        let slave_path = nix::unistd::ttyname(&pair.slave).map_err(io::Error::from)?;

        let flags = fcntl(pair.master.as_raw_fd(), FcntlArg::F_GETFL).map_err(io::Error::from)?;
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        fcntl(pair.master.as_raw_fd(), FcntlArg::F_SETFL(flags)).map_err(io::Error::from)?;

        // SAFETY: the `OwnedFd` moves into the `AsyncFd`, so the descriptor
        // stays open and refers to the same master for the registration's
        // whole lifetime.
        let master = unsafe { AsyncFd::register(pair.master) }.map_err(|e| e.into_parts().1)?;
        Ok(PtyDevice {
            master,
            _slave: pair.slave,
            slave_path,
        })
    }

    /// The path the daemon opens, such as `/dev/pts/7`.
    pub fn path(&self) -> &Path {
        &self.slave_path
    }

    /// Points `link` at this pair's slave, replacing an older link.
    pub fn link_at(&self, link: &Path) -> io::Result<()> {
        let staging = link.with_extension("new");
        let _ = std::fs::remove_file(&staging);
        std::os::unix::fs::symlink(&self.slave_path, &staging)?;
        std::fs::rename(&staging, link)
    }
}

impl AsyncRead for PtyDevice {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut guard = match self.master.poll_read_ready(cx) {
                Poll::Ready(guard) => guard?,
                Poll::Pending => return Poll::Pending,
            };
            let unfilled = buf.initialize_unfilled();
            let result = guard
                .try_io(|fd| nix::unistd::read(fd.as_raw_fd(), unfilled).map_err(io::Error::from));
            match result {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(error)) => return Poll::Ready(Err(error)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for PtyDevice {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = match self.master.poll_write_ready(cx) {
                Poll::Ready(guard) => guard?,
                Poll::Pending => return Poll::Pending,
            };
            match guard.try_io(|fd| nix::unistd::write(fd, data).map_err(io::Error::from)) {
                Ok(result) => return Poll::Ready(result),
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serial::{open, PortSettings};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn bytes_cross_the_pair_through_tokio_serial() {
        let mut device = PtyDevice::open().expect("pty");
        let settings = PortSettings {
            path: device.path().to_path_buf(),
            baud_rate: 57600,
        };
        let mut port = open(&settings).expect("open slave as a serial port");

        device.write_all(b"\xEF\x01hello").await.unwrap();
        let mut received = [0u8; 7];
        port.read_exact(&mut received).await.unwrap();
        assert_eq!(&received, b"\xEF\x01hello");

        port.write_all(b"ack\r\n").await.unwrap();
        let mut reply = [0u8; 5];
        device.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"ack\r\n");
    }

    #[tokio::test]
    async fn second_open_of_a_port_is_busy() {
        let device = PtyDevice::open().expect("pty");
        let settings = PortSettings {
            path: device.path().to_path_buf(),
            baud_rate: 9600,
        };
        let _first = open(&settings).expect("first open");
        let error = open(&settings).expect_err("exclusive");
        assert!(
            matches!(error, crate::serial::SerialError::Busy { .. }),
            "{error}"
        );
    }
}
