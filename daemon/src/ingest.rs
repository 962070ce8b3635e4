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

type Reply = oneshot::Sender<Result<Appended, IngestError>>;

struct Submission {
    event: NewEvent,
    reply: Reply,
}

/// Counters of the writer, readable while it runs.
#[derive(Debug, Default)]
pub struct IngestStats {
    pub commits: AtomicU64,
    pub events: AtomicU64,
    pub failed_commits: AtomicU64,
    /// Sum of commit durations in microseconds.
    pub commit_micros: AtomicU64,
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
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Submission { event, reply })
            .await
            .map_err(|_| IngestError::Stopped)?;
        answer.await.map_err(|_| IngestError::Stopped)?
    }

    /// The writer's counters.
    pub fn stats(&self) -> &IngestStats {
        &self.stats
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
    let mut replies: Vec<Reply> = Vec::with_capacity(MAX_BATCH);
    let mut events: Vec<NewEvent> = Vec::with_capacity(MAX_BATCH);

    // Block for the first event, then take everything that queued up behind
    // it while the previous commit ran.
    while let Some(first) = receiver.blocking_recv() {
        let mut next = Some(first);
        while let Some(submission) = next.take() {
            events.push(submission.event);
            replies.push(submission.reply);
            if events.len() < MAX_BATCH {
                next = receiver.try_recv().ok();
            }
        }

        apply_page_limit(&mut journal, page_limit);
        let started = Instant::now();
        let result = journal.append_batch(&events);
        record_commit(stats, started.elapsed(), events.len(), result.is_ok());

        match result {
            Ok(outcomes) => {
                for (reply, outcome) in replies.drain(..).zip(outcomes) {
                    // A driver that gave up waiting has dropped its receiver;
                    // the event is stored all the same.
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(error) => {
                log_commit_failure(&error, &events);
                let message = error.to_string();
                for reply in replies.drain(..) {
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

fn log_commit_failure(error: &JournalError, events: &[NewEvent]) {
    let mut devices: Vec<&str> = events.iter().map(|e| e.device_id.as_str()).collect();
    devices.sort_unstable();
    devices.dedup();
    tracing::error!(
        error = %crate::api::error::error_chain(error),
        events = events.len(),
        devices = ?devices,
        "failed to commit device events; the devices get no acknowledgement"
    );
}
