//! The monthly attendance report: rule results for a month with the site's
//! names, as JSON for machines and CSV with Chinese headers for people.
//!
//! Besides each person's days and totals, the report lists the month's
//! write-offs with their status and reasons, and each clock outage with its
//! times and notes, which the attendance sheet must carry.

use chrono::{DateTime, Datelike, NaiveDateTime, NaiveTime, Utc, Weekday};
use serde::Serialize;

use crate::config::{Config, DeviceKind};
use crate::journal::{JournalError, JournalReader};
use crate::records::{Outage, Patrol, Records, RecordsError, WriteOffView};
use crate::report::csv::write_table;
use crate::report::records;
use crate::rules::attendance::{
    evaluate_month, DayState, MonthAttendance, MonthInput, Outcome, Person, Punch, RulesError,
};
use crate::rules::{Checkpoint, CheckpointSpec};
use crate::time::{local_to_utc, utc_to_local, Month};

/// Errors that keep a report from being made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error("failed to read punches from the journal")]
    Journal(#[from] JournalError),
    #[error("failed to read write-offs, outages and patrol punches")]
    Records(#[from] RecordsError),
}

/// The roster, the punches and the records a month's report is computed
/// from.
#[derive(Debug, Clone)]
pub struct ReportData {
    pub people: Vec<Person>,
    /// Punches from January 1 of the month's year to the end of the month.
    pub punches: Vec<Punch>,
    /// Every write-off, outage and patrol punch; the rules read the ones
    /// in force as of the report's instant.
    pub records: Records,
    /// Whether the report lists each person's raw punches of the month.
    pub punch_lists: bool,
}

/// A checkpoint's settings as the report shows them.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointInfo {
    pub checkpoint: Checkpoint,
    pub label: &'static str,
    pub at: String,
    /// Punch window `[start, end)` as HH:MM.
    pub window: [String; 2],
}

/// A window unit as the report names it.
#[derive(Debug, Clone, Serialize)]
pub struct UnitInfo {
    pub id: String,
    pub name: String,
}

/// The JSON report: the site, the settings used, and the rule results.
#[derive(Debug, Serialize)]
pub struct AttendanceReport<'a> {
    pub site: &'a str,
    pub time_zone: String,
    pub generated_at: DateTime<Utc>,
    pub checkpoints: Vec<CheckpointInfo>,
    pub units: Vec<UnitInfo>,
    #[serde(flatten)]
    pub attendance: MonthAttendance<'a>,
    /// Write-offs that cover a day of the month, in force or not, in the
    /// order registered.
    pub write_offs: Vec<WriteOffView>,
    /// Clock outages that overlap the month, in the order opened.
    pub outages: Vec<Outage>,
    /// Patrol punches of the month, in the order recorded.
    pub patrols: Vec<Patrol>,
}

impl AttendanceReport<'_> {
    /// Keeps only the people of window unit `unit`, their write-offs and
    /// patrol punches, for a chief representative's view. Unknown PINs
    /// belong to no unit and are dropped; outages concern every unit and
    /// stay.
    pub fn restrict_to_unit(&mut self, unit: &str) {
        let attendance = &mut self.attendance;
        attendance.people.retain(|person| person.unit == Some(unit));
        let ids: Vec<&str> = attendance.people.iter().map(|person| person.id).collect();
        attendance.unknown_credentials.clear();
        attendance
            .outside_windows
            .retain(|punch| ids.contains(&punch.person_id));
        self.write_offs
            .retain(|write_off| ids.contains(&write_off.person.as_str()));
        self.patrols
            .retain(|patrol| ids.contains(&patrol.record.person.as_str()));
        self.units.retain(|info| info.id == unit);
    }
}

/// Returns whether the device's lost and connected events open and close
/// attendance outages: every device but the satisfaction keypads (serial
/// keypad buses and GPIO button keypads), which take no punches. A device
/// the configuration no longer lists counts as a clock, so its outages
/// stay in the reports.
pub fn is_clock(config: &Config, device_id: &str) -> bool {
    let keypad_bus = config
        .devices
        .iter()
        .any(|device| device.id == device_id && matches!(device.kind, DeviceKind::Keypad(_)));
    let button_keypad = config
        .gpio
        .button_keypads
        .iter()
        .any(|keypad| keypad.id == device_id);
    !(keypad_bus || button_keypad)
}

/// Removes leading zeros, so "0012" and "12" name the same enrolment, as
/// the configuration treats them.
pub fn normalize_pin(pin: &str) -> String {
    let trimmed = pin.trim().trim_start_matches('0');
    if trimmed.is_empty() && !pin.trim().is_empty() {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Builds the rules' roster from the configured staff.
pub fn roster(config: &Config) -> Vec<Person> {
    config
        .staff
        .iter()
        .map(|staff| Person {
            id: staff.id.clone(),
            name: staff.name.clone(),
            unit: Some(staff.unit.clone()),
            pins: staff.pins.iter().map(|p| normalize_pin(p)).collect(),
            start: staff.start,
            end: staff.end,
        })
        .collect()
}

/// Reads what the report of `month` needs from the journal. With
/// `punch_lists`, the report also lists every person's raw punches with
/// their status keys, which makes it about twice as large.
pub fn load(
    config: &Config,
    reader: &JournalReader,
    month: Month,
    punch_lists: bool,
) -> Result<ReportData, ReportError> {
    let zone = config.site.time_zone;
    let year_start = Month {
        year: month.year,
        month: 1,
    }
    .first_day();
    let midnight = |date: chrono::NaiveDate| {
        let local = date.and_hms_opt(0, 0, 0).expect("midnight exists");
        local_to_utc(zone, local).unwrap_or_else(|| local.and_utc())
    };
    let from = midnight(year_start);
    let to = midnight(month.next_first_day());

    // The box has no record of the days before its first punch, so earlier
    // months are not judged: a box installed in November must not count
    // January to October as absence.
    // The reported month itself is always judged whole, so write-offs and
    // absences in it show even before its first punch.
    let records_start = reader
        .first_punch_time()?
        .map(|first| utc_to_local(zone, first).date().min(month.first_day()));
    let mut people = roster(config);
    for person in &mut people {
        person.start = match (person.start, records_start) {
            (Some(start), Some(first)) => Some(start.max(first)),
            (start, first) => start.or(first),
        };
    }

    let rows = reader.punch_rows_between(from, to, punch_lists)?;
    let punches = rows
        .into_iter()
        .map(|row| Punch {
            seq: row.seq,
            pin: if row.pin.starts_with('0') || row.pin.starts_with(' ') {
                normalize_pin(&row.pin)
            } else {
                row.pin
            },
            local: utc_to_local(zone, row.device_time),
            status: row.status,
            device_id: row.device_id,
        })
        .collect();
    let records = Records::load(reader, zone, &|device| is_clock(config, device))?;
    Ok(ReportData {
        people,
        punches,
        records,
        punch_lists,
    })
}

/// Applies the rules to the loaded data.
pub fn evaluate<'a>(
    config: &'a Config,
    data: &'a ReportData,
    month: Month,
    as_of: NaiveDateTime,
    generated_at: DateTime<Utc>,
) -> Result<AttendanceReport<'a>, ReportError> {
    let covers = data.records.covers(&config.calendar, as_of);
    let mut attendance = evaluate_month(&MonthInput {
        settings: &config.attendance,
        calendar: &config.calendar,
        people: &data.people,
        unknown_pins_as_people: config.roster.unknown_pins_as_people,
        punches: &data.punches,
        year: month.year,
        month: month.month,
        as_of,
        covers: &covers,
    })?;
    let last_day = month
        .next_first_day()
        .pred_opt()
        .unwrap_or(month.first_day());
    let records = data.records.between(month.first_day(), last_day);
    if !data.punch_lists {
        for person in &mut attendance.people {
            person.punches.clear();
        }
    }
    Ok(AttendanceReport {
        site: &config.site.name,
        time_zone: config.site.time_zone.name().to_string(),
        generated_at,
        checkpoints: config
            .attendance
            .checkpoints
            .iter()
            .map(checkpoint_info)
            .collect(),
        units: config
            .units
            .iter()
            .map(|unit| UnitInfo {
                id: unit.id.clone(),
                name: unit.name.clone(),
            })
            .collect(),
        attendance,
        write_offs: records
            .write_offs
            .iter()
            .map(|write_off| write_off.view(&config.calendar, as_of))
            .collect(),
        outages: records.outages,
        patrols: records.patrols,
    })
}

fn checkpoint_info(spec: &CheckpointSpec) -> CheckpointInfo {
    CheckpointInfo {
        checkpoint: spec.checkpoint,
        label: spec.checkpoint.label_zh(),
        at: spec.at.format("%H:%M").to_string(),
        window: [hhmm(spec.window_start), hhmm(spec.window_end)],
    }
}

/// Seconds of day as HH:MM, with 86 400 as 24:00.
fn hhmm(seconds: u32) -> String {
    format!("{:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
}

/// Column headers of the per-person month totals.
pub const SUMMARY_HEADERS: [&str; 18] = [
    "人员编号",
    "姓名",
    "窗口单位",
    "已评定工作日",
    "待定工作日",
    "迟到次数",
    "早退次数",
    "缺卡次数",
    "旷工半天数",
    "旷工天数",
    "视为旷工次数",
    "扣分合计",
    "出勤得分",
    "本年累计旷工次数",
    "累计旷工3次以上",
    "核销打卡点数",
    "核销明细",
    "停电故障打卡点数",
];

/// Column headers of the per-person, per-working-day table.
pub const DAY_HEADERS: [&str; 13] = [
    "人员编号",
    "姓名",
    "窗口单位",
    "日期",
    "星期",
    "上午签到",
    "中午签退",
    "下午签到",
    "下午签退",
    "迟到",
    "早退",
    "旷工(半天)",
    "说明",
];

/// The month totals, one row per person.
pub fn summary_csv(report: &AttendanceReport<'_>) -> Vec<u8> {
    let rows = report.attendance.people.iter().map(|person| {
        let t = &person.totals;
        vec![
            person.id.to_string(),
            person.name.to_string(),
            unit_name(report, person.unit),
            t.days_evaluated.to_string(),
            t.days_pending.to_string(),
            t.late.to_string(),
            t.early.to_string(),
            t.missing_punches.to_string(),
            t.absent_half_days.to_string(),
            number(t.absent_days),
            t.deemed_absences.to_string(),
            number(t.deduction_raw),
            number(t.attendance_score),
            t.absence_occurrences_year.to_string(),
            yes_no(t.return_to_department).to_string(),
            t.written_off.total_checkpoints().to_string(),
            records::written_off_text(&t.written_off),
            t.outage_checkpoints.to_string(),
        ]
    });
    write_table(&SUMMARY_HEADERS, rows)
}

/// One row per person and working day with each checkpoint's outcome.
pub fn days_csv(report: &AttendanceReport<'_>) -> Vec<u8> {
    let mut rows = Vec::new();
    for person in &report.attendance.people {
        for day in &person.days {
            let mut row = vec![
                person.id.to_string(),
                person.name.to_string(),
                unit_name(report, person.unit),
                day.date.format("%Y-%m-%d").to_string(),
                weekday_zh(day.date.weekday()).to_string(),
            ];
            row.extend(day.checkpoints.iter().map(|c| outcome_text(&c.outcome)));
            let counted = |flag: fn(&crate::rules::attendance::SessionResult) -> bool| {
                day.sessions
                    .iter()
                    .filter(|s| !s.pending && flag(s))
                    .count()
            };
            if day.state == DayState::NotEmployed {
                row.extend(["".to_string(), "".to_string(), "".to_string()]);
            } else {
                row.push(counted(|s| s.late).to_string());
                row.push(counted(|s| s.early).to_string());
                row.push(counted(|s| s.absent).to_string());
            }
            row.push(records::day_note(report, day));
            rows.push(row);
        }
    }
    write_table(&DAY_HEADERS, rows)
}

pub(crate) fn unit_name(report: &AttendanceReport<'_>, unit: Option<&str>) -> String {
    let Some(id) = unit else {
        return String::new();
    };
    report
        .units
        .iter()
        .find(|u| u.id == id)
        .map(|u| u.name.clone())
        .unwrap_or_else(|| id.to_string())
}

/// A checkpoint cell as a person reads it: "08:58 迟到58分钟", "缺卡", ...
pub fn outcome_text(outcome: &Outcome) -> String {
    let time = |at: &NaiveTime| at.format("%H:%M:%S").to_string();
    match outcome {
        Outcome::OnTime { at } => time(at),
        Outcome::Late { at, minutes } => format!("{} 迟到{minutes}分钟", time(at)),
        Outcome::Early { at, minutes } => format!("{} 早退{minutes}分钟", time(at)),
        Outcome::Missing => "缺卡".to_string(),
        Outcome::Pending { at: Some(at) } => format!("{} 待定", time(at)),
        Outcome::Pending { at: None } => "待定".to_string(),
        Outcome::NotEmployed => "不在岗".to_string(),
        Outcome::WrittenOff { reason, at, .. } => match at {
            Some(at) => format!("核销({}) 打卡{}", reason.label_zh(), time(at)),
            None => format!("核销({})", reason.label_zh()),
        },
        Outcome::Outage {
            at, patrol: true, ..
        } => match at {
            Some(at) => format!("停电/故障 巡查{}", time(at)),
            None => "停电/故障".to_string(),
        },
        Outcome::Outage { at, .. } => match at {
            Some(at) => format!("停电/故障 打卡{}", time(at)),
            None => "停电/故障".to_string(),
        },
    }
}

/// The day of the week in Chinese: 星期一 to 星期日.
pub fn weekday_zh(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

pub(crate) fn yes_no(flag: bool) -> &'static str {
    if flag {
        "是"
    } else {
        "否"
    }
}

/// A number without a trailing ".0" for whole values: 17.5, 64.
fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}
