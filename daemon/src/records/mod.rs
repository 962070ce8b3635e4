//! Records the bureau makes through the API to clear late, early or
//! missing punches: write-offs and leave, clock outages and patrol punches.
//! Also the audit trail of every change.
//!
//! Records are append-only journal events, like the punches. Their current
//! state is the fold of their events, read afresh for every report, so a
//! record registered after a month was first reported changes the next
//! report of that month: nothing is frozen by a job that ran earlier.
//!
//! [`Records::load`] reads them all; [`Records::covers`] turns the ones in
//! force into the rules' [`Covers`].

pub mod audit;
pub mod input;
pub mod leave;
pub mod outage;
pub mod patrol;
pub mod writeoff;

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

use crate::calendar::Calendar;
use crate::journal::{EventKind, Journal, JournalError, JournalReader, StoredEvent};
use crate::rules::Covers;

pub use input::FieldError;
pub use outage::Outage;
pub use patrol::Patrol;
pub use writeoff::{WriteOff, WriteOffStatus, WriteOffView};

/// Errors reading or writing records.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error("failed to read or write records in the journal")]
    Journal(#[from] JournalError),
    #[error("invalid {kind} event {seq} in the journal: {reason} (run `hallbox verify` to check the file)")]
    InvalidRecord {
        seq: i64,
        kind: EventKind,
        reason: String,
    },
    #[error("failed to encode a record as JSON")]
    Encode(#[source] serde_json::Error),
    #[error("local time {time} does not exist in time zone {zone}")]
    LocalTime { time: NaiveDateTime, zone: String },
    #[error("failed to make a record key: {0}")]
    Random(String),
}

impl RecordsError {
    /// Builds the error of an event whose payload is not the record its kind
    /// promises.
    pub fn invalid(event: &StoredEvent, reason: String) -> RecordsError {
        RecordsError::InvalidRecord {
            seq: event.seq,
            kind: event.kind,
            reason,
        }
    }
}

/// Reasons a request to change a record cannot be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A field is missing or invalid: a 422.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The record's state does not allow the change: a 409.
    #[error("{0}")]
    Conflict(String),
}

/// A connection the records can be read through: the API's writer, so that
/// a check and the append that follows it see the same state, or a reader.
pub trait RecordSource {
    /// Returns every event of `kind` in sequence order.
    fn all_of_kind(&self, kind: EventKind) -> Result<Vec<StoredEvent>, JournalError>;
}

impl RecordSource for Journal {
    fn all_of_kind(&self, kind: EventKind) -> Result<Vec<StoredEvent>, JournalError> {
        self.kind_events_after(kind, 0, usize::MAX)
    }
}

impl RecordSource for JournalReader {
    fn all_of_kind(&self, kind: EventKind) -> Result<Vec<StoredEvent>, JournalError> {
        self.kind_events_after(kind, 0, usize::MAX)
    }
}

/// Every write-off, outage and patrol punch in the journal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records {
    /// In the order of registration.
    pub write_offs: Vec<WriteOff>,
    /// In the order they were opened.
    pub outages: Vec<Outage>,
    /// In the order recorded.
    pub patrols: Vec<Patrol>,
}

impl Records {
    /// Reads every record. Device-status events of the devices for which
    /// `is_clock` returns true open and close outages.
    pub fn load(
        source: &impl RecordSource,
        zone: Tz,
        is_clock: &dyn Fn(&str) -> bool,
    ) -> Result<Records, RecordsError> {
        Ok(Records {
            write_offs: load_write_offs(source)?,
            outages: load_outages(source, zone, is_clock)?,
            patrols: patrol::assemble(&source.all_of_kind(EventKind::Patrol)?)?,
        })
    }

    /// Returns the covers the rules apply as of the local instant `as_of`:
    /// the write-offs in force, every outage and every patrol punch.
    pub fn covers(&self, calendar: &Calendar, as_of: NaiveDateTime) -> Covers {
        Covers {
            write_offs: self
                .write_offs
                .iter()
                .filter(|write_off| write_off.status(calendar, as_of).in_force())
                .map(WriteOff::span)
                .collect(),
            outages: self.outages.iter().map(Outage::span).collect(),
            patrols: self.patrols.iter().map(Patrol::punch).collect(),
        }
    }

    /// Returns the records that touch the days from `first` to `last`.
    pub fn between(&self, first: NaiveDate, last: NaiveDate) -> Records {
        let from = first.and_hms_opt(0, 0, 0).unwrap_or_default();
        let to = last
            .succ_opt()
            .unwrap_or(last)
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default();
        Records {
            write_offs: self
                .write_offs
                .iter()
                .filter(|write_off| write_off.overlaps(first, last))
                .cloned()
                .collect(),
            outages: self
                .outages
                .iter()
                .filter(|outage| outage.overlaps(from, to))
                .cloned()
                .collect(),
            patrols: self
                .patrols
                .iter()
                .filter(|patrol| patrol.within(first, last))
                .cloned()
                .collect(),
        }
    }
}

/// Reads every write-off.
pub fn load_write_offs(source: &impl RecordSource) -> Result<Vec<WriteOff>, RecordsError> {
    writeoff::assemble(&source.all_of_kind(EventKind::WriteOff)?)
}

/// Reads every outage.
pub fn load_outages(
    source: &impl RecordSource,
    zone: Tz,
    is_clock: &dyn Fn(&str) -> bool,
) -> Result<Vec<Outage>, RecordsError> {
    outage::assemble(
        &source.all_of_kind(EventKind::DeviceStatus)?,
        zone,
        is_clock,
    )
}

#[cfg(test)]
mod tests;
