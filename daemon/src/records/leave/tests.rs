//! Approval chains, leave lengths and paperwork deadlines, worked out by
//! hand on the shipped 2026 calendar.

use std::path::Path;

use super::*;

fn calendar() -> Calendar {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/calendar");
    Calendar::load_official(&[dir.join("cn-2025.toml"), dir.join("cn-2026.toml")])
        .expect("shipped calendar files load")
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

fn slot(day: &str, checkpoint: Checkpoint) -> Slot {
    Slot {
        date: date(day),
        checkpoint,
    }
}

fn chain(steps: &[ApprovalStep]) -> Vec<Approval> {
    steps
        .iter()
        .map(|step| Approval {
            step: *step,
            name: format!("signer of {step}"),
            date: None,
        })
        .collect()
}

use ApprovalStep::{Bureau, BureauHead, ChiefRepresentative, DepartmentLeader};

#[test]
fn chain_by_length() {
    let two = [ChiefRepresentative, Bureau];
    let three = [ChiefRepresentative, Bureau, BureauHead];
    let four = [ChiefRepresentative, Bureau, DepartmentLeader, BureauHead];
    // (half-days, signatures, missing steps or None when complete)
    type Case<'s> = (u32, &'s [ApprovalStep], Option<Vec<ApprovalStep>>);
    let cases: [Case; 10] = [
        (1, &two, None),
        // "Up to 2 days" includes 2 days.
        (4, &two, None),
        (5, &two, Some(vec![BureauHead])),
        (6, &two, Some(vec![BureauHead])),
        (6, &three, None),
        (7, &three, Some(vec![DepartmentLeader])),
        (7, &four, None),
        (40, &four, None),
        (2, &[Bureau], Some(vec![ChiefRepresentative])),
        (2, &[], Some(vec![ChiefRepresentative, Bureau])),
    ];
    for (half_days, steps, missing) in cases {
        let result = check_chain(half_days, &chain(steps));
        match missing {
            None => assert_eq!(result, Ok(()), "{half_days} half-days, {steps:?}"),
            Some(missing) => match result {
                Err(ChainError::Incomplete { missing: found, .. }) => {
                    assert_eq!(found, missing, "{half_days} half-days, {steps:?}")
                }
                other => panic!("{half_days} half-days, {steps:?}: {other:?}"),
            },
        }
    }
}

#[test]
fn chain_extra_steps_allowed() {
    assert_eq!(
        check_chain(2, &chain(&[ChiefRepresentative, Bureau, BureauHead])),
        Ok(())
    );
}

#[test]
fn chain_order_and_duplicates() {
    assert_eq!(
        check_chain(2, &chain(&[Bureau, ChiefRepresentative])),
        Err(ChainError::OutOfOrder {
            index: 1,
            step: ChiefRepresentative,
            previous: Bureau
        })
    );
    let error = check_chain(
        8,
        &chain(&[ChiefRepresentative, Bureau, BureauHead, DepartmentLeader]),
    )
    .unwrap_err();
    assert_eq!(error.field("approvals"), "approvals[3].step");
    assert_eq!(
        check_chain(2, &chain(&[ChiefRepresentative, Bureau, Bureau])),
        Err(ChainError::Duplicate {
            index: 2,
            step: Bureau
        })
    );
}

#[test]
fn chain_full_for_kinds() {
    use crate::rules::attendance::WriteOffKind::*;
    let two = [ChiefRepresentative, Bureau];
    let four = [ChiefRepresentative, Bureau, DepartmentLeader, BureauHead];
    // Half a day of annual leave still needs all four signatures.
    let error = check_leave_chain(AnnualLeave, 1, &chain(&two)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "annual_leave needs the signatures of chief_representative, bureau, department_leader, \
         bureau_head at any length, and department_leader, bureau_head is missing"
    );
    assert_eq!(error.field("approvals"), "approvals");
    for kind in [
        AnnualLeave,
        HomeVisitLeave,
        MarriageLeave,
        MaternityLeave,
        BereavementLeave,
    ] {
        assert!(
            check_leave_chain(kind, 2, &chain(&two)).is_err(),
            "{kind:?}"
        );
        assert_eq!(
            check_leave_chain(kind, 2, &chain(&four)),
            Ok(()),
            "{kind:?}"
        );
    }
    // Other kinds follow their length: one day of personal or sick leave
    // needs two signatures.
    for kind in [PersonalLeave, SickLeave, PublicDutyLeave, ExtendedLeave] {
        assert_eq!(check_leave_chain(kind, 2, &chain(&two)), Ok(()), "{kind:?}");
    }
}

#[test]
fn chain_message_names_missing() {
    let error = check_chain(6, &chain(&[ChiefRepresentative, Bureau])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "a leave of 3 days needs the signatures of chief_representative, bureau, bureau_head, \
         and bureau_head is missing"
    );
    assert_eq!(error.field("approvals"), "approvals");
}

#[test]
fn half_days_of_spans() {
    let calendar = calendar();
    use Checkpoint::*;
    // (first, last, half-days on working days)
    let cases = [
        // Monday 2026-11-02, whole day.
        (
            slot("2026-11-02", MorningIn),
            slot("2026-11-02", EveningOut),
            2,
        ),
        (
            slot("2026-11-02", MorningIn),
            slot("2026-11-02", NoonOut),
            1,
        ),
        (
            slot("2026-11-02", AfternoonIn),
            slot("2026-11-02", EveningOut),
            1,
        ),
        (
            slot("2026-11-02", MorningIn),
            slot("2026-11-02", MorningIn),
            1,
        ),
        (
            slot("2026-11-02", NoonOut),
            slot("2026-11-02", AfternoonIn),
            2,
        ),
        // Monday to Wednesday morning: 2 days and a half.
        (
            slot("2026-11-02", MorningIn),
            slot("2026-11-04", NoonOut),
            5,
        ),
        // Friday 2026-11-06 to Monday 2026-11-09 over a weekend: 2 days.
        (
            slot("2026-11-06", MorningIn),
            slot("2026-11-09", EveningOut),
            4,
        ),
        // Saturday and Sunday only.
        (
            slot("2026-11-07", MorningIn),
            slot("2026-11-08", EveningOut),
            0,
        ),
        // National Day 2026-10-01 to 10-07 are rest days, 10-08 a workday.
        (
            slot("2026-09-30", AfternoonIn),
            slot("2026-10-08", NoonOut),
            2,
        ),
    ];
    for (first, last, expected) in cases {
        assert_eq!(
            half_days(&calendar, first, last).unwrap(),
            expected,
            "{first:?} to {last:?}"
        );
    }
}

#[test]
fn deadline_third_working_day() {
    let calendar = calendar();
    // (last day of leave, last day the paperwork is in time)
    let cases = [
        // Monday: Tuesday, Wednesday, Thursday.
        ("2026-11-02", "2026-11-05"),
        // Thursday: Friday, Monday, Tuesday.
        ("2026-11-05", "2026-11-10"),
        // Friday: Monday, Tuesday, Wednesday.
        ("2026-11-06", "2026-11-11"),
        // Wednesday 2026-09-30 before National Day (rest 10-01 to 10-07):
        // Thursday 10-08, Friday 10-09, and Saturday 10-10, a make-up workday.
        ("2026-09-30", "2026-10-10"),
    ];
    for (last_day, deadline) in cases {
        assert_eq!(
            paperwork_deadline(&calendar, date(last_day)).unwrap(),
            date(deadline),
            "leave ending {last_day}"
        );
    }
}

#[test]
fn days_text_halves() {
    assert_eq!(days_text(4), "2");
    assert_eq!(days_text(5), "2.5");
    assert_eq!(days_text(1), "0.5");
}
