//! `GET /ui/attendance?month=YYYY-MM`: the monthly attendance sheet.
//!
//! The page shows each person's month totals with a 合计 row, then each
//! person's working days in a fold-out section, the clock outages and
//! unknown PINs of the month, and the checkpoint times the report used.
//! Without `month` it shows the current month of the site.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{OriginalUri, Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, Utc};

use super::login::page_actor;
use super::{error_page, escape, number, page, page_month};
use crate::api::{blocking, ApiError, AppState};
use crate::auth::{Actor, Role};
use crate::report::attendance::{self as report, outcome_text, weekday_zh, AttendanceReport};
use crate::report::records::{outage_rows, OUTAGE_HEADERS};
use crate::report::xlsx::month_zh;
use crate::rules::attendance::{DayState, Outcome, PersonMonth};
use crate::time::{utc_to_local, Month};

const PATH: &str = "/ui/attendance";

/// Serves the attendance sheet of `month`, or of the current month.
pub async fn page_handler(
    State(state): State<Arc<AppState>>,
    actor: Result<Actor, ApiError>,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    // The roles of GET /api/v1/attendance/monthly; a chief sees their unit.
    let roles = [Role::Hr, Role::Bureau, Role::Central, Role::Chief];
    let actor = match page_actor(actor, &roles, &uri.to_string()) {
        Ok(actor) => actor,
        Err(response) => return *response,
    };
    let unit = actor.unit_scope().map(str::to_string);
    let zone = state.config.site.time_zone;
    let now = Utc::now();
    let month = match page_month(&query, &state.config, PATH, now) {
        Ok(month) => month,
        Err(response) => return *response,
    };

    let result = blocking(move || {
        let config = &state.config;
        let as_of = utc_to_local(zone, now);
        let reader = state.reader()?;
        let data = report::load(config, &reader, month, false)
            .map_err(|error| ApiError::internal("failed to make the attendance report", &error))?;
        let mut result = report::evaluate(config, &data, month, as_of, now)
            .map_err(|error| ApiError::internal("failed to make the attendance report", &error))?;
        if let Some(unit) = &unit {
            result.restrict_to_unit(unit);
        }
        Ok(render(&result, month))
    })
    .await;

    match result {
        Ok(html) => Html(html).into_response(),
        Err(error) => error_page(
            error.status,
            PATH,
            &format!("生成报表时出错：{}", error.message),
        ),
    }
}

/// Renders the whole page.
pub fn render(report: &AttendanceReport<'_>, month: Month) -> String {
    let month_text = month.to_string();
    let title = format!("{} 考勤月报", month_zh(&month_text));
    let mut body = String::new();

    let _ = writeln!(body, "<h1>{}</h1>", escape(report.site));
    let _ = writeln!(body, "<h2>{title}</h2>");
    let _ = writeln!(
        body,
        "<p class=\"meta\">统计截至 {} · 本月工作日 {} 天 · 共 {} 人</p>",
        report.attendance.as_of.format("%Y-%m-%d %H:%M"),
        report.attendance.working_days.len(),
        report.attendance.people.len()
    );
    let _ = writeln!(
        body,
        "<form class=\"month\" method=\"get\" action=\"{PATH}\"><label for=\"month\">月份</label>\
         <input id=\"month\" type=\"month\" name=\"month\" value=\"{month_text}\"><button type=\"submit\">查看</button></form>"
    );
    let api = format!("/api/v1/attendance/monthly?month={month_text}");
    let _ = writeln!(
        body,
        "<div class=\"actions\"><a class=\"button\" href=\"{api}&amp;format=xlsx\">下载 Excel</a>\
         <a class=\"button\" href=\"{api}&amp;format=csv\">下载 CSV</a>\
         <button class=\"button\" type=\"button\" onclick=\"window.print()\">打印</button></div>"
    );
    // The key is printed because the sheet keeps its colours. Its grey entry
    // is screen-only, because grey marks only the unprinted daily detail.
    body.push_str(
        "<p class=\"legend\">颜色说明：<span class=\"late\">迟到/早退</span>\
         <span class=\"missing\">缺卡/旷工；或本年累计旷工已达退回原单位的次数</span>\
         <span class=\"pending no-print\">待定（每日明细中）</span></p>\n",
    );

    summary_table(&mut body, report);
    outage_section(&mut body, report);
    unknown_section(&mut body, report);
    days_section(&mut body, report);
    rules_section(&mut body, report);

    page(&format!("{title} - {}", report.site), PATH, &body, None)
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

/// Builds a `<td>` with `class` when `value` is above zero.
fn count_cell(value: f64, class: &str) -> String {
    if value > 0.0 {
        format!("<td class=\"{class}\">{}</td>", number(value))
    } else {
        format!("<td>{}</td>", number(value))
    }
}

fn summary_table(body: &mut String, report: &AttendanceReport<'_>) {
    body.push_str(
        "<h2>每人合计</h2>\n<div class=\"scroll\"><table class=\"summary\">\n<thead><tr>",
    );
    for header in [
        "人员编号",
        "姓名",
        "窗口单位",
        "迟到",
        "早退",
        "缺卡",
        "旷工(天)",
        "视为旷工",
        "扣分",
        "出勤得分",
        "已评定工作日",
        "待定工作日",
        "本年累计旷工",
    ] {
        let class = if header == "姓名" || header == "窗口单位" {
            " class=\"name\""
        } else {
            ""
        };
        let _ = write!(body, "<th{class}>{header}</th>");
    }
    body.push_str("</tr></thead>\n<tbody>\n");

    let mut sums = [0.0_f64; 6];
    for person in &report.attendance.people {
        let t = &person.totals;
        let values = [
            f64::from(t.late),
            f64::from(t.early),
            f64::from(t.missing_punches),
            t.absent_days,
            f64::from(t.deemed_absences),
            t.deduction_raw,
        ];
        for (sum, value) in sums.iter_mut().zip(values) {
            *sum += value;
        }
        let _ = write!(
            body,
            "<tr><td>{}</td><td class=\"name\">{}</td><td class=\"name\">{}</td>",
            escape(person.id),
            escape(person.name),
            escape(&unit_name(report, person.unit))
        );
        body.push_str(&count_cell(values[0], "late"));
        body.push_str(&count_cell(values[1], "early"));
        body.push_str(&count_cell(values[2], "missing"));
        body.push_str(&count_cell(values[3], "absent"));
        body.push_str(&count_cell(values[4], "absent"));
        let _ = write!(
            body,
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            number(values[5]),
            number(t.attendance_score),
            t.days_evaluated,
            t.days_pending
        );
        let year_class = if t.return_to_department {
            " class=\"flag\" title=\"本年累计旷工已达退回原单位的次数\""
        } else {
            ""
        };
        let _ = writeln!(
            body,
            "<td{year_class}>{}</td></tr>",
            t.absence_occurrences_year
        );
    }
    let _ = write!(
        body,
        "<tr class=\"total\"><td>合计</td><td class=\"name\">{} 人</td><td></td>",
        report.attendance.people.len()
    );
    for sum in sums {
        let _ = write!(body, "<td>{}</td>", number(sum));
    }
    body.push_str("<td></td><td></td><td></td><td></td></tr>\n</tbody></table></div>\n");
}

/// Writes the 考勤机故障说明 (clock outages) of the month, as the bureau and the
/// devices recorded them: the text the attendance sheet carries.
fn outage_section(body: &mut String, report: &AttendanceReport<'_>) {
    body.push_str("<h2>考勤机故障说明</h2>\n");
    let rows = outage_rows(report);
    if rows.is_empty() {
        body.push_str("<p>本月没有考勤机故障。</p>\n");
        return;
    }
    body.push_str(
        "<p>故障期间的缺卡可能是设备原因，请核实后再作处理。</p>\n\
         <div class=\"scroll\"><table id=\"outages\"><thead><tr>",
    );
    for header in OUTAGE_HEADERS {
        let _ = write!(body, "<th>{header}</th>");
    }
    body.push_str("</tr></thead>\n<tbody>\n");
    for cells in rows {
        body.push_str("<tr>");
        for cell in cells {
            let _ = write!(body, "<td>{}</td>", escape(&cell));
        }
        body.push_str("</tr>\n");
    }
    body.push_str("</tbody></table></div>\n");
}

fn unknown_section(body: &mut String, report: &AttendanceReport<'_>) {
    let unknown = &report.attendance.unknown_credentials;
    if unknown.is_empty() {
        return;
    }
    body.push_str("<h2>未登记工号</h2>\n<p>以下工号在考勤机上打了卡，但不在人员名单中，请在配置中登记或核实：</p>\n<ul class=\"notes\">\n");
    for credential in unknown {
        let _ = writeln!(
            body,
            "<li>工号 {}：{} 次打卡</li>",
            escape(credential.pin),
            credential.count
        );
    }
    body.push_str("</ul>\n");
}

fn days_section(body: &mut String, report: &AttendanceReport<'_>) {
    body.push_str("<h2 class=\"no-print\">每日明细</h2>\n<div class=\"no-print\">\n");
    for person in &report.attendance.people {
        person_days(body, report, person);
    }
    body.push_str("</div>\n");
}

fn person_days(body: &mut String, report: &AttendanceReport<'_>, person: &PersonMonth<'_>) {
    let t = &person.totals;
    let _ = write!(
        body,
        "<details><summary>{} {} · 迟到 {} · 早退 {} · 缺卡 {} · 旷工 {} 天</summary>\n<div class=\"scroll\"><table><thead><tr><th>日期</th><th>星期</th>",
        escape(person.id),
        escape(person.name),
        t.late,
        t.early,
        t.missing_punches,
        number(t.absent_days)
    );
    for checkpoint in &report.checkpoints {
        let _ = write!(body, "<th>{}<br>{}</th>", checkpoint.label, checkpoint.at);
    }
    body.push_str("<th>迟到</th><th>早退</th><th>旷工(半天)</th></tr></thead>\n<tbody>\n");

    for day in &person.days {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td>",
            day.date.format("%m-%d"),
            weekday_zh(day.date.weekday())
        );
        for checkpoint in &day.checkpoints {
            let class = match checkpoint.outcome {
                Outcome::Late { .. } => "late",
                Outcome::Early { .. } => "early",
                Outcome::Missing => "missing",
                Outcome::Pending { .. } => "pending",
                Outcome::WrittenOff { .. } | Outcome::Outage { .. } => "covered",
                Outcome::OnTime { .. } | Outcome::NotEmployed => "",
            };
            let text = escape(&outcome_text(&checkpoint.outcome));
            if class.is_empty() {
                let _ = write!(body, "<td>{text}</td>");
            } else {
                let _ = write!(body, "<td class=\"{class}\">{text}</td>");
            }
        }
        if day.state == DayState::NotEmployed {
            body.push_str("<td></td><td></td><td></td></tr>\n");
            continue;
        }
        let counted = |flag: fn(&crate::rules::attendance::SessionResult) -> bool| {
            day.sessions
                .iter()
                .filter(|s| !s.pending && flag(s))
                .count() as f64
        };
        body.push_str(&count_cell(counted(|s| s.late), "late"));
        body.push_str(&count_cell(counted(|s| s.early), "early"));
        body.push_str(&count_cell(counted(|s| s.absent), "absent"));
        body.push_str("</tr>\n");
    }
    body.push_str("</tbody></table></div></details>\n");
}

fn rules_section(body: &mut String, report: &AttendanceReport<'_>) {
    body.push_str("<h2>说明</h2>\n<ul class=\"notes\">\n");
    for checkpoint in &report.checkpoints {
        let _ = writeln!(
            body,
            "<li>{} {}，打卡时段 {}–{}</li>",
            checkpoint.label, checkpoint.at, checkpoint.window[0], checkpoint.window[1]
        );
    }
    body.push_str(
        "<li>统计截至时间之后的打卡点记为“待定”，不计入迟到、早退和旷工。</li>\n\
         <li>每个半天上班、下班均未打卡记旷工半天；当月迟到、早退合计每满规定次数视为旷工一次。</li>\n\
         </ul>\n",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_cell_marks_nonzero() {
        assert_eq!(count_cell(0.0, "late"), "<td>0</td>");
        assert_eq!(count_cell(2.0, "late"), "<td class=\"late\">2</td>");
        assert_eq!(count_cell(1.5, "absent"), "<td class=\"absent\">1.5</td>");
    }
}
