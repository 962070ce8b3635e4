//! The bodies of the write-off requests and their validation into stored
//! actions. Every check names the field it failed on.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use serde::Deserialize;

use super::{Emergency, Paperwork, Registration, Revocation, WriteOff};
use crate::auth::Actor;
use crate::calendar::CalendarError;
use crate::config::Config;
use crate::records::input::{self, FieldError, MAX_NAME_CHARS, MAX_TEXT_CHARS};
use crate::records::leave::{self, Approval, ApprovalStep};
use crate::records::RequestError;
use crate::rules::{Checkpoint, Slot, WriteOffKind};

/// Maximum span of one write-off, in days from its first to its last day.
/// Maternity leave, the longest kind, is 98 days under national law plus
/// the province's extension, so a year leaves room; longer leave is
/// registered in parts.
const MAX_SPAN_DAYS: i64 = 366;

/// `POST /api/v1/writeoffs`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Staff id.
    pub person: String,
    pub kind: WriteOffKind,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`; `from` when left out.
    #[serde(default)]
    pub to: Option<String>,
    /// First checkpoint covered on `from`; `morning_in` when left out.
    #[serde(default)]
    pub from_checkpoint: Option<Checkpoint>,
    /// Last checkpoint covered on `to`; `evening_out` when left out.
    #[serde(default)]
    pub to_checkpoint: Option<Checkpoint>,
    pub reason: String,
    pub approved_by: String,
    #[serde(default)]
    pub approvals: Vec<ApprovalInput>,
    #[serde(default)]
    pub sick_certificate: Option<bool>,
    #[serde(default)]
    pub emergency: Option<EmergencyInput>,
}

/// One signature as sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalInput {
    pub step: ApprovalStep,
    pub name: String,
    /// `YYYY-MM-DD`, if written on the form.
    #[serde(default)]
    pub date: Option<String>,
}

/// The emergency part of a registration as sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyInput {
    /// Local time `YYYY-MM-DDTHH:MM:SS` at which the bureau was notified.
    pub notified_at: String,
}

/// `POST /api/v1/writeoffs/{id}/paperwork`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperworkRequest {
    /// `YYYY-MM-DD`, the day the paperwork was completed.
    pub completed_on: String,
    pub approvals: Vec<ApprovalInput>,
    #[serde(default)]
    pub sick_certificate: Option<bool>,
}

/// `POST /api/v1/writeoffs/{id}/revoke`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    pub reason: String,
}

impl RegisterRequest {
    /// Checks the request against the configuration at the local time
    /// `now` and returns the registration to store.
    pub fn validate(
        self,
        config: &Config,
        now: NaiveDateTime,
        actor: &Actor,
    ) -> Result<Registration, FieldError> {
        let person = input::staff_id(config, "person", &self.person)?;
        let from = input::date("from", &self.from)?;
        let to = match &self.to {
            Some(text) => input::date("to", text)?,
            None => from,
        };
        if to < from {
            return Err(FieldError::new(
                "to",
                format!("last day {to} is before the first day {from}: send to on or after from"),
            ));
        }
        if (to - from).num_days() > MAX_SPAN_DAYS {
            return Err(FieldError::new(
                "to",
                format!(
                    "the write-off spans {} days: register at most {MAX_SPAN_DAYS} days at once",
                    (to - from).num_days()
                ),
            ));
        }
        let first = Slot {
            date: from,
            checkpoint: self.from_checkpoint.unwrap_or(Checkpoint::MorningIn),
        };
        let last = Slot {
            date: to,
            checkpoint: self.to_checkpoint.unwrap_or(Checkpoint::EveningOut),
        };
        if last < first {
            return Err(FieldError::new(
                "to_checkpoint",
                format!(
                    "{} comes before {} on the same day: send the checkpoints in the order of \
                     the day",
                    last.checkpoint.as_str(),
                    first.checkpoint.as_str()
                ),
            ));
        }
        let half_days = leave::half_days(&config.calendar, first, last).map_err(|error| {
            // Name the end of the span whose year the calendar lacks.
            let field = match &error {
                CalendarError::NotCovered { date, .. } if date.year() == from.year() => "from",
                _ => "to",
            };
            FieldError::new(field, error.to_string())
        })?;
        if half_days == 0 {
            return Err(FieldError::new(
                "from",
                format!("{from} to {to} has no working day: write off working days only"),
            ));
        }

        let reason = input::text("reason", &self.reason, MAX_TEXT_CHARS)?;
        let approved_by = input::text("approved_by", &self.approved_by, MAX_NAME_CHARS)?;
        let approvals = approvals("approvals", &self.approvals)?;
        let sick_certificate = match (self.kind, self.sick_certificate) {
            (WriteOffKind::SickLeave, certificate) => Some(certificate.unwrap_or(false)),
            (_, None) => None,
            (kind, Some(_)) => {
                return Err(FieldError::new(
                    "sick_certificate",
                    format!(
                        "a doctor's certificate belongs to sick_leave, and this is {}: \
                         remove the field",
                        kind.as_str()
                    ),
                ))
            }
        };

        let emergency = match &self.emergency {
            None => None,
            Some(emergency) => Some(check_emergency(config, self.kind, from, emergency, now)?),
        };
        // Emergency leave is signed later, with its paperwork.
        if self.kind.is_leave() && emergency.is_none() {
            leave::check_leave_chain(self.kind, half_days, &approvals)
                .map_err(|error| FieldError::new(error.field("approvals"), error.to_string()))?;
        }

        Ok(Registration {
            person,
            kind: self.kind,
            from,
            to,
            from_checkpoint: first.checkpoint,
            to_checkpoint: last.checkpoint,
            reason,
            approved_by,
            approvals,
            sick_certificate,
            emergency,
            half_days,
            actor: actor.clone(),
        })
    }
}

/// Checks that emergency leave was reported on its first day by the
/// morning sign-in time (08:30 by default), compared in whole minutes as
/// punches are.
fn check_emergency(
    config: &Config,
    kind: WriteOffKind,
    from: NaiveDate,
    emergency: &EmergencyInput,
    now: NaiveDateTime,
) -> Result<Emergency, FieldError> {
    let field = "emergency.notified_at";
    if !kind.is_leave() {
        return Err(FieldError::new(
            "emergency",
            format!(
                "only leave can be emergency leave, and this is {}: remove the field",
                kind.as_str()
            ),
        ));
    }
    let notified_at = input::local_time(field, &emergency.notified_at)?;
    input::not_in_future(field, notified_at, now)?;
    let morning_in = config.attendance.spec(Checkpoint::MorningIn).at;
    let minute = |hour: u32, minute: u32| hour * 60 + minute;
    let late = notified_at.date() != from
        || minute(notified_at.hour(), notified_at.minute())
            > minute(morning_in.hour(), morning_in.minute());
    if late {
        return Err(FieldError::new(
            field,
            format!(
                "emergency leave must be reported on its first day {from} by {}, and this was \
                 reported at {}: register ordinary leave with its signatures instead",
                morning_in.format("%H:%M"),
                notified_at.format("%Y-%m-%dT%H:%M:%S")
            ),
        ));
    }
    Ok(Emergency { notified_at })
}

impl PaperworkRequest {
    /// Checks the paperwork of `write_off` at the local time `now`.
    pub fn validate(
        self,
        write_off: &WriteOff,
        now: NaiveDateTime,
        actor: &Actor,
    ) -> Result<Paperwork, RequestError> {
        let registration = &write_off.registration;
        let Some(emergency) = &registration.emergency else {
            return Err(RequestError::Conflict(format!(
                "write-off {} is not emergency leave, so it has no paperwork to complete",
                write_off.id
            )));
        };
        check_open(write_off)?;
        if write_off.paperwork.is_some() {
            return Err(RequestError::Conflict(format!(
                "the paperwork of write-off {} is already completed",
                write_off.id
            )));
        }

        let completed_on = input::date("completed_on", &self.completed_on)?;
        if completed_on > now.date() {
            return Err(FieldError::new(
                "completed_on",
                format!(
                    "{completed_on} is in the future: send the day the paperwork was completed"
                ),
            )
            .into());
        }
        if completed_on < emergency.notified_at.date() {
            return Err(FieldError::new(
                "completed_on",
                format!(
                    "{completed_on} is before the leave was reported on {}: send the day the \
                     paperwork was completed",
                    emergency.notified_at.date()
                ),
            )
            .into());
        }
        let approvals = approvals("approvals", &self.approvals)?;
        leave::check_leave_chain(registration.kind, registration.half_days, &approvals)
            .map_err(|error| FieldError::new(error.field("approvals"), error.to_string()))?;
        if self.sick_certificate.is_some() && registration.kind != WriteOffKind::SickLeave {
            return Err(FieldError::new(
                "sick_certificate",
                "a doctor's certificate belongs to sick_leave: remove the field",
            )
            .into());
        }
        Ok(Paperwork {
            write_off: write_off.id,
            completed_on,
            approvals,
            sick_certificate: self.sick_certificate,
            actor: actor.clone(),
        })
    }
}

impl RevokeRequest {
    /// Checks the revocation of `write_off`.
    pub fn validate(self, write_off: &WriteOff, actor: &Actor) -> Result<Revocation, RequestError> {
        check_open(write_off)?;
        let reason = input::text("reason", &self.reason, MAX_TEXT_CHARS)?;
        Ok(Revocation {
            write_off: write_off.id,
            reason,
            actor: actor.clone(),
        })
    }
}

/// Fails when the write-off is already revoked.
fn check_open(write_off: &WriteOff) -> Result<(), RequestError> {
    if write_off.revocation.is_some() {
        return Err(RequestError::Conflict(format!(
            "write-off {} is revoked: register a new one instead",
            write_off.id
        )));
    }
    Ok(())
}

/// Checks each signature's name and date and the order of the steps.
fn approvals(field: &str, inputs: &[ApprovalInput]) -> Result<Vec<Approval>, FieldError> {
    let mut approvals = Vec::with_capacity(inputs.len());
    for (index, approval) in inputs.iter().enumerate() {
        let name = input::text(
            &format!("{field}[{index}].name"),
            &approval.name,
            MAX_NAME_CHARS,
        )?;
        let date = match &approval.date {
            Some(text) => Some(input::date(&format!("{field}[{index}].date"), text)?),
            None => None,
        };
        approvals.push(Approval {
            step: approval.step,
            name,
            date,
        });
    }
    leave::check_order(&approvals)
        .map_err(|error| FieldError::new(error.field(field), error.to_string()))?;
    Ok(approvals)
}
