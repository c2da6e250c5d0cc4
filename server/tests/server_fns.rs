//! The server functions through the real router and HTTP, signed in as the demo's direct reseller:
//! results, errors, statuses and messages.

mod support;

use app::error::AppError;
use app::model::{AccountSummary, AccountType, LedgerLine, TransferReceipt, TransferType};
use serde_json::{Value, json};
use support::{Browser, Failure, TestApp, credit_request as request};

async fn transfer(browser: &Browser, body: Value) -> Result<TransferReceipt, Failure> {
    browser.call("transfer_credits", body).await
}

async fn assert_nothing_moved(app: &TestApp, direct: &Browser) {
    let me: AccountSummary = direct.call("my_account", json!({})).await.unwrap();
    assert_eq!(me.balance, 100);
    let report = app.ledger.verify().await.unwrap();
    assert!(report.is_clean());
    assert_eq!(report.transfers, 1, "only the demo top-up");
}

#[tokio::test]
async fn my_account_is_the_signed_in_account_with_its_balance() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let me: AccountSummary = direct.call("my_account", json!({})).await.unwrap();
    assert_eq!(
        (me.name.as_str(), me.kind, me.balance, me.login.as_deref()),
        (
            "Direct Reseller",
            AccountType::DirectReseller,
            100,
            Some("direct")
        )
    );
}

#[tokio::test]
async fn sub_accounts_lists_the_callers_children_by_name_with_logins() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let accounts: Vec<AccountSummary> = direct.call("sub_accounts", json!({})).await.unwrap();
    let rows: Vec<_> = accounts
        .iter()
        .map(|a| (a.name.as_str(), a.kind, a.balance, a.login.as_deref()))
        .collect();
    assert_eq!(
        rows,
        [
            ("Customer One", AccountType::Customer, 0, Some("customer1")),
            ("Reseller One", AccountType::Reseller, 0, Some("reseller1")),
            ("Reseller Two", AccountType::Reseller, 0, Some("reseller2")),
        ]
    );
}

#[tokio::test]
async fn a_positive_number_gives_and_a_minus_sign_revokes() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let one = app.account_of("reseller1").await.0;

    let given = transfer(&direct, request(one, "30", "June order"))
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

    let revoked = transfer(&direct, request(one, "-5", "Unused"))
        .await
        .unwrap();
    assert_eq!((revoked.sub_account_balance, revoked.own_balance), (25, 75));

    let lines: Vec<LedgerLine> = direct
        .call(
            "account_transfers",
            json!({ "account_id": null, "before": null }),
        )
        .await
        .unwrap();
    let newest = &lines[0];
    assert_eq!(
        (newest.kind, newest.change, newest.balance_after),
        (TransferType::Revoke, 5, 75)
    );
    assert_eq!(
        (
            newest.counterparty.as_str(),
            newest.note.as_str(),
            newest.actor.as_str()
        ),
        ("Reseller One", "Unused", "direct")
    );
    assert_eq!(lines[1].change, -30);
    assert!(app.ledger.verify().await.unwrap().is_clean());
}

#[tokio::test]
async fn the_same_request_twice_moves_credits_once() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let one = app.account_of("reseller1").await.0;
    let body = request(one, "30", "Sent twice");

    let first = transfer(&direct, body.clone()).await.unwrap();
    let second = transfer(&direct, body).await.unwrap();

    assert_eq!(first, second);
    let me: AccountSummary = direct.call("my_account", json!({})).await.unwrap();
    assert_eq!(me.balance, 70);
    assert_eq!(app.ledger.verify().await.unwrap().transfers, 2);
}

#[tokio::test]
async fn each_refusal_has_its_status_and_message_and_moves_nothing() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let two = app.account_of("reseller2").await.0;
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
        let failure = transfer(&direct, body.clone()).await.unwrap_err();
        assert_eq!(failure.status, status, "{body}");
        assert_eq!(failure.error.to_string(), message, "{body}");
    }
    assert_nothing_moved(&app, &direct).await;
}

#[tokio::test]
async fn a_request_id_reused_for_a_different_transfer_is_refused() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let one = app.account_of("reseller1").await.0;
    let first = request(one, "30", "First");
    transfer(&direct, first.clone()).await.unwrap();

    let mut changed = first;
    changed["request"]["credits"] = json!("31");
    let failure = transfer(&direct, changed).await.unwrap_err();

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

#[tokio::test]
async fn a_suspended_sub_account_cannot_receive_credits_but_can_be_revoked_from() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let one = app.account_of("reseller1").await.0;
    transfer(&direct, request(one, "30", "Before suspension"))
        .await
        .unwrap();

    let suspended: AccountSummary = direct
        .call(
            "set_sub_account_state",
            json!({ "account_id": one, "state": "Suspended" }),
        )
        .await
        .unwrap();
    assert_eq!(suspended.state, app::model::AccountState::Suspended);

    let refused = transfer(&direct, request(one, "5", "More"))
        .await
        .unwrap_err();
    assert_eq!(refused.status, 409);
    assert_eq!(
        refused.error.to_string(),
        "Reseller One is suspended; reactivate it before giving it credits"
    );
    let revoked = transfer(&direct, request(one, "-30", "Take it all back"))
        .await
        .unwrap();
    assert_eq!((revoked.sub_account_balance, revoked.own_balance), (0, 100));

    let active: AccountSummary = direct
        .call(
            "set_sub_account_state",
            json!({ "account_id": one, "state": "Active" }),
        )
        .await
        .unwrap();
    assert_eq!(active.state, app::model::AccountState::Active);
    transfer(&direct, request(one, "5", "Welcome back"))
        .await
        .unwrap();
    assert!(app.ledger.verify().await.unwrap().is_clean());
}

#[tokio::test]
async fn sub_accounts_are_added_and_renamed_with_specific_refusals() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let add = |kind: &str, name: &str, login: &str, password: &str| json!({ "account": { "kind": kind, "name": name, "login": login, "password": password } });

    let acme: AccountSummary = direct
        .call(
            "create_sub_account",
            add("Customer", "Acme", "Acme.Ops", "long enough"),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            acme.name.as_str(),
            acme.kind,
            acme.balance,
            acme.login.as_deref()
        ),
        ("Acme", AccountType::Customer, 0, Some("acme.ops"))
    );

    let refusals = [
        (
            add("Customer", " ", "fresh", "long enough"),
            422,
            "Enter a name",
        ),
        (
            add("Customer", "X", "no spaces allowed", "long enough"),
            422,
            "A login is 3 to 40 letters, digits, dots, dashes or underscores",
        ),
        (
            add("Customer", "X", "ACME.OPS", "long enough"),
            409,
            "That login is taken; choose another",
        ),
        (
            add("Customer", "X", "fresh", "short"),
            422,
            "Use a password of at least 8 characters",
        ),
        (
            add("DirectReseller", "X", "fresh", "long enough"),
            400,
            "The request was not understood; reload the page and try again",
        ),
    ];
    for (body, status, message) in refusals {
        let failure = direct
            .call::<AccountSummary>("create_sub_account", body.clone())
            .await
            .unwrap_err();
        assert_eq!(
            (failure.status, failure.error.to_string().as_str()),
            (status, message),
            "{body}"
        );
    }

    let renamed: AccountSummary = direct
        .call(
            "rename_sub_account",
            json!({ "account_id": acme.id, "name": "Acme Ltd" }),
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Acme Ltd");
    let blank = direct
        .call::<AccountSummary>(
            "rename_sub_account",
            json!({ "account_id": acme.id, "name": "" }),
        )
        .await
        .unwrap_err();
    assert_eq!(blank.error, AppError::NameRequired);

    // The new customer signs in with what the reseller chose, in any case.
    let browser = app.browser();
    let landing: String = browser
        .call(
            "sign_in",
            json!({ "login": "ACME.OPS", "password": "long enough" }),
        )
        .await
        .unwrap();
    assert_eq!(landing, "/account");
}
