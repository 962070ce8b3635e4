//! Polling state machine: finger detection, search and LED feedback,
//! without I/O or clocks.
//!
//! The caller owns the serial port, the decoder and the timers. It feeds
//! [`Event`]s to [`Poller::handle`] and carries out the returned
//! [`Action`]s in order:
//!
//! - [`Action::Send`]: write the frame, then start a timer of `ack_timeout`.
//!   Deliver [`Event::AckReceived`] for the next decoded packet,
//!   [`Event::AckGarbled`] when the decoder rejects a frame, or
//!   [`Event::TimedOut`] when the timer fires first.
//! - [`Action::Wait`]: sleep for the duration, then deliver [`Event::Tick`].
//! - [`Action::DiscardInput`]: drop every buffered received byte
//!   ([`Decoder::discard_buffered`](crate::fingerprint::packet::Decoder::discard_buffered)).
//! - [`Action::Matched`]: record the punch, then deliver [`Event::Committed`]
//!   or [`Event::CommitFailed`]. The poller sends nothing until then.
//! - the other actions report outcomes to log or show.
//!
//! The cycle: GenImg until a finger is present, Img2Tz into buffer 1,
//! Search over the configured page range, then LED feedback, then GenImg
//! until the finger has been lifted, so one touch gives at most one match.
//!
//! The protocol is half-duplex and an acknowledge does not name the
//! command it replies to, so the poller keeps at most one command
//! outstanding and takes the next packet as its reply.

use std::collections::VecDeque;
use std::time::Duration;

use super::code::ConfirmationCode;
use super::command::{Ack, Command, SystemParameters, SEARCH_BUFFER};
use super::config::{LedKind, PollerConfig};
use super::packet::Packet;

/// Input to the poller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Start, or restart from the beginning after a stop.
    Start,
    /// The wait requested by [`Action::Wait`] has elapsed.
    Tick,
    /// A packet was decoded while a command was outstanding.
    AckReceived(Packet),
    /// The decoder rejected a frame while a command was outstanding.
    AckGarbled,
    /// No acknowledge arrived within the `ack_timeout` of the last send.
    TimedOut,
    /// The punch reported by [`Action::Matched`] is stored.
    Committed,
    /// Storing the punch reported by [`Action::Matched`] failed.
    CommitFailed,
}

/// Reason a touch produced no match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// The fingerprint is not in the searched page range.
    NotFound,
    /// The image could not be used, for the cause the code gives, so the
    /// person should place the finger again.
    PoorImage(ConfirmationCode),
    /// The module reported another error for this touch.
    Module(ConfirmationCode),
}

/// Output of the poller, to be carried out in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write `frame` to the port and expect an acknowledge within `ack_timeout`.
    Send {
        /// Encoded command packet.
        frame: Vec<u8>,
        /// The command, for logging.
        command: Command,
        /// Time to wait for the acknowledge.
        ack_timeout: Duration,
    },
    /// Drop every buffered received byte before the next send.
    DiscardInput,
    /// Sleep this long, then deliver [`Event::Tick`].
    Wait(Duration),
    /// The module returned its system parameters, and polling starts.
    Ready(SystemParameters),
    /// A finger matched the template at `page_id`. Deliver
    /// [`Event::Committed`] or [`Event::CommitFailed`] next.
    Matched {
        /// Library page of the matching template.
        page_id: u16,
        /// Match score reported by the module.
        score: u16,
    },
    /// A touch produced no match; the failure LED signal follows.
    Rejected {
        /// Why.
        reason: Rejection,
    },
    /// The module replied to `command` with an error code outside the
    /// expected outcomes. The exchange counts as failed and is retried,
    /// except for LED commands, which are skipped.
    Fault {
        /// Command that failed.
        command: Command,
        /// Code returned.
        code: ConfirmationCode,
    },
    /// More than `max_retries` consecutive exchanges failed; the poller has
    /// stopped until [`Event::Start`].
    Unresponsive {
        /// Consecutive failed exchanges.
        failures: u32,
    },
    /// The module returned a code that retrying cannot fix, such as a wrong
    /// password, or a password request when none is configured. The poller
    /// has stopped until [`Event::Start`].
    Halted {
        /// Code returned.
        code: ConfirmationCode,
    },
}

/// Stage of the polling cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Built, not started.
    Idle,
    /// VfyPwd outstanding.
    Verifying,
    /// ReadSysPara outstanding.
    ReadingParameters,
    /// GenImg polling for a finger.
    Polling,
    /// Img2Tz outstanding.
    Extracting,
    /// Search outstanding.
    Searching,
    /// Matched; waiting for the caller to commit the punch.
    AwaitingCommit,
    /// Sending the LED signal.
    Signalling,
    /// GenImg polling until the finger is lifted.
    WaitingForLift,
    /// Stopped after [`Action::Unresponsive`] or [`Action::Halted`].
    Stopped,
}

/// One step of an LED signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LedStep {
    Send(Command),
    Pause(Duration),
}

/// The polling state machine. See the module documentation for the
/// contract between the poller and its caller.
#[derive(Debug, Clone)]
pub struct Poller {
    config: PollerConfig,
    phase: Phase,
    /// Command sent and not yet acknowledged.
    outstanding: Option<Command>,
    /// Set while an [`Action::Wait`] is pending.
    waiting: bool,
    /// Command to send on the next tick; `None` during an LED pause.
    on_tick: Option<Command>,
    /// The next send repeats a failed exchange, so stale input is discarded first.
    retrying: bool,
    failures: u32,
    led_steps: VecDeque<LedStep>,
    lift_clear: u32,
    search_count: u16,
    parameters: Option<SystemParameters>,
}

impl Poller {
    /// Builds an idle poller; [`Event::Start`] begins polling.
    pub fn new(config: PollerConfig) -> Self {
        let search_count = config.search_count.unwrap_or(0);
        Self {
            config,
            phase: Phase::Idle,
            outstanding: None,
            waiting: false,
            on_tick: None,
            retrying: false,
            failures: 0,
            led_steps: VecDeque::new(),
            lift_clear: 0,
            search_count,
            parameters: None,
        }
    }

    /// Processes one event and returns the actions to carry out in order.
    /// Events that do not apply to the current phase return no actions.
    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        match event {
            Event::Start => self.start(),
            Event::Tick => self.tick(),
            Event::AckReceived(packet) => self.acknowledge(&packet),
            Event::AckGarbled | Event::TimedOut => match self.outstanding.take() {
                Some(command) => self.fail(command),
                None => Vec::new(),
            },
            Event::Committed => self.commit_outcome(true),
            Event::CommitFailed => self.commit_outcome(false),
        }
    }

    /// Current stage of the cycle.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Consecutive failed exchanges so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Parameters read at start, once the module has acknowledged ReadSysPara.
    pub fn parameters(&self) -> Option<&SystemParameters> {
        self.parameters.as_ref()
    }

    /// Pages each search covers; known after [`Action::Ready`] unless configured.
    pub fn search_count(&self) -> u16 {
        self.search_count
    }

    /// Configuration in use.
    pub fn config(&self) -> &PollerConfig {
        &self.config
    }

    fn start(&mut self) -> Vec<Action> {
        self.outstanding = None;
        self.waiting = false;
        self.on_tick = None;
        self.retrying = false;
        self.failures = 0;
        self.led_steps.clear();
        self.lift_clear = 0;
        self.parameters = None;

        let mut actions = vec![Action::DiscardInput];
        actions.push(self.begin_session());
        actions
    }

    /// Sends VfyPwd when a password is configured, else ReadSysPara.
    fn begin_session(&mut self) -> Action {
        match self.config.password {
            Some(password) => {
                self.phase = Phase::Verifying;
                self.send(Command::VfyPwd { password })
            }
            None => {
                self.phase = Phase::ReadingParameters;
                self.send(Command::ReadSysPara)
            }
        }
    }

    fn tick(&mut self) -> Vec<Action> {
        if !self.waiting {
            return Vec::new();
        }
        self.waiting = false;

        let Some(command) = self.on_tick.take() else {
            return self.next_led_step();
        };
        let mut actions = Vec::new();
        if std::mem::take(&mut self.retrying) {
            actions.push(Action::DiscardInput);
        }
        actions.push(self.send(command));
        actions
    }

    fn acknowledge(&mut self, packet: &Packet) -> Vec<Action> {
        let Some(command) = self.outstanding.take() else {
            // Nothing outstanding: a late or unsolicited packet.
            return Vec::new();
        };
        let ack = match Ack::parse(&command, packet) {
            Ok(ack) => ack,
            Err(_) => return self.fail(command),
        };
        let code = ack.code();
        if code == ConfirmationCode::PacketReceiveError {
            // The module received our command damaged: resend it.
            return self.fail(command);
        }

        match self.phase {
            Phase::Verifying => self.on_verify(command, code),
            Phase::ReadingParameters => self.on_parameters(command, ack),
            Phase::Polling => self.on_poll(command, code),
            Phase::Extracting => self.on_extract(code),
            Phase::Searching => self.on_search(ack),
            Phase::Signalling => self.on_led(command, code),
            Phase::WaitingForLift => self.on_lift_check(command, code),
            Phase::Idle | Phase::AwaitingCommit | Phase::Stopped => Vec::new(),
        }
    }

    fn on_verify(&mut self, command: Command, code: ConfirmationCode) -> Vec<Action> {
        match code {
            ConfirmationCode::Ok => {
                self.healthy();
                self.phase = Phase::ReadingParameters;
                vec![self.send(Command::ReadSysPara)]
            }
            ConfirmationCode::WrongPassword => self.halt(code),
            _ => self.fault(command, code),
        }
    }

    fn on_parameters(&mut self, command: Command, ack: Ack) -> Vec<Action> {
        let code = ack.code();
        match ack {
            Ack::ReadSysPara {
                code: ConfirmationCode::Ok,
                parameters: Some(parameters),
            } => {
                self.healthy();
                self.parameters = Some(parameters);
                self.search_count = self.config.search_count.unwrap_or_else(|| {
                    parameters
                        .library_size
                        .saturating_sub(self.config.search_start)
                });
                self.phase = Phase::Polling;
                vec![Action::Ready(parameters), self.send(Command::GenImg)]
            }
            _ if code == ConfirmationCode::MustVerifyPassword => self.reverify(code),
            _ => self.fault(command, code),
        }
    }

    fn on_poll(&mut self, command: Command, code: ConfirmationCode) -> Vec<Action> {
        match code {
            ConfirmationCode::Ok => {
                self.healthy();
                self.phase = Phase::Extracting;
                vec![self.send(Command::Img2Tz {
                    buffer: SEARCH_BUFFER,
                })]
            }
            ConfirmationCode::NoFinger => {
                self.healthy();
                vec![self.wait(self.config.poll_interval, Command::GenImg)]
            }
            ConfirmationCode::MustVerifyPassword => self.reverify(code),
            _ if code.is_image_quality() => {
                self.healthy();
                self.reject(Rejection::PoorImage(code))
            }
            _ => self.fault(command, code),
        }
    }

    fn on_extract(&mut self, code: ConfirmationCode) -> Vec<Action> {
        self.healthy();
        match code {
            ConfirmationCode::Ok => {
                self.phase = Phase::Searching;
                vec![self.send(self.search_command())]
            }
            ConfirmationCode::MustVerifyPassword => self.reverify(code),
            _ if code.is_image_quality() => self.reject(Rejection::PoorImage(code)),
            _ => self.reject(Rejection::Module(code)),
        }
    }

    fn on_search(&mut self, ack: Ack) -> Vec<Action> {
        self.healthy();
        match ack {
            Ack::Search {
                code: ConfirmationCode::Ok,
                page_id,
                score,
            } => {
                self.phase = Phase::AwaitingCommit;
                vec![Action::Matched { page_id, score }]
            }
            _ => match ack.code() {
                ConfirmationCode::NotFound => self.reject(Rejection::NotFound),
                ConfirmationCode::MustVerifyPassword => {
                    self.reverify(ConfirmationCode::MustVerifyPassword)
                }
                code => self.reject(Rejection::Module(code)),
            },
        }
    }

    fn on_led(&mut self, command: Command, code: ConfirmationCode) -> Vec<Action> {
        // A reply arrived, so the link works even if the LED command failed.
        self.healthy();
        let mut actions = Vec::new();
        if code != ConfirmationCode::Ok {
            actions.push(Action::Fault { command, code });
        }
        actions.extend(self.next_led_step());
        actions
    }

    fn on_lift_check(&mut self, command: Command, code: ConfirmationCode) -> Vec<Action> {
        match code {
            ConfirmationCode::NoFinger => {
                self.healthy();
                self.lift_clear += 1;
                if self.lift_clear >= self.config.lift_checks {
                    self.phase = Phase::Polling;
                    vec![self.wait(self.config.poll_interval, Command::GenImg)]
                } else {
                    vec![self.wait(self.config.lift_poll_interval, Command::GenImg)]
                }
            }
            ConfirmationCode::MustVerifyPassword => self.reverify(code),
            _ if code == ConfirmationCode::Ok || code.is_image_quality() => {
                // A finger is still on the sensor.
                self.healthy();
                self.lift_clear = 0;
                vec![self.wait(self.config.lift_poll_interval, Command::GenImg)]
            }
            _ => self.fault(command, code),
        }
    }

    fn commit_outcome(&mut self, committed: bool) -> Vec<Action> {
        if self.phase != Phase::AwaitingCommit {
            return Vec::new();
        }
        self.signal(committed)
    }

    /// Reports a rejected touch, then signals failure.
    fn reject(&mut self, reason: Rejection) -> Vec<Action> {
        let mut actions = vec![Action::Rejected { reason }];
        actions.extend(self.signal(false));
        actions
    }

    /// Queues the LED signal for success or failure and starts it; without
    /// an LED, goes straight to waiting for the finger to lift.
    fn signal(&mut self, success: bool) -> Vec<Action> {
        self.led_steps = self.led_script(success);
        self.phase = Phase::Signalling;
        self.next_led_step()
    }

    fn led_script(&self, success: bool) -> VecDeque<LedStep> {
        let mut steps = VecDeque::new();
        match self.config.led {
            LedKind::None => {}
            LedKind::Aura => {
                let signal = if success {
                    self.config.aura_success
                } else {
                    self.config.aura_failure
                };
                steps.push_back(LedStep::Send(Command::AuraLedConfig(signal)));
            }
            LedKind::OnOff => {
                // One blink for success, three for failure.
                let blinks = if success { 1 } else { 3 };
                for blink in 0..blinks {
                    if blink > 0 {
                        steps.push_back(LedStep::Pause(self.config.blink));
                    }
                    steps.push_back(LedStep::Send(Command::LedOn));
                    steps.push_back(LedStep::Pause(self.config.blink));
                    steps.push_back(LedStep::Send(Command::LedOff));
                }
            }
        }
        steps
    }

    fn next_led_step(&mut self) -> Vec<Action> {
        match self.led_steps.pop_front() {
            Some(LedStep::Send(command)) => vec![self.send(command)],
            Some(LedStep::Pause(duration)) => {
                self.waiting = true;
                self.on_tick = None;
                vec![Action::Wait(duration)]
            }
            None => {
                self.phase = Phase::WaitingForLift;
                self.lift_clear = 0;
                vec![self.send(Command::GenImg)]
            }
        }
    }

    fn search_command(&self) -> Command {
        let (buffer, start_page, page_count) =
            (SEARCH_BUFFER, self.config.search_start, self.search_count);
        if self.config.high_speed_search {
            Command::HighSpeedSearch {
                buffer,
                start_page,
                page_count,
            }
        } else {
            Command::Search {
                buffer,
                start_page,
                page_count,
            }
        }
    }

    /// Verifies the password again after the module asked for it, then
    /// polls from the beginning; halts when no password is configured.
    fn reverify(&mut self, code: ConfirmationCode) -> Vec<Action> {
        match self.config.password {
            Some(password) => {
                self.healthy();
                self.phase = Phase::Verifying;
                vec![self.send(Command::VfyPwd { password })]
            }
            None => self.halt(code),
        }
    }

    fn halt(&mut self, code: ConfirmationCode) -> Vec<Action> {
        self.phase = Phase::Stopped;
        self.outstanding = None;
        self.waiting = false;
        vec![Action::Halted { code }]
    }

    /// Reports an unexpected code, then handles the exchange as failed.
    fn fault(&mut self, command: Command, code: ConfirmationCode) -> Vec<Action> {
        let mut actions = vec![Action::Fault { command, code }];
        actions.extend(self.fail(command));
        actions
    }

    /// Counts a failed exchange. Below the cap the command is resent after
    /// `retry_delay`; an LED command is skipped instead. Past the cap the
    /// poller stops.
    fn fail(&mut self, command: Command) -> Vec<Action> {
        self.failures += 1;
        if self.failures > self.config.max_retries {
            self.phase = Phase::Stopped;
            self.outstanding = None;
            self.waiting = false;
            return vec![Action::Unresponsive {
                failures: self.failures,
            }];
        }
        if self.phase == Phase::Signalling {
            return self.next_led_step();
        }
        self.retrying = true;
        vec![self.wait(self.config.retry_delay, command)]
    }

    fn healthy(&mut self) {
        self.failures = 0;
    }

    fn send(&mut self, command: Command) -> Action {
        self.outstanding = Some(command);
        self.waiting = false;
        let ack_timeout = match command {
            Command::Search { .. } | Command::HighSpeedSearch { .. } => self.config.search_timeout,
            _ => self.config.ack_timeout,
        };
        Action::Send {
            frame: command.encode(self.config.address),
            command,
            ack_timeout,
        }
    }

    fn wait(&mut self, duration: Duration, then: Command) -> Action {
        self.outstanding = None;
        self.waiting = true;
        self.on_tick = Some(then);
        Action::Wait(duration)
    }
}
