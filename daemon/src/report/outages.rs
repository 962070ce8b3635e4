//! Device outages of a month, from the device-status events in the journal.
//!
//! A device-status event with `"state": "lost"` opens an outage of its
//! device and the next one with `"state": "connected"` closes it. Reports
//! list the outages as notes, so that whoever reads a missing punch or a
//! quiet keypad can see whether the device was down at the time.

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::journal::{EventKind, JournalError, JournalReader, StoredEvent};
use crate::time::{local_to_utc, utc_to_local, Month};

/// One span of time in which a device was disconnected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outage {
    pub device: String,
    /// Local time the device was lost, or the month's first midnight when
    /// it was already lost then.
    pub lost_at: NaiveDateTime,
    /// Local time the device came back, or `None` if it had not by the end
    /// of the month.
    pub restored_at: Option<NaiveDateTime>,
    /// Reason the link ended, as the daemon logged it.
    pub reason: Option<String>,
}

/// Reads the device-status events from one month before `month` to its
/// end and returns the outages that overlap `month`, by device, then by
/// time.
pub fn month_outages(
    reader: &JournalReader,
    zone: Tz,
    month: Month,
) -> Result<Vec<Outage>, JournalError> {
    let start_local = month
        .first_day()
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists");
    let end_local = month
        .next_first_day()
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists");
    let to_utc =
        |local: NaiveDateTime| local_to_utc(zone, local).unwrap_or_else(|| local.and_utc());
    let start = to_utc(start_local);
    let end = to_utc(end_local);
    // An outage that began in the month before still counts, so read a
    // month back for its "lost" event.
    let from = start - chrono::Duration::days(31);

    let events = reader.events_between(EventKind::DeviceStatus, from, end)?;
    Ok(outages_from_events(&events, zone, start, start_local))
}

/// Pairs "lost" and "connected" events into outages that end at or after
/// `start`; an outage that began before `start` is clipped to it.
fn outages_from_events(
    events: &[StoredEvent],
    zone: Tz,
    start: DateTime<Utc>,
    start_local: NaiveDateTime,
) -> Vec<Outage> {
    let mut open: std::collections::BTreeMap<&str, (DateTime<Utc>, Option<String>)> =
        Default::default();
    let mut outages = Vec::new();
    for event in events {
        let Some(at) = event.device_time else {
            continue;
        };
        let state = event.payload.get("state").and_then(|v| v.as_str());
        match state {
            Some("lost") => {
                let reason = event
                    .payload
                    .get("reason")
                    .and_then(|v| v.as_str())
                    .map(str::to_string);
                open.entry(event.device_id.as_str()).or_insert((at, reason));
            }
            Some("connected") => {
                if let Some((lost, reason)) = open.remove(event.device_id.as_str()) {
                    if at >= start {
                        outages.push(outage(
                            &event.device_id,
                            lost,
                            Some(at),
                            reason,
                            zone,
                            start,
                            start_local,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    for (device, (lost, reason)) in open {
        outages.push(outage(device, lost, None, reason, zone, start, start_local));
    }
    outages.sort_by(|a, b| a.device.cmp(&b.device).then(a.lost_at.cmp(&b.lost_at)));
    outages
}

fn outage(
    device: &str,
    lost: DateTime<Utc>,
    restored: Option<DateTime<Utc>>,
    reason: Option<String>,
    zone: Tz,
    start: DateTime<Utc>,
    start_local: NaiveDateTime,
) -> Outage {
    Outage {
        device: device.to_string(),
        lost_at: if lost < start {
            start_local
        } else {
            utc_to_local(zone, lost)
        },
        restored_at: restored.map(|at| utc_to_local(zone, at)),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn status(seq: i64, device: &str, state: &str, at: DateTime<Utc>) -> StoredEvent {
        StoredEvent {
            seq,
            kind: EventKind::DeviceStatus,
            device_id: device.to_string(),
            idempotency_key: format!("k{seq}"),
            device_time: Some(at),
            received_at: at,
            subject: None,
            raw: Vec::new(),
            payload: json!({ "state": state, "reason": if state == "lost" { Some("end of file on the port") } else { None } }),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn outages_pair_lost_and_connected() {
        let zone: Tz = "Asia/Shanghai".parse().unwrap();
        // November 2026 starts at 2026-10-31 16:00 UTC (UTC+8).
        let start = utc(2026, 10, 31, 16, 0);
        let start_local = local("2026-11-01 00:00");
        let events = vec![
            // keypad-w02 lost in October, back on November 2 at 09:00 local.
            status(1, "keypad-w02", "lost", utc(2026, 10, 30, 2, 0)),
            status(2, "keypad-w02", "connected", utc(2026, 11, 2, 1, 0)),
            // clock-1 lost and back within October: not in November.
            status(3, "clock-1", "lost", utc(2026, 10, 20, 2, 0)),
            status(4, "clock-1", "connected", utc(2026, 10, 20, 3, 0)),
            // clock-1 lost on November 5 at 10:30 local, back at 11:15.
            status(5, "clock-1", "connected", utc(2026, 11, 5, 1, 0)),
            status(6, "clock-1", "lost", utc(2026, 11, 5, 2, 30)),
            status(7, "clock-1", "connected", utc(2026, 11, 5, 3, 15)),
            // keypad-w01 lost on November 30 at 17:00 local and not back.
            status(8, "keypad-w01", "lost", utc(2026, 11, 30, 9, 0)),
        ];
        let outages = outages_from_events(&events, zone, start, start_local);
        assert_eq!(outages.len(), 3);

        assert_eq!(outages[0].device, "clock-1");
        assert_eq!(outages[0].lost_at, local("2026-11-05 10:30"));
        assert_eq!(outages[0].restored_at, Some(local("2026-11-05 11:15")));
        assert_eq!(
            outages[0].reason.as_deref(),
            Some("end of file on the port")
        );

        assert_eq!(outages[1].device, "keypad-w01");
        assert_eq!(outages[1].lost_at, local("2026-11-30 17:00"));
        assert_eq!(outages[1].restored_at, None);

        assert_eq!(outages[2].device, "keypad-w02");
        assert_eq!(outages[2].lost_at, start_local, "clipped to the month");
        assert_eq!(outages[2].restored_at, Some(local("2026-11-02 09:00")));
    }
}
