//! The live stream (`GET /events`): a transfer that touches what a user may see reaches that user's
//! open stream, from any caller and (PostgreSQL) from any server process; another tenant's never
//! does; a stream needs a session.

mod support;

use std::time::Duration;

use app::model::LiveBalances;
use app::server_fns::TransferCredits;
use ledger::testing::{self, operator, transfer_request, usage_debit};
use support::{Browser, EventStream, ServerProcess, TestApp, credit_request, session_cookie};

const WAIT: Duration = Duration::from_secs(5);

fn balance_of(event: &LiveBalances, account: ledger::AccountId) -> Option<i64> {
    event
        .changes
        .iter()
        .find(|change| change.account_id == account.0)
        .map(|change| change.balance)
}

/// Reads events until one carries `account`'s balance; returns it.
async fn balance_seen(stream: &mut EventStream, account: ledger::AccountId) -> i64 {
    balances_seen(stream, &[account]).await[0]
}

/// Reads events until each of `accounts` has had its balance in one; returns the latest of each.
async fn balances_seen(stream: &mut EventStream, accounts: &[ledger::AccountId]) -> Vec<i64> {
    let mut seen = vec![None; accounts.len()];
    while seen.iter().any(Option::is_none) {
        let event = stream.next_balances(WAIT).await;
        for (account, seen) in accounts.iter().zip(&mut seen) {
            if let Some(balance) = balance_of(&event, *account) {
                *seen = Some(balance);
            }
        }
    }
    seen.into_iter().flatten().collect()
}

#[tokio::test]
async fn a_grant_reaches_the_open_streams_of_both_sides() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let customer = app.signed_in("customer1").await;
    let mut parents = EventStream::open(&direct, None).await;
    let mut customers = EventStream::open(&customer, None).await;
    // The first event says the stream is open, with the unread alerts.
    parents.next_balances(WAIT).await;
    customers.next_balances(WAIT).await;

    direct
        .call(TransferCredits {
            request: credit_request(app.example.customer_one.0, "30", "live"),
        })
        .await
        .unwrap();

    assert_eq!(
        balance_seen(&mut customers, app.example.customer_one).await,
        30
    );
    let both = [app.example.customer_one, app.example.direct.account()];
    assert_eq!(balances_seen(&mut parents, &both).await, [30, 70]);
}

#[tokio::test]
async fn usage_through_the_ledger_reaches_the_parents_grid() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    app.ledger
        .grant(
            &app.example.direct,
            &transfer_request(app.example.customer_one, 30),
        )
        .await
        .unwrap();
    let mut stream = EventStream::open(&direct, None).await;

    app.ledger
        .usage(
            &app.ledger.platform_actor(&operator()),
            &usage_debit(app.example.customer_one, 8),
        )
        .await
        .unwrap();

    loop {
        let balance = balance_seen(&mut stream, app.example.customer_one).await;
        if balance == 22 {
            break;
        }
    }
}

#[tokio::test]
async fn a_stream_never_carries_another_tenants_accounts() {
    let app = TestApp::spawn().await;
    let stranger = testing::open_direct_reseller(&app.ledger, "Stranger Ltd", "stranger").await;
    testing::top_up(&app.ledger, stranger.account(), 50).await;
    let theirs = testing::open(
        &app.ledger,
        &stranger,
        ledger::AccountKind::Customer,
        "Their Customer",
        "theirs",
    )
    .await;
    let browser = app.signed_in("stranger").await;
    let mut stream = EventStream::open(&browser, None).await;

    for sub_account in app.example.sub_accounts() {
        app.ledger
            .grant(&app.example.direct, &transfer_request(sub_account, 10))
            .await
            .unwrap();
    }
    app.ledger
        .grant(&stranger, &transfer_request(theirs.account(), 5))
        .await
        .unwrap();

    let visible = [stranger.account().0, theirs.account().0];
    loop {
        let event = stream.next_balances(WAIT).await;
        for change in &event.changes {
            assert!(visible.contains(&change.account_id), "{change:?} leaked");
        }
        if balance_of(&event, theirs.account()) == Some(5) {
            break;
        }
    }
}

#[tokio::test]
async fn a_stream_without_a_session_is_refused() {
    let app = TestApp::spawn().await;
    let response = app
        .browser()
        .get_request(app::model::LIVE_EVENTS_PATH)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

/// Two server processes on one PostgreSQL: a grant through one reaches a stream open on the other,
/// through `LISTEN`/`NOTIFY`. (On SQLite the signal is in-process only: one server per file.)
#[tokio::test]
async fn a_grant_through_one_server_reaches_a_stream_on_another() {
    let app = TestApp::spawn().await;
    if !app.database_url().starts_with("postgres") {
        return;
    }
    let (first, second) = (
        ServerProcess::start(&app.database_url()),
        ServerProcess::start(&app.database_url()),
    );
    let http = reqwest::Client::new();
    first.wait_until_serving(&http).await;
    second.wait_until_serving(&http).await;
    let customer = Browser::with_cookie(
        &second.base_url,
        &session_cookie(&second.base_url, "customer1").await,
    );
    let mut stream = EventStream::open(&customer, None).await;
    stream.next_balances(WAIT).await;
    let direct = Browser::with_cookie(
        &first.base_url,
        &session_cookie(&first.base_url, "direct").await,
    );

    direct
        .call(TransferCredits {
            request: credit_request(app.example.customer_one.0, "30", "across servers"),
        })
        .await
        .unwrap();

    assert_eq!(
        balance_seen(&mut stream, app.example.customer_one).await,
        30
    );
}

/// A graceful shutdown waits for open requests; an open stream must not hold it up for ever.
#[tokio::test]
async fn a_server_shuts_down_with_a_stream_open() {
    let app = TestApp::spawn().await;
    let mut server = ServerProcess::start(&app.database_url());
    server.wait_until_serving(&reqwest::Client::new()).await;
    let customer = Browser::with_cookie(
        &server.base_url,
        &session_cookie(&server.base_url, "customer1").await,
    );
    let mut stream = EventStream::open(&customer, None).await;
    stream.next_balances(WAIT).await;

    assert!(server.terminate(WAIT).await, "the server did not stop");
    assert_eq!(stream.next().await, None, "the stream ended");
}

#[tokio::test]
async fn signing_out_ends_the_stream() {
    let app = TestApp::spawn().await;
    let customer = app.signed_in("customer1").await;
    let mut stream = EventStream::open(&customer, None).await;
    stream.next_balances(WAIT).await;

    customer.call(app::server_fns::SignOut {}).await.unwrap();

    let ended = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("the stream ends within its session check");
    assert_eq!(ended.map(|event| event.event), Some("end".to_owned()));
    assert_eq!(stream.next().await, None);
}

/// More balances moved than one read returns (500): the stream reads on at once, without waiting
/// for another commit, until every one is sent.
#[tokio::test]
async fn a_stream_behind_by_more_than_one_read_catches_up() {
    let (db, ledger, seeded) = testing::seeded(600, 0).await;
    testing::top_up(&ledger, seeded.direct.account(), 10_000).await;
    let mut granted = Vec::new();
    for sub_account in &seeded.sub_accounts {
        // Every 37th is suspended and refuses credits.
        if ledger
            .grant(&seeded.direct, &transfer_request(*sub_account, 1))
            .await
            .is_ok()
        {
            granted.push(*sub_account);
        }
    }
    assert!(
        granted.len() > ledger::live::MAX_CHANGES,
        "{}",
        granted.len()
    );
    let server = ServerProcess::start(&db.settings.url);
    server.wait_until_serving(&reqwest::Client::new()).await;
    let direct = Browser::with_cookie(
        &server.base_url,
        &session_cookie(&server.base_url, "direct").await,
    );
    let mut stream = EventStream::open(&direct, None).await;

    let mut seen = std::collections::HashSet::new();
    while !granted.iter().all(|account| seen.contains(&account.0)) {
        let event = stream.next_balances(WAIT).await;
        seen.extend(event.changes.iter().map(|change| change.account_id));
    }
}
