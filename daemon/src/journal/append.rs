//! Appending events: one transaction per batch, duplicates found through
//! the unique index on `idempotency_key`.

use rusqlite::{params, ErrorCode, TransactionBehavior};

use super::chain::RowHasher;
use super::error::JournalError;
use super::event::{write_time, Appended, NewEvent};
use super::{Journal, Scratch, Tip};

/// Inserts a row unless its idempotency key is already stored.
const INSERT_SQL: &str = "
    INSERT INTO events (
        seq, kind, device_id, idempotency_key, device_time, received_at,
        subject, raw, payload, prev_hash, hash
    ) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
    ON CONFLICT (idempotency_key) DO NOTHING";

const FIND_KEY_SQL: &str = "SELECT seq FROM events WHERE idempotency_key = ?1";

impl Journal {
    /// Appends one event in its own transaction; see [`Journal::append_batch`].
    pub fn append(&mut self, event: &NewEvent) -> Result<Appended, JournalError> {
        let outcomes = self.append_batch(std::slice::from_ref(event))?;
        match outcomes.as_slice() {
            [outcome] => Ok(*outcome),
            _ => unreachable!("append_batch returns one outcome per event"),
        }
    }

    /// Appends `events` in one transaction and returns one outcome per
    /// event, in order.
    ///
    /// An event whose idempotency key is already stored, in the file or
    /// earlier in the same batch, is not written and returns
    /// [`Appended::Duplicate`] with the stored event's sequence number.
    /// When this returns `Ok`, the batch is committed with a full fsync. On
    /// any error nothing of the batch is written and the chain tip is
    /// unchanged.
    pub fn append_batch(&mut self, events: &[NewEvent]) -> Result<Vec<Appended>, JournalError> {
        let mut outcomes = Vec::with_capacity(events.len());
        self.append_all(events, |outcome| outcomes.push(outcome))?;
        Ok(outcomes)
    }

    /// Appends every event that `events` yields in one transaction, calling
    /// `outcome` for each as it is written, and returns how many were
    /// stored (not duplicates).
    ///
    /// The events are consumed one at a time, so a large import never holds
    /// them all in memory. The transaction commits once, after the last
    /// event; on any error nothing is written, even if `outcome` was already
    /// called for earlier events.
    pub fn append_all<I, E>(
        &mut self,
        events: I,
        mut outcome: impl FnMut(Appended),
    ) -> Result<u64, JournalError>
    where
        I: IntoIterator<Item = E>,
        E: std::borrow::Borrow<NewEvent>,
    {
        let mut events = events.into_iter().peekable();
        if events.peek().is_none() {
            return Ok(0);
        }
        let operation = "append events";
        let path = self.path.as_path();

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|source| JournalError::from_sqlite(path, operation, source))?;

        // Another connection, such as `hallbox import` while the daemon runs,
        // may have appended since this one last did: chain to the row that
        // is last now. The immediate transaction holds the write lock, so
        // the tip cannot move until the commit.
        let mut tip = super::query::read_tip(&tx, path)?;
        let start_seq = tip.seq;
        let mut count = 0usize;
        {
            let mut insert = tx
                .prepare_cached(INSERT_SQL)
                .map_err(|source| JournalError::from_sqlite(path, operation, source))?;
            let mut find_key = tx
                .prepare_cached(FIND_KEY_SQL)
                .map_err(|source| JournalError::from_sqlite(path, operation, source))?;

            for (index, event) in events.enumerate() {
                let event = event.borrow();
                count += 1;
                let seq = tip.seq + 1;
                let hash = encode_row(&mut self.scratch, path, index, seq, &tip, event)?;
                let scratch = &self.scratch;
                // encode_row wrote serde_json output, which is always UTF-8.
                let payload = std::str::from_utf8(&scratch.payload).map_err(|error| {
                    invalid(path, index, event, format!("payload is not UTF-8: {error}"))
                })?;

                let inserted = insert.execute(params![
                    seq,
                    event.kind.as_str(),
                    event.device_id,
                    event.idempotency_key,
                    event.device_time.map(|_| scratch.device_time.as_str()),
                    scratch.received_at,
                    event.subject,
                    event.raw,
                    payload,
                    &tip.hash[..],
                    &hash[..],
                ]);
                let inserted = inserted.map_err(|source| insert_error(path, seq, source))?;

                if inserted == 1 {
                    tip = Tip { seq, hash };
                    outcome(Appended::Stored { seq });
                } else {
                    let stored_seq: i64 = find_key
                        .query_row([&event.idempotency_key], |row| row.get(0))
                        .map_err(|source| JournalError::from_sqlite(path, operation, source))?;
                    outcome(Appended::Duplicate { seq: stored_seq });
                }
            }
        }

        tx.commit()
            .map_err(|source| JournalError::from_sqlite(path, operation, source))?;
        let stored = tip.seq - start_seq;
        self.tip = tip;

        tracing::debug!(
            path = %self.path.display(),
            events = count,
            stored,
            duplicates = count as i64 - stored,
            last_seq = tip.seq,
            "appended batch to journal"
        );
        Ok(stored.unsigned_abs())
    }
}

/// Checks `event`, writes its time and payload texts into `scratch` and
/// returns its chain hash as row `seq` after `tip`.
fn encode_row(
    scratch: &mut Scratch,
    path: &std::path::Path,
    index: usize,
    seq: i64,
    tip: &Tip,
    event: &NewEvent,
) -> Result<[u8; 32], JournalError> {
    if event.idempotency_key.is_empty() {
        return Err(invalid(path, index, event, "idempotency key is empty"));
    }

    match &event.device_time {
        Some(time) => {
            if !write_time(&mut scratch.device_time, time) {
                let reason = format!("device time {time} is outside the years 0000 to 9999");
                return Err(invalid(path, index, event, reason));
            }
        }
        None => scratch.device_time.clear(),
    }
    if !write_time(&mut scratch.received_at, &event.received_at) {
        let reason = format!(
            "receive time {} is outside the years 0000 to 9999",
            event.received_at
        );
        return Err(invalid(path, index, event, reason));
    }

    scratch.payload.clear();
    serde_json::to_writer(&mut scratch.payload, &event.payload).map_err(|error| {
        invalid(
            path,
            index,
            event,
            format!("failed to encode payload: {error}"),
        )
    })?;

    let mut hasher = RowHasher::new(&tip.hash);
    hasher.integer(seq);
    hasher.text(event.kind.as_str());
    hasher.text(&event.device_id);
    hasher.text(&event.idempotency_key);
    hasher.optional_text(event.device_time.map(|_| scratch.device_time.as_str()));
    hasher.text(&scratch.received_at);
    hasher.optional_text(event.subject.as_deref());
    hasher.blob(&event.raw);
    hasher.value(rusqlite::types::ValueRef::Text(&scratch.payload));
    Ok(hasher.finish())
}

fn invalid(
    path: &std::path::Path,
    index: usize,
    event: &NewEvent,
    reason: impl Into<String>,
) -> JournalError {
    JournalError::InvalidEvent {
        path: path.to_path_buf(),
        index,
        idempotency_key: event.idempotency_key.clone(),
        reason: reason.into(),
    }
}

/// Maps an insert failure, telling a taken `seq` (another writer) apart.
fn insert_error(path: &std::path::Path, seq: i64, source: rusqlite::Error) -> JournalError {
    let seq_taken = source.sqlite_error().is_some_and(|error| {
        error.code == ErrorCode::ConstraintViolation
            && error.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    });
    if seq_taken {
        return JournalError::ConcurrentWriter {
            path: path.to_path_buf(),
            seq,
            source,
        };
    }
    JournalError::from_sqlite(path, &format!("insert event {seq}"), source)
}
