//! `/ui/login` and `/ui/logout`: signing a browser in to the pages.
//!
//! A person pastes the API token the installer gave them. A token that
//! matches a `[[token]]` entry is stored in the `hallbox_token` cookie
//! (HttpOnly, SameSite=Strict, 12 hours), which the pages and the report
//! downloads read on GET requests in place of the `Authorization` header.
//! The pages take the same roles as the API routes they show.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::{error_page, escape, page};
use crate::api::{ApiError, AppState};
use crate::auth::{find_token, Actor, Role, TOKEN_COOKIE};

const PATH: &str = "/ui/login";

/// Page shown after signing in when the login link named none.
const DEFAULT_NEXT: &str = "/ui/devices";

/// Lifetime of the sign-in cookie in seconds: 12 hours, one working day.
const COOKIE_MAX_AGE_SECONDS: u32 = 12 * 3600;

/// The form of `POST /ui/login`.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub token: String,
    #[serde(default)]
    pub next: String,
}

/// Keeps `next` only when it is a page of this box, so the login link
/// cannot send a person to another site.
fn safe_next(next: &str) -> &str {
    // Visible ASCII only: a line break would end the Location header.
    let visible = next.bytes().all(|byte| byte.is_ascii_graphic());
    if visible && next.starts_with("/ui/") && !next.contains("//") && !next.contains('\\') {
        next
    } else {
        DEFAULT_NEXT
    }
}

fn login_form(next: &str, message: Option<&str>) -> String {
    let mut body = String::from("<h1>登录</h1>\n");
    if let Some(message) = message {
        body.push_str(&format!(
            "<p class=\"banner missing\" id=\"message\">{}</p>\n",
            escape(message)
        ));
    }
    body.push_str(&format!(
        "<p>请粘贴安装人员发给您的访问令牌（以 hbx_ 开头）。登录在本浏览器中保持 12 小时。</p>\n\
         <form class=\"month\" method=\"post\" action=\"{PATH}\">\
         <input type=\"hidden\" name=\"next\" value=\"{}\">\
         <label for=\"token\">令牌</label>\
         <input id=\"token\" type=\"password\" name=\"token\" autocomplete=\"off\" size=\"40\" required>\
         <button type=\"submit\">登录</button></form>",
        escape(next)
    ));
    page("登录", PATH, &body, None)
}

/// `GET /ui/login?next=/ui/attendance`: the sign-in form.
pub async fn form(Query(query): Query<HashMap<String, String>>) -> Html<String> {
    let next = safe_next(query.get("next").map_or("", String::as_str));
    Html(login_form(next, None))
}

/// `POST /ui/login`: checks the token, sets the cookie and goes on to the
/// page named by `next`.
pub async fn submit(State(state): State<Arc<AppState>>, Form(form): Form<LoginForm>) -> Response {
    let next = safe_next(&form.next).to_string();
    let token = form.token.trim();
    let Some(entry) = find_token(&state.config.tokens, token) else {
        if let Some(suppressed) = crate::logging::admit("page login rejected") {
            tracing::warn!(suppressed, "rejected a page login with an unknown token");
        }
        let html = login_form(
            &next,
            Some("令牌无效：请检查是否完整粘贴，或请安装人员重新发放。"),
        );
        return (StatusCode::UNAUTHORIZED, Html(html)).into_response();
    };
    tracing::info!(token_id = %entry.id, role = %entry.role, "signed in to the pages");
    let cookie = format!(
        "{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={COOKIE_MAX_AGE_SECONDS}"
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
}

/// `GET /ui/logout`: clears the cookie.
pub async fn logout() -> Response {
    let cookie = format!("{TOKEN_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to(PATH)).into_response()
}

/// Checks the signed-in actor of a page against `roles`: without a valid
/// token the browser goes to the sign-in form and back to `return_path`, and a
/// token of another role gets a page that says so.
pub fn page_actor(
    actor: Result<Actor, ApiError>,
    roles: &[Role],
    return_path: &str,
) -> Result<Actor, Box<Response>> {
    let actor = match actor {
        Ok(actor) => actor,
        Err(error) if error.status == StatusCode::UNAUTHORIZED => {
            let target = format!("{PATH}?next={}", percent_encode(return_path));
            return Err(Box::new(Redirect::to(&target).into_response()));
        }
        Err(error) => return Err(Box::new(error.into_response())),
    };
    if actor.require(roles).is_err() {
        let message = "您的令牌无权查看此页面。请用有权限的令牌重新登录。";
        return Err(Box::new(error_page(
            StatusCode::FORBIDDEN,
            return_path,
            message,
        )));
    }
    Ok(actor)
}

/// Percent-encodes the characters of a path and query that would break a
/// query parameter.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(byte))
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_next_keeps_own_pages() {
        assert_eq!(
            safe_next("/ui/attendance?month=2026-11"),
            "/ui/attendance?month=2026-11"
        );
        assert_eq!(safe_next("https://example.com/"), DEFAULT_NEXT);
        assert_eq!(safe_next("//example.com/ui/"), DEFAULT_NEXT);
        assert_eq!(safe_next("/ui//example.com"), DEFAULT_NEXT);
        assert_eq!(safe_next("/api/v1/events"), DEFAULT_NEXT);
        assert_eq!(safe_next(""), DEFAULT_NEXT);
        assert_eq!(safe_next("/ui/devices\r\nX-Injected: 1"), DEFAULT_NEXT);
        assert_eq!(safe_next("/ui/attendance?month=2026 11"), DEFAULT_NEXT);
    }

    #[test]
    fn percent_encode_query() {
        assert_eq!(
            percent_encode("/ui/attendance?month=2026-11&x=1"),
            "/ui/attendance%3Fmonth%3D2026-11%26x%3D1"
        );
    }
}
