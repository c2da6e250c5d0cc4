//! A client of the REST API as a reseller's software or the messaging platform would be: grants
//! and revokes on `POST /v1/transfers` with the parent's key, usage on `POST /v1/usage` with the
//! operator key, each with its `Idempotency-Key`, over one keep-alive connection.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::api::problem::PROBLEM_BASE;
use crate::load::tree::Keys;
use crate::load::workload::Move;

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 201, or 200 for a replay: the transfer made for the key.
    Moved { transfer_id: i64, replayed: bool },
    /// Any other status, with the problem type's last part (`not-enough-credits`) if it sent one.
    Refused { status: u16, problem: String },
}

impl Answer {
    /// "201", "409 not-enough-credits": what a tally counts by.
    pub fn kind(&self) -> String {
        match self {
            Self::Moved {
                replayed: false, ..
            } => "201 created".to_owned(),
            Self::Moved { replayed: true, .. } => "200 replayed".to_owned(),
            Self::Refused { status, problem } => format!("{status} {problem}"),
        }
    }
}

#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    keys: Arc<Keys>,
}

#[derive(Deserialize)]
struct Created {
    id: i64,
}

#[derive(Deserialize)]
struct Problem {
    #[serde(rename = "type")]
    problem_type: String,
}

impl ApiClient {
    /// A client with its own connection pool, so that N clients hold N connections.
    pub fn new(base_url: &str, keys: Arc<Keys>) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            http,
            base_url: base_url.to_owned(),
            keys,
        })
    }

    /// Sends `movement` once under `idempotency_key`. An error means no answer arrived (the
    /// connection failed or the body was cut off): the movement may or may not have been applied.
    pub async fn send(
        &self,
        movement: &Move,
        idempotency_key: &str,
    ) -> Result<Answer, reqwest::Error> {
        let (path, key, body) = match *movement {
            Move::Transfer {
                parent,
                sub_account,
                credits,
            } => (
                "/v1/transfers",
                &self.keys.parents[parent],
                json!({"sub_account_id": sub_account.0, "credits": credits, "note": "load"}),
            ),
            Move::Usage { account, credits } => (
                "/v1/usage",
                &self.keys.operator,
                json!({"account_id": account.0, "credits": credits, "reference": "load"}),
            ),
        };
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(key)
            .header("Idempotency-Key", idempotency_key)
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let body = response.bytes().await?;
        if status.is_success()
            && let Ok(created) = serde_json::from_slice::<Created>(&body)
        {
            return Ok(Answer::Moved {
                transfer_id: created.id,
                replayed: status == reqwest::StatusCode::OK,
            });
        }
        let problem = serde_json::from_slice::<Problem>(&body).map_or_else(
            |_| "(no problem document)".to_owned(),
            |problem| {
                problem
                    .problem_type
                    .trim_start_matches(PROBLEM_BASE)
                    .to_owned()
            },
        );
        Ok(Answer::Refused {
            status: status.as_u16(),
            problem,
        })
    }
}

/// A failed request as a tally counts it.
pub fn no_answer(error: &reqwest::Error) -> String {
    let why = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "connection lost"
    };
    format!("no answer ({why})")
}
