//! Boots the real router on a random port over a fresh database loaded with the demo data.

use app::error::AppError;
use app::state::AppState;
use ledger::Ledger;
use ledger::testing::TestDatabase;
use leptos::config::LeptosOptions;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub struct TestApp {
    pub base_url: String,
    pub ledger: Ledger,
    pub http: reqwest::Client,
    _database: TestDatabase,
}

/// A server function's failure as the client sees it: the HTTP status and the decoded error.
#[derive(Debug, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub error: AppError,
}

impl TestApp {
    pub async fn spawn() -> Self {
        let database = TestDatabase::new().await;
        let ledger = database.ledger().await;
        server::demo::load(&ledger)
            .await
            .expect("load the demo data");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState {
            leptos_options: LeptosOptions::builder().output_name("creditdesk").build(),
            ledger: ledger.clone(),
        };
        tokio::spawn(server::web::serve(listener, state));
        Self {
            base_url,
            ledger,
            http: reqwest::Client::new(),
            _database: database,
        }
    }

    /// Calls a server function by its endpoint with JSON arguments.
    pub async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        arguments: Value,
    ) -> Result<T, Failure> {
        let response = self
            .http
            .post(format!("{}/api/{endpoint}", self.base_url))
            .json(&arguments)
            .send()
            .await
            .expect("the server answers");
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
}
