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
use app::model::CreditRequest;
use app::server_fns::TransferCredits;
use ledger::AccountKind;
use ledger::testing::{self, operator};
use support::{Browser, TestApp, credit_request, session_cookie};
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

async fn transfer(server: &Browser, request: CreditRequest) -> Outcome {
    match server.call(TransferCredits { request }).await {
        Ok(receipt) => Outcome::Moved(receipt.transfer_id),
        Err(failure) => Outcome::Refused(failure.error),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_move_every_credit_once() {
    // The worked example plus a customer under Reseller One, so that both resellers' moves overlap
    // on it.
    let setup = TestApp::spawn().await;
    let example = &setup.example;
    let reseller1 = testing::actor(&setup.ledger, "reseller1").await;
    let acme = testing::open(
        &setup.ledger,
        &reseller1,
        AccountKind::Customer,
        "Acme",
        "acme",
    )
    .await;
    testing::top_up(&setup.ledger, example.direct.account(), 200).await;
    let transfers_before = setup.ledger.verify(&operator()).await.unwrap().transfers;
    let database_url = setup.database_url();

    let servers = [
        ServerProcess::start(&database_url),
        ServerProcess::start(&database_url),
    ];
    let http = reqwest::Client::new();
    for server in &servers {
        server.wait_until_serving(&http).await;
    }
    // Each user signs in once, on one server; both servers accept that session.
    let direct_cookie = session_cookie(&servers[0].base_url, "direct").await;
    let reseller_cookie = session_cookie(&servers[1].base_url, "reseller1").await;
    let both = |cookie: &str| {
        servers
            .each_ref()
            .map(|server| Browser::with_cookie(&server.base_url, cookie))
    };
    let (direct, reseller) = (both(&direct_cookie), both(&reseller_cookie));
    let targets = [
        (&direct, example.reseller_one.0),
        (&direct, example.reseller_two.0),
        (&direct, example.customer_one.0),
        (&reseller, acme.account().0),
    ];

    let started = Instant::now();
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = Vec::with_capacity(OPERATIONS);
    for i in 0..OPERATIONS {
        let (browsers, target) = targets[i % targets.len()];
        // Grants and revokes of 1 to 7 credits; revokes a little rarer so that credits flow down.
        let amount = 1 + (i * 7919) % 7;
        let credits = if i % 5 < 3 {
            amount.to_string()
        } else {
            format!("-{amount}")
        };
        let request = credit_request(target, &credits, &format!("race {i}"));
        let [first, second] = browsers.clone();
        let slots = Arc::clone(&slots);
        tasks.push(tokio::spawn(async move {
            let _slot = slots.acquire_owned().await.unwrap();
            // The same request id to both servers at once, as a retry through a load balancer would.
            let (a, b) = tokio::join!(
                transfer(&first, request.clone()),
                transfer(&second, request.clone())
            );
            (request.request_id, [a, b])
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

    let report = setup.ledger.verify(&operator()).await.unwrap();
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
