//! Two `server` processes on two ports share one database (PostgreSQL in CI's second pass, a SQLite
//! file in the first). Well over 1,000 grants and revokes race through both at once, on overlapping
//! accounts, and every request id is sent to both servers: the balances never go negative, the total
//! is conserved, `verify` is clean, no request id moves credits twice, and both servers give the same
//! answer for each id (never a refusal from one server for an id the other applied). Hundreds of
//! rounds of a grant the sender can pay exactly once put that last rule under the most pressure.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use app::error::AppError;
use app::model::CreditRequest;
use app::server_fns::TransferCredits;
use ledger::AccountKind;
use ledger::testing::{self, operator};
use support::{Browser, ServerProcess, TestApp, credit_request, session_cookie};
use tokio::sync::Semaphore;

const OPERATIONS: usize = 1_200;
const IN_FLIGHT: usize = 32;
const PAID_ONCE_ROUNDS: usize = 200;

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

/// Sends one request id to both servers at once, as a retry through a load balancer would.
async fn to_both(servers: &[Browser; 2], request: &CreditRequest) -> [Outcome; 2] {
    let (a, b) = tokio::join!(
        transfer(&servers[0], request.clone()),
        transfer(&servers[1], request.clone())
    );
    [a, b]
}

/// The transfer a request id made, if any, once both servers agree on it: one id, one answer. A
/// refusal is only allowed when neither server moved credits for the id, both refused it alike, and
/// for lack of credits.
fn one_answer(key: &str, outcomes: &[Outcome; 2]) -> Option<i64> {
    match outcomes {
        [Outcome::Moved(a), Outcome::Moved(b)] => {
            assert_eq!(a, b, "{key} moved credits twice");
            Some(*a)
        }
        [Outcome::Refused(a), Outcome::Refused(b)] => {
            assert_eq!(a, b, "{key} was refused in two ways");
            assert!(
                matches!(
                    a,
                    AppError::NotEnoughCredits { .. } | AppError::SubAccountShort { .. }
                ),
                "{key}: unexpected refusal {a:?}"
            );
            None
        }
        [Outcome::Moved(id), Outcome::Refused(refusal)]
        | [Outcome::Refused(refusal), Outcome::Moved(id)] => {
            panic!(
                "{key}: one server applied it as transfer {id}, the other refused it: {refusal:?}"
            )
        }
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

    // The direct reseller's 300 credits, all of them, to Customer One and back, round after round:
    // each grant can be paid once, so only a replay of the first can answer the other server.
    let customer_one = example.customer_one.0;
    let mut moved_by_key: HashMap<String, i64> = HashMap::new();
    for round in 0..PAID_ONCE_ROUNDS {
        let grant = credit_request(customer_one, "300", &format!("all of it {round}"));
        let outcomes = to_both(&direct, &grant).await;
        let id = one_answer(&grant.request_id, &outcomes)
            .unwrap_or_else(|| panic!("round {round}: 300 of 300 credits refused: {outcomes:?}"));
        moved_by_key.insert(grant.request_id, id);
        let back = credit_request(customer_one, "-300", &format!("back {round}"));
        let Outcome::Moved(id) = transfer(&direct[0], back.clone()).await else {
            panic!("round {round}: the revoke was refused");
        };
        moved_by_key.insert(back.request_id, id);
    }

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
        let browsers = browsers.clone();
        let slots = Arc::clone(&slots);
        tasks.push(tokio::spawn(async move {
            let _slot = slots.acquire_owned().await.unwrap();
            let outcomes = to_both(&browsers, &request).await;
            (request.request_id, outcomes)
        }));
    }

    let (mut moved, mut refused) = (0, 0);
    for task in tasks {
        let (key, outcomes) = task.await.unwrap();
        match one_answer(&key, &outcomes) {
            Some(id) => {
                moved += 1;
                moved_by_key.insert(key, id);
            }
            None => refused += 1,
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
        moved > OPERATIONS / 2,
        "most operations went through: {moved}"
    );
    println!(
        "{PAID_ONCE_ROUNDS} grants payable once, then {OPERATIONS} request ids, each sent to both servers: \
         the race took {elapsed:.1?}; {moved} ids moved credits once, {refused} were refused by both \
         servers for lack of credits",
    );
}
