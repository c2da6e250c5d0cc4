//! Boots the real router on a random port over a fresh database loaded with the ledger's worked
//! example, and calls the server functions over HTTP like a browser would, with the app's own wire
//! types: a renamed field or endpoint fails to compile here rather than at run time.
//!
//! Accounts beyond the worked example are opened with `ledger::testing`, the one set of fixtures.

#![allow(dead_code)] // each test file uses its own part of this support

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use app::error::AppError;
use app::model::CreditRequest;
use app::server_fns::{AccountTransfers, SignIn};
use app::state::AppState;
use ledger::testing::{self, TestDatabase};
use ledger::{Clock, DEMO_PASSWORD, Ledger, WorkedExample};
use leptos::config::LeptosOptions;
use leptos::server_fn::codec::PostcardEncoding;
use leptos::server_fn::{Decodes, ServerFn};
use serde::Serialize;
use serde::de::DeserializeOwned;
use server::web::WebConfig;

pub struct TestApp {
    pub base_url: String,
    pub ledger: Ledger,
    /// The worked example's accounts: `direct` with 100 credits, and its three sub-accounts at 0.
    pub example: WorkedExample,
    database: TestDatabase,
}

/// A server function's failure as the client sees it: the HTTP status and the decoded error.
#[derive(Debug, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub error: AppError,
}

/// A browser: its own cookie jar, signed in or not; or a client replaying one session cookie.
#[derive(Clone)]
pub struct Browser {
    pub http: reqwest::Client,
    base_url: String,
}

impl TestApp {
    /// Serves a fresh database loaded with the worked example.
    pub async fn spawn() -> Self {
        Self::spawn_with(WebConfig::default(), "target/site").await
    }

    /// The same, with the worked example dated a year back, as `server seed` dates it in an empty
    /// database: a seed then has the year since to date its accounts and transfers over.
    pub async fn spawn_for_seeding() -> Self {
        let year_ago = Clock::default().now() - 365 * 24 * 3_600_000;
        Self::start(WebConfig::default(), "target/site", Clock::manual(year_ago)).await
    }

    /// The same, with `config` in front (proxies, public URL) and the static files in `site_root`.
    pub async fn spawn_with(config: WebConfig, site_root: &str) -> Self {
        Self::start(config, site_root, Clock::default()).await
    }

    /// Serves a fresh database with the worked example loaded at `example_time`'s time.
    async fn start(config: WebConfig, site_root: &str, example_time: Clock) -> Self {
        let database = TestDatabase::new().await;
        let ledger = database.ledger().await;
        let example = ledger
            .clone()
            .with_clock(example_time)
            .load_worked_example(&testing::operator())
            .await
            .expect("load the worked example");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState {
            leptos_options: LeptosOptions::builder()
                .output_name("creditdesk")
                .site_root(site_root)
                .build(),
            ledger: ledger.clone(),
        };
        tokio::spawn(server::web::serve(listener, state, config));
        Self {
            base_url,
            ledger,
            example,
            database,
        }
    }

    /// The URL of this app's database, for other processes to share it.
    pub fn database_url(&self) -> String {
        self.database.settings.url.clone()
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base_url)
    }

    /// A browser signed in as a worked-example user (or any user with the demo password).
    pub async fn signed_in(&self, login: &str) -> Browser {
        let browser = self.browser();
        let landing = browser
            .call(demo_sign_in(login))
            .await
            .unwrap_or_else(|failure| panic!("{login} could not sign in: {failure:?}"));
        assert!(landing.starts_with('/'));
        browser
    }
}

impl Browser {
    /// A new browser with an empty cookie jar.
    pub fn new(base_url: &str) -> Self {
        Self::with_client(
            base_url,
            reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none()),
        )
    }

    /// A client that sends `cookie` (`name=value`, from [`session_cookie`]) with every request
    /// and keeps no jar: the same session replayed, or shared by several servers.
    pub fn with_cookie(base_url: &str, cookie: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::COOKIE,
            cookie.parse().expect("a cookie header value"),
        );
        Self::with_client(
            base_url,
            reqwest::Client::builder()
                .default_headers(headers)
                .redirect(reqwest::redirect::Policy::none()),
        )
    }

    fn with_client(base_url: &str, builder: reqwest::ClientBuilder) -> Self {
        Self {
            http: builder.build().unwrap(),
            base_url: base_url.to_owned(),
        }
    }

    /// Calls a server function with its arguments, like the app's own pages do.
    pub async fn call<F>(&self, args: F) -> Result<F::Output, Failure>
    where
        F: ServerFn<Error = AppError> + Serialize,
        F::Output: DeserializeOwned,
    {
        decode(self.request(&args)).await
    }

    /// The same call, claiming to come from a page at `origin`.
    pub async fn call_from<F>(&self, args: F, origin: &str) -> Result<F::Output, Failure>
    where
        F: ServerFn<Error = AppError> + Serialize,
        F::Output: DeserializeOwned,
    {
        decode(self.request(&args).header("origin", origin)).await
    }

    /// Sends `body` as it is to `F`'s endpoint. Only for tests that deliberately send what no
    /// page would (malformed input); every other call goes through [`Browser::call`].
    pub async fn call_with_body<F>(&self, body: &serde_json::Value) -> Result<F::Output, Failure>
    where
        F: ServerFn<Error = AppError>,
        F::Output: DeserializeOwned,
    {
        decode(self.post::<F>(body)).await
    }

    /// The request a call would send, for tests that read the raw response (its headers).
    pub fn request<F: ServerFn + Serialize>(&self, args: &F) -> reqwest::RequestBuilder {
        self.post::<F>(args)
    }

    fn post<F: ServerFn>(&self, body: &impl Serialize) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{}", self.base_url, F::PATH))
            .json(body)
    }

    /// A GET of `path` with this browser's cookies, for tests that set their own headers.
    pub fn get_request(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base_url))
    }

    /// A plain GET of `path` (a page, a download), answered as it is.
    pub async fn fetch(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base_url))
            .header("accept", "text/html")
            .send()
            .await
            .expect("the server answers")
    }

    /// A page load: the status and where it redirects to, if anywhere.
    pub async fn get(&self, path: &str) -> (u16, Option<String>) {
        let response = self
            .http
            .get(format!("{}{path}", self.base_url))
            .header("accept", "text/html")
            .send()
            .await
            .expect("the server answers");
        let location = response
            .headers()
            .get("location")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        (response.status().as_u16(), location)
    }
}

/// Sends a call and decodes its answer: the result on 2xx, otherwise the `AppError` and status.
async fn decode<T: DeserializeOwned>(request: reqwest::RequestBuilder) -> Result<T, Failure> {
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("a body");
    if (200..300).contains(&status) {
        Ok(PostcardEncoding::decode(body).expect("a result in postcard"))
    } else {
        let error = PostcardEncoding::decode(body.clone()).unwrap_or_else(|_| {
            panic!("status {status} with a body that is not an AppError: {body:?}")
        });
        Err(Failure { status, error })
    }
}

/// The sign-in a worked-example user (or any user with the demo password) sends.
pub fn demo_sign_in(login: &str) -> SignIn {
    SignIn {
        login: login.to_owned(),
        password: DEMO_PASSWORD.to_owned(),
    }
}

/// Signs `login` in with the demo password at `base_url` and returns its `name=value` session
/// cookie, which any server on the same database accepts.
pub async fn session_cookie(base_url: &str, login: &str) -> String {
    let response = Browser::new(base_url)
        .request(&demo_sign_in(login))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{login} signs in");
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_owned()
}

/// The caller's own transfers, newest first (the first page).
pub fn own_transfers() -> AccountTransfers {
    AccountTransfers {
        account_id: None,
        before: None,
    }
}

/// A credit change as the credit pop-up sends it, with a fresh request id.
pub fn credit_request(sub_account_id: i64, credits: &str, note: &str) -> CreditRequest {
    CreditRequest {
        sub_account_id,
        credits: credits.to_owned(),
        note: note.to_owned(),
        request_id: uuid::Uuid::new_v4().to_string(),
    }
}

/// One server-sent event as the browser's `EventSource` reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: String,
}

/// An open event stream, read an event at a time.
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    /// Opens `/events` with this browser's cookies (and `Last-Event-ID`, when resuming).
    pub async fn open(browser: &Browser, last_event_id: Option<&str>) -> Self {
        let mut request = browser.get_request(app::model::LIVE_EVENTS_PATH);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("the server answers");
        assert_eq!(response.status(), 200, "the stream opens");
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments skipped), or `None` when the stream ends.
    pub async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent::default();
                for line in block.lines() {
                    match line
                        .split_once(':')
                        .map(|(k, v)| (k, v.strip_prefix(' ').unwrap_or(v)))
                    {
                        Some(("event", value)) => event.event = value.to_owned(),
                        Some(("id", value)) => event.id = Some(value.to_owned()),
                        Some(("data", value)) => event.data.push_str(value),
                        _ => {}
                    }
                }
                if !event.event.is_empty() || !event.data.is_empty() {
                    return Some(event);
                }
                continue;
            }
            let chunk = self.response.chunk().await.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next `balances` event, decoded; fails the test after `wait`.
    pub async fn next_balances(&mut self, wait: Duration) -> app::model::LiveBalances {
        let event = tokio::time::timeout(wait, async {
            loop {
                let event = self.next().await.expect("the stream stays open");
                if event.event == "balances" {
                    return event;
                }
            }
        })
        .await
        .expect("a balances event in time");
        app::wire::from_text(&event.data).expect("a LiveBalances event")
    }
}

/// A `server serve` process, killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub base_url: String,
}

impl ServerProcess {
    pub fn start(database_url: &str) -> Self {
        Self::start_with(database_url, &[])
    }

    /// The same, with more environment (settings) for the process.
    pub fn start_with(database_url: &str, env: &[(&str, &str)]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database_url)
            .env("DATABASE_MAX_CONNECTIONS", "8")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .expect("start a server process");
        Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        }
    }

    pub async fn wait_until_serving(&self, http: &reqwest::Client) {
        for _ in 0..200 {
            if http
                .get(format!("{}/sign-in", self.base_url))
                .send()
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{} did not start", self.base_url);
    }
}

impl ServerProcess {
    /// Sends SIGTERM and waits up to `within` for the process to exit; whether it did.
    pub async fn terminate(&mut self, within: Duration) -> bool {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if self.child.try_wait().expect("poll the process").is_some() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
