//! `GET /ui/devices`: whether every device is alive, at a glance.
//!
//! A banner on top says whether all devices are connected; the table below
//! gives each device's state, how long it has been in it, its last event
//! and its counts since the daemon started. For network clocks it also
//! gives how far the clock's time is from the box's, and a second banner
//! names the clocks whose time is off by more than the limit. The page
//! reloads itself every 30 seconds.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::login::page_actor;
use super::{escape, page};
use crate::api::{ApiError, AppState};
use crate::auth::{Actor, Role};
use crate::metrics::{self, ClockSkew, DeviceState};

const PATH: &str = "/ui/devices";

/// Seconds between reloads of the page.
const REFRESH_SECONDS: u32 = 30;

/// Serves the device status page.
pub async fn page_handler(
    State(state): State<Arc<AppState>>,
    actor: Result<Actor, ApiError>,
) -> Response {
    // Any signed-in role may see whether the devices are alive.
    if let Err(response) = page_actor(actor, &Role::ALL, PATH) {
        return *response;
    }
    let threshold = state.config.health.lost_device_after;
    let writer_ok =
        state.ingest.is_healthy(threshold) && state.ingest.stats().failing_for().is_none();
    let html = render(
        &state.config.site.name,
        state.config.site.time_zone,
        &metrics::devices(),
        writer_ok,
        threshold,
        Utc::now(),
        Instant::now(),
    );
    Html(html).into_response()
}

/// "3 分钟", "2 小时 5 分钟", "1 天 4 小时": a duration as people say it.
pub fn duration_zh(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    if days > 0 {
        format!("{days} 天 {hours} 小时")
    } else if hours > 0 {
        format!("{hours} 小时 {minutes} 分钟")
    } else if minutes > 0 {
        format!("{minutes} 分钟")
    } else {
        format!("{seconds} 秒")
    }
}

/// Writes a difference of clock times in Chinese ("2 分 1 秒", "10 分钟",
/// "1 天零 30 秒", "75 年以上"), leaving out parts that are zero. It is
/// exact to the second below a year, so a value over a limit never reads
/// as the limit itself.
fn span_zh(seconds: u64) -> String {
    const DAY: u64 = 86_400;
    const YEAR: u64 = 365 * DAY;
    if seconds >= YEAR {
        // Years of 365 days: a leap day more or less does not matter here.
        return format!("{} 年以上", seconds / YEAR);
    }
    if seconds == 0 {
        return "0 秒".to_string();
    }

    let (days, hours, minutes, rest) = (
        seconds / DAY,
        seconds % DAY / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    // Whole minutes read "N 分钟", minutes with seconds "N 分 M 秒".
    let minute_unit = if rest == 0 { "分钟" } else { "分" };
    let parts = [
        (days, "天"),
        (hours, "小时"),
        (minutes, minute_unit),
        (rest, "秒"),
    ];

    // A unit left out between two that are not is read as 零:
    // "1 小时零 5 秒".
    let mut text = String::new();
    let mut skipped = false;
    for (count, unit) in parts {
        if count == 0 {
            skipped = !text.is_empty();
            continue;
        }
        if skipped {
            text.push_str("零 ");
        } else if !text.is_empty() {
            text.push(' ');
        }
        let _ = write!(text, "{count} {unit}");
        skipped = false;
    }
    text
}

/// Writes a clock's time against the box's: "慢 3 分钟", "快 20 秒" or "一致".
fn skew_zh(skew: &ClockSkew) -> String {
    let size = span_zh(skew.seconds.unsigned_abs());
    match skew.seconds {
        0 => "一致".to_string(),
        seconds if seconds > 0 => format!("慢 {size}"),
        _ => format!("快 {size}"),
    }
}

/// Formats `at` as month, day and minute ("12-05 09:31"). Readings are taken
/// since the daemon started, so the year is left out.
fn short_local(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%m-%d %H:%M").to_string()
}

fn local(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Renders the page for `devices` as seen at `now` (wall clock, for the
/// "updated at" line) and `now_instant` (monotonic, for durations).
pub fn render(
    site: &str,
    zone: Tz,
    devices: &[DeviceState],
    writer_ok: bool,
    threshold: Duration,
    now: DateTime<Utc>,
    now_instant: Instant,
) -> String {
    let mut body = String::new();
    let _ = writeln!(body, "<h1>{}</h1>\n<h2>设备状态</h2>", escape(site));
    let _ = writeln!(
        body,
        "<p class=\"meta\">更新于 {} · 每 {REFRESH_SECONDS} 秒自动刷新</p>",
        local(now, zone)
    );

    let offline: Vec<&DeviceState> = devices.iter().filter(|d| !d.connected).collect();
    if devices.is_empty() {
        body.push_str("<p class=\"banner pending\" id=\"summary\">未配置设备。考勤数据通过导入 U 盘文件录入。</p>\n");
    } else if offline.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"banner ok\" id=\"summary\">全部 {} 台设备在线</p>",
            devices.len()
        );
    } else {
        let _ = writeln!(
            body,
            "<p class=\"banner missing\" id=\"summary\">{} 台设备离线（共 {} 台）：{}</p>",
            offline.len(),
            devices.len(),
            offline
                .iter()
                .map(|d| escape(&d.id))
                .collect::<Vec<_>>()
                .join("、")
        );
    }
    let skewed: Vec<(&DeviceState, ClockSkew)> = devices
        .iter()
        .filter_map(|device| Some((device, device.clock_skew.filter(ClockSkew::flagged)?)))
        .collect();
    if !skewed.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"banner missing\" id=\"clock-time\">考勤机时间与主机相差超过上限：{}。\
             可能是考勤机时间不准，也可能是断网后补传的旧记录；请核对考勤机上的时间。</p>",
            skewed
                .iter()
                .map(|(device, skew)| format!("{}（{}）", escape(&device.id), skew_zh(skew)))
                .collect::<Vec<_>>()
                .join("、")
        );
    }
    if writer_ok {
        body.push_str("<p class=\"banner ok\" id=\"journal\">数据写入正常</p>\n");
    } else {
        body.push_str("<p class=\"banner missing\" id=\"journal\">数据写入异常：数据写入程序已停止、积压或写入失败（可能是磁盘已满），请联系维护人员查看系统日志。</p>\n");
    }

    if !devices.is_empty() {
        body.push_str(
            "<div class=\"scroll\"><table id=\"devices\"><thead><tr><th class=\"name\">设备</th><th>状态</th>\
             <th>持续时间</th><th>最近一条数据</th><th>已入库</th><th>拒收</th><th>时间偏差</th></tr></thead>\n<tbody>\n",
        );
        for device in devices {
            let in_state_for = now_instant.saturating_duration_since(device.since_instant);
            let (class, state) = if device.connected {
                ("ok", "在线")
            } else if device.lost_for(now_instant) > threshold {
                ("missing", "离线（超时）")
            } else {
                ("late", "离线")
            };
            let last = device
                .last_event
                .map_or_else(|| "无".to_string(), |at| local(at, zone));
            let skew = match &device.clock_skew {
                None => "<td>—</td>".to_string(),
                Some(skew) if skew.flagged() => format!(
                    "<td class=\"missing\">{}（上限 {}，{} 上传）</td>",
                    skew_zh(skew),
                    span_zh(u64::from(skew.limit_seconds)),
                    short_local(skew.at, zone)
                ),
                Some(skew) => format!(
                    "<td>{}（{} 上传）</td>",
                    skew_zh(skew),
                    short_local(skew.at, zone)
                ),
            };
            let _ = writeln!(
                body,
                "<tr><td class=\"name\">{}</td><td class=\"{class}\">{state}</td><td>{}（自 {}）</td><td>{last}</td><td>{}</td><td>{}</td>{skew}</tr>",
                escape(&device.id),
                duration_zh(in_state_for),
                local(device.since, zone),
                device.events,
                device.rejected
            );
        }
        body.push_str("</tbody></table></div>\n");
        let _ = writeln!(
            body,
            "<p class=\"meta\">设备离线超过 {} 即视为故障，监控接口 /readyz 随之报警。\
             “已入库”和“拒收”自本次启动起计数，“已入库”只计打卡和评价。\
             “时间偏差”是主机时间减去网络考勤机最近一次上传中最新一条打卡的时间，\
             本次启动后尚未上传打卡的考勤机和其他设备显示“—”。</p>",
            duration_zh(threshold)
        );
    }
    page("设备状态", PATH, &body, Some(REFRESH_SECONDS))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders the page of a hall in Asia/Shanghai whose writer is fine and
    /// whose devices count as lost after 5 minutes.
    fn hall_page(devices: &[DeviceState], now: DateTime<Utc>, now_instant: Instant) -> String {
        let zone: Tz = "Asia/Shanghai".parse().unwrap();
        render(
            "东大厅",
            zone,
            devices,
            true,
            Duration::from_secs(300),
            now,
            now_instant,
        )
    }

    #[test]
    fn duration_zh_picks_units() {
        assert_eq!(duration_zh(Duration::from_secs(42)), "42 秒");
        assert_eq!(duration_zh(Duration::from_secs(180)), "3 分钟");
        assert_eq!(duration_zh(Duration::from_secs(7500)), "2 小时 5 分钟");
        assert_eq!(duration_zh(Duration::from_secs(100_800)), "1 天 4 小时");
    }

    #[test]
    fn render_lists_offline_devices() {
        let now_instant = Instant::now();
        let now = Utc::now();
        let device = |id: &str, connected: bool, ago: u64| DeviceState {
            id: id.to_string(),
            connected,
            since: now - chrono::Duration::seconds(ago as i64),
            since_instant: now_instant - Duration::from_secs(ago),
            last_event: None,
            events: 7,
            rejected: 1,
            clock_skew: None,
        };
        let devices = [
            device("clock-1", true, 3600),
            device("keypad-<w02>", false, 600),
            device("keypad-w03", false, 60),
        ];
        let html = hall_page(&devices, now, now_instant);
        assert!(
            html.contains("2 台设备离线（共 3 台）：keypad-&lt;w02&gt;、keypad-w03"),
            "{html}"
        );
        assert!(
            html.contains("<td class=\"missing\">离线（超时）</td><td>10 分钟"),
            "{html}"
        );
        assert!(
            html.contains("<td class=\"late\">离线</td><td>1 分钟"),
            "{html}"
        );
        assert!(
            html.contains("<td class=\"ok\">在线</td><td>1 小时 0 分钟"),
            "{html}"
        );
    }

    /// Returns a connected clock whose time is `seconds` behind the box's
    /// (ahead when negative), with a limit of 120 s. `None` gives a device
    /// without a reading.
    fn clock(
        id: &str,
        seconds: Option<i64>,
        now: DateTime<Utc>,
        now_instant: Instant,
    ) -> DeviceState {
        DeviceState {
            id: id.to_string(),
            connected: true,
            since: now,
            since_instant: now_instant,
            last_event: None,
            events: 0,
            rejected: 0,
            clock_skew: seconds.map(|seconds| ClockSkew {
                seconds,
                limit_seconds: 120,
                at: now,
            }),
        }
    }

    /// 2026-12-05 09:31 in Asia/Shanghai.
    fn reading_time() -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(2026, 12, 5, 1, 31, 0).unwrap()
    }

    #[test]
    fn span_zh_is_exact_below_a_year() {
        let cases = [
            (0, "0 秒"),
            (59, "59 秒"),
            (60, "1 分钟"),
            (121, "2 分 1 秒"),
            (3599, "59 分 59 秒"),
            (3600, "1 小时"),
            (3605, "1 小时零 5 秒"),
            (3630, "1 小时零 30 秒"),
            (3720, "1 小时 2 分钟"),
            (3725, "1 小时 2 分 5 秒"),
            (86_399, "23 小时 59 分 59 秒"),
            (86_400, "1 天"),
            (86_430, "1 天零 30 秒"),
            (90_000, "1 天 1 小时"),
            (86_400 + 65, "1 天零 1 分 5 秒"),
            (86_400 + 3605, "1 天 1 小时零 5 秒"),
            (364 * 86_400 + 7200, "364 天 2 小时"),
            (365 * 86_400 - 1, "364 天 23 小时 59 分 59 秒"),
            (365 * 86_400, "1 年以上"),
            (75 * 365 * 86_400 + 10, "75 年以上"),
        ];
        for (seconds, text) in cases {
            assert_eq!(span_zh(seconds), text, "{seconds} s");
        }
        // The largest difference a reading can hold does not overflow.
        assert_eq!(span_zh(i64::MIN.unsigned_abs()), "292471208677 年以上");
    }

    #[test]
    fn render_shows_clock_time_against_the_box() {
        let now_instant = Instant::now();
        let now = reading_time();
        let devices = [
            clock("face-1", Some(300), now, now_instant),
            clock("face-2", Some(-45), now, now_instant),
            clock("face-3", Some(-121), now, now_instant),
            clock("keypad-w01", None, now, now_instant),
        ];
        let html = hall_page(&devices, now, now_instant);

        // 300 s behind and 121 s ahead are over the 120 s limit, and 45 s is
        // within it.
        assert!(
            html.contains(
                "考勤机时间与主机相差超过上限：face-1（慢 5 分钟）、face-3（快 2 分 1 秒）。"
            ),
            "{html}"
        );
        assert!(
            html.contains(
                "<td class=\"missing\">慢 5 分钟（上限 2 分钟，12-05 09:31 上传）</td></tr>"
            ),
            "{html}"
        );
        assert!(
            html.contains("<td>快 45 秒（12-05 09:31 上传）</td></tr>"),
            "{html}"
        );
        assert!(html.contains("<td>0</td><td>—</td></tr>"), "{html}");
    }

    #[test]
    fn render_has_no_clock_banner_within_the_limit() {
        let now_instant = Instant::now();
        let now = reading_time();
        let devices = [clock("face-1", Some(120), now, now_instant)];
        let html = hall_page(&devices, now, now_instant);

        assert!(!html.contains("clock-time"), "{html}");
        assert!(
            html.contains("<td>慢 2 分钟（12-05 09:31 上传）</td></tr>"),
            "{html}"
        );
    }
}
