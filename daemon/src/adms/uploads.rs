//! Uploads and command results: parse the body, commit its events and the
//! batch's stamp in one transaction, and only then reply `OK`.
//!
//! Parsing runs on a blocking thread, because an 8 MiB body takes a few
//! hundred milliseconds on a small box. A batch whose commit fails gets a
//! 503 and no `OK`, so the clock sends it again after `ErrorDelay`. Punches
//! of the batch that are already stored are found by their idempotency keys.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use hallbox_drivers::adms::{ok, ok_count, DeviceCmdResult, Table};
use tracing::{debug, error, info, warn};

use super::clock::{Clock, SkewReading};
use super::handlers::reply;
use super::records::{self, RecordBatch, RejectedLine, UploadContext};
use super::AdmsState;
use crate::import::time_limits;
use crate::journal::Appended;

/// Rejected lines listed one by one in the debug log per batch.
const MAX_LOGGED_REJECTIONS: usize = 20;

impl AdmsState {
    /// Returns what the record builders need besides the body.
    fn upload_context(
        &self,
        clock: &Clock,
        received_at: DateTime<Utc>,
        stamp: Option<u64>,
    ) -> UploadContext {
        UploadContext {
            clock: clock.config.clone(),
            zone: self.zone,
            received_at,
            limits: time_limits(&self.import, self.zone, received_at),
            max_skew_secs: self.settings.max_clock_skew_secs,
            stamp,
        }
    }
}

/// Stores an upload of `table` and returns the reply: `OK: <n>` for ATTLOG
/// with the number of punches committed (new and already stored), `OK` for
/// every other table.
pub(super) async fn upload(
    state: &AdmsState,
    clock: &Clock,
    table: Table,
    stamp: Option<u64>,
    body: Bytes,
    received_at: DateTime<Utc>,
) -> Response {
    let Some(name) = stamped_table_name(&table) else {
        // Tables the handshake does not ask for (TransFlag) carry nothing
        // hallbox keeps; OK stops the clock from sending them again.
        debug!(table = ?table, bytes = body.len(), "ignored an upload of a table hallbox does not keep");
        return reply(StatusCode::OK, ok());
    };

    let context = state.upload_context(clock, received_at, stamp);
    let batch = match table {
        Table::AttLog => parse(body, context.clone(), records::punch_batch).await,
        Table::OperLog => parse(body, context.clone(), records::operlog_batch).await,
        // Photos are not kept; only the stamp is recorded.
        _ => Ok(RecordBatch::default()),
    };
    let batch = match batch {
        Ok(batch) => batch,
        Err(response) => return response,
    };
    note_rejections(state, clock, name, &batch.rejected);

    // One batch of this clock at a time, so the stamp recorded last is the
    // stamp of the batch committed last.
    let _turn = clock.upload_turn.lock().await;
    let record_count = batch.events.len();
    let mut events = batch.events;
    let new_stamp = stamp.filter(|stamp| clock.state().stamp(&table) != Some(*stamp));
    if let Some(stamp) = new_stamp {
        events.push(records::stamp_event(&context, name, stamp));
    }

    let outcomes = match state.ingest.submit_batch(events).await {
        Ok(outcomes) => outcomes,
        Err(failure) => {
            clock.state().counters.failed_commits += 1;
            error!(
                table = name,
                records = record_count,
                error = %failure,
                "failed to commit an upload; the clock gets no OK and will send it again"
            );
            return reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "ERROR: failed to store the records",
            );
        }
    };

    let stored = outcomes
        .iter()
        .take(record_count)
        .filter(|outcome| matches!(outcome, Appended::Stored { .. }))
        .count();
    let duplicate = record_count - stored;
    {
        let mut clock_state = clock.state();
        if let Some(stamp) = new_stamp {
            clock_state.set_stamp(&table, stamp);
        }
        if table == Table::AttLog {
            clock_state.counters.punches_stored += stored as u64;
            clock_state.counters.punches_duplicate += duplicate as u64;
        }
    }
    debug!(
        table = name,
        stamp = ?stamp,
        stored,
        duplicate,
        rejected = batch.rejected.len(),
        "committed an upload"
    );

    if table == Table::AttLog {
        note_skew(state, clock, batch.newest_skew_secs, received_at);
        reply(StatusCode::OK, ok_count(record_count))
    } else {
        reply(StatusCode::OK, ok())
    }
}

/// Stores the command results of a devicecmd body and returns `OK`.
pub(super) async fn command_results(
    state: &AdmsState,
    clock: &Clock,
    body: Bytes,
    received_at: DateTime<Utc>,
) -> Response {
    let context = state.upload_context(clock, received_at, None);
    let parsed =
        tokio::task::spawn_blocking(move || records::command_result_batch(&body, &context)).await;
    let (batch, results): (RecordBatch, Vec<DeviceCmdResult>) = match parsed {
        Ok(parsed) => parsed,
        Err(failure) => {
            error!(error = %failure, "the devicecmd parser task failed");
            return reply(StatusCode::INTERNAL_SERVER_ERROR, "ERROR: parse failed");
        }
    };
    note_rejections(state, clock, "devicecmd", &batch.rejected);

    if let Err(failure) = state.ingest.submit_batch(batch.events).await {
        clock.state().counters.failed_commits += 1;
        error!(error = %failure, "failed to commit command results; the clock gets no OK and will send them again");
        return reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "ERROR: failed to store the results",
        );
    }
    state.note_results(clock, &results);
    reply(StatusCode::OK, ok())
}

/// Runs a record builder on a blocking thread.
async fn parse(
    body: Bytes,
    context: UploadContext,
    build: fn(&[u8], &UploadContext) -> RecordBatch,
) -> Result<RecordBatch, Response> {
    match tokio::task::spawn_blocking(move || build(&body, &context)).await {
        Ok(batch) => Ok(batch),
        Err(failure) => {
            error!(error = %failure, "the upload parser task failed");
            Err(reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ERROR: parse failed",
            ))
        }
    }
}

/// Returns the name under which the stamp of `table` is stored and sent
/// back in the handshake, or `None` for a table without one.
fn stamped_table_name(table: &Table) -> Option<&'static str> {
    match table {
        Table::AttLog => Some("ATTLOG"),
        Table::OperLog => Some("OPERLOG"),
        Table::AttPhoto => Some("ATTPHOTO"),
        Table::Other(_) => None,
    }
}

/// Counts rejected lines by reason and logs them: one warning per clock per
/// minute, every line at debug level.
fn note_rejections(state: &AdmsState, clock: &Clock, table: &str, rejected: &[RejectedLine]) {
    let Some(first) = rejected.first() else {
        return;
    };
    {
        let mut clock_state = clock.state();
        for rejection in rejected {
            clock_state.count_rejection(rejection.reason.code());
        }
    }
    if let Some(suppressed) = state.throttle(&format!("rejected:{}", clock.config.id)) {
        warn!(
            table,
            rejected = rejected.len(),
            first_line = first.line,
            first_reason = %first.reason,
            suppressed_batches = suppressed,
            "rejected lines of an upload; the rest of the batch is kept"
        );
    }
    for rejection in rejected.iter().take(MAX_LOGGED_REJECTIONS) {
        debug!(table, line = rejection.line, reason = %rejection.reason, "rejected line");
    }
}

/// Records the clock's time against the box's from a punch batch, flags a
/// clock whose time is off and, when allowed, queues a command to set it.
fn note_skew(state: &AdmsState, clock: &Clock, newest: Option<i64>, at: DateTime<Utc>) {
    let Some(seconds) = newest else {
        return;
    };
    let limit = state.settings.max_clock_skew_secs;
    let flagged = seconds.unsigned_abs() > u64::from(limit);
    let was_flagged = {
        let mut clock_state = clock.state();
        let was_flagged = clock_state.skew.is_some_and(|reading| reading.flagged);
        clock_state.skew = Some(SkewReading {
            seconds,
            flagged,
            at,
        });
        was_flagged
    };

    match (was_flagged, flagged) {
        (false, true) => warn!(
            clock_skew_seconds = seconds,
            limit_seconds = limit,
            "the clock's time is off: its newest punch differs from the box's time by more than the limit (a backlog uploaded late looks the same)"
        ),
        (true, false) => info!(clock_skew_seconds = seconds, "the clock's time is within the limit again"),
        _ => {}
    }
    if flagged {
        state.set_time_if_due(clock);
    }
}
