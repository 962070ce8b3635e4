//! The leave rules: the approval chain a leave of a given length needs,
//! its length in days, and the paperwork deadline of emergency leave.
//!
//! Approval chain by length, from the hall's leave rules (请休假制度):
//!
//! | length | who signs, in this order |
//! | --- | --- |
//! | up to 2 days, 2 included (2天以内（含2天）) | chief representative, bureau |
//! | up to 3 days, 3 included | chief representative, bureau, the bureau's head |
//! | more than 3 days | chief representative, bureau, the stationing department's leader, the bureau's head |
//!
//! Leave is granted only when every step has signed in this order (逐级签字).
//! The length counts the half-day sessions the leave touches on working
//! days, so a leave of two and a half days needs the three-day chain.
//!
//! Annual, home-visit, marriage, maternity and bereavement leave need the
//! four-step chain at any length (年休假、探亲假、婚假、产假、丧假: chief
//! representative, bureau, the stationing department's leader, the
//! bureau's head), because the stationing department arranges a stand-in.
//!
//! Emergency leave (the bureau told before 08:30 on the first day) is
//! registered before it is signed. Its paperwork is due within 3 working
//! days after the leave ends: the last day of leave does not count, and the
//! period ends at 24:00 on the third working day after it. Leave whose
//! paperwork comes later counts as absence.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};
use crate::rules::attendance::WriteOffKind;
use crate::rules::{Checkpoint, Slot};

/// Half-day sessions up to which the two-step chain suffices: 2 days.
const TWO_STEP_MAX_HALF_DAYS: u32 = 4;
/// Half-day sessions up to which the three-step chain suffices: 3 days.
const THREE_STEP_MAX_HALF_DAYS: u32 = 6;
/// Working days after the end of emergency leave in which its paperwork is
/// due.
pub const PAPERWORK_WORKING_DAYS: u32 = 3;

/// One signature of a leave form, in the order the chain requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStep {
    /// The window unit's chief representative (窗口首席事务代表).
    ChiefRepresentative,
    /// The supervision bureau (县政务服务监管局).
    Bureau,
    /// The leader in charge at the stationing department (进驻单位主管领导).
    DepartmentLeader,
    /// The bureau's head (县政务服务监管局主要领导).
    BureauHead,
}

impl ApprovalStep {
    /// Returns the name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStep::ChiefRepresentative => "chief_representative",
            ApprovalStep::Bureau => "bureau",
            ApprovalStep::DepartmentLeader => "department_leader",
            ApprovalStep::BureauHead => "bureau_head",
        }
    }

    /// Returns the Chinese name used in reports.
    pub fn label_zh(self) -> &'static str {
        match self {
            ApprovalStep::ChiefRepresentative => "首席事务代表",
            ApprovalStep::Bureau => "监管局",
            ApprovalStep::DepartmentLeader => "进驻单位主管领导",
            ApprovalStep::BureauHead => "监管局主要领导",
        }
    }
}

impl fmt::Display for ApprovalStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One signature on a leave form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub step: ApprovalStep,
    /// Name of the person who signed.
    pub name: String,
    /// Day of the signature, if written on the form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
}

/// Errors of an approval chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("a leave of {days} days needs the signatures of {}, and {} is missing", join(.required), join(.missing))]
    Incomplete {
        days: String,
        required: Vec<ApprovalStep>,
        missing: Vec<ApprovalStep>,
    },
    #[error("{kind} needs the signatures of {} at any length, and {} is missing", join(.required), join(.missing))]
    KindIncomplete {
        kind: &'static str,
        required: Vec<ApprovalStep>,
        missing: Vec<ApprovalStep>,
    },
    #[error("step {step} comes after {previous}: list the signatures in the order chief_representative, bureau, department_leader, bureau_head")]
    OutOfOrder {
        index: usize,
        step: ApprovalStep,
        previous: ApprovalStep,
    },
    #[error("step {step} is listed twice: list each signature once")]
    Duplicate { index: usize, step: ApprovalStep },
}

impl ChainError {
    /// Path of the request field the error is about.
    pub fn field(&self, list: &str) -> String {
        match self {
            ChainError::Incomplete { .. } | ChainError::KindIncomplete { .. } => list.to_string(),
            ChainError::OutOfOrder { index, .. } | ChainError::Duplicate { index, .. } => {
                format!("{list}[{index}].step")
            }
        }
    }
}

fn join(steps: &[ApprovalStep]) -> String {
    let names: Vec<&str> = steps.iter().map(|step| step.as_str()).collect();
    names.join(", ")
}

/// Returns the signatures a leave of `half_days` half-day sessions needs,
/// in order.
pub fn required_steps(half_days: u32) -> &'static [ApprovalStep] {
    use ApprovalStep::*;
    if half_days <= TWO_STEP_MAX_HALF_DAYS {
        &[ChiefRepresentative, Bureau]
    } else if half_days <= THREE_STEP_MAX_HALF_DAYS {
        &[ChiefRepresentative, Bureau, BureauHead]
    } else {
        &[ChiefRepresentative, Bureau, DepartmentLeader, BureauHead]
    }
}

/// Checks that the signatures are in chain order, each step at most once.
pub fn check_order(approvals: &[Approval]) -> Result<(), ChainError> {
    for (index, pair) in approvals.windows(2).enumerate() {
        let (previous, step) = (pair[0].step, pair[1].step);
        if step == previous {
            return Err(ChainError::Duplicate {
                index: index + 1,
                step,
            });
        }
        if step < previous {
            return Err(ChainError::OutOfOrder {
                index: index + 1,
                step,
                previous,
            });
        }
    }
    Ok(())
}

/// Checks that a leave of `half_days` has every signature its length
/// needs, in order. Signatures beyond the required ones are allowed.
pub fn check_chain(half_days: u32, approvals: &[Approval]) -> Result<(), ChainError> {
    check_order(approvals)?;
    let required = required_steps(half_days);
    let missing = missing_steps(required, approvals);
    if missing.is_empty() {
        return Ok(());
    }
    Err(ChainError::Incomplete {
        days: days_text(half_days),
        required: required.to_vec(),
        missing,
    })
}

/// Returns the steps of `required` that no signature of `approvals` is for.
fn missing_steps(required: &[ApprovalStep], approvals: &[Approval]) -> Vec<ApprovalStep> {
    required
        .iter()
        .copied()
        .filter(|step| !approvals.iter().any(|approval| approval.step == *step))
        .collect()
}

/// The signatures every leave of these kinds needs, whatever its length.
const FULL_CHAIN_KINDS: [WriteOffKind; 5] = [
    WriteOffKind::AnnualLeave,
    WriteOffKind::HomeVisitLeave,
    WriteOffKind::MarriageLeave,
    WriteOffKind::MaternityLeave,
    WriteOffKind::BereavementLeave,
];

/// Checks that a leave of `kind` and `half_days` has every signature it
/// needs, in order: the four-step chain for annual, home-visit, marriage,
/// maternity and bereavement leave, and otherwise the chain of its length
/// ([`check_chain`]).
pub fn check_leave_chain(
    kind: WriteOffKind,
    half_days: u32,
    approvals: &[Approval],
) -> Result<(), ChainError> {
    if !FULL_CHAIN_KINDS.contains(&kind) {
        return check_chain(half_days, approvals);
    }
    check_order(approvals)?;
    use ApprovalStep::*;
    let required = [ChiefRepresentative, Bureau, DepartmentLeader, BureauHead];
    let missing = missing_steps(&required, approvals);
    if missing.is_empty() {
        return Ok(());
    }
    Err(ChainError::KindIncomplete {
        kind: kind.as_str(),
        required: required.to_vec(),
        missing,
    })
}

/// Writes half-days as days: 4 as "2", 5 as "2.5".
pub fn days_text(half_days: u32) -> String {
    if half_days.is_multiple_of(2) {
        format!("{}", half_days / 2)
    } else {
        format!("{}.5", half_days / 2)
    }
}

/// Counts the half-day sessions on working days that the slots from
/// `first` to `last` touch.
pub fn half_days(calendar: &Calendar, first: Slot, last: Slot) -> Result<u32, CalendarError> {
    let mut count = 0;
    for date in first.date.iter_days() {
        if date > last.date {
            break;
        }
        if !calendar.is_working_day(date)? {
            continue;
        }
        let from = if date == first.date {
            first.checkpoint
        } else {
            Checkpoint::MorningIn
        };
        let to = if date == last.date {
            last.checkpoint
        } else {
            Checkpoint::EveningOut
        };
        let morning = from <= Checkpoint::NoonOut;
        let afternoon = to >= Checkpoint::AfternoonIn;
        count += u32::from(morning) + u32::from(afternoon);
    }
    Ok(count)
}

/// Returns the last day on which the paperwork of emergency leave ending on
/// `last_day` is in time: the third working day after it.
pub fn paperwork_deadline(
    calendar: &Calendar,
    last_day: NaiveDate,
) -> Result<NaiveDate, CalendarError> {
    calendar.nth_working_day_after(last_day, PAPERWORK_WORKING_DAYS)
}

#[cfg(test)]
mod tests;
