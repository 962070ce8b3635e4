//! One person's working day: checkpoint outcomes and half-day sessions.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::cover::{Cover, DayCovers};
use super::grouping::{Group, Stamp};
use super::{CheckpointResult, DayResult, DayState, Outcome, SessionResult};
use crate::rules::settings::{seconds_of_day, AttendanceSettings, Checkpoint, Session};

/// Position of a day relative to the as-of instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Clock {
    /// Before the as-of date: every checkpoint is final.
    Past,
    /// The as-of date, `seconds` after local midnight.
    Today { seconds: u32 },
    /// After the as-of date: every checkpoint is pending.
    Future,
}

impl Clock {
    /// Places `date` relative to `as_of`.
    pub fn of(date: NaiveDate, as_of: NaiveDateTime) -> Clock {
        let today = as_of.date();
        if date < today {
            Clock::Past
        } else if date == today {
            Clock::Today {
                seconds: seconds_of_day(as_of.time()),
            }
        } else {
            Clock::Future
        }
    }
}

/// Builds the result of a working day on which the person is not employed.
pub(super) fn not_employed_day(date: NaiveDate) -> DayResult {
    let checkpoint = |checkpoint| CheckpointResult {
        checkpoint,
        outcome: Outcome::NotEmployed,
        seq: None,
    };
    let session = |session| SessionResult {
        session,
        pending: false,
        late: false,
        early: false,
        absent: false,
    };
    DayResult {
        date,
        state: DayState::NotEmployed,
        checkpoints: Checkpoint::ALL.map(checkpoint),
        sessions: [session(Session::Morning), session(Session::Afternoon)],
    }
}

/// Judges one working day of a person who is employed on it.
///
/// `stamps` are the person's stamps sorted by time and `groups` the groups
/// of this date in order. Returns the day and, per checkpoint, the index in
/// `stamps` of the punch whose time the outcome uses.
pub(super) fn evaluate_day(
    settings: &AttendanceSettings,
    date: NaiveDate,
    stamps: &[Stamp],
    groups: &[Group],
    covers: &DayCovers,
    clock: Clock,
) -> (DayResult, [Option<usize>; 4]) {
    let counted = counted_punches(groups);

    let checkpoints = Checkpoint::ALL.map(|checkpoint| {
        let index = checkpoint.index();
        let punch = counted[index].map(|i| stamps[i]);
        let judged = judge_checkpoint(settings, checkpoint, punch.map(Stamp::time), clock);
        let mut seq = punch.map(|p| p.seq);
        // A checkpoint that may still change stays pending, covered or not:
        // an open outage may yet end before the checkpoint's time.
        let outcome = match (covers[index], judged) {
            (_, Outcome::Pending { .. }) | (None, _) => judged,
            (Some(cover), _) => {
                let (outcome, stand_in) = covered(cover, punch.map(Stamp::time));
                seq = seq.or(stand_in);
                outcome
            }
        };
        CheckpointResult {
            checkpoint,
            outcome,
            seq,
        }
    });

    let sessions = [
        judge_session(Session::Morning, &checkpoints[0], &checkpoints[1]),
        judge_session(Session::Afternoon, &checkpoints[2], &checkpoints[3]),
    ];
    let state = if sessions.iter().any(|s| s.pending) {
        DayState::Pending
    } else {
        DayState::Evaluated
    };

    let day = DayResult {
        date,
        state,
        checkpoints,
        sessions,
    };
    (day, counted)
}

/// Returns the outcome of a covered checkpoint whose own punch, if any, is
/// `punch`, and the journal sequence of a patrol punch standing in for a
/// missing clock punch.
fn covered(cover: Cover, punch: Option<NaiveTime>) -> (Outcome, Option<i64>) {
    match cover {
        Cover::WrittenOff { write_off, reason } => (
            Outcome::WrittenOff {
                write_off,
                reason,
                at: punch,
            },
            None,
        ),
        Cover::Outage { outage, patrol } => match (punch, patrol) {
            (Some(at), _) => (
                Outcome::Outage {
                    outage,
                    at: Some(at),
                    patrol: false,
                },
                None,
            ),
            (None, Some(stamp)) => (
                Outcome::Outage {
                    outage,
                    at: Some(stamp.at),
                    patrol: true,
                },
                Some(stamp.seq),
            ),
            (None, None) => (
                Outcome::Outage {
                    outage,
                    at: None,
                    patrol: false,
                },
                None,
            ),
        },
    }
}

/// Picks, per checkpoint, the punch whose time counts: the first punch of the
/// earliest group in a sign-in window, the last punch of the latest group in
/// a sign-out window.
fn counted_punches(groups: &[Group]) -> [Option<usize>; 4] {
    let mut counted = [None; 4];
    for group in groups {
        let Some(checkpoint) = group.window else {
            continue;
        };
        let slot = &mut counted[checkpoint.index()];
        if checkpoint.is_sign_in() {
            if slot.is_none() {
                *slot = Some(group.first);
            }
        } else {
            *slot = Some(group.last);
        }
    }
    counted
}

/// Judges one checkpoint from the time of the punch that counts.
fn judge_checkpoint(
    settings: &AttendanceSettings,
    checkpoint: Checkpoint,
    punch: Option<NaiveTime>,
    clock: Clock,
) -> Outcome {
    let spec = settings.spec(checkpoint);
    let is_final = match clock {
        Clock::Past => true,
        Clock::Future => false,
        // An open sign-in window is final once a punch is in it, because
        // only the earliest punch counts. An open sign-out window is not
        // final, because a later punch would replace the one so far.
        Clock::Today { seconds } => {
            seconds >= spec.window_end || (checkpoint.is_sign_in() && punch.is_some())
        }
    };
    if !is_final {
        return Outcome::Pending { at: punch };
    }
    let Some(at) = punch else {
        return Outcome::Missing;
    };

    // Whole minutes: 08:30:59 is minute 510 like 08:30:00.
    let punch_minute = seconds_of_day(at) / 60;
    let checkpoint_minute = seconds_of_day(spec.at) / 60;
    if checkpoint.is_sign_in() && punch_minute > checkpoint_minute {
        Outcome::Late {
            at,
            minutes: punch_minute - checkpoint_minute,
        }
    } else if !checkpoint.is_sign_in() && punch_minute < checkpoint_minute {
        Outcome::Early {
            at,
            minutes: checkpoint_minute - punch_minute,
        }
    } else {
        Outcome::OnTime { at }
    }
}

/// Contribution of a checkpoint to its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// Nothing to count: on time, written off or under an outage.
    Clear,
    Late,
    Early,
    Missing,
    Pending,
}

fn mark(outcome: &Outcome) -> Mark {
    match outcome {
        Outcome::OnTime { .. }
        | Outcome::NotEmployed
        | Outcome::WrittenOff { .. }
        | Outcome::Outage { .. } => Mark::Clear,
        Outcome::Late { .. } => Mark::Late,
        Outcome::Early { .. } => Mark::Early,
        Outcome::Missing => Mark::Missing,
        Outcome::Pending { .. } => Mark::Pending,
    }
}

/// Judges a half-day session from its sign-in and sign-out.
///
/// Neither punch is half a day of absence and nothing else. Otherwise a
/// missing or late sign-in adds one late count and a missing or early
/// sign-out adds one early count, so one session may add to both.
fn judge_session(
    session: Session,
    sign_in: &CheckpointResult,
    sign_out: &CheckpointResult,
) -> SessionResult {
    let sign_in = mark(&sign_in.outcome);
    let sign_out = mark(&sign_out.outcome);
    if sign_in == Mark::Pending || sign_out == Mark::Pending {
        return SessionResult {
            session,
            pending: true,
            late: false,
            early: false,
            absent: false,
        };
    }
    let absent = sign_in == Mark::Missing && sign_out == Mark::Missing;
    SessionResult {
        session,
        pending: false,
        late: !absent && matches!(sign_in, Mark::Missing | Mark::Late),
        early: !absent && matches!(sign_out, Mark::Missing | Mark::Early),
        absent,
    }
}
