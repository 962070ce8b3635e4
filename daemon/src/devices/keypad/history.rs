//! Reads a keypad's last stored press back from the journal, so that after
//! a restart the box still recognises a resend of it, continues the epoch
//! of its session and marks a quick next press as a repeat.

use std::path::Path;

use chrono::NaiveDateTime;
use hallbox_drivers::keypad::{Decoder, Frame};
use rusqlite::{params, Connection, OpenFlags};

use super::book::{key_epoch, StoredPress};

/// Newest ratings of a window read to find its keypad's last press. They
/// come in device-time order, and the one with the highest journal sequence
/// number wins, which covers a box clock that stepped back a little.
const CANDIDATES: i64 = 16;

/// Errors of reading the journal file.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("failed to read the last keypad press from the journal '{path}'")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
}

/// Returns the last stored press of keypad `address` on `device`, which
/// rates `window`, or `None` when the journal has none.
///
/// NOTE: the lookup goes through the window's ratings, so a press stored
/// while the keypad rated another window is not found. Moving a keypad to
/// another window therefore starts its memory afresh.
pub fn last_press(
    journal: &Path,
    device: &str,
    address: u8,
    window: &str,
) -> Result<Option<StoredPress>, HistoryError> {
    let wrap = |source| HistoryError::Sqlite {
        path: journal.display().to_string(),
        source,
    };
    let conn = Connection::open_with_flags(
        journal,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(wrap)?;
    // The partial index on (kind, subject, device_time) serves this query.
    let mut statement = conn
        .prepare(
            "SELECT seq, idempotency_key, raw, json_extract(payload, '$.local_time') \
             FROM events \
             WHERE kind = 'rating' AND subject = ?1 AND device_id = ?2 \
               AND json_extract(payload, '$.keypad_address') = ?3 \
             ORDER BY device_time DESC, seq DESC LIMIT ?4",
        )
        .map_err(wrap)?;
    let rows = statement
        .query_map(params![window, device, address, CANDIDATES], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Vec<u8>>(2)?,
                row.get::<_, Option<String>>(3)?,
            ))
        })
        .map_err(wrap)?;

    let mut best: Option<(i64, StoredPress)> = None;
    for row in rows {
        let (seq, key, raw, local) = row.map_err(wrap)?;
        let Some(press) = stored_press(&key, &raw, local.as_deref()) else {
            tracing::warn!(
                seq,
                key,
                "stored rating has an unreadable frame or key; skipped"
            );
            continue;
        };
        if best.is_none_or(|(best_seq, _)| seq > best_seq) {
            best = Some((seq, press));
        }
    }
    Ok(best.map(|(_, press)| press))
}

/// Rebuilds a [`StoredPress`] from a stored rating: the frame bytes give
/// session, sequence, button and press time, the key gives the epoch.
fn stored_press(key: &str, raw: &[u8], local: Option<&str>) -> Option<StoredPress> {
    let mut decoder = Decoder::new();
    decoder.push(raw);
    let Some(Frame::Press(press)) = decoder.next_frame() else {
        return None;
    };
    let local = NaiveDateTime::parse_from_str(local?, "%Y-%m-%d %H:%M:%S").ok()?;
    Some(StoredPress {
        session: press.session,
        epoch: key_epoch(key)?,
        sequence: press.sequence,
        button: press.button.get(),
        pressed_at_ms: press.pressed_at_ms,
        local,
    })
}
