//! The HTTP edge: what a careless or hostile client can send (hidden characters in text, oversized
//! bodies, over-long passwords, forged proxy headers), and the headers every answer carries.

mod support;

use std::time::{Duration, Instant};

use app::error::AppError;
use app::model::{AccountKind, NewSubAccount};
use app::server_fns::{
    CreateSubAccount, MyAccount, RenameSubAccount, SignIn, SubAccounts, TransferCredits,
};
use ledger::testing::{assert_verified, operator};
use leptos::server_fn::ServerFn;
use leptos::server_fn::error::FromServerFnError;
use server::proxy::TrustedProxies;
use server::web::WebConfig;
use support::{Browser, TestApp, credit_request, demo_sign_in};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// Proxies: X-Forwarded-* counts only from proxies the configuration trusts.

#[tokio::test]
async fn without_trust_proxy_forwarded_headers_change_nothing() {
    let app = TestApp::spawn().await;

    // A claimed HTTPS does not make the cookie Secure (nor rename it): the server speaks plain HTTP.
    let response = app
        .browser()
        .request(&demo_sign_in("direct"))
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "evil.example")
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("creditdesk_session="), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");

    // A claimed host does not make another site's call this site's.
    let forged = app
        .browser()
        .request(&demo_sign_in("direct"))
        .header("origin", "http://evil.example")
        .header("x-forwarded-host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    // Claimed addresses do not spread guesses over many addresses: they all come from this one.
    let throttled = guess_until_throttled(&app, |guess| {
        vec![("x-forwarded-for", format!("198.51.100.{guess}"))]
    })
    .await;
    assert!(throttled.is_some(), "forged addresses escaped the throttle");
}

/// Wrong guesses, each for another unknown login and with the headers `forge` makes for it, until
/// one is refused as too many (within 50 guesses), answering that guess's number.
async fn guess_until_throttled(
    app: &TestApp,
    forge: impl Fn(usize) -> Vec<(&'static str, String)>,
) -> Option<usize> {
    let browser = app.browser();
    for guess in 0..50 {
        let sign_in = SignIn {
            login: format!("nobody{guess}"),
            password: "not the password".into(),
        };
        let request = forge(guess)
            .into_iter()
            .fold(browser.request(&sign_in), |request, (name, value)| {
                request.header(name, value)
            });
        match request.send().await.unwrap().status().as_u16() {
            401 => continue,
            429 => return Some(guess),
            status => panic!("guess {guess} answered {status}"),
        }
    }
    None
}

#[tokio::test]
async fn behind_a_trusted_proxy_guesses_from_one_64_are_throttled_together() {
    let proxies = Some(TrustedProxies { hops: 1 });
    let app = TestApp::spawn_with(
        WebConfig {
            proxies,
            ..WebConfig::default()
        },
        "target/site",
    )
    .await;

    // Each guess forges its own left entry and comes from another address of one IPv6 /64.
    let throttled = guess_until_throttled(&app, |guess| {
        vec![
            ("x-forwarded-for", format!("198.51.100.{guess}")),
            ("x-forwarded-for", format!("2001:db8:7:7:{guess:x}::1")),
        ]
    })
    .await;
    assert!(
        throttled.is_some(),
        "one /64 spread its guesses over many addresses"
    );

    // Another /64 is another client.
    let elsewhere = app
        .browser()
        .request(&SignIn {
            login: "someone.else".into(),
            password: "not the password".into(),
        })
        .header("x-forwarded-for", "2001:db8:7:8::1")
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 401);
}

#[tokio::test]
async fn with_a_public_https_url_the_cookie_is_secure_host_prefixed_and_read_back() {
    let app = TestApp::spawn_with(
        WebConfig {
            public_url: Some("https://credits.example".parse().unwrap()),
            ..WebConfig::default()
        },
        "target/site",
    )
    .await;
    let response = app
        .browser()
        .request(&demo_sign_in("direct"))
        .send()
        .await
        .unwrap();
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set_cookie.starts_with("__Host-creditdesk_session="),
        "{set_cookie}"
    );
    assert!(set_cookie.ends_with("; Secure"), "{set_cookie}");
    assert!(!set_cookie.contains("Domain"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap();
    let token = cookie.split_once('=').unwrap().1;

    let signed_in = Browser::with_cookie(&app.base_url, cookie);
    assert_eq!(
        signed_in.call(MyAccount {}).await.unwrap().name,
        "Direct Reseller"
    );
    let from_the_site = signed_in
        .call_from(MyAccount {}, "https://credits.example")
        .await;
    assert!(from_the_site.is_ok(), "{from_the_site:?}");
    let from_the_bare_address = signed_in.call_from(MyAccount {}, &app.base_url).await;
    assert_eq!(
        from_the_bare_address.unwrap_err().error,
        AppError::CrossSite
    );

    // The same token under the name a plain-HTTP page could plant is not read.
    let planted = Browser::with_cookie(&app.base_url, &format!("creditdesk_session={token}"));
    assert_eq!(
        planted.call(MyAccount {}).await.unwrap_err().error,
        AppError::Unauthenticated
    );
}

// Request size: nothing is read past 64 KiB, and no over-long password is hashed.

const MIB: usize = 1 << 20;

/// Sends `head` and then `body` over a raw connection, never finishing the body: a server that
/// waits for the end of it never answers. Returns the status and the error the server answered
/// with, or fails the test when no answer comes within 10 s.
async fn unfinished_call(app: &TestApp, head: String, body: Vec<u8>) -> (u16, AppError) {
    let address = app.base_url.trim_start_matches("http://");
    let (mut reader, mut writer) = TcpStream::connect(address).await.unwrap().into_split();
    let sending = tokio::spawn(async move {
        let _ = writer.write_all(head.as_bytes()).await;
        for chunk in body.chunks(16 * 1024) {
            if writer.write_all(chunk).await.is_err() {
                break;
            }
        }
        // Keep the connection open, the body unfinished, until the test ends.
        std::future::pending::<()>().await;
    });
    let mut answer = Vec::new();
    let read = async {
        let mut buffer = [0_u8; 4096];
        loop {
            let n = reader.read(&mut buffer).await.unwrap_or(0);
            answer.extend_from_slice(&buffer[..n]);
            if n == 0 || complete_response(&answer) {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the server answers without waiting for the rest of the body");
    sending.abort();
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole answer");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .expect("a status line");
    (status, AppError::de(body.as_bytes().to_vec().into()))
}

/// True once `answer` holds a head and the whole body its `content-length` announces.
fn complete_response(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|n| n.trim().parse::<usize>())
        })
        .and_then(Result::ok)
        .is_some_and(|length| body.len() >= length)
}

fn call_head(app: &TestApp, path: &str, framing: &str) -> String {
    let host = app.base_url.trim_start_matches("http://");
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{framing}\r\n"
    )
}

#[tokio::test]
async fn a_megabyte_call_is_refused_with_413_without_reading_past_64_kib() {
    let app = TestApp::spawn().await;
    let body = format!(
        "{{\"login\":\"direct\",\"password\":\"{}\"}}",
        "p".repeat(MIB)
    )
    .into_bytes();

    // Announced: refused on the announcement, before a byte of the body is read.
    let announced = call_head(
        &app,
        SignIn::PATH,
        &format!("Content-Length: {}\r\n", body.len()),
    );
    let refused = unfinished_call(&app, announced, body[..16 * 1024].to_vec()).await;
    assert_eq!(refused, (413, AppError::RequestTooLarge));

    // Streamed in chunks of unknown total: cut off once past 64 KiB.
    let chunked = body
        .chunks(16 * 1024)
        .flat_map(|chunk| {
            [
                format!("{:x}\r\n", chunk.len()).into_bytes(),
                chunk.to_vec(),
                b"\r\n".to_vec(),
            ]
        })
        .flatten()
        .collect();
    let streamed = call_head(&app, SignIn::PATH, "Transfer-Encoding: chunked\r\n");
    let refused = unfinished_call(&app, streamed, chunked).await;
    assert_eq!(refused, (413, AppError::RequestTooLarge));
    assert_eq!(
        refused.1.to_string(),
        "That request is too large; shorten what you typed and try again"
    );
}

#[tokio::test]
async fn an_over_long_password_within_the_size_limit_is_refused_without_hashing_it() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let refused = app
        .browser()
        .call(SignIn {
            login: "direct".into(),
            password: "p".repeat(60 * 1024),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (refused.status, refused.error),
        (422, AppError::PasswordTooLong { max: 128 })
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

// Security headers on every answer.

/// A wasm under the name cargo-leptos' `hash-files` gives it (its content hash).
const FINGERPRINTED_WASM: &str = "/pkg/creditdesk.4fDq-mN0p_2xYz8kLw3aBc.wasm";

/// A site root holding built assets (a stylesheet under its plain name, a wasm under a
/// fingerprinted one), removed when dropped.
struct SiteRoot(std::path::PathBuf);

impl SiteRoot {
    fn with_assets() -> Self {
        let root = std::env::temp_dir().join(format!("creditdesk-site-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        let stylesheet = ".grid td { padding: 8px 12px }\n".repeat(100);
        std::fs::write(root.join("pkg/creditdesk.css"), stylesheet).unwrap();
        let wasm = [b"\0asm\x01\0\0\0".as_slice(), &[0; 4096]].concat();
        std::fs::write(root.join(&FINGERPRINTED_WASM[1..]), wasm).unwrap();
        Self(root)
    }
}

impl Drop for SiteRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `'nonce-…'` source of a Content-Security-Policy's `script-src`.
fn script_nonce(policy: &str) -> &str {
    let scripts = policy
        .split(';')
        .map(str::trim)
        .find(|directive| directive.starts_with("script-src "))
        .unwrap_or_else(|| panic!("no script-src in {policy}"));
    scripts
        .split(' ')
        .find_map(|source| source.strip_prefix("'nonce-")?.strip_suffix('\''))
        .unwrap_or_else(|| panic!("no nonce in {scripts}"))
}

#[tokio::test]
async fn pages_assets_and_calls_carry_the_security_headers() {
    let site = SiteRoot::with_assets();
    let app = TestApp::spawn_with(WebConfig::default(), site.0.to_str().unwrap()).await;
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{}{path}", app.base_url)).send();

    let page = get("/sign-in").await.unwrap();
    let asset = get("/pkg/creditdesk.css").await.unwrap();
    let call = app
        .browser()
        .request(&demo_sign_in("direct"))
        .send()
        .await
        .unwrap();
    let statuses = [&page, &asset, &call].map(|response| response.status().as_u16());
    assert_eq!(statuses, [200, 200, 200]);
    for response in [&page, &asset, &call] {
        let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("referrer-policy"), "same-origin");
        let policy = header("content-security-policy");
        for directive in [
            "default-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "style-src 'self'",
        ] {
            assert!(policy.contains(directive), "{directive} in {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{policy}");
    }

    // Every script of the page carries the nonce its policy names, and only that page's.
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = script_nonce(&policy).to_owned();
    assert!(nonce.len() >= 16, "{nonce}");
    let html = page.text().await.unwrap();
    let script_tags: Vec<_> = html
        .split("<script")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(rest))
        .collect();
    assert!(!script_tags.is_empty(), "{html}");
    for tag in script_tags {
        assert!(
            tag.contains(&format!(" nonce=\"{nonce}\"")),
            "<script{tag}>"
        );
    }
    let again = get("/sign-in").await.unwrap();
    let next_policy = again.headers()["content-security-policy"].to_str().unwrap();
    assert_ne!(script_nonce(next_policy), nonce, "a nonce is used once");
}

// Caching and compression.

#[tokio::test]
async fn fingerprinted_assets_are_kept_a_year_and_nothing_else_is() {
    let site = SiteRoot::with_assets();
    let app = TestApp::spawn_with(WebConfig::default(), site.0.to_str().unwrap()).await;
    let browser = app.browser();
    let cache_control = |response: &reqwest::Response| {
        let value = response.headers().get("cache-control");
        value.map(|value| value.to_str().unwrap().to_owned())
    };

    let wasm = browser.fetch(FINGERPRINTED_WASM).await;
    assert_eq!(wasm.status(), 200);
    assert_eq!(
        cache_control(&wasm).as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    // A name that does not change with the content must be checked again on each use.
    let stylesheet = browser.fetch("/pkg/creditdesk.css").await;
    assert_eq!(stylesheet.status(), 200);
    assert_eq!(cache_control(&stylesheet).as_deref(), Some("no-cache"));
    // Pages, and fingerprinted names that are not there, are never kept.
    let missing = browser
        .fetch("/pkg/creditdesk.AAAAAAAAAAAAAAAAAAAAAA.wasm")
        .await;
    assert_eq!(missing.status(), 404);
    let page = browser.fetch("/sign-in").await;
    assert_eq!(page.status(), 200);
    for response in [&missing, &page] {
        let policy = cache_control(response).unwrap_or_default();
        assert!(
            !policy.contains("immutable") && !policy.contains("max-age"),
            "{policy}"
        );
    }
}

#[tokio::test]
async fn every_text_answer_is_compressed_as_the_browser_accepts() {
    let site = SiteRoot::with_assets();
    let app = TestApp::spawn_with(WebConfig::default(), site.0.to_str().unwrap()).await;
    let direct = app.signed_in("direct").await;
    let one = app.example.reseller_one.0;
    direct
        .call(TransferCredits {
            request: credit_request(one, "30", "June order"),
        })
        .await
        .unwrap();

    for encoding in ["br", "gzip"] {
        let csv = format!("/transfers.csv?account={one}");
        for path in [
            "/reseller/customers",
            "/pkg/creditdesk.css",
            FINGERPRINTED_WASM,
            &csv,
        ] {
            let response = direct
                .get_request(path)
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path}");
            assert_eq!(
                response
                    .headers()
                    .get("content-encoding")
                    .map(|v| v.to_str().unwrap()),
                Some(encoding),
                "{path}"
            );
        }
        let call = direct
            .request(&MyAccount {})
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(call.status(), 200);
        assert_eq!(
            call.headers()["content-encoding"],
            encoding,
            "a server function's JSON"
        );
    }
}

/// The CSV has its own compression layer (quality 1) inside the one for every answer: the file a
/// browser unpacks is the one sent plain, compressed once.
#[tokio::test]
async fn a_compressed_download_unpacks_to_the_plain_file() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let plain = direct.fetch("/transfers.csv").await.bytes().await.unwrap();
    assert!(plain.starts_with(b"Time (UTC),"));
    let compressed = direct
        .get_request("/transfers.csv")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "gzip");
    let compressed = compressed.bytes().await.unwrap();
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&compressed[..]),
        &mut unpacked,
    )
    .unwrap();
    assert_eq!(unpacked, plain);
}

// Text fields and logs.

#[tokio::test]
async fn a_nul_or_a_direction_override_in_a_note_is_refused_and_nothing_moves() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let one = app.example.reseller_one.0;

    for (note, refusal) in [
        ("June\0order", AppError::NoteControlCharacters),
        ("invoice \u{202E}811", AppError::NoteDirectionCharacters),
    ] {
        let request = credit_request(one, "30", note);
        let failure = direct.call(TransferCredits { request }).await.unwrap_err();
        assert_eq!((failure.status, failure.error), (422, refusal), "{note:?}");
    }

    let report = app.ledger.verify(&operator()).await.unwrap();
    assert_eq!(report.transfers, 1, "only the worked example's top-up");
    assert_verified(&app.ledger).await;
}

#[tokio::test]
async fn a_nul_or_a_direction_override_in_a_name_is_refused_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let before = direct.call(SubAccounts {}).await.unwrap();

    for (name, refusal) in [
        ("Acme\0", AppError::NameControlCharacters),
        ("Acme\u{2067}moc.exe", AppError::NameDirectionCharacters),
    ] {
        let opened = direct
            .call(CreateSubAccount {
                account: NewSubAccount {
                    kind: AccountKind::Customer,
                    name: name.to_owned(),
                    login: "hidden.chars".to_owned(),
                    password: "long enough".to_owned(),
                },
            })
            .await
            .unwrap_err();
        assert_eq!((opened.status, &opened.error), (422, &refusal), "{name:?}");
        let renamed = direct
            .call(RenameSubAccount {
                account_id: app.example.customer_one.0,
                name: name.to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!((renamed.status, renamed.error), (422, refusal), "{name:?}");
    }

    assert_eq!(direct.call(SubAccounts {}).await.unwrap(), before);
}

/// Runs the `server` binary with `database_url` and returns everything it printed or logged.
fn server_output(database_url: &str) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("verify")
        .env("DATABASE_URL", database_url)
        .env("DATABASE_CONNECT_ATTEMPTS", "1")
        .env("RUST_LOG", "debug")
        .output()
        .expect("run the server binary");
    assert!(!output.status.success(), "{database_url} cannot work");
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn a_bad_database_url_is_reported_without_its_password() {
    for url in [
        "mysql://creditdesk:s3cret@db.internal/creditdesk",
        "postgres://creditdesk:s3cret@db.internal:port/creditdesk",
        "postgres://creditdesk@db.internal/creditdesk?password=s3cret&sslmode=bogus",
    ] {
        let output = server_output(url);
        assert!(output.contains("error"), "{url}: {output}");
        assert!(!output.contains("s3cret"), "{url}: {output}");
    }
}
