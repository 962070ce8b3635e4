//! Import of ZKTeco USB attendance exports into the journal.
//!
//! Each good line becomes a punch event; each bad line is rejected with its
//! line number and reason, and the import goes on. The whole file is one
//! journal transaction, so an import is stored whole or not at all. Punches
//! are keyed by device, PIN and the clock's own time, so importing the same
//! file twice, or a file that overlaps an earlier one, stores each punch
//! once.

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use hallbox_drivers::attlog::{self, AttlogRecord, Layout, LineError, TimeLimits};
use serde::Serialize;

use crate::config::{Config, DeviceKind, ImportSettings};
use crate::journal::{Appended, EventKind, Journal, JournalError, NewEvent};
use crate::time::local_to_utc;

/// Rejected lines listed one by one in a summary; beyond this only the
/// count grows, so a garbage file cannot make a huge response.
pub const MAX_LISTED_REJECTIONS: usize = 1_000;

/// A line that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub line: u64,
    pub reason: String,
}

/// Counts and rejected lines of one import.
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
    #[error("device '{device}' is not a configured clock and has no punches in the journal yet: check the spelling (configured clocks: {known}), or, for a clock that is not in the configuration, import again with the new-device option")]
    UnknownDevice { device: String, known: String },
    #[error("failed to store punches from device '{device}' (stopped at line {line}; nothing of this import was stored, so import the file again once the journal is fixed)")]
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

/// Returns the ids of the configured devices that take punches: serial
/// fingerprint modules and clock lines, Wiegand readers and network clocks.
pub fn clock_ids(config: &Config) -> Vec<&str> {
    let serial = config
        .devices
        .iter()
        .filter(|device| !matches!(device.kind, DeviceKind::Keypad(_)))
        .map(|device| device.id.as_str());
    let wiegand = config.gpio.wiegand.iter().map(|reader| reader.id.as_str());
    let network = config.adms.clocks.iter().map(|clock| clock.id.as_str());
    serial.chain(wiegand).chain(network).collect()
}

/// Checks that `device` names a clock of this box: a configured one, or
/// one whose punches are in the journal already. The journal is append-only,
/// so an export imported under a misspelt id would stay there for good.
/// `new_device` accepts any valid id, for a clock that is not configured.
pub fn check_known_device(
    config: &Config,
    journal: &Journal,
    device: &str,
    new_device: bool,
) -> Result<(), ImportError> {
    validate_device_id(device)?;
    let known = clock_ids(config);
    if new_device || known.contains(&device) {
        return Ok(());
    }
    let stored = journal
        .has_events_from(EventKind::Punch, device)
        .map_err(|source| ImportError::Journal {
            device: device.to_string(),
            line: 0,
            source: Box::new(source),
        })?;
    if stored {
        return Ok(());
    }
    Err(ImportError::UnknownDevice {
        device: device.to_string(),
        known: if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        },
    })
}

/// The punch times an import accepts, given the box's current time.
pub fn time_limits(settings: &ImportSettings, zone: Tz, now: DateTime<Utc>) -> TimeLimits {
    let earliest = settings
        .earliest
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists");
    let local_now = crate::time::utc_to_local(zone, now);
    let latest = local_now
        .checked_add_signed(settings.max_future)
        .unwrap_or(NaiveDateTime::MAX);
    TimeLimits { earliest, latest }
}

/// Imports an export's bytes as punches of `device`, in one transaction:
/// either every good line is stored (or found stored already), or, when
/// the journal fails, nothing is.
pub fn import_attlog(
    journal: &mut Journal,
    bytes: &[u8],
    device: &str,
    limits: &TimeLimits,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<ImportSummary, ImportError> {
    validate_device_id(device)?;
    let mut rejected = ImportSummary {
        device: device.to_string(),
        ..ImportSummary::default()
    };
    let mut last_line = 0;

    // Lines are parsed as the journal takes them, so a large export is
    // never held in memory as events.
    let events = attlog::lines(bytes).filter_map(|(line, raw)| {
        last_line = line;
        let event = raw.and_then(|raw| {
            let record = attlog::parse_line(raw, Layout::UsbExport, limits)?;
            punch_event(device, &record, raw, zone, now)
        });
        match event {
            Ok(event) => Some(event),
            Err(error) => {
                reject(&mut rejected, line, &error);
                None
            }
        }
    });

    let mut imported = 0;
    let mut duplicate = 0;
    let result = journal.append_all(events, |outcome| match outcome {
        Appended::Stored { .. } => imported += 1,
        Appended::Duplicate { .. } => duplicate += 1,
    });
    if let Err(source) = result {
        return Err(ImportError::Journal {
            device: device.to_string(),
            line: last_line,
            source: Box::new(source),
        });
    }

    let summary = ImportSummary {
        imported,
        duplicate,
        ..rejected
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use proptest::prelude::*;

    const ZONE: Tz = crate::time::DEFAULT_TIME_ZONE;

    fn limits() -> TimeLimits {
        TimeLimits {
            earliest: NaiveDate::from_ymd_opt(2010, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            latest: NaiveDate::from_ymd_opt(2026, 12, 5)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 2, 0, 0).unwrap()
    }

    fn journal() -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path().join("journal.sqlite")).unwrap();
        (dir, journal)
    }

    #[test]
    fn import_counts_every_line_kind() {
        let (_dir, mut journal) = journal();
        // Line by line:
        //  1  BOM, 6 columns, right-aligned PIN, CRLF        -> imported
        //  2  5 columns (no work code), LF                   -> imported
        //  3  blank                                          -> skipped
        //  4  4 columns                                      -> rejected
        //  5  clock reset to the year 2000                   -> rejected
        //  6  the year 2131                                  -> rejected
        //  7  February 30                                    -> rejected
        //  8  status 9                                       -> rejected
        //  9  letters in the PIN                             -> rejected
        // 10  the same punch as line 1 again                 -> duplicate
        // 11  trailing junk: NUL padding without a newline   -> rejected
        let bytes: &[u8] = b"\xEF\xBB\xBF     1080\t2026-11-02 08:29:59\t1\t0\t1\t0\r\n\
                1081\t2026-11-02 08:31:00\t1\t0\t15\n\
                \n\
                1082\t2026-11-02 08:00:00\t1\t0\n\
                1082\t2000-01-01 00:03:12\t1\t0\t1\t0\n\
                1082\t2131-05-06 08:00:00\t1\t0\t1\t0\n\
                1082\t2026-02-30 08:00:00\t1\t0\t1\t0\n\
                1082\t2026-11-02 08:00:00\t1\t9\t1\t0\n\
                10a2\t2026-11-02 08:00:00\t1\t0\t1\t0\n\
                1080\t2026-11-02 08:29:59\t1\t0\t1\t0\n\
                \0\0\0\0";
        let summary =
            import_attlog(&mut journal, bytes, "clock-1", &limits(), ZONE, now()).unwrap();
        assert_eq!(summary.imported, 2);
        assert_eq!(summary.duplicate, 1);
        assert_eq!(summary.rejected, 7);
        let lines: Vec<u64> = summary.rejections.iter().map(|r| r.line).collect();
        assert_eq!(lines, [4, 5, 6, 7, 8, 9, 11]);
        assert!(
            summary.rejections[0]
                .reason
                .contains("4 tab-separated columns"),
            "{:?}",
            summary.rejections[0]
        );
        assert!(
            summary.rejections[1].reason.contains("before the earliest"),
            "{:?}",
            summary.rejections[1]
        );
        assert!(
            summary.rejections[2].reason.contains("after the latest"),
            "{:?}",
            summary.rejections[2]
        );
        assert!(
            summary.rejections[3].reason.contains("no such date"),
            "{:?}",
            summary.rejections[3]
        );
        assert!(
            summary.rejections[4]
                .reason
                .to_lowercase()
                .contains("status"),
            "{:?}",
            summary.rejections[4]
        );
        assert!(
            summary.rejections[5].reason.contains("PIN"),
            "{:?}",
            summary.rejections[5]
        );
    }

    #[test]
    fn import_twice_stores_once() {
        let (_dir, mut journal) = journal();
        let bytes =
            b"1001\t2026-11-02 08:10:00\t1\t0\t1\t0\n1001\t2026-11-02 18:05:00\t1\t1\t1\t0\n";
        let first = import_attlog(&mut journal, bytes, "clock-1", &limits(), ZONE, now()).unwrap();
        let second = import_attlog(&mut journal, bytes, "clock-1", &limits(), ZONE, now()).unwrap();
        assert_eq!((first.imported, first.duplicate), (2, 0));
        assert_eq!((second.imported, second.duplicate), (0, 2));
        assert_eq!(journal.last_seq(), 2);

        // The stored punch keeps the raw line and the clock's time in UTC.
        let stored = journal.events_after(0, 10).unwrap();
        assert_eq!(stored[0].raw, b"1001\t2026-11-02 08:10:00\t1\t0\t1\t0");
        assert_eq!(
            stored[0].device_time.unwrap().to_rfc3339(),
            "2026-11-02T00:10:00+00:00"
        );
        assert_eq!(stored[0].subject.as_deref(), Some("1001"));
        assert_eq!(
            stored[0].idempotency_key,
            "punch:clock-1:1001:2026-11-02T08:10:00"
        );
    }

    #[test]
    fn failed_import_stores_nothing() {
        let (_dir, mut journal) = journal();
        journal.set_max_page_count(1).unwrap();
        let many: String = (0..2000)
            .map(|i| format!("{}\t2026-11-02 08:10:00\t1\t0\t1\t0\n", 1000 + i))
            .collect();
        let error = import_attlog(
            &mut journal,
            many.as_bytes(),
            "clock-1",
            &limits(),
            ZONE,
            now(),
        )
        .expect_err("the journal is full");
        assert!(
            error
                .to_string()
                .contains("nothing of this import was stored"),
            "{error}"
        );
        assert_eq!(journal.events_after(0, 10).unwrap().len(), 0);
    }

    #[test]
    fn device_ids_are_checked() {
        let (_dir, mut journal) = journal();
        for bad in ["", "clock 1", "clock/1", &"x".repeat(65)] {
            let error = import_attlog(&mut journal, b"", bad, &limits(), ZONE, now()).unwrap_err();
            assert!(
                error.to_string().contains("invalid device id"),
                "{bad}: {error}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let (_dir, mut journal) = journal();
            let summary = import_attlog(&mut journal, &bytes, "clock-1", &limits(), ZONE, now()).unwrap();
            let lines = attlog::lines(&bytes).count() as u64;
            prop_assert_eq!(summary.imported + summary.duplicate + summary.rejected, lines);
        }
    }
}
