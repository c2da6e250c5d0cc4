//! Transfer throughput and latency against a real database: `cargo bench -p ledger`
//! (SQLite file by default; `TEST_DATABASE_URL=postgres://…` for PostgreSQL). Prints numbers only.

use std::time::{Duration, Instant};

use ledger::testing::{
    TestDatabase, assert_verified, open, top_up, transfer_request, worked_example,
};
use ledger::{AccountId, AccountKind, Actor, Ledger, MAX_CREDITS_PER_TRANSFER};

const SEQUENTIAL: usize = 2_000;
const CONCURRENT: usize = 4_000;
const TASKS: usize = 16;

#[tokio::main]
async fn main() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let (actor, children) = tree(&ledger).await;
    println!("backend: {:?}", ledger.backend());

    let mut latencies = Vec::with_capacity(SEQUENTIAL);
    let started = Instant::now();
    for i in 0..SEQUENTIAL {
        let began = Instant::now();
        ledger
            .grant(&actor, &transfer_request(children[i % children.len()], 1))
            .await
            .unwrap();
        latencies.push(began.elapsed());
    }
    report(
        "sequential grants",
        SEQUENTIAL,
        started.elapsed(),
        &mut latencies,
    );

    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let (ledger, actor, children) = (ledger.clone(), actor.clone(), children.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(CONCURRENT / TASKS);
                for i in 0..CONCURRENT / TASKS {
                    let began = Instant::now();
                    let child = children[(task + i) % children.len()];
                    if i % 2 == 0 {
                        ledger
                            .grant(&actor, &transfer_request(child, 1))
                            .await
                            .unwrap();
                    } else {
                        ledger
                            .revoke(&actor, &transfer_request(child, 1))
                            .await
                            .unwrap();
                    }
                    latencies.push(began.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(CONCURRENT);
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    report(
        &format!("grants and revokes from {TASKS} tasks at once"),
        CONCURRENT,
        started.elapsed(),
        &mut latencies,
    );
    assert_verified(&ledger).await;
}

/// The worked example, topped up for the run, with five more customers: the direct reseller and the
/// eight sub-accounts it moves credits to and from.
async fn tree(ledger: &Ledger) -> (Actor, Vec<AccountId>) {
    let example = worked_example(ledger).await;
    top_up(ledger, example.direct.account(), MAX_CREDITS_PER_TRANSFER).await;
    let mut children = example.sub_accounts().to_vec();
    for i in 0..5 {
        let (name, login) = (format!("Bench Customer {i}"), format!("bench-customer{i}"));
        let customer = open(
            ledger,
            &example.direct,
            AccountKind::Customer,
            &name,
            &login,
        )
        .await;
        children.push(customer.account());
    }
    (example.direct, children)
}

fn report(what: &str, count: usize, elapsed: Duration, latencies: &mut [Duration]) {
    latencies.sort();
    let at = |quantile: f64| latencies[((latencies.len() - 1) as f64 * quantile) as usize];
    println!(
        "{what}: {count} in {elapsed:.2?} = {:.0}/s; latency p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        count as f64 / elapsed.as_secs_f64(),
        at(0.50),
        at(0.99),
        at(1.0),
    );
}
