//! Raspberry Pi GPIO pins through rppal: input interrupts as an
//! [`EdgeSource`], and output lines.
//!
//! rppal 0.19 compiles on any Linux machine and is always built in, so one
//! binary serves every box. Whether the pins exist is found out at run time:
//! on a machine that is not a Raspberry Pi, or without permission for
//! `/dev/gpiochip*` and `/dev/gpiomem`, [`GpioEdgeSource::open`] and
//! [`GpioOutput::open`] fail with a [`GpioError`] that names the pin and the
//! fix.
//!
//! # Interrupts
//!
//! Each input pin gets an rppal asynchronous interrupt on both edges. rppal
//! runs the callback on one thread per pin with the kernel's event: the
//! edge, the `CLOCK_MONOTONIC` timestamp and the line's event sequence
//! number. The callback turns it into an [`Edge`] and hands it to an
//! [`EdgeSender`], which does not wait for the consumer. A gap in the sequence numbers means
//! the kernel's event buffer overflowed. It is reported as
//! [`EdgeError::EdgesLost`], in order with the edges.
//!
//! rppal sets the asynchronous interrupt up on the new thread and drops any
//! error there, so a kernel that rejects the request (a debounce it does
//! not support, a line another program holds) would leave the pin silent.
//! [`GpioEdgeSource::open`] therefore first requests the same interrupt
//! synchronously, where the error comes back, and releases it again. That
//! probe is also how kernel debounce is found out: when the kernel rejects
//! the debounce period, the pin is watched without it, and
//! [`InputInfo::kernel_debounce`] is `false` so that the caller debounces in
//! software.
//!
//! # Wiring
//!
//! Pins are BCM GPIO numbers, not header positions. The Pi's inputs take
//! 3.3 V at most: Wiegand readers drive their D0 and D1 lines at 5 V, so
//! they go through a level shifter. Buttons short an input to ground, with
//! the Pi's internal pull-up ([`Bias::PullUp`]) holding it high otherwise.
//! The service user needs the `gpio` group for `/dev/gpiochip*` and
//! `/dev/gpiomem`.

use std::time::Duration;

use rppal::gpio::{self as rpi, Gpio, InputPin, OutputPin, Trigger};

use crate::edge::{
    edge_channel, ChannelEdgeSource, Edge, EdgeError, EdgeSender, EdgeSource, Level,
};

/// Default capacity of the edge channel of one [`GpioEdgeSource`], in
/// edges: fifteen 34-bit Wiegand frames of 68 edges each, enough to ride out
/// a consumer that waits a few hundred milliseconds for a journal commit.
pub const DEFAULT_EDGE_CAPACITY: usize = 1024;

/// Errors of opening GPIO pins.
#[derive(Debug, thiserror::Error)]
pub enum GpioError {
    /// rppal could not identify a Raspberry Pi model.
    #[error("failed to open GPIO pin {pin}: this machine is not a Raspberry Pi, or rppal cannot identify its model (run hallbox on a Raspberry Pi, or remove the GPIO devices from the configuration)")]
    NotRaspberryPi {
        /// BCM number of the pin that was being opened.
        pin: u8,
    },

    /// The GPIO device files are not accessible to this user.
    #[error("failed to open GPIO pin {pin}: permission denied on {path} (add the service user to the gpio group, e.g. `sudo usermod -aG gpio hallbox`, and restart the service)")]
    PermissionDenied {
        /// BCM number of the pin that was being opened.
        pin: u8,
        /// Device file that could not be opened.
        path: String,
    },

    /// The Pi has no GPIO with this number.
    #[error("failed to open GPIO pin {pin}: this Raspberry Pi has no such GPIO (use a BCM GPIO number of the 40-pin header, 2 to 27)")]
    PinNotAvailable {
        /// BCM number of the pin.
        pin: u8,
    },

    /// Another device of this program already uses the pin.
    #[error("failed to open GPIO pin {pin}: the pin is already in use by another device of this box (give each device its own pins)")]
    PinInUse {
        /// BCM number of the pin.
        pin: u8,
    },

    /// The kernel rejected the interrupt request for the pin.
    #[error("failed to watch GPIO pin {pin} for edges: {source} (check that no other program, such as pigpiod or a device-tree overlay, holds the pin)")]
    Interrupt {
        /// BCM number of the pin.
        pin: u8,
        /// rppal's error.
        #[source]
        source: rpi::Error,
    },

    /// Any other failure to open the pin.
    #[error("failed to open GPIO pin {pin}: {source}")]
    Other {
        /// BCM number of the pin.
        pin: u8,
        /// rppal's error.
        #[source]
        source: rpi::Error,
    },
}

impl GpioError {
    /// Returns the BCM number of the pin the error is about.
    pub fn pin(&self) -> u8 {
        match self {
            GpioError::NotRaspberryPi { pin }
            | GpioError::PermissionDenied { pin, .. }
            | GpioError::PinNotAvailable { pin }
            | GpioError::PinInUse { pin }
            | GpioError::Interrupt { pin, .. }
            | GpioError::Other { pin, .. } => *pin,
        }
    }

    fn from_rppal(pin: u8, error: rpi::Error) -> GpioError {
        match error {
            rpi::Error::UnknownModel => GpioError::NotRaspberryPi { pin },
            rpi::Error::PermissionDenied(path) => GpioError::PermissionDenied { pin, path },
            rpi::Error::PinNotAvailable(_) => GpioError::PinNotAvailable { pin },
            rpi::Error::PinUsed(_) => GpioError::PinInUse { pin },
            source => GpioError::Other { pin, source },
        }
    }
}

/// Internal resistor of an input pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bias {
    /// No internal resistor: the circuit sets the idle level.
    Off,
    /// Pull-up to 3.3 V: the line idles high, for a button to ground.
    PullUp,
    /// Pull-down to ground: the line idles low, for a button to 3.3 V.
    PullDown,
}

/// One input pin to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputRequest {
    /// BCM GPIO number; it becomes [`Edge::line`].
    pub pin: u8,
    /// Internal resistor.
    pub bias: Bias,
    /// Debounce period to ask of the kernel, or `None` for every edge.
    /// Never set it on Wiegand lines, whose pulses are shorter than any
    /// debounce period.
    pub debounce: Option<Duration>,
}

/// State of one watched input pin after opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputInfo {
    /// BCM GPIO number.
    pub pin: u8,
    /// Level read once the pin was set up, before any edge.
    pub level: Level,
    /// Whether the kernel debounces the pin. `false` when no debounce was
    /// requested or the kernel rejected it.
    pub kernel_debounce: bool,
}

/// Edges of a group of input pins, delivered by rppal interrupts.
///
/// Dropping the source clears the interrupts and releases the pins.
#[derive(Debug)]
pub struct GpioEdgeSource {
    /// Kept so that the interrupts stay set up.
    _pins: Vec<InputPin>,
    info: Vec<InputInfo>,
    edges: ChannelEdgeSource,
}

impl GpioEdgeSource {
    /// Opens and watches every pin of `requests`, with an edge channel of
    /// `capacity` edges.
    ///
    /// # Errors
    ///
    /// The first [`GpioError`], naming its pin. Pins opened before it are
    /// released again.
    pub fn open(requests: &[InputRequest], capacity: usize) -> Result<GpioEdgeSource, GpioError> {
        let first_pin = requests.first().map_or(0, |request| request.pin);
        let gpio = Gpio::new().map_err(|error| GpioError::from_rppal(first_pin, error))?;
        let (sender, edges) = edge_channel(capacity);

        let mut pins = Vec::with_capacity(requests.len());
        let mut info = Vec::with_capacity(requests.len());
        for request in requests {
            let pin = gpio
                .get(request.pin)
                .map_err(|error| GpioError::from_rppal(request.pin, error))?;
            let mut input = match request.bias {
                Bias::Off => pin.into_input(),
                Bias::PullUp => pin.into_input_pullup(),
                Bias::PullDown => pin.into_input_pulldown(),
            };
            let level = from_rppal_level(input.read());
            let kernel_debounce = watch(&mut input, request, &sender)?;
            pins.push(input);
            info.push(InputInfo {
                pin: request.pin,
                level,
                kernel_debounce,
            });
        }

        // From here on only the interrupt callbacks hold senders, so the
        // channel closes when every interrupt thread has stopped.
        drop(sender);
        Ok(GpioEdgeSource {
            _pins: pins,
            info,
            edges,
        })
    }

    /// Returns the state of each pin after opening, in request order.
    pub fn inputs(&self) -> &[InputInfo] {
        &self.info
    }
}

impl EdgeSource for GpioEdgeSource {
    async fn next_edge(&mut self) -> Result<Edge, EdgeError> {
        self.edges.next_edge().await
    }
}

/// Sets up the interrupt of one pin and returns whether the kernel
/// debounces it.
fn watch(
    input: &mut InputPin,
    request: &InputRequest,
    sender: &EdgeSender,
) -> Result<bool, GpioError> {
    let pin = request.pin;

    // Probe synchronously: the asynchronous set-up drops its errors.
    let mut debounce = request.debounce;
    if let Some(period) = debounce {
        if let Err(error) = input.set_interrupt(Trigger::Both, Some(period)) {
            tracing::info!(pin, error = %error, "kernel debounce unavailable; debouncing in software");
            debounce = None;
        }
    }
    if debounce.is_none() {
        input
            .set_interrupt(Trigger::Both, None)
            .map_err(|source| GpioError::Interrupt { pin, source })?;
    }

    // set_async_interrupt clears the probe's synchronous interrupt first.
    input
        .set_async_interrupt(Trigger::Both, debounce, edge_callback(pin, sender.clone()))
        .map_err(|source| GpioError::Interrupt { pin, source })?;
    Ok(debounce.is_some())
}

/// Builds the interrupt callback of one pin: each kernel event becomes an
/// [`Edge`] on `line`, and a gap in the event sequence numbers a loss.
fn edge_callback(line: u8, sender: EdgeSender) -> impl FnMut(rpi::Event) + Send + 'static {
    let mut sequence = SequenceCheck::default();
    move |event: rpi::Event| {
        let missed = sequence.missed_before(event.seqno);
        if missed > 0 {
            sender.report_lost(missed, event.timestamp);
        }
        let level = match event.trigger {
            Trigger::RisingEdge => Level::High,
            Trigger::FallingEdge => Level::Low,
            Trigger::Both | Trigger::Disabled => return,
        };
        // A full channel counts the dropped edge and reports it to the
        // consumer in order. A closed one means the consumer stopped, and
        // dropping the source ends this thread.
        let _ = sender.send(Edge {
            line,
            level,
            timestamp: event.timestamp,
        });
    }
}

/// Finds gaps in a line's kernel event sequence numbers, which count up by
/// one from 1 for each event on the line.
#[derive(Debug, Default)]
struct SequenceCheck {
    last: Option<u32>,
}

impl SequenceCheck {
    /// Returns the number of events missing before `seqno`.
    fn missed_before(&mut self, seqno: u32) -> u64 {
        let missed = match self.last {
            // A number that does not move forward (the line was requested
            // again and counts from 1) restarts the count without a loss.
            Some(last) if seqno > last => u64::from(seqno - last - 1),
            _ => 0,
        };
        self.last = Some(seqno);
        missed
    }
}

fn from_rppal_level(level: rpi::Level) -> Level {
    match level {
        rpi::Level::Low => Level::Low,
        rpi::Level::High => Level::High,
    }
}

/// An output line that can be driven high or low: a GPIO output pin, or a
/// recording stand-in in tests.
pub trait OutputLine: Send + 'static {
    /// Drives the line to `level`.
    fn set_level(&mut self, level: Level);
}

/// A GPIO output pin. Dropping it returns the pin to an input.
#[derive(Debug)]
pub struct GpioOutput {
    pin: OutputPin,
}

impl GpioOutput {
    /// Opens `pin` as an output driven to `initial` at once.
    ///
    /// # Errors
    ///
    /// A [`GpioError`] naming the pin.
    pub fn open(pin: u8, initial: Level) -> Result<GpioOutput, GpioError> {
        let gpio = Gpio::new().map_err(|error| GpioError::from_rppal(pin, error))?;
        let raw = gpio
            .get(pin)
            .map_err(|error| GpioError::from_rppal(pin, error))?;
        let output = match initial {
            Level::Low => raw.into_output_low(),
            Level::High => raw.into_output_high(),
        };
        Ok(GpioOutput { pin: output })
    }
}

impl OutputLine for GpioOutput {
    fn set_level(&mut self, level: Level) {
        match level {
            Level::Low => self.pin.set_low(),
            Level::High => self.pin.set_high(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_gap_counts_missed() {
        let mut check = SequenceCheck::default();
        assert_eq!(check.missed_before(1), 0);
        assert_eq!(check.missed_before(2), 0);
        // Events 3 to 6 were dropped by the kernel.
        assert_eq!(check.missed_before(7), 4);
        assert_eq!(check.missed_before(8), 0);
    }

    #[test]
    fn sequence_restart_not_a_loss() {
        let mut check = SequenceCheck::default();
        assert_eq!(check.missed_before(40), 0);
        assert_eq!(check.missed_before(1), 0);
        assert_eq!(check.missed_before(1), 0);
        assert_eq!(check.missed_before(3), 1);
    }

    #[test]
    fn rppal_errors_name_pin() {
        let error = GpioError::from_rppal(17, rpi::Error::UnknownModel);
        assert!(matches!(error, GpioError::NotRaspberryPi { pin: 17 }));
        assert_eq!(error.pin(), 17);

        let error =
            GpioError::from_rppal(5, rpi::Error::PermissionDenied("/dev/gpiomem".to_string()));
        assert_eq!(
            error.to_string(),
            "failed to open GPIO pin 5: permission denied on /dev/gpiomem (add the service user to the gpio group, e.g. `sudo usermod -aG gpio hallbox`, and restart the service)"
        );

        let error = GpioError::from_rppal(40, rpi::Error::PinNotAvailable(40));
        assert!(matches!(error, GpioError::PinNotAvailable { pin: 40 }));
        let error = GpioError::from_rppal(6, rpi::Error::PinUsed(6));
        assert!(matches!(error, GpioError::PinInUse { pin: 6 }));
    }
}

/// Tests on a Raspberry Pi with wired pins, run with
/// `cargo test -p hallbox-drivers --features hardware-tests`.
///
/// They need a jumper from BCM 20 (an output) to BCM 21 (an input) and a
/// service user in the `gpio` group.
#[cfg(all(test, feature = "hardware-tests"))]
mod hardware_tests {
    use super::*;

    /// Output pin of the loop-back jumper.
    const LOOP_OUT: u8 = 20;
    /// Input pin of the loop-back jumper.
    const LOOP_IN: u8 = 21;

    #[tokio::test]
    async fn loopback_delivers_both_edges() {
        let mut output = GpioOutput::open(LOOP_OUT, Level::High).expect("open the output pin");
        let request = InputRequest {
            pin: LOOP_IN,
            bias: Bias::Off,
            debounce: None,
        };
        let mut source =
            GpioEdgeSource::open(&[request], DEFAULT_EDGE_CAPACITY).expect("open the input pin");
        assert_eq!(source.inputs()[0].level, Level::High);

        output.set_level(Level::Low);
        tokio::time::sleep(Duration::from_millis(5)).await;
        output.set_level(Level::High);

        let wait = Duration::from_secs(1);
        let falling = tokio::time::timeout(wait, source.next_edge())
            .await
            .expect("falling edge within 1 s")
            .expect("an edge");
        let rising = tokio::time::timeout(wait, source.next_edge())
            .await
            .expect("rising edge within 1 s")
            .expect("an edge");
        assert_eq!((falling.line, falling.level), (LOOP_IN, Level::Low));
        assert_eq!((rising.line, rising.level), (LOOP_IN, Level::High));
        let width = rising.timestamp - falling.timestamp;
        assert!(
            width >= Duration::from_millis(4) && width < Duration::from_millis(50),
            "pulse of {width:?}, expected about 5 ms"
        );
    }
}
