//! `GET /api/v1/attendance/monthly`: the monthly attendance report.
//!
//! HR, the bureau and the central system read every unit; a chief
//! representative reads only its own unit, and `unit=ID` narrows the report
//! to one unit for anyone allowed to read it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDateTime, Utc};

use super::{blocking, ApiError, AppState};
use crate::auth::{Actor, Role};
use crate::calendar::CalendarError;
use crate::report::attendance::{self as report, ReportError};
use crate::report::records as records_report;
use crate::report::xlsx;
use crate::rules::attendance::RulesError;
use crate::time::{utc_to_local, Month};

const PARAMETERS: &str = "month, format, table, as_of, punches, unit";

/// Returns the unit a report is narrowed to. That is the `unit` query
/// parameter, which must name a configured unit (for a chief token, its
/// own), else a chief token's unit, else `None` for the whole hall.
pub fn unit_scope(
    state: &AppState,
    actor: &Actor,
    unit: Option<&String>,
) -> Result<Option<String>, ApiError> {
    match unit {
        Some(unit) => {
            if !state.config.units.iter().any(|u| &u.id == unit) {
                return Err(ApiError::bad_request(
                    "unknown_unit",
                    format!("unknown unit '{unit}': expected the id of a [[unit]] entry"),
                ));
            }
            actor.require_unit(unit)?;
            Ok(Some(unit.clone()))
        }
        None => Ok(actor.unit_scope().map(str::to_string)),
    }
}

/// Serves the report of `month=YYYY-MM` as JSON, as CSV with `format=csv`
/// (`table=summary`, `days`, `outages` or `writeoffs`), or as an Excel
/// workbook with `format=xlsx` (every table and the notes, so `table` is
/// ignored). `punches=true` adds each person's raw punches to the JSON.
/// `unit=ID` narrows the report to one window unit, and a chief token
/// always gets its own unit.
pub async fn monthly(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    actor.require(&[Role::Hr, Role::Bureau, Role::Central, Role::Chief])?;
    if let Some(unknown) = query
        .keys()
        .find(|k| !PARAMETERS.split(", ").any(|p| p == *k))
    {
        return Err(ApiError::bad_request(
            "unknown_parameter",
            format!("unknown query parameter '{unknown}': expected {PARAMETERS}"),
        ));
    }
    let month = parse_month(query.get("month"))?;
    let format = Format::parse(query.get("format").map(String::as_str))?;
    let table = Table::parse(query.get("table").map(String::as_str))?;
    let punch_lists = match query.get("punches").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_punches",
                format!("invalid punches '{other}': expected true or false"),
            ))
        }
    };
    let as_of = match query.get("as_of") {
        Some(text) => Some(parse_as_of(text)?),
        None => None,
    };
    let unit = unit_scope(&state, &actor, query.get("unit"))?;

    blocking(move || {
        let config = &state.config;
        config
            .calendar
            .check_month_covered(month.year, month.month)
            .map_err(|error| uncovered_month(month, &error))?;

        let now = Utc::now();
        let as_of = as_of.unwrap_or_else(|| utc_to_local(config.site.time_zone, now));
        let reader = state.reader()?;
        let data = report::load(config, &reader, month, punch_lists).map_err(report_error)?;
        let mut result =
            report::evaluate(config, &data, month, as_of, now).map_err(report_error)?;
        if let Some(unit) = &unit {
            result.restrict_to_unit(unit);
        }

        let response = match format {
            Format::Json => axum::Json(&result).into_response(),
            Format::Xlsx => {
                let bytes =
                    xlsx::attendance_workbook(&result, config.site.time_zone).map_err(|error| {
                        ApiError::internal("failed to write the Excel workbook", &error)
                    })?;
                attachment(
                    xlsx::CONTENT_TYPE,
                    format!("attendance-{month}.xlsx"),
                    bytes,
                )
            }
            Format::Csv => {
                let (bytes, name) = match table {
                    Table::Summary => (report::summary_csv(&result), "summary"),
                    Table::Days => (report::days_csv(&result), "days"),
                    Table::Outages => (records_report::outages_csv(&result), "outages"),
                    Table::WriteOffs => (records_report::write_offs_csv(&result), "writeoffs"),
                };
                let file_name = format!("attendance-{month}-{name}.csv");
                attachment("text/csv; charset=utf-8", file_name, bytes)
            }
        };
        Ok(response)
    })
    .await
}

/// A download: `bytes` of `content_type` saved as `file_name`.
pub fn attachment(content_type: &str, file_name: String, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// Parses the required `month` parameter.
pub fn parse_month(value: Option<&String>) -> Result<Month, ApiError> {
    let Some(value) = value else {
        return Err(ApiError::bad_request(
            "missing_month",
            "missing query parameter 'month': send month=YYYY-MM, such as month=2026-11",
        ));
    };
    Month::parse(value).map_err(|error| ApiError::bad_request("invalid_month", error.to_string()))
}

/// The 400 for a month the calendar does not cover.
pub fn uncovered_month(month: Month, error: &CalendarError) -> ApiError {
    ApiError::bad_request(
        "month_not_in_calendar",
        format!("cannot report {month}: {error}"),
    )
}

fn parse_as_of(text: &str) -> Result<NaiveDateTime, ApiError> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").map_err(|_| {
        ApiError::bad_request(
            "invalid_as_of",
            format!("invalid as_of '{text}': expected local time YYYY-MM-DDTHH:MM:SS, such as 2026-11-30T18:00:00"),
        )
    })
}

fn report_error(error: ReportError) -> ApiError {
    match error {
        ReportError::Rules(RulesError::Calendar { .. }) => {
            ApiError::bad_request("month_not_in_calendar", error.to_string())
        }
        other => ApiError::internal("failed to make the attendance report", &other),
    }
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Json,
    Csv,
    Xlsx,
}

impl Format {
    fn parse(value: Option<&str>) -> Result<Format, ApiError> {
        match value {
            None | Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some("xlsx") => Ok(Format::Xlsx),
            Some(other) => Err(ApiError::bad_request(
                "invalid_format",
                format!("invalid format '{other}': expected json, csv or xlsx"),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Table {
    Summary,
    Days,
    Outages,
    WriteOffs,
}

impl Table {
    fn parse(value: Option<&str>) -> Result<Table, ApiError> {
        match value {
            None | Some("summary") => Ok(Table::Summary),
            Some("days") => Ok(Table::Days),
            Some("outages") => Ok(Table::Outages),
            Some("writeoffs") => Ok(Table::WriteOffs),
            Some(other) => Err(ApiError::bad_request(
                "invalid_table",
                format!("invalid table '{other}': expected summary, days, outages or writeoffs"),
            )),
        }
    }
}
