//! The axum extractor that turns the `Authorization` header into an
//! [`Actor`], or rejects the request with a 401.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::async_trait;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::Method;

use super::token::find_token;
use super::Actor;
use crate::api::{ApiError, AppState};

/// Minimum time between two warnings about rejected tokens. The rejections
/// in between are counted and reported with the next warning, so a client
/// that retries a bad token cannot flood the log.
const WARN_INTERVAL: Duration = Duration::from_secs(60);

#[async_trait]
impl FromRequestParts<Arc<AppState>> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Actor, ApiError> {
        let token = match bearer_token(parts) {
            Ok(token) => token,
            Err(error) => {
                tracing::debug!(path = %parts.uri.path(), code = error.code, "request without a usable token");
                return Err(error);
            }
        };
        let Some(entry) = find_token(&state.config.tokens, token) else {
            warn_rejected(parts.uri.path());
            return Err(ApiError::unauthorized(
                "invalid_token",
                "the bearer token matches no [[token]] entry of this box: \
                 ask the installer for a token made with `hallbox token new`",
            ));
        };
        tracing::debug!(path = %parts.uri.path(), token_id = %entry.id, role = %entry.role, "authenticated");
        Ok(Actor {
            role: entry.role,
            unit: entry.unit.clone(),
            token_id: entry.id.clone(),
        })
    }
}

/// Name of the cookie that carries the token of a person signed in to the
/// pages at `/ui/login`.
pub const TOKEN_COOKIE: &str = "hallbox_token";

/// Returns the token of an `Authorization: Bearer TOKEN` header. The scheme
/// is matched without regard to case, as HTTP authentication schemes are.
///
/// Without the header, a GET or HEAD request may carry the token in the
/// [`TOKEN_COOKIE`] cookie, so that a browser signed in to the pages can
/// open them and download reports. A request that changes something always
/// needs the header, so a page of another site cannot make a signed-in
/// browser change records.
fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let mut values = parts.headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        let reads = parts.method == Method::GET || parts.method == Method::HEAD;
        if let Some(token) = reads.then(|| cookie_token(parts)).flatten() {
            return Ok(token);
        }
        return Err(ApiError::unauthorized(
            "missing_token",
            "missing Authorization header: send 'Authorization: Bearer TOKEN'",
        ));
    };
    if values.next().is_some() {
        return Err(ApiError::unauthorized(
            "invalid_token",
            "more than one Authorization header: send exactly one",
        ));
    }
    let text = value.to_str().map_err(|_| {
        ApiError::unauthorized(
            "invalid_token",
            "the Authorization header is not visible ASCII: send 'Authorization: Bearer TOKEN'",
        )
    })?;
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::unauthorized(
            "invalid_token",
            "the Authorization header is not a bearer token: send 'Authorization: Bearer TOKEN'",
        ));
    }
    Ok(token)
}

/// Returns the value of the [`TOKEN_COOKIE`] cookie, if a `Cookie` header
/// has one that is not empty. A value in double quotes, which cookies may
/// have, is taken without them.
fn cookie_token(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == TOKEN_COOKIE)
        .map(|(_, value)| {
            value
                .strip_prefix('"')
                .and_then(|inner| inner.strip_suffix('"'))
                .unwrap_or(value)
        })
        .find(|value| !value.is_empty())
}

/// Rejections since the last warning, and when that warning was logged.
static REJECTED: Mutex<Option<(Instant, u64)>> = Mutex::new(None);

/// Logs a rejected token at most once per [`WARN_INTERVAL`], with the count
/// of rejections since the last warning. It takes only the path, so the
/// token cannot reach the log.
fn warn_rejected(path: &str) {
    let mut state = REJECTED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let now = Instant::now();
    match state.as_mut() {
        Some((last, count)) if now.duration_since(*last) < WARN_INTERVAL => {
            *count += 1;
        }
        Some((last, count)) => {
            tracing::warn!(
                path,
                rejected_since_last_warning = *count + 1,
                "rejected requests with an unknown bearer token"
            );
            *last = now;
            *count = 0;
        }
        None => {
            tracing::warn!(path, "rejected a request with an unknown bearer token");
            *state = Some((now, 0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(headers: &[&str]) -> Parts {
        let mut builder = Request::builder().uri("/api/v1/events");
        for value in headers {
            builder = builder.header(AUTHORIZATION, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn bearer_token_forms() {
        // (headers, expected token or error code)
        let cases: [(&[&str], Result<&str, &str>); 8] = [
            (&["Bearer hbx_1"], Ok("hbx_1")),
            (&["bearer hbx_1"], Ok("hbx_1")),
            (&["BEARER  hbx_1 "], Ok("hbx_1")),
            (&[], Err("missing_token")),
            (&["Basic dXNlcjpwYXNz"], Err("invalid_token")),
            (&["Bearer"], Err("invalid_token")),
            (&["Bearer "], Err("invalid_token")),
            (&["Bearer a", "Bearer b"], Err("invalid_token")),
        ];
        for (headers, expected) in cases {
            let parts = parts(headers);
            let result = bearer_token(&parts).map_err(|error| error.code);
            assert_eq!(result, expected, "{headers:?}");
        }
    }

    fn cookie_parts(method: Method, cookie: &str, authorization: Option<&str>) -> Parts {
        let mut builder = Request::builder()
            .method(method)
            .uri("/ui/attendance")
            .header(COOKIE, cookie);
        if let Some(value) = authorization {
            builder = builder.header(AUTHORIZATION, value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn cookie_token_for_reads_only() {
        let cookie = "theme=dark; hallbox_token=hbx_7; other=1";
        let get = cookie_parts(Method::GET, cookie, None);
        assert_eq!(bearer_token(&get).map_err(|e| e.code), Ok("hbx_7"));
        let head = cookie_parts(Method::HEAD, cookie, None);
        assert_eq!(bearer_token(&head).map_err(|e| e.code), Ok("hbx_7"));

        // A change needs the header, whatever cookie the browser sends.
        let post = cookie_parts(Method::POST, cookie, None);
        assert_eq!(
            bearer_token(&post).map_err(|e| e.code),
            Err("missing_token")
        );

        // The header wins over the cookie.
        let both = cookie_parts(Method::GET, cookie, Some("Bearer hbx_9"));
        assert_eq!(bearer_token(&both).map_err(|e| e.code), Ok("hbx_9"));

        // A quoted value is the token without its quotes.
        let quoted = cookie_parts(Method::GET, "hallbox_token=\"hbx_7\"", None);
        assert_eq!(bearer_token(&quoted).map_err(|e| e.code), Ok("hbx_7"));

        // An empty cookie or one of another name is no token.
        let empty = cookie_parts(Method::GET, "hallbox_token=; x_hallbox_token=hbx_1", None);
        assert_eq!(
            bearer_token(&empty).map_err(|e| e.code),
            Err("missing_token")
        );
    }
}
