//! Import of ZKTeco USB attendance exports into the journal.
//!
//! Each good line becomes a punch event; each bad line is rejected with its
//! line number and reason, and the import goes on. Punches are keyed by
//! device, PIN and the clock's own time, so importing the same file twice,
//! or a file that overlaps an earlier one, stores each punch once.

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use hallbox_drivers::attlog::{self, AttlogRecord, Layout, LineError, TimeLimits};
use serde::Serialize;

use crate::config::ImportSettings;
use crate::journal::{Appended, EventKind, Journal, JournalError, NewEvent};
use crate::time::local_to_utc;

/// Punches written per journal transaction. Large batches keep a million
/// line import fast; each batch commits on its own, so an import cut off by
/// a crash keeps the batches before it, and importing the file again
/// completes it without duplicates.
pub const BATCH_SIZE: usize = 10_000;

/// Rejected lines listed one by one in a summary; beyond this only the
/// count grows, so a garbage file cannot make a huge answer.
pub const MAX_LISTED_REJECTIONS: usize = 1_000;

/// A line that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub line: u64,
    pub reason: String,
}

/// What an import stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub device: String,
    /// Punches stored for the first time.
    pub imported: u64,
    /// Punches already in the journal, from an earlier import or live.
    pub duplicate: u64,
    /// Lines that were not punches.
    pub rejected: u64,
    /// The first [`MAX_LISTED_REJECTIONS`] rejected lines.
    pub rejections: Vec<Rejection>,
}

/// Errors that stop an import. Bad lines never do; they are counted.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("invalid device id '{0}': expected 1 to 64 ASCII letters, digits, '-', '_' or '.'")]
    InvalidDevice(String),
    #[error("failed to store punches from device '{device}' (lines up to {line} were read)")]
    Journal {
        device: String,
        line: u64,
        #[source]
        source: Box<JournalError>,
    },
}

/// Checks a device id given on the command line or in a request.
pub fn validate_device_id(device: &str) -> Result<(), ImportError> {
    let valid = (1..=64).contains(&device.len())
        && device
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(ImportError::InvalidDevice(device.to_string()))
    }
}

/// The punch times an import accepts, given the box's current time.
pub fn time_limits(settings: &ImportSettings, zone: Tz, now: DateTime<Utc>) -> TimeLimits {
    let earliest = settings
        .earliest
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists");
    let latest = crate::time::utc_to_local(zone, now) + settings.max_future;
    TimeLimits { earliest, latest }
}

/// Imports an export's bytes as punches of `device`.
pub fn import_attlog(
    journal: &mut Journal,
    bytes: &[u8],
    device: &str,
    limits: &TimeLimits,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<ImportSummary, ImportError> {
    validate_device_id(device)?;
    let mut summary = ImportSummary {
        device: device.to_string(),
        ..ImportSummary::default()
    };
    let mut batch: Vec<NewEvent> = Vec::with_capacity(BATCH_SIZE);
    let mut last_line = 0;

    for (line, raw) in attlog::lines(bytes) {
        last_line = line;
        let event = raw.and_then(|raw| {
            let record = attlog::parse_line(raw, Layout::UsbExport, limits)?;
            punch_event(device, &record, raw, zone, now)
        });
        match event {
            Ok(event) => batch.push(event),
            Err(error) => reject(&mut summary, line, &error),
        }
        if batch.len() == BATCH_SIZE {
            store(journal, &mut batch, &mut summary, last_line)?;
        }
    }
    store(journal, &mut batch, &mut summary, last_line)?;

    tracing::info!(
        device,
        imported = summary.imported,
        duplicate = summary.duplicate,
        rejected = summary.rejected,
        "imported attendance export"
    );
    Ok(summary)
}

fn reject(summary: &mut ImportSummary, line: u64, error: &LineError) {
    summary.rejected += 1;
    // The first few go to the log; the summary lists the rest.
    if summary.rejected <= 20 {
        tracing::warn!(device = %summary.device, line, reason = %error, "rejected attendance line");
    }
    if summary.rejections.len() < MAX_LISTED_REJECTIONS {
        summary.rejections.push(Rejection {
            line,
            reason: error.to_string(),
        });
    }
}

fn store(
    journal: &mut Journal,
    batch: &mut Vec<NewEvent>,
    summary: &mut ImportSummary,
    line: u64,
) -> Result<(), ImportError> {
    if batch.is_empty() {
        return Ok(());
    }
    let outcomes = journal
        .append_batch(batch)
        .map_err(|source| ImportError::Journal {
            device: summary.device.clone(),
            line,
            source: Box::new(source),
        })?;
    for outcome in outcomes {
        match outcome {
            Appended::Stored { .. } => summary.imported += 1,
            Appended::Duplicate { .. } => summary.duplicate += 1,
        }
    }
    batch.clear();
    Ok(())
}

/// The idempotency key of a punch: the same punch read from a USB export,
/// a clock's serial line or its network push gets the same key.
pub fn punch_key(device: &str, pin: &str, local: NaiveDateTime) -> String {
    format!("punch:{device}:{pin}:{}", local.format("%Y-%m-%dT%H:%M:%S"))
}

fn punch_event(
    device: &str,
    record: &AttlogRecord,
    raw: &[u8],
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<NewEvent, LineError> {
    let Some(instant) = local_to_utc(zone, record.time) else {
        return Err(LineError::InvalidCalendarTime {
            text: record.time.to_string(),
        });
    };
    let payload = serde_json::json!({
        "pin": record.pin,
        "local_time": record.time.format("%Y-%m-%d %H:%M:%S").to_string(),
        "status": record.status.map(|s| s.code()),
        "verify": record.verify,
        "work_code": record.work_code,
        "clock_device_id": record.device_id,
        "source": "usb_export",
    });
    Ok(NewEvent {
        kind: EventKind::Punch,
        device_id: device.to_string(),
        idempotency_key: punch_key(device, &record.pin, record.time),
        device_time: Some(instant),
        received_at: now,
        subject: Some(record.pin.clone()),
        raw: raw.to_vec(),
        payload,
    })
}
