//! HTML pages in Chinese for people in the hall: the monthly attendance
//! sheet, the ratings report and the device status page.
//!
//! Pages are rendered on the server into one self-contained document each:
//! the style sheet is inline and nothing loads from another host, because
//! the box is offline. They read on a phone (tables scroll sideways inside
//! their box, the page itself never does) and print on A4 with the
//! navigation and forms left out. Every text taken from the configuration
//! or the journal goes through [`escape`].

pub mod attendance;
pub mod devices;
pub mod login;
pub mod ratings;

use std::fmt::Write as _;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

/// The style sheet of every page.
const STYLE: &str = r#"
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif;font-size:16px;line-height:1.5;color:#1f2328;background:#f6f8fa}
nav{background:#0b4f8a;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
nav a{color:#fff;text-decoration:none;padding:.25rem 0}
nav a[aria-current=page]{font-weight:bold;border-bottom:2px solid #fff}
nav a.logout{margin-left:auto;opacity:.85}
main{max-width:1200px;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.25rem 0}
h2{font-size:1.15rem;margin:1.25rem 0 .5rem}
.meta{color:#57606a;font-size:.9rem;margin:.25rem 0}
form.month{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.75rem 0}
form.month input,form.month button,.button{font-size:1rem;padding:.35rem .6rem;border:1px solid #8c959f;border-radius:4px;background:#fff;color:#1f2328;text-decoration:none}
form.month button,.button{background:#0b4f8a;color:#fff;border-color:#0b4f8a;cursor:pointer}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%;background:#fff;border:1px solid #d0d7de;border-radius:4px}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .45rem;text-align:center;white-space:nowrap}
th{background:#eaeef2;font-weight:600}
td.name,th.name{text-align:left}
tr.total td{font-weight:bold;border-top:3px double #57606a;background:#f6f8fa}
.late,.early{background:#fff1c2;color:#7a4b00}
.missing,.absent,.flag{background:#ffd7d5;color:#82071e}
.pending{background:#eaeef2;color:#57606a}
.ok{background:#dafbe1;color:#116329}
.banner{padding:.6rem .9rem;border-radius:4px;margin:.75rem 0;font-weight:600}
details{background:#fff;border:1px solid #d0d7de;border-radius:4px;margin:.4rem 0}
details summary{padding:.45rem .7rem;cursor:pointer}
details .scroll{border:0;border-top:1px solid #d0d7de;border-radius:0}
.legend span{display:inline-block;padding:0 .4rem;margin-right:.4rem;border-radius:3px}
ul.notes{padding-left:1.25rem}
@media (max-width:600px){main{padding:.6rem}body{font-size:15px}th,td{padding:.25rem .35rem}}
@media print{
@page{size:A4 landscape;margin:12mm}
body{background:#fff;font-size:10pt}
nav,form,.actions,.no-print{display:none!important}
main{max-width:none;padding:0}
.scroll{overflow:visible;border:0}
table{font-size:9pt}
th,td{padding:2px 4px}
thead{display:table-header-group}
tr{page-break-inside:avoid}
.late,.early,.missing,.absent,.flag,.pending,.ok,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"#;

/// The pages in the navigation bar: path and title.
const NAV: [(&str, &str); 3] = [
    ("/ui/attendance", "考勤月报"),
    ("/ui/ratings", "评价月报"),
    ("/ui/devices", "设备状态"),
];

/// Replaces the characters HTML gives a meaning to, so text from the
/// configuration or the journal shows as written.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A whole page: `title` in the tab and `body` (already HTML) in `<main>`.
/// `current` is the navigation path to mark; `refresh_seconds` reloads the
/// page on its own.
pub fn page(title: &str, current: &str, body: &str, refresh_seconds: Option<u32>) -> String {
    let mut html = String::with_capacity(body.len() + STYLE.len() + 1024);
    html.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // An empty icon, so browsers do not request /favicon.ico.
    html.push_str("<link rel=\"icon\" href=\"data:,\">\n");
    if let Some(seconds) = refresh_seconds {
        let _ = writeln!(html, "<meta http-equiv=\"refresh\" content=\"{seconds}\">");
    }
    let _ = writeln!(html, "<title>{}</title>", escape(title));
    let _ = writeln!(html, "<style>{STYLE}</style>\n</head>\n<body>");
    html.push_str("<nav aria-label=\"页面\">");
    for (path, label) in NAV {
        let marker = if path == current {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(html, "<a href=\"{path}\"{marker}>{label}</a>");
    }
    html.push_str("<a href=\"/ui/logout\" class=\"logout\">退出登录</a>");
    html.push_str("</nav>\n<main>\n");
    html.push_str(body);
    html.push_str("\n</main>\n</body>\n</html>\n");
    html
}

/// A page that says what went wrong, in Chinese, with `status`.
pub fn error_page(status: StatusCode, current: &str, message: &str) -> Response {
    let body = format!(
        "<h1>无法显示此页面</h1>\n<p class=\"banner missing\">{}</p>\n<p><a href=\"{current}\">返回</a></p>",
        escape(message)
    );
    (status, Html(page("出错了", current, &body, None))).into_response()
}

/// `GET /` and `GET /ui/`: the device status page, where a person starts.
pub async fn index() -> Redirect {
    Redirect::to("/ui/devices")
}

/// Returns the month a report page shows: `month=YYYY-MM` from the query,
/// or the site's current month. A malformed month, or one the loaded
/// calendar does not cover, is a 400 page in Chinese that says what to do.
pub fn page_month(
    query: &std::collections::HashMap<String, String>,
    config: &crate::config::Config,
    path: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<crate::time::Month, Box<Response>> {
    use chrono::Datelike;
    let month = match query.get("month").filter(|text| !text.is_empty()) {
        Some(text) => crate::time::Month::parse(text).map_err(|_| {
            let message = format!("月份“{text}”格式不对，请按“年-月”填写，例如 2026-11。");
            Box::new(error_page(StatusCode::BAD_REQUEST, path, &message))
        })?,
        None => {
            let today = crate::time::utc_to_local(config.site.time_zone, now).date();
            crate::time::Month {
                year: today.year(),
                month: today.month(),
            }
        }
    };
    if config
        .calendar
        .check_month_covered(month.year, month.month)
        .is_err()
    {
        let message = format!(
            "{} 不在已加载的工作日历年份内，无法统计。请在配置的 calendar.files 中加入该年的日历文件。",
            crate::report::xlsx::month_zh(&month.to_string())
        );
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            path,
            &message,
        )));
    }
    Ok(month)
}

/// A number without a trailing ".0" for whole values: 17.5, 64.
pub fn number(value: f64) -> String {
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
    fn escape_replaces_markup() {
        assert_eq!(
            escape(r#"<b>"马&韩"</b> 'x'"#),
            "&lt;b&gt;&quot;马&amp;韩&quot;&lt;/b&gt; &#39;x&#39;"
        );
        assert_eq!(escape("才让卓玛"), "才让卓玛");
    }

    #[test]
    fn page_marks_current_and_escapes_title() {
        let html = page("<考勤>", "/ui/devices", "<p>x</p>", Some(30));
        assert!(html.contains("<title>&lt;考勤&gt;</title>"));
        assert!(html.contains("<a href=\"/ui/devices\" aria-current=\"page\">设备状态</a>"));
        assert!(html.contains("<a href=\"/ui/attendance\">考勤月报</a>"));
        assert!(html.contains("<meta http-equiv=\"refresh\" content=\"30\">"));
        // Offline box: nothing loads from another host.
        assert!(!html.contains("http://"));
        assert!(!html.contains("https://"));
    }
}
