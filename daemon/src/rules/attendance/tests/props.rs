//! Properties that hold for any punches: nothing is lost, counts agree.

use proptest::prelude::*;

use super::*;

/// Generates a punch anywhere from December 2025 to February 2026, second by second,
/// by one of five PINs of which "9" is not on the roster.
fn any_punch() -> impl Strategy<Value = (u8, i64, u8)> {
    // (PIN, seconds after 2025-12-01 00:00, status)
    (0u8..5, 0i64..(92 * 86_400), any::<u8>())
}

fn build(raw: &[(u8, i64, u8)]) -> Vec<Punch> {
    let base = datetime("2025-12-01 00:00:00");
    raw.iter()
        .enumerate()
        .map(|(i, &(pin, offset, status))| Punch {
            seq: i as i64 + 1,
            pin: ["1", "2", "3", "4", "9"][usize::from(pin)].to_string(),
            local: base + chrono::Duration::seconds(offset),
            status: Some(status),
            device_id: "clock-1".to_string(),
        })
        .collect()
}

proptest! {
    #[test]
    fn punches_all_accounted(
        raw in proptest::collection::vec(any_punch(), 0..400),
        as_of_offset in 0i64..(92 * 86_400),
        as_people in any::<bool>(),
    ) {
        let punches = build(&raw);
        let mut fixture = Fixture::new();
        fixture.as_of = datetime("2025-12-01 00:00:00") + chrono::Duration::seconds(as_of_offset);
        fixture.unknown_pins_as_people = as_people;
        let mut leaver = person("p4", "4", Some("2026-01-10"));
        leaver.end = Some(date("2026-01-20"));
        let people = [
            person("p1", "1", None),
            person("p2", "2", Some("2026-01-15")),
            person("p3", "3", None),
            leaver,
        ];
        let result = fixture.month(&people, &punches, 2026, 1);

        // Every January punch is listed once, with its person or its PIN.
        let in_month = punches
            .iter()
            .filter(|p| p.local.date() >= date("2026-01-01") && p.local.date() < date("2026-02-01"))
            .count();
        let listed: usize = result.people.iter().map(|p| p.punches.len()).sum::<usize>()
            + result.unknown_credentials.iter().map(|u| u.count).sum::<usize>();
        prop_assert_eq!(listed, in_month);

        for person in &result.people {
            let totals = person.totals;
            prop_assert_eq!(person.days.len(), result.working_days.len());
            prop_assert_eq!(totals.absent_days * 2.0, f64::from(totals.absent_half_days));
            prop_assert_eq!(totals.deemed_absences, (totals.late + totals.early) / 3);
            prop_assert!(totals.attendance_score >= 0.0);
            prop_assert!(totals.attendance_score <= 20.0);
            prop_assert!(totals.absence_occurrences_year >= totals.absence_occurrences_month);
            prop_assert_eq!(totals.return_to_department, totals.absence_occurrences_year >= 3);

            let counted: Vec<&SessionResult> = person
                .days
                .iter()
                .filter(|d| d.state != DayState::NotEmployed)
                .flat_map(|d| d.sessions.iter())
                .filter(|s| !s.pending)
                .collect();
            let late = counted.iter().filter(|s| s.late).count();
            let absent = counted.iter().filter(|s| s.absent).count();
            prop_assert_eq!(totals.late as usize, late);
            prop_assert_eq!(totals.absent_half_days as usize, absent);
            prop_assert!(counted.iter().all(|s| !(s.absent && (s.late || s.early))));

            // Each checkpoint's punch is one the person made that day.
            for day in &person.days {
                for checkpoint in &day.checkpoints {
                    if let Some(seq) = checkpoint.seq {
                        let punch = &punches[(seq - 1) as usize];
                        prop_assert_eq!(punch.local.date(), day.date);
                        prop_assert_eq!(checkpoint.time(), Some(punch.local.time()));
                    }
                }
            }
        }
    }
}
