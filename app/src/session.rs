//! The session cookie and the facts the HTTP layer attaches to each request (server only).
//!
//! The server's middleware resolves the cookie once per request and puts the `SignedIn` caller and
//! the `ClientAddress` into the request's extensions; server functions read them from there.

use std::time::Duration;

use axum::http::HeaderMap;
use axum::http::header::{COOKIE, HeaderValue, SET_COOKIE};
use ledger::{SessionToken, SignedIn};

use crate::model::{AccountKind, CHANGE_PASSWORD_PATH};

pub const COOKIE_NAME: &str = "creditdesk_session";

/// The address a request came from, as used for sign-in throttling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

/// Where a signed-in user starts: the change-password page while their password is still someone
/// else's choice, otherwise where their kind of account starts.
pub fn landing_path(signed_in: &SignedIn) -> &'static str {
    if signed_in.must_change_password {
        CHANGE_PASSWORD_PATH
    } else {
        AccountKind::from(signed_in.kind).landing_path()
    }
}

/// The session token in a request's cookies, if any.
pub fn token(headers: &HeaderMap) -> Option<SessionToken> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE_NAME && !value.is_empty())
        .map(|(_, value)| SessionToken::from_cookie(value))
}

/// `Set-Cookie` for a session: unreadable by scripts, not sent on cross-site requests, and `Secure`
/// when the request came over HTTPS (directly or through a proxy that says so).
pub fn set_cookie(token: &SessionToken, lifetime: Duration, request: &HeaderMap) -> HeaderValue {
    cookie(token.expose(), lifetime.as_secs(), request)
}

/// `Set-Cookie` that makes the browser forget the session.
pub fn clear_cookie(request: &HeaderMap) -> HeaderValue {
    cookie("", 0, request)
}

/// True when a response already sets the session cookie (so nothing should set it again).
pub fn sets_cookie(response: &HeaderMap) -> bool {
    response.get_all(SET_COOKIE).iter().any(|value| {
        value
            .as_bytes()
            .starts_with(format!("{COOKIE_NAME}=").as_bytes())
    })
}

fn cookie(value: &str, max_age_secs: u64, request: &HeaderMap) -> HeaderValue {
    let https = request
        .get("x-forwarded-proto")
        .is_some_and(|proto| proto.as_bytes().eq_ignore_ascii_case(b"https"));
    let secure = if https { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    );
    HeaderValue::from_str(&cookie).expect("a session token is hex, so the cookie is a valid header")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_found_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("theme=dark; creditdesk_session=abc123; x=1"),
        );
        assert_eq!(
            token(&headers).map(|t| t.expose().to_owned()),
            Some("abc123".to_owned())
        );
        headers.insert(COOKIE, HeaderValue::from_static("creditdesk_session="));
        assert!(token(&headers).is_none());
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_secure_behind_https() {
        let token = SessionToken::from_cookie("abc123");
        let plain = set_cookie(&token, Duration::from_secs(60), &HeaderMap::new());
        assert_eq!(
            plain,
            "creditdesk_session=abc123; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
        let mut behind_tls = HeaderMap::new();
        behind_tls.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(
            set_cookie(&token, Duration::from_secs(60), &behind_tls)
                .to_str()
                .unwrap()
                .ends_with("; Secure")
        );
        assert!(
            clear_cookie(&HeaderMap::new())
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }
}
