//! Boots the real router on a random port over a fresh database loaded with the demo data, and
//! signs users in over HTTP like a browser would.

#![allow(dead_code)] // each test file uses its own part of this support

use app::error::AppError;
use app::state::AppState;
use ledger::testing::TestDatabase;
use ledger::{AccountId, AccountKind, AccountName, Ledger, Login, Password};
use leptos::config::LeptosOptions;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use server::demo::DEMO_PASSWORD;
use server::web::WebConfig;

pub struct TestApp {
    pub base_url: String,
    pub ledger: Ledger,
    database: TestDatabase,
}

/// A server function's failure as the client sees it: the HTTP status and the decoded error.
#[derive(Debug, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub error: AppError,
}

/// A browser: its own cookie jar, signed in or not.
pub struct Browser {
    pub http: reqwest::Client,
    base_url: String,
}

impl TestApp {
    pub async fn spawn() -> Self {
        let database = TestDatabase::new().await;
        Self::serve(database.ledger().await, database).await
    }

    /// Serves `ledger` (already connected to `database`), loaded with the demo data.
    pub async fn serve(ledger: Ledger, database: TestDatabase) -> Self {
        server::demo::load(&ledger)
            .await
            .expect("load the demo data");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState {
            leptos_options: LeptosOptions::builder().output_name("creditdesk").build(),
            ledger: ledger.clone(),
        };
        tokio::spawn(server::web::serve(listener, state, WebConfig::default()));
        Self {
            base_url,
            ledger,
            database,
        }
    }

    /// The URL of this app's database, for other processes to share it.
    pub fn database_url(&self) -> String {
        self.database.settings.url.clone()
    }

    pub fn browser(&self) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base_url: self.base_url.clone(),
        }
    }

    /// A browser signed in as a demo user (or any user with the demo password).
    pub async fn signed_in(&self, login: &str) -> Browser {
        let browser = self.browser();
        let landing: String = browser
            .call(
                "sign_in",
                json!({ "login": login, "password": DEMO_PASSWORD }),
            )
            .await
            .unwrap_or_else(|failure| panic!("{login} could not sign in: {failure:?}"));
        assert!(landing.starts_with('/'));
        browser
    }

    /// Opens an account with the demo password under `parent`.
    pub async fn open(
        &self,
        parent: AccountId,
        kind: AccountKind,
        name: &str,
        login: &str,
    ) -> AccountId {
        self.ledger
            .open_account(
                parent,
                kind,
                &AccountName::parse(name).unwrap(),
                &Login::parse(login).unwrap(),
                &Password::parse(DEMO_PASSWORD).unwrap(),
            )
            .await
            .unwrap()
            .account
            .id
    }

    pub async fn account_of(&self, login: &str) -> AccountId {
        self.ledger
            .account_by_login(&Login::parse(login).unwrap())
            .await
            .unwrap()
            .expect("a known login")
            .id
    }
}

impl Browser {
    /// Calls a server function by its endpoint with JSON arguments, like the app's own pages do.
    pub async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        arguments: Value,
    ) -> Result<T, Failure> {
        self.call_from(endpoint, arguments, None).await
    }

    /// The same call, claiming to come from a page at `origin`.
    pub async fn call_from<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        arguments: Value,
        origin: Option<&str>,
    ) -> Result<T, Failure> {
        let mut request = self
            .http
            .post(format!("{}/api/{endpoint}", self.base_url))
            .json(&arguments);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let body = response.bytes().await.expect("a body");
        if (200..300).contains(&status) {
            Ok(serde_json::from_slice(&body).expect("a JSON result"))
        } else {
            let error = serde_json::from_slice(&body).unwrap_or_else(|_| {
                panic!("status {status} with a body that is not an AppError: {body:?}")
            });
            Err(Failure { status, error })
        }
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

/// Signs `login` in with the demo password at `base_url` and returns its `name=value` session
/// cookie, which any server on the same database accepts.
pub async fn session_cookie(http: &reqwest::Client, base_url: &str, login: &str) -> String {
    let response = http
        .post(format!("{base_url}/api/sign_in"))
        .json(&json!({ "login": login, "password": DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{login} signs in");
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_owned()
}

/// A transfer_credits argument with a fresh request id.
pub fn credit_request(sub_account_id: i64, credits: &str, note: &str) -> Value {
    json!({ "request": {
        "sub_account_id": sub_account_id,
        "credits": credits,
        "note": note,
        "request_id": uuid::Uuid::new_v4().to_string(),
    }})
}
