//! The Excel workbook of the monthly ratings report.
//!
//! The sheets hold the same cells as the ratings CSV tables, built by the
//! same functions, with counts stored as numbers and satisfaction rates as
//! percentages. Windows and people end in a 合计 (totals) row. Unsatisfied
//! ratings and windows or people not eligible for an excellent grade are
//! red, and presses flagged for a check are orange. A 说明 (notes) sheet
//! lists the settings, the correction requests still pending, and the
//! month's device outages.

use chrono_tz::Tz;
use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook, Worksheet, XlsxError};

use crate::report::outages::Outage;
use crate::report::ratings::{
    pattern_rows, people_rows, rating_rows, window_rows, RatingsReport, PATTERN_HEADERS,
    PEOPLE_HEADERS, RATING_HEADERS, WINDOW_HEADERS,
};
use crate::report::xlsx::{
    local_time, minute, month_zh, sum_formula, write_headers, write_outages, Formats, TOTALS_LABEL,
};

/// Sheet names of the ratings workbook, in order.
pub const RATINGS_SHEETS: [&str; 5] = ["窗口评价", "人员评价", "评价明细", "异常情况", "说明"];

/// The way a column's text cells are written to the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    /// A count or points: written as a number, summed in the totals row.
    Summed,
    /// A number that has no meaningful sum (an id, a button, full points).
    Number,
    /// "71.43%": written as the fraction 0.7143 shown as a percentage.
    Percent,
}

/// Column kinds of [`WINDOW_HEADERS`].
const WINDOW_KINDS: [Kind; 20] = {
    use Kind::*;
    [
        Text, Text, Text, Summed, Summed, Summed, Summed, Summed, Summed, Summed, Summed, Summed,
        Summed, Percent, Summed, Summed, Number, Summed, Number, Text,
    ]
};

/// Column kinds of [`PEOPLE_HEADERS`].
const PEOPLE_KINDS: [Kind; 17] = {
    use Kind::*;
    [
        Text, Text, Text, Text, Summed, Summed, Summed, Summed, Summed, Summed, Summed, Summed,
        Summed, Summed, Percent, Summed, Text,
    ]
};

/// Column kinds of [`RATING_HEADERS`]: the id and the button are numbers.
const RATING_KINDS: [Kind; 18] = {
    use Kind::*;
    [
        Number, Text, Text, Text, Text, Text, Text, Number, Text, Text, Text, Text, Text, Text,
        Text, Text, Text, Text,
    ]
};

/// Level labels that count as unsatisfied.
const UNSATISFIED: [&str; 2] = ["不满意", "非常不满意"];

/// Builds the ratings workbook of `report`, with the month's `outages`.
pub fn ratings_workbook(
    report: &RatingsReport<'_>,
    outages: &[Outage],
    zone: Tz,
) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let percent = formats.plain.clone().set_num_format("0.00%");
    let mut workbook = Workbook::new();

    // 窗口评价: 不满意, 非常不满意 and 不满意评价数 red above zero, 无人在岗
    // orange, 可评优秀窗口 red when 否.
    let windows = workbook.add_worksheet();
    windows.set_name(RATINGS_SHEETS[0])?;
    let widths = [
        9.0, 10.0, 12.0, 8.0, 8.0, 8.0, 9.0, 8.0, 8.0, 8.0, 8.0, 8.0, 9.0, 9.0, 9.0, 9.0, 9.0, 7.0,
        9.0, 9.0,
    ];
    write_headers(windows, &WINDOW_HEADERS, &widths, &formats)?;
    let rows = window_rows(report);
    let highlight = |col: usize, text: &str| -> Option<&Format> {
        match col {
            11 | 12 | 14 if text != "0" => Some(&formats.bad),
            15 if text != "0" => Some(&formats.warn),
            19 if text == "否" => Some(&formats.bad),
            _ => None,
        }
    };
    let last = write_rows(windows, &rows, &WINDOW_KINDS, &formats, &percent, highlight)?;
    let hall_rate = report.ratings.hall.satisfaction_rate;
    write_totals(
        windows,
        last,
        &rows,
        &WINDOW_KINDS,
        &formats,
        &percent,
        Some(hall_rate),
    )?;

    // 人员评价: the same colours for the person's columns.
    let people = workbook.add_worksheet();
    people.set_name(RATINGS_SHEETS[1])?;
    let widths = [
        9.0, 10.0, 12.0, 16.0, 8.0, 8.0, 8.0, 9.0, 8.0, 8.0, 8.0, 8.0, 8.0, 9.0, 9.0, 9.0, 8.0,
    ];
    write_headers(people, &PEOPLE_HEADERS, &widths, &formats)?;
    let rows = people_rows(report);
    let highlight = |col: usize, text: &str| -> Option<&Format> {
        match col {
            12 | 13 | 15 if text != "0" => Some(&formats.bad),
            16 if text == "否" => Some(&formats.bad),
            _ => None,
        }
    };
    let last = write_rows(people, &rows, &PEOPLE_KINDS, &formats, &percent, highlight)?;
    write_totals(people, last, &rows, &PEOPLE_KINDS, &formats, &percent, None)?;

    // 评价明细: unsatisfied levels red, void and uncounted presses grey,
    // corrected and flagged presses orange.
    let presses = workbook.add_worksheet();
    presses.set_name(RATINGS_SHEETS[2])?;
    let widths = [
        9.0, 19.0, 9.0, 10.0, 9.0, 11.0, 10.0, 5.0, 10.0, 10.0, 8.0, 8.0, 7.0, 10.0, 10.0, 19.0,
        20.0, 24.0,
    ];
    write_headers(presses, &RATING_HEADERS, &widths, &formats)?;
    let rows = rating_rows(report);
    let highlight = |col: usize, text: &str| -> Option<&Format> {
        match col {
            8 | 9 if UNSATISFIED.contains(&text) => Some(&formats.bad),
            9 if text == "作废" => Some(&formats.pending),
            10 if text == "否" => Some(&formats.pending),
            12 if text == "是" => Some(&formats.warn),
            17 if !text.is_empty() => Some(&formats.warn),
            _ => None,
        }
    };
    write_rows(presses, &rows, &RATING_KINDS, &formats, &percent, highlight)?;

    // 异常情况: every pattern is something to check.
    let patterns = workbook.add_worksheet();
    patterns.set_name(RATINGS_SHEETS[3])?;
    let widths = [16.0, 9.0, 9.0, 19.0, 19.0, 12.0, 48.0];
    write_headers(patterns, &PATTERN_HEADERS, &widths, &formats)?;
    let rows = pattern_rows(report);
    let kinds = [Kind::Text; 7];
    let highlight =
        |col: usize, _: &str| -> Option<&Format> { (col == 0).then_some(&formats.warn) };
    write_rows(patterns, &rows, &kinds, &formats, &percent, highlight)?;

    notes_sheet(workbook.add_worksheet(), report, outages, zone, &formats)?;
    workbook.save_to_buffer()
}

/// Writes `rows` from row 1 on and returns the last row written (0 when
/// there is none). `highlight` picks a format for a cell from its column
/// and text; other cells are plain.
fn write_rows<'f>(
    sheet: &mut Worksheet,
    rows: &[Vec<String>],
    kinds: &[Kind],
    formats: &'f Formats,
    percent: &'f Format,
    highlight: impl Fn(usize, &str) -> Option<&'f Format>,
) -> Result<RowNum, XlsxError> {
    let mut row: RowNum = 0;
    for cells in rows {
        row += 1;
        for (col, text) in cells.iter().enumerate() {
            let kind = kinds.get(col).copied().unwrap_or(Kind::Text);
            let format = highlight(col, text).unwrap_or(match kind {
                Kind::Percent => percent,
                _ => &formats.plain,
            });
            write_cell(sheet, row, col as ColNum, text, kind, format)?;
        }
    }
    Ok(row)
}

/// Writes one cell: numbers as numbers when the text parses, text and
/// empty cells as they are.
fn write_cell(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    text: &str,
    kind: Kind,
    format: &Format,
) -> Result<(), XlsxError> {
    if text.is_empty() {
        sheet.write_blank(row, col, format)?;
        return Ok(());
    }
    let number = match kind {
        Kind::Text => None,
        Kind::Summed | Kind::Number => text.parse::<f64>().ok(),
        Kind::Percent => text
            .strip_suffix('%')
            .and_then(|digits| digits.parse::<f64>().ok())
            .map(|percent| percent / 100.0),
    };
    match number {
        Some(value) if kind == Kind::Percent => {
            let format = format.clone().set_num_format("0.00%");
            sheet.write_number_with_format(row, col, value, &format)?;
        }
        Some(value) => {
            sheet.write_number_with_format(row, col, value, format)?;
        }
        None => {
            sheet.write_string_with_format(row, col, text, format)?;
        }
    }
    Ok(())
}

/// Writes the 合计 row below `last`: SUM formulas over the summed columns,
/// and `rate` (the hall's satisfaction rate) in the percentage column when
/// given.
fn write_totals(
    sheet: &mut Worksheet,
    last: RowNum,
    rows: &[Vec<String>],
    kinds: &[Kind],
    formats: &Formats,
    percent: &Format,
    rate: Option<Option<f64>>,
) -> Result<(), XlsxError> {
    let row = last + 1;
    let total_percent = percent.clone().set_bold();
    sheet.write_string_with_format(row, 0, TOTALS_LABEL, &formats.total)?;
    for (col, kind) in kinds.iter().enumerate().skip(1) {
        let col_num = col as ColNum;
        match kind {
            Kind::Summed if last >= 1 => {
                let sum: f64 = rows
                    .iter()
                    .filter_map(|cells| cells.get(col).and_then(|text| text.parse::<f64>().ok()))
                    .sum();
                let formula = sum_formula(col_num, last, sum);
                sheet.write_formula_with_format(row, col_num, formula, &formats.total)?;
            }
            Kind::Percent => match rate {
                Some(Some(value)) => {
                    sheet.write_number_with_format(row, col_num, value, &total_percent)?;
                }
                _ => {
                    sheet.write_blank(row, col_num, &formats.total)?;
                }
            },
            _ => {
                sheet.write_blank(row, col_num, &formats.total)?;
            }
        }
    }
    Ok(())
}

fn notes_sheet(
    sheet: &mut Worksheet,
    report: &RatingsReport<'_>,
    outages: &[Outage],
    zone: Tz,
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(RATINGS_SHEETS[4])?;
    sheet.set_column_width(0, 18)?;
    sheet.set_column_width(1, 20)?;
    sheet.set_column_width(2, 20)?;
    sheet.set_column_width(3, 40)?;

    let ratings = &report.ratings;
    let month = format!("{}-{:02}", ratings.year, ratings.month);
    let title = format!("{} {} 评价月报", report.site, month_zh(&month));
    sheet.write_string_with_format(0, 0, title, &formats.title)?;

    let settings = report.settings;
    let hall_rate = ratings
        .hall
        .satisfaction_rate
        .map_or_else(String::new, |rate| format!("{:.2}%", rate * 100.0));
    let facts = [
        ("大厅", report.site.to_string()),
        ("月份", month.clone()),
        ("生成时间", local_time(report.generated_at, zone)),
        ("时区", report.time_zone.clone()),
        ("全厅有效评价", ratings.hall.valid.to_string()),
        ("全厅满意率", hall_rate),
        (
            "重复按键间隔",
            format!("{} 秒", settings.repeat_window_secs),
        ),
        (
            "不满意评价扣分",
            format!(
                "每条 {} 分，评价项满分 {} 分",
                settings.unsatisfied_points, settings.window_item_points
            ),
        ),
        (
            "工作时间",
            format!(
                "{}–{}",
                settings.work_start.format("%H:%M"),
                settings.work_end.format("%H:%M")
            ),
        ),
    ];
    let mut row: RowNum = 2;
    for (label, value) in facts {
        sheet.write_string_with_format(row, 0, label, &formats.header)?;
        sheet.write_string_with_format(row, 1, value, &formats.plain)?;
        row += 1;
    }
    row += 1;
    sheet.write_string(
        row,
        0,
        "满意率 =（非常满意 + 满意 + 基本满意）÷ 有效评价；重复按键和作废评价不计入。",
    )?;
    row += 2;

    sheet.write_string_with_format(row, 0, "待审批的更正申请", &formats.title)?;
    row += 1;
    if report.pending_corrections.is_empty() {
        sheet.write_string(row, 0, "没有待审批的更正申请。")?;
        row += 1;
    } else {
        for (col, header) in ["申请编号", "评价编号", "窗口", "申请人", "申请时间", "理由"]
            .iter()
            .enumerate()
        {
            sheet.write_string_with_format(row, col as ColNum, *header, &formats.header)?;
        }
        row += 1;
        for pending in &report.pending_corrections {
            let request = &pending.request;
            sheet.write_number_with_format(row, 0, pending.id as f64, &formats.plain)?;
            sheet.write_number_with_format(row, 1, request.rating_id as f64, &formats.plain)?;
            sheet.write_string_with_format(row, 2, &request.window_id, &formats.plain)?;
            sheet.write_string_with_format(row, 3, &request.requested_by, &formats.plain)?;
            sheet.write_string_with_format(row, 4, minute(request.requested_at), &formats.warn)?;
            sheet.write_string_with_format(row, 5, &request.reason, &formats.plain)?;
            row += 1;
        }
    }
    row += 1;

    if !report.unreadable_events.is_empty() {
        let text = format!(
            "日志中有 {} 条评价记录无法读取，未计入本表，请联系维护人员。",
            report.unreadable_events.len()
        );
        sheet.write_string_with_format(row, 0, text, &formats.bad)?;
        row += 2;
    }

    write_outages(
        sheet,
        row,
        outages,
        "中断期间评价器无法评价，评价数偏少可能是设备原因。",
        formats,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_match_headers() {
        assert_eq!(WINDOW_KINDS.len(), WINDOW_HEADERS.len());
        assert_eq!(WINDOW_HEADERS[13], "满意率");
        assert_eq!(WINDOW_KINDS[13], Kind::Percent);
        assert_eq!(WINDOW_HEADERS[16], "评价项满分");
        assert_eq!(WINDOW_KINDS[16], Kind::Number);
        assert_eq!(PEOPLE_KINDS.len(), PEOPLE_HEADERS.len());
        assert_eq!(PEOPLE_HEADERS[14], "满意率");
        assert_eq!(PEOPLE_KINDS[14], Kind::Percent);
        assert_eq!(RATING_KINDS.len(), RATING_HEADERS.len());
        assert_eq!(RATING_HEADERS[7], "按键");
    }
}
