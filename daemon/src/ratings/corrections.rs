//! Misclick corrections (误按更正): the chief representative's request and
//! the bureau's decision, as journal records.
//!
//! A window unit's chief representative requests that a rating count as
//! another level, or as void, and gives a reason. The request must reach the
//! box before 24:00 on the last allowed working day after the press. The
//! bureau approves or rejects it, also with a reason. A rating has at most
//! one approved correction, so a rating with an approved or a pending
//! request takes no new one. After a rejection the chief may file again
//! within the period.
//!
//! Both steps append a `correction` event. The state of a request (pending,
//! approved, rejected) is read from those events by [`Ledger`], and the
//! original press is never changed.

use chrono::{DateTime, NaiveDateTime, SubsecRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::records::{
    all_time, correction_from_event, press_from_event, rating_subject, CorrectionDecision,
    CorrectionRecord, CorrectionRequest, Decision, EventSource, RecordError, Unreadable,
    CORRECTION_DECISION_TYPE, CORRECTION_REQUEST_TYPE,
};
use super::roster::Roster;
use super::{required_text, same_id, unit_of_window, Submitted, MAX_ACTOR_CHARS, MAX_REASON_CHARS};
use crate::config::Config;
use crate::journal::{Appended, EventKind, Journal, JournalError, NewEvent, StoredEvent};
use crate::records::audit::{append_audited, AuditBy};
use crate::records::RecordsError;
use crate::rules::ratings::{
    check_request_time, correction_deadline, is_repeat, staff_on_duty, CorrectedLevel, Correction,
    DeadlineError, Level, RatingPress,
};
use crate::time::utc_to_local;

/// Errors that keep a correction request or decision from being stored.
#[derive(Debug, thiserror::Error)]
pub enum CorrectionCheckError {
    #[error("invalid field '{field}': {message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    #[error("rating {rating_id} not found: expected the id of a keypad press, as listed in the monthly ratings report")]
    RatingNotFound { rating_id: i64 },
    #[error(
        "correction request {request_id} not found: expected an id from GET /api/v1/corrections"
    )]
    RequestNotFound { request_id: i64 },
    #[error("rating {rating_id} was pressed at window {window_id}, which belongs to no configured unit, so no chief representative can request its correction: add the window to a [[unit]]")]
    WindowWithoutUnit { rating_id: i64, window_id: String },
    #[error("unit '{unit_id}' has no chief representative configured, so nobody can request corrections of its ratings: set chief in its [[unit]] entry")]
    NoChief { unit_id: String },
    #[error("staff '{requested_by}' is not the chief representative of unit '{unit_id}', which window {window_id} belongs to: only its chief representative may request a correction")]
    NotChief {
        requested_by: String,
        unit_id: String,
        window_id: String,
    },
    #[error("rating {rating_id} already has an approved correction (request {request_id}): a rating may have only one")]
    AlreadyApproved { rating_id: i64, request_id: i64 },
    #[error("rating {rating_id} already has a pending correction request {request_id}: wait for the bureau's decision on it")]
    AlreadyPending { rating_id: i64, request_id: i64 },
    #[error("rating {rating_id} was pressed as {level} already: request another level or void")]
    SameLevel { rating_id: i64, level: Level },
    #[error("rating {rating_id} repeats rating {previous_id} on keypad {keypad}, pressed {gap_secs} s earlier, and does not count (presses less than {window_secs} s apart count once): request the correction of rating {previous_id} instead")]
    RepeatPress {
        rating_id: i64,
        previous_id: i64,
        keypad: String,
        gap_secs: i64,
        window_secs: u32,
    },
    #[error(transparent)]
    Deadline(#[from] DeadlineError),
    #[error("correction request {request_id} was already {status} by {decided_by} at {decided_at}: a request is decided once")]
    AlreadyDecided {
        request_id: i64,
        status: &'static str,
        decided_by: String,
        decided_at: NaiveDateTime,
    },
    #[error("'{decided_by}' filed correction request {request_id} and may not decide on it: the bureau decides")]
    OwnRequest { request_id: i64, decided_by: String },
    #[error("'{decided_by}' is a staff member of unit '{unit_id}', whose rating request {request_id} corrects: the bureau decides, not the unit")]
    SameUnit {
        request_id: i64,
        decided_by: String,
        unit_id: String,
    },
    #[error("'{decided_by}' was on duty at window {window_id} when rating {rating_id} was pressed, so the rating is theirs and they may not decide on its correction request {request_id}: the bureau decides")]
    RatedStaff {
        request_id: i64,
        rating_id: i64,
        decided_by: String,
        window_id: String,
    },
    #[error("failed to read a ratings record: {0}")]
    Record(#[from] RecordError),
    #[error("failed to access the journal: {0}")]
    Journal(#[from] JournalError),
    #[error("failed to store the record with its audit entry: {0}")]
    Store(#[from] RecordsError),
    #[error("record {key} was stored meanwhile as event {seq} by another request: read the current state with GET /api/v1/corrections")]
    StoredMeanwhile { key: String, seq: i64 },
}

/// The state of a correction request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionStatus {
    Pending,
    Approved,
    Rejected,
}

impl CorrectionStatus {
    /// Returns the name used in JSON and in the `status` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrectionStatus::Pending => "pending",
            CorrectionStatus::Approved => "approved",
            CorrectionStatus::Rejected => "rejected",
        }
    }

    /// Parses the name used in JSON.
    pub fn parse(text: &str) -> Option<CorrectionStatus> {
        match text {
            "pending" => Some(CorrectionStatus::Pending),
            "approved" => Some(CorrectionStatus::Approved),
            "rejected" => Some(CorrectionStatus::Rejected),
            _ => None,
        }
    }
}

/// The decision on a request, as [`CorrectionView`] shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionInfo {
    /// Journal sequence of the decision record.
    pub id: i64,
    pub decided_by: String,
    pub decided_at: NaiveDateTime,
    pub reason: String,
}

/// A correction request with its current state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CorrectionView {
    /// Journal sequence of the request record: the correction's id.
    pub id: i64,
    pub status: CorrectionStatus,
    #[serde(flatten)]
    pub request: CorrectionRequest,
    /// `None` while pending.
    pub decision: Option<DecisionInfo>,
}

/// Every rating correction request in a set of journal events, with its
/// state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Requests in journal order.
    pub corrections: Vec<CorrectionView>,
    /// Correction records that could not be read or that refer to no
    /// request; they change no state.
    pub unreadable: Vec<Unreadable>,
}

impl Ledger {
    /// Derives the requests and their states from `correction` events.
    /// Events are taken in journal order, and the first decision on a
    /// request counts.
    pub fn from_events(events: &[StoredEvent]) -> Ledger {
        let mut ordered: Vec<&StoredEvent> = events.iter().collect();
        ordered.sort_by_key(|event| event.seq);

        let mut ledger = Ledger::default();
        for event in ordered {
            match correction_from_event(event) {
                Ok(None) => {}
                Ok(Some(CorrectionRecord::RatingCorrectionRequest(request))) => {
                    ledger.corrections.push(CorrectionView {
                        id: event.seq,
                        status: CorrectionStatus::Pending,
                        request,
                        decision: None,
                    });
                }
                Ok(Some(CorrectionRecord::RatingCorrectionDecision(decision))) => {
                    ledger.apply_decision(event.seq, decision);
                }
                Err(error) => ledger.unreadable.push(error.into()),
            }
        }
        ledger
    }

    fn apply_decision(&mut self, seq: i64, decision: CorrectionDecision) {
        let Some(view) = self
            .corrections
            .iter_mut()
            .find(|view| view.id == decision.request_id)
        else {
            self.unreadable.push(Unreadable {
                seq,
                reason: format!(
                    "decision {seq} refers to correction request {}, which is not an earlier \
                     rating correction request: ignored",
                    decision.request_id
                ),
            });
            return;
        };
        if let Some(first) = &view.decision {
            self.unreadable.push(Unreadable {
                seq,
                reason: format!(
                    "decision {seq} on correction request {} comes after decision {}: \
                     the first decision counts, so it is ignored",
                    view.id, first.id
                ),
            });
            return;
        }
        let rating_id = view.request.rating_id;
        let request_id = view.id;
        if decision.decision == Decision::Approved {
            // A rating has at most one approved correction. The API refuses
            // a second approval; one that reached the journal anyway (two
            // processes on one file) is set aside, and the first counts.
            let earlier = self.corrections.iter().find(|other| {
                other.request.rating_id == rating_id && other.status == CorrectionStatus::Approved
            });
            if let Some(earlier) = earlier {
                self.unreadable.push(Unreadable {
                    seq,
                    reason: format!(
                        "decision {seq} approves correction request {request_id} of rating \
                         {rating_id}, which already has an approved correction (request {}): \
                         the first approval counts, so it is ignored",
                        earlier.id
                    ),
                });
                return;
            }
        }
        let Some(view) = self
            .corrections
            .iter_mut()
            .find(|view| view.id == decision.request_id)
        else {
            return;
        };
        view.status = match decision.decision {
            Decision::Approved => CorrectionStatus::Approved,
            Decision::Rejected => CorrectionStatus::Rejected,
        };
        view.decision = Some(DecisionInfo {
            id: seq,
            decided_by: decision.decided_by,
            decided_at: decision.decided_at,
            reason: decision.reason,
        });
    }

    /// Returns the request with journal sequence `id`.
    pub fn get(&self, id: i64) -> Option<&CorrectionView> {
        self.corrections.iter().find(|view| view.id == id)
    }

    /// Returns the first request of `rating_id` with `status`.
    pub fn find(&self, rating_id: i64, status: CorrectionStatus) -> Option<&CorrectionView> {
        self.corrections
            .iter()
            .find(|view| view.request.rating_id == rating_id && view.status == status)
    }

    /// Returns the approved corrections as the rules read them.
    pub fn approved(&self) -> Vec<Correction> {
        self.corrections
            .iter()
            .filter_map(|view| {
                let decision = view.decision.as_ref()?;
                (view.status == CorrectionStatus::Approved).then(|| Correction {
                    rating_seq: view.request.rating_id,
                    new: view.request.level,
                    requested_by: view.request.requested_by.clone(),
                    approved_by: decision.decided_by.clone(),
                    approved_at: decision.decided_at,
                    reason: view.request.reason.clone(),
                })
            })
            .collect()
    }
}

/// Reads every rating correction request in the journal.
pub fn read_ledger(source: &impl EventSource) -> Result<Ledger, JournalError> {
    let (from, to) = all_time();
    let events = source.events_between(EventKind::Correction, from, to)?;
    Ok(Ledger::from_events(&events))
}

/// Reads the correction requests of one rating.
fn read_rating_ledger(source: &impl EventSource, rating_id: i64) -> Result<Ledger, JournalError> {
    let (from, to) = all_time();
    let subject = rating_subject(rating_id);
    let events = source.subject_events_between(EventKind::Correction, &subject, from, to)?;
    Ok(Ledger::from_events(&events))
}

/// The body of a correction request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// A level's snake_case name, or "void".
    pub level: String,
    pub reason: String,
    /// Staff id of the chief representative filing the request.
    pub requested_by: String,
}

/// The body of an approval or a rejection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub reason: String,
    /// Id of the bureau officer deciding.
    pub decided_by: String,
}

/// Checks a correction request for `rating_id` filed at `now` and stores it.
///
/// `submitted` carries the request body, kept in the record, and the API
/// caller whose audit entry is stored with it. The checks run in this
/// order: the fields, the rating, the window's unit and its chief, earlier
/// requests, the level, and the deadline. The caller has locked the API's
/// writer, so no other request is stored between the checks and the append.
pub fn file_request(
    journal: &mut Journal,
    config: &Config,
    rating_id: i64,
    input: &RequestInput,
    submitted: Submitted<'_>,
) -> Result<CorrectionView, CorrectionCheckError> {
    let Submitted { raw, audit, now } = submitted;
    let level: CorrectedLevel =
        input
            .level
            .trim()
            .parse()
            .map_err(|error| CorrectionCheckError::InvalidField {
                field: "level",
                message: format!("{error}"),
            })?;
    let reason = field(
        "reason",
        required_text(
            &input.reason,
            MAX_REASON_CHARS,
            "why the rating is wrong, such as \"申请人误按\"",
        ),
    )?;
    let requested_by = field(
        "requested_by",
        required_text(
            &input.requested_by,
            MAX_ACTOR_CHARS,
            "the chief representative's staff id such as \"S001\"",
        ),
    )?;

    let event = journal
        .event(rating_id)?
        .filter(|event| event.kind == EventKind::Rating)
        .ok_or(CorrectionCheckError::RatingNotFound { rating_id })?;
    let zone = config.site.time_zone;
    let press = press_from_event(&event, zone)?;

    let unit = unit_of_window(config, &press.window_id).ok_or_else(|| {
        CorrectionCheckError::WindowWithoutUnit {
            rating_id,
            window_id: press.window_id.clone(),
        }
    })?;
    // The API has checked that a chief token files for its own unit only;
    // here `requested_by` must be that unit's chief representative.
    match &unit.chief {
        None => {
            return Err(CorrectionCheckError::NoChief {
                unit_id: unit.id.clone(),
            })
        }
        Some(chief) if *chief != requested_by => {
            return Err(CorrectionCheckError::NotChief {
                requested_by,
                unit_id: unit.id.clone(),
                window_id: press.window_id.clone(),
            })
        }
        Some(_) => {}
    }

    let ledger = read_rating_ledger(journal, rating_id)?;
    if let Some(approved) = ledger.find(rating_id, CorrectionStatus::Approved) {
        return Err(CorrectionCheckError::AlreadyApproved {
            rating_id,
            request_id: approved.id,
        });
    }
    if let Some(pending) = ledger.find(rating_id, CorrectionStatus::Pending) {
        return Err(CorrectionCheckError::AlreadyPending {
            rating_id,
            request_id: pending.id,
        });
    }
    if let Some(previous) = repeated_press(journal, config, &event, &press)? {
        return Err(CorrectionCheckError::RepeatPress {
            rating_id,
            previous_id: previous.seq,
            keypad: press.keypad.clone(),
            gap_secs: (press.local - previous.local).num_seconds().abs(),
            window_secs: config.ratings.repeat_window_secs,
        });
    }
    if level == CorrectedLevel::Level(press.level) {
        return Err(CorrectionCheckError::SameLevel {
            rating_id,
            level: press.level,
        });
    }

    // The journal stores times to the microsecond, so the payload does too.
    let now = now.trunc_subsecs(6);
    let filed_at = utc_to_local(zone, now);
    let working_days = config.ratings.correction_working_days;
    check_request_time(&config.calendar, press.local, filed_at, working_days)?;
    let deadline = correction_deadline(&config.calendar, press.local, working_days)
        .map_err(DeadlineError::from)?;

    let request = CorrectionRequest {
        rating_id,
        window_id: press.window_id.clone(),
        unit_id: unit.id.clone(),
        pressed_at: press.local,
        original_level: press.level,
        level,
        reason,
        requested_by: requested_by.clone(),
        requested_at: filed_at,
        deadline,
    };
    let record = CorrectionRecord::RatingCorrectionRequest(request.clone());
    let key = format!(
        "{CORRECTION_REQUEST_TYPE}:{rating_id}:{}",
        now.timestamp_nanos_opt().unwrap_or_default()
    );
    let summary = format!(
        "correction of rating {rating_id} at {} from {} to {level} requested by {requested_by}",
        request.window_id, request.original_level
    );
    let stored = Stored {
        actor: &requested_by,
        key,
        rating_id,
        raw,
        now,
        audit,
        summary,
    };
    let seq = append(journal, stored, record)?;
    tracing::info!(
        correction = seq,
        rating = rating_id,
        unit = %request.unit_id,
        requested_by = %requested_by,
        level = %level,
        "correction requested"
    );
    Ok(CorrectionView {
        id: seq,
        status: CorrectionStatus::Pending,
        request,
        decision: None,
    })
}

/// Checks an approval or rejection of request `request_id` and stores it.
///
/// The checks run in this order: the fields, the request, who decides, and
/// the request's state. Ids are compared as people read them (see
/// [`same_id`]), so "s001" or "Ｓ００１" cannot decide where "S001" may
/// not. The caller has checked the bureau role and locked the API's
/// writer.
pub fn decide(
    journal: &mut Journal,
    config: &Config,
    request_id: i64,
    decision: Decision,
    input: &DecisionInput,
    submitted: Submitted<'_>,
) -> Result<CorrectionView, CorrectionCheckError> {
    let Submitted { raw, audit, now } = submitted;
    let reason = field(
        "reason",
        required_text(
            &input.reason,
            MAX_REASON_CHARS,
            "the reason for the decision",
        ),
    )?;
    let decided_by = field(
        "decided_by",
        required_text(
            &input.decided_by,
            MAX_ACTOR_CHARS,
            "the deciding officer's id such as \"bureau-wang\"",
        ),
    )?;

    let not_found = CorrectionCheckError::RequestNotFound { request_id };
    let event = journal
        .event(request_id)?
        .filter(|event| event.kind == EventKind::Correction)
        .ok_or(CorrectionCheckError::RequestNotFound { request_id })?;
    let Some(CorrectionRecord::RatingCorrectionRequest(request)) = correction_from_event(&event)?
    else {
        return Err(not_found);
    };
    let rating_id = request.rating_id;
    let ledger = read_rating_ledger(journal, rating_id)?;
    let view = ledger.get(request_id).ok_or(not_found)?;

    // The requester, the unit's staff and the person rated may not
    // decide.
    if same_id(&view.request.requested_by, &decided_by) {
        return Err(CorrectionCheckError::OwnRequest {
            request_id,
            decided_by,
        });
    }
    let unit_staff = config
        .staff
        .iter()
        .any(|staff| same_id(&staff.id, &decided_by) && staff.unit == view.request.unit_id);
    if unit_staff {
        return Err(CorrectionCheckError::SameUnit {
            request_id,
            decided_by,
            unit_id: view.request.unit_id.clone(),
        });
    }
    let roster = Roster::read(config, journal)?.assignments();
    let rated = staff_on_duty(
        &roster,
        &view.request.window_id,
        view.request.pressed_at.date(),
    );
    if rated.is_some_and(|staff| same_id(staff, &decided_by)) {
        return Err(CorrectionCheckError::RatedStaff {
            request_id,
            rating_id,
            decided_by,
            window_id: view.request.window_id.clone(),
        });
    }

    if let Some(done) = &view.decision {
        return Err(CorrectionCheckError::AlreadyDecided {
            request_id,
            status: view.status.as_str(),
            decided_by: done.decided_by.clone(),
            decided_at: done.decided_at,
        });
    }
    if decision == Decision::Approved {
        if let Some(approved) = ledger.find(rating_id, CorrectionStatus::Approved) {
            return Err(CorrectionCheckError::AlreadyApproved {
                rating_id,
                request_id: approved.id,
            });
        }
    }

    let now = now.trunc_subsecs(6);
    let decided_at = utc_to_local(config.site.time_zone, now);
    let record = CorrectionDecision {
        request_id,
        rating_id,
        decision,
        reason: reason.clone(),
        decided_by: decided_by.clone(),
        decided_at,
    };
    let key = format!("{CORRECTION_DECISION_TYPE}:{request_id}");
    let payload = CorrectionRecord::RatingCorrectionDecision(record);
    let status = match decision {
        Decision::Approved => CorrectionStatus::Approved,
        Decision::Rejected => CorrectionStatus::Rejected,
    };
    let summary = format!(
        "correction request {request_id} of rating {rating_id} {} by {decided_by}",
        status.as_str()
    );
    let stored = Stored {
        actor: &decided_by,
        key,
        rating_id,
        raw,
        now,
        audit,
        summary,
    };
    let seq = append(journal, stored, payload)?;
    tracing::info!(
        correction = request_id,
        rating = rating_id,
        decided_by = %decided_by,
        status = %status.as_str(),
        "correction decided"
    );

    let mut view = view.clone();
    view.status = status;
    view.decision = Some(DecisionInfo {
        id: seq,
        decided_by,
        decided_at,
        reason,
    });
    Ok(view)
}

/// Returns the press that `press` repeats, if it is a repeat: the press
/// just before it on the same keypad, in time order with equal times in
/// journal order, less than the repeat window before it. This is the
/// report's rule, so a press the report leaves out as a repeat is refused
/// here.
fn repeated_press(
    journal: &Journal,
    config: &Config,
    event: &StoredEvent,
    press: &RatingPress,
) -> Result<Option<RatingPress>, CorrectionCheckError> {
    let Some(at) = event.device_time else {
        return Ok(None);
    };
    let window_secs = config.ratings.repeat_window_secs;
    let span = TimeDelta::seconds(i64::from(window_secs));
    // One second past the press takes in presses stored at the same time.
    let events =
        journal.events_between(EventKind::Rating, at - span, at + TimeDelta::seconds(1))?;
    let zone = config.site.time_zone;
    let previous = events
        .iter()
        .filter(|other| other.seq != press.seq)
        .filter_map(|other| press_from_event(other, zone).ok())
        .filter(|other| other.keypad == press.keypad)
        .filter(|other| (other.local, other.seq) < (press.local, press.seq))
        .max_by_key(|other| (other.local, other.seq));
    Ok(previous.filter(|previous| is_repeat(previous.local, press.local, window_secs)))
}

fn field<T>(name: &'static str, result: Result<T, String>) -> Result<T, CorrectionCheckError> {
    result.map_err(|message| CorrectionCheckError::InvalidField {
        field: name,
        message,
    })
}

/// The storage details of a correction record: who made it, its key, and
/// the audit entry stored with it.
struct Stored<'a> {
    /// The person named in the body: the requester or the decider.
    actor: &'a str,
    key: String,
    rating_id: i64,
    raw: &'a [u8],
    now: DateTime<Utc>,
    audit: Option<AuditBy<'a>>,
    summary: String,
}

/// Appends one correction record, with its audit entry in the same
/// transaction, and returns the record's sequence number.
fn append(
    journal: &mut Journal,
    stored: Stored<'_>,
    record: CorrectionRecord,
) -> Result<i64, CorrectionCheckError> {
    let payload = serde_json::to_value(&record).map_err(|error| RecordError::InvalidPayload {
        seq: 0,
        message: error.to_string(),
    })?;
    let event = NewEvent {
        kind: EventKind::Correction,
        device_id: stored.actor.to_string(),
        idempotency_key: stored.key,
        device_time: Some(stored.now),
        received_at: stored.now,
        subject: Some(rating_subject(stored.rating_id)),
        raw: stored.raw.to_vec(),
        payload,
    };
    let key = event.idempotency_key.clone();
    match append_audited(journal, event, stored.audit, stored.summary)? {
        Appended::Stored { seq } => Ok(seq),
        // Only another process on the same journal stores the same key
        // between the checks and the append.
        Appended::Duplicate { seq } => Err(CorrectionCheckError::StoredMeanwhile { key, seq }),
    }
}
