//! Timestamped GPIO edges and the sources that deliver them.
//!
//! GPIO decoders (Wiegand readers, keypad buttons) consume [`Edge`] values
//! and never read a pin or a clock themselves. An [`EdgeSource`] delivers the
//! edges: [`ChannelEdgeSource`] receives them from interrupt callbacks through
//! a bounded tokio channel, and [`ReplayEdgeSource`] replays a recorded list
//! in place of pins, for tests and end-to-end runs.
//!
//! The channel side is shaped for rppal's asynchronous interrupts: rppal 0.19
//! calls `InputPin::set_async_interrupt` callbacks on one thread per pin with
//! an event holding the trigger (rising or falling), a per-pin sequence
//! number and the kernel timestamp. rppal requests no event clock, so the
//! GPIO character device stamps events with `CLOCK_MONOTONIC` (the default
//! since Linux 5.7). The callback maps the event to an [`Edge`] and calls
//! [`EdgeSender::send`], which does not wait for the consumer. Because each
//! pin has its own thread, edges of different lines may reach the channel
//! slightly out of timestamp order. Edges of one line stay in order.
//!
//! Recorded edge lists are stored as text, one edge per row (see
//! [`parse_edge_list`]):
//!
//! ```text
//! # timestamp in µs, GPIO line, level after the edge (L or H)
//! 1000 17 L
//! 1050 17 H
//! ```

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::{TryRecvError, TrySendError};

/// Errors of edge sources, edge channels and recorded edge lists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EdgeError {
    /// Every [`EdgeSender`] was dropped, so no edge can arrive any more.
    #[error("edge channel closed: every sender was dropped (the GPIO interrupt was cleared or its pin released; set the interrupt up again)")]
    ChannelClosed,

    /// The channel was full and edges were dropped, or the kernel reported
    /// lost events. Any frame in progress around `last_at` is unreliable.
    #[error("lost {count} edges, the last at {last_at:?}: the edge channel was full or the kernel dropped events (the consumer is too slow; raise the channel capacity)")]
    EdgesLost {
        /// Number of edges lost since the previous report.
        count: u64,
        /// Timestamp of the last lost edge.
        last_at: Duration,
    },

    /// [`EdgeSender::send`] dropped this edge because the channel was full.
    /// The loss is also reported to the receiver as [`EdgeError::EdgesLost`].
    #[error("edge channel full: dropped the edge at {at:?} (the consumer is too slow; raise the channel capacity)")]
    ChannelFull {
        /// Timestamp of the dropped edge.
        at: Duration,
    },

    /// A [`ReplayEdgeSource`] delivered its last edge.
    #[error("edge replay finished: all recorded edges were delivered")]
    ReplayFinished,

    /// A row of a recorded edge list could not be parsed.
    #[error("invalid edge record on row {row}: {reason}")]
    InvalidRecord {
        /// Row number, counting from 1.
        row: usize,
        /// Description of the problem and of the expected row format.
        reason: String,
    },
}

/// Level of a line after an edge: [`Level::Low`] after a falling edge,
/// [`Level::High`] after a rising edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// The line is low (logic 0).
    Low,
    /// The line is high (logic 1).
    High,
}

impl Level {
    /// Returns the other level.
    pub fn inverted(self) -> Level {
        match self {
            Level::Low => Level::High,
            Level::High => Level::Low,
        }
    }
}

/// One level change on one GPIO line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Edge {
    /// Line identifier: the BCM GPIO number for Raspberry Pi pins, or any
    /// number the source assigns.
    pub line: u8,
    /// Level of the line after the edge.
    pub level: Level,
    /// Kernel monotonic timestamp of the edge.
    pub timestamp: Duration,
}

impl Edge {
    /// Builds a falling edge (the line goes low) on `line` at `timestamp`.
    pub fn falling(line: u8, timestamp: Duration) -> Edge {
        Edge {
            line,
            level: Level::Low,
            timestamp,
        }
    }

    /// Builds a rising edge (the line goes high) on `line` at `timestamp`.
    pub fn rising(line: u8, timestamp: Duration) -> Edge {
        Edge {
            line,
            level: Level::High,
            timestamp,
        }
    }
}

/// A stream of edges, in place of GPIO pins.
pub trait EdgeSource: Send {
    /// Waits for the next edge.
    ///
    /// Returns [`EdgeError::EdgesLost`] once per loss and then continues with
    /// the following edges. Any other error ends the stream.
    ///
    /// The future is cancel safe: dropping it before it completes, as
    /// `tokio::select!` does when a timer fires first, loses no edge.
    fn next_edge(&mut self) -> impl Future<Output = Result<Edge, EdgeError>> + Send;
}

/// Item carried by the edge channel: an edge, or a report of lost edges kept
/// in its place so that the receiver gets the loss in order.
#[derive(Debug, Clone, Copy)]
enum Item {
    Edge(Edge),
    Lost { count: u64, last_at: Duration },
}

/// Losses not yet placed in the channel.
#[derive(Debug, Default)]
struct PendingLoss {
    count: u64,
    last_at: Duration,
}

impl PendingLoss {
    fn add(&mut self, count: u64, at: Duration) {
        self.count = self.count.saturating_add(count);
        self.last_at = self.last_at.max(at);
    }

    /// Puts back a loss item that did not fit in the channel.
    fn restore(&mut self, item: Item) {
        if let Item::Lost { count, last_at } = item {
            self.add(count, last_at);
        }
    }

    /// Removes and returns the pending loss as a channel item, if any.
    fn take(&mut self) -> Option<Item> {
        if self.count == 0 {
            return None;
        }
        let item = Item::Lost {
            count: self.count,
            last_at: self.last_at,
        };
        *self = PendingLoss::default();
        Some(item)
    }
}

/// Creates a bounded edge channel holding up to `capacity` edges.
///
/// A capacity of 0 is raised to 1. A Wiegand frame of 34 bits is 68 edges,
/// so a capacity of a few hundred rides out short stalls of the consumer.
pub fn edge_channel(capacity: usize) -> (EdgeSender, ChannelEdgeSource) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let pending = Arc::new(Mutex::new(PendingLoss::default()));
    let sender = EdgeSender {
        tx,
        pending: Arc::clone(&pending),
    };
    let source = ChannelEdgeSource { rx, pending };
    (sender, source)
}

/// Sending half of an edge channel, cheap to clone: one clone per pin
/// callback.
#[derive(Debug, Clone)]
pub struct EdgeSender {
    tx: mpsc::Sender<Item>,
    pending: Arc<Mutex<PendingLoss>>,
}

impl EdgeSender {
    /// Queues `edge` without waiting for the consumer, so it is safe to call
    /// from an interrupt callback thread. It only takes a short lock shared
    /// with the other senders.
    ///
    /// When the channel is full the edge is dropped, counted, and reported to
    /// the receiver as [`EdgeError::EdgesLost`] before any later edge.
    ///
    /// # Errors
    ///
    /// [`EdgeError::ChannelFull`] when the edge was dropped, and
    /// [`EdgeError::ChannelClosed`] when the receiver is gone (the callback
    /// can stop).
    pub fn send(&self, edge: Edge) -> Result<(), EdgeError> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);

        // A loss that happened before this edge must reach the receiver first.
        if let Some(lost) = pending.take() {
            match self.tx.try_send(lost) {
                Ok(()) => {}
                Err(TrySendError::Full(item)) => {
                    pending.restore(item);
                    pending.add(1, edge.timestamp);
                    return Err(EdgeError::ChannelFull { at: edge.timestamp });
                }
                Err(TrySendError::Closed(_)) => return Err(EdgeError::ChannelClosed),
            }
        }

        match self.tx.try_send(Item::Edge(edge)) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => {
                pending.add(1, edge.timestamp);
                Err(EdgeError::ChannelFull { at: edge.timestamp })
            }
            Err(TrySendError::Closed(_)) => Err(EdgeError::ChannelClosed),
        }
    }

    /// Records `count` edges lost before they reached the sender, the last at
    /// `last_at`, for example a gap in the kernel's per-line event sequence
    /// numbers. The receiver gets [`EdgeError::EdgesLost`] in order.
    pub fn report_lost(&self, count: u64, last_at: Duration) {
        if count == 0 {
            return;
        }
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.add(count, last_at);
        if let Some(lost) = pending.take() {
            if let Err(TrySendError::Full(item)) = self.tx.try_send(lost) {
                pending.restore(item);
            }
        }
    }
}

/// Receiving half of an edge channel.
#[derive(Debug)]
pub struct ChannelEdgeSource {
    rx: mpsc::Receiver<Item>,
    pending: Arc<Mutex<PendingLoss>>,
}

impl ChannelEdgeSource {
    fn deliver(item: Item) -> Result<Edge, EdgeError> {
        match item {
            Item::Edge(edge) => Ok(edge),
            Item::Lost { count, last_at } => Err(EdgeError::EdgesLost { count, last_at }),
        }
    }

    /// Removes a loss that no later send has placed in the channel yet.
    fn take_pending_loss(&self) -> Option<Item> {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Removes a pending loss if the queue is empty, or returns `Err(())`
    /// when an item arrived in the meantime.
    ///
    /// Senders hold the same lock while they queue, so under it an empty
    /// queue means every edge older than the loss was delivered already.
    fn take_loss_if_drained(&self) -> Result<Option<Item>, ()> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if !self.rx.is_empty() {
            return Err(());
        }
        Ok(pending.take())
    }
}

impl EdgeSource for ChannelEdgeSource {
    async fn next_edge(&mut self) -> Result<Edge, EdgeError> {
        loop {
            match self.rx.try_recv() {
                Ok(item) => return Self::deliver(item),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    return match self.take_pending_loss() {
                        Some(item) => Self::deliver(item),
                        None => Err(EdgeError::ChannelClosed),
                    };
                }
            }

            // A loss still pending happened after every edge delivered so
            // far, so report it now instead of waiting for the next edge to
            // carry it.
            match self.take_loss_if_drained() {
                Ok(Some(item)) => return Self::deliver(item),
                Ok(None) => break,
                Err(()) => continue,
            }
        }

        match self.rx.recv().await {
            Some(item) => Self::deliver(item),
            None => Err(EdgeError::ChannelClosed),
        }
    }
}

/// Replays a recorded list of edges in place of GPIO pins.
#[derive(Debug, Clone)]
pub struct ReplayEdgeSource {
    edges: VecDeque<Edge>,
    paced: bool,
    /// Tokio instant at which the first edge was delivered, with that edge's
    /// timestamp, when paced.
    origin: Option<(tokio::time::Instant, Duration)>,
}

impl ReplayEdgeSource {
    /// Creates a source that delivers `edges` in list order, at once.
    pub fn new(edges: Vec<Edge>) -> ReplayEdgeSource {
        ReplayEdgeSource {
            edges: edges.into(),
            paced: false,
            origin: None,
        }
    }

    /// Creates a source that delivers `edges` in list order with their
    /// recorded spacing, measured on the tokio clock from the first call to
    /// [`EdgeSource::next_edge`]. Tokio timers tick every millisecond, so a
    /// spacing below 1 ms is rounded up, but the timestamps stay exact. Under
    /// `tokio::time::pause()` the replay runs without real waiting.
    pub fn paced(edges: Vec<Edge>) -> ReplayEdgeSource {
        ReplayEdgeSource {
            edges: edges.into(),
            paced: true,
            origin: None,
        }
    }

    /// Returns the number of edges not yet delivered.
    pub fn remaining(&self) -> usize {
        self.edges.len()
    }
}

impl EdgeSource for ReplayEdgeSource {
    async fn next_edge(&mut self) -> Result<Edge, EdgeError> {
        let edge = *self.edges.front().ok_or(EdgeError::ReplayFinished)?;
        if self.paced {
            let (start, first) = *self
                .origin
                .get_or_insert_with(|| (tokio::time::Instant::now(), edge.timestamp));
            // An edge older than the first one is delivered at once.
            let offset = edge.timestamp.saturating_sub(first);
            tokio::time::sleep_until(start + offset).await;
        }
        // The edge leaves the list only once it is delivered, so a call
        // dropped while it sleeps loses nothing.
        self.edges.pop_front();
        Ok(edge)
    }
}

/// Parses a recorded edge list: one edge per row as
/// `<timestamp µs> <line> <L|H>`, blank rows and rows starting with `#`
/// ignored.
///
/// The timestamp is a decimal number of microseconds with up to three
/// fraction digits (nanoseconds), for example `1000` or `1000.125`.
///
/// # Errors
///
/// [`EdgeError::InvalidRecord`] naming the first row that does not parse.
pub fn parse_edge_list(text: &str) -> Result<Vec<Edge>, EdgeError> {
    let mut edges = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let row = index + 1;
        let record = raw.trim();
        if record.is_empty() || record.starts_with('#') {
            continue;
        }
        edges
            .push(parse_record(record).map_err(|reason| EdgeError::InvalidRecord { row, reason })?);
    }
    Ok(edges)
}

fn parse_record(record: &str) -> Result<Edge, String> {
    let fields: Vec<&str> = record.split_whitespace().collect();
    let [time, line, level] = fields.as_slice() else {
        return Err(format!(
            "expected 3 fields '<timestamp µs> <line> <L|H>', found {}",
            fields.len()
        ));
    };

    let timestamp = parse_micros(time)?;
    let line = line
        .parse::<u8>()
        .map_err(|_| format!("invalid line '{line}': expected a GPIO number from 0 to 255"))?;
    let level = match *level {
        "L" | "l" => Level::Low,
        "H" | "h" => Level::High,
        other => return Err(format!("invalid level '{other}': expected L or H")),
    };

    Ok(Edge {
        line,
        level,
        timestamp,
    })
}

/// Parses a decimal number of microseconds with up to three fraction digits.
fn parse_micros(text: &str) -> Result<Duration, String> {
    let invalid = || {
        format!("invalid timestamp '{text}': expected microseconds with up to 3 fraction digits")
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || fraction.len() > 3 {
        return Err(invalid());
    }
    if !whole
        .bytes()
        .chain(fraction.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return Err(invalid());
    }

    let micros: u64 = whole.parse().map_err(|_| invalid())?;
    let mut nanos: u64 = 0;
    for (position, digit) in fraction.bytes().enumerate() {
        let place = 10u64.pow(2 - position as u32);
        nanos += u64::from(digit - b'0') * place;
    }

    Duration::from_micros(micros)
        .checked_add(Duration::from_nanos(nanos))
        .ok_or_else(invalid)
}

/// Formats edges as a recorded edge list that [`parse_edge_list`] reads back.
pub fn format_edge_list(edges: &[Edge]) -> String {
    let mut text = String::new();
    for edge in edges {
        let nanos = edge.timestamp.as_nanos();
        let micros = nanos / 1000;
        let fraction = nanos % 1000;
        let level = match edge.level {
            Level::Low => 'L',
            Level::High => 'H',
        };
        // Writing to a String cannot fail.
        let _ = if fraction == 0 {
            writeln!(text, "{micros} {} {level}", edge.line)
        } else {
            writeln!(text, "{micros}.{fraction:03} {} {level}", edge.line)
        };
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(micros: u64) -> Duration {
        Duration::from_micros(micros)
    }

    #[test]
    fn parse_list_rows() {
        let text = "# header\n\n1000 17 L\n  1050.5 17 H \n2000.125 27 l\n";
        let edges = parse_edge_list(text).expect("valid list");
        assert_eq!(
            edges,
            vec![
                Edge::falling(17, us(1000)),
                Edge::rising(17, us(1050) + Duration::from_nanos(500)),
                Edge::falling(27, us(2000) + Duration::from_nanos(125)),
            ]
        );
    }

    #[test]
    fn parse_list_rejects_bad_rows() {
        let cases = [
            ("1000 17", 1),
            ("1000 17 L\nabc 17 L", 2),
            ("1000 256 L", 1),
            ("1000 17 X", 1),
            ("1000.1234 17 L", 1),
            ("-5 17 L", 1),
            (".5 17 L", 1),
            ("1000 17 L extra", 1),
        ];
        for (text, expected_row) in cases {
            match parse_edge_list(text) {
                Err(EdgeError::InvalidRecord { row, .. }) => {
                    assert_eq!(row, expected_row, "row for {text:?}")
                }
                other => panic!("expected an invalid record for {text:?}, got {other:?}"),
            }
        }
    }

    #[test]
    fn format_list_round_trip() {
        let edges = vec![
            Edge::falling(4, us(7)),
            Edge::rising(4, us(57) + Duration::from_nanos(3)),
            Edge::falling(5, Duration::from_nanos(2_000_999)),
        ];
        let text = format_edge_list(&edges);
        assert_eq!(text, "7 4 L\n57.003 4 H\n2000.999 5 L\n");
        assert_eq!(parse_edge_list(&text).expect("formatted list"), edges);
    }

    #[tokio::test]
    async fn channel_delivers_in_order() {
        let (sender, mut source) = edge_channel(8);
        sender.send(Edge::falling(1, us(10))).expect("room");
        sender.send(Edge::rising(1, us(60))).expect("room");
        assert_eq!(source.next_edge().await, Ok(Edge::falling(1, us(10))));
        assert_eq!(source.next_edge().await, Ok(Edge::rising(1, us(60))));
        drop(sender);
        assert_eq!(source.next_edge().await, Err(EdgeError::ChannelClosed));
    }

    #[tokio::test]
    async fn channel_reports_loss_in_order() {
        let (sender, mut source) = edge_channel(2);
        sender.send(Edge::falling(1, us(10))).expect("room");
        sender.send(Edge::rising(1, us(60))).expect("room");
        // The channel has room for two items, so the next two edges are
        // dropped.
        assert_eq!(
            sender.send(Edge::falling(2, us(2000))),
            Err(EdgeError::ChannelFull { at: us(2000) })
        );
        assert_eq!(
            sender.send(Edge::rising(2, us(2050))),
            Err(EdgeError::ChannelFull { at: us(2050) })
        );

        assert_eq!(source.next_edge().await, Ok(Edge::falling(1, us(10))));
        assert_eq!(source.next_edge().await, Ok(Edge::rising(1, us(60))));

        // The next send puts the loss in the channel ahead of its edge.
        sender.send(Edge::falling(1, us(4000))).expect("room");
        assert_eq!(
            source.next_edge().await,
            Err(EdgeError::EdgesLost {
                count: 2,
                last_at: us(2050)
            })
        );
        assert_eq!(source.next_edge().await, Ok(Edge::falling(1, us(4000))));
    }

    #[tokio::test]
    async fn channel_loss_marker_fills_last_slot() {
        let (sender, mut source) = edge_channel(1);
        sender.send(Edge::falling(1, us(10))).expect("room");
        assert!(sender.send(Edge::rising(1, us(60))).is_err());
        assert_eq!(source.next_edge().await, Ok(Edge::falling(1, us(10))));

        // The loss marker takes the only free slot, so this edge is lost too
        // and reported separately.
        assert_eq!(
            sender.send(Edge::falling(1, us(4000))),
            Err(EdgeError::ChannelFull { at: us(4000) })
        );
        assert_eq!(
            source.next_edge().await,
            Err(EdgeError::EdgesLost {
                count: 1,
                last_at: us(60)
            })
        );
        assert_eq!(
            source.next_edge().await,
            Err(EdgeError::EdgesLost {
                count: 1,
                last_at: us(4000)
            })
        );
    }

    #[tokio::test]
    async fn channel_reports_trailing_loss() {
        let (sender, mut source) = edge_channel(1);
        sender.send(Edge::falling(1, us(10))).expect("room");
        assert!(sender.send(Edge::rising(1, us(60))).is_err());

        // No later edge carries the loss, so the receiver reports it once the
        // queue is empty.
        assert_eq!(source.next_edge().await, Ok(Edge::falling(1, us(10))));
        assert_eq!(
            source.next_edge().await,
            Err(EdgeError::EdgesLost {
                count: 1,
                last_at: us(60)
            })
        );
        drop(sender);
        assert_eq!(source.next_edge().await, Err(EdgeError::ChannelClosed));
    }

    #[tokio::test]
    async fn channel_reports_kernel_loss() {
        let (sender, mut source) = edge_channel(4);
        sender.report_lost(3, us(500));
        sender.send(Edge::falling(1, us(900))).expect("room");
        assert_eq!(
            source.next_edge().await,
            Err(EdgeError::EdgesLost {
                count: 3,
                last_at: us(500)
            })
        );
        assert_eq!(source.next_edge().await, Ok(Edge::falling(1, us(900))));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn channel_accounts_every_edge() {
        // Two threads stand for rppal's per-pin interrupt threads and send
        // 20 000 edges into a small channel while the consumer reads.
        const PER_LINE: u64 = 10_000;
        let (sender, mut source) = edge_channel(16);
        let threads: Vec<_> = [4u8, 5]
            .into_iter()
            .map(|line| {
                let sender = sender.clone();
                std::thread::spawn(move || {
                    for index in 0..PER_LINE {
                        let level = if index % 2 == 0 {
                            Level::Low
                        } else {
                            Level::High
                        };
                        let edge = Edge {
                            line,
                            level,
                            timestamp: us(index),
                        };
                        // A dropped edge is counted by the channel itself.
                        let _ = sender.send(edge);
                    }
                })
            })
            .collect();
        drop(sender);

        let mut delivered = 0u64;
        let mut lost = 0u64;
        let mut last_seen = [None::<Duration>; 2];
        loop {
            match source.next_edge().await {
                Ok(edge) => {
                    delivered += 1;
                    let slot = &mut last_seen[usize::from(edge.line - 4)];
                    assert!(
                        slot.is_none_or(|previous| edge.timestamp > previous),
                        "line {} out of order",
                        edge.line
                    );
                    *slot = Some(edge.timestamp);
                }
                Err(EdgeError::EdgesLost { count, .. }) => lost += count,
                Err(EdgeError::ChannelClosed) => break,
                Err(other) => panic!("unexpected error {other:?}"),
            }
        }
        for thread in threads {
            thread.join().expect("sender thread");
        }
        assert_eq!(delivered + lost, 2 * PER_LINE);
    }

    #[tokio::test]
    async fn replay_delivers_then_finishes() {
        let edges = vec![Edge::falling(3, us(5)), Edge::rising(3, us(55))];
        let mut source = ReplayEdgeSource::new(edges.clone());
        assert_eq!(source.remaining(), 2);
        assert_eq!(source.next_edge().await, Ok(edges[0]));
        assert_eq!(source.next_edge().await, Ok(edges[1]));
        assert_eq!(source.next_edge().await, Err(EdgeError::ReplayFinished));
    }

    #[tokio::test(start_paused = true)]
    async fn replay_paced_cancel_safe() {
        let edges = vec![
            Edge::falling(3, Duration::from_millis(10)),
            Edge::rising(3, Duration::from_millis(60)),
        ];
        let mut source = ReplayEdgeSource::paced(edges.clone());
        assert_eq!(source.next_edge().await, Ok(edges[0]));

        // A timer that fires 20 ms into the 50 ms wait drops the call.
        let timed_out = tokio::time::timeout(Duration::from_millis(20), source.next_edge()).await;
        assert!(timed_out.is_err());
        assert_eq!(source.remaining(), 1);

        // The next call still delivers the edge, on its recorded schedule.
        let start = tokio::time::Instant::now();
        assert_eq!(source.next_edge().await, Ok(edges[1]));
        assert_eq!(start.elapsed(), Duration::from_millis(30));
    }

    #[tokio::test(start_paused = true)]
    async fn replay_paced_keeps_spacing() {
        let edges = vec![
            Edge::falling(3, Duration::from_secs(100)),
            Edge::rising(3, Duration::from_secs(100) + us(50)),
            Edge::falling(3, Duration::from_secs(100) + Duration::from_millis(30)),
        ];
        let mut source = ReplayEdgeSource::paced(edges);
        let start = tokio::time::Instant::now();

        source.next_edge().await.expect("first edge");
        assert_eq!(start.elapsed(), Duration::ZERO);
        // Tokio timers tick every millisecond, so the 50 µs spacing is
        // rounded up to 1 ms.
        source.next_edge().await.expect("second edge");
        assert_eq!(start.elapsed(), Duration::from_millis(1));
        source.next_edge().await.expect("third edge");
        assert_eq!(start.elapsed(), Duration::from_millis(30));
    }
}
