//! The state the listener keeps for each configured clock. It contains the
//! time and address of the last contact, whether the clock counts as
//! connected or lost, and the last stored stamp of each table. It also
//! contains how far the clock's time is off, counters of what it sent, and
//! the commands waiting for its next poll.

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hallbox_drivers::adms::{CommandKind, Stamps, Table};

use crate::config::AdmsClock;

/// Most results of sent commands remembered per clock, so the log can name
/// the command a result belongs to. Older entries are dropped.
const MAX_SENT_COMMANDS: usize = 64;

/// Most commands waiting for one clock. A clock that never polls cannot
/// make the queue grow without bound.
pub const MAX_QUEUED_COMMANDS: usize = 32;

/// Whether a clock counts as reachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// No request since the daemon started, and no status in the journal.
    Unknown,
    /// The clock made contact within the lost-after time.
    Connected,
    /// The clock has been silent for longer than the lost-after time.
    Lost,
}

impl Link {
    /// Returns the `state` value of the clock's device-status events.
    pub fn as_str(self) -> &'static str {
        match self {
            Link::Unknown => "unknown",
            Link::Connected => "connected",
            Link::Lost => "lost",
        }
    }
}

/// The clock's time compared with the box's, from its newest punch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkewReading {
    /// The box's local time minus the clock's local time of the newest punch
    /// in the batch, in seconds: positive when the clock is behind, or when
    /// the batch is a backlog uploaded late.
    pub seconds: i64,
    /// Whether the magnitude exceeds the configured limit.
    pub flagged: bool,
    /// When the batch arrived.
    pub at: DateTime<Utc>,
}

/// Counters of one clock since the daemon started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClockCounters {
    /// Requests from this clock, of every kind.
    pub requests: u64,
    /// Punches stored for the first time.
    pub punches_stored: u64,
    /// Punches the journal already held (a resent batch).
    pub punches_duplicate: u64,
    /// Lines not stored, by reason code (see `RejectReason::code`).
    pub rejected_lines: BTreeMap<&'static str, u64>,
    /// Bodies rejected for their size.
    pub oversized_bodies: u64,
    /// Batches that failed to commit and got no `OK`.
    pub failed_commits: u64,
}

/// A command waiting for the clock's next poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueuedAction {
    /// Set the clock to the box's local time at the moment the command is
    /// sent, not when it was queued.
    SetTimeNow,
    /// Any other command.
    Command(CommandKind),
}

/// A queued command with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedCommand {
    /// Id sent as `C:<id>:` and echoed in the result.
    pub id: u32,
    /// Action the clock is to take.
    pub action: QueuedAction,
}

/// A snapshot of one clock, for status pages and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockStatus {
    /// Device id from the configuration.
    pub id: String,
    /// Serial number from the configuration.
    pub serial_number: String,
    /// Name from the configuration.
    pub name: Option<String>,
    /// Connected, lost or unknown.
    pub link: Link,
    /// Time since the clock's last request; `None` before the first one.
    pub silent_for: Option<Duration>,
    /// Address of the clock's last request.
    pub address: Option<IpAddr>,
    /// Last stored stamp of each table.
    pub stamps: Stamps,
    /// The clock's time against the box's, from the last punch batch.
    pub skew: Option<SkewReading>,
    /// Commands waiting for the next poll.
    pub queued_commands: usize,
    /// Counters since the daemon started.
    pub counters: ClockCounters,
}

/// The mutable part of a clock, behind [`Clock::state`].
#[derive(Debug)]
pub struct ClockState {
    /// Time of the last request, or the daemon's start before the first.
    pub last_contact: Instant,
    /// Whether any request came since the daemon started.
    pub contacted: bool,
    /// Address of the last request.
    pub address: Option<IpAddr>,
    /// Connected, lost or unknown.
    pub link: Link,
    /// Last stored stamp of each table.
    pub stamps: Stamps,
    /// The clock's time against the box's, from the last punch batch.
    pub skew: Option<SkewReading>,
    /// When a time-setting command was last queued.
    pub set_time_queued_at: Option<Instant>,
    /// Commands waiting for the next poll, oldest first.
    pub queue: VecDeque<QueuedCommand>,
    /// Commands sent and not yet reported, by id, with their text.
    pub sent: BTreeMap<u32, String>,
    /// Counters since the daemon started.
    pub counters: ClockCounters,
}

impl ClockState {
    /// Returns the stored stamp of `table`, for the three tables with a
    /// stamp in the handshake.
    pub fn stamp(&self, table: &Table) -> Option<u64> {
        match table {
            Table::AttLog => Some(self.stamps.attlog),
            Table::OperLog => Some(self.stamps.operlog),
            Table::AttPhoto => Some(self.stamps.attphoto),
            Table::Other(_) => None,
        }
    }

    /// Records the stamp of a committed batch of `table`.
    pub fn set_stamp(&mut self, table: &Table, stamp: u64) {
        match table {
            Table::AttLog => self.stamps.attlog = stamp,
            Table::OperLog => self.stamps.operlog = stamp,
            Table::AttPhoto => self.stamps.attphoto = stamp,
            Table::Other(_) => {}
        }
    }

    /// Remembers a sent command until its result arrives.
    pub fn remember_sent(&mut self, id: u32, text: String) {
        self.sent.insert(id, text);
        while self.sent.len() > MAX_SENT_COMMANDS {
            self.sent.pop_first();
        }
    }

    /// Adds one rejected line with reason `code` to the counters.
    pub fn count_rejection(&mut self, code: &'static str) {
        *self.counters.rejected_lines.entry(code).or_default() += 1;
    }
}

/// One configured clock and its state.
#[derive(Debug)]
pub struct Clock {
    /// The `[[adms.clock]]` entry.
    pub config: AdmsClock,
    state: Mutex<ClockState>,
    /// Held while a batch commits and its stamp is recorded, so stamps are
    /// recorded in the order the batches commit.
    pub upload_turn: tokio::sync::Mutex<()>,
    /// Held while a change of link state is decided and journaled, so the
    /// device-status events of one clock are journaled in order.
    pub link_turn: tokio::sync::Mutex<()>,
}

impl Clock {
    /// Creates the state of a clock with what the journal held: its stamps
    /// and its last link state.
    pub fn new(config: AdmsClock, stamps: Stamps, link: Link, started: Instant) -> Clock {
        Clock {
            config,
            state: Mutex::new(ClockState {
                last_contact: started,
                contacted: false,
                address: None,
                link,
                stamps,
                skew: None,
                set_time_queued_at: None,
                queue: VecDeque::new(),
                sent: BTreeMap::new(),
                counters: ClockCounters::default(),
            }),
            upload_turn: tokio::sync::Mutex::new(()),
            link_turn: tokio::sync::Mutex::new(()),
        }
    }

    /// Locks the clock's state. The lock is held only for short steps
    /// without awaits. A panic while it was held leaves plain counters, so a
    /// poisoned lock is used as it is.
    pub fn state(&self) -> MutexGuard<'_, ClockState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Returns a snapshot of the clock.
    pub fn status(&self, now: Instant) -> ClockStatus {
        let state = self.state();
        ClockStatus {
            id: self.config.id.clone(),
            serial_number: self.config.serial_number.to_string(),
            name: self.config.name.clone(),
            link: state.link,
            silent_for: state
                .contacted
                .then(|| now.saturating_duration_since(state.last_contact)),
            address: state.address,
            stamps: state.stamps,
            skew: state.skew,
            queued_commands: state.queue.len(),
            counters: state.counters.clone(),
        }
    }
}
