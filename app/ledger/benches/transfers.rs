//! Transfer throughput and latency against a real database: `cargo bench -p ledger`
//! (SQLite file by default; `TEST_DATABASE_URL=postgres://…` for PostgreSQL). Prints numbers only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ledger::testing::TestDatabase;
use ledger::{
    AccountId, AccountKind, AccountName, Actor, Credits, IdempotencyKey, Ledger, Login, Note,
    Password, TransferRequest,
};

const SEQUENTIAL: usize = 2_000;
const CONCURRENT: usize = 4_000;
const TASKS: usize = 16;

#[tokio::main]
async fn main() {
    let db = TestDatabase::new().await;
    let ledger = Arc::new(db.ledger().await);
    let (actor, children) = tree(&ledger).await;
    println!("backend: {:?}", ledger.backend());

    let mut latencies = Vec::with_capacity(SEQUENTIAL);
    let started = Instant::now();
    for i in 0..SEQUENTIAL {
        let began = Instant::now();
        ledger
            .grant(&actor, &request(children[i % children.len()]))
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
            let (ledger, actor, children) = (Arc::clone(&ledger), actor.clone(), children.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(CONCURRENT / TASKS);
                for i in 0..CONCURRENT / TASKS {
                    let began = Instant::now();
                    let child = children[(task + i) % children.len()];
                    if i % 2 == 0 {
                        ledger.grant(&actor, &request(child)).await.unwrap();
                    } else {
                        ledger.revoke(&actor, &request(child)).await.unwrap();
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
    assert!(ledger.verify().await.unwrap().is_clean());
}

async fn tree(ledger: &Ledger) -> (Actor, Vec<AccountId>) {
    let password = Password::parse("benchmark-password").unwrap();
    let open = |parent, kind, name: &str| {
        let (name, login) = (
            AccountName::parse(name).unwrap(),
            Login::parse(&name.to_lowercase()).unwrap(),
        );
        let password = password.clone();
        async move {
            ledger
                .open_account(parent, kind, &name, &login, &password)
                .await
                .unwrap()
                .account
                .id
        }
    };
    let direct = open(ledger.platform_id(), AccountKind::DirectReseller, "direct").await;
    ledger
        .top_up(
            "bench",
            direct,
            Credits::new(1_000_000_000).unwrap(),
            &Note::parse("bench").unwrap(),
            &IdempotencyKey::generate(),
        )
        .await
        .unwrap();
    let mut children = Vec::new();
    for i in 0..8 {
        children.push(open(direct, AccountKind::Customer, &format!("customer{i}")).await);
    }
    (
        Actor {
            account: direct,
            name: "bench".into(),
        },
        children,
    )
}

fn request(sub_account: AccountId) -> TransferRequest {
    TransferRequest {
        sub_account,
        credits: Credits::new(1).unwrap(),
        note: Note::parse("benchmark").unwrap(),
        key: IdempotencyKey::generate(),
    }
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
