//! Who may call what, on whom: every server function × every kind of caller × every kind of target.
//! Denied calls get exactly the expected error and move nothing.

mod support;

use app::error::AppError;
use app::model::{self, AccountStatus};
use app::server_fns::{
    AccountTransfers, AlertSettings, BalanceHistory, ChangePassword, CreateSubAccount, MyAccount,
    RenameSubAccount, SaveAlertSettings, SetSubAccountStatus, SubAccountPage, SubAccounts,
    TransferCredits, TransferPage,
};
use ledger::testing::{self, operator, transfer_request};
use ledger::{AccountId, AccountKind};
use support::{Browser, Failure, TestApp, credit_request, own_transfers};

/// The worked example, grown so that every caller has a child, a grandchild and strangers:
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
    reseller1: AccountId,
    acme: AccountId,
    deep: AccountId,
    otherres: AccountId,
    otherdeep: AccountId,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let ledger = &app.ledger;
    let direct = app.example.direct.clone();
    let reseller1 = testing::actor(ledger, "reseller1").await;
    let acme = testing::open(ledger, &reseller1, AccountKind::Customer, "Acme", "acme").await;
    let subres = testing::open(
        ledger,
        &reseller1,
        AccountKind::Reseller,
        "Sub Reseller",
        "subres",
    )
    .await;
    let deep = testing::open(ledger, &subres, AccountKind::Customer, "Deep", "deep").await;
    let other = testing::open_direct_reseller(ledger, "Other", "other").await;
    let otherres = testing::open(
        ledger,
        &other,
        AccountKind::Reseller,
        "Other Reseller",
        "otherres",
    )
    .await;
    let otherdeep = testing::open(
        ledger,
        &otherres,
        AccountKind::Customer,
        "Other Deep",
        "otherdeep",
    )
    .await;

    // Credits everywhere, so that a wrongly allowed grant or revoke would succeed and show.
    testing::top_up(ledger, other.account(), 100).await;
    let grants = [
        (&direct, &reseller1, 30),
        (&reseller1, &acme, 10),
        (&reseller1, &subres, 10),
        (&subres, &deep, 5),
        (&other, &otherres, 20),
        (&otherres, &otherdeep, 10),
    ];
    for (from, to, credits) in grants {
        ledger
            .grant(from, &transfer_request(to.account(), credits))
            .await
            .unwrap();
    }
    World {
        reseller1: reseller1.account(),
        acme: acme.account(),
        deep: deep.account(),
        otherres: otherres.account(),
        otherdeep: otherdeep.account(),
        app,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    OwnChild,
    Grandchild,
    Foreign,
    Missing,
}

/// The calls that name a target account, each sent as the page would send it.
#[derive(Debug, Clone, Copy)]
enum Call {
    Grant,
    Revoke,
    ReadTransfers,
    ReadTransferPage,
    ReadBalanceChart,
    /// `GET /transfers.csv?account=…`: not a server function, but the same rule and answers.
    DownloadTransfers,
    Rename,
    Suspend,
    ReadAlertSettings,
    SaveAlertSettings,
}

const CALLS: [Call; 10] = [
    Call::Grant,
    Call::Revoke,
    Call::ReadTransfers,
    Call::ReadTransferPage,
    Call::ReadBalanceChart,
    Call::DownloadTransfers,
    Call::Rename,
    Call::Suspend,
    Call::ReadAlertSettings,
    Call::SaveAlertSettings,
];

/// The alert settings pop-up's fields: `alert_below` alone, or every field empty (all off).
fn alert_form(alert_below: &str) -> model::BalanceRulesForm {
    model::BalanceRulesForm {
        alert_below: alert_below.to_owned(),
        when_below: String::new(),
        top_up_to: String::new(),
    }
}

async fn save_alert_settings(
    browser: &Browser,
    account_id: i64,
    alert_below: &str,
) -> Result<(), Failure> {
    let form = alert_form(alert_below);
    browser
        .call(SaveAlertSettings { account_id, form })
        .await
        .map(drop)
}

/// The download's answer in the terms of a server function's: a refusal's message is an
/// `AppError`'s, and signed out it sends the browser to the sign-in page.
async fn download(browser: &Browser, account: i64) -> Result<(), Failure> {
    let response = browser
        .fetch(&format!("/transfers.csv?account={account}"))
        .await;
    let status = response.status().as_u16();
    let to_sign_in = response
        .headers()
        .get("location")
        .is_some_and(|location| location == "/sign-in");
    let text = response.text().await.unwrap();
    match status {
        200 => Ok(()),
        303 if to_sign_in => Err(Failure {
            status: 401,
            error: AppError::Unauthenticated,
        }),
        _ => {
            let error = [AppError::SubAccountNotFound, AppError::NotAReseller]
                .into_iter()
                .find(|error| error.to_string() == text)
                .unwrap_or_else(|| panic!("{status}: {text}"));
            Err(Failure { status, error })
        }
    }
}

/// Moves `credits` ("1", "-1") between the caller and `target`.
async fn move_credits(
    browser: &Browser,
    target: i64,
    credits: &str,
    note: &str,
) -> Result<(), Failure> {
    let request = credit_request(target, credits, note);
    browser.call(TransferCredits { request }).await.map(drop)
}

async fn rename(browser: &Browser, account_id: i64, name: &str) -> Result<(), Failure> {
    let name = name.to_owned();
    browser
        .call(RenameSubAccount { account_id, name })
        .await
        .map(drop)
}

async fn set_status(
    browser: &Browser,
    account_id: i64,
    status: AccountStatus,
) -> Result<(), Failure> {
    browser
        .call(SetSubAccountStatus { account_id, status })
        .await
        .map(drop)
}

impl Call {
    async fn run(self, browser: &Browser, target: i64) -> Result<(), Failure> {
        match self {
            Call::Grant => move_credits(browser, target, "1", "matrix").await,
            Call::Revoke => move_credits(browser, target, "-1", "matrix").await,
            Call::ReadTransfers => browser
                .call(AccountTransfers {
                    account_id: Some(target),
                    before: None,
                })
                .await
                .map(drop),
            Call::ReadTransferPage => browser
                .call(TransferPage {
                    view: model::TransferView {
                        account: Some(target),
                        ..model::TransferView::default()
                    },
                })
                .await
                .map(drop),
            Call::ReadBalanceChart => browser
                .call(BalanceHistory {
                    view: model::TransferView {
                        account: Some(target),
                        ..model::TransferView::default()
                    },
                })
                .await
                .map(drop),
            Call::DownloadTransfers => download(browser, target).await,
            Call::Rename => rename(browser, target, "Renamed").await,
            Call::Suspend => set_status(browser, target, AccountStatus::Suspended).await,
            Call::ReadAlertSettings => browser
                .call(AlertSettings { account_id: target })
                .await
                .map(drop),
            Call::SaveAlertSettings => save_alert_settings(browser, target, "5").await,
        }
    }

    /// Puts back what an allowed call changed, so that the next call starts from the same world.
    async fn undo(self, browser: &Browser, target: i64, name: &str) {
        let undo = match self {
            Call::Grant => move_credits(browser, target, "-1", "undo").await,
            Call::Revoke => move_credits(browser, target, "1", "undo").await,
            Call::ReadTransfers
            | Call::ReadTransferPage
            | Call::ReadBalanceChart
            | Call::DownloadTransfers => Ok(()),
            Call::Rename => rename(browser, target, name).await,
            Call::Suspend => set_status(browser, target, AccountStatus::Active).await,
            Call::ReadAlertSettings => Ok(()),
            Call::SaveAlertSettings => save_alert_settings(browser, target, "").await,
        };
        undo.expect("undo an allowed call");
    }

    fn allowed_on(self, target: Target) -> bool {
        match (self, target) {
            (_, Target::OwnChild) => true,
            // Reads reach everything below the caller; moves and management only direct children.
            (
                Call::ReadTransfers
                | Call::ReadTransferPage
                | Call::ReadBalanceChart
                | Call::DownloadTransfers,
                Target::Grandchild,
            ) => true,
            _ => false,
        }
    }
}

/// A caller (none: not signed in), its own child, a grandchild and a foreign account; a customer has
/// no children.
type Caller<'a> = (
    Option<&'a str>,
    Option<AccountId>,
    Option<AccountId>,
    AccountId,
);

async fn balances(app: &TestApp) -> Vec<(i64, i64)> {
    let mut all = Vec::new();
    for id in 1..=12 {
        if let Some(account) = app
            .ledger
            .account(&operator(), AccountId(id))
            .await
            .unwrap()
        {
            all.push((id, account.balance));
        }
    }
    all
}

async fn transfer_count(app: &TestApp) -> i64 {
    app.ledger.verify(&operator()).await.unwrap().transfers
}

#[tokio::test]
async fn every_call_on_every_target_is_allowed_or_denied_exactly_as_expected() {
    let w = world().await;
    let app = &w.app;
    let missing = 999_999;
    let callers: [Caller; 5] = [
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
    let transfers_before = transfer_count(app).await;
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
                .account(&operator(), id)
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
                    .copied()
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
    testing::assert_verified(&app.ledger).await;
    assert_eq!(transfer_count(app).await, transfers_before + allowed_moves);
    assert_eq!(
        allowed_moves, 12,
        "grant and revoke on the own child of the three resellers, undone"
    );
}

/// The "Add customer" form, filled in.
fn new_customer(login: &str) -> CreateSubAccount {
    CreateSubAccount {
        account: model::NewSubAccount {
            kind: model::AccountKind::Customer,
            name: "New".into(),
            login: login.into(),
            password: "long enough".into(),
        },
    }
}

/// The "Change password" form, filled in.
fn new_password() -> ChangePassword {
    ChangePassword {
        change: model::PasswordChange {
            current_password: "long enough".into(),
            new_password: "longer still".into(),
            repeat_password: "longer still".into(),
        },
    }
}

/// Asserts that each call, named by its endpoint, failed with `status` and `error`.
fn assert_all_refused<const N: usize>(
    refusals: [(&str, Result<(), Failure>); N],
    status: u16,
    error: &AppError,
) {
    for (endpoint, refused) in refusals {
        let failure = refused.expect_err(endpoint);
        assert_eq!(
            (failure.status, &failure.error),
            (status, error),
            "{endpoint}"
        );
    }
}

#[tokio::test]
async fn calls_without_a_target_depend_on_who_calls() {
    let w = world().await;
    let app = &w.app;
    let anonymous = app.browser();

    let refusals = [
        ("my_account", anonymous.call(MyAccount {}).await.map(drop)),
        (
            "sub_accounts",
            anonymous.call(SubAccounts {}).await.map(drop),
        ),
        (
            "account_transfers",
            anonymous.call(own_transfers()).await.map(drop),
        ),
        (
            "create_sub_account",
            anonymous.call(new_customer("anon-new")).await.map(drop),
        ),
        (
            "change_password",
            anonymous.call(new_password()).await.map(drop),
        ),
        (
            "sub_account_page",
            anonymous
                .call(SubAccountPage {
                    view: model::SubAccountView::default(),
                })
                .await
                .map(drop),
        ),
    ];
    assert_all_refused(refusals, 401, &AppError::Unauthenticated);

    let customer = app.signed_in("acme").await;
    let me = customer.call(MyAccount {}).await.unwrap();
    assert_eq!(me.id, w.acme.0);
    let transfers = customer.call(own_transfers()).await.unwrap();
    assert_eq!(transfers.len(), 1, "acme sees its own transfer");
    let refusals = [
        (
            "sub_accounts",
            customer.call(SubAccounts {}).await.map(drop),
        ),
        (
            "create_sub_account",
            customer.call(new_customer("acme-child")).await.map(drop),
        ),
        (
            "sub_account_page",
            customer
                .call(SubAccountPage {
                    view: model::SubAccountView::default(),
                })
                .await
                .map(drop),
        ),
    ];
    assert_all_refused(refusals, 403, &AppError::NotAReseller);

    let reseller1 = app.signed_in("reseller1").await;
    let children = reseller1.call(SubAccounts {}).await.unwrap();
    let names: Vec<_> = children.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Acme", "Sub Reseller"], "only its own children");
    let created = reseller1.call(new_customer("r1-new")).await.unwrap();
    let parent = app
        .ledger
        .account(&operator(), AccountId(created.id))
        .await
        .unwrap()
        .unwrap()
        .parent_id;
    assert_eq!(
        parent,
        Some(w.reseller1),
        "opened under the caller, whatever the request says"
    );
}

#[tokio::test]
async fn a_replayed_request_with_a_foreign_account_changes_nothing() {
    let w = world().await;
    let app = &w.app;
    let direct = app.signed_in("direct").await;
    let other = app.signed_in("other").await;
    let genuine = TransferCredits {
        request: credit_request(w.reseller1.0, "5", "genuine"),
    };
    direct.call(genuine.clone()).await.unwrap();
    let before = balances(app).await;

    // The same body replayed by another reseller, and re-aimed at that reseller's own account.
    let replayed = other.call(genuine.clone()).await.unwrap_err();
    assert_eq!(replayed.error, AppError::SubAccountNotFound);
    let mut re_aimed = genuine;
    re_aimed.request.sub_account_id = w.otherdeep.0;
    let failure = direct.call(re_aimed).await.unwrap_err();
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
        .call_from(
            TransferCredits {
                request: credit_request(w.reseller1.0, "5", "csrf"),
            },
            "http://evil.example",
        )
        .await
        .unwrap_err();

    assert_eq!((failure.status, failure.error), (403, AppError::CrossSite));
    assert_eq!(balances(app).await, before);
    direct
        .call_from(
            TransferCredits {
                request: credit_request(w.reseller1.0, "5", "from the app"),
            },
            &app.base_url,
        )
        .await
        .expect("the app's own origin passes");
}
