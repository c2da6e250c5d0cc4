//! The server functions through the real router and HTTP, signed in as the worked example's direct
//! reseller: results, errors, statuses and messages.

mod support;

use app::error::AppError;
use app::model::{
    AccountKind, AccountStatus, CreditRequest, NewSubAccount, TransferKind, TransferReceipt,
};
use app::server_fns::{
    CreateSubAccount, MyAccount, RenameSubAccount, SetSubAccountStatus, SignIn, SubAccounts,
    TransferCredits,
};
use ledger::testing::{assert_verified, operator};
use serde_json::json;
use support::{Browser, Failure, TestApp, credit_request as request, own_transfers};

async fn transfer(browser: &Browser, request: CreditRequest) -> Result<TransferReceipt, Failure> {
    browser.call(TransferCredits { request }).await
}

async fn transfer_count(app: &TestApp) -> i64 {
    app.ledger.verify(&operator()).await.unwrap().transfers
}

async fn my_balance(browser: &Browser) -> i64 {
    browser.call(MyAccount {}).await.unwrap().balance
}

async fn assert_nothing_moved(app: &TestApp, direct: &Browser) {
    assert_eq!(my_balance(direct).await, 100);
    assert_verified(&app.ledger).await;
    assert_eq!(
        transfer_count(app).await,
        1,
        "only the worked example's top-up"
    );
}

#[tokio::test]
async fn my_account_is_the_signed_in_account_with_its_balance() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let me = direct.call(MyAccount {}).await.unwrap();
    assert_eq!(
        (me.name.as_str(), me.kind, me.balance, me.login.as_deref()),
        (
            "Direct Reseller",
            AccountKind::DirectReseller,
            100,
            Some("direct")
        )
    );
}

#[tokio::test]
async fn sub_accounts_lists_the_callers_children_by_name_with_logins() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let accounts = direct.call(SubAccounts {}).await.unwrap();
    let rows: Vec<_> = accounts
        .iter()
        .map(|a| (a.name.as_str(), a.kind, a.balance, a.login.as_deref()))
        .collect();
    assert_eq!(
        rows,
        [
            ("Customer One", AccountKind::Customer, 0, Some("customer1")),
            ("Reseller One", AccountKind::Reseller, 0, Some("reseller1")),
            ("Reseller Two", AccountKind::Reseller, 0, Some("reseller2")),
        ]
    );
}

#[tokio::test]
async fn a_positive_number_gives_and_a_minus_sign_revokes() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let one = app.example.reseller_one.0;

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

    let transfers = direct.call(own_transfers()).await.unwrap();
    let newest = &transfers[0];
    assert_eq!(
        (newest.kind, newest.change, newest.balance_after),
        (TransferKind::Revoke, 5, 75)
    );
    assert_eq!(
        (
            newest.counterparty.as_str(),
            newest.note.as_str(),
            newest.actor.as_str()
        ),
        ("Reseller One", "Unused", "direct")
    );
    assert_eq!(transfers[1].change, -30);
    assert_verified(&app.ledger).await;
}

#[tokio::test]
async fn the_same_request_twice_moves_credits_once() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let one = app.example.reseller_one.0;
    let sent_twice = request(one, "30", "Sent twice");

    let first = transfer(&direct, sent_twice.clone()).await.unwrap();
    let second = transfer(&direct, sent_twice).await.unwrap();

    assert_eq!(first, second);
    assert_eq!(my_balance(&direct).await, 70);
    assert_eq!(transfer_count(&app).await, 2);
}

#[tokio::test]
async fn each_refusal_has_its_status_and_message_and_moves_nothing() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let two = app.example.reseller_two.0;
    let platform = app.ledger.platform_id().0;
    let not_a_whole_number = "Enter a whole number of credits, e.g. 30 or -5";
    let not_understood = "The request was not understood; reload the page and try again";
    let long_note = "n".repeat(501);
    let mut bad_id = request(two, "5", "x");
    bad_id.request_id = "bad id".into();
    let cases = [
        (request(two, "abc", "x"), 422, not_a_whole_number),
        (request(two, "1.5", "x"), 422, not_a_whole_number),
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
            request(platform, "5", "the platform"),
            404,
            "That account is not one of your sub-accounts",
        ),
        (
            request(9_999, "5", "no such account"),
            404,
            "That account is not one of your sub-accounts",
        ),
        (bad_id, 400, not_understood),
    ];
    for (request, status, message) in cases {
        let failure = transfer(&direct, request.clone()).await.unwrap_err();
        assert_eq!(failure.status, status, "{request:?}");
        assert_eq!(failure.error.to_string(), message, "{request:?}");
    }

    // Deliberately not a `TransferCredits`: a body no page would send.
    let nonsense = direct
        .call_with_body::<TransferCredits>(&json!({ "nonsense": true }))
        .await
        .unwrap_err();
    assert_eq!(
        (nonsense.status, nonsense.error.to_string().as_str()),
        (400, not_understood)
    );
    assert_nothing_moved(&app, &direct).await;
}

#[tokio::test]
async fn a_request_id_reused_for_a_different_transfer_is_refused() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let one = app.example.reseller_one.0;
    let first = request(one, "30", "First");
    transfer(&direct, first.clone()).await.unwrap();

    let mut changed = first;
    changed.credits = "31".into();
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
    let one = app.example.reseller_one.0;
    transfer(&direct, request(one, "30", "Before suspension"))
        .await
        .unwrap();

    let suspended = direct
        .call(SetSubAccountStatus {
            account_id: one,
            status: AccountStatus::Suspended,
        })
        .await
        .unwrap();
    assert_eq!(suspended.status, AccountStatus::Suspended);

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

    let active = direct
        .call(SetSubAccountStatus {
            account_id: one,
            status: AccountStatus::Active,
        })
        .await
        .unwrap();
    assert_eq!(active.status, AccountStatus::Active);
    transfer(&direct, request(one, "5", "Welcome back"))
        .await
        .unwrap();
    assert_verified(&app.ledger).await;
}

/// The "Add reseller" / "Add customer" form, filled in.
fn add(kind: AccountKind, name: &str, login: &str, password: &str) -> CreateSubAccount {
    CreateSubAccount {
        account: NewSubAccount {
            kind,
            name: name.into(),
            login: login.into(),
            password: password.into(),
        },
    }
}

#[tokio::test]
async fn sub_accounts_are_added_and_renamed_with_specific_refusals() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let customer = AccountKind::Customer;

    let acme = direct
        .call(add(customer, "Acme", "Acme.Ops", "long enough"))
        .await
        .unwrap();
    assert_eq!(
        (
            acme.name.as_str(),
            acme.kind,
            acme.balance,
            acme.login.as_deref()
        ),
        ("Acme", AccountKind::Customer, 0, Some("acme.ops"))
    );

    let refusals = [
        (
            add(customer, " ", "fresh", "long enough"),
            422,
            "Enter a name",
        ),
        (
            add(customer, "X", "no spaces allowed", "long enough"),
            422,
            "A login is 3 to 40 letters, digits, dots, dashes or underscores",
        ),
        (
            add(customer, "X", "ACME.OPS", "long enough"),
            409,
            "That login is taken; choose another",
        ),
        (
            add(customer, "X", "fresh", "short"),
            422,
            "Use a password of at least 8 characters",
        ),
        (
            add(AccountKind::DirectReseller, "X", "fresh", "long enough"),
            400,
            "The request was not understood; reload the page and try again",
        ),
    ];
    for (form, status, message) in refusals {
        let failure = direct.call(form.clone()).await.unwrap_err();
        assert_eq!(
            (failure.status, failure.error.to_string().as_str()),
            (status, message),
            "{form:?}"
        );
    }

    let renamed = direct
        .call(RenameSubAccount {
            account_id: acme.id,
            name: "Acme Ltd".into(),
        })
        .await
        .unwrap();
    assert_eq!(renamed.name, "Acme Ltd");
    let blank = direct
        .call(RenameSubAccount {
            account_id: acme.id,
            name: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(blank.error, AppError::NameRequired);

    // The new customer signs in with what the reseller chose, in any case, and is asked to choose
    // its own password first.
    let landing = app
        .browser()
        .call(SignIn {
            login: "ACME.OPS".into(),
            password: "long enough".into(),
        })
        .await
        .unwrap();
    assert_eq!(landing, "/change-password");
}
