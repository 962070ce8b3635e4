//! Verification of the hash chain, streaming over the rows in `seq` order.

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::Connection;

use super::chain::{RowHasher, GENESIS_HASH};
use super::error::{JournalError, SqliteResultExt};
use super::Tip;

/// Result of [`Journal::verify`](super::Journal::verify) and
/// [`JournalReader::verify`](super::JournalReader::verify).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyReport {
    /// Every row chains to its predecessor and matches its hash.
    Ok {
        /// Number of events checked.
        events: u64,
        /// Hash of the last event as lowercase hex, 64 zeros when empty.
        tip: String,
    },
    /// The first row that does not match; rows after it were not checked.
    Broken {
        /// Sequence number of the first row that does not match. For a
        /// missing row at the end, the first missing sequence number.
        seq: i64,
        /// Kind of mismatch.
        problem: ChainProblem,
    },
}

/// Kind of chain break found in a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainProblem {
    /// The sequence numbers skip from `expected - 1` to this row, so rows
    /// were deleted (or the first rows, when `expected` is 1).
    Gap {
        /// Sequence number that should have come next.
        expected: i64,
    },
    /// The row's `prev_hash` differs from the hash of the row before it.
    PrevHashMismatch,
    /// The row's `hash` differs from the hash of its contents, so the row
    /// was edited.
    HashMismatch,
    /// The chain is consistent but ends differently from the tip that the
    /// writing connection appended last: rows at the end were deleted or
    /// added by another connection, or the chain was recomputed from an
    /// edit to the end. Reported only by the writer.
    TipMismatch {
        /// Sequence number of the writer's last event.
        expected_seq: i64,
        /// Hash of the writer's last event as lowercase hex.
        expected_hash: String,
    },
}

/// Column order of the walk: the hashed columns, then `prev_hash`, `hash`.
const WALK_SQL: &str = "
    SELECT seq, kind, device_id, idempotency_key, device_time, received_at,
           subject, raw, payload, prev_hash, hash
    FROM events ORDER BY seq";

/// Number of columns covered by the hash, from `seq` to `payload`.
const HASHED_COLUMNS: usize = 9;
const PREV_HASH_COLUMN: usize = 9;
const HASH_COLUMN: usize = 10;

/// Walks every row in `seq` order, within the single read snapshot of one
/// statement, and returns the first break. With `expected_tip`, the walk
/// also compares the end of the chain with the writer's tip.
pub(crate) fn walk(
    conn: &Connection,
    path: &Path,
    expected_tip: Option<Tip>,
) -> Result<VerifyReport, JournalError> {
    let operation = "verify the hash chain";
    let mut stmt = conn.prepare(WALK_SQL).during(path, operation)?;
    let mut rows = stmt.query([]).during(path, operation)?;

    let mut prev_hash = GENESIS_HASH;
    let mut expected_seq: i64 = 1;
    let mut events: u64 = 0;
    while let Some(row) = rows.next().during(path, operation)? {
        let seq: i64 = row.get(0).during(path, operation)?;
        if seq != expected_seq {
            let problem = ChainProblem::Gap {
                expected: expected_seq,
            };
            return Ok(VerifyReport::Broken { seq, problem });
        }

        let stored_prev = row.get_ref(PREV_HASH_COLUMN).during(path, operation)?;
        if stored_prev != ValueRef::Blob(&prev_hash) {
            let problem = ChainProblem::PrevHashMismatch;
            return Ok(VerifyReport::Broken { seq, problem });
        }

        let mut hasher = RowHasher::new(&prev_hash);
        for index in 0..HASHED_COLUMNS {
            hasher.value(row.get_ref(index).during(path, operation)?);
        }
        let hash = hasher.finish();
        let stored_hash = row.get_ref(HASH_COLUMN).during(path, operation)?;
        if stored_hash != ValueRef::Blob(&hash) {
            let problem = ChainProblem::HashMismatch;
            return Ok(VerifyReport::Broken { seq, problem });
        }

        if let Some(tip) = expected_tip {
            let past_tip = seq > tip.seq;
            let other_tip = seq == tip.seq && hash != tip.hash;
            if past_tip || other_tip {
                let problem = tip_mismatch(&tip);
                return Ok(VerifyReport::Broken { seq, problem });
            }
        }

        prev_hash = hash;
        expected_seq += 1;
        events += 1;
    }

    if let Some(tip) = expected_tip {
        if expected_seq <= tip.seq {
            let problem = tip_mismatch(&tip);
            return Ok(VerifyReport::Broken {
                seq: expected_seq,
                problem,
            });
        }
    }

    tracing::debug!(path = %path.display(), events, "verified journal hash chain");
    Ok(VerifyReport::Ok {
        events,
        tip: hex::encode(prev_hash),
    })
}

fn tip_mismatch(tip: &Tip) -> ChainProblem {
    ChainProblem::TipMismatch {
        expected_seq: tip.seq,
        expected_hash: hex::encode(tip.hash),
    }
}
