//! Pure driver core for UART fingerprint modules of the Synochip/Grow
//! family: R30x (R305, R307), R503, AS608 and ZFM modules, which share one
//! packet protocol at 57600 bit/s by default.
//!
//! Nothing here reads a clock or touches a port. The tokio serial driver
//! owns the port, the timers and a [`Decoder`], and runs a [`Poller`]:
//!
//! ```text
//! bytes from port -> Decoder::push / next_packet -> Event::AckReceived -> Poller::handle
//! Action::Send { frame } -> write to port; Action::Wait(d) -> sleep d -> Event::Tick
//! ```
//!
//! [`SimulatedModule`] responds to commands like a real module from a scripted
//! finger state, for tests and demos over a pseudo-terminal.

/// Confirmation codes of acknowledge packets.
pub mod code;
/// Commands, typed acknowledges and system parameters.
pub mod command;
/// Poller settings and the module's LED kind.
pub mod config;
/// AuraLedConfig light patterns and colours.
pub mod led;
/// Packet encoder and incremental decoder.
pub mod packet;
/// Polling state machine.
pub mod poller;
/// Simulated module for tests and demos.
pub mod sim;

#[cfg(test)]
mod tests;

pub use code::ConfirmationCode;
pub use command::{Ack, Command, MessageError, SystemParameters};
pub use config::{LedKind, PollerConfig};
pub use led::{AuraColour, AuraControl, AuraSignal};
pub use packet::{encode, Decoder, DecoderStats, FrameError, Packet, Pid, DEFAULT_ADDRESS};
pub use poller::{Action, Event, Phase, Poller, Rejection};
pub use sim::{Finger, SimFault, SimulatedModule};
