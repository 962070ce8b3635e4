//! The ingest task: the only writer of device events.
//!
//! A driver hands an event to [`IngestHandle::submit`] and waits. The writer
//! thread stores it in the journal and commits; only then does `submit`
//! return, and only then may the driver acknowledge the device. Events that
//! arrive while a commit is in flight queue up and share the next commit
//! (group commit), so one fsync serves many devices at once.
//!
//! A failed commit (disk full, I/O error) fails every event of that batch:
//! each driver gets the error, sends the device no acknowledgement or a
//! negative one, and the writer goes on with the next batch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::journal::{Appended, Journal, JournalError, NewEvent};
use crate::metrics;

/// Most events one commit takes; a longer queue is split over commits.
pub const MAX_BATCH: usize = 4096;

/// Events that may wait for the writer before `submit` itself waits.
const QUEUE_DEPTH: usize = 16 * 1024;

/// Errors returned to a driver that submitted an event.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    #[error("failed to commit the event to the journal: {0}")]
    Commit(String),
    #[error("the journal writer has stopped, so nothing can be stored")]
    Stopped,
}

type Reply = oneshot::Sender<Result<Vec<Appended>, IngestError>>;

/// Events that commit together, in one transaction, with one reply.
struct Submission {
    events: Vec<NewEvent>,
    reply: Reply,
}

/// Counters of the writer, readable while it runs.
#[derive(Debug)]
pub struct IngestStats {
    pub commits: AtomicU64,
    pub events: AtomicU64,
    pub failed_commits: AtomicU64,
    /// Sum of commit durations in microseconds.
    pub commit_micros: AtomicU64,
    /// When the writer started, the origin of the two marks below.
    started: Instant,
    /// Microseconds from `started` (plus one) to the start of the commit
    /// running now, or 0 between commits.
    commit_started_micros: AtomicU64,
    /// Microseconds from `started` (plus one) to the first of the failed
    /// commits since the last one that succeeded, or 0 when the last
    /// commit succeeded.
    failing_since_micros: AtomicU64,
}

impl Default for IngestStats {
    fn default() -> IngestStats {
        IngestStats {
            commits: AtomicU64::new(0),
            events: AtomicU64::new(0),
            failed_commits: AtomicU64::new(0),
            commit_micros: AtomicU64::new(0),
            started: Instant::now(),
            commit_started_micros: AtomicU64::new(0),
            failing_since_micros: AtomicU64::new(0),
        }
    }
}

impl IngestStats {
    /// Returns a mark of the present moment: never 0, which means none.
    fn mark(&self) -> u64 {
        self.started.elapsed().as_micros() as u64 + 1
    }

    fn since(&self, mark: &AtomicU64) -> Option<Duration> {
        match mark.load(Ordering::Relaxed) {
            0 => None,
            at => Some(Duration::from_micros(self.mark().saturating_sub(at))),
        }
    }

    /// Returns how long the commit in progress has run, or `None` between
    /// commits. An idle writer is not stalled, however long it waits.
    pub fn commit_running_for(&self) -> Option<Duration> {
        self.since(&self.commit_started_micros)
    }

    /// Returns how long commits have failed without one succeeding (a full
    /// disk, an I/O error), or `None` when the last commit succeeded.
    pub fn failing_for(&self) -> Option<Duration> {
        self.since(&self.failing_since_micros)
    }
}

/// A cloneable handle that drivers use to store events.
#[derive(Clone)]
pub struct IngestHandle {
    queue: mpsc::Sender<Submission>,
    stats: Arc<IngestStats>,
    /// A `max_page_count` for the writer to set before its next batch, or 0.
    page_limit: Arc<AtomicU64>,
}

impl IngestHandle {
    /// Stores one event and returns once it is committed, or with the error
    /// that kept it from being stored.
    pub async fn submit(&self, event: NewEvent) -> Result<Appended, IngestError> {
        let outcomes = self.submit_batch(vec![event]).await?;
        outcomes.into_iter().next().ok_or(IngestError::Stopped)
    }

    /// Stores `events` in one transaction and returns one outcome per event,
    /// in order, once all of them are committed. Either every event of the
    /// batch is stored (or found to be a duplicate) or none is, so a device
    /// may acknowledge the whole batch on `Ok`. A batch longer than
    /// [`MAX_BATCH`] is still committed whole. An empty batch returns at
    /// once.
    pub async fn submit_batch(&self, events: Vec<NewEvent>) -> Result<Vec<Appended>, IngestError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Submission { events, reply })
            .await
            .map_err(|_| IngestError::Stopped)?;
        answer.await.map_err(|_| IngestError::Stopped)?
    }

    /// The writer's counters.
    pub fn stats(&self) -> &IngestStats {
        &self.stats
    }

    /// Submissions (single events or batches) waiting for the writer to
    /// take them.
    pub fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Whether the writer is alive and stores events: its thread still
    /// runs, no commit has run longer than `max_stall`, and commits have not
    /// failed for longer than `max_stall` without one succeeding. The
    /// systemd watchdog pings only while this holds.
    pub fn is_healthy(&self, max_stall: Duration) -> bool {
        if self.queue.is_closed() {
            return false;
        }
        let within = |running: Option<Duration>| running.is_none_or(|took| took <= max_stall);
        within(self.stats.commit_running_for()) && within(self.stats.failing_for())
    }

    /// Sets SQLite's `max_page_count` on the writer's connection before it
    /// commits its next batch; see [`Journal::set_max_page_count`]. Tests
    /// use it to fill the journal as a full disk would (1 stops growth at
    /// the current size) and to make room again (a large value).
    pub fn set_max_page_count(&self, pages: u64) {
        self.page_limit.store(pages.max(1), Ordering::Relaxed);
    }
}

/// The writer thread; dropping every handle lets it finish the queued
/// events and stop, and [`IngestWriter::join`] waits for that.
pub struct IngestWriter {
    thread: thread::JoinHandle<Journal>,
}

impl IngestWriter {
    /// Waits until every queued event is committed and the thread has
    /// stopped, and gives the journal back.
    pub fn join(self) -> Journal {
        self.thread
            .join()
            .expect("the ingest writer thread panicked")
    }
}

/// Starts the writer thread that owns `journal`.
pub fn start(journal: Journal) -> std::io::Result<(IngestHandle, IngestWriter)> {
    let (queue, receiver) = mpsc::channel(QUEUE_DEPTH);
    let stats = Arc::new(IngestStats::default());
    let page_limit = Arc::new(AtomicU64::new(0));
    let thread_stats = Arc::clone(&stats);
    let thread_limit = Arc::clone(&page_limit);
    let thread = thread::Builder::new()
        .name("ingest-writer".to_string())
        .spawn(move || run_writer(journal, receiver, &thread_stats, &thread_limit))?;
    let handle = IngestHandle {
        queue,
        stats,
        page_limit,
    };
    Ok((handle, IngestWriter { thread }))
}

fn run_writer(
    mut journal: Journal,
    mut receiver: mpsc::Receiver<Submission>,
    stats: &IngestStats,
    page_limit: &AtomicU64,
) -> Journal {
    // Each reply with the number of events its submission added.
    let mut replies: Vec<(Reply, usize)> = Vec::with_capacity(MAX_BATCH);
    let mut events: Vec<NewEvent> = Vec::with_capacity(MAX_BATCH);

    // Block for the first submission, then take everything that queued up
    // behind it while the previous commit ran. A submission is never split,
    // so one longer than MAX_BATCH commits alone.
    while let Some(first) = receiver.blocking_recv() {
        let mut next = Some(first);
        while let Some(submission) = next.take() {
            replies.push((submission.reply, submission.events.len()));
            events.extend(submission.events);
            if events.len() < MAX_BATCH {
                next = receiver.try_recv().ok();
            }
        }

        apply_page_limit(&mut journal, page_limit);
        let started = Instant::now();
        stats
            .commit_started_micros
            .store(stats.mark(), Ordering::Relaxed);
        let result = journal.append_batch(&events);
        record_commit(stats, started.elapsed(), events.len(), result.is_ok());

        match result {
            Ok(outcomes) => {
                // Reply before updating the metrics, because each reply lets a
                // driver acknowledge its device.
                let mut own_outcomes = outcomes.iter().copied();
                for (reply, count) in replies.drain(..) {
                    let own: Vec<Appended> = own_outcomes.by_ref().take(count).collect();
                    // A driver that gave up waiting has dropped its receiver;
                    // the events are stored all the same.
                    let _ = reply.send(Ok(own));
                }
                for (event, outcome) in events.iter().zip(&outcomes) {
                    if !outcome.is_duplicate() {
                        metrics::event_ingested(&event.device_id, event.kind.as_str());
                    }
                }
            }
            Err(error) => {
                // A full disk fails every batch: log the first few per
                // minute, with the count of the rest.
                if let Some(suppressed) = crate::logging::admit("commit failed") {
                    log_commit_failure(&error, &events, suppressed);
                }
                let message = error.to_string();
                for (reply, _) in replies.drain(..) {
                    let _ = reply.send(Err(IngestError::Commit(message.clone())));
                }
            }
        }
        events.clear();
    }
    journal
}

fn apply_page_limit(journal: &mut Journal, page_limit: &AtomicU64) {
    let pages = page_limit.swap(0, Ordering::Relaxed);
    if pages == 0 {
        return;
    }
    match journal.set_max_page_count(pages) {
        Ok(limit) => tracing::warn!(requested = pages, limit, "journal max_page_count set"),
        Err(error) => tracing::error!(error = %error, "failed to set the journal's max_page_count"),
    }
}

fn record_commit(stats: &IngestStats, took: Duration, events: usize, ok: bool) {
    metrics::commit_finished(took, ok);
    let commit_start = stats.commit_started_micros.swap(0, Ordering::Relaxed);
    if ok {
        stats.failing_since_micros.store(0, Ordering::Relaxed);
    } else {
        // The first failure of a run starts it; later ones leave it.
        let _ = stats.failing_since_micros.compare_exchange(
            0,
            commit_start.max(1),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }
    stats
        .commit_micros
        .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    if ok {
        stats.commits.fetch_add(1, Ordering::Relaxed);
        stats.events.fetch_add(events as u64, Ordering::Relaxed);
    } else {
        stats.failed_commits.fetch_add(1, Ordering::Relaxed);
    }
}

fn log_commit_failure(error: &JournalError, events: &[NewEvent], suppressed: u64) {
    let mut devices: Vec<&str> = events.iter().map(|e| e.device_id.as_str()).collect();
    devices.sort_unstable();
    devices.dedup();
    tracing::error!(
        error = %crate::api::error::error_chain(error),
        events = events.len(),
        devices = ?devices,
        suppressed,
        "failed to commit device events; the devices get no acknowledgement"
    );
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::journal::EventKind;

    fn event(key: &str) -> NewEvent {
        NewEvent {
            kind: EventKind::Punch,
            device_id: "clock-1".to_string(),
            idempotency_key: key.to_string(),
            device_time: Some(Utc.with_ymd_and_hms(2026, 11, 2, 0, 30, 0).unwrap()),
            received_at: Utc.with_ymd_and_hms(2026, 11, 2, 0, 30, 1).unwrap(),
            subject: Some("1001".to_string()),
            raw: Vec::new(),
            payload: serde_json::json!({}),
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn batch_outcomes_in_order() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let journal = Journal::open(dir.path().join("journal.sqlite")).expect("open journal");
        let (handle, writer) = start(journal).expect("start writer");

        let outcomes = runtime().block_on(async {
            handle.submit(event("a")).await.expect("submit a");
            let batch = handle
                .submit_batch(vec![event("b"), event("a"), event("c"), event("b")])
                .await
                .expect("submit batch");
            let empty = handle.submit_batch(Vec::new()).await.expect("empty batch");
            assert!(empty.is_empty());
            batch
        });
        assert_eq!(
            outcomes,
            vec![
                Appended::Stored { seq: 2 },
                Appended::Duplicate { seq: 1 },
                Appended::Stored { seq: 3 },
                Appended::Duplicate { seq: 2 },
            ]
        );

        drop(handle);
        let journal = writer.join();
        assert_eq!(journal.last_seq(), 3);
    }

    #[test]
    fn batches_larger_than_max_commit_whole() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let journal = Journal::open(dir.path().join("journal.sqlite")).expect("open journal");
        let (handle, writer) = start(journal).expect("start writer");

        let count = MAX_BATCH + 10;
        let (single, batch) = runtime().block_on(async {
            // Both go into the queue before the writer takes either.
            let batch: Vec<NewEvent> = (0..count).map(|n| event(&format!("k{n}"))).collect();
            tokio::join!(handle.submit(event("single")), handle.submit_batch(batch))
        });
        assert!(single.is_ok());
        let batch = batch.expect("batch commits");
        assert_eq!(batch.len(), count);
        assert!(batch.iter().all(|outcome| !outcome.is_duplicate()));
        let seqs: Vec<i64> = batch.iter().map(|outcome| outcome.seq()).collect();
        assert!(
            seqs.windows(2).all(|pair| pair[1] == pair[0] + 1),
            "batch interleaved"
        );

        // Two submissions took at most two commits, so the long batch was
        // not split over several.
        assert!(handle.stats().commits.load(Ordering::Relaxed) <= 2);
        assert_eq!(handle.stats().failed_commits.load(Ordering::Relaxed), 0);

        drop(handle);
        let journal = writer.join();
        assert_eq!(journal.last_seq(), count as i64 + 1);
    }
}
