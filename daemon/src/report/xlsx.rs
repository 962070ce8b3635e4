//! Excel workbooks of the monthly reports, for HR and the bureau.
//!
//! Each workbook opens on the report's main sheet, with Chinese headers in
//! a frozen first row and numbers stored as numbers. A 合计 (totals) row
//! has SUM formulas that carry their computed values, and late, early and
//! missing cells are highlighted. A 说明 (notes) sheet names the site, the
//! month, the time the report was made, and the device outages of the
//! month.

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use chrono_tz::Tz;
use rust_xlsxwriter::{
    ColNum, Color, Format, FormatAlign, FormatBorder, Formula, RowNum, Workbook, Worksheet,
    XlsxError,
};

use crate::report::attendance::{
    outcome_text, weekday_zh, AttendanceReport, DAY_HEADERS, SUMMARY_HEADERS,
};
use crate::report::outages::Outage;
use crate::report::records::{outage_rows, OUTAGE_HEADERS};
use crate::rules::attendance::{DayState, Outcome};

/// Content type of an .xlsx file.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Sheet names of the attendance workbook, in order.
pub const ATTENDANCE_SHEETS: [&str; 3] = ["考勤汇总", "每日明细", "说明"];

/// Label of the totals row, in the first column.
pub const TOTALS_LABEL: &str = "合计";

/// Light red fill with dark red text, as Excel's "bad" cell style: a
/// missing punch, an absence, a flag for return to the department.
const RED_FILL: u32 = 0xFFC7CE;
const RED_TEXT: u32 = 0x9C0006;
/// Light orange fill with dark brown text: late or early.
const ORANGE_FILL: u32 = 0xFFEB9C;
const ORANGE_TEXT: u32 = 0x9C5700;
/// Grey fill of the header row and of pending cells.
const GREY_FILL: u32 = 0xE7E6E6;

/// The cell formats one workbook uses.
pub(crate) struct Formats {
    pub header: Format,
    pub plain: Format,
    /// Red: missing, absent, unsatisfied, not eligible.
    pub bad: Format,
    /// Orange: late, early, flagged for a check.
    pub warn: Format,
    /// Grey: pending or not counted.
    pub pending: Format,
    pub total: Format,
    pub title: Format,
}

impl Formats {
    pub(crate) fn new() -> Formats {
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        Formats {
            header: cell
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(GREY_FILL))
                .set_align(FormatAlign::Center)
                .set_text_wrap(),
            bad: cell
                .clone()
                .set_background_color(Color::RGB(RED_FILL))
                .set_font_color(Color::RGB(RED_TEXT)),
            warn: cell
                .clone()
                .set_background_color(Color::RGB(ORANGE_FILL))
                .set_font_color(Color::RGB(ORANGE_TEXT)),
            pending: cell.clone().set_background_color(Color::RGB(GREY_FILL)),
            total: cell.clone().set_bold().set_border_top(FormatBorder::Double),
            title: Format::new().set_bold().set_font_size(14),
            plain: cell,
        }
    }
}

/// Writes a header row at row 0, freezes it, and repeats it on every
/// printed page.
pub(crate) fn write_headers(
    sheet: &mut Worksheet,
    headers: &[&str],
    widths: &[f64],
    formats: &Formats,
) -> Result<(), XlsxError> {
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as ColNum, *header, &formats.header)?;
        let width = widths.get(col).copied().unwrap_or(10.0);
        sheet.set_column_width(col as ColNum, width)?;
    }
    sheet.set_row_height(0, 30)?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_repeat_rows(0, 0)?;
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    Ok(())
}

/// Excel's name of column `col` (0 is A).
pub(crate) fn column_name(col: ColNum) -> String {
    let mut name = String::new();
    let mut n = u32::from(col) + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        name.insert(0, char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    name
}

/// Builds a `=SUM(X2:Xn)` formula over the data rows `1..last_row` of `col`,
/// carrying `value` as its computed result so that readers that do not
/// recalculate see the total too.
pub(crate) fn sum_formula(col: ColNum, last_row: RowNum, value: f64) -> Formula {
    let letter = column_name(col);
    Formula::new(format!("=SUM({letter}2:{letter}{})", last_row + 1))
        .set_result(format_number(value))
}

/// Formats a number as Excel's cached formula result writes it: "12",
/// "17.5".
pub(crate) fn format_number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

/// Columns of the summary sheet that the totals row sums: 迟到次数 to
/// 扣分合计. Days, the score and the year's count are per person and have
/// no meaningful sum.
const SUMMED_SUMMARY_COLUMNS: std::ops::RangeInclusive<usize> = 5..=11;

/// Builds the attendance workbook: the per-person totals, the day-by-day
/// checkpoints, and the notes with the month's device outages.
pub fn attendance_workbook(report: &AttendanceReport<'_>, zone: Tz) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();

    summary_sheet(workbook.add_worksheet(), report, &formats)?;
    days_sheet(workbook.add_worksheet(), report, &formats)?;
    notes_sheet(workbook.add_worksheet(), report, zone, &formats)?;

    workbook.save_to_buffer()
}

fn unit_name(report: &AttendanceReport<'_>, unit: Option<&str>) -> String {
    let Some(id) = unit else {
        return String::new();
    };
    report
        .units
        .iter()
        .find(|u| u.id == id)
        .map_or_else(|| id.to_string(), |u| u.name.clone())
}

fn summary_sheet(
    sheet: &mut Worksheet,
    report: &AttendanceReport<'_>,
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(ATTENDANCE_SHEETS[0])?;
    let widths = [
        10.0, 10.0, 14.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 10.0, 10.0,
    ];
    write_headers(sheet, &SUMMARY_HEADERS, &widths, formats)?;

    let mut sums = [0.0_f64; SUMMARY_HEADERS.len()];
    let mut row: RowNum = 1;
    for person in &report.attendance.people {
        let t = &person.totals;
        sheet.write_string_with_format(row, 0, person.id, &formats.plain)?;
        sheet.write_string_with_format(row, 1, person.name, &formats.plain)?;
        sheet.write_string_with_format(row, 2, unit_name(report, person.unit), &formats.plain)?;

        // (value, highlight when above zero)
        let numbers: [(f64, Option<&Format>); 11] = [
            (f64::from(t.days_evaluated), None),
            (f64::from(t.days_pending), None),
            (f64::from(t.late), Some(&formats.warn)),
            (f64::from(t.early), Some(&formats.warn)),
            (f64::from(t.missing_punches), Some(&formats.bad)),
            (f64::from(t.absent_half_days), Some(&formats.bad)),
            (t.absent_days, Some(&formats.bad)),
            (f64::from(t.deemed_absences), Some(&formats.bad)),
            (t.deduction_raw, None),
            (t.attendance_score, None),
            (f64::from(t.absence_occurrences_year), None),
        ];
        for (offset, (value, highlight)) in numbers.into_iter().enumerate() {
            let col = 3 + offset;
            let format = match highlight {
                Some(format) if value > 0.0 => format,
                _ => &formats.plain,
            };
            sheet.write_number_with_format(row, col as ColNum, value, format)?;
            sums[col] += value;
        }
        let (flag, flag_format) = if t.return_to_department {
            ("是", &formats.bad)
        } else {
            ("否", &formats.plain)
        };
        sheet.write_string_with_format(row, 14, flag, flag_format)?;
        row += 1;
    }

    // The totals row.
    let last_data_row = row - 1;
    sheet.write_string_with_format(row, 0, TOTALS_LABEL, &formats.total)?;
    for (col, sum) in sums.iter().enumerate().skip(1) {
        if SUMMED_SUMMARY_COLUMNS.contains(&col) && last_data_row >= 1 {
            let formula = sum_formula(col as ColNum, last_data_row, *sum);
            sheet.write_formula_with_format(row, col as ColNum, formula, &formats.total)?;
        } else if col == 1 {
            let people = format!("{} 人", report.attendance.people.len());
            sheet.write_string_with_format(row, col as ColNum, people, &formats.total)?;
        } else {
            sheet.write_blank(row, col as ColNum, &formats.total)?;
        }
    }
    Ok(())
}

fn days_sheet(
    sheet: &mut Worksheet,
    report: &AttendanceReport<'_>,
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(ATTENDANCE_SHEETS[1])?;
    let widths = [
        10.0, 10.0, 14.0, 11.0, 8.0, 18.0, 18.0, 18.0, 18.0, 6.0, 6.0, 9.0,
    ];
    write_headers(sheet, &DAY_HEADERS, &widths, formats)?;

    let mut sums = [0.0_f64; 3];
    let mut row: RowNum = 1;
    for person in &report.attendance.people {
        for day in &person.days {
            sheet.write_string_with_format(row, 0, person.id, &formats.plain)?;
            sheet.write_string_with_format(row, 1, person.name, &formats.plain)?;
            sheet.write_string_with_format(
                row,
                2,
                unit_name(report, person.unit),
                &formats.plain,
            )?;
            sheet.write_string_with_format(
                row,
                3,
                day.date.format("%Y-%m-%d").to_string(),
                &formats.plain,
            )?;
            sheet.write_string_with_format(
                row,
                4,
                weekday_zh(day.date.weekday()),
                &formats.plain,
            )?;

            for (offset, checkpoint) in day.checkpoints.iter().enumerate() {
                let format = match checkpoint.outcome {
                    Outcome::Late { .. } | Outcome::Early { .. } => &formats.warn,
                    Outcome::Missing => &formats.bad,
                    Outcome::Pending { .. } => &formats.pending,
                    Outcome::OnTime { .. }
                    | Outcome::NotEmployed
                    | Outcome::WrittenOff { .. }
                    | Outcome::Outage { .. } => &formats.plain,
                };
                let text = outcome_text(&checkpoint.outcome);
                sheet.write_string_with_format(row, (5 + offset) as ColNum, text, format)?;
            }

            if day.state == DayState::NotEmployed {
                for col in 9..12 {
                    sheet.write_blank(row, col, &formats.plain)?;
                }
            } else {
                let counted = |flag: fn(&crate::rules::attendance::SessionResult) -> bool| {
                    day.sessions
                        .iter()
                        .filter(|s| !s.pending && flag(s))
                        .count() as f64
                };
                let counts = [
                    (counted(|s| s.late), &formats.warn),
                    (counted(|s| s.early), &formats.warn),
                    (counted(|s| s.absent), &formats.bad),
                ];
                for (offset, (value, highlight)) in counts.into_iter().enumerate() {
                    let format = if value > 0.0 {
                        highlight
                    } else {
                        &formats.plain
                    };
                    sheet.write_number_with_format(row, (9 + offset) as ColNum, value, format)?;
                    sums[offset] += value;
                }
            }
            row += 1;
        }
    }

    let last_data_row = row - 1;
    sheet.write_string_with_format(row, 0, TOTALS_LABEL, &formats.total)?;
    for col in 1..9 {
        sheet.write_blank(row, col, &formats.total)?;
    }
    for (offset, sum) in sums.into_iter().enumerate() {
        let col = (9 + offset) as ColNum;
        if last_data_row >= 1 {
            sheet.write_formula_with_format(
                row,
                col,
                sum_formula(col, last_data_row, sum),
                &formats.total,
            )?;
        } else {
            sheet.write_blank(row, col, &formats.total)?;
        }
    }
    Ok(())
}

fn notes_sheet(
    sheet: &mut Worksheet,
    report: &AttendanceReport<'_>,
    zone: Tz,
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(ATTENDANCE_SHEETS[2])?;
    sheet.set_column_width(0, 16)?;
    sheet.set_column_width(1, 20)?;
    sheet.set_column_width(2, 20)?;
    sheet.set_column_width(3, 40)?;

    let month = &format!(
        "{:04}-{:02}",
        report.attendance.year, report.attendance.month
    );
    sheet.write_string_with_format(
        0,
        0,
        format!("{} {} 考勤月报", report.site, month_zh(month)),
        &formats.title,
    )?;
    let facts = [
        ("大厅", report.site.to_string()),
        ("月份", month.clone()),
        (
            "统计截至",
            report
                .attendance
                .as_of
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
        ),
        ("生成时间", local_time(report.generated_at, zone)),
        ("时区", report.time_zone.clone()),
        ("工作日数", report.attendance.working_days.len().to_string()),
    ];
    let mut row: RowNum = 2;
    for (label, value) in facts {
        sheet.write_string_with_format(row, 0, label, &formats.header)?;
        sheet.write_string_with_format(row, 1, value, &formats.plain)?;
        row += 1;
    }
    for checkpoint in &report.checkpoints {
        sheet.write_string_with_format(row, 0, checkpoint.label, &formats.header)?;
        let text = format!(
            "{}（打卡时段 {}–{}）",
            checkpoint.at, checkpoint.window[0], checkpoint.window[1]
        );
        sheet.write_string_with_format(row, 1, text, &formats.plain)?;
        row += 1;
    }
    row += 1;
    sheet.write_string(
        row,
        0,
        "统计截至时间之后的打卡点记为“待定”，不计入迟到、早退和旷工。",
    )?;
    row += 2;

    row = write_clock_outages(sheet, row, report, formats)?;
    row += 1;

    sheet.write_string_with_format(row, 0, "未登记工号", &formats.title)?;
    row += 1;
    if report.attendance.unknown_credentials.is_empty() {
        sheet.write_string(row, 0, "本月没有未登记工号的打卡。")?;
    } else {
        sheet.write_string_with_format(row, 0, "工号", &formats.header)?;
        sheet.write_string_with_format(row, 1, "打卡次数", &formats.header)?;
        row += 1;
        for unknown in &report.attendance.unknown_credentials {
            sheet.write_string_with_format(row, 0, unknown.pin, &formats.plain)?;
            sheet.write_number_with_format(row, 1, unknown.count as f64, &formats.plain)?;
            row += 1;
        }
    }
    Ok(())
}

/// Writes the 考勤机故障说明 (clock outages) section of the attendance
/// notes from `row` on: the outages of the month as the bureau and the
/// devices recorded them, the text the attendance sheet carries. Returns
/// the row after it.
fn write_clock_outages(
    sheet: &mut Worksheet,
    mut row: RowNum,
    report: &AttendanceReport<'_>,
    formats: &Formats,
) -> Result<RowNum, XlsxError> {
    sheet.write_string_with_format(row, 0, "考勤机故障说明", &formats.title)?;
    row += 1;
    let rows = outage_rows(report);
    if rows.is_empty() {
        sheet.write_string(row, 0, "本月没有考勤机故障。")?;
        return Ok(row + 1);
    }
    sheet.write_string(row, 0, "故障期间的缺卡可能是设备原因，请核实后再作处理。")?;
    row += 1;
    for (col, header) in OUTAGE_HEADERS.iter().enumerate() {
        sheet.write_string_with_format(row, col as ColNum, *header, &formats.header)?;
    }
    row += 1;
    for cells in rows {
        for (col, text) in cells.iter().enumerate() {
            let format = if col == 2 {
                &formats.bad
            } else {
                &formats.plain
            };
            sheet.write_string_with_format(row, col as ColNum, text, format)?;
        }
        row += 1;
    }
    Ok(row)
}

/// Writes the 设备中断记录 (device outages) section from `row` on, with
/// `advice` above the table when there is an outage, and returns the row
/// after it.
pub(crate) fn write_outages(
    sheet: &mut Worksheet,
    mut row: RowNum,
    outages: &[Outage],
    advice: &str,
    formats: &Formats,
) -> Result<RowNum, XlsxError> {
    sheet.write_string_with_format(row, 0, "设备中断记录", &formats.title)?;
    row += 1;
    if outages.is_empty() {
        sheet.write_string(row, 0, "本月没有设备中断。")?;
        row += 1;
    } else {
        sheet.write_string(row, 0, advice)?;
        row += 1;
        for (col, header) in ["设备", "中断开始", "恢复时间", "原因"].iter().enumerate()
        {
            sheet.write_string_with_format(row, col as ColNum, *header, &formats.header)?;
        }
        row += 1;
        for outage in outages {
            let restored = outage
                .restored_at
                .map_or_else(|| "月底仍未恢复".to_string(), minute);
            sheet.write_string_with_format(row, 0, &outage.device, &formats.plain)?;
            sheet.write_string_with_format(row, 1, minute(outage.lost_at), &formats.bad)?;
            sheet.write_string_with_format(row, 2, restored, &formats.plain)?;
            sheet.write_string_with_format(
                row,
                3,
                outage.reason.as_deref().unwrap_or(""),
                &formats.plain,
            )?;
            row += 1;
        }
    }
    Ok(row)
}

/// "2026-11" as "2026年11月".
pub fn month_zh(month: &str) -> String {
    match month.split_once('-') {
        Some((year, number)) => format!("{year}年{}月", number.trim_start_matches('0')),
        None => month.to_string(),
    }
}

pub(crate) fn minute(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

pub(crate) fn local_time(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_follow_excel() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(11), "L");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(51), "AZ");
        assert_eq!(column_name(52), "BA");
    }

    #[test]
    fn month_zh_drops_leading_zero() {
        assert_eq!(month_zh("2026-03"), "2026年3月");
        assert_eq!(month_zh("2026-11"), "2026年11月");
    }
}
