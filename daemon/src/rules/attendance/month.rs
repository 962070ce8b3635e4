//! The month's evaluation: punches sorted out by person, days judged, totals
//! and the year's absence occurrences counted.
//!
//! Every punch's PIN is hashed once, each person's punches are sorted once,
//! and each person's groups are walked once alongside the working days from
//! January 1, so the cost grows with the number of punches plus people
//! times days.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use super::cover::{CoverIndex, PersonCovers, WrittenOffTotals};
use super::day::{evaluate_day, not_employed_day, Clock};
use super::grouping::{group_punches, Stamp, SECONDS_PER_DAY};
use super::{
    CheckpointResult, DayResult, DayState, MonthAttendance, MonthInput, MonthTotals, Outcome,
    OutsidePunch, Person, PersonMonth, Punch, PunchEntry, RulesError, UnknownCredential,
};
use crate::calendar::Calendar;
use crate::rules::settings::{AttendanceSettings, Checkpoint};

/// Judges every working day of the month for every person.
///
/// Fails on settings that leave a punch's checkpoint ambiguous, on a month
/// outside 1 to 12 and on a PIN given to two people. It also fails when the
/// calendar does not cover a day from January 1 to the end of the month.
pub fn evaluate_month<'a>(input: &MonthInput<'a, '_>) -> Result<MonthAttendance<'a>, RulesError> {
    check_settings(input.settings)?;
    let span = Span::new(input.year, input.month)?;
    let days = WorkingDays::new(input.calendar, &span)?;
    let owners = pin_owners(input.people)?;
    let sorted = SortedPunches::new(input.punches, &span, owners, input.people.len());

    // A person employed on no day of the month is left out, unless their
    // PIN punched in it, so that no punch of the month goes unseen.
    let month_start_day = span.month_start.ordinal0();
    let mut subjects: Vec<(Subject<'a>, &[Stamp])> = input
        .people
        .iter()
        .enumerate()
        .filter(|(owner, person)| {
            let employed = person.start.is_none_or(|start| start < span.month_end)
                && person.end.is_none_or(|end| end >= span.month_start);
            let punched = sorted
                .of_owner(*owner)
                .iter()
                .any(|stamp| stamp.day() >= month_start_day);
            employed || punched
        })
        .map(|(owner, person)| (Subject::from_person(person), sorted.of_owner(owner)))
        .collect();

    // PINs not on the roster: listed, or judged as people of their own.
    let mut unknown_credentials = Vec::new();
    let mut unknown: Vec<(&'a str, usize)> = sorted
        .unknown_pins
        .iter()
        .copied()
        .zip(input.people.len()..)
        .collect();
    unknown.sort_unstable_by_key(|(pin, _)| *pin);
    for (pin, owner) in unknown {
        let stamps = sorted.of_owner(owner);
        let first_in_month = stamps.partition_point(|s| s.day() < month_start_day);
        if first_in_month == stamps.len() {
            continue;
        }
        if input.unknown_pins_as_people {
            let first_date = input.punches[stamps[0].index].local.date();
            subjects.push((Subject::from_pin(pin, Some(first_date)), stamps));
        } else {
            let punches: Vec<&'a Punch> = stamps[first_in_month..]
                .iter()
                .map(|s| &input.punches[s.index])
                .collect();
            unknown_credentials.push(UnknownCredential {
                pin,
                count: punches.len(),
                punches,
            });
        }
    }

    let covers = CoverIndex::new(input.covers);
    let mut outside_windows = Vec::new();
    let people = subjects
        .into_iter()
        .map(|(subject, stamps)| {
            let person_covers = covers.of_person(subject.id);
            let judged = Judged {
                subject,
                stamps,
                covers: &person_covers,
            };
            evaluate_person(input, &span, &days, judged, &mut outside_windows)
        })
        .collect();

    Ok(MonthAttendance {
        year: input.year,
        month: input.month,
        as_of: input.as_of,
        working_days: days.of_month(&span).to_vec(),
        people,
        unknown_credentials,
        outside_windows,
    })
}

/// The punches of the span as stamps, sorted by owner and then by time.
///
/// Owners are roster people by index, then unknown PINs numbered after the
/// roster in the order first seen. A counting sort by owner puts each
/// owner's stamps in one slice of a single vector, so the punches are
/// hashed once and no per-person vector grows.
struct SortedPunches<'a> {
    stamps: Vec<Stamp>,
    /// Owner `i` has `stamps[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<usize>,
    unknown_pins: Vec<&'a str>,
}

impl<'a> SortedPunches<'a> {
    fn new(
        punches: &'a [Punch],
        span: &Span,
        mut owners: HashMap<&'a str, usize>,
        roster_len: usize,
    ) -> SortedPunches<'a> {
        // Find each punch's owner and count the punches per owner.
        let mut unknown_pins: Vec<&'a str> = Vec::new();
        let mut counts: Vec<usize> = vec![0; roster_len];
        let mut owner_of: Vec<Option<usize>> = Vec::with_capacity(punches.len());
        for punch in punches {
            let date = punch.local.date();
            if date < span.year_start || date >= span.month_end {
                owner_of.push(None);
                continue;
            }
            let owner = *owners.entry(punch.pin.as_str()).or_insert_with(|| {
                unknown_pins.push(&punch.pin);
                counts.push(0);
                counts.len() - 1
            });
            counts[owner] += 1;
            owner_of.push(Some(owner));
        }

        // Lay the owners' slices end to end and fill them.
        let mut offsets = Vec::with_capacity(counts.len() + 1);
        let mut total = 0;
        offsets.push(0);
        for count in &counts {
            total += count;
            offsets.push(total);
        }
        let mut next = offsets.clone();
        let mut stamps = vec![
            Stamp {
                at: 0,
                seq: 0,
                index: 0
            };
            total
        ];
        for (index, owner) in owner_of.into_iter().enumerate() {
            if let Some(owner) = owner {
                stamps[next[owner]] = Stamp::new(&punches[index], index);
                next[owner] += 1;
            }
        }

        // Sort each owner's slice by time, equal times by journal sequence.
        for owner in 0..counts.len() {
            stamps[offsets[owner]..offsets[owner + 1]].sort_unstable_by_key(|s| (s.at, s.seq));
        }

        SortedPunches {
            stamps,
            offsets,
            unknown_pins,
        }
    }

    fn of_owner(&self, owner: usize) -> &[Stamp] {
        &self.stamps[self.offsets[owner]..self.offsets[owner + 1]]
    }
}

/// Rejects settings under which a punch could belong to two checkpoints or a
/// count could divide by zero.
fn check_settings(settings: &AttendanceSettings) -> Result<(), RulesError> {
    let invalid = |reason: String| Err(RulesError::InvalidSettings { reason });

    for (spec, expected) in settings.checkpoints.iter().zip(Checkpoint::ALL) {
        if spec.checkpoint != expected {
            return invalid(format!(
                "checkpoint {} is listed where {} belongs: list morning_in, noon_out, afternoon_in and evening_out in that order",
                checkpoint_name(spec.checkpoint),
                checkpoint_name(expected)
            ));
        }
        if spec.window_start >= spec.window_end || spec.window_end > SECONDS_PER_DAY {
            return invalid(format!(
                "punch window of {} is {}..{}: the start must come before the end, and the end must be 24:00 or earlier",
                checkpoint_name(spec.checkpoint),
                clock_time(spec.window_start),
                clock_time(spec.window_end)
            ));
        }
    }
    for (i, a) in settings.checkpoints.iter().enumerate() {
        for b in &settings.checkpoints[i + 1..] {
            if a.window_start < b.window_end && b.window_start < a.window_end {
                return invalid(format!(
                    "punch windows of {} ({}..{}) and {} ({}..{}) overlap: make each window end where the next starts or earlier",
                    checkpoint_name(a.checkpoint),
                    clock_time(a.window_start),
                    clock_time(a.window_end),
                    checkpoint_name(b.checkpoint),
                    clock_time(b.window_start),
                    clock_time(b.window_end)
                ));
            }
        }
    }
    if settings.deemed_absence_every == 0 {
        return invalid("deemed_absence_every is 0: set it to 1 or more".to_string());
    }
    if settings.cumulative_absence_threshold == 0 {
        return invalid("cumulative_absence_threshold is 0: set it to 1 or more".to_string());
    }
    Ok(())
}

/// Returns the name of a checkpoint as the settings file and reports spell
/// it.
fn checkpoint_name(checkpoint: Checkpoint) -> &'static str {
    match checkpoint {
        Checkpoint::MorningIn => "morning_in",
        Checkpoint::NoonOut => "noon_out",
        Checkpoint::AfternoonIn => "afternoon_in",
        Checkpoint::EveningOut => "evening_out",
    }
}

/// Seconds after midnight as "HH:MM", or "HH:MM:SS" when the seconds are
/// not zero.
fn clock_time(seconds: u32) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if s == 0 {
        format!("{h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// The dates read: January 1 to the end of the reported month.
struct Span {
    year_start: NaiveDate,
    month_start: NaiveDate,
    /// The day after the month's last day.
    month_end: NaiveDate,
}

impl Span {
    fn new(year: i32, month: u32) -> Result<Span, RulesError> {
        let invalid = || RulesError::InvalidMonth { year, month };
        let month_start = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(invalid)?;
        let month_end = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        }
        .ok_or_else(invalid)?;
        let year_start = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(invalid)?;
        Ok(Span {
            year_start,
            month_start,
            month_end,
        })
    }
}

/// The working days of the span, looked up in the calendar once.
struct WorkingDays {
    /// Working days from January 1 to the end of the month, in order.
    dates: Vec<NaiveDate>,
    /// Whether each day of the span is a working day, by days since
    /// January 1.
    is_working: Vec<bool>,
}

impl WorkingDays {
    fn new(calendar: &Calendar, span: &Span) -> Result<WorkingDays, RulesError> {
        let mut dates = Vec::new();
        let mut is_working = Vec::new();
        for date in span.year_start.iter_days() {
            if date >= span.month_end {
                break;
            }
            let working = calendar
                .is_working_day(date)
                .map_err(|source| RulesError::Calendar {
                    year: span.month_start.year(),
                    month: span.month_start.month(),
                    source: Box::new(source),
                })?;
            if working {
                dates.push(date);
            }
            is_working.push(working);
        }
        Ok(WorkingDays { dates, is_working })
    }

    fn of_month(&self, span: &Span) -> &[NaiveDate] {
        let first = self.dates.partition_point(|d| *d < span.month_start);
        &self.dates[first..]
    }

    /// Returns whether the day `day` days after January 1 is a working day.
    fn contains(&self, day: u32) -> bool {
        self.is_working.get(day as usize).copied().unwrap_or(false)
    }
}

/// Maps each roster PIN to the index of its person.
fn pin_owners(people: &[Person]) -> Result<HashMap<&str, usize>, RulesError> {
    let mut owners: HashMap<&str, usize> = HashMap::new();
    for (index, person) in people.iter().enumerate() {
        for pin in &person.pins {
            if let Some(&other) = owners.get(pin.as_str()) {
                if other != index {
                    return Err(RulesError::DuplicatePin {
                        pin: pin.clone(),
                        first: people[other].id.clone(),
                        second: person.id.clone(),
                    });
                }
            }
            owners.insert(pin, index);
        }
    }
    Ok(owners)
}

/// The person a list of punches belongs to: from the roster, or made from
/// an unknown PIN.
struct Subject<'a> {
    id: &'a str,
    name: &'a str,
    unit: Option<&'a str>,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
}

impl<'a> Subject<'a> {
    fn from_person(person: &'a Person) -> Subject<'a> {
        Subject {
            id: &person.id,
            name: &person.name,
            unit: person.unit.as_deref(),
            start: person.start,
            end: person.end,
        }
    }

    /// Makes a person from an unknown PIN, employed from the date of the
    /// PIN's first punch this year.
    ///
    /// NOTE: with no roster the start date is unknown. Taking the first punch
    /// keeps the months before a site's first punches from counting as
    /// absence, but days before a person's first punch are then not judged.
    fn from_pin(pin: &'a str, first_punch: Option<NaiveDate>) -> Subject<'a> {
        Subject {
            id: pin,
            name: pin,
            unit: None,
            start: first_punch,
            end: None,
        }
    }

    fn is_employed_on(&self, date: NaiveDate) -> bool {
        self.start.is_none_or(|start| date >= start) && self.end.is_none_or(|end| date <= end)
    }
}

/// One person to judge: who, their stamps sorted by time, and their covers.
struct Judged<'a, 'p> {
    subject: Subject<'a>,
    stamps: &'p [Stamp],
    covers: &'p PersonCovers<'p>,
}

/// Judges one person's working days from January 1, keeping the days and
/// punches of the reported month and adding its outside-window punches to
/// `outside`.
fn evaluate_person<'a>(
    input: &MonthInput<'a, '_>,
    span: &Span,
    days: &WorkingDays,
    judged: Judged<'a, '_>,
    outside: &mut Vec<OutsidePunch<'a>>,
) -> PersonMonth<'a> {
    let Judged {
        subject,
        stamps,
        covers,
    } = judged;
    let settings = input.settings;
    let punches = input.punches;
    let groups = group_punches(stamps, settings);
    let month_start_day = span.month_start.ordinal0();

    let mut counts_for: Vec<Option<Checkpoint>> = vec![None; stamps.len()];
    let mut month_days = Vec::with_capacity(days.of_month(span).len());
    let mut tally = Tally::default();
    let mut tally_month = 1;
    let mut occurrences_before = 0;
    let mut next_group = 0;

    for &date in &days.dates {
        // Close an earlier month: only its absence occurrences carry over.
        if date.month() != tally_month {
            occurrences_before += tally.totals(settings, 0).absence_occurrences_month;
            tally = Tally::default();
            tally_month = date.month();
        }

        // The date's groups follow the earlier dates' groups.
        let day = date.ordinal0();
        while next_group < groups.len() && groups[next_group].day < day {
            next_group += 1;
        }
        let first_group = next_group;
        while next_group < groups.len() && groups[next_group].day == day {
            next_group += 1;
        }
        let day_groups = &groups[first_group..next_group];

        let result = if subject.is_employed_on(date) {
            let clock = Clock::of(date, input.as_of);
            let day_covers = covers.day(settings, date);
            let (result, counted) =
                evaluate_day(settings, date, stamps, day_groups, &day_covers, clock);
            for (checkpoint, stamp) in Checkpoint::ALL.into_iter().zip(counted) {
                if let Some(stamp) = stamp {
                    counts_for[stamp] = Some(checkpoint);
                }
            }
            result
        } else {
            not_employed_day(date)
        };
        tally.add(&result);
        if day >= month_start_day {
            month_days.push(result);
        }
    }
    // A month with no working day leaves the tally of an earlier month.
    if tally_month != span.month_start.month() {
        occurrences_before += tally.totals(settings, 0).absence_occurrences_month;
        tally = Tally::default();
    }

    let first_group = groups.partition_point(|g| g.day < month_start_day);
    let month_groups = &groups[first_group..];
    let first_stamp = month_groups.first().map_or(stamps.len(), |g| g.first);
    let mut entries = Vec::with_capacity(stamps.len() - first_stamp);
    for group in month_groups {
        let lists_outside = group.window.is_none() && days.contains(group.day);
        let group_seq = stamps[group.first].seq;
        for index in group.first..=group.last {
            let punch = &punches[stamps[index].index];
            entries.push(PunchEntry {
                punch,
                group: group_seq,
                repeat: index != group.first,
                window: group.window,
                counts_for: counts_for[index],
            });
            if lists_outside {
                outside.push(OutsidePunch {
                    person_id: subject.id,
                    punch,
                });
            }
        }
    }

    PersonMonth {
        id: subject.id,
        name: subject.name,
        unit: subject.unit,
        days: month_days,
        punches: entries,
        totals: tally.totals(settings, occurrences_before),
    }
}

/// Counts of one person's month, from counted sessions only.
#[derive(Debug, Default)]
struct Tally {
    days_evaluated: u32,
    days_pending: u32,
    late: u32,
    early: u32,
    missing_punches: u32,
    absent_half_days: u32,
    /// Working days with at least one absent session.
    days_with_absence: u32,
    written_off: WrittenOffTotals,
    outage_checkpoints: u32,
}

impl Tally {
    fn add(&mut self, day: &DayResult) {
        match day.state {
            DayState::NotEmployed => return,
            DayState::Pending => self.days_pending += 1,
            DayState::Evaluated => self.days_evaluated += 1,
        }
        let mut absent = false;
        for (session, checkpoints) in day.sessions.iter().zip(day.checkpoints.chunks(2)) {
            if session.pending {
                continue;
            }
            self.late += u32::from(session.late);
            self.early += u32::from(session.early);
            if session.absent {
                self.absent_half_days += 1;
                absent = true;
            }
            let missing = checkpoints
                .iter()
                .filter(|c| c.outcome == Outcome::Missing)
                .count();
            // At most two checkpoints per session.
            self.missing_punches += missing as u32;
            self.add_covered(checkpoints);
        }
        self.days_with_absence += u32::from(absent);
    }

    /// Counts the written-off and outage checkpoints of a counted session.
    fn add_covered(&mut self, checkpoints: &[CheckpointResult]) {
        let mut kinds = Vec::with_capacity(2);
        for checkpoint in checkpoints {
            match checkpoint.outcome {
                Outcome::WrittenOff { reason, .. } => {
                    self.written_off.add_checkpoint(reason);
                    kinds.push(reason);
                }
                Outcome::Outage { .. } => self.outage_checkpoints += 1,
                _ => {}
            }
        }
        if let [first, second] = kinds[..] {
            if first == second {
                self.written_off.add_half_day(first);
            }
        }
    }

    /// Computes the month's totals, given the absence occurrences of the
    /// year's earlier months.
    fn totals(&self, settings: &AttendanceSettings, occurrences_before: u32) -> MonthTotals {
        let points = &settings.points;
        let deemed_absences = (self.late + self.early) / settings.deemed_absence_every;
        let absent_days = f64::from(self.absent_half_days) / 2.0;
        let deduction_raw = points.per_late * f64::from(self.late)
            + points.per_early * f64::from(self.early)
            + points.per_absent_day * absent_days
            + points.per_deemed_absence * f64::from(deemed_absences);
        let absence_occurrences_month = self.days_with_absence + deemed_absences;
        let absence_occurrences_year = occurrences_before + absence_occurrences_month;

        MonthTotals {
            days_evaluated: self.days_evaluated,
            days_pending: self.days_pending,
            late: self.late,
            early: self.early,
            missing_punches: self.missing_punches,
            absent_half_days: self.absent_half_days,
            absent_days,
            deemed_absences,
            deduction_raw,
            attendance_score: (points.item - deduction_raw).max(0.0),
            absence_occurrences_month,
            absence_occurrences_year,
            return_to_department: absence_occurrences_year >= settings.cumulative_absence_threshold,
            written_off: self.written_off,
            outage_checkpoints: self.outage_checkpoints,
        }
    }
}
