//! The HTTP side of the listener: one handler for every path, which checks
//! the serial number, classifies the request and sends a plain-text reply.
//!
//! Every reply, errors included, is `text/plain`, because a clock that gets
//! HTML or JSON back treats it as a failure and sends the request again
//! without end. Error replies use a status other than 200, so the clock
//! retries after `ErrorDelay`:
//!
//! | case | status |
//! | --- | --- |
//! | query without a valid `SN` | 400 |
//! | serial number not in `[[adms.clock]]` | 403 |
//! | path the protocol does not have | 404 |
//! | body not read within the time limit | 408 |
//! | body over `[adms] max_body_bytes` | 413 |
//! | records not committed | 503 |

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use hallbox_drivers::adms::{
    classify, handshake_reply, ok, parse_query, Query, Request as AdmsRequest,
};
use tracing::{debug, error, info, warn, Instrument};

use super::clock::Clock;
use super::{health, uploads, AdmsState};

/// Maximum time a request body may take to arrive. An 8 MiB body over a
/// 10 Mbit/s link takes about 7 s, so 60 s leaves a wide margin, and a
/// client that sends slower than that holds only its own request.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Handles every request to the listener.
pub(super) async fn handle(
    State(state): State<Arc<AdmsState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let received_at = Utc::now();
    let uri = request.uri().clone();
    let query = match parse_query(uri.query().unwrap_or_default()) {
        Ok(query) => query,
        Err(error) => {
            if let Some(suppressed) = state.throttle(&format!("query:{}", peer.ip())) {
                warn!(
                    address = %peer.ip(),
                    path = %uri.path(),
                    error = %error,
                    suppressed,
                    "rejected an ADMS request with an invalid query"
                );
            }
            return reply(StatusCode::BAD_REQUEST, "ERROR: invalid query");
        }
    };

    let Some(clock) = state.clock(query.sn.as_str()).cloned() else {
        // Keyed by the sender's address: a host that varies the serial
        // number still gets one warning a minute, and other keys stay.
        if let Some(suppressed) = state.throttle(&format!("unknown_serial:{}", peer.ip())) {
            warn!(
                serial_number = %query.sn,
                address = %peer.ip(),
                suppressed,
                "rejected a request from an unknown serial number (add it as an [[adms.clock]] to accept this clock)"
            );
        }
        return reply(StatusCode::FORBIDDEN, "ERROR: unknown serial number");
    };

    let span = tracing::info_span!("adms", clock = %clock.config.id);
    dispatch(state, clock, peer, request, query, received_at)
        .instrument(span)
        .await
}

async fn dispatch(
    state: Arc<AdmsState>,
    clock: Arc<Clock>,
    peer: SocketAddr,
    request: Request,
    query: Query,
    received_at: chrono::DateTime<Utc>,
) -> Response {
    health::note_contact(&state, &clock, peer.ip()).await;

    let method = request.method().clone();
    let path = request.uri().path().to_string();
    match classify(method.as_str(), &path, &query) {
        AdmsRequest::Handshake => handshake(&state, &clock, &query),
        AdmsRequest::Upload { table, stamp } => {
            let body = match read_body(&state, &clock, request).await {
                Ok(body) => body,
                Err(response) => return response,
            };
            uploads::upload(&state, &clock, table, stamp, body, received_at).await
        }
        AdmsRequest::GetRequest => {
            debug!("command poll");
            reply(StatusCode::OK, state.take_commands(&clock))
        }
        AdmsRequest::DeviceCmdResult => {
            let body = match read_body(&state, &clock, request).await {
                Ok(body) => body,
                Err(response) => return response,
            };
            uploads::command_results(&state, &clock, body, received_at).await
        }
        AdmsRequest::Ping => reply(StatusCode::OK, ok()),
        AdmsRequest::Unknown => {
            let key = format!("unknown:{}:{method}:{path}", clock.config.id);
            if let Some(suppressed) = state.throttle(&key) {
                warn!(method = %method, path = %path, suppressed, "clock sent a request the ADMS protocol does not have");
            }
            reply(StatusCode::NOT_FOUND, "ERROR: unknown request")
        }
    }
}

/// Replies to the handshake with the options and the clock's stamps.
fn handshake(state: &AdmsState, clock: &Clock, query: &Query) -> Response {
    let stamps = clock.state().stamps;
    match handshake_reply(&clock.config.serial_number, &state.options(stamps)) {
        Ok(text) => {
            info!(
                push_version = query.push_version.as_deref().unwrap_or("-"),
                language = query.language.as_deref().unwrap_or("-"),
                attlog_stamp = stamps.attlog,
                operlog_stamp = stamps.operlog,
                "clock handshake"
            );
            reply(StatusCode::OK, text)
        }
        Err(failure) => {
            error!(error = %failure, "failed to build the handshake reply");
            reply(StatusCode::INTERNAL_SERVER_ERROR, "ERROR: handshake failed")
        }
    }
}

/// Reads a request body up to `[adms] max_body_bytes` within
/// [`BODY_READ_TIMEOUT`], or returns the error reply.
async fn read_body(state: &AdmsState, clock: &Clock, request: Request) -> Result<Bytes, Response> {
    let limit = state.settings.max_body_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());

    let too_large = |size: String| {
        clock.state().counters.oversized_bodies += 1;
        warn!(
            size = %size,
            limit,
            "rejected an upload body over [adms] max_body_bytes; the clock will send it again, so raise the limit if this repeats"
        );
        reply(StatusCode::PAYLOAD_TOO_LARGE, "ERROR: body too large")
    };

    if let Some(length) = declared.filter(|length| *length > limit as u64) {
        return Err(too_large(format!("{length} bytes")));
    }
    match tokio::time::timeout(BODY_READ_TIMEOUT, Bytes::from_request(request, &())).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)))) => {
            Err(too_large("more than the limit".to_string()))
        }
        Ok(Err(rejection)) => {
            warn!(error = %rejection.body_text(), "failed to read an upload body");
            Err(reply(
                StatusCode::BAD_REQUEST,
                "ERROR: failed to read the body",
            ))
        }
        Err(_) => {
            warn!(
                timeout_secs = BODY_READ_TIMEOUT.as_secs(),
                "timed out reading an upload body"
            );
            Err(reply(StatusCode::REQUEST_TIMEOUT, "ERROR: body timed out"))
        }
    }
}

/// Builds a plain-text reply.
pub(super) fn reply(status: StatusCode, text: impl Into<String>) -> Response {
    let mut response = (status, text.into()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}
