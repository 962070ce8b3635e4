//! `GET /ui/ratings?month=YYYY-MM`: the monthly ratings report.
//!
//! The page shows each window's ratings with a 合计 row for the hall, each
//! staff member's ratings, the patterns flagged for a check, the correction
//! requests still pending and the device outages of the month. Without
//! `month` it shows the current month of the site.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{OriginalUri, Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;

use super::login::page_actor;
use super::{error_page, escape, page, page_month};
use crate::api::{blocking, ApiError, AppState};
use crate::auth::{Actor, Role};
use crate::report::outages::{self, Outage};
use crate::report::ratings::{
    self as report, pattern_rows, people_rows, window_rows, RatingsReport, PATTERN_HEADERS,
};
use crate::report::xlsx::month_zh;
use crate::time::Month;

const PATH: &str = "/ui/ratings";

/// Serves the ratings report of `month`, or of the current month.
pub async fn page_handler(
    State(state): State<Arc<AppState>>,
    actor: Result<Actor, ApiError>,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    // The roles of GET /api/v1/ratings/monthly. A chief gets their unit.
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
        let failed = |error: &dyn std::error::Error| {
            ApiError::internal("failed to make the ratings report", error)
        };
        let reader = state.reader()?;
        let data = report::load(config, &reader, month).map_err(|error| failed(&error))?;
        let mut result =
            report::evaluate(config, &data, month, now).map_err(|error| failed(&error))?;
        if let Some(unit) = &unit {
            result.restrict_to_unit(unit);
        }
        let outages = outages::month_outages(&reader, zone, month).map_err(|error| {
            ApiError::internal("failed to read device outages from the journal", &error)
        })?;
        Ok(render(&result, &outages, month))
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

/// Columns of the window table on the page: indexes into the row of
/// [`window_rows`] (whose headers are `WINDOW_HEADERS`) and the page's
/// shorter header.
const WINDOW_COLUMNS: [(usize, &str); 14] = [
    (0, "窗口"),
    (1, "名称"),
    (2, "窗口单位"),
    (7, "有效评价"),
    (8, "非常满意"),
    (9, "满意"),
    (10, "基本满意"),
    (11, "不满意"),
    (12, "非常不满意"),
    (13, "满意率"),
    (4, "重复按键"),
    (17, "扣分"),
    (18, "得分"),
    (19, "可评优秀"),
];

/// Columns of the people table on the page, as [`WINDOW_COLUMNS`].
const PEOPLE_COLUMNS: [(usize, &str); 12] = [
    (0, "人员编号"),
    (1, "姓名"),
    (2, "窗口单位"),
    (3, "服务窗口"),
    (8, "有效评价"),
    (9, "非常满意"),
    (10, "满意"),
    (11, "基本满意"),
    (12, "不满意"),
    (13, "非常不满意"),
    (14, "满意率"),
    (16, "可评优秀"),
];

/// The CSS class of a cell, from its page header and text: unsatisfied
/// counts above zero and "否" for excellent are red.
fn cell_class(header: &str, text: &str) -> &'static str {
    match header {
        "不满意" | "非常不满意" if text != "0" => "missing",
        "可评优秀" if text == "否" => "missing",
        "重复按键" if text != "0" => "pending",
        "窗口" | "名称" | "窗口单位" | "姓名" | "服务窗口" => "name",
        _ => "",
    }
}

fn table(body: &mut String, id: &str, columns: &[(usize, &str)], rows: &[Vec<String>]) {
    let _ = write!(
        body,
        "<div class=\"scroll\"><table id=\"{id}\">\n<thead><tr>"
    );
    for (_, header) in columns {
        let class = cell_class(header, "");
        if class == "name" {
            let _ = write!(body, "<th class=\"name\">{header}</th>");
        } else {
            let _ = write!(body, "<th>{header}</th>");
        }
    }
    body.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        body.push_str("<tr>");
        for (index, header) in columns {
            let text = row.get(*index).map(String::as_str).unwrap_or_default();
            let class = cell_class(header, text);
            if class.is_empty() {
                let _ = write!(body, "<td>{}</td>", escape(text));
            } else {
                let _ = write!(body, "<td class=\"{class}\">{}</td>", escape(text));
            }
        }
        body.push_str("</tr>\n");
    }
}

/// Writes the 合计 row of the window table: sums of the counts, the
/// satisfaction rate of those sums, and blanks elsewhere.
fn window_totals(body: &mut String, rows: &[Vec<String>]) {
    let sum = |index: usize| -> u64 {
        rows.iter()
            .filter_map(|row| row.get(index).and_then(|text| text.parse::<u64>().ok()))
            .sum()
    };
    let _ = write!(
        body,
        "<tr class=\"total\"><td>合计</td><td class=\"name\">{} 个窗口</td><td></td>",
        rows.len()
    );
    for index in [7, 8, 9, 10, 11, 12] {
        let _ = write!(body, "<td>{}</td>", sum(index));
    }
    // 非常满意, 满意 and 基本满意 over the valid ratings.
    let valid = sum(7);
    let rate = if valid == 0 {
        String::new()
    } else {
        let satisfied = sum(8) + sum(9) + sum(10);
        format!("{:.2}%", satisfied as f64 * 100.0 / valid as f64)
    };
    let _ = write!(body, "<td>{rate}</td><td>{}</td>", sum(4));
    body.push_str("<td></td><td></td><td></td></tr>\n");
}

/// Renders the whole page.
pub fn render(report: &RatingsReport<'_>, outages: &[Outage], month: Month) -> String {
    let month_text = month.to_string();
    let title = format!("{} 评价月报", month_zh(&month_text));
    let ratings = &report.ratings;
    let mut body = String::new();

    let _ = writeln!(body, "<h1>{}</h1>", escape(report.site));
    let _ = writeln!(body, "<h2>{title}</h2>");
    let rate = ratings
        .hall
        .satisfaction_rate
        .map_or_else(|| "无".to_string(), |rate| format!("{:.2}%", rate * 100.0));
    let _ = writeln!(
        body,
        "<p class=\"meta\" id=\"hall\">全厅按键 {} 次 · 有效评价 {} 条 · 满意率 {rate} · 不满意评价 {} 条</p>",
        ratings.hall.presses, ratings.hall.valid, ratings.hall.unsatisfied
    );
    if let Some(unit) = &report.unit {
        let name = report
            .units
            .iter()
            .find(|info| info.id == *unit)
            .map_or(unit.as_str(), |info| info.name.as_str());
        let _ = writeln!(
            body,
            "<p class=\"meta\" id=\"scope\">本页只列出{}的窗口、人员和评价；全厅数字供对比。</p>",
            escape(name)
        );
    }
    let _ = writeln!(
        body,
        "<form class=\"month\" method=\"get\" action=\"{PATH}\"><label for=\"month\">月份</label>\
         <input id=\"month\" type=\"month\" name=\"month\" value=\"{month_text}\"><button type=\"submit\">查看</button></form>"
    );
    let api = format!("/api/v1/ratings/monthly?month={month_text}");
    let _ = writeln!(
        body,
        "<div class=\"actions\"><a class=\"button\" href=\"{api}&amp;format=xlsx\">下载 Excel</a>\
         <a class=\"button\" href=\"{api}&amp;format=csv&amp;table=ratings\">下载评价明细 CSV</a>\
         <button class=\"button\" type=\"button\" onclick=\"window.print()\">打印</button></div>"
    );

    body.push_str("<h2>各窗口评价</h2>\n");
    let rows = window_rows(report);
    table(&mut body, "windows", &WINDOW_COLUMNS, &rows);
    window_totals(&mut body, &rows);
    body.push_str("</tbody></table></div>\n");

    body.push_str("<h2>在岗人员评价</h2>\n");
    let rows = people_rows(report);
    if rows.is_empty() {
        body.push_str("<p>本月没有计入人员的评价（值班安排中无人在岗）。</p>\n");
    } else {
        table(&mut body, "people", &PEOPLE_COLUMNS, &rows);
        body.push_str("</tbody></table></div>\n");
    }

    patterns_section(&mut body, report);
    pending_section(&mut body, report);
    outage_section(&mut body, outages);

    let settings = report.settings;
    let _ = writeln!(
        body,
        "<h2>说明</h2>\n<ul class=\"notes\">\n\
         <li>满意率 =（非常满意 + 满意 + 基本满意）÷ 有效评价；同一评价器 {} 秒内的重复按键和作废的评价不计入。</li>\n\
         <li>每条不满意评价（不满意、非常不满意）扣窗口评价项 {} 分，评价项满分 {} 分，扣完为止；当月有不满意评价的窗口和人员不能评为优秀。</li>\n\
         <li>异常情况只供核查，不改变任何计数。误按的评价由首席代表申请更正，经监管局批准后按更正后的等级计算。</li>\n</ul>",
        settings.repeat_window_secs, settings.unsatisfied_points, settings.window_item_points
    );

    page(&format!("{title} - {}", report.site), PATH, &body, None)
}

fn patterns_section(body: &mut String, report: &RatingsReport<'_>) {
    body.push_str("<h2>异常情况（需人工核查）</h2>\n");
    let rows = pattern_rows(report);
    if rows.is_empty() {
        body.push_str("<p>本月没有需要核查的异常情况。</p>\n");
        return;
    }
    body.push_str("<div class=\"scroll\"><table id=\"patterns\">\n<thead><tr>");
    for header in PATTERN_HEADERS {
        let _ = write!(body, "<th>{header}</th>");
    }
    body.push_str("</tr></thead>\n<tbody>\n");
    for row in &rows {
        body.push_str("<tr>");
        for (index, cell) in row.iter().enumerate() {
            if index == 0 {
                let _ = write!(body, "<td class=\"late\">{}</td>", escape(cell));
            } else {
                let _ = write!(body, "<td>{}</td>", escape(cell));
            }
        }
        body.push_str("</tr>\n");
    }
    body.push_str("</tbody></table></div>\n");
}

fn pending_section(body: &mut String, report: &RatingsReport<'_>) {
    body.push_str("<h2>待审批的更正申请</h2>\n");
    if report.pending_corrections.is_empty() {
        body.push_str("<p>没有待审批的更正申请。</p>\n");
        return;
    }
    body.push_str("<ul class=\"notes\" id=\"pending\">\n");
    for pending in &report.pending_corrections {
        let request = &pending.request;
        let _ = writeln!(
            body,
            "<li>申请 {}：评价 {}（{}，{}），申请人 {}，理由：{}</li>",
            pending.id,
            request.rating_id,
            escape(&request.window_id),
            request.pressed_at.format("%m-%d %H:%M"),
            escape(&request.requested_by),
            escape(&request.reason)
        );
    }
    body.push_str("</ul>\n");
}

fn outage_section(body: &mut String, outages: &[Outage]) {
    body.push_str("<h2>设备中断</h2>\n");
    if outages.is_empty() {
        body.push_str("<p>本月没有设备中断。</p>\n");
        return;
    }
    body.push_str(
        "<p>中断期间评价器无法评价，评价数偏少可能是设备原因。</p>\n<ul class=\"notes\">\n",
    );
    for outage in outages {
        let restored = outage.restored_at.map_or_else(
            || "月底仍未恢复".to_string(),
            |at| format!("{} 恢复", at.format("%m-%d %H:%M")),
        );
        let _ = writeln!(
            body,
            "<li><strong>{}</strong>：{} 中断，{restored}</li>",
            escape(&outage.device),
            outage.lost_at.format("%m-%d %H:%M")
        );
    }
    body.push_str("</ul>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ratings::{PEOPLE_HEADERS, WINDOW_HEADERS};

    #[test]
    fn columns_point_at_their_headers() {
        let windows: Vec<&str> = WINDOW_COLUMNS
            .iter()
            .map(|(i, _)| WINDOW_HEADERS[*i])
            .collect();
        assert_eq!(
            windows,
            [
                "窗口编号",
                "窗口名称",
                "窗口单位",
                "有效评价",
                "非常满意",
                "满意",
                "基本满意",
                "不满意",
                "非常不满意",
                "满意率",
                "重复按键",
                "扣分",
                "评价得分",
                "可评优秀窗口",
            ]
        );
        let people: Vec<&str> = PEOPLE_COLUMNS
            .iter()
            .map(|(i, _)| PEOPLE_HEADERS[*i])
            .collect();
        assert_eq!(
            people,
            [
                "人员编号",
                "姓名",
                "窗口单位",
                "服务窗口",
                "有效评价",
                "非常满意",
                "满意",
                "基本满意",
                "不满意",
                "非常不满意",
                "满意率",
                "可评优秀",
            ]
        );
    }

    #[test]
    fn cell_class_marks_unsatisfied() {
        assert_eq!(cell_class("不满意", "2"), "missing");
        assert_eq!(cell_class("不满意", "0"), "");
        assert_eq!(cell_class("可评优秀", "否"), "missing");
        assert_eq!(cell_class("可评优秀", "是"), "");
        assert_eq!(cell_class("姓名", "韩丽"), "name");
    }
}
