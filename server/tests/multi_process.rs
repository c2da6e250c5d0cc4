//! Two `server` processes on two ports share one database (PostgreSQL in CI's second pass, a SQLite
//! file in the first). Well over 1,000 grants and revokes race through both at once, on overlapping
//! accounts, and every request id is sent to both servers: the balances never go negative, the total
//! is conserved, `verify` is clean, and no request id moves credits twice.

mod support;

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::error::AppError;
use app::model::TransferReceipt;
use ledger::testing::TestDatabase;
use ledger::{AccountKind, Credits, IdempotencyKey, Note};
use support::{TestApp, credit_request, session_cookie};
use tokio::sync::Semaphore;

const OPERATIONS: usize = 1_200;
const IN_FLIGHT: usize = 32;

/// A `server serve` process, killed when dropped.
struct ServerProcess {
    child: Child,
    base_url: String,
}

impl ServerProcess {
    fn start(database_url: &str) -> Self {
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
            .stdout(Stdio::null())
            .spawn()
            .expect("start a server process");
        Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn wait_until_serving(&self, http: &reqwest::Client) {
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

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Moved(i64),
    Refused(AppError),
}

async fn transfer(
    http: &reqwest::Client,
    base_url: &str,
    cookie: &str,
    body: &serde_json::Value,
) -> Outcome {
    let response = http
        .post(format!("{base_url}/api/transfer_credits"))
        .header("cookie", cookie)
        .json(body)
        .send()
        .await
        .expect("a server answers");
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    if status.is_success() {
        let receipt: TransferReceipt = serde_json::from_slice(&bytes).unwrap();
        Outcome::Moved(receipt.transfer_id)
    } else {
        Outcome::Refused(serde_json::from_slice(&bytes).unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_move_every_credit_once() {
    // The demo tree plus a customer under Reseller One, so that both resellers' moves overlap on it.
    let database = TestDatabase::new().await;
    let setup = TestApp::serve(database.ledger().await, database).await;
    let direct = setup.account_of("direct").await;
    let reseller1 = setup.account_of("reseller1").await;
    let acme = setup
        .open(reseller1, AccountKind::Customer, "Acme", "acme")
        .await;
    setup
        .ledger
        .top_up(
            "test",
            direct,
            Credits::new(200).unwrap(),
            &Note::parse("more").unwrap(),
            &IdempotencyKey::generate(),
        )
        .await
        .unwrap();
    let transfers_before = setup.ledger.verify().await.unwrap().transfers;
    let database_url = setup.database_url();

    let servers = [
        ServerProcess::start(&database_url),
        ServerProcess::start(&database_url),
    ];
    let http = reqwest::Client::new();
    for server in &servers {
        server.wait_until_serving(&http).await;
    }
    let direct_cookie = session_cookie(&http, &servers[0].base_url, "direct").await;
    let reseller_cookie = session_cookie(&http, &servers[1].base_url, "reseller1").await;
    let targets = [
        (direct_cookie.clone(), setup.account_of("reseller1").await.0),
        (direct_cookie.clone(), setup.account_of("reseller2").await.0),
        (direct_cookie, setup.account_of("customer1").await.0),
        (reseller_cookie, acme.0),
    ];

    let started = Instant::now();
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = Vec::with_capacity(OPERATIONS);
    for i in 0..OPERATIONS {
        let (cookie, target) = targets[i % targets.len()].clone();
        // Grants and revokes of 1 to 7 credits; revokes a little rarer so that credits flow down.
        let amount = 1 + (i * 7919) % 7;
        let credits = if i % 5 < 3 {
            amount.to_string()
        } else {
            format!("-{amount}")
        };
        let body = credit_request(target, &credits, &format!("race {i}"));
        let [first, second] = servers.each_ref().map(|server| server.base_url.clone());
        let (http, slots) = (http.clone(), Arc::clone(&slots));
        tasks.push(tokio::spawn(async move {
            let _slot = slots.acquire_owned().await.unwrap();
            // The same request id to both servers at once, as a retry through a load balancer would.
            let (a, b) = tokio::join!(
                transfer(&http, &first, &cookie, &body),
                transfer(&http, &second, &cookie, &body)
            );
            (
                body["request"]["request_id"].as_str().unwrap().to_owned(),
                [a, b],
            )
        }));
    }

    let mut moved_by_key: HashMap<String, i64> = HashMap::new();
    let (mut refusals, mut answered_twice) = (0, 0);
    for task in tasks {
        let (key, outcomes) = task.await.unwrap();
        let mut moved = None;
        for outcome in outcomes {
            match outcome {
                Outcome::Moved(id) => {
                    assert!(
                        moved.is_none_or(|first| first == id),
                        "{key} moved credits twice"
                    );
                    answered_twice += usize::from(moved.is_some());
                    moved = Some(id);
                }
                Outcome::Refused(
                    AppError::NotEnoughCredits { .. } | AppError::SubAccountShort { .. },
                ) => {
                    refusals += 1;
                }
                Outcome::Refused(other) => panic!("{key}: unexpected refusal {other:?}"),
            }
        }
        if let Some(id) = moved {
            moved_by_key.insert(key, id);
        }
    }
    let elapsed = started.elapsed();

    let report = setup.ledger.verify().await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert!(report.negative.is_empty());
    assert_eq!(report.in_circulation, 300, "no credit created or lost");
    assert_eq!(
        report.transfers,
        transfers_before + moved_by_key.len() as i64,
        "one ledger entry per request id that moved credits"
    );
    assert!(
        moved_by_key.len() > OPERATIONS / 2,
        "most operations went through: {}",
        moved_by_key.len()
    );
    println!(
        "{OPERATIONS} request ids sent to 2 servers ({} HTTP calls) in {elapsed:.1?}: {} moved credits once \
         ({answered_twice} of them answered by both servers with the same transfer), {refusals} refusals for lack of credits",
        OPERATIONS * 2,
        moved_by_key.len(),
    );
}
