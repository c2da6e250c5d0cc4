//! Who may call what, on whom: every server function × every kind of caller × every kind of target.
//! Denied calls get exactly the expected error and move nothing.

mod support;

use app::error::AppError;
use app::model::{AccountSummary, LedgerLine, TransferReceipt};
use ledger::{AccountId, AccountKind, Actor, Credits, IdempotencyKey, Note, TransferRequest};
use serde_json::{Value, json};
use support::{Browser, Failure, TestApp, credit_request};

/// The demo tree, grown so that every caller has a child, a grandchild and strangers:
///
/// ```text
/// direct ─┬─ reseller1 ─┬─ acme (customer)
///         │             └─ subres ── deep (customer)
///         ├─ reseller2
///         └─ customer1
/// other ──┬─ otherres ── otherdeep (customer)
/// ```
struct World {
    app: TestApp,
    direct: AccountId,
    reseller1: AccountId,
    acme: AccountId,
    deep: AccountId,
    other: AccountId,
    otherres: AccountId,
    otherdeep: AccountId,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let direct = app.account_of("direct").await;
    let reseller1 = app.account_of("reseller1").await;
    let acme = app
        .open(reseller1, AccountKind::Customer, "Acme", "acme")
        .await;
    let subres = app
        .open(reseller1, AccountKind::Reseller, "Sub Reseller", "subres")
        .await;
    let deep = app
        .open(subres, AccountKind::Customer, "Deep", "deep")
        .await;
    let other = app
        .open(
            app.ledger.platform_id(),
            AccountKind::DirectReseller,
            "Other",
            "other",
        )
        .await;
    let otherres = app
        .open(other, AccountKind::Reseller, "Other Reseller", "otherres")
        .await;
    let otherdeep = app
        .open(otherres, AccountKind::Customer, "Other Deep", "otherdeep")
        .await;

    // Credits everywhere, so that a wrongly allowed grant or revoke would succeed and show.
    app.ledger
        .top_up(
            "test",
            other,
            Credits::new(100).unwrap(),
            &Note::parse("setup").unwrap(),
            &IdempotencyKey::generate(),
        )
        .await
        .unwrap();
    let grants = [
        (direct, reseller1, 30),
        (reseller1, acme, 10),
        (reseller1, subres, 10),
        (subres, deep, 5),
        (other, otherres, 20),
        (otherres, otherdeep, 10),
    ];
    for (from, to, credits) in grants {
        let actor = Actor {
            account: from,
            name: "setup".into(),
        };
        let request = TransferRequest {
            sub_account: to,
            credits: Credits::new(credits).unwrap(),
            note: Note::parse("setup").unwrap(),
            key: IdempotencyKey::generate(),
        };
        app.ledger.grant(&actor, &request).await.unwrap();
    }
    World {
        app,
        direct,
        reseller1,
        acme,
        deep,
        other,
        otherres,
        otherdeep,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    OwnChild,
    Grandchild,
    Foreign,
    Missing,
}

/// The calls that name a target account, each as the JSON a page would send.
#[derive(Debug, Clone, Copy)]
enum Call {
    Grant,
    Revoke,
    ReadTransfers,
    Rename,
    Suspend,
}

const CALLS: [Call; 5] = [
    Call::Grant,
    Call::Revoke,
    Call::ReadTransfers,
    Call::Rename,
    Call::Suspend,
];

impl Call {
    async fn run(self, browser: &Browser, target: i64) -> Result<(), Failure> {
        match self {
            Call::Grant => browser
                .call::<TransferReceipt>("transfer_credits", credit_request(target, "1", "matrix"))
                .await
                .map(drop),
            Call::Revoke => browser
                .call::<TransferReceipt>("transfer_credits", credit_request(target, "-1", "matrix"))
                .await
                .map(drop),
            Call::ReadTransfers => browser
                .call::<Vec<LedgerLine>>(
                    "account_transfers",
                    json!({ "account_id": target, "before": null }),
                )
                .await
                .map(drop),
            Call::Rename => browser
                .call::<AccountSummary>(
                    "rename_sub_account",
                    json!({ "account_id": target, "name": "Renamed" }),
                )
                .await
                .map(drop),
            Call::Suspend => browser
                .call::<AccountSummary>(
                    "set_sub_account_state",
                    json!({ "account_id": target, "state": "Suspended" }),
                )
                .await
                .map(drop),
        }
    }

    /// Puts back what an allowed call changed, so that the next call starts from the same world.
    async fn undo(self, browser: &Browser, target: i64, name: &str) {
        let undo = match self {
            Call::Grant => browser
                .call::<TransferReceipt>("transfer_credits", credit_request(target, "-1", "undo"))
                .await
                .map(drop),
            Call::Revoke => browser
                .call::<TransferReceipt>("transfer_credits", credit_request(target, "1", "undo"))
                .await
                .map(drop),
            Call::ReadTransfers => Ok(()),
            Call::Rename => browser
                .call::<AccountSummary>(
                    "rename_sub_account",
                    json!({ "account_id": target, "name": name }),
                )
                .await
                .map(drop),
            Call::Suspend => browser
                .call::<AccountSummary>(
                    "set_sub_account_state",
                    json!({ "account_id": target, "state": "Active" }),
                )
                .await
                .map(drop),
        };
        undo.expect("undo an allowed call");
    }

    fn allowed_on(self, target: Target) -> bool {
        match (self, target) {
            (_, Target::OwnChild) => true,
            // Reads reach everything below the caller; moves and management only direct children.
            (Call::ReadTransfers, Target::Grandchild) => true,
            _ => false,
        }
    }
}

async fn balances(app: &TestApp) -> Vec<(i64, i64)> {
    let mut all = Vec::new();
    for id in 1..=12 {
        if let Some(account) = app.ledger.account(AccountId(id)).await.unwrap() {
            all.push((id, account.balance));
        }
    }
    all
}

#[tokio::test]
async fn every_call_on_every_target_is_allowed_or_denied_exactly_as_expected() {
    let w = world().await;
    let app = &w.app;
    let missing = 999_999;
    // (caller, its own child, grandchild, foreign account); a customer has no children.
    let callers: [(
        Option<&str>,
        Option<AccountId>,
        Option<AccountId>,
        AccountId,
    ); 5] = [
        (None, Some(w.reseller1), Some(w.acme), w.otherdeep),
        (Some("direct"), Some(w.reseller1), Some(w.acme), w.otherdeep),
        (Some("reseller1"), Some(w.acme), Some(w.deep), w.otherres),
        (Some("acme"), None, None, w.reseller1),
        (
            Some("other"),
            Some(w.otherres),
            Some(w.otherdeep),
            w.reseller1,
        ),
    ];
    let before = balances(app).await;
    let transfers_before = app.ledger.verify().await.unwrap().transfers;
    let mut allowed_moves = 0;

    for (login, child, grandchild, foreign) in callers {
        let browser = match login {
            Some(login) => app.signed_in(login).await,
            None => app.browser(),
        };
        let targets = [
            (Target::OwnChild, child),
            (Target::Grandchild, grandchild),
            (Target::Foreign, Some(foreign)),
            (Target::Missing, Some(AccountId(missing))),
        ];
        for (target, id) in targets {
            let Some(id) = id else { continue };
            let name = app
                .ledger
                .account(id)
                .await
                .unwrap()
                .map(|a| a.name)
                .unwrap_or_default();
            for call in CALLS {
                let result = call.run(&browser, id.0).await;
                let expected = match login {
                    None => Err(AppError::Unauthenticated),
                    Some(_) if call.allowed_on(target) => Ok(()),
                    Some(_) => Err(AppError::SubAccountNotFound),
                };
                let got = result
                    .as_ref()
                    .map(|()| ())
                    .map_err(|failure| failure.error.clone());
                assert_eq!(got, expected, "{login:?} {call:?} on {target:?}");
                if result.is_ok() {
                    call.undo(&browser, id.0, &name).await;
                    if matches!(call, Call::Grant | Call::Revoke) {
                        allowed_moves += 2;
                    }
                }
            }
        }
    }

    assert_eq!(
        balances(app).await,
        before,
        "denied calls moved nothing; allowed ones were undone"
    );
    let report = app.ledger.verify().await.unwrap();
    assert!(report.is_clean());
    assert_eq!(report.transfers, transfers_before + allowed_moves);
    assert_eq!(
        allowed_moves, 12,
        "grant and revoke on the own child of the three resellers, undone"
    );
}

#[tokio::test]
async fn calls_without_a_target_depend_on_who_calls() {
    let w = world().await;
    let app = &w.app;
    let anonymous = app.browser();
    let new_customer = |login: &str| json!({ "account": { "kind": "Customer", "name": "New", "login": login, "password": "long enough" } });

    for endpoint in ["my_account", "sub_accounts"] {
        let failure = anonymous
            .call::<Value>(endpoint, json!({}))
            .await
            .unwrap_err();
        assert_eq!(
            (failure.status, failure.error),
            (401, AppError::Unauthenticated),
            "{endpoint}"
        );
    }
    let own = anonymous
        .call::<Value>(
            "account_transfers",
            json!({ "account_id": null, "before": null }),
        )
        .await
        .unwrap_err();
    assert_eq!(own.error, AppError::Unauthenticated);
    let create = anonymous
        .call::<Value>("create_sub_account", new_customer("anon-new"))
        .await
        .unwrap_err();
    assert_eq!(create.error, AppError::Unauthenticated);

    let customer = app.signed_in("acme").await;
    let me: AccountSummary = customer.call("my_account", json!({})).await.unwrap();
    assert_eq!(me.id, w.acme.0);
    let lines: Vec<LedgerLine> = customer
        .call(
            "account_transfers",
            json!({ "account_id": null, "before": null }),
        )
        .await
        .unwrap();
    assert_eq!(lines.len(), 1, "acme sees its own transfer");
    for (endpoint, body) in [
        ("sub_accounts", json!({})),
        ("create_sub_account", new_customer("acme-child")),
    ] {
        let failure = customer.call::<Value>(endpoint, body).await.unwrap_err();
        assert_eq!(
            (failure.status, failure.error),
            (403, AppError::NotAReseller),
            "{endpoint}"
        );
    }

    let reseller1 = app.signed_in("reseller1").await;
    let children: Vec<AccountSummary> = reseller1.call("sub_accounts", json!({})).await.unwrap();
    let names: Vec<_> = children.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Acme", "Sub Reseller"], "only its own children");
    let created: AccountSummary = reseller1
        .call("create_sub_account", new_customer("r1-new"))
        .await
        .unwrap();
    let parent = app
        .ledger
        .account(AccountId(created.id))
        .await
        .unwrap()
        .unwrap()
        .parent_id;
    assert_eq!(
        parent,
        Some(w.reseller1),
        "opened under the caller, whatever the request says"
    );
    let _ = (w.direct, w.other);
}

#[tokio::test]
async fn a_replayed_request_with_a_foreign_account_changes_nothing() {
    let w = world().await;
    let app = &w.app;
    let direct = app.signed_in("direct").await;
    let other = app.signed_in("other").await;
    let genuine = credit_request(w.reseller1.0, "5", "genuine");
    direct
        .call::<TransferReceipt>("transfer_credits", genuine.clone())
        .await
        .unwrap();
    let before = balances(app).await;

    // The same body replayed by another reseller, and re-aimed at that reseller's own account.
    let replayed = other
        .call::<TransferReceipt>("transfer_credits", genuine.clone())
        .await
        .unwrap_err();
    assert_eq!(replayed.error, AppError::SubAccountNotFound);
    let mut re_aimed = genuine;
    re_aimed["request"]["sub_account_id"] = json!(w.otherdeep.0);
    let failure = direct
        .call::<TransferReceipt>("transfer_credits", re_aimed)
        .await
        .unwrap_err();
    assert_eq!(failure.error, AppError::SubAccountNotFound);

    assert_eq!(balances(app).await, before);
}

#[tokio::test]
async fn a_call_from_another_site_changes_nothing() {
    let w = world().await;
    let app = &w.app;
    let direct = app.signed_in("direct").await;
    let before = balances(app).await;

    let failure = direct
        .call_from::<TransferReceipt>(
            "transfer_credits",
            credit_request(w.reseller1.0, "5", "csrf"),
            Some("http://evil.example"),
        )
        .await
        .unwrap_err();

    assert_eq!((failure.status, failure.error), (403, AppError::CrossSite));
    assert_eq!(balances(app).await, before);
    direct
        .call_from::<TransferReceipt>(
            "transfer_credits",
            credit_request(w.reseller1.0, "5", "from the app"),
            Some(&app.base_url),
        )
        .await
        .expect("the app's own origin passes");
}
