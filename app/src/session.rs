//! The session cookie and the facts the HTTP layer attaches to each request (server only).
//!
//! The server's middleware resolves the cookie once per request and puts the `SignedIn` caller, the
//! `ClientAddress` and the site's `SessionCookie` into the request's extensions; server functions
//! read them from there.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use axum::http::HeaderMap;
use axum::http::header::{COOKIE, HeaderValue, SET_COOKIE};
use ledger::{SessionToken, SignedIn};

use crate::model::{AccountKind, CHANGE_PASSWORD_PATH};

/// The address a request came from, as used for sign-in throttling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

impl From<IpAddr> for ClientAddress {
    /// An IPv4 address as it is (also when written IPv4-mapped, `::ffff:a.b.c.d`); an IPv6 address
    /// as its /64, since one subscriber usually holds a whole /64 and could otherwise take a fresh
    /// address for every guess.
    fn from(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(ip) => Self(ip.to_string()),
            IpAddr::V6(ip) => {
                let prefix = Ipv6Addr::from(ip.to_bits() & !(u128::MAX >> 64));
                Self(format!("{prefix}/64"))
            }
        }
    }
}

/// Where a signed-in user starts: the change-password page while their password is still someone
/// else's choice, otherwise where their kind of account starts.
pub fn landing_path(signed_in: &SignedIn) -> &'static str {
    if signed_in.must_change_password {
        CHANGE_PASSWORD_PATH
    } else {
        AccountKind::from(signed_in.kind).landing_path()
    }
}

/// The session cookie as this site sets and reads it. Over HTTPS it is `Secure` and its name
/// carries the `__Host-` prefix, which browsers accept only from a secure page of this very host
/// (no `Domain`, `Path=/`): a plain-HTTP page or a sibling subdomain cannot plant a session of its
/// choosing. The server reads back only the name it sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionCookie {
    secure: bool,
}

impl SessionCookie {
    /// `secure`: the site is served over HTTPS, as the configuration (or a trusted proxy) says.
    pub fn new(secure: bool) -> Self {
        Self { secure }
    }

    pub fn name(self) -> &'static str {
        if self.secure {
            "__Host-creditdesk_session"
        } else {
            "creditdesk_session"
        }
    }

    /// The session token in a request's cookies, if any.
    pub fn token(self, request: &HeaderMap) -> Option<SessionToken> {
        request
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|cookies| cookies.split(';'))
            .filter_map(|cookie| cookie.trim().split_once('='))
            .find(|(name, value)| *name == self.name() && !value.is_empty())
            .map(|(_, value)| SessionToken::from_cookie(value))
    }

    /// `Set-Cookie` for a session: unreadable by scripts and not sent on cross-site requests.
    pub fn set(self, token: &SessionToken, lifetime: Duration) -> HeaderValue {
        self.header(token.expose(), lifetime.as_secs())
    }

    /// `Set-Cookie` that makes the browser forget the session.
    pub fn clear(self) -> HeaderValue {
        self.header("", 0)
    }

    /// True when a response already sets the session cookie (so nothing should set it again).
    pub fn is_set_by(self, response: &HeaderMap) -> bool {
        let prefix = format!("{}=", self.name());
        response
            .get_all(SET_COOKIE)
            .iter()
            .any(|value| value.as_bytes().starts_with(prefix.as_bytes()))
    }

    fn header(self, value: &str, max_age_secs: u64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let cookie = format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}",
            self.name()
        );
        HeaderValue::from_str(&cookie)
            .expect("a session token is hex, so the cookie is a valid header")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: SessionCookie = SessionCookie { secure: false };
    const SECURE: SessionCookie = SessionCookie { secure: true };

    #[test]
    fn the_token_is_found_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("theme=dark; creditdesk_session=abc123; x=1"),
        );
        assert_eq!(
            PLAIN.token(&headers).map(|t| t.expose().to_owned()),
            Some("abc123".to_owned())
        );
        headers.insert(COOKIE, HeaderValue::from_static("creditdesk_session="));
        assert!(PLAIN.token(&headers).is_none());
    }

    #[test]
    fn the_cookie_is_http_only_and_lax() {
        let token = SessionToken::from_cookie("abc123");
        assert_eq!(
            PLAIN.set(&token, Duration::from_secs(60)),
            "creditdesk_session=abc123; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
        assert!(PLAIN.clear().to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn over_https_the_cookie_is_secure_and_host_prefixed() {
        let token = SessionToken::from_cookie("abc123");
        assert_eq!(
            SECURE.set(&token, Duration::from_secs(60)),
            "__Host-creditdesk_session=abc123; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        assert!(SECURE.is_set_by(&HeaderMap::from_iter([(SET_COOKIE, SECURE.clear())])));
    }

    #[test]
    fn only_the_name_this_site_sets_is_read_back() {
        let headers = HeaderMap::from_iter([(
            COOKIE,
            HeaderValue::from_static("creditdesk_session=planted; __Host-creditdesk_session=ours"),
        )]);
        assert_eq!(SECURE.token(&headers).unwrap().expose(), "ours");
        assert_eq!(PLAIN.token(&headers).unwrap().expose(), "planted");
        let planted_only = HeaderMap::from_iter([(
            COOKIE,
            HeaderValue::from_static("creditdesk_session=planted"),
        )]);
        assert!(SECURE.token(&planted_only).is_none());
    }

    #[test]
    fn an_ipv4_address_is_throttled_as_itself_also_when_ipv4_mapped() {
        for written in ["203.0.113.7", "::ffff:203.0.113.7"] {
            let ip: IpAddr = written.parse().unwrap();
            assert_eq!(ClientAddress::from(ip).0, "203.0.113.7", "{written}");
        }
    }

    #[test]
    fn an_ipv6_address_is_throttled_by_its_64_bit_prefix() {
        let address = |written: &str| ClientAddress::from(written.parse::<IpAddr>().unwrap());
        assert_eq!(address("2001:db8:1:2:aaaa::1").0, "2001:db8:1:2::/64");
        assert_eq!(
            address("2001:db8:1:2:aaaa::1"),
            address("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_ne!(address("2001:db8:1:2::1"), address("2001:db8:1:3::1"));
    }
}
