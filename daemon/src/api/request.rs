//! Reading requests: JSON bodies with the field and reason of every
//! error, query parameters, record keys, and JSON bodies for the errors
//! that axum returns on its own.
//!
//! A body that is not JSON is a 400, a body whose fields are missing, of
//! the wrong type or unknown is a 422 naming the field, and a body larger
//! than `[http] max_body_bytes` is a 413. Handlers validate the values
//! further and return 422 with the field.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::{ApiError, AppState};
use crate::auth::{random_hex, Actor};
use crate::journal::{Journal, JournalError, NewEvent};
use crate::ratings::records::EventSource;
use crate::records::audit::append_with_audit;
use crate::records::{FieldError, RecordsError, RequestError};

/// Header by which a client names a change, so that resending it stores
/// nothing new.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Maximum length of an `Idempotency-Key` value, in ASCII characters.
const MAX_IDEMPOTENCY_KEY_LEN: usize = 128;
/// Maximum length of an axum error body copied into a JSON error, in
/// bytes.
const MAX_COPIED_ERROR_BYTES: usize = 4096;

/// A JSON request body of type `T`, with the bytes as received, which the
/// journal keeps as the record's raw bytes.
///
/// Handlers read it with [`JsonBody::read`] after the role check, so that a
/// caller without the role gets a 403 whatever the body holds.
pub struct JsonBody<T> {
    pub value: T,
    pub bytes: Bytes,
}

impl<T: DeserializeOwned> JsonBody<T> {
    /// Reads and parses the body of `request`: 415 unless it is
    /// `application/json`, 413 over `[http] max_body_bytes`, 400 unless it
    /// is JSON, 422 for a missing, unknown or mistyped field.
    pub async fn read(request: Request, state: &Arc<AppState>) -> Result<JsonBody<T>, ApiError> {
        let bytes = read_json_bytes(request, state).await?;
        let value = parse_json(&bytes)?;
        Ok(JsonBody { value, bytes })
    }
}

/// Reads the body of a request that must be JSON: a 415 unless its
/// `Content-Type` is `application/json`, then as [`read_bytes`].
pub async fn read_json_bytes(request: Request, state: &Arc<AppState>) -> Result<Bytes, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "the body must be JSON with 'Content-Type: application/json', and this \
                 request has '{content_type}'"
            ),
        ));
    }
    read_bytes(request, state).await
}

/// Reads the body of `request`, up to `[http] max_body_bytes`.
pub async fn read_bytes(request: Request, state: &Arc<AppState>) -> Result<Bytes, ApiError> {
    let max = state.config.http.max_body_bytes;
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => too_large(max),
            status => ApiError::new(status, "invalid_body", rejection.body_text()),
        })
}

/// Parses a JSON body, naming the field of a data error. The text is
/// checked as JSON first, so that any syntax error is a 400 even where a
/// field error comes earlier in the text.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Some Windows tools start a UTF-8 file with a byte order mark.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|error| invalid_json(&error))?;
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        data_error(&path, &error.into_inner())
    })
}

fn invalid_json(error: &serde_json::Error) -> ApiError {
    ApiError::bad_request(
        "invalid_json",
        format!("the body is not valid JSON: {error}"),
    )
}

/// Builds the 422 for a field that is missing, unknown or of the wrong type. For a
/// missing field serde reports the enclosing object, so the field's name
/// is taken from the message.
fn data_error(path: &str, error: &serde_json::Error) -> ApiError {
    let message = error.to_string();
    let (code, field) = match backquoted(&message, "missing field `") {
        Some(name) => ("missing_field", join_path(path, name)),
        None if message.starts_with("unknown field") => ("unknown_field", path.to_string()),
        None => ("invalid_field", path.to_string()),
    };
    ApiError::invalid_field(code, field, message)
}

/// Returns the text between `prefix` and the next backquote.
fn backquoted<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next()
}

fn join_path(path: &str, name: &str) -> String {
    if path == "." || path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Builds the 413 for a body over `max` bytes.
fn too_large(max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "the request body is larger than {max} bytes, the limit set by [http] max_body_bytes"
        ),
    )
}

/// Returns the idempotency key of a new record: from the client's
/// `Idempotency-Key` header, scoped to the token, or random.
pub fn record_key(prefix: &str, actor: &Actor, headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        let random = random_hex(16)
            .map_err(|error| ApiError::internal("failed to make a record key", &error))?;
        return Ok(format!("{prefix}:{random}"));
    };
    let key = value
        .to_str()
        .ok()
        .filter(|key| !key.is_empty() && key.len() <= MAX_IDEMPOTENCY_KEY_LEN)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                format!(
                    "invalid Idempotency-Key header: send 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible \
                     ASCII characters, such as a UUID"
                ),
            )
        })?;
    Ok(format!("{prefix}:{}:{key}", actor.token_id))
}

/// Stores a change made through the API, `record` and its audit entry in
/// one transaction, and returns 201 with the record's new sequence. A
/// resend under a stored idempotency key returns 200 with the sequence of
/// the earlier record when the body is the same, and a 422 when it differs,
/// so that a client never gets a success for a change that was not stored.
pub fn store_change(
    journal: &mut Journal,
    actor: &Actor,
    audit_action: &str,
    record: NewEvent,
    summary: String,
) -> Result<(StatusCode, i64), ApiError> {
    let body = record.raw.clone();
    let outcome = append_with_audit(journal, actor, audit_action, record, summary)?;
    let seq = outcome.seq();
    if !outcome.is_duplicate() {
        tracing::info!(seq, action = audit_action, token_id = %actor.token_id, "recorded a change");
        return Ok((StatusCode::CREATED, seq));
    }
    let stored = journal
        .event(seq)
        .map_err(|error| ApiError::internal("failed to read the stored change", &error))?;
    match stored {
        Some(event) if event.raw == body => Ok((StatusCode::OK, seq)),
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            format!(
                "the Idempotency-Key was already used for another change (event {seq}) with \
                 a different body: send a new key for a new change, or the same body to \
                 repeat that one"
            ),
        )),
    }
}

/// Returns a 400 for a query parameter not in `allowed`.
pub fn check_parameters(query: &HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
    match query.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(unknown) => Err(ApiError::bad_request(
            "unknown_parameter",
            format!(
                "unknown query parameter '{unknown}': expected {}",
                allowed.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// Parses an optional whole-number query parameter in `range`.
pub fn number_parameter(
    query: &HashMap<String, String>,
    name: &str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ApiError> {
    let Some(text) = query.get(name) else {
        return Ok(default);
    };
    text.parse::<i64>()
        .ok()
        .filter(|value| range.contains(value))
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_parameter",
                format!(
                    "invalid {name} '{text}': expected a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })
}

/// Parses the record id of a path such as `/api/v1/writeoffs/{id}/revoke`;
/// anything but a positive number names no record.
pub fn record_id(text: &str, what: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::not_found(format!("no {what} has the id '{text}'")))
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> ApiError {
        ApiError::invalid_field("invalid_field", error.field, error.message)
    }
}

impl From<RequestError> for ApiError {
    fn from(error: RequestError) -> ApiError {
        match error {
            RequestError::Field(error) => error.into(),
            RequestError::Conflict(message) => ApiError::conflict(message),
        }
    }
}

impl From<JournalError> for ApiError {
    fn from(error: JournalError) -> ApiError {
        ApiError::internal("failed to read or write the journal", &error)
    }
}

impl From<RecordsError> for ApiError {
    fn from(error: RecordsError) -> ApiError {
        ApiError::internal("failed to read or write records", &error)
    }
}

/// Middleware that reads a request's whole body within
/// `[http] header_timeout_seconds`, before any handler runs. A client
/// that sends its body a byte at a time would otherwise hold a connection
/// slot as long as it likes, as on the sign-in form, which takes no token.
/// A body that takes longer gets a 408, and one over the size limit a 413.
pub async fn body_deadline(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let http = &state.config.http;
    let (parts, body) = request.into_parts();
    let limit = http.max_body_bytes.saturating_add(1);
    let read = tokio::time::timeout(http.header_timeout, axum::body::to_bytes(body, limit)).await;
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return too_large(http.max_body_bytes).into_response(),
        Err(_) => {
            tracing::debug!(path = %parts.uri.path(), "request body timed out");
            return ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                format!(
                    "the request body did not arrive within {} s ([http] \
                     header_timeout_seconds): send it again, whole",
                    http.header_timeout.as_secs()
                ),
            )
            .into_response();
        }
    };
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// Middleware that turns axum's own error responses, which are plain text
/// or empty (an unknown method, a body over the size limit, a malformed
/// query), into JSON error bodies. HTML and JSON responses pass unchanged.
pub async fn json_errors(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        return response;
    }

    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_COPIED_ERROR_BYTES)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_string())
        .unwrap_or_default();
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(state.config.http.max_body_bytes),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            "this route does not take this method: see docs/api.md",
        ),
        _ => {
            let message = if text.is_empty() {
                status.canonical_reason().unwrap_or("error").to_string()
            } else {
                text
            };
            ApiError::new(status, "bad_request", message)
        }
    };
    let mut converted = error.into_response();
    // Keep the headers that tell the client what to do, such as Allow.
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        converted.headers_mut().insert(header::ALLOW, allow.clone());
    }
    converted
}

/// Returns the 404 of a route that does not exist.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such route: see docs/api.md for the routes of the API")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        count: u32,
        #[serde(default)]
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        name: String,
    }

    #[test]
    fn parse_json_errors() {
        // (body, status, code, field)
        let cases = [
            (
                r#"{"count": 1, "extra": 2}"#,
                422,
                "unknown_field",
                Some("extra"),
            ),
            (r#"{"items": []}"#, 422, "missing_field", Some("count")),
            (
                r#"{"count": 1, "items": [{}]}"#,
                422,
                "missing_field",
                Some("items[0].name"),
            ),
            (r#"{"count": -1}"#, 422, "invalid_field", Some("count")),
            (
                r#"{"count": 1, "items": [{"name": 3}]}"#,
                422,
                "invalid_field",
                Some("items[0].name"),
            ),
            (r#"{"count": 1"#, 400, "invalid_json", None),
            (r#"{"count": 1} trailing"#, 400, "invalid_json", None),
            ("", 400, "invalid_json", None),
        ];
        for (body, status, code, field) in cases {
            let error = parse_json::<Body>(body.as_bytes()).unwrap_err();
            assert_eq!(error.status.as_u16(), status, "{body}");
            assert_eq!(error.code, code, "{body}");
            assert_eq!(error.field.as_deref(), field, "{body}");
        }
        assert!(parse_json::<Body>(br#"{"count": 2}"#).is_ok());
        assert!(parse_json::<Body>(b"\xEF\xBB\xBF{\"count\": 2}").is_ok());
    }

    #[test]
    fn record_id_positive_numbers() {
        assert_eq!(record_id("12", "write-off").unwrap(), 12);
        for bad in ["0", "-3", "x", "", "1.5"] {
            assert_eq!(
                record_id(bad, "write-off").unwrap_err().status,
                StatusCode::NOT_FOUND
            );
        }
    }
}
