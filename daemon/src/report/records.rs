//! The records part of the monthly attendance report as people read it:
//! the outage list that the attendance sheet carries (考勤表后附文字说明),
//! the write-off list, and the notes of covered days.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;

use super::attendance::{unit_name, AttendanceReport};
use super::csv::write_table;
use crate::records::outage::OutageSource;
use crate::records::Outage;
use crate::rules::{DayResult, Outcome, WrittenOffTotals};

/// Column headers of the outage list.
pub const OUTAGE_HEADERS: [&str; 6] = [
    "编号",
    "考勤机",
    "开始时间",
    "结束时间",
    "记录来源",
    "文字说明",
];

/// Column headers of the write-off list.
pub const WRITE_OFF_HEADERS: [&str; 16] = [
    "编号",
    "人员编号",
    "姓名",
    "窗口单位",
    "核销类型",
    "计为",
    "开始日期",
    "开始打卡点",
    "结束日期",
    "结束打卡点",
    "天数",
    "事由",
    "批准人",
    "审批签字",
    "状态",
    "登记时间",
];

/// Writes the month's clock outages as CSV, one row each.
pub fn outages_csv(report: &AttendanceReport<'_>) -> Vec<u8> {
    write_table(&OUTAGE_HEADERS, outage_rows(report))
}

/// Builds the cells of [`outages_csv`], one row per outage, in the order of
/// [`OUTAGE_HEADERS`].
pub fn outage_rows(report: &AttendanceReport<'_>) -> Vec<Vec<String>> {
    report
        .outages
        .iter()
        .map(|outage| {
            vec![
                outage.id.to_string(),
                outage.device.clone().unwrap_or_default(),
                local(&outage.start),
                outage
                    .end
                    .as_ref()
                    .map_or_else(|| "未结束".to_string(), local),
                source_text(outage).to_string(),
                outage_text(outage),
            ]
        })
        .collect()
}

/// Writes the month's write-offs as CSV, one row each.
pub fn write_offs_csv(report: &AttendanceReport<'_>) -> Vec<u8> {
    let rows = report.write_offs.iter().map(|write_off| {
        let person = report
            .attendance
            .people
            .iter()
            .find(|person| person.id == write_off.person);
        let approvals: Vec<String> = write_off
            .approvals
            .iter()
            .map(|approval| format!("{}：{}", approval.step.label_zh(), approval.name))
            .collect();
        vec![
            write_off.id.to_string(),
            write_off.person.clone(),
            person.map(|p| p.name.to_string()).unwrap_or_default(),
            unit_name(report, person.and_then(|p| p.unit)),
            write_off.kind_label.to_string(),
            write_off.reported_as_label.to_string(),
            write_off.from.to_string(),
            write_off.from_checkpoint.label_zh().to_string(),
            write_off.to.to_string(),
            write_off.to_checkpoint.label_zh().to_string(),
            write_off.days.clone(),
            write_off.reason.clone(),
            write_off.approved_by.clone(),
            approvals.join("；"),
            write_off.status_label.to_string(),
            write_off.registered_at.to_rfc3339(),
        ]
    });
    write_table(&WRITE_OFF_HEADERS, rows)
}

/// Describes the written-off checkpoints by kind, such as "事假 4个打卡点（2个半天）；
/// 上班前外出开会办事 1个打卡点".
pub fn written_off_text(totals: &WrittenOffTotals) -> String {
    let parts: Vec<String> = totals
        .by_kind()
        .map(|(kind, checkpoints, half_days)| {
            if half_days > 0 {
                format!(
                    "{} {checkpoints}个打卡点（{half_days}个半天）",
                    kind.label_zh()
                )
            } else {
                format!("{} {checkpoints}个打卡点", kind.label_zh())
            }
        })
        .collect();
    parts.join("；")
}

/// Why a day's covered checkpoints are covered: each write-off's kind,
/// reason and approver, and each outage's times and notes.
pub fn day_note(report: &AttendanceReport<'_>, day: &DayResult) -> String {
    let mut write_offs = BTreeSet::new();
    let mut outages = BTreeSet::new();
    for checkpoint in &day.checkpoints {
        match checkpoint.outcome {
            Outcome::WrittenOff { write_off, .. } => {
                write_offs.insert(write_off);
            }
            Outcome::Outage { outage, .. } => {
                outages.insert(outage);
            }
            _ => {}
        }
    }

    let mut parts = Vec::new();
    for id in write_offs {
        if let Some(write_off) = report.write_offs.iter().find(|w| w.id == id) {
            parts.push(format!(
                "核销#{id} {}：{}（批准：{}）",
                write_off.reported_as_label, write_off.reason, write_off.approved_by
            ));
        }
    }
    for id in outages {
        if let Some(outage) = report.outages.iter().find(|o| o.id == id) {
            let end = outage
                .end
                .as_ref()
                .map_or_else(|| "未结束".to_string(), local);
            parts.push(format!(
                "停电/故障#{id} {}至{}：{}",
                local(&outage.start),
                end,
                outage_text(outage)
            ));
        }
    }
    parts.join("；")
}

fn local(time: &NaiveDateTime) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn source_text(outage: &Outage) -> &'static str {
    match outage.opened_by {
        OutageSource::Device => "设备自动记录",
        OutageSource::Bureau => "监管局登记",
    }
}

/// Joins the device's reason and the bureau's notes of an outage, in order.
fn outage_text(outage: &Outage) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(reason) = &outage.device_reason {
        parts.push(format!("设备断开：{reason}"));
    }
    parts.extend(outage.notes.iter().map(|note| note.text.clone()));
    parts.join("；")
}
