//! Where a request came from, and which site it was sent to. Both come from the connection and the
//! configuration; `X-Forwarded-*` headers, which anyone can send, count only behind proxies the
//! configuration trusts.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN, REFERER};

/// The proxies in front of the server (`TRUST_PROXY`): `hops` of them, each appending the address
/// it received the request from to `X-Forwarded-For`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxies {
    pub hops: usize,
}

/// The client's address: behind trusted proxies, the entry the outermost of them appended to
/// `X-Forwarded-For` (the `hops`-th from the right, over all the header's lines: entries left of it
/// are the client's own word); otherwise, or when the header does not hold that many addresses,
/// the connection's peer.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    proxies: Option<TrustedProxies>,
) -> Option<IpAddr> {
    let forwarded = proxies.and_then(|proxies| {
        let entry =
            forwarded_values(headers, "x-forwarded-for")?.nth(proxies.hops.checked_sub(1)?)?;
        ip_of(entry)
    });
    forwarded.or(peer)
}

/// The comma-separated values of every line of a header, from the right (the last one appended
/// first); `None` when a line is not text, since the positions of the values are then unknown.
fn forwarded_values<'h>(
    headers: &'h HeaderMap,
    name: &str,
) -> Option<impl Iterator<Item = &'h str>> {
    let lines = headers
        .get_all(name)
        .iter()
        .map(|line| line.to_str().ok())
        .collect::<Option<Vec<_>>>()?;
    Some(
        lines
            .into_iter()
            .rev()
            .flat_map(|line| line.rsplit(','))
            .map(str::trim),
    )
}

/// An address as proxies write it: `203.0.113.7`, `203.0.113.7:50123`, `2001:db8::7` or
/// `[2001:db8::7]:443`.
fn ip_of(entry: &str) -> Option<IpAddr> {
    entry
        .parse()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|address| address.ip()))
}

/// The URL browsers use to reach the app (`PUBLIC_URL`), e.g. `https://credits.example`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// `scheme://host[:port]`, lowercase, as a browser writes it in `Origin`.
    origin: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("PUBLIC_URL is http:// or https:// and a host, like https://credits.example")]
pub struct PublicUrlError;

impl FromStr for PublicUrl {
    type Err = PublicUrlError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let origin = text.trim().trim_end_matches('/').to_ascii_lowercase();
        let (scheme, host) = origin.split_once("://").ok_or(PublicUrlError)?;
        let well_formed = matches!(scheme, "http" | "https")
            && !host.is_empty()
            && !host.contains(['/', '?', '#', '@', ' ']);
        well_formed.then_some(Self { origin }).ok_or(PublicUrlError)
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)
    }
}

/// The site a request was sent to, as far as the server can know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Served over HTTPS: the session cookie is `Secure`.
    pub secure: bool,
    expected: Expected,
}

/// What a call's `Origin` must match.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expected {
    /// `PUBLIC_URL`'s origin: scheme and host.
    Origin(String),
    /// The host the request was sent to (`host[:port]`), whatever the scheme; none when unknown.
    Host(Option<String>),
}

impl Site {
    /// `PUBLIC_URL` when configured; otherwise, behind trusted proxies, the host and scheme they
    /// forward; otherwise the `Host` header, over plain HTTP (the server itself does not speak TLS).
    pub fn of(
        headers: &HeaderMap,
        proxies: Option<TrustedProxies>,
        public_url: Option<&PublicUrl>,
    ) -> Self {
        if let Some(url) = public_url {
            return Self {
                secure: url.origin.starts_with("https://"),
                expected: Expected::Origin(url.origin.clone()),
            };
        }
        // The nearest proxy's word: the value it set (or appended) last.
        let forwarded = |name| {
            proxies
                .and_then(|_| forwarded_values(headers, name))
                .and_then(|mut values| values.next())
        };
        let host = forwarded("x-forwarded-host")
            .or_else(|| headers.get(HOST).and_then(|value| value.to_str().ok()));
        Self {
            secure: forwarded("x-forwarded-proto")
                .is_some_and(|proto| proto.eq_ignore_ascii_case("https")),
            expected: Expected::Host(host.map(str::to_ascii_lowercase)),
        }
    }

    /// True when a call's `Origin` (or, without one, `Referer`) is this site. Calls that carry
    /// neither do not come from a browser page, and pass.
    pub fn sent(&self, headers: &HeaderMap) -> bool {
        let header = |name| headers.get(name).and_then(|value| value.to_str().ok());
        let Some(claimed) = header(ORIGIN).or_else(|| header(REFERER)) else {
            return true;
        };
        let Some((scheme, host)) = origin(claimed) else {
            return false;
        };
        match &self.expected {
            Expected::Origin(origin) => origin.split_once("://").is_some_and(|(ours, our_host)| {
                scheme.eq_ignore_ascii_case(ours) && host.eq_ignore_ascii_case(our_host)
            }),
            Expected::Host(ours) => ours
                .as_deref()
                .is_some_and(|ours| host.eq_ignore_ascii_case(ours)),
        }
    }
}

/// The scheme and `host[:port]` of an absolute URL.
fn origin(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    Some((scheme, rest.split(['/', '?', '#']).next().unwrap_or(rest)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::session::ClientAddress;
    use axum::http::HeaderValue;
    use axum::http::header::HeaderName;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        headers
    }

    const PEER: &str = "10.0.0.9";

    /// The throttling address of a request from `PEER` with these `X-Forwarded-For` lines.
    fn address(hops: Option<usize>, forwarded_for: &[&'static str]) -> String {
        let lines: Vec<_> = forwarded_for
            .iter()
            .map(|line| ("x-forwarded-for", *line))
            .collect();
        let proxies = hops.map(|hops| TrustedProxies { hops });
        let ip = client_ip(&headers(&lines), PEER.parse().ok(), proxies);
        ClientAddress::from(ip.expect("an address")).0
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        assert_eq!(address(None, &["203.0.113.7"]), PEER);
    }

    #[test]
    fn behind_one_proxy_the_client_is_the_last_entry() {
        assert_eq!(address(Some(1), &["203.0.113.7"]), "203.0.113.7");
        assert_eq!(address(Some(1), &[]), PEER);
    }

    #[test]
    fn entries_left_of_the_trusted_ones_are_the_clients_word_and_ignored() {
        for spoofed in ["6.6.6.6, 203.0.113.7", "unknown, 6.6.6.6 ,203.0.113.7"] {
            assert_eq!(address(Some(1), &[spoofed]), "203.0.113.7", "{spoofed}");
        }
    }

    #[test]
    fn behind_two_proxies_the_client_is_the_second_entry_from_the_right() {
        assert_eq!(
            address(Some(2), &["6.6.6.6, 203.0.113.7, 10.0.0.2"]),
            "203.0.113.7"
        );
    }

    #[test]
    fn every_line_of_the_header_counts_in_order() {
        // A client's own header line comes first; the proxy appends its entry as a second line.
        assert_eq!(address(Some(1), &["6.6.6.6", "203.0.113.7"]), "203.0.113.7");
        assert_eq!(
            address(Some(2), &["6.6.6.6, 203.0.113.7", "10.0.0.2"]),
            "203.0.113.7"
        );
    }

    #[test]
    fn too_few_or_unreadable_entries_leave_the_peer() {
        assert_eq!(address(Some(2), &["203.0.113.7"]), PEER);
        assert_eq!(address(Some(1), &["6.6.6.6, not-an-address"]), PEER);
        assert_eq!(address(Some(1), &["6.6.6.6, "]), PEER);
    }

    #[test]
    fn entries_may_carry_a_port() {
        assert_eq!(address(Some(1), &["203.0.113.7:50123"]), "203.0.113.7");
        assert_eq!(
            address(Some(1), &["[2001:db8:1:2::7]:443"]),
            "2001:db8:1:2::/64"
        );
    }

    #[test]
    fn forwarded_ipv6_is_throttled_per_64_and_ipv4_mapped_as_ipv4() {
        assert_eq!(
            address(Some(1), &["2001:db8:1:2:aaaa:bbbb:cccc:dddd"]),
            "2001:db8:1:2::/64"
        );
        assert_eq!(address(Some(1), &["::ffff:203.0.113.7"]), "203.0.113.7");
    }

    fn site(
        pairs: &[(&'static str, &'static str)],
        proxies: Option<usize>,
        public_url: Option<&str>,
    ) -> Site {
        let public_url = public_url.map(|url| url.parse().unwrap());
        Site::of(
            &headers(pairs),
            proxies.map(|hops| TrustedProxies { hops }),
            public_url.as_ref(),
        )
    }

    #[test]
    fn a_call_from_this_site_passes() {
        let same = [
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ];
        assert!(site(&same, None, None).sent(&headers(&same)));
        let by_referer = [
            ("host", "shop.example"),
            ("referer", "https://shop.example/reseller/customers"),
        ];
        assert!(site(&by_referer, None, None).sent(&headers(&by_referer)));
        let neither = [("host", "shop.example")];
        assert!(site(&neither, None, None).sent(&headers(&neither)));
    }

    #[test]
    fn a_call_from_another_site_is_refused() {
        for origin in ["http://evil.example", "http://127.0.0.1:4000", "null"] {
            let call = [("host", "127.0.0.1:3000"), ("origin", origin)];
            assert!(!site(&call, None, None).sent(&headers(&call)), "{origin}");
        }
    }

    #[test]
    fn behind_a_trusted_proxy_the_forwarded_host_and_scheme_count() {
        let proxied = [
            ("host", "10.0.0.5:3000"),
            ("x-forwarded-host", "credits.example"),
            ("x-forwarded-proto", "https"),
            ("origin", "https://credits.example"),
        ];
        let behind = site(&proxied, Some(1), None);
        assert!(behind.sent(&headers(&proxied)) && behind.secure);
        let direct = site(&proxied, None, None);
        assert!(!direct.sent(&headers(&proxied)) && !direct.secure);
    }

    #[test]
    fn a_public_url_decides_the_site_whatever_the_headers_say() {
        let url = Some("https://Credits.example/");
        let call = |origin: &'static str| {
            [
                ("host", "10.0.0.5:3000"),
                ("x-forwarded-host", "evil.example"),
                ("x-forwarded-proto", "http"),
                ("origin", origin),
            ]
        };
        for (origin, accepted) in [
            ("https://credits.example", true),
            ("http://credits.example", false),
            ("https://evil.example", false),
            ("http://10.0.0.5:3000", false),
        ] {
            let call = call(origin);
            for proxies in [None, Some(1)] {
                let site = site(&call, proxies, url);
                assert!(site.secure);
                assert_eq!(site.sent(&headers(&call)), accepted, "{origin}");
            }
        }
        let plain = [("host", "10.0.0.5:3000"), ("x-forwarded-proto", "https")];
        assert!(!site(&plain, Some(1), Some("http://credits.example")).secure);
    }

    #[test]
    fn a_public_url_is_an_origin_and_nothing_more() {
        assert_eq!(
            "https://Credits.Example:8443/"
                .parse::<PublicUrl>()
                .unwrap()
                .to_string(),
            "https://credits.example:8443"
        );
        for refused in [
            "credits.example",
            "ftp://credits.example",
            "https://",
            "https://credits.example/app",
            "https://user@credits.example",
        ] {
            assert_eq!(
                refused.parse::<PublicUrl>(),
                Err(PublicUrlError),
                "{refused}"
            );
        }
    }
}
