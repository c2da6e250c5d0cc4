//! The server functions through the real router and HTTP: results, errors, statuses and messages.

mod support;

use app::error::AppError;
use app::model::{AccountSummary, AccountType, LedgerLine, TransferReceipt, TransferType};
use serde_json::{Value, json};
use support::{Failure, TestApp};

async fn account_id(app: &TestApp, name: &str) -> i64 {
    let accounts: Vec<AccountSummary> = app.call("sub_accounts", json!({})).await.unwrap();
    accounts
        .into_iter()
        .find(|a| a.name == name)
        .map(|a| a.id)
        .expect("a demo account")
}

fn request(sub_account_id: i64, credits: &str, note: &str) -> Value {
    json!({ "request": {
        "sub_account_id": sub_account_id,
        "credits": credits,
        "note": note,
        "request_id": uuid_like(),
    }})
}

fn uuid_like() -> String {
    ledger::IdempotencyKey::generate().as_str().to_owned()
}

async fn transfer(app: &TestApp, body: Value) -> Result<TransferReceipt, Failure> {
    app.call("transfer_credits", body).await
}

async fn assert_nothing_moved(app: &TestApp) {
    let me: AccountSummary = app.call("my_account", json!({})).await.unwrap();
    assert_eq!(me.balance, 100);
    let report = app.ledger.verify().await.unwrap();
    assert!(report.is_clean());
    assert_eq!(report.transfers, 1, "only the demo top-up");
}

#[tokio::test]
async fn my_account_is_the_direct_reseller_with_its_balance() {
    let app = TestApp::spawn().await;
    let me: AccountSummary = app.call("my_account", json!({})).await.unwrap();
    assert_eq!(
        (me.name.as_str(), me.kind, me.balance),
        ("Direct Reseller", AccountType::DirectReseller, 100)
    );
}

#[tokio::test]
async fn sub_accounts_lists_the_demo_tree_by_name() {
    let app = TestApp::spawn().await;
    let accounts: Vec<AccountSummary> = app.call("sub_accounts", json!({})).await.unwrap();
    let rows: Vec<_> = accounts
        .iter()
        .map(|a| (a.name.as_str(), a.kind, a.balance))
        .collect();
    assert_eq!(
        rows,
        [
            ("Customer One", AccountType::Customer, 0),
            ("Reseller One", AccountType::Reseller, 0),
            ("Reseller Two", AccountType::Reseller, 0),
        ]
    );
}

#[tokio::test]
async fn a_positive_number_gives_and_a_minus_sign_revokes() {
    let app = TestApp::spawn().await;
    let one = account_id(&app, "Reseller One").await;

    let given = transfer(&app, request(one, "30", "June order"))
        .await
        .unwrap();
    assert_eq!(
        (
            given.sub_account_id,
            given.sub_account_balance,
            given.own_balance
        ),
        (one, 30, 70)
    );

    let revoked = transfer(&app, request(one, "-5", "Unused")).await.unwrap();
    assert_eq!((revoked.sub_account_balance, revoked.own_balance), (25, 75));

    let lines: Vec<LedgerLine> = app
        .call("recent_transfers", json!({ "before": null }))
        .await
        .unwrap();
    let newest = &lines[0];
    assert_eq!(
        (newest.kind, newest.change, newest.balance_after),
        (TransferType::Revoke, 5, 75)
    );
    assert_eq!(
        (newest.counterparty.as_str(), newest.note.as_str()),
        ("Reseller One", "Unused")
    );
    assert_eq!(lines[1].change, -30);
    assert!(app.ledger.verify().await.unwrap().is_clean());
}

#[tokio::test]
async fn the_same_request_twice_moves_credits_once() {
    let app = TestApp::spawn().await;
    let one = account_id(&app, "Reseller One").await;
    let body = request(one, "30", "Sent twice");

    let first = transfer(&app, body.clone()).await.unwrap();
    let second = transfer(&app, body).await.unwrap();

    assert_eq!(first, second);
    let me: AccountSummary = app.call("my_account", json!({})).await.unwrap();
    assert_eq!(me.balance, 70);
    assert_eq!(app.ledger.verify().await.unwrap().transfers, 2);
}

#[tokio::test]
async fn each_refusal_has_its_status_and_message_and_moves_nothing() {
    let app = TestApp::spawn().await;
    let two = account_id(&app, "Reseller Two").await;
    let long_note = "n".repeat(501);
    let cases = [
        (
            request(two, "abc", "x"),
            422,
            "Enter a whole number of credits, e.g. 30 or -5",
        ),
        (
            request(two, "1.5", "x"),
            422,
            "Enter a whole number of credits, e.g. 30 or -5",
        ),
        (
            request(two, "0", "x"),
            422,
            "Enter a number of credits other than 0, e.g. 30 to give or -5 to take back",
        ),
        (
            request(two, "1000000001", "x"),
            422,
            "One transfer can move at most 1,000,000,000 credits",
        ),
        (
            request(two, "30", "  "),
            422,
            "Add a note so you can track this transfer",
        ),
        (
            request(two, "30", &long_note),
            422,
            "Keep the note to 500 characters or fewer",
        ),
        (
            request(two, "101", "x"),
            409,
            "You have 100 credits; you cannot give 101",
        ),
        (
            request(two, "-1", "x"),
            409,
            "Reseller Two has 0 credits; you cannot revoke 1",
        ),
        (
            request(1, "5", "the platform"),
            404,
            "That account is not one of your sub-accounts",
        ),
        (
            request(9_999, "5", "no such account"),
            404,
            "That account is not one of your sub-accounts",
        ),
        (
            json!({ "request": { "sub_account_id": two, "credits": "5", "note": "x", "request_id": "bad id" } }),
            400,
            "The request was not understood; reload the page and try again",
        ),
        (
            json!({ "nonsense": true }),
            400,
            "The request was not understood; reload the page and try again",
        ),
    ];
    for (body, status, message) in cases {
        let failure = transfer(&app, body.clone()).await.unwrap_err();
        assert_eq!(failure.status, status, "{body}");
        assert_eq!(failure.error.to_string(), message, "{body}");
    }
    assert_nothing_moved(&app).await;
}

#[tokio::test]
async fn a_request_id_reused_for_a_different_transfer_is_refused() {
    let app = TestApp::spawn().await;
    let one = account_id(&app, "Reseller One").await;
    let first = request(one, "30", "First");
    transfer(&app, first.clone()).await.unwrap();

    let mut changed = first;
    changed["request"]["credits"] = json!("31");
    let failure = transfer(&app, changed).await.unwrap_err();

    assert_eq!(
        failure,
        Failure {
            status: 409,
            error: AppError::RequestReused
        }
    );
    assert_eq!(
        failure.error.to_string(),
        "This pop-up already saved a different transfer; close it and start again"
    );
}
