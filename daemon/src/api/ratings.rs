//! `GET /api/v1/ratings/monthly`: the monthly ratings report, and the JSON
//! body parsing shared by the ratings handlers.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::de::DeserializeOwned;

use super::attendance::{attachment, parse_month, uncovered_month, unit_scope};
use super::{blocking, ApiError, AppState};
use crate::auth::{Actor, Role};
use crate::report::ratings::{self as report, ReportError};
use crate::report::{outages, ratings_xlsx, xlsx};
use crate::rules::ratings::RatingsError;

const PARAMETERS: &str = "month, format, table, unit";

/// Serves the ratings of `month=YYYY-MM` as JSON, as CSV with
/// `format=csv` and `table=windows` (default), `people`, `ratings` or
/// `patterns`, or as an Excel workbook of every table with `format=xlsx`.
/// `unit=ID` narrows the report to one window unit; a chief token always
/// gets its own unit.
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
    let unit = unit_scope(&state, &actor, query.get("unit"))?;
    let format = query.get("format").map(String::as_str);
    let table = query.get("table").map(String::as_str);
    let csv_table =
        match (format, table) {
            (None | Some("json"), None) => None,
            (None | Some("json"), Some(_)) => return Err(ApiError::bad_request(
                "invalid_table",
                "query parameter 'table' is only for format=csv: send format=csv&table=windows, \
                 people, ratings or patterns",
            )),
            (Some("csv"), table) => Some(Table::parse(table)?),
            // The workbook contains every table, so `table` is ignored.
            (Some("xlsx"), _) => Some(Table::Workbook),
            (Some(other), _) => {
                return Err(ApiError::bad_request(
                    "invalid_format",
                    format!("invalid format '{other}': expected json, csv or xlsx"),
                ))
            }
        };

    blocking(move || {
        let config = &state.config;
        config
            .calendar
            .check_month_covered(month.year, month.month)
            .map_err(|error| uncovered_month(month, &error))?;

        let reader = state.reader()?;
        let data = report::load(config, &reader, month).map_err(report_error)?;
        let mut result =
            report::evaluate(config, &data, month, Utc::now()).map_err(report_error)?;
        if let Some(unit) = &unit {
            result.restrict_to_unit(unit);
        }

        let Some(table) = csv_table else {
            return Ok(axum::Json(&result).into_response());
        };
        let bytes = match table {
            Table::Workbook => {
                let zone = config.site.time_zone;
                let outages = outages::month_outages(&reader, zone, month).map_err(|error| {
                    ApiError::internal("failed to read device outages from the journal", &error)
                })?;
                let bytes =
                    ratings_xlsx::ratings_workbook(&result, &outages, zone).map_err(|error| {
                        ApiError::internal("failed to write the Excel workbook", &error)
                    })?;
                let file_name = format!("ratings-{month}.xlsx");
                return Ok(attachment(xlsx::CONTENT_TYPE, file_name, bytes));
            }
            Table::Windows => report::windows_csv(&result),
            Table::People => report::people_csv(&result),
            Table::Ratings => report::ratings_csv(&result),
            Table::Patterns => report::patterns_csv(&result),
        };
        let disposition = format!(
            "attachment; filename=\"ratings-{month}-{}.csv\"",
            table.as_str()
        );
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response())
    })
    .await
}

fn report_error(error: ReportError) -> ApiError {
    match error {
        ReportError::Rules(RatingsError::Calendar(_)) => {
            ApiError::bad_request("month_not_in_calendar", error.to_string())
        }
        other => ApiError::internal("failed to make the ratings report", &other),
    }
}

#[derive(Debug, Clone, Copy)]
enum Table {
    /// `format=xlsx`: every table in one workbook.
    Workbook,
    Windows,
    People,
    Ratings,
    Patterns,
}

impl Table {
    fn parse(value: Option<&str>) -> Result<Table, ApiError> {
        match value {
            None | Some("windows") => Ok(Table::Windows),
            Some("people") => Ok(Table::People),
            Some("ratings") => Ok(Table::Ratings),
            Some("patterns") => Ok(Table::Patterns),
            Some(other) => Err(ApiError::bad_request(
                "invalid_table",
                format!("invalid table '{other}': expected windows, people, ratings or patterns"),
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Table::Windows => "windows",
            Table::People => "people",
            Table::Ratings => "ratings",
            Table::Patterns => "patterns",
            Table::Workbook => "workbook",
        }
    }
}

/// Parses a JSON request body into `T`. A missing, unknown or mistyped
/// field, or a body that is no JSON, is a 400 whose message names the field.
pub fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let invalid = |message: String| ApiError::bad_request("invalid_body", message);
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path.is_empty() || path == "." {
            invalid(format!("invalid JSON body: {inner}"))
        } else {
            invalid(format!("invalid JSON body: field '{path}': {inner}"))
        }
    })?;
    deserializer
        .end()
        .map_err(|error| invalid(format!("invalid JSON body: {error}")))?;
    Ok(value)
}

/// Parses the id in a route such as `/api/v1/ratings/{id}/corrections`.
pub fn path_id(text: &str, resource: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().map_err(|_| {
        ApiError::bad_request(
            "invalid_id",
            format!(
                "invalid {resource} id '{text}' in the path: expected a whole number such as 17"
            ),
        )
    })
}

/// Builds an error response with any status.
pub fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}
