//! Uploads and command results: parse the body, commit its events with the
//! batch's stamp, and only then reply `OK`.
//!
//! Parsing runs on a blocking thread, because an 8 MiB body takes a few
//! hundred milliseconds on a small box. A large ATTLOG upload commits in
//! parts of [`PUNCHES_PER_COMMIT`] punches, the stamp with the last part,
//! so its events never all sit in memory at once. A batch whose commit
//! fails gets a 503 and no `OK`, so the clock sends it again after
//! `ErrorDelay`. Punches of the batch that are already stored are found by
//! their idempotency keys.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use hallbox_drivers::adms::{ok, ok_count, parse_attlog, DeviceCmdResult, PushPunch, Table};
use tracing::{debug, error, info, warn};

use super::clock::{Clock, SkewReading};
use super::handlers::reply;
use super::records::{self, RecordBatch, RejectedLine, UploadContext};
use super::AdmsState;
use crate::import::time_limits;
use crate::journal::{Appended, NewEvent};

/// Rejected lines listed one by one in the debug log per batch.
const MAX_LOGGED_REJECTIONS: usize = 20;

/// Punches committed per transaction of a large ATTLOG upload, so an
/// upload's events never all sit in memory. A 7.6 MB upload of 160,000
/// punches built at once left the daemon at about 320 MB resident. Built in
/// parts of 10,000, it peaked at about 130 MB (release build, 2-core x86-64
/// VM).
const PUNCHES_PER_COMMIT: usize = 10_000;

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
    let context = state.upload_context(clock, received_at, stamp);
    match table {
        Table::AttLog => upload_punches(state, clock, context, body).await,
        Table::OperLog | Table::AttPhoto => {
            upload_records(state, clock, table, context, body).await
        }
        Table::Other(name) => {
            // Tables the handshake does not ask for (TransFlag) carry nothing
            // hallbox keeps, and OK stops the clock from sending them again.
            debug!(table = %name, bytes = body.len(), "ignored an upload of a table hallbox does not keep");
            reply(StatusCode::OK, ok())
        }
    }
}

/// Stores an ATTLOG upload in commits of at most [`PUNCHES_PER_COMMIT`]
/// punches, the last one with the batch's stamp, and replies `OK: <n>` once
/// all of them are committed. A failure after some commits gets no `OK`, so
/// the clock resends the batch and its stored punches are found as
/// duplicates.
async fn upload_punches(
    state: &AdmsState,
    clock: &Clock,
    context: UploadContext,
    body: Bytes,
) -> Response {
    let parsed = match tokio::task::spawn_blocking(move || parse_attlog(&body)).await {
        Ok(parsed) => parsed,
        Err(failure) => return task_failed(&failure),
    };
    let mut rejected = records::rejected_lines(parsed.rejected);

    // One batch of this clock at a time, so the stamp recorded last is the
    // stamp of the batch committed last.
    let _turn = clock.upload_turn.lock().await;
    let new_stamp = new_stamp(clock, &Table::AttLog, context.stamp);
    let mut newest_skew: Option<i64> = None;
    let mut stored = 0;
    let mut committed = 0;
    let mut punches = parsed.records.into_iter();
    loop {
        let chunk: Vec<PushPunch> = punches.by_ref().take(PUNCHES_PER_COMMIT).collect();
        let is_last = punches.len() == 0;

        let chunk_context = context.clone();
        let built =
            tokio::task::spawn_blocking(move || records::punch_events(&chunk, &chunk_context))
                .await;
        let batch = match built {
            Ok(batch) => batch,
            Err(failure) => return task_failed(&failure),
        };
        rejected.extend(batch.rejected);
        newest_skew = match (newest_skew, batch.newest_skew_secs) {
            (Some(newest), Some(skew)) => Some(newest.min(skew)),
            (newest, skew) => newest.or(skew),
        };

        let count = batch.punches;
        let mut events = batch.events;
        if let Some(stamp) = new_stamp.filter(|_| is_last) {
            events.push(records::stamp_event(&context, "ATTLOG", stamp));
        }
        let outcomes = match submit(state, clock, "ATTLOG", events).await {
            Ok(outcomes) => outcomes,
            Err(response) => {
                note_rejections(state, clock, "ATTLOG", &mut rejected);
                return response;
            }
        };
        stored += count_stored(&outcomes, count);
        committed += count;
        if is_last {
            break;
        }
    }
    note_rejections(state, clock, "ATTLOG", &mut rejected);

    let duplicate = committed - stored;
    {
        let mut clock_state = clock.state();
        if let Some(stamp) = new_stamp {
            clock_state.set_stamp(&Table::AttLog, stamp);
        }
        clock_state.counters.punches_stored += stored as u64;
        clock_state.counters.punches_duplicate += duplicate as u64;
    }
    debug!(
        table = "ATTLOG",
        stamp = ?context.stamp,
        stored,
        duplicate,
        rejected = rejected.len(),
        "committed an upload"
    );
    note_skew(state, clock, newest_skew, context.received_at);
    reply(StatusCode::OK, ok_count(committed))
}

/// Stores an OPERLOG upload, or the stamp of an ATTPHOTO upload whose
/// photos are not kept, in one commit and replies `OK`.
async fn upload_records(
    state: &AdmsState,
    clock: &Clock,
    table: Table,
    context: UploadContext,
    body: Bytes,
) -> Response {
    let name = if table == Table::OperLog {
        "OPERLOG"
    } else {
        "ATTPHOTO"
    };
    let mut batch = if table == Table::OperLog {
        let parse_context = context.clone();
        match tokio::task::spawn_blocking(move || records::operlog_batch(&body, &parse_context))
            .await
        {
            Ok(batch) => batch,
            Err(failure) => return task_failed(&failure),
        }
    } else {
        RecordBatch::default()
    };
    note_rejections(state, clock, name, &mut batch.rejected);

    let _turn = clock.upload_turn.lock().await;
    let new_stamp = new_stamp(clock, &table, context.stamp);
    let record_count = batch.events.len();
    let mut events = batch.events;
    if let Some(stamp) = new_stamp {
        events.push(records::stamp_event(&context, name, stamp));
    }
    if let Err(response) = submit(state, clock, name, events).await {
        return response;
    }
    if let Some(stamp) = new_stamp {
        clock.state().set_stamp(&table, stamp);
    }
    debug!(table = name, stamp = ?context.stamp, records = record_count, "committed an upload");
    reply(StatusCode::OK, ok())
}

/// Returns the stamp to record with an upload of `table`: the batch's stamp
/// when it differs from the one stored.
fn new_stamp(clock: &Clock, table: &Table, stamp: Option<u64>) -> Option<u64> {
    stamp.filter(|stamp| clock.state().stamp(table) != Some(*stamp))
}

/// Commits `events` in one transaction, or returns the 503 reply after
/// counting and logging the failure.
async fn submit(
    state: &AdmsState,
    clock: &Clock,
    table: &str,
    events: Vec<NewEvent>,
) -> Result<Vec<Appended>, Response> {
    let count = events.len();
    match state.ingest.submit_batch(events).await {
        Ok(outcomes) => Ok(outcomes),
        Err(failure) => {
            clock.state().counters.failed_commits += 1;
            // A full disk fails every upload: a few lines a minute, with
            // the count of the rest.
            if let Some(suppressed) = state.throttle(&format!("commit:{}", clock.config.id)) {
                error!(
                    table,
                    events = count,
                    error = %failure,
                    suppressed,
                    "failed to commit an upload; the clock gets no OK and will send it again"
                );
            }
            Err(reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "ERROR: failed to store the records",
            ))
        }
    }
}

/// Counts the outcomes among the first `count` that stored a new event.
fn count_stored(outcomes: &[Appended], count: usize) -> usize {
    outcomes
        .iter()
        .take(count)
        .filter(|outcome| matches!(outcome, Appended::Stored { .. }))
        .count()
}

/// Logs a parser task that panicked and returns the 500 reply.
fn task_failed(failure: &tokio::task::JoinError) -> Response {
    error!(error = %failure, "the upload parser task failed");
    reply(StatusCode::INTERNAL_SERVER_ERROR, "ERROR: parse failed")
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
    let (mut batch, results): (RecordBatch, Vec<DeviceCmdResult>) = match parsed {
        Ok(parsed) => parsed,
        Err(failure) => return task_failed(&failure),
    };
    note_rejections(state, clock, "devicecmd", &mut batch.rejected);

    if let Err(response) = submit(state, clock, "devicecmd", batch.events).await {
        return response;
    }
    state.note_results(clock, &results);
    reply(StatusCode::OK, ok())
}

/// Sorts rejected lines by line number, counts them by reason and logs
/// them: one warning per clock per minute, every line at debug level.
fn note_rejections(state: &AdmsState, clock: &Clock, table: &str, rejected: &mut [RejectedLine]) {
    rejected.sort_by_key(|rejection| rejection.line);
    let rejected: &[RejectedLine] = rejected;
    let Some(first) = rejected.first() else {
        return;
    };
    // Punches are rejected from ATTLOG; the other tables carry records.
    let kind = if table == "ATTLOG" {
        "punch"
    } else {
        "device_record"
    };
    {
        let mut clock_state = clock.state();
        for rejection in rejected {
            clock_state.count_rejection(rejection.reason.code());
            crate::metrics::event_rejected(&clock.config.id, kind, rejection.reason.code());
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
    let reading = crate::metrics::ClockSkew {
        seconds,
        limit_seconds: limit,
        at,
    };
    let flagged = reading.flagged();
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
    crate::metrics::clock_skew(&clock.config.id, reading);

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
