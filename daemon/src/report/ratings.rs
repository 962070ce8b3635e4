//! The monthly ratings report: each window's and each person's ratings with
//! approved corrections applied, every press of the month and the
//! suspicious patterns, as JSON for machines and CSV with Chinese headers
//! for people.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::journal::{EventKind, JournalError};
use crate::ratings::corrections::{read_ledger, CorrectionStatus, CorrectionView};
use crate::ratings::records::{press_from_event, EventSource, Unreadable};
use crate::ratings::roster::Roster;
use crate::report::attendance::UnitInfo;
use crate::report::csv::write_table;
use crate::rules::ratings::{
    rate_month, Correction, DutyAssignment, Level, LevelCounts, MonthInput, MonthRatings, Pattern,
    RatingFlag, RatingLine, RatingPress, RatingSettings, RatingsError, Tally, WindowInfo,
};
use crate::time::{local_to_utc, Month};

/// Errors that keep a report from being made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Rules(#[from] RatingsError),
    #[error("failed to read ratings from the journal")]
    Journal(#[from] JournalError),
}

/// The journal data of a month's report.
#[derive(Debug, Clone)]
pub struct RatingsData {
    /// Presses of the month, and those up to the repeat window before it,
    /// which can make the month's first presses repeats.
    pub presses: Vec<RatingPress>,
    /// Every approved correction.
    pub corrections: Vec<Correction>,
    /// Pending correction requests of the month's ratings.
    pub pending: Vec<CorrectionView>,
    /// The configured roster merged with the API's assignments.
    pub roster: Vec<DutyAssignment>,
    /// Ratings records that could not be read.
    pub unreadable: Vec<Unreadable>,
}

/// A staff member as the report names them.
#[derive(Debug, Clone, Serialize)]
pub struct StaffInfo {
    pub id: String,
    pub name: String,
    pub unit_id: String,
}

/// The JSON report: the site, the settings used, and the rule results,
/// whose `year` and `month` name the month.
#[derive(Debug, Serialize)]
pub struct RatingsReport<'a> {
    pub site: &'a str,
    /// The window unit the report is narrowed to, or `None` for the hall.
    pub unit: Option<String>,
    pub time_zone: String,
    pub generated_at: DateTime<Utc>,
    pub settings: &'a RatingSettings,
    pub units: Vec<UnitInfo>,
    pub staff: Vec<StaffInfo>,
    /// Per window, per person, every press and the patterns.
    #[serde(flatten)]
    pub ratings: MonthRatings,
    /// Correction requests of the month's ratings that await a decision.
    pub pending_corrections: Vec<&'a CorrectionView>,
    /// Journal records of the ratings that could not be read.
    pub unreadable_events: &'a [Unreadable],
}

impl RatingsReport<'_> {
    /// Keeps only what concerns window unit `unit`, for a chief
    /// representative's view. That is the unit's windows, its staff and
    /// their ratings, the presses at its windows or rating its staff, the
    /// patterns at its windows and the unit's pending requests. The hall's
    /// totals stay as the yardstick the unit is compared with. Unreadable
    /// records are dropped, because they may belong to any unit.
    pub fn restrict_to_unit(&mut self, unit: &str) {
        let windows: Vec<String> = self
            .ratings
            .windows
            .iter()
            .filter(|window| window.unit_id.as_deref() == Some(unit))
            .map(|window| window.window_id.clone())
            .collect();
        self.staff.retain(|staff| staff.unit_id == unit);
        let staff: Vec<&str> = self.staff.iter().map(|staff| staff.id.as_str()).collect();

        let ratings = &mut self.ratings;
        ratings
            .windows
            .retain(|window| windows.contains(&window.window_id));
        ratings
            .people
            .retain(|person| staff.contains(&person.staff_id.as_str()));
        ratings.ratings.retain(|line| {
            windows.contains(&line.window_id)
                || line
                    .staff_id
                    .as_deref()
                    .is_some_and(|id| staff.contains(&id))
        });
        ratings
            .patterns
            .retain(|pattern| windows.iter().any(|id| id == pattern.window_id()));

        self.pending_corrections
            .retain(|view| view.request.unit_id == unit);
        self.unreadable_events = &[];
        self.units.retain(|info| info.id == unit);
        self.unit = Some(unit.to_string());
    }
}

/// Returns local midnight at the start of `date` as UTC.
fn midnight_utc(config: &Config, date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_time(chrono::NaiveTime::MIN);
    local_to_utc(config.site.time_zone, local).unwrap_or_else(|| local.and_utc())
}

/// Reads what the report of `month` needs from the journal.
pub fn load(
    config: &Config,
    source: &impl EventSource,
    month: Month,
) -> Result<RatingsData, ReportError> {
    let zone = config.site.time_zone;
    let repeat_window = TimeDelta::seconds(i64::from(config.ratings.repeat_window_secs));
    let from = midnight_utc(config, month.first_day()) - repeat_window;
    let to = midnight_utc(config, month.next_first_day());

    let mut unreadable = Vec::new();
    let mut presses = Vec::new();
    for event in source.events_between(EventKind::Rating, from, to)? {
        match press_from_event(&event, zone) {
            Ok(press) => presses.push(press),
            Err(error) => unreadable.push(Unreadable::from(error)),
        }
    }

    let ledger = read_ledger(source)?;
    unreadable.extend(ledger.unreadable.iter().cloned());
    let month_range = month.first_day()..month.next_first_day();
    let pending = ledger
        .corrections
        .iter()
        .filter(|view| view.status == CorrectionStatus::Pending)
        .filter(|view| month_range.contains(&view.request.pressed_at.date()))
        .cloned()
        .collect();

    let roster = Roster::read(config, source)?;
    unreadable.extend(roster.unreadable.iter().cloned());
    unreadable.sort_by_key(|entry| entry.seq);
    if let Some(first) = unreadable.first() {
        tracing::warn!(
            month = %month,
            count = unreadable.len(),
            first_seq = first.seq,
            first_reason = %first.reason,
            "unreadable ratings records left out of the report"
        );
    }

    Ok(RatingsData {
        presses,
        corrections: ledger.approved(),
        pending,
        roster: roster.assignments(),
        unreadable,
    })
}

/// Lists the configured windows as the rules read them.
pub fn windows(config: &Config) -> Vec<WindowInfo> {
    config
        .units
        .iter()
        .flat_map(|unit| {
            unit.windows.iter().map(|window| WindowInfo {
                id: window.id.clone(),
                name: window.name.clone(),
                unit_id: unit.id.clone(),
            })
        })
        .collect()
}

/// Applies the rules to the loaded data.
pub fn evaluate<'a>(
    config: &'a Config,
    data: &'a RatingsData,
    month: Month,
    generated_at: DateTime<Utc>,
) -> Result<RatingsReport<'a>, ReportError> {
    let windows = windows(config);
    let ratings = rate_month(
        &config.calendar,
        &config.ratings,
        &MonthInput {
            year: month.year,
            month: month.month,
            windows: &windows,
            presses: &data.presses,
            corrections: &data.corrections,
            roster: &data.roster,
        },
    )?;
    Ok(RatingsReport {
        site: &config.site.name,
        unit: None,
        time_zone: config.site.time_zone.name().to_string(),
        generated_at,
        settings: &config.ratings,
        units: config
            .units
            .iter()
            .map(|unit| UnitInfo {
                id: unit.id.clone(),
                name: unit.name.clone(),
            })
            .collect(),
        staff: config
            .staff
            .iter()
            .map(|staff| StaffInfo {
                id: staff.id.clone(),
                name: staff.name.clone(),
                unit_id: staff.unit.clone(),
            })
            .collect(),
        ratings,
        pending_corrections: data.pending.iter().collect(),
        unreadable_events: &data.unreadable,
    })
}

/// Column headers of the per-window table.
pub const WINDOW_HEADERS: [&str; 20] = [
    "窗口编号",
    "窗口名称",
    "窗口单位",
    "按键次数",
    "重复按键",
    "作废评价",
    "已更正评价",
    "有效评价",
    "非常满意",
    "满意",
    "基本满意",
    "不满意",
    "非常不满意",
    "满意率",
    "不满意评价数",
    "无人在岗评价",
    "评价项满分",
    "扣分",
    "评价得分",
    "可评优秀窗口",
];

/// Column headers of the per-person table.
pub const PEOPLE_HEADERS: [&str; 17] = [
    "人员编号",
    "姓名",
    "窗口单位",
    "服务窗口",
    "按键次数",
    "重复按键",
    "作废评价",
    "已更正评价",
    "有效评价",
    "非常满意",
    "满意",
    "基本满意",
    "不满意",
    "非常不满意",
    "满意率",
    "不满意评价数",
    "可评优秀",
];

/// Column headers of the per-press table.
pub const RATING_HEADERS: [&str; 18] = [
    "评价编号",
    "按键时间",
    "窗口编号",
    "窗口名称",
    "评价器",
    "在岗人员编号",
    "在岗人员姓名",
    "按键",
    "原评价",
    "计入等级",
    "是否计入",
    "重复按键",
    "已更正",
    "更正申请人",
    "更正批准人",
    "批准时间",
    "更正理由",
    "异常提示",
];

/// Column headers of the pattern table.
pub const PATTERN_HEADERS: [&str; 7] = [
    "异常类型",
    "窗口编号",
    "评价器",
    "开始时间",
    "结束时间",
    "评价编号",
    "说明",
];

/// Writes the month per window as CSV: one row per configured window, then
/// windows pressed but not configured.
pub fn windows_csv(report: &RatingsReport<'_>) -> Vec<u8> {
    write_table(&WINDOW_HEADERS, window_rows(report))
}

/// Builds the cells of [`windows_csv`], one row per window, in the order of
/// [`WINDOW_HEADERS`].
pub fn window_rows(report: &RatingsReport<'_>) -> Vec<Vec<String>> {
    report
        .ratings
        .windows
        .iter()
        .map(|window| {
            let mut row = vec![
                window.window_id.clone(),
                window.name.clone().unwrap_or_default(),
                unit_name(report, window.unit_id.as_deref()),
            ];
            row.extend(tally_cells(&window.tally));
            row.extend([
                window.tally.unsatisfied.to_string(),
                window.nobody_on_duty.to_string(),
                number(window.item_points),
                number(window.deduction),
                number(window.score),
                yes_no(window.excellent_eligible).to_string(),
            ]);
            row
        })
        .collect()
}

/// Writes the month per staff member on duty as CSV.
pub fn people_csv(report: &RatingsReport<'_>) -> Vec<u8> {
    write_table(&PEOPLE_HEADERS, people_rows(report))
}

/// Builds the cells of [`people_csv`], one row per staff member on duty,
/// in the order of [`PEOPLE_HEADERS`].
pub fn people_rows(report: &RatingsReport<'_>) -> Vec<Vec<String>> {
    report
        .ratings
        .people
        .iter()
        .map(|person| {
            let staff = report.staff.iter().find(|s| s.id == person.staff_id);
            let window_names: Vec<String> = person
                .window_ids
                .iter()
                .map(|id| window_name(report, id))
                .collect();
            let mut row = vec![
                person.staff_id.clone(),
                staff.map(|s| s.name.clone()).unwrap_or_default(),
                unit_name(report, staff.map(|s| s.unit_id.as_str())),
                window_names.join("、"),
            ];
            row.extend(tally_cells(&person.tally));
            row.extend([
                person.tally.unsatisfied.to_string(),
                yes_no(person.excellent_eligible).to_string(),
            ]);
            row
        })
        .collect()
}

/// Writes every press of the month, with its correction and flags, as CSV.
pub fn ratings_csv(report: &RatingsReport<'_>) -> Vec<u8> {
    write_table(&RATING_HEADERS, rating_rows(report))
}

/// Builds the cells of [`ratings_csv`], one row per press, in the order of
/// [`RATING_HEADERS`].
pub fn rating_rows(report: &RatingsReport<'_>) -> Vec<Vec<String>> {
    report
        .ratings
        .ratings
        .iter()
        .map(|line| rating_row(report, line))
        .collect()
}

/// Writes every suspicious pattern of the month as CSV.
pub fn patterns_csv(report: &RatingsReport<'_>) -> Vec<u8> {
    write_table(&PATTERN_HEADERS, pattern_rows(report))
}

/// Builds the cells of [`patterns_csv`], one row per pattern, in the order
/// of [`PATTERN_HEADERS`].
pub fn pattern_rows(report: &RatingsReport<'_>) -> Vec<Vec<String>> {
    report.ratings.patterns.iter().map(pattern_row).collect()
}

/// Cells from 按键次数 to 满意率, in the order of the headers.
fn tally_cells(tally: &Tally) -> Vec<String> {
    let mut cells = vec![
        tally.presses.to_string(),
        tally.repeats.to_string(),
        tally.void.to_string(),
        tally.corrected.to_string(),
        tally.valid.to_string(),
    ];
    cells.extend(level_cells(&tally.counts));
    cells.push(percent(tally.satisfaction_rate));
    cells
}

fn level_cells(counts: &LevelCounts) -> Vec<String> {
    Level::ALL
        .into_iter()
        .map(|level| counts.get(level).to_string())
        .collect()
}

fn rating_row(report: &RatingsReport<'_>, line: &RatingLine) -> Vec<String> {
    let staff_name = line
        .staff_id
        .as_deref()
        .and_then(|id| report.staff.iter().find(|s| s.id == id))
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let effective = match line.effective_level {
        Some(level) => level.label_zh().to_string(),
        None => "作废".to_string(),
    };
    let correction = line.correction.as_ref();
    let flags: Vec<&str> = line.flags.iter().map(|flag| flag_text(*flag)).collect();
    vec![
        line.seq.to_string(),
        line.local.format("%Y-%m-%d %H:%M:%S").to_string(),
        line.window_id.clone(),
        window_name(report, &line.window_id),
        line.keypad.clone(),
        line.staff_id.clone().unwrap_or_default(),
        staff_name,
        line.button.to_string(),
        line.original_level.label_zh().to_string(),
        effective,
        yes_no(line.counted).to_string(),
        yes_no(line.repeat).to_string(),
        yes_no(correction.is_some()).to_string(),
        correction
            .map(|c| c.requested_by.clone())
            .unwrap_or_default(),
        correction
            .map(|c| c.approved_by.clone())
            .unwrap_or_default(),
        correction
            .map(|c| c.approved_at.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default(),
        correction.map(|c| c.reason.clone()).unwrap_or_default(),
        flags.join("；"),
    ]
}

fn pattern_row(pattern: &Pattern) -> Vec<String> {
    let time = |t: &chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    match pattern {
        Pattern::Burst(burst) => vec![
            "短时连续按键".to_string(),
            burst.window_id.clone(),
            burst.keypad.clone(),
            time(&burst.start),
            time(&burst.end),
            format!("{}-{}", burst.first_seq, burst.last_seq),
            format!("{}次按键", burst.presses),
        ],
        Pattern::OutsideWorkingHours {
            seq,
            keypad,
            window_id,
            local,
            work_start,
            work_end,
        } => vec![
            "非工作时间按键".to_string(),
            window_id.clone(),
            keypad.clone(),
            time(local),
            String::new(),
            seq.to_string(),
            format!(
                "工作时间为{}至{}",
                work_start.format("%H:%M"),
                work_end.format("%H:%M")
            ),
        ],
        Pattern::NonWorkingDay {
            seq,
            keypad,
            window_id,
            local,
            day_kind,
        } => vec![
            "非工作日按键".to_string(),
            window_id.clone(),
            keypad.clone(),
            time(local),
            String::new(),
            seq.to_string(),
            day_kind_text(day_kind),
        ],
        Pattern::NobodyOnDuty {
            seq,
            keypad,
            window_id,
            local,
        } => vec![
            "无人在岗时按键".to_string(),
            window_id.clone(),
            keypad.clone(),
            time(local),
            String::new(),
            seq.to_string(),
            "值班安排中当天该窗口无人".to_string(),
        ],
        Pattern::TopShare {
            window_id,
            window_top,
            window_valid,
            window_share,
            hall_top,
            hall_valid,
            hall_share,
            margin,
        } => vec![
            "非常满意占比偏高".to_string(),
            window_id.clone(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            format!(
                "窗口{window_top}/{window_valid}（{}），全厅{hall_top}/{hall_valid}（{}），\
                 高出{}以上",
                percent(Some(*window_share)),
                percent(Some(*hall_share)),
                percent(Some(*margin)),
            ),
        ],
    }
}

fn day_kind_text(kind: &crate::calendar::DayKind) -> String {
    use crate::calendar::DayKind;
    match kind {
        DayKind::Workday => "工作日".to_string(),
        DayKind::MakeUpWorkday { holiday } => format!("{holiday}调休上班日"),
        DayKind::Weekend => "周末休息日".to_string(),
        DayKind::Holiday { holiday } => format!("{holiday}假期"),
    }
}

fn flag_text(flag: RatingFlag) -> &'static str {
    match flag {
        RatingFlag::NobodyOnDuty => "无人在岗",
        RatingFlag::OutsideWorkingHours => "非工作时间",
        RatingFlag::NonWorkingDay => "非工作日",
        RatingFlag::InBurst => "短时连续按键",
    }
}

fn unit_name(report: &RatingsReport<'_>, unit: Option<&str>) -> String {
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

fn window_name(report: &RatingsReport<'_>, window_id: &str) -> String {
    report
        .ratings
        .windows
        .iter()
        .find(|w| w.window_id == window_id)
        .and_then(|w| w.name.clone())
        .unwrap_or_default()
}

fn yes_no(flag: bool) -> &'static str {
    if flag {
        "是"
    } else {
        "否"
    }
}

/// Formats a fraction as a percentage with two decimals, "71.43%", or as
/// an empty cell for `None`.
fn percent(value: Option<f64>) -> String {
    match value {
        Some(fraction) => format!("{:.2}%", fraction * 100.0),
        None => String::new(),
    }
}

/// Formats a number without a trailing ".0" for whole values: 7.5, 15.
fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_and_number_cells() {
        assert_eq!(percent(Some(5.0 / 7.0)), "71.43%");
        assert_eq!(percent(Some(1.0)), "100.00%");
        assert_eq!(percent(None), "");
        assert_eq!(number(15.0), "15");
        assert_eq!(number(7.5), "7.5");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn headers_match_row_widths() {
        // 3 name cells, 11 tally cells, 6 window cells.
        assert_eq!(WINDOW_HEADERS.len(), 3 + 11 + 6);
        // 4 name cells, 11 tally cells, 2 person cells.
        assert_eq!(PEOPLE_HEADERS.len(), 4 + 11 + 2);
        let tally = tally_cells(&Tally::default());
        assert_eq!(tally.len(), 11);
    }
}
